"""Deals: a menu of 10,000 products against 2,000 deals at one location (bar: 200 ms).

The deal mix is a busy dispensary's: half target brands, a fifth categories
(leaves or whole subtrees), a fifth name products, some combine brand and
category, a few are store-wide, some exclude a brand, a weight or a pricing
tier. A third run on other days or have ended, a tenth are basket offers,
a fifth stack. `make test` runs a small scale once; `make bench`
(PRICEKIT_BENCH_FULL=1) runs the full one.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pricekit.deals.index import MenuIndex, price_menu
from pricekit.deals.match import DealPricing, MatchContext, MenuItem
from pricekit.deals.models import Deal
from pricekit.money import Money

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
SCALES = [(10_000, 2_000)] if FULL else [(1_000, 200)]
LOCATION = "store-1"
CONTEXT = MatchContext(location_id=LOCATION, at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
WEIGHTS = (Decimal(1), Decimal("3.5"), Decimal(7), Decimal(14), Decimal(28))


@dataclass(frozen=True)
class Menu:
    items: list[MenuItem]
    deals: list[Deal]


def _items(count: int, rng: random.Random) -> list[MenuItem]:
    items = []
    for n in range(count):
        root = n % 10
        leaf = f"cat-{root}-{rng.randrange(5)}"
        items.append(
            MenuItem(
                product_id=f"p{n}",
                price=Money(rng.randrange(500, 12_000), "USD"),
                category_ids=frozenset({leaf, f"cat-{root}"}),
                brand_id=f"brand-{rng.randrange(200)}",
                vendor_id=f"vendor-{rng.randrange(40)}",
                weight_grams=rng.choice(WEIGHTS),
                tags=frozenset({f"tag-{rng.randrange(20)}"}),
                inventory_tags=frozenset({f"batch-{rng.randrange(100)}"}),
                pricing_tier=f"tier-{rng.randrange(5)}",
                cost=Money(rng.randrange(200, 400), "USD"),
            )
        )
    return items


def _targeting(n: int, rng: random.Random, products: int) -> list[dict[str, Any]]:
    kind = n % 20
    if kind < 10:
        return [{"dimension": "brand", "ids": [f"brand-{rng.randrange(200)}"]}]
    if kind < 14:
        root = rng.randrange(10)
        category = f"cat-{root}" if kind < 12 else f"cat-{root}-{rng.randrange(5)}"
        return [{"dimension": "category", "ids": [category]}]
    if kind < 18:
        named = [f"p{rng.randrange(products)}" for _ in range(rng.randrange(1, 21))]
        return [{"dimension": "product", "ids": named}]
    if kind == 18:
        return [
            {"dimension": "brand", "ids": [f"brand-{rng.randrange(200)}"]},
            {"dimension": "category", "ids": [f"cat-{rng.randrange(10)}"]},
        ]
    if n % 100 == 19:
        return []  # store-wide
    return [
        {"dimension": "category", "ids": [f"cat-{rng.randrange(10)}"]},
        rng.choice(
            [
                {"dimension": "brand", "ids": [f"brand-{rng.randrange(200)}"], "exclude": True},
                {"dimension": "weight", "weights": [str(rng.choice(WEIGHTS))], "exclude": True},
                {"dimension": "pricing_tier", "ids": ["tier-0"], "exclude": True},
            ]
        ),
    ]


def _reward(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.1:
        return {"method": "percent_off", "percent": "50", "one_item_only": True}
    if roll < 0.6:
        return {"method": "percent_off", "percent": str(rng.choice((10, 15, 20, 25, 30)))}
    if roll < 0.85:
        return {"method": "amount_off", "amount": f"{rng.randrange(1, 10)}.00 USD"}
    return {"method": "price_to_amount", "amount": f"{rng.randrange(5, 60)}.00 USD"}


def _deals(count: int, products: int, rng: random.Random) -> list[Deal]:
    deals = []
    for n in range(count):
        roll = rng.random()
        fields: dict[str, Any] = {}
        if roll < 0.25:
            fields["days"] = ["monday", "tuesday"]  # not today (a Friday)
        elif roll < 0.33:
            fields["valid_to"] = datetime(2026, 11, 1, tzinfo=UTC)  # ended
        deals.append(
            Deal.model_validate(
                {
                    "id": f"{LOCATION}_{n}",
                    "discount_id": str(n),
                    "location_id": LOCATION,
                    "name": f"Deal {n}",
                    "time_zone": "America/Phoenix",
                    "menu_rank": rng.randrange(100),
                    "can_stack": rng.random() < 0.2,
                    "reward": _reward(rng),
                    "restrictions": _targeting(n, rng, products),
                    **fields,
                }
            )
        )
    return deals


def generate(products: int, deals: int) -> Menu:
    """A seeded menu and deal set of the given sizes."""
    rng = random.Random(products * 7 + deals)
    return Menu(items=_items(products, rng), deals=_deals(deals, products, rng))


@pytest.fixture(scope="module", params=SCALES, ids=[f"{p}x{d}" for p, d in SCALES])
def menu(request: pytest.FixtureRequest) -> Menu:
    products, deals = request.param
    return generate(products, deals)


def test_price_a_whole_menu(benchmark: BenchmarkFixture, menu: Menu) -> None:
    index = MenuIndex(menu.items)

    def run() -> dict[str, DealPricing]:
        return price_menu(index, menu.deals, CONTEXT)

    priced: dict[str, DealPricing] = benchmark(run)
    assert len(priced) == len(menu.items)
    discounted = sum(1 for p in priced.values() if p.deal_ids)
    assert discounted > len(menu.items) // 2


def test_build_the_menu_index(benchmark: BenchmarkFixture, menu: Menu) -> None:
    index: MenuIndex = benchmark(MenuIndex, menu.items)
    assert len(index) == len(menu.items)
