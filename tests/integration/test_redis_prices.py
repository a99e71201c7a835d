"""The Redis price cache: the shipped contract on a real server, and what is Redis's own.

Redis's own: the key scheme and value format (a golden v1 value), one round trip
per get and per set, index TTLs that never fall below their entries', unreadable
values read as misses, two instances sharing one cache, prefixes kept apart, and
every redis-py error turned into ``BackendUnavailableError``. The server going
away and coming back is in ``test_redis_faults.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import port_for
import pytest
import redis
from pytest_redis.executor import RedisExecutor

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis._breaker import BreakerState, CircuitBreaker
from pricekit.ext.redis.prices import FORMAT_VERSION, RedisPriceCache
from pricekit.money import Money
from pricekit.pricing import (
    CachedPriceResolver,
    Channel,
    ItemType,
    PriceBook,
    PriceCache,
    PriceCacheKey,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.testing.contracts import PriceCacheContract

pytestmark = pytest.mark.redis

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LOGGER = "pricekit.ext.redis"


class TestRedisPriceCache(PriceCacheContract):
    @pytest.fixture
    def price_cache(self, redis_client: redis.Redis) -> PriceCache:
        return RedisPriceCache(redis_client)


class TestRedisPriceCacheDecodedResponses(PriceCacheContract):
    """The same cache on a client that decodes replies to ``str``."""

    @pytest.fixture
    def price_cache(
        self, redis_client: redis.Redis, redis_server: RedisExecutor
    ) -> Iterator[PriceCache]:
        client = redis.Redis(host=redis_server.host, port=redis_server.port, decode_responses=True)
        yield RedisPriceCache(client, prefix="decoded:")
        client.close()


# -- helpers -----------------------------------------------------------------------------


def key(item_id: str = "sku-1", *, business_id: str = "biz-1") -> PriceCacheKey:
    return PriceCacheKey(
        business_id=business_id,
        location_id="loc-a",
        channel=Channel.POS,
        item_type=ItemType.PRODUCT,
        item_id=item_id,
        currency="USD",
        quantity=Decimal("2.5"),
        valid_since=None,
        base_minor=2599,
    )


VALUE = ResolvedPrice(
    unit_price=Money(2399, "USD"),
    source=PriceSource.PRICE_LIST,
    price_list_id="pl-vip",
    price_list_item_id="it-9",
    priority=200,
    min_qty=Decimal("2.5"),
)


def book() -> PriceBook:
    """One global list pricing sku-1 at 9.00, and 8.00 from 2.5 up."""
    return PriceBook(
        lists=[PriceList(id="pl-1", business_id="biz-1", name="retail", currency="USD")],
        items=[
            PriceListItem(
                id="it-1", price_list_id="pl-1", item_id="sku-1", price=Money(900, "USD")
            ),
            PriceListItem(
                id="it-2",
                price_list_id="pl-1",
                item_id="sku-1",
                price=Money(800, "USD"),
                min_qty=Decimal("2.5"),
            ),
        ],
        scopes=[PriceListScope(id="sc-1", price_list_id="pl-1")],
    )


def query(quantity: str = "3") -> PriceQuery:
    return PriceQuery(
        business_id="biz-1",
        location_id="loc-a",
        channel=Channel.POS,
        item_id="sku-1",
        quantity=Decimal(quantity),
        currency="USD",
        base_price=Money(2599, "USD"),
        at=NOW,
    )


@pytest.fixture
def writes(redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every command batch written to the server's socket from now on (one per round trip)."""
    assert redis_client.ping() is True  # connect (and its handshake) before counting
    connection_class = redis_client.connection_pool.connection_class
    send = connection_class.send_packed_command
    sent: list[object] = []

    def counting_send(self: object, command: object, *args: object, **kwargs: object) -> None:
        sent.append(command)
        send(self, command, *args, **kwargs)

    monkeypatch.setattr(connection_class, "send_packed_command", counting_send)
    yield sent
    monkeypatch.undo()


def _flat(command: object) -> bytes:
    parts = command if isinstance(command, list) else [command]
    return b"".join(bytes(part) for part in parts)


# -- keys, values, round trips -----------------------------------------------------------


