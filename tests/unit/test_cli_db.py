"""``pricekit db upgrade`` and ``pricekit db current``: click's runner and a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pricekit.cli.main import cli
from pricekit.cli.store import engine_for
from pricekit.ext.sqlalchemy import current_revision, head_revision

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/pricekit"
"""A PostgreSQL URL nothing listens at (port 1 refuses at once)."""


def pricekit_command() -> list[str]:
    """The installed ``pricekit`` entry point, beside this interpreter if it is there."""
    beside = Path(sys.executable).parent / "pricekit"
    found = str(beside) if beside.exists() else shutil.which("pricekit")
    assert found, "the pricekit console script is not installed"
    return [found]


def run_pricekit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PRICEKIT_DB", "PRICEKIT_DEBUG")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [*pricekit_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
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
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/x.db"


def revision_of(url: str) -> str | None:
    engine = engine_for(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


# -- upgrade ----------------------------------------------------------------------------------


def test_upgrade_brings_an_empty_database_to_head_then_skips(url: str) -> None:
    first = invoke("db", "upgrade", "--db", url)
    assert first.exit_code == 0, first.output
    assert f"from an empty schema to {head_revision()}" in first.stdout
    assert revision_of(url) == head_revision()

    again = invoke("db", "upgrade", "--db", url)
    assert again.exit_code == 0
    assert "already at" in again.stdout


def test_upgrade_json_says_what_changed(url: str) -> None:
    first = json.loads(invoke("db", "upgrade", "--db", url, "--json").stdout)
    assert first == {
        "db": url,
        "from": None,
        "to": head_revision(),
        "head": head_revision(),
        "upgraded": True,
    }
    second = json.loads(invoke("db", "upgrade", "--db", url, "--json").stdout)
    assert (second["from"], second["upgraded"]) == (head_revision(), False)


def test_upgrade_takes_the_database_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"PRICEKIT_DB": url})
    assert result.exit_code == 0, result.output
    assert revision_of(url) == head_revision()


def test_upgrade_sql_prints_the_script_for_the_urls_dialect_without_connecting(
    tmp_path: Path,
) -> None:
    sqlite_script = invoke("db", "upgrade", "--sql", "--db", f"sqlite:///{tmp_path}/never.db")
    assert sqlite_script.exit_code == 0
    assert "CREATE TABLE pricekit_deals" in sqlite_script.stdout
    assert not (tmp_path / "never.db").exists()

    pg_script = invoke("db", "upgrade", "--sql", "--db", UNREACHABLE)
    assert pg_script.exit_code == 0, pg_script.output
    assert "BEGIN;" in pg_script.stdout  # PostgreSQL runs it in one transaction
    assert "CREATE TABLE pricekit_deals" in pg_script.stdout


def test_upgrade_sql_from_the_head_revision_has_nothing_to_create(url: str) -> None:
    result = invoke("db", "upgrade", "--sql", "--from", head_revision(), "--db", url)
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE" not in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--sql", "--json"], 2, "cannot be combined"),
        (["--from", "0001_initial"], 2, "--from goes with --sql"),
    ],
)
def test_upgrade_refuses_options_that_do_not_go_together(
    url: str, args: list[str], code: int, words: str
) -> None:
    result = invoke("db", "upgrade", "--db", url, *args)
    assert result.exit_code == code
    assert words in one_error_line(result.stderr)


def test_upgrade_of_a_database_that_cannot_be_reached_is_one_line_and_exit_5() -> None:
    result = invoke("db", "upgrade", "--db", UNREACHABLE)
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "could not connect to postgresql+psycopg://nobody@127.0.0.1:1/pricekit" in line


def test_upgrade_of_a_sqlite_file_in_a_missing_folder_is_exit_5(tmp_path: Path) -> None:
    result = invoke("db", "upgrade", "--db", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert result.exit_code == 5
    assert "could not connect" in one_error_line(result.stderr)


def test_a_url_that_is_not_a_url_is_bad_input() -> None:
    result = invoke("db", "upgrade", "--db", "not a url")
    assert result.exit_code == 3
    assert "db: not a database URL" in one_error_line(result.stderr)


def test_the_password_of_a_url_is_never_shown() -> None:
    result = invoke("db", "current", "--db", "postgresql+psycopg://u:s3cret@127.0.0.1:1/x")
    assert result.exit_code == 5
    assert "s3cret" not in result.stderr
    assert "***" in result.stderr


# -- current ----------------------------------------------------------------------------------


def test_current_before_and_after_the_upgrade(url: str) -> None:
    before = invoke("db", "current", "--db", url, "--json")
    assert before.exit_code == 0
    assert json.loads(before.stdout) == {
        "db": url,
        "current": None,
        "head": head_revision(),
        "up_to_date": False,
    }
    invoke("db", "upgrade", "--db", url)
    after = invoke("db", "current", "--db", url)
    assert after.exit_code == 0
    assert f"current:  {head_revision()}" in after.stdout
    assert "up to date" in after.stdout


def test_current_check_exits_5_only_when_behind(url: str) -> None:
    behind = invoke("db", "current", "--db", url, "--check")
    assert behind.exit_code == 5
    assert "run `pricekit db upgrade" in one_error_line(behind.stderr)
    invoke("db", "upgrade", "--db", url)
    assert invoke("db", "current", "--db", url, "--check").exit_code == 0


def test_current_of_a_database_that_cannot_be_reached_is_exit_5() -> None:
    result = invoke("db", "current", "--db", UNREACHABLE, "--json")
    assert result.exit_code == 5
    assert result.stdout == ""
    one_error_line(result.stderr)


# -- a real process ---------------------------------------------------------------------------


def test_process_upgrade_then_current_json(url: str) -> None:
    upgraded = run_pricekit("db", "upgrade", "--db", url, "--json")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["upgraded"] is True
    assert upgraded.stderr == ""

    current = run_pricekit("db", "current", "--db", url, "--json")
    assert current.returncode == 0, current.stderr
    assert json.loads(current.stdout)["up_to_date"] is True


def test_process_unreachable_database_exits_5_with_one_line() -> None:
    result = run_pricekit("db", "upgrade", "--db", UNREACHABLE)
    assert result.returncode == 5
    assert "could not connect" in one_error_line(result.stderr)
    assert result.stdout == ""
