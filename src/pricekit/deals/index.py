"""Matching a whole menu against a location's deals without the product-times-deals scan.

:class:`MenuIndex` files a location's menu once by every dimension deals target
(product, category with ancestors, brand, vendor, tag, inventory tag, pricing
tier; weights to the hundredth of a gram). :func:`price_menu` then works
deal-first: the gates run once per deal (they do not depend on the product),
each live deal's products are found by set intersections of its inclusions
minus its exclusions, and only the pairs that match are priced. Each product's
result is what :func:`~pricekit.deals.match.best_price` gives for it with the
same deals; its ``matches`` hold the deals applied and the offers, not every
deal of the location.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from pricekit.deals.match import (
    DealMatch,
    DealPolicy,
    DealPricing,
    MatchContext,
    MatchOutcome,
    MenuItem,
    Preference,
    StackMode,
    check_currency,
    floor_of,
    gate,
    stacked_price,
    static_key,
    targeted,
)
from pricekit.deals.models import Deal, Dimension, Restriction, RewardMethod
from pricekit.errors import InvalidValueError
from pricekit.money import Currency, Money

__all__ = ["MenuIndex", "price_menu"]

_CENT_GRAM = Decimal("0.01")


def _bucket(weight: Decimal) -> int:
    """A weight in hundredths of a gram, rounded down."""
    return int(weight / _CENT_GRAM)


class MenuIndex:
    """A location's menu filed by every dimension deals target.

    Args:
        items: The menu, one entry per product id.

    Raises:
        InvalidValueError: A product id appears twice.
    """

    __slots__ = ("_by", "_items", "_weights")

    def __init__(self, items: Iterable[MenuItem]) -> None:
        self._items: dict[str, MenuItem] = {}
        self._by: dict[tuple[Dimension, str], set[str]] = defaultdict(set)
        # hundredths of a gram -> each weight in that bucket -> its products
        self._weights: dict[int, dict[Decimal, set[str]]] = defaultdict(dict)
        for index, item in enumerate(items):
            if item.product_id in self._items:
                raise InvalidValueError(
                    field=f"items[{index}].product_id",
                    value=item.product_id,
                    reason="appears twice",
                )
            self._items[item.product_id] = item
            key = item.product_id
            for dimension in (
                Dimension.PRODUCT,
                Dimension.CATEGORY,
                Dimension.BRAND,
                Dimension.VENDOR,
                Dimension.TAG,
                Dimension.INVENTORY_TAG,
                Dimension.PRICING_TIER,
            ):
                for value in item.values(dimension):
                    self._by[(dimension, value)].add(key)
            if item.weight_grams is not None:
                bucket = self._weights[_bucket(item.weight_grams)]
                bucket.setdefault(item.weight_grams, set()).add(key)

    def __len__(self) -> int:
        """How many products are filed."""
        return len(self._items)

    def items(self) -> list[MenuItem]:
        """The menu, in the order given."""
        return list(self._items.values())

    def matching(self, restriction: Restriction) -> set[str]:
        """The product ids a restriction matches (whatever its inclusion or exclusion)."""
        if restriction.dimension is Dimension.WEIGHT:
            found: set[str] = set()
            for weight in restriction.weights:
                middle = _bucket(weight)
                for bucket in (middle - 1, middle, middle + 1):
                    for grams, products in self._weights.get(bucket, {}).items():
                        if abs(grams - weight) <= _CENT_GRAM:
                            found |= products
            return found
        out: set[str] = set()
        for value in restriction.ids:
            out |= self._by.get((restriction.dimension, value), set())
        return out

    def targets(self, deal: Deal) -> set[str]:
        """The product ids a deal's targeting can reach: its inclusions met, no exclusion.

        Every product for a store-wide deal; none for a deal held back.
        """
        if deal.unmapped:
            return set()
        inclusions = sorted(deal.inclusions, key=lambda r: len(r.ids) or len(r.weights))
        reach: set[str] = self.matching(inclusions[0]) if inclusions else set(self._items)
        for restriction in inclusions[1:]:
            if not reach:
                break
            reach &= self.matching(restriction)
        for restriction in deal.exclusions:
            if not reach:
                break
            reach -= self.matching(restriction)
        return reach


def price_menu(
    menu: MenuIndex | Sequence[MenuItem],
    deals: Iterable[Deal],
    context: MatchContext,
    *,
    policy: DealPolicy | None = None,
) -> dict[str, DealPricing]:
    """Price every product of a menu with the location's deals.

    Each product gets the price, deals, tier and floor :func:`best_price` would
    give it, with the matches of the deals applied (the winner first, then any
    that stacked on it) followed by its offers, and its ``offers``. The other
    candidates (``prices``, ``outcomes``, ``lost_to``, the deals that lost) are
    left out to keep a menu fast: ask :func:`best_price` for one product's full
    explanation (a product page does).

    How it avoids the product-times-deals scan: the gates run once per deal;
    each live deal's products come from set algebra on the :class:`MenuIndex`;
    then, per reward method, the deals are taken strongest first (the highest
    percent, the largest amount off, the lowest price to amount; the weakest
    first for the retailer), and each product is given the first deal that
    reaches it by set differences, never a loop over every pair. A stronger
    deal of one method never gives a higher price than a weaker one, so that
    first deal is the method's best for the product, unless a weaker deal
    comes to the same price (a floor, or rounding on a tiny price): then, and
    only then, that product's deals of the method are compared one by one.

    Args:
        menu: The menu, or a :class:`MenuIndex` of it (build one per menu change).
        deals: The location's deals.
        context: The location, instant and channel.
        policy: How deals are priced and chosen.

    Returns:
        Every product's pricing, by product id, in menu order. A product no deal
        targets keeps its price with no matches.

    Raises:
        CurrencyMismatchError: A deal's amounts are in another currency than the menu.
    """
    index = menu if isinstance(menu, MenuIndex) else MenuIndex(menu)
    chosen = policy or DealPolicy()
    items = index.items()
    live, offers = _live(index, deals, context)
    retailer = chosen.prefer is Preference.RETAILER
    lows = {item.product_id: floor_of(item, chosen)[0] for item in items}
    bases = {item.product_id: item.price.minor_units for item in items}
    prices, winners = _winners(live, bases, lows, retailer=retailer)
    stackers = _stackers(live, winners) if chosen.stacking else {}
    out: dict[str, DealPricing] = {}
    amounts: dict[tuple[int, Currency], Money] = {}  # one Money per price, shared
    for item in items:
        product_id = item.product_id
        offered = offers.get(product_id, ())
        winner = winners.get(product_id)
        if winner is None:
            out[product_id] = DealPricing(
                product_id, item.price, item.price, matches=offered, offers=offered
            )
            continue
        applied = [winner]
        low = lows[product_id]
        final, floor_name = abs(prices[product_id]), None  # its price alone, no floor
        if product_id in stackers:
            base = item.price.minor_units
            applied = sorted(
                stackers[product_id],
                key=lambda e: (_alone(e, base, low, retailer=retailer), e.static),
            )
            final = _stacked(applied, base, low, chosen)
        if final == low:
            # a floor may have held it up: say which, as best_price does
            final, floor_name = stacked_price([e.deal for e in applied], item, chosen)
        key = (final, item.price.currency)
        amount = amounts.get(key)
        if amount is None:
            amount = amounts[key] = Money._make(final, item.price.currency)
        out[product_id] = DealPricing(
            product_id,
            item.price,
            amount,
            deal_ids=winner.alone_ids if len(applied) == 1 else tuple([e.deal.id for e in applied]),
            tier=winner.static[0],
            floor=floor_name,
            matches=winner.alone_matches
            if len(applied) == 1 and not offered
            else tuple([e.shared for e in applied]) + offered,
            offers=offered,
        )
    return out


def _live(
    index: MenuIndex, deals: Iterable[Deal], context: MatchContext
) -> tuple[list[_Live], dict[str, tuple[DealMatch, ...]]]:
    """The deals that pass the gates and reach a product; and the offers, by product."""
    items = index.items()
    # tuples, not lists: one object per product in the result, none left behind
    offers: dict[str, tuple[DealMatch, ...]] = {}
    live: list[_Live] = []
    for deal in deals:
        if gate(deal, context) is not None:
            continue
        targets = index.targets(deal)
        if not targets:
            continue
        shared = _shared_match(deal)
        if shared.outcome is MatchOutcome.OFFER:
            for product_id in targets:
                offers[product_id] = (*offers.get(product_id, ()), shared)
            continue
        if items:
            check_currency(deal, items[0])
        live.append(_Live(deal, targets, shared))
    return live, offers


def _stackers(live: list[_Live], winners: dict[str, _Live]) -> dict[str, list[_Live]]:
    """For each product whose winner can stack, every deal reaching it that can stack."""
    stacking = {product_id for product_id, entry in winners.items() if entry.deal.can_stack}
    stackers: dict[str, list[_Live]] = defaultdict(list)
    for entry in live:
        if entry.deal.can_stack:
            for product_id in entry.targets & stacking:
                stackers[product_id].append(entry)
    return stackers


class _Live:
    """A live deal that gives a price, with what the menu needs of it, worked out once."""

    __slots__ = (
        "a",
        "alone_ids",
        "alone_matches",
        "b",
        "deal",
        "method",
        "shared",
        "static",
        "strength",
        "targets",
    )

    def __init__(self, deal: Deal, targets: set[str], shared: DealMatch) -> None:
        assert shared.tier is not None
        self.deal = deal
        self.targets = targets
        self.shared = shared
        self.static = static_key(deal, shared.tier)
        # what a product it wins alone gets, built once and shared
        self.alone_ids = (deal.id,)
        self.alone_matches = (shared,)
        reward = deal.reward
        self.method = reward.method
        if reward.method is RewardMethod.PERCENT_OFF:
            assert reward.percent is not None
            self.a, self.b = reward.percent.as_integer_ratio()
            # a higher percent never gives a higher price (a Decimal compares exactly)
            self.strength: Decimal | int = reward.percent
        else:
            assert reward.amount is not None
            self.a, self.b = reward.amount.minor_units, 1
            # a larger amount off, or a lower price to amount, never gives a higher price
            amount = self.a if reward.method is RewardMethod.AMOUNT_OFF else -self.a
            self.strength = amount


def _off(entry: _Live, minor: int) -> int:
    """The price in minor units after ``entry`` on ``minor``, never below zero.

    :func:`~pricekit.deals.match.discounted`, inlined: the menu's innermost step.
    """
    method = entry.method
    if method is RewardMethod.PERCENT_OFF:
        # minor less minor x percent / 100, rounded half up
        price = minor - (2 * minor * entry.a + 100 * entry.b) // (200 * entry.b)
    elif method is RewardMethod.AMOUNT_OFF:
        price = minor - entry.a
    else:
        return entry.a if entry.a < minor else minor
    return max(price, 0)


def _alone(entry: _Live, base: int, low: int, *, retailer: bool) -> int:
    """The (signed) price ``entry`` gives alone on ``base``, floored at ``low``.

    Negated for the retailer, so that the lowest value always ranks first.
    """
    price = max(_off(entry, base), low)
    return -price if retailer else price


def _stacked(applied: list[_Live], base: int, low: int, policy: DealPolicy) -> int:
    """:func:`~pricekit.deals.match.stacked_price` of a stack no floor holds up.

    A stack that reaches ``low`` is held there; the caller then asks
    :func:`~pricekit.deals.match.stacked_price`, which names the floor.
    """
    running = base
    if policy.stack_mode is StackMode.COMPOUNDING:
        for entry in applied:
            running = _off(entry, running)
    else:
        for entry in applied:
            running -= base - _off(entry, base)
    return max(running, low)


def _winners(
    live: list[_Live], bases: dict[str, int], lows: dict[str, int], *, retailer: bool
) -> tuple[dict[str, int], dict[str, _Live]]:
    """Each product's winning deal and the (signed) price it gives alone.

    The lowest signed price wins, then the static tie-breaks.
    """
    by_method: dict[RewardMethod, list[_Live]] = defaultdict(list)
    for entry in live:
        by_method[entry.method].append(entry)
    prices: dict[str, int] = {}
    winners: dict[str, _Live] = {}
    for group in by_method.values():
        first, levels = _firsts(group, retailer=retailer)
        small = _collisions_below(group) if levels > 1 else 0
        tied: set[str] = set()
        for product_id, entry in first.items():
            base, low = bases[product_id], lows[product_id]
            price = max(_off(entry, base), low)
            if levels > 1 and (price in (low, base) or base < small):
                tied.add(product_id)  # a deal of another level may give the same price
                continue
            signed = -price if retailer else price
            held = prices.get(product_id)
            if (
                held is None
                or signed < held
                or (signed == held and entry.static < winners[product_id].static)
            ):
                prices[product_id], winners[product_id] = signed, entry
        if tied:
            # compare the method's deals one by one, for those products only
            reaching: dict[str, list[_Live]] = defaultdict(list)
            for entry in group:
                for product_id in entry.targets & tied:
                    reaching[product_id].append(entry)
            for product_id, entries in reaching.items():
                base, low = bases[product_id], lows[product_id]
                price, entry = min(
                    ((_alone(e, base, low, retailer=retailer), e) for e in entries),
                    key=lambda found: (found[0], found[1].static),
                )
                _keep(prices, winners, product_id, price, entry)
    return prices, winners


def _collisions_below(group: list[_Live]) -> int:
    """The base price under which two percent levels of ``group`` may round alike; else 0.

    Percents ``p > q`` take the same (half-up rounded) discount off ``base``
    only if ``base x (p - q) / 100 < 1``. Amounts never collide off the floors.
    """
    percents = sorted({Fraction(e.strength) for e in group if e.method is RewardMethod.PERCENT_OFF})
    if len(percents) < 2:
        return 0
    gap = min(high - low for low, high in itertools.pairwise(percents))
    return math.ceil(100 / gap)


def _keep(
    prices: dict[str, int], winners: dict[str, _Live], product_id: str, price: int, entry: _Live
) -> None:
    """Make ``entry`` the product's winner if it beats the one so far."""
    current = winners.get(product_id)
    if current is None:
        prices[product_id], winners[product_id] = price, entry
        return
    held = prices[product_id]
    if price < held or (price == held and entry.static < current.static):
        prices[product_id], winners[product_id] = price, entry


def _firsts(group: list[_Live], *, retailer: bool) -> tuple[dict[str, _Live], int]:
    """Per product, the first deal of one method to reach it; and how many levels there are.

    The deals are taken from the strongest down (the weakest up for the
    retailer), equally strong ones by their static tie-breaks, and each
    product is given the first that reaches it, by set differences. Deals of
    one level give a product the same price, so the first is the level's best;
    a deal of another level can only tie with it on a floor, on the base price
    (no discount) or when percents round alike on a small price.
    """
    ordered = sorted(group, key=lambda e: e.static)
    ordered.sort(key=lambda e: e.strength, reverse=not retailer)
    first: dict[str, _Live] = {}
    reached: set[str] = set()
    levels = 0
    level: _Live | None = None
    for entry in ordered:
        if level is None or entry.strength != level.strength:
            level, levels = entry, levels + 1
        new = entry.targets - reached
        if new:
            reached |= new
            first.update(dict.fromkeys(new, entry))
    return first, levels


def _shared_match(deal: Deal) -> DealMatch:
    """What every product a live deal's targeting reaches gets: the same tier and reason."""
    return targeted(deal, tuple(r.dimension for r in deal.inclusions))
