"""In-memory, thread-safe adapters for the markdown ports.

Plans, waves (with their items) and history entries, plus small stand-ins for the
host's own data that the markdown service reads: business locations, stock on hand
and sales.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace as dataclass_replace
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.markdowns.models import (
    MarkdownHistoryEntry,
    MarkdownPlan,
    MarkdownWave,
    WaveItem,
    WaveStatus,
)
from pricekit.markdowns.ports import SaleLine
from pricekit.money import to_decimal
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page, check_page
from pricekit.time import require_aware

__all__ = [
    "InMemoryInventory",
    "InMemoryLocationDirectory",
    "InMemoryMarkdownHistoryRepository",
    "InMemoryMarkdownPlanRepository",
    "InMemoryMarkdownWaveRepository",
    "InMemorySalesLedger",
]


# -- plans --------------------------------------------------------------------------------


class InMemoryMarkdownPlanRepository:
    """Markdown plans in a dict, indexed by business. Safe to share between threads.

    Implements :class:`~pricekit.markdowns.ports.MarkdownPlanRepository`.
    """

    __slots__ = ("_by_business", "_lock", "_plans")

    def __init__(self) -> None:
        self._plans: dict[str, MarkdownPlan] = {}
        self._by_business: dict[str, dict[str, MarkdownPlan]] = {}
        self._lock = threading.Lock()

    def add(self, plan: MarkdownPlan) -> None:
        """Store a new plan.

        Raises:
            ConflictError: A plan with this id is already stored.
        """
        with self._lock:
            if plan.id in self._plans:
                raise ConflictError(entity="markdown_plan", id=plan.id, reason="duplicate id")
            self._put(plan)

    def replace(self, plan: MarkdownPlan) -> None:
        """Replace the stored plan with the same id.

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        with self._lock:
            self._remove(plan.id)
            self._put(plan)

    def get(self, plan_id: str) -> MarkdownPlan | None:
        """The plan with this id, or ``None``."""
        return self._plans.get(plan_id)

    def delete(self, plan_id: str) -> None:
        """Remove a plan.

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        with self._lock:
            self._remove(plan_id)

    def find(
        self,
        business_id: str,
        *,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownPlan]:
        """One page of a business's plans matching the filters, ordered by id.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        with self._lock:
            pool = dict(self._by_business.get(business_id, {}))
        matching = [
            pool[plan_id]
            for plan_id in sorted(pool)
            if is_active is None or pool[plan_id].is_active is is_active
        ]
        return Page[MarkdownPlan].of(matching, offset=offset, limit=limit)

    def _put(self, plan: MarkdownPlan) -> None:
        self._plans[plan.id] = plan
        self._by_business.setdefault(plan.business_id, {})[plan.id] = plan

    def _remove(self, plan_id: str) -> None:
        old = self._plans.pop(plan_id, None)
        if old is None:
            raise NotFoundError(entity="markdown_plan", id=plan_id)
        del self._by_business[old.business_id][plan_id]


# -- waves --------------------------------------------------------------------------------


_by_variant_id = attrgetter("variant_id")


def _wave_items(wave_id: str, items: Sequence[WaveItem]) -> tuple[WaveItem, ...]:
    """The items ordered by variant id, after checking they belong to the wave, once each."""
    ordered: tuple[WaveItem, ...] = tuple(sorted(items, key=_by_variant_id))
    previous: str | None = None
    for item in ordered:
        if item.wave_id != wave_id:
            raise InvalidValueError(
                field="items",
                value=item.wave_id,
                reason=f"an item stored with wave {wave_id!r} must have that wave_id",
            )
        if item.variant_id == previous:
            raise ConflictError(
                entity="wave_item",
                id=item.variant_id,
                reason=f"variant given twice for wave {wave_id!r}",
                wave_id=wave_id,
            )
        previous = item.variant_id
    return ordered


