"""The sync runner's history and locks on a SQL database.

- :class:`SqlSyncRunRepository` (a :class:`~pricekit.sync.ports.SyncRunRepository`):
  every run's report in ``pricekit_sync_runs``, newest ``keep`` kept.
- :class:`PostgresAdvisoryLock` (a :class:`~pricekit.sync.ports.SyncLock`), on
  PostgreSQL only: a session-level advisory lock, held by a connection set aside
  for as long as the lock is held. It lives exactly as long as that database
  session, so a process that dies frees it when its connection drops: it needs
  no TTL and never expires while its holder lives.
- :class:`SqlLeaseLock` (a :class:`~pricekit.sync.ports.SyncLock`), on any
  database: a row in ``pricekit_sync_locks`` holding the owner and an expiry,
  taken and extended by conditional ``UPDATE`` statements, so a holder that died
  loses the lock when its TTL runs out.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from pricekit.errors import BackendUnavailableError, ConflictError, InvalidValueError
from pricekit.ext.sqlalchemy._db import Bind, SqlRepository
from pricekit.ext.sqlalchemy._schema import ID_LENGTH, Json, UtcDateTime, id_type, metadata
from pricekit.sync.runner import RunReport
from pricekit.time import Clock, SystemClock

__all__ = [
    "PostgresAdvisoryLock",
    "SqlLeaseLock",
    "SqlSyncRunRepository",
    "advisory_lock_key",
    "sync_locks",
    "sync_runs",
]

sync_runs = Table(
    "pricekit_sync_runs",
    metadata,
    # BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY numbers rows by itself.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("run_id", id_type(), nullable=False, unique=True),
    Column("runner", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("report", Json, nullable=False),
)
"""One row per recorded run; ``seq`` is the recording order, ``report`` the whole report."""

sync_locks = Table(
    "pricekit_sync_locks",
    metadata,
    Column("name", id_type(), primary_key=True),
    Column("owner", Text, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
)
"""One row per lease lock name: its owner (``NULL`` when free) and when the hold ends."""


def _positive(ttl_seconds: float) -> None:
    if not ttl_seconds > 0:
        raise InvalidValueError(field="ttl_seconds", value=ttl_seconds, reason="must be above 0")


def _expiry(now: datetime, ttl_seconds: float) -> datetime:
    """``ttl_seconds`` from ``now``; a TTL past the calendar's end is refused."""
    try:
        return now + timedelta(seconds=ttl_seconds)
    except OverflowError:
        raise InvalidValueError(
            field="ttl_seconds", value=ttl_seconds, reason="too large for an instant"
        ) from None


def _lock_name(name: str) -> str:
    if not isinstance(name, str) or not 0 < len(name) <= ID_LENGTH:
        raise InvalidValueError(
            field="name", value=name, reason=f"must be a string of 1 to {ID_LENGTH} characters"
        )
    return name


# -- history ------------------------------------------------------------------------------


