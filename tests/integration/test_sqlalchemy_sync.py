"""The SQL run history and sync locks: the shipped contracts, and what is SQL's own.

PostgresAdvisoryLock runs on PostgreSQL only; the run history and SqlLeaseLock on
SQLite and PostgreSQL. Two sync runners in two processes share one advisory lock.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from pricekit.errors import BackendUnavailableError, ConflictError, InvalidValueError
from pricekit.ext.sqlalchemy import create_sqlite_engine, metadata
from pricekit.ext.sqlalchemy.sync import (
    PostgresAdvisoryLock,
    SqlLeaseLock,
    SqlSyncRunRepository,
    advisory_lock_key,
    sync_locks,
    sync_runs,
)
from pricekit.sync.ports import SyncLock, SyncRunRepository
from pricekit.sync.runner import PhaseResult, RunReport, RunStatus, SyncContext, SyncRunner
from pricekit.testing.contracts import SyncLockContract, SyncRunRepositoryContract
from pricekit.time import ManualClock

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _report(run_id: str, *, status: RunStatus = RunStatus.OK) -> RunReport:
    return RunReport(run_id=run_id, runner="sync", status=status, started_at=T0, finished_at=T0)


def _run_ids(reports: list[RunReport]) -> list[str]:
    return [report.run_id for report in reports]


@pytest.fixture
def pg_engine(postgresql_url: str) -> Iterator[Engine]:
    """An engine on the test's fresh PostgreSQL database (no tables needed)."""
    engine = create_engine(postgresql_url)
    try:
        yield engine
    finally:
        engine.dispose()


# -- the run history ---------------------------------------------------------------------------


class TestSqlSyncRunRepository(SyncRunRepositoryContract):
    @pytest.fixture
    def sync_run_repository(self, sql_engine: Engine) -> SyncRunRepository:
        return SqlSyncRunRepository(sql_engine)


def test_the_run_table_and_its_keys(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)
    assert inspector.get_pk_constraint("pricekit_sync_runs")["constrained_columns"] == ["seq"]
    uniques = inspector.get_unique_constraints("pricekit_sync_runs")
    assert [(u["name"], u["column_names"]) for u in uniques] == [
        ("uq_pricekit_sync_runs_run_id", ["run_id"])
    ]
    assert inspector.get_pk_constraint("pricekit_sync_locks")["constrained_columns"] == ["name"]


def test_the_columns_hold_the_report_for_a_hosts_queries(sql_engine: Engine) -> None:
    runs = SqlSyncRunRepository(sql_engine)
    phoenix = datetime(2026, 11, 20, 11, 0, tzinfo=timezone(timedelta(hours=-7)))
    report = RunReport("r-1", "nightly", RunStatus.PARTIAL, phoenix, phoenix + timedelta(seconds=3))
    runs.record(report)
    with sql_engine.connect() as conn:
        row = conn.execute(select(sync_runs)).one()
    assert (row.run_id, row.runner, row.status) == ("r-1", "nightly", "partial")
    assert row.started_at == phoenix
    assert row.started_at.tzinfo is UTC
    assert row.report == report.to_dict()
    (back,) = runs.recent()
    assert back.started_at.utcoffset() == timedelta(hours=-7)  # the report keeps its offset


def test_only_the_newest_runs_are_kept(sql_engine: Engine) -> None:
    runs = SqlSyncRunRepository(sql_engine, keep=3)
    for n in range(5):
        runs.record(_report(f"run-{n}"))
    assert _run_ids(runs.recent(10)) == ["run-4", "run-3", "run-2"]
    with sql_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(sync_runs)) == 3
    just_one = SqlSyncRunRepository(sql_engine, keep=1)
    just_one.record(_report("run-5"))
    assert _run_ids(runs.recent(10)) == ["run-5"]


@pytest.mark.parametrize("keep", [0, -1, True])
def test_keep_must_be_at_least_one(keep: Any) -> None:
    engine = create_sqlite_engine()
    with pytest.raises(InvalidValueError) as info:
        SqlSyncRunRepository(engine, keep=keep)
    assert info.value.field == "keep"


