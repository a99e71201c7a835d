"""Run every benchmark suite at full scale and write ``benchmarks/RESULTS.md``.

``make bench`` runs this. Each ``benchmarks/test_bench_*.py`` runs in its own
pytest process with ``PRICEKIT_BENCH_FULL=1`` (the stated scales) and
``PRICEKIT_REQUIRE_SERVICES=1`` (a missing PostgreSQL or Redis fails the suite
instead of skipping it), writing pytest-benchmark's ``--benchmark-json``. From
those it writes:

- ``benchmarks/RESULTS.md``: the machine (CPU, cores, RAM, OS, Python,
  PostgreSQL, Redis, library versions, load average), the date, and a table per
  suite (benchmark, scale, min, median, mean, rounds);
- ``benchmarks/results.json``: the same figures, compact, to diff runs and to
  redraw from;
- ``docs/img/scaling.svg``: the chart of cost against catalog size and
  promotion count (from ``test_bench_scaling.py``).

The full JSON of each suite (every round's timing) goes to ``build/bench/``.

    python -m benchmarks.run_all                   # everything (make bench)
    python -m benchmarks.run_all --suite kernel    # one suite, results in build/bench/
    python -m benchmarks.run_all --redraw          # RESULTS.md and the chart from results.json
"""

from __future__ import annotations

import argparse
import ast
import glob
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.svg_chart import Panel, Series, format_seconds, render

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
RESULTS_MD = BENCHMARKS / "RESULTS.md"
RESULTS_JSON = BENCHMARKS / "results.json"
CHART = ROOT / "docs" / "img" / "scaling.svg"
RAW_DIR = ROOT / "build" / "bench"

SUITE_ORDER = (
    "kernel",
    "pricing",
    "scaling",
    "markdowns",
    "promotions",
    "deals",
    "sync",
    "sql_resolution",
    "redis",
    "redis_deals",
)
"""Suites in the order RESULTS.md lists them; any other ``test_bench_*.py`` follows."""

TITLES = {
    "kernel": "Shared kernel",
    "pricing": "Price resolution",
    "scaling": "Scaling with catalog size and promotion count",
    "markdowns": "Markdowns",
    "promotions": "Promotions",
    "deals": "Deals",
    "sync": "Sync runner",
    "sql_resolution": "SQL price resolution on PostgreSQL",
    "redis": "Redis price cache",
    "redis_deals": "Redis deal cache",
}

STATED_SCALES = {
    "kernel": "one operation",
    "markdowns": "100,000 variants",
    "sql_resolution": "2,000 lists, 100,000 items",
    "redis": "1k products, 20 lists",
}
"""The scale of suites whose benchmarks are not parametrised by it."""

SCALE_PARAMS = frozenset({"scale", "menu", "fleet", "catalog", "promotions"})
"""Fixture names whose parameter is a data-set scale (the rest name a case, e.g. a policy)."""


@dataclass(frozen=True)
class Figure:
    """One benchmark's figures, in seconds."""

    suite: str
    name: str
    case: str
    scale: str
    min: float
    median: float
    mean: float
    rounds: int
    iterations: int


@dataclass
class SuiteRun:
    """One suite's run: how it ended and its figures."""

    suite: str
    title: str
    summary: str
    status: str
    seconds: float
    figures: list[Figure] = field(default_factory=list)


# -- the machine ----------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _first_line_of(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "not found"


