"""`make bench`'s writer (benchmarks/run_all.py): figures, RESULTS.md and the chart, faked.

These run in `make test`'s benchmark pass, so the writer cannot rot between
full runs; they time nothing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from benchmarks import run_all
from benchmarks.svg_chart import format_count, format_seconds


def _benchmark(name: str, params: dict[str, Any] | None, median: float) -> dict[str, Any]:
    param = None
    if params:
        param = "-".join(
            f"{value}-promotions" if key == "scale" else str(value) for key, value in params.items()
        )
    return {
        "name": f"{name}[{param}]" if param else name,
        "param": param,
        "params": params,
        "stats": {
            "min": median * 0.9,
            "median": median,
            "mean": median * 1.1,
            "rounds": 1234,
            "iterations": 1,
        },
    }


def test_every_suite_is_run_in_order() -> None:
    names = run_all.suites()
    assert names[:3] == ["kernel", "pricing", "scaling"]
    assert "run_all" not in names
    assert {"sql_resolution", "redis", "redis_deals", "deals", "sync", "markdowns"} <= set(names)
    assert run_all.suites(["redis", "kernel"]) == ["kernel", "redis"]
    with pytest.raises(SystemExit, match="no such suite: nope"):
        run_all.suites(["nope"])


def test_scale_and_case_come_apart() -> None:
    report = {
        "benchmarks": [
            _benchmark("test_eval", {"scale": 100, "policy": "best_for_customer"}, 3e-4),
            _benchmark("test_index", {"scale": 1000}, 2.3e-3),
            _benchmark("test_money_add", None, 2.6e-7),
        ]
    }
    evaluate, index, money = run_all.figures_of("promotions", report)
    assert (evaluate.name, evaluate.scale, evaluate.case) == (
        "test_eval[best_for_customer]",
        "100-promotions",
        "best_for_customer",
    )
    assert (index.name, index.scale) == ("test_index", "1000-promotions")
    assert (money.name, money.scale, money.rounds) == ("test_money_add", "", 1234)
    (kernel,) = run_all.figures_of("kernel", {"benchmarks": [_benchmark("test_x", None, 1e-6)]})
    assert kernel.scale == "one operation"


def test_results_markdown_has_the_machine_and_a_table_per_suite() -> None:
    figures = run_all.figures_of(
        "promotions", {"benchmarks": [_benchmark("test_eval", {"scale": 100}, 1.2e-4)]}
    )
    runs = [
        run_all.SuiteRun("promotions", "Promotions", "Promotions: a cart.", "ok", 1.0, figures),
        run_all.SuiteRun("redis", "Redis", "", "failed (pytest exit status 1)", 1.0, []),
    ]
    meta = {
        "date": "2026-11-21 06:00 UTC",
        "duration": "9 min 3 s",
        "load_before": "0.10 / 0.20 / 0.30",
        "load_after": "1.00 / 0.50 / 0.40",
        "note": "quiet",
        "machine": {"CPU": "Xeon (2 cores)", "Redis": "Redis server v=7.0.15"},
    }
    text = run_all.results_markdown(runs, meta)
    assert "| CPU | Xeon (2 cores) |" in text
    assert "| Load average (1 / 5 / 15 min) | before 0.10 / 0.20 / 0.30;" in text
    assert "### Promotions (`test_bench_promotions.py`)" in text
    assert "| `test_eval` | 100-promotions | 108 µs | 120 µs | 132 µs | 1,234 |" in text
    assert "**failed (pytest exit status 1)**" in text
    assert text.index("[start:results]") < text.index("## The run") < text.index("[end:results]")


def test_the_chart_draws_both_sweeps() -> None:
    benchmarks = []
    for count in (1_000, 10_000, 100_000):
        benchmarks.append(
            _benchmark("test_resolve_one_by_catalog_size", {"catalog": count}, 1.8e-6)
        )
        benchmarks[-1]["param"] = f"{count}-products"
    for count in (30, 300):
        for policy in ("priority", "best_for_customer"):
            benchmarks.append(
                _benchmark(
                    "test_evaluate_by_promotion_count",
                    {"promotions": count, "policy": policy},
                    1.5e-4,
                )
            )
            benchmarks[-1]["param"] = f"{count}-promotions-{policy}"
    figures = run_all.figures_of("scaling", json.loads(json.dumps({"benchmarks": benchmarks})))
    svg = run_all.chart(figures, note="a test")
    assert svg is not None
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Catalog size" in svg
    assert "evaluate a 20-line cart: best_for_customer" in svg
    assert svg.count("<path ") == 3  # one line per series drawn
    assert run_all.chart([], note="") is None


def test_formatting() -> None:
    assert format_seconds(1.94e-6) == "1.94 µs"
    assert format_seconds(0.00079) == "790 µs"
    assert format_seconds(4.0) == "4 s"
    assert format_seconds(2.6e-7) == "260 ns"
    assert format_count(30_000) == "30k"
    assert format_count(300) == "300"
