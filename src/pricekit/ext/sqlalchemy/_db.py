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

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pricekit.errors import BackendUnavailableError, InvalidValueError, PricekitError

__all__ = ["Bind", "SqlRepository", "create_sqlite_engine"]

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
