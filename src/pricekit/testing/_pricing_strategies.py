"""Hypothesis strategies for :mod:`pricekit.pricing`, re-exported by the strategies module.

The data is small and dense on purpose: a few item ids, two locations, priorities
and creation stamps with ties, tiers that do and do not line up with the cache's
quantity buckets, and validity windows whose edges sit on the instants queries are
drawn at, so every rule and tie-break of resolution is exercised often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from pricekit.money import Money
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
    PriceQuery,
)

__all__ = [
    "PRICING_INSTANT",
    "PriceListsData",
    "price_lists_data",
    "price_queries",
]

PRICING_INSTANT = datetime(2024, 6, 1, 12, tzinfo=UTC)
"""The instant generated validity windows and query instants cluster around."""

_BUSINESS = "biz-1"
_ITEM_IDS = ("sku-1", "sku-2", "sku-3")
_LOCATIONS = ("loc-a", "loc-b")
_CHANNELS = tuple(c for c in Channel if c is not Channel.ANY)
_OFFSETS = tuple(timedelta(hours=h) for h in (-48, -24, -1, 0, 1, 24, 48))
_TIERS = tuple(Decimal(t) for t in ("1", "2", "2.5", "3", "5", "10", "12", "0.5", "0.25", "100"))
_ITEM_TIERS = _TIERS[:1] * 4 + _TIERS
_PRIORITIES = (0, 100, 100, 500, 1000)


@dataclass(frozen=True, slots=True)
class PriceListsData:
    """One business's price lists, items and scopes, consistent with each other.

    Attributes:
        business_id: The business every list belongs to.
        lists: The price lists.
        items: Their items, each priced in its list's currency.
        scopes: Their scopes; some lists have none.
        item_ids: The item ids the items price (queries draw from these).
        currencies: The currencies the lists use, most used first.
    """

    business_id: str
    lists: tuple[PriceList, ...]
    items: tuple[PriceListItem, ...]
    scopes: tuple[PriceListScope, ...]
    item_ids: tuple[str, ...]
    currencies: tuple[str, ...]


def _instants() -> st.SearchStrategy[datetime]:
    return st.sampled_from(_OFFSETS).map(lambda offset: PRICING_INSTANT + offset)


@st.composite
def _window(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    start = draw(st.none() | _instants())
    end = draw(st.none() | _instants())
    if start is not None and end is not None:
        if start == end:
            return None, None
        start, end = min(start, end), max(start, end)
    return start, end


def _maybe_window(windowed: bool) -> st.SearchStrategy[tuple[datetime | None, datetime | None]]:
    return _window() if windowed else st.just((None, None))


def _created() -> st.SearchStrategy[datetime | None]:
    stamps = [PRICING_INSTANT - timedelta(days=d) for d in (1, 2, 3)]
    return st.none() | st.sampled_from(stamps)


@st.composite
def price_lists_data(
    draw: st.DrawFn,
    *,
    min_lists: int = 1,
    max_lists: int = 6,
    max_items_per_list: int = 6,
    max_scopes_per_list: int = 3,
    currencies: tuple[str, ...] = ("USD", "EUR"),
) -> PriceListsData:
    """Price lists, items and scopes of one business, shaped to exercise resolution.

    Lists have random channels (``any`` often), priorities with ties, validity
    windows around :data:`PRICING_INSTANT` (some excluding it), and 0 to
    ``max_scopes_per_list`` scopes for ``loc-a``, ``loc-b`` or everywhere; some lists
    and items are inactive. Items price a few item ids (mostly products) at tiers
    such as 1, 2.5, 3 and 12, with ties on priority and creation time. Lists use
    the first currency mostly and the second now and then.

    Args:
        draw: Supplied by Hypothesis; callers do not pass it.
        min_lists: At least this many lists.
        max_lists: At most this many lists.
        max_items_per_list: At most this many items in a list.
        max_scopes_per_list: At most this many scopes of a list.
        currencies: The main currency, then others drawn occasionally.
    """
    count = draw(st.integers(min_value=min_lists, max_value=max_lists))
    lists: list[PriceList] = []
    items: list[PriceListItem] = []
    scopes: list[PriceListScope] = []
    # One in ten; a middle value, since Hypothesis draws the ends of a range often.
    mostly = st.integers(min_value=0, max_value=9).map(lambda n: n != 5)
    for index in range(count):
        list_id = f"pl-{index}"
        currency = currencies[0]
        if len(currencies) > 1 and not draw(mostly):
            currency = draw(st.sampled_from(currencies[1:]))
        valid_from, valid_to = draw(st.sampled_from([False, True]).flatmap(_maybe_window))
        lists.append(
            PriceList(
                id=list_id,
                business_id=_BUSINESS,
                name=f"list {index}",
                kind=draw(st.sampled_from(PriceListKind)),
                channel=draw(st.sampled_from([Channel.ANY] * 5 + [*_CHANNELS[:3]])),
                priority=draw(st.sampled_from(_PRIORITIES)),
                currency=currency,
                valid_from=valid_from,
                valid_to=valid_to,
                is_active=draw(mostly),
                created_at=draw(_created()),
            )
        )
        for number in range(draw(st.integers(min_value=0, max_value=max_items_per_list))):
            valid_from, valid_to = draw(
                st.sampled_from([False, False, True]).flatmap(_maybe_window)
            )
            items.append(
                PriceListItem(
                    id=f"{list_id}-i{number}",
                    price_list_id=list_id,
                    item_type=draw(st.sampled_from([ItemType.PRODUCT] * 6 + [ItemType.SERVICE])),
                    item_id=draw(st.sampled_from(_ITEM_IDS)),
                    price=Money(draw(st.integers(min_value=0, max_value=5_000)), currency),
                    min_qty=draw(st.sampled_from(_ITEM_TIERS)),
                    priority=draw(st.sampled_from(_PRIORITIES)),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    is_active=draw(mostly),
                    created_at=draw(_created()),
                )
            )
        for number in range(draw(st.integers(min_value=0, max_value=max_scopes_per_list))):
            scopes.append(
                PriceListScope(
                    id=f"{list_id}-s{number}",
                    price_list_id=list_id,
                    location_id=draw(st.none() | st.sampled_from(_LOCATIONS)),
                    channel=draw(st.sampled_from([None, None, None, *_CHANNELS[:3]])),
                )
            )
    used = [c for c in currencies if any(pl.currency == c for pl in lists)]
    return PriceListsData(
        business_id=_BUSINESS,
        lists=tuple(lists),
        items=tuple(items),
        scopes=tuple(scopes),
        item_ids=_ITEM_IDS,
        currencies=tuple(used),
    )


def _quantities(tiers: tuple[Decimal, ...]) -> st.SearchStrategy[Decimal | int]:
    step = Decimal("0.001")
    near = [t + d for t in tiers for d in (-step, Decimal(0), step) if t + d > 0]
    return st.one_of(
        st.integers(min_value=1, max_value=15),
        st.integers(min_value=1, max_value=2_000),
        st.decimals(
            min_value=step,
            max_value=Decimal(2_000),
            places=3,
            allow_nan=False,
            allow_infinity=False,
        ),
        st.sampled_from(near),
    )


@st.composite
def price_queries(
    draw: st.DrawFn,
    data: PriceListsData | None = None,
    *,
    currency: str | None = None,
) -> PriceQuery:
    """Resolution queries for the items of ``data``.

    The location is ``loc-a``, ``loc-b``, another one or none; the channel any
    concrete one; the quantity an int, a Decimal from 0.001 to 2000, or one exactly
    on (or 0.001 either side of) a tier; the instant on or just beside an edge of
    the generated validity windows.

    Args:
        draw: Supplied by Hypothesis; callers do not pass it.
        data: The lists to query; :func:`price_lists_data` draws some if ``None``.
        currency: The query's currency; one of the lists' currencies if ``None``.
    """
    if data is None:
        data = draw(price_lists_data())
    if currency is None:
        pool = data.currencies or ("USD",)
        currency = draw(st.sampled_from(pool[:1] * 5 + pool))
    nudges = [timedelta(0), timedelta(0), timedelta(microseconds=-1), timedelta(minutes=30)]
    at = draw(_instants()) + draw(st.sampled_from(nudges))
    return PriceQuery(
        business_id=data.business_id,
        location_id=draw(st.none() | st.sampled_from([*_LOCATIONS, "loc-z"])),
        channel=draw(st.sampled_from(_CHANNELS[:2] * 4 + _CHANNELS)),
        item_type=draw(st.sampled_from([ItemType.PRODUCT] * 6 + [ItemType.SERVICE])),
        item_id=draw(st.sampled_from(data.item_ids)),
        quantity=Decimal(draw(_quantities(_TIERS))),
        currency=currency,
        base_price=Money(draw(st.integers(min_value=0, max_value=5_000)), currency),
        at=at,
    )
