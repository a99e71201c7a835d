"""The Redis deal cache: the shipped contract, the seed's stored shape, races, bad values, faults.

Everything runs on a real redis-server: the session's (``redis_client``), or a
private one this module starts and kills for the fault tests.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as day_time
from decimal import Decimal
from typing import Any

import port_for
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricekit.deals.models import (
    Deal,
    DealReward,
    DealSource,
    Dimension,
    Restriction,
    RewardMethod,
)
from pricekit.deals.ports import DealCache, DealCacheError
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis.deals import DEFAULT_INDEX_KEY, RedisDealCache, encode_deals
from pricekit.testing.contracts import DealCacheContract
from pricekit.testing.strategies import deal_lists
from pricekit.time import Weekday

pytestmark = pytest.mark.redis

LOC = "4b1c6b2e-0d8a-4f6e-9a53-0f1c2d3e4f50"  # a location UUID, as the seed keys them
KEY = f"discounts:{LOC}"
REDIS_SERVER_PATHS = ["redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server"]


def _deal(
    discount_id: str,
    *,
    location: str = LOC,
    source: str = "dutchie",
    name: str = "",
) -> Deal:
    mark = "_ptl_" if source == "ptl" else "_"
    return Deal(
        id=f"{location}{mark}{discount_id}",
        discount_id=discount_id,
        location_id=location,
        source=DealSource(source),
        name=name or f"Deal {discount_id}",
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal("12.5")),
    )


def _incoming(discount_id: str, *, location: str = LOC) -> Deal:
    """A deal as a PTL webhook brings it, before the merge gives it its PTL id."""
    return _deal(f"raw-{discount_id}", location=location).evolve(discount_id=discount_id)


def _ids(deals: list[Deal] | None) -> list[str] | None:
    return None if deals is None else [deal.id for deal in deals]


def _set_calls(client: redis.Redis) -> int:
    """How many SET commands the server has run (its command statistics)."""
    stats: dict[str, Any] = client.info("commandstats")
    return int(stats.get("cmdstat_set", {}).get("calls", 0))


class TestRedisDealCache(DealCacheContract):
    @pytest.fixture
    def deal_cache(self, redis_client: redis.Redis) -> DealCache:
        return RedisDealCache(redis_client)


# -- the stored shape ------------------------------------------------------------------------


def _rich_deal() -> Deal:
    return Deal(
        id=f"{LOC}_ptl_77",
        discount_id="77",
        location_id=LOC,
        source=DealSource.PTL,
        name="Wax Wednesday — 12.5% off",
        valid_from=datetime(2026, 3, 4, 8, tzinfo=UTC),
        days=frozenset({Weekday.WEDNESDAY, Weekday.SATURDAY}),
        start_time=day_time(22, 0),
        end_time=day_time(2, 30),
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal("12.5")),
        restrictions=(
            Restriction(dimension=Dimension.BRAND, ids=frozenset({"acme", "zen"})),
            Restriction(dimension=Dimension.CATEGORY, ids=frozenset({"wax"})),
            Restriction(dimension=Dimension.PRODUCT, ids=frozenset({"p-1"})),
            Restriction(dimension=Dimension.VENDOR, ids=frozenset({"farm"}), exclude=True),
        ),
    )


def test_the_key_holds_the_seeds_json_array_for_the_frontend(redis_client: redis.Redis) -> None:
    cache = RedisDealCache(redis_client)
    deals = [_deal("1001"), _rich_deal()]
    cache.replace(LOC, deals)

    assert redis_client.type(KEY) == b"string"
    assert redis_client.ttl(KEY) == -1  # never expires: a failed sync keeps the last menu
    raw = redis_client.get(KEY)
    assert isinstance(raw, bytes)
    # compact, UTF-8, as JSON.stringify writes it
    assert (
        raw
        == json.dumps(
            [d.to_record() for d in deals], ensure_ascii=False, separators=(",", ":")
        ).encode()
    )
    assert raw == encode_deals(deals)
    assert "—".encode() in raw
    stored = json.loads(raw)
    assert stored == [d.to_record() for d in deals]
    # what the seed's frontend reads: composite ids, day booleans, the arrays, the source
    dutchie, ptl = stored
    assert (dutchie["id"], dutchie["source"]) == (f"{LOC}_1001", "dutchie")
    assert all(dutchie[day] is True for day in ("monday", "wednesday", "sunday"))
    assert (ptl["id"], ptl["source"], ptl["discount_id"]) == (f"{LOC}_ptl_77", "ptl", "77")
    assert [ptl[d] for d in ("monday", "wednesday", "saturday")] == [False, True, True]
    assert ptl["brands"] == ["acme", "zen"]
    assert ptl["product_categories"] == ["wax"]
    assert ptl["products"] == ["p-1"]
    assert ptl["start_time"] == "22:00:00"
    assert cache.get(LOC) == deals
    assert redis_client.smembers(DEFAULT_INDEX_KEY) == {LOC.encode()}

    cache.replace(LOC, [])
    assert redis_client.get(KEY) == b"[]"
    assert cache.get(LOC) == []


def test_a_merge_writes_the_same_shape(redis_client: redis.Redis) -> None:
    cache = RedisDealCache(redis_client)
    cache.replace(LOC, [_deal("1001"), _deal("7", source="ptl")])
    merged = cache.merge_ptl(LOC, [_incoming("501")])
    assert _ids(merged) == [f"{LOC}_1001", f"{LOC}_ptl_501"]
    assert redis_client.get(KEY) == encode_deals(merged)
    assert json.loads(redis_client.get(KEY) or b"")[1]["source"] == "ptl"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deals=deal_lists(location_id=LOC, max_size=5))
def test_any_set_is_stored_as_its_records_and_read_back_whole(
    redis_client: redis.Redis, deals: list[Deal]
) -> None:
    cache = RedisDealCache(redis_client)
    cache.replace(LOC, deals)
    raw = redis_client.get(KEY)
    assert json.loads(raw or b"") == [deal.to_record() for deal in deals]
    back = cache.get(LOC)
    assert back == deals
    assert back is not None
    for found, expected in zip(back, deals, strict=True):
        for name in Deal.model_fields:
            assert getattr(found, name) == getattr(expected, name), name


def test_a_prefix_goes_before_every_key(redis_client: redis.Redis) -> None:
    plain = RedisDealCache(redis_client)
    tenant = RedisDealCache(redis_client, prefix="tenant-a:")
    assert tenant.key(LOC) == f"tenant-a:{KEY}"
    tenant.replace(LOC, [_deal("1")])
    tenant.merge_ptl("loc-2", [])
    assert set(redis_client.keys("*")) == {
        b"tenant-a:discounts:loc-2",
        f"tenant-a:{KEY}".encode(),
        f"tenant-a:{DEFAULT_INDEX_KEY}".encode(),
    }
    assert plain.get(LOC) is None
    assert plain.locations() == []
    assert tenant.locations() == [LOC, "loc-2"]
    with pytest.raises(InvalidValueError) as empty:
        tenant.get("")
    assert empty.value.field == "location_id"


def test_a_client_that_decodes_replies_works_the_same(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        cache = RedisDealCache(client)
        cache.replace(LOC, [_deal("1001")])
        assert _ids(cache.merge_ptl(LOC, [_incoming("501")])) == [f"{LOC}_1001", f"{LOC}_ptl_501"]
        assert _ids(cache.get(LOC)) == [f"{LOC}_1001", f"{LOC}_ptl_501"]
        client.set("discounts:seed-loc", "[]")
        assert cache.reindex() == ["seed-loc"]
        assert cache.locations() == [LOC, "seed-loc"]
        assert client.get(KEY) == encode_deals(cache.get(LOC) or []).decode()
    finally:
        client.close()


def test_max_attempts_must_be_at_least_one(redis_client: redis.Redis) -> None:
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InvalidValueError) as info:
            RedisDealCache(redis_client, max_attempts=bad)  # type: ignore[arg-type]
        assert info.value.field == "max_attempts"


# -- locations -------------------------------------------------------------------------------


def test_locations_come_from_the_index_and_keys_of_others_join_by_reindex(
    redis_client: redis.Redis,
) -> None:
    cache = RedisDealCache(redis_client)
    cache.replace("loc-b", [])
    cache.replace("loc-a", [_deal("1", location="loc-a")])
    # the seed's own pipeline wrote a key; an unrelated key looks alike but is not one
    redis_client.set(
        "discounts:seed-loc", json.dumps([_deal("9", location="seed-loc").to_record()])
    )
    redis_client.set("discounts-archive:x", "[]")
    redis_client.set("discounts:[odd]*", "[]")
    assert cache.locations() == ["loc-a", "loc-b"]

    assert cache.reindex() == ["[odd]*", "seed-loc"]
    assert cache.locations() == ["[odd]*", "loc-a", "loc-b", "seed-loc"]
    assert _ids(cache.get("seed-loc")) == ["seed-loc_9"]
    assert cache.reindex() == []

    # a key deleted behind the cache's back is not listed (get answers None for it)
    redis_client.delete("discounts:loc-b")
    assert cache.locations() == ["[odd]*", "loc-a", "seed-loc"]
    assert cache.get("loc-b") is None

    tenant = RedisDealCache(redis_client, prefix="t[1]:")
    redis_client.set("t[1]:discounts:x", "[]")
    assert tenant.reindex() == ["x"]  # the prefix is matched literally
    assert tenant.locations() == ["x"]


# -- bad values ------------------------------------------------------------------------------


def _record(**changes: Any) -> dict[str, Any]:
    return {**_deal("1001").to_record(), **changes}


_CORRUPT = {
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe[]",
    "an object": b'{"deals": []}',
    "a number": b"42",
    "null": b"null",
    "a string": b'"[]"',
    "an array of numbers": b"[1, 2]",
    "a record missing its reward": json.dumps([{"id": f"{LOC}_1", "name": "x"}]).encode(),
    "a bad reward": json.dumps([_record(reward={"method": "bogus"})]).encode(),
    "an unknown field": json.dumps([_record(colour="red")]).encode(),
    "a bad time zone": json.dumps([_record(time_zone="Mars/Olympus")]).encode(),
    "a deal of another location": json.dumps(
        [_record(), _deal("2", location="loc-9").to_record()]
    ).encode(),
    "one id twice": json.dumps([_record(), _record(name="again")]).encode(),
    "nested too deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("raw", list(_CORRUPT.values()), ids=list(_CORRUPT))
def test_a_value_pricekit_cannot_read_is_an_error_never_no_deals(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    cache = RedisDealCache(redis_client)
    redis_client.set(KEY, raw)
    redis_client.sadd(DEFAULT_INDEX_KEY, LOC)

    with (
        caplog.at_level(logging.WARNING, logger="pricekit.ext.redis.deals"),
        pytest.raises(DealCacheError) as read,
    ):
        cache.get(LOC)
    assert read.value.location_id == LOC
    assert (read.value.backend, read.value.operation) == ("redis", "read")
    assert KEY in str(read.value)
    assert isinstance(read.value, BackendUnavailableError)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert KEY in caplog.records[0].getMessage()

    # a merge would drop the Dutchie deals it cannot read: it refuses, writes nothing
    before = _set_calls(redis_client)
    with pytest.raises(DealCacheError) as merge:
        cache.merge_ptl(LOC, [_incoming("501")])
    assert merge.value.operation == "merge a PTL publication into"
    assert redis_client.get(KEY) == raw
    assert _set_calls(redis_client) == before
    assert cache.locations() == [LOC]  # listing does not read the value

    cache.replace(LOC, [_deal("1002")])  # a whole new set mends it
    assert _ids(cache.get(LOC)) == [f"{LOC}_1002"]


def test_a_key_of_another_redis_type_is_an_error_until_replaced(
    redis_client: redis.Redis,
) -> None:
    cache = RedisDealCache(redis_client)
    redis_client.hset(KEY, "x", "y")
    for call in (lambda: cache.get(LOC), lambda: cache.merge_ptl(LOC, [])):
        with pytest.raises(DealCacheError, match="WRONGTYPE") as info:
            call()
        assert info.value.location_id == LOC
    assert redis_client.type(KEY) == b"hash"
    cache.replace(LOC, [])
    assert cache.get(LOC) == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
_FIELDS = sorted(_record())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        _JSON,
        st.builds(lambda name, v: [_record(**{name: v})], st.sampled_from(_FIELDS), _JSON),
        st.builds(
            lambda name: [{k: v for k, v in _record().items() if k != name}],
            st.sampled_from(_FIELDS),
        ),
    )
)
def test_whatever_json_is_stored_a_read_answers_deals_or_a_deal_cache_error(
    redis_client: redis.Redis, value: Any
) -> None:
    cache = RedisDealCache(redis_client)
    redis_client.set(KEY, json.dumps(value))
    failure: DealCacheError | None = None
    try:
        deals = cache.get(LOC)
    except DealCacheError as exc:  # anything else fails the test
        failure = exc
    if failure is None:
        assert isinstance(deals, list)
        assert all(isinstance(deal, Deal) for deal in deals)
    else:
        assert failure.location_id == LOC


def test_records_of_an_older_shape_read_with_their_defaults(redis_client: redis.Redis) -> None:
    cache = RedisDealCache(redis_client)
    # the seed's own row: no restrictions, the three arrays, day booleans, a few columns
    seed_row = {
        "id": f"{LOC}_1001",
        "discount_id": "1001",
        "location_id": LOC,
        "source": "dutchie",
        "name": "Brand Day",
        "products": [],
        "brands": ["acme"],
        "product_categories": ["flower", "edibles"],
        "monday": True,
        "tuesday": False,
        "wednesday": False,
        "thursday": False,
        "friday": True,
        "saturday": False,
        "sunday": False,
        "reward": {"method": "percent_off", "percent": "20"},
    }
    # an older pricekit record: only what it knew then
    older = {
        key: value
        for key, value in _rich_deal().to_record().items()
        if key
        not in (
            "description",
            "online_name",
            "menu_rank",
            "application_method",
            "enabled",
            "time_zone",
            "first_time_customer_only",
            "can_stack",
            "available_online",
            "unmapped",
            "currency",
        )
    }
    redis_client.set(KEY, json.dumps([seed_row, older]))
    seed_deal, older_deal = cache.get(LOC) or []
    assert seed_deal.days == frozenset({Weekday.MONDAY, Weekday.FRIDAY})
    assert seed_deal.ids_of(Dimension.BRAND) == {"acme"}
    assert seed_deal.ids_of(Dimension.CATEGORY) == {"flower", "edibles"}
    assert seed_deal.ids_of(Dimension.PRODUCT) == frozenset()
    assert (seed_deal.enabled, seed_deal.time_zone, seed_deal.currency) == (True, "UTC", "USD")
    assert older_deal == _rich_deal()  # every dropped field was at its default

    merged = cache.merge_ptl(LOC, [_incoming("502")])  # and the set merges as usual
    assert _ids(merged) == [f"{LOC}_1001", f"{LOC}_ptl_502"]


# -- concurrency -----------------------------------------------------------------------------

WORKERS = 20


def _release_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(0..count-1)`` on threads released at one moment; the results, in order."""
    barrier = threading.Barrier(count, timeout=60)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def test_twenty_ptl_merges_at_once_on_their_own_clients_lose_nothing(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """20 webhooks, each with its own client and a different deal, merged at one moment.

    Each publication is the location's whole PTL set, so the end holds the Dutchie
    deals and one whole publication; every merge returned the Dutchie deals and its
    own deal, and wrote exactly once (the server ran 20 SETs, no more, no fewer).
    """
    dutchie = [_deal("1001"), _deal("1002")]
    RedisDealCache(redis_client).replace(LOC, [*dutchie, _deal("7", source="ptl")])
    caches = [RedisDealCache.from_url(redis_url, socket_timeout=5) for _ in range(WORKERS)]
    before = _set_calls(redis_client)
    try:
        returned = _release_together(
            WORKERS, lambda n: _ids(caches[n].merge_ptl(LOC, [_incoming(f"p{n}")]))
        )
    finally:
        for cache in caches:
            cache.client.close()
    dutchie_ids = [d.id for d in dutchie]
    for n, ids in enumerate(returned):
        assert ids == [*dutchie_ids, f"{LOC}_ptl_p{n}"]
    assert _set_calls(redis_client) - before == WORKERS
    final = RedisDealCache(redis_client).get(LOC) or []
    final_ids = [deal.id for deal in final]
    assert final_ids[:2] == dutchie_ids
    assert final_ids[2:] in [[f"{LOC}_ptl_p{n}"] for n in range(WORKERS)]
    assert redis_client.get(KEY) == encode_deals(final)  # the seed's shape, after the race


def test_a_merge_that_keeps_losing_the_race_gives_up_and_writes_nothing(
    redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rival writes the key between every WATCHed read and the write: the merge gives up.

    The rival is a real second client writing to the real server; the merge's own
    client is wrapped only to let it write at that moment, every time.
    """
    rival = RedisDealCache.from_url(redis_url)
    cache = RedisDealCache(redis_client, max_attempts=3)
    cache.replace(LOC, [_deal("1001")])
    rival_set = [_deal("1001"), _deal("1003")]
    reads: list[str] = []
    make_pipeline = redis_client.pipeline

    def pipeline_with_a_rival(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        watched_get = pipe.get

        def get_then_the_rival_writes(key: str) -> Any:
            value = watched_get(key)
            reads.append(key)
            rival.replace(LOC, rival_set)
            return value

        pipe.get = get_then_the_rival_writes
        return pipe

    monkeypatch.setattr(redis_client, "pipeline", pipeline_with_a_rival)
    before = _set_calls(redis_client)
    with pytest.raises(DealCacheError, match="3 times in a row") as info:
        cache.merge_ptl(LOC, [_incoming("501")])
    monkeypatch.undo()
    rival.client.close()
    assert info.value.location_id == LOC
    assert info.value.operation == "merge a PTL publication into"
    assert reads == [KEY] * 3
    assert _set_calls(redis_client) - before == 3  # the rival's three; none of the merge's
    assert cache.get(LOC) == rival_set
    # without the rival, the same merge goes through at once
    assert _ids(cache.merge_ptl(LOC, [_incoming("501")])) == [
        f"{LOC}_1001",
        f"{LOC}_1003",
        f"{LOC}_ptl_501",
    ]


# Spawned children import this module, then run this function with what they are given.


def _race_in_a_process(
    url: str, process: int, shape: tuple[int, int], barrier: Any, results: Any
) -> None:
    """``shape`` = (threads, rounds): a process's workers, each its own client, racing.

    Worker 0 of process 0 is the sync: it sets the round's old set before the race
    and replaces it with the new one during it, then reads the end of the round.
    Every other worker merges its own PTL deal during the race.
    """
    threads, rounds = shape

    def worker(thread: int) -> None:
        me = process * threads + thread
        cache = RedisDealCache.from_url(url, socket_timeout=10)
        try:
            for r in range(rounds):
                if me == 0:
                    cache.replace(LOC, [_deal(f"old{r}-a"), _deal(f"old{r}-b")])
                barrier.wait()
                if me == 0:
                    cache.replace(LOC, [_deal(f"new{r}-a"), _deal(f"new{r}-b")])
                else:
                    results.put(
                        ("merged", r, me, _ids(cache.merge_ptl(LOC, [_incoming(f"p{me}")])))
                    )
                barrier.wait()
                if me == 0:
                    results.put(("final", r, me, cache.client.get(KEY)))
        finally:
            cache.client.close()

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def test_merges_from_four_processes_racing_a_sync_never_bring_back_a_stale_set(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """4 processes x 5 threads, each its own client: 19 merges and one sync replace at once.

    A merge that read the old set and wrote after the sync would bring the old
    Dutchie deals back; WATCH makes it start again from the sync's set. 6 rounds.
    """
    processes, threads, rounds = 4, 5, 6
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes * threads, timeout=120)
    results = spawn.Queue()
    children = [
        spawn.Process(
            target=_race_in_a_process,
            args=(redis_url, p, (threads, rounds), barrier, results),
        )
        for p in range(processes)
    ]
    for child in children:
        child.start()
    expected = rounds * processes * threads  # 19 merges and one final per round
    seen = [results.get(timeout=180) for _ in range(expected)]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    results.close()
    results.join_thread()

    for r in range(rounds):
        old = [f"{LOC}_old{r}-a", f"{LOC}_old{r}-b"]
        new = [f"{LOC}_new{r}-a", f"{LOC}_new{r}-b"]
        merges = {me: ids for kind, rr, me, ids in seen if kind == "merged" and rr == r}
        assert sorted(merges) == list(range(1, processes * threads))
        for me, ids in merges.items():
            assert ids[:2] in (old, new), f"round {r}: merge {me} mixed two sets"
            assert ids[2:] == [f"{LOC}_ptl_p{me}"]
        (raw,) = [ids for kind, rr, _, ids in seen if kind == "final" and rr == r]
        final = [record["id"] for record in json.loads(raw)]
        assert final[:2] == new, f"round {r}: a merge wrote back the set the sync replaced"
        assert final[2:] in [[], *[[f"{LOC}_ptl_p{me}"] for me in merges]]


# -- a dead server ---------------------------------------------------------------------------


def _assert_every_call_fails(cache: RedisDealCache) -> None:
    """Every call raises DealCacheError, quickly; none answers "no deals"."""
    calls: dict[str, Callable[[], object]] = {
        "read": lambda: cache.get(LOC),
        "replace": lambda: cache.replace(LOC, [_deal("1")]),
        "merge a PTL publication into": lambda: cache.merge_ptl(LOC, []),
        "list": cache.locations,
        "index": cache.reindex,
    }
    for operation, call in calls.items():
        begun = time.monotonic()
        with pytest.raises(DealCacheError) as info:
            call()
        assert time.monotonic() - begun < 3, operation
        assert info.value.operation == operation
        assert info.value.backend == "redis"
        assert info.value.location_id == (None if operation in ("list", "index") else LOC)
        assert "ConnectionError" in info.value.cause or "TimeoutError" in info.value.cause
        assert isinstance(info.value.__cause__, redis.RedisError)


def test_a_closed_port_is_an_error_never_no_deals() -> None:
    port = port_for.select_random()
    cache = RedisDealCache.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.2)
    _assert_every_call_fails(cache)


def test_a_server_that_never_answers_times_out_as_an_error() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        cache = RedisDealCache.from_url(
            f"redis://127.0.0.1:{port}/0", socket_timeout=0.1, socket_connect_timeout=0.1
        )
        with pytest.raises(DealCacheError, match="Timeout") as info:
            cache.get(LOC)
        assert info.value.location_id == LOC


@contextmanager
def _private_redis(binary: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server on 127.0.0.1:``port``, no persistence; killed on exit."""
    with tempfile.TemporaryDirectory(prefix="pricekit-redis-") as workdir:
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            probe = redis.Redis(port=port, socket_connect_timeout=0.2)
            deadline = time.monotonic() + 10
            while True:
                try:
                    probe.ping()
                    break
                except redis.ConnectionError:
                    assert server.poll() is None, "redis-server exited at start"
                    assert time.monotonic() < deadline, "redis-server never answered"
                    time.sleep(0.02)
            probe.close()
            yield server
        finally:
            server.kill()
            server.wait(timeout=10)


def test_a_server_killed_and_restarted_fails_reads_then_recovers(
    require_binary: Callable[[list[str], str], str],
) -> None:
    binary = require_binary(REDIS_SERVER_PATHS, "redis-server not found; install redis-server")
    port = port_for.select_random()
    cache = RedisDealCache.from_url(f"redis://127.0.0.1:{port}/0")
    with _private_redis(binary, port) as server:
        cache.replace(LOC, [_deal("1001")])
        assert _ids(cache.get(LOC)) == [f"{LOC}_1001"]
        server.kill()
        server.wait(timeout=10)
        _assert_every_call_fails(cache)
    with _private_redis(binary, port):  # back, empty (no persistence)
        assert cache.get(LOC) is None  # the same client reconnects by itself
        assert _ids(cache.merge_ptl(LOC, [_incoming("501")])) == [f"{LOC}_ptl_501"]
        assert cache.locations() == [LOC]
    cache.client.close()
