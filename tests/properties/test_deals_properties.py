"""Property tests of the deal money invariants: floors, exact rounding, stacking, the menu.

Random menu items meet random valid deals (every reward method, offers, all eight
dimensions as inclusions and exclusions, validity, days and hours) drawn from
the same pools, at random instants, channels and customers, under random
policies. Every amount is whole minor units; the reference arithmetic below is
exact (``Fraction``), never a float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricekit.deals.index import MenuIndex, price_menu
from pricekit.deals.match import (
    CandidateOutcome,
    DealPolicy,
    DealPricing,
    MatchContext,
    MatchOutcome,
    MenuItem,
    Preference,
    StackMode,
    best_price,
    discounted,
    floor_of,
)
from pricekit.deals.models import Deal, DealReward, RewardMethod
from pricekit.money import Money
from pricekit.testing.strategies import (
    DealPools,
    deal_lists,
    deal_policies,
    match_contexts,
    menu_items,
    menus,
)

CONTEXT = MatchContext(location_id="loc-1", at=datetime(2026, 1, 5, 12, tzinfo=UTC))
PROPERTY = settings(max_examples=100, deadline=None)

# One id per dimension (two products, two categories): most drawn deals match most
# drawn items, so several deals compete, stack and hit the floors in one example.
TIGHT = DealPools(
    products=("p1", "p2"),
    categories=("c1", "c2"),
    brands=("b1",),
    vendors=("v1",),
    weights=(Decimal("3.5"),),
    tags=("t1",),
    inventory_tags=("i1",),
    pricing_tiers=("gold",),
)
# Deals no gate refuses (targeting, holding back and offers still drawn) on tight pools:
# for the pricing properties. The gated deals on the default pools cover the gates.
ITEMS = menu_items(pools=TIGHT)
LIVE_DEALS = deal_lists(max_size=8, pools=TIGHT, always_live=True)
POLICIES = deal_policies()
CONTEXTS = match_contexts()

# Items, deals and policies in one currency, among currencies with 2, 0 and 3 places,
# the deals gated or always live.
_PER_CURRENCY = {
    (code, live): st.tuples(
        menu_items(currency=code, pools=TIGHT),
        deal_lists(max_size=8, currency=code, pools=TIGHT, always_live=live),
        deal_policies(currency=code),
    )
    for code in ("USD", "JPY", "KWD")
    for live in (False, True)
}
PRICED_IN_ANY_CURRENCY = st.sampled_from(sorted(_PER_CURRENCY)).flatmap(_PER_CURRENCY.__getitem__)

# Menus and deals of one location: the default pools with every gate drawn, or the
# tight pools with gated or always-live deals.
_MENUS_AND_DEALS = {
    (pools_name, live): st.tuples(
        menus(max_size=8, pools=pools), deal_lists(max_size=8, pools=pools, always_live=live)
    )
    for pools_name, pools in (("default", DealPools()), ("tight", TIGHT))
    for live in (False, True)
    if not (pools_name == "default" and live)
}
MENUS_AND_DEALS = st.sampled_from(sorted(_MENUS_AND_DEALS)).flatmap(_MENUS_AND_DEALS.__getitem__)


# -- exact reference arithmetic -----------------------------------------------------------


def reference_floor(item: MenuItem, policy: DealPolicy) -> int:
    """The floor, worked out here: the highest of 0, the minimum, the cost; at most the base."""
    low = 0
    if policy.minimum_price is not None:
        low = max(low, policy.minimum_price.minor_units)
    if policy.floor_at_cost and item.cost is not None:
        low = max(low, item.cost.minor_units)
    return min(low, item.price.minor_units)


def percent_off(minor: int, percent: Decimal) -> int:
    """``minor`` less ``percent``% of it, the discount rounded half up, exactly."""
    off = math.floor(Fraction(minor) * Fraction(percent) / 100 + Fraction(1, 2))
    return minor - off


def reference_discounted(deal: Deal, minor: int) -> int:
    """One deal's price on ``minor``, worked out here (no floor but zero)."""
    reward = deal.reward
    if reward.method is RewardMethod.PERCENT_OFF:
        assert reward.percent is not None
        return max(percent_off(minor, reward.percent), 0)
    assert reward.amount is not None
    if reward.method is RewardMethod.AMOUNT_OFF:
        return max(minor - reward.amount.minor_units, 0)
    return min(minor, reward.amount.minor_units)


def reference_stack(applied: Sequence[Deal], item: MenuItem, policy: DealPolicy) -> int:
    """The price of ``applied`` (in order) on the item, stacked per ``policy`` and floored."""
    base = item.price.minor_units
    if policy.stack_mode is StackMode.COMPOUNDING or len(applied) == 1:
        running = base
        for deal in applied:
            running = reference_discounted(deal, running)
    else:
        running = base - sum(base - reference_discounted(deal, base) for deal in applied)
    return max(running, 0, reference_floor(item, policy))


