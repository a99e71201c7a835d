"""The customer-facing deal queries: the deals page, a product page, the daily-deals page.

Every expected price is worked out by hand next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
    best_price,
)
from pricekit.deals.models import Deal
from pricekit.deals.ports import DealCacheError
from pricekit.deals.queries import (
    DealsNotCachedError,
    deals_by_weekday,
    deals_for_weekday,
    live_deals,
    live_deals_from_cache,
    menu_order_key,
    product_deals,
)
from pricekit.errors import CurrencyMismatchError, InvalidValueError, NotFoundError
from pricekit.memory.deals import InMemoryDealCache
from pricekit.money import Money
from pricekit.time import Weekday

PHOENIX = "America/Phoenix"  # UTC-7 all year
# Friday 2026-11-20 16:30 in Phoenix
FRIDAY_1630 = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
HERE = MatchContext(location_id="L1", at=FRIDAY_1630)


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


def brand(*ids: str, exclude: bool = False) -> list[dict[str, Any]]:
    return [{"dimension": "brand", "ids": list(ids), "exclude": exclude}]


ITEM = MenuItem(
    product_id="og-3.5",
    price=usd("40.00"),
    category_ids=frozenset({"indica", "flower"}),
    brand_id="acme",
    cost=usd("30.00"),
)


# -- menu order ---------------------------------------------------------------------------------


def test_menu_order_is_rank_then_shown_name_then_id() -> None:
    deals = [
        deal("a", name="zeta", menu_rank=None),
        deal("b", name="Beta", menu_rank=2),
        deal("c", name="alpha", menu_rank=2),
        deal("d", name="Omega", menu_rank=-1),  # a negative rank is still a rank, first
        deal("e", name="zz", online_name="Aardvark"),  # unranked: the shown name counts
        deal("f", name="Beta", menu_rank=2),  # same rank and name as b: the id decides
        deal("g", name="beta", menu_rank=2),  # same name but for case: exact name decides
    ]
    ordered = [d.discount_id for d in sorted(deals, key=menu_order_key)]
    # rank -1; rank 2: alpha, then Beta/Beta/beta (casefold ties; "B" < "b"; then id b < f)
    assert ordered == ["d", "c", "b", "f", "g", "e", "a"]


# -- the deals page -------------------------------------------------------------------------------


def test_live_deals_are_in_menu_order_and_every_other_deal_says_why() -> None:
    deals = [
        deal("late", name="Late", menu_rank=3),
        deal("code", name="Code", application_method="code"),
        deal("first", name="First", menu_rank=1),
        deal("other", id="L2_other", location_id="L2"),
        deal("off", enabled=False),
        deal("gone", valid_to=datetime(2026, 11, 1, tzinfo=UTC)),
        deal("soon", valid_from=datetime(2026, 12, 1, tzinfo=UTC)),
        deal("sat", days=["saturday"]),
        deal("fresh", first_time_customer_only=True),
        deal("lost", unmapped=["restriction type 'Strain' is not understood"]),
        deal(
            "bogo",
            name="Bogo",
            reward={"method": "percent_off", "percent": "50", "one_item_only": True},
        ),
    ]
    page = live_deals(deals, HERE)
    assert page.ids == ("L1_first", "L1_late", "L1_bogo")  # an offer is live too
    assert page.location_id == "L1"
    assert page.at == FRIDAY_1630
    gates = {hidden.deal.discount_id: hidden.gate for hidden in page.hidden}
    assert gates == {
        "code": Gate.NOT_AUTOMATIC,
        "other": Gate.WRONG_LOCATION,
        "off": Gate.DISABLED,
        "gone": Gate.ENDED,
        "soon": Gate.NOT_STARTED,
        "sat": Gate.OUTSIDE_SCHEDULE,
        "fresh": Gate.CUSTOMER_UNKNOWN,
        "lost": None,
    }
    assert [h.deal.id for h in page.hidden] == [
        d.id for d in sorted((h.deal for h in page.hidden), key=menu_order_key)
    ]
    gone = page.why_hidden("L1_gone")
    assert gone is not None
    assert gone.outcome is MatchOutcome.GATE_FAILED
    assert gone.reason == "it ended at 2026-11-01T00:00:00+00:00"
    sat = page.why_hidden("L1_sat")
    assert sat is not None
    assert sat.reason == "it runs Saturday (America/Phoenix)"
    lost = page.why_hidden("L1_lost")
    assert lost is not None
    assert lost.outcome is MatchOutcome.HELD_BACK
    assert (
        lost.reason
        == "its targeting was lost on the way: restriction type 'Strain' is not understood"
    )
    assert page.why_hidden("L1_first") is None
    assert page.why_hidden("nowhere") is None


def test_the_register_context_lists_code_and_manual_deals() -> None:
    deals = [deal("code", application_method="code"), deal("manual", application_method="manual")]
    register = MatchContext(location_id="L1", at=FRIDAY_1630, shelf=False)
    assert live_deals(deals, register).ids == ("L1_code", "L1_manual")
    assert live_deals(deals, HERE).ids == ()


def test_a_schedule_is_read_in_the_store_time_zone() -> None:
    # 23:30 UTC on Friday is 16:30 in Phoenix: inside Friday 16:00-17:00 there
    happy_hour = deal("hh", days=["friday"], start_time="16:00", end_time="17:00")
    assert live_deals([happy_hour], HERE).ids == ("L1_hh",)
    # 00:00 UTC on Saturday is 17:00 on Friday in Phoenix: the end is exclusive
    at_five = MatchContext(location_id="L1", at=datetime(2026, 11, 21, 0, tzinfo=UTC))
    assert live_deals([happy_hour], at_five).hidden[0].gate is Gate.OUTSIDE_SCHEDULE


def test_no_deals_is_an_empty_page() -> None:
    page = live_deals([], HERE)
    assert page.deals == ()
    assert page.hidden == ()


def test_a_deal_given_twice_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        live_deals([deal("a"), deal("b"), deal("a")], HERE)
    assert caught.value.field == "deals[2].id"
    assert caught.value.value == "L1_a"
    assert "deals[0]" in caught.value.reason


# -- from the cache -------------------------------------------------------------------------------


def test_live_deals_from_the_cache() -> None:
    cache = InMemoryDealCache()
    cache.replace("L1", [deal("b", menu_rank=2), deal("a", menu_rank=1), deal("x", enabled=False)])
    page = live_deals_from_cache(cache, HERE)
    assert page.ids == ("L1_a", "L1_b")
    assert [h.deal.id for h in page.hidden] == ["L1_x"]


def test_an_empty_cached_set_is_no_deals() -> None:
    cache = InMemoryDealCache()
    cache.replace("L1", [])
    page = live_deals_from_cache(cache, HERE)
    assert page.deals == ()


def test_nothing_cached_yet_is_not_no_deals() -> None:
    cache = InMemoryDealCache()
    cache.replace("L2", [deal("a", id="L2_a", location_id="L2")])
    with pytest.raises(DealsNotCachedError) as caught:
        live_deals_from_cache(cache, HERE)
    error = caught.value
    assert isinstance(error, NotFoundError)
    assert isinstance(error, LookupError)
    assert error.location_id == "L1"
    assert error.entity == "deal set"
    assert error.id == "L1"
    assert str(error) == "deal set 'L1' was not found"


def test_a_failed_cache_read_propagates_and_is_never_no_deals() -> None:
    cache = InMemoryDealCache()
    cache.replace("L1", [deal("a")])
    cache.break_reads("connection refused")
    with pytest.raises(DealCacheError) as caught:
        live_deals_from_cache(cache, HERE)
    assert caught.value.location_id == "L1"
    assert caught.value.operation == "read"
    assert "connection refused" in str(caught.value)
    cache.heal()
    assert live_deals_from_cache(cache, HERE).ids == ("L1_a",)


# -- a product page -------------------------------------------------------------------------------


def test_product_deals_best_first_offers_apart_and_the_full_pricing() -> None:
    deals = [
        deal("ten"),  # 40.00 less 10% = 36.00, tier 4
        deal("five-off", reward={"method": "amount_off", "amount": usd("5.00")}),  # 35.00
        deal("to-30", reward={"method": "price_to_amount", "amount": usd("30.00")}),  # 30.00
        deal(
            "acme-20", restrictions=brand("acme"), reward={"method": "percent_off", "percent": 20}
        ),
        # 40.00 less 20% = 32.00, tier 3
        deal("other-brand", restrictions=brand("zen")),  # not targeted
        deal("no-acme", restrictions=brand("acme", exclude=True)),  # excluded
        deal("closed", enabled=False),  # gate
        deal(
            "spend-50",
            name="Spend 50",
            reward={
                "method": "percent_off",
                "percent": 15,
                "threshold_type": "spend",
                "threshold": 50,
            },
        ),
        deal(
            "bogo",
            name="Bogo",
            reward={"method": "percent_off", "percent": 50, "one_item_only": True},
        ),
    ]
    page = product_deals(ITEM, deals, HERE)
    assert page.product_id == "og-3.5"
    assert [(a.deal.discount_id, a.price) for a in page.applicable] == [
        ("to-30", usd("30.00")),
        ("acme-20", usd("32.00")),
        ("five-off", usd("35.00")),
        ("ten", usd("36.00")),
    ]
    assert [a.outcome for a in page.applicable] == [
        CandidateOutcome.WON,
        CandidateOutcome.LOST,
        CandidateOutcome.LOST,
        CandidateOutcome.LOST,
    ]
    assert [a.lost_to for a in page.applicable] == [None, "L1_to-30", "L1_to-30", "L1_to-30"]
    assert page.applicable[1].match.tier == 3
    assert page.applicable[1].match.reason == "tier 3: matches its brand"
    # offers in menu order ("Bogo" before "Spend 50"), never in the price
    assert [o.deal.discount_id for o in page.offers] == ["bogo", "spend-50"]
    assert all(o.match.outcome is MatchOutcome.OFFER for o in page.offers)
    assert page.price == usd("30.00")
    assert [a.deal.id for a in page.applied] == ["L1_to-30"]
    # the pricing is best_price's own, with its explanation of every deal
    assert page.pricing == best_price(ITEM, deals, HERE)
    assert page.pricing.match("L1_other-brand") is not None
    assert page.pricing.match("L1_closed").gate is Gate.DISABLED  # type: ignore[union-attr]
    # best_price's ranking, as it records it
    assert [a.deal.id for a in page.applicable] == list(page.pricing.prices)


def test_equal_prices_rank_by_tier_then_menu_rank_then_end_then_id() -> None:
    deals = [
        deal("z-store", reward={"method": "amount_off", "amount": usd("4.00")}),  # 36.00, tier 4
        deal("y-brand", restrictions=brand("acme")),  # 36.00, tier 3
        deal("x-ranked", menu_rank=1),  # 36.00, tier 4, ranked
        deal("w-ends", valid_to=datetime(2026, 12, 1, tzinfo=UTC)),  # 36.00, tier 4, ends
        deal("v-plain"),  # 36.00, tier 4: the id is the last word
    ]
    page = product_deals(ITEM, deals, HERE)
    assert [a.deal.discount_id for a in page.applicable] == [
        "y-brand",
        "x-ranked",
        "w-ends",
        "v-plain",
        "z-store",
    ]
    assert page.pricing.deal_ids == ("L1_y-brand",)


def test_the_retailer_preference_ranks_the_highest_price_first() -> None:
    deals = [
        deal("ten"),  # 36.00
        deal("to-30", reward={"method": "price_to_amount", "amount": usd("30.00")}),  # 30.00
    ]
    page = product_deals(ITEM, deals, HERE, DealPolicy(prefer=Preference.RETAILER))
    assert [a.deal.discount_id for a in page.applicable] == ["ten", "to-30"]
    assert page.price == usd("36.00")


def test_stacked_deals_are_applied_in_ranking_order() -> None:
    deals = [
        deal("ten", can_stack=True),  # 36.00 alone
        deal("twenty", can_stack=True, reward={"method": "percent_off", "percent": 20}),  # 32.00
        deal("five-off", reward={"method": "amount_off", "amount": usd("5.00")}),  # 35.00, alone
    ]
    page = product_deals(ITEM, deals, HERE)
    assert [(a.deal.discount_id, a.outcome) for a in page.applicable] == [
        ("twenty", CandidateOutcome.WON),
        ("five-off", CandidateOutcome.LOST),
        ("ten", CandidateOutcome.STACKED),
    ]
    # compounding: 40.00 less 20% = 32.00, less 10% = 28.80
    assert page.price == usd("28.80")
    assert tuple(a.deal.id for a in page.applied) == page.pricing.deal_ids
    page = product_deals(ITEM, deals, HERE, DealPolicy(stacking=False))
    assert page.price == usd("32.00")
    assert [a.deal.id for a in page.applied] == ["L1_twenty"]


def test_the_floors_hold_the_price_and_say_so() -> None:
    deals = [deal("half", reward={"method": "percent_off", "percent": 50})]  # 20.00 < cost
    page = product_deals(ITEM, deals, HERE, DealPolicy(floor_at_cost=True))
    assert page.applicable[0].price == usd("30.00")
    assert page.pricing.floor == "cost"


def test_a_product_without_deals_keeps_its_price() -> None:
    page = product_deals(ITEM, [deal("zen", restrictions=brand("zen"))], HERE)
    assert page.applicable == ()
    assert page.offers == ()
    assert page.applied == ()
    assert page.price == usd("40.00")
    assert page.pricing.match("L1_zen").outcome is MatchOutcome.NOT_TARGETED  # type: ignore[union-attr]


def test_product_deals_refuses_a_deal_given_twice() -> None:
    with pytest.raises(InvalidValueError) as caught:
        product_deals(ITEM, [deal("a"), deal("a")], HERE)
    assert caught.value.field == "deals[1].id"


def test_product_deals_refuses_a_deal_in_another_currency() -> None:
    euro = deal("eur", currency="EUR")
    with pytest.raises(CurrencyMismatchError):
        product_deals(ITEM, [euro], HERE)


def test_product_deals_takes_a_one_shot_iterable() -> None:
    page = product_deals(ITEM, iter([deal("ten")]), HERE)
    assert page.price == usd("36.00")


# -- the daily-deals page -------------------------------------------------------------------------


WEEK = [
    deal("mon-wed", name="Munchie", days=["monday", "wednesday"]),
    deal("every", name="Always", menu_rank=5),
    deal("fri-late", name="Late", days=["friday"], start_time="22:00", end_time="02:00"),
    deal("mon-ranked", name="Zebra", days=["monday"], menu_rank=1),
]


@pytest.mark.parametrize("weekday", [Weekday.MONDAY, "mon", "Monday", 0])
def test_deals_for_a_weekday_in_menu_order(weekday: Weekday | str | int) -> None:
    found = deals_for_weekday(WEEK, weekday)
    assert [d.discount_id for d in found] == ["mon-ranked", "every", "mon-wed"]


def test_deals_for_a_weekday_without_the_every_day_deals() -> None:
    found = deals_for_weekday(WEEK, Weekday.MONDAY, include_every_day=False)
    assert [d.discount_id for d in found] == ["mon-ranked", "mon-wed"]


def test_a_window_past_midnight_is_listed_on_the_day_it_starts() -> None:
    assert "fri-late" in [d.discount_id for d in deals_for_weekday(WEEK, "friday")]
    assert "fri-late" not in [d.discount_id for d in deals_for_weekday(WEEK, "saturday")]


@pytest.mark.parametrize("weekday", ["funday", 7, -1, True])
def test_deals_for_a_weekday_refuses_a_non_day(weekday: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        deals_for_weekday(WEEK, weekday)  # type: ignore[arg-type]
    assert caught.value.field == "weekday"


def test_deals_by_weekday_is_the_whole_week_monday_first() -> None:
    week = deals_by_weekday(iter(WEEK))
    assert list(week) == list(Weekday)
    ids = {day: [d.discount_id for d in found] for day, found in week.items()}
    assert ids[Weekday.MONDAY] == ["mon-ranked", "every", "mon-wed"]
    assert ids[Weekday.TUESDAY] == ["every"]
    assert ids[Weekday.FRIDAY] == ["every", "fri-late"]
    only_named = deals_by_weekday(WEEK, include_every_day=False)
    assert only_named[Weekday.SUNDAY] == []
    assert [d.discount_id for d in only_named[Weekday.WEDNESDAY]] == ["mon-wed"]


def test_a_percent_number_is_exact() -> None:
    page = product_deals(
        ITEM, [deal("odd", reward={"method": "percent_off", "percent": "12.5"})], HERE
    )
    assert page.applicable[0].deal.reward.percent == Decimal("12.5")
    assert page.price == usd("35.00")  # 40.00 less 12.5% = 35.00