class SqlSyncRunRepository(SqlRepository):
    """The run history in ``pricekit_sync_runs``, the newest ``keep`` runs.

    Implements :class:`~pricekit.sync.ports.SyncRunRepository`. Each report is
    stored whole as JSON (:meth:`RunReport.to_dict
    <pricekit.sync.runner.RunReport.to_dict>`) and read back with
    :meth:`RunReport.from_dict <pricekit.sync.runner.RunReport.from_dict>`;
    ``runner``, ``status``, ``started_at`` and ``finished_at`` are columns too,
    for a host's own queries. Recording a run deletes the runs older than the
    newest ``keep`` in the same transaction.

    Args:
        bind: An ``Engine`` (a transaction per call) or a ``Connection`` or
            ``Session`` (the caller's transaction; a savepoint per call).
        keep: How many runs to keep.

    Raises:
        InvalidValueError: ``bind`` is not a SQLAlchemy engine, connection or
            session, or ``keep`` is below 1.
    """

    def __init__(self, bind: Bind, *, keep: int = 1000) -> None:
        super().__init__(bind)
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise InvalidValueError(field="keep", value=keep, reason="must be at least 1")
        self._keep = keep

    def record(self, report: RunReport) -> None:
        """Store a finished run's report; drop the runs older than the newest ``keep``.

        Raises:
            InvalidValueError: ``run_id`` is empty or longer than 255 characters.
            ConflictError: A run with the same ``run_id`` is recorded already
                (``entity="sync_run"``); nothing is written.
            BackendUnavailableError: The database could not be written.
        """
        if not 0 < len(report.run_id) <= ID_LENGTH:
            raise InvalidValueError(
                field="run_id", value=report.run_id, reason="must be 1 to 255 characters"
            )
        runs = sync_runs
        try:
            with self._transaction("record a sync run") as conn:
                conn.execute(
                    insert(runs).values(
                        run_id=report.run_id,
                        runner=report.runner,
                        status=report.status.value,
                        started_at=report.started_at,
                        finished_at=report.finished_at,
                        report=report.to_dict(),
                    )
                )
                oldest_kept = (
                    select(runs.c.seq)
                    .order_by(runs.c.seq.desc())
                    .offset(self._keep - 1)
                    .limit(1)
                    .scalar_subquery()
                )
                conn.execute(delete(runs).where(runs.c.seq < oldest_kept))
        except IntegrityError as exc:
            raise ConflictError(
                entity="sync_run", id=report.run_id, reason="a run with this id is recorded already"
            ) from exc

    def recent(self, limit: int = 20) -> list[RunReport]:
        """The latest ``limit`` reports, newest (last recorded) first.

        Raises:
            InvalidValueError: ``limit`` is below 1, or a stored report does not
                read back (``field="report"``).
            BackendUnavailableError: The database could not be read.
        """
        if limit < 1:
            raise InvalidValueError(field="limit", value=limit, reason="must be at least 1")
        with self._transaction("read the recent sync runs", read_only=True) as conn:
            stored = conn.scalars(
                select(sync_runs.c.report).order_by(sync_runs.c.seq.desc()).limit(limit)
            ).all()
        return [RunReport.from_dict(data) for data in stored]


# -- PostgreSQL advisory lock -------------------------------------------------------------


