"""Cart evaluation: which promotions apply, what each takes off each line, and why not.

:func:`evaluate` is pure. Given a cart (lines with resolved unit prices), a
context (business, location, channel, customer, instant, time zone) and
promotions, it returns an :class:`EvaluationResult`: the promotions applied in
order, a discount entry per line and promotion, free items to add, the savings
and the final total, and for every promotion that did not apply, why, as data.

How a promotion is evaluated:

1. **Gates**, in order: status (``active``, or a previewed status), currency,
   channel, location, validity window, days of the week and times of day (in the
   location's time zone), the usage limit, the customer's limit, the customer tier.
2. **Conditions** on the cart as rung up (before any promotion): the minimum
   amount ("add 12.00 more"), items in the cart ("add 1 item from category
   'tees'"), the minimum quantity ("add 2 more items ..."). A promotion with an
   ``item_filter`` needs at least one qualifying line.
3. **Rewards**, on what earlier promotions left of each line:

   - ``pct_off_item`` / ``fixed_off_item``: each target line (the reward's
     ``applies_to``, else the qualifying items, else every line); a fixed amount
     is off each unit, never more than the line.
   - ``pct_off_all`` / ``fixed_off_all``: one amount off the target lines (every
     line unless ``applies_to`` says), allocated to them by largest remainder in
     proportion to what is left of each, so the line shares add up exactly.
   - ``free_item`` (outside a bundle): units of the named product or variant in
     the cart become free (cheapest first); units not in the cart are returned as
     free items to add.
   - **Bundles** (buy X, get Y): units of qualifying and reward items are grouped,
     each group X qualifying units and Y reward units, repeated for every multiple;
     a unit is used once per promotion. The reward units are the cheapest eligible
     (or the most expensive, if the reward says); their discount is a percentage,
     an amount off each, free, or an ``override_price`` for the whole group.
   - ``max_discount`` caps a reward; the capped amount is re-allocated over the
     lines in proportion to the uncapped shares. No line ever goes below zero.

4. **Selection policies**, chosen per call:

   - ``priority`` (seed 004 exactly): highest priority first (then id); a
     promotion applies if it takes something off; evaluation stops after the
     first non-stackable promotion that applied.
   - ``best_for_customer``: the feasible set with the largest saving. A feasible
     set is applied in priority order and may end with one non-stackable
     promotion, exactly the sets ``priority`` can produce from some subset, so
     the best never saves less than ``priority``. The search is exhaustive over up
     to ``exact_limit`` applicable promotions; above that it keeps the best
     individually and says ``exact=False``. Ties go to fewer promotions, then to
     the set earliest in priority order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pricekit.errors import CurrencyMismatchError, InvalidValueError
from pricekit.money import Currency, Money, get_currency, round_ratio
from pricekit.promotions.models import (
    CartLine,
    Condition,
    ConditionType,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionScope,
    PromotionStatus,
    Reward,
    RewardType,
    UnitSelection,
)
from pricekit.time import zone

__all__ = [
    "DOCUMENT_VERSION",
    "AppliedPromotion",
    "EvaluationResult",
    "FreeItem",
    "LineDiscount",
    "LineResult",
    "Policy",
    "Rejection",
    "RejectionReason",
    "evaluate",
    "evaluate_document",
]

DOCUMENT_VERSION = 1
"""The version of the audit document :meth:`EvaluationResult.to_document` writes."""

DEFAULT_EXACT_LIMIT = 12
"""``best_for_customer`` searches every combination of up to this many promotions."""


class Policy(StrEnum):
    """How promotions are chosen among those that apply."""

    PRIORITY = "priority"
    BEST_FOR_CUSTOMER = "best_for_customer"


class RejectionReason(StrEnum):
    """Why a promotion did not apply."""

    NOT_LIVE = "not_live"
    """Its status is not active (nor previewed)."""
    WRONG_BUSINESS = "wrong_business"
    WRONG_CURRENCY = "wrong_currency"
    WRONG_CHANNEL = "wrong_channel"
    WRONG_LOCATION = "wrong_location"
    OUTSIDE_VALIDITY = "outside_validity"
    OUTSIDE_SCHEDULE = "outside_schedule"
    """Not on this day of the week or at this time of day."""
    USAGE_LIMIT_REACHED = "usage_limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"
    CUSTOMER_TIER = "customer_tier"
    CONDITION_NOT_MET = "condition_not_met"
    NOTHING_TO_DISCOUNT = "nothing_to_discount"
    """Its conditions hold, but nothing it rewards is left to discount."""
    BLOCKED_BY_NON_STACKABLE = "blocked_by_non_stackable"
    NOT_SELECTED = "not_selected"
    """``best_for_customer`` found a better combination without it."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one promotion did not apply, as data.

    Attributes:
        promotion_id: The promotion.
        name: Its name.
        reason: The kind of reason.
        detail: The reason in words, e.g. ``"add 12.00 more"``.
        condition: The condition that failed, for ``condition_not_met``.
        missing_amount: How much more the cart needs to spend.
        missing_quantity: How many more units the cart needs.
        blocked_by: The non-stackable promotion that blocked it.
    """

    promotion_id: str
    name: str
    reason: RejectionReason
    detail: str
    condition: ConditionType | None = None
    missing_amount: Money | None = None
    missing_quantity: Decimal | None = None
    blocked_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "promotion_id": self.promotion_id,
            "name": self.name,
            "reason": self.reason.value,
            "detail": self.detail,
            "condition": None if self.condition is None else self.condition.value,
            "missing_amount": _money_json(self.missing_amount),
            "missing_quantity": None
            if self.missing_quantity is None
            else str(self.missing_quantity),
            "blocked_by": self.blocked_by,
        }


@dataclass(frozen=True, slots=True)
class LineDiscount:
    """What one promotion took off one line."""

    promotion_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class LineResult:
    """One cart line after promotions.

    Attributes:
        line_id: The line.
        subtotal: Unit price x quantity, before promotions.
        discount: Everything taken off it.
        total: ``subtotal - discount``; never negative.
        discounts: One entry per promotion that touched it, in application order.
    """

    line_id: str
    subtotal: Money
    discount: Money
    total: Money
    discounts: tuple[LineDiscount, ...] = ()


@dataclass(frozen=True, slots=True)
class FreeItem:
    """An item a promotion gives that is not in the cart: add it at no charge."""

    promotion_id: str
    product_id: str | None
    variant_id: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotion that applied.

    Attributes:
        promotion_id: The promotion.
        name: Its name (for the receipt).
        type: Its type.
        scope: Its scope.
        priority: Its priority.
        stackable: Whether it stacks.
        discount: What it took off the cart in all.
        line_ids: The lines it discounted.
        free_items: Items it gives that are not in the cart.
    """

    promotion_id: str
    name: str
    type: str
    scope: str
    priority: int
    stackable: bool
    discount: Money
    line_ids: tuple[str, ...]
    free_items: tuple[FreeItem, ...] = ()


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """The outcome of evaluating a cart.

    Attributes:
        policy: The selection policy used.
        currency: The cart's currency code.
        subtotal: The cart before promotions.
        total_discount: What the promotions took off (the savings).
        total: ``subtotal - total_discount``; never negative.
        applied: The promotions applied, in application order.
        lines: Every cart line, in cart order, with its discounts.
        free_items: Items to add at no charge.
        rejections: Every promotion considered that did not apply, and why.
        exact: ``False`` when ``best_for_customer`` had too many promotions to try
            every combination.
        inputs: What was evaluated (for :meth:`to_document`).
    """

    policy: Policy
    currency: str
    subtotal: Money
    total_discount: Money
    total: Money
    applied: tuple[AppliedPromotion, ...]
    lines: tuple[LineResult, ...]
    free_items: tuple[FreeItem, ...]
    rejections: tuple[Rejection, ...]
    exact: bool = True
    inputs: _Inputs | None = field(default=None, compare=False, repr=False)

    def rejection(self, promotion_id: str) -> Rejection | None:
        """Why ``promotion_id`` did not apply, or ``None`` if it applied or was not considered."""
        for rejection in self.rejections:
            if rejection.promotion_id == promotion_id:
                return rejection
        return None

    def outcome(self) -> dict[str, Any]:
        """The result as a JSON-ready mapping (amounts as exact decimal strings)."""
        return {
            "policy": self.policy.value,
            "currency": self.currency,
            "subtotal": _money_json(self.subtotal),
            "total_discount": _money_json(self.total_discount),
            "total": _money_json(self.total),
            "exact": self.exact,
            "applied": [
                {
                    "promotion_id": a.promotion_id,
                    "name": a.name,
                    "type": a.type,
                    "scope": a.scope,
                    "priority": a.priority,
                    "stackable": a.stackable,
                    "discount": _money_json(a.discount),
                    "line_ids": list(a.line_ids),
                    "free_items": [_free_json(f) for f in a.free_items],
                }
                for a in self.applied
            ],
            "lines": [
                {
                    "line_id": line.line_id,
                    "subtotal": _money_json(line.subtotal),
                    "discount": _money_json(line.discount),
                    "total": _money_json(line.total),
                    "discounts": [
                        {"promotion_id": d.promotion_id, "amount": _money_json(d.amount)}
                        for d in line.discounts
                    ],
                }
                for line in self.lines
            ],
            "free_items": [_free_json(f) for f in self.free_items],
            "rejections": [r.to_dict() for r in self.rejections],
        }

    def to_document(self) -> dict[str, Any]:
        """The stable, versioned audit document for a sale's detail record.

        It holds the inputs (cart, context, the promotions as evaluated, the policy)
        and the outcome; :func:`evaluate_document` re-evaluates the inputs and gives
        the same outcome.

        Raises:
            InvalidValueError: The result was not produced by :func:`evaluate`.
        """
        if self.inputs is None:
            raise InvalidValueError(
                field="inputs", value=None, reason="only a result of evaluate() has its inputs"
            )
        inputs = self.inputs
        return {
            "pricekit_promotions_document": DOCUMENT_VERSION,
            "inputs": {
                "policy": self.policy.value,
                "preview_statuses": sorted(s.value for s in inputs.preview),
                "exact_limit": inputs.exact_limit,
                "context": inputs.context.model_dump(mode="json"),
                "cart": [line.model_dump(mode="json") for line in inputs.cart],
                "promotions": [p.model_dump(mode="json") for p in inputs.promotions],
            },
            "outcome": self.outcome(),
        }

    def to_json(self) -> str:
        """:meth:`to_document` as compact JSON with sorted keys (stable byte for byte)."""
        return json.dumps(self.to_document(), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Inputs:
    cart: tuple[CartLine, ...]
    context: EvaluationContext
    promotions: tuple[Promotion, ...]
    preview: frozenset[PromotionStatus]
    exact_limit: int


def _money_json(money: Money | None) -> dict[str, str] | None:
    if money is None:
        return None
    return {"amount": money.format_amount(), "currency": money.currency.code}


def _free_json(item: FreeItem) -> dict[str, Any]:
    return {
        "promotion_id": item.promotion_id,
        "product_id": item.product_id,
        "variant_id": item.variant_id,
        "quantity": item.quantity,
    }


# -- the cart as integers --------------------------------------------------------------------


@dataclass(slots=True)
class _Cart:
    lines: tuple[CartLine, ...]
    currency: Currency
    amounts: list[int]
    subtotal: int
    ids: list[str] = field(default_factory=list)
    keys: list[frozenset[str]] = field(default_factory=list)
    matched: dict[int, tuple[ItemFilter, list[int]]] = field(default_factory=dict)
    values: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def matching(self, item_filter: ItemFilter) -> list[int]:
        """The indexes of the lines ``item_filter`` matches, worked out once per evaluation."""
        found = self.matched.get(id(item_filter))
        if found is None or found[0] is not item_filter:
            if item_filter.all_items:
                indexes = list(range(len(self.lines)))
            else:
                wanted = item_filter.item_keys
                indexes = [i for i, keys in enumerate(self.keys) if not wanted.isdisjoint(keys)]
            found = self.matched[id(item_filter)] = (item_filter, indexes)
        return found[1]

    def unit_values(self, index: int, left: int) -> list[int]:
        """What each whole unit of line ``index`` is worth when ``left`` is left of the line.

        A weighed line (2.5 kg) has 2 whole units, each worth 1/2.5 of the line; the
        half unit joins no bundle. Equal units give the odd minor units to the first.
        """
        key = (index, left)
        values = self.values.get(key)
        if values is None:
            numerator, denominator = self.lines[index].quantity.as_integer_ratio()
            whole, part = divmod(numerator, denominator)
            if whole <= 0:
                values = []
            elif part == 0:
                each, odd = divmod(left, whole)
                values = [each + 1] * odd + [each] * (whole - odd)
            else:
                weights = [denominator] * whole + [part]
                values = _split(left, weights, range(len(weights)))[:whole]
            self.values[key] = values
        return values

    def describe(self, minor: int) -> str:
        return Money(minor, self.currency).format_amount()


def _prepare(cart: Sequence[CartLine]) -> _Cart:
    lines = tuple(cart)
    if not lines:
        raise InvalidValueError(field="cart", value=[], reason="a cart needs at least one line")
    currency = lines[0].unit_price.currency
    seen: set[str] = set()
    amounts: list[int] = []
    for index, line in enumerate(lines):
        if not isinstance(line, CartLine):
            raise InvalidValueError(
                field=f"cart[{index}]", value=line, reason="expected a CartLine"
            )
        if line.unit_price.currency is not currency:
            raise CurrencyMismatchError(
                expected=currency.code,
                actual=line.unit_price.currency.code,
                field=f"cart[{index}].unit_price",
            )
        if line.line_id in seen:
            raise InvalidValueError(
                field=f"cart[{index}].line_id", value=line.line_id, reason="appears twice"
            )
        seen.add(line.line_id)
        amounts.append(line.amount.minor_units)
    return _Cart(
        lines=lines,
        currency=currency,
        amounts=amounts,
        subtotal=sum(amounts),
        ids=[line.line_id for line in lines],
        keys=[line.item_keys for line in lines],
    )


def _split(total: int, weights: Sequence[int], keys: Sequence[Any]) -> list[int]:
    """``total`` in proportion to non-negative int ``weights``, by largest remainder.

    Ties between equal remainders go to the smaller key (a line id, never a
    position), so the split does not depend on the order of the cart's lines.
    """
    weight_sum = sum(weights)
    if weight_sum == 0 or total == 0:
        return [0] * len(weights)
    shares: list[int] = []
    remainders: list[tuple[int, Any, int]] = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, keys[index], index))
    leftover = total - sum(shares)
    if leftover:
        remainders.sort()
        for _, _, index in remainders[:leftover]:
            shares[index] += 1
    return shares


