"""``pricekit demo``: through click's runner and as a real process, text and ``--json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from pricekit.cli.main import ExitCode, cli
from pricekit.cli.prices import pricing_service
from pricekit.cli.store import Store
from pricekit.demo import DemoData, demo_sync, load_demo, read_demo_data
from pricekit.promotions import EvaluationContext
from pricekit.quote import quote_cart
from pricekit.time import ManualClock

DATA = read_demo_data()
TEMPE, MESA, PHOENIX = (store.id for store in DATA.stores)
ALREADY = (
    "error: product 'og-kush': the database already holds pricekit's demo data; "
    "load it into a new database"
)


@pytest.fixture(scope="module")
def expected_total(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample cart's total, quoted here by pricekit's engines on a store of its own."""
    folder = tmp_path_factory.mktemp("expected")
    with Store.open(
        f"sqlite:///{folder}/expected.db", create=True, clock=ManualClock(DATA.at)
    ) as store:
        load_demo(store)
        demo_sync(store)
        cart = DATA.cart
        quote = quote_cart(
            cart.items,
            EvaluationContext(
                business_id=cart.business_id,
                location_id=cart.location_id,
                at=DATA.at,
                time_zone=cart.time_zone,
            ),
            catalog=store.catalog,
            prices=pricing_service(store),
            deals=store.deals.get(cart.location_id),
            promotions=store.promotion_service(),
        )
    return quote.total.format_amount()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder, with ``PRICEKIT_DB`` naming a database the demo must not touch."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRICEKIT_DB", f"sqlite:///{tmp_path}/users.db")
    monkeypatch.delenv("PRICEKIT_DEBUG", raising=False)
    return tmp_path


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PRICEKIT_DEBUG", "COLUMNS")}
    env["PRICEKIT_DB"] = f"sqlite:///{tmp_path}/users.db"
    return env


def _pricekit() -> str:
    """The installed ``pricekit`` entry point, beside this interpreter."""
    found = Path(sys.executable).parent / "pricekit"
    assert found.is_file(), f"the console script is not installed at {found}"
    return str(found)


# -- click's runner --------------------------------------------------------------------


def test_demo_loads_syncs_and_prints_the_receipt(elsewhere: Path, expected_total: str) -> None:
    result = CliRunner().invoke(cli, ["demo"])

    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # prose as one line, however the console wrapped it
    assert "pricekit demo: Mint Dispensary, 3 stores" in out
    assert "Friday 20 November 2026, 18:30 America/Phoenix" in out
    assert "1. Sample data loaded" in out
    assert "active at Mint Tempe since Fri 20 Nov 08:00; Mint Mesa from Fri 27 Nov 06:00" in out
    assert "2. One sync cycle" in out
    for phase in ("inventory", "enrichment", "discounts", "cache", "markdown_activation"):
        assert phase in out
    assert "sync run: ok · 89 products and 9 Dutchie deals from 3 stores" in out
    assert "PTL webhook for Mint Tempe: 3 deals received, 2 merged, 1 left out" in out
    assert "Black Friday preview: 20% off Sonoran Sweets" in out
    assert "3. The sample cart at Mint Tempe" in out
    total_lines = [t for t in result.stdout.splitlines() if t.strip().startswith("Total ")]
    assert [line.split()[1:] for line in total_lines] == [[expected_total, "USD"]]
    assert "How each line was priced" in out
    assert "not applied 'Gold members: 5% off everything'" in out
    assert result.stderr == ""
    # Neither the user's database nor a file in the working folder was written.
    assert sorted(p.name for p in elsewhere.iterdir()) == []


def test_demo_prints_the_same_every_time(elsewhere: Path) -> None:
    first = CliRunner().invoke(cli, ["demo"])
    second = CliRunner().invoke(cli, ["demo"])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout


def test_demo_json(elsewhere: Path, expected_total: str) -> None:
    result = CliRunner().invoke(cli, ["demo", "--json"])

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert set(document) == {
        "business",
        "at",
        "database",
        "stores",
        "loaded",
        "sync",
        "deals",
        "cart",
        "quote",
    }
    assert document["business"] == {"id": "mint", "name": "Mint Dispensary"}
    assert document["at"] == "2026-11-20T18:30:00-07:00"
    assert document["database"] is None
    assert [store["name"] for store in document["stores"]] == [
        "Mint Tempe",
        "Mint Mesa",
        "Mint Phoenix",
    ]
    assert document["loaded"]["counts"]["promotions"] == 7
    assert document["loaded"]["waves"][0]["activated"] == [TEMPE]
    assert document["loaded"]["waves"][0]["pending"] == [MESA]
    assert document["sync"]["run"]["status"] == "ok"
    assert document["sync"]["ptl"]["status"] == 200
    assert document["sync"]["cached"] == {TEMPE: 5, MESA: 3, PHOENIX: 3}
    assert {deal["source"] for deal in document["deals"][TEMPE]} == {"dutchie", "ptl"}
    assert document["cart"]["location_id"] == TEMPE
    quote = document["quote"]
    assert quote["total"] == {"amount": expected_total, "currency": "USD"}
    assert len(quote["lines"]) == len(DATA.cart.items)


