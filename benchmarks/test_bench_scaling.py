"""Scaling: how resolution and evaluation cost grow with the catalog and the promotion count.

Two sweeps, for the chart on the docs' performance page (`make bench` draws it
from these figures into docs/img/scaling.svg):

- catalog size: 1k, 3k, 10k, 30k and 100k products, 5 price-list items each,
  over 100 price lists (half global, half scoped to one of ten locations): one
  resolution, a 20-line cart, and compiling the price book;
- promotion count: 30, 100, 300, 1,000, 3,000 and 10,000 active promotions
  against the promotion benchmark's 20-line cart, always 12 naming the cart's
  items and 5 cart-wide, the rest for other products, categories and
  collections: index lookup and evaluation under both policies, and building
  the index.

`make test` runs the smallest point of each sweep once; `make bench`
(PRICEKIT_BENCH_FULL=1) runs them all.
"""

from __future__ import annotations

import os
import random
from decimal import Decimal

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._pricing_data import AT, LOCATIONS, Scale, generate
from benchmarks.test_bench_promotions import (
    CONTEXT,
    _cart,
    _cart_wide,
    _elsewhere,
    _for_this_cart,
)
from pricekit.money import Money
from pricekit.pricing import Channel, PriceBook, ResolvedPrice
from pricekit.promotions.evaluate import EvaluationResult, Policy, evaluate
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import CartLine, Promotion

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
CATALOG_SIZES = [1_000, 3_000, 10_000, 30_000, 100_000] if FULL else [1_000]
PROMOTION_COUNTS = [30, 100, 300, 1_000, 3_000, 10_000] if FULL else [30]
LISTS = 100
TOUCHING, CART_WIDE = 12, 5
BASE = Money(2599, "USD")

# -- catalog size -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=CATALOG_SIZES, ids=[f"{n}-products" for n in CATALOG_SIZES])
def catalog(request: pytest.FixtureRequest) -> Scale:
    return generate(request.param, LISTS)


@pytest.fixture(scope="module")
def book(catalog: Scale) -> PriceBook:
    return catalog.book()


def _queries(catalog: Scale, book: PriceBook, count: int) -> list[tuple[str, str, Decimal]]:
    """``count`` (product, location, quantity) queries a price list answers."""
    rng = random.Random(11)
    found: list[tuple[str, str, Decimal]] = []
    while len(found) < count:
        query = (
            rng.choice(catalog.product_ids),
            rng.choice(LOCATIONS),
            Decimal(rng.choice((1, 3, 7, 12, 30))),
        )
        if _resolve(book, query).price_list_item_id is not None:
            found.append(query)
    return found


def _resolve(book: PriceBook, query: tuple[str, str, Decimal]) -> ResolvedPrice:
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


def test_resolve_one_by_catalog_size(
    benchmark: BenchmarkFixture, catalog: Scale, book: PriceBook
) -> None:
    (query,) = _queries(catalog, book, 1)
    result = benchmark(_resolve, book, query)
    assert result.price_list_item_id is not None


def test_resolve_cart_by_catalog_size(
    benchmark: BenchmarkFixture, catalog: Scale, book: PriceBook
) -> None:
    cart = _queries(catalog, book, 20)

    def run() -> list[ResolvedPrice]:
        return [_resolve(book, query) for query in cart]

    assert len(benchmark(run)) == 20


def test_compile_book_by_catalog_size(benchmark: BenchmarkFixture, catalog: Scale) -> None:
    rounds = 3 if FULL and catalog.products <= 10_000 else 1
    result = benchmark.pedantic(catalog.book, rounds=rounds, iterations=1)
    assert len(result.items) == len(catalog.items)


# -- promotion count ----------------------------------------------------------------------


def _promotions(count: int) -> list[Promotion]:
    """``count`` promotions: 12 for the cart's items, 5 cart-wide, the rest for other items.

    The 17 that can touch the cart are the same at every count (same priorities,
    same stacking), so the sweep measures the count and nothing else.
    """
    core, rest = random.Random(7), random.Random(count)
    promotions: list[Promotion] = []
    for n in range(count):
        if n < TOUCHING:
            promotions.append(_for_this_cart(n, core, n))
        elif n < TOUCHING + CART_WIDE:
            promotions.append(_cart_wide(n, core, n - TOUCHING))
        else:
            promotions.append(_elsewhere(n, rest))
    rest.shuffle(promotions)
    return promotions


@pytest.fixture(
    scope="module", params=PROMOTION_COUNTS, ids=[f"{n}-promotions" for n in PROMOTION_COUNTS]
)
def promotions(request: pytest.FixtureRequest) -> list[Promotion]:
    return _promotions(request.param)


@pytest.fixture(scope="module")
def cart() -> list[CartLine]:
    return _cart()


@pytest.mark.parametrize("policy", list(Policy), ids=[p.value for p in Policy])
def test_evaluate_by_promotion_count(
    benchmark: BenchmarkFixture, promotions: list[Promotion], cart: list[CartLine], policy: Policy
) -> None:
    index = PromotionIndex(promotions)

    def run() -> EvaluationResult:
        return evaluate(cart, CONTEXT, index.candidates(cart), policy=policy)

    result: EvaluationResult = benchmark(run)
    assert result.applied
    assert len(index.candidates(cart)) <= TOUCHING + CART_WIDE


def test_build_index_by_promotion_count(
    benchmark: BenchmarkFixture, promotions: list[Promotion]
) -> None:
    rounds = 10 if FULL else 1
    index = benchmark.pedantic(PromotionIndex, args=(promotions,), rounds=rounds, iterations=1)
    assert len(index) == len(promotions)
