"""``pricekit prices explain``: the winning price list, why every other lost, the markdown.

The store is the scenario of ``tests/unit/test_quote.py``: OG Kush 3.5g is
36.00 on the global ``retail`` list, 35.00 on ``store1`` (scoped to
``store-1``) and 30.00 on the ``online`` list; gummies are 18.00, 16.00 from
3; the pre-roll (8.00) has no list price and is marked down 25% by the
``clearance`` wave.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tests.unit.test_cli_quote import WIDE, build_store, flat, one_line, pricekit_command
from tests.unit.test_quote import AT, BUSINESS, STORE

from pricekit.cli.main import cli

AT_ISO = AT.isoformat()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("prices") / "shop.db")


def explain(db: str, item: str, *options: str, **kwargs: Any) -> Result:
    args: Sequence[str] = [
        "prices",
        "explain",
        item,
        "--db",
        db,
        "--business",
        BUSINESS,
        "--location",
        STORE,
        "--at",
        AT_ISO,
        *options,
    ]
    if "--channel" not in options:
        args = [*args, "--channel", "pos"]
    return CliRunner().invoke(cli, list(args), env=WIDE, **kwargs)


def test_the_location_list_wins_and_every_other_says_why(db: str) -> None:
    result = explain(db, "og-3.5")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "Price: 35.00 USD, price list 'store1' (priority 20, from quantity 1)" in text
    for row in (
        "store1 store1-og won",
        "online online-og wrong_channel list channel 'online' is not 'pos'",
        "retail retail-og shadowed_by_location",
    ):
        assert row in text, row
    assert "Markdown" not in text


def test_json_is_the_resolution_with_its_trace(db: str) -> None:
    result = explain(db, "og-3.5", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["unit_price"] == {"amount": "35.00", "currency": "USD"}
    assert (document["source"], document["price_list_id"], document["price_list_item_id"]) == (
        "price_list",
        "store1",
        "store1-og",
    )
    assert document["priority"] == 20
    assert document["markdown_wave_id"] is None
    assert {entry["price_list_id"]: entry["outcome"] for entry in document["trace"]} == {
        "store1": "won",
        "retail": "shadowed_by_location",
        "online": "wrong_channel",
    }
    assert document["trace"][0]["price"]["currency"] == "USD"
    assert document["reason"] == "price list 'store1' (priority 20, from quantity 1)"
    assert document["query"]["base_price"] == {"amount": "40.00", "currency": "USD"}
    assert document["query"]["at"] == AT_ISO


def test_a_markdown_overrides_the_price(db: str) -> None:
    result = explain(db, "preroll-1")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "Markdown: wave 'clearance' overrides 8.00 USD with 6.00 USD" in text
    assert "No price list prices this item here: the base price is 8.00 USD." in text
    document = json.loads(explain(db, "preroll-1", "--json").stdout)
    assert (document["source"], document["markdown_wave_id"]) == ("markdown", "clearance")
    assert document["original_price"] == {"amount": "8.00", "currency": "USD"}
    assert document["trace"] == []


def test_quantity_tiers_and_channels(db: str) -> None:
    tier = json.loads(explain(db, "gummies-10", "--qty", "3", "--json").stdout)
    assert (tier["price_list_item_id"], tier["unit_price"]["amount"]) == (
        "retail-gummies-3",
        "16.00",
    )
    outcomes = {entry["price_list_item_id"]: entry["outcome"] for entry in tier["trace"]}
    assert outcomes == {"retail-gummies-3": "won", "retail-gummies": "lost"}
    below = json.loads(explain(db, "gummies-10", "--qty", "2.5", "--json").stdout)
    assert below["unit_price"]["amount"] == "18.00"
    assert {e["outcome"] for e in below["trace"]} == {"won", "below_min_qty"}
    # online, the online list matches too, but only globally: store-1's own list wins
    online = json.loads(explain(db, "og-3.5", "--channel", "online", "--json").stdout)
    assert (online["price_list_id"], online["unit_price"]["amount"]) == ("store1", "35.00")
    assert {e["price_list_id"]: e["outcome"] for e in online["trace"]}["online"] == (
        "shadowed_by_location"
    )


def test_an_item_outside_the_catalogue_with_a_base_price(db: str) -> None:
    result = explain(
        db,
        "gift-wrap",
        "--item-type",
        "service",
        "--base-price",
        "2.50",
        "--currency",
        "USD",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["source"], document["unit_price"]["amount"]) == ("base_price", "2.50")
    assert document["trace"] == []
    assert document["query"]["item_type"] == "service"
    # a base price for a variant the catalogue holds takes its currency
    own = json.loads(explain(db, "preroll-1", "--base-price", "9.00", "--json").stdout)
    assert own["original_price"] == {"amount": "9.00", "currency": "USD"}


@pytest.mark.parametrize(
    ("item", "options", "code", "message"),
    [
        ("ghost", (), 4, "error: variant 'ghost' was not found in the catalogue"),
        ("og-3.5", ("--qty", "0"), 3, "error: --qty: must be above zero (got '0')"),
        ("og-3.5", ("--qty", "two"), 3, "error: --qty: 'two' is not a number"),
        (
            "wrap",
            ("--item-type", "service", "--base-price", "2.50"),
            3,
            "error: --base-price needs --currency",
        ),
        ("wrap", ("--item-type", "service"), 3, "error: service 'wrap' was not found"),
        (
            "og-3.5",
            ("--base-price", "1.234", "--currency", "USD"),
            3,
            "error: --base-price: more precise than USD's minor unit",
        ),
        ("og-3.5", ("--currency", "EUR"), 3, "error: --currency: the variant is priced in USD"),
        (
            "og-3.5",
            ("--at", "2026-06-03T18:00:00"),
            3,
            "error: --at: give the time with its UTC offset",
        ),
    ],
)
def test_bad_input_is_one_line(
    db: str, item: str, options: tuple[str, ...], code: int, message: str
) -> None:
    result = explain(db, item, *options)
    assert result.exit_code == code, result.output
    assert one_line(result.stderr).startswith(message)
    assert result.stdout == ""


def test_an_unknown_location_is_not_found(db: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            *("prices", "explain", "og-3.5", "--db", db, "--business", BUSINESS),
            *("--location", "nowhere", "--channel", "pos"),
        ],
        env=WIDE,
    )
    assert result.exit_code == 4
    assert one_line(result.stderr).startswith("error: location 'nowhere' was not found")


def test_a_channel_of_any_is_a_usage_error(db: str) -> None:
    assert explain(db, "og-3.5", "--channel", "any").exit_code == 2


def test_the_real_command(db: str, tmp_path: Path) -> None:
    env = {**os.environ, **WIDE}
    env.pop("PRICEKIT_DEBUG", None)
    common = ["--db", db, "--business", BUSINESS, "--location", STORE, "--channel", "pos"]
    done = subprocess.run(
        [pricekit_command(), "prices", "explain", "preroll-1", *common, "--at", AT_ISO, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["source"], document["unit_price"]["amount"]) == ("markdown", "6.00")
    failed = subprocess.run(
        [pricekit_command(), "prices", "explain", "ghost", *common],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 4
    assert failed.stdout == ""
    assert one_line(failed.stderr).startswith("error: variant 'ghost' was not found")
    behind = subprocess.run(
        [
            *(pricekit_command(), "prices", "explain", "og-3.5", *common[2:]),
            *("--db", f"sqlite:///{tmp_path / 'empty.db'}"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert behind.returncode == 5
    assert "pricekit db upgrade" in one_line(behind.stderr)
