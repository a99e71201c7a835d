"""The 4-tier deal matching algorithm: which deals apply to a product, how, at what price.

:func:`match_deal` is pure and looks at one deal and one product at a time,
at a location and instant (a :class:`MatchContext`):

1. **Gates**, in order: the location; the enabled flag; validity ``[valid_from,
   valid_to)``; days of the week and times of day in the store's time zone
   (windows past midnight belong to the day they start); online availability
   for online orders; for shelf prices, automatic deals only; first-time-customer
   deals only when a customer is known, and is a first-time one.
2. **Held back**: a deal whose targeting was lost on the way (``unmapped``)
   never widens to store-wide; it is held back with its reason.
3. **Exclusions veto**: a product matching any exclusion is out.
4. **Inclusions**: every targeted dimension must match (any value within a
   dimension; a category matches its subtree, through the product's category
   ancestors; a weight within 0.01 g).
5. **The tier** says how specifically it matched: **1** the product is named
   explicitly; **2** two or more dimensions matched (e.g. brand and category);
   **3** exactly one dimension matched; **4** store-wide, a deal that declares
   no targeting at all.

Deals that need a basket (a count, spend or weight threshold, or buy-N-get-one)
are **offers**: listed with the product, never folded into its shelf price.

:func:`best_price` prices every matching deal from the same base in minor
units, applies the floors (cost when configured, a minimum price, never below
zero), stacks deals that all allow it, and chooses; every candidate says what
became of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pricekit.deals.models import ApplicationMethod, Deal, Dimension, Restriction, RewardMethod
from pricekit.errors import CurrencyMismatchError
from pricekit.money import Money, round_ratio
from pricekit.pricing.models import Channel
from pricekit.time import require_aware

__all__ = [
    "CandidateOutcome",
    "DealMatch",
    "DealPolicy",
    "DealPricing",
    "Gate",
    "MatchContext",
    "MatchOutcome",
    "MenuItem",
    "Preference",
    "StackMode",
    "best_price",
    "check_currency",
    "discounted",
    "floor_of",
    "floored",
    "gate",
    "match_deal",
    "match_targeting",
    "price_matches",
    "stack",
    "stacked_price",
    "static_key",
    "targeted",
]

WEIGHT_TOLERANCE = Decimal("0.01")
"""Grams within which a product's weight matches a weight restriction."""


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A product on a location's menu, with what deals can target.

    Attributes:
        product_id: The product (or the sellable variant) id deals name.
        price: Its shelf price before deals.
        category_ids: Its category and every ancestor (a deal on a category
            matches the whole subtree).
        brand_id: Its brand.
        vendor_id: Its vendor.
        weight_grams: Its weight, for weight restrictions.
        tags: Its product tags.
        inventory_tags: Its inventory (batch) tags.
        pricing_tier: Its pricing tier.
        cost: Its unit cost, for a cost floor.
    """

    product_id: str
    price: Money
    category_ids: frozenset[str] = frozenset()
    brand_id: str | None = None
    vendor_id: str | None = None
    weight_grams: Decimal | None = None
    tags: frozenset[str] = frozenset()
    inventory_tags: frozenset[str] = frozenset()
    pricing_tier: str | None = None
    cost: Money | None = None

    def values(self, dimension: Dimension) -> frozenset[str]:
        """The item's ids in ``dimension`` (not for weight)."""
        if dimension is Dimension.PRODUCT:
            return frozenset((self.product_id,))
        if dimension is Dimension.CATEGORY:
            return self.category_ids
        if dimension is Dimension.TAG:
            return self.tags
        if dimension is Dimension.INVENTORY_TAG:
            return self.inventory_tags
        single = {
            Dimension.BRAND: self.brand_id,
            Dimension.VENDOR: self.vendor_id,
            Dimension.PRICING_TIER: self.pricing_tier,
        }.get(dimension)
        return frozenset() if single is None else frozenset((single,))


@dataclass(frozen=True, slots=True)
class MatchContext:
    """Where, when and for whom deals are matched.

    Attributes:
        location_id: The store.
        at: The instant, timezone-aware.
        channel: ``pos`` (in store) or ``online``.
        shelf: Matching for a shelf (menu) price: only automatic deals fold in.
            ``False`` for the register, where code and manual deals apply too.
        customer_id: The customer, if known.
        first_time_customer: Whether the known customer has never bought before.
    """

    location_id: str
    at: datetime
    channel: Channel = Channel.POS
    shelf: bool = True
    customer_id: str | None = None
    first_time_customer: bool = False

    def __post_init__(self) -> None:
        require_aware(self.at, field="at")


