"""The checkout app, the custom repository and the property checks in examples/, run for real.

tests/unit/test_examples.py runs every example as a program; these tests drive
the checkout app through Starlette's test client and run the two test modules
of examples/ with pytest (pytester), as an integrator would run them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pricekit.ext.sqlalchemy import SqlPromotionUsageRepository
from pricekit.time import FixedClock, ManualClock

try:
    import starlette  # noqa: F401 - only checks that it is installed
except ImportError:
    pytest.skip("the example needs Starlette (a dev dependency)", allow_module_level=True)
try:
    with warnings.catch_warnings():
        # Recent Starlette prefers httpx2 and warns when its test client runs on httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette import testclient
except (ImportError, RuntimeError) as exc:  # Starlette raises RuntimeError without httpx
    pytest.skip(f"Starlette's test client needs httpx: {exc}", allow_module_level=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


app_module = _load("checkout_app")


# -- the checkout app ---------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    engine = app_module.open_database(tmp_path / "checkout.db")
    app_module.seed(engine, clock=FixedClock(app_module.FRIDAY_AFTERNOON))
    yield engine
    engine.dispose()


@pytest.fixture
def checkout(engine: Any) -> Any:
    return app_module.Checkout(engine, clock=FixedClock(app_module.FRIDAY_AFTERNOON))


@pytest.fixture
def client(checkout: Any) -> Iterator[Any]:
    with testclient.TestClient(app_module.create_app(checkout)) as test_client:
        yield test_client


def _uses(engine: Any, promotion_id: str) -> int:
    promotion = SqlPromotionUsageRepository(engine).get(promotion_id)
    assert promotion is not None
    return int(promotion.current_uses)


def _amounts(body: dict[str, Any], key: str) -> str:
    return str(body[key]["amount"])


def test_a_cart_is_priced_and_its_promotions_recorded(client: Any, engine: Any) -> None:
    answer = client.post("/checkout", json=app_module.demo_cart("sale-1"))
    assert answer.status_code == 200
    body = answer.json()
    haze, gummies, papers = body["lines"]
    # the retail list's 3-gram tier
    assert (haze["unit_price"]["amount"], haze["price_source"]) == ("11.00", "price_list")
    assert haze["price_list_id"] == "retail"
    # 25% markdown at Phoenix, over the variant's 20.00
    assert (gummies["unit_price"]["amount"], gummies["price_source"]) == ("15.00", "markdown")
    assert gummies["markdown_wave_id"] == "gummies-25"
    assert gummies["original_unit_price"] == {"amount": "20.00", "currency": "USD"}
    assert (papers["unit_price"]["amount"], papers["price_source"]) == ("2.50", "base_price")
    # 10% off flower (3.30), then 5.00 off the cart spread over the lines
    assert [(a["promotion_id"], a["discount"]["amount"]) for a in body["applied"]] == [
        ("flower-10", "3.30"),
        ("opening-5", "5.00"),
    ]
    assert [r["promotion_id"] for r in body["not_applied"]] == ["papers-3-for-2"]
    assert "buy 2, get 1" in body["not_applied"][0]["detail"]
    assert (_amounts(body, "subtotal"), _amounts(body, "discount")) == ("53.00", "8.30")
    assert _amounts(body, "total") == "44.70"
    line_totals = sum(round(float(line["total"]["amount"]) * 100) for line in body["lines"])
    assert line_totals == 4470
    assert body["replayed"] is False
    assert (_uses(engine, "flower-10"), _uses(engine, "opening-5")) == (1, 1)


def test_a_retried_sale_gets_its_receipt_and_counts_once(client: Any, engine: Any) -> None:
    first = client.post("/checkout", json=app_module.demo_cart("sale-1")).json()
    again = client.post("/checkout", json=app_module.demo_cart("sale-1"))
    assert again.status_code == 200
    assert again.json() == first | {"replayed": True}
    assert (_uses(engine, "flower-10"), _uses(engine, "opening-5")) == (1, 1)
    applications = SqlPromotionUsageRepository(engine).applications("opening-5")
    assert [a.sale_id for a in applications.items] == ["sale-1"]
    # the same sale id with another cart is refused, and nothing changes
    other = app_module.demo_cart("sale-1", items=[{"line_id": "1", "variant_id": "haze-1"}])
    refused = client.post("/checkout", json=other)
    assert refused.status_code == 409
    assert refused.json()["field"] == "sale_id"
    assert _uses(engine, "flower-10") == 1


def test_a_retry_without_a_sale_time_is_the_same_sale(engine: Any) -> None:
    clock = ManualClock(app_module.FRIDAY_AFTERNOON)
    cart = app_module.demo_cart("sale-now")
    del cart["at"]  # the sale's time is the clock's
    with testclient.TestClient(
        app_module.create_app(app_module.Checkout(engine, clock=clock))
    ) as client:
        first = client.post("/checkout", json=cart).json()
        clock.advance(timedelta(seconds=30))  # the till retries half a minute later
        again = client.post("/checkout", json=cart)
    assert again.status_code == 200
    assert again.json() == first | {"replayed": True}
    assert first["at"] == app_module.FRIDAY_AFTERNOON.isoformat()
    assert _uses(engine, "opening-5") == 1


def test_a_promotion_stops_applying_at_its_usage_limit(client: Any, engine: Any) -> None:
    for sale in ("sale-1", "sale-2"):
        body = client.post("/checkout", json=app_module.demo_cart(sale)).json()
        assert "opening-5" in [a["promotion_id"] for a in body["applied"]]
    third = client.post("/checkout", json=app_module.demo_cart("sale-3")).json()
    assert [a["promotion_id"] for a in third["applied"]] == ["flower-10"]
    (limit,) = [r for r in third["not_applied"] if r["promotion_id"] == "opening-5"]
    assert limit["reason"] == "usage_limit_reached"
    assert _amounts(third, "total") == "49.70"
    assert _uses(engine, "opening-5") == 2
    # a retry of an earlier sale still gets the offer it was given
    replay = client.post("/checkout", json=app_module.demo_cart("sale-1")).json()
    assert replay["replayed"] is True
    assert "opening-5" in [a["promotion_id"] for a in replay["applied"]]
    assert _uses(engine, "opening-5") == 2


def test_sales_at_once_never_exceed_the_limit(checkout: Any, engine: Any) -> None:
    answers: list[Any] = []
    barrier = threading.Barrier(6)

    def sell(n: int) -> None:
        barrier.wait()
        answers.append(checkout.handle(json.dumps(app_module.demo_cart(f"sale-{n}")).encode()))

    threads = [threading.Thread(target=sell, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status for answer in answers] == [200] * 6
    given = [a for a in answers if "opening-5" in [p["promotion_id"] for p in a.body["applied"]]]
    assert len(given) == 2
    assert _uses(engine, "opening-5") == 2
    assert _uses(engine, "flower-10") == 6


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"items": []}, "items"),
        ({"items": "haze-1"}, "items"),
        ({"sale_id": ""}, "sale_id"),
        ({"sale_id": "s" * 65}, "sale_id"),
        ({"location_id": "mesa-9"}, "location_id"),
        ({"at": "2026-11-20T15:00:00"}, "at"),
        ({"at": "friday"}, "at"),
        ({"customer_id": 7}, "customer_id"),
        ({"items": [{"line_id": "1", "variant_id": "haze-1", "quantity": 0}]}, "items[0].quantity"),
        (
            {"items": [{"line_id": "1", "variant_id": "haze-1", "quantity": "lots"}]},
            "items[0].quantity",
        ),
        ({"items": [{"line_id": "1", "quantity": 1}]}, "items[0].variant_id"),
        (
            {
                "items": [
                    {"line_id": "1", "variant_id": "haze-1"},
                    {"line_id": "2", "variant_id": "nope"},
                ]
            },
            "items[1].variant_id",
        ),
        (
            {
                "items": [
                    {"line_id": "1", "variant_id": "haze-1"},
                    {"line_id": "1", "variant_id": "papers-1"},
                ]
            },
            "items[1].line_id",
        ),
    ],
)
def test_a_bad_cart_is_a_400_naming_the_field(
    client: Any, engine: Any, changes: dict[str, Any], field: str
) -> None:
    answer = client.post("/checkout", json=app_module.demo_cart("sale-bad") | changes)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert answer.json()["error"]
    assert _uses(engine, "flower-10") == 0
    # nothing was stored under the sale id: the corrected cart goes through
    fixed = client.post("/checkout", json=app_module.demo_cart("sale-bad"))
    assert fixed.status_code == 200
    assert fixed.json()["replayed"] is False


def test_bodies_that_are_not_a_cart(client: Any) -> None:
    answer = client.post("/checkout", content=b"{not json")
    assert (answer.status_code, answer.json()["field"]) == (400, "body")
    answer = client.post("/checkout", json=["a", "list"])
    assert (answer.status_code, answer.json()["field"]) == (400, "body")
    answer = client.post("/checkout", content=b" " * (app_module.MAX_BODY_BYTES + 10))
    assert answer.status_code == 413
    assert client.get("/checkout").status_code == 405


def test_the_checkout_demonstration_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_module.run_demo(tmp_path / "demo.db")
    out = capsys.readouterr().out
    assert out.count("-> 200") == 4
    assert "-> 200 (replayed)" in out
    assert "not applied  opening-5: used 2 of 2 times" in out
    assert '"field": "items[0].quantity"' in out
    assert out.count("total 44.70 USD") == 3
    assert "total 49.70 USD" in out


# -- the custom repository and its contract suites ----------------------------------------


def _integrator_project(pytester: pytest.Pytester, repository_source: str | None = None) -> None:
    """The repository module and its test module, as an integrator's project holds them."""
    source = repository_source or (EXAMPLES / "custom_repository.py").read_text(encoding="utf-8")
    pytester.makepyfile(
        custom_repository=source,
        tests_custom_repository=(EXAMPLES / "tests_custom_repository.py").read_text(
            encoding="utf-8"
        ),
    )


