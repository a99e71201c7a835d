"""The sync examples: standalone, APScheduler and Celery, each run for real.

examples/sync_standalone.py over the shipped deal files (once, with --json, with
a corrupt file, in a loop stopped by an event and by a signal);
examples/sync_apscheduler.py's scheduler (job settings, a triggered job, a
started scheduler, overlapping triggers); examples/sync_celery.py's app (tasks
run eagerly, the lock, the beat schedule read by Celery beat's scheduler).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pricekit.deals.models import Deal
from pricekit.deals.sources import parse_dutchie_list
from pricekit.memory import InMemoryDealCache
from pricekit.sync import (
    InProcessLock,
    MarkdownActivationPhase,
    PhaseStarted,
    ProgressEvent,
    PromotionReconcilePhase,
    RunReport,
    RunStatus,
    SyncRunner,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEALS = EXAMPLES / "data" / "deals"
PHX = "America/Phoenix"
EXPECTED_IDS = {
    "flagstaff": ["flagstaff_6001", "flagstaff_6002"],
    "mesa": ["mesa_5107", "mesa_5120"],
    "tempe": ["tempe_4821", "tempe_4830", "tempe_4902"],
}
PHASES = ["inventory", "enrichment", "discounts", "cache"]


def _load(name: str) -> ModuleType:
    if str(EXAMPLES) not in sys.path:  # the examples import their shared demo module
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


standalone = _load("sync_standalone")


@pytest.fixture(scope="module")
def scheduling() -> ModuleType:
    pytest.importorskip("apscheduler", reason="the example needs APScheduler (a dev dependency)")
    return _load("sync_apscheduler")


@pytest.fixture(scope="module")
def celery_example() -> ModuleType:
    pytest.importorskip("celery", reason="the example needs Celery (a dev dependency)")
    return _load("sync_celery")


def deals_in_file(folder: Path, location_id: str) -> list[Deal]:
    """The deals of a file, read here without the source: the list, or the wrapped form's."""
    body = json.loads((folder / f"{location_id}.json").read_text(), parse_float=Decimal)
    records = body["discounts"] if isinstance(body, dict) else body
    return parse_dutchie_list(records, location_id=location_id, time_zone=PHX)


def assert_cache_holds_the_files(cache: InMemoryDealCache, folder: Path = DEALS) -> None:
    assert cache.locations() == sorted(EXPECTED_IDS)
    for location_id, ids in EXPECTED_IDS.items():
        cached = cache.get(location_id)
        assert cached == deals_in_file(folder, location_id)
        assert [deal.id for deal in cached] == ids


