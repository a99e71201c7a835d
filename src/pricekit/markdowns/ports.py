"""The ports the markdown service stores and reads through.

Each port is a small :class:`typing.Protocol` that takes and returns pricekit
models; :mod:`pricekit.memory` implements every one of them. Repositories hold
data and check uniqueness of ids, nothing else: the lifecycle rules belong to
:class:`~pricekit.markdowns.service.MarkdownService`.

- :class:`MarkdownPlanRepository`, :class:`MarkdownWaveRepository` and
  :class:`MarkdownHistoryRepository` keep plans, waves (with their locations and
  items) and the history of activations, skips and reversals.
- :class:`LocationDirectory` says whether a business location exists and is active
  (a deactivated location is skipped when a wave comes due there).
- :class:`InventoryLookup` gives units on hand (preview value impact, export, reports).
- :class:`SalesSource` gives the sale lines a performance report reads.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pricekit.markdowns.models import (
    MarkdownHistoryEntry,
    MarkdownPlan,
    MarkdownWave,
    WaveItem,
    WaveStatus,
)
from pricekit.money import Money
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page

__all__ = [
    "InventoryLookup",
    "LocationDirectory",
    "MarkdownHistoryRepository",
    "MarkdownPlanRepository",
    "MarkdownWaveRepository",
    "SaleLine",
    "SalesSource",
]


@runtime_checkable
class MarkdownPlanRepository(Protocol):
    """Where markdown plans are kept."""

    def add(self, plan: MarkdownPlan) -> None:
        """Store a new plan.

        Raises:
            ConflictError: A plan with this id is already stored.
        """
        ...

    def replace(self, plan: MarkdownPlan) -> None:
        """Replace the stored plan with the same id.

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        ...

    def get(self, plan_id: str) -> MarkdownPlan | None:
        """The plan with this id, or ``None``."""
        ...

    def delete(self, plan_id: str) -> None:
        """Remove a plan (its waves are removed through the wave repository).

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        ...

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
        ...


@runtime_checkable
class MarkdownWaveRepository(Protocol):
    """Where waves are kept, each with its locations (on the wave) and its items."""

    def add(self, wave: MarkdownWave, items: Sequence[WaveItem]) -> None:
        """Store a new wave and its items, all or nothing.

        Every item names the wave as its ``wave_id``, and a variant appears once.

        Raises:
            ConflictError: A wave with this id is already stored, or a variant is
                given twice.
            InvalidValueError: An item of another wave.
        """
        ...

    def save(self, wave: MarkdownWave, *, items: Sequence[WaveItem] | None = None) -> None:
        """Replace a stored wave (status, locations, fields), and its items if given.

        All or nothing: the wave and its items change together.

        Raises:
            NotFoundError: No wave with this id is stored.
        """
        ...

    def get(self, wave_id: str) -> MarkdownWave | None:
        """The wave with this id, or ``None``."""
        ...

    def items(self, wave_id: str) -> list[WaveItem]:
        """The wave's items ordered by variant id; empty for an unknown wave."""
        ...

    def delete(self, wave_id: str) -> None:
        """Remove a wave and its items.

        Raises:
            NotFoundError: No wave with this id is stored.
        """
        ...

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
            business_id: The business; ``None`` for every business (the scheduled
                activation job looks across businesses).
            plan_id: Only this plan's waves.
            statuses: Only waves in one of these states (an empty collection
                matches none; ``None`` matches all).
            offset: How many matching waves to skip.
            limit: The most waves to return.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        ...


@runtime_checkable
class MarkdownHistoryRepository(Protocol):
    """Where the history of activations, skips and reversals is kept."""

    def add_many(self, entries: Sequence[MarkdownHistoryEntry]) -> None:
        """Store entries, all or nothing.

        Raises:
            ConflictError: An entry id is already stored or given twice in the
                batch (nothing is stored then).
        """
        ...

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
        ...

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
        ...


@runtime_checkable
class LocationDirectory(Protocol):
    """Knows a business's locations and whether each is active."""

    def location_status(self, business_id: str, location_ids: Collection[str]) -> dict[str, bool]:
        """Whether each known location of ``location_ids`` is active.

        Unknown locations are left out of the answer.
        """
        ...


@runtime_checkable
class InventoryLookup(Protocol):
    """Units on hand."""

    def on_hand(
        self,
        business_id: str,
        variant_ids: Collection[str],
        *,
        location_ids: Collection[str] | None = None,
    ) -> Mapping[str, Decimal]:
        """Units on hand per variant, summed over ``location_ids`` (``None``: every location).

        Variants with no stock record may be left out (they count as zero).
        """
        ...


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One sold line, as a performance report reads it.

    Attributes:
        variant_id: The variant sold.
        location_id: Where it was sold.
        sold_at: When.
        quantity: Units sold (a decimal for goods sold by weight).
        net_amount: What the customer paid for the line, after every discount.
        cost_amount: What the units cost, if known.
        markdown_wave_id: The markdown wave the unit price came from, if any (the
            ``markdown_wave_id`` of the resolved price the sale was rung up at).
    """

    variant_id: str
    location_id: str
    sold_at: datetime
    quantity: Decimal
    net_amount: Money
    cost_amount: Money | None = None
    markdown_wave_id: str | None = None


@runtime_checkable
class SalesSource(Protocol):
    """Where sales come from, for markdown performance reports."""

    def sales(
        self,
        business_id: str,
        *,
        variant_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> Iterable[SaleLine]:
        """The business's sale lines of these variants with ``start <= sold_at < end``.

        In ``sold_at`` order.

        Raises:
            InvalidValueError: ``end`` is before ``start``, or either is naive.
        """
        ...
