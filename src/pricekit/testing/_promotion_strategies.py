"""Hypothesis strategies for :mod:`pricekit.promotions`, re-exported by the strategies module.

Carts and promotions draw their ids from the same small pools (products ``p1``
to ``p4``, variants ``v1`` to ``v3``, categories ``c1`` to ``c3``, collections
``k1`` and ``k2``), so the item filters and conditions of drawn promotions match
drawn cart lines often, and promotions apply, stack, block each other and get
capped. Pass your own pools to both to keep that overlap with your ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from hypothesis import strategies as st

from pricekit.errors import InvalidValueError
from pricekit.money import Currency, Money, get_currency
from pricekit.pricing.models import Channel
from pricekit.promotions.models import (
    CartLine,
    Condition,
    ConditionType,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
    UnitSelection,
)
from pricekit.testing._time_strategies import aware_datetimes, time_of_day_windows, time_zones
from pricekit.time import TimeOfDayWindow

__all__ = [
    "cart_lines",
    "carts",
    "evaluation_contexts",
    "item_filters",
    "promotion_conditions",
    "promotion_lists",
    "promotion_rewards",
    "promotions",
]

_PRODUCTS = ("p1", "p2", "p3", "p4")
_VARIANTS = ("v1", "v2", "v3")
_CATEGORIES = ("c1", "c2", "c3")
_COLLECTIONS = ("k1", "k2")
_LOCATIONS = ("s1", "s2", "s3")
_CHANNELS = ("pos", "online")
_TIERS = ("gold", "silver")
_CUSTOMERS = ("c1", "c2")
_GIFT = "gift"  # a free product that no cart line sells
_CONDITION_TYPES = (
    ConditionType.MIN_AMOUNT,
    ConditionType.MIN_QUANTITY,
    ConditionType.PRODUCT_IN_CART,
    ConditionType.CATEGORY_IN_CART,
    ConditionType.COLLECTION_IN_CART,
    ConditionType.CUSTOMER_TIER,
    ConditionType.DAYS_OF_WEEK,
)
_MIN_AT = datetime(2020, 1, 1, tzinfo=UTC)
_MAX_AT = datetime(2030, 1, 1, tzinfo=UTC)
_MAX_ID_LENGTH = 255

_E = TypeVar("_E", bound=StrEnum)


# -- checking the options -------------------------------------------------------------------


def _ids(values: Sequence[str], *, field: str, required: bool = False) -> tuple[str, ...]:
    """The ids of a pool, checked: a sequence of non-empty ids, at least one if ``required``."""
    if isinstance(values, str):
        raise InvalidValueError(
            field=field, value=values, reason="must be a sequence of ids, not one string"
        )
    pool = tuple(values)
    for value in pool:
        if not 0 < len(value) <= _MAX_ID_LENGTH:
            raise InvalidValueError(
                field=field, value=value, reason="ids are 1 to 255 characters long"
            )
    if required and not pool:
        raise InvalidValueError(field=field, value=[], reason="needs at least one id")
    return pool


def _members(
    kind: type[_E], values: Sequence[_E | str], *, field: str, refused: Sequence[_E] = ()
) -> tuple[_E, ...]:
    """``values`` as members of ``kind``, repeats kept (they weigh the draw); at least one."""
    if isinstance(values, str):
        raise InvalidValueError(
            field=field, value=values, reason="must be a sequence of values, not one string"
        )
    known = ", ".join(member.value for member in kind if member not in refused)
    members: list[_E] = []
    for value in values:
        try:
            member = kind(value)
        except ValueError:
            member = None
        if member is None or member in refused:
            raise InvalidValueError(field=field, value=value, reason=f"must be one of {known}")
        members.append(member)
    if not members:
        raise InvalidValueError(field=field, value=[], reason="needs at least one value")
    return tuple(members)


def _sizes(min_size: int, max_size: int) -> None:
    if min_size < 0:
        raise InvalidValueError(field="min_size", value=min_size, reason="must not be negative")
    if max_size < min_size:
        raise InvalidValueError(field="max_size", value=max_size, reason="must be >= min_size")


@dataclass(frozen=True, slots=True)
class _Pools:
    """The ids carts and promotions share."""

    products: tuple[str, ...]
    variants: tuple[str, ...]
    categories: tuple[str, ...]
    collections: tuple[str, ...]


def _pools(
    products: Sequence[str],
    variants: Sequence[str],
    categories: Sequence[str],
    collections: Sequence[str],
    *,
    products_required: bool = False,
) -> _Pools:
    return _Pools(
        products=_ids(products, field="products", required=products_required),
        variants=_ids(variants, field="variants"),
        categories=_ids(categories, field="categories"),
        collections=_ids(collections, field="collections"),
    )


def _one_or_two(pool: Sequence[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(pool), min_size=1, max_size=2)


def _up_to(pool: Sequence[str], size: int) -> st.SearchStrategy[frozenset[str]]:
    if not pool:
        return st.just(frozenset[str]())
    return st.frozensets(st.sampled_from(pool), max_size=size)


def _none_or(pool: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(pool) if pool else st.none()


# The strategies below are built once, when a public function is called, and the
# composites only draw from them: building strategies inside a draw would
# validate them anew every time, which doubles the cost of a test.

_BOOLEANS = st.booleans()
_NUMBERS = st.integers(min_value=0, max_value=99)


# -- carts ----------------------------------------------------------------------------------


def _quantities() -> st.SearchStrategy[Decimal]:
    # The strategies module re-exports this one, so it is imported when first needed.
    from pricekit.testing.strategies import decimal_quantities  # noqa: PLC0415

    whole = st.integers(min_value=1, max_value=6).map(Decimal)
    return st.one_of(whole, decimal_quantities(max_value=10))


@dataclass(frozen=True, slots=True, eq=False)
class _LineParts:
    """What the fields of a cart line are drawn from."""

    products: st.SearchStrategy[str]
    variants: st.SearchStrategy[str | None]
    categories: st.SearchStrategy[frozenset[str]]
    collections: st.SearchStrategy[frozenset[str]]
    quantities: st.SearchStrategy[Decimal]
    unit_prices: st.SearchStrategy[Money]


def _line_parts(
    *,
    currency: str | Currency,
    products: Sequence[str],
    variants: Sequence[str],
    categories: Sequence[str],
    collections: Sequence[str],
    max_unit_minor: int,
) -> _LineParts:
    if max_unit_minor < 0:
        raise InvalidValueError(
            field="max_unit_minor", value=max_unit_minor, reason="must not be negative"
        )
    cur = get_currency(currency, field="currency")
    pools = _pools(products, variants, categories, collections, products_required=True)
    return _LineParts(
        products=st.sampled_from(pools.products),
        variants=_none_or(pools.variants),
        categories=_up_to(pools.categories, 2),
        collections=_up_to(pools.collections, 1),
        quantities=_quantities(),
        unit_prices=st.integers(min_value=0, max_value=max_unit_minor).map(
            lambda minor: Money(minor, cur)
        ),
    )


def _draw_line(draw: st.DrawFn, line_id: str, parts: _LineParts) -> CartLine:
    return CartLine(
        line_id=line_id,
        product_id=draw(parts.products),
        variant_id=draw(parts.variants),
        category_ids=draw(parts.categories),
        collection_ids=draw(parts.collections),
        quantity=draw(parts.quantities),
        unit_price=draw(parts.unit_prices),
    )


@st.composite
def _cart_line(draw: st.DrawFn, line_id: str | None, parts: _LineParts) -> CartLine:
    return _draw_line(draw, f"line-{draw(_NUMBERS)}" if line_id is None else line_id, parts)


@st.composite
def _cart(draw: st.DrawFn, sizes: st.SearchStrategy[int], parts: _LineParts) -> list[CartLine]:
    return [_draw_line(draw, f"line-{n}", parts) for n in range(draw(sizes))]


def cart_lines(
    *,
    line_id: str | None = None,
    currency: str | Currency = "USD",
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
    max_unit_minor: int = 100_000,
) -> st.SearchStrategy[CartLine]:
    """Cart lines of a product from the pools, priced in one currency.

    Each line sells a product of ``products``, sometimes a variant of
    ``variants``, in up to two ``categories`` and at most one of ``collections``.
    Its quantity is a whole number from 1 to 6 or a weighed one from 0.001 to 10
    (three decimal places); its unit price is 0 to ``max_unit_minor`` minor units.

    Args:
        line_id: The line's id; drawn (``line-0`` to ``line-99``) if ``None``.
        currency: The currency of the unit price.
        products: Product ids; at least one.
        variants: Variant ids; none means lines without a variant.
        categories: Category ids; none means uncategorised lines.
        collections: Collection ids; none means lines in no collection.
        max_unit_minor: The largest unit price, in minor units.

    Raises:
        InvalidValueError: An unknown currency, an empty ``products`` pool, an
            empty or over-long id, or a negative ``max_unit_minor``.
    """
    if line_id is not None:
        _ids([line_id], field="line_id")
    parts = _line_parts(
        currency=currency,
        products=products,
        variants=variants,
        categories=categories,
        collections=collections,
        max_unit_minor=max_unit_minor,
    )
    return _cart_line(line_id, parts)


def carts(
    *,
    min_size: int = 1,
    max_size: int = 8,
    currency: str | Currency = "USD",
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
    max_unit_minor: int = 100_000,
) -> st.SearchStrategy[list[CartLine]]:
    """Carts: lists of :func:`cart_lines` in one currency, with distinct line ids.

    The lines are ``line-0``, ``line-1``, ... in order; products repeat across
    lines, as they do when a cart holds two variants or a product twice.

    Args:
        min_size: At least this many lines (``evaluate`` refuses an empty cart,
            so keep it at 1 or more for carts you evaluate).
        max_size: At most this many lines.
        currency: The currency of every unit price.
        products: Product ids; at least one.
        variants: Variant ids; none means lines without a variant.
        categories: Category ids; none means uncategorised lines.
        collections: Collection ids; none means lines in no collection.
        max_unit_minor: The largest unit price, in minor units.

    Raises:
        InvalidValueError: Sizes out of order or negative, or a bad option of
            :func:`cart_lines`.
    """
    _sizes(min_size, max_size)
    parts = _line_parts(
        currency=currency,
        products=products,
        variants=variants,
        categories=categories,
        collections=collections,
        max_unit_minor=max_unit_minor,
    )
    return _cart(st.integers(min_value=min_size, max_value=max_size), parts)


# -- item filters, rewards, conditions ------------------------------------------------------


def _item_filters(pools: _Pools) -> st.SearchStrategy[ItemFilter]:
    choices: list[st.SearchStrategy[ItemFilter]] = [st.just(ItemFilter(all_items=True))]
    if pools.products:
        choices.append(st.builds(ItemFilter, product_ids=_one_or_two(pools.products)))
    if pools.variants:
        choices.append(st.builds(ItemFilter, variant_ids=_one_or_two(pools.variants)))
    if pools.categories:
        choices.append(st.builds(ItemFilter, category_ids=_one_or_two(pools.categories)))
    if pools.collections:
        choices.append(st.builds(ItemFilter, collection_ids=_one_or_two(pools.collections)))
    if pools.products and pools.categories:
        choices.append(
            st.builds(
                ItemFilter,
                product_ids=_one_or_two(pools.products),
                category_ids=_one_or_two(pools.categories),
            )
        )
    return st.one_of(choices)


def item_filters(
    *,
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
) -> st.SearchStrategy[ItemFilter]:
    """Item filters: all items, or one or two ids of one pool, or products and categories.

    Args:
        products: Product ids; none leaves out filters by product.
        variants: Variant ids; none leaves out filters by variant.
        categories: Category ids; none leaves out filters by category.
        collections: Collection ids; none leaves out filters by collection.

    Raises:
        InvalidValueError: An empty or over-long id.
    """
    return _item_filters(_pools(products, variants, categories, collections))


_ITEM_REWARDS = (RewardType.PCT_OFF_ITEM, RewardType.FIXED_OFF_ITEM, RewardType.FREE_ITEM)
_REWARD_TYPES = {
    PromotionScope.LINE: st.sampled_from(
        [*_ITEM_REWARDS, RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL]
    ),
    PromotionScope.CART: st.sampled_from(
        [*_ITEM_REWARDS, RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL]
    ),
    PromotionScope.BUNDLE: st.sampled_from([*_ITEM_REWARDS, RewardType.OVERRIDE_PRICE]),
}
_PERCENTS = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)
_AMOUNTS_OFF = st.integers(min_value=1, max_value=20_000)
_CAPS = st.none() | st.integers(min_value=1, max_value=30_000)
_BUNDLE_PRICES = st.integers(min_value=0, max_value=50_000)
_BUY_QUANTITIES = st.integers(min_value=0, max_value=3)
_REWARD_QUANTITIES = st.integers(min_value=1, max_value=3)
_UNIT_SELECTIONS = st.sampled_from(list(UnitSelection))


@dataclass(frozen=True, slots=True, eq=False)
class _RewardParts:
    """What the fields of a reward are drawn from."""

    currency: Currency
    free_variants: st.SearchStrategy[str] | None
    free_products: st.SearchStrategy[str]
    item_filters: st.SearchStrategy[ItemFilter]


def _reward_parts(currency: Currency, pools: _Pools) -> _RewardParts:
    return _RewardParts(
        currency=currency,
        free_variants=st.sampled_from(pools.variants) if pools.variants else None,
        free_products=st.sampled_from((*pools.products, _GIFT)),
        item_filters=_item_filters(pools),
    )


def _draw_reward(
    draw: st.DrawFn, scope: PromotionScope, needs_items: bool, parts: _RewardParts
) -> Reward:
    bundle = scope is PromotionScope.BUNDLE
    kind = draw(_REWARD_TYPES[scope])
    cap = draw(_CAPS)
    data: dict[str, Any] = {
        "type": kind,
        "max_discount": None if cap is None else Money(cap, parts.currency),
    }
    if kind in (RewardType.PCT_OFF_ITEM, RewardType.PCT_OFF_ALL):
        data["percent"] = draw(_PERCENTS)
    elif kind in (RewardType.FIXED_OFF_ITEM, RewardType.FIXED_OFF_ALL):
        data["amount"] = Money(draw(_AMOUNTS_OFF), parts.currency)
    elif kind is RewardType.OVERRIDE_PRICE:
        data["override_price"] = Money(draw(_BUNDLE_PRICES), parts.currency)
    elif not bundle:  # free_item outside a bundle names what it gives
        if parts.free_variants is not None and draw(_BOOLEANS):
            data["free_variant_id"] = draw(parts.free_variants)
        else:
            data["free_product_id"] = draw(parts.free_products)
    if bundle:
        data["buy_quantity"] = draw(_BUY_QUANTITIES)
        data["unit_selection"] = draw(_UNIT_SELECTIONS)
    if bundle or kind is RewardType.FREE_ITEM:
        data["reward_quantity"] = draw(_REWARD_QUANTITIES)
    if needs_items or draw(_BOOLEANS):
        data["applies_to"] = draw(parts.item_filters)
    return Reward.model_validate(data)


@st.composite
def _reward(
    draw: st.DrawFn, scope: PromotionScope, needs_items: bool, parts: _RewardParts
) -> Reward:
    return _draw_reward(draw, scope, needs_items, parts)


def promotion_rewards(
    *,
    scope: PromotionScope | str,
    needs_items: bool = False,
    currency: str | Currency = "USD",
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
) -> st.SearchStrategy[Reward]:
    """Rewards a promotion of ``scope`` may give, of every kind that scope allows.

    Line and cart scopes draw per cent or fixed amounts off the items or the whole
    cart, or free items (a product of ``products``, a variant of ``variants`` or
    a ``gift`` no cart sells); the bundle scope draws per cent or fixed amounts
    off items, free items and fixed bundle prices, with buy 0 to 3, get 1 to 3
    and cheapest or most expensive units first. Per cents run from 0.01 to 100;
    amounts off from 1 to 20,000 minor units; caps (``max_discount``, half the
    time) from 1 to 30,000; bundle prices from 0 to 50,000. Half the rewards
    (every one, with ``needs_items``) land on an :func:`item_filters` value.

    Args:
        scope: The scope of the promotion the rewards are for.
        needs_items: Always set ``applies_to``: a bundle-scope promotion needs it
            when its type is ``bundle`` or it has no ``item_filter``.
        currency: The currency of every amount.
        products: Product ids for free items and ``applies_to``.
        variants: Variant ids for free items and ``applies_to``.
        categories: Category ids for ``applies_to``.
        collections: Collection ids for ``applies_to``.

    Raises:
        InvalidValueError: An unknown scope or currency, or an empty or over-long id.
    """
    (chosen,) = _members(PromotionScope, [scope], field="scope")
    parts = _reward_parts(
        get_currency(currency, field="currency"),
        _pools(products, variants, categories, collections),
    )
    return _reward(chosen, needs_items, parts)


_MIN_AMOUNTS = st.integers(min_value=0, max_value=200_000)
_MIN_QUANTITIES = st.integers(min_value=1, max_value=8)
_DAYS = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)


@dataclass(frozen=True, slots=True, eq=False)
class _ConditionParts:
    """What the fields of a condition are drawn from."""

    types: st.SearchStrategy[ConditionType]
    currency: Currency
    ids: Mapping[ConditionType, st.SearchStrategy[frozenset[str]]]
    windows: st.SearchStrategy[TimeOfDayWindow]


def _condition_parts(
    condition_types: Sequence[ConditionType | str],
    currency: Currency,
    pools: _Pools,
    tiers: tuple[str, ...],
) -> _ConditionParts:
    kinds = _members(ConditionType, condition_types, field="condition_types")
    pools_by_type = {
        ConditionType.PRODUCT_IN_CART: ("products", pools.products),
        ConditionType.CATEGORY_IN_CART: ("categories", pools.categories),
        ConditionType.COLLECTION_IN_CART: ("collections", pools.collections),
        ConditionType.CUSTOMER_TIER: ("tiers", tiers),
    }
    ids: dict[ConditionType, st.SearchStrategy[frozenset[str]]] = {}
    for kind in kinds:
        if kind in pools_by_type:
            name, pool = pools_by_type[kind]
            if not pool:
                raise InvalidValueError(
                    field=name, value=[], reason=f"a {kind.value} condition needs at least one id"
                )
            ids[kind] = _one_or_two(pool)
    return _ConditionParts(
        types=st.sampled_from(kinds),
        currency=currency,
        ids=ids,
        windows=time_of_day_windows(),
    )


def _draw_condition(draw: st.DrawFn, parts: _ConditionParts) -> Condition:
    kind = draw(parts.types)
    data: dict[str, Any] = {"type": kind}
    if kind is ConditionType.MIN_AMOUNT:
        data["amount"] = Money(draw(_MIN_AMOUNTS), parts.currency)
    elif kind is ConditionType.MIN_QUANTITY:
        data["quantity"] = draw(_MIN_QUANTITIES)
    elif kind is ConditionType.DAYS_OF_WEEK:
        data["days"] = draw(_DAYS)
    elif kind is ConditionType.TIME_OF_DAY:
        data["window"] = draw(parts.windows)
    else:
        data["ids"] = draw(parts.ids[kind])
    return Condition.model_validate(data)


@st.composite
def _condition(draw: st.DrawFn, parts: _ConditionParts) -> Condition:
    return _draw_condition(draw, parts)


def promotion_conditions(
    *,
    condition_types: Sequence[ConditionType | str] = _CONDITION_TYPES,
    currency: str | Currency = "USD",
    products: Sequence[str] = _PRODUCTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
    tiers: Sequence[str] = _TIERS,
) -> st.SearchStrategy[Condition]:
    """Promotion conditions of the given types.

    A minimum cart amount of 0 to 200,000 minor units, a minimum of 1 to 8 units,
    one or two products, categories or collections that must be in the cart, one
    or two customer tiers, some days of the week, and (only when listed in
    ``condition_types``) a time of day.

    Args:
        condition_types: The types to draw; repeats weigh the draw. Every type
            but ``time_of_day`` by default.
        currency: The currency of minimum amounts.
        products: Product ids for ``product_in_cart``.
        categories: Category ids for ``category_in_cart``.
        collections: Collection ids for ``collection_in_cart``.
        tiers: Customer tiers for ``customer_tier``.

    Raises:
        InvalidValueError: An unknown type or currency, an empty or over-long id,
            or an empty pool that a listed type needs.
    """
    parts = _condition_parts(
        condition_types,
        get_currency(currency, field="currency"),
        _pools(products, (), categories, collections),
        _ids(tiers, field="tiers"),
    )
    return _condition(parts)


# -- promotions -----------------------------------------------------------------------------

_PRIORITIES = st.integers(min_value=-2, max_value=2)
_REWARD_COUNTS = st.integers(min_value=1, max_value=2)
_EVERYWHERE = st.sampled_from([True] * 4 + [False] * 2)
_MAX_USES = st.sampled_from([None] * 5 + [0, 10])


@dataclass(frozen=True, slots=True, eq=False)
class _PromotionParts:
    """What the fields of a promotion are drawn from."""

    business_id: str
    currency: Currency
    statuses: st.SearchStrategy[PromotionStatus]
    types: st.SearchStrategy[PromotionType]
    scopes: st.SearchStrategy[PromotionScope]
    item_filters: st.SearchStrategy[ItemFilter | None]
    channels: st.SearchStrategy[Channel | None]
    locations: st.SearchStrategy[frozenset[str]] | None
    conditions: st.SearchStrategy[list[Condition]]
    rewards: _RewardParts


def _promotion_parts(
    *,
    business_id: str,
    currency: str | Currency,
    statuses: Sequence[PromotionStatus | str],
    types: Sequence[PromotionType | str],
    scopes: Sequence[PromotionScope | str],
    products: Sequence[str],
    variants: Sequence[str],
    categories: Sequence[str],
    collections: Sequence[str],
    locations: Sequence[str],
    channels: Sequence[Channel | str],
    condition_types: Sequence[ConditionType | str],
    tiers: Sequence[str],
) -> _PromotionParts:
    cur = get_currency(currency, field="currency")
    pools = _pools(products, variants, categories, collections)
    location_pool = _ids(locations, field="locations")
    channel_pool = (
        _members(Channel, channels, field="channels", refused=[Channel.ANY]) if channels else ()
    )
    conditions: st.SearchStrategy[list[Condition]] = st.just([])
    if condition_types:
        condition_parts = _condition_parts(condition_types, cur, pools, _ids(tiers, field="tiers"))
        conditions = st.lists(_condition(condition_parts), max_size=2)
    return _PromotionParts(
        business_id=_ids([business_id], field="business_id")[0],
        currency=cur,
        statuses=st.sampled_from(_members(PromotionStatus, statuses, field="statuses")),
        types=st.sampled_from(_members(PromotionType, types, field="types")),
        scopes=st.sampled_from(_members(PromotionScope, scopes, field="scopes")),
        item_filters=st.none() | _item_filters(pools),
        channels=st.sampled_from([None] * 4 + [*channel_pool]),
        locations=_one_or_two(location_pool) if location_pool else None,
        conditions=conditions,
        rewards=_reward_parts(cur, pools),
    )


def _draw_promotion(draw: st.DrawFn, promotion_id: str, parts: _PromotionParts) -> Promotion:
    scope = draw(parts.scopes)
    kind = draw(parts.types)
    item_filter = draw(parts.item_filters)
    needs_reward_items = scope is PromotionScope.BUNDLE and (
        kind is PromotionType.BUNDLE or item_filter is None
    )
    count = draw(_REWARD_COUNTS)
    location_ids = frozenset[str]()
    if parts.locations is not None and not draw(_EVERYWHERE):
        location_ids = draw(parts.locations)
    return Promotion(
        id=promotion_id,
        business_id=parts.business_id,
        name=f"promotion {promotion_id}",
        type=kind,
        scope=scope,
        currency=parts.currency.code,
        status=draw(parts.statuses),
        priority=draw(_PRIORITIES),
        stackable=draw(_BOOLEANS),
        channel=draw(parts.channels),
        location_ids=location_ids,
        max_uses=draw(_MAX_USES),
        item_filter=item_filter,
        conditions=tuple(draw(parts.conditions)),
        rewards=tuple(
            _draw_reward(draw, scope, needs_reward_items, parts.rewards) for _ in range(count)
        ),
    )


@st.composite
def _promotion(draw: st.DrawFn, promotion_id: str | None, parts: _PromotionParts) -> Promotion:
    chosen_id = f"promo-{draw(_NUMBERS)}" if promotion_id is None else promotion_id
    return _draw_promotion(draw, chosen_id, parts)


@st.composite
def _promotion_list(
    draw: st.DrawFn, sizes: st.SearchStrategy[int], parts: _PromotionParts
) -> list[Promotion]:
    return [_draw_promotion(draw, f"promo-{n}", parts) for n in range(draw(sizes))]


def promotions(
    *,
    promotion_id: str | None = None,
    business_id: str = "biz",
    currency: str | Currency = "USD",
    statuses: Sequence[PromotionStatus | str] = ("active",),
    types: Sequence[PromotionType | str] = tuple(PromotionType),
    scopes: Sequence[PromotionScope | str] = tuple(PromotionScope),
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
    locations: Sequence[str] = _LOCATIONS,
    channels: Sequence[Channel | str] = _CHANNELS,
    condition_types: Sequence[ConditionType | str] = _CONDITION_TYPES,
    tiers: Sequence[str] = _TIERS,
) -> st.SearchStrategy[Promotion]:
    """Valid promotions of any type and scope, with rewards that scope allows.

    Each promotion has an optional :func:`item_filters` value, up to two
    :func:`promotion_conditions`, one or two :func:`promotion_rewards` (bundle
    promotions of type ``bundle``, or without an item filter, name their reward
    items), a priority from -2 to 2, and is stackable or not. Two in three run
    on every channel, the others on one of ``channels``; independently, two in
    three run at every location, the others at one or two of ``locations``.
    Most have no usage limit; some a limit of 10, some of 0 (used up). Validity
    windows are left open.

    Args:
        promotion_id: The promotion's id; drawn (``promo-0`` to ``promo-99``) if ``None``.
        business_id: The business every promotion belongs to.
        currency: The promotion's currency, and that of every amount in it.
        statuses: The statuses to draw; repeats weigh the draw, e.g.
            ``("active", "active", "draft")``.
        types: The promotion types to draw.
        scopes: The scopes to draw.
        products: Product ids for filters, conditions and free items.
        variants: Variant ids for filters and free items.
        categories: Category ids for filters and conditions.
        collections: Collection ids for filters and conditions.
        locations: Location ids the promotions may be limited to; none means
            they run everywhere.
        channels: The channels a promotion may be limited to; none means every
            channel.
        condition_types: The condition types to draw (see
            :func:`promotion_conditions`); none means no conditions.
        tiers: Customer tiers for ``customer_tier`` conditions.

    Raises:
        InvalidValueError: An unknown currency, status, type, scope, channel or
            condition type, an empty list of statuses, types or scopes, or an
            empty or over-long id.
    """
    if promotion_id is not None:
        _ids([promotion_id], field="promotion_id")
    parts = _promotion_parts(
        business_id=business_id,
        currency=currency,
        statuses=statuses,
        types=types,
        scopes=scopes,
        products=products,
        variants=variants,
        categories=categories,
        collections=collections,
        locations=locations,
        channels=channels,
        condition_types=condition_types,
        tiers=tiers,
    )
    return _promotion(promotion_id, parts)


def promotion_lists(
    *,
    min_size: int = 0,
    max_size: int = 6,
    business_id: str = "biz",
    currency: str | Currency = "USD",
    statuses: Sequence[PromotionStatus | str] = ("active",),
    types: Sequence[PromotionType | str] = tuple(PromotionType),
    scopes: Sequence[PromotionScope | str] = tuple(PromotionScope),
    products: Sequence[str] = _PRODUCTS,
    variants: Sequence[str] = _VARIANTS,
    categories: Sequence[str] = _CATEGORIES,
    collections: Sequence[str] = _COLLECTIONS,
    locations: Sequence[str] = _LOCATIONS,
    channels: Sequence[Channel | str] = _CHANNELS,
    condition_types: Sequence[ConditionType | str] = _CONDITION_TYPES,
    tiers: Sequence[str] = _TIERS,
) -> st.SearchStrategy[list[Promotion]]:
    """Lists of :func:`promotions` with distinct ids ``promo-0``, ``promo-1``, ...

    Args:
        min_size: At least this many promotions.
        max_size: At most this many promotions.
        business_id: The business every promotion belongs to.
        currency: The promotions' currency.
        statuses: The statuses to draw; repeats weigh the draw.
        types: The promotion types to draw.
        scopes: The scopes to draw.
        products: Product ids for filters, conditions and free items.
        variants: Variant ids for filters and free items.
        categories: Category ids for filters and conditions.
        collections: Collection ids for filters and conditions.
        locations: Location ids the promotions may be limited to.
        channels: The channels a promotion may be limited to.
        condition_types: The condition types to draw; none means no conditions.
        tiers: Customer tiers for ``customer_tier`` conditions.

    Raises:
        InvalidValueError: Sizes out of order or negative, or a bad option of
            :func:`promotions`.
    """
    _sizes(min_size, max_size)
    parts = _promotion_parts(
        business_id=business_id,
        currency=currency,
        statuses=statuses,
        types=types,
        scopes=scopes,
        products=products,
        variants=variants,
        categories=categories,
        collections=collections,
        locations=locations,
        channels=channels,
        condition_types=condition_types,
        tiers=tiers,
    )
    return _promotion_list(st.integers(min_value=min_size, max_value=max_size), parts)


# -- evaluation contexts --------------------------------------------------------------------


def evaluation_contexts(
    *,
    business_id: str = "biz",
    locations: Sequence[str] = _LOCATIONS,
    channels: Sequence[Channel | str] = _CHANNELS,
    customers: Sequence[str] = _CUSTOMERS,
    tiers: Sequence[str] = _TIERS,
    min_at: datetime = _MIN_AT,
    max_at: datetime = _MAX_AT,
    timezones: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[EvaluationContext]:
    """Where, when and for whom a cart is evaluated.

    The location is one of ``locations`` or none; the channel one of
    ``channels``; the customer one of ``customers`` or anonymous, with one of
    ``tiers`` or none; the instant between ``min_at`` and ``max_at``; the time
    zone a real IANA zone. No customer has used a promotion yet
    (``customer_uses`` is empty).

    Args:
        business_id: The business.
        locations: Location ids; none means sales without a location.
        channels: Concrete channels (not ``any``); at least one.
        customers: Customer ids; none means anonymous sales.
        tiers: Customer tiers; none means customers without a tier.
        min_at: The earliest instant of a sale, timezone-aware.
        max_at: The latest instant of a sale, timezone-aware.
        timezones: IANA names for the location's time zone;
            :func:`~pricekit.testing.strategies.time_zones` by default.

    Raises:
        InvalidValueError: An empty or over-long id, no channel, the channel
            ``any``, or a naive bound.
    """
    channel_pool = _members(Channel, channels, field="channels", refused=[Channel.ANY])
    return st.builds(
        EvaluationContext,
        business_id=st.just(_ids([business_id], field="business_id")[0]),
        location_id=_none_or(_ids(locations, field="locations")),
        channel=st.sampled_from(channel_pool),
        customer_id=_none_or(_ids(customers, field="customers")),
        customer_tier=_none_or(_ids(tiers, field="tiers")),
        at=aware_datetimes(min_value=min_at, max_value=max_at),
        time_zone=time_zones() if timezones is None else timezones,
    )
