"""An integrator's own storage behind pricekit's pricing ports, with the standard library's sqlite3.

A host that already has its own database, and no wish to add SQLAlchemy, keeps
price lists, their items and their scopes in tables of its own. pricekit only
asks for the three small protocols of :mod:`pricekit.pricing.repository`:
``PriceListRepository``, ``PriceListItemRepository`` and
``PriceListScopeRepository``. This file implements them on ``sqlite3``:

- money as integer minor units and an ISO 4217 code (never a float);
- quantities as their exact decimal text;
- instants as ISO 8601 text with their offset;
- a duplicate id refused with :class:`~pricekit.errors.ConflictError`, a batch
  all or nothing, pages ordered by id;
- one connection shared by every thread, behind a lock.

``examples/tests_custom_repository.py`` proves it with the contract suites
pricekit ships (``pricekit.testing.contracts``), the same ones pricekit's own
adapters pass. This program plugs the repositories into a ``PricingService``
and resolves a price through them:

    python examples/custom_repository.py
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricekit.errors import ConflictError, NotFoundError
from pricekit.money import Money
from pricekit.pricing import (
    Channel,
    ItemType,
    Page,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
    PriceQuery,
    PricingService,
    PricingSettings,
)
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, check_page

SCHEMA = """
CREATE TABLE IF NOT EXISTS shop_price_lists (
    id TEXT PRIMARY KEY, business_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    channel TEXT NOT NULL, priority INTEGER NOT NULL, currency TEXT NOT NULL,
    valid_from TEXT, valid_to TEXT, is_active INTEGER NOT NULL,
    created_at TEXT, updated_at TEXT
);
CREATE INDEX IF NOT EXISTS shop_price_lists_business ON shop_price_lists (business_id, id);
CREATE TABLE IF NOT EXISTS shop_price_list_items (
    id TEXT PRIMARY KEY, price_list_id TEXT NOT NULL, item_type TEXT NOT NULL,
    item_id TEXT NOT NULL, price_minor INTEGER NOT NULL, currency TEXT NOT NULL,
    min_qty TEXT NOT NULL, priority INTEGER NOT NULL, valid_from TEXT, valid_to TEXT,
    is_active INTEGER NOT NULL, created_at TEXT, updated_at TEXT
);
CREATE INDEX IF NOT EXISTS shop_price_list_items_list ON shop_price_list_items (price_list_id);
CREATE TABLE IF NOT EXISTS shop_price_list_scopes (
    id TEXT PRIMARY KEY, price_list_id TEXT NOT NULL, location_id TEXT, channel TEXT
);
CREATE INDEX IF NOT EXISTS shop_price_list_scopes_list ON shop_price_list_scopes (price_list_id);
"""


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()  # the offset is kept


def _read_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


class ShopDatabase:
    """The host's SQLite database: one connection, shared by every thread behind a lock.

    Args:
        path: The database file (``":memory:"`` for a private in-memory one).
    """

    def __init__(self, path: str | Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        # SQLite's lower() knows only ASCII; name searches ignore case in every script.
        self._connection.create_function("casefold", 1, str.casefold, deterministic=True)
        self._connection.executescript(SCHEMA)
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside a transaction of this thread's own: committed, or rolled back."""
        with self._lock:
            self._connection.execute("BEGIN")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def _page(
    db: ShopDatabase,
    *,
    table: str,
    where: list[str],
    params: list[Any],
    offset: int,
    limit: int,
) -> tuple[list[sqlite3.Row], int]:
    """One page of rows matching every condition, ordered by id, and how many match in all."""
    check_page(offset=offset, limit=limit)  # the InvalidValueError the ports promise
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    with db.transaction() as conn:
        total = conn.execute(f"SELECT count(*) FROM {table} {clause}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM {table} {clause} ORDER BY id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return rows, int(total)


# -- price lists ----------------------------------------------------------------------------


def _list_row(pl: PriceList) -> tuple[Any, ...]:
    return (
        pl.business_id,
        pl.name,
        pl.kind.value,
        pl.channel.value,
        pl.priority,
        pl.currency,
        _instant(pl.valid_from),
        _instant(pl.valid_to),
        int(pl.is_active),
        _instant(pl.created_at),
        _instant(pl.updated_at),
        pl.id,
    )


def _list_of(row: sqlite3.Row) -> PriceList:
    return PriceList(
        id=row["id"],
        business_id=row["business_id"],
        name=row["name"],
        kind=PriceListKind(row["kind"]),
        channel=Channel(row["channel"]),
        priority=row["priority"],
        currency=row["currency"],
        valid_from=_read_instant(row["valid_from"]),
        valid_to=_read_instant(row["valid_to"]),
        is_active=bool(row["is_active"]),
        created_at=_read_instant(row["created_at"]),
        updated_at=_read_instant(row["updated_at"]),
    )


class ShopPriceListRepository:
    """Price lists in ``shop_price_lists``; a ``PriceListRepository``.

    Args:
        db: The host's database.
    """

    def __init__(self, db: ShopDatabase) -> None:
        self._db = db

    def add(self, price_list: PriceList) -> None:
        """Store a new list; a ``ConflictError`` if its id is taken."""
        with self._db.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO shop_price_lists (business_id, name, kind, channel, priority, "
                    "currency, valid_from, valid_to, is_active, created_at, updated_at, id) "
                    f"VALUES ({_placeholders(12)})",
                    _list_row(price_list),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(
                    entity="price_list", id=price_list.id, reason="duplicate id"
                ) from None

    def replace(self, price_list: PriceList) -> None:
        """Replace the stored list with the same id; a ``NotFoundError`` if there is none."""
        with self._db.transaction() as conn:
            changed = conn.execute(
                "UPDATE shop_price_lists SET business_id = ?, name = ?, kind = ?, channel = ?, "
                "priority = ?, currency = ?, valid_from = ?, valid_to = ?, is_active = ?, "
                "created_at = ?, updated_at = ? WHERE id = ?",
                _list_row(price_list),
            ).rowcount
        if changed == 0:
            raise NotFoundError(entity="price_list", id=price_list.id)

    def get(self, price_list_id: str) -> PriceList | None:
        """The list with this id, or ``None``."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM shop_price_lists WHERE id = ?", (price_list_id,)
            ).fetchone()
        return None if row is None else _list_of(row)

    def find(
        self,
        business_id: str,
        *,
        kind: PriceListKind | None = None,
        channel: Channel | None = None,
        is_active: bool | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[PriceList]:
        """One page of a business's lists that match every filter given, ordered by id."""
        where: list[str] = ["business_id = ?"]
        params: list[Any] = [business_id]
        for column, value in (("kind", kind), ("channel", channel), ("is_active", is_active)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(int(value) if isinstance(value, bool) else value.value)
        if name_contains is not None:
            where.append("instr(casefold(name), ?) > 0")
            params.append(name_contains.casefold())
        rows, total = _page(
            self._db,
            table="shop_price_lists",
            where=where,
            params=params,
            offset=offset,
            limit=limit,
        )
        return Page[PriceList](
            items=tuple(_list_of(row) for row in rows), total=total, offset=offset, limit=limit
        )

    def all_for_business(self, business_id: str) -> list[PriceList]:
        """Every list of the business, active or not, ordered by id."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM shop_price_lists WHERE business_id = ? ORDER BY id", (business_id,)
            ).fetchall()
        return [_list_of(row) for row in rows]


# -- price list items -----------------------------------------------------------------------


def _item_row(item: PriceListItem) -> tuple[Any, ...]:
    return (
        item.price_list_id,
        item.item_type.value,
        item.item_id,
        item.price.minor_units,  # an integer: exact, and past 2**53 too
        item.price.currency.code,
        str(item.min_qty),  # "2.125" stays 2.125
        item.priority,
        _instant(item.valid_from),
        _instant(item.valid_to),
        int(item.is_active),
        _instant(item.created_at),
        _instant(item.updated_at),
        item.id,
    )


def _item_of(row: sqlite3.Row) -> PriceListItem:
    return PriceListItem(
        id=row["id"],
        price_list_id=row["price_list_id"],
        item_type=ItemType(row["item_type"]),
        item_id=row["item_id"],
        price=Money(row["price_minor"], row["currency"]),
        min_qty=Decimal(row["min_qty"]),
        priority=row["priority"],
        valid_from=_read_instant(row["valid_from"]),
        valid_to=_read_instant(row["valid_to"]),
        is_active=bool(row["is_active"]),
        created_at=_read_instant(row["created_at"]),
        updated_at=_read_instant(row["updated_at"]),
    )


class ShopPriceListItemRepository:
    """Price list items in ``shop_price_list_items``; a ``PriceListItemRepository``.

    Args:
        db: The host's database.
    """

    def __init__(self, db: ShopDatabase) -> None:
        self._db = db

    def add_many(self, items: Sequence[PriceListItem]) -> None:
        """Store new items, all or nothing; a ``ConflictError`` naming the first taken id."""
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ConflictError(entity="price_list_item", id=item.id, reason="given twice")
            seen.add(item.id)
        if not items:
            return
        ids = sorted(seen)
        with self._db.transaction() as conn:
            taken: set[str] = set()
            for start in range(0, len(ids), 500):  # SQLite limits the parameters of a statement
                chunk = ids[start : start + 500]
                taken.update(
                    row["id"]
                    for row in conn.execute(
                        "SELECT id FROM shop_price_list_items "
                        f"WHERE id IN ({_placeholders(len(chunk))})",
                        chunk,
                    )
                )
            for item in items:
                if item.id in taken:  # raised before any row is written
                    raise ConflictError(entity="price_list_item", id=item.id, reason="duplicate id")
            conn.executemany(
                "INSERT INTO shop_price_list_items (price_list_id, item_type, item_id, "
                "price_minor, currency, min_qty, priority, valid_from, valid_to, "
                f"is_active, created_at, updated_at, id) VALUES ({_placeholders(13)})",
                [_item_row(item) for item in items],
            )

    def replace(self, item: PriceListItem) -> None:
        """Replace the stored item with the same id; a ``NotFoundError`` if there is none."""
        with self._db.transaction() as conn:
            changed = conn.execute(
                "UPDATE shop_price_list_items SET price_list_id = ?, item_type = ?, item_id = ?, "
                "price_minor = ?, currency = ?, min_qty = ?, priority = ?, valid_from = ?, "
                "valid_to = ?, is_active = ?, created_at = ?, updated_at = ? WHERE id = ?",
                _item_row(item),
            ).rowcount
        if changed == 0:
            raise NotFoundError(entity="price_list_item", id=item.id)

    def get(self, item_id: str) -> PriceListItem | None:
        """The item with this id, or ``None``."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM shop_price_list_items WHERE id = ?", (item_id,)
            ).fetchone()
        return None if row is None else _item_of(row)

    def find(
        self,
        *,
        price_list_id: str | None = None,
        item_id: str | None = None,
        item_type: ItemType | None = None,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[PriceListItem]:
        """One page of the items that match every filter given, ordered by id."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("price_list_id", price_list_id),
            ("item_id", item_id),
            ("item_type", None if item_type is None else item_type.value),
            ("is_active", None if is_active is None else int(is_active)),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows, total = _page(
            self._db,
            table="shop_price_list_items",
            where=where,
            params=params,
            offset=offset,
            limit=limit,
        )
        return Page[PriceListItem](
            items=tuple(_item_of(row) for row in rows), total=total, offset=offset, limit=limit
        )

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListItem]:
        """Every item of these lists, active or not, ordered by id."""
        ids = list(price_list_ids)
        if not ids:
            return []
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM shop_price_list_items "
                f"WHERE price_list_id IN ({_placeholders(len(ids))}) ORDER BY id",
                ids,
            ).fetchall()
        return [_item_of(row) for row in rows]


# -- price list scopes ----------------------------------------------------------------------


def _scope_of(row: sqlite3.Row) -> PriceListScope:
    channel = row["channel"]
    return PriceListScope(
        id=row["id"],
        price_list_id=row["price_list_id"],
        location_id=row["location_id"],
        channel=None if channel is None else Channel(channel),
    )


class ShopPriceListScopeRepository:
    """Price list scopes in ``shop_price_list_scopes``; a ``PriceListScopeRepository``.

    Args:
        db: The host's database.
    """

    def __init__(self, db: ShopDatabase) -> None:
        self._db = db

    def add(self, scope: PriceListScope) -> None:
        """Store a new scope; a ``ConflictError`` if its id is taken."""
        with self._db.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO shop_price_list_scopes (id, price_list_id, location_id, channel) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        scope.id,
                        scope.price_list_id,
                        scope.location_id,
                        None if scope.channel is None else scope.channel.value,
                    ),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(
                    entity="price_list_scope", id=scope.id, reason="duplicate id"
                ) from None

    def get(self, scope_id: str) -> PriceListScope | None:
        """The scope with this id, or ``None``."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM shop_price_list_scopes WHERE id = ?", (scope_id,)
            ).fetchone()
        return None if row is None else _scope_of(row)

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListScope]:
        """Every scope of these lists, ordered by id."""
        ids = list(price_list_ids)
        if not ids:
            return []
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM shop_price_list_scopes "
                f"WHERE price_list_id IN ({_placeholders(len(ids))}) ORDER BY id",
                ids,
            ).fetchall()
        return [_scope_of(row) for row in rows]

    def delete(self, scope_id: str) -> PriceListScope | None:
        """Delete the scope with this id; return it, or ``None`` if there was none."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM shop_price_list_scopes WHERE id = ?", (scope_id,)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM shop_price_list_scopes WHERE id = ?", (scope_id,))
        return _scope_of(row)


# -- the demonstration ----------------------------------------------------------------------


def pricing_on(db: ShopDatabase) -> PricingService:
    """A ``PricingService`` whose lists, items and scopes live in the host's tables."""
    return PricingService(
        lists=ShopPriceListRepository(db),
        items=ShopPriceListItemRepository(db),
        scopes=ShopPriceListScopeRepository(db),
        settings=PricingSettings(enable_price_lists=True),
    )


