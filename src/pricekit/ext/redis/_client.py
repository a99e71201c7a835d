"""The Redis client every adapter's ``from_url`` builds: one that fails fast."""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

__all__ = ["fail_fast_client"]


def fail_fast_client(
    url: str,
    *,
    socket_connect_timeout: float,
    socket_timeout: float,
    retries: int,
    **options: Any,
) -> redis.Redis:
    """A client for ``url`` that gives up quickly when the server is gone or slow.

    redis-py's default retries ten times with a growing back-off, which can hold
    one call for seconds; this client retries a command ``retries`` times at
    once, and only after a connection error (enough to replace a pooled
    connection the server dropped), never after a timeout.

    Args:
        url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
        socket_connect_timeout: Seconds to wait for a connection.
        socket_timeout: Seconds to wait for a reply.
        retries: How many times a command is retried after a connection error.
        **options: Passed on to ``redis.Redis.from_url``.
    """
    client: redis.Redis = redis.Redis.from_url(
        url,
        socket_connect_timeout=socket_connect_timeout,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
        **options,
    )
    return client
