"""Benchmarks of the shared kernel's hot paths: money arithmetic, allocation, schedules."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from pytest_benchmark.fixture import BenchmarkFixture

from pricekit.money import Money, allocate_minor_units
from pricekit.time import TimeOfDayWindow, ValidityWindow, Weekday, WeeklySchedule


def test_money_of(benchmark: BenchmarkFixture) -> None:
    result = benchmark(Money.of, "25.99", "USD")
    assert result.minor_units == 2599


def test_money_add(benchmark: BenchmarkFixture) -> None:
    a, b = Money(2599, "USD"), Money(100, "USD")
    assert benchmark(a.__add__, b) == Money(2699, "USD")


def test_money_multiply_decimal_quantity(benchmark: BenchmarkFixture) -> None:
    price = Money(299, "USD")
    assert benchmark(price.multiply, Decimal("1.255")) == Money(375, "USD")


def test_money_less_percentage(benchmark: BenchmarkFixture) -> None:
    price = Money(1999, "USD")
    assert benchmark(price.less_percentage, 20) == Money(1599, "USD")


def test_allocate_20_lines(benchmark: BenchmarkFixture) -> None:
    weights = [1999 + 37 * i for i in range(20)]
    shares = benchmark(allocate_minor_units, 10_000, weights)
    assert sum(shares) == 10_000


def test_validity_window_contains(benchmark: BenchmarkFixture) -> None:
    window = ValidityWindow(
        start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert benchmark(window.contains, datetime(2026, 6, 1, tzinfo=UTC))


def test_weekly_schedule_contains(benchmark: BenchmarkFixture) -> None:
    schedule = WeeklySchedule(
        timezone="America/New_York",
        days=frozenset({Weekday.FRIDAY, Weekday.SATURDAY}),
        windows=(TimeOfDayWindow(start=time(22), end=time(2)),),
    )
    # Saturday 01:30 in New York, inside Friday's 22:00-02:00 window
    assert benchmark(schedule.contains, datetime(2026, 11, 21, 6, 30, tzinfo=UTC))