def test_demo_into_a_named_database_keeps_it_and_refuses_it_twice(
    elsewhere: Path, expected_total: str
) -> None:
    url = f"sqlite:///{elsewhere}/kept.db"
    first = CliRunner().invoke(cli, ["demo", "--db", url])
    assert first.exit_code == 0, first.output
    assert f"database: {url}" in " ".join(first.stdout.split())
    assert "temporary" not in first.stdout
    with Store.open(url) as store:
        assert store.catalog.get_product("og-kush") is not None
        assert len(store.sync_runs.recent(5)) == 1
        assert set(store.deals.locations()) == {TEMPE, MESA, PHOENIX}

    # The kept store answers the other commands: the sample cart quotes the same there.
    cart = str(resources.files("pricekit.demo").joinpath("data", "cart.json"))
    quoted = CliRunner().invoke(
        cli, ["quote", cart, "--db", url, "--at", DATA.at.isoformat(), "--json"]
    )
    assert quoted.exit_code == 0, quoted.output
    assert json.loads(quoted.stdout)["total"]["amount"] == expected_total

    second = CliRunner().invoke(cli, ["demo", "--db", url])
    assert second.exit_code == ExitCode.BAD_INPUT
    assert second.stderr == ALREADY + "\n"
    with Store.open(url) as store:
        assert len(store.sync_runs.recent(5)) == 1  # nothing more was written


def test_demo_refuses_a_database_url_it_cannot_use(elsewhere: Path) -> None:
    bad = CliRunner().invoke(cli, ["demo", "--db", "nope://"])
    assert bad.exit_code == ExitCode.BAD_INPUT
    assert bad.stderr.startswith("error: db: ")
    assert bad.stderr.count("\n") == 1

    missing = f"sqlite:///{elsewhere}/no/such/folder/x.db"
    unreachable = CliRunner().invoke(cli, ["demo", "--db", missing])
    assert unreachable.exit_code == ExitCode.UNAVAILABLE
    assert unreachable.stderr.startswith("error: sqlite could not connect to ")
    assert unreachable.stderr.count("\n") == 1
    assert unreachable.stdout == ""


def test_demo_help_names_its_options() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--db URL" in result.stdout
    assert "--json" in result.stdout


# -- a real process --------------------------------------------------------------------


def test_demo_as_a_process_prints_the_receipt_in_under_a_minute(
    tmp_path: Path, expected_total: str
) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [_pricekit(), "demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(tmp_path),
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"Total  {expected_total} USD" in result.stdout
    assert "Traceback" not in result.stdout
    assert elapsed < 60, f"the demo took {elapsed:.1f} s"
    assert list(tmp_path.iterdir()) == []


def test_demo_json_through_the_entry_point(tmp_path: Path, expected_total: str) -> None:
    result = subprocess.run(
        [_pricekit(), "demo", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(tmp_path),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["quote"]["total"]["amount"] == expected_total
    assert document["sync"]["run"]["status"] == "ok"


def test_demo_as_a_process_exits_3_with_one_line_on_a_database_that_holds_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/twice.db"
    command = [_pricekit(), "demo", "--db", url, "--json"]
    env = _environment(tmp_path)
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == ExitCode.BAD_INPUT
    assert second.stderr == ALREADY + "\n"
    assert second.stdout == ""


def test_demo_exits_1_with_one_line_when_the_sync_fails(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = read_demo_data()
    fields = {name: getattr(shipped, name) for name in DemoData.__dataclass_fields__}
    broken = DemoData(**{**fields, "ptl_body": shipped.ptl_body.replace('"percent"', '"half"', 1)})
    monkeypatch.setattr("pricekit.cli.demo.read_demo_data", lambda: broken)

    result = CliRunner().invoke(cli, ["demo"])

    assert result.exit_code == ExitCode.FAILED
    assert result.stderr.startswith("error: the PTL webhook answered 422 (")
    assert result.stderr.endswith("), so the cart was not priced\n")
    assert result.stderr.count("\n") == 1
    assert "PTL webhook refused the publication (422)" in result.stdout
    assert "3. The sample cart" not in result.stdout
