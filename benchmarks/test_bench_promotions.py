"""Promotions: a 20-line cart against 100 and 1,000 active promotions (bars: 0.3 ms and 1 ms).

Each timed call looks the cart's candidates up in a :class:`PromotionIndex` and
evaluates them, under both policies. The mix is what a retailer runs: most
promotions name products or categories this cart does not hold, a few name its
items (percentages, a buy-2-get-1, a fixed-price bundle, a fries-with-a-burger
deal, some with conditions the cart misses), a few are cart-wide (spend
thresholds, a percentage off everything, a gift), and about a third stack.
`make test` runs the 100 scale once; `make bench` (PRICEKIT_BENCH_FULL=1) runs both.
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

from pricekit.money import Money
from pricekit.promotions.evaluate import EvaluationResult, Policy, evaluate
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import CartLine, EvaluationContext, Promotion

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
SCALES = [100, 1_000] if FULL else [100]
CART_LINES = 20
CONTEXT = EvaluationContext(
    business_id="biz",
    location_id="s1",
    customer_id="c1",
    customer_tier="gold",
    at=datetime(2026, 6, 6, 15, tzinfo=UTC),
    time_zone="America/New_York",
)


def _usd(minor: int) -> Money:
    return Money(minor, "USD")


def _cart() -> list[CartLine]:
    """20 lines: 4 departments of 5 categories' products, some in collections, a weighed one."""
    rng = random.Random(7)
    lines: list[CartLine] = []
    for n in range(CART_LINES):
        lines.append(
            CartLine(
                line_id=f"line-{n}",
                product_id=f"prod-{n}",
                variant_id=f"prod-{n}-m",
                category_ids=frozenset({f"cat-{n % 5}", f"dept-{n % 4}"}),
                collection_ids=frozenset({"summer"}) if n % 3 == 0 else frozenset(),
                quantity=Decimal("1.250") if n == 19 else Decimal(rng.choice((1, 1, 2, 3))),
                unit_price=_usd(rng.randrange(199, 8_999)),
            )
        )
    return lines


def _promotion(n: int, rng: random.Random, **fields: Any) -> Promotion:
    data: dict[str, Any] = {
        "id": f"promo-{n:04}",
        "business_id": "biz",
        "name": f"Promotion {n}",
        "type": "percentage_discount",
        "scope": "line",
        "currency": "USD",
        "status": "active",
        "priority": rng.randrange(0, 10),
        "stackable": rng.random() < 0.33,
    }
    data.update(fields)
    return Promotion.model_validate(data)


def _elsewhere(n: int, rng: random.Random) -> Promotion:
    """A promotion for products, categories or collections this cart does not hold."""
    kind = n % 4
    if kind == 0:
        return _promotion(
            n,
            rng,
            item_filter={"category_ids": [f"cat-{100 + n % 400}"]},
            rewards=[{"type": "pct_off_item", "percent": str(rng.choice((10, 15, 20, 25)))}],
        )
    if kind == 1:
        return _promotion(
            n,
            rng,
            type="fixed_discount",
            item_filter={"product_ids": [f"prod-{1_000 + n}", f"prod-{2_000 + n}"]},
            rewards=[{"type": "fixed_off_item", "amount": "1.00 USD"}],
        )
    if kind == 2:
        return _promotion(
            n,
            rng,
            type="bogo",
            scope="bundle",
            item_filter={"category_ids": [f"cat-{100 + n % 400}"]},
            rewards=[{"type": "free_item", "buy_quantity": 2, "reward_quantity": 1}],
        )
    return _promotion(
        n,
        rng,
        conditions=[{"type": "collection_in_cart", "ids": [f"winter-{n}"]}],
        rewards=[{"type": "pct_off_item", "percent": "10"}],
    )