# -- gates and conditions -------------------------------------------------------------------


def _reject(promotion: Promotion, reason: RejectionReason, detail: str, **extra: Any) -> Rejection:
    return Rejection(
        promotion_id=promotion.id, name=promotion.name, reason=reason, detail=detail, **extra
    )


def _schedule_problem(
    promotion: Promotion, context: EvaluationContext
) -> tuple[ConditionType, str] | None:
    local: datetime | None = None
    for condition in promotion.conditions:
        if condition.type is ConditionType.DAYS_OF_WEEK:
            local = local or context.at.astimezone(zone(context.time_zone))
            if local.weekday() not in condition.days:
                days = ", ".join(day.name.title() for day in sorted(condition.days))
                return (
                    condition.type,
                    f"runs on {days}; it is {local.strftime('%A')} in {context.time_zone}",
                )
        elif condition.type is ConditionType.TIME_OF_DAY:
            local = local or context.at.astimezone(zone(context.time_zone))
            window = condition.window
            assert window is not None
            if not window.contains(local.time().replace(tzinfo=None)):
                return (
                    condition.type,
                    f"runs {window.start.strftime('%H:%M')}-{window.end.strftime('%H:%M')}; "
                    f"it is {local.strftime('%H:%M')} in {context.time_zone}",
                )
    return None


