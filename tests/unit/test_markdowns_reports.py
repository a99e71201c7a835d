"""Unit tests for markdown performance reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricekit.errors import CurrencyMismatchError, InvalidValueError
from pricekit.markdowns import ExclusionReason, MarkdownPlan, MarkdownWave, WaveItem
from pricekit.markdowns.ports import SaleLine
from pricekit.markdowns.reports import (
    PerformanceFigures,
    PlanPerformance,
    VariantPerformance,
    WavePerformance,
    plan_performance,
    wave_performance,
)
from pricekit.money import Money


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC)


NOW = at(20)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def wave(wave_id: str = "w1", *, currency: str = "USD", **overrides: object) -> MarkdownWave:
    data: dict[str, object] = {
        "id": wave_id,
        "plan_id": "plan",
        "business_id": "biz",
        "name": "Spring",
        "method": "percent",
        "value": "25",
        "reason": "seasonal_clearance",
        "currency": currency,
        "scopes": [{"type": "variant", "ids": ["a"]}],
        "status": "active",
        "activated_at": at(8),
    }
    data.update(overrides)
    return MarkdownWave.model_validate(data)


def item(
    variant_id: str,
    base: str,
    markdown: str,
    *,
    wave_id: str = "w1",
    currency: str = "USD",
    cost: str | None = None,
    excluded: bool = False,
) -> WaveItem:
    return WaveItem(
        wave_id=wave_id,
        variant_id=variant_id,
        product_id="p",
        regular_price=Money.of(base, currency),
        base_price=Money.of(base, currency),
        markdown_price=Money.of(markdown, currency),
        cost=None if cost is None else Money.of(cost, currency),
        excluded=excluded,
        exclusion_reason=ExclusionReason.BELOW_FLOOR if excluded else None,
    )


def sale(
    variant_id: str,
    sold_at: datetime,
    quantity: str,
    net: str,
    *,
    location: str = "L1",
    cost: str | None = None,
    wave_id: str | None = None,
    currency: str = "USD",
) -> SaleLine:
    return SaleLine(
        variant_id=variant_id,
        location_id=location,
        sold_at=sold_at,
        quantity=Decimal(quantity),
        net_amount=Money.of(net, currency),
        cost_amount=None if cost is None else Money.of(cost, currency),
        markdown_wave_id=wave_id,
    )


def by_variant(report: WavePerformance) -> dict[str, PerformanceFigures]:
    return {row.variant_id: row.figures for row in report.variants}


ITEMS = [
    item("a", "20.00", "15.00", cost="8.00"),
    item("b", "10.00", "7.50"),
    item("c", "4.00", "3.00", cost="1.00", excluded=True),
]


# -- a wave that applies everywhere ---------------------------------------------------------


def test_wave_figures_from_counted_lines() -> None:
    sales = [
        sale("a", at(9), "2", "30.00"),  # cost from the item: 2 x 8.00
        sale("a", at(10), "1", "15.00", cost="9.00"),  # the line's own cost wins
        sale("b", at(11), "1.5", "11.25"),  # no cost anywhere: out of the margin
        sale("a", at(7), "5", "100.00"),  # before activation
        sale("a", NOW, "5", "100.00"),  # at "now": the window is half-open
        sale("c", at(9), "5", "15.00"),  # excluded item
        sale("zz", at(9), "5", "15.00"),  # not in the wave
        sale("a", at(9), "5", "100.00", wave_id="other"),  # rung up at another wave's price
        sale("a", at(7), "1", "15.00", wave_id="w1"),  # names this wave: counts whenever sold
    ]
    report = wave_performance(wave(), ITEMS, sales, on_hand={"a": 6, "b": Decimal("2.5")}, now=NOW)
    assert (report.wave_id, report.plan_id, report.lines_counted) == ("w1", "plan", 4)
    assert [row.variant_id for row in report.variants] == ["a", "b"]
    a, b = by_variant(report)["a"], by_variant(report)["b"]
    assert a == PerformanceFigures(
        currency="USD",
        units_sold=Decimal(4),
        net_sales=usd("60.00"),
        markdown_amount=usd("20.00"),  # 5.00 off x 4
        markdown_percent=Decimal("33.33"),
        on_hand=Decimal(6),
        sell_through_percent=Decimal("40.00"),  # 4 / (4 + 6)
        cost=usd("33.00"),  # 16.00 + 9.00 + 8.00
        costed_net_sales=usd("60.00"),
        realised_margin_percent=Decimal("45.00"),  # (60 - 33) / 60
    )
    assert b == PerformanceFigures(
        currency="USD",
        units_sold=Decimal("1.5"),
        net_sales=usd("11.25"),
        markdown_amount=usd("3.75"),  # 2.50 off x 1.5
        markdown_percent=Decimal("33.33"),
        on_hand=Decimal("2.5"),
        sell_through_percent=Decimal("37.50"),  # 1.5 / 4
        cost=None,
        costed_net_sales=None,
        realised_margin_percent=None,
    )
    assert report.totals == PerformanceFigures(
        currency="USD",
        units_sold=Decimal("5.5"),
        net_sales=usd("71.25"),
        markdown_amount=usd("23.75"),
        markdown_percent=Decimal("33.33"),  # 23.75 / 71.25
        on_hand=Decimal("8.5"),
        sell_through_percent=Decimal("39.29"),  # 5.5 / 14 = 39.2857
        cost=usd("33.00"),
        costed_net_sales=usd("60.00"),
        realised_margin_percent=Decimal("45.00"),  # only the lines with a cost
    )


def test_a_reversed_wave_counts_until_its_reversal() -> None:
    reversed_wave = wave(status="reversed", reversed_at=at(12))
    sales = [sale("a", at(11, 59), "1", "15.00"), sale("a", at(12), "1", "15.00")]
    report = wave_performance(reversed_wave, ITEMS, sales, on_hand={}, now=NOW)
    assert report.lines_counted == 1
    assert report.totals.units_sold == 1


def test_a_wave_never_activated_counts_only_lines_that_name_it() -> None:
    draft = wave(status="draft", activated_at=None)
    sales = [sale("a", at(9), "1", "15.00"), sale("b", at(9), "2", "15.00", wave_id="w1")]
    report = wave_performance(draft, ITEMS, sales, on_hand={}, now=NOW)
    assert report.lines_counted == 1
    assert by_variant(report)["a"].units_sold == 0
    assert by_variant(report)["b"].units_sold == 2


def test_markdown_amount_rounds_half_up_per_line() -> None:
    items = [item("a", "1.00", "0.95")]
    sales = [sale("a", at(9), "0.5", "0.48"), sale("a", at(10), "0.5", "0.48")]
    report = wave_performance(wave(), items, sales, on_hand={}, now=NOW)
    # each line: 0.05 x 0.5 = 0.025 -> 0.03; rounding the sum instead would give 0.05
    assert report.totals.markdown_amount == usd("0.06")


def test_item_cost_times_a_fractional_quantity_rounds_half_up() -> None:
    items = [item("a", "10.00", "8.00", cost="0.25")]
    report = wave_performance(wave(), items, [sale("a", at(9), "0.5", "4.00")], on_hand={}, now=NOW)
    assert report.totals.cost == usd("0.13")  # 0.125 -> 0.13
    assert report.totals.realised_margin_percent == Decimal("96.75")  # (4.00 - 0.13) / 4.00


def test_no_sales_and_no_stock_give_no_percentages() -> None:
    report = wave_performance(wave(), ITEMS, [], on_hand={}, now=NOW)
    assert report.lines_counted == 0
    totals = report.totals
    assert totals.units_sold == 0
    assert totals.net_sales == usd("0.00")
    assert totals.markdown_amount == usd("0.00")
    assert totals.markdown_percent is None
    assert totals.on_hand == 0
    assert totals.sell_through_percent is None
    assert totals.cost is None
    assert totals.costed_net_sales is None
    assert totals.realised_margin_percent is None


def test_sell_through_with_stock_and_no_sales_is_zero() -> None:
    report = wave_performance(wave(), ITEMS, [], on_hand={"a": 3, "c": 100}, now=NOW)
    assert by_variant(report)["a"].sell_through_percent == Decimal("0.00")
    assert by_variant(report)["b"].sell_through_percent is None
    assert report.totals.on_hand == 3  # the excluded item's stock is not the wave's
    assert report.totals.sell_through_percent == Decimal("0.00")


def test_sell_through_rounds_half_up() -> None:
    sales = [sale("a", at(9), "2", "30.00"), sale("b", at(9), "1", "7.50")]
    report = wave_performance(wave(), ITEMS, sales, on_hand={"a": 1, "b": 2}, now=NOW)
    assert by_variant(report)["a"].sell_through_percent == Decimal("66.67")
    assert by_variant(report)["b"].sell_through_percent == Decimal("33.33")
    assert report.totals.sell_through_percent == Decimal("50.00")


def test_a_cost_above_net_sales_gives_a_negative_margin() -> None:
    sales = [sale("a", at(9), "1", "15.00", cost="18.00")]
    report = wave_performance(wave(), ITEMS, sales, on_hand={}, now=NOW)
    assert report.totals.realised_margin_percent == Decimal("-20.00")


def test_zero_net_sales_with_a_cost_has_no_margin() -> None:
    sales = [sale("a", at(9), "1", "0.00")]
    report = wave_performance(wave(), ITEMS, sales, on_hand={}, now=NOW)
    assert report.totals.cost == usd("8.00")
    assert report.totals.markdown_percent is None
    assert report.totals.realised_margin_percent is None


# -- a wave with locations -------------------------------------------------------------------


def test_a_staggered_wave_counts_each_location_in_its_own_window() -> None:
    staggered = wave(
        locations=[
            {
                "location_id": "L1",
                "status": "reversed",
                "activated_at": at(9),
                "reversed_at": at(12),
            },
            {"location_id": "L2", "status": "pending"},
            {"location_id": "L3", "status": "active", "activated_at": at(10)},
        ],
    )
    sales = [
        sale("a", at(9), "1", "15.00", location="L1"),  # counts
        sale("a", at(12), "1", "15.00", location="L1"),  # after the reversal there
        sale("a", at(15), "1", "15.00", location="L2"),  # never activated there
        sale("a", at(9, 30), "1", "15.00", location="L3"),  # before activation there
        sale("a", at(19), "1", "15.00", location="L3"),  # counts
        sale("a", NOW, "1", "15.00", location="L3"),  # at "now"
        sale("a", at(15), "1", "15.00", location="L9"),  # not one of the wave's locations
        sale("a", at(15), "1", "15.00", location="L9", wave_id="w1"),  # names the wave: counts
    ]
    report = wave_performance(staggered, ITEMS, sales, on_hand={}, now=NOW)
    assert report.lines_counted == 3
    assert report.totals.units_sold == 3
    assert report.totals.net_sales == usd("45.00")


def test_the_waves_own_window_does_not_apply_when_it_names_locations() -> None:
    staggered = wave(locations=[{"location_id": "L1"}])  # activated wave, location pending
    report = wave_performance(
        staggered, ITEMS, [sale("a", at(9), "1", "15.00", location="L1")], on_hand={}, now=NOW
    )
    assert report.lines_counted == 0


# -- refusals ------------------------------------------------------------------------------------


def test_a_sale_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError) as caught:
        wave_performance(
            wave(), ITEMS, [sale("zz", at(9), "1", "5.00", currency="EUR")], on_hand={}, now=NOW
        )
    assert (caught.value.expected, caught.value.actual) == ("USD", "EUR")


def test_a_sale_cost_in_another_currency_is_refused() -> None:
    line = SaleLine(
        variant_id="a",
        location_id="L1",
        sold_at=at(9),
        quantity=Decimal(1),
        net_amount=usd("15.00"),
        cost_amount=Money.of("5.00", "EUR"),
    )
    with pytest.raises(CurrencyMismatchError):
        wave_performance(wave(), ITEMS, [line], on_hand={}, now=NOW)


def test_items_in_another_currency_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        wave_performance(
            wave(), [item("a", "5.00", "4.00", currency="EUR")], [], on_hand={}, now=NOW
        )


def test_items_of_another_wave_or_repeated_are_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        wave_performance(wave(), [item("a", "5.00", "4.00", wave_id="w2")], [], on_hand={}, now=NOW)
    assert caught.value.field == "items"
    twice = [item("a", "5.00", "4.00"), item("a", "5.00", "4.00")]
    with pytest.raises(InvalidValueError) as caught:
        wave_performance(wave(), twice, [], on_hand={}, now=NOW)
    assert caught.value.field == "items"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        wave_performance(wave(), ITEMS, [], on_hand={}, now=datetime(2026, 3, 1, 20))
    assert caught.value.field == "now"
    naive = sale("a", datetime(2026, 3, 1, 9), "1", "15.00")
    with pytest.raises(InvalidValueError) as caught:
        wave_performance(wave(), ITEMS, [naive], on_hand={}, now=NOW)
    assert caught.value.field == "sales.sold_at"


def test_float_quantities_and_stock_are_refused() -> None:
    line = SaleLine(
        variant_id="a",
        location_id="L1",
        sold_at=at(9),
        quantity=1.5,  # type: ignore[arg-type]
        net_amount=usd("15.00"),
    )
    with pytest.raises(InvalidValueError, match="float"):
        wave_performance(wave(), ITEMS, [line], on_hand={}, now=NOW)
    with pytest.raises(InvalidValueError, match="float"):
        wave_performance(wave(), ITEMS, [], on_hand={"a": 1.5}, now=NOW)  # type: ignore[dict-item]


# -- plans ----------------------------------------------------------------------------------------


def plan(plan_id: str = "plan") -> MarkdownPlan:
    return MarkdownPlan(id=plan_id, business_id="biz", name="Spring Clearance")


def reports() -> Sequence[WavePerformance]:
    first = wave_performance(
        wave("w1"),
        [item("a", "20.00", "15.00", cost="8.00"), item("b", "10.00", "7.50")],
        [sale("a", at(9), "2", "30.00"), sale("b", at(9), "1", "7.50")],
        on_hand={"a": 4, "b": 1},
        now=NOW,
    )
    second = wave_performance(
        wave("w2"),
        [item("a", "15.00", "12.00", wave_id="w2", cost="8.00")],
        [sale("a", at(9), "1", "12.00", wave_id="w2")],
        on_hand={"a": 4},
        now=NOW,
    )
    euro = wave_performance(
        wave("w3", currency="EUR"),
        [item("e", "10.00", "5.00", wave_id="w3", currency="EUR")],
        [sale("e", at(9), "3", "15.00", currency="EUR")],
        on_hand={"e": 1},
        now=NOW,
    )
    return [euro, first, second]


def test_plan_totals_are_per_currency_with_stock_counted_once_per_variant() -> None:
    waves = reports()
    result = plan_performance(plan(), waves, on_hand={"a": 4, "b": 1, "e": 1, "x": 50})
    assert isinstance(result, PlanPerformance)
    assert result.plan_id == "plan"
    assert result.waves == tuple(waves)
    eur, usd_totals = result.totals
    assert eur == PerformanceFigures(
        currency="EUR",
        units_sold=Decimal(3),
        net_sales=Money.of("15.00", "EUR"),
        markdown_amount=Money.of("15.00", "EUR"),
        markdown_percent=Decimal("100.00"),
        on_hand=Decimal(1),
        sell_through_percent=Decimal("75.00"),
        cost=None,
        costed_net_sales=None,
        realised_margin_percent=None,
    )
    assert usd_totals == PerformanceFigures(
        currency="USD",
        units_sold=Decimal(4),  # 2 + 1 in w1, 1 in w2
        net_sales=usd("49.50"),
        markdown_amount=usd("15.50"),  # 10.00 + 2.50 + 3.00
        markdown_percent=Decimal("31.31"),  # 15.50 / 49.50 = 31.313
        on_hand=Decimal(5),  # a (in both waves) once, and b
        sell_through_percent=Decimal("44.44"),  # 4 / 9
        cost=usd("24.00"),  # 3 units of a at 8.00
        costed_net_sales=usd("42.00"),  # the lines of a: 30.00 + 12.00
        realised_margin_percent=Decimal("42.86"),  # 18 / 42
    )


def test_a_plan_of_no_waves_has_no_totals() -> None:
    assert plan_performance(plan(), [], on_hand={}) == PlanPerformance("plan", (), ())


def test_a_wave_of_another_plan_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        plan_performance(plan("other"), reports(), on_hand={})
    assert caught.value.field == "waves"


def test_a_wave_given_twice_is_refused() -> None:
    waves = list(reports())
    with pytest.raises(InvalidValueError) as caught:
        plan_performance(plan(), [*waves, waves[0]], on_hand={})
    assert caught.value.field == "waves"


def test_reports_are_frozen_values() -> None:
    report = reports()[1]
    with pytest.raises(AttributeError):
        report.lines_counted = 5  # type: ignore[misc]
    assert report.variants[0] == VariantPerformance("a", by_variant(report)["a"])
