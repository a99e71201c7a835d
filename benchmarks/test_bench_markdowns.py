"""Markdown wave expansion and preview at 100k variants (the issue's bar: under a second)."""

from __future__ import annotations

import os

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pricekit.catalog import Catalog, Category, Product, Variant
from pricekit.markdowns import MarkdownWave, expand_scopes, preview_wave, price_wave_items
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money

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
