"""The ports the sync runner and its phases work through.

- :class:`SyncLock`: never two runs at once (the seed's BullMQ ``concurrency=1``).
  :class:`~pricekit.sync.lock.InProcessLock` is the core's; the Redis and
  PostgreSQL locks come with their adapters.
- :class:`SyncRunRepository`: the history of runs.
- :class:`DiscountSource`: one location's discounts from somewhere (the POS API,
  the back office, a folder of exported records), as deals.
- :class:`InventorySource`, :class:`EnrichmentSource`: the products of a store,
  and the images and metadata a second system adds to them.
- :class:`DiscountSink`, :class:`InventorySink`: where the optional push phases
  write (the seed's Odoo ``mint.discount`` and inventory sync).

Every port is synchronous and takes and returns pricekit values. A source that
cannot answer raises :class:`SourceError` (or a subclass): a failed read is
never taken as "nothing there".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pricekit.deals.models import Deal
from pricekit.errors import BackendUnavailableError, PricekitError

if TYPE_CHECKING:
    from pricekit.sync.runner import RunReport

__all__ = [
    "DiscountSink",
    "DiscountSource",
    "EnrichmentSource",
    "InventoryRecord",
    "InventorySink",
    "InventorySource",
    "Location",
    "SourceAuthError",
    "SourceError",
    "SyncLock",
    "SyncRunRepository",
]


@dataclass(frozen=True, slots=True)
class Location:
    """A store the sync runs for.

    Attributes:
        location_id: The store's id (the seed's location UUID); deals are cached
            under it.
        pos_id: The store's id at the POS (the seed's ``lspId``), used to find
            its POS API key; defaults to ``location_id``.
        time_zone: The store's IANA time zone (deal dates and times are read in it).
        currency: The currency of the store's prices and deal amounts.
        name: A name for reports and progress bars.
    """

    location_id: str
    time_zone: str
    pos_id: str | None = None
    currency: str = "USD"
    name: str = ""

    @property
    def label(self) -> str:
        """The name, else the id."""
        return self.name or self.location_id


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """One product of a store's inventory, as a source gives it.

    Attributes:
        product_id: The product's id at the source.
        location_id: The store.
        data: Everything else the source sent (name, brand, category, price,
            quantity, ...), as plain JSON values; enrichment adds to it.
    """

    product_id: str
    location_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


class SourceError(BackendUnavailableError):
    """A source could not answer (network, server error, bad response).

    Attributes:
        source: Which source, e.g. ``"dutchie-pos"``.
        location_id: The location asked about, if any.
        cause: What went wrong.
    """

    def __init__(self, *, source: str, cause: str, location_id: str | None = None) -> None:
        where = f" for {location_id!r}" if location_id else ""
        PricekitError.__init__(self, f"{source} could not answer{where}: {cause}")
        self.source = source
        self.location_id = location_id
        self.cause = cause


class SourceAuthError(SourceError):
    """A source refused the credentials (HTTP 401 or 403): retrying will not help."""


@runtime_checkable
class SyncLock(Protocol):
    """A lock that keeps two sync runs from overlapping, across processes if need be."""

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lock for ``owner`` for ``ttl_seconds``, at once or not at all.

        Returns:
            ``True`` if taken; ``False`` if someone holds it (never waits).
        """
        ...

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        """Give ``owner``'s hold another ``ttl_seconds`` from now.

        Returns:
            ``False`` if ``owner`` no longer holds it (it expired and was taken).
        """
        ...

    def release(self, owner: str) -> bool:
        """Let go of ``owner``'s hold; ``False`` if ``owner`` did not hold it."""
        ...


@runtime_checkable
class SyncRunRepository(Protocol):
    """The history of sync runs."""

    def record(self, report: RunReport) -> None:
        """Store a finished run's report."""
        ...

    def recent(self, limit: int = 20) -> list[RunReport]:
        """The latest ``limit`` reports, newest (last recorded) first.

        Raises:
            InvalidValueError: ``limit`` is below 1.
        """
        ...


@runtime_checkable
class DiscountSource(Protocol):
    """One location's discounts, as deals."""

    name: str
    """A short name for reports: ``dutchie-pos``, ``dutchie-backoffice``, ``json-files``."""

    def available_for(self, location: Location) -> bool:
        """Whether this source can serve ``location`` (e.g. an API key is configured)."""
        ...

    def fetch(self, location: Location) -> list[Deal]:
        """The location's current discounts, all of them.

        Raises:
            SourceError: The source could not answer; nothing is known.
            InvalidValueError: The source answered with a record pricekit refuses.
        """
        ...


@runtime_checkable
class InventorySource(Protocol):
    """A store's products."""

    def fetch(self, location: Location) -> list[InventoryRecord]:
        """Every product of the store.

        Raises:
            SourceError: The source could not answer.
        """
        ...


@runtime_checkable
class EnrichmentSource(Protocol):
    """Images and metadata for products, from a second system."""

    def enrich(self, records: Sequence[InventoryRecord]) -> list[InventoryRecord]:
        """``records`` with what this source knows added to their ``data``.

        Raises:
            SourceError: The source could not answer.
        """
        ...


@runtime_checkable
class DiscountSink(Protocol):
    """Where the optional discount push writes (the seed's Odoo ``mint.discount``)."""

    def push(self, location: Location, deals: Sequence[Deal]) -> int:
        """Write the location's deals; how many were written.

        Raises:
            SourceError: The sink could not be written.
        """
        ...


@runtime_checkable
class InventorySink(Protocol):
    """Where the optional inventory push writes."""

    def push(self, location: Location, records: Sequence[InventoryRecord]) -> int:
        """Write the store's inventory; how many were written.

        Raises:
            SourceError: The sink could not be written.
        """
        ...
