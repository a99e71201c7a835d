"""Property tests for markdown performance reports and the wave CSV export.

The expectations are worked out here from the rules, with fractions: which sale
lines a wave counts, what half-up rounding per line gives, and what a guarded
text cell looks like.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor

from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.catalog import Catalog, Product, Variant
from pricekit.markdowns import ExclusionReason, MarkdownWave, WaveItem
from pricekit.markdowns.export import EXPORT_COLUMNS, iter_wave_csv
from pricekit.markdowns.models import MarkdownPlan
from pricekit.markdowns.ports import SaleLine
from pricekit.markdowns.reports import plan_performance, wave_performance
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money, get_currency
from pricekit.testing.strategies import decimal_quantities

_SETTINGS = settings(deadline=None, max_examples=150)
_START = datetime(2026, 3, 1, tzinfo=UTC)
_NOW = _START + timedelta(hours=40)
_LOCATIONS = ("L0", "L1", "L2", "L3")
_CURRENCIES = ("USD", "JPY", "KWD")


def _half_up(value: Fraction) -> int:
    """Round a non-negative fraction to an integer, halves up."""
    assert value >= 0
    return floor(value + Fraction(1, 2))


_hours = st.integers(min_value=0, max_value=48).map(lambda h: _START + timedelta(hours=h))


# -- reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    wave: MarkdownWave
    items: list[WaveItem]
    sales: list[SaleLine]
    on_hand: dict[str, Decimal]


@st.composite
def _windows(draw: st.DrawFn) -> dict[str, object]:
    activated = draw(st.none() | _hours)
    reversed_at = None
    if activated is not None and draw(st.booleans()):
        reversed_at = activated + timedelta(hours=draw(st.integers(min_value=0, max_value=30)))
    return {"activated_at": activated, "reversed_at": reversed_at}


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    code = draw(st.sampled_from(_CURRENCIES))
    located = draw(st.lists(st.sampled_from(_LOCATIONS[:3]), unique=True, max_size=3))
    wave = MarkdownWave.model_validate(
        {
            "id": "w",
            "plan_id": "plan",
            "business_id": "biz",
            "name": "wave",
            "method": "percent",
            "value": "10",
            "reason": "overstock",
            "currency": code,
            "scopes": [{"type": "variant", "ids": ["v0"]}],
            "locations": [{"location_id": loc, **draw(_windows())} for loc in located],
            **draw(_windows()),
        }
    )
    items: list[WaveItem] = []
    for index in range(draw(st.integers(min_value=0, max_value=6))):
        base = draw(st.integers(min_value=0, max_value=10**7))
        lowered = draw(st.integers(min_value=0, max_value=base))
        cost = draw(st.none() | st.integers(min_value=0, max_value=10**7))
        excluded = draw(st.booleans())
        items.append(
            WaveItem(
                wave_id="w",
                variant_id=f"v{index}",
                product_id="p",
                regular_price=Money(base, code),
                base_price=Money(base, code),
                markdown_price=Money(lowered, code),
                cost=None if cost is None else Money(cost, code),
                excluded=excluded,
                exclusion_reason=ExclusionReason.BELOW_FLOOR if excluded else None,
            )
        )
    variant_ids = [i.variant_id for i in items] + ["stranger"]
    sales = draw(
        st.lists(
            st.builds(
                SaleLine,
                variant_id=st.sampled_from(variant_ids),
                location_id=st.sampled_from(_LOCATIONS),
                sold_at=_hours,
                quantity=decimal_quantities(max_value=100, places=3, allow_zero=True),
                net_amount=st.builds(Money, st.integers(0, 10**7), st.just(code)),
                cost_amount=st.none() | st.builds(Money, st.integers(0, 10**7), st.just(code)),
                markdown_wave_id=st.sampled_from([None, None, "w", "other"]),
            ),
            max_size=30,
        )
    )
    on_hand = draw(
        st.dictionaries(
            st.sampled_from(variant_ids),
            decimal_quantities(max_value=1000, places=2, allow_zero=True),
        )
    )
    return Scenario(wave, items, sales, on_hand)


def _expected_counted(scenario: Scenario) -> list[SaleLine]:
    wave = scenario.wave
    included = {i.variant_id for i in scenario.items if not i.excluded}
    counted: list[SaleLine] = []
    for line in scenario.sales:
        if line.variant_id not in included:
            continue
        if line.markdown_wave_id is not None:
            if line.markdown_wave_id == wave.id:
                counted.append(line)
            continue
        if wave.locations:
            matches = [loc for loc in wave.locations if loc.location_id == line.location_id]
            if not matches:
                continue
            start, end = matches[0].activated_at, matches[0].reversed_at
        else:
            start, end = wave.activated_at, wave.reversed_at
        if start is not None and start <= line.sold_at < (end if end is not None else _NOW):
            counted.append(line)
    return counted


@_SETTINGS
@given(scenarios())
def test_wave_totals_match_the_counted_lines(scenario: Scenario) -> None:
    report = wave_performance(
        scenario.wave, scenario.items, scenario.sales, on_hand=scenario.on_hand, now=_NOW
    )
    counted = _expected_counted(scenario)
    items = {i.variant_id: i for i in scenario.items}
    discount = {
        vid: i.base_price.minor_units - i.markdown_price.minor_units for vid, i in items.items()
    }
    assert report.lines_counted == len(counted)
    totals = report.totals
    assert totals.units_sold == sum((line.quantity for line in counted), Decimal(0))
    assert totals.net_sales.minor_units == sum(line.net_amount.minor_units for line in counted)
    expected_markdown = sum(
        _half_up(discount[line.variant_id] * Fraction(line.quantity)) for line in counted
    )
    assert totals.markdown_amount.minor_units == expected_markdown
    assert not totals.markdown_amount.is_negative()
    if totals.net_sales.is_zero():
        assert totals.markdown_percent is None
    else:
        assert totals.markdown_percent is not None
        exact = Fraction(expected_markdown * 100, totals.net_sales.minor_units)
        assert abs(Fraction(totals.markdown_percent) - exact) <= Fraction(1, 200)


@_SETTINGS
@given(scenarios())
def test_variant_figures_add_up_to_the_totals_exactly(scenario: Scenario) -> None:
    report = wave_performance(
        scenario.wave, scenario.items, scenario.sales, on_hand=scenario.on_hand, now=_NOW
    )
    included = [i.variant_id for i in scenario.items if not i.excluded]
    assert [row.variant_id for row in report.variants] == included
    rows = [row.figures for row in report.variants]
    totals = report.totals
    assert sum((f.units_sold for f in rows), Decimal(0)) == totals.units_sold
    assert sum(f.net_sales.minor_units for f in rows) == totals.net_sales.minor_units
    assert sum(f.markdown_amount.minor_units for f in rows) == totals.markdown_amount.minor_units
    assert sum((f.on_hand for f in rows), Decimal(0)) == totals.on_hand
    assert totals.on_hand == sum(
        (scenario.on_hand.get(vid, Decimal(0)) for vid in included), Decimal(0)
    )
    costs = [f.cost.minor_units for f in rows if f.cost is not None]
    assert (totals.cost is None) == (not costs)
    if totals.cost is not None:
        assert totals.cost.minor_units == sum(costs)
    for figures in [*rows, totals]:
        assert not figures.markdown_amount.is_negative()
        if figures.sell_through_percent is not None:
            assert 0 <= figures.sell_through_percent <= 100
        else:
            assert figures.units_sold + figures.on_hand == 0


@_SETTINGS
@given(st.lists(scenarios(), min_size=1, max_size=3))
def test_plan_totals_add_up_the_waves(batch: list[Scenario]) -> None:
    stock: dict[str, Decimal] = {}
    for scenario in batch:
        stock.update(scenario.on_hand)
    reports = []
    for index, scenario in enumerate(batch):
        wave = scenario.wave.model_copy(update={"id": f"w{index}"})
        items = [dataclasses.replace(i, wave_id=wave.id) for i in scenario.items]
        sales = [
            dataclasses.replace(line, markdown_wave_id=wave.id)
            if line.markdown_wave_id == "w"
            else line
            for line in scenario.sales
        ]
        reports.append(wave_performance(wave, items, sales, on_hand=stock, now=_NOW))
    plan = MarkdownPlan(id="plan", business_id="biz", name="plan")
    result = plan_performance(plan, reports, on_hand=stock)
    codes = sorted({r.totals.currency for r in reports})
    assert [t.currency for t in result.totals] == codes
    for totals in result.totals:
        mine = [r for r in reports if r.totals.currency == totals.currency]
        assert totals.units_sold == sum((r.totals.units_sold for r in mine), Decimal(0))
        assert totals.net_sales == Money.sum(
            (r.totals.net_sales for r in mine), currency=totals.currency
        )
        assert totals.markdown_amount == Money.sum(
            (r.totals.markdown_amount for r in mine), currency=totals.currency
        )
        variant_ids = {row.variant_id for r in mine for row in r.variants}
        assert totals.on_hand == sum(
            (stock.get(vid, Decimal(0)) for vid in variant_ids), Decimal(0)
        )


# -- export --------------------------------------------------------------------------------

_FORMULA_STARTS = "=+-@\t\r"
_plain_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=10,
)
_text = _plain_text | st.tuples(st.sampled_from(_FORMULA_STARTS), _plain_text).map("".join)


def _guarded(text: str) -> str:
    return "'" + text if text[:1] and text[0] in _FORMULA_STARTS else text


@dataclass(frozen=True)
class ExportCase:
    wave: MarkdownWave
    items: list[WaveItem]
    catalog: InMemoryCatalogRepository
    on_hand: dict[str, Decimal]
    variants: dict[str, Variant]
    products: dict[str, Product]


@st.composite
def export_cases(draw: st.DrawFn) -> ExportCase:
    code = draw(st.sampled_from(_CURRENCIES))
    wave = MarkdownWave.model_validate(
        {
            "id": "w",
            "plan_id": "plan",
            "business_id": "biz",
            "name": "wave",
            "method": "percent",
            "value": "10",
            "reason": "overstock",
            "currency": code,
            "scopes": [{"type": "variant", "ids": ["v0"]}],
        }
    )
    ids = draw(st.lists(_text.filter(bool), unique=True, max_size=8))
    products: dict[str, Product] = {}
    variants: dict[str, Variant] = {}
    items: list[WaveItem] = []
    for index, variant_id in enumerate(ids):
        product_id = f"p{index % 3}"
        if product_id not in products:
            products[product_id] = Product(id=product_id, name=draw(_text))
        base = draw(st.integers(min_value=0, max_value=10**9))
        lowered = draw(st.integers(min_value=0, max_value=base))
        cost = draw(st.none() | st.integers(min_value=0, max_value=10**9))
        if draw(st.integers(min_value=0, max_value=4)):  # now and then, not in the catalog
            variants[variant_id] = Variant(
                id=variant_id,
                product_id=product_id,
                sku=draw(_text),
                label=draw(_text),
                price=Money(base, code),
            )
        reason = draw(st.none() | st.sampled_from(list(ExclusionReason)))
        items.append(
            WaveItem(
                wave_id="w",
                variant_id=variant_id,
                product_id=product_id,
                regular_price=Money(base, code),
                base_price=Money(base, code),
                markdown_price=Money(lowered, code),
                cost=None if cost is None else Money(cost, code),
                below_cost=cost is not None and lowered < cost,
                excluded=reason is not None,
                exclusion_reason=reason,
            )
        )
    on_hand = draw(
        st.dictionaries(
            st.sampled_from(ids) if ids else st.nothing(),
            decimal_quantities(max_value=10_000, places=3, allow_zero=True),
        )
    )
    catalog = InMemoryCatalogRepository(
        Catalog(products=products.values(), variants=variants.values())
    )
    return ExportCase(wave, items, catalog, on_hand, variants, products)


def _column(row: list[str], name: str) -> str:
    return row[EXPORT_COLUMNS.index(name)]


@_SETTINGS
@given(export_cases())
def test_csv_round_trips_prices_and_guards_text(case: ExportCase) -> None:
    text = "".join(iter_wave_csv(case.wave, case.items, catalog=case.catalog, on_hand=case.on_hand))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(EXPORT_COLUMNS)
    assert len(rows) == len(case.items) + 1
    currency = get_currency(case.wave.currency)
    for item, row in zip(case.items, rows[1:], strict=True):
        assert len(row) == len(EXPORT_COLUMNS)
        assert _column(row, "currency") == currency.code
        assert Money.of(_column(row, "original_price"), currency) == item.base_price
        assert Money.of(_column(row, "markdown_price"), currency) == item.markdown_price
        if item.cost is None:
            assert _column(row, "cost") == ""
        else:
            assert Money.of(_column(row, "cost"), currency) == item.cost
        units = case.on_hand.get(item.variant_id, Decimal(0))
        assert Decimal(_column(row, "on_hand")) == units
        drop = 0 if item.excluded else item.base_price.minor_units - item.markdown_price.minor_units
        assert Money.of(_column(row, "value_impact"), currency) == Money(
            _half_up(drop * Fraction(units)), currency
        )
        variant = case.variants.get(item.variant_id)
        assert _column(row, "variant_id") == _guarded(item.variant_id)
        assert _column(row, "sku") == _guarded(variant.sku if variant else "")
        assert _column(row, "variant_label") == _guarded(variant.label if variant else "")
        assert _column(row, "product_name") == _guarded(case.products[item.product_id].name)
        for name in ("variant_id", "sku", "product_name", "variant_label"):
            cell = _column(row, name)
            assert not (cell[:1] and cell[0] in _FORMULA_STARTS)
        flags = _column(row, "flags").split(";") if _column(row, "flags") else []
        assert ("below_cost" in flags) == item.below_cost
        if item.excluded:
            assert item.exclusion_reason is not None
            assert f"excluded:{item.exclusion_reason.value}" in flags
        else:
            assert not any(flag.startswith("excluded") for flag in flags)
