"""Unit tests for the promotions engine: gates, conditions, rewards, policies, audit, index.

Every expected figure is worked out by hand in a comment next to it, from the
rules in the ``pricekit.promotions.evaluate`` module docstring, not from the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricekit.errors import CurrencyMismatchError, InvalidValueError, ModelValidationError
from pricekit.money import Money
from pricekit.promotions.evaluate import (
    DOCUMENT_VERSION,
    EvaluationResult,
    FreeItem,
    Policy,
    RejectionReason,
    evaluate,
    evaluate_document,
)
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import (
    CartLine,
    ConditionType,
    EvaluationContext,
    Promotion,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
    UnitSelection,
)
from pricekit.time import Weekday

# Saturday 2026-06-06, noon UTC (08:00 in New York, EDT = UTC-4).
NOON_SATURDAY = datetime(2026, 6, 6, 12, 0, tzinfo=UTC)
NEW_YORK = "America/New_York"


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def context(**overrides: Any) -> EvaluationContext:
    data: dict[str, Any] = {"business_id": "biz", "at": NOON_SATURDAY}
    data.update(overrides)
    return EvaluationContext.model_validate(data)


def promotion(**overrides: Any) -> Promotion:
    """An active, line-scope 10% off everything unless ``overrides`` say otherwise."""
    data: dict[str, Any] = {
        "id": "p",
        "business_id": "biz",
        "name": "Promo",
        "type": "percentage_discount",
        "scope": "line",
        "currency": "USD",
        "status": "active",
        "rewards": [{"type": "pct_off_item", "percent": "10"}],
    }
    data.update(overrides)
    return Promotion.model_validate(data)


def line(
    line_id: str,
    price: str,
    quantity: int | str = 1,
    *,
    product: str | None = None,
    variant: str | None = None,
    categories: Sequence[str] = (),
    collections: Sequence[str] = (),
) -> CartLine:
    return CartLine(
        line_id=line_id,
        product_id=product or line_id,
        variant_id=variant,
        category_ids=frozenset(categories),
        collection_ids=frozenset(collections),
        quantity=quantity,  # type: ignore[arg-type]
        unit_price=usd(price),
    )


def discounts(result: EvaluationResult) -> dict[str, str]:
    """Each line's discount as a string, by line id."""
    return {r.line_id: r.discount.format_amount() for r in result.lines}


def applied_ids(result: EvaluationResult) -> list[str]:
    return [a.promotion_id for a in result.applied]


def only_rejection(result: EvaluationResult) -> Any:
    assert not result.applied
    (rejection,) = result.rejections
    return rejection


# -- seed example 1: "20% off all Blue items this weekend" ---------------------------------


def weekend_blue(days: Sequence[str] = ("saturday", "sunday")) -> Promotion:
    return promotion(
        id="blue-weekend",
        name="20% off Blue items this weekend",
        item_filter={"category_ids": ["blue"]},
        conditions=[{"type": "days_of_week", "days": list(days)}],
        rewards=[{"type": "pct_off_item", "percent": "20"}],
    )


def blue_cart() -> list[CartLine]:
    return [
        line("shirt", "25.00", 2, categories=["blue", "apparel"]),
        line("hat", "15.00", categories=["red"]),
    ]


def test_weekend_blue_discounts_only_blue_lines() -> None:
    # Saturday 08:00 in New York. Blue shirts: 2 x 25.00 = 50.00, 20% = 10.00.
    # The red hat is not blue: 0. Cart 65.00 - 10.00 = 55.00.
    result = evaluate(blue_cart(), context(time_zone=NEW_YORK), [weekend_blue()])
    assert applied_ids(result) == ["blue-weekend"]
    assert discounts(result) == {"shirt": "10.00", "hat": "0.00"}
    assert result.subtotal == usd("65.00")
    assert result.total_discount == usd("10.00")
    assert result.total == usd("55.00")
    assert result.applied[0].line_ids == ("shirt",)
    assert result.rejections == ()


def test_weekend_is_read_in_the_location_time_zone_friday_night() -> None:
    # 2026-06-06T03:30Z is already Saturday in UTC, but Friday 23:30 in New York.
    at = datetime(2026, 6, 6, 3, 30, tzinfo=UTC)
    in_new_york = evaluate(blue_cart(), context(at=at, time_zone=NEW_YORK), [weekend_blue()])
    rejection = only_rejection(in_new_york)
    assert rejection.reason is RejectionReason.OUTSIDE_SCHEDULE
    assert rejection.condition is ConditionType.DAYS_OF_WEEK
    assert rejection.detail == "runs on Saturday, Sunday; it is Friday in America/New_York"
    # The same instant read in UTC is Saturday: the zone is what decides.
    in_utc = evaluate(blue_cart(), context(at=at, time_zone="UTC"), [weekend_blue()])
    assert in_utc.total_discount == usd("10.00")


def test_weekend_is_read_in_the_location_time_zone_sunday_night() -> None:
    # 2026-06-08T03:30Z is Monday in UTC but still Sunday 23:30 in New York.
    at = datetime(2026, 6, 8, 3, 30, tzinfo=UTC)
    result = evaluate(blue_cart(), context(at=at, time_zone=NEW_YORK), [weekend_blue()])
    assert result.total_discount == usd("10.00")
    in_utc = evaluate(blue_cart(), context(at=at), [weekend_blue()])
    assert only_rejection(in_utc).detail == "runs on Saturday, Sunday; it is Monday in UTC"


def test_saturday_only_late_evening_in_new_york_is_already_sunday_in_utc() -> None:
    # 2026-06-07T02:00Z: Saturday 22:00 in New York, Sunday 02:00 in UTC.
    at = datetime(2026, 6, 7, 2, 0, tzinfo=UTC)
    saturday_only = weekend_blue(days=["saturday"])
    assert evaluate(
        blue_cart(), context(at=at, time_zone=NEW_YORK), [saturday_only]
    ).total_discount == usd("10.00")
    rejection = only_rejection(evaluate(blue_cart(), context(at=at), [saturday_only]))
    assert rejection.reason is RejectionReason.OUTSIDE_SCHEDULE
    assert rejection.detail == "runs on Saturday; it is Sunday in UTC"


def test_time_of_day_is_read_in_the_location_time_zone() -> None:
    happy_hour = promotion(
        conditions=[{"type": "time_of_day", "window": {"start": "09:00", "end": "17:00"}}]
    )
    cart = [line("a", "10.00")]
    # 12:30Z is 08:30 in New York: before 09:00 (though inside the window in UTC).
    early = evaluate(
        cart, context(at=datetime(2026, 6, 6, 12, 30, tzinfo=UTC), time_zone=NEW_YORK), [happy_hour]
    )
    rejection = only_rejection(early)
    assert rejection.reason is RejectionReason.OUTSIDE_SCHEDULE
    assert rejection.condition is ConditionType.TIME_OF_DAY
    assert rejection.detail == "runs 09:00-17:00; it is 08:30 in America/New_York"
    # 13:30Z is 09:30 in New York: 10% of 10.00 = 1.00.
    late = evaluate(
        cart, context(at=datetime(2026, 6, 6, 13, 30, tzinfo=UTC), time_zone=NEW_YORK), [happy_hour]
    )
    assert late.total_discount == usd("1.00")


# -- seed example 2: "buy 2, get 1 free on T-shirts" ----------------------------------------


def tees_b2g1(**reward: Any) -> Promotion:
    return promotion(
        id="tees-b2g1",
        name="Buy 2 get 1 free on T-shirts",
        type="bogo",
        scope="bundle",
        item_filter={"category_ids": ["tees"]},
        rewards=[{"type": "free_item", "buy_quantity": 2, "reward_quantity": 1, **reward}],
    )


@pytest.mark.parametrize(
    ("tees", "free"),
    [
        (3, "20.00"),  # one group of 2 + 1: one tee free
        (4, "20.00"),  # the 4th tee cannot start a second group on its own
        (5, "20.00"),  # 2 + 1, then 2 left: still one group
        (6, "40.00"),  # two groups: 2 tees free
        (9, "60.00"),  # three groups: 3 tees free
    ],
)
def test_buy_2_get_1_repeats_for_every_multiple(tees: int, free: str) -> None:
    # Tees at 20.00 each: each full group of 3 takes 20.00 off.
    cart = [line("tee", "20.00", tees, categories=["tees"])]
    result = evaluate(cart, context(), [tees_b2g1()])
    assert result.total_discount == usd(free)
    assert discounts(result) == {"tee": free}


