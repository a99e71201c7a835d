"""The pricing service: price lists, items and scopes over repositories, and resolution.

:class:`PricingService` is the seed's HTTP endpoints as methods. It validates
every write at the boundary, stores it through the repository ports of
:mod:`pricekit.pricing.repository`, and keeps resolution fast and correct:

- **A price book per business.** The first resolution for a business compiles a
  :class:`~pricekit.pricing.book.PriceBook` from the repositories. Each write made
  through the service patches that book (:meth:`PriceBook.patched
  <pricekit.pricing.book.PriceBook.patched>`, which recompiles only the items the
  write touches) instead of rebuilding it. Writes made elsewhere (another process,
  a bulk import straight into the database) are not seen until
  :meth:`PricingService.refresh` drops the book.
- **Cache-aside resolution** through
  :class:`~pricekit.pricing.cache.CachedPriceResolver`, when a cache is configured
  and enabled.
- **Exact invalidation.** A write to a list or a scope drops the cache entries
  stored under that list; a write to an item drops the entries for the item it
  prices (and, if it is moved to another item, for that one too). Nothing else.

Writes are serialised by a lock; resolutions do not take it once a book is built.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import field_validator

from pricekit._model import PricekitModel, fields_of
from pricekit.errors import (
    FieldError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
)
from pricekit.money import Money
from pricekit.pricing.book import PriceBook
from pricekit.pricing.cache import CachedPriceResolver, CacheStats, InMemoryPriceCache, PriceCache
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.pricing.ports import MarkdownLookup
from pricekit.pricing.repository import (
    DEFAULT_PAGE_LIMIT,
    Page,
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
    check_page,
)
from pricekit.time import Clock, SystemClock

__all__ = ["BulkValidationError", "PricingService", "PricingSettings", "RowError"]

_M = TypeVar("_M", PriceList, PriceListItem, PriceListScope)
_ItemRef = tuple[ItemType, str]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_STAMPS = ("created_at", "updated_at")


# -- settings -------------------------------------------------------------------------


def _env_bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValueError(
        field=name, value=raw, reason="must be true or false (also 1/0, yes/no, on/off)"
    )


def _env_ttl(name: str, raw: str) -> timedelta:
    text = raw.strip()
    if not text.isdigit() or int(text) <= 0:
        raise InvalidValueError(
            field=name,
            value=raw,
            reason="must be a whole number of milliseconds above zero, e.g. 300000 for 5 minutes",
        )
    return timedelta(milliseconds=int(text))


class PricingSettings(PricekitModel):
    """The seed's feature flags for pricing.

    Attributes:
        enable_price_lists: The master switch (``ENABLE_PRICE_LISTS``, default
            ``False``, as in the seed). While off, every resolution returns the
            query's base price with source ``base_price``; lists can still be managed.
        price_cache_enabled: Whether resolutions go through the price cache
            (``PRICE_CACHE_ENABLED``, default ``True``).
        price_cache_ttl: How long a cached price lives (``PRICE_CACHE_TTL_MS``,
            default 5 minutes). It configures the cache the service creates when
            none is given; a cache passed in keeps its own TTL.
    """

    enable_price_lists: bool = False
    price_cache_enabled: bool = True
    price_cache_ttl: timedelta = timedelta(minutes=5)

    @field_validator("price_cache_ttl")
    @classmethod
    def _positive_ttl(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise InvalidValueError(
                field="price_cache_ttl", value=value, reason="must be above zero"
            )
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PricingSettings:
        """Read ``ENABLE_PRICE_LISTS``, ``PRICE_CACHE_ENABLED`` and ``PRICE_CACHE_TTL_MS``.

        A variable that is unset or blank keeps its default. Booleans accept
        ``true``/``false``, ``1``/``0``, ``yes``/``no`` and ``on``/``off`` in any
        case; the TTL is a whole number of milliseconds above zero.

        Args:
            environ: Where to read them; ``os.environ`` by default.

        Raises:
            InvalidValueError: A value that cannot be read; ``field`` is the
                variable's name.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        readers: tuple[tuple[str, str, Callable[[str, str], object]], ...] = (
            ("ENABLE_PRICE_LISTS", "enable_price_lists", _env_bool),
            ("PRICE_CACHE_ENABLED", "price_cache_enabled", _env_bool),
            ("PRICE_CACHE_TTL_MS", "price_cache_ttl", _env_ttl),
        )
        for variable, name, read in readers:
            raw = env.get(variable)
            if raw is not None and raw.strip():
                values[name] = read(variable, raw)
        return cls(**values)


