"""``pricekit markdowns preview|activate|reverse|export``: click's runner and a real process."""

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

from pricekit.catalog import Category, Product, Variant
from pricekit.cli.main import cli
from pricekit.cli.store import Store
from pricekit.markdowns.export import EXPORT_COLUMNS
from pricekit.markdowns.models import WaveStatus
from pricekit.money import Money

MAY_1 = "2026-05-01T00:00:00+00:00"
JUNE_1 = "2099-06-01T00:00:00+00:00"


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


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database with a catalog, a plan with two waves, and an inactive plan with one."""
    url = f"sqlite:///{tmp_path}/markdowns.db"
    with Store.open(url, create=True) as store:
        store.catalog.save(
            categories=[Category(id="apparel", name="Apparel")],
            products=[
                Product(id="shirt", name="Shirt", category_id="apparel"),
                Product(id="hat", name="Hat", category_id="apparel"),
            ],
            variants=[
                Variant(
                    id="shirt-s",
                    product_id="shirt",
                    sku="SH-S",
                    label="S",
                    price=usd("20.00"),
                    cost=usd("8.00"),
                ),
                Variant(
                    id="shirt-m",
                    product_id="shirt",
                    sku="-SH-M",  # a spreadsheet would read it as a formula
                    label="M",
                    price=usd("22.00"),
                    cost=usd("19.00"),  # 25% off sells it under cost
                ),
                Variant(id="hat-1", product_id="hat", sku="HAT", price=usd("10.00")),
            ],
        )
        service = store.markdown_service()
        service.create_plan({"id": "spring", "business_id": "biz", "name": "Spring"})
        service.create_wave(
            "spring",
            {
                "id": "w1",
                "name": "First cut",
                "method": "percent",
                "value": "25",
                "reason": "seasonal_clearance",
                "currency": "USD",
                "scopes": [{"type": "product", "ids": ["shirt"]}],
                "locations": [
                    {"location_id": "s1"},
                    {"location_id": "s2", "activate_at": JUNE_1},
                ],
            },
        )
        service.create_wave(
            "spring",
            {
                "id": "hats",
                "name": "Hats everywhere",
                "method": "amount",
                "value": "2.50",
                "reason": "overstock",
                "currency": "USD",
                "scopes": [{"type": "product", "ids": ["hat"]}],
            },
        )
        service.create_plan({"id": "off", "business_id": "biz", "name": "Paused"})
        service.create_wave(
            "off",
            {
                "id": "paused",
                "name": "Paused",
                "method": "percent",
                "value": "10",
                "reason": "overstock",
                "currency": "USD",
                "scopes": [{"type": "product", "ids": ["hat"]}],
            },
        )
        service.deactivate_plan("off")
    return url


def status_of(url: str, wave_id: str) -> WaveStatus:
    with Store.open(url) as store:
        return store.markdown_service().get_wave(wave_id).status


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# -- preview ----------------------------------------------------------------------------------


def test_preview_json_has_the_summary_the_schedule_and_every_items_prices(url: str) -> None:
    data = as_json(invoke("markdowns", "preview", "w1", "--db", url, "--at", MAY_1, "--json"))
    assert data["wave"]["id"] == "w1"
    assert data["wave"]["status"] == "draft"
    assert data["at"] == MAY_1
    assert data["summary"] == {
        "items": 2,
        "included": 2,
        "excluded": 0,
        "exclusions": {},
        "below_cost_variant_ids": ["shirt-m"],
        "value_impact": {"amount": "0.00", "currency": "USD"},
        "average_discount_percent": "25.00",
        "margin_before_percent": "35.71",
        "margin_after_percent": "14.29",
    }
    assert data["everywhere"] is False
    assert [(loc["location_id"], loc["due"]) for loc in data["locations"]] == [
        ("s1", True),
        ("s2", False),  # its activate_at is June 1
    ]
    items = {item["variant_id"]: item for item in data["items"]}
    assert items["shirt-s"] == {
        "variant_id": "shirt-s",
        "product_id": "shirt",
        "sku": "SH-S",
        "product_name": "Shirt",
        "variant_label": "S",
        "regular_price": {"amount": "20.00", "currency": "USD"},
        "base_price": {"amount": "20.00", "currency": "USD"},
        "markdown_price": {"amount": "15.00", "currency": "USD"},
        "discount": {"amount": "5.00", "currency": "USD"},
        "discount_percent": "25.00",
        "cost": {"amount": "8.00", "currency": "USD"},
        "margin_percent": "46.67",
        "stacked_on_wave_id": None,
        "below_cost": False,
        "excluded": False,
        "exclusion_reason": None,
    }
    assert items["shirt-m"]["sku"] == "-SH-M"  # as stored: the formula guard is the export's
    assert items["shirt-m"]["below_cost"] is True


def test_preview_at_a_later_instant_finds_every_location_due(url: str) -> None:
    data = as_json(invoke("markdowns", "preview", "w1", "--db", url, "--at", JUNE_1, "--json"))
    assert [loc["due"] for loc in data["locations"]] == [True, True]


def test_preview_location_narrows_the_schedule(url: str) -> None:
    data = as_json(invoke("markdowns", "preview", "w1", "--db", url, "--location", "s2", "--json"))
    assert [loc["location_id"] for loc in data["locations"]] == ["s2"]
    assert len(data["items"]) == 2


def test_preview_of_a_location_the_wave_does_not_name_is_exit_4(url: str) -> None:
    result = invoke("markdowns", "preview", "w1", "--db", url, "--location", "s9")
    assert result.exit_code == 4
    assert "does not name location 's9' (it names s1, s2)" in one_error_line(result.stderr)


def test_preview_of_a_wave_that_applies_everywhere(url: str) -> None:
    data = as_json(
        invoke("markdowns", "preview", "hats", "--db", url, "--location", "any", "--json")
    )
    assert (data["everywhere"], data["locations"]) == (True, [])
    assert data["items"][0]["markdown_price"] == {"amount": "7.50", "currency": "USD"}
    text = invoke("markdowns", "preview", "hats", "--db", url)
    assert "applies at every location" in text.stdout
    assert "2.50 USD off" in text.stdout


def test_preview_text_shows_the_wave_its_impact_schedule_and_items(url: str) -> None:
    result = invoke("markdowns", "preview", "w1", "--db", url, "--at", MAY_1)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "First cut (w1)" in out
    assert "2 item(s): 2 marked down, 0 excluded" in out
    assert "1 below cost: shirt-m (activation needs --confirm-below-cost)" in out
    assert "due: takes the prices on activation" in out
    assert "waits" in out
    assert "16.50" in out
    assert "below cost" in out
    assert status_of(url, "w1") is WaveStatus.DRAFT  # a preview changes nothing


def test_preview_limit_shows_the_first_items(url: str) -> None:
    result = invoke("markdowns", "preview", "w1", "--db", url, "--limit", "1")
    assert "2 item(s), first 1 shown (--limit 0 shows all)" in result.stdout
    assert "shirt-m" in result.stdout
    assert "shirt-s" not in result.stdout


def test_an_unknown_wave_is_exit_4(url: str) -> None:
    for command in ("preview", "activate", "reverse", "export"):
        result = invoke("markdowns", command, "nope", "--db", url)
        assert result.exit_code == 4, command
        assert "'nope' was not found" in one_error_line(result.stderr)


def test_a_naive_at_is_bad_input(url: str) -> None:
    result = invoke("markdowns", "activate", "w1", "--db", url, "--at", "2026-05-01T00:00:00")
    assert result.exit_code == 3
    assert one_error_line(result.stderr).startswith("error: --at: ")
    assert status_of(url, "w1") is WaveStatus.DRAFT


# -- activate and reverse ---------------------------------------------------------------------


def test_activate_below_cost_needs_confirmation(url: str) -> None:
    result = invoke("markdowns", "activate", "w1", "--db", url)
    assert result.exit_code == 3
    line = one_error_line(result.stderr)
    assert "would price 1 item(s) below cost (shirt-m)" in line
    assert "--confirm-below-cost" in line
    assert status_of(url, "w1") is WaveStatus.DRAFT


def test_activate_prints_what_changed_and_the_prices_take_effect(url: str) -> None:
    data = as_json(
        invoke(
            "markdowns",
            "activate",
            "w1",
            "--db",
            url,
            "--at",
            MAY_1,
            "--confirm-below-cost",
            "--json",
        )
    )
    assert data["action"] == "activated"
    assert (data["status_before"], data["status"]) == ("draft", "scheduled")
    assert data["at"] == MAY_1
    assert (data["activated"], data["pending"], data["skipped"]) == (["s1"], ["s2"], [])
    assert data["history_entries"] == 2
    assert sorted(
        (c["location_id"], c["variant_id"], c["price_before"]["amount"], c["price_after"]["amount"])
        for c in data["changes"]
    ) == [("s1", "shirt-m", "22.00", "16.50"), ("s1", "shirt-s", "20.00", "15.00")]
    assert data["wave"]["activated_at"] == "2026-05-01T00:00:00Z"

    with Store.open(url) as store:
        service = store.markdown_service()
        at = datetime(2026, 5, 2, tzinfo=UTC)
        found = service.active_markdown_for_variant("biz", "shirt-s", location_id="s1", at=at)
        assert found is not None
        assert found.price == usd("15.00")
        assert (
            service.active_markdown_for_variant("biz", "shirt-s", location_id="s2", at=at) is None
        )


def test_activate_text_and_a_second_activation_is_refused(url: str) -> None:
    first = invoke("markdowns", "activate", "w1", "--db", url, "--confirm-below-cost")
    assert first.exit_code == 0, first.output
    assert "activated wave w1 (First cut)" in first.stdout
    assert "draft -> scheduled" in first.stdout
    assert "2 price change(s)" in first.stdout

    again = invoke("markdowns", "activate", "w1", "--db", url, "--confirm-below-cost")
    assert again.exit_code == 3
    line = one_error_line(again.stderr)
    assert "wave 'w1' is scheduled: only a draft wave can be activated" in line
    assert "WaveStatus" not in line


def test_activate_a_wave_of_an_inactive_plan_is_refused(url: str) -> None:
    result = invoke("markdowns", "activate", "paused", "--db", url)
    assert result.exit_code == 3
    assert "the plan is inactive" in one_error_line(result.stderr)


def test_reverse_a_draft_is_refused(url: str) -> None:
    result = invoke("markdowns", "reverse", "w1", "--db", url)
    assert result.exit_code == 3
    assert "wave 'w1' is draft: only an active or scheduled wave" in one_error_line(result.stderr)


def test_reverse_takes_the_prices_back_and_skips_pending_locations(url: str) -> None:
    invoke("markdowns", "activate", "w1", "--db", url, "--at", MAY_1, "--confirm-below-cost")
    data = as_json(
        invoke("markdowns", "reverse", "w1", "--db", url, "--at", "2026-05-02T00:00:00Z", "--json")
    )
    assert (data["status_before"], data["status"]) == ("scheduled", "reversed")
    assert (data["reversed"], data["skipped"]) == (["s1"], ["s2"])
    assert sorted(
        (c["variant_id"], c["price_before"]["amount"], c["price_after"]["amount"])
        for c in data["changes"]
    ) == [("shirt-m", "16.50", "22.00"), ("shirt-s", "15.00", "20.00")]
    assert status_of(url, "w1") is WaveStatus.REVERSED

    text = invoke("markdowns", "reverse", "w1", "--db", url)
    assert text.exit_code == 3
    assert "is reversed" in one_error_line(text.stderr)


def test_reverse_text_of_a_wave_that_applies_everywhere(url: str) -> None:
    invoke("markdowns", "activate", "hats", "--db", url)
    result = invoke("markdowns", "reverse", "hats", "--db", url)
    assert result.exit_code == 0, result.output
    assert "active -> reversed" in result.stdout
    assert "reversed: (everywhere)" in result.stdout


# -- export -----------------------------------------------------------------------------------


def expected_csv(url: str, wave_id: str) -> str:
    with Store.open(url) as store:
        return "".join(store.markdown_service().iter_wave_csv(wave_id))


def test_export_csv_to_stdout_is_the_export_modules_csv(url: str) -> None:
    result = invoke("markdowns", "export", "w1", "--db", url)
    assert result.exit_code == 0, result.output
    written = result.stdout_bytes.decode()  # .stdout would turn \r\n into \n
    assert written == expected_csv(url, "w1")
    assert written.startswith(",".join(EXPORT_COLUMNS) + "\r\n")
    assert "'-SH-M" in written  # guarded against formula injection


def test_export_json_has_the_same_columns_and_cells(url: str) -> None:
    result = invoke("markdowns", "export", "w1", "--db", url, "--json")
    rows = json.loads(result.stdout)
    assert [list(row) for row in rows] == [list(EXPORT_COLUMNS)] * 2
    by_id = {row["variant_id"]: row for row in rows}
    assert by_id["shirt-m"]["sku"] == "'-SH-M"
    assert by_id["shirt-m"]["flags"] == "below_cost"
    assert (by_id["shirt-s"]["original_price"], by_id["shirt-s"]["markdown_price"]) == (
        "20.00",
        "15.00",
    )


def test_export_to_a_file(url: str, tmp_path: Path) -> None:
    target = tmp_path / "w1.csv"
    result = invoke("markdowns", "export", "w1", "--db", url, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().decode() == expected_csv(url, "w1")
    assert f"exported 2 item(s) of wave w1 to {target} (CSV)" in result.stdout

    as_file = tmp_path / "w1.json"
    invoke("markdowns", "export", "w1", "--db", url, "-o", str(as_file), "--json")
    assert len(json.loads(as_file.read_text())) == 2


def test_export_of_an_unknown_wave_writes_no_file(url: str, tmp_path: Path) -> None:
    target = tmp_path / "nope.csv"
    result = invoke("markdowns", "export", "nope", "--db", url, "-o", str(target))
    assert result.exit_code == 4
    assert not target.exists()


# -- a real process ---------------------------------------------------------------------------


def test_process_preview_json_activate_refused_and_export(url: str) -> None:
    preview = run_pricekit("markdowns", "preview", "w1", "--db", url, "--json")
    assert preview.returncode == 0, preview.stderr
    assert json.loads(preview.stdout)["summary"]["below_cost_variant_ids"] == ["shirt-m"]

    refused = run_pricekit("markdowns", "activate", "w1", "--db", url)
    assert refused.returncode == 3
    assert "--confirm-below-cost" in one_error_line(refused.stderr)

    activated = run_pricekit(
        "markdowns", "activate", "w1", "--db", url, "--confirm-below-cost", "--json"
    )
    assert activated.returncode == 0, activated.stderr
    assert json.loads(activated.stdout)["activated"] == ["s1"]

    exported = subprocess.run(
        [*pricekit_command(), "markdowns", "export", "w1", "--db", url],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert exported.returncode == 0
    assert exported.stdout.startswith(b"variant_id,sku,")
    assert exported.stdout.count(b"\r\n") == 3  # the header and two items

    unknown = run_pricekit("markdowns", "reverse", "nope", "--db", url)
    assert unknown.returncode == 4
    one_error_line(unknown.stderr)