class Gate(StrEnum):
    """The gate a deal failed."""

    WRONG_LOCATION = "wrong_location"
    DISABLED = "disabled"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    OUTSIDE_SCHEDULE = "outside_schedule"
    NOT_ONLINE = "not_online"
    NOT_AUTOMATIC = "not_automatic"
    CUSTOMER_UNKNOWN = "customer_unknown"
    NOT_FIRST_TIME = "not_first_time"


class MatchOutcome(StrEnum):
    """What became of one deal for one product."""

    MATCHED = "matched"
    """It applies to the product's price."""
    OFFER = "offer"
    """It targets the product but needs a basket (threshold, buy N get one)."""
    GATE_FAILED = "gate_failed"
    HELD_BACK = "held_back"
    """Its targeting was lost on the way; it never widens to store-wide."""
    EXCLUDED = "excluded"
    NOT_TARGETED = "not_targeted"
    """A targeted dimension does not match the product."""


@dataclass(frozen=True, slots=True)
class DealMatch:
    """One deal against one product, and why.

    Attributes:
        deal_id: The deal.
        outcome: What became of it.
        reason: The reason in words.
        tier: 1 to 4 for a deal that matched (or an offer).
        gate: The gate it failed.
        dimension: The dimension that excluded it or did not match.
        matched: The dimensions that matched, for a matching deal.
    """

    deal_id: str
    outcome: MatchOutcome
    reason: str
    tier: int | None = None
    gate: Gate | None = None
    dimension: Dimension | None = None
    matched: tuple[Dimension, ...] = ()

    @property
    def applies(self) -> bool:
        """Whether it applies to the price."""
        return self.outcome is MatchOutcome.MATCHED


# -- gates and targeting ------------------------------------------------------------------


def gate(deal: Deal, context: MatchContext) -> tuple[Gate, str] | None:
    """The first gate ``deal`` fails in ``context`` and why, or ``None``; no product needed."""
    return _when_and_where(deal, context) or _how_and_who(deal, context)


def _when_and_where(deal: Deal, context: MatchContext) -> tuple[Gate, str] | None:
    if deal.location_id != context.location_id:
        return Gate.WRONG_LOCATION, f"it is a deal of location {deal.location_id!r}"
    if not deal.enabled:
        return Gate.DISABLED, "it is disabled"
    at = context.at
    if deal.valid_from is not None and at < deal.valid_from:
        return Gate.NOT_STARTED, f"it starts at {deal.valid_from.isoformat()}"
    if deal.valid_to is not None and at >= deal.valid_to:
        return Gate.ENDED, f"it ended at {deal.valid_to.isoformat()}"
    if (deal.days or deal.start_time is not None) and not deal.schedule.contains(at):
        return Gate.OUTSIDE_SCHEDULE, _schedule_words(deal)
    return None


def _how_and_who(deal: Deal, context: MatchContext) -> tuple[Gate, str] | None:
    if context.channel is Channel.ONLINE and not deal.available_online:
        return Gate.NOT_ONLINE, "it is not available online"
    if context.shelf and deal.application_method is not ApplicationMethod.AUTOMATIC:
        return (
            Gate.NOT_AUTOMATIC,
            f"it is applied by {deal.application_method.value} at the register, "
            "never in a shelf price",
        )
    if deal.first_time_customer_only:
        if context.customer_id is None:
            return Gate.CUSTOMER_UNKNOWN, "it is for first-time customers; no customer is known"
        if not context.first_time_customer:
            return Gate.NOT_FIRST_TIME, "it is for first-time customers only"
    return None


def _schedule_words(deal: Deal) -> str:
    days = ", ".join(day.name.title() for day in sorted(deal.days)) if deal.days else "every day"
    hours = ""
    if deal.start_time is not None and deal.end_time is not None:
        hours = f" {deal.start_time.strftime('%H:%M')}-{deal.end_time.strftime('%H:%M')}"
    return f"it runs {days}{hours} ({deal.time_zone})"


def _matches(restriction: Restriction, item: MenuItem) -> bool:
    if restriction.dimension is Dimension.WEIGHT:
        weight = item.weight_grams
        return weight is not None and any(
            abs(weight - wanted) <= WEIGHT_TOLERANCE for wanted in restriction.weights
        )
    return not restriction.ids.isdisjoint(item.values(restriction.dimension))