def _gate(
    promotion: Promotion,
    context: EvaluationContext,
    currency: Currency,
    preview: frozenset[PromotionStatus],
) -> Rejection | None:
    """The first gate ``promotion`` fails, in the documented order, or ``None``."""
    status = promotion.status
    if status is not PromotionStatus.ACTIVE and status not in preview:
        return _reject(promotion, RejectionReason.NOT_LIVE, f"it is {status.value}")
    return (
        _place(promotion, context, currency)
        or _time(promotion, context)
        or _limits(promotion, context)
    )


def _place(
    promotion: Promotion, context: EvaluationContext, currency: Currency
) -> Rejection | None:
    if promotion.business_id != context.business_id:
        return _reject(
            promotion, RejectionReason.WRONG_BUSINESS, f"it belongs to {promotion.business_id!r}"
        )
    if get_currency(promotion.currency) is not currency:
        return _reject(
            promotion,
            RejectionReason.WRONG_CURRENCY,
            f"it is in {promotion.currency}, the cart in {currency.code}",
        )
    if promotion.channel is not None and promotion.channel is not context.channel:
        return _reject(
            promotion, RejectionReason.WRONG_CHANNEL, f"it runs on {promotion.channel.value} only"
        )
    if promotion.location_ids and context.location_id not in promotion.location_ids:
        return _reject(
            promotion,
            RejectionReason.WRONG_LOCATION,
            f"it runs at {', '.join(sorted(promotion.location_ids))} only",
        )
    return None