class Gate:
    """A progress callback that holds the first run at the start of its discounts phase."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self._armed = True

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, PhaseStarted) and event.phase == "discounts" and self._armed:
            self._armed = False
            self.entered.set()
            assert self.release.wait(10)


# -- standalone ---------------------------------------------------------------------------


def test_standalone_syncs_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    cache = InMemoryDealCache()
    assert standalone.main(["--deals", str(DEALS)], cache=cache) == 0
    out = capsys.readouterr().out
    for index, phase in enumerate(PHASES, start=1):
        assert f"[{index}/4] {phase}: started, 3 location(s)" in out
        assert f"      {phase}: ok in " in out
        for done, location_id in enumerate(sorted(EXPECTED_IDS), start=1):
            assert f"      {phase} {done}/3 {location_id}: ok" in out
    assert ": ok in " in out.split("\nrun ")[1].splitlines()[0]
    assert "  discounts    ok        deals=7, locations=3, failed_locations=0" in out
    for location_id, ids in EXPECTED_IDS.items():
        assert f"  {location_id}: {len(ids)} deal(s)" in out
        for deal_id in ids:
            assert f"    {deal_id}" in out
    assert_cache_holds_the_files(cache)


def test_standalone_json_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert standalone.main(["--deals", str(DEALS), "--json"]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    report = json.loads(line)
    assert report["status"] == "ok"
    assert report["runner"] == "deal-sync"
    assert [phase["name"] for phase in report["phases"]] == PHASES
    discounts = report["phases"][2]
    assert discounts["counts"] == {"deals": 7, "locations": 3, "failed_locations": 0}
    assert [(o["location_id"], o["detail"]) for o in discounts["locations"]] == [
        ("flagstaff", "2 deals from json-files"),
        ("mesa", "2 deals from json-files"),
        ("tempe", "3 deals from json-files"),
    ]
    assert "[3/4] discounts: started" in captured.err  # progress goes to stderr


def test_a_corrupt_file_gives_a_partial_run_that_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "deals"
    shutil.copytree(DEALS, folder)
    cache = InMemoryDealCache()
    assert standalone.main(["--deals", str(folder)], cache=cache) == 0
    capsys.readouterr()
    (folder / "mesa.json").write_text('[{"id": 5107,\n "discountName": ', encoding="utf-8")

    assert standalone.main(["--deals", str(folder), "--json"], cache=cache) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "partial"
    discounts = report["phases"][2]
    assert discounts["status"] == "warnings"
    outcomes = {o["location_id"]: o for o in discounts["locations"]}
    assert (outcomes["flagstaff"]["ok"], outcomes["mesa"]["ok"], outcomes["tempe"]["ok"]) == (
        True,
        False,
        True,
    )
    assert f"{folder / 'mesa.json'}: line 2, column" in outcomes["mesa"]["detail"]
    cache_phase = report["phases"][3]
    assert cache_phase["counts"]["kept"] == 1
    assert cache_phase["warnings"] == ["kept the previously cached deals of mesa (no fresh read)"]
    # mesa keeps what the first run cached; the others were refreshed from their files
    assert_cache_holds_the_files(cache, DEALS)

    assert standalone.main(["--deals", str(folder)], cache=InMemoryDealCache()) == 1
    out = capsys.readouterr().out
    assert "      discounts 2/3 mesa: FAILED" in out
    assert "run " in out
    assert ": partial in " in out
    assert "  mesa: nothing cached" in out  # a fresh cache: nothing to keep
    assert "  tempe: 3 deal(s)" in out


def test_a_folder_without_deal_files_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert standalone.main(["--deals", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / ".tempe.json.tmp").write_text("[]")  # a half-written file is not a store
    assert standalone.main(["--deals", str(tmp_path)]) == 2
    assert "no {location_id}.json files" in capsys.readouterr().err


def test_every_runs_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()

    class StopAfterThreeRuns(InMemoryDealCache):
        writes = 0

        def replace(self, location_id: str, deals: Any) -> None:
            super().replace(location_id, deals)
            self.writes += 1
            if self.writes == 3 * 3:  # the third run has cached every store
                stop.set()

    cache = StopAfterThreeRuns()
    argv = ["--deals", str(DEALS), "--every", "0.01", "--json"]
    assert standalone.main(argv, cache=cache, stop=stop) == 0
    captured = capsys.readouterr()
    reports = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["status"] for r in reports] == ["ok", "ok", "ok"]
    assert len({r["run_id"] for r in reports}) == 3
    assert "stopped after 3 run(s)" in captured.err
    assert_cache_holds_the_files(cache)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_every_exits_cleanly_on_a_signal(signum: signal.Signals) -> None:
    program = subprocess.Popen(
        [sys.executable, "-u", str(EXAMPLES / "sync_standalone.py"), "--every", "0.05", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, program.kill)
    watchdog.start()
    try:
        assert program.stdout is not None
        first = json.loads(program.stdout.readline())  # a run has ended: the handlers are in
        program.send_signal(signum)
        rest, err = program.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if program.poll() is None:
            program.kill()
            program.wait()
    assert program.returncode == 0, err
    reports = [first, *(json.loads(line) for line in rest.splitlines())]
    assert {r["status"] for r in reports} == {"ok"}
    assert f"stopped after {len(reports)} run(s)" in err
    assert "Traceback" not in err


# -- APScheduler --------------------------------------------------------------------------


def _markdown_runner(scheduling: ModuleType) -> tuple[SyncRunner, Any]:
    service = scheduling.demo_markdowns(datetime.now(UTC) - timedelta(minutes=5))
    return scheduling.markdown_runner(service), service


def test_the_scheduler_has_both_jobs_with_their_settings(scheduling: ModuleType) -> None:
    sync = scheduling.deal_sync_runner(cache=InMemoryDealCache())
    markdowns, _ = _markdown_runner(scheduling)
    scheduler = scheduling.build_scheduler(sync, markdowns)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {scheduling.SYNC_JOB, scheduling.MARKDOWN_JOB}
    sync_job, markdown_job = jobs[scheduling.SYNC_JOB], jobs[scheduling.MARKDOWN_JOB]
    assert (sync_job.max_instances, sync_job.coalesce) == (1, True)
    assert (markdown_job.max_instances, markdown_job.coalesce) == (1, True)
    assert sync_job.trigger.interval == timedelta(minutes=10)
    assert markdown_job.trigger.interval == timedelta(minutes=1)
    assert (sync_job.misfire_grace_time, markdown_job.misfire_grace_time) == (600, 60)
    assert sync_job.func == sync.run_once
    assert markdown_job.func == markdowns.run_once
    assert sync.lock is not markdowns.lock  # the markdown job never waits for a deal sync


def test_triggering_the_jobs_runs_them(scheduling: ModuleType) -> None:
    cache = InMemoryDealCache()
    markdowns, service = _markdown_runner(scheduling)
    scheduler = scheduling.build_scheduler(scheduling.deal_sync_runner(cache=cache), markdowns)

    report = scheduler.get_job(scheduling.SYNC_JOB).func()
    assert report.status is RunStatus.OK
    assert [p.name for p in report.phases] == PHASES
    assert_cache_holds_the_files(cache)

    report = scheduler.get_job(scheduling.MARKDOWN_JOB).func()
    assert report.status is RunStatus.OK
    assert report.phases[0].result.counts == {"activated": 1}
    wave = service.get_wave("vapes-25")
    assert {loc.location_id: loc.status.value for loc in wave.locations} == {
        "tempe": "active",
        "mesa": "active",
    }


class JobEvents:
    """APScheduler events by job id, and a way to wait for one."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self._changed = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._changed:
            self.seen.append(event)
            self._changed.notify_all()

    def wait_for(self, job_id: str, code: int, timeout: float = 10) -> Any:
        def found() -> Any:
            return next((e for e in self.seen if e.job_id == job_id and e.code == code), None)

        with self._changed:
            assert self._changed.wait_for(found, timeout), f"no event {code} for {job_id}"
            return found()


