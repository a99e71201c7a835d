"""``pricekit sync``: pull each location's discounts into the deal cache.

- ``pricekit sync run-once``: one run (for cron, a systemd timer, a Kubernetes
  CronJob);
- ``pricekit sync run --every 10m``: a run on every tick (``30s``, ``10m``,
  ``1h``, ``1h30m``, ``1d``) until SIGINT or SIGTERM, which finish the run in
  progress and exit 0;
- ``pricekit sync history``: the latest runs' reports.

A run is pricekit's reference runner (:class:`~pricekit.sync.runner.SyncRunner`)
with two phases, ``discounts`` (each location's discounts from the first source
that serves it) and ``cache`` (each location's deals into the database's deal
cache, one atomic replace; a location whose read failed keeps its cached
deals), and with ``--activate-markdowns`` a third, ``markdown_activation``
(the markdown waves' pending locations whose ``activate_at`` has come).

- **Locations**: ``--locations FILE.json``, a JSON list of objects with the
  fields of :class:`~pricekit.sync.ports.Location`: ``location_id`` and
  ``time_zone`` (an IANA name), and optionally ``pos_id``, ``currency``
  (default ``USD``) and ``name``.
- **Sources**: ``--deals-dir DIR`` reads ``DIR/{location_id}.json``, exported
  Dutchie discount lists (:class:`~pricekit.sync.files.JsonFileDiscountSource`).
  ``--dutchie`` (the ``http`` extra) asks Dutchie's POS API first, for the
  locations that have a key in ``DUTCHIE_POS_API_KEY_{pos_id}``; the others, or
  one whose call fails, fall back to the files. The back-office source and any
  other source of a host's own belong in the host's own program: see
  docs/sync.md ("Sources that talk HTTP", "Run it standalone").
- **Cache, history, lock**: the database's deal cache, its run history and a
  lock every runner on the database shares (a PostgreSQL advisory lock on
  PostgreSQL, a lease row elsewhere), so two ``pricekit sync`` on one database
  never run at once: the second's run is ``skipped``.
- **Progress**: rich progress bars on stderr, a bar per phase advancing per
  location (shown when stderr is a terminal; ``--progress`` or
  ``--no-progress`` to choose).

Exit codes of ``run-once``: 0 when the run was ``ok`` or ``skipped`` (another
run held the lock), 1 when it was ``partial`` (some location or phase failed;
the run went on) or ``failed``. ``run`` exits 0 when stopped by a signal, 3
for a bad ``--every``. Both: 3 for a bad locations file or deals folder, 5 for
a database that cannot be reached or whose schema is behind.

``--json``: ``run-once`` prints the run's ``report.to_dict()``; ``run`` prints
one such object per run, one line each (JSON Lines), as each run ends.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pricekit.cli.main import ExitCode, db_option, fail, json_option, reports_errors
from pricekit.cli.progress import SyncProgress, run_report_table
from pricekit.cli.store import Store
from pricekit.errors import InvalidValueError
from pricekit.ext.sqlalchemy import PostgresAdvisoryLock, SqlLeaseLock
from pricekit.markdowns.service import ActivationResult, MarkdownService
from pricekit.money import get_currency
from pricekit.sync import (
    CacheRefreshPhase,
    DiscountPhase,
    DiscountSource,
    JsonFileDiscountSource,
    Location,
    MarkdownActivationPhase,
    Phase,
    ProgressEvent,
    RunReport,
    RunStatus,
    SyncLock,
    SyncRunner,
    SyncRunRepository,
)
from pricekit.time import zone

__all__ = ["LOCK_NAME", "RUNNER_NAME", "parse_every", "read_locations", "sync"]

_F = TypeVar("_F", bound=Callable[..., Any])


LOCK_NAME = "pricekit-sync"
"""The name of the lock every ``pricekit sync`` on one database shares."""

RUNNER_NAME = "pricekit-sync"
"""The runner's name, in its reports."""

_LOCATION_FIELDS = ("location_id", "time_zone", "pos_id", "currency", "name")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"(?:\d+[smhd])+")
_PART = re.compile(r"(\d+)([smhd])")


# -- input ----------------------------------------------------------------------------------


def parse_every(text: str) -> timedelta:
    """A duration such as ``30s``, ``10m``, ``1h``, ``1h30m`` or ``1d``.

    Raises:
        click.ClickException: Not such a duration, or zero (exit 3, one line).
    """
    compact = text.strip().lower().replace(" ", "")
    if not _EVERY.fullmatch(compact):
        raise fail(
            f"--every: not a duration (got {text!r}); use a number and a unit, "
            "s, m, h or d: 30s, 10m, 1h, 1h30m"
        )
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(compact))
    if seconds <= 0:
        raise fail(f"--every: must be above zero (got {text!r})")
    return timedelta(seconds=seconds)


