"""``pricekit deals list``: a location's cached deals in menu order, hidden ones with why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from pricekit.cli.main import cli, parse_at
from pricekit.cli.store import Store
from pricekit.deals.models import Deal

AT = "2026-05-01T12:00:00+00:00"


def pricekit_command() -> list[str]:
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
    return lines[0]


def deal(n: int, **fields: Any) -> Deal:
    data: dict[str, Any] = {
        "id": f"tempe_{n}",
        "discount_id": str(n),
        "location_id": "tempe",
        "name": f"Deal {n}",
        "time_zone": "America/Phoenix",
        "reward": {"method": "percent_off", "percent": "10"},
    }
    data.update(fields)
    return Deal.model_validate(data)


DEALS = [
    deal(1, name="Zebra", menu_rank=2),
    deal(2, name="apple"),
    deal(3, name="Banana", online_name="Banana Online", menu_rank=1),
    deal(4, name="Old", valid_to="2026-01-01T00:00:00+00:00"),
    deal(5, name="Code only", application_method="code"),
    deal(6, name="In store only", available_online=False),
    deal(7, name="Lost brand", unmapped=("brand 99 is not in the catalogue",)),
    deal(
        8,
        name="Five off",
        menu_rank=3,
        reward={"method": "amount_off", "amount": {"amount": "5.00", "currency": "USD"}},
        restrictions=[{"dimension": "brand", "ids": ["b7"]}],
    ),
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/deals.db"
    with Store.open(url, create=True) as store:
        store.deals.replace("tempe", DEALS)
        store.deals.replace("mesa", [])
    return url


def listed(url: str, *args: str) -> dict[str, Any]:
    result = invoke("deals", "list", "--db", url, "--at", AT, "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_live_deals_in_menu_order_as_json(url: str) -> None:
    data = listed(url, "--location", "tempe")
    assert [d["id"] for d in data["deals"]] == [
        "tempe_3",  # rank 1
        "tempe_1",  # rank 2
        "tempe_8",  # rank 3
        "tempe_2",  # unranked, by name: "apple" < "In store only"
        "tempe_6",
    ]
    assert data["location_id"] == "tempe"
    assert data["at"] == AT
    assert (data["channel"], data["shelf"]) == ("pos", True)
    assert data["hidden_count"] == 3
    assert "hidden" not in data  # only with --all
    five_off = data["deals"][2]
    assert five_off["reward"]["amount"] == {"amount": "5.00", "currency": "USD"}
    assert Deal.model_validate(five_off) == DEALS[7]  # the model's own JSON, read back whole


def test_all_lists_every_hidden_deal_with_its_gate_and_reason(url: str) -> None:
    data = listed(url, "--location", "tempe", "--all")
    hidden = {h["deal"]["id"]: h for h in data["hidden"]}
    assert set(hidden) == {"tempe_4", "tempe_5", "tempe_7"}
    assert (hidden["tempe_4"]["outcome"], hidden["tempe_4"]["gate"]) == ("gate_failed", "ended")
    assert "it ended at 2026-01-01" in hidden["tempe_4"]["reason"]
    assert hidden["tempe_5"]["gate"] == "not_automatic"
    assert (hidden["tempe_7"]["outcome"], hidden["tempe_7"]["gate"]) == ("held_back", None)
    assert "brand 99" in hidden["tempe_7"]["reason"]


def test_register_lists_code_deals_and_online_hides_in_store_deals(url: str) -> None:
    register = listed(url, "--location", "tempe", "--register")
    assert "tempe_5" in [d["id"] for d in register["deals"]]
    assert register["shelf"] is False

    online = listed(url, "--location", "tempe", "--channel", "online", "--all")
    assert "tempe_6" not in [d["id"] for d in online["deals"]]
    assert {h["deal"]["id"]: h["gate"] for h in online["hidden"]}["tempe_6"] == "not_online"


def test_text_shows_the_menu_and_with_all_why_deals_are_hidden(url: str) -> None:
    plain = invoke("deals", "list", "--db", url, "--location", "tempe", "--at", AT)
    assert plain.exit_code == 0, plain.output
    out = plain.stdout
    assert "5 live" in out
    assert out.index("Banana Online") < out.index("Zebra") < out.index("apple")
    assert "5.00 USD off" in out
    assert "brand b7" in out
    assert "3 hidden (--all shows them and why)" in out
    assert "Old" not in out

    everything = invoke("deals", "list", "--db", url, "--location", "tempe", "--at", AT, "--all")
    assert "ended: it ended at" in everything.stdout
    assert "not_automatic" in everything.stdout
    assert "its targeting was lost on the way" in everything.stdout


def test_a_location_cached_empty_has_no_deals_and_exits_0(url: str) -> None:
    data = listed(url, "--location", "mesa")
    assert (data["deals"], data["hidden_count"]) == ([], 0)
    text_result = invoke("deals", "list", "--db", url, "--location", "mesa", "--at", AT)
    assert text_result.exit_code == 0
    assert "no live deals" in text_result.stdout


def test_a_location_never_cached_is_not_found_exit_4(url: str) -> None:
    result = invoke("deals", "list", "--db", url, "--location", "flagstaff", "--json")
    assert result.exit_code == 4
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert "no deals cached for 'flagstaff'" in line
    assert "pricekit sync" in line


def test_a_cache_that_cannot_be_read_is_exit_5(url: str) -> None:
    with Store.open(url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE pricekit_deals SET deal = '[1, 2]' WHERE deal_id = 'tempe_1'"))
    result = invoke("deals", "list", "--db", url, "--location", "tempe")
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "could not read the deals of 'tempe'" in line


def test_a_database_without_the_schema_is_exit_5(tmp_path: Path) -> None:
    result = invoke("deals", "list", "--db", f"sqlite:///{tmp_path}/empty.db", "--location", "x")
    assert result.exit_code == 5
    assert "run `pricekit db upgrade" in one_error_line(result.stderr)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-05-01T12:00:00", "give the time with its UTC offset"),
        ("tomorrow", "not an ISO 8601 date and time"),
    ],
)
def test_at_must_be_an_aware_iso_instant(url: str, value: str, words: str) -> None:
    result = invoke("deals", "list", "--db", url, "--location", "tempe", "--at", value)
    assert result.exit_code == 3
    line = one_error_line(result.stderr)
    assert line.startswith("error: --at: ")
    assert words in line


def test_parse_at_keeps_the_offset_and_reads_z() -> None:
    assert parse_at(None) is None
    assert parse_at("2026-05-01T19:00:00Z") == datetime(2026, 5, 1, 19, tzinfo=UTC)
    at = parse_at("2026-05-01T12:00:00-07:00")
    assert at is not None
    assert at.utcoffset() is not None
    assert at == datetime(2026, 5, 1, 19, tzinfo=UTC)


def test_without_at_it_asks_about_now(url: str) -> None:
    before = datetime.now(UTC)
    result = invoke("deals", "list", "--db", url, "--location", "tempe", "--json")
    at = datetime.fromisoformat(json.loads(result.stdout)["at"])
    assert before <= at <= datetime.now(UTC)


def test_location_is_required() -> None:
    result = invoke("deals", "list")
    assert result.exit_code == 2
    assert "--location" in result.stderr


# -- a real process ---------------------------------------------------------------------------


def test_process_json_and_not_found(url: str) -> None:
    result = run_pricekit("deals", "list", "--location", "tempe", "--db", url, "--at", AT, "--json")
    assert result.returncode == 0, result.stderr
    assert [d["id"] for d in json.loads(result.stdout)["deals"]][:2] == ["tempe_3", "tempe_1"]

    missing = run_pricekit("deals", "list", "--location", "nowhere", "--db", url)
    assert missing.returncode == 4
    assert "no deals cached for 'nowhere'" in one_error_line(missing.stderr)
    assert missing.stdout == ""
