"""The markdown engine: scope expansion, markdown prices, floors and margins, preview.

Everything here is pure: it reads a catalog through the
:class:`~pricekit.catalog.CatalogRepository` port and returns values.

- :func:`expand_scopes` turns a wave's scopes into variants, once each.
- :func:`markdown_price` applies a wave's method to one price: percent results
  round half-up to the currency's minor unit; amount-off never goes below zero.
- :func:`price_wave_items` computes every item of a wave: ``replace`` waves start
  from the regular price, ``compound`` waves from the price in effect from active
  markdowns (so 25% then 25% is 43.75% off); items that would end under the
  floor price or under the minimum margin are excluded with the reason; items
  under cost are flagged ``below_cost``.
- :func:`preview_wave` sums up a wave's impact without side effects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pricekit.catalog import CatalogRepository, Variant
from pricekit.errors import InvalidValueError, NotFoundError
from pricekit.markdowns.models import (
    ExclusionReason,
    MarkdownMethod,
    MarkdownMode,
    MarkdownWave,
    ScopeType,
    WaveItem,
    WaveScope,
)
from pricekit.money import Money, get_currency, round_ratio

__all__ = [
    "PriceInEffect",
    "WavePreview",
    "expand_scopes",
    "margin_percent",
    "markdown_price",
    "preview_wave",
    "price_wave_items",
]

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PriceInEffect:
    """The price a variant sells at from active markdowns, and the wave that set it."""

    price: Money
    wave_id: str


def expand_scopes(scopes: Iterable[WaveScope], catalog: CatalogRepository) -> list[Variant]:
    """The variants a wave's scopes cover, each once, sorted by id.

    ``variant`` scopes name variants directly; ``product`` scopes cover a product's
    active variants; ``category`` scopes the active variants in the category and
    all its descendants; ``collection`` scopes the active variants in the collection.

    Raises:
        NotFoundError: A named variant, product or category does not exist.
        InvalidValueError: The scopes cover no variant at all.
    """
    found: dict[str, Variant] = {}
    scope_list = list(scopes)
    for scope in scope_list:
        if scope.type is ScopeType.VARIANT:
            named = catalog.get_variants(scope.ids)
            missing = [vid for vid in scope.ids if vid not in named]
            if missing:
                raise NotFoundError(entity="variant", id=missing[0], missing=missing)
            found.update(named)
        elif scope.type is ScopeType.PRODUCT:
            for product_id in scope.ids:
                if catalog.get_product(product_id) is None:
                    raise NotFoundError(entity="product", id=product_id)
                found.update((v.id, v) for v in catalog.variants_of_product(product_id))
        elif scope.type is ScopeType.CATEGORY:
            tree = catalog.category_tree()
            for category_id in scope.ids:
                if category_id not in tree:
                    raise NotFoundError(entity="category", id=category_id)
                found.update((v.id, v) for v in catalog.variants_in_category(category_id))
        else:
            for collection_id in scope.ids:
                found.update((v.id, v) for v in catalog.variants_in_collection(collection_id))
    if not found:
        raise InvalidValueError(
            field="scopes",
            value=[scope.model_dump(mode="json") for scope in scope_list],
            reason="the scopes cover no active variant",
        )
    return [found[variant_id] for variant_id in sorted(found)]


def _lowering(wave: MarkdownWave) -> Callable[[Money], Money]:
    """``markdown_price`` for one wave, with the wave's ratio worked out once."""
    if wave.method is MarkdownMethod.PERCENT:
        numerator, denominator = wave.value.as_integer_ratio()
        kept, divisor = 100 * denominator - numerator, 100 * denominator

        def percent_off(base: Money) -> Money:
            return Money(round_ratio(base.minor_units * kept, divisor), base.currency)

        return percent_off
    return lambda base: markdown_price(base, wave)


def markdown_price(base: Money, wave: MarkdownWave) -> Money:
    """The price after ``wave``'s markdown of ``base``.

    Percent off rounds the resulting price half-up to the minor unit; amount off
    never goes below zero.

    Raises:
        CurrencyMismatchError: ``base`` is not in the wave's currency.
    """
    if wave.method is MarkdownMethod.PERCENT:
        return base.less_percentage(wave.value)
    amount = wave.amount_off
    assert amount is not None  # an amount wave always has one
    lowered = base - amount
    return lowered if not lowered.is_negative() else Money.zero(base.currency)


def margin_percent(price: Money, cost: Money | None) -> Decimal | None:
    """Gross margin ``(price - cost) / price`` in per cent, to two places (half-up).

    ``None`` without a cost or at a zero price.
    """
    if cost is None or price.is_zero():
        return None
    exact = Decimal((price.minor_units - cost.minor_units) * 100) / Decimal(price.minor_units)
    return exact.quantize(_CENT, rounding=ROUND_HALF_UP)


def _under_margin(price: Money, cost: Money, minimum: Decimal) -> bool:
    # (price - cost) / price < minimum / 100, in exact arithmetic
    if price.is_zero():
        return True
    return (price.minor_units - cost.minor_units) * _HUNDRED < minimum * price.minor_units


