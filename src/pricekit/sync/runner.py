"""The sync runner: ordered phases, one run at a time, a report and a history.

A :class:`Phase` is a small protocol: a ``name`` and ``run(context)`` returning
a :class:`PhaseResult` (counts, warnings, errors, per-location outcomes).
:class:`SyncRunner` runs its phases in order under a
:class:`~pricekit.sync.ports.SyncLock`:

- a run that finds the lock held returns at once a report with status
  ``skipped`` ("already running");
- the lock is extended between phases; a run that lost it stops;
- a phase that raises or reports errors is recorded; by :class:`FailurePolicy`
  the run stops (later phases ``skipped``) or goes on;
- every run's :class:`RunReport` goes to a
  :class:`~pricekit.sync.ports.SyncRunRepository`;
- progress events (:class:`PhaseStarted`, :class:`LocationDone`,
  :class:`PhaseFinished`) go to ``on_progress``, for progress bars; log records
  carry the run id.

:meth:`SyncRunner.run_once` is for cron, a systemd timer, a Kubernetes CronJob
or any job system; :meth:`SyncRunner.run_forever` is a standalone loop that
stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import FrameType
from typing import Any, Protocol, runtime_checkable

from pricekit.errors import InvalidValueError
from pricekit.sync.lock import InProcessLock
from pricekit.sync.ports import Location, SyncLock, SyncRunRepository
from pricekit.time import Clock, SystemClock

__all__ = [
    "FailurePolicy",
    "InMemorySyncRunRepository",
    "LocationDone",
    "LocationOutcome",
    "Phase",
    "PhaseFinished",
    "PhaseReport",
    "PhaseResult",
    "PhaseStarted",
    "PhaseStatus",
    "ProgressEvent",
    "RunReport",
    "RunStatus",
    "SyncContext",
    "SyncRunner",
]

logger = logging.getLogger("pricekit.sync")


class PhaseStatus(StrEnum):
    """How a phase ended."""

    OK = "ok"
    WARNINGS = "warnings"
    """It ran; some locations or records had problems it worked around."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """It did not run: an earlier phase failed and the policy stops, or it is disabled."""


class RunStatus(StrEnum):
    """How a run ended."""

    OK = "ok"
    PARTIAL = "partial"
    """Every phase ran; some reported warnings or failed and the run went on."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """It did not run: another run held the lock."""


class FailurePolicy(StrEnum):
    """What a failed phase does to the rest of the run."""

    STOP = "stop"
    CONTINUE = "continue"


@dataclass(frozen=True, slots=True)
class LocationOutcome:
    """What one phase did for one location.

    Attributes:
        location_id: The location.
        ok: Whether it went through.
        detail: What happened, in words (e.g. "12 deals from dutchie-pos").
        counts: Numbers for the location (e.g. ``{"deals": 12}``).
    """

    location_id: str
    ok: bool
    detail: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """What a phase returns.

    Attributes:
        counts: Totals (e.g. ``{"deals": 240, "locations": 20}``).
        warnings: Problems worked around.
        errors: Problems that mean the phase failed.
        locations: Each location's outcome, for phases that work per location.
        skipped: The reason the phase did nothing (e.g. disabled), if it did nothing.
    """

    counts: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    locations: tuple[LocationOutcome, ...] = ()
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class PhaseReport:
    """One phase in a run's report.

    Attributes:
        name: The phase.
        status: How it ended.
        duration_seconds: How long it ran.
        result: What it returned (or what the runner recorded for it).
    """

    name: str
    status: PhaseStatus
    duration_seconds: float
    result: PhaseResult

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_seconds": round(self.duration_seconds, 6),
            "counts": dict(self.result.counts),
            "warnings": list(self.result.warnings),
            "errors": list(self.result.errors),
            "skipped": self.result.skipped,
            "locations": [
                {
                    "location_id": o.location_id,
                    "ok": o.ok,
                    "detail": o.detail,
                    "counts": dict(o.counts),
                }
                for o in self.result.locations
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhaseReport:
        """The report :meth:`to_dict` gave (as a history repository reads it back).

        Raises:
            InvalidValueError: ``data`` is not a phase report's shape.
        """
        try:
            return cls(
                name=str(data["name"]),
                status=PhaseStatus(data["status"]),
                duration_seconds=float(data["duration_seconds"]),
                result=PhaseResult(
                    counts={str(k): int(v) for k, v in data["counts"].items()},
                    warnings=tuple(str(w) for w in data["warnings"]),
                    errors=tuple(str(e) for e in data["errors"]),
                    skipped=None if data["skipped"] is None else str(data["skipped"]),
                    locations=tuple(
                        LocationOutcome(
                            location_id=str(o["location_id"]),
                            ok=bool(o["ok"]),
                            detail=str(o["detail"]),
                            counts={str(k): int(v) for k, v in o["counts"].items()},
                        )
                        for o in data["locations"]
                    ),
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidValueError(
                field="phase", value=data, reason=f"not a phase report ({exc!r})"
            ) from exc


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run of the runner.

    Attributes:
        run_id: The run's id (also on every log record of the run).
        runner: The runner's name.
        status: How it ended.
        started_at: When it started.
        finished_at: When it ended.
        phases: Each phase's report, in order.
        reason: Why it was skipped or failed, in words.
    """

    run_id: str
    runner: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime
    phases: tuple[PhaseReport, ...] = ()
    reason: str = ""

    @property
    def duration_seconds(self) -> float:
        """How long the run took."""
        return (self.finished_at - self.started_at).total_seconds()

    def phase(self, name: str) -> PhaseReport:
        """The report of the phase named ``name``.

        Raises:
            KeyError: No phase of that name ran in this run.
        """
        for report in self.phases:
            if report.name == name:
                return report
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON values (for a log line, a file or an API)."""
        return {
            "run_id": self.run_id,
            "runner": self.runner,
            "status": self.status.value,
            "reason": self.reason,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 6),
            "phases": [p.to_dict() for p in self.phases],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunReport:
        """The report :meth:`to_dict` gave; durations come back to the microsecond.

        Raises:
            InvalidValueError: ``data`` is not a run report's shape, or its
                instants are not timezone-aware ISO 8601 text.
        """
        try:
            started_at = datetime.fromisoformat(data["started_at"])
            finished_at = datetime.fromisoformat(data["finished_at"])
            if started_at.tzinfo is None or finished_at.tzinfo is None:
                raise ValueError("naive instant")
            return cls(
                run_id=str(data["run_id"]),
                runner=str(data["runner"]),
                status=RunStatus(data["status"]),
                reason=str(data["reason"]),
                started_at=started_at,
                finished_at=finished_at,
                phases=tuple(PhaseReport.from_dict(p) for p in data["phases"]),
            )
        except InvalidValueError:
            raise  # a phase's, naming the phase
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidValueError(
                field="report", value=data, reason=f"not a run report ({exc!r})"
            ) from exc


# -- progress -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhaseStarted:
    """A phase is starting (``index`` of ``total``, 1-based)."""

    run_id: str
    phase: str
    index: int
    total: int
    locations: int


@dataclass(frozen=True, slots=True)
class LocationDone:
    """A phase is done with one location (``done`` of ``total``)."""

    run_id: str
    phase: str
    location_id: str
    ok: bool
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class PhaseFinished:
    """A phase has ended."""

    run_id: str
    phase: str
    status: PhaseStatus
    duration_seconds: float


ProgressEvent = PhaseStarted | LocationDone | PhaseFinished
"""What ``on_progress`` receives."""


# -- phases -------------------------------------------------------------------------------


class SyncContext:
    """What a phase runs with: the run, its locations, state shared between phases.

    Attributes:
        run_id: The run's id.
        at: The instant the run started.
        locations: The locations of the run.
        state: Values phases hand on to later phases (e.g. the discount phase
            puts each location's deals under ``"deals"``; the cache phase reads
            them).
        log: A logger whose records carry the run id (``extra={"run_id": ...}``).
    """

    def __init__(
        self,
        *,
        run_id: str,
        at: datetime,
        locations: Sequence[Location],
        emit: Callable[[ProgressEvent], None],
    ) -> None:
        self.run_id = run_id
        self.at = at
        self.locations: tuple[Location, ...] = tuple(locations)
        self.state: dict[str, Any] = {}
        self.log = logging.LoggerAdapter(logger, {"run_id": run_id})
        self._emit = emit
        self._phase = ""
        self._done = 0

    def _start(self, phase: str) -> None:
        self._phase, self._done = phase, 0

    def location_done(self, location_id: str, *, ok: bool, total: int | None = None) -> None:
        """Report one location done (for progress bars).

        Args:
            location_id: The location.
            ok: Whether it went through.
            total: How many locations this phase goes through, when not every
                location of the run (the cache phase skips those whose read
                failed); the event's ``total``, so a bar can end full.
        """
        self._done += 1
        count = len(self.locations) if total is None else total
        self._emit(LocationDone(self.run_id, self._phase, location_id, ok, self._done, count))


@runtime_checkable
class Phase(Protocol):
    """One step of a sync run."""

    name: str
    """A short, unique name: ``inventory``, ``discounts``, ``cache``."""

    def run(self, context: SyncContext) -> PhaseResult:
        """Do the step; report what happened (raise only for what it cannot report)."""
        ...


# -- history ------------------------------------------------------------------------------


class InMemorySyncRunRepository:
    """The run history in memory, the newest ``keep`` runs (a :class:`SyncRunRepository`)."""

    def __init__(self, *, keep: int = 100) -> None:
        if keep < 1:
            raise InvalidValueError(field="keep", value=keep, reason="must be at least 1")
        self._keep = keep
        self._runs: list[RunReport] = []
        self._lock = threading.Lock()

    def record(self, report: RunReport) -> None:
        """Keep ``report`` (dropping the oldest past ``keep``)."""
        with self._lock:
            self._runs.append(report)
            del self._runs[: -self._keep]

    def recent(self, limit: int = 20) -> list[RunReport]:
        """The latest ``limit`` reports, newest first."""
        if limit < 1:
            raise InvalidValueError(field="limit", value=limit, reason="must be at least 1")
        with self._lock:
            return list(reversed(self._runs[-limit:]))


# -- the runner ---------------------------------------------------------------------------


class SyncRunner:
    """Runs phases in order, never two runs at once.

    Args:
        phases: The phases, in order; names must be unique.
        locations: The locations each run covers (or a callable giving them at
            each run, e.g. read from a database).
        lock: The lock that keeps runs apart (default: in this process only).
        history: Where run reports go (default: in memory).
        policy: Whether a failed phase stops the run or lets later phases go on.
        lock_ttl: How long the lock is held before it must be extended; the
            runner extends it between phases, so make it longer than the
            longest phase.
        clock: The clock for ``started_at`` and ``finished_at``.
        on_progress: Called with every progress event.
        name: The runner's name, in reports and the lock owner.

    Raises:
        InvalidValueError: No phases, two phases with one name, a ``lock_ttl``
            that is not positive.
    """

    def __init__(
        self,
        phases: Sequence[Phase],
        *,
        locations: Sequence[Location] | Callable[[], Sequence[Location]] = (),
        lock: SyncLock | None = None,
        history: SyncRunRepository | None = None,
        policy: FailurePolicy = FailurePolicy.CONTINUE,
        lock_ttl: timedelta = timedelta(minutes=15),
        clock: Clock | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        name: str = "sync",
    ) -> None:
        if not phases:
            raise InvalidValueError(field="phases", value=[], reason="a runner needs a phase")
        seen: set[str] = set()
        for index, phase in enumerate(phases):
            if phase.name in seen:
                raise InvalidValueError(
                    field=f"phases[{index}].name", value=phase.name, reason="named twice"
                )
            seen.add(phase.name)
        if lock_ttl <= timedelta(0):
            raise InvalidValueError(field="lock_ttl", value=lock_ttl, reason="must be above 0")
        self.phases: tuple[Phase, ...] = tuple(phases)
        self._locations = locations
        self.lock: SyncLock = lock if lock is not None else InProcessLock()
        self.history: SyncRunRepository = (
            history if history is not None else InMemorySyncRunRepository()
        )
        self.policy = policy
        self._ttl = lock_ttl.total_seconds()
        self._clock = clock or SystemClock()
        self._on_progress = on_progress
        self.name = name

    def _emit(self, event: ProgressEvent) -> None:
        if self._on_progress is not None:
            try:
                self._on_progress(event)
            except Exception:  # a broken progress bar never stops a sync
                logger.exception("progress callback failed", extra={"run_id": event.run_id})

    def _current_locations(self) -> tuple[Location, ...]:
        found = self._locations() if callable(self._locations) else self._locations
        return tuple(found)

    def run_once(self) -> RunReport:
        """Run every phase once, or report at once that another run holds the lock.

        Never raises for what a run can report: a lock that cannot be reached
        (Redis or the database down) gives a ``failed`` report and no phase runs;
        a lock that cannot be extended stops the run as a lost lock; a release
        or a history write that fails is logged.
        """
        run_id = uuid.uuid4().hex[:12]
        owner = f"{self.name}:{socket.gethostname()}:{os.getpid()}:{run_id}"
        started = self._clock.now()
        log = logging.LoggerAdapter(logger, {"run_id": run_id})
        try:
            taken = self.lock.acquire(owner, ttl_seconds=self._ttl)
        except Exception as error:  # unknown whether another run holds it: run nothing
            log.exception("sync %s failed: the lock could not be taken", self.name)
            reason = f"the lock could not be taken: {type(error).__name__}: {error}"
            return self._finish(
                RunReport(run_id, self.name, RunStatus.FAILED, started, started, reason=reason),
                log,
            )
        if not taken:
            log.info("sync %s skipped: already running", self.name)
            return self._finish(
                RunReport(
                    run_id, self.name, RunStatus.SKIPPED, started, started, reason="already running"
                ),
                log,
            )
        try:
            phases, status, reason = self._run_phases(run_id, started, owner, log)
        finally:
            try:
                self.lock.release(owner)
            except Exception:  # it expires by itself; the run's report still counts
                log.exception("sync %s: the lock could not be released", self.name)
        report = RunReport(
            run_id, self.name, status, started, self._clock.now(), tuple(phases), reason
        )
        log.info("sync %s %s in %.3f s", self.name, status.value, report.duration_seconds)
        return self._finish(report, log)

    def _finish(self, report: RunReport, log: logging.LoggerAdapter[logging.Logger]) -> RunReport:
        """Keep ``report`` in the history (a history that fails is logged) and return it."""
        try:
            self.history.record(report)
        except Exception:
            log.exception("sync %s: the run's report could not be kept", self.name)
        return report

    def _extended(self, owner: str, log: logging.LoggerAdapter[logging.Logger]) -> tuple[bool, str]:
        """Whether the lock was extended, and why not."""
        try:
            if self.lock.extend(owner, ttl_seconds=self._ttl):
                return True, ""
        except Exception as error:
            log.exception("sync %s: the lock could not be extended", self.name)
            return (
                False,
                f"lost the lock (it could not be extended: {type(error).__name__}: {error})",
            )
        return False, "lost the lock (it expired and another run took it)"

    def _run_phases(
        self, run_id: str, started: datetime, owner: str, log: logging.LoggerAdapter[logging.Logger]
    ) -> tuple[list[PhaseReport], RunStatus, str]:
        context = SyncContext(
            run_id=run_id, at=started, locations=self._current_locations(), emit=self._emit
        )
        reports: list[PhaseReport] = []
        stop_reason = ""
        for index, phase in enumerate(self.phases, start=1):
            if stop_reason:
                reports.append(
                    PhaseReport(
                        phase.name, PhaseStatus.SKIPPED, 0.0, PhaseResult(skipped=stop_reason)
                    )
                )
                continue
            report = self._run_phase(phase, index, context, log)
            reports.append(report)
            if report.status is PhaseStatus.FAILED and self.policy is FailurePolicy.STOP:
                stop_reason = f"phase {phase.name!r} failed"
            elif index < len(self.phases):
                extended, why = self._extended(owner, log)
                if not extended:
                    stop_reason = why
                    log.error("sync %s %s", self.name, stop_reason)
        return reports, _overall(reports, stop_reason), stop_reason

    def _run_phase(
        self,
        phase: Phase,
        index: int,
        context: SyncContext,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> PhaseReport:
        context._start(phase.name)
        self._emit(
            PhaseStarted(
                context.run_id, phase.name, index, len(self.phases), len(context.locations)
            )
        )
        begun = time.perf_counter()
        try:
            result = phase.run(context)
        except Exception as error:  # recorded, not raised: the policy decides
            log.exception("phase %s raised", phase.name)
            result = PhaseResult(errors=(f"{type(error).__name__}: {error}",))
        duration = time.perf_counter() - begun
        status = _status_of(result)
        for warning in result.warnings:
            log.warning("phase %s: %s", phase.name, warning)
        for error_text in result.errors:
            log.error("phase %s: %s", phase.name, error_text)
        self._emit(PhaseFinished(context.run_id, phase.name, status, duration))
        return PhaseReport(phase.name, status, duration, result)

    def run_forever(
        self,
        every: timedelta,
        *,
        stop: threading.Event | None = None,
        handle_signals: bool = True,
    ) -> list[RunReport]:
        """Run every ``every`` until stopped; the reports of the runs made.

        A run starts on each tick; a run longer than ``every`` delays the next
        tick rather than overlapping it. SIGINT and SIGTERM (when
        ``handle_signals`` and called from the main thread) finish the current
        run and return; so does setting ``stop``.

        Raises:
            InvalidValueError: ``every`` is not positive.
        """
        if every <= timedelta(0):
            raise InvalidValueError(field="every", value=every, reason="must be above 0")
        event = stop or threading.Event()
        reports: list[RunReport] = []
        with _stopping_on_signals(event, enabled=handle_signals):
            while not event.is_set():
                begun = time.monotonic()
                try:
                    reports.append(self.run_once())
                except Exception:  # e.g. the locations callable raised: the next tick retries
                    logger.exception("sync %s: the run raised", self.name)
                event.wait(max(every.total_seconds() - (time.monotonic() - begun), 0.0))
        return reports


def _status_of(result: PhaseResult) -> PhaseStatus:
    if result.errors:
        return PhaseStatus.FAILED
    if result.skipped is not None:
        return PhaseStatus.SKIPPED
    if result.warnings or any(not o.ok for o in result.locations):
        return PhaseStatus.WARNINGS
    return PhaseStatus.OK


def _overall(reports: Sequence[PhaseReport], stop_reason: str) -> RunStatus:
    if stop_reason:
        return RunStatus.FAILED
    if any(r.status in (PhaseStatus.FAILED, PhaseStatus.WARNINGS) for r in reports):
        return RunStatus.PARTIAL
    return RunStatus.OK


@contextmanager
def _stopping_on_signals(event: threading.Event, *, enabled: bool) -> Iterator[None]:
    """Set ``event`` on SIGINT and SIGTERM while inside; the old handlers are put back after.

    Only from the main thread (the only one Python lets install handlers).
    """
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %s: finishing the current run, then stopping", signum)
        event.set()

    if enabled and threading.current_thread() is threading.main_thread():
        for wanted in (signal.SIGINT, signal.SIGTERM):
            previous[wanted] = signal.signal(wanted, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
