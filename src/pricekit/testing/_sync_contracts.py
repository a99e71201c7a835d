"""Contract suites for the sync runner's ports: the lock and the run history.

Each suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for::

    import pytest
    from pricekit.testing.contracts import SyncLockContract

    class TestMyLock(SyncLockContract):
        @pytest.fixture
        def sync_lock(self, my_redis):
            return MyLock(my_redis, name="sync-test")

Needs pytest (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")

import time  # noqa: E402
from datetime import UTC, datetime, timedelta, timezone  # noqa: E402
from typing import ClassVar, NoReturn  # noqa: E402

import pytest  # noqa: E402

from pricekit.errors import InvalidValueError  # noqa: E402
from pricekit.sync.ports import SyncLock, SyncRunRepository  # noqa: E402
from pricekit.sync.runner import (  # noqa: E402
    LocationOutcome,
    PhaseReport,
    PhaseResult,
    PhaseStatus,
    RunReport,
    RunStatus,
)
from pricekit.testing._threads import race  # noqa: E402

__all__ = ["SyncLockContract", "SyncRunRepositoryContract"]

_T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
_PHOENIX = timezone(timedelta(hours=-7))


def _fail_without_fixture(suite: object, fixture: str, what: str) -> NoReturn:
    pytest.fail(f"{type(suite).__name__} must define a {fixture!r} fixture returning {what}")


class SyncLockContract:
    """The contract every :class:`~pricekit.sync.ports.SyncLock` must keep.

    Provide a fixture ``sync_lock`` returning a lock nobody holds, not shared
    with any other test. A lock that cannot expire (one held by a database
    session, freed when the session ends) sets ``expires = False``; the suite
    then checks that a hold outlives its TTL until it is released.
    """

    expires: ClassVar[bool] = True
    """Whether a hold ends by itself ``ttl_seconds`` after it was taken or extended."""

    ttl_seconds: ClassVar[float] = 0.4
    """The short TTL the expiry tests use; they wait about twice as long."""

    @pytest.fixture
    def sync_lock(self) -> SyncLock:
        _fail_without_fixture(self, "sync_lock", "a lock nobody holds")

    def test_is_the_protocol(self, sync_lock: SyncLock) -> None:
        assert isinstance(sync_lock, SyncLock)

    def test_one_owner_at_a_time(self, sync_lock: SyncLock) -> None:
        assert sync_lock.acquire("run-1", ttl_seconds=60)
        assert not sync_lock.acquire("run-2", ttl_seconds=60)
        assert not sync_lock.acquire("run-1", ttl_seconds=60)  # not re-entrant either
        assert sync_lock.release("run-1")
        assert sync_lock.acquire("run-2", ttl_seconds=60)
        assert sync_lock.release("run-2")

    def test_only_the_owner_extends_or_releases(self, sync_lock: SyncLock) -> None:
        assert not sync_lock.extend("run-1", ttl_seconds=60)
        assert not sync_lock.release("run-1")
        assert sync_lock.acquire("run-1", ttl_seconds=60)
        assert not sync_lock.extend("run-2", ttl_seconds=60)
        assert not sync_lock.release("run-2")
        assert not sync_lock.acquire("run-2", ttl_seconds=60)  # still run-1's
        assert sync_lock.extend("run-1", ttl_seconds=60)
        assert sync_lock.release("run-1")
        assert not sync_lock.release("run-1")
        assert not sync_lock.extend("run-1", ttl_seconds=60)

    @pytest.mark.parametrize("ttl", [0, -1.0])
    def test_a_ttl_that_is_not_positive_is_refused(self, sync_lock: SyncLock, ttl: float) -> None:
        with pytest.raises(InvalidValueError) as info:
            sync_lock.acquire("run-1", ttl_seconds=ttl)
        assert info.value.field == "ttl_seconds"
        assert sync_lock.acquire("run-1", ttl_seconds=60)  # nothing was taken
        with pytest.raises(InvalidValueError):
            sync_lock.extend("run-1", ttl_seconds=ttl)
        assert sync_lock.release("run-1")

    def test_many_threads_one_winner(self, sync_lock: SyncLock) -> None:
        taken = race(8, lambda n: sync_lock.acquire(f"run-{n}", ttl_seconds=60))
        assert taken.count(True) == 1
        assert taken.count(False) == 7
        winner = f"run-{taken.index(True)}"
        assert sync_lock.release(winner)

    def test_a_hold_ends_after_its_ttl_only_where_the_lock_expires(
        self, sync_lock: SyncLock
    ) -> None:
        assert sync_lock.acquire("run-1", ttl_seconds=self.ttl_seconds)
        time.sleep(self.ttl_seconds * 2)
        if self.expires:
            assert sync_lock.acquire("run-2", ttl_seconds=60)
            assert not sync_lock.extend("run-1", ttl_seconds=60)
            assert not sync_lock.release("run-1")
            assert sync_lock.release("run-2")
        else:  # held until released, however long that takes
            assert not sync_lock.acquire("run-2", ttl_seconds=60)
            assert sync_lock.extend("run-1", ttl_seconds=60)
            assert sync_lock.release("run-1")

    def test_extending_keeps_the_hold_past_its_first_ttl(self, sync_lock: SyncLock) -> None:
        assert sync_lock.acquire("run-1", ttl_seconds=self.ttl_seconds)
        time.sleep(self.ttl_seconds / 2)
        assert sync_lock.extend("run-1", ttl_seconds=60)
        time.sleep(self.ttl_seconds)
        assert not sync_lock.acquire("run-2", ttl_seconds=60)
        assert sync_lock.release("run-1")


def _report(run_id: str, *, at: datetime = _T0, status: RunStatus = RunStatus.OK) -> RunReport:
    return RunReport(
        run_id=run_id,
        runner="sync",
        status=status,
        started_at=at,
        finished_at=at + timedelta(seconds=2, microseconds=250_000),
    )


def _detailed(run_id: str) -> RunReport:
    """A partial run with every part of a report filled."""
    return RunReport(
        run_id=run_id,
        runner="nightly — Tempe & Mesa",
        status=RunStatus.PARTIAL,
        started_at=datetime(2026, 11, 20, 11, 0, 0, 123_456, tzinfo=_PHOENIX),
        finished_at=datetime(2026, 11, 20, 18, 0, 4, 500_001, tzinfo=UTC),
        reason="",
        phases=(
            PhaseReport(
                name="discounts",
                status=PhaseStatus.WARNINGS,
                duration_seconds=3.141593,
                result=PhaseResult(
                    counts={"deals": 12, "locations": 2, "failed_locations": 1},
                    warnings=("loc-b: dutchie-pos answered 503 three times",),
                    locations=(
                        LocationOutcome("loc-a", True, "12 deals from dutchie-pos", {"deals": 12}),
                        LocationOutcome("loc-b", False, "dutchie-pos: 503 'Service Unavailable'"),
                    ),
                ),
            ),
            PhaseReport(
                name="inventory_push",
                status=PhaseStatus.SKIPPED,
                duration_seconds=0.0,
                result=PhaseResult(skipped="disabled", errors=("none pushed: «sink» down",)),
            ),
        ),
    )


class SyncRunRepositoryContract:
    """The contract every :class:`~pricekit.sync.ports.SyncRunRepository` must keep.

    Provide a fixture ``sync_run_repository`` returning a fresh, empty history
    that keeps at least 100 runs.
    """

    @pytest.fixture
    def sync_run_repository(self) -> SyncRunRepository:
        _fail_without_fixture(self, "sync_run_repository", "a fresh, empty run history")

    def test_is_the_protocol(self, sync_run_repository: SyncRunRepository) -> None:
        assert isinstance(sync_run_repository, SyncRunRepository)

    def test_empty(self, sync_run_repository: SyncRunRepository) -> None:
        assert sync_run_repository.recent() == []

    def test_every_part_of_a_report_comes_back(
        self, sync_run_repository: SyncRunRepository
    ) -> None:
        report = _detailed("run-1")
        sync_run_repository.record(report)
        (stored,) = sync_run_repository.recent()
        assert stored.to_dict() == report.to_dict()
        assert stored.started_at == report.started_at
        assert stored.finished_at == report.finished_at
        assert (
            stored.phase("discounts").result.locations == report.phase("discounts").result.locations
        )

    def test_newest_first_by_recording_order(self, sync_run_repository: SyncRunRepository) -> None:
        # run-2 started earlier but was recorded later: recording order decides
        sync_run_repository.record(_report("run-1", at=_T0))
        sync_run_repository.record(_report("run-2", at=_T0 - timedelta(hours=1)))
        sync_run_repository.record(_report("run-3", at=_T0, status=RunStatus.SKIPPED))
        assert [r.run_id for r in sync_run_repository.recent()] == ["run-3", "run-2", "run-1"]
        assert [r.run_id for r in sync_run_repository.recent(2)] == ["run-3", "run-2"]
        assert sync_run_repository.recent(1)[0].status is RunStatus.SKIPPED

    @pytest.mark.parametrize("limit", [0, -3])
    def test_a_limit_below_one_is_refused(
        self, sync_run_repository: SyncRunRepository, limit: int
    ) -> None:
        with pytest.raises(InvalidValueError) as info:
            sync_run_repository.recent(limit)
        assert info.value.field == "limit"

    def test_runs_recorded_from_many_threads_are_all_kept(
        self, sync_run_repository: SyncRunRepository
    ) -> None:
        def work(n: int) -> None:
            for k in range(5):
                sync_run_repository.record(_report(f"run-{n}-{k}"))

        assert race(8, work) == [None] * 8
        kept = sync_run_repository.recent(100)
        assert sorted(r.run_id for r in kept) == sorted(
            f"run-{n}-{k}" for n in range(8) for k in range(5)
        )
        # each thread's runs come back in the order that thread recorded them
        for n in range(8):
            mine = [r.run_id for r in kept if r.run_id.startswith(f"run-{n}-")]
            assert mine == [f"run-{n}-{k}" for k in reversed(range(5))]
