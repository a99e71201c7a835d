"""In-memory sources and sinks for the sync runner: the embedded default and test doubles.

Each holds plain values in a dict and can be told to fail for a location
(:meth:`fail_for`), so a host's tests (and pricekit's) exercise the runner's
failure paths without a server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pricekit.deals.models import Deal
from pricekit.sync.ports import InventoryRecord, Location, SourceError

__all__ = [
    "InMemoryDiscountSource",
    "InMemoryEnrichmentSource",
    "InMemoryInventorySource",
    "RecordingSink",
]


class _Failing:
    """What the in-memory doubles share: which locations fail, and why."""

    name = "memory"

    def __init__(self) -> None:
        self._failing: dict[str, str] = {}
        self._lock = threading.Lock()

    def fail_for(self, location_id: str, cause: str = "unavailable") -> None:
        """Make every call for ``location_id`` raise :class:`SourceError` until :meth:`heal`."""
        with self._lock:
            self._failing[location_id] = cause

    def heal(self, location_id: str | None = None) -> None:
        """Stop failing for ``location_id`` (every location when ``None``)."""
        with self._lock:
            if location_id is None:
                self._failing.clear()
            else:
                self._failing.pop(location_id, None)

    def _check(self, location_id: str) -> None:
        with self._lock:
            cause = self._failing.get(location_id)
        if cause is not None:
            raise SourceError(source=self.name, cause=cause, location_id=location_id)


class InMemoryDiscountSource(_Failing):
    """A :class:`~pricekit.sync.ports.DiscountSource` over deals held by location.

    Args:
        deals: Each location's deals; a location not in it is not served
            (``available_for`` is false).
        name: The source's name in reports.
    """

    def __init__(
        self, deals: Mapping[str, Sequence[Deal]] | None = None, *, name: str = "memory"
    ) -> None:
        super().__init__()
        self.name = name
        self._deals: dict[str, list[Deal]] = {k: list(v) for k, v in (deals or {}).items()}
        self.calls: list[str] = []

    def set(self, location_id: str, deals: Iterable[Deal]) -> None:
        """Serve ``deals`` for ``location_id`` from now on."""
        with self._lock:
            self._deals[location_id] = list(deals)

    def available_for(self, location: Location) -> bool:
        """Whether it holds deals for the location."""
        with self._lock:
            return location.location_id in self._deals

    def fetch(self, location: Location) -> list[Deal]:
        """The location's deals (a copy)."""
        self.calls.append(location.location_id)
        self._check(location.location_id)
        with self._lock:
            return list(self._deals[location.location_id])


class InMemoryInventorySource(_Failing):
    """A :class:`~pricekit.sync.ports.InventorySource` over records held by location."""

    def __init__(self, records: Mapping[str, Sequence[InventoryRecord]] | None = None) -> None:
        super().__init__()
        self._records = {k: list(v) for k, v in (records or {}).items()}

    def fetch(self, location: Location) -> list[InventoryRecord]:
        """The store's records (none held: an empty list)."""
        self._check(location.location_id)
        return list(self._records.get(location.location_id, ()))


class InMemoryEnrichmentSource(_Failing):
    """A :class:`~pricekit.sync.ports.EnrichmentSource` adding fixed data by product id."""

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        self._extra = {k: dict(v) for k, v in (extra or {}).items()}

    def enrich(self, records: Sequence[InventoryRecord]) -> list[InventoryRecord]:
        """Each record with its product's extra data merged into ``data``."""
        for record in records:
            self._check(record.location_id)
        return [
            InventoryRecord(r.product_id, r.location_id, {**r.data, **self._extra[r.product_id]})
            if r.product_id in self._extra
            else r
            for r in records
        ]


class RecordingSink(_Failing):
    """A sink for either push phase that keeps what it was given, by location."""

    def __init__(self) -> None:
        super().__init__()
        self.pushed: dict[str, list[Any]] = {}

    def push(self, location: Location, items: Sequence[Any]) -> int:
        """Keep ``items`` as the location's latest push; how many."""
        self._check(location.location_id)
        with self._lock:
            self.pushed[location.location_id] = list(items)
        return len(items)
