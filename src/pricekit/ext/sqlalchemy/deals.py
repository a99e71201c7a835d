"""The deal cache on a SQL database: each location's current set of deals, in order.

:class:`SqlDealCache` implements :class:`~pricekit.deals.ports.DealCache` with two
tables:

- ``pricekit_deal_locations``: one row per location that has a cached set (an
  empty set too), so :meth:`~SqlDealCache.get` tells "never cached" (``None``)
  from "cached empty" (``[]``), and every write to a location locks its row;
- ``pricekit_deals``: the deals of each location, one row each, in ``position``
  order, the deal itself as JSON in the seed's stored shape
  (:meth:`~pricekit.deals.models.Deal.to_record`, read back by
  :meth:`~pricekit.deals.models.Deal.from_record`, which loses no field).

Every write claims the location's row first, with an upsert that inserts it if
absent and otherwise updates it (``INSERT ... ON CONFLICT DO UPDATE`` on
PostgreSQL and SQLite; an ``UPDATE`` then an ``INSERT`` elsewhere). An update
locks the row until the transaction ends, so two writes to one location run one
after the other: a PTL merge reads the set only once it holds the lock, and never
writes back a set another write replaced meanwhile. On SQLite every transaction
takes the database's write lock when it begins (:func:`create_sqlite_engine
<pricekit.ext.sqlalchemy.create_sqlite_engine>`), which serialises the writes
the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from pricekit.deals.merge import merge_ptl
from pricekit.deals.models import Deal
from pricekit.deals.ports import DealCacheError, check_deal_set
from pricekit.errors import BackendUnavailableError, InvalidValueError, ModelValidationError
from pricekit.ext.sqlalchemy._db import Bind, SqlRepository
from pricekit.ext.sqlalchemy._schema import Json, UtcDateTime, id_type, metadata
from pricekit.time import Clock, SystemClock

__all__ = ["SqlDealCache", "cached_deals", "deal_locations"]

deal_locations = Table(
    "pricekit_deal_locations",
    metadata,
    Column("location_id", id_type(), primary_key=True),
    Column("updated_at", UtcDateTime, nullable=False),
)
"""One row per location with a cached set (empty sets too); writes lock it."""

cached_deals = Table(
    "pricekit_deals",
    metadata,
    Column(
        "location_id",
        id_type(),
        ForeignKey(deal_locations.c.location_id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("deal_id", id_type(), nullable=False),
    Column("deal", Json, nullable=False),
    PrimaryKeyConstraint("location_id", "position"),
    UniqueConstraint("location_id", "deal_id"),
)
"""The deals of each location in their cached order, each as its stored record (JSON)."""


class SqlDealCache(SqlRepository):
    """Each location's deals in SQL tables. Safe to share between threads and processes.

    Implements :class:`~pricekit.deals.ports.DealCache`. Writes are atomic: a
    :meth:`replace` or :meth:`merge_ptl` that fails leaves the previous set, and
    two writes to one location never interleave (each locks the location's row
    first). A database error is a :class:`~pricekit.deals.ports.DealCacheError`
    (never an empty answer), as is a stored deal that no longer reads back.

    Args:
        bind: An ``Engine`` (a transaction per call) or a ``Connection`` or
            ``Session`` (the caller's transaction; a savepoint per call).
        clock: Where the ``updated_at`` of a location's row comes from.

    Raises:
        InvalidValueError: ``bind`` is not a SQLAlchemy engine, connection or session.
    """

    def __init__(self, bind: Bind, *, clock: Clock | None = None) -> None:
        super().__init__(bind)
        self._clock: Clock = clock or SystemClock()

    def get(self, location_id: str) -> list[Deal] | None:
        """The deals cached for the location (``None``: none cached; ``[]``: cached empty).

        Raises:
            DealCacheError: The database could not be read, or a stored deal does
                not read back.
        """
        with self._call(location_id, "read", read_only=True) as conn:
            # One statement, so one snapshot: the location's row and its deals together.
            rows = conn.execute(
                select(deal_locations.c.location_id, cached_deals.c.deal)
                .select_from(
                    deal_locations.outerjoin(
                        cached_deals,
                        cached_deals.c.location_id == deal_locations.c.location_id,
                    )
                )
                .where(deal_locations.c.location_id == location_id)
                .order_by(cached_deals.c.position)
            ).all()
        if not rows:
            return None
        return self._deals_of(location_id, [row.deal for row in rows if row.deal is not None])

    def replace(self, location_id: str, deals: Sequence[Deal]) -> None:
        """Cache ``deals`` as the location's whole set, atomically: all or nothing.

        Raises:
            InvalidValueError: A deal of another location (``deals[i].location_id``)
                or an id given twice (``deals[i].id``); nothing is written.
            DealCacheError: The database could not be written; the previous set stays.
        """
        checked = check_deal_set(location_id, deals)
        now = self._clock.now()
        with self._call(location_id, "replace") as conn:
            _claim(conn, location_id, now)
            self._write(conn, location_id, checked)

    def merge_ptl(self, location_id: str, deals: Sequence[Deal]) -> list[Deal]:
        """Replace the location's PTL deals with ``deals``, atomically; the merged set.

        In one transaction: lock the location's row (creating it if need be),
        read its set (none cached: empty), merge with
        :func:`pricekit.deals.merge.merge_ptl`, write the result.

        Raises:
            InvalidValueError: As :func:`pricekit.deals.merge.merge_ptl`; nothing
                is written.
            DealCacheError: The database could not be read or written, or a stored
                deal does not read back; nothing is written.
        """
        now = self._clock.now()
        with self._call(location_id, "merge a PTL publication into") as conn:
            _claim(conn, location_id, now)
            stored = conn.scalars(
                select(cached_deals.c.deal)
                .where(cached_deals.c.location_id == location_id)
                .order_by(cached_deals.c.position)
            ).all()
            existing = self._deals_of(location_id, stored)
            merged = merge_ptl(existing, deals, location_id=location_id)
            self._write(conn, location_id, merged)
        return merged

    def locations(self) -> list[str]:
        """The ids of the locations with a cached set (empty sets too), sorted.

        Sorted by code point, as Python sorts strings (the ids are in the ``C``
        collation on PostgreSQL).

        Raises:
            DealCacheError: The database could not be read.
        """
        with self._call(None, "list", read_only=True) as conn:
            return list(
                conn.scalars(
                    select(deal_locations.c.location_id).order_by(deal_locations.c.location_id)
                )
            )

    # -- helpers --------------------------------------------------------------------------

    @contextmanager
    def _call(
        self, location_id: str | None, operation: str, *, read_only: bool = False
    ) -> Iterator[Connection]:
        """A transaction whose database errors are :class:`DealCacheError` about the location."""
        try:
            with self._transaction(f"{operation} the deal cache", read_only=read_only) as conn:
                yield conn
        except IntegrityError as exc:  # the checks above make this a database-side refusal
            raise DealCacheError(
                location_id=location_id,
                operation=operation,
                cause=str(exc.orig or exc),
                backend=self.dialect,
            ) from exc
        except DealCacheError:
            raise
        except BackendUnavailableError as exc:
            original = exc.__cause__
            cause = getattr(original, "orig", None) or original or exc
            raise DealCacheError(
                location_id=location_id, operation=operation, cause=str(cause), backend=self.dialect
            ) from exc

    def _deals_of(self, location_id: str, records: Sequence[object]) -> list[Deal]:
        """Rebuild stored deals; one that does not read back is a :class:`DealCacheError`."""
        deals: list[Deal] = []
        for position, record in enumerate(records):
            try:
                if not isinstance(record, dict):
                    raise TypeError(f"a stored deal is {type(record).__name__}, not an object")
                deals.append(Deal.from_record(record))
            except (ModelValidationError, InvalidValueError, TypeError) as exc:
                raise DealCacheError(
                    location_id=location_id,
                    operation="read",
                    cause=f"the stored deal at position {position} does not read back: {exc}",
                    backend=self.dialect,
                ) from exc
        return deals

    @staticmethod
    def _write(conn: Connection, location_id: str, deals: Sequence[Deal]) -> None:
        """Replace the location's rows with ``deals``; its row must be claimed already."""
        conn.execute(delete(cached_deals).where(cached_deals.c.location_id == location_id))
        if deals:
            conn.execute(
                insert(cached_deals),
                [
                    {
                        "location_id": location_id,
                        "position": position,
                        "deal_id": deal.id,
                        "deal": deal.to_record(),
                    }
                    for position, deal in enumerate(deals)
                ],
            )


def _claim(conn: Connection, location_id: str, now: datetime) -> None:
    """Make sure the location's row exists and lock it until the transaction ends.

    The row is inserted if absent and updated otherwise (``updated_at``); an
    update locks the row, so a second writer waits here until the first one
    commits, then reads what it wrote.
    """
    values = {"location_id": location_id, "updated_at": now}
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        upsert = (
            postgresql.insert(deal_locations)
            if dialect == "postgresql"
            else sqlite.insert(deal_locations)
        )
        conn.execute(
            upsert.values(values).on_conflict_do_update(
                index_elements=[deal_locations.c.location_id],
                set_={"updated_at": upsert.excluded.updated_at},
            )
        )
        return
    # Elsewhere: update (locks an existing row); if there was none, insert it, and if
    # another transaction inserted it meanwhile, update (and so wait for) that one.
    claim = (
        update(deal_locations)
        .where(deal_locations.c.location_id == location_id)
        .values(updated_at=now)
    )
    if conn.execute(claim).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(deal_locations).values(values))
    except IntegrityError:
        conn.execute(claim)