@pytest.fixture
def started() -> Iterator[list[Any]]:
    """Schedulers a test starts; shut down (after their runs) when it ends."""
    schedulers: list[Any] = []
    yield schedulers
    for scheduler in schedulers:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def test_a_started_scheduler_runs_both_jobs(scheduling: ModuleType, started: list[Any]) -> None:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    cache = InMemoryDealCache()
    sync = scheduling.deal_sync_runner(cache=cache)
    markdowns, _ = _markdown_runner(scheduling)
    scheduler = scheduling.build_scheduler(sync, markdowns, run_at_start=True)
    events = JobEvents()
    scheduler.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    started.append(scheduler)
    scheduler.start()

    synced = events.wait_for(scheduling.SYNC_JOB, EVENT_JOB_EXECUTED).retval
    activated = events.wait_for(scheduling.MARKDOWN_JOB, EVENT_JOB_EXECUTED).retval
    assert isinstance(synced, RunReport)
    assert synced.status is RunStatus.OK
    assert activated.phases[0].result.counts == {"activated": 1}
    assert sync.history.recent() == [synced]
    assert markdowns.history.recent() == [activated]
    assert_cache_holds_the_files(cache)
    assert not [e for e in events.seen if e.code == EVENT_JOB_ERROR]


def test_overlapping_triggers_are_skipped(scheduling: ModuleType, started: list[Any]) -> None:
    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES

    cache = InMemoryDealCache()
    lock = InProcessLock()  # shared, as a Redis or PostgreSQL lock is between processes
    gate = Gate()
    sync = scheduling.deal_sync_runner(cache=cache, lock=lock, on_progress=gate)
    markdowns, _ = _markdown_runner(scheduling)
    scheduler = scheduling.build_scheduler(sync, markdowns, run_at_start=True)
    events = JobEvents()
    scheduler.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_MAX_INSTANCES)
    started.append(scheduler)
    scheduler.start()
    assert gate.entered.wait(10)  # the first run is inside its discounts phase

    # the scheduler itself: max_instances=1 does not start a second run
    scheduler.get_job(scheduling.SYNC_JOB).modify(next_run_time=datetime.now(UTC))
    events.wait_for(scheduling.SYNC_JOB, EVENT_JOB_MAX_INSTANCES)
    # a second scheduler (another process) sharing the lock: its run is skipped
    other_markdowns, _ = _markdown_runner(scheduling)
    other = scheduling.build_scheduler(
        scheduling.deal_sync_runner(cache=cache, lock=lock), other_markdowns
    )
    skipped = other.get_job(scheduling.SYNC_JOB).func()
    assert (skipped.status, skipped.reason, skipped.phases) == (
        RunStatus.SKIPPED,
        "already running",
        (),
    )
    # so is a direct trigger of the same job, which APScheduler does not count
    again = scheduler.get_job(scheduling.SYNC_JOB).func()
    assert (again.status, again.reason) == (RunStatus.SKIPPED, "already running")

    gate.release.set()
    first = events.wait_for(scheduling.SYNC_JOB, EVENT_JOB_EXECUTED).retval
    assert first.status is RunStatus.OK
    assert [r.status for r in sync.history.recent()] == [RunStatus.OK, RunStatus.SKIPPED]
    assert_cache_holds_the_files(cache)


# -- Celery -------------------------------------------------------------------------------