def match_deal(deal: Deal, item: MenuItem, context: MatchContext) -> DealMatch:
    """Match one deal against one product: gates, held back, exclusions, inclusions, tier."""
    failed = gate(deal, context)
    if failed is not None:
        return DealMatch(deal.id, MatchOutcome.GATE_FAILED, failed[1], gate=failed[0])
    return match_targeting(deal, item)


def match_targeting(deal: Deal, item: MenuItem) -> DealMatch:
    """Match one deal's targeting against one product, its gates taken as passed."""
    if deal.unmapped:
        return DealMatch(
            deal.id,
            MatchOutcome.HELD_BACK,
            "its targeting was lost on the way: " + "; ".join(deal.unmapped),
        )
    for restriction in deal.restrictions:
        if restriction.exclude and _matches(restriction, item):
            return DealMatch(
                deal.id,
                MatchOutcome.EXCLUDED,
                f"the product's {restriction.dimension.value} is excluded",
                dimension=restriction.dimension,
            )
    matched: list[Dimension] = []
    for restriction in deal.restrictions:
        if restriction.exclude:
            continue
        if not _matches(restriction, item):
            return DealMatch(
                deal.id,
                MatchOutcome.NOT_TARGETED,
                f"the product's {restriction.dimension.value} is not one it targets",
                dimension=restriction.dimension,
            )
        matched.append(restriction.dimension)
    return targeted(deal, tuple(matched))


def targeted(deal: Deal, matched: tuple[Dimension, ...]) -> DealMatch:
    """The match of a deal whose every inclusion matched (``matched``): its tier and reason."""
    if Dimension.PRODUCT in matched:
        tier, why = 1, "names the product"
    elif len(matched) >= 2:
        tier, why = 2, "matches " + " and ".join(d.value for d in matched)
    elif matched:
        tier, why = 3, f"matches its {matched[0].value}"
    else:
        tier, why = 4, "store-wide"
    if deal.reward.is_offer:
        return DealMatch(
            deal.id,
            MatchOutcome.OFFER,
            f"tier {tier}: {why}; it needs a basket, so it is an offer, not a shelf price",
            tier=tier,
            matched=matched,
        )
    return DealMatch(
        deal.id, MatchOutcome.MATCHED, f"tier {tier}: {why}", tier=tier, matched=matched
    )


# -- pricing ------------------------------------------------------------------------------


class StackMode(StrEnum):
    """How stacking deals combine."""

    COMPOUNDING = "compounding"
    """Each on the price the last one left, in ranking order."""
    CUMULATIVE = "cumulative"
    """Each on the base price; the discounts add up."""


class Preference(StrEnum):
    """Whose side a choice between deals takes."""

    CUSTOMER = "customer"
    """The lowest price."""
    RETAILER = "retailer"
    """The highest price (the smallest discount)."""


@dataclass(frozen=True, slots=True)
class DealPolicy:
    """How deals are priced and chosen.

    Attributes:
        stacking: Let deals that all allow it stack.
        stack_mode: Compounding or cumulative.
        prefer: Lowest price (customer) or highest (retailer) when choosing.
        floor_at_cost: Never price under the item's cost (when it has one).
        minimum_price: Never price under this (e.g. 0.01); never below zero anyway.
    """

    stacking: bool = True
    stack_mode: StackMode = StackMode.COMPOUNDING
    prefer: Preference = Preference.CUSTOMER
    floor_at_cost: bool = False
    minimum_price: Money | None = None


class CandidateOutcome(StrEnum):
    """What became of a matching deal in the choice."""

    WON = "won"
    STACKED = "stacked"
    LOST = "lost"


_NOTHING: Mapping[str, Any] = MappingProxyType({})


def _nothing() -> Mapping[str, Any]:
    """An empty mapping no one can change, shared by every pricing without detail."""
    return _NOTHING


