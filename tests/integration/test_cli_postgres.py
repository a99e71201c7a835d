"""The ``pricekit`` command on a real PostgreSQL server: ``db upgrade``, a sync, the reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine

from pricekit.cli.main import cli
from pricekit.cli.sync import LOCK_NAME
from pricekit.ext.sqlalchemy import PostgresAdvisoryLock, head_revision
from pricekit.sync import write_discount_file


def invoke(*args: str) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"PRICEKIT_DB": None, "PRICEKIT_DEBUG": None, "COLUMNS": "200"}
    )


def pricekit_command() -> list[str]:
    beside = Path(sys.executable).parent / "pricekit"
    found = str(beside) if beside.exists() else shutil.which("pricekit")
    assert found, "the pricekit console script is not installed"
    return [found]


@pytest.fixture
def engine(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sync_args(tmp_path: Path, postgresql_url: str) -> list[str]:
    locations = tmp_path / "locations.json"
    locations.write_text(json.dumps([{"location_id": "tempe", "time_zone": "America/Phoenix"}]))
    write_discount_file(
        tmp_path / "deals",
        "tempe",
        [
            {
                "id": 1,
                "discountName": "Ten off",
                "applicationMethod": "Automatic",
                "isActive": True,
                "reward": {"calculationMethod": "PERCENT_OFF", "discountValue": "0.1"},
            }
        ],
    )
    return [
        "--db",
        postgresql_url,
        "--locations",
        str(locations),
        "--deals-dir",
        str(tmp_path / "deals"),
    ]


def test_upgrade_then_sync_then_read_on_postgresql(
    postgresql_url: str, engine: Engine, sync_args: list[str]
) -> None:
    before = invoke("deals", "list", "--location", "tempe", "--db", postgresql_url)
    assert before.exit_code == 5
    assert "run `pricekit db upgrade" in before.stderr

    upgraded = invoke("db", "upgrade", "--db", postgresql_url, "--json")
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.stdout)["to"] == head_revision()
    current = json.loads(invoke("db", "current", "--db", postgresql_url, "--json").stdout)
    assert current["up_to_date"] is True

    not_yet = invoke("deals", "list", "--location", "tempe", "--db", postgresql_url)
    assert not_yet.exit_code == 4

    # PostgreSQL gets the advisory lock: a run that finds it held is skipped.
    held = PostgresAdvisoryLock(engine, name=LOCK_NAME)
    assert held.acquire("someone else", ttl_seconds=60)
    try:
        skipped = invoke("sync", "run-once", *sync_args, "--json")
    finally:
        held.release("someone else")
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(skipped.stdout)["status"] == "skipped"

    synced = invoke("sync", "run-once", *sync_args, "--json")
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["status"] == "ok"

    env = {k: v for k, v in os.environ.items() if k not in ("PRICEKIT_DB", "PRICEKIT_DEBUG")}
    listed = subprocess.run(
        [
            *pricekit_command(),
            "deals",
            "list",
            "--location",
            "tempe",
            "--db",
            postgresql_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert [deal["id"] for deal in json.loads(listed.stdout)["deals"]] == ["tempe_1"]

    history = json.loads(invoke("sync", "history", "--db", postgresql_url, "--json").stdout)
    assert [run["status"] for run in history["runs"]] == ["ok", "skipped"]
