"""Rich progress bars for sync runs, and a run report as a rich table.

:class:`SyncProgress` turns the runner's progress events into one bar per
phase that advances as each location is done (it names the last location and
counts the failed ones). Pass it as the runner's ``on_progress`` and use it as
a context manager, so that the bars stop when the run is over::

    from rich.console import Console
    from pricekit.cli.progress import SyncProgress, run_report_table

    with SyncProgress(Console(stderr=True)) as progress:
        runner = SyncRunner(phases, locations=stores, on_progress=progress)
        report = runner.run_once()
    Console().print(run_report_table(report))

The bars start with the first event (or :meth:`SyncProgress.start`). A new run
(another ``run_id``) clears the previous run's bars, so one instance serves a
runner that runs again and again; call :meth:`SyncProgress.stop` between runs
to leave each run's final bars on screen. On a console that is not a terminal
the final bars are printed once, when they stop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from pricekit.sync.ports import Location
from pricekit.sync.runner import (
    LocationDone,
    LocationOutcome,
    PhaseFinished,
    PhaseReport,
    PhaseStarted,
    PhaseStatus,
    ProgressEvent,
    RunReport,
    RunStatus,
)

__all__ = ["SyncProgress", "run_report_table"]

_STATUS_STYLE = {
    PhaseStatus.OK: "green",
    PhaseStatus.WARNINGS: "yellow",
    PhaseStatus.FAILED: "red",
    PhaseStatus.SKIPPED: "dim",
    RunStatus.OK: "green",
    RunStatus.PARTIAL: "yellow",
    RunStatus.FAILED: "red",
    RunStatus.SKIPPED: "dim",
}


class SyncProgress:
    """Progress bars for sync runs: one per phase, advancing per location.

    A callable taking the runner's :data:`~pricekit.sync.runner.ProgressEvent`
    (give it as ``SyncRunner(on_progress=...)``) and a context manager that
    stops the bars on the way out.

    Args:
        console: Where the bars are drawn (a console on stderr by default, so
            that a command's own output on stdout stays clean).
        transient: Clear the bars when they stop, instead of leaving them.
        names: Names to show for location ids (e.g. ``{loc.location_id: loc.label}``);
            ids without one are shown as they are.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        transient: bool = False,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.console = Console(stderr=True) if console is None else console
        self._names = dict(names or {})
        self._progress = Progress(
            SpinnerColumn(finished_text=" "),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            console=self.console,
            transient=transient,
        )
        self._run_id: str | None = None
        self._tasks: dict[str, TaskID] = {}
        self._failed: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._started = False

    @property
    def progress(self) -> Progress:
        """The underlying :class:`rich.progress.Progress` (its tasks are the phases)."""
        return self._progress

    def start(self) -> None:
        """Show the bars (done by the first event if not called)."""
        if not self._started:
            self._progress.start()
            self._started = True

    def stop(self) -> None:
        """Stop drawing, leaving the final bars (unless ``transient``)."""
        if self._started:
            self._progress.stop()
            self._started = False

    def __enter__(self) -> SyncProgress:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def __call__(self, event: ProgressEvent) -> None:
        """Move the bars on by one progress event."""
        self.start()
        if isinstance(event, PhaseStarted):
            self._phase_started(event)
        elif isinstance(event, LocationDone):
            self._location_done(event)
        elif isinstance(event, PhaseFinished):
            self._phase_finished(event)

    def _phase_started(self, event: PhaseStarted) -> None:
        if event.run_id != self._run_id:
            for task in self._tasks.values():
                self._progress.remove_task(task)
            self._tasks.clear()
            self._failed.clear()
            self._totals.clear()
            self._run_id = event.run_id
        noun = "location" if event.locations == 1 else "locations"
        self._tasks[event.phase] = self._progress.add_task(
            f"[{event.index}/{event.total}] {event.phase}",
            total=event.locations or None,
            detail=f"{event.locations} {noun}" if event.locations else "",
        )
        self._failed[event.phase] = 0
        self._totals[event.phase] = event.locations

    def _location_done(self, event: LocationDone) -> None:
        task = self._tasks.get(event.phase)
        if task is None:
            return
        if not event.ok:
            self._failed[event.phase] += 1
        failed = self._failed[event.phase]
        mark = "[green]ok[/]" if event.ok else "[red]failed[/]"
        detail = f"{self._names.get(event.location_id, event.location_id)} {mark}"
        if failed:
            detail += f" ([red]{failed} failed[/])"
        self._totals[event.phase] = event.total
        self._progress.update(task, completed=event.done, total=event.total, detail=detail)

    def _phase_finished(self, event: PhaseFinished) -> None:
        task = self._tasks.get(event.phase)
        if task is None:
            return
        total = self._totals.get(event.phase) or 1
        style = _STATUS_STYLE.get(event.status, "")
        failed = self._failed.get(event.phase, 0)
        tail = f" ({failed} failed)" if failed else ""
        self._progress.update(
            task,
            total=total,
            completed=total,
            detail=f"[{style}]{event.status.value}[/]{tail}",
        )


def _counts(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


def _locations_table(phases: Sequence[PhaseReport], locations: Sequence[Location]) -> Table:
    """A row per location, a column per phase: what the phase did there."""
    names = {location.location_id: location.label for location in locations}
    order: list[str] = [location.location_id for location in locations]
    outcomes: dict[tuple[str, str], LocationOutcome] = {}
    for phase in phases:
        for outcome in phase.result.locations:
            outcomes[phase.name, outcome.location_id] = outcome
            if outcome.location_id not in order:
                order.append(outcome.location_id)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("location", overflow="fold")
    for phase in phases:
        table.add_column(phase.name, overflow="fold")
    for location_id in order:
        cells: list[RenderableType] = [names.get(location_id, location_id)]
        for phase in phases:
            found = outcomes.get((phase.name, location_id))
            if found is None:
                cells.append(Text("-", style="dim"))
            else:
                cells.append(Text(found.detail or "ok", style="" if found.ok else "red"))
        table.add_row(*cells)
    return table


def run_report_table(report: RunReport, *, locations: Sequence[Location] = ()) -> RenderableType:
    """A sync run's report for a console: its status, a row per phase, a row per location.

    Args:
        report: The run's report.
        locations: The run's locations, to show their names (ids are shown otherwise).

    Returns:
        A rich renderable: a heading line, the phases table and, when a phase
        went through locations, the locations table (each phase's outcome there).
    """
    style = _STATUS_STYLE.get(report.status, "")
    heading = Text.assemble(
        "sync run ",
        (report.run_id, "bold"),
        ": ",
        (report.status.value, f"bold {style}"),
        f" in {report.duration_seconds:.3f} s",
    )
    if report.reason:
        heading.append(f" ({report.reason})")
    parts: list[RenderableType] = [heading]
    if not report.phases:
        return Group(*parts)

    phases = Table(title=None, show_edge=False, pad_edge=False)
    phases.add_column("phase", overflow="fold")
    phases.add_column("status")
    phases.add_column("time", justify="right", no_wrap=True)
    phases.add_column("counts", overflow="fold")
    phases.add_column("problems", overflow="fold")
    for phase in report.phases:
        result = phase.result
        problems = [*result.errors, *result.warnings]
        if result.skipped:
            problems.insert(0, f"skipped: {result.skipped}")
        phases.add_row(
            phase.name,
            Text(phase.status.value, style=_STATUS_STYLE.get(phase.status, "")),
            f"{phase.duration_seconds * 1000:.1f} ms",
            _counts(dict(result.counts)),
            "\n".join(problems),
        )
    parts.append(phases)

    per_location = [phase for phase in report.phases if phase.result.locations]
    if per_location:
        parts.append(_locations_table(per_location, locations))
    return Group(*parts)
