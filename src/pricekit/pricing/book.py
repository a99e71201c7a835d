"""The price book: price lists compiled into an index that resolves without scanning.

Resolution follows the seed's algorithm, in its order:

1. **Candidates** are the active items of active lists of the query's business for
   the item, in the query's currency, on a list whose channel is the query's or
   ``any``, with ``quantity >= min_qty``, and with ``at`` inside both the list's
   and the item's validity.
2. **Scope.** A candidate counts only through a scope that binds its list and
   whose channel, if set, is the query's. Location-specific scopes are a filter:
   if any candidate matches through a scope for the query's location, only those
   are ranked; global scopes (no location) are the fallback. A list with no scope
   applies nowhere.
3. **Rank** by list priority, then item priority, then the larger quantity tier,
   then the newer item (then the item id, so the answer is always deterministic).
4. **Markdown.** A seasonal markdown active for the item at the location
   overrides the winner, keeping the price it replaced as ``original_price``.
5. With no candidate, the **base price**.

:class:`PriceBook` compiles lists, items and scopes once: entries are grouped by
``(business, item type, item id)`` and pre-sorted by rank, and inactive records
and empty validity intersections are dropped from the hot path. Resolving then
walks only the few entries of one item, best first, and stops at the first
location match. The book is immutable; :meth:`PriceBook.patched` returns a new
book with changed records, recompiling only the items they touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar

from pricekit.errors import ConflictError, InvalidValueError
from pricekit.money import Money
from pricekit.pricing.models import (
    Channel,
    ItemType,
    Outcome,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
    TraceEntry,
)
from pricekit.pricing.ports import MarkdownLookup
from pricekit.time import require_aware

__all__ = ["AnswerDependencies", "PriceBook", "apply_markdown", "check_resolution"]

_R = TypeVar("_R", PriceList, PriceListItem, PriceListScope)

_ItemKey = tuple[str, ItemType, str]
_EPOCH = datetime.min


@dataclass(frozen=True, slots=True)
class _Scopes:
    """A list's scopes, shaped for matching: global channels and per-location channels.

    ``None`` in a channel set stands for "every channel".
    """

    count: int
    global_channels: frozenset[Channel | None]
    location_channels: dict[str, frozenset[Channel | None]]

    def global_match(self, channel: Channel) -> bool:
        channels = self.global_channels
        return None in channels or channel in channels

    def location_match(self, location_id: str | None, channel: Channel) -> bool:
        if location_id is None:
            return False
        channels = self.location_channels.get(location_id)
        return channels is not None and (None in channels or channel in channels)


_NO_SCOPES = _Scopes(0, frozenset(), {})


def _compile_scopes(scopes: Iterable[PriceListScope]) -> _Scopes:
    global_channels: set[Channel | None] = set()
    by_location: dict[str, set[Channel | None]] = {}
    count = 0
    for scope in scopes:
        count += 1
        if scope.location_id is None:
            global_channels.add(scope.channel)
        else:
            by_location.setdefault(scope.location_id, set()).add(scope.channel)
    return _Scopes(
        count,
        frozenset(global_channels),
        {location: frozenset(channels) for location, channels in by_location.items()},
    )


class _Ask(NamedTuple):
    """The query's fields, as the explanation path passes them around."""

    location_id: str | None
    channel: Channel
    quantity: Decimal | int
    currency: str
    base_price: Money
    at: datetime


@dataclass(frozen=True, slots=True)
class _Entry:
    """One list item, compiled: what resolution reads, in the order it reads it."""

    rank: tuple[int, int, Decimal, datetime, str]
    currency: str
    list_channel: Channel
    min_qty: Decimal
    starts: datetime | None
    ends: datetime | None
    scopes: _Scopes
    item: PriceListItem
    price_list: PriceList
    result: ResolvedPrice
    """The answer when this entry wins and no markdown applies: built once, shared."""


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _ranked(entries: Iterable[_Entry]) -> tuple[_Entry, ...]:
    ordered = sorted(entries, key=lambda e: e.rank[4])  # id ascending breaks full ties
    ordered.sort(key=lambda e: e.rank[:4], reverse=True)  # stable: best rank first
    return tuple(ordered)