class InMemoryMarkdownWaveRepository:
    """Markdown waves and their items in dicts, indexed by business. Safe to share between threads.

    Each wave's items are kept as one tuple, sorted by variant id when written, so
    a read is a copy and a write swaps the whole tuple.

    Implements :class:`~pricekit.markdowns.ports.MarkdownWaveRepository`. Beyond the
    port, it refuses items whose ``wave_id`` is not the wave's
    (:class:`~pricekit.errors.InvalidValueError`, field ``items``) and a variant
    given twice for one wave (:class:`~pricekit.errors.ConflictError`).
    """

    __slots__ = ("_by_business", "_items", "_lock", "_waves")

    def __init__(self) -> None:
        self._waves: dict[str, MarkdownWave] = {}
        self._items: dict[str, tuple[WaveItem, ...]] = {}
        self._by_business: dict[str, dict[str, MarkdownWave]] = {}
        self._lock = threading.Lock()

    def add(self, wave: MarkdownWave, items: Sequence[WaveItem]) -> None:
        """Store a new wave and its items, all or nothing.

        Raises:
            ConflictError: A wave with this id is already stored, or a variant is
                given twice.
            InvalidValueError: An item names another wave.
        """
        ordered = _wave_items(wave.id, items)
        with self._lock:
            if wave.id in self._waves:
                raise ConflictError(entity="markdown_wave", id=wave.id, reason="duplicate id")
            self._put(wave)
            self._items[wave.id] = ordered

    def save(self, wave: MarkdownWave, *, items: Sequence[WaveItem] | None = None) -> None:
        """Replace a stored wave, and its items if given, all or nothing.

        Raises:
            NotFoundError: No wave with this id is stored.
            ConflictError: A variant is given twice.
            InvalidValueError: An item names another wave.
        """
        ordered = None if items is None else _wave_items(wave.id, items)
        with self._lock:
            old = self._waves.get(wave.id)
            if old is None:
                raise NotFoundError(entity="markdown_wave", id=wave.id)
            del self._by_business[old.business_id][wave.id]
            self._put(wave)
            if ordered is not None:
                self._items[wave.id] = ordered

    def get(self, wave_id: str) -> MarkdownWave | None:
        """The wave with this id, or ``None``."""
        return self._waves.get(wave_id)

    def items(self, wave_id: str) -> list[WaveItem]:
        """The wave's items ordered by variant id; empty for an unknown wave."""
        return list(self._items.get(wave_id, ()))

    def delete(self, wave_id: str) -> None:
        """Remove a wave and its items.

        Raises:
            NotFoundError: No wave with this id is stored.
        """
        with self._lock:
            old = self._waves.pop(wave_id, None)
            if old is None:
                raise NotFoundError(entity="markdown_wave", id=wave_id)
            del self._by_business[old.business_id][wave_id]
            del self._items[wave_id]

    def find(
        self,
        business_id: str | None,
        *,
        plan_id: str | None = None,
        statuses: Collection[WaveStatus] | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownWave]:
        """One page of waves matching every filter given, ordered by id.

        Args:
            business_id: The business; ``None`` for every business.
            plan_id: Only this plan's waves.
            statuses: Only waves in one of these states.
            offset: How many matching waves to skip.
            limit: The most waves to return.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        wanted = None if statuses is None else frozenset(statuses)
        with self._lock:
            if business_id is None:
                pool = dict(self._waves)
            else:
                pool = dict(self._by_business.get(business_id, {}))
        matching = [
            wave
            for wave in (pool[wave_id] for wave_id in sorted(pool))
            if (plan_id is None or wave.plan_id == plan_id)
            and (wanted is None or wave.status in wanted)
        ]
        return Page[MarkdownWave].of(matching, offset=offset, limit=limit)

    def _put(self, wave: MarkdownWave) -> None:
        self._waves[wave.id] = wave
        self._by_business.setdefault(wave.business_id, {})[wave.id] = wave


# -- history ------------------------------------------------------------------------------


class _Timeline:
    """Entries in arrival order, sorted by ``(at, id)`` on the first read after a late one."""

    __slots__ = ("entries", "in_order")

    def __init__(self) -> None:
        self.entries: list[MarkdownHistoryEntry] = []
        self.in_order = True

    def append(self, entry: MarkdownHistoryEntry) -> None:
        entries = self.entries
        if self.in_order and entries:
            last = entries[-1]
            if entry.at < last.at or (entry.at == last.at and entry.id < last.id):
                self.in_order = False
        entries.append(entry)

    def ordered(self) -> list[MarkdownHistoryEntry]:
        if not self.in_order:
            self.entries.sort(key=_at_then_id)
            self.in_order = True
        return self.entries


def _at_then_id(entry: MarkdownHistoryEntry) -> tuple[datetime, str]:
    return entry.at, entry.id


class InMemoryMarkdownHistoryRepository:
    """Markdown history entries, indexed by variant and by wave. Safe to share between threads.

    Entries mostly arrive in time order, so each index is a list that is appended
    to and only sorted (by ``at``, then id) on the next read after an entry arrived
    out of order.

    Implements :class:`~pricekit.markdowns.ports.MarkdownHistoryRepository`. Beyond
    the port, it refuses an entry whose ``at`` is naive
    (:class:`~pricekit.errors.InvalidValueError`, field ``at``): naive and aware
    datetimes cannot be ordered together.
    """

    __slots__ = ("_by_variant", "_by_wave", "_ids", "_lock")

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._by_variant: dict[tuple[str, str], _Timeline] = {}
        self._by_wave: dict[str, _Timeline] = {}
        self._lock = threading.Lock()

    def add_many(self, entries: Sequence[MarkdownHistoryEntry]) -> None:
        """Store entries, all or nothing.

        Raises:
            ConflictError: An entry id is already stored or given twice (nothing is
                stored then).
            InvalidValueError: An entry's ``at`` is naive (nothing is stored then).
        """
        for entry in entries:
            require_aware(entry.at, field="at")
        with self._lock:
            stored = self._ids
            batch: set[str] = set()
            for entry in entries:
                entry_id = entry.id
                if entry_id in stored:
                    raise ConflictError(
                        entity="markdown_history_entry", id=entry_id, reason="duplicate id"
                    )
                if entry_id in batch:
                    raise ConflictError(
                        entity="markdown_history_entry",
                        id=entry_id,
                        reason="id given twice in one batch",
                    )
                batch.add(entry_id)
            stored |= batch
            by_variant = self._by_variant
            by_wave = self._by_wave
            for entry in entries:
                if entry.variant_id is not None:
                    key = (entry.business_id, entry.variant_id)
                    timeline = by_variant.get(key)
                    if timeline is None:
                        timeline = by_variant[key] = _Timeline()
                    timeline.append(entry)
                timeline = by_wave.get(entry.wave_id)
                if timeline is None:
                    timeline = by_wave[entry.wave_id] = _Timeline()
                timeline.append(entry)

    def for_variant(
        self,
        business_id: str,
        variant_id: str,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownHistoryEntry]:
        """One page of a variant's entries, oldest first (by ``at``, then id).

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        with self._lock:
            return _page(self._by_variant.get((business_id, variant_id)), offset, limit)

    def for_wave(
        self,
        wave_id: str,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownHistoryEntry]:
        """One page of a wave's entries, oldest first (by ``at``, then id).

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        with self._lock:
            return _page(self._by_wave.get(wave_id), offset, limit)


def _page(timeline: _Timeline | None, offset: int, limit: int) -> Page[MarkdownHistoryEntry]:
    entries = () if timeline is None else timeline.ordered()
    return Page[MarkdownHistoryEntry].of(entries, offset=offset, limit=limit)


# -- locations, inventory, sales ----------------------------------------------------------


class InMemoryLocationDirectory:
    """A business's locations and whether each is active. Safe to share between threads.

    Implements :class:`~pricekit.markdowns.ports.LocationDirectory`.

    Args:
        locations: The initial contents, ``{business_id: {location_id: is_active}}``.
    """

    __slots__ = ("_locations", "_lock")

    def __init__(self, locations: Mapping[str, Mapping[str, bool]] | None = None) -> None:
        self._locations: dict[str, dict[str, bool]] = {
            business_id: dict(statuses) for business_id, statuses in (locations or {}).items()
        }
        self._lock = threading.Lock()

    def location_status(self, business_id: str, location_ids: Collection[str]) -> dict[str, bool]:
        """Whether each known location of ``location_ids`` is active; unknown ones are left out."""
        with self._lock:
            known = self._locations.get(business_id, {})
            return {
                location_id: known[location_id]
                for location_id in location_ids
                if location_id in known
            }

    def set_location(self, business_id: str, location_id: str, *, active: bool = True) -> None:
        """Add a location, or set whether a known one is active."""
        with self._lock:
            self._locations.setdefault(business_id, {})[location_id] = active

    def deactivate(self, business_id: str, location_id: str) -> None:
        """Mark a known location inactive.

        Raises:
            NotFoundError: The business has no such location.
        """
        self._set_known(business_id, location_id, active=False)

    def activate(self, business_id: str, location_id: str) -> None:
        """Mark a known location active.

        Raises:
            NotFoundError: The business has no such location.
        """
        self._set_known(business_id, location_id, active=True)

    def _set_known(self, business_id: str, location_id: str, *, active: bool) -> None:
        with self._lock:
            known = self._locations.get(business_id, {})
            if location_id not in known:
                raise NotFoundError(entity="location", id=location_id, business_id=business_id)
            known[location_id] = active


class InMemoryInventory:
    """Units on hand per business, variant and location. Safe to share between threads.

    Implements :class:`~pricekit.markdowns.ports.InventoryLookup`.
    """

    __slots__ = ("_lock", "_on_hand")

    def __init__(self) -> None:
        # business -> variant -> location -> units
        self._on_hand: dict[str, dict[str, dict[str, Decimal]]] = {}
        self._lock = threading.Lock()

    def set_on_hand(
        self, business_id: str, location_id: str, variant_id: str, units: Decimal | int
    ) -> None:
        """Record the units of a variant on hand at a location, replacing any earlier count.

        Raises:
            InvalidValueError: ``units`` is a float, not a number, or negative (field ``units``).
        """
        amount = to_decimal(units, field="units")
        if amount < 0:
            raise InvalidValueError(field="units", value=units, reason="must not be negative")
        with self._lock:
            variants = self._on_hand.setdefault(business_id, {})
            variants.setdefault(variant_id, {})[location_id] = amount

    def on_hand(
        self,
        business_id: str,
        variant_ids: Collection[str],
        *,
        location_ids: Collection[str] | None = None,
    ) -> dict[str, Decimal]:
        """Units on hand per variant, summed over ``location_ids`` (``None``: every location).

        Variants with no stock record at those locations are left out.
        """
        wanted = None if location_ids is None else frozenset(location_ids)
        result: dict[str, Decimal] = {}
        with self._lock:
            variants = self._on_hand.get(business_id, {})
            for variant_id in variant_ids:
                by_location = variants.get(variant_id)
                if not by_location:
                    continue
                counts = [
                    units
                    for location_id, units in by_location.items()
                    if wanted is None or location_id in wanted
                ]
                if counts:
                    result[variant_id] = sum(counts, Decimal(0))
        return result


def _sold_at(line: SaleLine) -> datetime:
    return line.sold_at


def _checked_line(line: SaleLine) -> SaleLine:
    require_aware(line.sold_at, field="sold_at")
    quantity = to_decimal(line.quantity, field="quantity")
    if quantity is not line.quantity:  # an int given where a Decimal belongs
        return dataclass_replace(line, quantity=quantity)
    return line


class InMemorySalesLedger:
    """Sale lines per business and variant, in ``sold_at`` order. Safe to share between threads.

    Implements :class:`~pricekit.markdowns.ports.SalesSource`.
    """

    __slots__ = ("_lines", "_lock")

    def __init__(self) -> None:
        # business -> variant -> lines sorted by sold_at (ties in arrival order)
        self._lines: dict[str, dict[str, list[SaleLine]]] = {}
        self._lock = threading.Lock()

    def record(self, business_id: str, line: SaleLine) -> None:
        """Record one sale line.

        Raises:
            InvalidValueError: ``sold_at`` is naive (field ``sold_at``), or ``quantity``
                is a float or not a finite number (field ``quantity``).
        """
        self.record_many(business_id, [line])

    def record_many(self, business_id: str, lines: Iterable[SaleLine]) -> None:
        """Record sale lines, all or nothing.

        Raises:
            InvalidValueError: A line's ``sold_at`` is naive (field ``sold_at``), or its
                ``quantity`` is a float or not a finite number (field ``quantity``);
                nothing is recorded then.
        """
        checked = [_checked_line(line) for line in lines]
        with self._lock:
            variants = self._lines.setdefault(business_id, {})
            for line in checked:
                bisect.insort_right(variants.setdefault(line.variant_id, []), line, key=_sold_at)

    def sales(
        self,
        business_id: str,
        *,
        variant_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> list[SaleLine]:
        """The business's sale lines of these variants with ``start <= sold_at < end``.

        Ordered by ``sold_at``, then variant id, then the order they were recorded in.

        Raises:
            InvalidValueError: ``start`` or ``end`` is naive, or ``end`` is before ``start``.
        """
        require_aware(start, field="start")
        require_aware(end, field="end")
        if end < start:
            raise InvalidValueError(field="end", value=end, reason="must not be before start")
        found: list[SaleLine] = []
        with self._lock:
            variants = self._lines.get(business_id, {})
            for variant_id in sorted(set(variant_ids)):
                lines = variants.get(variant_id)
                if not lines:
                    continue
                low = bisect.bisect_left(lines, start, key=_sold_at)
                high = bisect.bisect_left(lines, end, lo=low, key=_sold_at)
                found.extend(lines[low:high])
        found.sort(key=_sold_at)
        return found
