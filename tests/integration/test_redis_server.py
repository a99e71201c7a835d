"""Minor units round-trip exactly through a real redis-server, with expiry and pipelining."""

import time

import pytest
import redis

from pricekit.money import Money

pytestmark = pytest.mark.redis


def test_minor_units_round_trip_expire_and_pipeline(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    prices = {
        "sku-1": Money(2599, "USD"),
        "sku-2": Money(-5, "USD"),
        "sku-3": Money(2**63 - 1, "USD"),
        "sku-4": Money(10**30 + 7, "USD"),  # beyond any native integer: strings keep it exact
    }
    key = "pricekit:test:prices"

    # Several commands, one round trip: count the writes to the server's socket.
    assert redis_client.ping() is True  # connect (and its handshake) before counting
    connection_class = redis_client.connection_pool.connection_class
    send = connection_class.send_packed_command
    writes: list[object] = []

    def counting_send(self: object, command: object, *args: object, **kwargs: object) -> None:
        writes.append(command)
        send(self, command, *args, **kwargs)

    monkeypatch.setattr(connection_class, "send_packed_command", counting_send)
    with redis_client.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping={sku: money.minor_units_str for sku, money in prices.items()})
        pipe.expire(key, 300)
        pipe.hgetall(key)
        pipe.pttl(key)
        written, expire_set, stored, ttl_ms = pipe.execute()
    monkeypatch.undo()
    assert len(writes) == 1  # MULTI, 4 commands and EXEC in one write
    assert written == len(prices)
    assert expire_set is True
    assert 0 < ttl_ms <= 300_000
    assert stored == {sku.encode(): m.minor_units_str.encode() for sku, m in prices.items()}
    assert {sku.decode(): Money(int(raw), "USD") for sku, raw in stored.items()} == prices

    ttl = redis_client.ttl(key)
    assert 0 < ttl <= 300

    # A key with a short PX expiry is really gone afterwards.
    short_key = "pricekit:test:short"
    assert redis_client.set(short_key, prices["sku-1"].minor_units_str, px=50) is True
    assert redis_client.get(short_key) == b"2599"
    assert 0 < redis_client.pttl(short_key) <= 50
    deadline = time.monotonic() + 2.0
    while redis_client.exists(short_key) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert redis_client.exists(short_key) == 0
    assert redis_client.get(short_key) is None
    assert redis_client.pttl(short_key) == -2  # -2: the key does not exist

    # The long-lived hash is untouched.
    assert redis_client.hget(key, "sku-3") == b"9223372036854775807"
