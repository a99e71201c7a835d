"""How the SQL repositories reach the database, and where their transactions begin and end.

Every repository takes one *bind*:

- an ``Engine``: each call is its own transaction, committed when the call
  returns and rolled back if it raises;
- a ``Connection`` or an ORM ``Session``: each call runs inside the caller's
  transaction, in a savepoint, so a call that fails leaves nothing behind and
  the caller's earlier work stands; the caller commits. Give several
  repositories one connection (``with engine.begin() as conn``) to make a
  service call that touches them all one unit of work.

A database error that is not a constraint the repository turns into a pricekit
error (a duplicate id, a missing parent) becomes
:class:`~pricekit.errors.BackendUnavailableError`, after the rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pricekit.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidValueError,
    NotFoundError,
    PricekitError,
)
from pricekit.ext.sqlalchemy._schema import chunked
from pricekit.pricing.repository import Page

__all__ = ["Bind", "SqlRepository", "create_sqlite_engine", "stored_ids"]

_M = TypeVar("_M")

Bind = Engine | Connection | Session
"""What a repository runs its statements on."""

_READ_ONLY = "pricekit_read_only"
"""The execution option a read-only call's connection carries."""


class SqlRepository:
    """The base of the SQL repositories: a bind, and a transaction per call.

    Args:
        bind: An ``Engine`` (a transaction per call) or a ``Connection`` or
            ``Session`` (the caller's transaction; a savepoint per call).

    Raises:
        InvalidValueError: ``bind`` is none of those.
    """

    def __init__(self, bind: Bind) -> None:
        if not isinstance(bind, Engine | Connection | Session):
            raise InvalidValueError(
                field="bind",
                value=bind,
                reason="must be a SQLAlchemy Engine, Connection or Session",
            )
        self._bind = bind

    @property
    def dialect(self) -> str:
        """The database's dialect name: ``"postgresql"``, ``"sqlite"``, ..."""
        bind = self._bind
        if isinstance(bind, Session):
            return bind.get_bind().dialect.name
        return bind.dialect.name

    @contextmanager
    def _transaction(self, operation: str, *, read_only: bool = False) -> Iterator[Connection]:
        """A connection inside a transaction (or savepoint) that commits on success.

        An ``IntegrityError`` passes through for the repository to name the
        record; any other database error is a ``BackendUnavailableError``, and
        a value a column type refused raises its own ``InvalidValueError``.
        Either way everything done inside is rolled back first.

        Args:
            operation: What is being done, for the error message.
            read_only: The call only reads: on an engine from
                :func:`create_sqlite_engine` it then does not take the write
                lock, so it never waits behind a writer.
        """
        try:
            with self._begin(read_only=read_only) as conn:
                yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise BackendUnavailableError(
                backend=self.dialect, operation=operation, cause=str(exc.orig or exc)
            ) from exc
        except StatementError as exc:
            if isinstance(exc.orig, PricekitError):  # a value a column type refused
                raise exc.orig from exc
            raise

    # -- one-row and one-page calls shared by the repositories ------------------------------
    #
    # Each runs in its own call's transaction and keys rows by the table's ``id``
    # column; the caller names the record (``entity``) and the operation, so the
    # errors read exactly as the repository's own.

    def _insert_one(
        self, table: Table, row: Mapping[str, Any], *, entity: str, id: str, operation: str
    ) -> None:
        """Insert one row; a constraint the database refuses is a duplicate id.

        Raises:
            ConflictError: The row broke a constraint (its id is stored already):
                ``entity``, ``id``, reason ``"duplicate id"``; nothing is written.
        """
        try:
            with self._transaction(operation) as conn:
                conn.execute(insert(table).values(row))
        except IntegrityError as exc:
            raise ConflictError(entity=entity, id=id, reason="duplicate id") from exc

    def _update_one(
        self, table: Table, row: Mapping[str, Any], *, entity: str, id: str, operation: str
    ) -> None:
        """Set the row whose ``id`` is ``id`` to ``row``.

        Raises:
            NotFoundError: No row has this id (``entity``, ``id``).
        """
        with self._transaction(operation) as conn:
            result = conn.execute(update(table).where(table.c.id == id).values(row))
            if result.rowcount == 0:
                raise NotFoundError(entity=entity, id=id)

    def _delete_one(self, table: Table, *, entity: str, id: str, operation: str) -> None:
        """Delete the row whose ``id`` is ``id``.

        An ``IntegrityError`` (a row elsewhere still refers to it) passes out.

        Raises:
            NotFoundError: No row has this id (``entity``, ``id``).
        """
        with self._transaction(operation) as conn:
            result = conn.execute(delete(table).where(table.c.id == id))
            if result.rowcount == 0:
                raise NotFoundError(entity=entity, id=id)

    def _get_one(
        self,
        table: Table,
        id: str,
        to_model: Callable[[Row[Any]], _M],
        *,
        operation: str,
        read_only: bool = False,
    ) -> _M | None:
        """The model of the row whose ``id`` is ``id``, or ``None``."""
        with self._transaction(operation, read_only=read_only) as conn:
            row = conn.execute(select(table).where(table.c.id == id)).one_or_none()
        return None if row is None else to_model(row)

    def _read_page(
        self,
        table: Table,
        conditions: Iterable[ColumnElement[bool]],
        to_model: Callable[[Row[Any]], _M],
        *,
        order_by: Sequence[ColumnElement[Any]],
        offset: int,
        limit: int,
        operation: str,
        read_only: bool = False,
    ) -> Page[_M]:
        """One page of the rows that match, in ``order_by`` order, as models.

        The count rides on the page's own query (a window function), so the total
        and the rows come from one snapshot; only a page past the end counts
        separately.
        """
        where = list(conditions)
        total_column = func.count().over().label("pricekit_total")
        with self._transaction(operation, read_only=read_only) as conn:
            rows = list(
                conn.execute(
                    select(table, total_column)
                    .where(*where)
                    .order_by(*order_by)
                    .offset(offset)
                    .limit(limit)
                ).all()
            )
            if rows:
                total = int(rows[0].pricekit_total)
            elif offset == 0:
                total = 0
            else:
                total = int(
                    conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
                )
        items = tuple(to_model(row) for row in rows)
        return Page[_M](items=items, total=total, offset=offset, limit=limit)

    @contextmanager
    def _begin(self, *, read_only: bool) -> Iterator[Connection]:
        bind = self._bind
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                if read_only:
                    conn.execution_options(**{_READ_ONLY: True})  # in place
                with conn.begin():
                    yield conn
        elif isinstance(bind, Session):
            with bind.begin_nested():
                yield bind.connection()
        else:
            with bind.begin_nested():
                yield bind