def read_locations(path: Path) -> list[Location]:
    """The locations of a ``--locations`` file: a JSON list of ``Location`` fields.

    Raises:
        click.ClickException: The file is missing or unreadable, is not JSON, or
            holds something else than a non-empty list of locations with distinct
            ids, known time zones and currencies (exit 3, one line naming the entry).
    """
    where = f"--locations: {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{where}: cannot be read ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"{where}: line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(data, list) or not data:
        raise fail(
            f"{where}: expected a non-empty JSON list of locations, e.g. "
            f'[{{"location_id": "tempe", "time_zone": "America/Phoenix"}}]'
        )
    locations: list[Location] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        at = f"{where}: [{index}]"
        if not isinstance(entry, dict):
            raise fail(f"{at}: expected an object with location_id and time_zone")
        unknown = sorted(str(key) for key in entry if key not in _LOCATION_FIELDS)
        if unknown:
            raise fail(
                f"{at}: unknown field(s) {', '.join(unknown)}; "
                f"the fields are {', '.join(_LOCATION_FIELDS)}"
            )
        for name in _LOCATION_FIELDS:
            value = entry.get(name)
            required = name in ("location_id", "time_zone")
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value.strip():
                what = "is required" if value is None else f"must be non-empty text (got {value!r})"
                raise fail(f"{at}.{name}: {what}")
        location_id = entry["location_id"]
        if location_id in seen:
            raise fail(f"{at}.location_id: {location_id!r} is listed twice")
        seen.add(location_id)
        try:
            zone(entry["time_zone"], field="time_zone")
            currency = get_currency(entry.get("currency") or "USD").code
        except InvalidValueError as error:
            raise fail(f"{at}.{error.field}: {error.reason} (got {error.value!r})") from None
        locations.append(
            Location(
                location_id=location_id,
                time_zone=entry["time_zone"],
                pos_id=entry.get("pos_id"),
                currency=currency,
                name=entry.get("name") or "",
            )
        )
    return locations


# -- the runner -----------------------------------------------------------------------------


class _ShowingHistory:
    """The database's run history, which also shows each report as the runner records it."""

    def __init__(self, kept: SyncRunRepository, show: Callable[[RunReport], None]) -> None:
        self._kept = kept
        self._show = show

    def record(self, report: RunReport) -> None:
        try:
            self._kept.record(report)
        finally:
            self._show(report)

    def recent(self, limit: int = 20) -> list[RunReport]:
        return self._kept.recent(limit)


class _FreshMarkdowns:
    """The markdown service, its active-markdown index reloaded before each activation job.

    Waves change in other processes (``pricekit markdowns activate``); a
    long-running ``pricekit sync run`` must not price from what it read before.
    """

    def __init__(self, service: MarkdownService) -> None:
        self._service = service

    def activate_due(
        self, now: datetime | None = None, *, business_id: str | None = None
    ) -> list[ActivationResult]:
        self._service.refresh()
        return self._service.activate_due(now, business_id=business_id)


def _lock(store: Store) -> SyncLock:
    if store.engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(store.engine, name=LOCK_NAME)
    return SqlLeaseLock(store.engine, name=LOCK_NAME)


def _sources(
    stack: ExitStack, *, deals_dir: Path | None, dutchie: bool, dutchie_url: str | None
) -> list[DiscountSource]:
    sources: list[DiscountSource] = []
    if dutchie:
        try:
            from pricekit.sync.http import (  # noqa: PLC0415 - the http extra is optional
                DUTCHIE_POS_URL,
                DutchiePosClient,
                DutchiePosSource,
                PosApiKeys,
            )
        except ImportError:
            raise fail(
                "--dutchie needs httpx, which is not installed: pip install 'pricekit[http]'"
            ) from None
        client = stack.enter_context(DutchiePosClient(base_url=dutchie_url or DUTCHIE_POS_URL))
        sources.append(DutchiePosSource(client, PosApiKeys()))
    if deals_dir is not None:
        if not deals_dir.is_dir():
            raise fail(f"--deals-dir: {deals_dir}: no such folder")
        sources.append(JsonFileDiscountSource(deals_dir))
    if not sources:
        raise fail("give a discount source: --deals-dir DIR, or --dutchie", ExitCode.USAGE)
    return sources


