"""``pricekit quote CART.json``: the receipt, its JSON, and one-line errors with exit codes.

The store is the scenario of ``tests/unit/test_quote.py`` (a small dispensary,
every figure worked out there), loaded into a SQLite file through the
services and repositories. Most cases run through click's runner; some run
the real ``pricekit`` command in a subprocess.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from tests.unit.test_quote import AT, BUSINESS, CART, LOADED, OTHER_STORE, STORE, fill

from pricekit.cli.main import cli
from pricekit.cli.prices import pricing_service
from pricekit.cli.quote import CartFile, quote_from_store
from pricekit.cli.receipt import render_receipt
from pricekit.cli.store import Store
from pricekit.deals import Deal
from pricekit.promotions import EvaluationContext
from pricekit.quote import Quote, quote_cart
from pricekit.time import ManualClock

AT_ISO = AT.isoformat()
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def build_store(path: Path) -> str:
    """The scenario in a new SQLite database at ``path``; its URL."""
    url = f"sqlite:///{path}"
    with Store.open(url, create=True, clock=ManualClock(LOADED)) as store:
        fill(
            catalog=store.catalog,
            pricing=store.pricing_service(),
            markdowns=store.markdown_service(),
            promotions=store.promotion_service(),
            deals=store.deals,
        )
    return url


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("quote") / "shop.db")


def write_cart(directory: Path, **fields: Any) -> str:
    cart: dict[str, Any] = {"business_id": BUSINESS, "location_id": STORE, "lines": CART}
    cart.update(fields)
    path = directory / "cart.json"
    path.write_text(json.dumps(cart), encoding="utf-8")
    return str(path)


def run(args: Sequence[str], **kwargs: Any) -> Result:
    return CliRunner().invoke(cli, list(args), env=WIDE, **kwargs)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ")
    return lines[0]


def flat(text: str) -> str:
    return " ".join(text.split())


# -- the receipt ----------------------------------------------------------------------------


def test_the_receipt_shows_lines_totals_and_why(db: str, tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", db, "--at", AT_ISO])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    text = flat(result.stdout)
    for expected in (
        "OG Kush 3.5g",
        "Gummies 10 pack",
        "Pre-roll",
        "-3.50 Flower 10%",  # the deal column
        "-1.00 Kiva 50c",  # the promotion column
        "Subtotal 83.00",
        "Deals -11.90",
        "Promotions -1.00",
        "Total 70.10 USD",
        "You save 12.90 USD",
        # why
        "price list 'store1' (priority 20, from quantity 1)",
        "list retail (36.00) shadowed_by_location",
        "list online (30.00) wrong_channel",
        "markdown wave 'clearance' over 8.00 USD from the regular price",
        "deal '20% off Kiva': tier 3: matches its brand",
        "deal '3 off edibles' lost",
        "applied 'Kiva 50c': -1.00 (lines 2)",
        "not applied 'Spend 500' (condition_not_met)",
        "not applied 'Gold 15%' (customer_tier)",
        "'Weekend 50%' gate_failed",
        "'Lost strain' held_back",
    ):
        assert expected in text, expected
    # the markdown's original price is shown struck through next to the new one
    assert "8.00 6.00" in text


def test_json_is_the_quote(db: str, tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", db, "--at", AT_ISO, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["policy"] == "priority"
    assert document["total"] == {"amount": "70.10", "currency": "USD"}
    assert document["subtotal"]["amount"] == "83.00"
    assert document["savings"]["amount"] == "12.90"
    assert [line["total"]["amount"] for line in document["lines"]] == ["31.50", "27.80", "10.80"]
    assert [line["line_id"] for line in document["lines"]] == ["1", "2", "3"]
    assert document["lines"][0]["price"]["price_list_id"] == "store1"
    assert document["lines"][2]["price"]["markdown_wave_id"] == "clearance"
    assert document["promotions"]["applied"][0]["promotion_id"] == "kiva-50c"
    assert document["deals"]["cached"] is True
    assert document["context"]["at"].startswith("2026-06-03T18:00:00")
    assert document["notes"] == []


def test_best_for_customer(db: str, tmp_path: Path) -> None:
    result = run(
        [
            "quote",
            write_cart(tmp_path),
            "--db",
            db,
            "--at",
            AT_ISO,
            "--policy",
            "best_for_customer",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["policy"] == "best_for_customer"
    assert document["total"]["amount"] == "62.17"
    assert [a["promotion_id"] for a in document["promotions"]["applied"]] == [
        "spend-50",
        "flower-10",
    ]


def test_a_location_without_cached_deals_is_quoted_without_them(db: str, tmp_path: Path) -> None:
    cart = write_cart(tmp_path, location_id=OTHER_STORE, customer_tier="gold", customer_id="c1")
    result = run(["quote", cart, "--db", db, "--at", AT_ISO, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["deals"] == {"cached": False, "skipped": []}
    assert document["notes"] == [
        f"no deals are cached for location {OTHER_STORE!r}: quoted without deals"
    ]
    assert document["deal_discount"]["amount"] == "0.00"
    text = run(["quote", cart, "--db", db, "--at", AT_ISO])
    assert text.exit_code == 0
    assert f"Note: no deals are cached for location {OTHER_STORE!r}" in flat(text.stdout)


def test_the_cart_can_come_from_standard_input(db: str) -> None:
    cart = {"business_id": BUSINESS, "location_id": STORE, "lines": [{"variant_id": "og-3.5"}]}
    result = run(["quote", "-", "--db", db, "--at", AT_ISO, "--json"], input=json.dumps(cart))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["amount"] == "28.35"  # 31.50 less 10% on flower


def test_without_at_the_quote_is_for_now(db: str, tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert not json.loads(result.stdout)["context"]["at"].startswith("2026-06-03")


# -- bad input, one line each ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name"),
        ("[1, 2]", "a cart is a JSON object with 'lines'"),
        (json.dumps({"business_id": BUSINESS, "location_id": STORE}), "lines: Field required"),
        (
            json.dumps({"business_id": BUSINESS, "location_id": STORE, "lines": []}),
            "lines: a cart needs at least one line",
        ),
        (
            json.dumps(
                {
                    "business_id": BUSINESS,
                    "location_id": STORE,
                    "lines": [{"variant_id": "og-3.5", "quantity": 0}],
                }
            ),
            "lines.0.quantity: must be above zero",
        ),
        (
            json.dumps(
                {
                    "business_id": BUSINESS,
                    "location_id": STORE,
                    "channel": "any",
                    "lines": [{"variant_id": "og-3.5"}],
                }
            ),
            "channel: a sale happens on one channel",
        ),
        (
            json.dumps({"business_id": BUSINESS, "location_id": STORE, "lines": CART, "x": 1}),
            "x: Extra inputs are not permitted",
        ),
    ],
)
def test_a_malformed_cart_is_bad_input(db: str, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "cart.json"
    path.write_text(content, encoding="utf-8")
    result = run(["quote", str(path), "--db", db])
    assert result.exit_code == 3, result.output
    line = one_line(result.stderr)
    assert line.startswith(f"error: {path}: ")
    assert message in line
    assert result.stdout == ""


def test_a_missing_cart_is_bad_input(db: str, tmp_path: Path) -> None:
    result = run(["quote", str(tmp_path / "nope.json"), "--db", db])
    assert result.exit_code == 3
    assert one_line(result.stderr) == f"error: {tmp_path / 'nope.json'}: no such cart file"


def test_a_naive_at_names_the_option(db: str, tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", db, "--at", "2026-06-03T18:00:00"])
    assert result.exit_code == 3
    assert one_line(result.stderr).startswith("error: --at: give the time with its UTC offset")
    garbage = run(["quote", write_cart(tmp_path), "--db", db, "--at", "tuesday"])
    assert garbage.exit_code == 3
    assert "--at: not an ISO 8601 date and time (got 'tuesday')" in one_line(garbage.stderr)


def test_unknown_location_and_variant_are_not_found(db: str, tmp_path: Path) -> None:
    nowhere = run(["quote", write_cart(tmp_path, location_id="nowhere"), "--db", db])
    assert nowhere.exit_code == 4
    assert one_line(nowhere.stderr).startswith("error: location 'nowhere' was not found")
    cart = write_cart(tmp_path, lines=[{"variant_id": "og-3.5"}, {"variant_id": "ghost"}])
    ghost = run(["quote", cart, "--db", db, "--at", AT_ISO])
    assert ghost.exit_code == 4
    assert one_line(ghost.stderr) == "error: variant 'ghost' was not found"


def test_an_inactive_variant_is_bad_input(db: str, tmp_path: Path) -> None:
    cart = write_cart(tmp_path, lines=[{"variant_id": "gummies-old", "quantity": 1}])
    result = run(["quote", cart, "--db", db, "--at", AT_ISO])
    assert result.exit_code == 3
    assert "is not for sale" in one_line(result.stderr)


def test_a_database_without_the_schema_is_unavailable(tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert result.exit_code == 5
    assert "pricekit db upgrade" in one_line(result.stderr)


def test_an_unknown_policy_is_a_usage_error(db: str, tmp_path: Path) -> None:
    result = run(["quote", write_cart(tmp_path), "--db", db, "--policy", "cheapest"])
    assert result.exit_code == 2


# -- the real command -----------------------------------------------------------------------


def pricekit_command() -> str:
    """The installed ``pricekit`` entry point, beside this interpreter (else on ``PATH``)."""
    beside = Path(sys.executable).with_name("pricekit")
    found = str(beside) if beside.exists() else shutil.which("pricekit")
    assert found, "the pricekit console script is not installed"
    return found


def _pricekit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WIDE}
    env.pop("PRICEKIT_DEBUG", None)
    return subprocess.run(
        [pricekit_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_real_command_prints_json_and_the_receipt(db: str, tmp_path: Path) -> None:
    cart = write_cart(tmp_path)
    done = _pricekit("quote", cart, "--db", db, "--at", AT_ISO, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["total"] == {"amount": "70.10", "currency": "USD"}
    assert document["discounts"][0]["ids"] == [f"{STORE}_3"]
    receipt = _pricekit("quote", cart, "--db", db, "--at", AT_ISO)
    assert receipt.returncode == 0, receipt.stderr
    assert "You save 12.90 USD" in flat(receipt.stdout)


def test_the_real_command_fails_in_one_line(db: str, tmp_path: Path) -> None:
    done = _pricekit("quote", write_cart(tmp_path, location_id="nowhere"), "--db", db)
    assert done.returncode == 4
    assert done.stdout == ""
    assert one_line(done.stderr).startswith("error: location 'nowhere' was not found")
    missing = _pricekit("quote", str(tmp_path / "missing.json"), "--db", db)
    assert missing.returncode == 3
    assert one_line(missing.stderr).endswith("missing.json: no such cart file")


# -- the receipt as a function (pricekit demo prints it too) -----------------------------------


def _printed(quote: Quote) -> str:
    out = io.StringIO()
    render_receipt(Console(file=out, width=200, color_system=None), quote)
    return flat(out.getvalue())


def test_render_receipt_prints_a_quote_from_the_store(db: str) -> None:
    cart = CartFile.model_validate({"business_id": BUSINESS, "location_id": STORE, "lines": CART})
    with Store.open(db) as store:
        quote = quote_from_store(store, cart, at=AT, policy="best_for_customer")
    text = _printed(quote)
    assert "Total 62.17 USD" in text
    assert "You save 20.83 USD" in text
    assert "applied 'Spend 50 save 5': -5.00 (lines 1, 2, 3)" in text
    # line 1's promotions, one under the other, beside its total
    assert "-2.21 Spend 50 save 5 26.36 -2.93 10% off flower" in text


def test_a_long_list_of_deals_not_live_is_cut_short(db: str) -> None:
    disabled = [
        Deal.model_validate(
            {
                "id": f"{STORE}_{n}",
                "discount_id": str(n),
                "location_id": STORE,
                "name": f"Old deal {n}",
                "enabled": False,
                "reward": {"method": "percent_off", "percent": "5"},
            }
        )
        for n in range(12)
    ]
    with Store.open(db) as store:
        quote = quote_cart(
            [{"variant_id": "og-3.5"}],
            EvaluationContext(business_id=BUSINESS, location_id=STORE, at=AT),
            catalog=store.catalog,
            prices=pricing_service(store),
            deals=disabled,
        )
    assert len(quote.deals_skipped) == 12
    text = _printed(quote)
    assert "'Old deal 7' gate_failed: it is disabled" in text
    assert "Old deal 8" not in text
    assert "... and 4 more (--json lists them all)" in text
    assert "Deals 0.00" in text
