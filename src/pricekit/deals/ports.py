"""The port the deal pipeline caches each location's deals through.

- :class:`DealCache` keeps the current set of deals of each location: the
  seed's Redis cache, one JSON array of deals under
  ``discounts:{location_id}`` (:func:`deal_cache_key`), which the menu reads.
  Writes are **atomic**: :meth:`DealCache.replace` writes the whole set or
  nothing, and :meth:`DealCache.merge_ptl` reads, merges (see
  :func:`pricekit.deals.merge.merge_ptl`) and writes as one step, so two PTL
  webhooks for one location never lose each other's write to a stale read. A
  Redis adapter does it with ``WATCH``/``MULTI`` or a Lua script; never
  read-then-write.
- A cache that cannot be read raises :class:`DealCacheError`: an unreadable
  cache is never "no deals", or a menu would silently show none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pricekit.deals.models import Deal
from pricekit.errors import BackendUnavailableError, InvalidValueError, PricekitError

__all__ = [
    "DEAL_CACHE_KEY",
    "DealCache",
    "DealCacheError",
    "check_deal_set",
    "deal_cache_key",
]

DEAL_CACHE_KEY = "discounts:{location_id}"
"""The seed's cache key of a location's deals (a JSON array of every active deal)."""


def check_deal_set(location_id: str, deals: Sequence[Deal]) -> tuple[Deal, ...]:
    """``deals`` as a tuple, once every deal is of the location and every id is new.

    What every :class:`DealCache` checks before it writes a location's set, so
    that every adapter refuses the same sets with the same errors.

    Raises:
        InvalidValueError: ``deals[i].location_id`` of another location, or
            ``deals[i].id`` given twice.
    """
    seen: dict[str, int] = {}
    for index, deal in enumerate(deals):
        if deal.location_id != location_id:
            raise InvalidValueError(
                field=f"deals[{index}].location_id",
                value=deal.location_id,
                reason=f"must be the location cached ({location_id!r})",
            )
        earlier = seen.setdefault(deal.id, index)
        if earlier != index:
            raise InvalidValueError(
                field=f"deals[{index}].id",
                value=deal.id,
                reason=f"the same id as deals[{earlier}]",
            )
    return tuple(deals)


def deal_cache_key(location_id: str) -> str:
    """The cache key of a location's deals: ``discounts:{location_id}``.

    Args:
        location_id: The location (the seed's location UUID).

    Raises:
        InvalidValueError: An empty ``location_id``.
    """
    if not location_id:
        raise InvalidValueError(field="location_id", value=location_id, reason="must not be empty")
    return DEAL_CACHE_KEY.format(location_id=location_id)


class DealCacheError(BackendUnavailableError):
    """The deal cache could not be read or written; the answer is unknown, not empty.

    A :class:`~pricekit.errors.BackendUnavailableError` (so a
    :class:`~pricekit.errors.PricekitError`) about one location's deals.

    Attributes:
        location_id: The location whose deals could not be read or written;
            ``None`` when listing the locations failed.
        backend: Which cache failed, e.g. ``"redis"``.
        operation: What was being done, e.g. ``"read"``.
        cause: What went wrong, when known.
    """

    def __init__(
        self,
        *,
        location_id: str | None,
        operation: str,
        cause: str = "",
        backend: str = "deal cache",
    ) -> None:
        tail = f": {cause}" if cause else ""
        what = "the locations" if location_id is None else f"the deals of {location_id!r}"
        PricekitError.__init__(self, f"{backend} could not {operation} {what}{tail}")
        self.location_id = location_id
        self.backend = backend
        self.operation = operation
        self.cause = cause


@runtime_checkable
class DealCache(Protocol):
    """Where each location's current set of deals is cached (the menu reads it)."""

    def get(self, location_id: str) -> list[Deal] | None:
        """The deals cached for the location, in their cached order.

        ``None`` means nothing is cached for the location yet; ``[]`` means a set
        is cached and it is empty.

        Raises:
            DealCacheError: The cache could not be read (never answered as ``[]``).
        """
        ...

    def replace(self, location_id: str, deals: Sequence[Deal]) -> None:
        """Cache ``deals`` as the location's whole set, atomically: all or nothing.

        Raises:
            InvalidValueError: A deal of another location (``deals[i].location_id``)
                or an id given twice (``deals[i].id``); nothing is written.
            DealCacheError: The cache could not be written; the previous set stays.
        """
        ...

    def merge_ptl(self, location_id: str, deals: Sequence[Deal]) -> list[Deal]:
        """Replace the location's PTL deals with ``deals``, atomically; the merged set.

        Reads the cached set (none cached: empty), merges it with
        :func:`pricekit.deals.merge.merge_ptl` (Dutchie deals kept, old PTL deals
        dropped, ``deals`` given their PTL ids, a PTL deal that duplicates a
        Dutchie deal left out) and writes the result, as one step: a concurrent
        write to the location is never lost to a stale read.

        Raises:
            InvalidValueError: As :func:`pricekit.deals.merge.merge_ptl` (a deal of
                another location, an id given twice); nothing is written.
            DealCacheError: The cache could not be read or written; nothing is written.
        """
        ...

    def locations(self) -> list[str]:
        """The ids of the locations with a cached set (empty sets too), sorted.

        Raises:
            DealCacheError: The cache could not be read.
        """
        ...