def test_buy_2_get_1_frees_the_cheapest_units_by_default() -> None:
    # Six tees: 2 at 30.00, 2 at 20.00, 2 at 10.00. Two groups; the two cheapest
    # units (the 10.00 tees) are free: 20.00, all on line "cheap".
    cart = [
        line("dear", "30.00", 2, categories=["tees"]),
        line("mid", "20.00", 2, categories=["tees"]),
        line("cheap", "10.00", 2, categories=["tees"]),
    ]
    result = evaluate(cart, context(), [tees_b2g1()])
    assert discounts(result) == {"dear": "0.00", "mid": "0.00", "cheap": "20.00"}
    assert result.total == usd("100.00")  # 120.00 - 20.00


def test_buy_2_get_1_can_free_the_most_expensive_units() -> None:
    # Same six tees; the reward goes to the two most expensive units: 2 x 30.00.
    cart = [
        line("dear", "30.00", 2, categories=["tees"]),
        line("mid", "20.00", 2, categories=["tees"]),
        line("cheap", "10.00", 2, categories=["tees"]),
    ]
    result = evaluate(cart, context(), [tees_b2g1(unit_selection="most_expensive")])
    assert discounts(result) == {"dear": "60.00", "mid": "0.00", "cheap": "0.00"}


def test_buy_2_get_1_uses_each_unit_once() -> None:
    # Two tees: a group needs 3 distinct units, so no tee counts both as bought and free.
    cart = [line("tee", "20.00", 2, categories=["tees"])]
    rejection = only_rejection(evaluate(cart, context(), [tees_b2g1()]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    assert rejection.missing_quantity == Decimal(1)
    assert rejection.detail == "add 1 more item(s) from category 'tees' (buy 2, get 1)"


def test_buy_2_get_1_ignores_units_outside_the_filter() -> None:
    # Two tees and a (non-tee) hat: the hat cannot complete the group.
    cart = [line("tee", "20.00", 2, categories=["tees"]), line("hat", "5.00", categories=["hats"])]
    result = evaluate(cart, context(), [tees_b2g1()])
    assert result.total_discount == usd("0.00")


# -- seed example 3: "spend 100, get 10 off" ------------------------------------------------


def spend_100() -> Promotion:
    return promotion(
        id="spend-100",
        name="Spend 100 get 10 off",
        type="spend_threshold",
        scope="cart",
        conditions=[{"type": "min_amount", "amount": "100.00 USD"}],
        rewards=[{"type": "fixed_off_all", "amount": "10.00 USD"}],
    )


def test_spend_100_allocates_by_largest_remainder() -> None:
    # Lines 10.00, 50.00, 41.00 = 101.00. 1000 minor units off, in proportion:
    #   a: 1000 * 1000 / 10100 =  99.0099 -> 99
    #   b: 1000 * 5000 / 10100 = 495.0495 -> 495
    #   c: 1000 * 4100 / 10100 = 405.9406 -> 405   (floors add to 999)
    # The one minor unit left goes to the largest remainder (.9406): c -> 406.
    cart = [line("a", "10.00"), line("b", "50.00"), line("c", "41.00")]
    result = evaluate(cart, context(), [spend_100()])
    assert discounts(result) == {"a": "0.99", "b": "4.95", "c": "4.06"}
    assert result.total_discount == usd("10.00")
    assert sum(r.discount.minor_units for r in result.lines) == 1000
    assert result.total == usd("91.00")


def test_spend_100_line_shares_add_up_exactly_with_equal_thirds() -> None:
    # 33.33 + 33.33 + 33.34 = 100.00 (exactly the threshold: >= qualifies).
    # 1000 * 3333 / 10000 = 333.3 -> 333 (x2); 1000 * 3334 / 10000 = 333.4 -> 333.
    # 999, one left: largest remainder is .4 (line c): 3.33, 3.33, 3.34.
    cart = [line("a", "33.33"), line("b", "33.33"), line("c", "33.34")]
    result = evaluate(cart, context(), [spend_100()])
    assert discounts(result) == {"a": "3.33", "b": "3.33", "c": "3.34"}
    assert result.total_discount == usd("10.00")


def test_spend_100_says_how_much_more_to_spend() -> None:
    # 50.00 + 38.00 = 88.00: 12.00 short of 100.00.
    cart = [line("a", "50.00"), line("b", "19.00", 2)]
    rejection = only_rejection(evaluate(cart, context(), [spend_100()]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    assert rejection.condition is ConditionType.MIN_AMOUNT
    assert rejection.missing_amount == usd("12.00")
    assert rejection.detail == "add 12.00 more (spend 100.00)"


def test_spend_threshold_reads_the_cart_before_other_promotions() -> None:
    # 100.00 cart; a higher-priority stackable 50% off takes 50.00 first. The
    # threshold is read on the cart as rung up (100.00), so 10.00 still comes off
    # what is left: 50.00 + 10.00 = 60.00.
    half = promotion(
        id="half", priority=5, stackable=True, rewards=[{"type": "pct_off_item", "percent": "50"}]
    )
    result = evaluate([line("a", "100.00")], context(), [half, spend_100()])
    assert applied_ids(result) == ["half", "spend-100"]
    assert result.total_discount == usd("60.00")


# -- seed example 4: "buy any Summer Collection item at 15% off" -----------------------------


def test_summer_collection_15_percent_rounds_half_up_per_line() -> None:
    # dress 39.99: 15% = 5.9985 -> 6.00; towels 3 x 12.50 = 37.50: 15% = 5.625 -> 5.63;
    # jam is not in the collection: 0. Total 11.63.
    summer = promotion(
        id="summer",
        name="15% off the Summer Collection",
        item_filter={"collection_ids": ["summer"]},
        rewards=[{"type": "pct_off_item", "percent": "15"}],
    )
    cart = [
        line("dress", "39.99", collections=["summer"]),
        line("towel", "12.50", 3, collections=["summer", "home"]),
        line("jam", "4.00"),
    ]
    result = evaluate(cart, context(), [summer])
    assert discounts(result) == {"dress": "6.00", "towel": "5.63", "jam": "0.00"}
    assert result.total_discount == usd("11.63")
    assert result.applied[0].line_ids == ("dress", "towel")


# -- gates ----------------------------------------------------------------------------------


CART = [line("a", "10.00")]


@pytest.mark.parametrize("status", ["draft", "scheduled", "paused", "expired"])
def test_only_active_promotions_are_live(status: str) -> None:
    rejection = only_rejection(evaluate(CART, context(), [promotion(status=status)]))
    assert rejection.reason is RejectionReason.NOT_LIVE
    assert rejection.detail == f"it is {status}"


def test_preview_statuses_evaluate_drafts_as_if_active() -> None:
    draft = promotion(id="d", status="draft")
    scheduled = promotion(id="s", status="scheduled", stackable=True, priority=1)
    # Scheduled (priority 1, stacks) 10% of 10.00 = 1.00; then draft 10% of 9.00 = 0.90.
    result = evaluate(CART, context(), [draft, scheduled], preview_statuses=["draft", "scheduled"])
    assert applied_ids(result) == ["s", "d"]
    assert result.total_discount == usd("1.90")
    only_draft = evaluate(
        CART, context(), [draft, scheduled], preview_statuses=[PromotionStatus.DRAFT]
    )
    assert applied_ids(only_draft) == ["d"]
    assert only_draft.rejection("s").reason is RejectionReason.NOT_LIVE  # type: ignore[union-attr]


def test_wrong_business() -> None:
    rejection = only_rejection(evaluate(CART, context(), [promotion(business_id="other")]))
    assert rejection.reason is RejectionReason.WRONG_BUSINESS
    assert rejection.detail == "it belongs to 'other'"


def test_wrong_currency() -> None:
    euro = promotion(currency="EUR", rewards=[{"type": "fixed_off_all", "amount": "1.00 EUR"}])
    rejection = only_rejection(evaluate(CART, context(), [euro]))
    assert rejection.reason is RejectionReason.WRONG_CURRENCY
    assert rejection.detail == "it is in EUR, the cart in USD"


def test_wrong_channel_and_every_channel() -> None:
    online = promotion(channel="online")
    rejection = only_rejection(evaluate(CART, context(channel="pos"), [online]))
    assert rejection.reason is RejectionReason.WRONG_CHANNEL
    assert rejection.detail == "it runs on online only"
    assert evaluate(CART, context(channel="online"), [online]).total_discount == usd("1.00")
    # No channel, or "any", runs everywhere.
    for everywhere in (promotion(), promotion(channel="any")):
        assert everywhere.channel is None
        assert evaluate(CART, context(channel="kiosk"), [everywhere]).total_discount == usd("1.00")


def test_wrong_location() -> None:
    downtown = promotion(location_ids=["downtown", "airport"])
    rejection = only_rejection(evaluate(CART, context(location_id="mall"), [downtown]))
    assert rejection.reason is RejectionReason.WRONG_LOCATION
    assert rejection.detail == "it runs at airport, downtown only"
    # A sale with no location does not meet a location-scoped promotion.
    assert only_rejection(evaluate(CART, context(), [downtown])).reason is (
        RejectionReason.WRONG_LOCATION
    )
    assert evaluate(CART, context(location_id="airport"), [downtown]).applied
    # No locations: everywhere.
    assert evaluate(CART, context(location_id="mall"), [promotion()]).applied


def test_validity_window_is_half_open() -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    end = datetime(2026, 7, 1, tzinfo=UTC)
    june = promotion(valid_from=start, valid_to=end)

    def reason_at(at: datetime) -> RejectionReason | None:
        result = evaluate(CART, context(at=at), [june])
        return None if result.applied else result.rejections[0].reason

    assert reason_at(start) is None  # valid_from itself is inside
    assert reason_at(end - timedelta(microseconds=1)) is None
    assert reason_at(end) is RejectionReason.OUTSIDE_VALIDITY  # valid_to itself is outside
    assert reason_at(start - timedelta(microseconds=1)) is RejectionReason.OUTSIDE_VALIDITY
    before = evaluate(CART, context(at=start - timedelta(days=1)), [june]).rejections[0]
    assert before.detail == "it starts at 2026-06-01T00:00:00+00:00"
    after = evaluate(CART, context(at=end), [june]).rejections[0]
    assert after.detail == "it ended at 2026-07-01T00:00:00+00:00"


def test_usage_limit() -> None:
    used_up = promotion(max_uses=100, current_uses=100)
    rejection = only_rejection(evaluate(CART, context(), [used_up]))
    assert rejection.reason is RejectionReason.USAGE_LIMIT_REACHED
    assert rejection.detail == "used 100 of 100 times"
    assert evaluate(CART, context(), [promotion(max_uses=100, current_uses=99)]).applied
    assert not evaluate(CART, context(), [promotion(max_uses=0)]).applied


def test_customer_limit_counts_the_customers_own_uses() -> None:
    once = promotion(max_uses_per_customer=1)
    used = context(customer_id="c1", customer_uses={"p": 1})
    rejection = only_rejection(evaluate(CART, used, [once]))
    assert rejection.reason is RejectionReason.CUSTOMER_LIMIT_REACHED
    assert rejection.detail == "this customer has used it 1 of 1 times"
    # Uses of another promotion do not count; nor does a first use.
    assert evaluate(CART, context(customer_id="c1", customer_uses={"other": 5}), [once]).applied
    assert evaluate(CART, context(customer_id="c1"), [once]).applied
    # Twice allowed, once used: fine.
    assert evaluate(CART, used, [promotion(max_uses_per_customer=2)]).applied


def test_customer_tier() -> None:
    gold = promotion(conditions=[{"type": "customer_tier", "ids": ["gold", "platinum"]}])
    rejection = only_rejection(evaluate(CART, context(customer_tier="silver"), [gold]))
    assert rejection.reason is RejectionReason.CUSTOMER_TIER
    assert rejection.condition is ConditionType.CUSTOMER_TIER
    assert rejection.detail == ("for customer tiers gold, platinum; this customer's tier is silver")
    assert only_rejection(evaluate(CART, context(), [gold])).reason is (
        RejectionReason.CUSTOMER_TIER
    )
    assert evaluate(CART, context(customer_tier="gold"), [gold]).applied


def test_gates_are_checked_in_the_documented_order() -> None:
    # Status before currency, currency before channel, channel before location,
    # location before validity, validity before the usage limit.
    everything_wrong: dict[str, Any] = {
        "status": "paused",
        "currency": "EUR",
        "rewards": [{"type": "pct_off_item", "percent": "10"}],
        "channel": "online",
        "location_ids": ["elsewhere"],
        "valid_to": datetime(2026, 1, 1, tzinfo=UTC),
        "max_uses": 0,
    }
    expected = [
        ("status", RejectionReason.NOT_LIVE),
        ("currency", RejectionReason.WRONG_CURRENCY),
        ("channel", RejectionReason.WRONG_CHANNEL),
        ("location_ids", RejectionReason.WRONG_LOCATION),
        ("valid_to", RejectionReason.OUTSIDE_VALIDITY),
        ("max_uses", RejectionReason.USAGE_LIMIT_REACHED),
    ]
    fields = dict(everything_wrong)
    for name, reason in expected:
        result = evaluate(CART, context(location_id="here"), [promotion(**fields)])
        assert only_rejection(result).reason is reason, name
        fields.pop(name)


# -- conditions as data ---------------------------------------------------------------------


def test_min_quantity_shortfall_names_the_items() -> None:
    three_x = promotion(
        item_filter={"category_ids": ["x"]},
        conditions=[{"type": "min_quantity", "quantity": 3}],
    )
    # Two x units and one other: only the x units count. 3 - 2 = 1 short.
    cart = [line("a", "10.00", 2, categories=["x"]), line("b", "10.00", 5)]
    rejection = only_rejection(evaluate(cart, context(), [three_x]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    assert rejection.condition is ConditionType.MIN_QUANTITY
    assert rejection.missing_quantity == Decimal(1)
    assert rejection.detail == "add 1 more item(s) from category 'x'"
    # Three x units: 10% of the x line (3 x 10.00 = 30.00) = 3.00; the other line is not x.
    cart[0] = line("a", "10.00", 3, categories=["x"])
    assert discounts(evaluate(cart, context(), [three_x])) == {"a": "3.00", "b": "0.00"}


def test_min_quantity_counts_weights() -> None:
    # 1.250 kg of a 2-kg minimum: 0.750 short.
    two_kg = promotion(conditions=[{"type": "min_quantity", "quantity": "2"}])
    rejection = only_rejection(evaluate([line("flour", "4.00", "1.250")], context(), [two_kg]))
    assert rejection.missing_quantity == Decimal("0.750")
    assert rejection.detail == "add 0.750 more item(s)"


def test_item_filter_needs_a_qualifying_line() -> None:
    tees = promotion(item_filter={"category_ids": ["x"]})
    rejection = only_rejection(evaluate(CART, context(), [tees]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    assert rejection.missing_quantity == Decimal(1)
    assert rejection.detail == "add 1 item from category 'x'"


@pytest.mark.parametrize(
    ("kind", "noun"),
    [
        ("product_in_cart", "product"),
        ("category_in_cart", "category"),
        ("collection_in_cart", "collection"),
    ],
)
def test_item_in_cart_conditions(kind: str, noun: str) -> None:
    needs = promotion(conditions=[{"type": kind, "ids": ["x"]}])
    rejection = only_rejection(evaluate(CART, context(), [needs]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    assert rejection.condition is ConditionType(kind)
    assert rejection.missing_quantity == Decimal(1)
    assert rejection.detail == f"add 1 item from {noun} 'x'"
    holder = line("b", "5.00", product="x", categories=["x"], collections=["x"])
    # With an x in the cart: 10% of every line (no item filter): 1.00 + 0.50.
    assert evaluate([*CART, holder], context(), [needs]).total_discount == usd("1.50")


def test_category_filter_matches_a_line_in_a_subcategory() -> None:
    # The cart line lists its category and its ancestors.
    apparel = promotion(item_filter={"category_ids": ["apparel"]})
    cart = [line("tee", "20.00", categories=["tees", "apparel"])]
    assert evaluate(cart, context(), [apparel]).total_discount == usd("2.00")


def test_variant_and_product_filters() -> None:
    by_variant = promotion(id="v", item_filter={"variant_ids": ["tee-m"]})
    cart = [
        line("m", "20.00", product="tee", variant="tee-m"),
        line("s", "20.00", product="tee", variant="tee-s"),
    ]
    assert discounts(evaluate(cart, context(), [by_variant])) == {"m": "2.00", "s": "0.00"}
    by_product = promotion(id="q", item_filter={"product_ids": ["tee"]})
    assert discounts(evaluate(cart, context(), [by_product])) == {"m": "2.00", "s": "2.00"}


# -- the priority policy (seed 004) ---------------------------------------------------------


def test_priority_highest_first_and_stop_after_first_non_stackable() -> None:
    # One line of 100.00.
    #   hi  (priority 10, stacks): 10% of 100.00 = 10.00
    #   mid (priority 5, does not stack): 5.00 off the 90.00 left = 5.00, then stop
    #   low (priority 1, stacks): blocked by mid
    hi = promotion(id="hi", priority=10, stackable=True)
    mid = promotion(
        id="mid",
        name="Five off",
        priority=5,
        scope="cart",
        rewards=[{"type": "fixed_off_all", "amount": "5.00 USD"}],
    )
    low = promotion(
        id="low", priority=1, stackable=True, rewards=[{"type": "pct_off_item", "percent": "20"}]
    )
    result = evaluate([line("a", "100.00")], context(), [low, mid, hi])
    assert applied_ids(result) == ["hi", "mid"]
    assert [a.discount for a in result.applied] == [usd("10.00"), usd("5.00")]
    assert result.total_discount == usd("15.00")
    assert [d.promotion_id for d in result.lines[0].discounts] == ["hi", "mid"]
    blocked = result.rejection("low")
    assert blocked is not None
    assert blocked.reason is RejectionReason.BLOCKED_BY_NON_STACKABLE
    assert blocked.blocked_by == "mid"
    assert blocked.detail == "'Five off' applied and does not stack"


def test_priority_a_non_stackable_that_does_not_apply_does_not_block() -> None:
    # "big" (priority 9, non-stackable) needs 500.00: not met, so it blocks nothing.
    big = promotion(
        id="big", priority=9, conditions=[{"type": "min_amount", "amount": "500.00 USD"}]
    )
    small = promotion(id="small", priority=1)
    result = evaluate([line("a", "100.00")], context(), [big, small])
    assert applied_ids(result) == ["small"]
    assert result.rejection("big").reason is RejectionReason.CONDITION_NOT_MET  # type: ignore[union-attr]


def test_priority_stacked_percentages_compound_on_what_is_left() -> None:
    # 10% of 100.00 = 10.00, then 20% of the 90.00 left = 18.00: 28.00 in all.
    first = promotion(id="first", priority=2, stackable=True)
    second = promotion(
        id="second", priority=1, stackable=True, rewards=[{"type": "pct_off_item", "percent": "20"}]
    )
    result = evaluate([line("a", "100.00")], context(), [second, first])
    assert [a.discount for a in result.applied] == [usd("10.00"), usd("18.00")]
    assert result.total == usd("72.00")


def test_priority_ties_break_by_id() -> None:
    # Equal priority, neither stacks: "a-first" goes first (by id) and blocks "b-second".
    a = promotion(id="a-first")
    b = promotion(id="b-second", rewards=[{"type": "pct_off_item", "percent": "50"}])
    result = evaluate([line("x", "10.00")], context(), [b, a])
    assert applied_ids(result) == ["a-first"]
    assert result.rejection("b-second").blocked_by == "a-first"  # type: ignore[union-attr]


def test_nothing_left_to_discount() -> None:
    # A stackable 100% off takes everything; the next has nothing left.
    everything = promotion(
        id="all", priority=2, stackable=True, rewards=[{"type": "pct_off_item", "percent": "100"}]
    )
    more = promotion(id="more", priority=1)
    result = evaluate(CART, context(), [everything, more])
    assert result.total == usd("0.00")
    rejection = result.rejection("more")
    assert rejection is not None
    assert rejection.reason is RejectionReason.NOTHING_TO_DISCOUNT


# -- the best_for_customer policy -----------------------------------------------------------


def best_case() -> tuple[list[CartLine], list[Promotion]]:
    # One line of 100.00.
    #   a (priority 10, non-stackable): 5% = 5.00
    #   b (priority 1, stacks): 10% = 10.00
    #   c (priority 0, stacks): 8.00 off
    cart = [line("x", "100.00")]
    a = promotion(
        id="a", name="Five pct", priority=10, rewards=[{"type": "pct_off_item", "percent": "5"}]
    )
    b = promotion(id="b", priority=1, stackable=True)
    c = promotion(
        id="c",
        priority=0,
        stackable=True,
        scope="cart",
        rewards=[{"type": "fixed_off_all", "amount": "8.00 USD"}],
    )
    return cart, [a, b, c]


def test_best_for_customer_beats_priority() -> None:
    cart, promotions = best_case()
    # priority: a applies (5.00) and blocks b and c.
    by_priority = evaluate(cart, context(), promotions)
    assert applied_ids(by_priority) == ["a"]
    assert by_priority.total_discount == usd("5.00")
    # best: b then c: 10.00 + 8.00 = 18.00 (a alone 5.00; a cannot join b and c).
    best = evaluate(cart, context(), promotions, policy="best_for_customer")
    assert best.policy is Policy.BEST_FOR_CUSTOMER
    assert applied_ids(best) == ["b", "c"]
    assert best.total_discount == usd("18.00")
    assert best.exact is True
    rejection = best.rejection("a")
    assert rejection is not None
    assert rejection.reason is RejectionReason.NOT_SELECTED
    assert rejection.detail == "it does not stack, and a combination without it saves more (18.00)"


def test_best_for_customer_picks_the_bigger_non_stackable() -> None:
    # Both non-stackable: priority takes "small" (priority 5, 1.00); best takes "big" (3.00)
    # and says "small" was blocked by it.
    small = promotion(id="small", priority=5)
    big = promotion(
        id="big", name="Big", priority=1, rewards=[{"type": "pct_off_item", "percent": "30"}]
    )
    best = evaluate(CART, context(), [small, big], policy=Policy.BEST_FOR_CUSTOMER)
    assert applied_ids(best) == ["big"]
    assert best.total_discount == usd("3.00")
    rejection = best.rejection("small")
    assert rejection is not None
    assert rejection.reason is RejectionReason.BLOCKED_BY_NON_STACKABLE
    assert rejection.blocked_by == "big"


def test_best_for_customer_keeps_the_stackable_not_chosen_as_not_selected() -> None:
    # Stackables s1 (10% -> 1.00) and s2 (20% of the rest): both together save most.
    s1 = promotion(id="s1", priority=1, stackable=True)
    s2 = promotion(id="s2", stackable=True, rewards=[{"type": "pct_off_item", "percent": "20"}])
    best = evaluate(CART, context(), [s1, s2], policy="best_for_customer")
    # 1.00 + 20% of 9.00 = 1.80: 2.80.
    assert applied_ids(best) == ["s1", "s2"]
    assert best.total_discount == usd("2.80")


def test_best_for_customer_ties_go_to_fewer_promotions() -> None:
    # A cart of 2.00. Priority: "half-a" (1.00) and "half-b" (1.00) stack and take
    # everything, so "one" (2.00, last) finds nothing left: 2.00 with two promotions.
    # "one" alone also saves 2.00: the tie goes to the single promotion.
    cart = [line("a", "2.00")]
    one = promotion(
        id="one", scope="cart", rewards=[{"type": "fixed_off_all", "amount": "2.00 USD"}]
    )
    half_a = promotion(
        id="half-a",
        priority=3,
        stackable=True,
        scope="cart",
        rewards=[{"type": "fixed_off_all", "amount": "1.00 USD"}],
    )
    half_b = promotion(
        id="half-b",
        priority=2,
        stackable=True,
        scope="cart",
        rewards=[{"type": "fixed_off_all", "amount": "1.00 USD"}],
    )
    by_priority = evaluate(cart, context(), [one, half_a, half_b])
    assert applied_ids(by_priority) == ["half-a", "half-b"]
    assert by_priority.rejection("one").reason is RejectionReason.NOTHING_TO_DISCOUNT  # type: ignore[union-attr]
    best = evaluate(cart, context(), [one, half_a, half_b], policy="best_for_customer")
    assert applied_ids(best) == ["one"]
    assert best.total_discount == usd("2.00")


def test_best_for_customer_equal_sets_go_to_the_earlier_in_priority_order() -> None:
    # Two non-stackable 1.00 off at equal priority: "x" comes before "y" by id.
    x = promotion(id="x")
    y = promotion(id="y")
    assert applied_ids(evaluate(CART, context(), [y, x], policy="best_for_customer")) == ["x"]


def test_best_for_customer_above_the_exact_limit_says_so() -> None:
    many = [
        promotion(id=f"s{n:02}", stackable=True, rewards=[{"type": "pct_off_item", "percent": "1"}])
        for n in range(5)
    ]
    result = evaluate(
        [line("x", "100.00")], context(), many, policy="best_for_customer", exact_limit=3
    )
    assert result.exact is False
    # Priority stacks all five: 1% of 100.00, 99.00, 98.01, 97.03, 96.06
    # -> 1.00 + 0.99 + 0.98 + 0.97 + 0.96 = 4.90. The search over the three kept finds
    # at most 1.00 + 0.99 + 0.98 = 2.97, and best never saves less than priority: 4.90.
    priority = evaluate([line("x", "100.00")], context(), many)
    assert priority.total_discount == usd("4.90")
    assert result.total_discount == usd("4.90")
    assert applied_ids(result) == applied_ids(priority)


def test_best_for_customer_keeps_a_free_gift() -> None:
    gift = promotion(
        id="gift",
        scope="cart",
        rewards=[{"type": "free_item", "free_product_id": "tote"}],
    )
    expected = (FreeItem(promotion_id="gift", product_id="tote", variant_id=None, quantity=1),)
    assert evaluate(CART, context(), [gift]).free_items == expected  # priority gives the tote
    assert evaluate(CART, context(), [gift], policy="best_for_customer").free_items == expected


# -- rewards --------------------------------------------------------------------------------


def test_max_discount_caps_and_reallocates_in_proportion() -> None:
    # 50% of 20.00 = 10.00 and of 10.00 = 5.00: 15.00, capped at 10.00.
    # Split 1000 by 1000:500 -> 666.67 and 333.33 -> 666 + 333 = 999, the left-over
    # minor unit to the larger remainder (.67): 6.67 and 3.33.
    capped = promotion(
        rewards=[{"type": "pct_off_item", "percent": "50", "max_discount": "10.00 USD"}]
    )
    cart = [line("big", "20.00"), line("small", "10.00")]
    result = evaluate(cart, context(), [capped])
    assert discounts(result) == {"big": "6.67", "small": "3.33"}
    assert result.applied[0].discount == usd("10.00")


def test_max_discount_below_the_cap_changes_nothing() -> None:
    capped = promotion(
        rewards=[{"type": "pct_off_item", "percent": "50", "max_discount": "20.00 USD"}]
    )
    result = evaluate([line("a", "30.00")], context(), [capped])
    assert result.total_discount == usd("15.00")


def test_max_discount_on_a_cart_wide_percentage() -> None:
    # 25% off all of 60.00 + 20.00 = 20.00, capped at 12.00: 3:1 -> 9.00 and 3.00.
    capped = promotion(
        scope="cart",
        rewards=[{"type": "pct_off_all", "percent": "25", "max_discount": "12.00 USD"}],
    )
    result = evaluate([line("a", "60.00"), line("b", "20.00")], context(), [capped])
    assert discounts(result) == {"a": "9.00", "b": "3.00"}


def test_fixed_off_item_is_per_unit_and_never_more_than_the_line() -> None:
    # 5.00 off each unit: socks 2 x 3.00 = 6.00 (10.00 would exceed: capped at 6.00);
    # coat 1 x 20.00: 5.00.
    five_off = promotion(
        type="fixed_discount", rewards=[{"type": "fixed_off_item", "amount": "5.00 USD"}]
    )
    result = evaluate([line("socks", "3.00", 2), line("coat", "20.00")], context(), [five_off])
    assert discounts(result) == {"socks": "6.00", "coat": "5.00"}
    assert result.lines[0].total == usd("0.00")


def test_fixed_off_all_never_exceeds_the_cart() -> None:
    twenty = promotion(scope="cart", rewards=[{"type": "fixed_off_all", "amount": "20.00 USD"}])
    result = evaluate([line("a", "4.00"), line("b", "6.00")], context(), [twenty])
    assert discounts(result) == {"a": "4.00", "b": "6.00"}
    assert result.total == usd("0.00")


def test_pct_off_all_rounds_once_on_the_cart() -> None:
    # Three lines of 0.05. Per line, 10% = 0.005 would round to 0.01 each (0.03);
    # off the cart, 10% of 0.15 = 0.015 -> 0.02, split equally 1, 1, 0 by largest
    # remainder (ties to the earlier line).
    cart = [line("a", "0.05"), line("b", "0.05"), line("c", "0.05")]
    all_off = promotion(scope="cart", rewards=[{"type": "pct_off_all", "percent": "10"}])
    result = evaluate(cart, context(), [all_off])
    assert result.total_discount == usd("0.02")
    assert sorted(discounts(result).values()) == ["0.00", "0.01", "0.01"]
    per_item = evaluate(cart, context(), [promotion()])
    assert per_item.total_discount == usd("0.03")


def test_pct_off_all_with_applies_to() -> None:
    # 10% off the food lines only: 10% of (4.00 + 6.00) = 1.00, split 0.40 / 0.60.
    food = promotion(
        scope="cart",
        rewards=[
            {"type": "pct_off_all", "percent": "10", "applies_to": {"category_ids": ["food"]}}
        ],
    )
    cart = [
        line("jam", "4.00", categories=["food"]),
        line("tea", "6.00", categories=["food"]),
        line("hat", "15.00"),
    ]
    assert discounts(evaluate(cart, context(), [food])) == {
        "jam": "0.40",
        "tea": "0.60",
        "hat": "0.00",
    }


def gift_with_purchase(quantity: int = 1) -> Promotion:
    return promotion(
        id="gift",
        name="Free tote over 50",
        scope="cart",
        conditions=[{"type": "min_amount", "amount": "50.00 USD"}],
        rewards=[{"type": "free_item", "free_product_id": "tote", "reward_quantity": quantity}],
    )


def test_free_item_not_in_the_cart_is_returned_to_add() -> None:
    result = evaluate([line("a", "60.00")], context(), [gift_with_purchase()])
    expected = FreeItem(promotion_id="gift", product_id="tote", variant_id=None, quantity=1)
    assert result.free_items == (expected,)
    assert applied_ids(result) == ["gift"]
    assert result.applied[0].free_items == (expected,)
    assert result.applied[0].discount == usd("0.00")
    assert result.total == usd("60.00")


def test_free_item_in_the_cart_makes_its_cheapest_unit_free() -> None:
    # Totes in the cart at 4.00 (x3) and at 3.50: one unit free, the cheapest (3.50).
    cart = [
        line("a", "60.00"),
        line("tote-big", "4.00", 3, product="tote"),
        line("tote-small", "3.50", product="tote"),
    ]
    result = evaluate(cart, context(), [gift_with_purchase()])
    assert discounts(result) == {"a": "0.00", "tote-big": "0.00", "tote-small": "3.50"}
    assert result.free_items == ()


def test_free_item_partly_in_the_cart() -> None:
    # Two totes given, one in the cart: it becomes free and one more is added.
    cart = [line("a", "60.00"), line("t", "4.00", product="tote")]
    result = evaluate(cart, context(), [gift_with_purchase(quantity=2)])
    assert discounts(result) == {"a": "0.00", "t": "4.00"}
    assert result.free_items == (
        FreeItem(promotion_id="gift", product_id="tote", variant_id=None, quantity=1),
    )


def test_free_item_by_variant() -> None:
    free_m = promotion(scope="cart", rewards=[{"type": "free_item", "free_variant_id": "tee-m"}])
    cart = [
        line("s", "20.00", product="tee", variant="tee-s"),
        line("m", "22.00", product="tee", variant="tee-m"),
    ]
    assert discounts(evaluate(cart, context(), [free_m])) == {"s": "0.00", "m": "22.00"}


def tees_3_for_50(**reward: Any) -> Promotion:
    return promotion(
        id="3-for-50",
        name="3 tees for 50",
        type="bundle",
        scope="bundle",
        item_filter={"category_ids": ["tees"]},
        rewards=[
            {
                "type": "override_price",
                "override_price": "50.00 USD",
                "buy_quantity": 2,
                "reward_quantity": 1,
                "applies_to": {"category_ids": ["tees"]},
                **reward,
            }
        ],
    )


@pytest.mark.parametrize(("tees", "off"), [(3, "10.00"), (5, "10.00"), (6, "20.00"), (7, "20.00")])
def test_override_price_bundle(tees: int, off: str) -> None:
    # Tees at 20.00: a group of 3 (60.00) sells for 50.00, 10.00 off per group.
    cart = [line("tee", "20.00", tees, categories=["tees"])]
    assert evaluate(cart, context(), [tees_3_for_50()]).total_discount == usd(off)


def test_override_price_bundle_splits_the_saving_over_its_units() -> None:
    # 25.00 + 20.00 + 15.00 = 60.00 for 50.00: 10.00 off, split 25:20:15
    #   1000 * 2500 / 6000 = 416.67 -> 416; * 2000 / 6000 = 333.33 -> 333; * 1500 / 6000 = 250
    #   999, one left to the largest remainder (.67): 4.17, 3.33, 2.50.
    cart = [
        line("a", "25.00", categories=["tees"]),
        line("b", "20.00", categories=["tees"]),
        line("c", "15.00", categories=["tees"]),
    ]
    result = evaluate(cart, context(), [tees_3_for_50()])
    assert discounts(result) == {"a": "4.17", "b": "3.33", "c": "2.50"}


def test_override_price_above_the_group_value_takes_nothing() -> None:
    # 3 x 10.00 = 30.00 already costs less than 50.00.
    cart = [line("tee", "10.00", 3, categories=["tees"])]
    rejection = only_rejection(evaluate(cart, context(), [tees_3_for_50()]))
    assert rejection.reason is RejectionReason.NOTHING_TO_DISCOUNT


def burger_and_fries(**benefit: Any) -> Promotion:
    return Promotion.from_seed_json(
        id="combo",
        business_id="biz",
        name="Buy a burger, fries half price",
        type="bundle",
        scope="bundle",
        currency="USD",
        status="active",
        conditions={
            "itemFilter": {"productIds": ["burger"]},
            "rewardItemFilter": {"productIds": ["fries"]},
            "minQuantity": 1,
        },
        benefit={"method": "percent", "value": 50, "rewardQuantity": 1, **benefit},
    )


def test_bundle_with_reward_item_filter() -> None:
    # 2 burgers (8.00) and 3 fries (3.00): two groups, two fries half off: 2 x 1.50.
    cart = [line("b", "8.00", 2, product="burger"), line("f", "3.00", 3, product="fries")]
    result = evaluate(cart, context(), [burger_and_fries()])
    assert discounts(result) == {"b": "0.00", "f": "3.00"}
    # One burger: one group; fries alone: no group.
    one = evaluate(
        [line("b", "8.00", product="burger"), *cart[1:]], context(), [burger_and_fries()]
    )
    assert one.total_discount == usd("1.50")
    alone = evaluate(cart[1:], context(), [burger_and_fries()])
    assert only_rejection(alone).reason is RejectionReason.CONDITION_NOT_MET


def shirt_buys_apparel_half_off() -> Promotion:
    return promotion(
        type="bundle",
        scope="bundle",
        item_filter={"category_ids": ["shirts"]},
        rewards=[
            {
                "type": "pct_off_item",
                "percent": "50",
                "buy_quantity": 1,
                "reward_quantity": 1,
                "applies_to": {"category_ids": ["apparel"]},
            }
        ],
    )


def test_bundle_finds_a_group_when_the_cheapest_reward_unit_is_the_only_qualifier() -> None:
    # Buy 1 shirt, get any apparel item 50% off. Cart: a shirt 10.00 and a jacket
    # 50.00 (both apparel). The only group is (buy the shirt, the jacket half off):
    # 25.00 off; the shirt cannot be both the bought unit and the reward.
    cart = [
        line("shirt", "10.00", categories=["shirts", "apparel"]),
        line("jacket", "50.00", categories=["apparel"]),
    ]
    result = evaluate(cart, context(), [shirt_buys_apparel_half_off()])
    assert discounts(result) == {"shirt": "0.00", "jacket": "25.00"}


def test_bundle_forms_as_many_groups_as_the_units_allow() -> None:
    # Buy 1 shirt, get any apparel item 50% off. Two shirts at 10.00 (shirts are
    # apparel) and two jackets at 50.00. Two groups can form, (shirt | jacket) twice:
    # 2 x 25.00 = 50.00 off. Pairing the shirts with each other forms only one group.
    cart = [
        line("shirt", "10.00", 2, categories=["shirts", "apparel"]),
        line("jacket", "50.00", 2, categories=["apparel"]),
    ]
    result = evaluate(cart, context(), [shirt_buys_apparel_half_off()])
    assert discounts(result) == {"shirt": "0.00", "jacket": "50.00"}


def test_only_whole_units_of_a_weight_join_a_bundle() -> None:
    # Buy 1 get 1 free on apples by weight: 1.5 kg is one whole unit, not a group of two.
    bogo = promotion(
        type="bogo",
        scope="bundle",
        item_filter={"product_ids": ["apple"]},
        rewards=[{"type": "free_item", "buy_quantity": 1, "reward_quantity": 1}],
    )
    rejection = only_rejection(evaluate([line("apple", "10.00", "1.5")], context(), [bogo]))
    assert rejection.reason is RejectionReason.CONDITION_NOT_MET
    # 0.8 kg holds no whole unit at all.
    assert not evaluate([line("apple", "10.00", "0.8")], context(), [bogo]).applied


def test_a_free_unit_of_a_weight_is_worth_its_unit_price() -> None:
    # 2.5 kg at 10.00/kg = 25.00; two whole units make one buy-1-get-1 group; the free
    # unit is one kilo: 10.00 off (the half kilo is not part of any unit).
    bogo = promotion(
        type="bogo",
        scope="bundle",
        item_filter={"product_ids": ["apple"]},
        rewards=[{"type": "free_item", "buy_quantity": 1, "reward_quantity": 1}],
    )
    result = evaluate([line("apple", "10.00", "2.5")], context(), [bogo])
    assert result.total_discount == usd("10.00")


def test_fixed_off_item_on_a_weight_is_per_unit_of_measure() -> None:
    # 1.00 off per kilo on 1.5 kg: 1.50.
    per_kilo = promotion(
        type="fixed_discount", rewards=[{"type": "fixed_off_item", "amount": "1.00 USD"}]
    )
    assert evaluate([line("ham", "12.00", "1.5")], context(), [per_kilo]).total_discount == usd(
        "1.50"
    )


# -- seed 002 JSON --------------------------------------------------------------------------


SEED_002 = """
{
  "conditions": {
    "itemFilter": {"categoryIds": ["cat-1"], "productIds": ["prod-1"], "variantIds": ["var-1"]},
    "minQuantity": 2,
    "minCartTotal": 100,
    "rewardItemFilter": {"categoryIds": ["cat-2"]},
    "daysOfWeek": [1, 2, 3, 4, 5]
  },
  "benefit": {
    "method": "percent",
    "value": 20,
    "maxDiscount": 50,
    "rewardQuantity": 1,
    "overridePrice": 0
  }
}
"""

SEED_FIELDS: dict[str, Any] = {
    "id": "seed",
    "business_id": "biz",
    "name": "Seed example",
    "type": "bundle",
    "scope": "bundle",
    "currency": "USD",
    "status": "active",
}


def test_from_seed_json_reads_the_seed_002_example() -> None:
    document = json.loads(SEED_002)
    built = Promotion.from_seed_json(**document, **SEED_FIELDS)
    assert built.item_filter is not None
    assert built.item_filter.category_ids == {"cat-1"}
    assert built.item_filter.product_ids == {"prod-1"}
    assert built.item_filter.variant_ids == {"var-1"}
    # JavaScript days 1..5 are Monday..Friday.
    conditions = {c.type: c for c in built.conditions}
    assert set(conditions) == {ConditionType.MIN_AMOUNT, ConditionType.DAYS_OF_WEEK}
    assert conditions[ConditionType.MIN_AMOUNT].amount == usd("100.00")
    assert conditions[ConditionType.DAYS_OF_WEEK].days == {
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
        Weekday.FRIDAY,
    }
    (reward,) = built.rewards
    # A bundle: minQuantity is its "buy X"; "percent" with a method given is not an override.
    assert reward.type is RewardType.PCT_OFF_ITEM
    assert reward.percent == Decimal(20)
    assert reward.max_discount == usd("50.00")
    assert reward.buy_quantity == 2
    assert reward.reward_quantity == 1
    assert reward.applies_to is not None
    assert reward.applies_to.category_ids == {"cat-2"}
    # Round trip through the model's JSON form.
    assert Promotion.model_validate_json(built.model_dump_json()) == built
    assert Promotion.model_validate(json.loads(json.dumps(built.model_dump(mode="json")))) == built


def test_from_seed_json_reads_decimal_json_numbers_exactly() -> None:
    document = json.loads('{"minCartTotal": 99.99}', parse_float=Decimal)
    built = Promotion.from_seed_json(
        conditions=document,
        benefit=json.loads('{"method": "fixed", "value": 7.5}', parse_float=Decimal),
        **{**SEED_FIELDS, "type": "spend_threshold", "scope": "cart"},
    )
    assert built.conditions[0].amount == usd("99.99")
    assert built.rewards[0].type is RewardType.FIXED_OFF_ALL
    assert built.rewards[0].amount == usd("7.50")


def test_from_seed_json_refuses_float_amounts_naming_the_field() -> None:
    with pytest.raises(InvalidValueError) as info:
        Promotion.from_seed_json(
            conditions=json.loads('{"minCartTotal": 99.99}'),
            benefit={"method": "fixed", "value": 1},
            **{**SEED_FIELDS, "type": "spend_threshold", "scope": "cart"},
        )
    assert info.value.field == "conditions.minCartTotal"


@pytest.mark.parametrize(
    ("conditions", "benefit", "field"),
    [
        ({"minCartTotl": 100}, {"method": "percent", "value": 10}, "conditions.minCartTotl"),
        ({}, {"method": "percent", "value": 10, "percent": 10}, "benefit.percent"),
        ({}, {"method": "bogus", "value": 10}, "benefit.method"),
        ({}, {"value": 10}, "benefit.method"),
        (
            {"itemFilter": {"brandIds": ["b"]}},
            {"method": "percent", "value": 1},
            "conditions.itemFilter.brandIds",
        ),
        ({"itemFilter": ["cat-1"]}, {"method": "percent", "value": 1}, "conditions.itemFilter"),
        ({"daysOfWeek": [7]}, {"method": "percent", "value": 1}, "conditions.daysOfWeek"),
        ({"daysOfWeek": 1}, {"method": "percent", "value": 1}, "conditions.daysOfWeek"),
    ],
)
def test_from_seed_json_names_the_bad_field(
    conditions: dict[str, Any], benefit: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Promotion.from_seed_json(
            conditions=conditions,
            benefit=benefit,
            **{**SEED_FIELDS, "scope": "line", "type": "percentage_discount"},
        )
    assert caught.value.field == field


def test_from_seed_json_needs_a_currency_and_valid_values() -> None:
    fields = {k: v for k, v in SEED_FIELDS.items() if k != "currency"}
    with pytest.raises(InvalidValueError) as caught:
        Promotion.from_seed_json(conditions={}, benefit={"method": "percent", "value": 1}, **fields)
    assert caught.value.field == "currency"
    with pytest.raises(ModelValidationError) as refused:
        Promotion.from_seed_json(
            conditions={},
            benefit={"method": "percent", "value": 150},
            **{**SEED_FIELDS, "scope": "line"},
        )
    assert refused.value.field == "rewards.0.percent"


# -- model input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rewards": [{"type": "pct_off_item", "percent": "0"}]}, "rewards.0.percent"),
        ({"rewards": [{"type": "pct_off_item", "percent": "100.01"}]}, "rewards.0.percent"),
        ({"rewards": [{"type": "pct_off_all", "percent": "-5"}]}, "rewards.0.percent"),
        ({"rewards": [{"type": "pct_off_item"}]}, "rewards.0.percent"),
        ({"rewards": [{"type": "fixed_off_all", "amount": "0.00 USD"}]}, "rewards.0.amount"),
        ({"rewards": [{"type": "fixed_off_item", "amount": "-1.00 USD"}]}, "rewards.0.amount"),
        ({"rewards": [{"type": "fixed_off_item", "amount": "1.00 EUR"}]}, "rewards.0.amount"),
        (
            {"rewards": [{"type": "pct_off_item", "percent": "5", "max_discount": "0.00 USD"}]},
            "rewards.0.max_discount",
        ),
        (
            {"conditions": [{"type": "min_amount", "amount": "-1.00 USD"}]},
            "conditions.0.amount",
        ),
        ({"conditions": [{"type": "min_quantity", "quantity": "0"}]}, "conditions.0.quantity"),
        ({"conditions": [{"type": "category_in_cart"}]}, "conditions.0.ids"),
        ({"conditions": [{"type": "days_of_week", "days": []}]}, "conditions.0.days"),
        ({"rewards": [{"type": "free_item"}]}, "rewards.0.free_product_id"),
        (
            {
                "type": "bundle",
                "scope": "bundle",
                "item_filter": {"product_ids": ["a"]},
                "rewards": [{"type": "free_item", "buy_quantity": 1}],
            },
            "rewards.0.applies_to",
        ),
        (
            {
                "scope": "bundle",
                "item_filter": {"product_ids": ["a"]},
                "rewards": [{"type": "pct_off_all", "percent": "5"}],
            },
            "rewards.0.type",
        ),
        (
            {"rewards": [{"type": "override_price", "override_price": "1.00 USD"}]},
            "rewards.0.type",
        ),
        ({"max_uses": -1}, "max_uses"),
        ({"max_uses_per_customer": -1}, "max_uses_per_customer"),
        ({"current_uses": -1}, "current_uses"),
        ({"rewards": []}, "rewards"),
        (
            {
                "valid_from": datetime(2026, 2, 1, tzinfo=UTC),
                "valid_to": datetime(2026, 1, 1, tzinfo=UTC),
            },
            "valid_to",
        ),
        ({"valid_from": datetime(2026, 2, 1)}, "valid_from"),  # naive
        ({"name": ""}, "name"),
    ],
)
def test_promotion_refuses_bad_input_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ModelValidationError) as caught:
        promotion(**overrides)
    assert caught.value.field == field


def test_reward_refuses_a_percent_outside_0_to_100() -> None:
    for bad in ("0", "100.5", "-1"):
        with pytest.raises(ModelValidationError) as caught:
            Reward(type=RewardType.PCT_OFF_ITEM, percent=bad)  # type: ignore[arg-type]
        assert caught.value.field == "percent"
    assert Reward(type=RewardType.PCT_OFF_ITEM, percent="100").percent == 100  # type: ignore[arg-type]
    assert Reward(type=RewardType.PCT_OFF_ITEM, percent="0.01").percent == Decimal("0.01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": "-1.5"}, "quantity"),
        ({"unit_price": "-1.00 USD"}, "unit_price"),
        ({"line_id": ""}, "line_id"),
    ],
)
def test_cart_line_refuses_bad_input(overrides: dict[str, Any], field: str) -> None:
    data: dict[str, Any] = {
        "line_id": "a",
        "product_id": "x",
        "quantity": 1,
        "unit_price": "1.00 USD",
    }
    with pytest.raises(ModelValidationError) as caught:
        CartLine.model_validate({**data, **overrides})
    assert caught.value.field == field


def test_a_copied_cart_line_works_its_amount_and_items_out_again() -> None:
    original = line("a", "1.00", 1, categories=["tees"])
    assert original.amount == usd("1.00")
    assert original.item_keys == {"product:a", "category:tees"}
    # model_copy(update=...) must not carry the values worked out from the old fields
    copied = original.model_copy(update={"quantity": Decimal(3), "product_id": "b"})
    assert copied.amount == usd("3.00")
    assert copied.item_keys == {"product:b", "category:tees"}
    tees_20 = promotion(
        item_filter={"product_ids": ["b"]}, rewards=[{"type": "pct_off_item", "percent": "20"}]
    )
    # 20% of 3.00 = 0.60, on the copy's product
    assert evaluate([copied], context(), [tees_20]).total_discount == usd("0.60")


def test_context_refuses_naive_instants_and_unknown_zones() -> None:
    with pytest.raises(ModelValidationError) as naive:
        context(at=datetime(2026, 6, 6, 12))
    assert naive.value.field == "at"
    with pytest.raises(ModelValidationError) as zone:
        context(time_zone="Mars/Olympus")
    assert zone.value.field == "time_zone"


def test_evaluate_refuses_lines_in_another_currency() -> None:
    euro = CartLine(
        line_id="e", product_id="x", quantity=Decimal(1), unit_price=Money.of("1.00", "EUR")
    )
    with pytest.raises(CurrencyMismatchError) as caught:
        evaluate([line("a", "1.00"), euro], context(), [promotion()])
    assert caught.value.field == "cart[1].unit_price"
    assert (caught.value.expected, caught.value.actual) == ("USD", "EUR")


def test_evaluate_refuses_repeated_line_ids_and_empty_carts() -> None:
    with pytest.raises(InvalidValueError) as repeated:
        evaluate([line("a", "1.00"), line("b", "2.00"), line("a", "3.00")], context(), [])
    assert repeated.value.field == "cart[2].line_id"
    with pytest.raises(InvalidValueError) as empty:
        evaluate([], context(), [])
    assert empty.value.field == "cart"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"policy": "cheapest"}, "policy"),
        ({"exact_limit": 0}, "exact_limit"),
        ({"exact_limit": 21}, "exact_limit"),
    ],
)
def test_evaluate_refuses_bad_options(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        evaluate(CART, context(), [], **options)
    assert caught.value.field == field


def test_a_promotion_given_twice_counts_once_but_two_versions_are_refused() -> None:
    once = evaluate([line("a", "10.00")], context(), [promotion()])
    twice = evaluate([line("a", "10.00")], context(), [promotion(), promotion()])
    # 10% of 10.00, once
    assert twice.total_discount == once.total_discount == usd("1.00")
    assert len(twice.applied) == 1
    with pytest.raises(InvalidValueError) as versions:
        evaluate([line("a", "10.00")], context(), [promotion(), promotion(priority=3)])
    assert (versions.value.field, versions.value.value) == ("promotions[1].id", "p")
    with pytest.raises(InvalidValueError) as other:
        evaluate([line("a", "10.00")], context(), [promotion(), {"id": "q"}])  # type: ignore[list-item]
    assert other.value.field == "promotions[1]"


def test_an_empty_set_of_promotions_changes_nothing() -> None:
    result = evaluate([line("a", "10.00", 2)], context(), [])
    assert result.total == result.subtotal == usd("20.00")
    assert result.applied == ()
    assert result.rejections == ()
    assert result.free_items == ()


# -- the audit document ---------------------------------------------------------------------


def audited() -> EvaluationResult:
    cart, promotions = best_case()
    extra = [
        weekend_blue(),
        spend_100(),
        tees_b2g1(),
        gift_with_purchase(),
        promotion(id="draft", status="draft"),
    ]
    cart = [*cart, *blue_cart(), line("tee", "20.00", 3, categories=["tees"])]
    return evaluate(
        cart,
        context(time_zone=NEW_YORK, customer_id="c1", customer_uses={"a": 1}, location_id="s1"),
        [*promotions, *extra],
        policy="best_for_customer",
        preview_statuses=["draft"],
    )


def test_audit_document_is_stable_and_reevaluates_to_the_same_result() -> None:
    result = audited()
    text = result.to_json()
    assert text == result.to_json()
    assert text == audited().to_json()
    document = json.loads(text)
    assert document["pricekit_promotions_document"] == DOCUMENT_VERSION
    assert document["inputs"]["policy"] == "best_for_customer"
    assert document["inputs"]["preview_statuses"] == ["draft"]
    assert document["outcome"] == result.outcome()
    again = evaluate_document(document)
    assert again == result
    assert again.outcome() == result.outcome()
    assert evaluate_document(again.to_document()) == result
    # Sets are written sorted: the rebuilt inputs give the same bytes.
    assert again.to_json() == text


def test_audit_document_amounts_are_exact_strings() -> None:
    outcome = audited().outcome()
    assert outcome["subtotal"] == {"amount": "225.00", "currency": "USD"}  # 100 + 50 + 15 + 60


@pytest.mark.parametrize("version", [None, 0, DOCUMENT_VERSION + 1, "1"])
def test_audit_document_of_another_version_is_refused(version: object) -> None:
    document = audited().to_document()
    document["pricekit_promotions_document"] = version
    with pytest.raises(InvalidValueError) as caught:
        evaluate_document(document)
    assert caught.value.field == "pricekit_promotions_document"


def test_audit_document_needs_inputs() -> None:
    with pytest.raises(InvalidValueError) as caught:
        evaluate_document({"pricekit_promotions_document": DOCUMENT_VERSION, "inputs": []})
    assert caught.value.field == "inputs"
    bare = EvaluationResult(
        policy=Policy.PRIORITY,
        currency="USD",
        subtotal=usd("0.00"),
        total_discount=usd("0.00"),
        total=usd("0.00"),
        applied=(),
        lines=(),
        free_items=(),
        rejections=(),
    )
    with pytest.raises(InvalidValueError):
        bare.to_document()


_DOCUMENT_SCRIPT = """
from datetime import UTC, datetime
from pricekit.money import Money
from pricekit.promotions.evaluate import evaluate
from pricekit.promotions.models import CartLine, EvaluationContext, Promotion
promo = Promotion.model_validate({
    "id": "p", "business_id": "biz", "name": "P", "type": "percentage_discount",
    "scope": "line", "currency": "USD", "status": "active",
    "location_ids": ["s1", "s2", "s3", "s4"],
    "item_filter": {"category_ids": ["tees", "hats", "shoes", "bags", "socks"]},
    "rewards": [{"type": "pct_off_item", "percent": "10"}],
})
cart = [CartLine(line_id="a", product_id="x", category_ids=["tees", "apparel", "all"],
                 quantity=1, unit_price=Money.of("10.00", "USD"))]
ctx = EvaluationContext(business_id="biz", location_id="s1", at=datetime(2026, 6, 6, tzinfo=UTC))
print(evaluate(cart, ctx, [promo]).to_json())
"""


def test_audit_document_bytes_do_not_depend_on_the_process() -> None:
    def run(seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _DOCUMENT_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    assert run("1") == run("2")


# -- the promotion index --------------------------------------------------------------------


def index_promotions() -> list[Promotion]:
    return [
        spend_100(),  # general: no items needed
        promotion(id="everything", item_filter={"all_items": True}),  # general too
        promotion(id="tees", item_filter={"category_ids": ["tees"]}),
        promotion(id="apparel", item_filter={"category_ids": ["apparel"]}),  # an ancestor
        promotion(id="hat", item_filter={"product_ids": ["hat"]}),
        promotion(id="tee-m", item_filter={"variant_ids": ["tee-m"]}),
        promotion(id="summer", item_filter={"collection_ids": ["summer"]}),
        promotion(id="mixed", item_filter={"product_ids": ["nope"], "collection_ids": ["summer"]}),
        promotion(id="needs-hat", conditions=[{"type": "product_in_cart", "ids": ["hat"]}]),
        promotion(id="shoes", item_filter={"category_ids": ["shoes"]}),
        promotion(id="sock", item_filter={"product_ids": ["sock"]}),
        promotion(id="tee-s", item_filter={"variant_ids": ["tee-s"]}),
        promotion(id="winter", item_filter={"collection_ids": ["winter"]}),
        promotion(id="needs-shoes", conditions=[{"type": "category_in_cart", "ids": ["shoes"]}]),
        promotion(id="draft-tees", status="draft", item_filter={"category_ids": ["tees"]}),
    ]


def index_cart() -> list[CartLine]:
    return [
        line("l1", "20.00", product="tee", variant="tee-m", categories=["tees", "apparel"]),
        line("l2", "15.00", product="hat", categories=["hats", "apparel"], collections=["summer"]),
    ]


def test_index_candidates_are_general_plus_those_filed_under_the_cart() -> None:
    index = PromotionIndex(index_promotions())
    assert len(index) == 14  # the draft is not filed
    assert "draft-tees" not in index
    found = {p.id for p in index.candidates(index_cart())}
    assert found == {
        "spend-100",
        "everything",
        "tees",
        "apparel",
        "hat",
        "tee-m",
        "summer",
        "mixed",
        "needs-hat",
    }


def test_index_candidates_evaluate_like_all_promotions() -> None:
    index = PromotionIndex(index_promotions())
    cart = index_cart()
    for policy in Policy:
        every = evaluate(cart, context(), index.all(), policy=policy)
        some = evaluate(cart, context(), index.candidates(cart), policy=policy)
        assert some.outcome() | {"rejections": []} == every.outcome() | {"rejections": []}


def test_index_files_previewed_statuses_when_asked() -> None:
    index = PromotionIndex(
        index_promotions(), statuses={PromotionStatus.ACTIVE, PromotionStatus.DRAFT}
    )
    assert index.statuses == {PromotionStatus.ACTIVE, PromotionStatus.DRAFT}
    assert "draft-tees" in {p.id for p in index.candidates(index_cart())}


def test_index_patched_adds_replaces_and_removes() -> None:
    index = PromotionIndex(index_promotions())
    shoes_now_tees = promotion(id="shoes", item_filter={"category_ids": ["tees"]})
    socks_gone = index.patched(upserted=[shoes_now_tees], removed=["sock", "hat"])
    ids = {p.id for p in socks_gone.candidates(index_cart())}
    assert "shoes" in ids  # now filed under tees
    assert "hat" not in ids
    assert "sock" not in socks_gone
    assert socks_gone.get("shoes") == shoes_now_tees
    assert len(socks_gone) == 12
    # The original index is unchanged.
    assert "hat" in {p.id for p in index.candidates(index_cart())}
    assert index.get("shoes") is not None
    assert index.get("shoes").item_filter.category_ids == {"shoes"}  # type: ignore[union-attr]
    # A new promotion for the hat, a removal of one not filed: fine.
    added = index.patched(
        upserted=[promotion(id="new-hat", item_filter={"product_ids": ["hat"]})],
        removed=["unknown"],
    )
    assert "new-hat" in {p.id for p in added.candidates(index_cart())}
    assert len(added) == 15


def test_index_patched_with_the_same_keys_swaps_the_promotion() -> None:
    # A new usage count keeps the items the promotion needs: same filing, new version.
    index = PromotionIndex(index_promotions())
    hat = index.get("hat")
    assert hat is not None
    used = hat.evolve(current_uses=7, name="Hat deal")
    patched = index.patched(upserted=[used])
    found = {p.id: p for p in patched.candidates(index_cart())}
    assert found["hat"] == used
    assert patched.get("hat") == used
    assert len(patched) == len(index)
    # The original still holds the old version.
    assert index.get("hat") == hat
    assert {p.id: p for p in index.candidates(index_cart())}["hat"] == hat


def test_index_patched_to_a_status_not_filed_drops_it() -> None:
    index = PromotionIndex(index_promotions())
    paused = index.get("tees").evolve(status="paused")  # type: ignore[union-attr]
    patched = index.patched(upserted=[paused])
    assert "tees" not in patched
    assert "tees" not in {p.id for p in patched.candidates(index_cart())}
    assert "tees" in index


def test_index_patched_to_other_items_refiles_it() -> None:
    index = PromotionIndex(index_promotions())
    moved = index.get("hat").evolve(item_filter={"product_ids": ["sock"]})  # type: ignore[union-attr]
    patched = index.patched(upserted=[moved])
    assert "hat" not in {p.id for p in patched.candidates(index_cart())}
    assert "hat" in {p.id for p in patched.candidates([line("s", "3.00", product="sock")])}


def test_item_keys_choose_the_narrowest_list() -> None:
    narrow = promotion(
        item_filter={"category_ids": ["a", "b", "c"]},
        conditions=[{"type": "product_in_cart", "ids": ["x"]}],
    )
    assert narrow.item_keys() == ("product", frozenset({"x"}))
    assert promotion().item_keys() is None
    assert promotion(item_filter={"all_items": True}).item_keys() is None


def test_enums_and_scopes_are_exported_values() -> None:
    assert PromotionType.BOGO.value == "bogo"
    assert PromotionScope.BUNDLE.value == "bundle"
    assert UnitSelection.MOST_EXPENSIVE.value == "most_expensive"
