"""Price lists, their items and their scopes in SQL tables.

Three tables, one per repository port of :mod:`pricekit.pricing.repository`:

- ``pricekit_price_lists``, indexed by ``(business_id, is_active)`` for a
  business's lists;
- ``pricekit_price_list_items``, indexed by ``price_list_id`` (a list's items)
  and by ``(item_id, item_type, is_active)`` (every list's price for one item,
  the lookup a resolution query starts from); the price is integer minor units
  and a currency, the quantity tier ``min_qty`` integer millionths, so SQL can
  compare it;
- ``pricekit_price_list_scopes``, indexed by ``price_list_id``.

Items and scopes carry a ``price_list_id`` but no foreign key to the lists: the
ports keep ids unique and nothing else, so an item or scope may be stored before
(or without) its list, as the in-memory repositories allow and the contract
suites check. That a list exists before its items is a rule of
:class:`~pricekit.pricing.service.PricingService`, not of storage.

Ids sort in code-point order on every database (the id columns use the ``C``
collation on PostgreSQL), the order the in-memory repositories list them in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from pricekit.errors import ConflictError
from pricekit.ext.sqlalchemy._db import SqlRepository, stored_ids
from pricekit.ext.sqlalchemy._schema import (
    IN_CHUNK,
    UtcDateTime,
    chunked,
    from_micro,
    id_type,
    metadata,
    minor_units,
    to_micro,
)
from pricekit.money import Money
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
)
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, Page, check_page

__all__ = [
    "SqlPriceListItemRepository",
    "SqlPriceListRepository",
    "SqlPriceListScopeRepository",
    "price_list_from_row",
    "price_list_item_from_row",
    "price_list_items",
    "price_list_scope_from_row",
    "price_list_scopes",
    "price_lists",
]

price_lists = Table(
    "pricekit_price_lists",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("business_id", id_type(), nullable=False),
    Column("name", Text, nullable=False),
    # The name casefolded in Python, so `name_contains` ignores case exactly as the
    # in-memory repository does, on every database (SQLite's lower() is ASCII-only).
    Column("name_folded", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_from", UtcDateTime, nullable=True),
    Column("valid_to", UtcDateTime, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index("ix_pricekit_price_lists_business", "business_id", "is_active"),
)
"""Price lists: one row per :class:`~pricekit.pricing.models.PriceList`."""

price_list_items = Table(
    "pricekit_price_list_items",
    metadata,
    Column("id", id_type(), primary_key=True),
    # No foreign key to pricekit_price_lists: see the module docs.
    Column("price_list_id", id_type(), nullable=False),
    Column("item_type", String(16), nullable=False),
    Column("item_id", id_type(), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("min_qty_micro", BigInteger, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("valid_from", UtcDateTime, nullable=True),
    Column("valid_to", UtcDateTime, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    Index("ix_pricekit_price_list_items_list", "price_list_id"),
    Index("ix_pricekit_price_list_items_lookup", "item_id", "item_type", "is_active"),
)
"""Price list items: one row per :class:`~pricekit.pricing.models.PriceListItem`."""

price_list_scopes = Table(
    "pricekit_price_list_scopes",
    metadata,
    Column("id", id_type(), primary_key=True),
    # No foreign key to pricekit_price_lists: see the module docs.
    Column("price_list_id", id_type(), nullable=False),
    Column("location_id", id_type(), nullable=True),
    Column("channel", String(16), nullable=True),
    Index("ix_pricekit_price_list_scopes_list", "price_list_id"),
)
"""Price list scopes: one row per :class:`~pricekit.pricing.models.PriceListScope`."""


# -- rows and models ----------------------------------------------------------------------


def _list_row(price_list: PriceList) -> dict[str, Any]:
    return {
        "id": price_list.id,
        "business_id": price_list.business_id,
        "name": price_list.name,
        "name_folded": price_list.name.casefold(),
        "kind": price_list.kind.value,
        "channel": price_list.channel.value,
        "priority": price_list.priority,
        "currency": price_list.currency,
        "valid_from": price_list.valid_from,
        "valid_to": price_list.valid_to,
        "is_active": price_list.is_active,
        "created_at": price_list.created_at,
        "updated_at": price_list.updated_at,
    }


def price_list_from_row(row: Row[Any]) -> PriceList:
    """A stored price list's row as the PriceList it holds."""
    return PriceList(
        id=row.id,
        business_id=row.business_id,
        name=row.name,
        kind=PriceListKind(row.kind),
        channel=Channel(row.channel),
        priority=row.priority,
        currency=row.currency,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _item_row(item: PriceListItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "price_list_id": item.price_list_id,
        "item_type": item.item_type.value,
        "item_id": item.item_id,
        "price_minor": minor_units(item.price, field="price"),
        "currency": item.price.currency.code,
        "min_qty_micro": to_micro(item.min_qty, field="min_qty"),
        "priority": item.priority,
        "valid_from": item.valid_from,
        "valid_to": item.valid_to,
        "is_active": item.is_active,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def price_list_item_from_row(row: Row[Any]) -> PriceListItem:
    """A stored price list item's row as the PriceListItem it holds."""
    return PriceListItem(
        id=row.id,
        price_list_id=row.price_list_id,
        item_type=ItemType(row.item_type),
        item_id=row.item_id,
        price=Money(row.price_minor, row.currency),
        min_qty=from_micro(row.min_qty_micro),
        priority=row.priority,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _scope_row(scope: PriceListScope) -> dict[str, Any]:
    return {
        "id": scope.id,
        "price_list_id": scope.price_list_id,
        "location_id": scope.location_id,
        "channel": None if scope.channel is None else scope.channel.value,
    }


def price_list_scope_from_row(row: Row[Any]) -> PriceListScope:
    """A stored price list scope's row as the PriceListScope it holds."""
    return PriceListScope(
        id=row.id,
        price_list_id=row.price_list_id,
        location_id=row.location_id,
        channel=None if row.channel is None else Channel(row.channel),
    )


def _all_for_lists(
    conn: Connection, table: Table, price_list_ids: Collection[str]
) -> list[Row[Any]]:
    """Every row of these lists, ordered by id (one query per chunk of list ids)."""
    ids = sorted(set(price_list_ids))
    query: Select[Any] = select(table).order_by(table.c.id)
    rows: list[Row[Any]] = []
    for chunk in chunked(ids):
        rows.extend(conn.execute(query.where(table.c.price_list_id.in_(chunk))).all())
    if len(ids) > IN_CHUNK:
        rows.sort(key=lambda row: str(row.id))
    return rows


# -- repositories ------------------------------------------------------------------------


class SqlPriceListRepository(SqlRepository):
    """Price lists in ``pricekit_price_lists``.

    Implements :class:`~pricekit.pricing.repository.PriceListRepository`.

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add(self, price_list: PriceList) -> None:
        """Store a new list.

        Raises:
            ConflictError: A list with this id is already stored.
        """
        self._insert_one(
            price_lists,
            _list_row(price_list),
            entity="price_list",
            id=price_list.id,
            operation="add a price list",
        )

    def replace(self, price_list: PriceList) -> None:
        """Replace the stored list with the same id.

        Raises:
            NotFoundError: No list with this id is stored.
        """
        self._update_one(
            price_lists,
            _list_row(price_list),
            entity="price_list",
            id=price_list.id,
            operation="replace a price list",
        )

    def get(self, price_list_id: str) -> PriceList | None:
        """The list with this id, or ``None``."""
        return self._get_one(
            price_lists, price_list_id, price_list_from_row, operation="read a price list"
        )

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
        """One page of a business's lists that match every filter given, ordered by id.

        ``name_contains`` ignores case (Unicode case folding) and matches ``%``
        and ``_`` literally.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        t = price_lists
        conditions: list[ColumnElement[bool]] = [t.c.business_id == business_id]
        if kind is not None:
            conditions.append(t.c.kind == PriceListKind(kind).value)
        if channel is not None:
            conditions.append(t.c.channel == Channel(channel).value)
        if is_active is not None:
            conditions.append(t.c.is_active == is_active)
        if name_contains is not None:
            conditions.append(t.c.name_folded.contains(name_contains.casefold(), autoescape=True))
        return self._read_page(
            t,
            conditions,
            price_list_from_row,
            order_by=[t.c.id],
            offset=offset,
            limit=limit,
            operation="find price lists",
        )

    def all_for_business(self, business_id: str) -> list[PriceList]:
        """Every list of the business, active or not, ordered by id."""
        with self._transaction("read a business's price lists") as conn:
            rows = conn.execute(
                select(price_lists)
                .where(price_lists.c.business_id == business_id)
                .order_by(price_lists.c.id)
            ).all()
        return [price_list_from_row(row) for row in rows]


class SqlPriceListItemRepository(SqlRepository):
    """Price list items in ``pricekit_price_list_items``.

    Implements :class:`~pricekit.pricing.repository.PriceListItemRepository`.
    A ``min_qty`` is stored as integer millionths: one with more than six
    decimal places is refused (:class:`~pricekit.errors.InvalidValueError`
    naming ``min_qty``), as is a price whose minor units a ``BIGINT`` cannot hold.

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add_many(self, items: Sequence[PriceListItem]) -> None:
        """Store new items, all or nothing.

        Raises:
            ConflictError: An id is already stored or given twice; nothing is
                stored. The error names the first such id in ``items``.
            InvalidValueError: A value the database cannot hold exactly; nothing
                is stored.
        """
        items = list(items)
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ConflictError(entity="price_list_item", id=item.id, reason="duplicate id")
            seen.add(item.id)
        rows = [_item_row(item) for item in items]
        if not rows:
            return
        ids = [item.id for item in items]
        try:
            with self._transaction("add price list items") as conn:
                stored = stored_ids(conn, price_list_items, ids)
                if stored:
                    first = next(i for i in ids if i in stored)
                    raise ConflictError(entity="price_list_item", id=first, reason="duplicate id")
                conn.execute(insert(price_list_items), rows)
        except IntegrityError as exc:
            # Another transaction stored one of these ids after the check above
            # (PostgreSQL; SQLite serialises writers): name it, now committed.
            with self._transaction("find a conflicting price list item") as conn:
                stored = stored_ids(conn, price_list_items, ids)
            first = next((i for i in ids if i in stored), ids[0])
            raise ConflictError(entity="price_list_item", id=first, reason="duplicate id") from exc

    def replace(self, item: PriceListItem) -> None:
        """Replace the stored item with the same id.

        Raises:
            NotFoundError: No item with this id is stored.
            InvalidValueError: A value the database cannot hold exactly.
        """
        self._update_one(
            price_list_items,
            _item_row(item),
            entity="price_list_item",
            id=item.id,
            operation="replace a price list item",
        )

    def get(self, item_id: str) -> PriceListItem | None:
        """The item with this id, or ``None``."""
        return self._get_one(
            price_list_items, item_id, price_list_item_from_row, operation="read a price list item"
        )

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
        """One page of the items that match every filter given, ordered by id.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        t = price_list_items
        conditions: list[ColumnElement[bool]] = []
        if price_list_id is not None:
            conditions.append(t.c.price_list_id == price_list_id)
        if item_id is not None:
            conditions.append(t.c.item_id == item_id)
        if item_type is not None:
            conditions.append(t.c.item_type == ItemType(item_type).value)
        if is_active is not None:
            conditions.append(t.c.is_active == is_active)
        return self._read_page(
            t,
            conditions,
            price_list_item_from_row,
            order_by=[t.c.id],
            offset=offset,
            limit=limit,
            operation="find price list items",
        )

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListItem]:
        """Every item of these lists, active or not, ordered by id."""
        if not price_list_ids:
            return []
        with self._transaction("read price list items") as conn:
            rows = _all_for_lists(conn, price_list_items, price_list_ids)
        return [price_list_item_from_row(row) for row in rows]


class SqlPriceListScopeRepository(SqlRepository):
    """Price list scopes in ``pricekit_price_list_scopes``. Scopes are hard-deleted.

    Implements :class:`~pricekit.pricing.repository.PriceListScopeRepository`.

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    def add(self, scope: PriceListScope) -> None:
        """Store a new scope.

        Raises:
            ConflictError: A scope with this id is already stored.
        """
        self._insert_one(
            price_list_scopes,
            _scope_row(scope),
            entity="price_list_scope",
            id=scope.id,
            operation="add a price list scope",
        )

    def get(self, scope_id: str) -> PriceListScope | None:
        """The scope with this id, or ``None``."""
        return self._get_one(
            price_list_scopes,
            scope_id,
            price_list_scope_from_row,
            operation="read a price list scope",
        )

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListScope]:
        """Every scope of these lists, ordered by id."""
        if not price_list_ids:
            return []
        with self._transaction("read price list scopes") as conn:
            rows = _all_for_lists(conn, price_list_scopes, price_list_ids)
        return [price_list_scope_from_row(row) for row in rows]

    def delete(self, scope_id: str) -> PriceListScope | None:
        """Delete the scope with this id; return it, or ``None`` if there was none."""
        with self._transaction("delete a price list scope") as conn:
            # DELETE ... RETURNING: the row removed is the row returned, even when
            # two callers delete the same scope at once (one of them gets None).
            row = conn.execute(
                delete(price_list_scopes)
                .where(price_list_scopes.c.id == scope_id)
                .returning(*price_list_scopes.c)
            ).one_or_none()
        return None if row is None else price_list_scope_from_row(row)