@dataclass(frozen=True, slots=True)
class AnswerDependencies:
    """What the answer for one item can depend on, besides location, channel and markdowns.

    A cache keys on these so that a cached answer always equals a fresh one.

    Attributes:
        tiers: The item's quantity tiers, ascending: the answer changes with the
            quantity only where the quantity crosses one.
        boundaries: Every instant where one of the item's entries starts or stops
            being valid, ascending: the answer changes with time only there.
        price_list_ids: Every list with an entry for the item, active or not: a
            change to any of them can change the answer.
    """

    tiers: tuple[Decimal, ...]
    boundaries: tuple[datetime, ...]
    price_list_ids: frozenset[str]


class PriceBook:
    """An immutable, indexed compilation of price lists, items and scopes.

    Args:
        lists: Price lists (active or not; inactive ones never apply).
        items: Their items. Each must belong to one of ``lists`` and be priced in
            its list's currency.
        scopes: Their scopes. Each must bind one of ``lists``.
        markdowns: Where seasonal markdowns are looked up, if anywhere.

    Raises:
        ConflictError: Duplicate ids, or an item or scope whose list is missing.
        InvalidValueError: An item priced in a currency its list does not use.
    """

    __slots__ = (
        "_all",
        "_by_list",
        "_hot",
        "_items",
        "_lists",
        "_markdowns",
        "_scopes",
        "_scopes_by_list",
    )

    def __init__(
        self,
        *,
        lists: Iterable[PriceList] = (),
        items: Iterable[PriceListItem] = (),
        scopes: Iterable[PriceListScope] = (),
        markdowns: MarkdownLookup | None = None,
    ) -> None:
        self._lists = _unique("price_list", lists)
        self._items = _unique("price_list_item", items)
        self._scopes = _unique("price_list_scope", scopes)
        self._markdowns = markdowns
        _check_scope_lists(self._scopes.values(), self._lists)
        grouped: dict[str, list[PriceListScope]] = {}
        for scope in self._scopes.values():
            grouped.setdefault(scope.price_list_id, []).append(scope)
        self._scopes_by_list = {lid: _compile_scopes(ss) for lid, ss in grouped.items()}
        self._all: dict[_ItemKey, tuple[_Entry, ...]] = {}
        self._hot: dict[_ItemKey, tuple[_Entry, ...]] = {}
        by_list: dict[str, set[str]] = {}
        by_key: dict[_ItemKey, list[PriceListItem]] = {}
        for item in self._items.values():
            by_key.setdefault(self._key_of(item), []).append(item)
            by_list.setdefault(item.price_list_id, set()).add(item.id)
        self._by_list: dict[str, frozenset[str]] = {
            list_id: frozenset(ids) for list_id, ids in by_list.items()
        }
        for key, key_items in by_key.items():
            self._compile_key(key, key_items)

    # -- compilation ----------------------------------------------------------------------

    def _key_of(self, item: PriceListItem) -> _ItemKey:
        price_list = self._lists.get(item.price_list_id)
        if price_list is None:
            raise ConflictError(
                entity="price_list_item",
                id=item.id,
                reason=f"price list {item.price_list_id!r} does not exist",
            )
        if item.price.currency.code != price_list.currency:
            raise InvalidValueError(
                field="price",
                value=str(item.price),
                reason=f"price list item {item.id!r} must be priced in its list's currency "
                f"({price_list.currency})",
            )
        return (price_list.business_id, item.item_type, item.item_id)

    def _entry(self, item: PriceListItem) -> _Entry:
        price_list = self._lists[item.price_list_id]
        return _Entry(
            rank=(
                price_list.priority,
                item.priority,
                item.min_qty,
                item.created_at.astimezone(UTC).replace(tzinfo=None) if item.created_at else _EPOCH,
                item.id,
            ),
            currency=price_list.currency,
            list_channel=price_list.channel,
            min_qty=item.min_qty,
            starts=_later(price_list.valid_from, item.valid_from),
            ends=_earlier(price_list.valid_to, item.valid_to),
            scopes=self._scopes_by_list.get(price_list.id, _NO_SCOPES),
            item=item,
            price_list=price_list,
            result=ResolvedPrice(
                unit_price=item.price,
                source=PriceSource.PRICE_LIST,
                price_list_id=price_list.id,
                price_list_item_id=item.id,
                priority=price_list.priority,
                min_qty=item.min_qty,
            ),
        )

    def _compile_key(self, key: _ItemKey, items: Iterable[PriceListItem]) -> None:
        entries = _ranked(self._entry(item) for item in items)
        if not entries:
            self._all.pop(key, None)
            self._hot.pop(key, None)
            return
        self._all[key] = entries
        hot = tuple(
            e
            for e in entries
            if e.item.is_active
            and e.price_list.is_active
            and e.scopes.count
            and (e.starts is None or e.ends is None or e.starts < e.ends)
        )
        if hot:
            self._hot[key] = hot
        else:
            self._hot.pop(key, None)

    def patched(
        self,
        *,
        lists: Iterable[PriceList] = (),
        items: Iterable[PriceListItem] = (),
        scopes: Iterable[PriceListScope] = (),
        removed_scope_ids: Iterable[str] = (),
    ) -> PriceBook:
        """A new book with these records added or replaced (by id) and scopes removed.

        Soft deletes are updates (``is_active=False``). Only the items touched are
        recompiled: those in ``items``, and every item of a list whose record or
        scopes changed. This book is left as it was.
        """
        new_lists = {**self._lists, **{pl.id: pl for pl in lists}}
        new_items = {**self._items, **{it.id: it for it in items}}
        removed = set(removed_scope_ids)
        changed_scopes = {s.id: s for s in scopes}
        new_scopes = {
            sid: s for sid, s in {**self._scopes, **changed_scopes}.items() if sid not in removed
        }
        touched_lists = {pl.id for pl in lists} | {s.price_list_id for s in changed_scopes.values()}
        touched_lists |= {self._scopes[sid].price_list_id for sid in removed if sid in self._scopes}
        touched_items = {it.id for it in items}
        _check_scope_lists(changed_scopes.values(), new_lists)
        book = object.__new__(PriceBook)
        book._lists = new_lists
        book._items = new_items
        book._scopes = new_scopes
        book._markdowns = self._markdowns
        book._scopes_by_list = dict(self._scopes_by_list)
        for list_id in touched_lists:
            book._scopes_by_list[list_id] = _compile_scopes(
                s for s in new_scopes.values() if s.price_list_id == list_id
            )
        # The items whose compiled entries may change: those given, and every item of a
        # list whose record or scopes changed.
        affected = set(touched_items)
        for list_id in touched_lists:
            affected |= self._by_list.get(list_id, frozenset())
        book._by_list = dict(self._by_list)
        for item_id in touched_items:
            old = self._items.get(item_id)
            if old is not None and old.price_list_id != new_items[item_id].price_list_id:
                book._by_list[old.price_list_id] = book._by_list[old.price_list_id] - {item_id}
            list_id = new_items[item_id].price_list_id
            book._by_list[list_id] = book._by_list.get(list_id, frozenset()) | {item_id}
        old_keys = {self._key_of(self._items[i]) for i in affected if i in self._items}
        new_key_of = {i: book._key_of(new_items[i]) for i in affected}
        book._all = dict(self._all)
        book._hot = dict(self._hot)
        for key in old_keys | set(new_key_of.values()):
            members = {e.item.id for e in self._all.get(key, ())} - affected
            members |= {i for i, k in new_key_of.items() if k == key}
            book._compile_key(key, [new_items[i] for i in members])
        return book

    def with_markdowns(self, markdowns: MarkdownLookup | None) -> PriceBook:
        """The same book, looking markdowns up in ``markdowns``."""
        book = object.__new__(PriceBook)
        for name in PriceBook.__slots__:
            object.__setattr__(book, name, getattr(self, name))
        book._markdowns = markdowns
        return book

    # -- reading ----------------------------------------------------------------------

    @property
    def lists(self) -> dict[str, PriceList]:
        """Every price list, by id."""
        return dict(self._lists)

    @property
    def items(self) -> dict[str, PriceListItem]:
        """Every price list item, by id."""
        return dict(self._items)

    @property
    def scopes(self) -> dict[str, PriceListScope]:
        """Every scope, by id."""
        return dict(self._scopes)

    def tiers(self, business_id: str, item_type: ItemType, item_id: str) -> tuple[Decimal, ...]:
        """The distinct quantity tiers (``min_qty``) any list has for the item, ascending.

        An answer can change with the quantity only where the quantity crosses one
        of these, which is what a cache keys on.
        """
        return self.dependencies(business_id, item_type, item_id).tiers

    def dependencies(
        self, business_id: str, item_type: ItemType, item_id: str
    ) -> AnswerDependencies:
        """What the item's answer can depend on: tiers, validity boundaries, lists."""
        entries = self._all.get((business_id, item_type, item_id), ())
        boundaries = {e.starts for e in entries if e.starts is not None}
        boundaries |= {e.ends for e in entries if e.ends is not None}
        return AnswerDependencies(
            tiers=tuple(sorted({e.min_qty for e in entries})),
            boundaries=tuple(sorted(boundaries)),
            price_list_ids=frozenset(e.price_list.id for e in entries),
        )

    # -- resolution -------------------------------------------------------------------

    def resolve(self, query: PriceQuery, *, explain: bool = False) -> ResolvedPrice:
        """Resolve one query; with ``explain``, the result carries a full trace."""
        return self.resolve_item(
            business_id=query.business_id,
            item_type=query.item_type,
            item_id=query.item_id,
            location_id=query.location_id,
            channel=query.channel,
            quantity=query.quantity,
            currency=query.currency,
            base_price=query.base_price,
            at=query.at,
            explain=explain,
        )

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        """Resolve a whole cart: one result per query, in order."""
        return [self.resolve(query, explain=explain) for query in queries]

    def resolve_item(
        self,
        *,
        business_id: str,
        item_id: str,
        channel: Channel | str,
        at: datetime,
        base_price: Money,
        currency: str | None = None,
        quantity: Decimal | int = 1,
        location_id: str | None = None,
        item_type: ItemType = ItemType.PRODUCT,
        explain: bool = False,
    ) -> ResolvedPrice:
        """Resolve one item from keyword arguments: the hot path, without a query model.

        The arguments mean what :class:`~pricekit.pricing.models.PriceQuery`'s fields
        mean; ``currency`` defaults to the base price's.

        Raises:
            InvalidValueError: A naive ``at``, a quantity that is not above zero, a
                ``channel`` of ``any``, or a base price in another currency.
        """
        channel, currency = check_resolution(
            at=at, quantity=quantity, channel=channel, currency=currency, base_price=base_price
        )
        key = (business_id, item_type, item_id)
        if explain:
            ask = _Ask(location_id, channel, quantity, currency, base_price, at)
            return self._explain(key, ask)
        winner: _Entry | None = None
        fallback: _Entry | None = None
        for entry in self._hot.get(key, ()):
            if (
                entry.currency != currency
                or quantity < entry.min_qty
                or (entry.list_channel is not Channel.ANY and entry.list_channel is not channel)
                or (entry.starts is not None and at < entry.starts)
                or (entry.ends is not None and at >= entry.ends)
            ):
                continue
            if location_id is not None and entry.scopes.location_match(location_id, channel):
                winner = entry
                break
            if fallback is None and entry.scopes.global_match(channel):
                fallback = entry
        if winner is None:
            winner = fallback
        return self._finish(winner, key, location_id=location_id, base_price=base_price, at=at)

    def _finish(
        self,
        winner: _Entry | None,
        key: _ItemKey,
        *,
        location_id: str | None,
        base_price: Money,
        at: datetime,
        trace: tuple[TraceEntry, ...] | None = None,
    ) -> ResolvedPrice:
        if winner is None:
            result = ResolvedPrice(unit_price=base_price, source=PriceSource.BASE_PRICE)
        else:
            result = winner.result
        markdowns = self._markdowns
        if markdowns is not None:
            unmarked = result
            result = apply_markdown(
                result,
                markdowns,
                business_id=key[0],
                item_type=key[1],
                item_id=key[2],
                location_id=location_id,
                at=at,
            )
            if trace is not None and result is not unmarked:
                trace = tuple(
                    t.evolve(
                        outcome=Outcome.OVERRIDDEN_BY_MARKDOWN,
                        reason=f"won, then overridden by markdown wave {result.markdown_wave_id!r} "
                        f"at {result.unit_price}",
                    )
                    if t.outcome is Outcome.WON
                    else t
                    for t in trace
                )
        if trace is not None:
            result = ResolvedPrice(
                unit_price=result.unit_price,
                source=result.source,
                price_list_id=result.price_list_id,
                price_list_item_id=result.price_list_item_id,
                priority=result.priority,
                min_qty=result.min_qty,
                markdown_wave_id=result.markdown_wave_id,
                original_price=result.original_price,
                trace=trace,
            )
        return result

    # -- explanation ------------------------------------------------------------------

    def _explain(self, key: _ItemKey, ask: _Ask) -> ResolvedPrice:
        """The same resolution, walking every entry of the item and recording why."""
        location_id = ask.location_id
        verdicts: list[tuple[_Entry, Outcome | None, str, str | None]] = []
        for entry in self._all.get(key, ()):
            excluded = _exclusion(entry, ask)
            if excluded is not None:
                verdicts.append((entry, excluded[0], excluded[1], None))
                continue
            local_match = entry.scopes.location_match(location_id, ask.channel)
            verdicts.append((entry, None, "", "location" if local_match else "global"))
        matched = [v for v in verdicts if v[1] is None]
        local = [v for v in matched if v[3] == "location"]
        pool = local or matched
        winner = pool[0][0] if pool else None  # entries are ranked best first
        trace: list[TraceEntry] = []
        for entry, excluded_as, why, via in verdicts:
            outcome, reason = excluded_as, why
            if outcome is None:
                if winner is entry:
                    outcome, reason = Outcome.WON, _won_reason(entry, via, local=bool(local))
                elif local and via == "global":
                    outcome = Outcome.SHADOWED_BY_LOCATION
                    reason = (
                        f"matched only through a global scope, and candidates matched through "
                        f"a scope for location {location_id!r}"
                    )
                else:
                    assert winner is not None
                    outcome, reason = Outcome.LOST, _lost_reason(entry, winner)
            trace.append(
                TraceEntry(
                    price_list_id=entry.price_list.id,
                    price_list_item_id=entry.item.id,
                    outcome=outcome,
                    reason=reason,
                    list_priority=entry.price_list.priority,
                    item_priority=entry.item.priority,
                    min_qty=entry.min_qty,
                    price=entry.item.price,
                    scope=via,  # type: ignore[arg-type]
                )
            )
        return self._finish(
            winner,
            key,
            location_id=location_id,
            base_price=ask.base_price,
            at=ask.at,
            trace=tuple(trace),
        )


