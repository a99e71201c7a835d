"""Hypothesis strategies for :mod:`pricekit.deals`, re-exported by the strategies module.

Deals and menu items draw their targeting from the same small pools
(:class:`DealPools`: products ``p1`` to ``p4``, categories ``c1`` to ``c3``,
brands ``b1`` and ``b2``, vendors ``v1`` and ``v2``, weights of 1, 3.5, 7 and 14
grams, tags ``t1`` to ``t3``, inventory tags ``i1`` and ``i2``, pricing tiers
``gold`` and ``silver``), so drawn deals target, exclude and tie on drawn menus
often, and every tier and floor is reached. Validity windows and the instants of
:func:`match_contexts` share one fortnight (:data:`DEALS_FROM` to
:data:`DEALS_TO`), so the date gates both pass and fail. Money is whole minor
units throughout; no float ever becomes an amount.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from pricekit.deals.match import DealPolicy, MatchContext, MenuItem, Preference, StackMode
from pricekit.deals.models import (
    ApplicationMethod,
    Deal,
    DealReward,
    DealSource,
    Dimension,
    Restriction,
    RewardMethod,
    ThresholdType,
    deal_id,
)
from pricekit.errors import InvalidValueError
from pricekit.money import Currency, Money, get_currency, to_decimal
from pricekit.pricing.models import Channel
from pricekit.testing._time_strategies import aware_datetimes, time_zones
from pricekit.time import Weekday

__all__ = [
    "DEALS_FROM",
    "DEALS_TO",
    "DealPools",
    "deal_lists",
    "deal_policies",
    "deal_restrictions",
    "deal_rewards",
    "deals",
    "match_contexts",
    "menu_items",
    "menus",
]

DEALS_FROM = datetime(2026, 1, 1, tzinfo=UTC)
"""The earliest instant of a drawn validity window or match context."""
DEALS_TO = datetime(2026, 1, 15, tzinfo=UTC)
"""The latest instant of a drawn validity window or match context."""

_MAX_ID_LENGTH = 255
_DEFAULT_MAX_MINOR = 10_000


# -- pools ----------------------------------------------------------------------------------


def _checked_ids(values: Sequence[str], *, field: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidValueError(
            field=field, value=values, reason="must be a sequence of ids, not one string"
        )
    pool = tuple(values)
    for value in pool:
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_LENGTH:
            raise InvalidValueError(
                field=field, value=value, reason="ids are strings of 1 to 255 characters"
            )
    if len(set(pool)) != len(pool):
        raise InvalidValueError(field=field, value=list(pool), reason="an id is listed twice")
    return pool


@dataclass(frozen=True, slots=True)
class DealPools:
    """The ids and weights drawn deals target and drawn menu items carry.

    Give the same pools to :func:`deals` (or :func:`deal_lists`) and to
    :func:`menus` (or :func:`menu_items`) so that deals match items. An empty
    pool leaves its dimension out: no deal targets it, no item has it.

    Attributes:
        products: Product ids; at least one (menus are built from them).
        categories: Category ids.
        brands: Brand ids.
        vendors: Vendor ids.
        weights: Weights in grams, each above zero; items weigh these give or
            take up to 0.02 g, across the 0.01 g matching tolerance.
        tags: Product tags.
        inventory_tags: Inventory (batch) tags.
        pricing_tiers: Pricing tiers.

    Raises:
        InvalidValueError: An empty ``products``, an empty, over-long or
            repeated id, or a weight that is not above zero.
    """

    products: tuple[str, ...] = ("p1", "p2", "p3", "p4")
    categories: tuple[str, ...] = ("c1", "c2", "c3")
    brands: tuple[str, ...] = ("b1", "b2")
    vendors: tuple[str, ...] = ("v1", "v2")
    weights: tuple[Decimal, ...] = (Decimal(1), Decimal("3.5"), Decimal(7), Decimal(14))
    tags: tuple[str, ...] = ("t1", "t2", "t3")
    inventory_tags: tuple[str, ...] = ("i1", "i2")
    pricing_tiers: tuple[str, ...] = ("gold", "silver")

    def __post_init__(self) -> None:
        for name in (
            "products",
            "categories",
            "brands",
            "vendors",
            "tags",
            "inventory_tags",
            "pricing_tiers",
        ):
            object.__setattr__(self, name, _checked_ids(getattr(self, name), field=name))
        if not self.products:
            raise InvalidValueError(field="products", value=[], reason="needs at least one id")
        weights = tuple(to_decimal(weight, field="weights") for weight in self.weights)
        for weight in weights:
            if weight <= 0:
                raise InvalidValueError(
                    field="weights", value=str(weight), reason="must be above 0"
                )
        object.__setattr__(self, "weights", weights)

    def ids(self, dimension: Dimension) -> tuple[str, ...]:
        """The ids of ``dimension`` (none for ``weight``: see :attr:`weights`)."""
        return {
            Dimension.PRODUCT: self.products,
            Dimension.CATEGORY: self.categories,
            Dimension.BRAND: self.brands,
            Dimension.VENDOR: self.vendors,
            Dimension.WEIGHT: (),
            Dimension.TAG: self.tags,
            Dimension.INVENTORY_TAG: self.inventory_tags,
            Dimension.PRICING_TIER: self.pricing_tiers,
        }[dimension]

    def dimensions(self) -> tuple[Dimension, ...]:
        """The dimensions with something to target."""
        return tuple(
            d for d in Dimension if (self.weights if d is Dimension.WEIGHT else self.ids(d))
        )


_POOLS = DealPools()


def _checked_max(max_minor: int, *, field: str = "max_minor") -> int:
    if isinstance(max_minor, bool) or not isinstance(max_minor, int) or max_minor < 0:
        raise InvalidValueError(
            field=field, value=max_minor, reason="must be a whole number of minor units >= 0"
        )
    return max_minor


def _sizes(min_size: int, max_size: int) -> None:
    if min_size < 0:
        raise InvalidValueError(field="min_size", value=min_size, reason="must not be negative")
    if max_size < min_size:
        raise InvalidValueError(field="max_size", value=max_size, reason="must be >= min_size")


def _bounds(min_at: datetime, max_at: datetime) -> None:
    for field, value in (("min_at", min_at), ("max_at", max_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidValueError(
                field=field, value=value.isoformat(), reason="must be timezone-aware"
            )
    if max_at <= min_at:
        raise InvalidValueError(
            field="max_at", value=max_at.isoformat(), reason="must be after min_at"
        )


# The strategies below are built once, when a public function is called, and the
# composites only draw from them (building strategies inside a draw would validate
# them anew every time).

_BOOLEANS = st.booleans()
_OFTEN = st.sampled_from([True, True, True, False])
_RARELY = st.sampled_from([False, False, False, True])
_MOSTLY = st.sampled_from([True] * 7 + [False])
_OPEN_SIDES = st.sampled_from([True, True, False])
# Hypothesis leans to False on booleans (its simplest value); stacking is the richer case.
_STACKS = st.sampled_from([True, False])
_NUMBERS = st.integers(min_value=0, max_value=99)
_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=24)
_SHARED_NAMES = ("Happy hour", "  happy   HOUR ", "Weekend flower", "")
_UNMAPPED = "category 'x-99' is not in this store's catalogue"

# -- rewards --------------------------------------------------------------------------------

_METHODS = st.sampled_from(list(RewardMethod))
_PERCENTS = st.one_of(
    st.integers(min_value=1, max_value=100).map(Decimal),
    st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    # Dutchie's fractions (0.333 -> 33.3) and finer ones
    st.decimals(min_value=Decimal("0.001"), max_value=100, places=3),
)
_THRESHOLD_TYPES = st.sampled_from([None, None, None, None, *ThresholdType])
_COUNTS = st.integers(min_value=1, max_value=6).map(Decimal)
_GRAMS = st.decimals(min_value=Decimal("0.5"), max_value=28, places=1)


@dataclass(frozen=True, slots=True, eq=False)
class _RewardParts:
    currency: Currency
    amounts: st.SearchStrategy[int]
    spends: st.SearchStrategy[int]
    offers: st.SearchStrategy[bool]


def _reward_parts(currency: Currency, max_minor: int, *, offers: bool) -> _RewardParts:
    return _RewardParts(
        currency=currency,
        amounts=st.integers(min_value=0, max_value=max_minor),
        spends=st.integers(min_value=1, max_value=max(1, 2 * max_minor)),
        offers=_RARELY if offers else st.just(False),
    )


def _draw_reward(draw: st.DrawFn, parts: _RewardParts) -> DealReward:
    method = draw(_METHODS)
    percent: Decimal | None = None
    amount: Money | None = None
    if method is RewardMethod.PERCENT_OFF:
        percent = draw(_PERCENTS)
    else:
        amount = Money(draw(parts.amounts), parts.currency)
    threshold_type: ThresholdType | None = None
    threshold: Decimal | None = None
    one_item_only = False
    if draw(parts.offers):
        threshold_type = draw(_THRESHOLD_TYPES)
        if threshold_type is ThresholdType.COUNT:
            threshold = draw(_COUNTS)
        elif threshold_type is ThresholdType.SPEND:
            threshold = Decimal(draw(parts.spends)).scaleb(-parts.currency.exponent)
        elif threshold_type is ThresholdType.WEIGHT:
            threshold = draw(_GRAMS)
        one_item_only = threshold_type is None or draw(_RARELY)
    return DealReward(
        method=method,
        percent=percent,
        amount=amount,
        threshold_type=threshold_type,
        threshold=threshold,
        one_item_only=one_item_only,
    )


@st.composite
def _reward(draw: st.DrawFn, parts: _RewardParts) -> DealReward:
    return _draw_reward(draw, parts)


def deal_rewards(
    *, currency: str | Currency = "USD", max_minor: int = _DEFAULT_MAX_MINOR, offers: bool = True
) -> st.SearchStrategy[DealReward]:
    """Deal rewards of every method: percent off, amount off, price to amount.

    Percents are whole (1 to 100), to the hundredth, or to the thousandth (as
    Dutchie's fractions give them), in (0, 100]. Amounts are 0 to ``max_minor``
    minor units. About one in four is an offer: a count, spend or weight
    threshold, or buy-N-get-one (``one_item_only``).

    Args:
        currency: The currency of amounts (and of spend thresholds).
        max_minor: The largest amount, in minor units.
        offers: Whether offers (thresholds, ``one_item_only``) are drawn at all.

    Raises:
        InvalidValueError: An unknown currency or a negative ``max_minor``.
    """
    cur = get_currency(currency, field="currency")
    return _reward(_reward_parts(cur, _checked_max(max_minor), offers=offers))


# -- restrictions ---------------------------------------------------------------------------

_INCLUSION_COUNTS = st.sampled_from([0, 0, 1, 1, 1, 2, 2, 3])
_EXCLUSION_COUNTS = st.sampled_from([0, 0, 0, 0, 1, 1, 2])
_SHUFFLES = {size: st.permutations(range(size)) for size in range(2, 6)}  # up to 3 + 2


@dataclass(frozen=True, slots=True, eq=False)
class _RestrictionParts:
    dimensions: tuple[Dimension, ...]
    orders: st.SearchStrategy[list[Dimension]]
    ids: dict[Dimension, st.SearchStrategy[frozenset[str]]]
    weights: st.SearchStrategy[frozenset[Decimal]] | None


def _restriction_parts(pools: DealPools) -> _RestrictionParts:
    return _RestrictionParts(
        dimensions=pools.dimensions(),
        orders=st.permutations(pools.dimensions()),
        ids={
            d: st.frozensets(st.sampled_from(pools.ids(d)), min_size=1, max_size=2)
            for d in pools.dimensions()
            if d is not Dimension.WEIGHT
        },
        weights=(
            st.frozensets(st.sampled_from(pools.weights), min_size=1, max_size=2)
            if pools.weights
            else None
        ),
    )


def _draw_restriction(
    draw: st.DrawFn, dimension: Dimension, exclude: bool, parts: _RestrictionParts
) -> Restriction:
    if dimension is Dimension.WEIGHT:
        assert parts.weights is not None
        return Restriction(dimension=dimension, weights=draw(parts.weights), exclude=exclude)
    return Restriction(dimension=dimension, ids=draw(parts.ids[dimension]), exclude=exclude)


def _draw_targeting(draw: st.DrawFn, parts: _RestrictionParts) -> tuple[Restriction, ...]:
    if not parts.dimensions:
        return ()
    out: list[Restriction] = []
    for exclude, counts in ((False, _INCLUSION_COUNTS), (True, _EXCLUSION_COUNTS)):
        size = draw(counts)
        if size:
            chosen = draw(parts.orders)[:size]
            out.extend(_draw_restriction(draw, d, exclude, parts) for d in chosen)
    if len(out) < 2:
        return tuple(out)
    return tuple(out[index] for index in draw(_SHUFFLES[len(out)]))


@st.composite
def _restriction(
    draw: st.DrawFn, parts: _RestrictionParts, exclude: st.SearchStrategy[bool]
) -> Restriction:
    dimension = draw(st.sampled_from(parts.dimensions))
    return _draw_restriction(draw, dimension, draw(exclude), parts)


def deal_restrictions(
    *, pools: DealPools = _POOLS, exclude: bool | None = None
) -> st.SearchStrategy[Restriction]:
    """Single restrictions in any dimension with a pool: one or two ids, or weights.

    Args:
        pools: Where ids and weights come from.
        exclude: Only inclusions (``False``), only exclusions (``True``), or
            both (``None``).

    Raises:
        InvalidValueError: Every pool is empty.
    """
    parts = _restriction_parts(pools)
    if not parts.dimensions:
        raise InvalidValueError(field="pools", value=None, reason="every pool is empty")
    return _restriction(parts, _BOOLEANS if exclude is None else st.just(exclude))


# -- deals ----------------------------------------------------------------------------------

_SOURCES = st.sampled_from([DealSource.DUTCHIE, DealSource.DUTCHIE, DealSource.PTL])
_APPLICATION_METHODS = st.sampled_from(
    [ApplicationMethod.AUTOMATIC] * 6 + [ApplicationMethod.CODE, ApplicationMethod.MANUAL]
)
_MENU_RANKS = st.none() | st.integers(min_value=0, max_value=3)
_DAYS = st.frozensets(st.sampled_from(list(Weekday)), min_size=1, max_size=7)
_WALL_TIMES = st.one_of(
    st.builds(time, st.integers(min_value=0, max_value=23), st.sampled_from([0, 15, 30, 45])),
    st.times(),
)
_NAME_KINDS = st.sampled_from(["plain", "plain", "plain", "shared", "text"])


@dataclass(frozen=True, slots=True, eq=False)
class _DealParts:
    location_id: str
    currency: Currency
    rewards: _RewardParts
    targeting: _RestrictionParts
    instants: st.SearchStrategy[datetime]
    zones: st.SearchStrategy[str]
    sources: st.SearchStrategy[DealSource]
    always_live: bool


def _deal_parts(
    *,
    location_id: str,
    currency: str | Currency,
    pools: DealPools,
    max_minor: int,
    offers: bool,
    always_live: bool,
    sources: Sequence[DealSource | str] | None,
    min_at: datetime,
    max_at: datetime,
) -> _DealParts:
    _checked_ids([location_id], field="location_id")
    _bounds(min_at, max_at)
    cur = get_currency(currency, field="currency")
    source_pool: st.SearchStrategy[DealSource] = _SOURCES
    if sources is not None:
        if isinstance(sources, str) or not sources:
            raise InvalidValueError(
                field="sources", value=sources, reason="a sequence of one or more sources"
            )
        try:
            source_pool = st.sampled_from([DealSource(source) for source in sources])
        except ValueError:
            raise InvalidValueError(
                field="sources", value=list(sources), reason="sources are 'dutchie' or 'ptl'"
            ) from None
    return _DealParts(
        location_id=location_id,
        currency=cur,
        rewards=_reward_parts(cur, _checked_max(max_minor), offers=offers),
        targeting=_restriction_parts(pools),
        instants=aware_datetimes(min_value=min_at, max_value=max_at),
        zones=time_zones(),
        sources=source_pool,
        always_live=always_live,
    )


def _draw_name(draw: st.DrawFn, discount_id: str) -> str:
    kind = draw(_NAME_KINDS)
    if kind == "shared":  # names same_deal compares, with case and spacing apart
        return draw(st.sampled_from(_SHARED_NAMES))
    if kind == "text":
        return draw(_TEXT)
    return f"Deal {discount_id}"


def _draw_validity(
    draw: st.DrawFn, instants: st.SearchStrategy[datetime]
) -> tuple[datetime | None, datetime | None]:
    start = None if draw(_OPEN_SIDES) else draw(instants)
    end = None if draw(_OPEN_SIDES) else draw(instants)
    if start is not None and end is not None:
        start, end = min(start, end), max(start, end)
        if start == end:
            end = start + timedelta(hours=1)
    return start, end


def _draw_hours(draw: st.DrawFn) -> tuple[time | None, time | None]:
    if not draw(_RARELY):
        return None, None
    start = draw(_WALL_TIMES)
    end = draw(_WALL_TIMES)
    if start == end:  # a window must not be empty: an hour later (or across midnight)
        end = end.replace(hour=(end.hour + 1) % 24)
    return start, end


def _draw_deal(draw: st.DrawFn, discount_id: str, parts: _DealParts) -> Deal:
    source = draw(parts.sources)
    reward = _draw_reward(draw, parts.rewards)
    gated: dict[str, Any] = {}
    if not parts.always_live:
        valid_from, valid_to = _draw_validity(draw, parts.instants)
        start_time, end_time = _draw_hours(draw)
        gated = {
            "application_method": draw(_APPLICATION_METHODS),
            "enabled": draw(_MOSTLY),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "days": draw(_DAYS) if draw(_RARELY) else frozenset(),
            "start_time": start_time,
            "end_time": end_time,
            "first_time_customer_only": draw(_RARELY),
            "available_online": draw(_OFTEN),
        }
    return Deal(
        id=deal_id(parts.location_id, discount_id, source),
        discount_id=discount_id,
        location_id=parts.location_id,
        source=source,
        name=_draw_name(draw, discount_id),
        description=draw(_TEXT) if draw(_RARELY) else "",
        online_name=draw(_TEXT) if draw(_RARELY) else None,
        menu_rank=draw(_MENU_RANKS),
        time_zone=draw(parts.zones),
        can_stack=draw(_STACKS),
        reward=reward,
        restrictions=_draw_targeting(draw, parts.targeting),
        unmapped=(_UNMAPPED,) if draw(_RARELY) and draw(_RARELY) else (),
        currency=parts.currency.code,
        **gated,
    )


@st.composite
def _deal(draw: st.DrawFn, discount_id: str | None, parts: _DealParts) -> Deal:
    return _draw_deal(draw, f"d{draw(_NUMBERS)}" if discount_id is None else discount_id, parts)


@st.composite
def _deal_list(draw: st.DrawFn, sizes: st.SearchStrategy[int], parts: _DealParts) -> list[Deal]:
    return [_draw_deal(draw, f"d{n}", parts) for n in range(draw(sizes))]


def deals(
    *,
    location_id: str = "loc-1",
    currency: str | Currency = "USD",
    discount_id: str | None = None,
    pools: DealPools = _POOLS,
    max_minor: int = _DEFAULT_MAX_MINOR,
    offers: bool = True,
    always_live: bool = False,
    sources: Sequence[DealSource | str] | None = None,
    min_at: datetime = DEALS_FROM,
    max_at: datetime = DEALS_TO,
) -> st.SearchStrategy[Deal]:
    """Valid deals of one location, with every field drawn.

    Each deal has a :func:`deal_rewards` reward (about one in four an offer);
    up to three inclusions and two exclusions in distinct dimensions of
    ``pools`` (a quarter declare none: store-wide), in any order; a name that
    is ``Deal {discount_id}``, one of a few shared names differing in case and
    spacing, or arbitrary text; a menu rank of 0 to 3 or none. Each side of the
    validity window is open or an instant between ``min_at`` and ``max_at`` in
    a drawn time zone; the store's time zone is a real IANA zone; some deals run
    on some days only, some during a time window (some across midnight). Most
    are automatic, enabled, online and for every customer; some are not, some
    can stack, a few are held back (``unmapped``). The id is the seed's
    composite id for the drawn source (:func:`~pricekit.deals.models.deal_id`).

    Args:
        location_id: The location of every deal.
        currency: The deal's currency, and that of its amounts.
        discount_id: The discount id; drawn (``d0`` to ``d99``) if ``None``.
        pools: Where targeted ids and weights come from.
        max_minor: The largest reward amount, in minor units.
        offers: Whether offers (thresholds, buy-N-get-one) are drawn at all.
        always_live: Draw only deals that no gate refuses in a context at their
            location: enabled, automatic, online, for every customer, every
            day, all day, with no validity window. For tests of pricing rather
            than of gating; targeting (and holding back) is drawn as ever.
        sources: The sources to draw (repeats weigh the draw); two Dutchie deals
            to one PTL deal by default.
        min_at: The earliest validity bound, timezone-aware.
        max_at: The latest validity bound, timezone-aware.

    Raises:
        InvalidValueError: An unknown currency or source, an empty or over-long
            id, a negative ``max_minor``, or bounds naive or out of order.
    """
    if discount_id is not None:
        _checked_ids([discount_id], field="discount_id")
    parts = _deal_parts(
        location_id=location_id,
        currency=currency,
        pools=pools,
        max_minor=max_minor,
        offers=offers,
        always_live=always_live,
        sources=sources,
        min_at=min_at,
        max_at=max_at,
    )
    return _deal(discount_id, parts)


def deal_lists(
    *,
    min_size: int = 0,
    max_size: int = 8,
    location_id: str = "loc-1",
    currency: str | Currency = "USD",
    pools: DealPools = _POOLS,
    max_minor: int = _DEFAULT_MAX_MINOR,
    offers: bool = True,
    always_live: bool = False,
    sources: Sequence[DealSource | str] | None = None,
    min_at: datetime = DEALS_FROM,
    max_at: datetime = DEALS_TO,
) -> st.SearchStrategy[list[Deal]]:
    """Lists of :func:`deals` of one location with distinct discount ids ``d0``, ``d1``, ...

    Ids are therefore distinct too, and a list can be cached
    (:meth:`~pricekit.deals.ports.DealCache.replace`) or merged as a PTL
    publication as it is.

    Args:
        min_size: At least this many deals.
        max_size: At most this many deals.
        location_id: The location of every deal.
        currency: The deals' currency.
        pools: Where targeted ids and weights come from.
        max_minor: The largest reward amount, in minor units.
        offers: Whether offers are drawn at all.
        always_live: Draw only deals no gate refuses; see :func:`deals`.
        sources: The sources to draw; see :func:`deals`.
        min_at: The earliest validity bound, timezone-aware.
        max_at: The latest validity bound, timezone-aware.

    Raises:
        InvalidValueError: Sizes out of order or negative, or a bad option of
            :func:`deals`.
    """
    _sizes(min_size, max_size)
    parts = _deal_parts(
        location_id=location_id,
        currency=currency,
        pools=pools,
        max_minor=max_minor,
        offers=offers,
        always_live=always_live,
        sources=sources,
        min_at=min_at,
        max_at=max_at,
    )
    return _deal_list(st.integers(min_value=min_size, max_value=max_size), parts)


# -- menu items -----------------------------------------------------------------------------

_COST_PERCENTS = st.integers(min_value=0, max_value=120)
_WEIGHT_OFFSETS = st.sampled_from(
    [Decimal(0), Decimal(0), Decimal("0.005"), Decimal("-0.01"), Decimal("0.01"), Decimal("0.02")]
)


def _mostly_one_of(pool: Sequence[str]) -> st.SearchStrategy[str | None]:
    """One of ``pool``, or (one time in four for a pool of one) none."""
    return st.sampled_from([None, *pool, *pool, *pool]) if pool else st.none()


def _up_to(pool: Sequence[str], size: int) -> st.SearchStrategy[frozenset[str]]:
    if not pool:
        return st.just(frozenset[str]())
    return st.frozensets(st.sampled_from(pool), max_size=size)


@dataclass(frozen=True, slots=True, eq=False)
class _ItemParts:
    currency: Currency
    pools: DealPools
    products: st.SearchStrategy[list[str]]
    prices: st.SearchStrategy[int]
    categories: st.SearchStrategy[frozenset[str]]
    brands: st.SearchStrategy[str | None]
    vendors: st.SearchStrategy[str | None]
    weights: st.SearchStrategy[Decimal] | None
    tags: st.SearchStrategy[frozenset[str]]
    inventory_tags: st.SearchStrategy[frozenset[str]]
    tiers: st.SearchStrategy[str | None]


def _item_parts(currency: str | Currency, pools: DealPools, max_minor: int) -> _ItemParts:
    return _ItemParts(
        currency=get_currency(currency, field="currency"),
        pools=pools,
        products=st.permutations(pools.products),
        prices=st.one_of(
            st.integers(min_value=0, max_value=_checked_max(max_minor) // 10),
            st.integers(min_value=0, max_value=max_minor),
        ),
        categories=_up_to(pools.categories, 3),
        brands=_mostly_one_of(pools.brands),
        vendors=_mostly_one_of(pools.vendors),
        weights=st.sampled_from(pools.weights) if pools.weights else None,
        tags=_up_to(pools.tags, 2),
        inventory_tags=_up_to(pools.inventory_tags, 2),
        tiers=_mostly_one_of(pools.pricing_tiers),
    )


def _draw_item(draw: st.DrawFn, product_id: str, parts: _ItemParts) -> MenuItem:
    cur = parts.currency
    price = draw(parts.prices)
    # 0 to 120% of the price: sometimes above it, where the cost floor stops at the price.
    cost = Money(price * draw(_COST_PERCENTS) // 100, cur) if draw(_BOOLEANS) else None
    weight: Decimal | None = None
    if parts.weights is not None and draw(_BOOLEANS):
        weight = draw(parts.weights) + draw(_WEIGHT_OFFSETS)
    return MenuItem(
        product_id=product_id,
        price=Money(price, cur),
        category_ids=draw(parts.categories),
        brand_id=draw(parts.brands),
        vendor_id=draw(parts.vendors),
        weight_grams=weight,
        tags=draw(parts.tags),
        inventory_tags=draw(parts.inventory_tags),
        pricing_tier=draw(parts.tiers),
        cost=cost,
    )


@st.composite
def _item(draw: st.DrawFn, product_id: str | None, parts: _ItemParts) -> MenuItem:
    chosen = draw(st.sampled_from(parts.pools.products)) if product_id is None else product_id
    return _draw_item(draw, chosen, parts)


@st.composite
def _menu(draw: st.DrawFn, sizes: st.SearchStrategy[int], parts: _ItemParts) -> list[MenuItem]:
    size = draw(sizes)
    named = draw(parts.products)[:size]
    taken = set(named)
    extra = (f"item-{n}" for n in itertools.count())
    ids = named + list(itertools.islice((i for i in extra if i not in taken), size - len(named)))
    return [_draw_item(draw, product_id, parts) for product_id in ids]


def menu_items(
    *,
    product_id: str | None = None,
    currency: str | Currency = "USD",
    pools: DealPools = _POOLS,
    max_minor: int = _DEFAULT_MAX_MINOR,
) -> st.SearchStrategy[MenuItem]:
    """Menu items carrying ids from ``pools`` in every dimension deals target.

    The price is 0 to ``max_minor`` minor units (half the time at most a tenth
    of it); half have a cost of 0 to 120% of the price (so sometimes above it);
    up to three categories, up to two tags and inventory tags, mostly a brand,
    vendor and pricing tier, and half the time a weight near one of the pool's
    (exactly, or up to 0.02 g off).

    Args:
        product_id: The product id; drawn from ``pools.products`` if ``None``.
        currency: The currency of the price and cost.
        pools: Where the item's ids and weight come from.
        max_minor: The largest price and cost, in minor units.

    Raises:
        InvalidValueError: An unknown currency, an empty or over-long id, or a
            negative ``max_minor``.
    """
    if product_id is not None:
        _checked_ids([product_id], field="product_id")
    return _item(product_id, _item_parts(currency, pools, max_minor))


def menus(
    *,
    min_size: int = 0,
    max_size: int = 8,
    currency: str | Currency = "USD",
    pools: DealPools = _POOLS,
    max_minor: int = _DEFAULT_MAX_MINOR,
) -> st.SearchStrategy[list[MenuItem]]:
    """Menus: lists of :func:`menu_items` with distinct product ids.

    The pool's products come first (as many as fit, in drawn order), then
    ``item-0``, ``item-1``, ... which only store-wide deals and deals on other
    dimensions reach.

    Args:
        min_size: At least this many items.
        max_size: At most this many items.
        currency: The currency of every price and cost.
        pools: Where the items' ids and weights come from.
        max_minor: The largest price and cost, in minor units.

    Raises:
        InvalidValueError: Sizes out of order or negative, an unknown currency
            or a negative ``max_minor``.
    """
    _sizes(min_size, max_size)
    return _menu(
        st.integers(min_value=min_size, max_value=max_size),
        _item_parts(currency, pools, max_minor),
    )


# -- policies and contexts ------------------------------------------------------------------


def deal_policies(
    *, currency: str | Currency = "USD", max_minimum_minor: int = 500
) -> st.SearchStrategy[DealPolicy]:
    """Deal policies: stacking on or off, either stack mode and preference, floors.

    Half keep the price at or above the item's cost; half have a minimum price
    of 0 to ``max_minimum_minor`` minor units.

    Args:
        currency: The currency of the minimum price.
        max_minimum_minor: The largest minimum price, in minor units.

    Raises:
        InvalidValueError: An unknown currency or a negative ``max_minimum_minor``.
    """
    cur = get_currency(currency, field="currency")
    minimums = st.integers(
        min_value=0, max_value=_checked_max(max_minimum_minor, field="max_minimum_minor")
    ).map(lambda minor: Money(minor, cur))
    return st.builds(
        DealPolicy,
        stacking=_STACKS,
        stack_mode=st.sampled_from(list(StackMode)),
        prefer=st.sampled_from(list(Preference)),
        floor_at_cost=_BOOLEANS,
        minimum_price=st.none() | minimums,
    )


def match_contexts(
    *,
    location_id: str = "loc-1",
    min_at: datetime = DEALS_FROM,
    max_at: datetime = DEALS_TO,
) -> st.SearchStrategy[MatchContext]:
    """Where, when and for whom deals are matched.

    Most contexts are at ``location_id`` (a few at another location), at an
    instant between ``min_at`` and ``max_at``, in store or online, for a shelf
    price or the register, for no customer or ``cust-1`` (a first-time one or
    not).

    Args:
        location_id: The location most contexts are at.
        min_at: The earliest instant, timezone-aware.
        max_at: The latest instant, timezone-aware.

    Raises:
        InvalidValueError: An empty or over-long id, or bounds naive or out of order.
    """
    _checked_ids([location_id], field="location_id")
    _bounds(min_at, max_at)
    return st.builds(
        MatchContext,
        location_id=st.sampled_from([location_id] * 9 + [f"{location_id}-other"]),
        at=aware_datetimes(min_value=min_at, max_value=max_at),
        channel=st.sampled_from([Channel.POS, Channel.POS, Channel.ONLINE]),
        shelf=_OFTEN,
        customer_id=st.none() | st.just("cust-1"),
        first_time_customer=_BOOLEANS,
    )
