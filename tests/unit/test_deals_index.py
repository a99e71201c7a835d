"""Matching a whole menu gives every product what matching it alone gives."""

from __future__ import annotations

import importlib.util
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
from pricekit.deals.models import Restriction
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