def test_the_key_scheme_value_format_and_index_ttls(redis_client: redis.Redis) -> None:
    cache = RedisPriceCache(redis_client, ttl=timedelta(minutes=5))
    cache.set(key(), VALUE, price_list_ids=["pl-vip", "pl-1"])

    name = "pricekit:price:biz-1:loc-a:pos:product:sku-1:USD:2.5:-:2599"
    assert cache.key_of(key()) == name
    assert json.loads(redis_client.get(name) or b"") == {
        "v": 1,
        "unit_price_minor": "2399",
        "currency": "USD",
        "source": "price_list",
        "price_list_id": "pl-vip",
        "price_list_item_id": "it-9",
        "priority": 200,
        "min_qty": "2.5",
        "markdown_wave_id": None,
        "original_price_minor": None,
        "original_currency": None,
        "trace": None,
    }
    assert 290_000 < redis_client.pttl(name) <= 300_000
    indexes = [
        b"pricekit:idx:list:pl-vip",
        b"pricekit:idx:list:pl-1",
        b"pricekit:idx:item:biz-1:product:sku-1",
        b"pricekit:idx:biz:biz-1",
    ]
    assert sorted(redis_client.keys("pricekit:idx:*")) == sorted(
        [*indexes, b"pricekit:idx:businesses"]
    )
    for index in indexes:
        assert redis_client.smembers(index) == {name.encode()}
        assert 290_000 < redis_client.pttl(index) <= 300_000
    assert redis_client.smembers("pricekit:idx:businesses") == {b"biz-1"}

    # A longer entry lengthens the index; a shorter one never shortens it.
    cache.set(key("sku-2"), VALUE, price_list_ids=["pl-1"], ttl=timedelta(hours=1))
    cache.set(key("sku-3"), VALUE, price_list_ids=["pl-1"], ttl=timedelta(seconds=2))
    assert 3_590_000 < redis_client.pttl("pricekit:idx:list:pl-1") <= 3_600_000
    assert 290_000 < redis_client.pttl("pricekit:idx:list:pl-vip") <= 300_000
    assert 0 < redis_client.pttl(cache.key_of(key("sku-3"))) <= 2000
    # A TTL below a millisecond is rounded up to one, not to "no TTL".
    cache.set(key("sku-4"), VALUE, price_list_ids=[], ttl=timedelta(microseconds=10))
    assert redis_client.pttl(cache.key_of(key("sku-4"))) in (-2, 0, 1)


def test_ids_are_escaped_in_index_names(redis_client: redis.Redis) -> None:
    cache = RedisPriceCache(redis_client, prefix="p:")
    cache.set(key("sku:1", business_id="biz 1*"), VALUE, price_list_ids=["pl:[x]"])
    assert sorted(redis_client.keys("p:idx:*")) == [
        b"p:idx:biz:biz%201%2A",
        b"p:idx:businesses",
        b"p:idx:item:biz%201%2A:product:sku%3A1",
        b"p:idx:list:pl%3A%5Bx%5D",
    ]
    assert cache.invalidate_items("biz 1*", [(ItemType.PRODUCT, "sku:1")]) == 1
    # the business index lost the entry too, though only the item index was named
    assert redis_client.scard("p:idx:biz:biz%201%2A") == 0


def test_get_is_one_round_trip_and_set_one_transaction(
    redis_client: redis.Redis, writes: list[object]
) -> None:
    cache = RedisPriceCache(redis_client)
    cache.set(key(), VALUE, price_list_ids=["pl-1", "pl-2", "pl-3"])
    assert len(writes) == 1
    assert b"MULTI" in _flat(writes[0])
    assert cache.get(key()) == VALUE
    assert cache.get(key("sku-2")) is None
    assert len(writes) == 3
    # an invalidation: read the indexes, then delete in one transaction
    assert cache.invalidate_price_lists(["pl-1", "pl-2"]) == 1
    assert len(writes) == 5
    # nothing to drop: one round trip only
    assert cache.invalidate_price_lists(["pl-1"]) == 0
    assert len(writes) == 6


