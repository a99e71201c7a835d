"""Price resolution in SQL: one indexed ``LIMIT 1`` query per price, for very large catalogs.

:class:`~pricekit.pricing.book.PriceBook` compiles every list of a business into
memory; for a catalog too large for that, :class:`SqlPriceResolver` asks the
database for the winner of one query with one statement, straight from the
tables of :mod:`pricekit.ext.sqlalchemy.pricing`, and gives the book's answer:

- **candidates** are the active items, in the query's currency, of the query's
  item on active lists of the query's business, whose list serves the query's
  channel (or ``any``), with ``quantity >= min_qty``, and with ``at`` inside both
  the list's and the item's validity;
- a candidate counts only through a **scope** of its list whose channel is unset
  or the query's: a scope for the query's location puts it ahead of every
  candidate that only matches through a global scope (no location), whatever
  their ranks; a list without a scope applies nowhere;
- **rank**: list priority, item priority, the larger tier, the newer item (an
  item without ``created_at`` is the oldest), then the lower id; ``LIMIT 1``;
- the **markdown** step is the book's own
  (:func:`~pricekit.pricing.book.apply_markdown`); with no candidate, the base price.

The statement starts from ``ix_pricekit_price_list_items_lookup`` (item id, item
type, active), joins each candidate's list by primary key and tests its scopes
with ``EXISTS`` subqueries (``ix_pricekit_price_list_scopes_list``). It is
compiled once per engine to its database's SQL text, and runs as the bind
allows:

- an ``Engine``: alone, on a pooled connection, straight through the driver, in
  autocommit mode. One statement reads one consistent snapshot, so the
  transaction a repository call opens would only add ``BEGIN`` and ``COMMIT``
  round trips;
- a ``Connection`` outside a transaction (PostgreSQL through psycopg, or
  SQLite): the same, on that connection, which is left outside a transaction;
- a ``Connection`` inside the caller's transaction, or a ``Session``: in the
  caller's transaction, in a savepoint, like every repository call.

Run straight through the driver, the statement skips SQLAlchemy's statement
events (``before_cursor_execute``); pool events still fire. A database error is
:class:`~pricekit.errors.BackendUnavailableError`, and a connection the driver
reports lost is invalidated, so the pool replaces it.

An item priced in another currency than its list's (which
:class:`~pricekit.pricing.service.PricingService` refuses to store) is never a
candidate, and neither is an item stored without its list.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnClause,
    Connection,
    Engine,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection, StaticPool

from pricekit.errors import BackendUnavailableError
from pricekit.ext.sqlalchemy._db import Bind, SqlRepository
from pricekit.ext.sqlalchemy._schema import MICRO, UtcDateTime, chunked, from_micro
from pricekit.ext.sqlalchemy.pricing import (
    price_list_from_row,
    price_list_item_from_row,
    price_list_items,
    price_list_scope_from_row,
    price_list_scopes,
    price_lists,
)
from pricekit.money import Money
from pricekit.pricing.book import PriceBook, apply_markdown, check_resolution
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.pricing.ports import MarkdownLookup

__all__ = ["SqlPriceResolver", "resolution_select"]

_BIGINT_MAX = 2**63 - 1
_QUANTITY_CAP = Decimal(_BIGINT_MAX) / MICRO
"""A quantity at least this large meets every tier a ``BIGINT`` of millionths can hold."""
_ONE_MICRO = Decimal(1) / MICRO
_MIN_QTYS: dict[int, Decimal] = {}
_MIN_QTYS_KEPT = 4096
_CREATED_FLOOR = datetime.min.replace(tzinfo=UTC)
"""Where an item without ``created_at`` ranks: with the oldest possible one, as in the book."""

_CURSOR = "pricekit_resolve_cursor"
"""Where a pooled connection's ``info`` keeps the cursor resolutions reuse."""

_PLANS: weakref.WeakKeyDictionary[Engine, _Plans] = weakref.WeakKeyDictionary()
_PLANS_LOCK = threading.Lock()

_ANY: ColumnClause[str] = literal_column(f"'{Channel.ANY.value}'", String)