def main() -> None:
    """Store a price list in the host's tables and resolve prices through them."""
    with tempfile.TemporaryDirectory() as folder:
        db = ShopDatabase(Path(folder) / "shop.db")
        try:
            pricing = pricing_on(db)
            pricing.create_price_list(
                {"id": "retail", "business_id": "shop", "name": "Retail", "currency": "USD"}
            )
            pricing.create_scope({"id": "everywhere", "price_list_id": "retail"})
            pricing.bulk_create_items(
                [
                    {
                        "id": "tee-1",
                        "price_list_id": "retail",
                        "item_id": "tee",
                        "price": "19.99 USD",
                    },
                    {
                        "id": "tee-6",
                        "price_list_id": "retail",
                        "item_id": "tee",
                        "min_qty": 6,
                        "price": "17.50 USD",
                    },
                ]
            )
            for quantity in (1, 6):
                resolved = pricing.resolve(
                    PriceQuery(
                        business_id="shop",
                        item_id="tee",
                        channel=Channel.POS,
                        quantity=Decimal(quantity),
                        currency="USD",
                        base_price=Money.of("24.00", "USD"),
                        at=datetime(2026, 6, 1, 12, tzinfo=UTC),
                    )
                )
                print(
                    f"tee x {quantity}: {resolved.unit_price} "
                    f"({resolved.source.value} {resolved.price_list_id}, "
                    f"item {resolved.price_list_item_id})"
                )
            rows = ShopPriceListItemRepository(db).find(price_list_id="retail")
            print(f"shop_price_list_items holds {rows.total} rows:")
            for item in rows.items:
                print(f"  {item.id}: {item.price} from {item.min_qty}")
        finally:
            db.close()


if __name__ == "__main__":
    main()
