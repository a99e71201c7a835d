"""In-memory, thread-safe adapter for the promotion ports.

:class:`InMemoryPromotionRepository` keeps promotions and their applications
behind one lock, so recording an application (the sale-id check, both usage
limits, the insert and the counter increment) is one atomic step, as the port
asks.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta

from pricekit.errors import ConflictError, NotFoundError
from pricekit.money import Money
from pricekit.pricing.models import Channel
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page, check_page
from pricekit.promotions.models import (
    Promotion,
    PromotionApplication,
    PromotionStatus,
    PromotionType,
)
from pricekit.promotions.repository import RecordOutcome, RecordStatus, UsageSummary
from pricekit.time import require_aware

__all__ = ["InMemoryPromotionRepository"]

_PROMOTION = "promotion"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    """``at`` as whole microseconds since the epoch: exact, unlike ``timestamp()``."""
    return (at - _EPOCH) // _MICROSECOND


def _newest_first(application: PromotionApplication) -> tuple[int, str]:
    return -_micros(application.applied_at), application.id


def _age(application: PromotionApplication) -> int:
    """The first part of :func:`_newest_first`: bisect a newest-first list by time alone."""
    return -_micros(application.applied_at)


class InMemoryPromotionRepository:
    """Promotions and their applications in dicts. Safe to share between threads.

    Implements both :class:`~pricekit.promotions.repository.PromotionRepository`
    and :class:`~pricekit.promotions.repository.PromotionUsageRepository`: the
    usage counter lives on the promotion, and one lock guards both, so
    :meth:`record` is atomic. Each promotion's applications are kept newest first
    (then by id), so a page of them is a slice and a period is two bisections.

    Beyond the ports:

    - :meth:`delete` refuses a promotion that has applications
      (:class:`~pricekit.errors.ConflictError`), as a foreign key would: the
      service then expires it instead.
    - :meth:`record` refuses an application id that is already stored
      (:class:`~pricekit.errors.ConflictError`).
    """

    __slots__ = (
        "_app_ids",
        "_applications",
        "_by_business",
        "_by_sale",
        "_customer_counts",
        "_lock",
        "_promotions",
    )

    def __init__(self) -> None:
        self._promotions: dict[str, Promotion] = {}
        self._by_business: dict[str, set[str]] = {}
        # promotion id -> its applications, newest first (then by id)
        self._applications: dict[str, list[PromotionApplication]] = {}
        self._by_sale: dict[tuple[str, str], PromotionApplication] = {}
        self._customer_counts: dict[tuple[str, str], int] = {}
        self._app_ids: set[str] = set()
        self._lock = threading.Lock()

    # -- promotions ---------------------------------------------------------------------

    def add(self, promotion: Promotion) -> None:
        """Store a new promotion.

        Raises:
            ConflictError: A promotion with this id is already stored.
        """
        with self._lock:
            if promotion.id in self._promotions:
                raise ConflictError(entity=_PROMOTION, id=promotion.id, reason="duplicate id")
            self._promotions[promotion.id] = promotion
            self._by_business.setdefault(promotion.business_id, set()).add(promotion.id)

    def replace(self, promotion: Promotion) -> None:
        """Replace the stored promotion with the same id, keeping the stored ``current_uses``.

        Raises:
            NotFoundError: No promotion with this id is stored.
        """
        with self._lock:
            old = self._promotions.get(promotion.id)
            if old is None:
                raise NotFoundError(entity=_PROMOTION, id=promotion.id)
            if promotion.current_uses != old.current_uses:
                promotion = promotion.model_copy(update={"current_uses": old.current_uses})
            if promotion.business_id != old.business_id:
                self._by_business[old.business_id].discard(old.id)
                self._by_business.setdefault(promotion.business_id, set()).add(promotion.id)
            self._promotions[promotion.id] = promotion

    def get(self, promotion_id: str) -> Promotion | None:
        """The promotion with this id (with its current ``current_uses``), or ``None``."""
        return self._promotions.get(promotion_id)

    def delete(self, promotion_id: str) -> None:
        """Remove a promotion for good.

        Raises:
            NotFoundError: No promotion with this id is stored.
            ConflictError: The promotion has applications; expire it instead.
        """
        with self._lock:
            old = self._promotions.get(promotion_id)
            if old is None:
                raise NotFoundError(entity=_PROMOTION, id=promotion_id)
            if self._applications.get(promotion_id):
                raise ConflictError(
                    entity=_PROMOTION,
                    id=promotion_id,
                    reason="it has applications, which must keep their promotion; expire it",
                )
            del self._promotions[promotion_id]
            self._by_business[old.business_id].discard(promotion_id)

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
            channel: Only promotions that run on this channel (their channel, or
                every channel); ``Channel.ANY`` matches only promotions for every channel.
            active_from: Only promotions whose validity reaches past this instant
                (an open end reaches forever).
            active_to: Only promotions whose validity starts before this instant
                (an open start began forever ago).
            offset: How many matching promotions to skip.
            limit: The most to return.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``, or a naive
                ``active_from`` / ``active_to``.
        """
        check_page(offset=offset, limit=limit)
        if active_from is not None:
            require_aware(active_from, field="active_from")
        if active_to is not None:
            require_aware(active_to, field="active_to")
        wanted_channel = None if channel in (None, Channel.ANY) else channel
        matching = [
            p
            for p in self.all_for_business(business_id, statuses=statuses)
            if (type is None or p.type is type)
            and (channel is None or p.channel is None or p.channel is wanted_channel)
            and (active_from is None or p.valid_to is None or p.valid_to > active_from)
            and (active_to is None or p.valid_from is None or p.valid_from < active_to)
        ]
        return Page[Promotion].of(matching, offset=offset, limit=limit)

    def all_for_business(
        self, business_id: str, *, statuses: Collection[PromotionStatus] | None = None
    ) -> list[Promotion]:
        """Every promotion of the business (in these statuses), ordered by id."""
        wanted = None if statuses is None else frozenset(statuses)
        with self._lock:
            promotions = self._promotions
            return [
                promotion
                for promotion in (
                    promotions[i] for i in sorted(self._by_business.get(business_id, ()))
                )
                if wanted is None or promotion.status in wanted
            ]

    def due(self, now: datetime, *, business_id: str | None = None) -> list[Promotion]:
        """The promotions whose status time has moved by ``now``, ordered by id.

        Raises:
            InvalidValueError: ``now`` is naive (field ``now``).
        """
        require_aware(now, field="now")
        with self._lock:
            if business_id is None:
                promotions: Iterable[Promotion] = self._promotions.values()
            else:
                promotions = (self._promotions[i] for i in self._by_business.get(business_id, ()))
            moved = [p for p in promotions if p.due_status(now) is not None]
        return sorted(moved, key=lambda promotion: promotion.id)

    # -- usage --------------------------------------------------------------------------

    def record(
        self, application: PromotionApplication, *, max_uses_per_customer: int | None
    ) -> RecordOutcome:
        """Record an application, atomically, once per ``(promotion_id, sale_id)``.

        In one step under the lock: a sale already recorded gives ``DUPLICATE``
        (with the earlier application); a promotion at its stored ``max_uses``
        gives ``LIMIT_REACHED``; a customer with ``max_uses_per_customer``
        applications of it gives ``CUSTOMER_LIMIT_REACHED``; otherwise the
        application is stored and ``current_uses`` goes up by one.

        Raises:
            NotFoundError: The promotion is not stored.
            ConflictError: Another application with this id is stored.
        """
        promotion_id = application.promotion_id
        customer_key = (
            None if application.customer_id is None else (promotion_id, application.customer_id)
        )
        with self._lock:
            promotion = self._promotions.get(promotion_id)
            if promotion is None:
                raise NotFoundError(entity=_PROMOTION, id=promotion_id)
            uses = promotion.current_uses
            earlier = self._by_sale.get((promotion_id, application.sale_id))
            if earlier is not None:
                return RecordOutcome(RecordStatus.DUPLICATE, earlier, uses)
            if promotion.max_uses is not None and uses >= promotion.max_uses:
                return RecordOutcome(RecordStatus.LIMIT_REACHED, None, uses)
            if (
                customer_key is not None
                and max_uses_per_customer is not None
                and self._customer_counts.get(customer_key, 0) >= max_uses_per_customer
            ):
                return RecordOutcome(RecordStatus.CUSTOMER_LIMIT_REACHED, None, uses)
            if application.id in self._app_ids:
                raise ConflictError(
                    entity="promotion_application", id=application.id, reason="duplicate id"
                )
            self._app_ids.add(application.id)
            self._by_sale[(promotion_id, application.sale_id)] = application
            if customer_key is not None:
                self._customer_counts[customer_key] = self._customer_counts.get(customer_key, 0) + 1
            bisect.insort(
                self._applications.setdefault(promotion_id, []), application, key=_newest_first
            )
            uses += 1
            # Only the counter changes: no need to validate the whole promotion again.
            self._promotions[promotion_id] = promotion.model_copy(update={"current_uses": uses})
            return RecordOutcome(RecordStatus.RECORDED, application, uses)

    def application_for_sale(self, promotion_id: str, sale_id: str) -> PromotionApplication | None:
        """The application recorded for this promotion and sale, or ``None``."""
        return self._by_sale.get((promotion_id, sale_id))

    def customer_uses(self, customer_id: str, promotion_ids: Collection[str]) -> dict[str, int]:
        """How many applications each promotion has for the customer (missing: none)."""
        counts = self._customer_counts
        with self._lock:
            return {
                promotion_id: count
                for promotion_id in promotion_ids
                if (count := counts.get((promotion_id, customer_id), 0))
            }

    def applications(
        self, promotion_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_LIMIT
    ) -> Page[PromotionApplication]:
        """One page of a promotion's applications, newest first (then by id).

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        with self._lock:
            records = self._applications.get(promotion_id, ())
            return Page[PromotionApplication].of(records, offset=offset, limit=limit)

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
        Discounts add up exactly, in minor units.

        Raises:
            InvalidValueError: A naive ``start`` or ``end``.
        """
        # Newest first: applied_at < end is _age > -end, applied_at >= start is _age <= -start.
        after_end = None if end is None else -_micros(require_aware(end, field="end"))
        before_start = None if start is None else -_micros(require_aware(start, field="start"))
        wanted = None if promotion_ids is None else frozenset(promotion_ids)
        rows: list[UsageSummary] = []
        with self._lock:
            for promotion_id in sorted(self._by_business.get(business_id, ())):
                if wanted is not None and promotion_id not in wanted:
                    continue
                records = self._applications.get(promotion_id)
                if not records:
                    continue
                low = 0 if after_end is None else bisect.bisect_right(records, after_end, key=_age)
                high = len(records)
                if before_start is not None:
                    high = bisect.bisect_right(records, before_start, lo=low, key=_age)
                picked = [a for a in records[low:high] if a.business_id == business_id]
                if picked:
                    rows.append(
                        UsageSummary(
                            promotion_id=promotion_id,
                            uses=len(picked),
                            total_discount=Money.sum(
                                (a.discount for a in picked), currency=picked[0].discount.currency
                            ),
                        )
                    )
        return rows
