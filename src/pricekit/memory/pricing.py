"""In-memory, thread-safe repositories for price lists, their items and scopes."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence

from pricekit.errors import ConflictError, NotFoundError
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
    "InMemoryPriceListItemRepository",
    "InMemoryPriceListRepository",
    "InMemoryPriceListScopeRepository",
]


def _by_id(records: dict[str, PriceList]) -> list[PriceList]:
    return [records[key] for key in sorted(records)]


class InMemoryPriceListRepository:
    """Price lists in a dict, indexed by business. Safe to share between threads.

    Implements :class:`~pricekit.pricing.repository.PriceListRepository`.
    """

    __slots__ = ("_by_business", "_lists", "_lock")

    def __init__(self) -> None:
        self._lists: dict[str, PriceList] = {}
        self._by_business: dict[str, dict[str, PriceList]] = {}
        self._lock = threading.Lock()

    def add(self, price_list: PriceList) -> None:
        """Store a new list.

        Raises:
            ConflictError: A list with this id is already stored.
        """
        with self._lock:
            if price_list.id in self._lists:
                raise ConflictError(entity="price_list", id=price_list.id, reason="duplicate id")
            self._put(price_list)

    def replace(self, price_list: PriceList) -> None:
        """Replace the stored list with the same id.

        Raises:
            NotFoundError: No list with this id is stored.
        """
        with self._lock:
            old = self._lists.get(price_list.id)
            if old is None:
                raise NotFoundError(entity="price_list", id=price_list.id)
            self._by_business[old.business_id].pop(old.id, None)
            self._put(price_list)

    def _put(self, price_list: PriceList) -> None:
        self._lists[price_list.id] = price_list
        self._by_business.setdefault(price_list.business_id, {})[price_list.id] = price_list

    def get(self, price_list_id: str) -> PriceList | None:
        """The list with this id, or ``None``."""
        return self._lists.get(price_list_id)

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

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        needle = None if name_contains is None else name_contains.casefold()
        matching = [
            pl
            for pl in self.all_for_business(business_id)
            if (kind is None or pl.kind is kind)
            and (channel is None or pl.channel is channel)
            and (is_active is None or pl.is_active is is_active)
            and (needle is None or needle in pl.name.casefold())
        ]
        return Page[PriceList].of(matching, offset=offset, limit=limit)

    def all_for_business(self, business_id: str) -> list[PriceList]:
        """Every list of the business, active or not, ordered by id."""
        with self._lock:
            return _by_id(dict(self._by_business.get(business_id, {})))


class InMemoryPriceListItemRepository:
    """Price list items in a dict, indexed by list. Safe to share between threads.

    Implements :class:`~pricekit.pricing.repository.PriceListItemRepository`.
    """

    __slots__ = ("_by_list", "_items", "_lock")

    def __init__(self) -> None:
        self._items: dict[str, PriceListItem] = {}
        self._by_list: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add_many(self, items: Sequence[PriceListItem]) -> None:
        """Store new items, all or nothing.

        Raises:
            ConflictError: An id is already stored or given twice; nothing is stored.
        """
        with self._lock:
            seen: set[str] = set()
            for item in items:
                if item.id in self._items or item.id in seen:
                    raise ConflictError(entity="price_list_item", id=item.id, reason="duplicate id")
                seen.add(item.id)
            for item in items:
                self._put(item)

    def replace(self, item: PriceListItem) -> None:
        """Replace the stored item with the same id.

        Raises:
            NotFoundError: No item with this id is stored.
        """
        with self._lock:
            old = self._items.get(item.id)
            if old is None:
                raise NotFoundError(entity="price_list_item", id=item.id)
            self._by_list[old.price_list_id].discard(old.id)
            self._put(item)

    def _put(self, item: PriceListItem) -> None:
        self._items[item.id] = item
        self._by_list.setdefault(item.price_list_id, set()).add(item.id)

    def get(self, item_id: str) -> PriceListItem | None:
        """The item with this id, or ``None``."""
        return self._items.get(item_id)

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
        with self._lock:
            if price_list_id is not None:
                pool = [self._items[i] for i in self._by_list.get(price_list_id, ())]
            else:
                pool = list(self._items.values())
        matching = sorted(
            (
                it
                for it in pool
                if (item_id is None or it.item_id == item_id)
                and (item_type is None or it.item_type is item_type)
                and (is_active is None or it.is_active is is_active)
            ),
            key=lambda it: it.id,
        )
        return Page[PriceListItem].of(matching, offset=offset, limit=limit)

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListItem]:
        """Every item of these lists, active or not, ordered by id."""
        with self._lock:
            ids = {i for lid in price_list_ids for i in self._by_list.get(lid, ())}
            return [self._items[i] for i in sorted(ids)]


class InMemoryPriceListScopeRepository:
    """Price list scopes in a dict, indexed by list. Safe to share between threads.

    Implements :class:`~pricekit.pricing.repository.PriceListScopeRepository`.
    """

    __slots__ = ("_by_list", "_lock", "_scopes")

    def __init__(self) -> None:
        self._scopes: dict[str, PriceListScope] = {}
        self._by_list: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, scope: PriceListScope) -> None:
        """Store a new scope.

        Raises:
            ConflictError: A scope with this id is already stored.
        """
        with self._lock:
            if scope.id in self._scopes:
                raise ConflictError(entity="price_list_scope", id=scope.id, reason="duplicate id")
            self._scopes[scope.id] = scope
            self._by_list.setdefault(scope.price_list_id, set()).add(scope.id)

    def get(self, scope_id: str) -> PriceListScope | None:
        """The scope with this id, or ``None``."""
        return self._scopes.get(scope_id)

    def all_for_lists(self, price_list_ids: Collection[str]) -> list[PriceListScope]:
        """Every scope of these lists, ordered by id."""
        with self._lock:
            ids = {i for lid in price_list_ids for i in self._by_list.get(lid, ())}
            return [self._scopes[i] for i in sorted(ids)]

    def delete(self, scope_id: str) -> PriceListScope | None:
        """Delete the scope with this id; return it, or ``None`` if there was none."""
        with self._lock:
            scope = self._scopes.pop(scope_id, None)
            if scope is not None:
                self._by_list[scope.price_list_id].discard(scope_id)
            return scope