class CeleryWorld:
    """The Celery example's app over the shipped files, a due markdown and a due promotion."""

    def __init__(
        self,
        example: ModuleType,
        *,
        broker_url: str = "amqp://nobody:nothing@127.0.0.1:9//",
        **runner_options: Any,
    ) -> None:
        start = datetime.now(UTC) - timedelta(minutes=5)
        self.cache = InMemoryDealCache()
        self.sync = example.deal_sync_runner(cache=self.cache, **runner_options)
        self.markdowns = example.job_runner(MarkdownActivationPhase(example.demo_markdowns(start)))
        self.promotions = example.job_runner(
            PromotionReconcilePhase(example.demo_promotions(start))
        )
        # by default a broker that is not there: nothing may connect to it
        self.app = example.create_app(
            deal_sync=self.sync,
            markdowns=self.markdowns,
            promotions=self.promotions,
            broker_url=broker_url,
        )
        self.example = example


def test_celery_tasks_run_eagerly_and_return_the_report(celery_example: ModuleType) -> None:
    world = CeleryWorld(celery_example)
    tasks = world.app.tasks

    report = tasks[celery_example.SYNC_TASK].apply().get()
    assert json.loads(json.dumps(report)) == report  # plain JSON values
    assert report["status"] == "ok"
    assert report["runner"] == "deal-sync"
    assert [p["name"] for p in report["phases"]] == PHASES
    assert report == world.sync.history.recent()[0].to_dict()
    assert_cache_holds_the_files(world.cache)

    report = tasks[celery_example.MARKDOWN_TASK].apply().get()
    assert (report["status"], report["phases"][0]["counts"]) == ("ok", {"activated": 1})
    report = tasks[celery_example.PROMOTION_TASK].apply().get()
    assert (report["status"], report["phases"][0]["counts"]) == ("ok", {"changed": 1})

    world.app.conf.task_always_eager = True  # .delay() runs in process too
    again = tasks[celery_example.SYNC_TASK].delay().get()
    assert again["status"] == "ok"
    assert again["run_id"] != world.sync.history.recent()[1].run_id
    assert len(world.sync.history.recent()) == 2


def test_celery_the_lock_skips_an_overlapping_task(celery_example: ModuleType) -> None:
    gate = Gate()
    world = CeleryWorld(celery_example, on_progress=gate)
    task = world.app.tasks[celery_example.SYNC_TASK]
    first: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: first.append(task.apply().get()))
    worker.start()
    try:
        assert gate.entered.wait(10)
        overlapping = task.apply().get()
    finally:
        gate.release.set()
        worker.join(10)
    assert (overlapping["status"], overlapping["reason"], overlapping["phases"]) == (
        "skipped",
        "already running",
        [],
    )
    assert first[0]["status"] == "ok"
    assert_cache_holds_the_files(world.cache)


def test_celery_each_app_runs_its_own_runners(celery_example: ModuleType) -> None:
    one, two = CeleryWorld(celery_example), CeleryWorld(celery_example)
    two.app.tasks[celery_example.SYNC_TASK].apply().get()
    assert one.cache.locations() == []
    assert_cache_holds_the_files(two.cache)
    assert one.sync.history.recent() == []


def test_celery_beat_schedules_the_three_tasks(celery_example: ModuleType) -> None:
    from celery.beat import Scheduler

    # beat sends through a broker connection even when tasks run eagerly: kombu's in-memory one
    world = CeleryWorld(celery_example, broker_url="memory://")
    schedule = world.app.conf.beat_schedule
    expected = {
        "pricekit-deal-sync": (celery_example.SYNC_TASK, timedelta(minutes=10)),
        "pricekit-markdown-activation": (celery_example.MARKDOWN_TASK, timedelta(minutes=1)),
        "pricekit-promotion-reconcile": (celery_example.PROMOTION_TASK, timedelta(minutes=1)),
    }
    assert {name: (e["task"], e["schedule"]) for name, e in schedule.items()} == expected
    for name, (task, every) in expected.items():
        assert task in world.app.tasks
        assert schedule[name]["options"] == {"expires": every.total_seconds()}

    # Celery beat's own scheduler reads the entries; made due, each tick sends one,
    # which task_always_eager runs here, in process
    world.app.conf.task_always_eager = True
    beat = Scheduler(app=world.app, lazy=False)
    try:
        assert {n: e.schedule.run_every for n, e in beat.schedule.items()} == {
            name: every for name, (_, every) in expected.items()
        }
        assert not any(entry.is_due().is_due for entry in beat.schedule.values())
        for entry in beat.schedule.values():
            entry.last_run_at -= entry.schedule.run_every
        for _ in expected:
            beat.tick()
    finally:
        beat.close()
        world.app.close()
    assert [r.status for r in world.sync.history.recent()] == [RunStatus.OK]
    assert [r.phases[0].result.counts for r in world.markdowns.history.recent()] == [
        {"activated": 1}
    ]
    assert [r.phases[0].result.counts for r in world.promotions.history.recent()] == [
        {"changed": 1}
    ]
    assert_cache_holds_the_files(world.cache)
