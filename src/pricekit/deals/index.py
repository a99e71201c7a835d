"""Matching a whole menu against a location's deals without the product-times-deals scan.

:class:`MenuIndex` files a location's menu once by every dimension deals target
(product, category with ancestors, brand, vendor, tag, inventory tag, pricing
tier; weights to the hundredth of a gram). :func:`price_menu` then works
deal-first: the gates run once per deal (they do not depend on the product),
each live deal's products are found by set intersections of its inclusions
minus its exclusions, and only the pairs that match are priced. Each product's
result is what :func:`~pricekit.deals.match.best_price` gives for it with the
same deals; its ``matches`` hold the deals that targeted it (and the offers),
not every deal of the location.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from pricekit.deals.match import (
    DealMatch,
    DealPolicy,
    DealPricing,
    MatchContext,
    MatchOutcome,
    MenuItem,
    Preference,
    check_currency,
    discounted,
    floor_of,
    floored,
    gate,
    stack,
    static_key,
    targeted,
)
from pricekit.deals.models import Deal, Dimension, Restriction, RewardMethod
from pricekit.errors import InvalidValueError

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
        self._weights: dict[int, set[str]] = defaultdict(set)
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
                self._weights[_bucket(item.weight_grams)].add(key)

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
                    for product_id in self._weights.get(bucket, ()):
                        grams = self._items[product_id].weight_grams
                        if grams is not None and abs(grams - weight) <= _CENT_GRAM:
                            found.add(product_id)
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
    give it, its ``matches`` (the deals that target it, matched or offered) and
    its ``offers``. The per-candidate detail (``prices``, ``outcomes``,
    ``lost_to``) is left out to keep a menu fast: ask :func:`best_price` for one
    product's full explanation (a product page does).

    Args:
        menu: The menu, or a :class:`MenuIndex` of it (build one per menu change).
        deals: The location's deals.
        context: The location, instant and channel.
        policy: How deals are priced and chosen.

    Returns:
        Every product's pricing, by product id, in menu order. A product no deal
        targets keeps its price with no matches.
    """
    index = menu if isinstance(menu, MenuIndex) else MenuIndex(menu)
    chosen_policy = policy or DealPolicy()
    items = index.items()
    bases = {item.product_id: item.price.minor_units for item in items}
    lows = {item.product_id: floor_of(item, chosen_policy)[0] for item in items}
    best: dict[str, tuple[int, tuple[int, int, int, str], Deal]] = {}
    matches: dict[str, list[DealMatch]] = defaultdict(list)
    offers: dict[str, list[DealMatch]] = defaultdict(list)
    stackers: dict[str, list[Deal]] = defaultdict(list)
    sign = 1 if chosen_policy.prefer is Preference.CUSTOMER else -1
    for deal in deals:
        if gate(deal, context) is not None:
            continue
        targets = index.targets(deal)
        if not targets:
            continue
        shared = _shared_match(deal)
        if shared.outcome is MatchOutcome.OFFER:
            for product_id in targets:
                matches[product_id].append(shared)
                offers[product_id].append(shared)
            continue
        if items:
            check_currency(deal, items[0])
        assert shared.tier is not None
        static = static_key(deal, shared.tier)
        for product_id, price in _prices(deal, targets, bases, lows):
            matches[product_id].append(shared)
            if deal.can_stack:
                stackers[product_id].append(deal)
            signed = sign * price
            current = best.get(product_id)
            if (
                current is None
                or signed < current[0]
                or (signed == current[0] and static < current[1])
            ):
                best[product_id] = (signed, static, deal)
    out: dict[str, DealPricing] = {}
    for item in items:
        product_id = item.product_id
        pricing = DealPricing(
            product_id=product_id,
            base_price=item.price,
            price=item.price,
            matches=tuple(matches.get(product_id, ())),
            offers=tuple(offers.get(product_id, ())),
        )
        winner = best.get(product_id)
        if winner is not None:
            pricing = _applied(pricing, item, winner, stackers.get(product_id, []), chosen_policy)
        out[product_id] = pricing
    return out


def _prices(
    deal: Deal, targets: Iterable[str], bases: dict[str, int], lows: dict[str, int]
) -> Iterator[tuple[str, int]]:
    """Each target's floored price under ``deal`` alone: :func:`discounted`, inlined."""
    reward = deal.reward
    if reward.method is RewardMethod.PERCENT_OFF:
        assert reward.percent is not None
        numerator, denominator = reward.percent.as_integer_ratio()
        twice = 200 * denominator
        for product_id in targets:
            base = bases[product_id]
            # base less base x percent / 100, rounded half up
            price = base - (2 * base * numerator + 100 * denominator) // twice
            low = lows[product_id]
            yield product_id, price if price > low else low
        return
    assert reward.amount is not None
    amount = reward.amount.minor_units
    to_amount = reward.method is RewardMethod.PRICE_TO_AMOUNT
    for product_id in targets:
        base = bases[product_id]
        if to_amount:
            price = amount if amount < base else base
        else:
            price = base - amount if base > amount else 0
        low = lows[product_id]
        yield product_id, price if price > low else low


def _shared_match(deal: Deal) -> DealMatch:
    """What every product a live deal's targeting reaches gets: the same tier and reason."""
    return targeted(deal, tuple(r.dimension for r in deal.inclusions))


def _applied(
    pricing: DealPricing,
    item: MenuItem,
    winner: tuple[int, tuple[int, int, int, str], Deal],
    stackers: list[Deal],
    policy: DealPolicy,
) -> DealPricing:
    deal = winner[2]
    applied = [deal]
    if policy.stacking and deal.can_stack:
        others = [d for d in stackers if d is not deal]
        base = item.price.minor_units
        others.sort(
            key=lambda d: (
                floored(discounted(d, base), item, policy)[0]
                * (1 if policy.prefer is Preference.CUSTOMER else -1),
                static_key(d, _shared_match(d).tier or 4),
            )
        )
        applied += others
    return stack(pricing, applied, item, policy, tier=winner[1][0])
