"""The deal cache on Redis, in the seed's own keys: ``discounts:{location}``, a JSON array.

:class:`RedisDealCache` implements :class:`~pricekit.deals.ports.DealCache` so
that a frontend that reads the seed's cache keeps working: each location's deals
are one string key, ``discounts:{location_id}``
(:func:`~pricekit.deals.ports.deal_cache_key`, after an optional prefix),
holding a JSON array of the seed's stored records
(:meth:`~pricekit.deals.models.Deal.to_record`: composite ids, ``products`` /
``brands`` / ``product_categories`` arrays, ``monday`` .. ``sunday`` booleans,
``source``), read back by :meth:`~pricekit.deals.models.Deal.from_record`, which
loses no field. The keys never expire: a sync that fails leaves the last set,
never an empty menu.

Writes are atomic:

- :meth:`~RedisDealCache.replace` is one ``MULTI``/``EXEC``: ``SET`` the key and
  ``SADD`` the location to the index set;
- :meth:`~RedisDealCache.merge_ptl` is an optimistic transaction: ``WATCH`` the
  key, read it, merge with pricekit's own
  :func:`~pricekit.deals.merge.merge_ptl` (in Python, not re-implemented in Lua),
  then ``SET`` inside ``MULTI``/``EXEC``. If any other client wrote the key
  meanwhile, ``EXEC`` fails and the merge starts again from the new set, after a
  short random back-off; after ``max_attempts`` lost races it gives up with a
  :class:`~pricekit.deals.ports.DealCacheError`, having written nothing. (A
  connection lost after ``EXEC`` was sent leaves the outcome unknown; merging
  the same publication again gives the same set, so the webhook may retry.)

A stored value pricekit cannot read (not JSON, not an array, a record that does
not read back, a deal of another location or an id twice) is a
:class:`~pricekit.deals.ports.DealCacheError`, logged: never "no deals".
:meth:`~RedisDealCache.replace` overwrites it; :meth:`~RedisDealCache.merge_ptl`
refuses it and writes nothing, for merging would drop the Dutchie deals it
cannot read. Records of an older pricekit (or of the seed's pipeline) that lack
optional fields read with their defaults.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from typing import Any

import redis
from redis.exceptions import RedisError, WatchError

from pricekit.deals.merge import merge_ptl
from pricekit.deals.models import Deal
from pricekit.deals.ports import DEAL_CACHE_KEY, DealCacheError, check_deal_set, deal_cache_key
from pricekit.errors import InvalidValueError
from pricekit.ext.redis._client import fail_fast_client

__all__ = ["DEFAULT_INDEX_KEY", "RedisDealCache", "encode_deals"]

logger = logging.getLogger(__name__)

DEFAULT_INDEX_KEY = "pricekit:deal-locations"
"""The Redis set of the locations with a cached set (after the cache's prefix)."""

_BACKEND = "redis"
_MERGE = "merge a PTL publication into"
_KEY_STEM = DEAL_CACHE_KEY.removesuffix("{location_id}")  # "discounts:"
_GLOB_SPECIALS = "\\*?[]"
_BACKOFF_BASE = 0.002
_BACKOFF_CAP = 0.05


def _text(value: bytes | str) -> str:
    """A Redis reply as text (the client may or may not decode responses)."""
    return value.decode() if isinstance(value, bytes) else value


def _glob_escape(text: str) -> str:
    """``text`` as a literal inside a Redis ``MATCH`` pattern."""
    return "".join(f"\\{char}" if char in _GLOB_SPECIALS else char for char in text)


def encode_deals(deals: Sequence[Deal]) -> bytes:
    """The stored value of a set: a compact JSON array of the deals' seed records (UTF-8).

    What ``JSON.stringify`` would write for the same records, so the seed's
    frontend reads it as before.
    """
    records = [deal.to_record() for deal in deals]
    return json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()


class RedisDealCache:
    """Each location's deals under ``discounts:{location_id}``. Safe to share between threads.

    Implements :class:`~pricekit.deals.ports.DealCache` (see the module for the
    stored shape and how writes stay atomic). Every Redis error is a
    :class:`~pricekit.deals.ports.DealCacheError` naming the location (never an
    empty answer, never a redis-py exception), as is a stored value that does
    not read back.

    :meth:`locations` reads an index set (``pricekit:deal-locations``) that every
    write updates in the same transaction as the key, rather than scanning the
    keyspace, which the price cache shares; keys written by someone else (the
    seed's own pipeline) join it through :meth:`reindex`.

    Args:
        client: The Redis client; give it connect and socket timeouts (see
            :meth:`from_url`), so a dead server fails fast instead of hanging.
        prefix: Put before every key (``""``: the seed's keys exactly).
        max_attempts: How many times :meth:`merge_ptl` tries before it gives up
            when other clients keep writing the same location.

    Raises:
        InvalidValueError: ``max_attempts`` is below 1.
    """

    def __init__(self, client: redis.Redis, *, prefix: str = "", max_attempts: int = 50) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise InvalidValueError(
                field="max_attempts", value=max_attempts, reason="must be at least 1"
            )
        self.client = client
        self.prefix = prefix
        self.index_key = prefix + DEFAULT_INDEX_KEY
        self.max_attempts = max_attempts

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "",
        socket_connect_timeout: float = 0.5,
        socket_timeout: float = 0.5,
        retries: int = 1,
        **options: Any,
    ) -> RedisDealCache:
        """A cache on a new client for ``url``, set to fail fast when the server is gone.

        redis-py's own default retries a failed connection ten times with a
        growing back-off (seconds in all); this client retries ``retries`` times
        at once, enough to replace a pooled connection the server dropped.

        Args:
            url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
            prefix: As for the constructor.
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
        return cls(client, prefix=prefix)

    def key(self, location_id: str) -> str:
        """The Redis key of the location's deals: ``{prefix}discounts:{location_id}``.

        Raises:
            InvalidValueError: An empty ``location_id``.
        """
        return self.prefix + deal_cache_key(location_id)

    # -- the port -------------------------------------------------------------------------

    def get(self, location_id: str) -> list[Deal] | None:
        """The deals cached for the location (``None``: none cached; ``[]``: cached empty).

        Raises:
            DealCacheError: Redis could not be read, or the stored value is not a
                JSON array of deals of the location that pricekit can read.
        """
        key = self.key(location_id)
        try:
            raw = self.client.get(key)
        except RedisError as exc:
            raise _failure(location_id, "read", exc) from exc
        return None if raw is None else self._decode(location_id, raw, "read")

    def replace(self, location_id: str, deals: Sequence[Deal]) -> None:
        """Cache ``deals`` as the location's whole set, atomically: all or nothing.

        One ``MULTI``/``EXEC``: the key is set (whatever it held before, a
        value pricekit cannot read too) and the location joins the index.

        Raises:
            InvalidValueError: A deal of another location (``deals[i].location_id``)
                or an id given twice (``deals[i].id``); nothing is written.
            DealCacheError: Redis could not be written; the previous set stays.
        """
        checked = check_deal_set(location_id, deals)
        key = self.key(location_id)
        payload = encode_deals(checked)
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.set(key, payload)
                pipe.sadd(self.index_key, location_id)
                pipe.execute()
        except RedisError as exc:
            raise _failure(location_id, "replace", exc) from exc

    def merge_ptl(self, location_id: str, deals: Sequence[Deal]) -> list[Deal]:
        """Replace the location's PTL deals with ``deals``, atomically; the merged set.

        ``WATCH`` the key, read the cached set (none cached: empty), merge with
        :func:`pricekit.deals.merge.merge_ptl`, and write the result in
        ``MULTI``/``EXEC``, which fails if another client wrote the key since the
        ``WATCH``; then start again from the new set, after a random back-off
        (up to ``max_attempts`` times).

        Raises:
            InvalidValueError: As :func:`pricekit.deals.merge.merge_ptl`; nothing
                is written.
            DealCacheError: Redis could not be read or written, the stored value
                does not read back, or other clients won the race ``max_attempts``
                times in a row; nothing is written.
        """
        key = self.key(location_id)
        try:
            for attempt in range(self.max_attempts):
                with self.client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(key)  # type: ignore[no-untyped-call]  # untyped in redis-py
                        raw = pipe.get(key)
                        existing = [] if raw is None else self._decode(location_id, raw, _MERGE)
                        merged = merge_ptl(existing, deals, location_id=location_id)
                        pipe.multi()
                        pipe.set(key, encode_deals(merged))
                        pipe.sadd(self.index_key, location_id)
                        pipe.execute()
                    except WatchError:
                        # Another client wrote the key: merge again from its set. (redis-py
                        # raises it too when the connection drops while watching; the next
                        # WATCH then fails with the ConnectionError itself.)
                        pass
                    else:
                        return merged
                if attempt + 1 < self.max_attempts:
                    time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)))
        except RedisError as exc:
            raise _failure(location_id, _MERGE, exc) from exc
        raise DealCacheError(
            location_id=location_id,
            operation=_MERGE,
            cause=f"other clients wrote it first {self.max_attempts} times in a row; "
            "nothing was written",
            backend=_BACKEND,
        )

    def locations(self) -> list[str]:
        """The ids of the locations with a cached set (empty sets too), sorted.

        The members of the index set whose key still exists (one pipelined round
        trip checks them), sorted by code point. A key written by another program
        is listed once :meth:`reindex` has found it.

        Raises:
            DealCacheError: Redis could not be read.
        """
        try:
            members = sorted(_text(member) for member in self.client.smembers(self.index_key))
            if not members:
                return []
            with self.client.pipeline(transaction=False) as pipe:
                for location_id in members:
                    pipe.exists(self.key(location_id))
                present = pipe.execute()
        except RedisError as exc:
            raise _failure(None, "list", exc) from exc
        return [location_id for location_id, found in zip(members, present, strict=True) if found]

    # -- beyond the port ------------------------------------------------------------------

    def reindex(self) -> list[str]:
        """Add every ``{prefix}discounts:*`` key to the index; the locations added.

        For keys written by another program (the seed's own sync, during a
        migration), which :meth:`locations` otherwise does not list. It walks the
        whole keyspace with ``SCAN``, so run it once, not on every request.

        Raises:
            DealCacheError: Redis could not be read or written.
        """
        stem = self.prefix + _KEY_STEM
        try:
            found = {
                _text(key)[len(stem) :]
                for key in self.client.scan_iter(match=_glob_escape(stem) + "*", count=1000)
            }
            found.discard("")
            if not found:
                return []
            known = {_text(member) for member in self.client.smembers(self.index_key)}
            added = sorted(found - known)
            if added:
                self.client.sadd(self.index_key, *added)
        except RedisError as exc:
            raise _failure(None, "index", exc) from exc
        return added

    # -- helpers --------------------------------------------------------------------------

    def _decode(self, location_id: str, raw: bytes | str, operation: str) -> list[Deal]:
        """The deals of a stored value; one pricekit cannot read is a logged DealCacheError."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise self._corrupt(location_id, operation, f"it is not JSON ({exc})") from exc
        if not isinstance(data, list):
            what = type(data).__name__
            raise self._corrupt(location_id, operation, f"it is a JSON {what}, not an array")
        deals: list[Deal] = []
        for position, record in enumerate(data):
            if not isinstance(record, dict):
                what = type(record).__name__
                cause = f"the record at position {position} is a JSON {what}, not an object"
                raise self._corrupt(location_id, operation, cause)
            try:
                deals.append(Deal.from_record(record))
            except (ValueError, TypeError, LookupError) as exc:  # ModelValidationError too
                cause = f"the record at position {position} does not read back: {exc}"
                raise self._corrupt(location_id, operation, cause) from exc
        try:
            check_deal_set(location_id, deals)
        except InvalidValueError as exc:
            raise self._corrupt(location_id, operation, f"it holds {exc}") from exc
        return deals

    def _corrupt(self, location_id: str, operation: str, cause: str) -> DealCacheError:
        """The error (logged) for a stored value pricekit cannot read."""
        key = self.key(location_id)
        logger.warning("deal cache key %r holds a value pricekit cannot read: %s", key, cause)
        return DealCacheError(
            location_id=location_id,
            operation=operation,
            cause=f"{key} holds a value pricekit cannot read: {cause}",
            backend=_BACKEND,
        )


def _failure(location_id: str | None, operation: str, exc: RedisError) -> DealCacheError:
    """A redis-py error as the port's error."""
    return DealCacheError(
        location_id=location_id,
        operation=operation,
        cause=f"{type(exc).__name__}: {exc}",
        backend=_BACKEND,
    )