def check_resolution(
    *,
    at: datetime,
    quantity: Decimal | int,
    channel: Channel | str,
    currency: str | None,
    base_price: Money,
) -> tuple[Channel, str]:
    """Check one resolution's arguments as every resolver does; the channel and currency.

    Shared by every resolver (the price book, SQL resolution), so that they refuse
    the same arguments with the same errors.

    Returns:
        The channel as a :class:`Channel` (a plain ``"pos"`` is accepted) and the
        currency (the base price's when ``currency`` is ``None``).

    Raises:
        InvalidValueError: A naive ``at``; a quantity that is not an int or a
            Decimal, or not above zero; an unknown channel or ``any``; a base
            price in another currency than ``currency``.
    """
    if at.utcoffset() is None:
        require_aware(at, field="at")
    if type(quantity) is not Decimal and type(quantity) is not int:
        raise InvalidValueError(
            field="quantity", value=quantity, reason="must be an int or a Decimal"
        )
    if quantity <= 0:
        raise InvalidValueError(field="quantity", value=quantity, reason="must be above zero")
    if type(channel) is not Channel:
        try:
            channel = Channel(channel)
        except ValueError:
            raise InvalidValueError(
                field="channel",
                value=channel,
                reason=f"must be one of {', '.join(c.value for c in Channel)}",
            ) from None
    if channel is Channel.ANY:
        raise InvalidValueError(
            field="channel", value="any", reason="a sale happens on one channel, not 'any'"
        )
    if currency is None:
        currency = base_price.currency.code
    elif base_price.currency.code != currency:
        raise InvalidValueError(
            field="base_price",
            value=str(base_price),
            reason=f"must be in the query's currency ({currency})",
        )
    return channel, currency


