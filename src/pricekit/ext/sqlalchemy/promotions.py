"""Promotions and their usage on a SQL database: the two promotion ports.

Tables:

- ``pricekit_promotions``: one row per promotion. The fields the ports filter
  or order on are columns (business, status, type, channel, validity, the usage
  counter and limits); the item filter, conditions, rewards and locations are
  JSON holding the model's JSON dump. ``ix_pricekit_promotions_business_active``
  (business, status, valid_from, valid_to) is seed 004's
  ``idx_promotion_business_active`` with ``status`` for its ``is_active``;
  ``(status, valid_to)`` and ``(status, valid_from)`` answer :meth:`due`.
- ``pricekit_promotion_applications``: one row per promotion applied to a sale,
  unique on ``(promotion_id, sale_id)``, with a foreign key to its promotion (so
  a promotion with applications cannot be deleted).
- ``pricekit_promotion_customer_uses``: one counter row per promotion and
  customer, kept in the same transaction as the applications it counts.

Ids the ports order by use the ``"C"`` collation on PostgreSQL, so listings come
in code point order (as the in-memory adapter sorts them) whatever the
database's locale; SQLite's default collation already compares that way.

How :meth:`SqlPromotionUsageRepository.record` stays exact under concurrency,
on PostgreSQL at ``READ COMMITTED`` as on SQLite, without reading then writing:

1. **The counter first**, with one conditional statement::

       UPDATE pricekit_promotions SET current_uses = current_uses + 1
       WHERE id = :id AND (max_uses IS NULL OR current_uses < max_uses)
       RETURNING current_uses

   The row lock it takes serialises every recording of that promotion until
   commit; a waiting transaction re-checks the condition against the committed
   counter, so ``max_uses`` is never exceeded. No row: the promotion is unknown
   (``NotFoundError``), or at its limit, where a sale recorded already is still
   ``DUPLICATE`` and any other is ``LIMIT_REACHED``; nothing was written.
2. **The application**, ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: no
   row returned means its ``(promotion_id, sale_id)`` is taken (``DUPLICATE``,
   with the earlier application) or its id is (``ConflictError``, reported only
   if no limit refuses the call first, as the in-memory adapter does).
3. **The customer's counter**, with a customer and a per-customer limit::

       INSERT INTO pricekit_promotion_customer_uses VALUES (:id, :customer, 1)
       ON CONFLICT (promotion_id, customer_id)
       DO UPDATE SET uses = uses + 1 WHERE uses < :limit
       RETURNING uses

   The counter row's lock serialises that customer's recordings, and the
   condition is re-checked against the committed count (a ``COUNT(*)`` of the
   applications would not be: at ``READ COMMITTED`` it cannot see rows other
   transactions are inserting). No row returned: ``CUSTOMER_LIMIT_REACHED``.

A refusal after step 1 rolls the call's transaction (or savepoint) back, so a
refused, duplicate or failed call leaves nothing behind; the outcome's
``current_uses`` is the count the call saw. Statements take their locks in one
order (promotion, application, customer counter), so two recordings never
deadlock. On SQLite, ``BEGIN IMMEDIATE`` (see
:func:`~pricekit.ext.sqlalchemy.create_sqlite_engine`) serialises writers, and
the same statements give the same answers. ``ON CONFLICT`` is PostgreSQL's and
SQLite's, so :class:`SqlPromotionUsageRepository` takes those two.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.ext.sqlalchemy._db import Bind, SqlRepository
from pricekit.ext.sqlalchemy._schema import (
    Json,
    UtcDateTime,
    chunked,
    id_type,
    metadata,
    minor_units,
)
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

__all__ = [
    "SqlPromotionRepository",
    "SqlPromotionUsageRepository",
    "promotion_applications",
    "promotion_customer_uses",
    "promotions",
]

_PROMOTION = "promotion"
_APPLICATION = "promotion_application"
_BIGINT_MAX = 2**63 - 1
_MOVED_BY_TIME = [
    status.value
    for status in (PromotionStatus.SCHEDULED, PromotionStatus.ACTIVE, PromotionStatus.PAUSED)
]
"""The statuses time moves on (see :meth:`Promotion.due_status`)."""


promotions = Table(
    "pricekit_promotions",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("business_id", id_type(), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("type", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("stackable", Boolean, nullable=False),
    Column("channel", String(16), nullable=True),  # NULL: every channel
    Column("location_ids", Json, nullable=False),
    Column("valid_from", UtcDateTime, nullable=True),
    Column("valid_to", UtcDateTime, nullable=True),
    Column("item_filter", Json, nullable=True),
    Column("conditions", Json, nullable=False),
    Column("rewards", Json, nullable=False),
    Column("max_uses", BigInteger, nullable=True),
    Column("max_uses_per_customer", BigInteger, nullable=True),
    Column("current_uses", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Column("created_by", Text, nullable=True),
    # Seed 004's idx_promotion_business_active (business_id, is_active, valid_from,
    # valid_to), with the status for is_active: find() and all_for_business().
    Index(
        "ix_pricekit_promotions_business_active",
        "business_id",
        "status",
        "valid_from",
        "valid_to",
    ),
    # due(): the statuses time moves on, by the instant that moves them.
    Index("ix_pricekit_promotions_status_valid_to", "status", "valid_to"),
    Index("ix_pricekit_promotions_status_valid_from", "status", "valid_from"),
)
"""One row per promotion; nested parts as JSON."""

promotion_applications = Table(
    "pricekit_promotion_applications",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column(
        "promotion_id",
        id_type(),
        ForeignKey(promotions.c.id, name="fk_pricekit_promotion_applications_promotion"),
        nullable=False,
    ),
    Column("business_id", id_type(), nullable=False),
    Column("sale_id", id_type(), nullable=False),
    Column("customer_id", id_type(), nullable=True),
    Column("location_id", id_type(), nullable=True),
    Column("discount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
    UniqueConstraint("promotion_id", "sale_id"),
    Index("ix_pricekit_promotion_applications_customer_promotion", "customer_id", "promotion_id"),
    Index("ix_pricekit_promotion_applications_promotion_applied", "promotion_id", "applied_at"),
    Index("ix_pricekit_promotion_applications_business_applied", "business_id", "applied_at"),
)
"""One row per promotion applied to a sale; at most one per ``(promotion_id, sale_id)``."""

promotion_customer_uses = Table(
    "pricekit_promotion_customer_uses",
    metadata,
    Column(
        "promotion_id",
        id_type(),
        ForeignKey(promotions.c.id, name="fk_pricekit_promotion_customer_uses_promotion"),
        nullable=False,
    ),
    Column("customer_id", id_type(), nullable=False),
    Column("uses", BigInteger, nullable=False),
    PrimaryKeyConstraint("promotion_id", "customer_id"),
)
"""How many applications each customer has of each promotion, updated with them."""

_P = promotions.c
_A = promotion_applications.c
_U = promotion_customer_uses.c


def _bigint(value: int | None, *, field: str) -> int | None:
    if value is not None and value > _BIGINT_MAX:
        raise InvalidValueError(field=field, value=value, reason="too large for the database")
    return value


def _promotion_values(promotion: Promotion) -> dict[str, Any]:
    """The columns of ``promotion``, except ``current_uses``."""
    dumped = promotion.model_dump(
        mode="json", include={"location_ids", "item_filter", "conditions", "rewards"}
    )
    return {
        "id": promotion.id,
        "business_id": promotion.business_id,
        "name": promotion.name,
        "description": promotion.description,
        "type": promotion.type.value,
        "scope": promotion.scope.value,
        "currency": promotion.currency,
        "status": promotion.status.value,
        "priority": promotion.priority,
        "stackable": promotion.stackable,
        "channel": None if promotion.channel is None else promotion.channel.value,
        "location_ids": dumped["location_ids"],
        "valid_from": promotion.valid_from,
        "valid_to": promotion.valid_to,
        "item_filter": null() if promotion.item_filter is None else dumped["item_filter"],
        "conditions": dumped["conditions"],
        "rewards": dumped["rewards"],
        "max_uses": _bigint(promotion.max_uses, field="max_uses"),
        "max_uses_per_customer": _bigint(
            promotion.max_uses_per_customer, field="max_uses_per_customer"
        ),
        "created_at": promotion.created_at,
        "updated_at": promotion.updated_at,
        "created_by": promotion.created_by,
    }


def _to_promotion(row: Row[Any]) -> Promotion:
    # The table's columns only: a page's rows carry their total too.
    fields = row._mapping
    return Promotion.model_validate({column.name: fields[column.name] for column in promotions.c})


def _application_values(application: PromotionApplication) -> dict[str, Any]:
    discount = application.discount
    return {
        "id": application.id,
        "promotion_id": application.promotion_id,
        "business_id": application.business_id,
        "sale_id": application.sale_id,
        "customer_id": application.customer_id,
        "location_id": application.location_id,
        "discount_minor": minor_units(discount, field="discount"),
        "currency": discount.currency.code,
        "applied_at": application.applied_at,
    }


def _to_application(row: Row[Any]) -> PromotionApplication:
    fields = row._mapping
    return PromotionApplication.model_validate(
        {
            "id": fields["id"],
            "promotion_id": fields["promotion_id"],
            "business_id": fields["business_id"],
            "sale_id": fields["sale_id"],
            "customer_id": fields["customer_id"],
            "location_id": fields["location_id"],
            "discount": Money(fields["discount_minor"], fields["currency"]),
            "applied_at": fields["applied_at"],
        }
    )


class SqlPromotionRepository(SqlRepository):
    """Promotions in ``pricekit_promotions``: the promotion repository port.

    Beyond the port, as :class:`~pricekit.memory.InMemoryPromotionRepository`:
    :meth:`delete` refuses a promotion that has applications (the foreign key
    of ``pricekit_promotion_applications`` refuses it) with
    :class:`~pricekit.errors.ConflictError`.

    Args:
        bind: An ``Engine`` (a transaction per call) or a ``Connection`` or
            ``Session`` (the caller's transaction; a savepoint per call).
    """

    def add(self, promotion: Promotion) -> None:
        """Store a new promotion (with the ``current_uses`` it carries).

        Raises:
            ConflictError: A promotion with this id is already stored.
            InvalidValueError: A usage limit too large for the database.
        """
        values = _promotion_values(promotion)
        values["current_uses"] = _bigint(promotion.current_uses, field="current_uses")
        self._insert_one(
            promotions, values, entity=_PROMOTION, id=promotion.id, operation="add a promotion"
        )

    def replace(self, promotion: Promotion) -> None:
        """Replace the stored promotion with the same id, keeping the stored ``current_uses``.

        Raises:
            NotFoundError: No promotion with this id is stored.
            InvalidValueError: A usage limit too large for the database.
        """
        self._update_one(
            promotions,
            _promotion_values(promotion),
            entity=_PROMOTION,
            id=promotion.id,
            operation="replace a promotion",
        )

    def get(self, promotion_id: str) -> Promotion | None:
        """The promotion with this id (with its current ``current_uses``), or ``None``."""
        return self._get_one(
            promotions, promotion_id, _to_promotion, operation="read a promotion", read_only=True
        )

    def delete(self, promotion_id: str) -> None:
        """Remove a promotion for good.

        Raises:
            NotFoundError: No promotion with this id is stored.
            ConflictError: The promotion has applications; expire it instead.
        """
        try:
            self._delete_one(
                promotions, entity=_PROMOTION, id=promotion_id, operation="delete a promotion"
            )
        except IntegrityError as exc:
            raise ConflictError(
                entity=_PROMOTION,
                id=promotion_id,
                reason="it has applications, which must keep their promotion; expire it",
            ) from exc

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
        where = self._business_where(business_id, statuses)
        if type is not None:
            where.append(_P.type == type.value)
        if channel is not None:
            if channel is Channel.ANY:
                where.append(_P.channel.is_(None))
            else:
                where.append(or_(_P.channel.is_(None), _P.channel == channel.value))
        if active_from is not None:
            start = require_aware(active_from, field="active_from")
            where.append(or_(_P.valid_to.is_(None), _P.valid_to > start))
        if active_to is not None:
            end = require_aware(active_to, field="active_to")
            where.append(or_(_P.valid_from.is_(None), _P.valid_from < end))
        return self._read_page(
            promotions,
            where,
            _to_promotion,
            order_by=[_P.id],
            offset=offset,
            limit=limit,
            operation="find promotions",
            read_only=True,
        )

    def all_for_business(
        self, business_id: str, *, statuses: Collection[PromotionStatus] | None = None
    ) -> list[Promotion]:
        """Every promotion of the business (in these statuses), ordered by id."""
        where = self._business_where(business_id, statuses)
        with self._transaction("list a business's promotions", read_only=True) as conn:
            rows = conn.execute(select(promotions).where(*where).order_by(_P.id)).all()
        return [_to_promotion(row) for row in rows]

    def due(self, now: datetime, *, business_id: str | None = None) -> list[Promotion]:
        """The promotions whose status time has moved by ``now``, ordered by id.

        Those ``scheduled``, ``active`` or ``paused`` with ``valid_to <= now``, and
        those ``scheduled`` with no ``valid_from`` or ``valid_from <= now``; of one
        business, or of every business when ``business_id`` is ``None``.

        Raises:
            InvalidValueError: ``now`` is naive.
        """
        at = require_aware(now, field="now")
        moved = or_(
            and_(_P.status.in_(_MOVED_BY_TIME), _P.valid_to <= at),
            and_(
                _P.status == PromotionStatus.SCHEDULED.value,
                or_(_P.valid_from.is_(None), _P.valid_from <= at),
            ),
        )
        query = select(promotions).where(moved).order_by(_P.id)
        if business_id is not None:
            query = query.where(_P.business_id == business_id)
        with self._transaction("list the promotions due a status change", read_only=True) as conn:
            rows = conn.execute(query).all()
        return [_to_promotion(row) for row in rows]

    @staticmethod
    def _business_where(
        business_id: str, statuses: Collection[PromotionStatus] | None
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [_P.business_id == business_id]
        if statuses is not None:
            wanted = sorted({str(status) for status in statuses})
            where.append(_P.status.in_(wanted) if wanted else false())
        return where


class _Undone(Exception):  # noqa: N818 - control flow, never seen outside record()
    """Rolls a recording back; carries what the call returns (or ``None``: the id is taken)."""

    def __init__(self, outcome: RecordOutcome | None) -> None:
        super().__init__()
        self.outcome = outcome


def _upsert_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that can say ``ON CONFLICT``, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SqlPromotionUsageRepository(SqlPromotionRepository):
    """Promotions and their applications: both promotion ports, on PostgreSQL or SQLite.

    It is a :class:`SqlPromotionRepository` too (the usage counter lives on the
    promotion), so one object serves as both ``promotions`` and ``usage`` of
    :class:`~pricekit.promotions.service.PromotionService`, as
    :class:`~pricekit.memory.InMemoryPromotionRepository` does. Safe to share
    between threads and processes: every guarantee is the database's. See the
    module's description for how :meth:`record` stays exact under concurrency.

    Beyond the ports, as the in-memory adapter: :meth:`record` refuses an
    application id already stored (:class:`~pricekit.errors.ConflictError`).

    Args:
        bind: An ``Engine`` (a transaction per call) or a ``Connection`` or
            ``Session`` (the caller's transaction; a savepoint per call), on
            PostgreSQL or SQLite.

    Raises:
        InvalidValueError: ``bind`` is not a SQLAlchemy bind, or is on another
            database (recording needs ``INSERT ... ON CONFLICT``).
    """

    def __init__(self, bind: Bind) -> None:
        super().__init__(bind)
        if self.dialect not in ("postgresql", "sqlite"):
            raise InvalidValueError(
                field="bind",
                value=self.dialect,
                reason="promotion usage is recorded with INSERT ... ON CONFLICT: "
                "use PostgreSQL or SQLite",
            )

    def record(
        self, application: PromotionApplication, *, max_uses_per_customer: int | None
    ) -> RecordOutcome:
        """Record an application, atomically, once per ``(promotion_id, sale_id)``.

        In one transaction: a sale already recorded gives ``DUPLICATE`` (with the
        earlier application); a promotion at its stored ``max_uses`` gives
        ``LIMIT_REACHED``; a customer with ``max_uses_per_customer`` applications
        of it gives ``CUSTOMER_LIMIT_REACHED``; otherwise the application is
        stored and ``current_uses`` goes up by one. Nothing is written unless
        the outcome is ``RECORDED``.

        Raises:
            NotFoundError: The promotion is not stored.
            ConflictError: Another application with this id is stored.
            InvalidValueError: A discount too large for the database.
        """
        values = _application_values(application)
        try:
            with self._transaction("record a promotion application") as conn:
                return self._record(conn, application, values, max_uses_per_customer)
        except _Undone as undone:
            if undone.outcome is None:
                raise ConflictError(
                    entity=_APPLICATION, id=application.id, reason="duplicate id"
                ) from None
            return undone.outcome

    def _record(
        self,
        conn: Connection,
        application: PromotionApplication,
        values: dict[str, Any],
        limit: int | None,
    ) -> RecordOutcome:
        promotion_id, sale_id = application.promotion_id, application.sale_id
        # 1. The counter, under the promotion's row lock until commit.
        uses = conn.execute(
            update(promotions)
            .where(
                _P.id == promotion_id,
                or_(_P.max_uses.is_(None), _P.current_uses < _P.max_uses),
            )
            .values(current_uses=_P.current_uses + 1)
            .returning(_P.current_uses)
        ).scalar_one_or_none()
        if uses is None:  # nothing written: unknown, or at its limit
            stored = conn.scalar(select(_P.current_uses).where(_P.id == promotion_id))
            if stored is None:
                raise NotFoundError(entity=_PROMOTION, id=promotion_id)
            earlier = self._for_sale(conn, promotion_id, sale_id)
            if earlier is not None:
                return RecordOutcome(RecordStatus.DUPLICATE, earlier, stored)
            return RecordOutcome(RecordStatus.LIMIT_REACHED, None, stored)
        seen = uses - 1  # the count before this call, as every refusal reports it
        # 2. The application, unless its sale (or its id) is taken.
        inserted = conn.execute(
            _upsert_insert(conn, promotion_applications)
            .values(values)
            .on_conflict_do_nothing()
            .returning(_A.id)
        ).scalar_one_or_none()
        id_taken = False
        if inserted is None:
            earlier = self._for_sale(conn, promotion_id, sale_id)
            if earlier is not None:
                raise _Undone(RecordOutcome(RecordStatus.DUPLICATE, earlier, seen))
            id_taken = True  # a limit still takes precedence, as in memory
        # 3. The customer's counter, conditional on the limit.
        customer_id = application.customer_id
        if customer_id is not None:
            refused = RecordOutcome(RecordStatus.CUSTOMER_LIMIT_REACHED, None, seen)
            if limit is not None and limit <= 0:
                raise _Undone(refused)
            upsert = _upsert_insert(conn, promotion_customer_uses).values(
                promotion_id=promotion_id, customer_id=customer_id, uses=1
            )
            counted = conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[_U.promotion_id, _U.customer_id],
                    set_={"uses": _U.uses + 1},
                    where=None if limit is None else _U.uses < limit,
                ).returning(_U.uses)
            ).scalar_one_or_none()
            if counted is None:
                raise _Undone(refused)
        if id_taken:
            raise _Undone(None)
        return RecordOutcome(RecordStatus.RECORDED, application, uses)

    @staticmethod
    def _for_sale(conn: Connection, promotion_id: str, sale_id: str) -> PromotionApplication | None:
        row = conn.execute(
            select(promotion_applications).where(
                _A.promotion_id == promotion_id, _A.sale_id == sale_id
            )
        ).one_or_none()
        return None if row is None else _to_application(row)

    def application_for_sale(self, promotion_id: str, sale_id: str) -> PromotionApplication | None:
        """The application recorded for this promotion and sale, or ``None``."""
        with self._transaction("read a promotion application", read_only=True) as conn:
            return self._for_sale(conn, promotion_id, sale_id)

    def customer_uses(self, customer_id: str, promotion_ids: Collection[str]) -> dict[str, int]:
        """How many applications each promotion has for the customer (missing: none)."""
        wanted = sorted(set(promotion_ids))
        if not wanted:
            return {}
        uses: dict[str, int] = {}
        with self._transaction("read a customer's promotion uses", read_only=True) as conn:
            for chunk in chunked(wanted):
                rows = conn.execute(
                    select(_U.promotion_id, _U.uses).where(
                        _U.customer_id == customer_id, _U.promotion_id.in_(chunk), _U.uses > 0
                    )
                )
                uses.update((promotion_id, int(count)) for promotion_id, count in rows)
        return uses

    def applications(
        self, promotion_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_LIMIT
    ) -> Page[PromotionApplication]:
        """One page of a promotion's applications, newest first (then by id).

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        return self._read_page(
            promotion_applications,
            [_A.promotion_id == promotion_id],
            _to_application,
            order_by=[_A.applied_at.desc(), _A.id],
            offset=offset,
            limit=limit,
            operation="list a promotion's applications",
            read_only=True,
        )

    def summary(
        self,
        business_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        promotion_ids: Collection[str] | None = None,
    ) -> list[UsageSummary]:
        """Uses and total discount per promotion with ``start <= applied_at < end``.

        One row per promotion of the business that has applications of the
        business in the period, ordered by id. Discounts add up exactly, in minor
        units.

        Raises:
            InvalidValueError: A naive ``start`` or ``end``.
            CurrencyMismatchError: One promotion's applications are in several
                currencies.
        """
        where: list[ColumnElement[bool]] = [
            _P.business_id == business_id,
            _A.business_id == business_id,
        ]
        if start is not None:
            where.append(_A.applied_at >= require_aware(start, field="start"))
        if end is not None:
            where.append(_A.applied_at < require_aware(end, field="end"))
        # Sorted ids in slices: the slices' results, each ordered by id, are in order.
        slices: list[ColumnElement[bool] | None] = [None]
        if promotion_ids is not None:
            slices = [_A.promotion_id.in_(chunk) for chunk in chunked(sorted(set(promotion_ids)))]
        query = (
            select(_A.promotion_id, _A.currency, func.count(), func.sum(_A.discount_minor))
            .select_from(promotion_applications.join(promotions, _P.id == _A.promotion_id))
            .where(*where)
            .group_by(_A.promotion_id, _A.currency)
            .order_by(_A.promotion_id, _A.currency)
        )
        rows: list[Any] = []
        with self._transaction("sum up promotion usage", read_only=True) as conn:
            for wanted in slices:
                rows.extend(conn.execute(query if wanted is None else query.where(wanted)))
        per_promotion: dict[str, list[tuple[int, Money]]] = {}
        for promotion_id, currency, uses, minor in rows:
            per_promotion.setdefault(promotion_id, []).append(
                (int(uses), Money(int(minor), currency))
            )
        return [
            UsageSummary(
                promotion_id=promotion_id,
                uses=sum(uses for uses, _ in totals),
                total_discount=Money.sum(
                    (total for _, total in totals), currency=totals[0][1].currency
                ),
            )
            for promotion_id, totals in per_promotion.items()
        ]
