"""The sync runner: phases in order, failure policy, the lock, history, progress, the loop."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta

import pytest

from pricekit.deals.models import Deal
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.memory import InMemoryDealCache
from pricekit.memory.sync import (
    InMemoryDiscountSource,
    InMemoryEnrichmentSource,
    InMemoryInventorySource,
    RecordingSink,
)
from pricekit.sync.lock import InProcessLock
from pricekit.sync.phases import reference_phases
from pricekit.sync.ports import InventoryRecord, Location
from pricekit.sync.runner import (
    FailurePolicy,
    InMemorySyncRunRepository,
    LocationDone,
    PhaseFinished,
    PhaseResult,
    PhaseStarted,
    PhaseStatus,
    ProgressEvent,
    RunReport,
    RunStatus,
    SyncContext,
    SyncRunner,
)
from pricekit.testing import FixedClock

AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
STORES = [
    Location("loc-a", "America/Phoenix", name="Tempe"),
    Location("loc-b", "America/Phoenix", name="Mesa"),
]


def deal(location: str, n: int) -> Deal:
    return Deal.model_validate(
        {
            "id": f"{location}_{n}",
            "discount_id": str(n),
            "location_id": location,
            "name": f"Deal {n}",
            "reward": {"method": "percent_off", "percent": "10"},
        }
    )


class Pipeline:
    """The reference phases over in-memory sources, sinks and cache."""

    def __init__(self) -> None:
        self.pos = InMemoryDiscountSource(
            {"loc-a": [deal("loc-a", 1), deal("loc-a", 2)]}, name="dutchie-pos"
        )
        self.backoffice = InMemoryDiscountSource(
            {"loc-a": [deal("loc-a", 1)], "loc-b": [deal("loc-b", 7)]}, name="dutchie-backoffice"
        )
        self.inventory = InMemoryInventorySource(
            {
                "loc-a": [InventoryRecord("p1", "loc-a", {"name": "Gummies"})],
                "loc-b": [InventoryRecord("p2", "loc-b", {"name": "Vape"})],
            }
        )
        self.enrichment = InMemoryEnrichmentSource({"p1": {"image": "p1.png"}})
        self.cache = InMemoryDealCache()
        self.discount_sink = RecordingSink()
        self.inventory_sink = RecordingSink()
        self.events: list[ProgressEvent] = []

    def runner(self, **options: object) -> SyncRunner:
        phases = reference_phases(
            inventory=self.inventory,
            enrichment=self.enrichment,
            discounts=[self.pos, self.backoffice],
            cache=self.cache,
            discount_sink=self.discount_sink,
            inventory_sink=self.inventory_sink,
        )
        return SyncRunner(
            phases,
            locations=STORES,
            clock=FixedClock(AT),
            on_progress=self.events.append,
            **options,  # type: ignore[arg-type]
        )


def test_a_run_goes_through_the_six_phases_and_fills_the_cache() -> None:
    pipeline = Pipeline()
    report = pipeline.runner().run_once()
    assert report.status is RunStatus.OK
    assert [p.name for p in report.phases] == [
        "inventory",
        "enrichment",
        "discounts",
        "discount_push",
        "cache",
        "inventory_push",
    ]
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_1", "loc-a_2"]
    # loc-b has no POS key (the POS source does not serve it): the back office does
    assert [d.id for d in pipeline.cache.get("loc-b") or []] == ["loc-b_7"]
    discounts = report.phase("discounts")
    assert discounts.result.counts == {"deals": 3, "locations": 2, "failed_locations": 0}
    assert [o.detail for o in discounts.result.locations] == [
        "2 deals from dutchie-pos",
        "1 deal from dutchie-backoffice",
    ]
    assert pipeline.inventory_sink.pushed["loc-a"][0].data == {"name": "Gummies", "image": "p1.png"}
    assert [d.id for d in pipeline.discount_sink.pushed["loc-b"]] == ["loc-b_7"]
    assert report.to_dict()["phases"][2]["counts"]["deals"] == 3


def test_a_failed_source_falls_back_to_the_next_one() -> None:
    pipeline = Pipeline()
    pipeline.pos.fail_for("loc-a", "HTTP 503")
    report = pipeline.runner().run_once()
    outcome = report.phase("discounts").result.locations[0]
    assert outcome.ok
    assert outcome.detail.startswith("1 deal from dutchie-backoffice (after dutchie-pos:")
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_1"]


def test_a_location_that_could_not_be_read_keeps_its_cached_deals() -> None:
    pipeline = Pipeline()
    pipeline.runner().run_once()
    pipeline.pos.fail_for("loc-a")
    pipeline.backoffice.fail_for("loc-a")
    pipeline.backoffice.set("loc-b", [])  # loc-b really has no deals now
    report = pipeline.runner().run_once()
    assert report.status is RunStatus.PARTIAL
    discounts = report.phase("discounts")
    assert discounts.status is PhaseStatus.WARNINGS
    assert not discounts.result.locations[0].ok
    cache = report.phase("cache")
    assert cache.result.counts["kept"] == 1
    assert "kept the previously cached deals of Tempe" in cache.result.warnings[0]
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_1", "loc-a_2"]
    assert pipeline.cache.get("loc-b") == []  # a successful read of nothing is written


def test_every_location_failing_fails_the_phase_and_stop_skips_the_rest() -> None:
    pipeline = Pipeline()
    for store in STORES:
        pipeline.inventory.fail_for(store.location_id)
    report = pipeline.runner(policy=FailurePolicy.STOP).run_once()
    assert report.status is RunStatus.FAILED
    assert report.reason == "phase 'inventory' failed"
    assert report.phase("inventory").result.errors == ("every location failed",)
    assert {p.status for p in report.phases[1:]} == {PhaseStatus.SKIPPED}
    assert pipeline.cache.locations() == []


def test_continue_lets_later_phases_run_after_a_failure() -> None:
    pipeline = Pipeline()
    for store in STORES:
        pipeline.inventory.fail_for(store.location_id)
    report = pipeline.runner(policy=FailurePolicy.CONTINUE).run_once()
    assert report.status is RunStatus.PARTIAL
    assert report.phase("enrichment").status is PhaseStatus.SKIPPED  # nothing to enrich
    assert report.phase("cache").status is PhaseStatus.OK
    assert pipeline.cache.locations() == ["loc-a", "loc-b"]


class Exploding:
    name = "exploding"

    def run(self, context: SyncContext) -> PhaseResult:
        raise RuntimeError("boom")


def test_a_phase_that_raises_is_recorded_not_raised() -> None:
    runner = SyncRunner([Exploding()], locations=STORES, policy=FailurePolicy.STOP)
    report = runner.run_once()
    assert report.status is RunStatus.FAILED
    assert report.phases[0].result.errors == ("RuntimeError: boom",)
    assert runner.lock.acquire("someone", ttl_seconds=1)  # released after the run


def test_a_run_that_finds_the_lock_held_is_skipped_at_once() -> None:
    lock = InProcessLock()
    assert lock.acquire("other-runner", ttl_seconds=60)
    history = InMemorySyncRunRepository()
    pipeline = Pipeline()
    report = pipeline.runner(lock=lock, history=history).run_once()
    assert (report.status, report.reason, report.phases) == (
        RunStatus.SKIPPED,
        "already running",
        (),
    )
    assert history.recent() == [report]
    assert pipeline.cache.locations() == []
    assert pipeline.pos.calls == []


class Slow:
    """A phase that signals when it runs and waits to be let go."""

    name = "slow"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def run(self, context: SyncContext) -> PhaseResult:
        self.started.set()
        self.release.wait(5)
        return PhaseResult(counts={"done": 1})


def test_two_runs_at_once_never_overlap() -> None:
    slow = Slow()
    runner = SyncRunner([slow], locations=STORES)
    first: list[object] = []
    thread = threading.Thread(target=lambda: first.append(runner.run_once()))
    thread.start()
    assert slow.started.wait(5)
    second = runner.run_once()
    slow.release.set()
    thread.join(5)
    assert second.status is RunStatus.SKIPPED
    assert first[0].status is RunStatus.OK  # type: ignore[attr-defined]
    assert [r.status for r in runner.history.recent()] == [RunStatus.OK, RunStatus.SKIPPED]


class LosingLock(InProcessLock):
    """A lock that expires and is taken by another run after the first phase."""

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        return False


def test_a_run_that_lost_its_lock_stops() -> None:
    pipeline = Pipeline()
    report = pipeline.runner(lock=LosingLock()).run_once()
    assert report.status is RunStatus.FAILED
    assert report.reason.startswith("lost the lock")
    assert report.phases[0].status is PhaseStatus.OK
    assert {p.status for p in report.phases[1:]} == {PhaseStatus.SKIPPED}


def test_progress_events_frame_each_phase_and_count_locations() -> None:
    pipeline = Pipeline()
    report = pipeline.runner().run_once()
    inventory = [e for e in pipeline.events if e.phase == "inventory"]
    assert inventory == [
        PhaseStarted(report.run_id, "inventory", 1, 6, 2),
        LocationDone(report.run_id, "inventory", "loc-a", True, 1, 2),
        LocationDone(report.run_id, "inventory", "loc-b", True, 2, 2),
        PhaseFinished(
            report.run_id,
            "inventory",
            PhaseStatus.OK,
            report.phase("inventory").duration_seconds,
        ),
    ]
    assert sum(isinstance(e, PhaseStarted) for e in pipeline.events) == 6


def test_a_phase_over_fewer_locations_ends_its_progress_full() -> None:
    pipeline = Pipeline()
    pipeline.pos.fail_for("loc-b", "down")
    pipeline.backoffice.fail_for("loc-b", "down")
    report = pipeline.runner().run_once()
    cache = [e for e in pipeline.events if isinstance(e, LocationDone) and e.phase == "cache"]
    # loc-b's read failed, so the cache phase goes through loc-a only: 1 of 1, not 1 of 2
    assert cache == [LocationDone(report.run_id, "cache", "loc-a", True, 1, 1)]


def test_a_broken_progress_callback_does_not_stop_the_run() -> None:
    def broken(event: ProgressEvent) -> None:
        raise ValueError("terminal closed")

    pipeline = Pipeline()
    runner = SyncRunner(
        reference_phases(
            inventory=pipeline.inventory,
            enrichment=pipeline.enrichment,
            discounts=[pipeline.pos],
            cache=pipeline.cache,
        ),
        locations=STORES[:1],
        on_progress=broken,
    )
    assert runner.run_once().status is RunStatus.OK


def test_run_forever_stops_on_the_event_and_on_sigterm() -> None:
    pipeline = Pipeline()
    runner = pipeline.runner()
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    reports = runner.run_forever(timedelta(seconds=0.05), stop=stop, handle_signals=False)
    assert len(reports) >= 2
    assert all(r.status is RunStatus.OK for r in reports)

    previous = signal.getsignal(signal.SIGTERM)
    killer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    killer.start()
    reports = runner.run_forever(timedelta(seconds=0.05))
    assert reports
    assert signal.getsignal(signal.SIGTERM) == previous  # the handler is put back


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        SyncRunner([])
    assert caught.value.field == "phases"
    with pytest.raises(InvalidValueError) as caught:
        SyncRunner([Exploding(), Exploding()])
    assert caught.value.field == "phases[1].name"
    with pytest.raises(InvalidValueError) as caught:
        SyncRunner([Exploding()], lock_ttl=timedelta(0))
    assert caught.value.field == "lock_ttl"
    with pytest.raises(InvalidValueError):
        SyncRunner([Exploding()]).run_forever(timedelta(0))


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_in_process_lock_expires_extends_and_checks_its_owner() -> None:
    clock = Ticking()
    lock = InProcessLock(monotonic=clock)
    assert lock.acquire("a", ttl_seconds=10)
    assert not lock.acquire("b", ttl_seconds=10)
    assert not lock.acquire("a", ttl_seconds=10)  # not re-entrant
    assert not lock.release("b")
    clock.now = 9
    assert lock.extend("a", ttl_seconds=10)
    clock.now = 18
    assert lock.holder == "a"
    clock.now = 19
    assert lock.holder is None  # expired
    assert lock.acquire("b", ttl_seconds=10)
    assert not lock.extend("a", ttl_seconds=10)
    assert lock.release("b")
    with pytest.raises(InvalidValueError):
        lock.acquire("c", ttl_seconds=0)


def test_history_keeps_the_newest_runs() -> None:
    history = InMemorySyncRunRepository(keep=2)
    runner = SyncRunner([Slow()], history=history)
    runner.phases[0].release.set()  # type: ignore[attr-defined]
    reports = [runner.run_once() for _ in range(3)]
    assert history.recent() == [reports[2], reports[1]]
    assert history.recent(1) == [reports[2]]


def test_the_promotion_reconcile_job_runs_under_the_runner_at_its_instant() -> None:
    from pricekit.memory import InMemoryPromotionRepository
    from pricekit.promotions.models import PromotionStatus
    from pricekit.promotions.service import PromotionService
    from pricekit.sync.phases import PromotionReconcilePhase
    from pricekit.time import ManualClock

    repository = InMemoryPromotionRepository()
    service = PromotionService(promotions=repository, usage=repository, clock=ManualClock(AT))
    service.create_promotion(
        {
            "id": "p1",
            "business_id": "b1",
            "name": "20% off tees",
            "type": "percentage_discount",
            "scope": "line",
            "currency": "USD",
            "status": "scheduled",
            "valid_from": AT + timedelta(minutes=1),
            "item_filter": {"category_ids": ["tees"]},
            "rewards": [{"type": "pct_off_item", "percent": 20}],
        }
    )
    clock = FixedClock(AT + timedelta(minutes=1))
    runner = SyncRunner([PromotionReconcilePhase(service)], clock=clock, name="every-minute")
    report = runner.run_once()
    assert report.phases[0].result.counts == {"changed": 1}
    assert repository.get("p1").status is PromotionStatus.ACTIVE
    assert runner.run_once().phases[0].result.counts == {"changed": 0}


def test_a_report_comes_back_from_its_dict() -> None:
    pipeline = Pipeline()
    pipeline.pos.fail_for("loc-a", "dutchie-pos: 503")
    report = pipeline.runner().run_once()
    again = RunReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert again.phase("discounts").result.locations == report.phase("discounts").result.locations
    assert again.status is report.status


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "exploded"}, "report"),
        ({"started_at": "2026-11-20T18:00:00"}, "report"),
        ({"started_at": 17}, "report"),
        ({"phases": [{"name": "x"}]}, "phase"),
        ({"phases": [{"name": "x", "status": "ok", "duration_seconds": "fast"}]}, "phase"),
    ],
)
def test_a_dict_that_is_not_a_report_is_refused(change: dict[str, object], field: str) -> None:
    data = {**Pipeline().runner().run_once().to_dict(), **change}
    with pytest.raises(InvalidValueError) as info:
        RunReport.from_dict(data)
    assert info.value.field == field


class BuggySource:
    """A source with a bug: it raises something that is not a pricekit error."""

    name = "exploding"

    def available_for(self, location: Location) -> bool:
        return location.location_id == "loc-a"

    def fetch(self, location: Location) -> list[Deal]:
        raise RuntimeError("division by zero in the vendor SDK")


def test_a_source_that_raises_an_unexpected_error_fails_over_and_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pipeline = Pipeline()
    phases = reference_phases(
        inventory=pipeline.inventory,
        enrichment=pipeline.enrichment,
        discounts=[BuggySource(), pipeline.backoffice],
        cache=pipeline.cache,
    )
    runner = SyncRunner(phases, locations=STORES, clock=FixedClock(AT))
    report = runner.run_once()
    assert report.status is RunStatus.OK
    detail = report.phase("discounts").result.locations[0].detail
    assert detail == (
        "1 deal from dutchie-backoffice "
        "(after exploding: RuntimeError: division by zero in the vendor SDK)"
    )
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_1"]
    assert "exploding failed" in caplog.text


def test_an_unexpected_error_for_one_location_leaves_the_others_going() -> None:
    pipeline = Pipeline()
    phases = reference_phases(
        inventory=pipeline.inventory,
        enrichment=pipeline.enrichment,
        discounts=[BuggySource()],
        cache=pipeline.cache,
    )
    pipeline.cache.replace("loc-a", [deal("loc-a", 9)])
    report = SyncRunner(phases, locations=STORES, clock=FixedClock(AT)).run_once()
    outcomes = report.phase("discounts").result.locations
    assert [(o.location_id, o.ok, o.detail) for o in outcomes] == [
        (
            "loc-a",
            False,
            "no source answered: exploding: RuntimeError: division by zero in the vendor SDK",
        ),
        ("loc-b", False, "no discount source serves it"),
    ]
    assert report.phase("discounts").status is PhaseStatus.FAILED
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_9"]


class FlakyLock(InProcessLock):
    """A real in-process lock whose calls fail as a lock server's would, where asked."""

    def __init__(self, *, fail: set[str]) -> None:
        super().__init__()
        self.fail = fail

    def acquire(self, owner: str, *, ttl_seconds: float) -> bool:
        if "acquire" in self.fail:
            raise BackendUnavailableError(backend="redis", operation="take the lock")
        return super().acquire(owner, ttl_seconds=ttl_seconds)

    def extend(self, owner: str, *, ttl_seconds: float) -> bool:
        if "extend" in self.fail:
            raise BackendUnavailableError(backend="redis", operation="extend the lock")
        return super().extend(owner, ttl_seconds=ttl_seconds)

    def release(self, owner: str) -> bool:
        if "release" in self.fail:
            raise BackendUnavailableError(backend="redis", operation="release the lock")
        return super().release(owner)


