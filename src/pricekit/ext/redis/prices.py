"""The price cache on Redis, shared by every instance of a host.

:class:`RedisPriceCache` implements :class:`~pricekit.pricing.cache.PriceCache`
for :class:`~pricekit.pricing.cache.CachedPriceResolver` (cache-aside): a miss is
resolved by the price book and stored for the TTL, five minutes by default.

**Keys.** An entry lives at ``{prefix}{key.redis_key()}``, e.g.
``pricekit:price:biz-1:loc-a:pos:product:sku-1:USD:5:-:2599`` (see
:meth:`~pricekit.pricing.cache.PriceCacheKey.redis_key`: the quantity bucket
and validity epoch are in the key, so a cached answer is always the book's).
Three kinds of side index, Redis sets of entry keys, drop exactly the entries a
write can affect:

- ``{prefix}idx:list:{price_list_id}``: every entry whose answer a change to that
  list can change;
- ``{prefix}idx:item:{business_id}:{item_type}:{item_id}``: every entry of an item;
- ``{prefix}idx:biz:{business_id}``: every entry of a business;

and ``{prefix}idx:businesses`` names the businesses, for :meth:`RedisPriceCache.stats`.
Ids are written as in the entry keys (``%``, ``:``, whitespace and glob
characters percent-encoded). An index never expires before the entries in it:
each write extends its TTL to at least the entry's (``PEXPIRE ... NX`` and
``PEXPIRE ... GT``, which need Redis 7.0 or later). An index may still name
entries that expired, or that another list's invalidation dropped: a few bytes
each, gone when the index is invalidated or expires, and never counted
(invalidations count with ``DEL``, which counts only keys that exist).

**Values.** JSON with a format version, money in minor units as strings::

    {"v": 1, "unit_price_minor": "2399", "currency": "USD", "source": "price_list",
     "price_list_id": "pl-vip", "price_list_item_id": "it-9", "priority": 200,
     "min_qty": "2.5", "markdown_wave_id": null, "original_price_minor": null,
     "original_currency": null, "trace": null}

A value that is not JSON, lacks a field or has one of the wrong type, or carries
a ``v`` this pricekit does not know (one written by a newer pricekit) is a miss:
it is logged at WARNING on the ``pricekit.ext.redis.prices`` logger, counted in
``stats().errors`` and deleted, and the resolver stores a fresh answer in its
place. Every version this pricekit knows (``v`` 1 and up to
:data:`FORMAT_VERSION`) is read. Fields other than a version's own are ignored.

**Round trips.** :meth:`~RedisPriceCache.get` is one ``GET``;
:meth:`~RedisPriceCache.set` is one ``MULTI``/``EXEC`` pipeline (``SET ... PX``,
then ``SADD`` and the two ``PEXPIRE`` for each index); an invalidation reads its
indexes in one pipeline and deletes the entries, and their keys from the
indexes, in a second (``MULTI``/``EXEC``), counting with ``DEL``'s answer. A
write that lands between the two is neither lost nor half-dropped: its entry and
its index membership are written together, and deleted together.

**Failures.** Every Redis error becomes
:class:`~pricekit.errors.BackendUnavailableError` (the redis-py exception is its
``__cause__``), which :class:`~pricekit.pricing.cache.CachedPriceResolver`
catches, counts and resolves around, so a sale never fails because of the
cache; while Redis is slow or unreachable a resolution waits one of the
client's timeouts (the lookup; nothing is stored after a failed lookup), and
not at all once the breaker is open. Calls go
through a :class:`~pricekit.ext.redis.CircuitBreaker`: after five
consecutive connection errors or timeouts, Redis is not called for 30 seconds,
then one call probes it. Build the client with short timeouts and no retry
backoff (:meth:`RedisPriceCache.from_url` does): redis-py's own default retries
with backoff can hold a call for seconds.

The cache is made for a single Redis server (or a primary with replicas behind
Sentinel); its multi-key transactions do not span Redis Cluster slots.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis._breaker import CircuitBreaker
from pricekit.ext.redis._client import fail_fast_client
from pricekit.money import Money
from pricekit.pricing.cache import DEFAULT_TTL, CacheStats, PriceCacheKey, _segment
from pricekit.pricing.models import ItemType, PriceSource, ResolvedPrice, TraceEntry

__all__ = ["DEFAULT_PREFIX", "FORMAT_VERSION", "RedisPriceCache"]

DEFAULT_PREFIX = "pricekit:"
"""What every key of the cache starts with, unless told otherwise."""

FORMAT_VERSION: Final = 1
"""The version this pricekit writes into every cached value (``"v"``)."""

_LOG = logging.getLogger(__name__)
_MILLISECOND = timedelta(milliseconds=1)
_CHUNK = 1000
"""The most keys one ``DEL`` or ``SREM`` names."""
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
"""The errors that say Redis is down or slow, and count against the breaker."""
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?")
"""What ``str(Decimal)`` writes for a finite number: ``2.5``, ``1E+3``, ``0E-8``."""
_T = TypeVar("_T")


class _BadValueError(ValueError):
    """A cached value pricekit cannot read."""


# -- values --------------------------------------------------------------------------


def _encode(value: ResolvedPrice) -> str:
    original = value.original_price
    doc = {
        "v": FORMAT_VERSION,
        "unit_price_minor": value.unit_price.minor_units_str,
        "currency": value.unit_price.currency.code,
        "source": value.source.value,
        "price_list_id": value.price_list_id,
        "price_list_item_id": value.price_list_item_id,
        "priority": value.priority,
        "min_qty": None if value.min_qty is None else str(value.min_qty),
        "markdown_wave_id": value.markdown_wave_id,
        "original_price_minor": None if original is None else original.minor_units_str,
        "original_currency": None if original is None else original.currency.code,
        "trace": None
        if value.trace is None
        else [entry.model_dump(mode="json") for entry in value.trace],
    }
    return json.dumps(doc, separators=(",", ":"))


def _field(doc: dict[str, Any], name: str, kind: type[_T]) -> _T:
    value = doc[name]  # a missing field raises KeyError: a bad value
    if type(value) is not kind:
        raise _BadValueError(f"{name!r} is {type(value).__name__}, not {kind.__name__}")
    return value


def _optional(doc: dict[str, Any], name: str, kind: type[_T]) -> _T | None:
    return None if doc[name] is None else _field(doc, name, kind)


def _money(doc: dict[str, Any], minor_field: str, currency_field: str) -> Money:
    minor = _field(doc, minor_field, str)
    if not _INTEGER.fullmatch(minor):
        raise _BadValueError(f"{minor_field!r} is not an integer: {minor!r}")
    return Money(int(minor), _field(doc, currency_field, str))


def _decode_v1(doc: dict[str, Any]) -> ResolvedPrice:
    min_qty = _optional(doc, "min_qty", str)
    if min_qty is not None and not _DECIMAL.fullmatch(min_qty):
        raise _BadValueError(f"'min_qty' is not a finite decimal: {min_qty!r}")
    quantity = None if min_qty is None else Decimal(min_qty)
    trace = _optional(doc, "trace", list)
    return ResolvedPrice(
        unit_price=_money(doc, "unit_price_minor", "currency"),
        source=PriceSource(_field(doc, "source", str)),
        price_list_id=_optional(doc, "price_list_id", str),
        price_list_item_id=_optional(doc, "price_list_item_id", str),
        priority=_optional(doc, "priority", int),
        min_qty=quantity,
        markdown_wave_id=_optional(doc, "markdown_wave_id", str),
        original_price=None
        if doc["original_price_minor"] is None
        else _money(doc, "original_price_minor", "original_currency"),
        trace=None if trace is None else tuple(TraceEntry.model_validate(e) for e in trace),
    )


_READERS: dict[int, Callable[[dict[str, Any]], ResolvedPrice]] = {1: _decode_v1}
"""A reader for every format version this pricekit can read, oldest first."""


def _decode(raw: bytes | str) -> ResolvedPrice:
    """Read a cached value; raise ``_BadValueError`` if it is unreadable."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep
        raise _BadValueError(f"not JSON: {exc}") from exc
    if type(doc) is not dict:
        raise _BadValueError(f"a JSON {type(doc).__name__}, not an object")
    version = doc.get("v")
    reader = _READERS.get(version) if type(version) is int else None
    if reader is None:
        raise _BadValueError(
            f"format version {version!r} is unknown to this pricekit "
            f"(it reads 1 to {FORMAT_VERSION}); written by a newer one?"
        )
    try:
        return reader(doc)
    except _BadValueError:
        raise
    except Exception as exc:  # a missing field, a bad currency or amount: never raise to a sale
        raise _BadValueError(f"{type(exc).__name__}: {exc}") from exc