def outline(pricing: DealPricing) -> tuple[Money, tuple[str, ...], int | None, str | None]:
    """What a menu shows of a pricing: the price, the deals applied, the tier, the floor."""
    return pricing.price, pricing.deal_ids, pricing.tier, pricing.floor


def applied_deals(pricing: DealPricing, deals: Sequence[Deal]) -> list[Deal]:
    by_id = {deal.id: deal for deal in deals}
    return [by_id[deal_id] for deal_id in pricing.deal_ids]


# -- the bounds ---------------------------------------------------------------------------


@PROPERTY
@given(priced=PRICED_IN_ANY_CURRENCY, context=CONTEXTS)
def test_the_price_stays_between_the_floor_and_the_base(
    priced: tuple[MenuItem, list[Deal], DealPolicy], context: MatchContext
) -> None:
    item, deals, policy = priced
    pricing = best_price(item, deals, context, policy=policy)
    base = item.price.minor_units
    price = pricing.price.minor_units
    low = reference_floor(item, policy)

    assert floor_of(item, policy)[0] == low
    assert pricing.price.currency == item.price.currency
    assert pricing.base_price == item.price
    assert 0 <= low <= price <= base  # never negative, never above the base, never under the floor
    if low == base:  # the floor is at or above the base: floor_of stops at the base
        assert price == base
    assert pricing.saving == item.price - pricing.price
    assert 0 <= pricing.saving.minor_units <= base  # a discount never exceeds the base
    if pricing.floor is not None:  # a floor that held the price up holds it exactly
        assert price == low
    if not pricing.deal_ids:
        assert (price, pricing.tier, pricing.floor) == (base, None, None)
    for alone in pricing.prices.values():
        assert low <= alone.minor_units <= base
    for deal in deals:
        assert 0 <= discounted(deal, base) <= base
        assert discounted(deal, base) == reference_discounted(deal, base)


@PROPERTY
@given(item=ITEMS, deals=LIVE_DEALS, context=CONTEXTS, policy=POLICIES)
def test_the_winner_is_the_best_alone_and_the_stack_is_every_stacking_match(
    item: MenuItem, deals: list[Deal], context: MatchContext, policy: DealPolicy
) -> None:
    pricing = best_price(item, deals, context, policy=policy)
    matched = [
        deal
        for deal, match in zip(deals, pricing.matches, strict=True)
        if match.outcome is MatchOutcome.MATCHED
    ]
    assert set(pricing.prices) == set(pricing.outcomes) == {deal.id for deal in matched}
    if not matched:
        assert pricing.deal_ids == ()
        return
    winner = pricing.deal_ids[0]
    alone = {deal_id: money.minor_units for deal_id, money in pricing.prices.items()}
    best = min(alone.values()) if policy.prefer is Preference.CUSTOMER else max(alone.values())
    assert alone[winner] == best
    assert pricing.outcomes[winner] is CandidateOutcome.WON
    by_id = {deal.id: deal for deal in matched}
    if policy.stacking and by_id[winner].can_stack:
        stackers = {deal.id for deal in matched if deal.can_stack}
        assert set(pricing.deal_ids) == stackers
        assert len(pricing.deal_ids) == len(stackers)
    else:
        assert pricing.deal_ids == (winner,)
        assert pricing.price.minor_units == alone[winner]
    for deal_id, outcome in pricing.outcomes.items():
        assert (outcome is CandidateOutcome.LOST) == (deal_id not in pricing.deal_ids)
        assert (deal_id in pricing.lost_to) == (outcome is CandidateOutcome.LOST)
    assert set(pricing.lost_to.values()) <= {winner}
    assert pricing.price.minor_units == reference_stack(applied_deals(pricing, deals), item, policy)


# -- exact rounding -----------------------------------------------------------------------

_PERCENTS = st.one_of(
    st.integers(min_value=1, max_value=100).map(Decimal),
    st.decimals(min_value=Decimal("0.000001"), max_value=100, places=6),
)


@settings(max_examples=200, deadline=None)
@given(base=st.integers(min_value=0, max_value=10**12), percent=_PERCENTS)
@example(base=5, percent=Decimal(10))  # 0.5 off: rounds up to 1
@example(base=1, percent=Decimal(50))  # 0.5 off: the whole price
@example(base=3, percent=Decimal(50))  # 1.5 off: 2
@example(base=999, percent=Decimal("33.333"))  # 332.996667 off: 333
@example(base=10**12 + 1, percent=Decimal("0.000001"))  # 0.01000000001 off: 0
def test_percent_off_rounds_half_up_exactly(base: int, percent: Decimal) -> None:
    deal = Deal(
        id="loc-1_d",
        discount_id="d",
        location_id="loc-1",
        name="Store-wide",
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=percent),
    )
    item = MenuItem(product_id="p", price=Money(base, "USD"))
    expected = percent_off(base, percent)

    assert discounted(deal, base) == expected
    assert best_price(item, [deal], CONTEXT).price == Money(expected, "USD")
    assert price_menu([item], [deal], CONTEXT)["p"].price == Money(expected, "USD")


