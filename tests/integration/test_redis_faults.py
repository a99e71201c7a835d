"""Redis going away, coming back, and going slow: prices keep being right, the cache recovers.

The circuit breaker is tested on its own first (an injected clock, no Redis).
Then a private ``redis-server`` (its own port, started and killed here; the
session's server is never touched) runs under a ``CachedPriceResolver``: killed
in the middle of a run of resolutions, restarted on the same port, and paused
with ``CLIENT PAUSE`` to act as a server that stopped answering.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import port_for
import pytest
import redis

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis._breaker import BreakerState, CircuitBreaker
from pricekit.ext.redis.prices import RedisPriceCache
from pricekit.money import Money
from pricekit.pricing import (
    CachedPriceResolver,
    Channel,
    PriceBook,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    ResolvedPrice,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SOCKET_TIMEOUT = 0.2
COOLDOWN = timedelta(seconds=30)
REDIS_SERVER_PATHS = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by.total_seconds()


# -- the breaker on its own --------------------------------------------------------------


class BoomError(Exception):
    pass


def fail() -> None:
    raise BoomError("down")


def test_the_breaker_opens_after_consecutive_failures_only() -> None:
    clock = Seconds()
    breaker = CircuitBreaker(failures=3, cooldown=COOLDOWN, clock=clock)
    for _ in range(2):
        with pytest.raises(BoomError):
            breaker.call("read", fail)
    assert breaker.call("read", lambda: "ok") == "ok"  # a success resets the count
    for _ in range(2):
        with pytest.raises(BoomError):
            breaker.call("read", fail)
    assert breaker.state is BreakerState.CLOSED
    with pytest.raises(BoomError):
        breaker.call("read", fail)
    assert breaker.state is BreakerState.OPEN

    called: list[str] = []
    with pytest.raises(BackendUnavailableError) as caught:
        breaker.call("read a price", lambda: called.append("x"))
    assert called == []  # failed fast, without calling
    assert (caught.value.backend, caught.value.operation) == ("redis", "read a price")
    assert "circuit breaker open" in str(caught.value)
    stats = breaker.stats()
    assert (stats.state, stats.calls, stats.failures, stats.rejected, stats.trips) == (
        BreakerState.OPEN,
        6,
        5,
        1,
        1,
    )


def test_after_the_cooldown_one_probe_decides() -> None:
    clock = Seconds()
    breaker = CircuitBreaker(failures=1, cooldown=COOLDOWN, clock=clock)
    with pytest.raises(BoomError):
        breaker.call("read", fail)
    clock.advance(COOLDOWN - timedelta(milliseconds=1))
    with pytest.raises(BackendUnavailableError):
        breaker.call("read", lambda: None)

    # The probe fails: open again for a whole cooldown.
    clock.advance(timedelta(milliseconds=1))
    with pytest.raises(BoomError):
        breaker.call("read", fail)
    assert breaker.state is BreakerState.OPEN
    assert breaker.stats().trips == 2
    clock.advance(COOLDOWN / 2)
    with pytest.raises(BackendUnavailableError):
        breaker.call("read", lambda: None)

    # The next probe is in flight: every other call still fails fast.
    clock.advance(COOLDOWN)
    probing, release = threading.Event(), threading.Event()

    def probe() -> str:
        probing.set()
        assert release.wait(5)
        return "up"

    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(breaker.call("read", probe)))
    thread.start()
    assert probing.wait(5)
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(BackendUnavailableError):
        breaker.call("read", lambda: None)
    release.set()
    thread.join()
    assert result == ["up"]
    assert breaker.state is BreakerState.CLOSED
    assert breaker.call("read", lambda: 7) == 7


def test_errors_outside_the_failure_types_mean_the_backend_answered() -> None:
    breaker = CircuitBreaker(failures=1, clock=Seconds())
    for _ in range(3):
        with pytest.raises(KeyError):
            breaker.call("read", lambda: {}["x"], failure_types=(BoomError,))
    assert breaker.state is BreakerState.CLOSED
    with pytest.raises(BoomError):
        breaker.call("read", fail, failure_types=(BoomError,))
    assert breaker.state is BreakerState.OPEN


def test_an_interrupted_probe_leaves_the_next_call_to_probe() -> None:
    clock = Seconds()
    breaker = CircuitBreaker(failures=1, cooldown=COOLDOWN, clock=clock)
    with pytest.raises(BoomError):
        breaker.call("read", fail)
    clock.advance(COOLDOWN)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        breaker.call("read", interrupted)
    assert breaker.state is BreakerState.OPEN
    assert breaker.stats().trips == 1  # no verdict, no new trip
    assert breaker.call("read", lambda: "probe") == "probe"
    assert breaker.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"failures": 0}, "failures"),
        ({"failures": 2.0}, "failures"),
        ({"cooldown": timedelta(0)}, "cooldown"),
        ({"cooldown": 30}, "cooldown"),
    ],
)
def test_bad_breaker_options_are_refused(options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        CircuitBreaker(**options)  # type: ignore[arg-type]
    assert caught.value.field == field


# -- a private redis-server ----------------------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` of the test's own, on a fixed port, that it may kill and restart."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port_for.select_random()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"redis-server did not start on port {self.port}:\n"
                            + (self.directory / "redis.log").read_text(errors="replace")
                        ) from None
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None


@pytest.fixture
def private_redis(
    require_binary: Callable[[list[str], str], str], tmp_path: Path
) -> Iterator[PrivateRedis]:
    binary = require_binary(
        ["redis-server", *REDIS_SERVER_PATHS],
        "redis-server not found on PATH or at "
        f"{', '.join(REDIS_SERVER_PATHS)}; install it (apt-get install redis-server)",
    )
    server = PrivateRedis(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.kill()


# -- fixed pricing data ------------------------------------------------------------------

PRODUCTS = [f"sku-{n}" for n in range(10)]


def fixed_book() -> PriceBook:
    """A retail list everywhere, a dearer-tier list at loc-a for half the products."""
    retail = PriceList(id="pl-retail", business_id="biz", name="retail", currency="USD")
    local = PriceList(id="pl-loc-a", business_id="biz", name="loc-a", currency="USD", priority=200)
    items = []
    for n, product in enumerate(PRODUCTS):
        items += [
            PriceListItem(
                id=f"r-{n}",
                price_list_id="pl-retail",
                item_id=product,
                price=Money(1000 + n, "USD"),
            ),
            PriceListItem(
                id=f"r5-{n}",
                price_list_id="pl-retail",
                item_id=product,
                price=Money(900 + n, "USD"),
                min_qty=Decimal(5),
            ),
        ]
        if n % 2 == 0:
            items.append(
                PriceListItem(
                    id=f"l-{n}",
                    price_list_id="pl-loc-a",
                    item_id=product,
                    price=Money(950 + n, "USD"),
                    min_qty=Decimal("2.5"),
                )
            )
    return PriceBook(
        lists=[retail, local],
        items=items,
        scopes=[
            PriceListScope(id="sc-retail", price_list_id="pl-retail"),
            PriceListScope(id="sc-loc-a", price_list_id="pl-loc-a", location_id="loc-a"),
        ],
    )


def fixed_queries() -> list[PriceQuery]:
    return [
        PriceQuery(
            business_id="biz",
            location_id=location,
            channel=Channel.POS,
            item_id=product,
            quantity=Decimal(quantity),
            currency="USD",
            base_price=Money(2599, "USD"),
            at=NOW,
        )
        for product in PRODUCTS
        for location in ("loc-a", "loc-b")
        for quantity in ("1", "3", "6")
    ]


def resolver_on(
    server: PrivateRedis, breaker: CircuitBreaker
) -> tuple[CachedPriceResolver, RedisPriceCache, PriceBook]:
    book = fixed_book()
    cache = RedisPriceCache.from_url(
        server.url,
        breaker=breaker,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
    )
    return CachedPriceResolver(lambda: book, cache), cache, book


@pytest.fixture
def quiet_degradation(caplog: pytest.LogCaptureFixture) -> None:
    """The resolver logs each failure with its traceback; keep them out of the report."""
    caplog.set_level(logging.CRITICAL, logger="pricekit")


# -- the server dies and comes back ------------------------------------------------------


def test_resolutions_stay_right_while_redis_dies_and_the_cache_recovers(
    private_redis: PrivateRedis, quiet_degradation: None
) -> None:
    clock = Seconds()
    breaker = CircuitBreaker(failures=5, cooldown=COOLDOWN, clock=clock)
    resolver, cache, book = resolver_on(private_redis, breaker)
    queries = fixed_queries()
    expected = [book.resolve(q) for q in queries]
    assert len({e.unit_price for e in expected}) > 10  # the answers differ: a mix-up shows

    def run(rounds: int = 1, *, kill_at: int | None = None) -> list[ResolvedPrice]:
        got = []
        for n in range(rounds * len(queries)):
            if n == kill_at:
                private_redis.kill()
            got.append(resolver.resolve(queries[n % len(queries)]))
        return got

    try:
        # Healthy: a cold pass fills the cache, the next one hits.
        assert run() == expected
        assert run() == expected
        assert (cache.stats().hits, cache.stats().misses) == (len(queries), len(queries))
        assert resolver.errors == 0

        # Killed in the middle of a run: every answer is still the book's.
        started = time.monotonic()
        assert run(4, kill_at=len(queries) // 2) == expected * 4
        down_for = time.monotonic() - started
        assert resolver.errors > 0
        opened = breaker.stats()
        assert opened.state is BreakerState.OPEN
        assert opened.trips == 1
        assert opened.failures == 5

        # While open, Redis is not called at all, and resolving is fast.
        before = time.monotonic()
        assert run(3) == expected * 3
        assert time.monotonic() - before < 3.0  # 180 resolutions; each would wait on a socket
        still = breaker.stats()
        assert still.calls == opened.calls  # nothing reached the client
        assert still.rejected >= opened.rejected + 3 * len(queries)  # one refused get each
        errors_while_down = resolver.errors
        assert errors_while_down >= 3 * len(queries)
        assert down_for < 10.0

        # Back on the same port. Before the cooldown the breaker still keeps off it.
        private_redis.start()
        assert run() == expected
        assert breaker.stats().calls == opened.calls
        clock.advance(COOLDOWN)

        # The probe succeeds, the cache refills, and hits climb again.
        hits = cache.stats().hits
        assert run() == expected  # a cold pass on the fresh, empty server
        assert breaker.state is BreakerState.CLOSED
        assert breaker.stats().calls > opened.calls
        assert run(2) == expected * 2
        assert cache.stats().hits - hits == 2 * len(queries)
        # one entry per query (its three quantities fall in three buckets), none lost
        assert cache.stats().entries == len(_keys(cache)) == len(queries)
        # the pass before the cooldown: one refused get each (no store is tried)
        assert resolver.errors == errors_while_down + len(queries)
    finally:
        cache.client.close()


def _keys(cache: RedisPriceCache) -> list[str]:
    return [name.decode() for name in cache.client.keys(cache.prefix + "price:*")]


# -- the server stops answering ----------------------------------------------------------


def test_a_server_that_stops_answering_times_out_and_degrades_instead_of_hanging(
    private_redis: PrivateRedis, quiet_degradation: None
) -> None:
    clock = Seconds()
    breaker = CircuitBreaker(failures=5, cooldown=COOLDOWN, clock=clock)
    resolver, cache, book = resolver_on(private_redis, breaker)
    queries = fixed_queries()[:12]
    expected = [book.resolve(q) for q in queries]
    admin = redis.Redis(port=private_redis.port, socket_timeout=10)
    try:
        assert [resolver.resolve(q) for q in queries] == expected  # warm
        pause = 2.0
        admin.execute_command("CLIENT", "PAUSE", int(pause * 1000), "ALL")
        paused_at = time.monotonic()

        slowest = 0.0
        for q, e in zip(queries, expected, strict=True):
            began = time.monotonic()
            assert resolver.resolve(q) == e
            slowest = max(slowest, time.monotonic() - began)
        # A get that times out, and no store after it: never more than one timeout.
        assert slowest < SOCKET_TIMEOUT + 0.5
        assert time.monotonic() - paused_at < pause  # degraded well before the pause ended
        assert breaker.state is BreakerState.OPEN
        assert resolver.errors >= len(queries)
        timed_out = breaker.stats()
        assert timed_out.failures == 5

        admin.ping()  # waits for the pause to end
        clock.advance(COOLDOWN)
        assert [resolver.resolve(q) for q in queries] == expected
        assert breaker.state is BreakerState.CLOSED
        hits = cache.stats().hits
        assert [resolver.resolve(q) for q in queries] == expected
        assert cache.stats().hits == hits + len(queries)
    finally:
        admin.close()
        cache.client.close()
