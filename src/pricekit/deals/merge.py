"""Merging a PTL publication into a location's cached deals: the seed's ``mergePtlDiscounts()``.

When marketing publishes a PTL day, the webhook carries the location's whole
PTL set. It replaces the PTL deals in the location's cached set and leaves the
Dutchie deals alone:

1. every incoming deal gets its PTL id, ``{location}_ptl_{discount}``
   (:func:`~pricekit.deals.models.deal_id`), and ``source="ptl"``, so the next
   merge can tell it from a Dutchie deal;
2. the existing cached deals are read;
3. the old PTL deals (``source="ptl"``, or ``_ptl_`` in the id, as the seed
   tells them) are dropped and the Dutchie deals kept;
4. the result is the Dutchie deals followed by the new PTL deals,

except that a PTL deal also published to Dutchie is left out: the Dutchie
record wins, so a menu never shows a lower price than the register charges
(see :func:`merge_ptl_report` for when two deals are the same deal).

The functions are pure; :meth:`pricekit.deals.ports.DealCache.merge_ptl` runs
them atomically against the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pricekit.deals.models import PTL_MARK, Deal, DealSource, deal_id
from pricekit.errors import InvalidValueError, ModelValidationError

__all__ = ["MergeReport", "is_ptl_deal", "merge_ptl", "merge_ptl_report", "same_deal"]


@dataclass(frozen=True, slots=True)
class MergeReport:
    """The result of :func:`merge_ptl_report`.

    Attributes:
        deals: The merged set: the Dutchie deals in their existing order, then the
            kept PTL deals in incoming order.
        dropped_ptl_ids: The ids of the existing PTL deals that are gone: not in
            the incoming set (in existing order). An old PTL deal that comes again
            is replaced, not dropped.
        replaced_by_dutchie: The ids of the incoming PTL deals left out because
            they duplicate a Dutchie deal, each mapped to the id of the first
            Dutchie deal it duplicates (in incoming order).
    """

    deals: list[Deal]
    dropped_ptl_ids: list[str] = field(default_factory=list)
    replaced_by_dutchie: dict[str, str] = field(default_factory=dict)


def is_ptl_deal(deal: Deal) -> bool:
    """Whether a cached deal is PTL: ``source="ptl"`` or ``_ptl_`` in its id (as the seed)."""
    return deal.source is DealSource.PTL or PTL_MARK in deal.id


def _name_key(name: str) -> str:
    """The name compared by :func:`same_deal`: case-folded, runs of whitespace as one space."""
    return " ".join(name.split()).casefold()


def _validity_overlaps(a: Deal, b: Deal) -> bool:
    """Whether the validity periods overlap (ends exclusive; an open side reaches forever)."""
    a_starts_in_time = a.valid_from is None or b.valid_to is None or a.valid_from < b.valid_to
    b_starts_in_time = b.valid_from is None or a.valid_to is None or b.valid_from < a.valid_to
    return a_starts_in_time and b_starts_in_time


def same_deal(dutchie: Deal, ptl: Deal) -> bool:
    """Whether a PTL deal duplicates a Dutchie deal (the Dutchie record then wins).

    They are the same deal when the Dutchie deal's ``discount_id`` equals the PTL
    deal's, or when their names are equal ignoring case and whitespace (leading,
    trailing, and how much between words; an empty name matches nothing) and
    their validity periods overlap (ends exclusive; a missing start or end
    reaches forever).
    """
    if dutchie.discount_id == ptl.discount_id:
        return True
    name = _name_key(dutchie.name)
    return bool(name) and name == _name_key(ptl.name) and _validity_overlaps(dutchie, ptl)


def _as_ptl(deal: Deal, *, location_id: str, index: int) -> Deal:
    """``deal`` with its PTL id and ``source="ptl"`` (itself when it has both)."""
    wanted = deal_id(location_id, deal.discount_id, DealSource.PTL)
    if deal.id == wanted and deal.source is DealSource.PTL:
        return deal
    try:
        return deal.evolve(id=wanted, source=DealSource.PTL)
    except ModelValidationError as exc:  # e.g. the PTL id is longer than an id may be
        raise InvalidValueError(
            field=f"incoming[{index}].{exc.field}", value=exc.value, reason=exc.reason
        ) from None


def merge_ptl_report(
    existing: Sequence[Deal], incoming: Sequence[Deal], *, location_id: str
) -> MergeReport:
    """Merge a location's PTL publication into its cached deals, with what changed.

    Exactly the seed's ``mergePtlDiscounts()``:

    1. each incoming deal whose ``id`` is not ``deal_id(location_id, discount_id,
       "ptl")`` (``{location}_ptl_{discount}``), or whose source is not ``ptl``,
       is rebuilt (validated) with that id and ``source="ptl"``; one that has both
       is kept as it is;
    2. of ``existing``, the PTL deals (``source="ptl"`` or ``_ptl_`` in the id)
       are dropped and the Dutchie deals kept;
    3. the result is the Dutchie deals in their existing order, then the new PTL
       deals in incoming order.

    Plus one rule: when a PTL deal was also published to Dutchie, the Dutchie
    record wins, so a menu never shows a lower price than the register charges.
    An incoming PTL deal is left out when a kept Dutchie deal is the same deal:
    the same ``discount_id``, or the same name (ignoring case and whitespace) with
    overlapping validity (see :func:`same_deal`).

    The incoming set replaces every old PTL deal, so an empty ``incoming``
    removes them all, and merging the same payload again gives the same set.

    Args:
        existing: The location's cached deals (none cached: empty).
        incoming: The location's whole PTL set, as published.
        location_id: The location.

    Raises:
        InvalidValueError: An incoming deal of another location
            (``incoming[i].location_id``), two incoming deals with the same PTL id
            (``incoming[i].id``, the later one) or one whose PTL id is refused, or
            an existing deal of another location (``existing[i].location_id``).
    """
    for index, deal in enumerate(existing):
        if deal.location_id != location_id:
            raise InvalidValueError(
                field=f"existing[{index}].location_id",
                value=deal.location_id,
                reason=f"a cached deal of another location (merging into {location_id!r})",
            )
    fresh: list[Deal] = []
    seen: dict[str, int] = {}
    for index, deal in enumerate(incoming):
        if deal.location_id != location_id:
            raise InvalidValueError(
                field=f"incoming[{index}].location_id",
                value=deal.location_id,
                reason=f"must be the location merged into ({location_id!r})",
            )
        ptl = _as_ptl(deal, location_id=location_id, index=index)
        earlier = seen.setdefault(ptl.id, index)
        if earlier != index:
            raise InvalidValueError(
                field=f"incoming[{index}].id",
                value=ptl.id,
                reason=f"the same PTL deal as incoming[{earlier}] (one per discount id)",
            )
        fresh.append(ptl)

    dutchie = [deal for deal in existing if not is_ptl_deal(deal)]
    kept: list[Deal] = []
    replaced: dict[str, str] = {}
    for ptl in fresh:
        winner = next((d for d in dutchie if same_deal(d, ptl)), None)
        if winner is None:
            kept.append(ptl)
        else:
            replaced[ptl.id] = winner.id
    dropped = [deal.id for deal in existing if is_ptl_deal(deal) and deal.id not in seen]
    return MergeReport(
        deals=[*dutchie, *kept], dropped_ptl_ids=dropped, replaced_by_dutchie=replaced
    )


def merge_ptl(
    existing: Sequence[Deal], incoming: Sequence[Deal], *, location_id: str
) -> list[Deal]:
    """The merged set of :func:`merge_ptl_report`: Dutchie deals, then the new PTL deals.

    Args:
        existing: The location's cached deals (none cached: empty).
        incoming: The location's whole PTL set, as published.
        location_id: The location.

    Raises:
        InvalidValueError: As :func:`merge_ptl_report`.
    """
    return merge_ptl_report(existing, incoming, location_id=location_id).deals
