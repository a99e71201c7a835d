"""The repository ports the pricing service stores price lists, items and scopes through.

Each port is a small :class:`typing.Protocol` that takes and returns pricekit
models. :mod:`pricekit.memory` implements them in memory; a database adapter
implements the same methods with the same meaning:

- ``add`` refuses an id that is already stored (:class:`~pricekit.errors.ConflictError`);
- ``replace`` refuses an id that is not (:class:`~pricekit.errors.NotFoundError`);
- ``get`` returns ``None`` for an unknown id;
- ``find`` filters, orders by id, and returns one :class:`Page`;
- the ``*_for_*`` methods return every matching record, ordered by id, to build a
  :class:`~pricekit.pricing.book.PriceBook` from.

Repositories hold data; they check uniqueness of ids and nothing else. The
business rules (a list exists before its items, an item is priced in its list's
currency) belong to :class:`~pricekit.pricing.service.PricingService`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

from pydantic import Field

from pricekit._model import PricekitModel
from pricekit.errors import InvalidValueError
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
)

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
    "Page",
    "PriceListItemRepository",
    "PriceListRepository",
    "PriceListScopeRepository",
    "check_page",
]

DEFAULT_PAGE_LIMIT = 50
"""How many records a page holds when the caller does not say."""

MAX_PAGE_LIMIT = 1000
"""The most records one page may hold."""

T = TypeVar("T")


class Page(PricekitModel, Generic[T]):
    """One page of a filtered, ordered listing.

    Attributes:
        items: The records on this page, in order.
        total: How many records match the filters, on every page together.
        offset: How many matching records come before this page.
        limit: The most records the page could hold.
    """

    items: tuple[T, ...]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1, le=MAX_PAGE_LIMIT)

    @property
    def has_more(self) -> bool:
        """Whether matching records follow this page."""
        return self.offset + len(self.items) < self.total

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or ``None`` on the last one."""
        return self.offset + len(self.items) if self.has_more else None

    @classmethod
    def of(cls, records: Sequence[T], *, offset: int, limit: int) -> Page[T]:
        """The page of ``records`` (all matching records, already ordered) at ``offset``.

        Raises:
            InvalidValueError: ``offset`` is negative, or ``limit`` is not 1 to 1000.
        """
        check_page(offset=offset, limit=limit)
        return cls(
            items=tuple(records[offset : offset + limit]),
            total=len(records),
            offset=offset,
            limit=limit,
        )


def check_page(*, offset: int, limit: int) -> None:
    """Check pagination arguments at the boundary.

    Raises:
        InvalidValueError: ``offset`` is not a whole number of at least 0 (field
            ``offset``), or ``limit`` is not a whole number from 1 to 1000 (field ``limit``).
    """
    if type(offset) is not int or offset < 0:
        raise InvalidValueError(field="offset", value=offset, reason="must be a whole number >= 0")
    if type(limit) is not int or not 1 <= limit <= MAX_PAGE_LIMIT:
        raise InvalidValueError(
            field="limit", value=limit, reason=f"must be a whole number from 1 to {MAX_PAGE_LIMIT}"
        )


@runtime_checkable
class PriceListRepository(Protocol):
    """Where price lists are kept."""

    def add(self, price_list: PriceList) -> None:
        """Store a new list.

        Raises:
            ConflictError: A list with this id is already stored.
        """
        ...

    def replace(self, price_list: PriceList) -> None:
        """Replace the stored list with the same id.

        Raises:
            NotFoundError: No list with this id is stored.
        """
        ...

    def get(self, price_list_id: str) -> PriceList | None:
        """The list with this id, or ``None``."""
        ...

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
        """One page of a business's lists, ordered by id.

        Args:
            business_id: The business whose lists to list.
            kind: Only lists of this kind (exactly; ``BOTH`` matches only ``BOTH``).
            channel: Only lists of this channel (exactly; ``ANY`` matches only ``ANY``).
            is_active: Only active (``True``) or soft-deleted (``False``) lists.
            name_contains: Only lists whose name contains this text, ignoring case.
            offset: How many matching lists to skip.
            limit: The most lists to return, 1 to 1000.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        ...

    def all_for_business(self, business_id: str) -> Sequence[PriceList]:
        """Every list of the business, active or not, ordered by id."""
        ...


@runtime_checkable
class PriceListItemRepository(Protocol):
    """Where price list items are kept."""

    def add_many(self, items: Sequence[PriceListItem]) -> None:
        """Store new items, all or nothing.

        Raises:
            ConflictError: An id is already stored or given twice; nothing is stored.
        """
        ...

    def replace(self, item: PriceListItem) -> None:
        """Replace the stored item with the same id.

        Raises:
            NotFoundError: No item with this id is stored.
        """
        ...

    def get(self, item_id: str) -> PriceListItem | None:
        """The item with this id, or ``None``."""
        ...

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

        Args:
            price_list_id: Only items of this list.
            item_id: Only items pricing this product, service or modifier id.
            item_type: Only items of this type.
            is_active: Only active (``True``) or soft-deleted (``False``) items.
            offset: How many matching items to skip.
            limit: The most items to return, 1 to 1000.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        ...

    def all_for_lists(self, price_list_ids: Collection[str]) -> Sequence[PriceListItem]:
        """Every item of these lists, active or not, ordered by id."""
        ...


@runtime_checkable
class PriceListScopeRepository(Protocol):
    """Where price list scopes are kept. Scopes are hard-deleted."""

    def add(self, scope: PriceListScope) -> None:
        """Store a new scope.

        Raises:
            ConflictError: A scope with this id is already stored.
        """
        ...

    def get(self, scope_id: str) -> PriceListScope | None:
        """The scope with this id, or ``None``."""
        ...

    def all_for_lists(self, price_list_ids: Collection[str]) -> Sequence[PriceListScope]:
        """Every scope of these lists, ordered by id."""
        ...

    def delete(self, scope_id: str) -> PriceListScope | None:
        """Delete the scope with this id; return it, or ``None`` if there was none."""
        ...
