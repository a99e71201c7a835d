"""The Redis deal cache on a real redis-server over loopback (bar: refresh 50 x 500).

- the sync's cache refresh (:class:`~pricekit.sync.phases.CacheRefreshPhase`):
  every location's deals written with one atomic ``replace`` each, as the seed's
  JSON array under ``discounts:{location}``;
- one ``get`` of a 500-deal location (what a menu request costs);
- one PTL merge into a 500-deal location (``WATCH``, read, merge, ``MULTI``/``EXEC``).

The server is the integration suite's session ``redis-server`` (pytest-redis),
its fixtures imported here; the client connects over TCP to 127.0.0.1, as a
host on the same machine would. `make test` runs a small scale once; `make bench`
(PRICEKIT_BENCH_FULL=1) runs the full one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis
from pytest_benchmark.fixture import BenchmarkFixture
from pytest_redis.executor import RedisExecutor
from tests.integration.conftest import redis_server

from benchmarks._deal_data import deal
from pricekit.deals.models import Deal
from pricekit.ext.redis.deals import RedisDealCache
from pricekit.sync.phases import DEALS, CacheRefreshPhase
from pricekit.sync.ports import Location
from pricekit.sync.runner import PhaseStatus, SyncContext

__all__ = ["redis_server"]

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
SCALES = [(50, 500)] if FULL else [(5, 50)]
AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@dataclass
class Fleet:
    cache: RedisDealCache
    stores: list[Location]
    deals: dict[str, list[Deal]]


@pytest.fixture(scope="module", params=SCALES, ids=[f"{loc}x{d}" for loc, d in SCALES])
def fleet(request: pytest.FixtureRequest, redis_server: RedisExecutor) -> Iterator[Fleet]:
    locations, per_location = request.param
    stores = [Location(f"loc-{n:03d}", "America/Phoenix") for n in range(locations)]
    deals = {s.location_id: [deal(s.location_id, n) for n in range(per_location)] for s in stores}
    client = redis.Redis(host=redis_server.host, port=redis_server.port, db=0)
    client.flushdb()
    try:
        yield Fleet(RedisDealCache(client), stores, deals)
    finally:
        client.flushdb()
        client.close()


def test_bench_redis_cache_refresh(benchmark: BenchmarkFixture, fleet: Fleet) -> None:
    """The sync's cache phase: one atomic replace per location, every deal encoded."""
    phase = CacheRefreshPhase(fleet.cache)

    def refresh() -> PhaseStatus:
        context = SyncContext(run_id="bench", at=AT, locations=fleet.stores, emit=lambda _: None)
        context.state[DEALS] = fleet.deals
        result = phase.run(context)
        return PhaseStatus.FAILED if result.errors or result.warnings else PhaseStatus.OK

    assert benchmark(refresh) is PhaseStatus.OK
    assert fleet.cache.locations() == [s.location_id for s in fleet.stores]


def test_bench_redis_get_one_location(benchmark: BenchmarkFixture, fleet: Fleet) -> None:
    """A menu request: one GET, the JSON array parsed and every deal validated."""
    location = fleet.stores[0].location_id
    fleet.cache.replace(location, fleet.deals[location])
    deals = benchmark(fleet.cache.get, location)
    assert deals == fleet.deals[location]


def test_bench_redis_merge_ptl(benchmark: BenchmarkFixture, fleet: Fleet) -> None:
    """A PTL webhook: 10 PTL deals merged into a location's Dutchie set, atomically."""
    location = fleet.stores[1].location_id
    fleet.cache.replace(location, fleet.deals[location])
    publication = [deal(location, 10_000 + n) for n in range(10)]
    merged = benchmark(fleet.cache.merge_ptl, location, publication)
    assert len(merged) == len(fleet.deals[location]) + 10