def advisory_lock_key(name: str) -> int:
    """The 64-bit advisory lock key of a lock name, stable across processes and versions.

    The first 8 bytes of the name's SHA-256 (UTF-8), as a signed big-endian
    integer: ``pg_try_advisory_lock`` takes a ``bigint``.

    Raises:
        InvalidValueError: ``name`` is empty or longer than 255 characters.
    """
    digest = hashlib.sha256(_lock_name(name).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresAdvisoryLock:
    """A :class:`~pricekit.sync.ports.SyncLock` held as a PostgreSQL session advisory lock.

    :meth:`acquire` checks a connection out of the engine's pool and runs
    ``pg_try_advisory_lock(key)`` on it (``key`` is :func:`advisory_lock_key` of
    ``name``); the connection stays checked out, in autocommit mode, for as long
    as the lock is held, and :meth:`release` runs ``pg_advisory_unlock(key)`` and
    returns it. The database decides between processes and hosts; within one
    process a mutex guards the object, so threads may share it.

    The lock lives as long as that database session. A process that dies (or a
    session the server ends: ``pg_terminate_backend``, a network failure) frees
    it at once, so it has no TTL: ``ttl_seconds`` is checked (it must be above
    0) and otherwise ignored, and a hold never expires while its session lives.
    :meth:`extend` checks that the session is still alive (``SELECT 1``) and
    answers ``False`` if it is gone, for then the lock is gone too.

    Each hold takes one connection from the engine's pool for its whole length;
    size the pool for it.

    Args:
        engine: An engine on PostgreSQL.
        name: The lock's name; every process that must not overlap uses the same.

    Raises:
        InvalidValueError: ``engine`` is not a SQLAlchemy ``Engine`` on
            PostgreSQL (``field="engine"``), or ``name`` is empty or longer than
            255 characters.
    """

    def __init__(self, engine: Engine, *, name: str) -> None:
        if not isinstance(engine, Engine) or engine.dialect.name != "postgresql":
            dialect = engine.dialect.name if isinstance(engine, Engine) else None
            raise InvalidValueError(
                field="engine",
                value=dialect or engine,
                reason="PostgresAdvisoryLock needs a SQLAlchemy Engine on PostgreSQL "
                "(use SqlLeaseLock on other databases)",
            )
        self._engine = engine
        self.name = name
        self.key = advisory_lock_key(name)
        self._mutex = threading.Lock()
        self._owner: str | None = None
        self._conn: Connection | None = None

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lock for ``owner`` unless anyone (``owner`` too) holds it; never waits.

        Returns:
            ``True`` if taken; ``False`` if this object or another session holds it.

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0.
            BackendUnavailableError: The database could not be reached.
        """
        _positive(ttl_seconds)
        with self._mutex:
            if self._owner is not None and self._alive():
                return False
            conn: Connection | None = None
            try:
                conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                taken = bool(conn.scalar(select(func.pg_try_advisory_lock(self.key))))
            except DBAPIError as exc:
                if conn is not None:
                    self._discard(conn)
                raise BackendUnavailableError(
                    backend="postgresql",
                    operation=f"take the sync lock {self.name!r}",
                    cause=str(exc.orig or exc),
                ) from exc
            if not taken:
                conn.close()
                return False
            self._owner, self._conn = owner, conn
            return True

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        """Whether ``owner`` still holds the lock (its database session is alive).

        There is no expiry to push back: the hold lasts as long as the session.

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0.
        """
        _positive(ttl_seconds)
        with self._mutex:
            return self._owner == owner and self._alive()

    def release(self, owner: str) -> bool:
        """Let go; ``False`` (and nothing changes) if ``owner`` does not hold it.

        Also ``False`` if the session holding the lock was gone already (the lock
        with it).
        """
        with self._mutex:
            if self._owner != owner or self._conn is None:
                return False
            conn = self._conn
            self._owner, self._conn = None, None
            try:
                unlocked = bool(conn.scalar(select(func.pg_advisory_unlock(self.key))))
            except DBAPIError:
                self._discard(conn)
                return False
            if unlocked:
                conn.close()  # back to the pool, holding nothing
            else:  # never expected: do not pool a session in an unknown state
                self._discard(conn)
            return unlocked

    @property
    def owner(self) -> str | None:
        """The owner this object took the lock for, while it believes it holds it."""
        with self._mutex:
            return self._owner

    def _alive(self) -> bool:
        """Whether the held session still answers; if not, forget the hold. Under the mutex."""
        conn = self._conn
        if conn is None:
            return False
        try:
            conn.scalar(select(1))
        except DBAPIError:
            self._owner, self._conn = None, None
            self._discard(conn)
            return False
        return True

    @staticmethod
    def _discard(conn: Connection) -> None:
        """Close ``conn`` for good (its session, and any lock it held, end with it)."""
        try:
            conn.invalidate()
        finally:
            conn.close()


# -- lease lock on any database -----------------------------------------------------------


class SqlLeaseLock(SqlRepository):
    """A :class:`~pricekit.sync.ports.SyncLock` on any database: a row with an owner and expiry.

    Each lock is a row of ``pricekit_sync_locks``, keyed by ``name``. Every call
    is one short transaction of conditional statements, so the database decides
    who holds it:

    - :meth:`acquire` inserts the row if absent, then
      ``UPDATE ... SET owner, expires_at WHERE name = :name AND (owner IS NULL
      OR expires_at <= :now)``: taken if one row changed;
    - :meth:`extend`: ``UPDATE ... SET expires_at WHERE name AND owner AND
      expires_at > :now``;
    - :meth:`release`: ``UPDATE ... SET owner = NULL WHERE name AND owner AND
      expires_at > :now`` (an expired hold is no longer the owner's, as with
      :class:`~pricekit.sync.lock.InProcessLock`).

    "Now" is read from ``clock`` (the host's clock, by default), not from the
    database, so tests can move it. Hosts on several machines must keep their
    clocks in step (NTP): a host whose clock runs ahead sees another's hold
    expire early by as much, so make ``ttl_seconds`` much longer than any skew.

    Args:
        engine: The engine; each call commits at once, so other processes see it.
        name: The lock's name; every process that must not overlap uses the same.
        clock: Where "now" comes from.

    Raises:
        InvalidValueError: ``engine`` is not a SQLAlchemy ``Engine``
            (``field="bind"``: a lock taken inside a caller's transaction would
            be invisible to other processes until the caller commits), or
            ``name`` is empty or longer than 255 characters.
    """

    def __init__(self, engine: Engine, *, name: str, clock: Clock | None = None) -> None:
        super().__init__(engine)
        if not isinstance(engine, Engine):
            raise InvalidValueError(
                field="bind",
                value=engine,
                reason="a lock needs an Engine: each call must commit at once to be seen",
            )
        self.name = _lock_name(name)
        self._clock: Clock = clock or SystemClock()

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lock for ``owner`` unless someone (``owner`` too) holds it; never waits.

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0.
            BackendUnavailableError: The database could not be reached.
        """
        _positive(ttl_seconds)
        locks = sync_locks
        now = self._clock.now()
        with self._transaction(f"take the sync lock {self.name!r}") as conn:
            self._ensure_row(conn)
            taken = conn.execute(
                update(locks)
                .where(
                    locks.c.name == self.name,
                    or_(locks.c.owner.is_(None), locks.c.expires_at <= now),
                )
                .values(owner=owner, expires_at=_expiry(now, ttl_seconds))
            ).rowcount
        return taken == 1

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        """Hold on ``ttl_seconds`` more from now; ``False`` if ``owner`` lost the lock.

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0.
            BackendUnavailableError: The database could not be reached.
        """
        _positive(ttl_seconds)
        locks = sync_locks
        now = self._clock.now()
        with self._transaction(f"extend the sync lock {self.name!r}") as conn:
            extended = conn.execute(
                update(locks)
                .where(locks.c.name == self.name, locks.c.owner == owner, locks.c.expires_at > now)
                .values(expires_at=_expiry(now, ttl_seconds))
            ).rowcount
        return extended == 1

    def release(self, owner: str) -> bool:
        """Let go; ``False`` (and nothing changes) if ``owner`` does not hold it.

        Raises:
            BackendUnavailableError: The database could not be reached.
        """
        locks = sync_locks
        now = self._clock.now()
        with self._transaction(f"release the sync lock {self.name!r}") as conn:
            released = conn.execute(
                update(locks)
                .where(locks.c.name == self.name, locks.c.owner == owner, locks.c.expires_at > now)
                .values(owner=None, expires_at=None)
            ).rowcount
        return released == 1

    @property
    def holder(self) -> str | None:
        """Who holds the lock now, if anyone (by this lock's clock).

        Raises:
            BackendUnavailableError: The database could not be reached.
        """
        locks = sync_locks
        now = self._clock.now()
        with self._transaction(f"read the sync lock {self.name!r}", read_only=True) as conn:
            owner: str | None = conn.scalar(
                select(locks.c.owner).where(locks.c.name == self.name, locks.c.expires_at > now)
            )
        return owner

    def _ensure_row(self, conn: Connection) -> None:
        """Insert the lock's row, free, unless it exists."""
        row = {"name": self.name, "owner": None, "expires_at": None}
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(postgresql.insert(sync_locks).values(row).on_conflict_do_nothing())
        elif dialect == "sqlite":
            conn.execute(sqlite.insert(sync_locks).values(row).on_conflict_do_nothing())
        elif conn.scalar(select(sync_locks.c.name).where(sync_locks.c.name == self.name)) is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(sync_locks).values(row))
            except IntegrityError:
                pass  # another process inserted it meanwhile