def _time(promotion: Promotion, context: EvaluationContext) -> Rejection | None:
    at = context.at
    if promotion.valid_from is not None and at < promotion.valid_from:
        starts = promotion.valid_from.isoformat()
        return _reject(promotion, RejectionReason.OUTSIDE_VALIDITY, f"it starts at {starts}")
    if promotion.valid_to is not None and at >= promotion.valid_to:
        ended = promotion.valid_to.isoformat()
        return _reject(promotion, RejectionReason.OUTSIDE_VALIDITY, f"it ended at {ended}")
    problem = _schedule_problem(promotion, context)
    if problem is not None:
        return _reject(
            promotion, RejectionReason.OUTSIDE_SCHEDULE, problem[1], condition=problem[0]
        )
    return None


def _limits(promotion: Promotion, context: EvaluationContext) -> Rejection | None:
    if promotion.max_uses is not None and promotion.current_uses >= promotion.max_uses:
        return _reject(
            promotion,
            RejectionReason.USAGE_LIMIT_REACHED,
            f"used {promotion.current_uses} of {promotion.max_uses} times",
        )
    limit = promotion.max_uses_per_customer
    if limit is not None and context.customer_id is not None:
        used = context.customer_uses.get(promotion.id, 0)
        if used >= limit:
            return _reject(
                promotion,
                RejectionReason.CUSTOMER_LIMIT_REACHED,
                f"this customer has used it {used} of {limit} times",
            )
    for condition in promotion.conditions:
        if condition.type is ConditionType.CUSTOMER_TIER and (
            context.customer_tier not in condition.ids
        ):
            tiers = ", ".join(sorted(condition.ids))
            return _reject(
                promotion,
                RejectionReason.CUSTOMER_TIER,
                f"for customer tiers {tiers}; this customer's tier is {context.customer_tier}",
                condition=ConditionType.CUSTOMER_TIER,
            )
    return None


def _product_keys(line: CartLine) -> frozenset[str]:
    return frozenset((line.product_id,))


def _category_keys(line: CartLine) -> frozenset[str]:
    return line.category_ids


def _collection_keys(line: CartLine) -> frozenset[str]:
    return line.collection_ids


_IN_CART: dict[ConditionType, tuple[str, Callable[[CartLine], frozenset[str]]]] = {
    ConditionType.PRODUCT_IN_CART: ("product", _product_keys),
    ConditionType.CATEGORY_IN_CART: ("category", _category_keys),
    ConditionType.COLLECTION_IN_CART: ("collection", _collection_keys),
}


def _conditions(promotion: Promotion, cart: _Cart) -> Rejection | None:
    item_filter = promotion.item_filter
    qualifying = (
        [cart.lines[i] for i in cart.matching(item_filter)]
        if item_filter is not None
        else list(cart.lines)
    )
    if item_filter is not None and not qualifying:
        return _reject(
            promotion,
            RejectionReason.CONDITION_NOT_MET,
            f"add 1 item from {item_filter.describe()}",
            missing_quantity=Decimal(1),
        )
    for condition in promotion.conditions:
        problem = _condition(promotion, condition, cart, qualifying, item_filter)
        if problem is not None:
            return problem
    return None


def _condition(
    promotion: Promotion,
    condition: Condition,
    cart: _Cart,
    qualifying: list[CartLine],
    item_filter: ItemFilter | None,
) -> Rejection | None:
    kind = condition.type
    if kind is ConditionType.MIN_AMOUNT:
        amount = condition.amount
        assert amount is not None
        if cart.subtotal < amount.minor_units:
            missing = Money(amount.minor_units - cart.subtotal, cart.currency)
            return _reject(
                promotion,
                RejectionReason.CONDITION_NOT_MET,
                f"add {missing.format_amount()} more (spend {amount.format_amount()})",
                condition=kind,
                missing_amount=missing,
            )
    elif kind is ConditionType.MIN_QUANTITY:
        needed = condition.quantity
        assert needed is not None
        have = sum((line.quantity for line in qualifying), Decimal(0))
        if have < needed:
            missing_quantity = needed - have
            where = "" if item_filter is None else f" from {item_filter.describe()}"
            return _reject(
                promotion,
                RejectionReason.CONDITION_NOT_MET,
                f"add {missing_quantity} more item(s){where}",
                condition=kind,
                missing_quantity=missing_quantity,
            )
    elif kind in _IN_CART:
        noun, keys = _IN_CART[kind]
        if not any(not condition.ids.isdisjoint(keys(line)) for line in cart.lines):
            names = ", ".join(repr(i) for i in sorted(condition.ids))
            return _reject(
                promotion,
                RejectionReason.CONDITION_NOT_MET,
                f"add 1 item from {noun} {names}",
                condition=kind,
                missing_quantity=Decimal(1),
            )
    return None


# -- rewards --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Effect:
    """What one promotion takes off each line, and what it gives."""

    shares: list[int]
    free: list[FreeItem]
    shortfall: Rejection | None = None
    total: int = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.shares)


def _targets(reward: Reward, promotion: Promotion, cart: _Cart, *, whole_cart: bool) -> list[int]:
    chosen = reward.applies_to
    if chosen is None and not whole_cart:
        chosen = promotion.item_filter
    if chosen is None:
        return list(range(len(cart.lines)))
    return cart.matching(chosen)


def _percent_of(minor: int, percent: Decimal) -> int:
    numerator, denominator = percent.as_integer_ratio()
    return round_ratio(minor * numerator, 100 * denominator)