# -- the cache -----------------------------------------------------------------------


def _text(name: bytes | str) -> str:
    return name.decode() if isinstance(name, bytes) else name


def _chunks(names: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(names), _CHUNK):
        yield names[start : start + _CHUNK]


class RedisPriceCache:
    """A :class:`~pricekit.pricing.cache.PriceCache` on Redis, shared by many instances.

    See the module documentation for the key scheme, the value format and what
    happens when Redis fails. The client is used as given (bytes or decoded
    responses both work); the cache never closes it.

    Args:
        client: A redis-py client, with connect and socket timeouts set.
        ttl: How long an entry lives unless :meth:`set` says otherwise; above zero.
        prefix: What every key of the cache starts with.
        breaker: The circuit breaker guarding the calls to Redis; a fresh
            :class:`~pricekit.ext.redis.CircuitBreaker` (5 failures,
            30 seconds) if ``None``. Share one between the adapters on one server.

    Raises:
        InvalidValueError: A ``ttl`` that is not above zero or a ``prefix`` that is
            not a string.
    """

    __slots__ = ("_breaker", "_client", "_errors", "_hits", "_lock", "_misses", "_prefix", "_ttl")

    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl: timedelta = DEFAULT_TTL,
        prefix: str = DEFAULT_PREFIX,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise InvalidValueError(field="ttl", value=ttl, reason="must be a timedelta above zero")
        if not isinstance(prefix, str):
            raise InvalidValueError(field="prefix", value=prefix, reason="must be a string")
        self._client = client
        self._ttl = ttl
        self._prefix = prefix
        self._breaker = CircuitBreaker() if breaker is None else breaker
        self._lock = threading.Lock()
        self._hits = self._misses = self._errors = 0

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl: timedelta = DEFAULT_TTL,
        prefix: str = DEFAULT_PREFIX,
        breaker: CircuitBreaker | None = None,
        socket_connect_timeout: float = 0.5,
        socket_timeout: float = 0.5,
        retries: int = 1,
        **options: Any,
    ) -> RedisPriceCache:
        """A cache on a new client for ``url``, set to fail fast when the server is gone.

        redis-py's own default retries a failed command ten times with a growing
        back-off (seconds in all); this client retries ``retries`` times at once
        after a connection error (enough to replace a pooled connection the server
        dropped) and never after a timeout, so a slow server costs one
        ``socket_timeout``. Close the client with ``cache.client.close()`` when done.

        Args:
            url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
            ttl: As for the constructor.
            prefix: As for the constructor.
            breaker: As for the constructor.
            socket_connect_timeout: Seconds to wait for a connection.
            socket_timeout: Seconds to wait for a reply.
            retries: How many times a command is retried after a connection error.
            **options: Passed on to ``redis.Redis.from_url``.
        """
        client = fail_fast_client(
            url,
            socket_connect_timeout=socket_connect_timeout,
            socket_timeout=socket_timeout,
            retries=retries,
            **options,
        )
        return cls(client, ttl=ttl, prefix=prefix, breaker=breaker)

    @property
    def client(self) -> redis.Redis:
        """The redis-py client."""
        return self._client

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding the calls to Redis."""
        return self._breaker

    @property
    def prefix(self) -> str:
        """What every key of the cache starts with."""
        return self._prefix

    @property
    def ttl(self) -> timedelta:
        """How long an entry lives by default."""
        return self._ttl

    def key_of(self, key: PriceCacheKey) -> str:
        """The Redis key an entry is stored at: the prefix and ``key.redis_key()``."""
        return self._prefix + key.redis_key()

    # -- the port ---------------------------------------------------------------------

    def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
        """The live entry for ``key``, or ``None``; one ``GET``.

        An unreadable value is a miss (logged, counted in ``errors``, deleted).

        Raises:
            BackendUnavailableError: Redis failed, or the breaker is open.
        """
        name = self._prefix + key.redis_key()
        try:
            raw = self._call("read a cached price", lambda: self._client.get(name))
        except BackendUnavailableError as exc:
            if not _wrong_type(exc):
                raise
            # Redis answered: the key holds another type (written by something else)
            self._discard(name, b"", _BadValueError("not a string value (WRONGTYPE)"))
            raw = None
        if raw is not None:
            try:
                value = _decode(raw)
            except _BadValueError as exc:
                self._discard(name, raw, exc)
            else:
                with self._lock:
                    self._hits += 1
                return value
        with self._lock:
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
        """Store ``value`` under ``key`` and in its indexes; one ``MULTI``/``EXEC`` round trip.

        Args:
            key: The entry's key.
            value: The resolved price.
            price_list_ids: The lists whose changes can change the value.
            ttl: How long it lives (whole milliseconds, rounded up); the cache's
                default if ``None``. Zero or less stores nothing.

        Raises:
            BackendUnavailableError: Redis failed, or the breaker is open.
        """
        lifetime = self._ttl if ttl is None else ttl
        if lifetime <= timedelta(0):
            return
        milliseconds = -(-lifetime // _MILLISECOND)
        name = self._prefix + key.redis_key()
        payload = _encode(value)
        business = _segment(key.business_id)
        indexes = [self._list_index(list_id) for list_id in set(price_list_ids)]
        indexes.append(self._item_index(business, key.item_type.value, _segment(key.item_id)))
        indexes.append(self._prefix + "idx:biz:" + business)

        def store() -> None:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.set(name, payload, px=milliseconds)
                for index in indexes:
                    pipe.sadd(index, name)
                    self._extend(pipe, index, milliseconds)
                businesses = self._prefix + "idx:businesses"
                pipe.sadd(businesses, business)
                self._extend(pipe, businesses, milliseconds)
                pipe.execute()

        self._call("store a price", store)

    def invalidate_price_lists(self, price_list_ids: Iterable[str]) -> int:
        """Drop every entry stored under any of these lists; return how many existed.

        Raises:
            BackendUnavailableError: Redis failed, or the breaker is open.
        """
        indexes = [self._list_index(list_id) for list_id in dict.fromkeys(price_list_ids)]
        return self._drop("invalidate price lists", indexes)

    def invalidate_items(self, business_id: str, items: Iterable[tuple[ItemType, str]]) -> int:
        """Drop every entry for these ``(item_type, item_id)`` of a business; return how many.

        Raises:
            BackendUnavailableError: Redis failed, or the breaker is open.
        """
        business = _segment(business_id)
        indexes = [
            self._item_index(business, _segment(str(item_type)), _segment(item_id))
            for item_type, item_id in dict.fromkeys(items)
        ]
        return self._drop("invalidate items", indexes)

    def clear_business(self, business_id: str) -> int:
        """Drop every entry of a business; return how many existed.

        Raises:
            BackendUnavailableError: Redis failed, or the breaker is open.
        """
        return self._drop("clear a business", [self._prefix + "idx:biz:" + _segment(business_id)])

    def stats(self) -> CacheStats:
        """This instance's counters, and the entries in Redis; never raises.

        ``hits`` and ``misses`` count this instance's lookups. ``errors`` counts
        what the cache degraded around itself: unreadable values, and a failed
        read of ``entries``; a failure the cache *raised* is counted by whoever
        caught it (:meth:`CachedPriceResolver.stats
        <pricekit.pricing.cache.CachedPriceResolver.stats>` adds its own count).

        ``entries`` is shared by every instance: the keys in the businesses'
        indexes. It is exact while no entry has expired; an entry that expired
        by its TTL stays counted until it is invalidated, its business is
        cleared, or its business's index expires (a TTL after the business's
        last write). It is 0 when Redis cannot be read (counted in ``errors``).
        ``evictions`` and ``expirations`` are not tracked (Redis expires keys by itself).
        """
        try:
            entries = self._call("count cached prices", self._count_entries)
        except BackendUnavailableError:
            _LOG.warning("could not count the cached prices; reporting 0", exc_info=True)
            entries = None
        with self._lock:
            if entries is None:
                self._errors += 1
            return CacheStats(
                hits=self._hits, misses=self._misses, errors=self._errors, entries=entries or 0
            )

    def __repr__(self) -> str:
        return (
            f"RedisPriceCache(prefix={self._prefix!r}, ttl={self._ttl!r}, "
            f"breaker={self._breaker!r})"
        )

    # -- helpers ----------------------------------------------------------------------

    def _list_index(self, price_list_id: str) -> str:
        return self._prefix + "idx:list:" + _segment(price_list_id)

    def _item_index(self, business: str, item_type: str, item: str) -> str:
        # Segments already escaped, as in the entry keys.
        return f"{self._prefix}idx:item:{business}:{item_type}:{item}"

    @staticmethod
    def _extend(pipe: redis.client.Pipeline, index: str, milliseconds: int) -> None:
        # Set a TTL on a new index, lengthen (never shorten) an existing one.
        pipe.pexpire(index, milliseconds, nx=True)
        pipe.pexpire(index, milliseconds, gt=True)

    def _call(self, operation: str, command: Callable[[], _T]) -> _T:
        """Run ``command`` through the breaker; turn redis-py's errors into pricekit's."""
        try:
            return self._breaker.call(operation, command, failure_types=_UNREACHABLE)
        except RedisError as exc:
            raise BackendUnavailableError(
                backend="redis", operation=operation, cause=f"{type(exc).__name__}: {exc}"
            ) from exc

    def _discard(self, name: str, raw: bytes | str, error: _BadValueError) -> None:
        """Count, log and delete an unreadable entry (the resolver then overwrites it)."""
        with self._lock:
            self._errors += 1
        shown = raw[:200]
        _LOG.warning(
            "the cached price at %s is unreadable (%s); treating it as a miss and deleting it: %r",
            name,
            error,
            shown,
        )
        try:
            self._call("delete an unreadable cached price", lambda: self._client.delete(name))
        except BackendUnavailableError:
            # The entry expires by its TTL, and the resolver overwrites it on this miss.
            _LOG.warning("could not delete the unreadable cached price at %s", name, exc_info=True)

    def _owners(self, name: str) -> tuple[str, str] | None:
        """The business and item indexes an entry key belongs to, from the key itself."""
        head = self._prefix + "price:"
        if not name.startswith(head):
            return None
        parts = name[len(head) :].split(":")
        if len(parts) != len(PriceCacheKey._fields):
            return None
        business, _, _, item_type, item = parts[:5]
        return self._prefix + "idx:biz:" + business, self._item_index(business, item_type, item)

    def _drop(self, operation: str, indexes: list[str]) -> int:
        if not indexes:
            return 0

        def drop() -> int:
            with self._client.pipeline(transaction=False) as pipe:
                for index in indexes:
                    pipe.smembers(index)
                found: list[set[bytes | str]] = pipe.execute()
            members = {
                index: sorted(map(_text, names))
                for index, names in zip(indexes, found, strict=True)
            }
            keys = sorted({name for names in members.values() for name in names})
            if not keys:
                return 0
            # Take the dropped keys out of their business and item indexes as well (the
            # lists an entry was stored under are not in its key; those memberships go
            # when the list's index expires or is invalidated).
            for name in keys:
                owners = self._owners(name)
                if owners is not None:
                    for owner in owners:
                        members.setdefault(owner, []).append(name)
            with self._client.pipeline(transaction=True) as pipe:
                deletes = 0
                for chunk in _chunks(keys):
                    pipe.delete(*chunk)
                    deletes += 1
                for index, names in members.items():
                    for chunk in _chunks(sorted(set(names))):
                        pipe.srem(index, *chunk)
                replies = pipe.execute()
            return sum(replies[:deletes])

        return self._call(operation, drop)

    def _count_entries(self) -> int:
        businesses = self._client.smembers(self._prefix + "idx:businesses")
        if not businesses:
            return 0
        with self._client.pipeline(transaction=False) as pipe:
            for business in businesses:
                pipe.scard(self._prefix + "idx:biz:" + _text(business))
            return sum(pipe.execute())


def _wrong_type(error: BackendUnavailableError) -> bool:
    """Whether ``error`` is Redis saying the key holds another type of value."""
    cause = error.__cause__
    return isinstance(cause, ResponseError) and str(cause).startswith("WRONGTYPE")