# -- bulk errors ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused field of one row of a bulk write.

    Attributes:
        index: The row's position in the input, from 0.
        field: The field of the row, e.g. ``"price"`` (empty for the whole row).
        value: The value that was refused.
        reason: Why.
    """

    index: int
    field: str
    value: object
    reason: str

    @property
    def path(self) -> str:
        """Where in the input: ``rows[3].price``, or ``rows[3]`` for the whole row."""
        return f"rows[{self.index}].{self.field}" if self.field else f"rows[{self.index}]"


class BulkValidationError(ModelValidationError):
    """A bulk write was refused because some rows are invalid; nothing was written.

    Every invalid row is reported. ``errors`` holds one
    :class:`~pricekit.errors.FieldError` per problem with a path such as
    ``rows[3].price``; ``rows`` holds the same problems with the index apart.

    Attributes:
        rows: Every problem, in input order.
    """

    def __init__(self, *, model: str, rows: Sequence[RowError]) -> None:
        super().__init__(
            model=model,
            errors=[FieldError(field=r.path, value=r.value, reason=r.reason) for r in rows],
        )
        self.rows: tuple[RowError, ...] = tuple(rows)

    @property
    def indexes(self) -> tuple[int, ...]:
        """The positions of the invalid rows, ascending, each once."""
        return tuple(sorted({r.index for r in self.rows}))


# -- the service ----------------------------------------------------------------------


def _refuse_reserved(changes: Mapping[str, Any]) -> None:
    for name in ("id", *_STAMPS):
        if name in changes:
            raise InvalidValueError(
                field=name,
                value=changes[name],
                reason="is set by the service and cannot be changed",
            )


class PricingService:
    """Price lists, items and scopes, stored through repositories, and price resolution.

    Args:
        lists: Where price lists are kept.
        items: Where their items are kept.
        scopes: Where their scopes are kept.
        cache: The price cache. ``None`` creates an in-process
            :class:`~pricekit.pricing.cache.InMemoryPriceCache` with the settings'
            TTL when the cache is enabled.
        markdowns: Where seasonal markdowns are looked up, if anywhere.
        clock: Where ``created_at`` / ``updated_at`` (and the default cache's
            expiry) come from; the system clock by default.
        settings: The feature flags; :class:`PricingSettings` defaults if ``None``.
    """

    def __init__(
        self,
        *,
        lists: PriceListRepository,
        items: PriceListItemRepository,
        scopes: PriceListScopeRepository,
        cache: PriceCache | None = None,
        markdowns: MarkdownLookup | None = None,
        clock: Clock | None = None,
        settings: PricingSettings | None = None,
    ) -> None:
        self._settings = PricingSettings() if settings is None else settings
        self._clock: Clock = SystemClock() if clock is None else clock
        if cache is None and self._settings.price_cache_enabled:
            cache = InMemoryPriceCache(ttl=self._settings.price_cache_ttl, clock=self._clock)
        self._lists = lists
        self._items = items
        self._scopes = scopes
        self._cache = cache
        self._markdowns = markdowns
        self._books: dict[str, PriceBook] = {}
        self._resolvers: dict[str, CachedPriceResolver] = {}
        self._lock = threading.RLock()

    @property
    def settings(self) -> PricingSettings:
        """The feature flags in force."""
        return self._settings

    @property
    def cache(self) -> PriceCache | None:
        """The price cache, if any."""
        return self._cache

    # -- price lists ------------------------------------------------------------------

    def create_price_list(self, data: PriceList | Mapping[str, Any]) -> PriceList:
        """Create a price list; an ``id`` is generated if none is given.

        ``created_at`` and ``updated_at`` are set from the clock.

        Raises:
            ModelValidationError: A refused field (priority outside 0 to 1000, an
                unknown kind or channel, ``valid_to`` not after ``valid_from``, ...).
            ConflictError: A list with this id exists.
        """
        with self._lock:
            price_list = self._new(PriceList, data, what="price_list")
            book = self._books.get(price_list.business_id)
            patched = None if book is None else book.patched(lists=[price_list])
            self._lists.add(price_list)
            self._swap(price_list.business_id, patched)
            self._invalidate_lists([price_list.id])
            return price_list

    def get_price_list(self, price_list_id: str) -> PriceList:
        """The price list with this id.

        Raises:
            NotFoundError: There is none.
        """
        price_list = self._lists.get(price_list_id)
        if price_list is None:
            raise NotFoundError(entity="price_list", id=price_list_id)
        return price_list

    def list_price_lists(
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
        """One page of a business's price lists, ordered by id, filtered by what is given.

        See :meth:`PriceListRepository.find
        <pricekit.pricing.repository.PriceListRepository.find>` for the filters.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        return self._lists.find(
            business_id,
            kind=kind,
            channel=channel,
            is_active=is_active,
            name_contains=name_contains,
            offset=offset,
            limit=limit,
        )

    def update_price_list(
        self, price_list_id: str, data: PriceList | Mapping[str, Any]
    ) -> PriceList:
        """Replace every field of a price list (fields left out take their defaults).

        The id and ``created_at`` are kept; ``updated_at`` is set from the clock.

        Raises:
            NotFoundError: There is no such list.
            ModelValidationError: A refused field.
            InvalidValueError: A different ``id`` or ``business_id``, or a new
                ``currency`` while the list has items.
        """
        with self._lock:
            old = self.get_price_list(price_list_id)
            fields = fields_of(data, what="price_list")
            if fields.get("id", price_list_id) != price_list_id:
                raise InvalidValueError(
                    field="id", value=fields["id"], reason=f"must be {price_list_id!r} or left out"
                )
            fields.update(id=price_list_id, created_at=old.created_at, updated_at=self._clock.now())
            return self._save_list(old, PriceList.model_validate(fields))

    def patch_price_list(self, price_list_id: str, /, **changes: Any) -> PriceList:
        """Change some fields of a price list, validated like a new one.

        Raises:
            NotFoundError: There is no such list.
            ModelValidationError: A refused value.
            InvalidValueError: A change to ``id``, the stamps or ``business_id``, or a
                new ``currency`` while the list has items.
        """
        _refuse_reserved(changes)
        with self._lock:
            old = self.get_price_list(price_list_id)
            return self._save_list(old, old.evolve(**changes, updated_at=self._clock.now()))

    def delete_price_list(self, price_list_id: str) -> PriceList:
        """Soft-delete a price list (``is_active=False``); it stays stored, and never applies.

        Raises:
            NotFoundError: There is no such list.
        """
        return self.patch_price_list(price_list_id, is_active=False)

    def _save_list(self, old: PriceList, new: PriceList) -> PriceList:
        if new.business_id != old.business_id:
            raise InvalidValueError(
                field="business_id",
                value=new.business_id,
                reason=f"a price list cannot move to another business (it is {old.business_id!r})",
            )
        if (
            new.currency != old.currency
            and self._items.find(price_list_id=old.id, limit=1).total > 0
        ):
            raise InvalidValueError(
                field="currency",
                value=new.currency,
                reason=f"price list {old.id!r} has items priced in {old.currency}; "
                "create a new list for another currency",
            )
        book = self._books.get(new.business_id)
        patched = None if book is None else book.patched(lists=[new])
        self._lists.replace(new)
        self._swap(new.business_id, patched)
        self._invalidate_lists([new.id])
        return new

    # -- items --------------------------------------------------------------------------

    def create_item(self, data: PriceListItem | Mapping[str, Any]) -> PriceListItem:
        """Create a price list item; an ``id`` is generated if none is given.

        Raises:
            ModelValidationError: A refused field (``min_qty`` not above zero, a
                priority outside 0 to 1000, ``valid_to`` not after ``valid_from``, ...).
            NotFoundError: Its price list does not exist (``entity="price_list"``).
            InvalidValueError: Its price is not in its list's currency (``field="price"``).
            ConflictError: An item with this id exists.
        """
        with self._lock:
            item = self._new(PriceListItem, data, what="price_list_item")
            price_list = self._list_of(item)
            self._store_items([(item, price_list)])
            return item

    def bulk_create_items(
        self, rows: Sequence[PriceListItem | Mapping[str, Any]]
    ) -> list[PriceListItem]:
        """Create many items, all or nothing (the seed's bulk endpoint).

        Every row is checked before anything is written; if any is invalid, nothing
        is written and one error reports every problem of every row by index.

        Raises:
            BulkValidationError: Invalid rows: refused fields, a price list that
                does not exist (``rows[i].price_list_id``), a price in another
                currency than the list's (``rows[i].price``), or an id that exists
                or repeats (``rows[i].id``).
        """
        problems: list[RowError] = []
        valid: list[tuple[PriceListItem, PriceList]] = []
        first_row_of: dict[str, int] = {}
        lists: dict[str, PriceList | None] = {}
        with self._lock:
            now = self._clock.now()
            for index, row in enumerate(rows):
                try:
                    fields = fields_of(row, what="")
                except InvalidValueError as exc:
                    problems.append(RowError(index, exc.field, exc.value, exc.reason))
                    continue
                found = len(problems)
                item: PriceListItem | None = None
                try:
                    item = self._new(PriceListItem, fields, what="", now=now)
                except ModelValidationError as exc:
                    problems.extend(RowError(index, e.field, e.value, e.reason) for e in exc.errors)
                # Check the references of the row even when some of its fields were
                # refused, so that one pass reports every problem of every row.
                refused = {p.field.partition(".")[0] for p in problems[found:]}
                item_id = item.id if item is not None else fields.get("id")
                list_id = fields.get("price_list_id")
                price = item.price if item is not None else fields.get("price")
                price_list = None
                if isinstance(list_id, str) and "price_list_id" not in refused:
                    if list_id not in lists:
                        lists[list_id] = self._lists.get(list_id)
                    price_list = lists[list_id]
                    if price_list is None:
                        problems.append(
                            RowError(
                                index,
                                "price_list_id",
                                list_id,
                                f"price list {list_id!r} does not exist",
                            )
                        )
                    elif (
                        isinstance(price, Money)
                        and "price" not in refused
                        and price.currency.code != price_list.currency
                    ):
                        problems.append(_currency_problem(index, price, price_list))
                if isinstance(item_id, str) and "id" not in refused:
                    if item_id in first_row_of:
                        problems.append(
                            RowError(
                                index,
                                "id",
                                item_id,
                                f"repeats the id of rows[{first_row_of[item_id]}]",
                            )
                        )
                    elif self._items.get(item_id) is not None:
                        problems.append(
                            RowError(index, "id", item_id, "an item with this id exists")
                        )
                    first_row_of.setdefault(item_id, index)
                if len(problems) == found and item is not None and price_list is not None:
                    valid.append((item, price_list))
            if problems:
                raise BulkValidationError(model="PriceListItem", rows=problems)
            self._store_items(valid)
            return [item for item, _ in valid]

    def get_item(self, price_list_item_id: str) -> PriceListItem:
        """The price list item with this id.

        Raises:
            NotFoundError: There is none.
        """
        item = self._items.get(price_list_item_id)
        if item is None:
            raise NotFoundError(entity="price_list_item", id=price_list_item_id)
        return item

    def list_items(
        self,
        *,
        price_list_id: str | None = None,
        item_id: str | None = None,
        item_type: ItemType | None = None,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[PriceListItem]:
        """One page of price list items, ordered by id, filtered by what is given.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        check_page(offset=offset, limit=limit)
        return self._items.find(
            price_list_id=price_list_id,
            item_id=item_id,
            item_type=item_type,
            is_active=is_active,
            offset=offset,
            limit=limit,
        )

    def update_item(
        self, price_list_item_id: str, data: PriceListItem | Mapping[str, Any]
    ) -> PriceListItem:
        """Replace every field of an item (fields left out take their defaults).

        The id and ``created_at`` are kept; ``updated_at`` is set from the clock.

        Raises:
            NotFoundError: There is no such item.
            ModelValidationError: A refused field.
            InvalidValueError: A different ``id`` or ``price_list_id``, or a price in
                another currency than the list's.
        """
        with self._lock:
            old = self.get_item(price_list_item_id)
            fields = fields_of(data, what="price_list_item")
            if fields.get("id", price_list_item_id) != price_list_item_id:
                raise InvalidValueError(
                    field="id",
                    value=fields["id"],
                    reason=f"must be {price_list_item_id!r} or left out",
                )
            fields.update(
                id=price_list_item_id, created_at=old.created_at, updated_at=self._clock.now()
            )
            return self._save_item(old, PriceListItem.model_validate(fields))

    def patch_item(self, price_list_item_id: str, /, **changes: Any) -> PriceListItem:
        """Change some fields of an item, validated like a new one.

        Raises:
            NotFoundError: There is no such item.
            ModelValidationError: A refused value.
            InvalidValueError: A change to ``id``, the stamps or ``price_list_id``, or
                a price in another currency than the list's.
        """
        _refuse_reserved(changes)
        with self._lock:
            old = self.get_item(price_list_item_id)
            return self._save_item(old, old.evolve(**changes, updated_at=self._clock.now()))

    def delete_item(self, price_list_item_id: str) -> PriceListItem:
        """Soft-delete an item (``is_active=False``); it stays stored, and never applies.

        Raises:
            NotFoundError: There is no such item.
        """
        return self.patch_item(price_list_item_id, is_active=False)

    def _save_item(self, old: PriceListItem, new: PriceListItem) -> PriceListItem:
        if new.price_list_id != old.price_list_id:
            raise InvalidValueError(
                field="price_list_id",
                value=new.price_list_id,
                reason=f"an item cannot move to another list (it is in {old.price_list_id!r}); "
                "create it in the other list and delete this one",
            )
        price_list = self._list_of(new)
        book = self._books.get(price_list.business_id)
        patched = None if book is None else book.patched(items=[new])
        self._items.replace(new)
        self._swap(price_list.business_id, patched)
        refs = {(old.item_type, old.item_id), (new.item_type, new.item_id)}
        self._invalidate_items(price_list.business_id, refs)
        return new

    def _list_of(self, item: PriceListItem) -> PriceList:
        price_list = self._lists.get(item.price_list_id)
        if price_list is None:
            raise NotFoundError(entity="price_list", id=item.price_list_id)
        if item.price.currency.code != price_list.currency:
            problem = _currency_problem(0, item.price, price_list)
            raise InvalidValueError(field="price", value=problem.value, reason=problem.reason)
        return price_list

    def _store_items(self, pairs: Sequence[tuple[PriceListItem, PriceList]]) -> None:
        by_business: dict[str, list[PriceListItem]] = {}
        for item, price_list in pairs:
            by_business.setdefault(price_list.business_id, []).append(item)
        patched: dict[str, PriceBook] = {}
        for business_id, items in by_business.items():
            book = self._books.get(business_id)
            if book is not None:
                patched[business_id] = book.patched(items=items)
        self._items.add_many([item for item, _ in pairs])
        for business_id, items in by_business.items():
            self._swap(business_id, patched.get(business_id))
            self._invalidate_items(business_id, {(it.item_type, it.item_id) for it in items})

    # -- scopes -------------------------------------------------------------------------

    def create_scope(self, data: PriceListScope | Mapping[str, Any]) -> PriceListScope:
        """Bind a price list to a location and/or a channel; an ``id`` is generated if none.

        Raises:
            ModelValidationError: A refused field (an unknown channel, ...).
            NotFoundError: The price list does not exist (``entity="price_list"``).
            ConflictError: A scope with this id exists.
        """
        with self._lock:
            scope = self._new(PriceListScope, data, what="price_list_scope", stamped=False)
            price_list = self.get_price_list(scope.price_list_id)
            book = self._books.get(price_list.business_id)
            patched = None if book is None else book.patched(scopes=[scope])
            self._scopes.add(scope)
            self._swap(price_list.business_id, patched)
            self._invalidate_lists([price_list.id])
            return scope

    def list_scopes(
        self, *, price_list_id: str | None = None, business_id: str | None = None
    ) -> list[PriceListScope]:
        """The scopes of a price list, or of every list of a business, ordered by id.

        Raises:
            InvalidValueError: Neither ``price_list_id`` nor ``business_id`` is given.
        """
        if price_list_id is None and business_id is None:
            raise InvalidValueError(
                field="price_list_id",
                value=None,
                reason="give a price_list_id or a business_id to list scopes of",
            )
        if business_id is None:
            list_ids: set[str] = {price_list_id} if price_list_id is not None else set()
        else:
            list_ids = {pl.id for pl in self._lists.all_for_business(business_id)}
            if price_list_id is not None:
                list_ids &= {price_list_id}
        return list(self._scopes.all_for_lists(list_ids))

    def delete_scope(self, scope_id: str) -> PriceListScope:
        """Delete a scope for good (scopes are bindings, not business data).

        Raises:
            NotFoundError: There is no such scope.
        """
        with self._lock:
            scope = self._scopes.get(scope_id)
            if scope is None:
                raise NotFoundError(entity="price_list_scope", id=scope_id)
            price_list = self._lists.get(scope.price_list_id)
            business_id = None if price_list is None else price_list.business_id
            book = None if business_id is None else self._books.get(business_id)
            patched = None if book is None else book.patched(removed_scope_ids=[scope_id])
            self._scopes.delete(scope_id)
            if business_id is not None:
                self._swap(business_id, patched)
            self._invalidate_lists([scope.price_list_id])
            return scope

    # -- resolution ---------------------------------------------------------------------

    def resolve(self, query: PriceQuery, *, explain: bool = False) -> ResolvedPrice:
        """Resolve the best unit price for a query (the seed's ``POST /resolve``).

        With ``enable_price_lists`` off, the query's base price (source
        ``base_price``; with ``explain``, an empty trace). Otherwise the business's
        price book answers, through the cache when one is configured and enabled
        (``explain`` always asks the book).
        """
        if not self._settings.enable_price_lists:
            return ResolvedPrice(
                unit_price=query.base_price,
                source=PriceSource.BASE_PRICE,
                trace=() if explain else None,
            )
        resolver = self._resolvers.get(query.business_id)
        if resolver is None:
            self.price_book(query.business_id)
            resolver = self._resolvers.get(query.business_id)
        if resolver is None:
            return self.price_book(query.business_id).resolve(query, explain=explain)
        return resolver.resolve(query, explain=explain)

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        """Resolve a whole cart: one result per query, in order."""
        return [self.resolve(query, explain=explain) for query in queries]

    def price_book(self, business_id: str) -> PriceBook:
        """The business's current price book, compiled from the repositories on first use."""
        book = self._books.get(business_id)
        if book is not None:
            return book
        with self._lock:
            book = self._books.get(business_id)
            if book is None:
                lists = self._lists.all_for_business(business_id)
                list_ids = {pl.id for pl in lists}
                book = PriceBook(
                    lists=lists,
                    items=self._items.all_for_lists(list_ids),
                    scopes=self._scopes.all_for_lists(list_ids),
                    markdowns=self._markdowns,
                )
                self._books[business_id] = book
                if self._cache is not None:
                    self._resolvers[business_id] = CachedPriceResolver(
                        self._book_provider(business_id),
                        self._cache,
                        enabled=self._settings.price_cache_enabled,
                    )
            return book

    def refresh(self, business_id: str | None = None) -> None:
        """Forget the compiled price book of a business (or of all), and its cache entries.

        The next resolution rebuilds the book from the repositories. Use it after
        writes that did not go through this service.
        """
        with self._lock:
            businesses = list(self._books) if business_id is None else [business_id]
            for bid in businesses:
                self._books.pop(bid, None)
                self._resolvers.pop(bid, None)
                if self._cache is not None:
                    self._cache.clear_business(bid)

    # -- cache --------------------------------------------------------------------------

    def cache_stats(self) -> CacheStats:
        """The cache's counters (the seed's ``/cache/stats``); all zero without a cache.

        ``errors`` adds the cache failures resolutions degraded around.
        """
        if self._cache is None:
            return CacheStats()
        degraded = sum(r.errors for r in list(self._resolvers.values()))
        stats = self._cache.stats()
        return replace(stats, errors=stats.errors + degraded)

    def clear_cache(self, business_id: str) -> int:
        """Drop every cached price of a business (the seed's ``/cache/clear``); how many."""
        if self._cache is None:
            return 0
        return self._cache.clear_business(business_id)

    # -- helpers ------------------------------------------------------------------------

    def _new(
        self,
        model: type[_M],
        data: object,
        *,
        what: str,
        stamped: bool = True,
        now: datetime | None = None,
    ) -> _M:
        fields = fields_of(data, what=what)
        if fields.get("id") is None:
            fields["id"] = str(uuid.uuid4())
        if stamped:
            stamp = self._clock.now() if now is None else now
            fields.update(created_at=stamp, updated_at=stamp)
        return model.model_validate(fields)

    def _book_provider(self, business_id: str) -> Callable[[], PriceBook]:
        def provide() -> PriceBook:
            return self.price_book(business_id)

        return provide

    def _swap(self, business_id: str, book: PriceBook | None) -> None:
        if book is not None:
            self._books[business_id] = book

    def _invalidate_lists(self, price_list_ids: Iterable[str]) -> None:
        if self._cache is not None:
            self._cache.invalidate_price_lists(price_list_ids)

    def _invalidate_items(self, business_id: str, refs: Iterable[_ItemRef]) -> None:
        if self._cache is not None:
            self._cache.invalidate_items(business_id, sorted(refs))


def _currency_problem(index: int, price: Money, price_list: PriceList) -> RowError:
    return RowError(
        index,
        "price",
        str(price),
        f"must be in the currency of price list {price_list.id!r} ({price_list.currency}), "
        f"not {price.currency.code}",
    )
