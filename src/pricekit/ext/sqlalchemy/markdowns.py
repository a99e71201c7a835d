"""Markdown plans, waves with their items, and markdown history in SQL tables.

Four tables, for the three repository ports of :mod:`pricekit.markdowns.ports`:

- ``pricekit_markdown_plans``, indexed by ``(business_id, id)`` and
  ``(business_id, is_active, id)`` for a business's plans in id order;
- ``pricekit_markdown_waves``, one row per wave, indexed for every filter of
  ``find`` in id order: ``(business_id, id)``, ``(business_id, status, id)``,
  ``(plan_id, status, id)`` and ``(status, id)`` (the scheduled activation job
  looks across businesses). A wave's scopes and locations are JSON holding the
  models' JSON dump (no query filters on them; a location's instants in UTC);
  ``value`` and ``min_margin_percent`` are exact decimal text; the floor price
  is minor units in the wave's ``currency``;
- ``pricekit_markdown_wave_items``, keyed by ``(wave_id, variant_id)`` (so a
  variant appears once per wave, and a wave's items read in variant order off
  the key), with a foreign key to the wave; prices are minor units in the
  item's one ``currency``, ``margin_percent`` exact decimal text;
- ``pricekit_markdown_history``, indexed by ``(business_id, variant_id, at, id)``
  and ``(wave_id, at, id)``: the two histories, oldest first.

Plans and waves have no foreign key between them: the ports keep ids unique and
nothing else, and a plan's waves are removed through the wave repository (the
contract suites store waves of plans never stored). Ids sort in code-point
order on every database (the ``C`` collation on PostgreSQL), the order the
in-memory repositories list them in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Row,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.ext.sqlalchemy._db import SqlRepository, stored_ids
from pricekit.ext.sqlalchemy._schema import (
    DecimalText,
    Json,
    UtcDateTime,
    id_type,
    metadata,
    minor_units,
)
from pricekit.markdowns.models import (
    ExclusionReason,
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownPlan,
    MarkdownWave,
    WaveItem,
    WaveLocation,
    WaveScope,
    WaveStatus,
)
from pricekit.money import Money
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page, check_page
from pricekit.time import require_aware

__all__ = [
    "SqlMarkdownHistoryRepository",
    "SqlMarkdownPlanRepository",
    "SqlMarkdownWaveRepository",
    "markdown_history",
    "markdown_plans",
    "markdown_wave_items",
    "markdown_waves",
]

_ENTRY_ID_LENGTH = 1000
"""History entry ids join a wave, an action, a location and a variant id."""

_PLAN = "markdown_plan"
_WAVE = "markdown_wave"
_ITEM = "wave_item"
_ENTRY = "markdown_history_entry"


markdown_plans = Table(
    "pricekit_markdown_plans",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("business_id", id_type(), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index("ix_pricekit_markdown_plans_business", "business_id", "id"),
    Index("ix_pricekit_markdown_plans_business_active", "business_id", "is_active", "id"),
)
"""Markdown plans: one row per :class:`~pricekit.markdowns.models.MarkdownPlan`."""

markdown_waves = Table(
    "pricekit_markdown_waves",
    metadata,
    Column("id", id_type(), primary_key=True),
    # No foreign key to pricekit_markdown_plans: see the module docs.
    Column("plan_id", id_type(), nullable=False),
    Column("business_id", id_type(), nullable=False),
    Column("name", Text, nullable=False),
    Column("method", String(16), nullable=False),
    Column("value", DecimalText, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("stage", String(16), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("floor_price_minor", BigInteger, nullable=True),
    Column("min_margin_percent", DecimalText, nullable=True),
    Column("scopes", Json, nullable=False),
    Column("locations", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("activated_at", UtcDateTime, nullable=True),
    Column("reversed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index("ix_pricekit_markdown_waves_business", "business_id", "id"),
    Index("ix_pricekit_markdown_waves_business_status", "business_id", "status", "id"),
    Index("ix_pricekit_markdown_waves_plan_status", "plan_id", "status", "id"),
    Index("ix_pricekit_markdown_waves_status", "status", "id"),
)
"""Markdown waves: one row per :class:`~pricekit.markdowns.models.MarkdownWave`."""

markdown_wave_items = Table(
    "pricekit_markdown_wave_items",
    metadata,
    Column("wave_id", id_type(), nullable=False),
    Column("variant_id", id_type(), nullable=False),
    Column("product_id", id_type(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("regular_price_minor", BigInteger, nullable=False),
    Column("base_price_minor", BigInteger, nullable=False),
    Column("markdown_price_minor", BigInteger, nullable=False),
    Column("stacked_on_wave_id", id_type(), nullable=True),
    Column("cost_minor", BigInteger, nullable=True),
    Column("margin_percent", DecimalText, nullable=True),
    Column("below_cost", Boolean, nullable=False),
    Column("excluded", Boolean, nullable=False),
    Column("exclusion_reason", String(32), nullable=True),
    PrimaryKeyConstraint("wave_id", "variant_id"),
    ForeignKeyConstraint(
        ["wave_id"],
        ["pricekit_markdown_waves.id"],
        name="fk_pricekit_markdown_wave_items_wave",
        ondelete="CASCADE",
    ),
)
"""Wave items: one row per :class:`~pricekit.markdowns.models.WaveItem` (a wave's variant)."""

markdown_history = Table(
    "pricekit_markdown_history",
    metadata,
    Column("id", id_type(_ENTRY_ID_LENGTH), primary_key=True),
    Column("business_id", id_type(), nullable=False),
    Column("plan_id", id_type(), nullable=False),
    Column("wave_id", id_type(), nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("location_id", id_type(), nullable=True),
    Column("variant_id", id_type(), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("price_before_minor", BigInteger, nullable=True),
    Column("price_after_minor", BigInteger, nullable=True),
    Column("note", Text, nullable=False),
    Index("ix_pricekit_markdown_history_variant", "business_id", "variant_id", "at", "id"),
    Index("ix_pricekit_markdown_history_wave", "wave_id", "at", "id"),
)
"""Markdown history: one row per :class:`~pricekit.markdowns.models.MarkdownHistoryEntry`."""


# -- values ---------------------------------------------------------------------------------


def _one_currency(prices: Iterable[tuple[str, Money | None]], *, prefix: str) -> str | None:
    """The currency every given amount is in (a row has one currency column)."""
    code: str | None = None
    for name, money in prices:
        if money is None:
            continue
        if code is None:
            code = money.currency.code
        elif money.currency.code != code:
            raise InvalidValueError(
                field=f"{prefix}{name}",
                value=str(money),
                reason=f"must be in the same currency as the other amounts ({code})",
            )
    return code


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


# -- plans ----------------------------------------------------------------------------------


def _plan_row(plan: MarkdownPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "business_id": plan.business_id,
        "name": plan.name,
        "description": plan.description,
        "is_active": plan.is_active,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


def _plan_model(row: Row[Any]) -> MarkdownPlan:
    return MarkdownPlan(
        id=row.id,
        business_id=row.business_id,
        name=row.name,
        description=row.description,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlMarkdownPlanRepository(SqlRepository):
    """Markdown plans in ``pricekit_markdown_plans``.

    Implements :class:`~pricekit.markdowns.ports.MarkdownPlanRepository`.

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add(self, plan: MarkdownPlan) -> None:
        """Store a new plan.

        Raises:
            ConflictError: A plan with this id is already stored.
        """
        self._insert_one(
            markdown_plans,
            _plan_row(plan),
            entity=_PLAN,
            id=plan.id,
            operation="add a markdown plan",
        )

    def replace(self, plan: MarkdownPlan) -> None:
        """Replace the stored plan with the same id.

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        self._update_one(
            markdown_plans,
            _plan_row(plan),
            entity=_PLAN,
            id=plan.id,
            operation="replace a markdown plan",
        )

    def get(self, plan_id: str) -> MarkdownPlan | None:
        """The plan with this id, or ``None``."""
        return self._get_one(markdown_plans, plan_id, _plan_model, operation="read a markdown plan")

    def delete(self, plan_id: str) -> None:
        """Remove a plan (its waves are removed through the wave repository).

        Raises:
            NotFoundError: No plan with this id is stored.
        """
        self._delete_one(
            markdown_plans, entity=_PLAN, id=plan_id, operation="delete a markdown plan"
        )

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
        check_page(offset=offset, limit=limit)
        t = markdown_plans
        conditions: list[ColumnElement[bool]] = [t.c.business_id == business_id]
        if is_active is not None:
            conditions.append(t.c.is_active == is_active)
        return self._read_page(
            t,
            conditions,
            _plan_model,
            order_by=[t.c.id],
            offset=offset,
            limit=limit,
            operation="find markdown plans",
        )


# -- waves ----------------------------------------------------------------------------------


def _location_json(location: WaveLocation) -> dict[str, Any]:
    return {
        "location_id": location.location_id,
        "activate_at": _utc(location.activate_at),
        "status": location.status.value,
        "activated_at": _utc(location.activated_at),
        "reversed_at": _utc(location.reversed_at),
    }


def _location_model(data: dict[str, Any]) -> WaveLocation:
    return WaveLocation(
        location_id=data["location_id"],
        activate_at=_instant(data["activate_at"]),
        status=data["status"],
        activated_at=_instant(data["activated_at"]),
        reversed_at=_instant(data["reversed_at"]),
    )


def _wave_row(wave: MarkdownWave) -> dict[str, Any]:
    floor = wave.floor_price
    return {
        "id": wave.id,
        "plan_id": wave.plan_id,
        "business_id": wave.business_id,
        "name": wave.name,
        "method": wave.method.value,
        "value": wave.value,
        "mode": wave.mode.value,
        "reason": wave.reason.value,
        "stage": None if wave.stage is None else wave.stage.value,
        "currency": wave.currency,
        "floor_price_minor": None if floor is None else minor_units(floor, field="floor_price"),
        "min_margin_percent": wave.min_margin_percent,
        "scopes": [scope.model_dump(mode="json") for scope in wave.scopes],
        "locations": [_location_json(location) for location in wave.locations],
        "status": wave.status.value,
        "activated_at": wave.activated_at,
        "reversed_at": wave.reversed_at,
        "created_at": wave.created_at,
        "updated_at": wave.updated_at,
    }


def _wave_model(row: Row[Any]) -> MarkdownWave:
    return MarkdownWave(
        id=row.id,
        plan_id=row.plan_id,
        business_id=row.business_id,
        name=row.name,
        method=row.method,
        value=row.value,
        mode=row.mode,
        reason=row.reason,
        stage=row.stage,
        currency=row.currency,
        floor_price=(
            None if row.floor_price_minor is None else Money(row.floor_price_minor, row.currency)
        ),
        min_margin_percent=row.min_margin_percent,
        scopes=tuple(WaveScope.model_validate(scope) for scope in row.scopes),
        locations=tuple(_location_model(location) for location in row.locations),
        status=row.status,
        activated_at=row.activated_at,
        reversed_at=row.reversed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _item_rows(wave_id: str, items: Sequence[WaveItem]) -> list[dict[str, Any]]:
    """The items' rows in variant order, after checking they belong to the wave, once each.

    Raises:
        InvalidValueError: An item of another wave (field ``items``), or an amount
            the table cannot hold (another currency than the item's others, or out
            of the ``BIGINT`` range).
        ConflictError: A variant given twice.
    """
    ordered = sorted(items, key=lambda item: item.variant_id)
    previous: str | None = None
    for item in ordered:
        if item.wave_id != wave_id:
            raise InvalidValueError(
                field="items",
                value=item.wave_id,
                reason=f"an item stored with wave {wave_id!r} must have that wave_id",
            )
        if item.variant_id == previous:
            raise ConflictError(
                entity=_ITEM,
                id=item.variant_id,
                reason=f"variant given twice for wave {wave_id!r}",
                wave_id=wave_id,
            )
        previous = item.variant_id
    return [_item_row(item) for item in ordered]


def _item_row(item: WaveItem) -> dict[str, Any]:
    cost = item.cost
    currency = _one_currency(
        (
            ("regular_price", item.regular_price),
            ("base_price", item.base_price),
            ("markdown_price", item.markdown_price),
            ("cost", cost),
        ),
        prefix="items.",
    )
    return {
        "wave_id": item.wave_id,
        "variant_id": item.variant_id,
        "product_id": item.product_id,
        "currency": currency,
        "regular_price_minor": minor_units(item.regular_price, field="items.regular_price"),
        "base_price_minor": minor_units(item.base_price, field="items.base_price"),
        "markdown_price_minor": minor_units(item.markdown_price, field="items.markdown_price"),
        "stacked_on_wave_id": item.stacked_on_wave_id,
        "cost_minor": None if cost is None else minor_units(cost, field="items.cost"),
        "margin_percent": item.margin_percent,
        "below_cost": item.below_cost,
        "excluded": item.excluded,
        "exclusion_reason": None if item.exclusion_reason is None else item.exclusion_reason.value,
    }


def _item_model(row: Row[Any]) -> WaveItem:
    currency = row.currency
    return WaveItem(
        wave_id=row.wave_id,
        variant_id=row.variant_id,
        product_id=row.product_id,
        regular_price=Money(row.regular_price_minor, currency),
        base_price=Money(row.base_price_minor, currency),
        markdown_price=Money(row.markdown_price_minor, currency),
        stacked_on_wave_id=row.stacked_on_wave_id,
        cost=None if row.cost_minor is None else Money(row.cost_minor, currency),
        margin_percent=row.margin_percent,
        below_cost=row.below_cost,
        excluded=row.excluded,
        exclusion_reason=(
            None if row.exclusion_reason is None else ExclusionReason(row.exclusion_reason)
        ),
    )


class SqlMarkdownWaveRepository(SqlRepository):
    """Waves in ``pricekit_markdown_waves``, their items in ``pricekit_markdown_wave_items``.

    Implements :class:`~pricekit.markdowns.ports.MarkdownWaveRepository`. Like
    the in-memory repository, it refuses items whose ``wave_id`` is not the
    wave's (:class:`~pricekit.errors.InvalidValueError`, field ``items``) and a
    variant given twice for one wave (:class:`~pricekit.errors.ConflictError`,
    entity ``wave_item``), before writing anything. An item's prices and cost
    share one currency column, so an item whose amounts are in different
    currencies is refused too (``InvalidValueError``, field ``items.<amount>``).

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add(self, wave: MarkdownWave, items: Sequence[WaveItem]) -> None:
        """Store a new wave and its items, all or nothing.

        Raises:
            ConflictError: A wave with this id is already stored, or a variant is
                given twice.
            InvalidValueError: An item names another wave, or holds an amount the
                table cannot.
        """
        rows = _item_rows(wave.id, items)
        row = _wave_row(wave)
        try:
            with self._transaction("add a markdown wave") as conn:
                conn.execute(insert(markdown_waves).values(row))
                if rows:
                    conn.execute(insert(markdown_wave_items), rows)
        except IntegrityError as exc:
            # The items were checked above and their wave was just inserted: the
            # one constraint left to break is the wave's own key.
            raise ConflictError(entity=_WAVE, id=wave.id, reason="duplicate id") from exc

    def save(self, wave: MarkdownWave, *, items: Sequence[WaveItem] | None = None) -> None:
        """Replace a stored wave (status, locations, fields), and its items if given.

        All or nothing: the wave and its items change together.

        Raises:
            NotFoundError: No wave with this id is stored.
            ConflictError: A variant is given twice.
            InvalidValueError: An item names another wave, or holds an amount the
                table cannot.
        """
        rows = None if items is None else _item_rows(wave.id, items)
        row = _wave_row(wave)
        with self._transaction("save a markdown wave") as conn:
            result = conn.execute(
                update(markdown_waves).where(markdown_waves.c.id == wave.id).values(row)
            )
            if result.rowcount == 0:
                raise NotFoundError(entity=_WAVE, id=wave.id)
            if rows is not None:
                conn.execute(
                    delete(markdown_wave_items).where(markdown_wave_items.c.wave_id == wave.id)
                )
                if rows:
                    conn.execute(insert(markdown_wave_items), rows)

    def get(self, wave_id: str) -> MarkdownWave | None:
        """The wave with this id, or ``None``."""
        return self._get_one(markdown_waves, wave_id, _wave_model, operation="read a markdown wave")

    def items(self, wave_id: str) -> list[WaveItem]:
        """The wave's items ordered by variant id; empty for an unknown wave."""
        t = markdown_wave_items
        with self._transaction("read a markdown wave's items") as conn:
            rows = conn.execute(select(t).where(t.c.wave_id == wave_id).order_by(t.c.variant_id))
            return [_item_model(row) for row in rows]

    def delete(self, wave_id: str) -> None:
        """Remove a wave and its items.

        Raises:
            NotFoundError: No wave with this id is stored.
        """
        with self._transaction("delete a markdown wave") as conn:
            conn.execute(
                delete(markdown_wave_items).where(markdown_wave_items.c.wave_id == wave_id)
            )
            result = conn.execute(delete(markdown_waves).where(markdown_waves.c.id == wave_id))
            if result.rowcount == 0:
                raise NotFoundError(entity=_WAVE, id=wave_id)

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
            business_id: The business; ``None`` for every business.
            plan_id: Only this plan's waves.
            statuses: Only waves in one of these states (an empty collection
                matches none; ``None`` matches all).
            offset: How many matching waves to skip.
            limit: The most waves to return.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        if statuses is not None and not statuses:
            return Page[MarkdownWave](items=(), total=0, offset=offset, limit=limit)
        t = markdown_waves
        conditions: list[ColumnElement[bool]] = []
        if business_id is not None:
            conditions.append(t.c.business_id == business_id)
        if plan_id is not None:
            conditions.append(t.c.plan_id == plan_id)
        if statuses is not None:
            conditions.append(t.c.status.in_(sorted({str(status) for status in statuses})))
        return self._read_page(
            t,
            conditions,
            _wave_model,
            order_by=[t.c.id],
            offset=offset,
            limit=limit,
            operation="find markdown waves",
        )


# -- history --------------------------------------------------------------------------------


def _entry_row(entry: MarkdownHistoryEntry) -> dict[str, Any]:
    before, after = entry.price_before, entry.price_after
    return {
        "id": entry.id,
        "business_id": entry.business_id,
        "plan_id": entry.plan_id,
        "wave_id": entry.wave_id,
        "action": HistoryAction(entry.action).value,
        "at": entry.at,
        "location_id": entry.location_id,
        "variant_id": entry.variant_id,
        "currency": _one_currency((("price_before", before), ("price_after", after)), prefix=""),
        "price_before_minor": None if before is None else minor_units(before, field="price_before"),
        "price_after_minor": None if after is None else minor_units(after, field="price_after"),
        "note": entry.note,
    }


def _entry_model(row: Row[Any]) -> MarkdownHistoryEntry:
    currency = row.currency
    before, after = row.price_before_minor, row.price_after_minor
    return MarkdownHistoryEntry(
        id=row.id,
        business_id=row.business_id,
        plan_id=row.plan_id,
        wave_id=row.wave_id,
        action=HistoryAction(row.action),
        at=row.at,
        location_id=row.location_id,
        variant_id=row.variant_id,
        price_before=None if before is None else Money(before, currency),
        price_after=None if after is None else Money(after, currency),
        note=row.note,
    )


class SqlMarkdownHistoryRepository(SqlRepository):
    """Markdown history entries in ``pricekit_markdown_history``.

    Implements :class:`~pricekit.markdowns.ports.MarkdownHistoryRepository`.
    Like the in-memory repository, it refuses an entry whose ``at`` is naive
    (:class:`~pricekit.errors.InvalidValueError`, field ``at``). An entry's two
    prices share one currency column, so an entry whose prices are in different
    currencies is refused too (``InvalidValueError``, field ``price_after``).

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add_many(self, entries: Sequence[MarkdownHistoryEntry]) -> None:
        """Store entries, all or nothing.

        Raises:
            ConflictError: An entry id is already stored or given twice in the
                batch (nothing is stored then); the error names the first such
                entry in ``entries``.
            InvalidValueError: An entry's ``at`` is naive, or it holds an amount
                the table cannot (nothing is stored then).
        """
        entries = list(entries)
        for entry in entries:
            require_aware(entry.at, field="at")
        rows = [_entry_row(entry) for entry in entries]
        if not rows:
            return
        try:
            with self._transaction("add markdown history entries") as conn:
                conn.execute(insert(markdown_history), rows)
        except IntegrityError as exc:
            raise self._conflict(entries) from exc

    def _conflict(self, entries: Sequence[MarkdownHistoryEntry]) -> ConflictError:
        """The error naming the first entry that is stored already or repeats an earlier one."""
        ids = [entry.id for entry in entries]
        with self._transaction("find conflicting markdown history entries") as conn:
            stored = stored_ids(conn, markdown_history, ids)
        seen: set[str] = set()
        for entry_id in ids:
            if entry_id in stored:
                return ConflictError(entity=_ENTRY, id=entry_id, reason="duplicate id")
            if entry_id in seen:
                return ConflictError(
                    entity=_ENTRY, id=entry_id, reason="id given twice in one batch"
                )
            seen.add(entry_id)
        # Unreachable while entries are never deleted: a key the insert broke is stored.
        return ConflictError(entity=_ENTRY, id=ids[0], reason="duplicate id")  # pragma: no cover

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
        check_page(offset=offset, limit=limit)
        t = markdown_history
        conditions = [t.c.business_id == business_id, t.c.variant_id == variant_id]
        return self._page("read a variant's markdown history", conditions, offset, limit)

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
        check_page(offset=offset, limit=limit)
        conditions = [markdown_history.c.wave_id == wave_id]
        return self._page("read a wave's markdown history", conditions, offset, limit)

    def _page(
        self,
        operation: str,
        conditions: Sequence[ColumnElement[bool]],
        offset: int,
        limit: int,
    ) -> Page[MarkdownHistoryEntry]:
        t = markdown_history
        return self._read_page(
            t,
            conditions,
            _entry_model,
            order_by=[t.c.at, t.c.id],
            offset=offset,
            limit=limit,
            operation=operation,
        )
