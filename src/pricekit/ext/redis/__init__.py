"""pricekit's shared caches and sync lock on Redis, through redis-py.

Needs the ``redis`` extra (``pip install 'pricekit[redis]'``). Nothing connects
at import: every adapter takes an injected ``redis.Redis`` client, built with
connect and socket timeouts so that a dead or slow server fails fast.
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("redis", extra="redis")

from pricekit.ext.redis._breaker import BreakerState, BreakerStats, CircuitBreaker  # noqa: E402
from pricekit.ext.redis.deals import DEFAULT_INDEX_KEY, RedisDealCache, encode_deals  # noqa: E402
from pricekit.ext.redis.lock import DEFAULT_LOCK_NAME, RedisSyncLock  # noqa: E402
from pricekit.ext.redis.prices import RedisPriceCache  # noqa: E402

__all__ = [
    "DEFAULT_INDEX_KEY",
    "DEFAULT_LOCK_NAME",
    "BreakerState",
    "BreakerStats",
    "CircuitBreaker",
    "RedisDealCache",
    "RedisPriceCache",
    "RedisSyncLock",
    "encode_deals",
]