class _OneLine(logging.Formatter):
    """A log record as one line, an exception as its type and message (no traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            text += f" ({type(error).__name__}: {error})"
        return text


@contextmanager
def _sync_log_on_stderr() -> Iterator[None]:
    """Show the runner's error records that carry an exception, one line each, on stderr.

    They are what a run's report does not hold (a lock that could not be
    released, a history write that failed); every other problem is in the report.
    With ``PRICEKIT_DEBUG`` set, the records go on to the usual handlers whole.
    """
    if os.environ.get("PRICEKIT_DEBUG"):
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.addFilter(lambda record: record.exc_info is not None)
    handler.setFormatter(_OneLine())
    logger = logging.getLogger("pricekit.sync")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        db_option,
        click.option(
            "--locations",
            "locations_file",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE.json",
            help='A JSON list of locations: [{"location_id": ..., "time_zone": ..., '
            '"pos_id"?, "currency"?, "name"?}].',
        ),
        click.option(
            "--deals-dir",
            type=click.Path(path_type=Path),
            default=None,
            metavar="DIR",
            help="A folder of exported Dutchie discount lists, DIR/{location_id}.json.",
        ),
        click.option(
            "--dutchie",
            is_flag=True,
            help="Ask Dutchie's POS API first, with the keys in DUTCHIE_POS_API_KEY_{pos_id} "
            "(needs the http extra).",
        ),
        click.option(
            "--dutchie-url",
            envvar="PRICEKIT_DUTCHIE_POS_URL",
            default=None,
            metavar="URL",
            help="The POS API's base URL (default: Dutchie's).",
        ),
        click.option(
            "--activate-markdowns",
            is_flag=True,
            help="Also activate the markdown wave locations whose activate_at has come.",
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Progress bars on stderr (default: when stderr is a terminal).",
        ),
        json_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def _runner(
    *,
    db_url: str,
    locations_file: Path,
    deals_dir: Path | None,
    dutchie: bool,
    dutchie_url: str | None,
    activate_markdowns: bool,
    progress: bool | None,
    show: Callable[[RunReport], None] | None = None,
) -> Iterator[tuple[SyncRunner, SyncProgress | None, list[Location]]]:
    locations = read_locations(locations_file)
    with ExitStack() as stack:
        sources = _sources(stack, deals_dir=deals_dir, dutchie=dutchie, dutchie_url=dutchie_url)
        store = stack.enter_context(Store.open(db_url))
        bars: SyncProgress | None = None
        if progress or (progress is None and sys.stderr.isatty()):
            names = {location.location_id: location.label for location in locations}
            bars = SyncProgress(Console(stderr=True), names=names)
            stack.callback(bars.stop)
        phases: list[Phase] = [DiscountPhase(sources), CacheRefreshPhase(store.deals)]
        if activate_markdowns:
            phases.append(MarkdownActivationPhase(_FreshMarkdowns(store.markdown_service())))
        history: SyncRunRepository = store.sync_runs
        if show is not None:
            history = _ShowingHistory(store.sync_runs, show)
        on_progress: Callable[[ProgressEvent], None] | None = bars
        runner = SyncRunner(
            phases,
            locations=locations,
            lock=_lock(store),
            history=history,
            on_progress=on_progress,
            name=RUNNER_NAME,
        )
        stack.enter_context(_sync_log_on_stderr())
        yield runner, bars, locations


def _why_not_ok(report: RunReport) -> str:
    """One line on a run that was not ``ok``: its status and its first problems."""
    problems = [report.reason] if report.reason else []
    for phase in report.phases:
        problems.extend(f"{phase.name}: {text}" for text in phase.result.errors)
        problems.extend(f"{phase.name}: {text}" for text in phase.result.warnings)
    shown = "; ".join(problems[:3]) + (
        f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    )
    return f"sync run {report.run_id} was {report.status.value}" + (f": {shown}" if shown else "")


def _print_report(report: RunReport, locations: list[Location]) -> None:
    Console().print(run_report_table(report, locations=locations))


# -- commands -------------------------------------------------------------------------------


_SYNC_HELP = """Pull each location's discounts into the deal cache, once or on a schedule.

\b
Phases: discounts (each location from the first source that serves it), cache
(one atomic replace per location; a location whose read failed keeps its
deals), and with --activate-markdowns, markdown_activation.

\b
Sources: --deals-dir DIR reads DIR/{location_id}.json (exported Dutchie
discount lists); --dutchie asks Dutchie's POS API first for locations with a
key in DUTCHIE_POS_API_KEY_{pos_id}. The back office and a host's own sources
belong in the host's own program around pricekit.sync.SyncRunner: see
docs/sync.md ("Sources that talk HTTP", "Run it standalone").