def _for_this_cart(n: int, rng: random.Random, which: int) -> Promotion:
    """A promotion naming this cart's items; some miss a condition."""
    kind = which % 6
    if kind == 0:
        return _promotion(
            n,
            rng,
            item_filter={"category_ids": [f"cat-{which % 5}"]},
            rewards=[{"type": "pct_off_item", "percent": "20", "max_discount": "15.00 USD"}],
        )
    if kind == 1:
        return _promotion(
            n,
            rng,
            type="bogo",
            scope="bundle",
            item_filter={"category_ids": [f"dept-{which % 4}"]},
            rewards=[{"type": "free_item", "buy_quantity": 2, "reward_quantity": 1}],
        )
    if kind == 2:
        return _promotion(
            n,
            rng,
            type="bundle",
            scope="bundle",
            item_filter={"product_ids": [f"prod-{which % CART_LINES}"]},
            rewards=[
                {
                    "type": "pct_off_item",
                    "percent": "50",
                    "buy_quantity": 1,
                    "reward_quantity": 1,
                    "applies_to": {"category_ids": [f"cat-{(which + 1) % 5}"]},
                }
            ],
        )
    if kind == 3:
        return _promotion(
            n,
            rng,
            item_filter={"collection_ids": ["summer"]},
            rewards=[{"type": "pct_off_item", "percent": "15"}],
        )
    if kind == 4:
        return _promotion(
            n,
            rng,
            item_filter={"variant_ids": [f"prod-{which % CART_LINES}-m"]},
            conditions=[{"type": "min_quantity", "quantity": 5}],  # the cart has too few
            rewards=[{"type": "fixed_off_item", "amount": "2.00 USD"}],
        )
    return _promotion(
        n,
        rng,
        type="bundle",
        scope="bundle",
        item_filter={"category_ids": [f"cat-{which % 5}"]},
        rewards=[
            {
                "type": "override_price",
                "override_price": "60.00 USD",
                "buy_quantity": 2,
                "reward_quantity": 1,
                "applies_to": {"category_ids": [f"cat-{which % 5}"]},
            }
        ],
    )


def _cart_wide(n: int, rng: random.Random, which: int) -> Promotion:
    """A promotion for any cart: spend thresholds, a percentage off everything, a gift."""
    kind = which % 3
    if kind == 0:
        return _promotion(
            n,
            rng,
            type="spend_threshold",
            scope="cart",
            conditions=[{"type": "min_amount", "amount": f"{100 * (which + 1)}.00 USD"}],
            rewards=[{"type": "fixed_off_all", "amount": f"{10 * (which + 1)}.00 USD"}],
        )
    if kind == 1:
        return _promotion(
            n,
            rng,
            scope="cart",
            conditions=[{"type": "customer_tier", "ids": ["gold"]}],
            rewards=[{"type": "pct_off_all", "percent": "5", "max_discount": "20.00 USD"}],
        )
    return _promotion(
        n,
        rng,
        scope="cart",
        conditions=[{"type": "min_amount", "amount": "50.00 USD"}],
        rewards=[{"type": "free_item", "free_product_id": "tote"}],
    )


@dataclass(frozen=True)
class Scale:
    promotions: list[Promotion]
    cart: list[CartLine]

    def index(self) -> PromotionIndex:
        return PromotionIndex(self.promotions)


def generate(count: int) -> Scale:
    """``count`` promotions: 6 (or 12 at 1,000) for this cart, 3 (or 5) cart-wide, the rest not."""
    rng = random.Random(count)
    matching = 6 if count <= 100 else 12
    general = 3 if count <= 100 else 5
    promotions: list[Promotion] = []
    for n in range(count):
        if n < matching:
            promotions.append(_for_this_cart(n, rng, n))
        elif n < matching + general:
            promotions.append(_cart_wide(n, rng, n - matching))
        else:
            promotions.append(_elsewhere(n, rng))
    rng.shuffle(promotions)
    return Scale(promotions=promotions, cart=_cart())


@pytest.fixture(scope="module", params=SCALES, ids=[f"{n}-promotions" for n in SCALES])
def scale(request: pytest.FixtureRequest) -> Scale:
    return generate(request.param)


@pytest.mark.parametrize("policy", list(Policy), ids=[p.value for p in Policy])
def test_candidates_and_evaluate_a_20_line_cart(
    benchmark: BenchmarkFixture, scale: Scale, policy: Policy
) -> None:
    index = scale.index()
    cart = scale.cart

    def run() -> EvaluationResult:
        return evaluate(cart, CONTEXT, index.candidates(cart), policy=policy)

    result: EvaluationResult = benchmark(run)
    # The index leaves the unrelated promotions out and changes nothing.
    assert len(index.candidates(cart)) < 20
    every = evaluate(cart, CONTEXT, scale.promotions, policy=policy)
    assert result.outcome() | {"rejections": []} == every.outcome() | {"rejections": []}
    assert result.applied
    assert result.total_discount.is_positive()


def test_build_the_index(benchmark: BenchmarkFixture, scale: Scale) -> None:
    index = benchmark.pedantic(scale.index, rounds=20 if FULL else 1, iterations=1)
    assert len(index) == len(scale.promotions)
