"""The sync runner's lock on Redis: redis-py's ``Lock``, one key, the owner as its token.

:class:`RedisSyncLock` implements :class:`~pricekit.sync.ports.SyncLock` for
sync runners on many processes or machines that share one Redis. It is
redis-py's :class:`redis.lock.Lock`, used without blocking:

- :meth:`~RedisSyncLock.acquire` is ``SET name owner NX PX ttl``: taken only if
  nobody (the same owner neither) holds it;
- :meth:`~RedisSyncLock.extend` and :meth:`~RedisSyncLock.release` are
  redis-py's Lua scripts, which check that the key still holds the owner before
  they ``PEXPIRE`` (the TTL replaced: ``ttl_seconds`` from now) or ``DEL`` it.

The owner string is the lock's token, so a holder is known by its owner alone,
from any process or object: another owner can neither extend nor release it,
and a hold that expired (its TTL ran out, e.g. a process died) is no longer its
owner's. Redis keeps the time, so the hosts' clocks do not matter.

A Redis error is a :class:`~pricekit.errors.BackendUnavailableError`:
:meth:`~RedisSyncLock.acquire` on a dead server raises rather than answering
"held" or "free", for either answer could be wrong.
"""

from __future__ import annotations

import math
from typing import Any

import redis
from redis.exceptions import LockNotOwnedError, RedisError
from redis.lock import Lock

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis._client import fail_fast_client

__all__ = ["DEFAULT_LOCK_NAME", "RedisSyncLock"]

DEFAULT_LOCK_NAME = "pricekit:sync-lock"
"""The key of the sync lock unless another name is given."""

_BACKEND = "redis"
_MIN_TTL_SECONDS = 0.001  # Redis counts in milliseconds; PX 0 is refused
_MAX_TTL_MS = 2**62  # far below where Redis refuses an expiry as overflowing


def _ttl(ttl_seconds: float) -> float:
    """``ttl_seconds`` as redis-py's Lock takes it: checked, at least one millisecond.

    Raises:
        InvalidValueError: Not above 0, not finite, or too large for Redis.
    """
    if not ttl_seconds > 0:
        raise InvalidValueError(field="ttl_seconds", value=ttl_seconds, reason="must be above 0")
    if not math.isfinite(ttl_seconds) or ttl_seconds * 1000 > _MAX_TTL_MS:
        raise InvalidValueError(
            field="ttl_seconds", value=ttl_seconds, reason="too large for a Redis expiry"
        )
    return max(ttl_seconds, _MIN_TTL_SECONDS)


class RedisSyncLock:
    """A :class:`~pricekit.sync.ports.SyncLock` on Redis for runs on many processes or hosts.

    Stateless between calls (each builds a redis-py ``Lock`` for the key), so
    threads and processes may share it or hold their own; what counts is the
    key in Redis. See the module for the commands.

    Args:
        client: The Redis client; give it connect and socket timeouts (see
            :meth:`from_url`).
        name: The key; every runner that must not overlap uses the same.

    Raises:
        InvalidValueError: An empty ``name``.
    """

    def __init__(self, client: redis.Redis, *, name: str = DEFAULT_LOCK_NAME) -> None:
        if not name:
            raise InvalidValueError(field="name", value=name, reason="must not be empty")
        self.client = client
        self.name = name

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        name: str = DEFAULT_LOCK_NAME,
        socket_connect_timeout: float = 0.5,
        socket_timeout: float = 0.5,
        retries: int = 1,
        **options: Any,
    ) -> RedisSyncLock:
        """A lock on a new client for ``url``, set to fail fast when the server is gone.

        Args:
            url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
            name: As for the constructor.
            socket_connect_timeout: Seconds to wait for a connection.
            socket_timeout: Seconds to wait for a reply.
            retries: How many times a command is retried, at once, after a
                connection error (redis-py's default: ten, with a back-off).
            **options: Passed on to ``redis.Redis.from_url``.
        """
        client = fail_fast_client(
            url,
            socket_connect_timeout=socket_connect_timeout,
            socket_timeout=socket_timeout,
            retries=retries,
            **options,
        )
        return cls(client, name=name)

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lock for ``owner`` unless someone (``owner`` too) holds it; never waits.

        Returns:
            ``True`` if taken; ``False`` if it is held.

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0, or not finite.
            BackendUnavailableError: Redis could not answer (whether the lock is
                held is unknown).
        """
        lock = self._lock(_ttl(ttl_seconds))
        try:
            return bool(lock.acquire(blocking=False, token=owner))
        except RedisError as exc:
            raise self._failure("take", exc) from exc

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        """Hold on ``ttl_seconds`` more from now; ``False`` if ``owner`` lost the lock.

        The key's TTL is replaced, not added to (redis-py's ``replace_ttl=True``).

        Raises:
            InvalidValueError: ``ttl_seconds`` is not above 0, or not finite.
            BackendUnavailableError: Redis could not answer.
        """
        ttl = _ttl(ttl_seconds)
        lock = self._held_by(owner, ttl)
        try:
            lock.extend(ttl, replace_ttl=True)
        except LockNotOwnedError:
            return False
        except RedisError as exc:
            raise self._failure("extend", exc) from exc
        return True

    def release(self, owner: str) -> bool:
        """Let go; ``False`` (and nothing changes) if ``owner`` does not hold it.

        Raises:
            BackendUnavailableError: Redis could not answer.
        """
        lock = self._held_by(owner, None)
        try:
            lock.release()
        except LockNotOwnedError:
            return False
        except RedisError as exc:
            raise self._failure("release", exc) from exc
        return True

    @property
    def holder(self) -> str | None:
        """Who holds the lock now, if anyone.

        Raises:
            BackendUnavailableError: Redis could not answer.
        """
        try:
            token = self.client.get(self.name)
        except RedisError as exc:
            raise self._failure("read", exc) from exc
        if isinstance(token, bytes):
            return token.decode(errors="replace")
        return token

    # -- helpers --------------------------------------------------------------------------

    def _lock(self, ttl: float | None) -> Lock:
        """redis-py's lock on the key; its token is not thread-local (the owner says who)."""
        return Lock(self.client, self.name, timeout=ttl, blocking=False, thread_local=False)

    def _held_by(self, owner: str, ttl: float | None) -> Lock:
        """A lock that believes ``owner`` holds it; its scripts check that against Redis."""
        lock = self._lock(ttl)
        lock.local.token = owner  # redis-py encodes it as it encoded the token on acquire
        return lock

    def _failure(self, verb: str, exc: RedisError) -> BackendUnavailableError:
        return BackendUnavailableError(
            backend=_BACKEND,
            operation=f"{verb} the sync lock {self.name!r}",
            cause=f"{type(exc).__name__}: {exc}",
        )