def apply_markdown(
    result: ResolvedPrice,
    markdowns: MarkdownLookup,
    *,
    business_id: str,
    item_type: ItemType,
    item_id: str,
    location_id: str | None,
    at: datetime,
) -> ResolvedPrice:
    """Step 4 of resolution: the markdown active for the item overrides ``result``.

    Shared by every resolver (the price book, SQL resolution) so that they agree.

    Args:
        result: The winning list price, or the base price.
        markdowns: Where markdowns are looked up.
        business_id: The query's business.
        item_type: The query's item type.
        item_id: The query's item.
        location_id: The query's location.
        at: The query's instant.

    Returns:
        ``result`` itself when no markdown in ``result``'s currency is active;
        otherwise a new result priced at the markdown, keeping the winner's fields
        and the price it replaced as ``original_price``.
    """
    markdown = markdowns.active_markdown(
        business_id=business_id,
        item_type=item_type,
        item_id=item_id,
        location_id=location_id,
        at=at,
    )
    if markdown is None or markdown.price.currency is not result.unit_price.currency:
        return result
    return ResolvedPrice(
        unit_price=markdown.price,
        source=PriceSource.MARKDOWN,
        price_list_id=result.price_list_id,
        price_list_item_id=result.price_list_item_id,
        priority=result.priority,
        min_qty=result.min_qty,
        markdown_wave_id=markdown.wave_id,
        original_price=result.unit_price,
    )