def resolution_select(*, at_location: bool) -> Select[Any]:
    """The resolution statement: the winning candidate's columns, best first, ``LIMIT 1``.

    Bound parameters: ``business_id``, ``item_type``, ``item_id``, ``currency``,
    ``channel``, ``quantity_micro`` (the quantity in millionths, rounded down),
    ``at``, ``created_floor`` (the oldest instant, where an item without
    ``created_at`` ranks) and, with ``at_location``, ``location_id``.

    Args:
        at_location: The query names a location: rank candidates matched through
            a scope for it first. Without one only global scopes match.

    Returns:
        A select of ``id``, ``price_list_id``, ``price_minor``, ``currency``,
        ``min_qty_micro`` (of the item) and ``priority`` (of the list).
    """
    items, lists, scopes = price_list_items, price_lists, price_list_scopes
    at = bindparam("at", type_=UtcDateTime)
    created_floor = bindparam("created_floor", _CREATED_FLOOR, type_=UtcDateTime)
    channel: BindParameter[str] = bindparam("channel", type_=String)
    currency: BindParameter[str] = bindparam("currency", type_=String)

    def scope_matches(where_location: Any) -> Any:
        return exists().where(
            scopes.c.price_list_id == lists.c.id,
            where_location,
            or_(scopes.c.channel.is_(None), scopes.c.channel == channel),
        )

    global_match = scope_matches(scopes.c.location_id.is_(None))
    conditions = [
        items.c.item_id == bindparam("item_id"),
        items.c.item_type == bindparam("item_type"),
        items.c.is_active == true(),
        lists.c.business_id == bindparam("business_id"),
        lists.c.is_active == true(),
        lists.c.currency == currency,
        items.c.currency == currency,
        items.c.min_qty_micro <= bindparam("quantity_micro"),
        or_(lists.c.channel == _ANY, lists.c.channel == channel),
        or_(lists.c.valid_from.is_(None), lists.c.valid_from <= at),
        or_(lists.c.valid_to.is_(None), lists.c.valid_to > at),
        or_(items.c.valid_from.is_(None), items.c.valid_from <= at),
        or_(items.c.valid_to.is_(None), items.c.valid_to > at),
    ]
    order = [
        lists.c.priority.desc(),
        items.c.priority.desc(),
        items.c.min_qty_micro.desc(),
        func.coalesce(items.c.created_at, created_floor).desc(),
        items.c.id.asc(),
    ]
    if at_location:
        local_match = scope_matches(scopes.c.location_id == bindparam("location_id"))
        conditions.append(or_(local_match, global_match))
        order.insert(0, local_match.desc())
    else:
        conditions.append(global_match)
    return (
        select(
            items.c.id,
            items.c.price_list_id,
            items.c.price_minor,
            items.c.currency,
            items.c.min_qty_micro,
            lists.c.priority,
        )
        .select_from(items.join(lists, lists.c.id == items.c.price_list_id))
        .where(and_(*conditions))
        .order_by(*order)
        .limit(literal_column("1", Integer))
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """The resolution statement compiled for one dialect and the way to bind it."""

    sql: str
    order: tuple[str, ...] | None
    """The parameter names in order, for a positional paramstyle; ``None`` for named."""
    constants: dict[str, Any]
    """The parameters whose values are part of the statement, ready for the driver."""

    def parameters(self, values: dict[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        """The driver's parameters from the named values of one call (``values`` is reused)."""
        if self.constants:
            values.update(self.constants)
        order = self.order
        if order is None:
            return values
        return tuple([values[name] for name in order])


@dataclass(frozen=True, slots=True)
class _Plans:
    """Both statements for one dialect, and how to run them on its driver."""

    at_location: _Plan
    anywhere: _Plan
    bind_instant: Callable[[datetime], Any]
    """An aware instant as the driver takes it."""
    autocommit: bool
    """Switch the driver connection to autocommit for the statement (psycopg, psycopg2)."""
    error: type[Exception]
    """The driver's base exception class."""
    dialect: Dialect
    keep_cursor: bool
    """Reuse one cursor per pooled connection (not when threads share a connection)."""
    direct: bool
    """A lone statement on the driver opens no transaction (autocommit, or SQLite)."""


def _compile(dialect: Dialect, *, keep_cursor: bool) -> _Plans:
    def plan(at_location: bool) -> _Plan:
        compiled = resolution_select(at_location=at_location).compile(dialect=dialect)
        positions = compiled.positiontup if compiled.positional else None
        constants: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                constants[name] = bind.value if process is None else process(bind.value)
        return _Plan(
            sql=compiled.string, order=tuple(positions) if positions else None, constants=constants
        )

    psycopg = dialect.name == "postgresql" and dialect.driver in ("psycopg", "psycopg2")
    processor = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    return _Plans(
        at_location=plan(True),
        anywhere=plan(False),
        # psycopg sends an aware datetime as the instant it is, whatever its zone.
        bind_instant=_same if psycopg or processor is None else processor,
        autocommit=psycopg,
        error=dialect.loaded_dbapi.Error,
        dialect=dialect,
        keep_cursor=keep_cursor,
        direct=psycopg or dialect.name == "sqlite",
    )


def _plans_for(engine: Engine) -> _Plans:
    """The engine's compiled statements, compiled once (a resolver per request costs nothing)."""
    plans = _PLANS.get(engine)
    if plans is None:
        # A StaticPool hands its one connection to every thread at once.
        shared = isinstance(engine.pool, StaticPool)
        plans = _compile(engine.dialect, keep_cursor=not shared)
        with _PLANS_LOCK:
            plans = _PLANS.setdefault(engine, plans)
    return plans


def _same(value: datetime) -> datetime:
    return value


def _quantity_micro(quantity: Decimal | int) -> int:
    """The quantity in millionths, rounded down: ``q >= tier`` iff this is ``>=`` the tier's.

    Exact for any Decimal (integer arithmetic, no context rounding).
    """
    if not isinstance(quantity, Decimal):
        return min(quantity * MICRO, _BIGINT_MAX)
    if quantity >= _QUANTITY_CAP:  # also infinity
        return _BIGINT_MAX
    if quantity < _ONE_MICRO:
        return 0
    numerator, denominator = quantity.as_integer_ratio()
    return numerator * MICRO // denominator


def _min_qty(micro: int) -> Decimal:
    """A tier's ``min_qty`` from its millionths (the few distinct tiers are remembered)."""
    found = _MIN_QTYS.get(micro)
    if found is None:
        found = from_micro(micro)
        if len(_MIN_QTYS) < _MIN_QTYS_KEPT:
            _MIN_QTYS[micro] = found
    return found


class SqlPriceResolver(SqlRepository):
    """Resolves prices with one indexed query each, giving the price book's answers.

    For catalogs too large to hold as a :class:`~pricekit.pricing.book.PriceBook`:
    nothing is loaded up front, and each resolution is one ``SELECT ... LIMIT 1``
    on the tables of :mod:`pricekit.ext.sqlalchemy.pricing`. Every answer, and
    every explanation, is the one a book of the same records would give.

    On an ``Engine`` every resolution checks a connection out of the pool and
    back in; on a hot path, give the resolver the connection a request already
    holds (``SqlPriceResolver(conn)``: the compiled statements are shared per
    engine, so a resolver per request is cheap), or resolve a cart with
    :meth:`resolve_many`, which uses one connection for all its lines.

    Args:
        bind: An ``Engine`` (each resolution is one statement on a pooled
            connection, in autocommit mode), a ``Connection`` (the same, on it,
            when it is outside a transaction; otherwise inside the caller's
            transaction, in a savepoint) or a ``Session`` (in a savepoint).
        markdowns: Where seasonal markdowns are looked up, if anywhere.

    Raises:
        InvalidValueError: ``bind`` is not an Engine, Connection or Session.
    """

    def __init__(self, bind: Bind, *, markdowns: MarkdownLookup | None = None) -> None:
        super().__init__(bind)
        self._markdowns = markdowns
        self._plans: _Plans | None = None

    @property
    def markdowns(self) -> MarkdownLookup | None:
        """Where markdowns are looked up, if anywhere."""
        return self._markdowns

    def statement_sql(self, *, at_location: bool = True) -> str:
        """The SQL text this resolver runs on its database (for ``EXPLAIN``, or to compare).

        Args:
            at_location: The statement for a query with a location; ``False`` for
                the one without.
        """
        plans = self._compiled()
        return (plans.at_location if at_location else plans.anywhere).sql

    # -- resolution -------------------------------------------------------------------

    def resolve(self, query: PriceQuery, *, explain: bool = False) -> ResolvedPrice:
        """Resolve one query; with ``explain``, the result carries the book's full trace.

        Raises:
            BackendUnavailableError: The database failed.
        """
        return self.resolve_item(
            business_id=query.business_id,
            item_type=query.item_type,
            item_id=query.item_id,
            location_id=query.location_id,
            channel=query.channel,
            quantity=query.quantity,
            currency=query.currency,
            base_price=query.base_price,
            at=query.at,
            explain=explain,
        )

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        """Resolve a whole cart: one result per query, in order (one statement each).

        On an ``Engine`` the statements share one pooled connection.

        Raises:
            BackendUnavailableError: The database failed.
        """
        bind = self._bind
        if explain or not isinstance(bind, Engine) or len(queries) < 2:
            return [self.resolve(query, explain=explain) for query in queries]
        try:
            conn = bind.connect()
        except DBAPIError as exc:
            raise self._unavailable(exc) from exc
        with conn:
            leased = SqlPriceResolver(conn, markdowns=self._markdowns)
            leased._plans = self._compiled()
            return [leased.resolve(query) for query in queries]

    def resolve_item(
        self,
        *,
        business_id: str,
        item_id: str,
        channel: Channel | str,
        at: datetime,
        base_price: Money,
        currency: str | None = None,
        quantity: Decimal | int = 1,
        location_id: str | None = None,
        item_type: ItemType = ItemType.PRODUCT,
        explain: bool = False,
    ) -> ResolvedPrice:
        """Resolve one item from keyword arguments, as :meth:`PriceBook.resolve_item` does.

        The arguments mean what :class:`~pricekit.pricing.models.PriceQuery`'s fields
        mean; ``currency`` defaults to the base price's.

        Raises:
            InvalidValueError: A naive ``at``, a quantity that is not above zero, a
                ``channel`` of ``any``, or a base price in another currency.
            BackendUnavailableError: The database failed.
        """
        channel, currency = check_resolution(
            at=at, quantity=quantity, channel=channel, currency=currency, base_price=base_price
        )
        if explain:
            return self._explain(
                business_id=business_id,
                item_type=item_type,
                item_id=item_id,
                location_id=location_id,
                channel=channel,
                quantity=quantity,
                currency=currency,
                base_price=base_price,
                at=at,
            )
        plans = self._plans or self._compiled()
        values = {
            "item_id": item_id,
            "item_type": str(item_type),
            "business_id": business_id,
            "currency": currency,
            "quantity_micro": _quantity_micro(quantity),
            "channel": str(channel),
            "at": plans.bind_instant(at),
        }
        if location_id is None:
            plan = plans.anywhere
        else:
            plan = plans.at_location
            values["location_id"] = location_id
        row = self._fetch_one(plans, plan.sql, plan.parameters(values))
        if row is None:
            result = ResolvedPrice(unit_price=base_price, source=PriceSource.BASE_PRICE)
        else:
            winner_id, list_id, price_minor, _, min_qty_micro, list_priority = row
            result = ResolvedPrice(
                unit_price=Money(price_minor, base_price.currency),
                source=PriceSource.PRICE_LIST,
                price_list_id=list_id,
                price_list_item_id=winner_id,
                priority=list_priority,
                min_qty=_min_qty(min_qty_micro),
            )
        markdowns = self._markdowns
        if markdowns is not None:
            result = apply_markdown(
                result,
                markdowns,
                business_id=business_id,
                item_type=item_type,
                item_id=item_id,
                location_id=location_id,
                at=at,
            )
        return result

    # -- the statement ----------------------------------------------------------------

    def _compiled(self) -> _Plans:
        plans = self._plans
        if plans is None:
            bind = self._bind
            target = bind.get_bind() if isinstance(bind, Session) else bind
            engine = target if isinstance(target, Engine) else target.engine
            plans = self._plans = _plans_for(engine)
        return plans

    def _fetch_one(
        self, plans: _Plans, sql: str, parameters: dict[str, Any] | tuple[Any, ...]
    ) -> tuple[Any, ...] | None:
        """The statement's one row, or ``None``."""
        bind = self._bind
        if isinstance(bind, Engine):
            try:
                pooled = bind.raw_connection()
            except DBAPIError as exc:
                raise self._unavailable(exc) from exc
            try:
                return self._run(plans, pooled, sql, parameters, pooled.invalidate)
            finally:
                pooled.close()
        if (
            isinstance(bind, Connection)
            and plans.direct
            and (
                not bind.in_transaction()
                or bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
            )
        ):
            try:
                pooled = bind.connection
            except DBAPIError as exc:
                raise self._unavailable(exc) from exc
            return self._run(plans, pooled, sql, parameters, bind.invalidate)
        with self._transaction("resolve a price", read_only=True) as conn:
            row = conn.exec_driver_sql(sql, parameters).first()
        return None if row is None else tuple(row)

    def _run(
        self,
        plans: _Plans,
        pooled: PoolProxiedConnection,
        sql: str,
        parameters: dict[str, Any] | tuple[Any, ...],
        invalidate: Callable[[BaseException], None],
    ) -> tuple[Any, ...] | None:
        """One statement straight through the driver, outside any transaction.

        One round trip (no ``BEGIN``, no ``COMMIT``), and one statement reads one
        consistent snapshot. The cursor is kept with the pooled connection and
        reused, unless the pool shares one connection between threads
        (``StaticPool``). If the driver reports a lost connection, the connection
        is invalidated so that the pool replaces it.
        """
        driver: Any = pooled.dbapi_connection
        info = pooled.info
        keep = plans.keep_cursor
        cursor = info.get(_CURSOR) if keep else None
        try:
            if cursor is None:
                cursor = driver.cursor()
                if keep:
                    info[_CURSOR] = cursor
            if plans.autocommit and not driver.autocommit:
                driver.autocommit = True
                try:
                    cursor.execute(sql, parameters)
                    row: tuple[Any, ...] | None = cursor.fetchone()
                finally:
                    driver.autocommit = False
            else:
                cursor.execute(sql, parameters)
                row = cursor.fetchone()
        except plans.error as exc:
            info.pop(_CURSOR, None)
            if plans.dialect.is_disconnect(exc, driver, cursor):  # type: ignore[arg-type]
                invalidate(exc)
            raise self._unavailable(exc) from exc
        finally:
            if not keep and cursor is not None:
                cursor.close()
        return row

    def _unavailable(self, exc: BaseException) -> BackendUnavailableError:
        return BackendUnavailableError(
            backend=self.dialect, operation="resolve a price", cause=str(exc)
        )

    # -- explanation ------------------------------------------------------------------

    def _explain(
        self,
        *,
        business_id: str,
        item_type: ItemType,
        item_id: str,
        location_id: str | None,
        channel: Channel,
        quantity: Decimal | int,
        currency: str,
        base_price: Money,
        at: datetime,
    ) -> ResolvedPrice:
        """The book's explanation, from a book of the item's records only."""
        bind = self._bind
        # A connection outside a transaction is left outside one, as the plain path leaves it.
        outside = bind if isinstance(bind, Connection) and not bind.in_transaction() else None
        try:
            with self._transaction("explain a price", read_only=True) as conn:
                price_lists_found, item_rows, scope_rows = _load_key(
                    conn, business_id=business_id, item_type=item_type, item_id=item_id
                )
        finally:
            if outside is not None and outside.in_transaction():
                outside.rollback()  # it only read
        key_items: list[PriceListItem] = []
        for row in item_rows:
            item = price_list_item_from_row(row)
            # The book refuses an item priced in another currency than its list's; the
            # resolution statement never picks one. Leave it out here too.
            if item.price.currency.code == price_lists_found[item.price_list_id].currency:
                key_items.append(item)
        book = PriceBook(
            lists=price_lists_found.values(),
            items=key_items,
            scopes=[price_list_scope_from_row(row) for row in scope_rows],
            markdowns=self._markdowns,
        )
        return book.resolve_item(
            business_id=business_id,
            item_type=item_type,
            item_id=item_id,
            location_id=location_id,
            channel=channel,
            quantity=quantity,
            currency=currency,
            base_price=base_price,
            at=at,
            explain=True,
        )


def _load_key(
    conn: Connection, *, business_id: str, item_type: ItemType, item_id: str
) -> tuple[dict[str, PriceList], list[Row[Any]], list[Row[Any]]]:
    """Every list of the business with an item for the key, those items, and the lists' scopes."""
    items, lists, scopes = price_list_items, price_lists, price_list_scopes
    list_rows = conn.execute(
        select(lists).where(
            lists.c.business_id == business_id,
            lists.c.id.in_(
                select(items.c.price_list_id).where(
                    items.c.item_id == item_id, items.c.item_type == str(item_type)
                )
            ),
        )
    ).all()
    found = {row.id: price_list_from_row(row) for row in list_rows}
    item_rows: list[Row[Any]] = []
    scope_rows: list[Row[Any]] = []
    for chunk in chunked(sorted(found)):
        item_rows.extend(
            conn.execute(
                select(items).where(
                    items.c.item_id == item_id,
                    items.c.item_type == str(item_type),
                    items.c.price_list_id.in_(chunk),
                )
            ).all()
        )
        scope_rows.extend(
            conn.execute(select(scopes).where(scopes.c.price_list_id.in_(chunk))).all()
        )
    return found, item_rows, scope_rows
