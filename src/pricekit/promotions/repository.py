"""The repository ports the promotion service stores promotions and their usage through.

- :class:`PromotionRepository` keeps promotions (with their conditions, rewards
  and locations, as one record).
- :class:`PromotionUsageRepository` records applications to sales and keeps the
  usage counters. Recording is **atomic**: the repository checks the sale id, the
  promotion's ``max_uses`` (read from the stored promotion) and the per-customer
  limit, inserts the application and increments ``current_uses`` as one step, so
  concurrent sales can never exceed a limit. A database adapter does it with one
  conditional ``UPDATE ... WHERE current_uses < max_uses`` and a unique
  ``(promotion_id, sale_id)``; never read-then-write.

Because the counter lives on the promotion, one object usually implements both
ports (as :class:`pricekit.memory.InMemoryPromotionRepository` does).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pricekit.money import Money
from pricekit.pricing.models import Channel
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page
from pricekit.promotions.models import (
    Promotion,
    PromotionApplication,
    PromotionStatus,
    PromotionType,
)

__all__ = [
    "PromotionRepository",
    "PromotionUsageRepository",
    "RecordOutcome",
    "RecordStatus",
    "UsageSummary",
]


@runtime_checkable
class PromotionRepository(Protocol):
    """Where promotions are kept."""

    def add(self, promotion: Promotion) -> None:
        """Store a new promotion.

        Raises:
            ConflictError: A promotion with this id is already stored.
        """
        ...

    def replace(self, promotion: Promotion) -> None:
        """Replace the stored promotion with the same id.

        ``current_uses`` is the repository's own counter: the stored value is kept,
        whatever ``promotion.current_uses`` says.

        Raises:
            NotFoundError: No promotion with this id is stored.
        """
        ...

    def get(self, promotion_id: str) -> Promotion | None:
        """The promotion with this id (with its current ``current_uses``), or ``None``."""
        ...

    def delete(self, promotion_id: str) -> None:
        """Remove a promotion for good (one never applied to a sale).

        Raises:
            NotFoundError: No promotion with this id is stored.
            ConflictError: It has applications (their history must stay).
        """
        ...

    def find(
        self,
        business_id: str,
        *,
        statuses: Collection[PromotionStatus] | None = None,
        type: PromotionType | None = None,
        channel: Channel | None = None,
        active_from: datetime | None = None,
        active_to: datetime | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[Promotion]:
        """One page of a business's promotions matching every filter given, ordered by id.

        Args:
            business_id: The business.
            statuses: Only these statuses (empty: none; ``None``: all).
            type: Only this type.
            channel: Only promotions that run on this channel (their channel, or every
                channel).
            active_from: Only promotions whose validity reaches past this instant.
            active_to: Only promotions whose validity starts before this instant.
            offset: How many matching promotions to skip.
            limit: The most to return.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        ...

    def all_for_business(
        self, business_id: str, *, statuses: Collection[PromotionStatus] | None = None
    ) -> list[Promotion]:
        """Every promotion of the business (in these statuses), ordered by id."""
        ...

    def due(self, now: datetime, *, business_id: str | None = None) -> list[Promotion]:
        """The promotions whose status time has moved by ``now``, ordered by id.

        Those ``scheduled``, ``active`` or ``paused`` with ``valid_to <= now``, and
        those ``scheduled`` with no ``valid_from`` or ``valid_from <= now``; of one
        business, or of every business when ``business_id`` is ``None``. The
        service's status reconcile runs on it, so it must not scan more than it
        needs to (a database answers it from an index on status and validity).
        """
        ...


class RecordStatus(StrEnum):
    """What recording an application did."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    """The sale was already recorded for this promotion; nothing changed."""
    LIMIT_REACHED = "limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """The result of :meth:`PromotionUsageRepository.record`.

    Attributes:
        status: Recorded, duplicate, or refused by a limit.
        application: The stored application (the earlier one for a duplicate);
            ``None`` when refused.
        current_uses: The promotion's counter after the call.
    """

    status: RecordStatus
    application: PromotionApplication | None
    current_uses: int


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """Uses and total discount of one promotion over a period.

    Attributes:
        promotion_id: The promotion.
        uses: Applications recorded in the period.
        total_discount: Their discounts added up.
    """

    promotion_id: str
    uses: int
    total_discount: Money


@runtime_checkable
class PromotionUsageRepository(Protocol):
    """Where applications of promotions to sales are recorded, atomically with the counter."""

    def record(
        self, application: PromotionApplication, *, max_uses_per_customer: int | None
    ) -> RecordOutcome:
        """Record an application, atomically, once per ``(promotion_id, sale_id)``.

        In one step: a sale already recorded gives ``DUPLICATE``; a promotion at its
        stored ``max_uses`` gives ``LIMIT_REACHED``; a customer with
        ``max_uses_per_customer`` applications gives ``CUSTOMER_LIMIT_REACHED``;
        otherwise the application is stored and ``current_uses`` goes up by one.

        Raises:
            NotFoundError: The promotion is not stored.
        """
        ...

    def application_for_sale(self, promotion_id: str, sale_id: str) -> PromotionApplication | None:
        """The application recorded for this promotion and sale, or ``None``."""
        ...

    def customer_uses(self, customer_id: str, promotion_ids: Collection[str]) -> dict[str, int]:
        """How many applications each promotion has for the customer (missing: none)."""
        ...

    def applications(
        self, promotion_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_LIMIT
    ) -> Page[PromotionApplication]:
        """One page of a promotion's applications, newest first (then by id).

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        ...

    def summary(
        self,
        business_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        promotion_ids: Collection[str] | None = None,
    ) -> list[UsageSummary]:
        """Uses and total discount per promotion with ``start <= applied_at < end``.

        One row per promotion that has applications in the period, ordered by id.
        """
        ...
