"""``pricekit sync run-once|run|history`` and the progress bars of ``pricekit.cli.progress``."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from pricekit.catalog import Category, Product, Variant
from pricekit.cli.main import cli
from pricekit.cli.progress import SyncProgress, run_report_table
from pricekit.cli.store import Store
from pricekit.cli.sync import LOCK_NAME, parse_every, read_locations
from pricekit.deals.models import Deal
from pricekit.ext.sqlalchemy import SqlLeaseLock
from pricekit.markdowns.models import WaveStatus
from pricekit.memory import InMemoryDealCache
from pricekit.memory.sync import InMemoryDiscountSource
from pricekit.money import Money
from pricekit.sync import (
    CacheRefreshPhase,
    DiscountPhase,
    Location,
    LocationDone,
    PhaseFinished,
    PhaseStarted,
    PhaseStatus,
    RunReport,
    RunStatus,
    SyncRunner,
    write_discount_file,
)
from pricekit.time import FixedClock


def pricekit_command() -> list[str]:
    beside = Path(sys.executable).parent / "pricekit"
    found = str(beside) if beside.exists() else shutil.which("pricekit")
    assert found, "the pricekit console script is not installed"
    return [found]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PRICEKIT_DB", "PRICEKIT_DEBUG")}
    env["COLUMNS"] = "200"
    return env


def run_pricekit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*pricekit_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        check=False,
    )


def invoke(*args: str) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"PRICEKIT_DB": None, "PRICEKIT_DEBUG": None, "COLUMNS": "200"}
    )


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def discount(number: int, name: str, percent: str = "0.1") -> dict[str, Any]:
    """One discount of Dutchie's ``/discounts/v2/list``."""
    return {
        "id": number,
        "discountName": name,
        "applicationMethod": "Automatic",
        "isActive": True,
        "reward": {
            "calculationMethod": "PERCENT_OFF",
            "discountValue": Decimal(percent),
            "restrictions": {},
        },
    }


class Setup:
    """A migrated database, a locations file and a folder of discount files."""

    def __init__(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path}/sync.db"
        self.locations = tmp_path / "locations.json"
        self.deals_dir = tmp_path / "deals"
        self.locations.write_text(
            json.dumps(
                [
                    {"location_id": "tempe", "time_zone": "America/Phoenix", "name": "Tempe"},
                    {"location_id": "mesa", "time_zone": "America/Phoenix", "pos_id": "lsp-2"},
                ]
            )
        )
        write_discount_file(self.deals_dir, "tempe", [discount(1, "Ten off"), discount(2, "Two")])
        write_discount_file(self.deals_dir, "mesa", [discount(7, "Mesa deal")])
        with Store.open(self.url, create=True):
            pass

    def args(self, *more: str) -> list[str]:
        return [
            "--db",
            self.url,
            "--locations",
            str(self.locations),
            "--deals-dir",
            str(self.deals_dir),
            *more,
        ]

    def cached(self, location_id: str) -> list[str] | None:
        with Store.open(self.url) as store:
            deals = store.deals.get(location_id)
            return None if deals is None else [deal.id for deal in deals]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


# -- run-once ---------------------------------------------------------------------------------