def _cap(shares: list[int], cap: Money | None, cart: _Cart) -> list[int]:
    if cap is None:
        return shares
    total = sum(shares)
    if total <= cap.minor_units:
        return shares
    return _split(cap.minor_units, shares, cart.ids)


def _reward_effect(
    promotion: Promotion, reward: Reward, cart: _Cart, remaining: list[int]
) -> _Effect:
    count = len(cart.lines)
    shares = [0] * count
    free: list[FreeItem] = []
    kind = reward.type
    if promotion.scope is PromotionScope.BUNDLE:
        return _bundle_effect(promotion, reward, cart, remaining)
    if kind in (RewardType.PCT_OFF_ITEM, RewardType.FIXED_OFF_ITEM):
        for index in _targets(reward, promotion, cart, whole_cart=False):
            left = remaining[index]
            if kind is RewardType.PCT_OFF_ITEM:
                assert reward.percent is not None
                off = _percent_of(left, reward.percent)
            else:
                assert reward.amount is not None
                off = reward.amount.multiply(cart.lines[index].quantity).minor_units
            shares[index] = min(off, left)
    elif kind in (RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL):
        targets = _targets(reward, promotion, cart, whole_cart=True)
        base = sum(remaining[i] for i in targets)
        if kind is RewardType.PCT_OFF_ALL:
            assert reward.percent is not None
            off = _percent_of(base, reward.percent)
        else:
            assert reward.amount is not None
            off = reward.amount.minor_units
        off = min(off, base)
        split = _split(off, [remaining[i] for i in targets], [cart.ids[i] for i in targets])
        for index, share in zip(targets, split, strict=True):
            shares[index] = share
    else:  # free_item outside a bundle
        wanted = reward.reward_quantity
        units = _unit_list(_free_lines(reward, cart), cart, remaining)
        units.sort(key=lambda unit: (unit[1], unit[3], unit[2]))
        for index, value, _, _ in units[:wanted]:
            shares[index] += value
        given = min(wanted, len(units))
        if given < wanted:
            free.append(
                FreeItem(
                    promotion_id=promotion.id,
                    product_id=reward.free_product_id,
                    variant_id=reward.free_variant_id,
                    quantity=wanted - given,
                )
            )
    return _Effect(shares=_cap(shares, reward.max_discount, cart), free=free)


def _free_lines(reward: Reward, cart: _Cart) -> list[int]:
    """The lines holding the product (or variant) a ``free_item`` reward gives."""
    if reward.free_variant_id is not None:
        return [i for i, line in enumerate(cart.lines) if line.variant_id == reward.free_variant_id]
    return [i for i, line in enumerate(cart.lines) if line.product_id == reward.free_product_id]


_Unit = tuple[int, int, int, str]
"""A whole unit of a line: ``(line index, value left, unit number, line id)``."""


def _unit_list(indexes: Iterable[int], cart: _Cart, remaining: list[int]) -> list[_Unit]:
    """The whole units of the lines, each worth its share of what is left of its line."""
    units: list[_Unit] = []
    values_of = cart.unit_values
    ids = cart.ids
    for index in indexes:
        values = values_of(index, remaining[index])
        if values:
            line_id = ids[index]
            units.extend([(index, value, number, line_id) for number, value in enumerate(values)])
    return units


