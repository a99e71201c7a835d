"""The core's sync lock: one run at a time within one process.

:class:`InProcessLock` implements :class:`~pricekit.sync.ports.SyncLock` with a
mutex and an expiry read from a clock, so a run that died without releasing
does not hold the lock forever. For many processes or machines, use the Redis
or PostgreSQL lock of those adapters: the runner takes any ``SyncLock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pricekit.errors import InvalidValueError

__all__ = ["InProcessLock"]


def _positive(ttl_seconds: float) -> None:
    if not ttl_seconds > 0:
        raise InvalidValueError(field="ttl_seconds", value=ttl_seconds, reason="must be above 0")


class InProcessLock:
    """A :class:`~pricekit.sync.ports.SyncLock` for the runs of one process.

    Args:
        monotonic: The clock expiries are read from (seconds); tests pass a fake.
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._mutex = threading.Lock()
        self._monotonic = monotonic
        self._owner: str | None = None
        self._expires = 0.0

    def _held_by(self) -> str | None:
        if self._owner is not None and self._monotonic() >= self._expires:
            self._owner = None  # expired: free
        return self._owner

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lock for ``owner`` unless someone (``owner`` too) holds it; never waits."""
        _positive(ttl_seconds)
        with self._mutex:
            if self._held_by() is not None:
                return False
            self._owner = owner
            self._expires = self._monotonic() + ttl_seconds
            return True

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        """Hold on ``ttl_seconds`` more from now; ``False`` if ``owner`` lost the lock."""
        _positive(ttl_seconds)
        with self._mutex:
            if self._held_by() != owner:
                return False
            self._expires = self._monotonic() + ttl_seconds
            return True

    def release(self, owner: str) -> bool:
        """Let go; ``False`` (and nothing changes) if ``owner`` does not hold it."""
        with self._mutex:
            if self._held_by() != owner:
                return False
            self._owner = None
            return True

    @property
    def holder(self) -> str | None:
        """Who holds the lock now, if anyone."""
        with self._mutex:
            return self._held_by()
