"""A small, thread-safe circuit breaker: stop calling a backend that keeps failing.

A :class:`CircuitBreaker` wraps each call to a backend (``breaker.call("get", fn)``):

- **closed** (the normal state): calls go through; ``failures`` consecutive
  failures open it, and any success resets the count;
- **open**: calls fail at once with
  :class:`~pricekit.errors.BackendUnavailableError`, without touching the
  backend, until ``cooldown`` has passed since it opened;
- **half-open**: after the cooldown, the next call goes through as a probe while
  every other call still fails fast; if the probe succeeds the breaker closes, if
  it fails the breaker opens again for another cooldown.

A call "fails" when the function it runs raises (anything: the adapters raise
:class:`~pricekit.errors.BackendUnavailableError` for the backend's own errors).
One breaker can guard several adapters on the same server, so a dead server is
noticed once for all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from pricekit.errors import BackendUnavailableError, InvalidValueError

__all__ = ["BreakerState", "BreakerStats", "CircuitBreaker"]

_T = TypeVar("_T")


class BreakerState(StrEnum):
    """Where a :class:`CircuitBreaker` is."""

    CLOSED = "closed"
    """Calls go through."""
    OPEN = "open"
    """Calls fail fast until the cooldown has passed."""
    HALF_OPEN = "half_open"
    """One probe call is going through; the others fail fast."""


@dataclass(frozen=True, slots=True)
class BreakerStats:
    """A consistent snapshot of a breaker's counters.

    Attributes:
        state: The state when the snapshot was taken.
        calls: Calls that went through to the backend (probes included).
        failures: Calls that went through and failed.
        rejected: Calls failed fast without touching the backend.
        trips: How many times the breaker opened (a failed probe counts too).
    """

    state: BreakerState
    calls: int
    failures: int
    rejected: int
    trips: int


class CircuitBreaker:
    """Fails fast while a backend is down, and probes it again after a cooldown.

    Args:
        failures: How many consecutive failures open the breaker; at least 1.
        cooldown: How long it stays open before letting one probe through; above zero.
        clock: Seconds from a monotonic source (``time.monotonic`` by default);
            tests inject their own to skip the cooldown without sleeping.
        backend: The backend's name, for the errors raised while open.

    Raises:
        InvalidValueError: ``failures`` below 1 or a ``cooldown`` not above zero.
    """

    __slots__ = (
        "_backend",
        "_calls",
        "_clock",
        "_consecutive",
        "_cooldown",
        "_failed",
        "_failures",
        "_lock",
        "_opened_at",
        "_rejected",
        "_state",
        "_trips",
    )

    def __init__(
        self,
        *,
        failures: int = 5,
        cooldown: timedelta = timedelta(seconds=30),
        clock: Callable[[], float] = time.monotonic,
        backend: str = "redis",
    ) -> None:
        if type(failures) is not int or failures < 1:
            raise InvalidValueError(
                field="failures", value=failures, reason="must be an int of at least 1"
            )
        if not isinstance(cooldown, timedelta) or cooldown <= timedelta(0):
            raise InvalidValueError(
                field="cooldown", value=cooldown, reason="must be a timedelta above zero"
            )
        self._failures = failures
        self._cooldown = cooldown.total_seconds()
        self._clock = clock
        self._backend = backend
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._calls = self._failed = self._rejected = self._trips = 0

    @property
    def state(self) -> BreakerState:
        """The current state.

        An open breaker whose cooldown has passed stays ``OPEN`` until the next
        call goes through as the probe.
        """
        with self._lock:
            return self._state

    def stats(self) -> BreakerStats:
        """The breaker's state and counters, read together."""
        with self._lock:
            return BreakerStats(
                state=self._state,
                calls=self._calls,
                failures=self._failed,
                rejected=self._rejected,
                trips=self._trips,
            )

    def call(
        self,
        operation: str,
        function: Callable[[], _T],
        *,
        failure_types: tuple[type[Exception], ...] = (Exception,),
    ) -> _T:
        """Run ``function`` unless the breaker is open; record how it went.

        Args:
            operation: What the call does, for the error raised when it is refused.
            function: The call to the backend.
            failure_types: The exceptions that mean the backend failed (down, slow).
                Any other exception means it answered, with an error: the call
                counts as a success (a ``WRONGTYPE`` reply proves Redis is up).

        Returns:
            What ``function`` returned.

        Raises:
            BackendUnavailableError: The breaker is open (or half-open with a probe
                already in flight); ``function`` was not called.
            Exception: Whatever ``function`` raised.
        """
        with self._lock:
            if self._state is not BreakerState.CLOSED:
                waited = self._clock() - self._opened_at
                if self._state is BreakerState.HALF_OPEN or waited < self._cooldown:
                    self._rejected += 1
                    raise BackendUnavailableError(
                        backend=self._backend,
                        operation=operation,
                        cause=f"circuit breaker open after {self._failures} consecutive "
                        f"failures; not calling {self._backend} until a probe succeeds",
                    )
                self._state = BreakerState.HALF_OPEN  # this call is the probe
            self._calls += 1
        try:
            result = function()
        except failure_types:
            self._record(ok=False)
            raise
        except Exception:
            self._record(ok=True)
            raise
        except BaseException:  # interrupted: no verdict on the backend
            self._record(ok=None)
            raise
        self._record(ok=True)
        return result

    def reset(self) -> None:
        """Close the breaker and forget the consecutive failures (counters are kept)."""
        with self._lock:
            self._state = BreakerState.CLOSED
            self._consecutive = 0

    def _record(self, *, ok: bool | None) -> None:
        with self._lock:
            if ok is None:
                if self._state is BreakerState.HALF_OPEN:
                    self._state = BreakerState.OPEN  # the next call probes again
                return
            if ok:
                self._consecutive = 0
                self._state = BreakerState.CLOSED
                return
            self._failed += 1
            self._consecutive += 1
            if self._state is BreakerState.HALF_OPEN or (
                self._state is BreakerState.CLOSED and self._consecutive >= self._failures
            ):
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._trips += 1

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(failures={self._failures}, "
            f"cooldown={timedelta(seconds=self._cooldown)!r}, state={self.state.value!r})"
        )