@dataclass(frozen=True, slots=True)
class DealPricing:
    """A product's price after deals, and the reasons.

    Attributes:
        product_id: The product.
        base_price: Its price before deals.
        price: Its price after the chosen deal(s) and the floors.
        deal_ids: The deals applied, in the order applied (one, or a stack).
        tier: The tier of the first applied deal.
        floor: What floor held the price up, if one did (``cost``, ``minimum``, ``zero``).
        matches: Every deal considered and what became of it against the product.
        prices: For each matching deal, the price it gives alone (after floors).
        outcomes: For each matching deal, won, stacked or lost.
        lost_to: For each deal that lost, the deal that beat it.
        offers: The offers for the product (threshold and buy-N deals).
    """

    product_id: str
    base_price: Money
    price: Money
    deal_ids: tuple[str, ...] = ()
    tier: int | None = None
    floor: str | None = None
    matches: tuple[DealMatch, ...] = ()
    prices: Mapping[str, Money] = field(default_factory=_nothing)
    outcomes: Mapping[str, CandidateOutcome] = field(default_factory=_nothing)
    lost_to: Mapping[str, str] = field(default_factory=_nothing)
    offers: tuple[DealMatch, ...] = ()

    @property
    def saving(self) -> Money:
        """``base_price - price``."""
        return self.base_price - self.price

    def match(self, deal_id: str) -> DealMatch | None:
        """What became of one deal, or ``None`` if it was not considered."""
        return next((m for m in self.matches if m.deal_id == deal_id), None)


def discounted(deal: Deal, minor: int) -> int:
    """The price in minor units after ``deal`` on ``minor`` (no floor but zero)."""
    reward = deal.reward
    method = reward.method
    if method is RewardMethod.PERCENT_OFF:
        assert reward.percent is not None
        numerator, denominator = reward.percent.as_integer_ratio()
        return max(minor - round_ratio(minor * numerator, 100 * denominator), 0)
    assert reward.amount is not None
    if method is RewardMethod.AMOUNT_OFF:
        return max(minor - reward.amount.minor_units, 0)
    return min(minor, reward.amount.minor_units)  # price to amount: the lower


def floor_of(item: MenuItem, policy: DealPolicy) -> tuple[int, str]:
    """The lowest price deals may bring ``item`` to under ``policy``, and which floor that is.

    The highest of zero, the minimum price and (when configured) the cost, but
    never above the item's price before deals.
    """
    low, name = 0, "zero"
    if policy.minimum_price is not None and policy.minimum_price.minor_units > low:
        low, name = policy.minimum_price.minor_units, "minimum"
    if policy.floor_at_cost and item.cost is not None and item.cost.minor_units > low:
        low, name = item.cost.minor_units, "cost"
    return min(low, item.price.minor_units), name


def floored(minor: int, item: MenuItem, policy: DealPolicy) -> tuple[int, str | None]:
    """``minor`` held up by the floors (cost, minimum, zero), and the floor that held it."""
    low, name = floor_of(item, policy)
    return (low, name) if minor < low else (minor, None)