\b
One run at a time per database: a PostgreSQL advisory lock on PostgreSQL, a
lease row elsewhere; a run that finds it held is skipped.

\b
Exit codes: 0 ok (or skipped; run: stopped by SIGINT/SIGTERM), 1 the run was
partial or failed, 2 usage, 3 bad input (locations file, deals folder,
--every), 5 the database cannot be reached or its schema is behind.
"""

sync: click.Group = click.Group("sync", help=_SYNC_HELP, short_help=_SYNC_HELP.splitlines()[0])
"""The ``pricekit sync`` command group."""


@sync.command("run-once")
@_run_options
@reports_errors
def run_once_command(
    *,
    db_url: str,
    locations_file: Path,
    deals_dir: Path | None,
    dutchie: bool,
    dutchie_url: str | None,
    activate_markdowns: bool,
    progress: bool | None,
    as_json: bool,
) -> None:
    """Run the sync once; exit 1 if the run was partial or failed.

    Exit 0 when the run was ok, or skipped because another run holds the lock.
    --json prints the run's report (run_id, runner, status, reason, started_at,
    finished_at, duration_seconds, phases).
    """
    with _runner(
        db_url=db_url,
        locations_file=locations_file,
        deals_dir=deals_dir,
        dutchie=dutchie,
        dutchie_url=dutchie_url,
        activate_markdowns=activate_markdowns,
        progress=progress,
    ) as (runner, bars, locations):
        report = runner.run_once()
        if bars is not None:
            bars.stop()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report, locations)
    if report.status in (RunStatus.FAILED, RunStatus.PARTIAL):
        raise fail(_why_not_ok(report), ExitCode.FAILED)


@sync.command("run")
@click.option(
    "--every",
    "every_text",
    required=True,
    metavar="DURATION",
    help="How often: 30s, 10m, 1h, 1h30m, 1d.",
)
@_run_options
@reports_errors
def run_command(
    *,
    every_text: str,
    db_url: str,
    locations_file: Path,
    deals_dir: Path | None,
    dutchie: bool,
    dutchie_url: str | None,
    activate_markdowns: bool,
    progress: bool | None,
    as_json: bool,
) -> None:
    """Run the sync on every tick until SIGINT or SIGTERM (then exit 0).

    A run longer than --every delays the next tick rather than overlapping it.
    Each run's report is printed as it ends (--json: one JSON object per line).
    """
    every = parse_every(every_text)
    shown: list[Location] = []
    bars_of: list[SyncProgress | None] = [None]

    def show(report: RunReport) -> None:
        bars = bars_of[0]
        if bars is not None:
            bars.stop()
        if as_json:
            click.echo(json.dumps(report.to_dict()))
        else:
            _print_report(report, shown)

    with _runner(
        db_url=db_url,
        locations_file=locations_file,
        deals_dir=deals_dir,
        dutchie=dutchie,
        dutchie_url=dutchie_url,
        activate_markdowns=activate_markdowns,
        progress=progress,
        show=show,
    ) as (runner, bars, locations):
        shown.extend(locations)
        bars_of[0] = bars
        if not as_json:
            Console(stderr=True).print(
                f"syncing {len(locations)} location(s) every {every_text.strip()}; "
                "Ctrl-C or SIGTERM stops after the run in progress",
                style="dim",
            )
        runner.run_forever(every)


@sync.command("history")
@db_option
@click.option(
    "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many runs."
)
@json_option
@reports_errors
def history_command(*, db_url: str, limit: int, as_json: bool) -> None:
    """Show the latest sync runs, newest first.

    JSON: {"runs": [report, ...]}, each as run-once --json prints it.
    """
    with Store.open(db_url) as store:
        reports = store.sync_runs.recent(limit)
    if as_json:
        click.echo(json.dumps({"runs": [report.to_dict() for report in reports]}, indent=2))
        return
    console = Console()
    if not reports:
        console.print("no sync runs yet (run `pricekit sync run-once`)")
        return
    console.print(f"the latest {len(reports)} sync run(s), newest first:")
    table = Table()
    table.add_column("run")
    table.add_column("status")
    table.add_column("started")
    table.add_column("time", justify="right")
    table.add_column("phases")
    table.add_column("reason")
    for report in reports:
        phases = ", ".join(f"{phase.name} {phase.status.value}" for phase in report.phases)
        table.add_row(
            report.run_id,
            Text(report.status.value),
            report.started_at.strftime("%Y-%m-%d %H:%M:%S %Z"),
            f"{report.duration_seconds:.3f} s",
            phases,
            report.reason,
        )
    console.print(table)
