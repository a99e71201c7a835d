"""The sync runner on its own: exported Dutchie deal files into the deal cache, with progress.

A folder holds one exported discount list per store, ``{location_id}.json``
(``examples/data/deals/`` ships three, in both shapes
:class:`~pricekit.sync.files.JsonFileDiscountSource` reads: the bare list
Dutchie's ``GET /discounts/v2/list`` returns, and ``{"source": "dutchie",
"discounts": [...]}``). Every file is a store; the program runs the reference
phases over them (no inventory source is configured here, so the inventory
phases see none) into an :class:`~pricekit.memory.InMemoryDealCache`, printing
each phase as it goes and a summary at the end, read back from the cache.

- ``python examples/sync_standalone.py`` syncs ``examples/data/deals`` once;
- ``--deals DIR`` reads another folder, ``--time-zone`` sets the stores' zone;
- ``--every SECONDS`` syncs on every tick until SIGINT or SIGTERM (the run in
  progress finishes first), like a systemd service;
- ``--json`` prints each run's report as one line of JSON (progress goes to
  stderr).

The exit status is 0 when the run was ``ok`` (or, with ``--every``, when it
was stopped), 1 when it was ``partial`` or ``failed``, 2 for a bad folder.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from pricekit.deals.ports import DealCache
from pricekit.memory import InMemoryDealCache
from pricekit.memory.sync import InMemoryEnrichmentSource, InMemoryInventorySource
from pricekit.sync import (
    InMemorySyncRunRepository,
    JsonFileDiscountSource,
    Location,
    LocationDone,
    PhaseFinished,
    PhaseStarted,
    ProgressEvent,
    RunReport,
    RunStatus,
    SyncRunner,
    SyncRunRepository,
    reference_phases,
)

DEALS = Path(__file__).resolve().parent / "data" / "deals"
"""The exported deal files shipped with the examples."""


def find_locations(
    folder: Path, *, time_zone: str = "America/Phoenix", currency: str = "USD"
) -> list[Location]:
    """One store per ``{location_id}.json`` in ``folder``, sorted by id.

    Hidden files (the temporary files of
    :func:`~pricekit.sync.files.write_discount_file`) are not stores.

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    return [
        Location(path.stem, time_zone, currency=currency)
        for path in sorted(folder.glob("*.json"))
        if not path.name.startswith(".")
    ]


def build_runner(
    folder: Path,
    locations: Sequence[Location],
    *,
    cache: DealCache,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    history: SyncRunRepository | None = None,
) -> SyncRunner:
    """The reference phases reading ``folder`` into ``cache``, for ``locations``."""
    phases = reference_phases(
        inventory=InMemoryInventorySource(),  # a host plugs in its POS inventory here
        enrichment=InMemoryEnrichmentSource(),
        discounts=[JsonFileDiscountSource(folder)],
        cache=cache,
    )
    return SyncRunner(
        phases, locations=locations, on_progress=on_progress, history=history, name="deal-sync"
    )


class PrintingHistory:
    """A run history that shows each report as the runner records it, and keeps it.

    :meth:`SyncRunner.run_forever <pricekit.sync.SyncRunner.run_forever>` returns
    its reports only when it stops; the history sees each run as it ends.
    """

    def __init__(self, show: Callable[[RunReport], None]) -> None:
        self._show = show
        self._kept = InMemorySyncRunRepository()

    def record(self, report: RunReport) -> None:
        """Keep ``report`` and show it."""
        self._kept.record(report)
        self._show(report)

    def recent(self, limit: int = 20) -> list[RunReport]:
        """The latest ``limit`` reports, newest first."""
        return self._kept.recent(limit)


class ProgressPrinter:
    """Prints a line per progress event: phase started, each location, phase finished.

    A phase may go through fewer locations than the run has (the cache phase
    skips a store whose discounts could not be read, so that it keeps its cached
    deals): the closing line says how many it went through.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._done = 0

    def __call__(self, event: ProgressEvent) -> None:
        """Print ``event``."""
        match event:
            case PhaseStarted(phase=phase, index=index, total=total, locations=locations):
                self._done = 0
                line = f"[{index}/{total}] {phase}: started, {locations} location(s)"
            case LocationDone(phase=phase, location_id=location, ok=ok, done=done, total=total):
                self._done = done
                line = f"      {phase} {done}/{total} {location}: {'ok' if ok else 'FAILED'}"
            case PhaseFinished(phase=phase, status=status, duration_seconds=seconds):
                line = (
                    f"      {phase}: {status.value} in {seconds * 1000:.1f} ms,"
                    f" {self._done} location(s) done"
                )
        print(line, file=self.out, flush=True)


def print_summary(
    report: RunReport, locations: Sequence[Location], cache: DealCache, *, out: TextIO
) -> None:
    """The run's status, each phase's counts and problems, each store's cached deals."""
    print(
        f"run {report.run_id}: {report.status.value} in {report.duration_seconds:.3f} s", file=out
    )
    if report.reason:
        print(f"  reason: {report.reason}", file=out)
    for phase in report.phases:
        counts = ", ".join(f"{key}={value}" for key, value in phase.result.counts.items())
        print(f"  {phase.name:<12} {phase.status.value:<9} {counts}", file=out)
        for problem in (*phase.result.errors, *phase.result.warnings):
            print(f"    ! {problem}", file=out)
    print("cached deals:", file=out)
    for location in locations:
        deals = cache.get(location.location_id)
        if deals is None:
            print(f"  {location.location_id}: nothing cached", file=out)
            continue
        print(f"  {location.location_id}: {len(deals)} deal(s)", file=out)
        for deal in deals:
            print(f"    {deal.id:<16} {deal.name}", file=out)
    out.flush()


def main(
    argv: Sequence[str] | None = None,
    *,
    cache: DealCache | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Sync the deal files once, or on every tick with ``--every``.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when ``None``).
        cache: The deal cache to fill (a new in-memory one when ``None``).
        stop: With ``--every``, setting it stops the loop after the current run
            (as SIGINT and SIGTERM do).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--deals",
        type=Path,
        default=DEALS,
        metavar="DIR",
        help="the folder of {location_id}.json files (default: examples/data/deals)",
    )
    parser.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="sync on every tick until SIGINT or SIGTERM",
    )
    parser.add_argument("--json", action="store_true", help="print each report as JSON")
    parser.add_argument("--time-zone", default="America/Phoenix", help="the stores' time zone")
    args = parser.parse_args(argv)
    if args.every is not None and args.every <= 0:
        parser.error("--every must be above 0")
    try:
        locations = find_locations(args.deals, time_zone=args.time_zone)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    if not locations:
        print(f"{args.deals}: no {{location_id}}.json files", file=sys.stderr)
        return 2

    deal_cache = cache if cache is not None else InMemoryDealCache()

    def show(report: RunReport) -> None:
        if args.json:
            print(json.dumps(report.to_dict()), flush=True)
        else:
            print_summary(report, locations, deal_cache, out=sys.stdout)

    runner = build_runner(
        args.deals,
        locations,
        cache=deal_cache,
        on_progress=ProgressPrinter(sys.stderr if args.json else sys.stdout),
        history=PrintingHistory(show),
    )
    if args.every is None:
        report = runner.run_once()
        return 0 if report.status is RunStatus.OK else 1
    reports = runner.run_forever(timedelta(seconds=args.every), stop=stop)
    print(f"stopped after {len(reports)} run(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    # The runner logs each warning and error to the "pricekit.sync" logger: to stderr here.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(main())
