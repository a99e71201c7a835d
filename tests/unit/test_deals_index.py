"""Matching a whole menu gives every product what matching it alone gives."""

from __future__ import annotations

import importlib.util
import random
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pricekit.deals.index import MenuIndex, price_menu
from pricekit.deals.match import (
    DealPolicy,
    MatchOutcome,
    MenuItem,
    Preference,
    StackMode,
    best_price,
)
from pricekit.deals.models import Deal, Restriction
from pricekit.errors import InvalidValueError
from pricekit.money import Money

# the benchmark's seeded menu and deals: the mix the speed is measured on
_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "test_bench_deals.py"
_SPEC = importlib.util.spec_from_file_location("_bench_deals", _BENCH)
assert _SPEC is not None
assert _SPEC.loader is not None
_bench = importlib.util.module_from_spec(_SPEC)
sys.modules["_bench_deals"] = _bench  # dataclasses look their module up
_SPEC.loader.exec_module(_bench)
CONTEXT = _bench.CONTEXT
generate = _bench.generate

POLICIES = [
    DealPolicy(),
    DealPolicy(stacking=False),
    DealPolicy(stack_mode=StackMode.CUMULATIVE, floor_at_cost=True),
    DealPolicy(prefer=Preference.RETAILER, minimum_price=Money(1, "USD")),
]


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "no-stack", "cumulative", "retailer"])
def test_the_menu_gives_each_product_what_best_price_gives(policy: DealPolicy) -> None:
    menu = generate(400, 160)
    priced = price_menu(menu.items, menu.deals, CONTEXT, policy=policy)
    assert list(priced) == [item.product_id for item in menu.items]
    discounted = 0
    for item in menu.items:
        alone = best_price(item, menu.deals, CONTEXT, policy=policy)
        got = priced[item.product_id]
        assert (got.price, got.deal_ids, got.tier, got.floor) == (
            alone.price,
            alone.deal_ids,
            alone.tier,
            alone.floor,
        ), item.product_id
        # the menu explains the deals applied (the winner first) and the offers
        applied = [m.deal_id for m in got.matches if m.outcome is MatchOutcome.MATCHED]
        assert applied == list(alone.deal_ids)
        assert all(m == alone.match(m.deal_id) for m in got.matches)
        assert {m.deal_id for m in got.offers} == {m.deal_id for m in alone.offers}
        discounted += bool(got.deal_ids)
    assert discounted > 100  # the comparison covers real wins, not just untouched prices


def test_weights_match_within_a_hundredth_of_a_gram_across_buckets() -> None:
    items = [
        MenuItem(product_id="a", price=Money(100, "USD"), weight_grams=Decimal("3.50")),
        MenuItem(product_id="b", price=Money(100, "USD"), weight_grams=Decimal("3.51")),
        MenuItem(product_id="c", price=Money(100, "USD"), weight_grams=Decimal("3.52")),
        MenuItem(product_id="d", price=Money(100, "USD")),
    ]
    index = MenuIndex(items)
    # 3.505 g reaches 3.50 and 3.51 (0.005 away), not 3.52 (0.015 away)
    weight = Restriction(dimension="weight", weights=[Decimal("3.505")])
    assert index.matching(weight) == {"a", "b"}


def test_a_product_listed_twice_is_refused() -> None:
    item = MenuItem(product_id="a", price=Money(100, "USD"))
    with pytest.raises(InvalidValueError) as caught:
        MenuIndex([item, item])
    assert caught.value.field == "items[1].product_id"


def _tie_prone(seed: int) -> tuple[list[MenuItem], list[Deal]]:
    """Tiny prices, close percents and amounts, floors: where deals of a method tie."""
    rng = random.Random(seed)
    items = [
        MenuItem(
            product_id=f"p{n}",
            price=Money(rng.randrange(0, 60), "USD"),
            brand_id=f"b{rng.randrange(3)}",
            category_ids=frozenset({f"c{rng.randrange(3)}"}),
            cost=Money(rng.randrange(0, 30), "USD"),
        )
        for n in range(60)
    ]
    deals = []
    for n in range(40):
        roll = rng.randrange(3)
        if roll == 0:
            reward = {"method": "percent_off", "percent": str(rng.choice((1, 1.5, 2, 3, 50, 99)))}
        elif roll == 1:
            reward = {"method": "amount_off", "amount": f"0.{rng.randrange(1, 40):02d} USD"}
        else:
            reward = {"method": "price_to_amount", "amount": f"0.{rng.randrange(0, 40):02d} USD"}
        dimension = rng.choice(("brand", "category", "product", None))
        restrictions = []
        if dimension == "brand":
            restrictions = [{"dimension": "brand", "ids": [f"b{rng.randrange(3)}"]}]
        elif dimension == "category":
            restrictions = [{"dimension": "category", "ids": [f"c{rng.randrange(3)}"]}]
        elif dimension == "product":
            restrictions = [{"dimension": "product", "ids": [f"p{rng.randrange(60)}"]}]
        deals.append(
            Deal.model_validate(
                {
                    "id": f"d{n}",
                    "discount_id": str(n),
                    "location_id": CONTEXT.location_id,
                    "name": f"Deal {n}",
                    "menu_rank": rng.choice((None, 1, 2)),
                    "can_stack": rng.random() < 0.3,
                    "reward": reward,
                    "restrictions": restrictions,
                }
            )
        )
    return items, deals


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(
    "policy",
    [*POLICIES, DealPolicy(stacking=False, prefer=Preference.RETAILER, floor_at_cost=True)],
    ids=["default", "no-stack", "cumulative", "retailer", "retailer-cost"],
)
def test_ties_within_a_reward_method_are_broken_as_best_price_breaks_them(
    seed: int, policy: DealPolicy
) -> None:
    items, deals = _tie_prone(seed)
    priced = price_menu(items, deals, CONTEXT, policy=policy)
    for item in items:
        alone = best_price(item, deals, CONTEXT, policy=policy)
        got = priced[item.product_id]
        assert (got.price, got.deal_ids, got.floor) == (alone.price, alone.deal_ids, alone.floor)
