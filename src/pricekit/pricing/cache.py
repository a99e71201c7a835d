"""The price cache: a port, an in-process implementation, and a cache-aside resolver.

:class:`CachedPriceResolver` sits in front of a :class:`~pricekit.pricing.book.PriceBook`:
it looks a query up in a :class:`PriceCache`, and on a miss resolves with the book and
stores the answer. Three rules keep a cached answer equal to the book's:

**The key never merges queries the book would answer differently.** A resolution
depends on the quantity only through which quantity tiers (the ``min_qty`` of the
item's entries) are ``<= quantity``, and on the instant only through which validity
boundaries (the starts and ends of the item's list and item windows) are ``<= at``.
So the key holds a *quantity bucket* and a *validity epoch*:

- ``bucket_quantity(q, tiers)`` is the largest of the seed's buckets
  (:data:`SEED_BUCKETS`) and the item's own tiers that is ``<= q`` (``0`` when there is
  none). It shares entries across nearby quantities as the seed's bucketing does,
  but where an item's tiers do not line up with the buckets (a tier at 3 or 2.5) the
  tier itself becomes a bucket edge. *Proof:* take ``q1 < q2`` with the same key ``k``
  and a tier ``t`` with ``q1 < t <= q2``. Then the key of ``q2`` is at least ``t`` (it is
  the largest edge ``<= q2``, and ``t`` is an edge), so ``k >= t > q1``; but every key is
  ``<= `` its quantity, so ``k <= q1``: a contradiction. Hence two quantities share a
  key only if the same tiers are ``<=`` each, and the book gives them the same answer.
- The validity epoch is the latest validity boundary of the item's entries that is
  ``<= at`` (``None`` before them all). The boundaries are totally ordered, so the set
  of boundaries ``<= at`` is a prefix of them, named exactly by its largest member.

The rest of the key is every other input of the resolution: business, location,
channel, item type and id, currency, and the base price (which is the answer when
no list applies).

**Every write that can change a cached answer can drop it.** Each entry is indexed
under every price list that has an entry for its item (active or not, won or lost:
a change to any of them can change the answer), under its item, and under its
business, so :meth:`PriceCache.invalidate_price_lists`,
:meth:`PriceCache.invalidate_items` and :meth:`PriceCache.clear_business` drop
exactly the entries a write can affect. A write that adds an item to a list which
did not price it before must invalidate the item; one that changes a list or its
scopes, the list.

**Markdown answers are not cached.** A seasonal markdown depends on time in ways
the key does not capture, and a :class:`~pricekit.pricing.models.ResolvedPrice` does not
say when its markdown ends, so results whose source is ``markdown`` are resolved
every time. A markdown that *starts* does not invalidate cached list prices by
itself: the markdowns service must invalidate the items (or the business) when a
wave starts, or the answer stays stale for at most the TTL.

**A cache never breaks a resolution.** Any exception from the cache's ``get`` or
``set`` is counted, logged at WARNING on the ``pricekit.pricing.cache`` logger, and the
query is resolved by the book as if there were no cache.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol, TypeVar, runtime_checkable

from pricekit.errors import InvalidValueError
from pricekit.pricing.book import PriceBook
from pricekit.pricing.models import Channel, ItemType, PriceQuery, PriceSource, ResolvedPrice
from pricekit.time import Clock, SystemClock

__all__ = [
    "DEFAULT_TTL",
    "SEED_BUCKETS",
    "CacheStats",
    "CachedPriceResolver",
    "InMemoryPriceCache",
    "PriceCache",
    "PriceCacheKey",
    "bucket_quantity",
]

SEED_BUCKETS: tuple[Decimal, ...] = tuple(
    Decimal(n) for n in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
)
"""The seed's quantity buckets; :func:`bucket_quantity` adds each item's own tiers."""

DEFAULT_TTL = timedelta(minutes=5)
"""How long a cached price lives by default (the seed's ``PRICE_CACHE_TTL_MS``)."""

_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LOG = logging.getLogger("pricekit.pricing.cache")
_new_key = tuple.__new__

# -- keys ----------------------------------------------------------------------------


def _edges(tiers: Iterable[Decimal]) -> tuple[Decimal, ...]:
    return tuple(sorted({*SEED_BUCKETS, *tiers}))


def _check_quantity(quantity: object) -> Decimal | int:
    if type(quantity) is not Decimal and type(quantity) is not int:
        raise InvalidValueError(
            field="quantity", value=quantity, reason="must be an int or a Decimal"
        )
    if not quantity.is_finite() if type(quantity) is Decimal else False:
        raise InvalidValueError(field="quantity", value=quantity, reason="must be a finite number")
    if quantity <= 0:
        raise InvalidValueError(field="quantity", value=quantity, reason="must be above zero")
    return quantity


def _floor(value: Decimal | int, edges: Sequence[Decimal]) -> Decimal:
    index = bisect.bisect_right(edges, value)
    return edges[index - 1] if index else _ZERO


def bucket_quantity(quantity: Decimal | int, tiers: Sequence[Decimal]) -> Decimal:
    """The quantity a cache key holds: the largest bucket edge ``<= quantity``.

    The edges are the seed's buckets (:data:`SEED_BUCKETS`) and the item's own tiers
    (``min_qty`` values, as :meth:`PriceBook.tiers
    <pricekit.pricing.book.PriceBook.tiers>` gives them, in any order), so the key
    is ``max(largest seed bucket <= quantity, largest tier <= quantity)``, or ``0``
    below them all. Two quantities get the same key only if the same tiers are
    ``<=`` each, so a cached answer is always the one the book would give.

    Examples:
        With a tier at 3, quantities 2 and 4 get keys 2 and 3; with tiers at 2.5,
        quantity 2.7 gets 2.5 and quantity 4 gets 2.5 as well (no tier or bucket
        between them); quantity 0.5 with no tier below 1 gets 0.

    Args:
        quantity: The query's quantity, above zero.
        tiers: The item's quantity tiers.

    Raises:
        InvalidValueError: The quantity is not an int or Decimal above zero.
    """
    return _floor(_check_quantity(quantity), _edges(tiers))


def _segment(value: str) -> str:
    # Percent-encode what would split the key or act as a glob in a Redis SCAN MATCH.
    text = value.translate(_ESCAPES)
    return "%2D" if text == "-" else text


_ESCAPES = str.maketrans(
    {char: f"%{ord(char):02X}" for char in "%:*?[]\\ \t\r\n"},
)


class PriceCacheKey(NamedTuple):
    """Everything a cached price depends on.

    Its ``str`` form is a Redis key (see :meth:`redis_key`).

    Attributes:
        business_id: The business.
        location_id: The query's location, or ``None``.
        channel: The query's channel.
        item_type: The item's type.
        item_id: The item.
        currency: The query's currency.
        quantity: The quantity bucket (:func:`bucket_quantity`).
        valid_since: The validity epoch: the latest validity boundary of the item's
            entries at or before the query's instant, or ``None``.
        base_minor: The base price in minor units (the answer when no list applies).
    """

    business_id: str
    location_id: str | None
    channel: Channel
    item_type: ItemType
    item_id: str
    currency: str
    quantity: Decimal
    valid_since: datetime | None
    base_minor: int

    def redis_key(self) -> str:
        r"""The key as a string, for a shared cache such as Redis.

        The scheme is ``price:{business}:{location}:{channel}:{item_type}:{item_id}:``
        ``{currency}:{quantity}:{since}:{base_minor}``, where ``location`` is ``-`` for
        no location, ``quantity`` is the bucket in plain notation without trailing
        zeros (``2.5``, ``100``), and ``since`` is the validity epoch in microseconds
        since 1970-01-01 UTC, or ``-``. In ids, ``%``, ``:``, whitespace and the glob
        characters ``*?[]\`` are percent-encoded, and an id that is exactly ``-`` is
        written ``%2D``, so keys never collide and ``price:{business}:*`` matches
        exactly one business's keys.
        """
        location = "-" if self.location_id is None else _segment(self.location_id)
        since = (
            "-" if self.valid_since is None else str((self.valid_since - _EPOCH) // _MICROSECOND)
        )
        quantity = self.quantity.normalize()
        return ":".join(
            (
                "price",
                _segment(self.business_id),
                location,
                self.channel.value,
                self.item_type.value,
                _segment(self.item_id),
                _segment(self.currency),
                "0" if quantity.is_zero() else f"{quantity:f}",
                since,
                str(self.base_minor),
            )
        )

    def __str__(self) -> str:
        return self.redis_key()


# -- the port ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A price cache's counters (the seed's ``/cache/stats``).

    Attributes:
        hits: Lookups that found a live entry.
        misses: Lookups that found nothing (or an expired entry).
        errors: Cache operations that raised and were degraded around.
        entries: Entries held now (an in-process cache may still hold some that
            have expired and not been looked up since).
        evictions: Entries dropped to stay within the size limit.
        expirations: Entries dropped because their TTL had passed.
    """

    hits: int = 0
    misses: int = 0
    errors: int = 0
    entries: int = 0
    evictions: int = 0
    expirations: int = 0

    @property
    def hit_ratio(self) -> float:
        """Hits over lookups, or ``0.0`` before any lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


@runtime_checkable
class PriceCache(Protocol):
    """Where resolved prices are kept between resolutions.

    Implementations index each entry under the price lists, the item and the
    business it was stored with, so that a write can drop exactly the entries it
    can affect.
    """

    def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
        """The live entry for ``key``, or ``None``."""
        ...

    def set(
        self,
        key: PriceCacheKey,
        value: ResolvedPrice,
        *,
        price_list_ids: Collection[str],
        ttl: timedelta | None = None,
    ) -> None:
        """Store ``value`` under ``key`` for ``ttl`` (the cache's default if ``None``).

        ``price_list_ids`` are the lists whose changes can change the value; a
        ``ttl`` of zero or less stores nothing.
        """
        ...

    def invalidate_price_lists(self, price_list_ids: Iterable[str]) -> int:
        """Drop every entry stored under any of these lists; return how many."""
        ...

    def invalidate_items(self, business_id: str, items: Iterable[tuple[ItemType, str]]) -> int:
        """Drop every entry for these ``(item_type, item_id)`` of a business; return how many."""
        ...

    def clear_business(self, business_id: str) -> int:
        """Drop every entry of a business; return how many."""
        ...

    def stats(self) -> CacheStats:
        """The cache's counters."""
        ...


# -- the in-process cache ------------------------------------------------------------

_ItemKey = tuple[str, ItemType, str]
_K = TypeVar("_K", str, _ItemKey)


class _Entry(NamedTuple):
    value: ResolvedPrice
    expires_at: float
    """When the entry expires, as POSIX seconds."""
    price_list_ids: frozenset[str]


class InMemoryPriceCache:
    """A thread-safe, in-process :class:`PriceCache` with a TTL per entry and LRU eviction.

    Args:
        ttl: How long an entry lives unless :meth:`set` says otherwise; above zero.
        max_entries: The most entries held; the least recently used go first.
        clock: Where "now" comes from, for expiry; the system clock by default.

    Raises:
        InvalidValueError: A ``ttl`` that is not above zero or a ``max_entries`` below 1.
    """

    __slots__ = (
        "_by_business",
        "_by_item",
        "_by_list",
        "_clock",
        "_entries",
        "_evictions",
        "_expirations",
        "_hits",
        "_lock",
        "_max_entries",
        "_misses",
        "_now",
        "_ttl",
    )

    def __init__(
        self,
        *,
        ttl: timedelta = DEFAULT_TTL,
        max_entries: int = 100_000,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise InvalidValueError(field="ttl", value=ttl, reason="must be a timedelta above zero")
        if type(max_entries) is not int or max_entries < 1:
            raise InvalidValueError(
                field="max_entries", value=max_entries, reason="must be an int of at least 1"
            )
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock: Clock = SystemClock() if clock is None else clock
        # POSIX seconds as a float: the system clock's is time.time(), four times
        # cheaper than datetime.now() on the hit path; other clocks go through now().
        self._now: Callable[[], float] = (
            time.time if isinstance(self._clock, SystemClock) else self._posix_now
        )
        self._lock = threading.Lock()
        self._entries: OrderedDict[PriceCacheKey, _Entry] = OrderedDict()
        self._by_list: dict[str, set[PriceCacheKey]] = {}
        self._by_item: dict[_ItemKey, set[PriceCacheKey]] = {}
        self._by_business: dict[str, set[PriceCacheKey]] = {}
        self._hits = self._misses = self._evictions = self._expirations = 0

    def _posix_now(self) -> float:
        return self._clock.now().timestamp()

    def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
        """The live entry for ``key``, or ``None``; an expired entry is dropped."""
        now = self._now()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if now < entry.expires_at:
                    self._entries.move_to_end(key)
                    self._hits += 1
                    return entry.value
                self._drop(key)
                self._expirations += 1
            self._misses += 1
            return None

    def set(
        self,
        key: PriceCacheKey,
        value: ResolvedPrice,
        *,
        price_list_ids: Collection[str],
        ttl: timedelta | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any entry, evicting the least recent.

        Args:
            key: The entry's key.
            value: The resolved price.
            price_list_ids: The lists whose changes can change the value; the entry
                is dropped when any of them is invalidated.
            ttl: How long it lives; the cache's default if ``None``. Zero or less
                stores nothing.
        """
        lifetime = self._ttl if ttl is None else ttl
        if lifetime <= timedelta(0):
            return
        lists = frozenset(price_list_ids)
        expires_at = self._now() + lifetime.total_seconds()
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(value, expires_at, lists)
            for list_id in lists:
                self._by_list.setdefault(list_id, set()).add(key)
            item = (key.business_id, key.item_type, key.item_id)
            self._by_item.setdefault(item, set()).add(key)
            self._by_business.setdefault(key.business_id, set()).add(key)
            while len(self._entries) > self._max_entries:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                self._evictions += 1

    def invalidate_price_lists(self, price_list_ids: Iterable[str]) -> int:
        """Drop every entry stored under any of these lists; return how many."""
        with self._lock:
            keys: set[PriceCacheKey] = set()
            for list_id in price_list_ids:
                keys |= self._by_list.get(list_id, set())
            return self._drop_all(keys)

    def invalidate_items(self, business_id: str, items: Iterable[tuple[ItemType, str]]) -> int:
        """Drop every entry for these ``(item_type, item_id)`` of a business; return how many."""
        with self._lock:
            keys: set[PriceCacheKey] = set()
            for item_type, item_id in items:
                keys |= self._by_item.get((business_id, item_type, item_id), set())
            return self._drop_all(keys)

    def clear_business(self, business_id: str) -> int:
        """Drop every entry of a business; return how many."""
        with self._lock:
            return self._drop_all(set(self._by_business.get(business_id, ())))

    def purge_expired(self) -> int:
        """Drop every entry whose TTL has passed; return how many."""
        now = self._now()
        with self._lock:
            dead = [key for key, entry in self._entries.items() if not now < entry.expires_at]
            for key in dead:
                self._drop(key)
            self._expirations += len(dead)
            return len(dead)

    def stats(self) -> CacheStats:
        """The cache's counters; this cache itself never errs, so ``errors`` is 0."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                entries=len(self._entries),
                evictions=self._evictions,
                expirations=self._expirations,
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"InMemoryPriceCache(ttl={self._ttl!r}, max_entries={self._max_entries}, "
            f"entries={len(self)})"
        )

    # -- under the lock ---------------------------------------------------------------

    def _drop_all(self, keys: Collection[PriceCacheKey]) -> int:
        for key in keys:
            self._drop(key)
        return len(keys)

    def _drop(self, key: PriceCacheKey) -> None:
        entry = self._entries.pop(key)
        for list_id in entry.price_list_ids:
            _unindex(self._by_list, list_id, key)
        _unindex(self._by_item, (key.business_id, key.item_type, key.item_id), key)
        _unindex(self._by_business, key.business_id, key)


def _unindex(index: dict[_K, set[PriceCacheKey]], name: _K, key: PriceCacheKey) -> None:
    keys = index.get(name)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[name]


# -- the cache-aside resolver --------------------------------------------------------


_MAX_MEMO_QUANTITIES = 256


class _Facts(NamedTuple):
    """What an item's cache key and side index need from a book, computed once per book."""

    edges: tuple[Decimal, ...]
    boundaries: tuple[datetime, ...]
    price_list_ids: frozenset[str]
    buckets: dict[Decimal, Decimal]
    """Quantities already bucketed, so a hit skips the bisection (bounded in size)."""


def _facts(book: PriceBook, key: _ItemKey) -> _Facts:
    depends = book.dependencies(*key)
    return _Facts(
        edges=_edges(depends.tiers),
        boundaries=depends.boundaries,
        price_list_ids=depends.price_list_ids,
        buckets={},
    )


class CachedPriceResolver:
    """Cache-aside price resolution: a :class:`PriceCache` in front of a price book.

    See the module documentation for why a cached answer always equals the book's.

    Args:
        book_provider: Returns the current :class:`~pricekit.pricing.book.PriceBook`;
            called on every resolution, so a service can swap books as data changes.
            A writer must swap in the new book *before* invalidating the cache; the
            resolver then never leaves an answer from a replaced book in the cache
            (it re-checks the book after storing and drops what it stored if the
            book changed meanwhile).
        cache: Where resolved prices are kept.
        enabled: ``False`` (the seed's ``PRICE_CACHE_ENABLED=false``) resolves every
            query with the book and never touches the cache.
    """

    __slots__ = ("_book_provider", "_cache", "_degraded", "_enabled", "_errors", "_lock", "_memo")

    def __init__(
        self,
        book_provider: Callable[[], PriceBook],
        cache: PriceCache,
        *,
        enabled: bool = True,
    ) -> None:
        self._book_provider = book_provider
        self._cache = cache
        self._enabled = enabled
        self._errors = 0
        self._degraded = False
        self._lock = threading.Lock()
        self._memo: tuple[PriceBook | None, dict[_ItemKey, _Facts]] = (None, {})

    @property
    def cache(self) -> PriceCache:
        """The cache in front of the book."""
        return self._cache

    @property
    def enabled(self) -> bool:
        """Whether the cache is used at all."""
        return self._enabled

    @property
    def errors(self) -> int:
        """How many cache operations raised and were degraded around."""
        return self._errors

    def resolve(self, query: PriceQuery, *, explain: bool = False) -> ResolvedPrice:
        """Resolve one query, from the cache when it can.

        Args:
            query: What to price.
            explain: Return a result with a full trace; always resolved by the book.

        Returns:
            The book's answer for ``query``.
        """
        book = self._book_provider()
        if explain or not self._enabled:
            return book.resolve(query, explain=explain)
        item = (query.business_id, query.item_type, query.item_id)
        memo_book, memo = self._memo
        if memo_book is not book:
            memo = {}
            self._memo = (book, memo)
        facts = memo.get(item)
        if facts is None:
            facts = memo[item] = _facts(book, item)
        quantity = query.quantity
        bucket = facts.buckets.get(quantity)
        if bucket is None:
            bucket = _floor(quantity, facts.edges)
            if len(facts.buckets) < _MAX_MEMO_QUANTITIES:
                facts.buckets[quantity] = bucket
        at = query.at
        boundaries = facts.boundaries
        since = bisect.bisect_right(boundaries, at) if boundaries else 0
        # tuple.__new__ skips the named tuple's Python-level __new__: a cache hit is hot.
        key: PriceCacheKey = _new_key(
            PriceCacheKey,
            (
                query.business_id,
                query.location_id,
                query.channel,
                query.item_type,
                query.item_id,
                query.currency,
                bucket,
                boundaries[since - 1] if since else None,
                query.base_price.minor_units,
            ),
        )
        try:
            cached = self._cache.get(key)
        except Exception:
            self._failed("get", key)
            return book.resolve(query)  # no store either: a failing cache costs one try
        if self._degraded:
            self._recovered()
        if cached is not None:
            return cached
        result = book.resolve(query)
        if result.source is not PriceSource.MARKDOWN:
            try:
                self._cache.set(key, result, price_list_ids=facts.price_list_ids)
                # A write may have swapped the book (and invalidated) while this answer
                # was computed from the old one. Writers swap before they invalidate, so
                # checking after the store catches every interleaving: either their
                # invalidation comes after our store, or we see the new book here.
                if self._book_provider() is not book:
                    self._cache.invalidate_items(query.business_id, [item[1:]])
            except Exception:
                self._failed("set", key)
        return result

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        """Resolve a whole cart: one result per query, in order."""
        return [self.resolve(query, explain=explain) for query in queries]

    def stats(self) -> CacheStats:
        """The cache's counters, with the errors this resolver degraded around added.

        If the cache cannot report (its ``stats`` raises), that is counted too and
        only the resolver's own error count is returned.
        """
        try:
            stats = self._cache.stats()
        except Exception:
            self._failed("stats", None)
            return CacheStats(errors=self._errors)
        return replace(stats, errors=stats.errors + self._errors)

    def _failed(self, operation: str, key: PriceCacheKey | None) -> None:
        """Count a failure; log the first of a run of them at WARNING, the rest at DEBUG."""
        with self._lock:
            self._errors += 1
            first = not self._degraded
            self._degraded = True
        _LOG.log(
            logging.WARNING if first else logging.DEBUG,
            "price cache %s failed for %s; resolving without the cache%s",
            operation,
            "-" if key is None else key.redis_key(),
            " (further failures are logged at DEBUG until it answers again)" if first else "",
            exc_info=True,
        )

    def _recovered(self) -> None:
        with self._lock:
            was, self._degraded = self._degraded, False
        if was:
            _LOG.warning("price cache answers again; %d failures so far", self._errors)
