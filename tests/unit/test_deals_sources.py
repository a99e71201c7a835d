"""Unit tests for pricekit.deals.sources: Dutchie's discount list and PTL's webhook into deals.

Payloads are JSON text in the sources' recorded shapes, read with
``parse_float=Decimal`` as a host would. Every expected value is worked out by
hand in a comment next to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from pricekit.deals.models import (
    ApplicationMethod,
    Deal,
    DealSource,
    Dimension,
    RewardMethod,
    ThresholdType,
)
from pricekit.deals.sources import parse_dutchie, parse_dutchie_list, parse_ptl, parse_ptl_payload
from pricekit.errors import InvalidValueError, ModelValidationError
from pricekit.money import Money
from pricekit.time import Weekday

LOC = "7f3c2a10-5b1e-4c2d-9a8e-0d1f2e3a4b5c"
PHX = "America/Phoenix"  # UTC-7 all year (no DST): local midnight is 07:00 UTC


def load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def round_trips(deal: Deal) -> None:
    assert Deal.from_record(deal.to_record()) == deal


# A full discount of GET /discounts/v2/list?includeInclusionExclusionData=true.
DUTCHIE_VAPES = """
{
  "id": 4821,
  "externalId": null,
  "discountName": "30% Off Select Vapes",
  "discountDescription": "Wednesdays and Saturdays, select vape brands",
  "applicationMethod": "Automatic",
  "isActive": true,
  "isDeleted": false,
  "validDateFrom": "2026-10-01T07:00:00.0000000Z",
  "validDateTo": "2026-11-01T00:00:00",
  "monday": false,
  "tuesday": false,
  "wednesday": true,
  "thursday": false,
  "friday": false,
  "saturday": true,
  "sunday": false,
  "startTime": "16:20",
  "endTime": "02:00:00",
  "firstTimeCustomerOnly": false,
  "canStackAutomatically": true,
  "isAvailableOnline": false,
  "onlineName": "Vape Days",
  "menuDisplay": {
    "menuDisplayName": "Vape Days (menu)",
    "menuDisplayDescription": "Select vapes, 30% off",
    "menuDisplayRank": 3,
    "menuDisplayImageUrl": null
  },
  "reward": {
    "calculationMethod": "PERCENT_OFF",
    "discountValue": 0.3,
    "thresholdType": "NUMBER_OF_ITEMS",
    "thresholdMin": 2.0,
    "applyToOnlyOneItem": false,
    "restrictions": {
      "Product": {"restrictionIds": [1001, 1002], "isExclusion": false},
      "Category": {"restrictionIds": [55], "isExclusion": false},
      "Brand": {"restrictionIds": [7, 8], "isExclusion": false},
      "Vendor": {"restrictionIds": [301], "isExclusion": true},
      "Weight": {"restrictionIds": ["0.5", "1"], "isExclusion": false},
      "Tag": {"restrictionIds": ["clearance"], "isExclusion": true},
      "InventoryTag": {"restrictionIds": ["damaged-box"], "isExclusion": true},
      "Pricing_Tier": {"restrictionIds": [12], "isExclusion": false},
      "Strain": {"restrictionIds": [], "isExclusion": false}
    }
  },
  "unmappedIds": [999]
}
"""

# The smallest discount the parser takes; tests change one field at a time.
DUTCHIE_MINIMAL = """
{
  "id": 42,
  "discountName": "Ten Percent",
  "applicationMethod": "Automatic",
  "isActive": true,
  "validDateFrom": null,
  "validDateTo": null,
  "startTime": null,
  "endTime": null,
  "reward": {
    "calculationMethod": "PERCENT_OFF",
    "discountValue": 0.1,
    "thresholdType": null,
    "thresholdMin": null,
    "applyToOnlyOneItem": false,
    "restrictions": {}
  }
}
"""


def dutchie(reward: dict[str, Any] | None = None, /, **changes: Any) -> dict[str, Any]:
    """The minimal discount, its reward updated with ``reward``, then ``changes`` applied."""
    payload: dict[str, Any] = load(DUTCHIE_MINIMAL)
    payload["reward"].update(reward or {})
    payload.update(changes)
    return payload


def parse_d(payload: dict[str, Any], *, time_zone: str = PHX) -> Deal:
    return parse_dutchie(payload, location_id=LOC, time_zone=time_zone)


def dutchie_error(payload: dict[str, Any], *, time_zone: str = PHX) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as info:
        parse_d(payload, time_zone=time_zone)
    return info.value


# --------------------------------------------------------------------------- Dutchie


def test_dutchie_full_discount_maps_every_field() -> None:
    deal = parse_d(load(DUTCHIE_VAPES))
    assert deal.id == f"{LOC}_4821"  # the seed's composite id: {location}_{discount}
    assert deal.discount_id == "4821"
    assert deal.location_id == LOC
    assert deal.source is DealSource.DUTCHIE
    assert deal.name == "30% Off Select Vapes"
    assert deal.description == "Wednesdays and Saturdays, select vape brands"
    assert deal.online_name == "Vape Days"  # onlineName wins over menuDisplayName
    assert deal.menu_rank == 3
    assert deal.application_method is ApplicationMethod.AUTOMATIC
    assert deal.enabled is True
    # "2026-10-01T07:00:00.0000000Z": 7 fractional digits, all zero, UTC.
    assert deal.valid_from == utc(2026, 10, 1, 7)
    # "2026-11-01T00:00:00" has no offset: midnight in Phoenix (UTC-7) is 07:00 UTC.
    assert deal.valid_to == utc(2026, 11, 1, 7)
    assert deal.time_zone == PHX
    assert deal.days == {Weekday.WEDNESDAY, Weekday.SATURDAY}
    assert deal.start_time == time(16, 20)
    assert deal.end_time == time(2)  # 16:20 to 02:00: past midnight
    assert deal.first_time_customer_only is False
    assert deal.can_stack is True
    assert deal.available_online is False
    assert deal.currency == "USD"
    # 0.3 is a fraction: 0.3 x 100 = 30 percent.
    assert deal.reward.method is RewardMethod.PERCENT_OFF
    assert deal.reward.percent == Decimal(30)
    assert deal.reward.amount is None
    assert deal.reward.threshold_type is ThresholdType.COUNT
    assert deal.reward.threshold == Decimal(2)
    assert deal.reward.one_item_only is False
    # unmappedIds is not a Dutchie field: ignored; "Strain" has no ids: ignored.
    assert deal.unmapped == ()
    round_trips(deal)


def test_dutchie_keeps_every_restriction_type_in_dimension_order() -> None:
    deal = parse_d(load(DUTCHIE_VAPES))
    got = [(r.dimension, r.exclude, r.ids, r.weights) for r in deal.restrictions]
    assert got == [
        # Dimension order: product, category, brand, vendor, weight, tag, inventory_tag, tier.
        (Dimension.PRODUCT, False, {"1001", "1002"}, frozenset()),
        (Dimension.CATEGORY, False, {"55"}, frozenset()),
        (Dimension.BRAND, False, {"7", "8"}, frozenset()),
        (Dimension.VENDOR, True, {"301"}, frozenset()),
        # "0.5" and "1" are grams.
        (Dimension.WEIGHT, False, frozenset(), {Decimal("0.5"), Decimal(1)}),
        (Dimension.TAG, True, {"clearance"}, frozenset()),
        (Dimension.INVENTORY_TAG, True, {"damaged-box"}, frozenset()),
        # "Pricing_Tier": underscores are ignored in type names.
        (Dimension.PRICING_TIER, False, {"12"}, frozenset()),
    ]
    assert not deal.is_store_wide


@pytest.mark.parametrize(
    ("type_name", "dimension"),
    [
        ("Product", Dimension.PRODUCT),
        ("Category", Dimension.CATEGORY),
        ("ProductCategory", Dimension.CATEGORY),
        ("product_category", Dimension.CATEGORY),
        ("Brand", Dimension.BRAND),
        ("BRAND", Dimension.BRAND),
        ("Vendor", Dimension.VENDOR),
        ("Tag", Dimension.TAG),
        ("InventoryTag", Dimension.INVENTORY_TAG),
        ("Inventory Tag", Dimension.INVENTORY_TAG),
        ("PricingTier", Dimension.PRICING_TIER),
        ("pricing_tier", Dimension.PRICING_TIER),
    ],
)
@pytest.mark.parametrize("exclude", [False, True])
def test_dutchie_restriction_types(type_name: str, dimension: Dimension, exclude: bool) -> None:
    entry = {"restrictionIds": [11, "x-2"], "isExclusion": exclude}
    deal = parse_d(dutchie({"restrictions": {type_name: entry}}))
    (restriction,) = deal.restrictions
    assert restriction.dimension is dimension
    assert restriction.exclude is exclude
    assert restriction.ids == {"11", "x-2"}  # ints become strings
    assert deal.ids_of(dimension, exclude=exclude) == {"11", "x-2"}
    # An exclusion alone leaves the deal store-wide (it targets everything but those).
    assert deal.is_store_wide is exclude
    round_trips(deal)


@pytest.mark.parametrize("exclude", [False, True])
def test_dutchie_weight_restriction_is_grams(exclude: bool) -> None:
    restrictions = load(
        '{"Weight": {"restrictionIds": ["3.5", 7, 14.0, "28.00"], "isExclusion": EXCLUDE}}'.replace(
            "EXCLUDE", json.dumps(exclude)
        )
    )
    deal = parse_d(dutchie({"restrictions": restrictions}))
    (restriction,) = deal.restrictions
    assert restriction.dimension is Dimension.WEIGHT
    assert restriction.exclude is exclude
    assert restriction.ids == frozenset()
    # 3.5 g, 7 g, 14 g and 28 g (28.00 equals 28).
    assert restriction.weights == {Decimal("3.5"), Decimal(7), Decimal(14), Decimal(28)}
    round_trips(deal)


def test_dutchie_category_names_merge_into_one_restriction() -> None:
    restrictions = {
        "Category": {"restrictionIds": [1, 2], "isExclusion": False},
        "ProductCategory": {"restrictionIds": [2, 3], "isExclusion": False},
    }
    deal = parse_d(dutchie({"restrictions": restrictions}))
    # {1, 2} and {2, 3} are one dimension: {1, 2, 3}, one restriction.
    assert [(r.dimension, r.ids) for r in deal.restrictions] == [
        (Dimension.CATEGORY, frozenset({"1", "2", "3"}))
    ]


def test_dutchie_empty_restriction_lists_are_ignored() -> None:
    restrictions = {
        "Product": {"restrictionIds": [], "isExclusion": False},
        "Brand": {"restrictionIds": None, "isExclusion": True},
    }
    deal = parse_d(dutchie({"restrictions": restrictions}))
    assert deal.restrictions == ()
    assert deal.unmapped == ()
    assert deal.is_store_wide


def test_dutchie_unknown_restriction_type_goes_to_unmapped() -> None:
    restrictions = {
        "Brand": {"restrictionIds": [7], "isExclusion": False},
        "Strain": {"restrictionIds": [5], "isExclusion": False},
    }
    deal = parse_d(dutchie({"restrictions": restrictions}))
    assert deal.unmapped == ("restriction type 'Strain' is not understood",)
    assert [r.dimension for r in deal.restrictions] == [Dimension.BRAND]  # the rest is kept
    assert not deal.is_store_wide  # held back, never widened
    round_trips(deal)


def test_dutchie_unknown_restriction_type_alone_is_not_store_wide() -> None:
    restrictions = {"Strain": {"restrictionIds": [5], "isExclusion": True}}
    deal = parse_d(dutchie({"restrictions": restrictions}))
    assert deal.restrictions == ()
    assert deal.unmapped == ("restriction type 'Strain' is not understood",)
    assert not deal.is_store_wide


def test_dutchie_top_level_restrictions() -> None:
    payload = dutchie({"restrictions": None})
    payload["restrictions"] = {"Vendor": {"restrictionIds": ["v1"], "isExclusion": False}}
    deal = parse_d(payload)
    assert deal.ids_of(Dimension.VENDOR) == {"v1"}


def test_dutchie_restrictions_in_both_places_must_agree() -> None:
    same = {"Brand": {"restrictionIds": [7], "isExclusion": False}}
    payload = dutchie({"restrictions": same})
    payload["restrictions"] = dict(same)
    assert parse_d(payload).ids_of(Dimension.BRAND) == {"7"}  # equal: read once
    payload["restrictions"] = {"Brand": {"restrictionIds": [8], "isExclusion": False}}
    error = dutchie_error(payload)
    assert error.field == "discount[42].restrictions"


@pytest.mark.parametrize(
    ("method", "value", "expected_method", "expected_amount"),
    [
        # Amounts are major units: 14.0 is 14.00 USD.
        ("AMOUNT_OFF", "14.0", RewardMethod.AMOUNT_OFF, "14.00"),
        # An amount off the total is still an amount off.
        ("AMOUNT_OFF_TOTAL", "5", RewardMethod.AMOUNT_OFF, "5.00"),
        ("amount_off_total", "5", RewardMethod.AMOUNT_OFF, "5.00"),
        ("PRICE_TO_AMOUNT", "25.5", RewardMethod.PRICE_TO_AMOUNT, "25.50"),
        ("PriceToAmount", "0", RewardMethod.PRICE_TO_AMOUNT, "0.00"),
    ],
)
def test_dutchie_amount_methods(
    method: str, value: str, expected_method: RewardMethod, expected_amount: str
) -> None:
    reward = load(f'{{"calculationMethod": "{method}", "discountValue": {value}}}')
    deal = parse_d(dutchie(reward))
    assert deal.reward.method is expected_method
    assert deal.reward.amount == usd(expected_amount)
    assert deal.reward.percent is None
    round_trips(deal)


@pytest.mark.parametrize(
    ("value", "percent"),
    [
        (Decimal("0.3"), Decimal(30)),  # 0.3 x 100
        (Decimal("0.125"), Decimal("12.5")),  # 0.125 x 100
        (Decimal(1), Decimal(100)),  # the whole price
        ("0.25", Decimal(25)),  # a numeric string
        (0.15, Decimal(15)),  # a Python float, read by its repr "0.15"
    ],
)
def test_dutchie_percent_is_a_fraction(value: object, percent: Decimal) -> None:
    deal = parse_d(dutchie({"calculationMethod": "percent_off", "discountValue": value}))
    assert deal.reward.percent == percent
    round_trips(deal)


def test_dutchie_float_amount_is_read_by_repr() -> None:
    deal = parse_d(dutchie({"calculationMethod": "AMOUNT_OFF", "discountValue": 14.1}))
    assert deal.reward.amount == usd("14.10")  # repr(14.1) == "14.1"


@pytest.mark.parametrize(
    ("kind", "minimum", "expected_kind", "expected_minimum"),
    [
        ("NUMBER_OF_ITEMS", "3", ThresholdType.COUNT, Decimal(3)),
        ("TOTAL_SPEND", "100.00", ThresholdType.SPEND, Decimal(100)),
        ("SPEND", "49.99", ThresholdType.SPEND, Decimal("49.99")),
        ("WEIGHT", "7", ThresholdType.WEIGHT, Decimal(7)),
        ("TOTAL_WEIGHT", "3.5", ThresholdType.WEIGHT, Decimal("3.5")),
        ("NONE", "0", None, None),  # no type: thresholdMin is ignored
        ("null", "5", None, None),
    ],
)
def test_dutchie_thresholds(
    kind: str, minimum: str, expected_kind: ThresholdType | None, expected_minimum: Decimal | None
) -> None:
    kind_json = "null" if kind == "null" else f'"{kind}"'
    reward = load(f'{{"thresholdType": {kind_json}, "thresholdMin": {minimum}}}')
    deal = parse_d(dutchie(reward))
    assert deal.reward.threshold_type is expected_kind
    assert deal.reward.threshold == expected_minimum
    round_trips(deal)


def test_dutchie_buy_n_get_one() -> None:
    reward = {"thresholdType": "NUMBER_OF_ITEMS", "thresholdMin": 3, "applyToOnlyOneItem": True}
    deal = parse_d(dutchie(reward))
    assert deal.reward.one_item_only is True
    assert deal.reward.is_offer


def test_dutchie_names_and_fallbacks() -> None:
    # description instead of discountDescription, name instead of discountName.
    deal = parse_d(dutchie(discountName=None, name="Plain Name", description="Plain"))
    assert (deal.name, deal.description) == ("Plain Name", "Plain")
    # No name at all: the online name.
    deal = parse_d(dutchie(discountName="  ", onlineName="Late Night"))
    assert deal.name == "Late Night"
    assert deal.online_name == "Late Night"
    # Nothing: "Discount <id>".
    deal = parse_d(dutchie(discountName=None, id="A-17"))
    assert deal.name == "Discount A-17"
    assert deal.id == f"{LOC}_A-17"
    assert deal.online_name is None
    assert deal.description == ""
    # menuDisplay's name and rank; menuRank at the top level as a fallback.
    deal = parse_d(dutchie(menuDisplay={"menuDisplayName": "Menu Name", "menuDisplayRank": 4}))
    assert (deal.online_name, deal.menu_rank) == ("Menu Name", 4)
    deal = parse_d(dutchie(menuRank=9))
    assert deal.menu_rank == 9


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("Automatic", ApplicationMethod.AUTOMATIC),
        ("AUTOMATIC", ApplicationMethod.AUTOMATIC),
        ("Code", ApplicationMethod.CODE),
        ("coupon", ApplicationMethod.CODE),
        ("Manual", ApplicationMethod.MANUAL),
    ],
)
def test_dutchie_application_methods(method: str, expected: ApplicationMethod) -> None:
    assert parse_d(dutchie(applicationMethod=method)).application_method is expected


def test_dutchie_flags_and_defaults() -> None:
    deal = parse_d(dutchie())
    # isActive true; no stacking flag: false; isAvailableOnline missing: true.
    assert (deal.enabled, deal.can_stack, deal.available_online) == (True, False, True)
    assert deal.first_time_customer_only is False
    assert deal.days == frozenset()  # no day flags: every day
    assert (deal.start_time, deal.end_time) == (None, None)
    assert (deal.valid_from, deal.valid_to) == (None, None)
    deal = parse_d(dutchie(isActive=False, isStackable=True, firstTimeCustomerOnly=True))
    assert (deal.enabled, deal.can_stack, deal.first_time_customer_only) == (False, True, True)
    # canStackAutomatically wins over isStackable.
    assert parse_d(dutchie(canStackAutomatically=False, isStackable=True)).can_stack is False


def test_dutchie_days() -> None:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    every = dict.fromkeys(days, True)
    assert parse_d(dutchie(**every)).days == frozenset()  # all seven: every day
    none = dict.fromkeys(every, False)
    assert parse_d(dutchie(**none)).days == frozenset()  # none: every day
    deal = parse_d(dutchie(**(none | {"friday": True, "sunday": True})))
    assert deal.days == {Weekday.FRIDAY, Weekday.SUNDAY}
    record = deal.to_record()
    assert (record["friday"], record["sunday"], record["monday"]) == (True, True, False)
    round_trips(deal)


def test_dutchie_datetimes_local_and_offset() -> None:
    deal = parse_d(
        dutchie(validDateFrom="2026-11-01T00:00:00", validDateTo="2026-11-02T00:00:00-04:00")
    )
    # Naive: midnight in Phoenix (UTC-7) is 07:00 UTC.
    assert deal.valid_from == utc(2026, 11, 1, 7)
    # -04:00: midnight at UTC-4 is 04:00 UTC.
    assert deal.valid_to == utc(2026, 11, 2, 4)
    round_trips(deal)


def test_dutchie_naive_datetime_in_a_dst_zone() -> None:
    deal = parse_d(
        dutchie(validDateFrom="2026-07-04T09:00:00", validDateTo="2026-11-01T01:30:00"),
        time_zone="America/New_York",
    )
    # July: EDT, UTC-4, so 09:00 local is 13:00 UTC.
    assert deal.valid_from == utc(2026, 7, 4, 13)
    # 2026-11-01 is the fall-back day: 01:30 happens twice; the first is EDT (UTC-4): 05:30 UTC.
    assert deal.valid_to == utc(2026, 11, 1, 5, 30)


def test_dutchie_seven_fraction_digits_are_truncated() -> None:
    deal = parse_d(dutchie(validDateFrom="2026-10-01T07:00:00.1234567Z"))
    # .1234567 s truncated to microseconds: 123456 us.
    assert deal.valid_from == datetime(2026, 10, 1, 7, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "end", ["3000-01-01T00:00:00", "9999-12-31T23:59:59.9999999", "3000-01-01T00:00:00Z"]
)
def test_dutchie_year_3000_is_no_end(end: str) -> None:
    deal = parse_d(dutchie(validDateFrom="2026-01-01T00:00:00Z", validDateTo=end))
    assert deal.valid_to is None
    round_trips(deal)


def test_dutchie_times_of_day() -> None:
    deal = parse_d(dutchie(startTime="09:00:00", endTime="17:30"))
    assert (deal.start_time, deal.end_time) == (time(9), time(17, 30))
    deal = parse_d(dutchie(startTime="22:00", endTime="24:00"))
    assert (deal.start_time, deal.end_time) == (time(22), time(0))  # 24:00 is midnight
    deal = parse_d(dutchie(startTime="00:00", endTime="00:00:00"))
    assert (deal.start_time, deal.end_time) == (None, None)  # the whole day
    round_trips(parse_d(dutchie(startTime="22:00", endTime="02:00")))


def test_dutchie_list() -> None:
    items = [dutchie(id=1), dutchie(id=2, discountName="Second")]
    deals = parse_dutchie_list(items, location_id=LOC, time_zone=PHX)
    assert [d.id for d in deals] == [f"{LOC}_1", f"{LOC}_2"]
    assert parse_dutchie_list([], location_id=LOC, time_zone=PHX) == []


def test_dutchie_other_currency() -> None:
    reward = {"calculationMethod": "AMOUNT_OFF", "discountValue": Decimal("2.5")}
    deal = parse_dutchie(dutchie(reward), location_id=LOC, time_zone=PHX, currency="CAD")
    assert deal.reward.amount == Money.of("2.50", "CAD")
    assert deal.currency == "CAD"


# -- Dutchie errors


@pytest.mark.parametrize(
    ("reward", "field", "value"),
    [
        ({"calculationMethod": "BOGO"}, "discount[42].reward.calculationMethod", "BOGO"),
        ({"calculationMethod": None}, "discount[42].reward.calculationMethod", None),
        ({"discountValue": Decimal("1.5")}, "discount[42].reward.discountValue", Decimal("1.5")),
        ({"discountValue": Decimal(0)}, "discount[42].reward.discountValue", Decimal(0)),
        ({"discountValue": None}, "discount[42].reward.discountValue", None),
        ({"discountValue": "abc"}, "discount[42].reward.discountValue", "abc"),
        ({"discountValue": True}, "discount[42].reward.discountValue", True),
        ({"discountValue": float("nan")}, "discount[42].reward.discountValue", None),
        (
            {"calculationMethod": "AMOUNT_OFF", "discountValue": Decimal("14.005")},
            "discount[42].reward.discountValue",
            Decimal("14.005"),
        ),
        (
            {"calculationMethod": "AMOUNT_OFF", "discountValue": Decimal(-1)},
            "discount[42].reward.discountValue",
            Decimal(-1),
        ),
        (
            {"thresholdType": "BANANAS", "thresholdMin": 1},
            "discount[42].reward.thresholdType",
            "BANANAS",
        ),
        (
            {"thresholdType": "NUMBER_OF_ITEMS", "thresholdMin": 0},
            "discount[42].reward.thresholdMin",
            0,
        ),
        (
            {"thresholdType": "NUMBER_OF_ITEMS", "thresholdMin": None},
            "discount[42].reward.thresholdMin",
            None,
        ),
        (
            {"thresholdType": "NUMBER_OF_ITEMS", "thresholdMin": Decimal("1.5")},
            "discount[42].reward.thresholdMin",
            Decimal("1.5"),
        ),
        ({"applyToOnlyOneItem": "yes"}, "discount[42].reward.applyToOnlyOneItem", "yes"),
        ({"restrictions": ["Brand"]}, "discount[42].reward.restrictions", ["Brand"]),
        (
            {"restrictions": {"Brand": {"restrictionIds": 7}}},
            "discount[42].reward.restrictions.Brand.restrictionIds",
            7,
        ),
        (
            {"restrictions": {"Brand": [7]}},
            "discount[42].reward.restrictions.Brand",
            [7],
        ),
        (
            {"restrictions": {"Brand": {"restrictionIds": [7], "isExclusion": "no"}}},
            "discount[42].reward.restrictions.Brand.isExclusion",
            "no",
        ),
        (
            {"restrictions": {"Brand": {"restrictionIds": [7, ""]}}},
            "discount[42].reward.restrictions.Brand.restrictionIds[1]",
            "",
        ),
        (
            {"restrictions": {"Weight": {"restrictionIds": ["3.5", "0"]}}},
            "discount[42].reward.restrictions.Weight.restrictionIds[1]",
            "0",
        ),
        (
            {"restrictions": {"Weight": {"restrictionIds": ["eighth"]}}},
            "discount[42].reward.restrictions.Weight.restrictionIds[0]",
            "eighth",
        ),
    ],
)
def test_dutchie_reward_errors(reward: dict[str, Any], field: str, value: object) -> None:
    error = dutchie_error(dutchie(reward))
    assert error.field == field
    if value is not None or error.value is None:
        assert error.value == value


def test_dutchie_percent_above_100_says_so() -> None:
    error = dutchie_error(dutchie({"discountValue": Decimal("30")}))
    assert error.field == "discount[42].reward.discountValue"
    assert "percent above 100%" in error.reason  # 30 as a fraction is 3000%


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"applicationMethod": "Sometimes"}, "discount[42].applicationMethod"),
        ({"applicationMethod": None}, "discount[42].applicationMethod"),
        ({"isActive": "true"}, "discount[42].isActive"),
        ({"monday": 1}, "discount[42].monday"),
        ({"isAvailableOnline": "no"}, "discount[42].isAvailableOnline"),
        ({"canStackAutomatically": 0}, "discount[42].canStackAutomatically"),
        ({"discountName": 5}, "discount[42].discountName"),
        ({"menuDisplay": "top"}, "discount[42].menuDisplay"),
        ({"menuDisplay": {"menuDisplayRank": "first"}}, "discount[42].menuDisplay.menuDisplayRank"),
        ({"menuRank": Decimal("1.5")}, "discount[42].menuRank"),
        ({"reward": None}, "discount[42].reward"),
        ({"validDateFrom": "next tuesday"}, "discount[42].validDateFrom"),
        ({"validDateFrom": "2026-02-30T00:00:00"}, "discount[42].validDateFrom"),
        ({"validDateFrom": "2026-10-01"}, "discount[42].validDateFrom"),  # a date alone
        ({"validDateTo": 20261001}, "discount[42].validDateTo"),
        ({"startTime": "16:20", "endTime": None}, "discount[42].endTime"),
        ({"startTime": None, "endTime": "16:20"}, "discount[42].startTime"),
        ({"startTime": "25:00", "endTime": "02:00"}, "discount[42].startTime"),
        ({"startTime": "09:00", "endTime": "9pm"}, "discount[42].endTime"),
        ({"startTime": "09:00", "endTime": "09:00"}, "discount[42].endTime"),
        (
            {
                "restrictions": 5,
                "reward": {**load(DUTCHIE_MINIMAL)["reward"], "restrictions": None},
            },
            "discount[42].restrictions",
        ),
    ],
)
def test_dutchie_field_errors(changes: dict[str, Any], field: str) -> None:
    error = dutchie_error(dutchie(**changes))
    assert error.field == field


def test_dutchie_end_not_after_start() -> None:
    for end in ("2026-10-01T07:00:00Z", "2026-10-01T00:00:00"):
        # 2026-10-01T00:00 in Phoenix is 07:00 UTC: the same instant as the start.
        error = dutchie_error(dutchie(validDateFrom="2026-10-01T07:00:00Z", validDateTo=end))
        assert error.field == "discount[42].validDateTo"
        assert error.value == end


def test_dutchie_missing_id() -> None:
    payload = dutchie()
    del payload["id"]
    assert dutchie_error(payload).field == "discount.id"
    assert dutchie_error(dutchie(id=True)).field == "discount.id"


def test_dutchie_not_an_object() -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_dutchie([1, 2], location_id=LOC, time_zone=PHX)  # type: ignore[arg-type]
    assert info.value.field == "discount"


def test_dutchie_unknown_time_zone_currency_location() -> None:
    assert dutchie_error(dutchie(), time_zone="Mars/Olympus_Mons").field == "time_zone"
    with pytest.raises(InvalidValueError) as info:
        parse_dutchie(dutchie(), location_id=LOC, time_zone=PHX, currency="ZZZ")
    assert info.value.field == "currency"
    with pytest.raises(InvalidValueError) as info:
        parse_dutchie(dutchie(), location_id=" ", time_zone=PHX)
    assert info.value.field == "location_id"


def test_dutchie_deal_refusal_is_named_by_discount() -> None:
    # A 254-character location: the composite id "<254 chars>_42" has 257 > 255.
    with pytest.raises(InvalidValueError) as info:
        parse_dutchie(dutchie(), location_id="L" * 254, time_zone=PHX)
    assert info.value.field == "discount[42].id"
    assert not isinstance(info.value, ModelValidationError)


def test_dutchie_list_errors() -> None:
    def list_error(items: Any) -> InvalidValueError:
        with pytest.raises(InvalidValueError) as info:
            parse_dutchie_list(items, location_id=LOC, time_zone=PHX)
        return info.value

    assert list_error({"id": 1}).field == "items"
    assert list_error([dutchie(id=1), "x"]).field == "items[1]"
    assert list_error([dutchie(id=1), dutchie(id=None)]).field == "items[1].id"
    error = list_error([dutchie(id=1), dutchie(id=2), dutchie(id="1")])
    assert (error.field, error.value) == ("items[2].id", "1")  # 1 and "1" are one id
    # A bad record names itself; nothing is returned.
    bad = dutchie({"discountValue": Decimal(2)}, id=7)
    assert list_error([dutchie(id=1), bad]).field == "discount[7].reward.discountValue"


# --------------------------------------------------------------------------- PTL

# A PTL webhook body: { location_id, source: "ptl", discounts: [...] }.
PTL_BODY = """
{
  "location_id": "@LOC@",
  "source": "ptl",
  "discounts": [
    {
      "id": "ptl_9001",
      "name": "Munchie Monday",
      "description": "20% off edibles",
      "online_name": "Munchie Monday!",
      "menu_rank": 1,
      "discount_type": "percent",
      "discount_value": 20,
      "start_date": "2026-11-02",
      "end_date": "2026-11-30",
      "days": ["monday"],
      "start_time": "09:00",
      "end_time": "21:00",
      "can_stack": false,
      "first_time_customer_only": false,
      "application_method": null,
      "threshold_type": null,
      "threshold": null,
      "apply_to_one_item": false,
      "products": [],
      "brands": ["b-kiva", "b-wyld"],
      "product_categories": ["edibles"],
      "vendors": ["v-1"],
      "tags": ["staff-pick"],
      "inventory_tags": ["promo-ok"],
      "pricing_tiers": ["tier-a"],
      "weights": ["3.5"],
      "exclude_products": ["p-77"],
      "exclude_brands": ["b-cheap"],
      "exclude_product_categories": ["beverages"],
      "exclude_vendors": ["v-9"],
      "exclude_tags": ["no-discount"],
      "exclude_inventory_tags": ["hold"],
      "exclude_pricing_tiers": ["tier-z"],
      "exclude_weights": [28],
      "unmatched": ["brand 'Old Pal' has no POS id"]
    },
    {
      "id": 9002,
      "name": "$5 off $50",
      "discount_type": "fixed",
      "discount_value": 5.00,
      "threshold_type": "spend",
      "threshold": 50,
      "application_method": "code",
      "start_date": "2026-11-01T00:00:00",
      "end_date": "2026-12-01T00:00:00-07:00",
      "monday": false, "tuesday": false, "wednesday": false, "thursday": false,
      "friday": true, "saturday": true, "sunday": false,
      "can_stack": true,
      "first_time_customer_only": true,
      "available_online": false,
      "enabled": false
    }
  ]
}
""".replace("@LOC@", LOC)


def ptl(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "ptl_5",
        "name": "Test",
        "discount_type": "percent",
        "discount_value": 10,
    }
    payload.update(changes)
    return payload


def parse_p(payload: dict[str, Any]) -> Deal:
    return parse_ptl(payload, location_id=LOC, time_zone=PHX)


def ptl_error(payload: dict[str, Any]) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as info:
        parse_p(payload)
    return info.value


def test_ptl_body_maps_every_field() -> None:
    location, deals = parse_ptl_payload(load(PTL_BODY), time_zone=PHX)
    assert location == LOC
    first, second = deals

    # "ptl_9001": the prefix is dropped; the composite id is {location}_ptl_{id}.
    assert first.discount_id == "9001"
    assert first.id == f"{LOC}_ptl_9001"
    assert first.source is DealSource.PTL
    assert first.is_ptl
    assert (first.name, first.description) == ("Munchie Monday", "20% off edibles")
    assert (first.online_name, first.menu_rank) == ("Munchie Monday!", 1)
    assert first.application_method is ApplicationMethod.AUTOMATIC  # null: the default
    assert first.enabled is True
    # PTL's percent is a number of percent: 20 is 20%, not 2000%.
    assert first.reward.method is RewardMethod.PERCENT_OFF
    assert first.reward.percent == Decimal(20)
    assert first.reward.threshold_type is None
    # "2026-11-02" is midnight local: 07:00 UTC in Phoenix.
    assert first.valid_from == utc(2026, 11, 2, 7)
    # "2026-11-30" is inclusive: to midnight after it, 2026-12-01 00:00 local = 07:00 UTC.
    assert first.valid_to == utc(2026, 12, 1, 7)
    assert first.days == {Weekday.MONDAY}
    assert (first.start_time, first.end_time) == (time(9), time(21))
    assert (first.can_stack, first.first_time_customer_only) == (False, False)
    assert first.available_online is True
    assert first.unmapped == ("brand 'Old Pal' has no POS id",)
    assert not first.is_store_wide

    assert second.discount_id == "9002"
    assert second.id == f"{LOC}_ptl_9002"
    assert second.name == "$5 off $50"
    assert second.application_method is ApplicationMethod.CODE
    assert second.reward.method is RewardMethod.AMOUNT_OFF
    assert second.reward.amount == usd("5.00")
    assert second.reward.threshold_type is ThresholdType.SPEND
    assert second.reward.threshold == Decimal(50)
    # Naive datetime: midnight local in Phoenix = 07:00 UTC.
    assert second.valid_from == utc(2026, 11, 1, 7)
    # A datetime end is exclusive as given: 00:00 at -07:00 = 07:00 UTC.
    assert second.valid_to == utc(2026, 12, 1, 7)
    assert second.days == {Weekday.FRIDAY, Weekday.SATURDAY}
    assert (second.can_stack, second.first_time_customer_only) == (True, True)
    assert (second.available_online, second.enabled) == (False, False)
    assert second.restrictions == ()
    assert second.is_store_wide

    for deal in deals:
        round_trips(deal)


def test_ptl_every_targeting_array_is_kept() -> None:
    _, (deal, _) = parse_ptl_payload(load(PTL_BODY), time_zone=PHX)
    got = [(r.dimension, r.exclude, r.ids or r.weights) for r in deal.restrictions]
    assert got == [
        # "products": [] is ignored: no product inclusion, only the exclusion.
        (Dimension.PRODUCT, True, {"p-77"}),
        (Dimension.CATEGORY, False, {"edibles"}),
        (Dimension.CATEGORY, True, {"beverages"}),
        (Dimension.BRAND, False, {"b-kiva", "b-wyld"}),
        (Dimension.BRAND, True, {"b-cheap"}),
        (Dimension.VENDOR, False, {"v-1"}),
        (Dimension.VENDOR, True, {"v-9"}),
        (Dimension.WEIGHT, False, {Decimal("3.5")}),  # grams
        (Dimension.WEIGHT, True, {Decimal(28)}),
        (Dimension.TAG, False, {"staff-pick"}),
        (Dimension.TAG, True, {"no-discount"}),
        (Dimension.INVENTORY_TAG, False, {"promo-ok"}),
        (Dimension.INVENTORY_TAG, True, {"hold"}),
        (Dimension.PRICING_TIER, False, {"tier-a"}),
        (Dimension.PRICING_TIER, True, {"tier-z"}),
    ]
    record = deal.to_record()
    assert record["brands"] == ["b-kiva", "b-wyld"]  # the seed's arrays: inclusions only
    assert record["product_categories"] == ["edibles"]
    assert record["products"] == []


@pytest.mark.parametrize(
    ("value", "percent"),
    [
        (Decimal(30), Decimal(30)),  # 30 is 30%
        (Decimal("0.3"), Decimal("0.3")),  # 0.3 is 0.3%, not 30% (unlike Dutchie)
        (Decimal("12.50"), Decimal("12.5")),
        (100, Decimal(100)),
        ("15", Decimal(15)),
    ],
)
def test_ptl_percent_is_a_number_of_percent(value: object, percent: Decimal) -> None:
    assert parse_p(ptl(discount_value=value)).reward.percent == percent


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("fixed", RewardMethod.AMOUNT_OFF),
        ("amount", RewardMethod.AMOUNT_OFF),
        ("price", RewardMethod.PRICE_TO_AMOUNT),
        ("PRICE", RewardMethod.PRICE_TO_AMOUNT),
    ],
)
def test_ptl_amount_types(kind: str, method: RewardMethod) -> None:
    deal = parse_p(ptl(discount_type=kind, discount_value=Decimal("19.99")))
    assert deal.reward.method is method
    assert deal.reward.amount == usd("19.99")


def test_ptl_id_prefix() -> None:
    assert parse_p(ptl(id="ptl_abc")).discount_id == "abc"
    assert parse_p(ptl(id="abc")).discount_id == "abc"
    assert parse_p(ptl(id=77)).id == f"{LOC}_ptl_77"
    # Only a leading "ptl_" is dropped, once.
    assert parse_p(ptl(id="ptl_ptl_1")).discount_id == "ptl_1"
    assert parse_p(ptl(id="x_ptl_1")).discount_id == "x_ptl_1"


def test_ptl_dates() -> None:
    deal = parse_p(ptl(start_date="2026-11-02", end_date="2026-11-02"))
    # A one-day deal: 2026-11-02 00:00 local to 2026-11-03 00:00 local (07:00 UTC both).
    assert (deal.valid_from, deal.valid_to) == (utc(2026, 11, 2, 7), utc(2026, 11, 3, 7))
    deal = parse_p(ptl(start_date="2026-11-02T10:00:00Z", end_date="3000-12-31"))
    assert (deal.valid_from, deal.valid_to) == (utc(2026, 11, 2, 10), None)  # year 3000: open
    round_trips(deal)


def test_ptl_days_forms() -> None:
    assert parse_p(ptl(days=["fri", "Saturday"])).days == {Weekday.FRIDAY, Weekday.SATURDAY}
    deal = parse_p(ptl(days={"monday": True, "tuesday": False}))
    assert deal.days == {Weekday.MONDAY}
    assert parse_p(ptl(days=[])).days == frozenset()  # none: every day
    assert parse_p(ptl(sunday=True)).days == {Weekday.SUNDAY}


def test_ptl_threshold_and_one_item() -> None:
    deal = parse_p(ptl(threshold_type="count", threshold=3, apply_to_one_item=True))
    assert (deal.reward.threshold_type, deal.reward.threshold) == (ThresholdType.COUNT, Decimal(3))
    assert deal.reward.one_item_only
    deal = parse_p(ptl(threshold_type="weight", threshold=Decimal("3.5")))
    assert (deal.reward.threshold_type, deal.reward.threshold) == (
        ThresholdType.WEIGHT,
        Decimal("3.5"),
    )


def test_ptl_name_fallback() -> None:
    assert parse_p(ptl(name=None, online_name="Online")).name == "Online"
    assert parse_p(ptl(name=None)).name == "Discount 5"  # "ptl_5" -> "5"


# -- PTL errors


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discount_type": "bogo"}, "discount[5].discount_type"),
        ({"discount_type": None}, "discount[5].discount_type"),
        ({"discount_value": 150}, "discount[5].discount_value"),
        ({"discount_value": 0}, "discount[5].discount_value"),
        ({"discount_value": None}, "discount[5].discount_value"),
        ({"strains": ["s-1"]}, "discount[5].strains"),  # unknown key: refused
        ({"days": "monday"}, "discount[5].days"),
        ({"days": ["funday"]}, "discount[5].days[0]"),
        ({"days": {"funday": False}}, "discount[5].days.funday"),
        ({"days": ["monday"], "friday": True}, "discount[5].days"),
        ({"brands": "b-1"}, "discount[5].brands"),
        ({"exclude_weights": ["-1"]}, "discount[5].exclude_weights[0]"),
        ({"products": [None]}, "discount[5].products[0]"),
        ({"unmatched": [5]}, "discount[5].unmatched[0]"),
        ({"start_date": "11/02/2026"}, "discount[5].start_date"),
        ({"start_date": "2026-11-02", "end_date": "2026-11-01"}, "discount[5].end_date"),
        ({"start_time": "09:00"}, "discount[5].end_time"),
        ({"threshold_type": "spend"}, "discount[5].threshold"),
        ({"threshold_type": "lots", "threshold": 1}, "discount[5].threshold_type"),
        ({"application_method": "sometimes"}, "discount[5].application_method"),
        ({"can_stack": "yes"}, "discount[5].can_stack"),
        ({"menu_rank": "top"}, "discount[5].menu_rank"),
        ({"id": "ptl_"}, "discount.id"),
        ({"id": None}, "discount.id"),
    ],
)
def test_ptl_field_errors(changes: dict[str, Any], field: str) -> None:
    assert ptl_error(ptl(**changes)).field == field


def test_ptl_percent_above_100_says_so() -> None:
    error = ptl_error(ptl(discount_value=Decimal("100.5")))
    assert "percent above 100%" in error.reason


# -- PTL payload


def test_ptl_payload_bulk_form_takes_the_location_argument() -> None:
    body = {"discounts": [ptl(id="ptl_1"), ptl(id="ptl_2")]}
    location, deals = parse_ptl_payload(body, time_zone=PHX, location_id="loc-9")
    assert location == "loc-9"
    assert [d.id for d in deals] == ["loc-9_ptl_1", "loc-9_ptl_2"]
    # The same location in both places is fine.
    body_with = {"location_id": "loc-9", **body}
    assert parse_ptl_payload(body_with, time_zone=PHX, location_id="loc-9")[0] == "loc-9"
    assert parse_ptl_payload({"discounts": []}, time_zone=PHX, location_id="x") == ("x", [])


@pytest.mark.parametrize(
    ("body", "location_id", "field"),
    [
        ({"discounts": []}, None, "location_id"),
        ({"location_id": "", "discounts": []}, None, "location_id"),
        ({"location_id": "a", "discounts": []}, "b", "location_id"),
        ({"location_id": 5, "discounts": []}, None, "location_id"),
        ({"location_id": "a", "source": "dutchie", "discounts": []}, None, "source"),
        ({"location_id": "a"}, None, "discounts"),
        ({"location_id": "a", "discounts": {"id": 1}}, None, "discounts"),
        ({"location_id": "a", "discounts": [ptl(), "x"]}, None, "discounts[1]"),
        ({"location_id": "a", "discounts": [ptl(id=1), ptl(id=None)]}, None, "discounts[1].id"),
        # "ptl_5" and 5 are one discount: the second repeats it.
        ({"location_id": "a", "discounts": [ptl(id="ptl_5"), ptl(id=5)]}, None, "discounts[1].id"),
        ({"location_id": "a", "discounts": [], "event": "sync"}, None, "event"),
        # A bad record names itself; nothing partial is returned.
        (
            {"location_id": "a", "discounts": [ptl(id=1), ptl(id=2, discount_value=500)]},
            None,
            "discount[2].discount_value",
        ),
    ],
)
def test_ptl_payload_errors(body: Any, location_id: str | None, field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_ptl_payload(body, time_zone=PHX, location_id=location_id)
    assert info.value.field == field


def test_ptl_payload_not_an_object() -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_ptl_payload([], time_zone=PHX)  # type: ignore[arg-type]
    assert info.value.field == "body"


def test_ptl_payload_unknown_time_zone() -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_ptl_payload({"location_id": "a", "discounts": []}, time_zone="Nowhere/Else")
    assert info.value.field == "time_zone"
