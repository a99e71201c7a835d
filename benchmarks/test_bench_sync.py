"""Sync: one run of all six reference phases over in-memory ports (bar: 50 x 500).

Every location has 500 deals at both discount sources (the POS source serves
four locations in five, the back office the rest), 200 inventory records with
enrichment for each product, and both pushes enabled. What is measured is the
runner and the phases themselves: the sources, sinks and cache are the
in-memory adapters, so no network or database time is in the figure.
`make test` runs a small scale once; `make bench` (PRICEKIT_BENCH_FULL=1)
runs the full one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._deal_data import deal
from pricekit.memory import InMemoryDealCache
from pricekit.memory.sync import (
    InMemoryDiscountSource,
    InMemoryEnrichmentSource,
    InMemoryInventorySource,
    RecordingSink,
)
from pricekit.sync.lock import InProcessLock
from pricekit.sync.phases import reference_phases
from pricekit.sync.ports import InventoryRecord, Location
from pricekit.sync.runner import InMemorySyncRunRepository, RunStatus, SyncRunner
from pricekit.testing import FixedClock

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
SCALES = [(50, 500)] if FULL else [(5, 50)]
PRODUCTS_PER_LOCATION = 200
AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@dataclass
class Fleet:
    runner: SyncRunner
    cache: InMemoryDealCache
    locations: int
    deals: int


def _fleet(locations: int, deals: int) -> Fleet:
    stores = [Location(f"loc-{n}", "America/Phoenix") for n in range(locations)]
    by_location = {s.location_id: [deal(s.location_id, n) for n in range(deals)] for s in stores}
    pos = InMemoryDiscountSource(
        {loc: found for n, (loc, found) in enumerate(by_location.items()) if n % 5},
        name="dutchie-pos",
    )
    backoffice = InMemoryDiscountSource(by_location, name="dutchie-backoffice")
    inventory = InMemoryInventorySource(
        {
            s.location_id: [
                InventoryRecord(f"p{n}", s.location_id, {"name": f"Product {n}", "qty": n % 17})
                for n in range(PRODUCTS_PER_LOCATION)
            ]
            for s in stores
        }
    )
    enrichment = InMemoryEnrichmentSource(
        {f"p{n}": {"image": f"p{n}.png"} for n in range(PRODUCTS_PER_LOCATION)}
    )
    cache = InMemoryDealCache()
    phases = reference_phases(
        inventory=inventory,
        enrichment=enrichment,
        discounts=[pos, backoffice],
        cache=cache,
        discount_sink=RecordingSink(),
        inventory_sink=RecordingSink(),
    )
    runner = SyncRunner(
        phases,
        locations=stores,
        lock=InProcessLock(),
        history=InMemorySyncRunRepository(),
        clock=FixedClock(AT),
    )
    return Fleet(runner=runner, cache=cache, locations=locations, deals=deals)


@pytest.fixture(scope="module", params=SCALES, ids=[f"{loc}x{d}" for loc, d in SCALES])
def fleet(request: pytest.FixtureRequest) -> Fleet:
    locations, deals = request.param
    return _fleet(locations, deals)


def test_bench_sync_run_once(benchmark: BenchmarkFixture, fleet: Fleet) -> None:
    """All six phases for every location: fetch, fall back, push, replace each cache."""
    report = benchmark(fleet.runner.run_once)
    assert report.status is RunStatus.OK
    assert [p.name for p in report.phases] == [
        "inventory",
        "enrichment",
        "discounts",
        "discount_push",
        "cache",
        "inventory_push",
    ]
    assert report.phase("discounts").result.counts["deals"] == fleet.locations * fleet.deals
    assert sorted(fleet.cache.locations()) == sorted(f"loc-{n}" for n in range(fleet.locations))
    assert all(len(fleet.cache.get(loc) or []) == fleet.deals for loc in fleet.cache.locations())