def _exclusion(entry: _Entry, ask: _Ask) -> tuple[Outcome, str] | None:  # noqa: PLR0911
    """Why a candidate is excluded, checked in the algorithm's order; ``None`` if it matches."""
    location_id, channel, quantity, currency, _, at = ask
    price_list, item = entry.price_list, entry.item
    if not price_list.is_active:
        return Outcome.LIST_INACTIVE, f"price list {price_list.id!r} is inactive"
    if not item.is_active:
        return Outcome.ITEM_INACTIVE, "the item is inactive"
    if entry.currency != currency:
        return Outcome.WRONG_CURRENCY, f"list currency {entry.currency} is not {currency}"
    if entry.list_channel is not Channel.ANY and entry.list_channel is not channel:
        return (
            Outcome.WRONG_CHANNEL,
            f"list channel {entry.list_channel.value!r} is not {channel.value!r}",
        )
    if quantity < entry.min_qty:
        return Outcome.BELOW_MIN_QTY, f"quantity {quantity} is below the tier {entry.min_qty}"
    if not price_list.validity.contains(at):
        return Outcome.LIST_NOT_VALID, f"the list is not valid at {at.isoformat()}"
    if not item.validity.contains(at):
        return Outcome.ITEM_NOT_VALID, f"the item is not valid at {at.isoformat()}"
    if entry.scopes.count == 0:
        return Outcome.NO_SCOPE, f"price list {price_list.id!r} has no scope, so it applies nowhere"
    if not (
        entry.scopes.location_match(location_id, channel) or entry.scopes.global_match(channel)
    ):
        where = f"location {location_id!r}" if location_id is not None else "no location"
        return (
            Outcome.NO_MATCHING_SCOPE,
            f"no scope of price list {price_list.id!r} matches {where} on {channel.value!r}",
        )
    return None


