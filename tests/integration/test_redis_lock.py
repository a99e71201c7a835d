"""The Redis sync lock: the shipped contract, the key it keeps, a dead server, two processes."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import port_for
import pytest
import redis

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.redis.lock import DEFAULT_LOCK_NAME, RedisSyncLock
from pricekit.sync.ports import SyncLock
from pricekit.sync.runner import PhaseResult, RunReport, RunStatus, SyncContext, SyncRunner
from pricekit.testing.contracts import SyncLockContract

pytestmark = pytest.mark.redis


class TestRedisSyncLock(SyncLockContract):
    expires = True

    @pytest.fixture
    def sync_lock(self, redis_client: redis.Redis) -> SyncLock:
        return RedisSyncLock(redis_client, name="sync-test")


def test_the_key_holds_the_owner_and_extend_replaces_its_ttl(redis_client: redis.Redis) -> None:
    lock = RedisSyncLock(redis_client)
    assert lock.name == DEFAULT_LOCK_NAME == "pricekit:sync-lock"
    assert lock.holder is None
    assert lock.acquire("sync:host-a:41:abc", ttl_seconds=60)
    assert redis_client.get(DEFAULT_LOCK_NAME) == b"sync:host-a:41:abc"
    assert 59_000 < redis_client.pttl(DEFAULT_LOCK_NAME) <= 60_000
    assert lock.holder == "sync:host-a:41:abc"

    assert lock.extend("sync:host-a:41:abc", ttl_seconds=5)
    assert 4_000 < redis_client.pttl(DEFAULT_LOCK_NAME) <= 5_000  # replaced, not 65 s
    assert lock.extend("sync:host-a:41:abc", ttl_seconds=120.5)
    assert 119_000 < redis_client.pttl(DEFAULT_LOCK_NAME) <= 120_500

    assert not lock.release("sync:host-b:7:def")
    assert redis_client.get(DEFAULT_LOCK_NAME) == b"sync:host-a:41:abc"
    assert lock.release("sync:host-a:41:abc")
    assert redis_client.exists(DEFAULT_LOCK_NAME) == 0
    assert lock.holder is None


def test_an_expired_holder_cannot_release_the_next_holders_lock(redis_client: redis.Redis) -> None:
    lock = RedisSyncLock(redis_client, name="sync")
    assert lock.acquire("run-1", ttl_seconds=0.05)
    time.sleep(0.15)
    assert lock.holder is None  # Redis expired the key
    assert lock.acquire("run-2", ttl_seconds=60)
    assert not lock.release("run-1")
    assert not lock.extend("run-1", ttl_seconds=60)
    assert redis_client.get("sync") == b"run-2"
    assert 59_000 < redis_client.pttl("sync") <= 60_000  # run-1's extend did not touch it


def test_the_owner_alone_says_who_holds_it_across_objects_and_clients(
    redis_client: redis.Redis, redis_url: str
) -> None:
    other_client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        here = RedisSyncLock(redis_client, name="sync")
        there = RedisSyncLock(other_client, name="sync")
        elsewhere = RedisSyncLock(other_client, name="another-job")
        assert here.acquire("run-é", ttl_seconds=60)
        assert there.holder == "run-é"  # a client that decodes replies reads it as text
        assert not there.acquire("run-2", ttl_seconds=60)
        assert there.extend("run-é", ttl_seconds=60)  # the same owner, from anywhere
        assert elsewhere.acquire("run-2", ttl_seconds=60)  # another name, another lock
        assert there.release("run-é")
        assert here.acquire("run-3", ttl_seconds=60)
        assert here.release("run-3")
        assert elsewhere.release("run-2")
    finally:
        other_client.close()


@pytest.mark.parametrize("ttl", [float("inf"), float("nan"), 1e300, -0.001])
def test_a_ttl_redis_cannot_keep_is_refused(redis_client: redis.Redis, ttl: float) -> None:
    lock = RedisSyncLock(redis_client, name="sync")
    with pytest.raises(InvalidValueError) as taking:
        lock.acquire("run-1", ttl_seconds=ttl)
    assert taking.value.field == "ttl_seconds"
    assert lock.holder is None
    assert lock.acquire("run-1", ttl_seconds=60)
    with pytest.raises(InvalidValueError) as extending:
        lock.extend("run-1", ttl_seconds=ttl)
    assert extending.value.field == "ttl_seconds"
    assert redis_client.pttl("sync") > 59_000


def test_a_ttl_below_a_millisecond_holds_for_one(redis_client: redis.Redis) -> None:
    lock = RedisSyncLock(redis_client, name="sync")
    assert lock.acquire("run-1", ttl_seconds=1e-6)  # PX 0 would be refused by Redis
    time.sleep(0.05)
    assert lock.acquire("run-2", ttl_seconds=60)
    assert not lock.extend("run-1", ttl_seconds=1e-6)
    assert lock.extend("run-2", ttl_seconds=1e-6)  # PEXPIRE 0 would delete the key at once
    time.sleep(0.05)
    assert lock.holder is None


def test_a_lock_needs_a_name(redis_client: redis.Redis) -> None:
    with pytest.raises(InvalidValueError) as info:
        RedisSyncLock(redis_client, name="")
    assert info.value.field == "name"


# -- a dead server -----------------------------------------------------------------------------


def test_a_dead_server_is_an_error_never_free_or_held() -> None:
    port = port_for.select_random()
    lock = RedisSyncLock.from_url(f"redis://127.0.0.1:{port}/0", name="sync")
    calls = {
        "take": lambda: lock.acquire("run-1", ttl_seconds=60),
        "extend": lambda: lock.extend("run-1", ttl_seconds=60),
        "release": lambda: lock.release("run-1"),
        "read": lambda: lock.holder,
    }
    for verb, call in calls.items():
        begun = time.monotonic()
        with pytest.raises(BackendUnavailableError) as info:
            call()
        assert time.monotonic() - begun < 3, verb
        assert info.value.backend == "redis"
        assert info.value.operation == f"{verb} the sync lock 'sync'"
        assert "ConnectionError" in str(info.value)
        assert isinstance(info.value.__cause__, redis.RedisError)


class _Counting:
    name = "count"

    def __init__(self) -> None:
        self.runs = 0

    def run(self, context: SyncContext) -> PhaseResult:
        self.runs += 1
        return PhaseResult()


def test_a_runner_whose_lock_server_is_dead_runs_no_phase() -> None:
    port = port_for.select_random()
    phase = _Counting()
    runner = SyncRunner([phase], lock=RedisSyncLock.from_url(f"redis://127.0.0.1:{port}/0"))
    outcome: RunReport | BackendUnavailableError
    try:
        outcome = runner.run_once()
    except BackendUnavailableError as exc:  # today the runner lets the lock's error out
        outcome = exc
    assert phase.runs == 0
    if isinstance(outcome, RunReport):
        assert outcome.status is not RunStatus.OK


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


class _Last:
    name = "last"

    def run(self, context: SyncContext) -> PhaseResult:
        return PhaseResult()


def _run_sync_in_a_process(url: str, start: Any, runs: Any, rival_done: Any, results: Any) -> None:
    lock = RedisSyncLock.from_url(url, name="nightly-sync")
    try:
        runner = SyncRunner([_CountingPhase(runs, rival_done), _Last()], lock=lock)
        start.wait(timeout=60)
        report = runner.run_once()
        if report.status is RunStatus.SKIPPED:
            rival_done.set()
        results.put(report.to_dict())
    finally:
        lock.client.close()


def _hold_and_die(url: str, held: Any) -> None:
    assert RedisSyncLock.from_url(url, name="nightly-sync").acquire("doomed", ttl_seconds=3)
    held.set()
    time.sleep(60)  # killed long before


def test_two_runners_in_two_processes_run_the_phases_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    spawn = multiprocessing.get_context("spawn")
    start, rival_done = spawn.Barrier(2), spawn.Event()
    runs, results = spawn.Value("i", 0), spawn.Queue()
    processes = [
        spawn.Process(
            target=_run_sync_in_a_process, args=(redis_url, start, runs, rival_done, results)
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
    assert ok.phase("last").status.value == "ok"  # the lock was extended between phases
    assert redis_client.exists("nightly-sync") == 0  # released


def test_a_process_that_dies_holding_the_lock_frees_it_when_its_ttl_ends(
    redis_client: redis.Redis, redis_url: str
) -> None:
    spawn = multiprocessing.get_context("spawn")
    held = spawn.Event()
    process = spawn.Process(target=_hold_and_die, args=(redis_url, held))
    process.start()
    try:
        assert held.wait(timeout=60)
        lock = RedisSyncLock(redis_client, name="nightly-sync")
        process.kill()  # no release, no clean shutdown
        process.join(timeout=30)
        assert not lock.acquire("next-run", ttl_seconds=60)  # still held: its TTL runs
        assert lock.holder == "doomed"
        deadline = time.monotonic() + 10
        while not lock.acquire("next-run", ttl_seconds=60):
            assert time.monotonic() < deadline, "the dead process's lock never expired"
            time.sleep(0.05)
        assert lock.release("next-run")
    finally:
        if process.is_alive():
            process.kill()
            process.join()