def price_wave_items(
    wave: MarkdownWave,
    variants: Iterable[Variant],
    *,
    in_effect: Mapping[str, PriceInEffect] | None = None,
) -> list[WaveItem]:
    """Compute every item of ``wave`` over ``variants``.

    Args:
        wave: The wave.
        variants: The variants it covers (see :func:`expand_scopes`).
        in_effect: For ``compound`` waves, the price each variant currently sells
            at from active markdowns; a variant not in it starts from its regular price.

    Raises:
        InvalidValueError: A variant priced in another currency than the wave's.
    """
    currency = get_currency(wave.currency)
    compound = wave.mode is MarkdownMode.COMPOUND
    lower = _lowering(wave)
    effective = in_effect or {}
    floor = wave.floor_price
    minimum = wave.min_margin_percent
    items: list[WaveItem] = []
    for variant in variants:
        if variant.price.currency is not currency:
            raise InvalidValueError(
                field="variants",
                value=variant.id,
                reason=f"variant {variant.id!r} is priced in {variant.price.currency.code}, "
                f"the wave in {currency.code}",
            )
        stacked = effective.get(variant.id) if compound else None
        base = stacked.price if stacked is not None else variant.price
        price = lower(base)
        cost = variant.cost
        reason: ExclusionReason | None = None
        if floor is not None and price < floor:
            reason = ExclusionReason.BELOW_FLOOR
        elif minimum is not None and cost is not None and _under_margin(price, cost, minimum):
            reason = ExclusionReason.BELOW_MIN_MARGIN
        items.append(
            WaveItem(
                wave_id=wave.id,
                variant_id=variant.id,
                product_id=variant.product_id,
                regular_price=variant.price,
                base_price=base,
                stacked_on_wave_id=stacked.wave_id if stacked is not None else None,
                markdown_price=price,
                cost=cost,
                margin_percent=margin_percent(price, cost),
                below_cost=cost is not None and price < cost,
                excluded=reason is not None,
                exclusion_reason=reason,
            )
        )
    return items


@dataclass(frozen=True, slots=True)
class WavePreview:
    """A wave's impact, computed without side effects.

    Attributes:
        items: How many variants the wave covers.
        included: How many it would mark down.
        excluded: How many it leaves out.
        exclusions: Excluded items by reason.
        below_cost_variant_ids: Included items that would sell under cost.
        value_impact: Sum over included items of price drop x on-hand units.
        average_discount_percent: Mean discount of included items, in per cent.
        margin_before_percent: Aggregate margin of included items before (those with a cost).
        margin_after_percent: The same after the markdown.
    """

    items: int
    included: int
    excluded: int
    exclusions: dict[ExclusionReason, int] = field(default_factory=dict)
    below_cost_variant_ids: tuple[str, ...] = ()
    value_impact: Money | None = None
    average_discount_percent: Decimal | None = None
    margin_before_percent: Decimal | None = None
    margin_after_percent: Decimal | None = None


def _aggregate_margin(prices: int, costs: int) -> Decimal | None:
    if prices == 0:
        return None
    return (Decimal((prices - costs) * 100) / Decimal(prices)).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )


def preview_wave(
    wave: MarkdownWave,
    items: Sequence[WaveItem],
    *,
    on_hand: Mapping[str, Decimal | int] | None = None,
) -> WavePreview:
    """Sum up ``items`` of ``wave``: counts, exclusions, below-cost items, value impact, margins.

    Args:
        wave: The wave.
        items: Its items (see :func:`price_wave_items`).
        on_hand: Units on hand per variant id, for the value impact; missing means 0.
    """
    stock = on_hand or {}
    currency = get_currency(wave.currency)
    exclusions: dict[ExclusionReason, int] = {}
    below_cost: list[str] = []
    impact = 0
    discount_sum = Decimal(0)
    discounted = 0
    before_prices = before_costs = after_prices = after_costs = 0
    included = 0
    for item in items:
        if item.excluded:
            assert item.exclusion_reason is not None
            exclusions[item.exclusion_reason] = exclusions.get(item.exclusion_reason, 0) + 1
            continue
        included += 1
        if item.below_cost:
            below_cost.append(item.variant_id)
        drop = item.base_price.minor_units - item.markdown_price.minor_units
        units = stock.get(item.variant_id, 0)
        if units:
            impact += Money(drop, currency).multiply(units).minor_units
        if item.base_price.minor_units:
            discount_sum += Decimal(drop * 100) / Decimal(item.base_price.minor_units)
            discounted += 1
        if item.cost is not None:
            before_prices += item.base_price.minor_units
            after_prices += item.markdown_price.minor_units
            before_costs += item.cost.minor_units
            after_costs += item.cost.minor_units
    average = None
    if discounted:
        average = (discount_sum / discounted).quantize(_CENT, rounding=ROUND_HALF_UP)
    return WavePreview(
        items=len(items),
        included=included,
        excluded=len(items) - included,
        exclusions=exclusions,
        below_cost_variant_ids=tuple(below_cost),
        value_impact=Money(impact, currency),
        average_discount_percent=average,
        margin_before_percent=_aggregate_margin(before_prices, before_costs),
        margin_after_percent=_aggregate_margin(after_prices, after_costs),
    )