def test_a_lock_that_cannot_be_reached_fails_the_run_before_any_phase() -> None:
    pipeline = Pipeline()
    runner = pipeline.runner(lock=FlakyLock(fail={"acquire"}))
    report = runner.run_once()
    assert report.status is RunStatus.FAILED
    assert report.phases == ()
    assert report.reason == (
        "the lock could not be taken: BackendUnavailableError: redis could not take the lock"
    )
    assert pipeline.cache.locations() == []
    assert runner.history.recent() == [report]


def test_a_lock_that_cannot_be_extended_stops_the_run_as_a_lost_lock() -> None:
    pipeline = Pipeline()
    report = pipeline.runner(lock=FlakyLock(fail={"extend"})).run_once()
    assert [p.status for p in report.phases][:2] == [PhaseStatus.OK, PhaseStatus.SKIPPED]
    assert report.reason.startswith("lost the lock (it could not be extended: ")
    assert report.status is RunStatus.FAILED


def test_a_release_or_a_history_that_fails_still_returns_the_report() -> None:
    class BrokenHistory(InMemorySyncRunRepository):
        def record(self, report: RunReport) -> None:
            raise BackendUnavailableError(backend="postgresql", operation="record a run")

    pipeline = Pipeline()
    runner = pipeline.runner(lock=FlakyLock(fail={"release"}), history=BrokenHistory())
    report = runner.run_once()
    assert report.status is RunStatus.OK
    assert [d.id for d in pipeline.cache.get("loc-a") or []] == ["loc-a_1", "loc-a_2"]


def test_run_forever_goes_on_after_a_run_that_raised() -> None:
    calls: list[int] = []
    stop = threading.Event()

    def locations() -> list[Location]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the store directory is down")
        stop.set()
        return STORES

    pipeline = Pipeline()
    runner = SyncRunner(
        reference_phases(
            inventory=pipeline.inventory,
            enrichment=pipeline.enrichment,
            discounts=[pipeline.pos, pipeline.backoffice],
            cache=pipeline.cache,
        ),
        locations=locations,
        clock=FixedClock(AT),
    )
    reports = runner.run_forever(every=timedelta(milliseconds=1), stop=stop, handle_signals=False)
    assert len(calls) == 2
    assert [r.status for r in reports] == [RunStatus.OK]