def test_a_golden_v1_value_is_read(redis_client: redis.Redis) -> None:
    """A value exactly as the first format writes it: later pricekits must still read it."""
    cache = RedisPriceCache(redis_client)
    golden = (
        '{"v":1,"unit_price_minor":"1999","currency":"KWD","source":"markdown",'
        '"price_list_id":"pl-1","price_list_item_id":"it-1","priority":100,"min_qty":"1.000",'
        '"markdown_wave_id":"wave-7","original_price_minor":"24999","original_currency":"KWD",'
        '"trace":[{"price_list_id":"pl-1","price_list_item_id":"it-1","outcome":"won",'
        '"reason":"only candidate","list_priority":100,"item_priority":0,"min_qty":"1",'
        '"price":{"amount":"24.999","currency":"KWD"},"scope":"global"}],'
        '"a_field_from_a_newer_minor_release":true}'
    )
    redis_client.set(cache.key_of(key()), golden)
    stored = cache.get(key())
    assert stored is not None
    assert stored.unit_price == Money(1999, "KWD")
    assert stored.source is PriceSource.MARKDOWN
    assert (stored.price_list_id, stored.price_list_item_id, stored.priority) == (
        "pl-1",
        "it-1",
        100,
    )
    assert str(stored.min_qty) == "1.000"
    assert (stored.markdown_wave_id, stored.original_price) == ("wave-7", Money(24999, "KWD"))
    assert stored.trace is not None
    assert [(t.outcome.value, t.price, t.scope) for t in stored.trace] == [
        ("won", Money(24999, "KWD"), "global")
    ]
    assert cache.stats().errors == 0


# -- bad input ---------------------------------------------------------------------------

GOOD = json.loads(
    '{"v":1,"unit_price_minor":"2399","currency":"USD","source":"price_list",'
    '"price_list_id":"pl-1","price_list_item_id":"it-2","priority":0,"min_qty":"2.5",'
    '"markdown_wave_id":null,"original_price_minor":null,"original_currency":null,"trace":null}'
)


def _with(**changes: object) -> bytes:
    doc = {**GOOD, **changes}
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


BAD_VALUES = {
    "not-json": b"2399",
    "truncated": json.dumps(GOOD).encode()[:-5],
    "not-utf8": b'{"v":1,"currency":"\xff"}',
    "a-list": b"[1, 2]",
    "null": b"null",
    "too-deep": b"[" * 100_000 + b"]" * 100_000,
    "future-version": _with(v=2),
    "version-as-string": _with(v="1"),
    "version-zero": _with(v=0),
    "no-version": _with(v=...),
    "missing-field": _with(trace=...),
    "minor-as-number": _with(unit_price_minor=2399),
    "minor-with-decimals": _with(unit_price_minor="23.99"),
    "minor-with-underscore": _with(unit_price_minor="2_399"),
    "unknown-currency": _with(currency="XXY"),
    "unknown-source": _with(source="coupon"),
    "priority-as-bool": _with(priority=True),
    "min-qty-not-a-number": _with(min_qty="two"),
    "min-qty-nan": _with(min_qty="NaN"),
    "min-qty-with-underscore": _with(min_qty="2_5"),
    "trace-not-entries": _with(trace=[{"price": "free"}]),
    "original-without-currency": _with(original_price_minor="2599"),
}


