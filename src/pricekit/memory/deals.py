"""In-memory, thread-safe adapter for the deal cache port.

:class:`InMemoryDealCache` keeps each location's deals behind one lock, so
:meth:`~InMemoryDealCache.merge_ptl` (read, merge, write) is one atomic step, as
the port asks.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pricekit.deals.merge import merge_ptl
from pricekit.deals.models import Deal
from pricekit.deals.ports import DealCacheError, check_deal_set

__all__ = ["InMemoryDealCache"]

_BACKEND = "in-memory deal cache"


class InMemoryDealCache:
    """Each location's deals in a dict. Safe to share between threads.

    Implements :class:`~pricekit.deals.ports.DealCache`. One lock guards every
    location: :meth:`merge_ptl` holds it across the read, the merge and the
    write, so two PTL webhooks for one location never lose each other's write.

    Testing aid: :meth:`break_reads` makes every read (:meth:`get`,
    :meth:`merge_ptl`, :meth:`locations`) raise
    :class:`~pricekit.deals.ports.DealCacheError`, as an unreachable or corrupt
    cache would, until :meth:`heal`; writes by :meth:`replace` still succeed.
    """

    __slots__ = ("_broken", "_deals", "_lock")

    def __init__(self) -> None:
        self._deals: dict[str, tuple[Deal, ...]] = {}
        self._broken: str | None = None  # why reads fail, while they do
        self._lock = threading.Lock()

    def get(self, location_id: str) -> list[Deal] | None:
        """The deals cached for the location (``None``: none cached; ``[]``: cached empty).

        Raises:
            DealCacheError: Reads are broken (:meth:`break_reads`).
        """
        with self._lock:
            self._check_readable(location_id)
            deals = self._deals.get(location_id)
        return None if deals is None else list(deals)

    def replace(self, location_id: str, deals: Sequence[Deal]) -> None:
        """Cache ``deals`` as the location's whole set, atomically: all or nothing.

        Raises:
            InvalidValueError: A deal of another location (``deals[i].location_id``)
                or an id given twice (``deals[i].id``); nothing is written.
        """
        checked = check_deal_set(location_id, deals)
        with self._lock:
            self._deals[location_id] = checked

    def merge_ptl(self, location_id: str, deals: Sequence[Deal]) -> list[Deal]:
        """Replace the location's PTL deals with ``deals``, atomically; the merged set.

        Under the lock: read the cached set (none cached: empty), merge it with
        :func:`pricekit.deals.merge.merge_ptl`, write the result.

        Raises:
            InvalidValueError: As :func:`pricekit.deals.merge.merge_ptl`; nothing
                is written.
            DealCacheError: Reads are broken (:meth:`break_reads`); nothing is written.
        """
        with self._lock:
            self._check_readable(location_id)
            merged = merge_ptl(self._deals.get(location_id, ()), deals, location_id=location_id)
            self._deals[location_id] = tuple(merged)
        return merged

    def locations(self) -> list[str]:
        """The ids of the locations with a cached set (empty sets too), sorted.

        Raises:
            DealCacheError: Reads are broken (:meth:`break_reads`).
        """
        with self._lock:
            self._check_readable(None)
            return sorted(self._deals)

    # -- testing aids -------------------------------------------------------------------

    def break_reads(self, cause: str = "simulated read failure") -> None:
        """Testing aid: make every read raise :class:`~pricekit.deals.ports.DealCacheError`.

        Until :meth:`heal`. The cached sets are kept.

        Args:
            cause: What the errors say went wrong.
        """
        with self._lock:
            self._broken = cause

    def heal(self) -> None:
        """Testing aid: undo :meth:`break_reads`; the cached sets read as before."""
        with self._lock:
            self._broken = None

    def _check_readable(self, location_id: str | None) -> None:
        """Raise the simulated read failure, if reads are broken. Call under the lock."""
        if self._broken is not None:
            raise DealCacheError(
                location_id=location_id, operation="read", cause=self._broken, backend=_BACKEND
            )