_NO_END = 2**63
"""Sorts a deal without an end after every deal with one."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def static_key(deal: Deal, tier: int) -> tuple[int, int, int, str]:
    """The tie-breaks after the price: lower tier, menu rank, earliest end, lowest id.

    The end is compared as whole microseconds since the epoch (no float).
    """
    ends = _NO_END if deal.valid_to is None else (deal.valid_to - _EPOCH) // _MICROSECOND
    rank = deal.menu_rank if deal.menu_rank is not None else 2**31
    return (tier, rank, ends, deal.id)


def _rank_key(
    deal: Deal, price: int, tier: int, policy: DealPolicy
) -> tuple[int, tuple[int, int, int, str]]:
    signed = price if policy.prefer is Preference.CUSTOMER else -price
    return (signed, static_key(deal, tier))


def best_price(
    item: MenuItem,
    deals: Iterable[Deal],
    context: MatchContext,
    *,
    policy: DealPolicy | None = None,
) -> DealPricing:
    """Price ``item`` with the best of ``deals`` (or a stack), explaining every candidate.

    Every matching deal is priced from the same base in minor units (percent
    off rounds half-up; amount off; price to amount takes the lower), floored
    (cost when configured, the minimum price, never below zero) and ranked: the
    lowest price (or the highest, for the retailer), then the lower tier, then
    the menu rank, then the earliest end, then the lowest id. With stacking on,
    when the winner can stack, every other matching deal that can stack joins
    it, in ranking order (compounding: each on the price the last one left;
    cumulative: each discount on the base price), and the stack is floored once.

    Raises:
        CurrencyMismatchError: A deal's amounts are in another currency than the item.
    """
    return price_matches(
        item, deals, policy or DealPolicy(), lambda deal: match_deal(deal, item, context)
    )


def price_matches(
    item: MenuItem,
    deals: Iterable[Deal],
    policy: DealPolicy,
    match: Callable[[Deal], DealMatch],
) -> DealPricing:
    """Price ``item`` with ``deals``, each matched by ``match`` (the core of :func:`best_price`).

    :func:`best_price` matches with every gate; a menu whose gates already ran
    once per deal matches on targeting alone.
    """
    matches: list[DealMatch] = []
    offers: list[DealMatch] = []
    ranked: list[_Ranked] = []
    for deal in deals:
        result = match(deal)
        matches.append(result)
        if result.outcome is MatchOutcome.OFFER:
            offers.append(result)
        elif result.outcome is MatchOutcome.MATCHED:
            ranked.append(_ranked(deal, result, item, policy))
    pricing = DealPricing(
        product_id=item.product_id,
        base_price=item.price,
        price=item.price,
        matches=tuple(matches),
        offers=tuple(offers),
    )
    if not ranked:
        return pricing
    ranked.sort(key=lambda entry: entry.key)
    return _choose(pricing, ranked, item, policy)


@dataclass(frozen=True, slots=True)
class _Ranked:
    key: tuple[int, tuple[int, int, int, str]]
    deal: Deal
    price: int
    tier: int


def _ranked(deal: Deal, result: DealMatch, item: MenuItem, policy: DealPolicy) -> _Ranked:
    check_currency(deal, item)
    assert result.tier is not None
    alone, _ = floored(discounted(deal, item.price.minor_units), item, policy)
    return _Ranked(_rank_key(deal, alone, result.tier, policy), deal, alone, result.tier)


def check_currency(deal: Deal, item: MenuItem) -> None:
    """Refuse a deal whose amounts are in another currency than the item's price."""
    if deal.currency != item.price.currency.code:
        raise CurrencyMismatchError(
            expected=item.price.currency.code,
            actual=deal.currency,
            field=f"deal[{deal.id}].currency",
        )


def stack(
    pricing: DealPricing, applied: list[Deal], item: MenuItem, policy: DealPolicy, *, tier: int
) -> DealPricing:
    """``pricing`` with ``applied`` (the winner first) taken off its base price and floored."""
    final, floor_name = stacked_price(applied, item, policy)
    return replace(
        pricing,
        price=Money._make(final, item.price.currency),
        deal_ids=tuple(deal.id for deal in applied),
        tier=tier,
        floor=floor_name,
    )


def stacked_price(
    applied: Sequence[Deal], item: MenuItem, policy: DealPolicy
) -> tuple[int, str | None]:
    """The price in minor units after ``applied`` (the winner first), floored; and the floor.

    Compounding takes each deal off the price the last one left; cumulative
    takes each deal's discount on the base price off the base. The floors hold
    the result once, at the end.
    """
    base = item.price.minor_units
    running = base
    for deal in applied:
        if policy.stack_mode is StackMode.COMPOUNDING or len(applied) == 1:
            running = discounted(deal, running)
        else:
            running -= base - discounted(deal, base)
    final, floor_name = floored(max(running, 0), item, policy)
    if running < 0 and floor_name is None:
        floor_name = "zero"  # cumulative discounts took more than the price
    return final, floor_name


def _choose(
    pricing: DealPricing, ranked: list[_Ranked], item: MenuItem, policy: DealPolicy
) -> DealPricing:
    currency = item.price.currency
    winner = ranked[0]
    applied = [winner.deal]
    if policy.stacking and winner.deal.can_stack:
        applied += [entry.deal for entry in ranked[1:] if entry.deal.can_stack]
    applied_ids = {deal.id for deal in applied}
    outcomes: dict[str, CandidateOutcome] = {}
    lost_to: dict[str, str] = {}
    for entry in ranked:
        deal_id = entry.deal.id
        if entry is winner:
            outcomes[deal_id] = CandidateOutcome.WON
        elif deal_id in applied_ids:
            outcomes[deal_id] = CandidateOutcome.STACKED
        else:
            outcomes[deal_id] = CandidateOutcome.LOST
            lost_to[deal_id] = winner.deal.id
    return replace(
        stack(pricing, applied, item, policy, tier=winner.tier),
        prices={entry.deal.id: Money._make(entry.price, currency) for entry in ranked},
        outcomes=outcomes,
        lost_to=lost_to,
    )
