"""The promotion service: promotions over repositories, their lifecycle, usage and reports.

:class:`PromotionService` is seed 002's promotion endpoints as methods:

- **Lifecycle.** ``draft`` -> ``active`` | ``scheduled``; ``scheduled`` -> ``active`` |
  ``expired``; ``active`` -> ``paused`` | ``expired``; ``paused`` -> ``active`` |
  ``expired``; ``expired`` is terminal. Going live looks at the validity window:
  a promotion whose ``valid_from`` is still to come becomes ``scheduled``, one
  whose ``valid_to`` has passed cannot go live at all.
- **Reconcile on read.** Time moves promotions on by itself (``scheduled`` ->
  ``active`` at ``valid_from``; ``scheduled`` / ``active`` / ``paused`` ->
  ``expired`` at ``valid_to``). There is no job: every read runs
  :meth:`PromotionService.reconcile` first, over the promotions it returns.
- **Deletion.** A promotion never applied to a sale is deleted for good; one
  with applications is expired instead, so its history stays.
- **Usage.** :meth:`PromotionService.record_application` records a promotion used
  on a sale, once per sale; the repository checks the usage limits and counts
  the use in one atomic step, so concurrent sales never exceed a limit.

Writes are serialised by a lock; reads take it only when time has moved a
promotion on. Recording takes no service lock: the repository is the guard.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pricekit._model import fields_of
from pricekit.errors import (
    ConflictError,
    CurrencyMismatchError,
    InvalidStateTransitionError,
    InvalidValueError,
    NotFoundError,
    UsageLimitReachedError,
)
from pricekit.money import Money, get_currency
from pricekit.pricing.models import Channel
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page
from pricekit.promotions.evaluate import EvaluationResult, Policy, evaluate
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import (
    CartLine,
    EvaluationContext,
    Promotion,
    PromotionApplication,
    PromotionStatus,
    PromotionType,
)
from pricekit.promotions.repository import (
    PromotionRepository,
    PromotionUsageRepository,
    RecordStatus,
    UsageSummary,
)
from pricekit.time import Clock, SystemClock, require_aware

__all__ = ["DeletionResult", "PromotionService"]

_PROMOTION = "promotion"

_DRAFT = PromotionStatus.DRAFT
_SCHEDULED = PromotionStatus.SCHEDULED
_ACTIVE = PromotionStatus.ACTIVE
_PAUSED = PromotionStatus.PAUSED
_EXPIRED = PromotionStatus.EXPIRED

_TRANSITIONS: Mapping[PromotionStatus, tuple[PromotionStatus, ...]] = {
    _DRAFT: (_ACTIVE, _SCHEDULED),
    _SCHEDULED: (_ACTIVE, _EXPIRED),
    _ACTIVE: (_PAUSED, _EXPIRED),
    _PAUSED: (_ACTIVE, _EXPIRED),
    _EXPIRED: (),
}
"""The statuses each status may move to on request (seed 002)."""

_TIMED = (_SCHEDULED, _ACTIVE, _PAUSED)
"""The statuses time moves on: the only ones reconciliation looks at."""

_LIVE = (_ACTIVE, _SCHEDULED, _DRAFT)
"""The statuses evaluation (or a preview) may consider."""

_CREATED_AS = (_DRAFT, _ACTIVE, _SCHEDULED)

_PREVIEW = (_DRAFT, _SCHEDULED)
"""The statuses a preview evaluates as if active."""


def _next_change(promotions: Iterable[Promotion]) -> datetime | None:
    """The next instant time moves one of ``promotions`` to another status."""
    upcoming: list[datetime] = []
    for promotion in promotions:
        if promotion.status is _SCHEDULED and promotion.valid_from is not None:
            upcoming.append(promotion.valid_from)
        if promotion.valid_to is not None:
            upcoming.append(promotion.valid_to)
    return min(upcoming, default=None)


_FIXED_ON_UPDATE = {
    "id": "a promotion's id cannot change",
    "business_id": "a promotion cannot move to another business",
    "status": "is changed with transition()",
    "current_uses": "is counted by the repository as applications are recorded",
    "created_at": "is set by the service and cannot be given",
    "updated_at": "is set by the service and cannot be given",
}

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class DeletionResult:
    """What :meth:`PromotionService.delete_promotion` did.

    Attributes:
        promotion: The promotion as deleted (hard) or as it is now (soft: ``expired``).
        hard: ``True`` when it was removed for good (it was never applied);
            ``False`` when it was expired instead, keeping its applications.
    """

    promotion: Promotion
    hard: bool


def _enum(kind: type[_E], value: object, *, field: str) -> _E:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    raise InvalidValueError(
        field=field,
        value=value,
        reason=f"must be one of {', '.join(member.value for member in kind)}",
    )


def _aware_or_none(value: datetime | None, *, field: str) -> datetime | None:
    return None if value is None else require_aware(value, field=field)


def _cannot_go_live(
    promotion: Promotion, requested: PromotionStatus, now: datetime
) -> tuple[str, object, str] | None:
    """Why ``promotion`` cannot become ``requested`` (active or scheduled) now, if it cannot.

    Returns:
        ``(field, value, reason)``, or ``None`` when it can.
    """
    if requested is _SCHEDULED and promotion.valid_from is None:
        return "valid_from", None, "a scheduled promotion needs a valid_from (when it starts)"
    if promotion.valid_to is not None and promotion.valid_to <= now:
        return (
            "valid_to",
            promotion.valid_to.isoformat(),
            f"has passed (it is now {now.isoformat()}), so the promotion would expire at "
            "once; set a later valid_to first",
        )
    return None


def _live_status(promotion: Promotion, now: datetime) -> PromotionStatus:
    """``scheduled`` while ``valid_from`` is still to come, else ``active``."""
    if promotion.valid_from is not None and promotion.valid_from > now:
        return _SCHEDULED
    return _ACTIVE


def _refuse_given(fields: Mapping[str, Any]) -> None:
    """Refuse fields the service sets, when given a value other than their default."""
    for name in ("created_at", "updated_at"):
        if fields.get(name) is not None:
            raise InvalidValueError(
                field=name, value=fields[name], reason="is set by the service and cannot be given"
            )
    uses = fields.get("current_uses", 0)
    if type(uses) is not int or uses != 0:
        raise InvalidValueError(
            field="current_uses",
            value=uses,
            reason="a new promotion starts at 0; uses are counted as applications are recorded",
        )


class PromotionService:
    """Promotions: creation, lifecycle, reconcile-on-read, deletion, usage and reports.

    Args:
        promotions: Where promotions are kept.
        usage: Where applications are recorded, atomically with the usage counter
            (usually the same object as ``promotions``).
        clock: Where "now" comes from; the system clock by default.
    """

    def __init__(
        self,
        *,
        promotions: PromotionRepository,
        usage: PromotionUsageRepository,
        clock: Clock | None = None,
    ) -> None:
        self._promotions = promotions
        self._usage = usage
        self._clock: Clock = SystemClock() if clock is None else clock
        self._lock = threading.RLock()
        self._indexes: dict[tuple[str, bool], tuple[PromotionIndex, datetime | None]] = {}

    # -- creating -----------------------------------------------------------------------

    def create_promotion(self, data: Promotion | Mapping[str, Any]) -> Promotion:
        """Create a promotion, with its conditions, rewards and locations, as one record.

        An ``id`` is generated if none is given; ``created_at`` and ``updated_at``
        come from the clock. The promotion starts in ``draft`` unless ``status``
        says ``active`` or ``scheduled``; either becomes ``scheduled`` while
        ``valid_from`` is still to come, and ``active`` once it has come.

        Raises:
            InvalidValueError: ``created_at``, ``updated_at`` or a ``current_uses``
                other than 0 given; a ``status`` other than draft, active or
                scheduled; ``scheduled`` without ``valid_from``; active or scheduled
                with a ``valid_to`` already passed.
            ModelValidationError: A refused field (it names the field).
            ConflictError: A promotion with this id exists.
        """
        fields = fields_of(data, what="promotion")
        _refuse_given(fields)
        requested = _enum(PromotionStatus, fields.get("status", _DRAFT), field="status")
        if requested not in _CREATED_AS:
            raise InvalidValueError(
                field="status",
                value=requested.value,
                reason="a promotion is created as draft, active or scheduled; "
                "pause or expire it afterwards with transition()",
            )
        if fields.get("id") is None:
            fields["id"] = str(uuid.uuid4())
        now = self._clock.now()
        fields.update(created_at=now, updated_at=now)
        promotion = Promotion.model_validate(fields)
        if requested is not _DRAFT:
            problem = _cannot_go_live(promotion, requested, now)
            if problem is not None:
                field, value, reason = problem
                raise InvalidValueError(field=field, value=value, reason=reason)
            status = _live_status(promotion, now)
            if status is not promotion.status:
                promotion = promotion.model_copy(update={"status": status})
        with self._lock:
            self._promotions.add(promotion)
            self._forget(promotion.business_id)
        return promotion

    def create_from_seed_json(
        self,
        *,
        conditions: Mapping[str, Any],
        benefit: Mapping[str, Any],
        **fields: Any,
    ) -> Promotion:
        """Create a promotion from seed 002's condition and benefit JSON.

        See :meth:`Promotion.from_seed_json` for the documents; the other fields
        (``business_id``, ``name``, ``type``, ``scope``, ``currency``, ``status``,
        ...) are keyword arguments, as for :meth:`create_promotion`.

        Raises:
            InvalidValueError: An unknown key or bad value in either document, or
                a field refused by :meth:`create_promotion`.
            ModelValidationError: A refused promotion field.
            ConflictError: A promotion with this id exists.
        """
        _refuse_given(fields)
        if fields.get("id") is None:
            fields["id"] = str(uuid.uuid4())
        promotion = Promotion.from_seed_json(conditions=conditions, benefit=benefit, **fields)
        return self.create_promotion(promotion)

    # -- reading ------------------------------------------------------------------------

    def get_promotion(self, promotion_id: str) -> Promotion:
        """The promotion with this id, its status brought up to date first.

        Raises:
            NotFoundError: There is no such promotion.
        """
        return self._reconciled(self._stored(promotion_id), self._clock.now())

    def list_promotions(
        self,
        business_id: str,
        *,
        statuses: Collection[PromotionStatus | str] | PromotionStatus | str | None = None,
        type: PromotionType | str | None = None,
        channel: Channel | str | None = None,
        active_from: datetime | None = None,
        active_to: datetime | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[Promotion]:
        """One page of a business's promotions matching every filter, ordered by id.

        The business's statuses are reconciled first.

        Args:
            business_id: The business.
            statuses: Only these statuses (one status, or a collection of them).
            type: Only this type.
            channel: Only promotions that run on this channel (theirs, or every channel).
            active_from: Only promotions whose validity reaches past this instant.
            active_to: Only promotions whose validity starts before this instant.
            offset: How many matching promotions to skip.
            limit: The most to return.

        Raises:
            InvalidValueError: An unknown status, type or channel; a naive datetime;
                a bad ``offset`` or ``limit``.
        """
        wanted: list[PromotionStatus] | None = None
        if statuses is not None:
            given: Iterable[object] = [statuses] if isinstance(statuses, str) else statuses
            wanted = [_enum(PromotionStatus, s, field="statuses") for s in given]
        kind = None if type is None else _enum(PromotionType, type, field="type")
        on = None if channel is None else _enum(Channel, channel, field="channel")
        start = _aware_or_none(active_from, field="active_from")
        end = _aware_or_none(active_to, field="active_to")
        self.reconcile(business_id)
        return self._promotions.find(
            business_id,
            statuses=wanted,
            type=kind,
            channel=on,
            active_from=start,
            active_to=end,
            offset=offset,
            limit=limit,
        )

    # -- changing -----------------------------------------------------------------------

    def update_promotion(self, promotion_id: str, /, **changes: Any) -> Promotion:
        """Change a promotion's fields, validated again as a whole.

        Use :meth:`transition` for ``status``. If the change moves the validity
        window past "now", time moves the status on at once (as a read would).

        Raises:
            NotFoundError: There is no such promotion.
            InvalidValueError: ``id``, ``business_id``, ``status``, ``current_uses``,
                ``created_at`` or ``updated_at`` given; a scheduled promotion left
                without ``valid_from``.
            InvalidStateTransitionError: The promotion is ``expired``.
            ConflictError: A change of currency for a promotion already applied.
            ModelValidationError: A refused value (it names the field).
        """
        for name, reason in _FIXED_ON_UPDATE.items():
            if name in changes:
                raise InvalidValueError(field=name, value=changes[name], reason=reason)
        with self._lock:
            now = self._clock.now()
            promotion = self._reconciled(self._stored(promotion_id), now)
            if promotion.status is _EXPIRED:
                raise InvalidStateTransitionError(
                    entity=_PROMOTION,
                    id=promotion_id,
                    current=promotion.status.value,
                    requested="update",
                )
            updated = promotion.evolve(**changes, updated_at=now)
            if updated.currency != promotion.currency and self._has_applications(promotion_id):
                raise ConflictError(
                    entity=_PROMOTION,
                    id=promotion_id,
                    reason=f"it has applications in {promotion.currency}, so its currency "
                    "cannot change",
                )
            if updated.status is _SCHEDULED and updated.valid_from is None:
                raise InvalidValueError(
                    field="valid_from",
                    value=None,
                    reason="a scheduled promotion needs a valid_from (when it starts)",
                )
            due = updated.due_status(now)
            if due is not None:
                updated = updated.model_copy(update={"status": due})
            self._promotions.replace(updated)
            self._forget(updated.business_id)
            return self._promotions.get(promotion_id) or updated

    def transition(self, promotion_id: str, to: PromotionStatus | str) -> Promotion:
        """Move a promotion to another status, as the lifecycle allows.

        Asking for ``active`` (or ``scheduled``) looks at the validity window: while
        ``valid_from`` is still to come the promotion becomes (or stays)
        ``scheduled``; once it has come, ``active``. Asking for the status it is
        already in changes nothing.

        Raises:
            NotFoundError: There is no such promotion.
            InvalidValueError: ``to`` is not a status.
            InvalidStateTransitionError: The lifecycle does not allow it; ``allowed``
                lists what does.
            ConflictError: Going live with a ``valid_to`` already passed, or
                scheduling without ``valid_from``.
        """
        target = _enum(PromotionStatus, to, field="to")
        with self._lock:
            now = self._clock.now()
            promotion = self._reconciled(self._stored(promotion_id), now)
            current = promotion.status
            if target is current:
                return promotion
            allowed = _TRANSITIONS[current]
            if target not in allowed:
                raise InvalidStateTransitionError(
                    entity=_PROMOTION,
                    id=promotion_id,
                    current=current.value,
                    requested=target.value,
                    allowed=[status.value for status in allowed],
                )
            if target in (_ACTIVE, _SCHEDULED):
                problem = _cannot_go_live(promotion, target, now)
                if problem is not None:
                    field, value, reason = problem
                    raise ConflictError(
                        entity=_PROMOTION,
                        id=promotion_id,
                        reason=f"cannot go {target.value}: {field} {reason}",
                        field=field,
                        value=value,
                    )
                target = _live_status(promotion, now)
                if target is current:  # scheduled, asked to go active before valid_from
                    return promotion
            updated = promotion.model_copy(update={"status": target, "updated_at": now})
            self._promotions.replace(updated)
            self._forget(updated.business_id)
            return self._promotions.get(promotion_id) or updated

    def reconcile(
        self, business_id: str | None = None, *, now: datetime | None = None
    ) -> list[Promotion]:
        """Apply the time-based transitions that are due (reconcile-on-read).

        ``scheduled`` becomes ``active`` once ``valid_from <= now`` (or ``expired``
        if ``valid_to <= now`` too); ``active`` and ``paused`` become ``expired``
        once ``valid_to <= now``. The repository's ``due()`` says which promotions
        moved, and the lock is taken only for those.

        Args:
            business_id: The business; ``None`` for every business (the scheduled
                job of a host or of the sync runner).
            now: The instant to reconcile at; the clock's by default.

        Returns:
            The promotions that changed, as they are now, ordered by id.

        Raises:
            InvalidValueError: ``now`` is naive.
        """
        at = self._clock.now() if now is None else require_aware(now, field="now")
        changed: list[Promotion] = []
        for promotion in self._promotions.due(at, business_id=business_id):
            moved = self._apply_due(promotion.id, at)
            if moved is not None:
                changed.append(moved)
        return changed

    def delete_promotion(self, promotion_id: str) -> DeletionResult:
        """Delete a promotion: for good if it was never applied, else by expiring it.

        Raises:
            NotFoundError: There is no such promotion.
        """
        with self._lock:
            promotion = self._stored(promotion_id)
            if not self._has_applications(promotion_id):
                try:
                    self._promotions.delete(promotion_id)
                    self._forget(promotion.business_id)
                except ConflictError:  # an application was recorded meanwhile
                    pass
                else:
                    return DeletionResult(promotion=promotion, hard=True)
            promotion = self._stored(promotion_id)
            if promotion.status is not _EXPIRED:
                promotion = promotion.model_copy(
                    update={"status": _EXPIRED, "updated_at": self._clock.now()}
                )
                self._promotions.replace(promotion)
                self._forget(promotion.business_id)
                promotion = self._promotions.get(promotion_id) or promotion
            return DeletionResult(promotion=promotion, hard=False)

    # -- usage --------------------------------------------------------------------------

    def record_application(
        self,
        promotion_id: str,
        *,
        sale_id: str,
        discount: Money,
        customer_id: str | None = None,
        location_id: str | None = None,
        applied_at: datetime | None = None,
    ) -> PromotionApplication:
        """Record that a promotion was used on a sale; once per sale.

        The repository checks the usage limits, stores the application and counts
        the use in one atomic step. Recording a sale again returns the application
        recorded the first time, even if the promotion has since stopped being
        active. ``max_uses_per_customer`` counts only sales with a ``customer_id``.

        Args:
            promotion_id: The promotion.
            sale_id: The sale.
            discount: What the promotion took off the sale, in its currency.
            customer_id: The customer, if known.
            location_id: Where the sale happened.
            applied_at: When; the clock's "now" by default.

        Raises:
            NotFoundError: There is no such promotion.
            ConflictError: The promotion is not ``active``.
            CurrencyMismatchError: ``discount`` is in another currency.
            InvalidValueError: ``discount`` is negative or not :class:`Money`;
                ``applied_at`` is naive.
            ModelValidationError: A refused id.
            UsageLimitReachedError: The promotion (or the customer) has no uses left.
        """
        now = self._clock.now()
        at = now if applied_at is None else require_aware(applied_at, field="applied_at")
        if not isinstance(discount, Money):
            raise InvalidValueError(field="discount", value=discount, reason="expected Money")
        promotion = self._reconciled(self._stored(promotion_id), now)
        if discount.currency is not get_currency(promotion.currency):
            raise CurrencyMismatchError(
                expected=promotion.currency, actual=discount.currency.code, field="discount"
            )
        if discount.is_negative():
            raise InvalidValueError(
                field="discount", value=str(discount), reason="must not be negative"
            )
        application = PromotionApplication(
            id=str(uuid.uuid4()),
            promotion_id=promotion_id,
            business_id=promotion.business_id,
            sale_id=sale_id,
            customer_id=customer_id,
            location_id=location_id,
            discount=discount,
            applied_at=at,
        )
        if promotion.status is not _ACTIVE:
            earlier = self._usage.application_for_sale(promotion_id, sale_id)
            if earlier is not None:
                return earlier
            raise ConflictError(
                entity=_PROMOTION,
                id=promotion_id,
                reason=f"it is {promotion.status.value}, not active, so it cannot be applied "
                f"to sale {sale_id!r}",
                status=promotion.status.value,
            )
        outcome = self._usage.record(
            application, max_uses_per_customer=promotion.max_uses_per_customer
        )
        if outcome.status is RecordStatus.LIMIT_REACHED:
            limit = promotion.max_uses
            raise UsageLimitReachedError(
                entity=_PROMOTION,
                id=promotion_id,
                limit=outcome.current_uses if limit is None else limit,
            )
        if outcome.status is RecordStatus.CUSTOMER_LIMIT_REACHED:
            raise UsageLimitReachedError(
                entity=_PROMOTION,
                id=promotion_id,
                limit=promotion.max_uses_per_customer or 0,
                customer_id=customer_id,
            )
        self._counted(promotion_id)
        if outcome.application is None:  # pragma: no cover - a port breaking its contract
            raise ConflictError(
                entity=_PROMOTION,
                id=promotion_id,
                reason=f"the usage repository recorded sale {sale_id!r} but returned no "
                "application",
            )
        return outcome.application

    def applications(
        self, promotion_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_LIMIT
    ) -> Page[PromotionApplication]:
        """One page of a promotion's applications, newest first (then by id).

        Raises:
            NotFoundError: There is no such promotion.
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        self.get_promotion(promotion_id)
        return self._usage.applications(promotion_id, offset=offset, limit=limit)

    def usage_summary(
        self,
        business_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        promotion_ids: Collection[str] | None = None,
    ) -> list[UsageSummary]:
        """Uses and total discount per promotion with ``start <= applied_at < end``.

        One row per promotion with applications in the period, ordered by id;
        totals are exact. The business's statuses are reconciled first.

        Raises:
            InvalidValueError: ``start`` or ``end`` is naive, or ``end`` is before ``start``.
        """
        begin = _aware_or_none(start, field="start")
        finish = _aware_or_none(end, field="end")
        if begin is not None and finish is not None and finish < begin:
            raise InvalidValueError(
                field="end", value=finish.isoformat(), reason="must not be before start"
            )
        ids = (promotion_ids,) if isinstance(promotion_ids, str) else promotion_ids
        self.reconcile(business_id)
        return self._usage.summary(business_id, start=begin, end=finish, promotion_ids=ids)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(
        self,
        cart: Sequence[CartLine],
        context: EvaluationContext,
        *,
        policy: Policy | str = Policy.PRIORITY,
        include_preview: bool = False,
        explain_all: bool = False,
    ) -> EvaluationResult:
        """Evaluate a cart against the business's promotions (the seed's ``/evaluate``).

        Statuses are reconciled first (by the clock; the cart's ``context.at`` is
        what validity windows and schedules are checked against). Only promotions
        that can touch the cart are evaluated, through a
        :class:`~pricekit.promotions.index.PromotionIndex` kept per business and
        rebuilt after writes or when a status change falls due.

        Args:
            cart: The lines, with resolved unit prices.
            context: Business, location, channel, customer, instant and time zone.
                Without ``customer_uses``, the customer's past uses are read from
                the usage repository for promotions with a per-customer limit.
            policy: ``priority`` or ``best_for_customer``.
            include_preview: Evaluate ``draft`` and ``scheduled`` promotions too, as
                if they were active (seed 002's preview).
            explain_all: Evaluate every promotion of the business, so that even
                those that cannot touch the cart say why they did not apply.

        Raises:
            InvalidValueError: An empty cart, repeated line ids, a bad policy.
            CurrencyMismatchError: Lines in different currencies.
        """
        index = self._index(context.business_id, preview=include_preview)
        promotions = index.all() if explain_all else index.candidates(cart)
        if context.customer_id is not None and not context.customer_uses:
            limited = [p.id for p in promotions if p.max_uses_per_customer is not None]
            if limited:
                uses = self._usage.customer_uses(context.customer_id, limited)
                if uses:
                    context = context.model_copy(update={"customer_uses": uses})
        return evaluate(
            cart,
            context,
            promotions,
            policy=policy,
            preview_statuses=_PREVIEW if include_preview else (),
        )

    def _index(self, business_id: str, *, preview: bool) -> PromotionIndex:
        """The business's promotion index, rebuilt when a write or a due status change says so."""
        key = (business_id, preview)
        cached = self._indexes.get(key)
        now = self._clock.now()
        if cached is not None and (cached[1] is None or now < cached[1]):
            return cached[0]
        self.reconcile(business_id, now=now)
        with self._lock:
            statuses = _LIVE if preview else (_ACTIVE,)
            stored = self._promotions.all_for_business(
                business_id, statuses=(*_TIMED, _DRAFT) if preview else _TIMED
            )
            index = PromotionIndex(stored, statuses=statuses)  # files only ``statuses``
            self._indexes[key] = (index, _next_change(p for p in stored if p.status in _TIMED))
            return index

    def _forget(self, business_id: str) -> None:
        """Drop the business's cached indexes after a write."""
        self._indexes.pop((business_id, False), None)
        self._indexes.pop((business_id, True), None)

    def _counted(self, promotion_id: str) -> None:
        """Refresh one promotion's usage count in the cached indexes after a recording."""
        promotion = self._promotions.get(promotion_id)
        if promotion is None:
            return
        for preview in (False, True):
            key = (promotion.business_id, preview)
            cached = self._indexes.get(key)
            if cached is not None and promotion.id in cached[0]:
                self._indexes[key] = (cached[0].patched(upserted=[promotion]), cached[1])

    # -- helpers ------------------------------------------------------------------------

    def _live_promotions(self, business_id: str) -> list[Promotion]:
        """The business's promotions in active, scheduled or draft, reconciled, by id."""
        self.reconcile(business_id)
        return self._promotions.all_for_business(business_id, statuses=_LIVE)

    def _stored(self, promotion_id: str) -> Promotion:
        promotion = self._promotions.get(promotion_id)
        if promotion is None:
            raise NotFoundError(entity=_PROMOTION, id=promotion_id)
        return promotion

    def _reconciled(self, promotion: Promotion, now: datetime) -> Promotion:
        """``promotion`` with the time-based transitions due by ``now`` applied (and stored)."""
        if promotion.due_status(now) is None:
            return promotion
        moved = self._apply_due(promotion.id, now)
        if moved is not None:
            return moved
        return self._promotions.get(promotion.id) or promotion

    def _apply_due(self, promotion_id: str, now: datetime) -> Promotion | None:
        """Store the status time has moved the promotion to; the changed promotion, or ``None``."""
        with self._lock:
            promotion = self._promotions.get(promotion_id)  # again, under the lock
            if promotion is None:
                return None
            due = promotion.due_status(now)
            if due is None:
                return None
            updated = promotion.model_copy(update={"status": due, "updated_at": now})
            self._promotions.replace(updated)
            self._forget(updated.business_id)
            return self._promotions.get(promotion_id) or updated

    def _has_applications(self, promotion_id: str) -> bool:
        return self._usage.applications(promotion_id, limit=1).total > 0
