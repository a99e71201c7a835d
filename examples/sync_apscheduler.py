"""APScheduler 3.x: the deal sync every ten minutes, the markdown job every minute.

Two runners, two jobs on one ``BackgroundScheduler``:

- ``pricekit-deal-sync``: the reference phases, exported Dutchie deal files
  (``examples/data/deals``) into the deal cache, every ten minutes;
- ``pricekit-markdown-activation``: a second runner with
  :class:`~pricekit.sync.MarkdownActivationPhase`, the markdown ``activate_due``
  job, every minute.

Each job has ``max_instances=1`` (APScheduler does not start a run while the
last one is still going) and ``coalesce=True`` (runs missed while the process
was busy or asleep collapse into one), and a misfire grace of one interval (a
late run still runs, rather than APScheduler's default of one second). Each
runner still takes its lock: a second scheduler (another process, a manual
trigger) finds it held and its run is ``skipped`` with "already running".
In-process locks only keep one process's runs apart; with schedulers in
several processes, give each runner a lock they share (a ``SyncLock`` over
Redis or PostgreSQL).

The two runners have a lock each: one lock for both would make the markdown
job wait (be skipped) for as long as a deal sync runs.

APScheduler is not a pricekit dependency: ``pip install 'apscheduler>=3.10,<4'``.

- ``python examples/sync_apscheduler.py`` starts the scheduler with both jobs
  due at once, prints the two reports, and stops;
- ``--forever`` keeps it running until SIGINT or SIGTERM (the runs in progress
  finish first).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from demo_markdowns import demo_markdowns
from pricekit.deals.ports import DealCache
from pricekit.markdowns import MarkdownService
from pricekit.memory import (
    InMemoryDealCache,
)
from pricekit.memory.sync import InMemoryEnrichmentSource, InMemoryInventorySource
from pricekit.sync import (
    JsonFileDiscountSource,
    Location,
    MarkdownActivationPhase,
    ProgressEvent,
    RunReport,
    SyncLock,
    SyncRunner,
    reference_phases,
)

_NEEDS_APSCHEDULER = (
    "examples/sync_apscheduler.py needs APScheduler 3, which pricekit does not depend on: "
    "pip install 'apscheduler>=3.10,<4'"
)
try:
    from apscheduler.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MAX_INSTANCES,
        EVENT_JOB_MISSED,
    )
    from apscheduler.schedulers.background import BackgroundScheduler
except ImportError as exc:  # pragma: no cover - depends on the environment
    if __name__ == "__main__":
        raise SystemExit(_NEEDS_APSCHEDULER) from exc
    raise ImportError(_NEEDS_APSCHEDULER) from exc

DEALS = Path(__file__).resolve().parent / "data" / "deals"
"""The exported deal files shipped with the examples."""

SYNC_JOB = "pricekit-deal-sync"
MARKDOWN_JOB = "pricekit-markdown-activation"


# -- the runners --------------------------------------------------------------------------


def deal_sync_runner(
    folder: Path = DEALS,
    *,
    cache: DealCache,
    time_zone: str = "America/Phoenix",
    lock: SyncLock | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
) -> SyncRunner:
    """The reference phases, one store per ``{location_id}.json`` of ``folder``, into ``cache``."""
    locations = [
        Location(path.stem, time_zone)
        for path in sorted(folder.glob("*.json"))
        if not path.name.startswith(".")
    ]
    phases = reference_phases(
        inventory=InMemoryInventorySource(),  # a host plugs in its POS inventory here
        enrichment=InMemoryEnrichmentSource(),
        discounts=[JsonFileDiscountSource(folder)],
        cache=cache,
    )
    return SyncRunner(
        phases, locations=locations, lock=lock, on_progress=on_progress, name="deal-sync"
    )


def markdown_runner(service: MarkdownService, *, lock: SyncLock | None = None) -> SyncRunner:
    """The markdown ``activate_due`` job under a runner of its own (and a lock of its own).

    A run holds the lock for at most five minutes: a process that died holding a
    shared lock blocks the every-minute job that long, not the default fifteen.
    """
    return SyncRunner(
        [MarkdownActivationPhase(service)],
        lock=lock,
        lock_ttl=timedelta(minutes=5),
        name="markdown-activation",
    )


# -- the scheduler ------------------------------------------------------------------------


def build_scheduler(
    deal_sync: SyncRunner,
    markdowns: SyncRunner,
    *,
    sync_every: timedelta = timedelta(minutes=10),
    markdown_every: timedelta = timedelta(minutes=1),
    run_at_start: bool = False,
) -> BackgroundScheduler:
    """A scheduler, not started, with the two jobs.

    Args:
        deal_sync: The deal sync runner.
        markdowns: The markdown activation runner.
        sync_every: The deal sync's interval.
        markdown_every: The markdown job's interval.
        run_at_start: Run both jobs as soon as the scheduler starts, rather than
            one interval after.

    Returns:
        The scheduler; ``start()`` it, and ``shutdown()`` it to stop (by default
        after the runs in progress).
    """
    scheduler = BackgroundScheduler(timezone=UTC)
    for job_id, runner, every in (
        (SYNC_JOB, deal_sync, sync_every),
        (MARKDOWN_JOB, markdowns, markdown_every),
    ):
        first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if run_at_start else {}
        scheduler.add_job(
            runner.run_once,  # returns the RunReport: EVENT_JOB_EXECUTED carries it as retval
            "interval",
            seconds=every.total_seconds(),
            id=job_id,
            name=runner.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(every.total_seconds())),
            **first,
        )
    return scheduler


def print_job_events(scheduler: BackgroundScheduler, *, out: TextIO = sys.stdout) -> None:
    """Print a line for each run that ends, fails, or is not started (still running, missed)."""

    def show(event: Any) -> None:
        if event.code == EVENT_JOB_EXECUTED:
            report: RunReport = event.retval
            reason = f" ({report.reason})" if report.reason else ""
            counts = "; ".join(
                f"{p.name} " + ", ".join(f"{k}={v}" for k, v in p.result.counts.items())
                for p in report.phases
            )
            line = f"{event.job_id}: {report.status.value}{reason}: {counts}"
        elif event.code == EVENT_JOB_ERROR:
            line = f"{event.job_id}: raised {event.exception!r}"
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            line = f"{event.job_id}: not started, the previous run is still going"
        else:
            line = f"{event.job_id}: missed its run time"
        print(line, file=out, flush=True)

    scheduler.add_listener(
        show, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
    )


# -- the demonstration --------------------------------------------------------------------


def _wait_for_signal(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {wanted: signal.signal(wanted, handle) for wanted in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both jobs once and stop, or keep the scheduler running with ``--forever``.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deals", type=Path, default=DEALS, metavar="DIR")
    parser.add_argument("--forever", action="store_true", help="run until SIGINT or SIGTERM")
    args = parser.parse_args(argv)

    cache = InMemoryDealCache()
    markdowns = demo_markdowns(datetime.now(UTC) - timedelta(minutes=5))
    scheduler = build_scheduler(
        deal_sync_runner(args.deals, cache=cache), markdown_runner(markdowns), run_at_start=True
    )
    print_job_events(scheduler)
    finished: set[str] = set()
    both_ran = threading.Event()

    def note(event: Any) -> None:
        finished.add(event.job_id)
        if finished >= {SYNC_JOB, MARKDOWN_JOB}:
            both_ran.set()

    scheduler.add_listener(note, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        if args.forever:
            _wait_for_signal(threading.Event())
        elif not both_ran.wait(30):
            print("the jobs did not run within 30 s", file=sys.stderr)
            return 1
    finally:
        scheduler.shutdown(wait=True)  # after the runs in progress
    for location_id in cache.locations():
        print(f"{location_id}: {len(cache.get(location_id) or [])} deal(s) cached")
    return 0


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(main())
