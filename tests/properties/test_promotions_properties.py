"""Property tests for promotion evaluation: exact sums, no negative totals, policies, order.

Random carts (1-8 USD lines, whole and weighed quantities, prices up to 1,000.00)
meet random valid promotions of every type, scope and reward.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricekit.money import Money
from pricekit.promotions.evaluate import (
    EvaluationResult,
    Policy,
    RejectionReason,
    evaluate,
    evaluate_document,
)
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import (
    CartLine,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionScope,
    PromotionType,
    Reward,
    RewardType,
)
from pricekit.testing.strategies import carts, promotion_lists

# Saturday 08:00 in New York, at location s1, on the POS, for a gold customer.
CONTEXT = EvaluationContext(
    business_id="biz",
    location_id="s1",
    customer_id="c1",
    customer_tier="gold",
    at=datetime(2026, 6, 6, 12, tzinfo=UTC),
    time_zone="America/New_York",
)
POLICIES = st.sampled_from(list(Policy))
_SETTINGS = settings(deadline=None, max_examples=100)


def _usd(minor: int) -> Money:
    return Money(minor, "USD")


def _per_line(result: EvaluationResult) -> dict[str, tuple[int, int, tuple[tuple[str, int], ...]]]:
    return {
        line.line_id: (
            line.discount.minor_units,
            line.total.minor_units,
            tuple((d.promotion_id, d.amount.minor_units) for d in line.discounts),
        )
        for line in result.lines
    }


def _applied(result: EvaluationResult) -> list[tuple[str, int, frozenset[str]]]:
    return [(a.promotion_id, a.discount.minor_units, frozenset(a.line_ids)) for a in result.applied]


# -- amounts add up -------------------------------------------------------------------------


@_SETTINGS
@given(carts(), promotion_lists(), POLICIES)
def test_amounts_add_up_exactly_and_never_go_negative(
    cart: list[CartLine], offers: list[Promotion], policy: Policy
) -> None:
    result = evaluate(cart, CONTEXT, offers, policy=policy)
    assert not result.total.is_negative()
    assert result.total == result.subtotal - result.total_discount
    assert result.subtotal == Money.sum((line.amount for line in cart), currency="USD")
    assert Money.sum((line.discount for line in result.lines), currency="USD") == (
        result.total_discount
    )
    assert Money.sum((a.discount for a in result.applied), currency="USD") == result.total_discount
    applied = {a.promotion_id for a in result.applied}
    for line in result.lines:
        assert Money.sum((d.amount for d in line.discounts), currency="USD") == line.discount
        assert Money.zero("USD") <= line.discount <= line.subtotal
        assert line.total == line.subtotal - line.discount
        assert all(d.amount.is_positive() and d.promotion_id in applied for d in line.discounts)
    # Every promotion either applied or says why not, exactly once.
    rejected = [r.promotion_id for r in result.rejections]
    assert sorted([*applied, *rejected]) == sorted(p.id for p in offers)


@_SETTINGS
@given(carts(), promotion_lists(), POLICIES)
def test_a_capped_reward_never_takes_more_than_its_cap(
    cart: list[CartLine], offers: list[Promotion], policy: Policy
) -> None:
    result = evaluate(cart, CONTEXT, offers, policy=policy)
    by_id = {p.id: p for p in offers}
    for applied in result.applied:
        rewards_given = by_id[applied.promotion_id].rewards
        if len(rewards_given) == 1 and rewards_given[0].max_discount is not None:
            assert applied.discount <= rewards_given[0].max_discount


# -- policies -------------------------------------------------------------------------------


@_SETTINGS
@given(carts(), promotion_lists(max_size=8))
def test_priority_applies_in_order_and_stops_after_a_non_stackable(
    cart: list[CartLine], offers: list[Promotion]
) -> None:
    result = evaluate(cart, CONTEXT, offers)
    order = [(-a.priority, a.promotion_id) for a in result.applied]
    assert order == sorted(order)
    assert all(a.stackable for a in result.applied[:-1])
    blocker = result.applied[-1] if result.applied and not result.applied[-1].stackable else None
    for rejection in result.rejections:
        if rejection.reason is RejectionReason.BLOCKED_BY_NON_STACKABLE:
            assert blocker is not None
            assert rejection.blocked_by == blocker.promotion_id
            blocked = next(p for p in offers if p.id == rejection.promotion_id)
            # Only what comes after the blocker in priority order is blocked.
            assert (-blocked.priority, blocked.id) > (-blocker.priority, blocker.promotion_id)


@_SETTINGS
@given(carts(), promotion_lists(max_size=8))
def test_best_for_customer_never_saves_less_than_priority(
    cart: list[CartLine], offers: list[Promotion]
) -> None:
    by_priority = evaluate(cart, CONTEXT, offers)
    best = evaluate(cart, CONTEXT, offers, policy="best_for_customer")
    assert best.exact
    assert best.total_discount >= by_priority.total_discount
    # What best applies is a set priority could apply: stackables, then at most one
    # non-stackable, last.
    stacks = [a.stackable for a in best.applied]
    assert all(stacks[:-1])


@settings(deadline=None, max_examples=60)
@given(carts(), promotion_lists(max_size=6))
def test_best_for_customer_saves_what_the_best_subset_under_priority_saves(
    cart: list[CartLine], offers: list[Promotion]
) -> None:
    # Every set best_for_customer may pick is what priority applies from some
    # subset, so the largest saving over every subset is the one to find; the
    # search prunes branches and reuses effects, and must still land on it.
    best = evaluate(cart, CONTEXT, offers, policy="best_for_customer")
    every_subset = max(
        evaluate(cart, CONTEXT, [p for n, p in enumerate(offers) if mask >> n & 1]).total_discount
        for mask in range(1 << len(offers))
    )
    assert best.total_discount == every_subset


# -- order does not matter ------------------------------------------------------------------


@st.composite
def permuted_carts(draw: st.DrawFn) -> tuple[list[CartLine], list[CartLine]]:
    """A cart and the same lines in another order."""
    cart = draw(carts())
    return cart, list(draw(st.permutations(cart)))


@st.composite
def permuted_promotions(draw: st.DrawFn) -> tuple[list[Promotion], list[Promotion]]:
    """Promotions and the same promotions in another order."""
    offers = draw(promotion_lists())
    return offers, list(draw(st.permutations(offers)))


@_SETTINGS
@given(carts(), permuted_promotions(), POLICIES)
def test_the_order_of_the_promotions_given_does_not_matter(
    cart: list[CartLine], offers: tuple[list[Promotion], list[Promotion]], policy: Policy
) -> None:
    given_order, shuffled = offers
    assert evaluate(cart, CONTEXT, shuffled, policy=policy) == evaluate(
        cart, CONTEXT, given_order, policy=policy
    )


def _line(line_id: str, minor: int) -> CartLine:
    return CartLine(line_id=line_id, product_id="p1", quantity=Decimal(1), unit_price=_usd(minor))


_ONE_CENT_OFF = Promotion(
    id="cent",
    business_id="biz",
    name="one cent off",
    type=PromotionType.FIXED_DISCOUNT,
    scope=PromotionScope.CART,
    currency="USD",
    status="active",  # type: ignore[arg-type]
    rewards=(Reward(type=RewardType.FIXED_OFF_ALL, amount=_usd(1)),),
)


_BUY_ONE_GET_ONE = Promotion(
    id="bogo",
    business_id="biz",
    name="buy one get one",
    type=PromotionType.BOGO,
    scope=PromotionScope.BUNDLE,
    currency="USD",
    status="active",  # type: ignore[arg-type]
    item_filter=ItemFilter(product_ids=frozenset({"p1"})),
    rewards=(Reward(type=RewardType.FREE_ITEM, buy_quantity=1),),
)
_TIE = ([_line("a", 500), _line("b", 500)], [_line("b", 500), _line("a", 500)])


@_SETTINGS
@given(permuted_carts(), promotion_lists(), POLICIES)
@example(_TIE, [_ONE_CENT_OFF], Policy.PRIORITY)  # which line gets the odd cent
@example(_TIE, [_BUY_ONE_GET_ONE], Policy.PRIORITY)  # which of two equal units is free
def test_the_order_of_the_cart_lines_does_not_matter(
    carts_: tuple[list[CartLine], list[CartLine]], offers: list[Promotion], policy: Policy
) -> None:
    cart, shuffled = carts_
    before = evaluate(cart, CONTEXT, offers, policy=policy)
    after = evaluate(shuffled, CONTEXT, offers, policy=policy)
    assert after.total_discount == before.total_discount
    assert _per_line(after) == _per_line(before)
    assert _applied(after) == _applied(before)
    assert after.rejections == before.rejections


# -- the audit document and the index -------------------------------------------------------


@_SETTINGS
@given(carts(), promotion_lists(statuses=("active", "active", "draft")), POLICIES)
def test_the_audit_document_reevaluates_to_the_same_outcome(
    cart: list[CartLine], offers: list[Promotion], policy: Policy
) -> None:
    result = evaluate(cart, CONTEXT, offers, policy=policy, preview_statuses=["draft"])
    text = result.to_json()
    document = json.loads(text)
    assert document["outcome"] == result.outcome()
    again = evaluate_document(document)
    assert again == result
    assert again.outcome() == result.outcome()
    assert again.to_json() == text


@_SETTINGS
@given(carts(), promotion_lists(max_size=8, statuses=("active", "active", "paused")), POLICIES)
def test_index_candidates_give_the_same_result_as_every_promotion(
    cart: list[CartLine], offers: list[Promotion], policy: Policy
) -> None:
    index = PromotionIndex(offers)
    candidates = index.candidates(cart)
    every = evaluate(cart, CONTEXT, offers, policy=policy)
    some = evaluate(cart, CONTEXT, candidates, policy=policy)
    assert some.outcome() | {"rejections": []} == every.outcome() | {"rejections": []}
    # Those left out could not have applied: the rest explain themselves the same way.
    assert set(some.rejections) <= set(every.rejections)
    left_out = {p.id for p in offers} - {p.id for p in candidates}
    never_eligible = set(RejectionReason) - {
        RejectionReason.BLOCKED_BY_NON_STACKABLE,
        RejectionReason.NOT_SELECTED,
        RejectionReason.NOTHING_TO_DISCOUNT,
    }
    for rejection in every.rejections:
        if rejection.promotion_id in left_out:
            assert rejection.reason in never_eligible