# -- the menu -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(menu_and_deals=MENUS_AND_DEALS, context=CONTEXTS, policy=POLICIES)
def test_the_menu_gives_each_product_what_best_price_gives(
    menu_and_deals: tuple[list[MenuItem], list[Deal]], context: MatchContext, policy: DealPolicy
) -> None:
    menu, deals = menu_and_deals
    priced = price_menu(menu, deals, context, policy=policy)
    indexed = price_menu(MenuIndex(menu), deals, context, policy=policy)
    assert list(priced) == [item.product_id for item in menu]
    for item in menu:
        alone = best_price(item, deals, context, policy=policy)
        got = priced[item.product_id]
        assert outline(got) == outline(alone), item.product_id
        assert outline(indexed[item.product_id]) == outline(alone), item.product_id
        assert {m.deal_id for m in got.offers} == {m.deal_id for m in alone.offers}


# -- stacking and preference --------------------------------------------------------------


@PROPERTY
@given(item=ITEMS, deals=LIVE_DEALS, context=CONTEXTS, policy=POLICIES)
def test_compounding_and_cumulative_stacks_both_respect_the_floors(
    item: MenuItem, deals: list[Deal], context: MatchContext, policy: DealPolicy
) -> None:
    compounding = best_price(
        item,
        deals,
        context,
        policy=replace(policy, stacking=True, stack_mode=StackMode.COMPOUNDING),
    )
    cumulative = best_price(
        item,
        deals,
        context,
        policy=replace(policy, stacking=True, stack_mode=StackMode.CUMULATIVE),
    )
    low = reference_floor(item, policy)
    base = item.price.minor_units
    for pricing, mode in ((compounding, StackMode.COMPOUNDING), (cumulative, StackMode.CUMULATIVE)):
        price = pricing.price.minor_units
        assert low <= price <= base
        assert price == reference_stack(
            applied_deals(pricing, deals), item, replace(policy, stack_mode=mode)
        )
        if pricing.deal_ids and policy.prefer is Preference.CUSTOMER:
            # stacking more deals on the winner never raises its price
            assert price <= pricing.prices[pricing.deal_ids[0]].minor_units
    # The same deals, in the same order: each discount on the base is at least what it
    # takes off the price the last one left, so cumulative never prices above compounding.
    assert compounding.deal_ids == cumulative.deal_ids
    assert cumulative.price <= compounding.price


@PROPERTY
@given(item=ITEMS, deals=LIVE_DEALS, context=CONTEXTS, policy=POLICIES)
def test_the_retailer_never_gets_a_lower_price_than_the_customer_without_stacking(
    item: MenuItem, deals: list[Deal], context: MatchContext, policy: DealPolicy
) -> None:
    unstacked = replace(policy, stacking=False)
    customer = best_price(
        item, deals, context, policy=replace(unstacked, prefer=Preference.CUSTOMER)
    )
    retailer = best_price(
        item, deals, context, policy=replace(unstacked, prefer=Preference.RETAILER)
    )
    assert retailer.price >= customer.price
    assert bool(retailer.deal_ids) == bool(customer.deal_ids)


# -- determinism --------------------------------------------------------------------------


@PROPERTY
@given(menu_and_deals=MENUS_AND_DEALS, context=CONTEXTS, policy=POLICIES, data=st.data())
def test_the_order_of_the_deals_and_the_menu_does_not_matter(
    menu_and_deals: tuple[list[MenuItem], list[Deal]],
    context: MatchContext,
    policy: DealPolicy,
    data: st.DataObject,
) -> None:
    menu, deals = menu_and_deals
    shuffled_deals = data.draw(st.permutations(deals), label="shuffled deals")
    shuffled_menu = data.draw(st.permutations(menu), label="shuffled menu")
    for item in menu:
        one = best_price(item, deals, context, policy=policy)
        other = best_price(item, shuffled_deals, context, policy=policy)
        assert outline(one) == outline(other)
        assert (one.prices, one.outcomes, one.lost_to) == (
            other.prices,
            other.outcomes,
            other.lost_to,
        )
        assert sorted(m.deal_id for m in one.matches) == sorted(m.deal_id for m in other.matches)
    priced = price_menu(menu, deals, context, policy=policy)
    reshuffled = price_menu(shuffled_menu, shuffled_deals, context, policy=policy)
    assert list(reshuffled) == [item.product_id for item in shuffled_menu]
    for product_id, pricing in priced.items():
        assert outline(reshuffled[product_id]) == outline(pricing), product_id
