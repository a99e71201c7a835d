"""The 4-tier matching algorithm: every gate, every tier, each tie-break, stacking, floors.

Every expected price is worked out by hand next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from pricekit.deals.match import (
    CandidateOutcome,
    DealPolicy,
    Gate,
    MatchContext,
    MatchOutcome,
    MenuItem,
    Preference,
    StackMode,
    best_price,
    match_deal,
)
from pricekit.deals.models import Deal, Dimension
from pricekit.errors import CurrencyMismatchError, ModelValidationError
from pricekit.money import Money
from pricekit.pricing.models import Channel

PHOENIX = "America/Phoenix"  # UTC-7 all year
# Friday 2026-11-20 16:30 in Phoenix
FRIDAY_1630 = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def deal(deal_id: str = "d", **fields: Any) -> Deal:
    data: dict[str, Any] = {
        "id": f"L1_{deal_id}",
        "discount_id": deal_id,
        "location_id": "L1",
        "name": f"Deal {deal_id}",
        "time_zone": PHOENIX,
        "reward": {"method": "percent_off", "percent": "10"},
    }
    data.update(fields)
    return Deal.model_validate(data)


def targeting(*restrictions: tuple[str, list[str]], exclude: bool = False) -> list[Any]:
    return [{"dimension": d, "ids": ids, "exclude": exclude} for d, ids in restrictions]


ITEM = MenuItem(
    product_id="og-3.5",
    price=usd("40.00"),
    category_ids=frozenset({"indica", "flower"}),
    brand_id="acme",
    vendor_id="farm-co",
    weight_grams=Decimal("3.5"),
    tags=frozenset({"staff-pick"}),
    inventory_tags=frozenset({"batch-7"}),
    pricing_tier="premium",
    cost=usd("30.00"),
)
HERE = MatchContext(location_id="L1", at=FRIDAY_1630)


# -- gates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "context", "gate"),
    [
        ({"location_id": "L2", "id": "L2_d"}, HERE, Gate.WRONG_LOCATION),
        ({"enabled": False}, HERE, Gate.DISABLED),
        ({"valid_from": datetime(2026, 11, 21, tzinfo=UTC)}, HERE, Gate.NOT_STARTED),
        # the end is exclusive: ending exactly now has ended
        ({"valid_to": FRIDAY_1630}, HERE, Gate.ENDED),
        ({"days": ["saturday"]}, HERE, Gate.OUTSIDE_SCHEDULE),
        ({"start_time": "09:00", "end_time": "16:00"}, HERE, Gate.OUTSIDE_SCHEDULE),
        (
            {"available_online": False},
            MatchContext(location_id="L1", at=FRIDAY_1630, channel=Channel.ONLINE),
            Gate.NOT_ONLINE,
        ),
        ({"application_method": "manual"}, HERE, Gate.NOT_AUTOMATIC),
        ({"application_method": "code"}, HERE, Gate.NOT_AUTOMATIC),
        ({"first_time_customer_only": True}, HERE, Gate.CUSTOMER_UNKNOWN),
        (
            {"first_time_customer_only": True},
            MatchContext(location_id="L1", at=FRIDAY_1630, shelf=False, customer_id="c1"),
            Gate.NOT_FIRST_TIME,
        ),
    ],
)
def test_each_gate_fails_with_its_reason(
    fields: dict[str, Any], context: MatchContext, gate: Gate
) -> None:
    result = match_deal(deal(**fields), ITEM, context)
    assert result.outcome is MatchOutcome.GATE_FAILED
    assert result.gate is gate
    assert result.reason


def test_gates_pass_when_their_conditions_hold() -> None:
    passing = [
        deal(valid_to=datetime(2026, 11, 20, 23, 30, 1, tzinfo=UTC)),  # one second left
        deal(days=["friday"], start_time="16:00", end_time="18:00"),
        deal(available_online=False),  # in store
        deal(application_method="manual"),
        deal(first_time_customer_only=True),
    ]
    register = MatchContext(
        location_id="L1", at=FRIDAY_1630, shelf=False, customer_id="c1", first_time_customer=True
    )
    for candidate in passing:
        assert match_deal(candidate, ITEM, register).outcome is MatchOutcome.MATCHED


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    late = deal(days=["friday"], start_time="22:00", end_time="02:00")
    # Saturday 01:00 in Phoenix is 08:00 UTC: still Friday night's window
    saturday_1am = MatchContext(location_id="L1", at=datetime(2026, 11, 21, 8, tzinfo=UTC))
    assert match_deal(late, ITEM, saturday_1am).outcome is MatchOutcome.MATCHED
    # Friday 01:00 belongs to Thursday night, which is not listed
    friday_1am = MatchContext(location_id="L1", at=datetime(2026, 11, 20, 8, tzinfo=UTC))
    assert match_deal(late, ITEM, friday_1am).gate is Gate.OUTSIDE_SCHEDULE


def test_every_day_when_none_or_all_days_are_set() -> None:
    every = deal(days=[])
    seven = deal(
        days=["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
    assert seven.days == frozenset()
    for candidate in (every, seven):
        assert match_deal(candidate, ITEM, HERE).outcome is MatchOutcome.MATCHED


# -- targeting and tiers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restrictions", "tier"),
    [
        (targeting(("product", ["og-3.5"])), 1),
        (targeting(("product", ["og-3.5"]), ("brand", ["acme"])), 1),
        (targeting(("brand", ["acme"]), ("category", ["flower"])), 2),
        (
            targeting(
                ("vendor", ["farm-co"]), ("tag", ["staff-pick"]), ("pricing_tier", ["premium"])
            ),
            2,
        ),
        (targeting(("brand", ["acme", "other"])), 3),
        (targeting(("category", ["flower"])), 3),  # the subtree: indica is under flower
        (targeting(("inventory_tag", ["batch-7"])), 3),
        ([{"dimension": "weight", "weights": ["3.49"]}], 3),  # within 0.01 g
        ([], 4),
    ],
)
def test_the_tier_says_how_specifically_it_matched(restrictions: list[Any], tier: int) -> None:
    result = match_deal(deal(restrictions=restrictions), ITEM, HERE)
    assert result.outcome is MatchOutcome.MATCHED
    assert result.tier == tier


@pytest.mark.parametrize(
    ("restrictions", "dimension"),
    [
        (targeting(("product", ["other"])), Dimension.PRODUCT),
        (targeting(("brand", ["acme"]), ("category", ["edibles"])), Dimension.CATEGORY),
        ([{"dimension": "weight", "weights": ["3.48"]}], Dimension.WEIGHT),  # 0.02 g off
        (targeting(("pricing_tier", ["value"])), Dimension.PRICING_TIER),
    ],
)
def test_every_targeted_dimension_must_match(restrictions: list[Any], dimension: Dimension) -> None:
    result = match_deal(deal(restrictions=restrictions), ITEM, HERE)
    assert result.outcome is MatchOutcome.NOT_TARGETED
    assert result.dimension is dimension


def test_an_exclusion_vetoes_even_an_explicit_product() -> None:
    vetoed = deal(
        restrictions=[
            *targeting(("product", ["og-3.5"])),
            *targeting(("tag", ["staff-pick"]), exclude=True),
        ]
    )
    result = match_deal(vetoed, ITEM, HERE)
    assert result.outcome is MatchOutcome.EXCLUDED
    assert result.dimension is Dimension.TAG
    # an exclusion that does not match leaves a store-wide deal store-wide
    other = deal(restrictions=targeting(("brand", ["other"]), exclude=True))
    assert match_deal(other, ITEM, HERE).tier == 4


def test_lost_targeting_is_held_back_never_store_wide() -> None:
    lost = deal(unmapped=("brand 'Old Pal' has no id at this store",))
    result = match_deal(lost, ITEM, HERE)
    assert result.outcome is MatchOutcome.HELD_BACK
    assert "Old Pal" in result.reason
    assert not lost.is_store_wide


@pytest.mark.parametrize(
    "reward",
    [
        {"method": "percent_off", "percent": "50", "threshold_type": "count", "threshold": 2},
        {"method": "amount_off", "amount": "5.00 USD", "threshold_type": "spend", "threshold": 50},
        {"method": "price_to_amount", "amount": "0.01 USD", "one_item_only": True},
    ],
)
def test_threshold_and_bogo_deals_are_offers_never_shelf_prices(reward: dict[str, Any]) -> None:
    offer = deal(reward=reward)
    result = match_deal(offer, ITEM, HERE)
    assert result.outcome is MatchOutcome.OFFER
    assert result.tier == 4
    priced = best_price(ITEM, [offer], HERE)
    assert priced.price == ITEM.price
    assert [m.deal_id for m in priced.offers] == [offer.id]


# -- pricing and choosing ---------------------------------------------------------------------


def test_each_reward_method_from_the_same_base() -> None:
    pct = deal("pct", reward={"method": "percent_off", "percent": "12.5"})
    off = deal("off", reward={"method": "amount_off", "amount": "6.00 USD"})
    to = deal("to", reward={"method": "price_to_amount", "amount": "33.00 USD"})
    result = best_price(ITEM, [pct, off, to], HERE, policy=DealPolicy(stacking=False))
    # 12.5% of 40.00 = 5.00 -> 35.00; 40.00 - 6.00 = 34.00; price to 33.00
    assert result.prices == {pct.id: usd("35.00"), off.id: usd("34.00"), to.id: usd("33.00")}
    assert result.deal_ids == (to.id,)
    assert result.price == usd("33.00")
    assert result.outcomes[pct.id] is CandidateOutcome.LOST
    assert result.lost_to == {pct.id: to.id, off.id: to.id}


def test_percent_off_rounds_half_up_and_price_to_amount_takes_the_lower() -> None:
    odd = MenuItem(product_id="x", price=usd("0.25"))
    # 10% of 0.25 = 0.025 -> 0.03 off (half up) -> 0.22
    assert best_price(odd, [deal()], HERE).price == usd("0.22")
    above = deal(reward={"method": "price_to_amount", "amount": "1.00 USD"})
    assert best_price(odd, [above], HERE).price == usd("0.25")


def test_ties_go_to_the_lower_tier_then_menu_rank_then_earliest_end_then_lowest_id() -> None:
    no_stack = DealPolicy(stacking=False)
    named = deal("b-named", restrictions=targeting(("product", ["og-3.5"])))
    wide = deal("a-wide")
    assert best_price(ITEM, [wide, named], HERE, policy=no_stack).deal_ids == (named.id,)
    ranked_2 = deal("a-rank2", menu_rank=2)
    ranked_1 = deal("b-rank1", menu_rank=1)
    assert best_price(ITEM, [ranked_2, ranked_1], HERE, policy=no_stack).deal_ids == (ranked_1.id,)
    later = deal("a-later", valid_to=datetime(2026, 12, 31, tzinfo=UTC))
    sooner = deal("b-sooner", valid_to=datetime(2026, 11, 30, tzinfo=UTC))
    assert best_price(ITEM, [later, sooner], HERE, policy=no_stack).deal_ids == (sooner.id,)
    first, second = deal("a"), deal("b")
    assert best_price(ITEM, [second, first], HERE, policy=no_stack).deal_ids == (first.id,)


def test_the_retailer_preference_takes_the_highest_price() -> None:
    small = deal("small", reward={"method": "percent_off", "percent": "5"})
    big = deal("big", reward={"method": "percent_off", "percent": "25"})
    policy = DealPolicy(stacking=False, prefer=Preference.RETAILER)
    result = best_price(ITEM, [big, small], HERE, policy=policy)
    assert result.deal_ids == (small.id,)
    assert result.price == usd("38.00")  # 40.00 less 5%


def test_stacking_compounds_or_adds_up_only_among_deals_that_allow_it() -> None:
    a = deal("a", can_stack=True, reward={"method": "percent_off", "percent": "20"})
    b = deal("b", can_stack=True, reward={"method": "amount_off", "amount": "5.00 USD"})
    loner = deal("c", reward={"method": "percent_off", "percent": "10"})
    compounding = best_price(ITEM, [a, b, loner], HERE)
    # ranking alone: a 32.00, b 35.00, c 36.00; a wins and b stacks on what a left:
    # 40.00 - 20% = 32.00, then - 5.00 = 27.00; c does not stack
    assert compounding.deal_ids == (a.id, b.id)
    assert compounding.price == usd("27.00")
    assert compounding.outcomes == {
        a.id: CandidateOutcome.WON,
        b.id: CandidateOutcome.STACKED,
        loner.id: CandidateOutcome.LOST,
    }
    c2 = deal("c2", can_stack=True, reward={"method": "percent_off", "percent": "50"})
    cumulative = best_price(ITEM, [a, c2], HERE, policy=DealPolicy(stack_mode=StackMode.CUMULATIVE))
    # each on the base: 50% = 20.00 and 20% = 8.00 off 40.00 -> 12.00
    assert cumulative.price == usd("12.00")
    compounded = best_price(ITEM, [a, c2], HERE)
    # 40.00 - 50% = 20.00, then - 20% = 16.00
    assert compounded.price == usd("16.00")


def test_a_winner_that_does_not_stack_stands_alone() -> None:
    alone = deal("a", reward={"method": "percent_off", "percent": "30"})
    stacker = deal("b", can_stack=True, reward={"method": "percent_off", "percent": "20"})
    result = best_price(ITEM, [alone, stacker], HERE)
    assert result.deal_ids == (alone.id,)
    assert result.price == usd("28.00")  # 40.00 less 30%


def test_floors_hold_cost_minimum_and_zero() -> None:
    deep = deal(reward={"method": "percent_off", "percent": "90"})  # 40.00 -> 4.00
    at_cost = best_price(ITEM, [deep], HERE, policy=DealPolicy(floor_at_cost=True))
    assert (at_cost.price, at_cost.floor) == (usd("30.00"), "cost")
    free = deal(reward={"method": "amount_off", "amount": "50.00 USD"})  # to zero
    penny = best_price(ITEM, [free], HERE, policy=DealPolicy(minimum_price=usd("0.01")))
    assert (penny.price, penny.floor) == (usd("0.01"), "minimum")
    assert best_price(ITEM, [free], HERE).price == usd("0.00")
    a = deal("a", can_stack=True, reward={"method": "amount_off", "amount": "30.00 USD"})
    b = deal("b", can_stack=True, reward={"method": "amount_off", "amount": "25.00 USD"})
    summed = best_price(ITEM, [a, b], HERE, policy=DealPolicy(stack_mode=StackMode.CUMULATIVE))
    # 30.00 + 25.00 off 40.00 would be -15.00: never below zero
    assert (summed.price, summed.floor) == (usd("0.00"), "zero")


def test_a_cost_above_the_price_never_raises_the_price() -> None:
    odd = MenuItem(product_id="x", price=usd("10.00"), cost=usd("12.00"))
    result = best_price(odd, [deal()], HERE, policy=DealPolicy(floor_at_cost=True))
    assert result.price == usd("10.00")


def test_every_candidate_says_what_became_of_it() -> None:
    deals = [
        deal("gate", enabled=False),
        deal("excluded", restrictions=targeting(("brand", ["acme"]), exclude=True)),
        deal("miss", restrictions=targeting(("brand", ["other"]))),
        deal("held", unmapped=("category 42 unknown",)),
        deal("offer", reward={"method": "percent_off", "percent": "50", "one_item_only": True}),
        deal("win"),
    ]
    result = best_price(ITEM, deals, HERE)
    assert {m.deal_id: m.outcome for m in result.matches} == {
        "L1_gate": MatchOutcome.GATE_FAILED,
        "L1_excluded": MatchOutcome.EXCLUDED,
        "L1_miss": MatchOutcome.NOT_TARGETED,
        "L1_held": MatchOutcome.HELD_BACK,
        "L1_offer": MatchOutcome.OFFER,
        "L1_win": MatchOutcome.MATCHED,
    }
    assert result.deal_ids == ("L1_win",)
    assert result.price == usd("36.00")  # 40.00 less 10%
    assert result.saving == usd("4.00")
    match = result.match("L1_gate")
    assert match is not None
    assert match.gate is Gate.DISABLED


def test_a_deal_in_another_currency_is_refused() -> None:
    euro = deal(currency="EUR", reward={"method": "amount_off", "amount": "1.00 EUR"})
    with pytest.raises(CurrencyMismatchError) as caught:
        best_price(ITEM, [euro], HERE)
    assert caught.value.field == "deal[L1_d].currency"


def test_no_deals_leave_the_price() -> None:
    result = best_price(ITEM, [], HERE)
    assert (result.price, result.deal_ids, result.tier) == (ITEM.price, (), None)


def test_schedule_boundaries_in_the_store_time_zone() -> None:
    window = deal(start_time=time(16, 30), end_time=time(18))
    assert match_deal(window, ITEM, HERE).outcome is MatchOutcome.MATCHED  # starts at 16:30
    at_end = MatchContext(location_id="L1", at=datetime(2026, 11, 21, 1, tzinfo=UTC))  # 18:00
    assert match_deal(window, ITEM, at_end).gate is Gate.OUTSIDE_SCHEDULE


def test_a_day_out_of_range_is_refused_naming_the_field() -> None:
    with pytest.raises(ModelValidationError) as caught:
        deal(days=[9])
    assert caught.value.field == "days"


def test_ties_on_the_end_compare_to_the_microsecond() -> None:
    no_stack = DealPolicy(stacking=False)
    a = deal("a", valid_to=datetime(2026, 11, 30, 0, 0, 0, 2, tzinfo=UTC))
    b = deal("b", valid_to=datetime(2026, 11, 30, 0, 0, 0, 1, tzinfo=UTC))
    # equal prices, tiers and ranks: the deal ending one microsecond sooner wins
    assert best_price(ITEM, [a, b], HERE, policy=no_stack).deal_ids == (b.id,)
