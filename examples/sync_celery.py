"""Celery beat: the deal sync every ten minutes, the markdown and promotion jobs every minute.

:func:`create_app` returns a Celery app with three tasks, each calling a
runner's ``run_once()`` and returning its report as plain JSON values
(``report.to_dict()``), and a ``beat_schedule`` for them:

- ``pricekit-deal-sync``: task ``pricekit.sync.deals``, every ten minutes;
- ``pricekit-markdown-activation``: task ``pricekit.sync.markdown_activation``
  (:class:`~pricekit.sync.MarkdownActivationPhase`), every minute;
- ``pricekit-promotion-reconcile``: task ``pricekit.sync.promotion_reconcile``
  (:class:`~pricekit.sync.PromotionReconcilePhase`), every minute.

Each beat message expires after one interval: a message no worker took in time
is dropped, and the next tick sends a fresh one (the way APScheduler's
``coalesce`` collapses missed runs). The lock still guards against overlap: a
task that finds its runner's lock held returns a ``skipped`` report ("already
running"). An in-process lock only keeps one worker process's runs apart; with
several worker processes or machines, give each runner a lock they share (a
``SyncLock`` over Redis or PostgreSQL), one lock per runner.

Creating the app connects to nothing: Celery reads the broker URL (the
``broker_url`` argument, else ``CELERY_BROKER_URL``) when a message is first
sent. In a project, build the runners over its own services, put ``app =
create_app(...)`` in the module ``celery -A`` names, and run ``celery -A
yourproject worker`` and ``celery -A yourproject beat``.

Celery is not a pricekit dependency: ``pip install celery``.
``python examples/sync_celery.py`` runs each task once, in process (no broker),
and prints the reports.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo_markdowns import demo_markdowns
from pricekit.deals.ports import DealCache
from pricekit.memory import (
    InMemoryDealCache,
    InMemoryPromotionRepository,
)
from pricekit.memory.sync import InMemoryEnrichmentSource, InMemoryInventorySource
from pricekit.promotions import PromotionService
from pricekit.sync import (
    JsonFileDiscountSource,
    Location,
    MarkdownActivationPhase,
    ProgressEvent,
    PromotionReconcilePhase,
    SyncLock,
    SyncRunner,
    reference_phases,
)
from pricekit.time import ManualClock

_NEEDS_CELERY = (
    "examples/sync_celery.py needs Celery, which pricekit does not depend on: pip install celery"
)
try:
    from celery import Celery
except ImportError as exc:  # pragma: no cover - depends on the environment
    if __name__ == "__main__":
        raise SystemExit(_NEEDS_CELERY) from exc
    raise ImportError(_NEEDS_CELERY) from exc

DEALS = Path(__file__).resolve().parent / "data" / "deals"
"""The exported deal files shipped with the examples."""

SYNC_TASK = "pricekit.sync.deals"
MARKDOWN_TASK = "pricekit.sync.markdown_activation"
PROMOTION_TASK = "pricekit.sync.promotion_reconcile"


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


def job_runner(
    phase: MarkdownActivationPhase | PromotionReconcilePhase, *, lock: SyncLock | None = None
) -> SyncRunner:
    """An every-minute job under a runner (and a lock) of its own.

    A run holds the lock for at most five minutes: a worker that died holding a
    shared lock blocks the job that long, not the default fifteen.
    """
    return SyncRunner([phase], lock=lock, lock_ttl=timedelta(minutes=5), name=phase.name)


# -- the app ------------------------------------------------------------------------------


def create_app(
    *,
    deal_sync: SyncRunner,
    markdowns: SyncRunner,
    promotions: SyncRunner,
    broker_url: str | None = None,
    sync_every: timedelta = timedelta(minutes=10),
    jobs_every: timedelta = timedelta(minutes=1),
) -> Celery:
    """A Celery app with the three tasks and their beat schedule.

    Args:
        deal_sync: The deal sync runner.
        markdowns: The markdown activation runner.
        promotions: The promotion reconcile runner.
        broker_url: The broker (else Celery's ``CELERY_BROKER_URL``); nothing
            connects until a message is sent.
        sync_every: The deal sync's interval.
        jobs_every: The markdown and promotion jobs' interval.
    """
    app = Celery("pricekit_sync", broker=broker_url, set_as_current=False)
    app.conf.update(
        timezone="UTC",
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        beat_schedule={
            "pricekit-deal-sync": _entry(SYNC_TASK, sync_every),
            "pricekit-markdown-activation": _entry(MARKDOWN_TASK, jobs_every),
            "pricekit-promotion-reconcile": _entry(PROMOTION_TASK, jobs_every),
        },
    )

    def sync_deals() -> dict[str, Any]:
        """Pull every store's deals into the deal cache; the run's report."""
        return deal_sync.run_once().to_dict()

    def activate_markdowns() -> dict[str, Any]:
        """Activate the markdown wave locations whose time has come; the run's report."""
        return markdowns.run_once().to_dict()

    def reconcile_promotions() -> dict[str, Any]:
        """Move promotions to the status time brought them to; the run's report."""
        return promotions.run_once().to_dict()

    # app.task called, not used as a decorator (Celery is untyped: a decorator would
    # make the function untyped for mypy). shared=False keeps these closures to this
    # app: a shared task is added to every app created after it, under the same name.
    for task_name, run in (
        (SYNC_TASK, sync_deals),
        (MARKDOWN_TASK, activate_markdowns),
        (PROMOTION_TASK, reconcile_promotions),
    ):
        app.task(run, name=task_name, shared=False)
    return app


def _entry(task: str, every: timedelta) -> dict[str, Any]:
    return {"task": task, "schedule": every, "options": {"expires": every.total_seconds()}}


# -- the demonstration --------------------------------------------------------------------


def demo_promotions(start: datetime) -> PromotionService:
    """A promotion scheduled at ``start`` to begin a minute later."""
    repository = InMemoryPromotionRepository()
    service = PromotionService(promotions=repository, usage=repository, clock=ManualClock(start))
    service.create_promotion(
        {
            "id": "edibles-20",
            "business_id": "mint",
            "name": "20% off edibles",
            "type": "percentage_discount",
            "scope": "line",
            "currency": "USD",
            "status": "scheduled",
            "valid_from": start + timedelta(minutes=1),
            "item_filter": {"category_ids": ["edibles"]},
            "rewards": [{"type": "pct_off_item", "percent": 20}],
        }
    )
    return service


def demo_app(*, cache: DealCache, folder: Path = DEALS) -> Celery:
    """The app over the shipped deal files and a due markdown wave and promotion."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    return create_app(
        deal_sync=deal_sync_runner(folder, cache=cache),
        markdowns=job_runner(MarkdownActivationPhase(demo_markdowns(start))),
        promotions=job_runner(PromotionReconcilePhase(demo_promotions(start))),
        broker_url="memory://",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run each task once in process (``Task.apply``: no broker, no worker) and print them.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit status: 0 when every run was ``ok``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deals", type=Path, default=DEALS, metavar="DIR")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args(argv)

    cache = InMemoryDealCache()
    app = demo_app(cache=cache, folder=args.deals)
    for name, entry in app.conf.beat_schedule.items():
        print(f"beat {name}: {entry['task']} every {entry['schedule']}")
    statuses = []
    for task_name in (SYNC_TASK, MARKDOWN_TASK, PROMOTION_TASK):
        report: dict[str, Any] = app.tasks[task_name].apply().get()
        statuses.append(report["status"])
        if args.json:
            print(json.dumps(report))
            continue
        counts = "; ".join(
            f"{phase['name']} " + ", ".join(f"{k}={v}" for k, v in phase["counts"].items())
            for phase in report["phases"]
        )
        print(f"{task_name}: {report['status']}: {counts}")
    return 0 if set(statuses) == {"ok"} else 1


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(main())