def _groups(
    reward: Reward, qualifying: list[_Unit], rewardable: list[_Unit]
) -> list[tuple[list[_Unit], list[_Unit]]]:
    """As many buy-X-get-Y groups as the units allow, rewarding the units the reward selects.

    Units that can only qualify (Q), only be rewarded (R) or both (B): ``n`` groups
    form when ``n*X <= |Q|+|B|``, ``n*Y <= |R|+|B|`` and the units of B needed on
    both sides fit in B. The rewards are then the ``n*Y`` units first by the
    reward's selection, taking no more of B than the qualifiers leave; the
    qualifiers are the remaining qualifying units, the other way round.
    """
    buy, get = reward.buy_quantity, reward.reward_quantity
    reward_keys = {(u[3], u[2]) for u in rewardable}
    qualify_keys = {(u[3], u[2]) for u in qualifying}
    only_q = sum(1 for key in qualify_keys if key not in reward_keys)
    only_r = sum(1 for key in reward_keys if key not in qualify_keys)
    both = len(qualify_keys) - only_q
    count = (only_q + both) // buy if buy else (only_r + both) // get
    count = min(count, (only_r + both) // get)
    while count > 0 and max(0, count * buy - only_q) + max(0, count * get - only_r) > both:
        count -= 1
    if count <= 0:
        return []
    cheapest = reward.unit_selection is UnitSelection.CHEAPEST
    budget = both - max(0, count * buy - only_q)  # units of B the rewards may take
    rewards: list[_Unit] = []
    for unit in sorted(rewardable, key=lambda u: (u[1] if cheapest else -u[1], u[3], u[2])):
        if len(rewards) == count * get:
            break
        if (unit[3], unit[2]) in qualify_keys:
            if budget == 0:
                continue
            budget -= 1
        rewards.append(unit)
    taken = {(u[3], u[2]) for u in rewards}
    qualifiers = sorted(
        (u for u in qualifying if (u[3], u[2]) not in taken),
        key=lambda u: ((u[3], u[2]) in reward_keys, -u[1] if cheapest else u[1], u[3], u[2]),
    )[: count * buy]
    return [
        (qualifiers[n * buy : (n + 1) * buy], rewards[n * get : (n + 1) * get])
        for n in range(count)
    ]


def _bundle_effect(
    promotion: Promotion, reward: Reward, cart: _Cart, remaining: list[int]
) -> _Effect:
    qualify_filter = promotion.item_filter or reward.applies_to
    reward_filter = reward.applies_to or promotion.item_filter
    assert qualify_filter is not None
    assert reward_filter is not None
    lines = cart.lines
    qualifying = _unit_list(cart.matching(qualify_filter), cart, remaining)
    rewardable = (
        qualifying
        if reward_filter is qualify_filter
        else _unit_list(cart.matching(reward_filter), cart, remaining)
    )
    groups = _groups(reward, qualifying, rewardable)
    reward_set = {(u[3], u[2]) for u in rewardable}
    buy, get = reward.buy_quantity, reward.reward_quantity
    shares = [0] * len(lines)
    if not groups:
        have = len({(u[3], u[2]) for u in qualifying} | reward_set)
        needed = buy + get
        missing = max(needed - have, 1)
        return _Effect(
            shares=shares,
            free=[],
            shortfall=_reject(
                promotion,
                RejectionReason.CONDITION_NOT_MET,
                f"add {missing} more item(s) from {qualify_filter.describe()} "
                f"(buy {buy}, get {get})",
                condition=ConditionType.MIN_QUANTITY,
                missing_quantity=Decimal(missing),
            ),
        )
    kind = reward.type
    for qualifiers, rewards in groups:
        if kind is RewardType.OVERRIDE_PRICE:
            assert reward.override_price is not None
            members = qualifiers + rewards
            value = sum(u[1] for u in members)
            off = max(value - reward.override_price.minor_units, 0)
            split = _split(off, [u[1] for u in members], [(u[3], u[2]) for u in members])
            for unit, share in zip(members, split, strict=True):
                shares[unit[0]] += share
            continue
        for index, value, _, _ in rewards:
            if kind is RewardType.PCT_OFF_ITEM:
                assert reward.percent is not None
                off = _percent_of(value, reward.percent)
            elif kind is RewardType.FIXED_OFF_ITEM:
                assert reward.amount is not None
                off = min(reward.amount.minor_units, value)
            else:  # free_item
                off = value
            shares[index] += off
    return _Effect(shares=_cap(shares, reward.max_discount, cart), free=[])


def _effect(promotion: Promotion, cart: _Cart, remaining: list[int]) -> _Effect:
    """Every reward of ``promotion``, one after another, on what is left of each line."""
    if len(promotion.rewards) == 1:  # a reward never takes more than is left of a line
        return _reward_effect(promotion, promotion.rewards[0], cart, remaining)
    left = list(remaining)
    total = [0] * len(left)
    free: list[FreeItem] = []
    shortfall: Rejection | None = None
    for reward in promotion.rewards:
        effect = _reward_effect(promotion, reward, cart, left)
        if effect.shortfall is not None and shortfall is None:
            shortfall = effect.shortfall
        free.extend(effect.free)
        for index, wanted in enumerate(effect.shares):
            if wanted:
                share = min(wanted, left[index])
                left[index] -= share
                total[index] += share
    return _Effect(shares=total, free=free, shortfall=shortfall if not any(total) else None)


# -- selection ------------------------------------------------------------------------------


def _order(promotion: Promotion) -> tuple[int, str]:
    return (-promotion.priority, promotion.id)


@dataclass(slots=True)
class _Applied:
    promotion: Promotion
    effect: _Effect


def _apply_in_order(
    promotions: Sequence[Promotion], cart: _Cart
) -> tuple[list[_Applied], dict[str, Rejection]]:
    """The ``priority`` policy over promotions that passed their gates and conditions."""
    remaining = list(cart.amounts)
    applied: list[_Applied] = []
    rejected: dict[str, Rejection] = {}
    blocker: Promotion | None = None
    for promotion in promotions:
        if blocker is not None:
            rejected[promotion.id] = _reject(
                promotion,
                RejectionReason.BLOCKED_BY_NON_STACKABLE,
                f"{blocker.name!r} applied and does not stack",
                blocked_by=blocker.id,
            )
            continue
        effect = _effect(promotion, cart, remaining)
        if effect.total == 0 and not effect.free:
            rejected[promotion.id] = effect.shortfall or _nothing(promotion)
            continue
        for index, share in enumerate(effect.shares):
            remaining[index] -= share
        applied.append(_Applied(promotion, effect))
        if not promotion.stackable:
            blocker = promotion
    return applied, rejected


def _nothing(promotion: Promotion) -> Rejection:
    return _reject(
        promotion,
        RejectionReason.NOTHING_TO_DISCOUNT,
        "nothing it rewards is left to discount",
    )


def _saving(applied: Sequence[_Applied]) -> int:
    return sum(a.effect.total for a in applied)


def _reach(promotion: Promotion, cart: _Cart) -> tuple[int, ...]:
    """The lines ``promotion``'s rewards read and discount; its effect depends on nothing else."""
    lines: set[int] = set()
    for reward in promotion.rewards:
        if promotion.scope is PromotionScope.BUNDLE:
            for chosen in (promotion.item_filter, reward.applies_to):
                if chosen is not None:
                    lines.update(cart.matching(chosen))
        elif reward.type is RewardType.FREE_ITEM:
            lines.update(_free_lines(reward, cart))
        else:
            whole_cart = reward.type in (RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL)
            lines.update(_targets(reward, promotion, cart, whole_cart=whole_cart))
    return tuple(sorted(lines))


class _Effects:
    """Effects worked out once per evaluation, keyed by what is left of the lines they reach.

    Two branches of the search that left a promotion's lines alike get the same
    effect without working it out again.
    """

    __slots__ = ("_cart", "_known", "_reach")

    def __init__(self, cart: _Cart) -> None:
        self._cart = cart
        self._reach: dict[str, tuple[int, ...]] = {}
        self._known: dict[tuple[str, tuple[int, ...]], _Effect] = {}

    def of(self, promotion: Promotion, remaining: list[int]) -> _Effect:
        reach = self._reach.get(promotion.id)
        if reach is None:
            reach = self._reach[promotion.id] = _reach(promotion, self._cart)
        key = (promotion.id, tuple([remaining[i] for i in reach]))
        effect = self._known.get(key)
        if effect is None:
            effect = self._known[key] = _effect(promotion, self._cart, remaining)
        return effect


def _best(
    promotions: Sequence[Promotion], cart: _Cart, exact_limit: int
) -> tuple[list[_Applied], dict[str, Rejection], bool]:
    """The ``best_for_customer`` policy: the feasible set that saves the most."""
    effects = _Effects(cart)
    alone = {p.id: effects.of(p, cart.amounts) for p in promotions}
    pool = [p for p in promotions if alone[p.id].total or alone[p.id].free]
    position = {p.id: i for i, p in enumerate(promotions)}
    best: list[_Applied] = []
    exact = len(pool) <= exact_limit
    if not exact:
        # too many to try every combination: the best of the top ones, or what
        # ``priority`` gives, whichever saves more
        keep = sorted(pool, key=lambda p: (-alone[p.id].total, _order(p)))[:exact_limit]
        kept = {p.id for p in keep}
        pool = [p for p in pool if p.id in kept]
        best = _apply_in_order(promotions, cart)[0]
    for promotion in pool:  # start from the best single promotion, to prune early
        single = [_Applied(promotion, alone[promotion.id])]
        if _rank(single, position) < _rank(best, position):
            best = single
    best_key = _rank(best, position)
    bound = _headroom(pool, alone)

    def search(start: int, remaining: list[int], chosen: list[_Applied], saved: int) -> None:
        nonlocal best, best_key
        key = _rank(chosen, position)
        if key < best_key:
            best, best_key = list(chosen), key
        for step in range(start, len(pool)):
            if saved + bound[step] < -best_key[0]:
                return
            promotion = pool[step]
            ceiling = alone[promotion.id].total  # what it can add, at most
            if promotion.stackable:
                ceiling += bound[step + 1]
            if saved + ceiling < -best_key[0]:
                continue
            effect = effects.of(promotion, remaining)
            if effect.total == 0 and not effect.free:
                continue
            left = [r - s for r, s in zip(remaining, effect.shares, strict=True)]
            chosen.append(_Applied(promotion, effect))
            if promotion.stackable:
                search(step + 1, left, chosen, saved + effect.total)
            else:  # a non-stackable promotion ends the set
                key = _rank(chosen, position)
                if key < best_key:
                    best, best_key = list(chosen), key
            chosen.pop()

    search(0, list(cart.amounts), [], 0)
    return best, _not_chosen(promotions, best, alone, cart), exact


def _headroom(pool: Sequence[Promotion], alone: Mapping[str, _Effect]) -> list[int]:
    """What the promotions from each position of ``pool`` on can still add to a set, at most.

    A promotion never saves more on what others left than on the whole cart, and
    a set holds at most one non-stackable promotion (its last), so it is the
    stackable ones' savings alone plus the largest non-stackable one's.
    """
    bound = [0] * (len(pool) + 1)
    stacking = largest = 0
    for step in range(len(pool) - 1, -1, -1):
        promotion = pool[step]
        if promotion.stackable:
            stacking += alone[promotion.id].total
        else:
            largest = max(largest, alone[promotion.id].total)
        bound[step] = stacking + largest
    return bound


def _not_chosen(
    promotions: Sequence[Promotion],
    best: Sequence[_Applied],
    alone: Mapping[str, _Effect],
    cart: _Cart,
) -> dict[str, Rejection]:
    """Why each promotion ``best_for_customer`` left out was left out."""
    chosen_ids = {a.promotion.id for a in best}
    rejected: dict[str, Rejection] = {}
    blocker = next((a.promotion for a in best if not a.promotion.stackable), None)
    total = _saving(best)
    for promotion in promotions:
        if promotion.id in chosen_ids:
            continue
        effect = alone[promotion.id]
        if effect.total == 0 and not effect.free:
            rejected[promotion.id] = effect.shortfall or _nothing(promotion)
        elif blocker is not None or not promotion.stackable:
            rejected[promotion.id] = _reject(
                promotion,
                RejectionReason.BLOCKED_BY_NON_STACKABLE
                if blocker is not None
                else RejectionReason.NOT_SELECTED,
                f"{blocker.name!r} saves more and does not stack"
                if blocker is not None
                else "it does not stack, and a combination without it saves more "
                f"({cart.describe(total)})",
                blocked_by=None if blocker is None else blocker.id,
            )
        else:
            rejected[promotion.id] = _reject(
                promotion,
                RejectionReason.NOT_SELECTED,
                f"a combination without it saves more ({cart.describe(total)})",
            )
    return rejected


def _rank(
    applied: Sequence[_Applied], position: Mapping[str, int]
) -> tuple[int, int, int, tuple[int, ...]]:
    """Smaller is better: the larger saving, more free items, fewer promotions, earlier ones."""
    return (
        -_saving(applied),
        -sum(item.quantity for a in applied for item in a.effect.free),
        len(applied),
        tuple(position[a.promotion.id] for a in applied),
    )


# -- the entry points -----------------------------------------------------------------------


def evaluate(
    cart: Sequence[CartLine],
    context: EvaluationContext,
    promotions: Iterable[Promotion],
    *,
    policy: Policy | str = Policy.PRIORITY,
    preview_statuses: Iterable[PromotionStatus | str] = (),
    exact_limit: int = DEFAULT_EXACT_LIMIT,
) -> EvaluationResult:
    """Evaluate ``cart`` against ``promotions``.

    Args:
        cart: The lines, with resolved unit prices, all in one currency.
        context: Business, location, channel, customer, instant and time zone.
        promotions: The promotions to consider (e.g. those a
            :class:`~pricekit.promotions.index.PromotionIndex` finds for the cart).
        policy: ``priority`` or ``best_for_customer``.
        preview_statuses: Statuses to evaluate as if active (e.g. ``draft`` and
            ``scheduled``, to preview promotions before they go live).
        exact_limit: ``best_for_customer`` tries every combination of up to this
            many applicable promotions.

    Returns:
        The applied promotions, line discounts, free items, savings, total and the
        reasons every other promotion did not apply.

    Raises:
        InvalidValueError: An empty cart, a repeated line id, a bad policy or limit.
        CurrencyMismatchError: Lines in different currencies.
    """
    chosen_policy = _policy(policy)
    preview = frozenset(PromotionStatus(s) for s in preview_statuses)
    if type(exact_limit) is not int or not 1 <= exact_limit <= 20:
        raise InvalidValueError(
            field="exact_limit", value=exact_limit, reason="must be a whole number from 1 to 20"
        )
    prepared = _prepare(cart)
    ordered = sorted(_distinct(promotions).values(), key=_order)
    rejected: dict[str, Rejection] = {}
    eligible: list[Promotion] = []
    for promotion in ordered:
        problem = _gate(promotion, context, prepared.currency, preview) or _conditions(
            promotion, prepared
        )
        if problem is None:
            eligible.append(promotion)
        else:
            rejected[promotion.id] = problem
    exact = True
    if chosen_policy is Policy.PRIORITY:
        applied, more = _apply_in_order(eligible, prepared)
    else:
        applied, more, exact = _best(eligible, prepared, exact_limit)
    rejected.update(more)
    return _result(
        chosen_policy,
        prepared,
        applied,
        [rejected[p.id] for p in ordered if p.id in rejected],
        exact=exact,
        inputs=_Inputs(
            cart=prepared.lines,
            context=context,
            promotions=tuple(ordered),
            preview=preview,
            exact_limit=exact_limit,
        ),
    )


def _distinct(promotions: Iterable[Promotion]) -> dict[str, Promotion]:
    """The promotions by id; a copy given twice counts once, two versions of one id are refused."""
    by_id: dict[str, Promotion] = {}
    for index, promotion in enumerate(promotions):
        if not isinstance(promotion, Promotion):
            raise InvalidValueError(
                field=f"promotions[{index}]", value=promotion, reason="expected a Promotion"
            )
        earlier = by_id.setdefault(promotion.id, promotion)
        if earlier is not promotion and earlier != promotion:
            raise InvalidValueError(
                field=f"promotions[{index}].id",
                value=promotion.id,
                reason="is given twice with different contents",
            )
    return by_id


def _policy(policy: Policy | str) -> Policy:
    try:
        return Policy(policy)
    except ValueError:
        raise InvalidValueError(
            field="policy",
            value=policy,
            reason=f"must be one of {', '.join(p.value for p in Policy)}",
        ) from None


def _result(
    policy: Policy,
    cart: _Cart,
    applied: Sequence[_Applied],
    rejections: Sequence[Rejection],
    *,
    exact: bool,
    inputs: _Inputs,
) -> EvaluationResult:
    currency = cart.currency
    money = Money._make  # amounts known to be whole minor units
    per_line: list[list[LineDiscount]] = [[] for _ in cart.lines]
    line_totals = [0] * len(cart.lines)
    records: list[AppliedPromotion] = []
    free_items: list[FreeItem] = []
    for entry in applied:
        promotion = entry.promotion
        touched: list[str] = []
        for index, share in enumerate(entry.effect.shares):
            if share:
                per_line[index].append(LineDiscount(promotion.id, money(share, currency)))
                line_totals[index] += share
                touched.append(cart.lines[index].line_id)
        free_items.extend(entry.effect.free)
        records.append(
            AppliedPromotion(
                promotion_id=promotion.id,
                name=promotion.name,
                type=promotion.type.value,
                scope=promotion.scope.value,
                priority=promotion.priority,
                stackable=promotion.stackable,
                discount=money(entry.effect.total, currency),
                line_ids=tuple(touched),
                free_items=tuple(entry.effect.free),
            )
        )
    discount = sum(line_totals)
    return EvaluationResult(
        policy=policy,
        currency=currency.code,
        subtotal=money(cart.subtotal, currency),
        total_discount=money(discount, currency),
        total=money(cart.subtotal - discount, currency),
        applied=tuple(records),
        lines=tuple(
            LineResult(
                line_id=line.line_id,
                subtotal=money(amount, currency),
                discount=money(off, currency),
                total=money(amount - off, currency),
                discounts=tuple(discounts),
            )
            for line, amount, off, discounts in zip(
                cart.lines, cart.amounts, line_totals, per_line, strict=True
            )
        ),
        free_items=tuple(free_items),
        rejections=tuple(rejections),
        exact=exact,
        inputs=inputs,
    )


def evaluate_document(document: Mapping[str, Any]) -> EvaluationResult:
    """Re-evaluate the inputs of an audit document written by :meth:`EvaluationResult.to_document`.

    The outcome equals the document's ``outcome`` when the engine has not changed.

    Raises:
        InvalidValueError: Not a pricekit promotions document, or a version this
            release cannot read.
        ModelValidationError: A refused input record.
    """
    version = document.get("pricekit_promotions_document")
    if version != DOCUMENT_VERSION:
        raise InvalidValueError(
            field="pricekit_promotions_document",
            value=version,
            reason=f"this release reads version {DOCUMENT_VERSION}",
        )
    inputs = document.get("inputs")
    if not isinstance(inputs, Mapping):
        raise InvalidValueError(field="inputs", value=inputs, reason="must be an object")
    return evaluate(
        [CartLine.model_validate(line) for line in inputs["cart"]],
        EvaluationContext.model_validate(inputs["context"]),
        [Promotion.model_validate(p) for p in inputs["promotions"]],
        policy=inputs["policy"],
        preview_statuses=inputs.get("preview_statuses", ()),
        exact_limit=inputs.get("exact_limit", DEFAULT_EXACT_LIMIT),
    )