def _won_reason(entry: _Entry, via: str | None, *, local: bool) -> str:
    how = "a scope for this location" if via == "location" else "a global scope"
    if via == "global" and not local:
        how += " (no location-specific candidate)"
    return (
        f"highest ranked through {how}: list priority {entry.price_list.priority}, "
        f"item priority {entry.item.priority}, tier {entry.min_qty}"
    )


def _lost_reason(entry: _Entry, winner: _Entry) -> str:
    labels = ("list priority", "item priority", "quantity tier", "created")
    for label, mine, theirs in zip(labels, entry.rank[:4], winner.rank[:4], strict=True):
        if mine != theirs:
            if label == "created":
                return f"older item than {winner.item.id!r} (same priorities and tier)"
            return f"{label} {mine} < {theirs} of {winner.item.id!r}"
    return f"tied with {winner.item.id!r} on every rank; the lower id wins"


def _check_scope_lists(scopes: Iterable[PriceListScope], lists: Mapping[str, PriceList]) -> None:
    """Refuse a scope whose price list does not exist."""
    for scope in scopes:
        if scope.price_list_id not in lists:
            raise ConflictError(
                entity="price_list_scope",
                id=scope.id,
                reason=f"price list {scope.price_list_id!r} does not exist",
            )


def _unique(kind: str, records: Iterable[_R]) -> dict[str, _R]:
    found: dict[str, _R] = {}
    for record in records:
        if record.id in found:
            raise ConflictError(entity=kind, id=record.id, reason="duplicate id")
        found[record.id] = record
    return found
