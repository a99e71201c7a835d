"""Price resolution at stated scales: the compiled PriceBook against one indexed SQL query.

Scales follow the issue: 1k / 10k / 100k products with 5 items per product, over
20 to 500 price lists. `make test` runs the 1k scale once as a smoke test;
`make bench` (PRICEKIT_BENCH_FULL=1) runs every scale.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._pricing_data import AT, LOCATIONS, RESOLVE_SQL, Scale, generate, sqlite_database
from pricekit.money import Money
from pricekit.pricing import (
    CachedPriceResolver,
    Channel,
    InMemoryPriceCache,
    ItemType,
    PriceBook,
    PriceCacheKey,
    PriceQuery,
    ResolvedPrice,
    bucket_quantity,
)

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
SCALES = [(1_000, 20), (10_000, 100), (100_000, 500)] if FULL else [(1_000, 20)]
BASE = Money(2599, "USD")


@pytest.fixture(
    scope="module",
    params=SCALES,
    ids=[f"{p // 1000}k-products-{lists}-lists" for p, lists in SCALES],
)
def scale(request: pytest.FixtureRequest) -> Scale:
    products, lists = request.param
    return generate(products, lists)


@pytest.fixture(scope="module")
def book(scale: Scale) -> PriceBook:
    return scale.book()


@pytest.fixture(scope="module")
def sqlite(scale: Scale) -> Iterator[sqlite3.Connection]:
    db = sqlite_database(scale)
    yield db
    db.close()


def _resolve(book: PriceBook, query: tuple[str, str, Decimal]) -> ResolvedPrice:
    """Resolve ``(product id, location id, quantity)`` on the POS channel at AT."""
    product_id, location_id, quantity = query
    return book.resolve_item(
        business_id="biz",
        item_id=product_id,
        channel=Channel.POS,
        at=AT,
        base_price=BASE,
        quantity=quantity,
        location_id=location_id,
    )


def _queries(scale: Scale, count: int, book: PriceBook) -> list[tuple[str, str, Decimal]]:
    """``count`` queries that a price list answers (not the base-price fallback)."""
    rng = random.Random(11)
    found: list[tuple[str, str, Decimal]] = []
    while len(found) < count:
        query = (
            rng.choice(scale.product_ids),
            rng.choice(LOCATIONS),
            Decimal(rng.choice((1, 3, 7, 12, 30))),
        )
        result = _resolve(book, query)
        if result.price_list_item_id is not None:
            found.append(query)
    return found


def test_resolve_one(benchmark: BenchmarkFixture, scale: Scale, book: PriceBook) -> None:
    product_id, location_id, quantity = _queries(scale, 1, book)[0]

    result = benchmark(_resolve, book, (product_id, location_id, quantity))
    assert result.price_list_item_id is not None  # type: ignore[attr-defined]


def test_resolve_cart_of_20(benchmark: BenchmarkFixture, scale: Scale, book: PriceBook) -> None:
    cart = _queries(scale, 20, book)

    def run() -> list[object]:
        return [_resolve(book, query) for query in cart]

    assert len(benchmark(run)) == 20


def test_sql_resolve_one_sqlite_memory(
    benchmark: BenchmarkFixture, scale: Scale, book: PriceBook, sqlite: sqlite3.Connection
) -> None:
    """The same rules as the seed's single indexed LIMIT 1 query, for comparison."""
    product_id, location_id, quantity = _queries(scale, 1, book)[0]
    params = {
        "item_id": product_id,
        "item_type": "product",
        "business_id": "biz",
        "currency": "USD",
        "channel": "pos",
        "quantity": str(quantity),
        "at": int(AT.timestamp()),
        "location_id": location_id,
    }
    row = benchmark(lambda: sqlite.execute(RESOLVE_SQL, params).fetchone())
    expected = _resolve(book, (product_id, location_id, quantity))
    assert row is not None
    assert (row[0], row[1]) == (expected.price_list_item_id, expected.unit_price.minor_units)


def test_compile_book(benchmark: BenchmarkFixture, scale: Scale) -> None:
    result = benchmark.pedantic(scale.book, rounds=1 if FULL else 3, iterations=1)
    assert len(result.items) == len(scale.items)


def _warm_cache(scale: Scale, book: PriceBook) -> tuple[CachedPriceResolver, PriceQuery]:
    """A resolver whose cache already holds the answer to the query it returns."""
    product_id, location_id, quantity = _queries(scale, 1, book)[0]
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    query = PriceQuery(
        business_id="biz",
        location_id=location_id,
        channel=Channel.POS,
        item_id=product_id,
        quantity=quantity,
        currency="USD",
        base_price=BASE,
        at=AT,
    )
    resolver.resolve(query)
    return resolver, query


def test_cache_hit(benchmark: BenchmarkFixture, scale: Scale, book: PriceBook) -> None:
    """A warm in-process cache: key from the query, one dict lookup, an expiry check."""
    resolver, query = _warm_cache(scale, book)
    expected = resolver.resolve(query)
    assert benchmark(resolver.resolve, query) == expected
    assert resolver.cache.stats().hits >= 1


def test_cache_lookup_only(benchmark: BenchmarkFixture, scale: Scale, book: PriceBook) -> None:
    """The cache's own get() on a warm key, without building the key."""
    resolver, query = _warm_cache(scale, book)
    depends = book.dependencies("biz", ItemType.PRODUCT, query.item_id)
    key = PriceCacheKey(
        business_id="biz",
        location_id=query.location_id,
        channel=Channel.POS,
        item_type=ItemType.PRODUCT,
        item_id=query.item_id,
        currency="USD",
        quantity=bucket_quantity(query.quantity, depends.tiers),
        valid_since=max((b for b in depends.boundaries if b <= AT), default=None),
        base_minor=BASE.minor_units,
    )
    assert benchmark(resolver.cache.get, key) is not None