def stored_ids(conn: Connection, table: Table, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` have a row in ``table`` (by its ``id`` column), in chunked ``IN`` lists."""
    found: set[str] = set()
    for chunk in chunked(sorted(set(ids))):
        found.update(conn.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return found


def create_sqlite_engine(path: str | Path | None = None, **options: Any) -> Engine:
    """An engine for a SQLite file (or memory) set up the way pricekit's repositories expect.

    Foreign keys are enforced, a writer waits up to ``timeout`` seconds for
    another (30 by default) instead of failing at once, every transaction takes
    the write lock when it begins (``BEGIN IMMEDIATE``, so two transactions that
    read then write never deadlock; a repository's read-only call takes a plain
    ``BEGIN`` and never waits behind a writer), and savepoints work. A file database uses
    write-ahead logging, so readers do not block the writer.

    Args:
        path: The database file; ``None`` for a private in-memory database
            (one connection, shared by every thread).
        **options: Passed to :func:`sqlalchemy.create_engine`.
    """
    connect_args = {"timeout": 30.0, "check_same_thread": False, **options.pop("connect_args", {})}
    if path is None:
        engine = create_engine(
            "sqlite://", connect_args=connect_args, poolclass=StaticPool, **options
        )
    else:
        engine = create_engine(f"sqlite:///{Path(path)}", connect_args=connect_args, **options)
    file_backed = path is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, say when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if file_backed:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A repository's read-only call reads a snapshot without the write lock.
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
