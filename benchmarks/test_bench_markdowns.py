"""Markdowns at 100k variants: expansion and preview (bar: under a second), lifecycle, lookup."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pricekit.catalog import Catalog, Category, Product, Variant
from pricekit.markdowns import (
    MarkdownService,
    MarkdownWave,
    expand_scopes,
    preview_wave,
    price_wave_items,
)
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.money import Money
from pricekit.pricing.models import ItemType

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
VARIANTS = 100_000 if FULL else 2_000
PER_PRODUCT = 4


@pytest.fixture(scope="module")
def repository() -> InMemoryCatalogRepository:
    categories = [Category(id="all", name="All")] + [
        Category(id=f"c{n}", name=f"c{n}", parent_id="all") for n in range(50)
    ]
    products = [
        Product.model_construct(
            id=f"p{n}",
            name=f"p{n}",
            category_id=f"c{n % 50}",
            brand_id=None,
            vendor_id=None,
            collection_ids=frozenset(),
            tags=frozenset(),
            attributes={},
            active=True,
        )
        for n in range(VARIANTS // PER_PRODUCT)
    ]
    variants = [
        Variant.model_construct(
            id=f"p{n // PER_PRODUCT}-{n % PER_PRODUCT}",
            product_id=f"p{n // PER_PRODUCT}",
            sku="",
            label="",
            price=Money(1000 + n % 5000, "USD"),
            cost=Money(400 + n % 3000, "USD"),
            weight_grams=None,
            tags=frozenset(),
            attributes={},
            active=True,
        )
        for n in range(VARIANTS)
    ]
    return InMemoryCatalogRepository(
        Catalog(categories=categories, products=products, variants=variants)
    )


def test_expand_and_preview_a_wave(
    benchmark: BenchmarkFixture, repository: InMemoryCatalogRepository
) -> None:
    wave = MarkdownWave(
        id="w",
        plan_id="plan",
        business_id="biz",
        name="Clearance",
        method="percent",
        value="30",
        reason="seasonal_clearance",
        currency="USD",
        floor_price=Money(800, "USD"),
        min_margin_percent="5",
        scopes=({"type": "category", "ids": ("all",)},),
    )  # type: ignore[arg-type]

    def run() -> object:
        items = price_wave_items(wave, expand_scopes(wave.scopes, repository))
        return preview_wave(wave, items, on_hand={f"p{n}-0": 3 for n in range(1000)})

    preview = benchmark.pedantic(run, rounds=3, iterations=1)
    assert preview.items == VARIANTS  # type: ignore[attr-defined]


def _service(repository: InMemoryCatalogRepository) -> MarkdownService:
    service = MarkdownService(
        plans=InMemoryMarkdownPlanRepository(),
        waves=InMemoryMarkdownWaveRepository(),
        history=InMemoryMarkdownHistoryRepository(),
        catalog=repository,
    )
    service.create_plan({"id": "plan", "business_id": "biz", "name": "Clearance"})
    return service


def _wave(wave_id: str, mode: str = "replace") -> dict[str, object]:
    return {
        "id": wave_id,
        "name": wave_id,
        "method": "percent",
        "value": "30",
        "mode": mode,
        "reason": "seasonal_clearance",
        "currency": "USD",
        "scopes": [{"type": "category", "ids": ["all"]}],
        "locations": [{"location_id": "s1"}],
    }


def test_create_activate_and_reverse_a_wave(
    benchmark: BenchmarkFixture, repository: InMemoryCatalogRepository
) -> None:
    """The whole lifecycle of one wave over every variant: items, history, index."""
    counter = iter(range(1_000_000))

    def run() -> int:
        service = _service(repository)
        wave_id = f"w{next(counter)}"
        service.create_wave("plan", _wave(wave_id))
        activated = service.activate(wave_id, confirm_below_cost=True)
        reversed_ = service.reverse(wave_id)
        return activated.history_entries + reversed_.history_entries

    entries = benchmark.pedantic(run, rounds=3, iterations=1)
    assert entries == 2 * VARIANTS


def test_markdown_lookup_under_two_stacked_waves(
    benchmark: BenchmarkFixture, repository: InMemoryCatalogRepository
) -> None:
    """``active_markdown`` as price resolution calls it, on a variant in two active waves."""
    service = _service(repository)
    for wave_id, mode in (("w1", "replace"), ("w2", "compound")):
        service.create_wave("plan", _wave(wave_id, mode))
        service.activate(wave_id, confirm_below_cost=True)
    at = datetime(2030, 1, 1, tzinfo=UTC)

    def run() -> object:
        return service.active_markdown(
            business_id="biz",
            item_type=ItemType.PRODUCT,
            item_id="p7-1",
            location_id="s1",
            at=at,
        )

    found = benchmark(run)
    assert found is not None
    assert found.wave_id == "w2"  # type: ignore[attr-defined]