def test_the_custom_repository_passes_the_contract_suites(pytester: pytest.Pytester) -> None:
    _integrator_project(pytester)
    result = pytester.runpytest_subprocess(
        "tests_custom_repository.py", "-v", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 29, result.stdout.str()  # the three suites, every test
    assert "failed" not in outcomes
    assert "errors" not in outcomes
    out = result.stdout.str()
    for suite in ("TestShopPriceLists", "TestShopPriceListItems", "TestShopPriceListScopes"):
        assert f"{suite}::test_is_the_protocol PASSED" in out
        assert f"{suite}::test_two_threads_adding_one_id_store_it_once PASSED" in out


def test_the_contract_suites_catch_a_broken_repository(pytester: pytest.Pytester) -> None:
    """The suite has teeth: the same repository listing newest-first fails it."""
    source = (EXAMPLES / "custom_repository.py").read_text(encoding="utf-8")
    broken = source.replace('ORDER BY id"', 'ORDER BY id DESC"')
    assert broken != source
    _integrator_project(pytester, broken)
    result = pytester.runpytest_subprocess(
        "tests_custom_repository.py", "-k", "all_for_lists or list_delete", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 2, result.stdout.str()
    assert (
        "FAILED tests_custom_repository.py::TestShopPriceListScopes::test_add_get_list_delete"
        in (result.stdout.str())
    )


def test_the_custom_repository_prices_through_pricing_service() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_repository.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "tee x 1: 19.99 USD (price_list retail, item tee-1)" in out
    assert "tee x 6: 17.50 USD (price_list retail, item tee-6)" in out
    assert "shop_price_list_items holds 2 rows:" in out


# -- the property checks ------------------------------------------------------------------


def test_the_property_checks_pass_under_pytest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        property_checks=(EXAMPLES / "property_checks.py").read_text(encoding="utf-8")
    )
    result = pytester.runpytest_subprocess("property_checks.py", "-v", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 4, result.stdout.str()
    assert "failed" not in outcomes
    for name in (
        "test_staff_price_is_never_negative_nor_above_the_price",
        "test_a_tag_is_at_most_one_unit_under_the_price",
        "test_tenders_add_up_to_the_total_exactly",
        "test_points_are_earned_on_what_was_paid",
    ):
        assert f"{name} PASSED" in result.stdout.str()


def test_the_property_checks_find_a_broken_rule(pytester: pytest.Pytester) -> None:
    """A tag rule that forgets prices under one unit is caught by the drawn price lists."""
    source = (EXAMPLES / "property_checks.py").read_text(encoding="utf-8")
    broken = source.replace(
        "return price if charmed < 0 else Money(charmed, price.currency)",
        "return Money(charmed, price.currency)",
    )
    assert broken != source
    pytester.makepyfile(property_checks=broken)
    result = pytester.runpytest_subprocess(
        "property_checks.py", "-k", "tag", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()
    assert "test_a_tag_is_at_most_one_unit_under_the_price" in result.stdout.str()
