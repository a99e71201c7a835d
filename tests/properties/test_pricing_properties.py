"""Property tests for price resolution: the book against a plain reference, and the cache.

The reference below is written from the seed's rules, independently of the book:
it scans every item, filters, matches scopes and ranks with explicit comparisons.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.money import Money
from pricekit.pricing import (
    Channel,
    Outcome,
    PriceBook,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.pricing.cache import CachedPriceResolver, InMemoryPriceCache
from pricekit.testing._pricing_strategies import (
    PRICING_INSTANT,
    PriceListsData,
    price_lists_data,
    price_queries,
)

# -- the reference --------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    item: PriceListItem
    price_list: PriceList
    via_location: bool
    via_global: bool


def _within(start: datetime | None, end: datetime | None, at: datetime) -> bool:
    return (start is None or start <= at) and (end is None or at < end)


def _compare(a: _Candidate, b: _Candidate) -> int:
    """Negative when ``a`` ranks above ``b``."""
    for mine, theirs in (
        (a.price_list.priority, b.price_list.priority),
        (a.item.priority, b.item.priority),
        (a.item.min_qty, b.item.min_qty),
    ):
        if mine != theirs:
            return -1 if mine > theirs else 1
    ca, cb = a.item.created_at, b.item.created_at
    if ca != cb:
        if ca is None:
            return 1  # None is the oldest
        if cb is None:
            return -1
        return -1 if ca > cb else 1
    return -1 if a.item.id < b.item.id else (1 if a.item.id > b.item.id else 0)


def _is_candidate(item: PriceListItem, pl: PriceList, query: PriceQuery) -> bool:
    """Every filter before scopes: active, business, item, currency, channel, tier, validity."""
    return (
        pl.is_active
        and item.is_active
        and pl.business_id == query.business_id
        and item.item_type == query.item_type
        and item.item_id == query.item_id
        and pl.currency == query.currency
        and pl.channel in (Channel.ANY, query.channel)
        and query.quantity >= item.min_qty
        and _within(pl.valid_from, pl.valid_to, query.at)
        and _within(item.valid_from, item.valid_to, query.at)
    )


def reference_winner(
    lists: Iterable[PriceList],
    items: Iterable[PriceListItem],
    scopes: Iterable[PriceListScope],
    query: PriceQuery,
) -> _Candidate | None:
    by_id = {pl.id: pl for pl in lists}
    scope_list = list(scopes)
    candidates: list[_Candidate] = []
    for item in items:
        pl = by_id[item.price_list_id]
        if not _is_candidate(item, pl, query):
            continue
        usable = [
            s
            for s in scope_list
            if s.price_list_id == pl.id and (s.channel is None or s.channel == query.channel)
        ]
        via_global = any(s.location_id is None for s in usable)
        via_location = query.location_id is not None and any(
            s.location_id == query.location_id for s in usable
        )
        if via_location or via_global:
            candidates.append(_Candidate(item, pl, via_location, via_global))
    local = [c for c in candidates if c.via_location]
    pool = local or [c for c in candidates if c.via_global]
    if not pool:
        return None
    return sorted(pool, key=functools.cmp_to_key(_compare))[0]


def reference_resolve(
    lists: Iterable[PriceList],
    items: Iterable[PriceListItem],
    scopes: Iterable[PriceListScope],
    query: PriceQuery,
) -> ResolvedPrice:
    winner = reference_winner(lists, items, scopes, query)
    if winner is None:
        return ResolvedPrice(unit_price=query.base_price, source=PriceSource.BASE_PRICE)
    return ResolvedPrice(
        unit_price=winner.item.price,
        source=PriceSource.PRICE_LIST,
        price_list_id=winner.price_list.id,
        price_list_item_id=winner.item.id,
        priority=winner.price_list.priority,
        min_qty=winner.item.min_qty,
    )


def _book(data: PriceListsData) -> PriceBook:
    return PriceBook(lists=data.lists, items=data.items, scopes=data.scopes)


def _queries(
    draw: st.DataObject, data: PriceListsData, *, max_size: int = 8
) -> Sequence[PriceQuery]:
    return draw.draw(st.lists(price_queries(data), min_size=1, max_size=max_size))


_SETTINGS = settings(deadline=None, max_examples=200)

# -- the book against the reference ---------------------------------------------------


@_SETTINGS
@given(price_lists_data(), st.data())
def test_book_resolves_as_the_reference(data: PriceListsData, draw: st.DataObject) -> None:
    book = _book(data)
    for query in _queries(draw, data):
        expected = reference_resolve(data.lists, data.items, data.scopes, query)
        assert book.resolve(query) == expected, query


@_SETTINGS
@given(price_lists_data(), st.data())
def test_explain_gives_the_same_answer_with_one_winner(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    for query in _queries(draw, data):
        plain = book.resolve(query)
        explained = book.resolve(query, explain=True)
        assert explained.trace is not None
        assert dataclasses.replace(explained, trace=None) == plain
        won = [t for t in explained.trace if t.outcome is Outcome.WON]
        if plain.source is PriceSource.PRICE_LIST:
            assert len(won) == 1
            assert won[0].price_list_id == plain.price_list_id
            assert won[0].price_list_item_id == plain.price_list_item_id
        else:
            assert won == []


@_SETTINGS
@given(price_lists_data(), st.data())
def test_price_is_never_negative_and_is_a_list_price_or_the_base(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    prices = {item.price for item in data.items}
    for query in _queries(draw, data):
        result = book.resolve(query)
        assert not result.unit_price.is_negative()
        assert result.unit_price in prices or result.unit_price == query.base_price
        assert result.unit_price.currency.code == query.currency
        if result.source is PriceSource.BASE_PRICE:
            assert result.unit_price == query.base_price
            assert result.price_list_id is None


@_SETTINGS
@given(price_lists_data(), st.data())
def test_resolution_does_not_depend_on_input_order(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    shuffled = PriceBook(
        lists=draw.draw(st.permutations(data.lists)),
        items=draw.draw(st.permutations(data.items)),
        scopes=draw.draw(st.permutations(data.scopes)),
    )
    for query in _queries(draw, data):
        assert shuffled.resolve(query) == book.resolve(query)
        assert (
            shuffled.resolve(query, explain=True).trace == book.resolve(query, explain=True).trace
        )


# -- patching -------------------------------------------------------------------------


@st.composite
def _changes(
    draw: st.DrawFn, data: PriceListsData
) -> tuple[list[PriceList], list[PriceListItem], list[PriceListScope], list[str]]:
    """Random updates: list records, item records (new, changed, moved), scopes."""
    lists = list(data.lists)
    changed_lists = []
    for pl in draw(st.lists(st.sampled_from(lists), max_size=3, unique_by=lambda p: p.id)):
        changed_lists.append(
            pl.evolve(
                priority=draw(st.sampled_from([0, 100, 500, 1000])),
                is_active=draw(st.booleans()),
                channel=draw(st.sampled_from([Channel.ANY, Channel.POS, Channel.ONLINE])),
            )
        )
    new_list_of = {pl.id: pl for pl in (*lists, *changed_lists)}
    changed_items = []
    existing = list(data.items)
    if existing:
        for item in draw(st.lists(st.sampled_from(existing), max_size=4, unique_by=lambda i: i.id)):
            target = draw(st.sampled_from(lists))
            changed_items.append(
                item.evolve(
                    price_list_id=target.id,
                    price=Money(draw(st.integers(0, 5_000)), target.currency),
                    min_qty=draw(st.sampled_from([Decimal(1), Decimal("2.5"), Decimal(3)])),
                    is_active=draw(st.booleans()),
                    item_id=draw(st.sampled_from(data.item_ids)),
                )
            )
    for number in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(lists))
        changed_items.append(
            PriceListItem(
                id=f"new-{number}",
                price_list_id=target.id,
                item_id=draw(st.sampled_from(data.item_ids)),
                price=Money(draw(st.integers(0, 5_000)), new_list_of[target.id].currency),
                min_qty=draw(st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5")])),
                priority=draw(st.sampled_from([0, 100])),
            )
        )
    changed_scopes = [
        PriceListScope(
            id=f"new-s{number}",
            price_list_id=draw(st.sampled_from(lists)).id,
            location_id=draw(st.none() | st.sampled_from(["loc-a", "loc-b"])),
            channel=draw(st.none() | st.sampled_from([Channel.POS, Channel.ONLINE])),
        )
        for number in range(draw(st.integers(0, 2)))
    ]
    removed: list[str] = []
    if data.scopes:
        removed = draw(st.lists(st.sampled_from([s.id for s in data.scopes]), max_size=2))
    return changed_lists, changed_items, changed_scopes, removed


@_SETTINGS
@given(price_lists_data(), st.data())
def test_patched_book_equals_a_rebuilt_book(data: PriceListsData, draw: st.DataObject) -> None:
    book = _book(data)
    lists, items, scopes, removed = draw.draw(_changes(data))
    patched = book.patched(lists=lists, items=items, scopes=scopes, removed_scope_ids=removed)
    merged_lists = {**{pl.id: pl for pl in data.lists}, **{pl.id: pl for pl in lists}}
    merged_items = {**{it.id: it for it in data.items}, **{it.id: it for it in items}}
    merged_scopes = {**{s.id: s for s in data.scopes}, **{s.id: s for s in scopes}}
    for scope_id in removed:
        merged_scopes.pop(scope_id, None)
    rebuilt = PriceBook(
        lists=merged_lists.values(), items=merged_items.values(), scopes=merged_scopes.values()
    )
    for query in _queries(draw, data, max_size=10):
        assert patched.resolve(query) == rebuilt.resolve(query), query
        assert patched.resolve(query, explain=True) == rebuilt.resolve(query, explain=True)
        assert patched.resolve(query) == reference_resolve(
            merged_lists.values(), merged_items.values(), merged_scopes.values(), query
        )
        key = (query.business_id, query.item_type, query.item_id)
        assert patched.tiers(*key) == rebuilt.tiers(*key)
    # The original book is left as it was.
    for query in _queries(draw, data, max_size=3):
        assert book.resolve(query) == reference_resolve(data.lists, data.items, data.scopes, query)


# -- the cache ------------------------------------------------------------------------

_near_tiers = st.sampled_from(
    [Decimal(t) for t in ("0.249", "0.499", "2.499", "2.501", "2.999", "4.999", "11.999")]
)
_quantities = st.one_of(
    st.integers(min_value=1, max_value=2_000),
    st.integers(min_value=1, max_value=15),
    st.decimals(
        min_value=Decimal("0.001"),
        max_value=Decimal(2_000),
        places=3,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from(
        [Decimal(t) for t in ("0.25", "0.5", "1", "2", "2.5", "3", "5", "10", "12", "100")]
    ),
    _near_tiers,
    _near_tiers,
)
# The edges of the generated validity windows, and instants just beside them.
_instants = st.builds(
    lambda hours, nudge: PRICING_INSTANT + timedelta(hours=hours) + nudge,
    st.sampled_from([-48, -24, -1, 0, 1, 24, 48]),
    st.sampled_from([timedelta(0), timedelta(microseconds=-1), timedelta(minutes=30)]),
)


@_SETTINGS
@given(price_lists_data(), st.data())
def test_cached_equals_uncached_for_every_query_in_sequence(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    queries = _queries(draw, data, max_size=20)
    # Twice through: the second pass is served from a warm cache.
    for query in [*queries, *queries]:
        assert resolver.resolve(query) == book.resolve(query), query


@_SETTINGS
@given(price_lists_data(), st.data())
def test_cached_equals_uncached_for_every_quantity(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    base = draw.draw(price_queries(data))
    quantities = draw.draw(st.lists(_quantities, min_size=2, max_size=25))
    for quantity in quantities:
        query = base.evolve(quantity=quantity)
        assert resolver.resolve(query) == book.resolve(query), quantity
    assert cache.stats().hits + cache.stats().misses == len(quantities)


@_SETTINGS
@given(price_lists_data(), st.data(), _quantities, _quantities)
def test_a_warm_entry_for_one_quantity_never_answers_another_wrongly(
    data: PriceListsData, draw: st.DataObject, q1: Decimal | int, q2: Decimal | int
) -> None:
    book = _book(data)
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    base = draw.draw(price_queries(data))
    first, second = base.evolve(quantity=q1), base.evolve(quantity=q2)
    assert resolver.resolve(first) == book.resolve(first)
    assert resolver.resolve(second) == book.resolve(second)
    assert resolver.resolve(first) == book.resolve(first)


@_SETTINGS
@given(price_lists_data(), st.data())
def test_cached_equals_uncached_for_every_instant_and_quantity(
    data: PriceListsData, draw: st.DataObject
) -> None:
    book = _book(data)
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    base = draw.draw(price_queries(data))
    asks = draw.draw(st.lists(st.tuples(_instants, _quantities), min_size=2, max_size=25))
    for at, quantity in asks:
        query = base.evolve(at=at, quantity=quantity)
        assert resolver.resolve(query) == book.resolve(query), (at, quantity)