def test_run_once_fills_the_deal_cache_and_prints_the_report_as_json(setup: Setup) -> None:
    result = invoke("sync", "run-once", *setup.args("--json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "ok"
    assert report["runner"] == "pricekit-sync"
    assert [phase["name"] for phase in report["phases"]] == ["discounts", "cache"]
    assert report["phases"][0]["counts"]["deals"] == 3
    assert RunReport.from_dict(report).status is RunStatus.OK
    assert setup.cached("tempe") == ["tempe_1", "tempe_2"]
    assert setup.cached("mesa") == ["mesa_7"]
    with Store.open(setup.url) as store:
        assert [run.run_id for run in store.sync_runs.recent()] == [report["run_id"]]
    assert result.stderr == ""  # no progress bars when stderr is not a terminal


def test_run_once_text_shows_each_phase_and_location(setup: Setup) -> None:
    result = invoke("sync", "run-once", *setup.args())
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ": ok in " in out
    assert "discounts" in out
    assert "cached=3" in out
    assert "Tempe" in out  # the location's name, not its id
    assert "2 deals from json-files" in out
    assert "1 deal from json-files" in out


def test_a_partial_run_exits_1_and_keeps_the_failed_locations_deals(setup: Setup) -> None:
    assert invoke("sync", "run-once", *setup.args()).exit_code == 0
    (setup.deals_dir / "mesa.json").write_text("[{oops")

    result = invoke("sync", "run-once", *setup.args("--json"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "partial"
    line = one_error_line(result.stderr)
    assert "was partial: discounts: mesa:" in line
    assert "line 1, column 3" in line
    assert setup.cached("mesa") == ["mesa_7"]  # kept, never emptied by a failed read


def test_a_run_where_every_location_fails_exits_1(setup: Setup, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke(
        "sync",
        "run-once",
        "--db",
        setup.url,
        "--locations",
        str(setup.locations),
        "--deals-dir",
        str(empty),
    )
    assert result.exit_code == 1
    assert "every location failed" in one_error_line(result.stderr)
    assert setup.cached("tempe") is None


def test_a_run_that_finds_the_lock_held_is_skipped_and_exits_0(setup: Setup) -> None:
    with Store.open(setup.url) as store:
        assert SqlLeaseLock(store.engine, name=LOCK_NAME).acquire("another", ttl_seconds=600)
    result = invoke("sync", "run-once", *setup.args("--json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["status"], report["reason"], report["phases"]) == (
        "skipped",
        "already running",
        [],
    )
    assert setup.cached("tempe") is None


def test_activate_markdowns_adds_the_markdown_job(setup: Setup) -> None:
    past = datetime(2020, 1, 1, tzinfo=UTC)
    with Store.open(setup.url, clock=FixedClock(past)) as store:
        store.catalog.save(
            categories=[Category(id="c", name="C")],
            products=[Product(id="p", name="P", category_id="c")],
            variants=[Variant(id="v", product_id="p", price=Money.of("10.00", "USD"))],
        )
        service = store.markdown_service()
        service.create_plan({"id": "plan", "business_id": "biz", "name": "Plan"})
        service.create_wave(
            "plan",
            {
                "id": "w",
                "name": "Later",
                "method": "percent",
                "value": "10",
                "reason": "overstock",
                "currency": "USD",
                "scopes": [{"type": "product", "ids": ["p"]}],
                "locations": [{"location_id": "s1", "activate_at": past + timedelta(days=1)}],
            },
        )
        assert service.activate("w").wave.status is WaveStatus.SCHEDULED

    result = invoke("sync", "run-once", *setup.args("--activate-markdowns", "--json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["phases"][-1]["name"] == "markdown_activation"
    assert report["phases"][-1]["counts"] == {"activated": 1}
    with Store.open(setup.url) as store:
        assert store.markdown_service().get_wave("w").status is WaveStatus.ACTIVE


def test_progress_bars_go_to_stderr_when_asked(setup: Setup) -> None:
    result = invoke("sync", "run-once", *setup.args("--progress", "--json"))
    assert result.exit_code == 0, result.output
    assert "[1/2] discounts" in result.stderr
    assert "[2/2] cache" in result.stderr
    assert "2/2" in result.stderr
    json.loads(result.stdout)  # stdout stays clean JSON


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (["--deals-dir", "/no/such/folder"], 3, "--deals-dir: /no/such/folder: no such folder"),
        (["--locations", "/no/such.json"], 3, "--locations: /no/such.json: no such file"),
    ],
)
def test_bad_sources_and_locations_are_one_line(
    setup: Setup, change: list[str], code: int, words: str
) -> None:
    args = setup.args()
    index = args.index(change[0])
    args[index + 1] = change[1]
    result = invoke("sync", "run-once", *args)
    assert result.exit_code == code
    assert words in one_error_line(result.stderr)


def test_a_run_needs_a_source(setup: Setup) -> None:
    result = invoke("sync", "run-once", "--db", setup.url, "--locations", str(setup.locations))
    assert result.exit_code == 2
    assert "--deals-dir DIR, or --dutchie" in one_error_line(result.stderr)


def test_a_database_without_the_schema_is_exit_5(setup: Setup, tmp_path: Path) -> None:
    args = setup.args()
    args[1] = f"sqlite:///{tmp_path}/empty.db"
    result = invoke("sync", "run-once", *args)
    assert result.exit_code == 5
    assert "pricekit db upgrade" in one_error_line(result.stderr)


# -- --dutchie --------------------------------------------------------------------------------


class _PosApi(BaseHTTPRequestHandler):
    """Dutchie's ``GET /discounts/v2/list``: one discount for the key ``k-tempe``."""

    def do_GET(self) -> None:
        expected = "Basic " + base64.b64encode(b"k-tempe:").decode()
        if not self.path.startswith("/discounts/v2/list"):
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps(
            [
                {
                    **discount(99, "From the POS"),
                    "reward": {
                        "calculationMethod": "PERCENT_OFF",
                        "discountValue": 0.2,
                        "restrictions": {},
                    },
                }
            ]
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pos_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PosApi)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_dutchie_asks_the_pos_api_for_locations_with_a_key_and_files_for_the_rest(
    setup: Setup, pos_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTCHIE_POS_API_KEY_TEMPE", "k-tempe")
    monkeypatch.delenv("DUTCHIE_POS_API_KEY_LSP_2", raising=False)
    monkeypatch.delenv("DUTCHIE_POS_API_KEY_lsp-2", raising=False)
    result = invoke(
        "sync", "run-once", *setup.args("--dutchie", "--dutchie-url", pos_api, "--json")
    )
    assert result.exit_code == 0, result.output
    details = [o["detail"] for o in json.loads(result.stdout)["phases"][0]["locations"]]
    assert details == ["1 deal from dutchie-pos", "1 deal from json-files"]
    assert setup.cached("tempe") == ["tempe_99"]
    assert setup.cached("mesa") == ["mesa_7"]


# -- run --every ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_parse_every_reads_durations(text: str, expected: timedelta) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "10", "10x", "m", "-5m", "1.5h", "0s", "0h0m"])
def test_parse_every_refuses_what_is_not_a_positive_duration(text: str) -> None:
    with pytest.raises(click.ClickException) as caught:
        parse_every(text)
    assert caught.value.exit_code == 3
    assert caught.value.format_message().startswith("--every: ")


def test_run_with_a_bad_every_is_one_line_and_exit_3(setup: Setup) -> None:
    result = invoke("sync", "run", "--every", "ten minutes", *setup.args())
    assert result.exit_code == 3
    assert "--every: not a duration" in one_error_line(result.stderr)


def test_run_every_stops_cleanly_on_sigterm(setup: Setup) -> None:
    process = subprocess.Popen(
        [*pricekit_command(), "sync", "run", "--every", "1s", *setup.args("--json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())  # the first run is over: handlers are in
        assert first["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert err == ""
    for line in out.splitlines():  # any run that ended before the signal: one JSON line each
        assert json.loads(line)["runner"] == "pricekit-sync"
    with Store.open(setup.url) as store:
        assert len(store.sync_runs.recent()) >= 1


# -- history ----------------------------------------------------------------------------------


def test_history_lists_the_latest_runs_newest_first(setup: Setup) -> None:
    empty = invoke("sync", "history", "--db", setup.url)
    assert empty.exit_code == 0
    assert "no sync runs yet" in empty.stdout

    first = json.loads(invoke("sync", "run-once", *setup.args("--json")).stdout)["run_id"]
    second = json.loads(invoke("sync", "run-once", *setup.args("--json")).stdout)["run_id"]
    data = json.loads(invoke("sync", "history", "--db", setup.url, "--json").stdout)
    assert [run["run_id"] for run in data["runs"]] == [second, first]
    limited = json.loads(
        invoke("sync", "history", "--db", setup.url, "--limit", "1", "--json").stdout
    )
    assert len(limited["runs"]) == 1
    text = invoke("sync", "history", "--db", setup.url).stdout
    assert first in text
    assert second in text


# -- read_locations ---------------------------------------------------------------------------


def test_read_locations_reads_every_field(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    path.write_text(
        json.dumps(
            [
                {"location_id": "a", "time_zone": "UTC"},
                {
                    "location_id": "b",
                    "time_zone": "Europe/Paris",
                    "pos_id": "p-b",
                    "currency": "EUR",
                    "name": "B",
                },
            ]
        )
    )
    assert read_locations(path) == [
        Location("a", "UTC"),
        Location("b", "Europe/Paris", pos_id="p-b", currency="EUR", name="B"),
    ]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[{", "line 1, column 3"),
        ("{}", "expected a non-empty JSON list of locations"),
        ("[]", "expected a non-empty JSON list of locations"),
        ('["a"]', "[0]: expected an object"),
        ('[{"location_id": "a"}]', "[0].time_zone: is required"),
        ('[{"location_id": "a", "time_zone": "UTC", "zone": 1}]', "unknown field(s) zone"),
        ('[{"location_id": 5, "time_zone": "UTC"}]', "[0].location_id: must be non-empty text"),
        ('[{"location_id": "a", "time_zone": "Mars/Base"}]', "[0].time_zone: unknown time zone"),
        ('[{"location_id": "a", "time_zone": "UTC", "currency": "XXQ"}]', "[0].currency"),
        (
            '[{"location_id": "a", "time_zone": "UTC"}, {"location_id": "a", "time_zone": "UTC"}]',
            "[1].location_id: 'a' is listed twice",
        ),
    ],
)
def test_read_locations_refuses_with_one_line_naming_the_entry(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "l.json"
    path.write_text(content)
    with pytest.raises(click.ClickException) as caught:
        read_locations(path)
    assert caught.value.exit_code == 3
    message = caught.value.format_message()
    assert message.startswith(f"--locations: {path}")
    assert words in message
    assert "\n" not in message


# -- progress bars and the report table -------------------------------------------------------


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


STORES = [Location("a", "UTC", name="Store A"), Location("b", "UTC"), Location("c", "UTC")]


def runner_with(progress: SyncProgress, source: InMemoryDiscountSource) -> SyncRunner:
    return SyncRunner(
        [DiscountPhase([source]), CacheRefreshPhase(InMemoryDealCache())],
        locations=STORES,
        on_progress=progress,
    )


def test_sync_progress_draws_a_bar_per_phase_advancing_per_location() -> None:
    out = StringIO()
    source = InMemoryDiscountSource({"a": [deal("a", 1)], "b": [], "c": []})
    source.fail_for("c", "HTTP 503")
    with SyncProgress(Console(file=out, width=120)) as progress:
        report = runner_with(progress, source).run_once()
    text = out.getvalue()
    assert report.status is RunStatus.PARTIAL
    assert "[1/2] discounts" in text
    assert "3/3" in text
    assert "warnings (1 failed)" in text
    assert "[2/2] cache" in text
    assert "2/2" in text  # the cache phase went through the two locations that were read


def test_sync_progress_names_the_last_location_done_and_counts_failures() -> None:
    progress = SyncProgress(Console(file=StringIO()), names={"c": "Store C"})
    progress(PhaseStarted("r1", "discounts", 1, 1, 2))
    progress(LocationDone("r1", "discounts", "c", False, 1, 2))
    (task,) = progress.progress.tasks
    assert (task.completed, task.total) == (1, 2)
    assert "Store C" in task.fields["detail"]
    assert "1 failed" in task.fields["detail"]
    progress(LocationDone("r1", "discounts", "b", True, 2, 2))
    assert task.fields["detail"].startswith("b ")  # an id without a name is shown as it is
    progress(PhaseFinished("r1", "discounts", PhaseStatus.WARNINGS, 0.01))
    assert task.finished
    assert "warnings" in task.fields["detail"]
    progress.stop()


def test_sync_progress_starts_a_new_runs_bars_afresh() -> None:
    progress = SyncProgress(Console(file=StringIO(), width=120))
    runner = runner_with(progress, InMemoryDiscountSource({"a": [], "b": [], "c": []}))
    runner.run_once()  # used without `with`: the first event starts it
    runner.run_once()
    progress.stop()
    progress.stop()  # stopping twice is harmless
    tasks = progress.progress.tasks
    assert [task.description for task in tasks] == ["[1/2] discounts", "[2/2] cache"]
    assert all(task.finished for task in tasks)


def test_run_report_table_shows_phases_and_locations_by_name() -> None:
    source = InMemoryDiscountSource({"a": [deal("a", 1), deal("a", 2)], "b": []})
    report = runner_with(SyncProgress(Console(file=StringIO())), source).run_once()
    out = StringIO()
    Console(file=out, width=160).print(run_report_table(report, locations=STORES))
    text = out.getvalue()
    assert f"sync run {report.run_id}: partial" in text
    assert "discounts" in text
    assert "warnings" in text
    assert "Store A" in text
    assert "2 deals from" in text
    assert "kept the previously cached deals of c" in text


def test_run_report_table_of_a_skipped_run_gives_its_reason() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    report = RunReport("r1", "x", RunStatus.SKIPPED, at, at, reason="already running")
    out = StringIO()
    Console(file=out, width=120).print(run_report_table(report))
    assert "sync run r1: skipped in 0.000 s (already running)" in out.getvalue()


# -- a real process ---------------------------------------------------------------------------


def test_process_run_once_json_and_bad_every(setup: Setup) -> None:
    result = run_pricekit("sync", "run-once", *setup.args("--json"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"

    bad = run_pricekit("sync", "run", "--every", "10x", *setup.args())
    assert bad.returncode == 3
    assert "--every: not a duration" in one_error_line(bad.stderr)

    (setup.deals_dir / "mesa.json").write_text("nope")
    partial = run_pricekit("sync", "run-once", *setup.args("--json"))
    assert partial.returncode == 1
    assert json.loads(partial.stdout)["status"] == "partial"
    assert "was partial" in one_error_line(partial.stderr)