def _binary(name: str, *globs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for pattern in globs:
        matches = sorted(glob.glob(pattern), reverse=True)
        if matches:
            return matches[0]
    return None


def _cpu() -> str:
    model = ""
    physical: set[tuple[str, str]] = set()
    socket = core = ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name" and not model:
            model = value
        elif key == "physical id":
            socket = value
        elif key == "core id":
            core = value
            physical.add((socket, core))
    model = model or platform.processor() or platform.machine()
    logical = os.cpu_count() or 0
    cores = f"{len(physical)} cores, {logical} threads" if physical else f"{logical} cores"
    return f"{model} ({cores})"


def _ram() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / 1024**2:.1f} GiB"
    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def _os() -> str:
    name = ""
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            name = line.split("=", 1)[1].strip().strip('"')
    kernel = f"{platform.system()} {platform.release()} {platform.machine()}"
    return f"{name}, {kernel}" if name else kernel


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    commit = _first_line_of(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changes = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{commit} (with uncommitted changes)" if changes else commit


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    pg_ctl = _binary("pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl", "/usr/local/pgsql/bin/pg_ctl")
    redis = _binary("redis-server")
    return {
        "CPU": _cpu(),
        "RAM": _ram(),
        "OS": _os(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "PostgreSQL": _first_line_of([pg_ctl, "--version"]) if pg_ctl else "not found",
        "Redis": _first_line_of([redis, "--version"]) if redis else "not found",
        "Libraries": ", ".join(
            f"{name} {_version(name)}"
            for name in ("pricekit", "pydantic", "SQLAlchemy", "psycopg", "redis")
        ),
        "pytest-benchmark": _version("pytest-benchmark"),
        "Commit": _commit(),
    }


# -- running the suites -------------------------------------------------------------------


def suites(selected: Sequence[str] = ()) -> list[str]:
    """The suite names (``test_bench_{name}.py``) to run, in RESULTS.md's order."""
    found = {path.stem.removeprefix("test_bench_") for path in BENCHMARKS.glob("test_bench_*.py")}
    ordered = [name for name in SUITE_ORDER if name in found]
    ordered += sorted(found - set(SUITE_ORDER))
    if not selected:
        return ordered
    unknown = sorted(set(selected) - found)
    if unknown:
        raise SystemExit(f"no such suite: {', '.join(unknown)} (known: {', '.join(ordered)})")
    return [name for name in ordered if name in selected]


def _summary(suite: str) -> str:
    """The first line of the suite module's docstring."""
    tree = ast.parse((BENCHMARKS / f"test_bench_{suite}.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _split_case(benchmark: dict[str, Any]) -> tuple[str, str]:
    """``(case, scale)`` of one benchmark from its parameters.

    The scale is the parameter id left once the other parameters' values (a
    policy, say) are taken out of it; the case is those other values.
    """
    param = benchmark.get("param")
    params: dict[str, Any] = benchmark.get("params") or {}
    if not param:
        return "", ""
    others = [str(value) for key, value in params.items() if key not in SCALE_PARAMS]
    if len(others) == len(params):  # no scale parameter: the whole id is the case
        return str(param), ""
    scale = str(param)
    for value in others:
        for pattern in (f"-{value}", f"{value}-"):
            if pattern in scale:
                scale = scale.replace(pattern, "", 1)
                break
    return ", ".join(others), scale


def figures_of(suite: str, report: dict[str, Any]) -> list[Figure]:
    """The figures of one suite's ``--benchmark-json`` report."""
    out = []
    for benchmark in report.get("benchmarks", []):
        stats = benchmark["stats"]
        case, scale = _split_case(benchmark)
        name = str(benchmark["name"]).split("[", 1)[0]
        out.append(
            Figure(
                suite=suite,
                name=f"{name}[{case}]" if case else name,
                case=case,
                scale=scale or STATED_SCALES.get(suite, ""),
                min=float(stats["min"]),
                median=float(stats["median"]),
                mean=float(stats["mean"]),
                rounds=int(stats["rounds"]),
                iterations=int(stats.get("iterations", 1)),
            )
        )
    return out


def run_suite(suite: str, *, extra: Sequence[str] = ()) -> SuiteRun:
    """Run one suite at full scale in its own pytest process; its figures."""
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    report_path = RAW_DIR / f"{suite}.json"
    report_path.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        f"benchmarks/test_bench_{suite}.py",
        "--benchmark-only",
        f"--benchmark-json={report_path}",
        "--benchmark-columns=min,median,mean,rounds",
        "-q",
        "-p",
        "no:cacheprovider",
        *extra,
    ]
    env = os.environ | {"PRICEKIT_BENCH_FULL": "1", "PRICEKIT_REQUIRE_SERVICES": "1"}
    print(f"\n=== {suite}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    status = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    seconds = time.monotonic() - started
    figures: list[Figure] = []
    if report_path.exists():
        figures = figures_of(suite, json.loads(report_path.read_text(encoding="utf-8")))
    return SuiteRun(
        suite=suite,
        title=TITLES.get(suite, suite.replace("_", " ").capitalize()),
        summary=_summary(suite),
        status="ok" if status == 0 and figures else f"failed (pytest exit status {status})",
        seconds=seconds,
        figures=figures,
    )


# -- writing --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def results_markdown(runs: Sequence[SuiteRun], meta: dict[str, Any]) -> str:
    """RESULTS.md: the machine, then a table per suite."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run_all`); do not edit by hand.",
        "Every suite ran at its full scale (`PRICEKIT_BENCH_FULL=1`), each in its own",
        "pytest process. Times per call; the median is the figure to quote. Rounds are",
        "how many timed calls pytest-benchmark made (each of one or more iterations).",
        "",
        "<!-- --8<-- [start:results] -->",
        "",
        "## The run",
        "",
        "| | |",
        "| --- | --- |",
        f"| Date | {meta['date']} |",
        f"| Duration | {meta['duration']} |",
        f"| Load average (1 / 5 / 15 min) | before {meta['load_before']}; "
        f"after {meta['load_after']} |",
    ]
    if meta.get("note"):
        lines.append(f"| Note | {_cell(str(meta['note']))} |")
    lines += [f"| {key} | {_cell(value)} |" for key, value in meta["machine"].items()]
    for run in runs:
        lines += [
            "",
            f"### {run.title} (`test_bench_{run.suite}.py`)",
            "",
        ]
        if run.summary:
            lines += [run.summary, ""]
        if run.status != "ok":
            lines += [f"**{run.status}**: see the console output of `make bench`.", ""]
        if not run.figures:
            continue
        lines += [
            "| Benchmark | Scale | Min | Median | Mean | Rounds |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for figure in run.figures:
            lines.append(
                f"| `{_cell(figure.name)}` | {_cell(figure.scale) or '-'} | "
                f"{format_seconds(figure.min)} | {format_seconds(figure.median)} | "
                f"{format_seconds(figure.mean)} | {figure.rounds:,} |"
            )
    lines += ["", "<!-- --8<-- [end:results] -->", ""]
    return "\n".join(lines)


def _points(figures: Sequence[Figure], name: str, unit: str) -> tuple[tuple[float, float], ...]:
    """``(count, median)`` of one benchmark over its scales (``1000-products`` -> 1000)."""
    points = []
    for figure in figures:
        if figure.name == name and figure.scale.endswith(unit):
            points.append((float(figure.scale.split("-", 1)[0]), figure.median))
    return tuple(sorted(points))


CATALOG_SERIES = (
    ("resolve one price", "test_resolve_one_by_catalog_size"),
    ("resolve a 20-line cart", "test_resolve_cart_by_catalog_size"),
    ("compile the price book", "test_compile_book_by_catalog_size"),
)
PROMOTION_SERIES = (
    ("evaluate a 20-line cart: priority", "test_evaluate_by_promotion_count[priority]"),
    (
        "evaluate a 20-line cart: best_for_customer",
        "test_evaluate_by_promotion_count[best_for_customer]",
    ),
    ("build the promotion index", "test_build_index_by_promotion_count"),
)


def chart(figures: Sequence[Figure], *, note: str) -> str | None:
    """The scaling chart's SVG from the scaling suite's figures, or ``None`` without them."""
    scaling = [f for f in figures if f.suite == "scaling"]

    def series(specs: Sequence[tuple[str, str]], unit: str) -> tuple[Series, ...]:
        drawn = ((label, _points(scaling, name, unit)) for label, name in specs)
        return tuple(Series(label, points) for label, points in drawn if points)

    panels = [
        panel
        for panel in (
            Panel(
                title="Catalog size",
                x_label="products (5 price-list items each, 100 price lists)",
                series=series(CATALOG_SERIES, "products"),
            ),
            Panel(
                title="Promotion count",
                x_label="active promotions (17 of them can touch the cart)",
                series=series(PROMOTION_SERIES, "promotions"),
            ),
        )
        if panel.series
    ]
    if not panels:
        return None
    return render(panels, title="How pricekit's cost grows (median time per call)", note=note)


def write(runs: Sequence[SuiteRun], meta: dict[str, Any], *, folder: Path | None = None) -> Path:
    """RESULTS.md, results.json and the chart; in ``folder`` instead of their checked-in places.

    Returns:
        The RESULTS.md written.
    """
    results_md = RESULTS_MD if folder is None else folder / RESULTS_MD.name
    results_json = RESULTS_JSON if folder is None else folder / RESULTS_JSON.name
    chart_svg = CHART if folder is None else folder / CHART.name
    results_md.parent.mkdir(parents=True, exist_ok=True)
    results_md.write_text(results_markdown(runs, meta), encoding="utf-8")
    document = {"meta": meta, "suites": [asdict(run) for run in runs]}
    results_json.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")
    cpu = str(meta["machine"].get("CPU", ""))
    svg = chart(
        [figure for run in runs for figure in run.figures],
        note=f"make bench, {meta['date']}, {cpu}; log scales, medians",
    )
    if svg is not None:
        chart_svg.parent.mkdir(parents=True, exist_ok=True)
        chart_svg.write_text(svg, encoding="utf-8")
    return results_md


def _redraw() -> int:
    document = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    runs = [
        SuiteRun(**(run | {"figures": [Figure(**figure) for figure in run["figures"]]}))
        for run in document["suites"]
    ]
    written = write(runs, document["meta"])
    print(f"wrote {written.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")
    return 0


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suites and write the results; 1 if any suite failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this suite (test_bench_NAME.py); repeat for several",
    )
    parser.add_argument(
        "--redraw", action="store_true", help="rewrite RESULTS.md and the chart from results.json"
    )
    parser.add_argument("--note", default="", help="a line for RESULTS.md (e.g. what else ran)")
    parser.add_argument(
        "pytest_args", nargs="*", help="passed to pytest after --, e.g. -- --benchmark-max-time=2"
    )
    args = parser.parse_args(argv)
    if args.redraw:
        return _redraw()
    names = suites(args.suite)
    load_before = _load()
    started = time.monotonic()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = [run_suite(name, extra=args.pytest_args) for name in names]
    meta = {
        "date": date,
        "duration": _duration(time.monotonic() - started),
        "load_before": load_before,
        "load_after": _load(),
        "note": args.note,
        "machine": machine(),
    }
    # Only a run of every suite replaces the checked-in results; a partial one goes to build/.
    written = write(runs, meta, folder=RAW_DIR if args.suite else None)
    print(f"\nwrote {written.relative_to(ROOT)} and the files beside it")
    failed = [run.suite for run in runs if run.status != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(runs)} suites, {sum(len(run.figures) for run in runs)} benchmarks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