@pytest.mark.parametrize("raw", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_an_unreadable_value_is_a_logged_miss_then_overwritten(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    cache = RedisPriceCache(redis_client)
    the_book = book()
    resolver = CachedPriceResolver(lambda: the_book, cache)
    expected = the_book.resolve(query())
    # the key the resolver computes for query(): bucket 2.5, no validity epoch
    name = cache.key_of(key())
    redis_client.set(name, raw)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert cache.get(key()) is None
    assert [(r.name, r.levelno) for r in caplog.records] == [
        ("pricekit.ext.redis.prices", logging.WARNING)
    ]
    assert name in caplog.records[0].getMessage()
    assert redis_client.exists(name) == 0  # deleted
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.errors) == (0, 1, 1)
    assert cache.breaker.state is BreakerState.CLOSED

    # Through the resolver: a miss, the book's answer, stored over the bad value.
    redis_client.set(name, raw)
    assert resolver.resolve(query()) == expected
    assert json.loads(redis_client.get(name) or b"")["v"] == FORMAT_VERSION
    assert resolver.resolve(query()) == expected
    assert cache.stats().hits == 1
    assert resolver.errors == 0  # the cache degraded around it; nothing raised


def test_a_value_of_another_redis_type_is_a_logged_miss_then_overwritten(
    redis_client: redis.Redis,
) -> None:
    cache = RedisPriceCache(redis_client, breaker=CircuitBreaker(failures=2))
    name = cache.key_of(key())
    for _ in range(3):
        redis_client.hset(name, "price", "2399")
        assert cache.get(key()) is None  # Redis answered WRONGTYPE: unreadable, not down
        assert redis_client.exists(name) == 0  # deleted
    assert cache.breaker.state is BreakerState.CLOSED  # Redis answered: it is up
    assert cache.stats().errors == 3
    # the resolver's store overwrites it with a readable value
    redis_client.hset(name, "price", "2399")
    the_book = book()
    resolver = CachedPriceResolver(lambda: the_book, cache)
    assert resolver.resolve(query()) == the_book.resolve(query())
    assert resolver.errors == 0
    assert resolver.resolve(query()) == the_book.resolve(query())
    assert cache.stats().hits == 1


# -- sharing -----------------------------------------------------------------------------


def test_two_instances_share_entries_and_invalidations(
    redis_client: redis.Redis, redis_server: RedisExecutor
) -> None:
    url = f"redis://{redis_server.host}:{redis_server.port}/0"
    first, second = RedisPriceCache.from_url(url), RedisPriceCache.from_url(url)
    try:
        the_book = book()
        first_resolver = CachedPriceResolver(lambda: the_book, first)
        second_resolver = CachedPriceResolver(lambda: the_book, second)
        expected = the_book.resolve(query())
        assert first_resolver.resolve(query()) == expected  # a miss, stored
        assert second_resolver.resolve(query()) == expected  # a hit from the first's store
        assert (first.stats().misses, second.stats().hits) == (1, 1)
        assert second.stats().entries == 1
        assert second.invalidate_price_lists(["pl-1"]) == 1
        assert first.get(key()) is None
    finally:
        first.client.close()
        second.client.close()


def test_prefixes_keep_caches_apart(redis_client: redis.Redis) -> None:
    blue = RedisPriceCache(redis_client, prefix="blue:")
    green = RedisPriceCache(redis_client, prefix="green:")
    blue.set(key(), VALUE, price_list_ids=["pl-1"])
    green.set(key(), VALUE, price_list_ids=["pl-1"])
    assert green.clear_business("biz-1") == 1
    assert blue.get(key()) == VALUE
    assert green.get(key()) is None
    assert (blue.stats().entries, green.stats().entries) == (1, 0)
    assert blue.invalidate_price_lists(["pl-1"]) == 1


def test_a_large_invalidation_is_chunked(redis_client: redis.Redis) -> None:
    cache = RedisPriceCache(redis_client)
    count = 2100  # the DEL and SREM go in chunks of 1000 keys
    for n in range(count):
        cache.set(key(f"sku-{n}"), VALUE, price_list_ids=["pl-big"])
    assert cache.stats().entries == count
    assert cache.invalidate_price_lists(["pl-big"]) == count
    assert cache.stats().entries == 0
    assert redis_client.keys("pricekit:price:*") == []


# -- failures ----------------------------------------------------------------------------


def test_every_redis_error_becomes_backend_unavailable() -> None:
    port = port_for.select_random()  # nothing listens there
    breaker = CircuitBreaker(failures=100)
    cache = RedisPriceCache.from_url(
        f"redis://127.0.0.1:{port}/0", breaker=breaker, socket_connect_timeout=0.2
    )
    try:
        calls = {
            "get": lambda: cache.get(key()),
            "set": lambda: cache.set(key(), VALUE, price_list_ids=["pl-1"]),
            "invalidate_price_lists": lambda: cache.invalidate_price_lists(["pl-1"]),
            "invalidate_items": lambda: cache.invalidate_items(
                "biz-1", [(ItemType.PRODUCT, "sku-1")]
            ),
            "clear_business": lambda: cache.clear_business("biz-1"),
        }
        for name, call in calls.items():
            with pytest.raises(BackendUnavailableError) as caught:
                call()
            error = caught.value
            assert error.backend == "redis", name
            assert isinstance(error.__cause__, redis.ConnectionError), name
            assert "ConnectionError" in str(error), name
        # stats never raises: it reports what it knows and counts the failure
        stats = cache.stats()
        assert (stats.entries, stats.errors, stats.hits, stats.misses) == (0, 1, 0, 0)
        assert breaker.stats().failures == 6
        # a zero TTL stores nothing, so it does not even call Redis
        cache.set(key(), VALUE, price_list_ids=[], ttl=timedelta(0))
        assert breaker.stats().calls == 6
    finally:
        cache.client.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [({"ttl": timedelta(0)}, "ttl"), ({"ttl": 300}, "ttl"), ({"prefix": b"p:"}, "prefix")],
)
def test_bad_options_are_refused(
    redis_client: redis.Redis, options: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        RedisPriceCache(redis_client, **options)  # type: ignore[arg-type]
    assert caught.value.field == field