def test_a_run_recorded_twice_is_a_conflict_and_writes_nothing(sql_engine: Engine) -> None:
    runs = SqlSyncRunRepository(sql_engine, keep=1)
    runs.record(_report("run-1"))
    with pytest.raises(ConflictError) as info:
        runs.record(_report("run-1", status=RunStatus.FAILED))
    assert (info.value.entity, info.value.id) == ("sync_run", "run-1")
    (kept,) = runs.recent()
    assert kept.status is RunStatus.OK  # the pruning that would follow did not happen
    with pytest.raises(InvalidValueError) as too_long:
        runs.record(_report("r" * 256))
    assert too_long.value.field == "run_id"
    long_runner = RunReport("run-2", "n" * 1000, RunStatus.OK, T0, T0)
    runs.record(long_runner)  # a runner's name has no limit
    assert runs.recent()[0].runner == "n" * 1000


def test_a_broken_database_is_a_backend_error(sql_engine: Engine) -> None:
    runs = SqlSyncRunRepository(sql_engine)
    runs.record(_report("run-1"))
    with sql_engine.begin() as conn:
        conn.execute(text("DROP TABLE pricekit_sync_runs"))
    with pytest.raises(BackendUnavailableError) as info:
        runs.recent()
    assert info.value.backend == sql_engine.dialect.name
    with pytest.raises(BackendUnavailableError):
        runs.record(_report("run-2"))


def test_on_a_connection_a_run_lands_when_the_caller_commits(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        SqlSyncRunRepository(conn).record(_report("run-1"))
        assert _run_ids(SqlSyncRunRepository(conn).recent()) == ["run-1"]
        conn.rollback()
    assert SqlSyncRunRepository(sql_engine).recent() == []
    with Session(sql_engine) as session:
        SqlSyncRunRepository(session).record(_report("run-2"))
        session.commit()
    assert _run_ids(SqlSyncRunRepository(sql_engine).recent()) == ["run-2"]


# -- the lease lock --------------------------------------------------------------------------


class TestSqlLeaseLock(SyncLockContract):
    @pytest.fixture
    def sync_lock(self, sql_engine: Engine) -> SyncLock:
        return SqlLeaseLock(sql_engine, name="sync-test")


def test_a_lease_expires_by_the_injected_clock(sql_engine: Engine) -> None:
    clock = ManualClock(T0)
    lock = SqlLeaseLock(sql_engine, name="sync", clock=clock)
    assert lock.acquire("run-1", ttl_seconds=60)
    assert lock.holder == "run-1"
    clock.advance(timedelta(seconds=59))
    assert not lock.acquire("run-2", ttl_seconds=60)
    assert lock.extend("run-1", ttl_seconds=60)  # now until T0 + 119 s
    clock.advance(timedelta(seconds=59))
    assert not lock.acquire("run-2", ttl_seconds=60)
    clock.advance(timedelta(seconds=1))  # T0 + 119 s: the hold ends, its end excluded
    assert lock.holder is None
    assert not lock.release("run-1")  # expired: no longer run-1's
    assert not lock.extend("run-1", ttl_seconds=60)
    assert lock.acquire("run-2", ttl_seconds=60)
    with sql_engine.connect() as conn:
        row = conn.execute(select(sync_locks)).one()
    assert (row.name, row.owner) == ("sync", "run-2")
    assert row.expires_at == T0 + timedelta(seconds=179)
    for ttl in (float("inf"), float("nan"), 1e300):
        with pytest.raises(InvalidValueError) as refused:
            lock.extend("run-2", ttl_seconds=ttl)
        assert refused.value.field == "ttl_seconds"
    assert lock.holder == "run-2"


def test_lease_locks_on_two_hosts_share_one_row_per_name(sql_engine: Engine) -> None:
    # another host: its own engine (its own connections) on the same database
    if sql_engine.dialect.name == "sqlite":
        other_engine = create_sqlite_engine(sql_engine.url.database)
    else:
        other_engine = create_engine(sql_engine.url)
    try:
        here = SqlLeaseLock(sql_engine, name="sync")
        there = SqlLeaseLock(other_engine, name="sync")
        elsewhere = SqlLeaseLock(other_engine, name="another-job")
        assert here.acquire("host-a", ttl_seconds=60)
        assert not there.acquire("host-b", ttl_seconds=60)
        assert not there.release("host-b")
        assert there.holder == "host-a"
        assert elsewhere.acquire("host-b", ttl_seconds=60)  # another name, another lock
        assert here.release("host-a")
        assert there.acquire("host-b", ttl_seconds=60)
    finally:
        other_engine.dispose()


def test_a_lease_lock_needs_an_engine_and_a_name(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn, pytest.raises(InvalidValueError) as info:
        SqlLeaseLock(conn, name="sync")  # type: ignore[arg-type]
    assert info.value.field == "bind"
    for name in ("", "x" * 256):
        with pytest.raises(InvalidValueError) as named:
            SqlLeaseLock(sql_engine, name=name)
        assert named.value.field == "name"


# -- the PostgreSQL advisory lock ------------------------------------------------------------


class TestPostgresAdvisoryLock(SyncLockContract):
    expires = False

    @pytest.fixture
    def sync_lock(self, pg_engine: Engine) -> SyncLock:
        return PostgresAdvisoryLock(pg_engine, name="sync-test")


def _advisory_holders(engine: Engine) -> list[int]:
    """The server pids that hold an advisory lock (on any key)."""
    with engine.connect() as conn:
        return list(
            conn.scalars(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"))
        )


def test_the_advisory_lock_is_held_by_one_session_and_given_back(pg_engine: Engine) -> None:
    lock = PostgresAdvisoryLock(pg_engine, name="sync")
    assert lock.key == advisory_lock_key("sync")
    assert lock.acquire("run-1", ttl_seconds=0.2)
    assert lock.owner == "run-1"
    assert len(_advisory_holders(pg_engine)) == 1
    with pg_engine.connect() as conn:  # the key is the lock's, seen from another session
        assert conn.scalar(select(func.pg_try_advisory_lock(lock.key))) is False
    time.sleep(0.5)  # no TTL: the hold does not end by itself
    assert not lock.acquire("run-2", ttl_seconds=0.2)
    assert lock.extend("run-1", ttl_seconds=0.2)
    assert lock.release("run-1")
    assert _advisory_holders(pg_engine) == []
    assert pg_engine.pool.checkedout() == 0  # the session went back to the pool, unlocked


def test_two_advisory_locks_of_one_name_exclude_each_other(
    pg_engine: Engine, postgresql_url: str
) -> None:
    other_engine = create_engine(postgresql_url)
    try:
        here = PostgresAdvisoryLock(pg_engine, name="sync")
        there = PostgresAdvisoryLock(other_engine, name="sync")
        elsewhere = PostgresAdvisoryLock(other_engine, name="another-job")
        assert here.acquire("host-a", ttl_seconds=60)
        assert not there.acquire("host-b", ttl_seconds=60)
        assert not there.extend("host-a", ttl_seconds=60)  # its object never took it
        assert elsewhere.acquire("host-b", ttl_seconds=60)
        assert here.release("host-a")
        assert there.acquire("host-b", ttl_seconds=60)
        assert there.release("host-b")
        assert elsewhere.release("host-b")
    finally:
        other_engine.dispose()


def test_a_terminated_session_frees_the_advisory_lock(pg_engine: Engine) -> None:
    lock = PostgresAdvisoryLock(pg_engine, name="sync")
    rival = PostgresAdvisoryLock(pg_engine, name="sync")
    assert lock.acquire("run-1", ttl_seconds=60)
    (pid,) = _advisory_holders(pg_engine)
    with pg_engine.connect() as conn:
        assert conn.scalar(select(func.pg_terminate_backend(pid))) is True
    deadline = time.monotonic() + 10
    while _advisory_holders(pg_engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rival.acquire("run-2", ttl_seconds=60)  # the server dropped the lock with the session
    assert not lock.extend("run-1", ttl_seconds=60)  # and the old holder learns it lost it
    assert lock.owner is None
    assert not lock.release("run-1")
    assert not lock.acquire("run-1", ttl_seconds=60)
    assert rival.release("run-2")
    assert lock.acquire("run-1", ttl_seconds=60)  # the object still works after losing one
    assert lock.release("run-1")


def test_a_holder_that_was_terminated_can_acquire_again_without_extending(
    pg_engine: Engine,
) -> None:
    lock = PostgresAdvisoryLock(pg_engine, name="sync")
    assert lock.acquire("run-1", ttl_seconds=60)
    (pid,) = _advisory_holders(pg_engine)
    with pg_engine.connect() as conn:
        conn.scalar(select(func.pg_terminate_backend(pid)))
    deadline = time.monotonic() + 10
    while _advisory_holders(pg_engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.acquire("run-2", ttl_seconds=60)  # the dead hold is noticed and dropped
    assert lock.release("run-2")


def test_an_advisory_lock_needs_postgresql(tmp_path: Path) -> None:
    engine = create_sqlite_engine(tmp_path / "db.sqlite")
    try:
        with pytest.raises(InvalidValueError, match="PostgreSQL") as info:
            PostgresAdvisoryLock(engine, name="sync")
        assert info.value.field == "engine"
        assert info.value.value == "sqlite"
    finally:
        engine.dispose()
    with pytest.raises(InvalidValueError) as not_an_engine:
        PostgresAdvisoryLock("postgresql://x/y", name="sync")  # type: ignore[arg-type]
    assert not_an_engine.value.field == "engine"


def test_advisory_keys_are_stable_64_bit_integers() -> None:
    assert advisory_lock_key("sync") == advisory_lock_key("sync")
    assert advisory_lock_key("sync") != advisory_lock_key("sync2")
    assert advisory_lock_key("sync") == 8486856468664585971
    assert all(-(2**63) <= advisory_lock_key(n) < 2**63 for n in ("a", "é" * 255))
    with pytest.raises(InvalidValueError):
        advisory_lock_key("")


# -- across processes --------------------------------------------------------------------------

# Spawned children import this module, then run these functions with what they are given.


class _CountingPhase:
    """A phase that counts its runs and holds the lock until the rival run has finished."""

    name = "count"

    def __init__(self, runs: Any, rival_done: Any) -> None:
        self._runs = runs
        self._rival_done = rival_done

    def run(self, context: SyncContext) -> PhaseResult:
        with self._runs.get_lock():
            self._runs.value += 1
        # If both runs got here, neither sets the event and each waits the whole timeout.
        waited = self._rival_done.wait(timeout=20)
        return PhaseResult(counts={"waited": int(waited)})


def _run_sync_in_a_process(url: str, start: Any, runs: Any, rival_done: Any, results: Any) -> None:
    engine = create_engine(url)
    try:
        runner = SyncRunner(
            [_CountingPhase(runs, rival_done)],
            lock=PostgresAdvisoryLock(engine, name="nightly-sync"),
            history=SqlSyncRunRepository(engine),
        )
        start.wait(timeout=60)
        report = runner.run_once()
        if report.status is RunStatus.SKIPPED:
            rival_done.set()
        results.put(report.to_dict())
    finally:
        engine.dispose()


def _hold_and_die(url: str, held: Any) -> None:
    engine = create_engine(url)
    assert PostgresAdvisoryLock(engine, name="nightly-sync").acquire("doomed", ttl_seconds=60)
    held.set()
    time.sleep(60)  # killed long before


def test_two_runners_in_two_processes_run_the_phases_once(
    pg_engine: Engine, postgresql_url: str
) -> None:
    metadata.create_all(pg_engine, tables=[sync_runs])
    spawn = multiprocessing.get_context("spawn")
    start, rival_done = spawn.Barrier(2), spawn.Event()
    runs, results = spawn.Value("i", 0), spawn.Queue()
    processes = [
        spawn.Process(
            target=_run_sync_in_a_process,
            args=(postgresql_url, start, runs, rival_done, results),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    reports = [RunReport.from_dict(results.get(timeout=120)) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    results.close()
    results.join_thread()

    assert runs.value == 1
    assert sorted(r.status.value for r in reports) == ["ok", "skipped"]
    (ok,) = [r for r in reports if r.status is RunStatus.OK]
    (skipped,) = [r for r in reports if r.status is RunStatus.SKIPPED]
    assert skipped.reason == "already running"
    assert ok.phase("count").result.counts == {"waited": 1}  # it held the lock meanwhile
    history = SqlSyncRunRepository(pg_engine).recent()
    assert _run_ids(history) == [ok.run_id, skipped.run_id]  # both recorded, skip first
    assert _advisory_holders(pg_engine) == []


def test_a_process_that_dies_holding_the_advisory_lock_frees_it(
    pg_engine: Engine, postgresql_url: str
) -> None:
    spawn = multiprocessing.get_context("spawn")
    held = spawn.Event()
    process = spawn.Process(target=_hold_and_die, args=(postgresql_url, held))
    process.start()
    try:
        assert held.wait(timeout=60)
        lock = PostgresAdvisoryLock(pg_engine, name="nightly-sync")
        assert not lock.acquire("next-run", ttl_seconds=60)
        assert process.pid is not None
        os.kill(process.pid, 9)  # no release, no clean shutdown
        process.join(timeout=30)
        deadline = time.monotonic() + 10
        while not lock.acquire("next-run", ttl_seconds=60):
            assert time.monotonic() < deadline, "the dead process's lock was never freed"
            time.sleep(0.05)
        assert lock.release("next-run")
    finally:
        if process.is_alive():
            process.kill()
            process.join()
