"""Unit tests for pricekit.time: checks, clocks, windows, schedules and recurrences."""

from __future__ import annotations

import copy
import pickle
import threading
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pricekit.errors import InvalidValueError, ModelValidationError
from pricekit.time import (
    Clock,
    FixedClock,
    ManualClock,
    Recurrence,
    SystemClock,
    TimeOfDayWindow,
    ValidityWindow,
    Weekday,
    WeeklySchedule,
    require_aware,
    zone,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
NAIVE_REASON = "naive datetime refused; give a timezone-aware datetime (e.g. with tzinfo=UTC)"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)  # type: ignore[misc]


# --------------------------------------------------------------------------- require_aware


def test_require_aware_returns_the_same_object() -> None:
    value = ny(2026, 1, 1, 9)
    assert require_aware(value, field="at") is value


def test_require_aware_refuses_naive() -> None:
    naive = datetime(2026, 1, 1, 9)
    with pytest.raises(InvalidValueError) as info:
        require_aware(naive, field="valid_from")
    assert info.value.field == "valid_from"
    assert info.value.value is naive
    assert info.value.reason == NAIVE_REASON


def test_require_aware_refuses_tzinfo_without_offset() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> None:
            return None

    value = datetime(2026, 1, 1, tzinfo=NoOffset())
    with pytest.raises(InvalidValueError) as info:
        require_aware(value, field="at")
    assert info.value.reason == NAIVE_REASON


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        (date(2026, 1, 1), "a date is not a datetime"),
        ("2026-01-01T00:00:00Z", "got str"),
        (1767225600, "got int"),
        (None, "got NoneType"),
    ],
)
def test_require_aware_refuses_non_datetimes(value: object, reason_part: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        require_aware(value, field="at")  # type: ignore[arg-type]
    assert info.value.field == "at"
    assert info.value.value == value
    assert reason_part in info.value.reason


# --------------------------------------------------------------------------- zone


def test_zone_loads_and_caches() -> None:
    loaded = zone("America/New_York")
    assert loaded.key == "America/New_York"
    assert zone("America/New_York") is loaded


@pytest.mark.parametrize(
    "name",
    ["Mars/Olympus_Mons", "", "../etc", "/etc/passwd", "America", "zone.tab", "UTC\x00", "a" * 300],
)
def test_zone_refuses_unknown_or_malformed_names(name: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        zone(name, field="store.timezone")
    assert info.value.field == "store.timezone"
    assert info.value.value == name
    assert "unknown time zone" in info.value.reason


def test_zone_refuses_localtime_and_non_strings() -> None:
    with pytest.raises(InvalidValueError) as info:
        zone("localtime")
    assert info.value.field == "timezone"
    assert "depends on the machine" in info.value.reason
    with pytest.raises(InvalidValueError) as info:
        zone(5)  # type: ignore[arg-type]
    assert info.value.value == 5
    assert "got int" in info.value.reason


# --------------------------------------------------------------------------- clocks


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after
    assert isinstance(SystemClock(), Clock)


def test_fixed_clock_reports_its_instant_in_utc() -> None:
    clock = FixedClock(ny(2026, 7, 4, 12))
    assert clock.now() == utc(2026, 7, 4, 16)
    assert clock.now().tzinfo is UTC
    assert clock.now() is clock.now()
    assert isinstance(clock, Clock)


def test_clocks_refuse_naive_datetimes() -> None:
    with pytest.raises(InvalidValueError) as info:
        FixedClock(datetime(2026, 1, 1))
    assert info.value.field == "at"
    with pytest.raises(InvalidValueError) as info:
        ManualClock(datetime(2026, 1, 1))
    assert info.value.field == "start"
    clock = ManualClock(utc(2026, 1, 1))
    with pytest.raises(InvalidValueError) as info:
        clock.set(datetime(2026, 1, 2))
    assert info.value.field == "at"
    assert clock.now() == utc(2026, 1, 1)


def test_clocks_have_slots() -> None:
    for clock in (SystemClock(), FixedClock(utc(2026, 1, 1)), ManualClock(utc(2026, 1, 1))):
        with pytest.raises(AttributeError):
            clock.extra = 1  # type: ignore[union-attr]


def test_manual_clock_advances_and_sets() -> None:
    clock = ManualClock(ny(2026, 1, 1, 9))
    assert clock.now() == utc(2026, 1, 1, 14)
    assert clock.now().tzinfo is UTC
    assert clock.advance(timedelta(hours=2)) == utc(2026, 1, 1, 16)
    assert clock.advance(timedelta(0)) == utc(2026, 1, 1, 16)
    clock.set(utc(2025, 1, 1))  # set may go back on purpose
    assert clock.now() == utc(2025, 1, 1)


def test_manual_clock_refuses_negative_and_non_timedelta_advances() -> None:
    clock = ManualClock(utc(2026, 1, 1))
    with pytest.raises(InvalidValueError) as info:
        clock.advance(timedelta(seconds=-1))
    assert info.value.field == "delta"
    assert info.value.value == timedelta(seconds=-1)
    with pytest.raises(InvalidValueError) as info:
        clock.advance(60)  # type: ignore[arg-type]
    assert info.value.value == 60
    assert clock.now() == utc(2026, 1, 1)


def test_manual_clock_is_thread_safe() -> None:
    clock = ManualClock(utc(2026, 1, 1))
    threads, steps = 8, 2000
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        for _ in range(steps):
            clock.advance(timedelta(microseconds=1))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert clock.now() == utc(2026, 1, 1) + timedelta(microseconds=threads * steps)


# --------------------------------------------------------------------------- ValidityWindow


def test_validity_window_is_half_open() -> None:
    window = ValidityWindow(start=utc(2026, 1, 1), end=utc(2026, 2, 1))
    assert window.contains(utc(2026, 1, 1))
    assert window.contains(utc(2026, 1, 31, 23, 59, 59, 999999))
    assert not window.contains(utc(2026, 2, 1))
    assert not window.contains(utc(2025, 12, 31, 23, 59, 59, 999999))


def test_validity_window_open_sides() -> None:
    since = ValidityWindow(start=utc(2026, 1, 1))
    until = ValidityWindow(end=utc(2026, 1, 1))
    assert since.contains(utc(9999, 1, 1))
    assert not since.contains(utc(2025, 1, 1))
    assert until.contains(utc(1, 1, 1))
    assert not until.contains(utc(2026, 1, 1))
    assert since.is_open_ended
    assert until.is_open_ended
    assert not ValidityWindow(start=utc(2026, 1, 1), end=utc(2026, 1, 2)).is_open_ended
    always = ValidityWindow.always()
    assert always == ValidityWindow()
    assert always.start is None
    assert always.end is None
    assert always.contains(utc(2026, 1, 1))


def test_validity_window_stores_utc_and_compares_instants() -> None:
    window = ValidityWindow(start=ny(2026, 1, 1), end=ny(2026, 1, 2))
    assert window.start == utc(2026, 1, 1, 5)
    assert window.start is not None
    assert window.start.tzinfo is UTC
    assert window.contains(utc(2026, 1, 1, 5))
    assert not window.contains(utc(2026, 1, 1, 4, 59))
    assert window.contains(datetime(2026, 1, 1, 6, tzinfo=LONDON))


def test_validity_window_orders_the_repeated_hour_by_instant() -> None:
    # 01:30 EST (the second 01:30 of 2026-11-01) is an hour after 01:30 EDT, even
    # though both read 01:30 on a New York wall clock.
    window = ValidityWindow(start=ny(2026, 11, 1, 1, 30, fold=1))
    assert not window.contains(ny(2026, 11, 1, 1, 45, fold=0))
    assert window.contains(ny(2026, 11, 1, 1, 45, fold=1))


@pytest.mark.parametrize("end", [utc(2026, 1, 1), utc(2025, 12, 31)])
def test_validity_window_refuses_end_not_after_start(end: datetime) -> None:
    with pytest.raises(ModelValidationError) as info:
        ValidityWindow(start=utc(2026, 1, 1), end=end)
    assert info.value.field == "end"
    assert info.value.value == end
    assert info.value.reason == "end must be after start (start=2026-01-01T00:00:00+00:00)"


@pytest.mark.parametrize("field", ["start", "end"])
def test_validity_window_refuses_naive(field: str) -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ModelValidationError) as info:
        ValidityWindow(**{field: naive})
    assert info.value.field == field
    assert info.value.value == naive
    assert info.value.reason == NAIVE_REASON


@pytest.mark.parametrize("value", [date(2026, 1, 1), 1767225600, 1.5, b"2026-01-01"])
def test_validity_window_refuses_non_datetimes(value: object) -> None:
    with pytest.raises(ModelValidationError) as info:
        ValidityWindow(start=value)
    assert info.value.field == "start"
    assert info.value.value == value


def test_validity_window_refuses_naive_iso_strings() -> None:
    with pytest.raises(ModelValidationError) as info:
        ValidityWindow.model_validate({"start": "2026-01-01T00:00:00"})
    assert info.value.field == "start"
    assert info.value.reason == NAIVE_REASON


def test_validity_window_contains_refuses_naive_and_non_datetimes() -> None:
    window = ValidityWindow(start=utc(2026, 1, 1))
    with pytest.raises(InvalidValueError) as info:
        window.contains(datetime(2026, 1, 2))
    assert info.value.field == "at"
    assert info.value.reason == NAIVE_REASON
    with pytest.raises(InvalidValueError) as info:
        window.contains(date(2026, 1, 2))  # type: ignore[arg-type]
    assert info.value.field == "at"


def test_validity_window_overlaps_and_intersection() -> None:
    jan = ValidityWindow(start=utc(2026, 1, 1), end=utc(2026, 2, 1))
    mid = ValidityWindow(start=utc(2026, 1, 15), end=utc(2026, 3, 1))
    feb = ValidityWindow(start=utc(2026, 2, 1), end=utc(2026, 3, 1))
    assert jan.overlaps(mid)
    assert mid.overlaps(jan)
    assert jan.intersection(mid) == ValidityWindow(start=utc(2026, 1, 15), end=utc(2026, 2, 1))
    assert not jan.overlaps(feb)  # touching half-open windows share no instant
    assert jan.intersection(feb) is None
    since = ValidityWindow(start=utc(2026, 1, 20))
    assert jan.intersection(since) == ValidityWindow(start=utc(2026, 1, 20), end=utc(2026, 2, 1))
    assert ValidityWindow.always().intersection(jan) == jan
    assert ValidityWindow.always().intersection(ValidityWindow.always()) == ValidityWindow()
    until = ValidityWindow(end=utc(2026, 1, 1))
    assert not until.overlaps(jan)
    assert until.intersection(since) is None


def test_validity_window_json_round_trip() -> None:
    window = ValidityWindow(start=ny(2026, 1, 1), end=None)
    data = window.model_dump(mode="json")
    assert data == {"start": "2026-01-01T05:00:00Z", "end": None}
    assert ValidityWindow.model_validate(data) == window
    assert ValidityWindow.model_validate_json(window.model_dump_json()) == window


def test_validity_window_is_frozen() -> None:
    window = ValidityWindow()
    with pytest.raises(AttributeError, match="immutable"):
        window.start = utc(2026, 1, 1)  # type: ignore[misc]
    assert window.start is None


# --------------------------------------------------------------------------- Weekday


def test_weekday_matches_python_numbering() -> None:
    assert [day.value for day in Weekday] == list(range(7))
    assert Weekday(date(2026, 5, 4).weekday()) is Weekday.MONDAY  # 2026-05-04 is a Monday


def test_weekday_from_js() -> None:
    assert Weekday.from_js(0) is Weekday.SUNDAY
    assert Weekday.from_js(1) is Weekday.MONDAY
    assert Weekday.from_js(6) is Weekday.SATURDAY
    assert {Weekday.from_js(n) for n in [1, 2, 3, 4, 5]} == {
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
        Weekday.FRIDAY,
    }


def test_weekday_from_iso() -> None:
    assert Weekday.from_iso(1) is Weekday.MONDAY
    assert Weekday.from_iso(7) is Weekday.SUNDAY
    assert Weekday.from_iso(date(2026, 5, 10).isoweekday()) is Weekday.SUNDAY


@pytest.mark.parametrize(
    ("name", "day"),
    [("monday", Weekday.MONDAY), ("Mon", Weekday.MONDAY), ("SUNDAY", Weekday.SUNDAY),
     (" thu ", Weekday.THURSDAY), ("sat", Weekday.SATURDAY)],
)  # fmt: skip
def test_weekday_from_name(name: str, day: Weekday) -> None:
    assert Weekday.from_name(name) is day


@pytest.mark.parametrize(
    ("convert", "value"),
    [
        (Weekday.from_js, -1),
        (Weekday.from_js, 7),
        (Weekday.from_js, True),
        (Weekday.from_js, "1"),
        (Weekday.from_iso, 0),
        (Weekday.from_iso, 8),
        (Weekday.from_iso, 1.0),
        (Weekday.from_name, "mo"),
        (Weekday.from_name, "funday"),
        (Weekday.from_name, 1),
    ],
)
def test_weekday_conversions_refuse_bad_values(convert: Any, value: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        convert(value, field="daysOfWeek.0")
    assert info.value.field == "daysOfWeek.0"
    assert info.value.value == value


def test_weekday_range_errors_name_the_convention() -> None:
    with pytest.raises(InvalidValueError) as info:
        Weekday.from_js(7)
    assert info.value.field == "day"
    assert "0 is Sunday" in info.value.reason
    with pytest.raises(InvalidValueError) as info:
        Weekday.from_iso(0)
    assert "1 is Monday" in info.value.reason


# --------------------------------------------------------------------------- TimeOfDayWindow


def test_time_of_day_window_within_a_day() -> None:
    window = TimeOfDayWindow(start=time(9), end=time(17))
    assert not window.crosses_midnight
    assert not window.is_whole_day
    assert window.contains(time(9))
    assert window.contains(time(16, 59, 59, 999999))
    assert not window.contains(time(17))
    assert not window.contains(time(8, 59))


def test_time_of_day_window_crossing_midnight() -> None:
    window = TimeOfDayWindow(start=time(22), end=time(2))
    assert window.crosses_midnight
    assert window.contains(time(22))
    assert window.contains(time(23, 59))
    assert window.contains(time(0))
    assert window.contains(time(1, 59))
    assert not window.contains(time(2))
    assert not window.contains(time(21, 59))
    assert not window.contains(time(12))


def test_time_of_day_window_equal_ends_cover_the_whole_day() -> None:
    for at in (time(0), time(6), time(12)):
        window = TimeOfDayWindow(start=at, end=at)
        assert window.is_whole_day
        assert all(window.contains(time(h, m)) for h in range(24) for m in (0, 59))
    assert not TimeOfDayWindow.whole_day().crosses_midnight
    assert TimeOfDayWindow.whole_day() == TimeOfDayWindow(start=time(0), end=time(0))
    assert TimeOfDayWindow(start=time(6), end=time(6)).crosses_midnight


def test_time_of_day_window_refuses_aware_times() -> None:
    aware = time(9, tzinfo=UTC)
    with pytest.raises(ModelValidationError) as info:
        TimeOfDayWindow(start=aware, end=time(17))
    assert info.value.field == "start"
    assert info.value.value == aware
    assert "naive wall-clock time" in info.value.reason
    with pytest.raises(InvalidValueError) as info:
        TimeOfDayWindow(start=time(9), end=time(17)).contains(aware)
    assert info.value.field == "t"


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, 9), 9, 9.5])
def test_time_of_day_window_refuses_non_times(value: object) -> None:
    with pytest.raises(ModelValidationError) as info:
        TimeOfDayWindow(start=time(9), end=value)
    assert info.value.field == "end"
    assert info.value.value == value
    with pytest.raises(InvalidValueError):
        TimeOfDayWindow(start=time(9), end=time(10)).contains(value)  # type: ignore[arg-type]


def test_time_of_day_window_parses_strings() -> None:
    window = TimeOfDayWindow.model_validate({"start": "22:00", "end": "02:30:00"})
    assert window == TimeOfDayWindow(start=time(22), end=time(2, 30))
    assert window.model_dump(mode="json") == {"start": "22:00:00", "end": "02:30:00"}


# --------------------------------------------------------------------------- WeeklySchedule


def happy_hour() -> WeeklySchedule:
    """Mon-Fri 16:00-18:00 in New York, from seed-style JavaScript day numbers."""
    return WeeklySchedule(
        timezone="America/New_York",
        days=[Weekday.from_js(n) for n in [1, 2, 3, 4, 5]],
        windows=[TimeOfDayWindow(start=time(16), end=time(18))],
    )


def test_schedule_defaults_to_every_day_all_day() -> None:
    schedule = WeeklySchedule(timezone="Europe/London")
    assert schedule.days == frozenset(Weekday)
    assert schedule.windows == ()
    assert schedule == WeeklySchedule.every_day("Europe/London")
    assert schedule.tzinfo is LONDON
    assert all(schedule.contains(utc(2026, 5, d, h)) for d in range(4, 11) for h in (0, 12, 23))


def test_schedule_days_without_windows_cover_the_whole_local_day() -> None:
    schedule = WeeklySchedule(timezone="America/New_York", days=["saturday"])
    assert schedule.contains(ny(2026, 5, 9, 0))  # Saturday 00:00 local
    assert schedule.contains(ny(2026, 5, 9, 23, 59))
    assert not schedule.contains(ny(2026, 5, 10, 0))
    # Saturday 02:00 UTC is still Friday evening in New York.
    assert not schedule.contains(utc(2026, 5, 9, 2))


def test_schedule_happy_hour_in_local_time() -> None:
    schedule = happy_hour()
    assert schedule.contains(ny(2026, 5, 4, 16))  # Monday
    assert schedule.contains(ny(2026, 5, 8, 17, 59))  # Friday
    assert not schedule.contains(ny(2026, 5, 8, 18))
    assert not schedule.contains(ny(2026, 5, 9, 16, 30))  # Saturday
    assert schedule.contains(utc(2026, 5, 4, 20))  # 16:00 EDT
    assert not schedule.contains(utc(2026, 5, 4, 16))  # 12:00 EDT
    assert schedule.contains(datetime(2026, 5, 4, 21, 30, tzinfo=LONDON))  # 16:30 EDT


def test_schedule_midnight_crossing_belongs_to_the_start_day() -> None:
    schedule = WeeklySchedule(
        timezone="America/New_York",
        days=[Weekday.FRIDAY],
        windows=[TimeOfDayWindow(start=time(22), end=time(2))],
    )
    assert schedule.contains(ny(2026, 5, 8, 22))  # Friday 22:00
    assert schedule.contains(ny(2026, 5, 9, 1, 30))  # Saturday 01:30, Friday's night
    assert not schedule.contains(ny(2026, 5, 9, 2))  # Saturday 02:00, the end
    assert not schedule.contains(ny(2026, 5, 8, 1, 30))  # Friday 01:30 is Thursday's night
    assert not schedule.contains(ny(2026, 5, 9, 22))  # Saturday 22:00
    with_thursday = schedule.evolve(days=[Weekday.THURSDAY, Weekday.FRIDAY])
    assert with_thursday.contains(ny(2026, 5, 8, 1, 30))


def test_schedule_midnight_crossing_wraps_from_sunday_to_monday() -> None:
    schedule = WeeklySchedule(
        timezone="UTC", days=["sun"], windows=[TimeOfDayWindow(start=time(23), end=time(1))]
    )
    assert schedule.contains(utc(2026, 5, 10, 23, 30))  # Sunday
    assert schedule.contains(utc(2026, 5, 11, 0, 30))  # Monday, Sunday's night
    assert schedule.contains(utc(2026, 5, 4, 0, 30))  # Monday 4th: Sunday 3rd's night
    assert not schedule.contains(utc(2026, 5, 9, 23, 30))  # Saturday
    assert not schedule.contains(utc(2026, 5, 11, 23, 30))  # Monday evening
    monday = WeeklySchedule(
        timezone="UTC", days=["mon"], windows=[TimeOfDayWindow(start=time(23), end=time(1))]
    )
    assert not monday.contains(utc(2026, 5, 11, 0, 30))  # belongs to Sunday
    assert monday.contains(utc(2026, 5, 12, 0, 30))  # Tuesday 00:30 is Monday's night


def test_schedule_whole_day_windows() -> None:
    calendar_day = WeeklySchedule(
        timezone="UTC", days=["sat"], windows=[TimeOfDayWindow.whole_day()]
    )
    assert calendar_day.contains(utc(2026, 5, 9, 0))
    assert calendar_day.contains(utc(2026, 5, 9, 23, 59, 59))
    assert not calendar_day.contains(utc(2026, 5, 10, 0))
    assert not calendar_day.contains(utc(2026, 5, 8, 23, 59, 59))
    business_day = WeeklySchedule(
        timezone="UTC", days=["sat"], windows=[TimeOfDayWindow(start=time(6), end=time(6))]
    )
    assert not business_day.contains(utc(2026, 5, 9, 5, 59))  # Friday's business day
    assert business_day.contains(utc(2026, 5, 9, 6))
    assert business_day.contains(utc(2026, 5, 10, 5, 59))  # Sunday early: Saturday's
    assert not business_day.contains(utc(2026, 5, 10, 6))


def test_schedule_several_windows() -> None:
    schedule = WeeklySchedule(
        timezone="UTC",
        windows=[
            TimeOfDayWindow(start=time(7), end=time(9)),
            TimeOfDayWindow(start=time(17), end=time(19)),
        ],
    )
    assert schedule.contains(utc(2026, 5, 9, 8))
    assert schedule.contains(utc(2026, 5, 9, 18))
    assert not schedule.contains(utc(2026, 5, 9, 12))


def test_schedule_spring_forward_gap() -> None:
    # 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:xx never happens.
    schedule = WeeklySchedule(
        timezone="America/New_York", windows=[TimeOfDayWindow(start=time(2), end=time(3))]
    )
    instant = utc(2026, 3, 8, 6)  # 01:00 EST
    while instant < utc(2026, 3, 8, 9):
        assert not schedule.contains(instant), instant
        instant += timedelta(minutes=1)
    assert not schedule.contains(ny(2026, 3, 8, 1, 59, 59))
    assert not schedule.contains(ny(2026, 3, 8, 3))
    # A wall time inside the gap is read as its instant (02:30 EST = 03:30 EDT).
    assert not schedule.contains(ny(2026, 3, 8, 2, 30))
    # Days without a change are unaffected.
    assert schedule.contains(ny(2026, 3, 7, 2, 30))
    assert schedule.contains(ny(2026, 3, 9, 2, 30))


def test_schedule_fall_back_repeated_hour_is_inside_twice() -> None:
    # 2026-11-01 in New York: 01:00-02:00 happens twice (EDT, then EST).
    schedule = WeeklySchedule(
        timezone="America/New_York", windows=[TimeOfDayWindow(start=time(1), end=time(2))]
    )
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    second = utc(2026, 11, 1, 6, 30)  # 01:30 EST
    assert first.astimezone(NY).fold == 0
    assert second.astimezone(NY).fold == 1
    assert schedule.contains(first)
    assert schedule.contains(second)
    assert schedule.contains(ny(2026, 11, 1, 1, 30, fold=1))
    assert not schedule.contains(utc(2026, 11, 1, 7))  # 02:00 EST
    assert not schedule.contains(utc(2026, 11, 1, 4, 59))  # 00:59 EDT


def test_schedule_same_wall_clock_answer_across_dst() -> None:
    schedule = happy_hour()
    before, after = ny(2026, 3, 2, 16, 30), ny(2026, 3, 9, 16, 30)  # Mondays around the change
    assert before.utcoffset() != after.utcoffset()
    assert schedule.contains(before)
    assert schedule.contains(after)
    # The same UTC time of day is 17:30 EST before the change and 18:30 EDT after.
    assert schedule.contains(utc(2026, 3, 2, 22, 30))
    assert not schedule.contains(utc(2026, 3, 9, 22, 30))


def test_schedule_accepts_day_numbers_names_and_weekdays() -> None:
    by_number = WeeklySchedule(timezone="UTC", days=(0, 4))
    by_name = WeeklySchedule(timezone="UTC", days={"Monday", "fri"})
    by_enum = WeeklySchedule(timezone="UTC", days=frozenset({Weekday.MONDAY, Weekday.FRIDAY}))
    assert by_number == by_name == by_enum
    assert by_number.days == frozenset({Weekday.MONDAY, Weekday.FRIDAY})


def test_schedule_refuses_empty_days() -> None:
    with pytest.raises(ModelValidationError) as info:
        WeeklySchedule(timezone="UTC", days=[])
    assert info.value.field == "days"
    assert info.value.value == []
    assert "omit the field" in info.value.reason


@pytest.mark.parametrize("bad", [7, -1, True, "someday", 1.0])
def test_schedule_refuses_bad_days(bad: object) -> None:
    with pytest.raises(ModelValidationError) as info:
        WeeklySchedule(timezone="UTC", days=[Weekday.MONDAY, bad])
    assert info.value.field == "days"
    assert info.value.value == bad


@pytest.mark.parametrize("bad", ["monday", 3, None])
def test_schedule_refuses_days_that_are_not_a_collection(bad: object) -> None:
    with pytest.raises(ModelValidationError) as info:
        WeeklySchedule(timezone="UTC", days=bad)
    assert info.value.field == "days"
    assert info.value.value == bad


@pytest.mark.parametrize("bad", ["Mars/Base", "", "../etc", "localtime", 3])
def test_schedule_refuses_bad_time_zones(bad: object) -> None:
    with pytest.raises(ModelValidationError) as info:
        WeeklySchedule(timezone=bad)
    assert info.value.field == "timezone"
    assert info.value.value == bad


def test_schedule_reports_the_path_of_a_bad_window() -> None:
    with pytest.raises(ModelValidationError) as info:
        WeeklySchedule.model_validate(
            {"timezone": "UTC", "windows": [{"start": "09:00", "end": "10:00"},
                                            {"start": "22:00+01:00", "end": "23:00"}]}
        )  # fmt: skip
    assert info.value.field == "windows.1.start"
    assert "naive wall-clock time" in info.value.reason


def test_schedule_contains_refuses_naive() -> None:
    with pytest.raises(InvalidValueError) as info:
        happy_hour().contains(datetime(2026, 5, 4, 16))
    assert info.value.field == "at"
    assert info.value.reason == NAIVE_REASON


def test_schedule_json_round_trip() -> None:
    schedule = WeeklySchedule(
        timezone="Australia/Sydney",
        days=[Weekday.SUNDAY, Weekday.FRIDAY, Weekday.SATURDAY],
        windows=[TimeOfDayWindow(start=time(22), end=time(2))],
    )
    data = schedule.model_dump(mode="json")
    assert data == {
        "timezone": "Australia/Sydney",
        "days": [4, 5, 6],
        "windows": [{"start": "22:00:00", "end": "02:00:00"}],
    }
    again = WeeklySchedule.model_validate(data)
    assert again == schedule
    assert again.contains(datetime(2026, 5, 9, 1, tzinfo=ZoneInfo("Australia/Sydney")))
    assert WeeklySchedule.model_validate_json(schedule.model_dump_json()) == schedule
    with_names = {**data, "days": ["friday", "sat", "Sunday"]}
    assert WeeklySchedule.model_validate(with_names) == schedule


def test_schedule_copies_pickles_and_hashes() -> None:
    schedule = happy_hour()
    for other in (
        pickle.loads(pickle.dumps(schedule)),
        copy.deepcopy(schedule),
        schedule.model_copy(),
    ):
        assert other == schedule
        assert hash(other) == hash(schedule)
        assert other.contains(ny(2026, 5, 4, 16))


# --------------------------------------------------------------------------- Recurrence


def weekend_mornings(**changes: Any) -> Recurrence:
    fields: dict[str, Any] = {
        "rule": "FREQ=WEEKLY;BYDAY=SA,SU",
        "start": ny(2026, 1, 3, 9),
        "duration": timedelta(hours=2),
        "timezone": "America/New_York",
    }
    return Recurrence(**(fields | changes))


def test_recurrence_contains_is_half_open() -> None:
    rec = weekend_mornings()
    assert rec.contains(ny(2026, 5, 9, 9))
    assert rec.contains(ny(2026, 5, 10, 10, 59, 59, 999999))
    assert not rec.contains(ny(2026, 5, 9, 11))
    assert not rec.contains(ny(2026, 5, 9, 8, 59, 59))
    assert not rec.contains(ny(2026, 5, 8, 9, 30))  # Friday
    assert not rec.contains(ny(2025, 12, 27, 9, 30))  # a Saturday before start
    assert rec.contains(utc(2026, 5, 9, 13, 30))  # 09:30 EDT


def test_recurrence_keeps_local_wall_clock_time_across_dst() -> None:
    rec = weekend_mornings()
    spring = rec.occurrences(utc(2026, 3, 1), utc(2026, 3, 16))
    assert [o.replace(tzinfo=None) for o in spring] == [
        datetime(2026, 3, 1, 9),
        datetime(2026, 3, 7, 9),
        datetime(2026, 3, 8, 9),  # the spring-forward Sunday
        datetime(2026, 3, 14, 9),
        datetime(2026, 3, 15, 9),
    ]
    assert all(o.tzinfo is NY for o in spring)
    assert spring[1].astimezone(UTC).hour == 14
    assert spring[2].astimezone(UTC).hour == 13
    autumn = rec.occurrences(ny(2026, 10, 31), ny(2026, 11, 2))
    assert [o.astimezone(UTC) for o in autumn] == [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]
    assert rec.contains(ny(2026, 3, 8, 9, 30))
    assert rec.contains(ny(2026, 11, 1, 9, 30))
    assert not rec.contains(utc(2026, 3, 8, 14, 30) + timedelta(hours=1))  # 11:30 EDT


def test_recurrence_start_is_read_in_the_zone() -> None:
    # 14:00 UTC in January is 09:00 in New York: occurrences stay at 09:00 local.
    rec = weekend_mornings(start=utc(2026, 1, 3, 14))
    assert rec.occurrences(utc(2026, 7, 4), utc(2026, 7, 5)) == [ny(2026, 7, 4, 9)]
    assert rec == weekend_mornings()


def test_recurrence_in_the_spring_forward_gap_uses_the_offset_before_the_gap() -> None:
    rec = Recurrence(
        rule="FREQ=DAILY",
        start=ny(2026, 3, 6, 2, 30),
        duration=timedelta(minutes=30),
        timezone="America/New_York",
    )
    found = rec.occurrences(utc(2026, 3, 8), utc(2026, 3, 10))
    assert [o.astimezone(UTC) for o in found] == [utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]
    assert found[0] == ny(2026, 3, 8, 3, 30)  # 02:30 EST does not exist; it is 03:30 EDT
    assert rec.contains(ny(2026, 3, 8, 3, 45))
    assert not rec.contains(ny(2026, 3, 8, 3, 15))


def test_recurrence_gap_occurrence_that_happens_after_a_later_wall_time() -> None:
    # On 2026-03-08 in New York, 02:45 does not exist and is read as 03:45 EDT,
    # which comes after the 03:05 EDT occurrence although its wall time is earlier.
    rec = Recurrence(
        rule="FREQ=DAILY;BYHOUR=2,3;BYMINUTE=5,45;BYSETPOS=2,3",
        start=ny(2026, 3, 1),
        duration=timedelta(minutes=10),
        timezone="America/New_York",
    )
    found = rec.occurrences(utc(2026, 3, 8, 6), utc(2026, 3, 8, 9))
    assert [o.astimezone(UTC) for o in found] == [utc(2026, 3, 8, 7, 5), utc(2026, 3, 8, 7, 45)]
    assert rec.contains(utc(2026, 3, 8, 7, 50))  # covered by the 02:45 occurrence
    assert rec.contains(utc(2026, 3, 8, 7, 10))  # covered by the 03:05 occurrence
    assert not rec.contains(utc(2026, 3, 8, 7, 30))


def test_recurrence_in_the_repeated_hour_means_the_first_pass() -> None:
    rec = Recurrence(
        rule="FREQ=DAILY",
        start=ny(2026, 10, 30, 1, 30),
        duration=timedelta(minutes=45),
        timezone="America/New_York",
    )
    found = rec.occurrences(ny(2026, 11, 1), ny(2026, 11, 2))
    # Compare in UTC: == between zones is False for an ambiguous wall time (PEP 495).
    assert [o.astimezone(UTC) for o in found] == [utc(2026, 11, 1, 5, 30)]
    assert found[0].fold == 0
    assert rec.contains(utc(2026, 11, 1, 6, 0))  # 01:00 EST, 30 minutes after 01:30 EDT
    assert not rec.contains(utc(2026, 11, 1, 6, 30))  # 01:30 EST, an hour later
    # The same query in the zone's own tzinfo, with fold=1, reads as the second pass.
    assert rec.contains(ny(2026, 11, 1, 1, 0, fold=1))
    assert not rec.contains(ny(2026, 11, 1, 1, 30, fold=1))


def test_recurrence_duration_longer_than_the_gap_between_occurrences() -> None:
    rec = Recurrence(
        rule="FREQ=HOURLY",
        start=utc(2026, 1, 1),
        duration=timedelta(hours=3),
        timezone="UTC",
    )
    assert rec.contains(utc(2026, 1, 1, 0, 30))
    assert rec.contains(utc(2026, 6, 1, 12, 59))
    assert not rec.contains(utc(2025, 12, 31, 23))


def test_recurrence_with_count_and_until_ends() -> None:
    counted = weekend_mornings(rule="FREQ=WEEKLY;BYDAY=SA;COUNT=2")
    assert counted.occurrences(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        ny(2026, 1, 3, 9),
        ny(2026, 1, 10, 9),
    ]
    assert counted.contains(ny(2026, 1, 10, 10))
    assert not counted.contains(ny(2026, 1, 17, 10))
    until = weekend_mornings(rule="RRULE:FREQ=WEEKLY;BYDAY=SA;UNTIL=20260111T000000Z")
    assert until.occurrences(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        ny(2026, 1, 3, 9),
        ny(2026, 1, 10, 9),
    ]


def test_recurrence_start_is_an_occurrence_only_if_it_matches() -> None:
    rec = weekend_mornings(start=ny(2026, 1, 5, 9))  # a Monday
    assert rec.occurrences(ny(2026, 1, 5), ny(2026, 1, 12)) == [
        ny(2026, 1, 10, 9),
        ny(2026, 1, 11, 9),
    ]
    assert not rec.contains(ny(2026, 1, 5, 9, 30))


def test_recurrence_occurrences_range_is_half_open() -> None:
    rec = weekend_mornings()
    assert rec.occurrences(ny(2026, 5, 9, 9), ny(2026, 5, 10, 9)) == [ny(2026, 5, 9, 9)]
    assert rec.occurrences(ny(2026, 5, 9, 9), ny(2026, 5, 9, 9)) == []
    with pytest.raises(InvalidValueError) as info:
        rec.occurrences(ny(2026, 5, 10), ny(2026, 5, 9))
    assert info.value.field == "end"
    assert info.value.value == ny(2026, 5, 9)
    with pytest.raises(InvalidValueError) as info:
        rec.occurrences(datetime(2026, 5, 9), ny(2026, 5, 10))
    assert info.value.field == "start"
    with pytest.raises(InvalidValueError) as info:
        rec.contains(datetime(2026, 5, 9, 9, 30))
    assert info.value.field == "at"


@pytest.mark.parametrize(
    ("rule", "reason_part"),
    [
        ("FREQ=DAILY;DTSTART=20260101T000000Z", "DTSTART is not allowed"),
        ("DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY", "DTSTART is not allowed"),
        ("FREQ=FORTNIGHTLY", "not a valid RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=DAILY;BYHOUR=25", "not a valid RRULE"),
        ("FREQ=DAILY;COLOUR=RED", "not a valid RRULE"),
        ("every saturday", "is not KEY=VALUE"),
        ("", "give exactly one RRULE"),
        ("FREQ=DAILY\nEXDATE:20260101T000000Z", "give exactly one RRULE"),
        ("BYDAY=MO", "FREQ is required"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20260301T000000Z", "COUNT and UNTIL"),
        ("FREQ=DAILY;UNTIL=20260301T000000", "UNTIL values must be specified in UTC"),
    ],
)
def test_recurrence_refuses_bad_rules(rule: str, reason_part: str) -> None:
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(rule=rule)
    assert info.value.field == "rule"
    assert info.value.value == rule
    assert reason_part in info.value.reason


def test_recurrence_refuses_non_string_rule() -> None:
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(rule=None)
    assert info.value.field == "rule"
    assert info.value.value is None


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(seconds=-1)])
def test_recurrence_refuses_non_positive_duration(duration: timedelta) -> None:
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(duration=duration)
    assert info.value.field == "duration"
    assert info.value.value == duration
    assert info.value.reason == "must be positive"


def test_recurrence_refuses_bad_start_and_zone() -> None:
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(start=datetime(2026, 1, 3, 9))
    assert info.value.field == "start"
    assert info.value.reason == NAIVE_REASON
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(start=ny(2026, 1, 3, 9, 0, 0, 500))
    assert info.value.field == "start"
    assert "whole seconds" in info.value.reason
    with pytest.raises(ModelValidationError) as info:
        weekend_mornings(timezone="Eastern")
    assert info.value.field == "timezone"
    assert info.value.value == "Eastern"


def test_recurrence_json_round_trip_copy_and_pickle() -> None:
    rec = weekend_mornings()
    data = rec.model_dump(mode="json")
    assert data == {
        "rule": "FREQ=WEEKLY;BYDAY=SA,SU",
        "start": "2026-01-03T09:00:00-05:00",
        "duration": "PT2H",
        "timezone": "America/New_York",
    }
    again = Recurrence.model_validate(data)
    assert again == rec
    assert again.contains(ny(2026, 5, 9, 9, 30))
    for other in (pickle.loads(pickle.dumps(rec)), copy.deepcopy(rec), rec.model_copy()):
        assert other == rec
        assert hash(other) == hash(rec)
        assert other.occurrences(ny(2026, 5, 9), ny(2026, 5, 10)) == [ny(2026, 5, 9, 9)]
    assert rec != weekend_mornings(rule="FREQ=WEEKLY;BYDAY=SA")


def test_recurrence_is_safe_to_share_between_threads() -> None:
    rec = Recurrence(
        rule="FREQ=DAILY", start=utc(2020, 1, 1, 12), duration=timedelta(hours=1), timezone="UTC"
    )
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def work(offset: int) -> None:
        barrier.wait()
        try:
            for day in range(offset, 2000, 6):
                at = utc(2020, 1, 1, 12, 30) + timedelta(days=day)
                assert rec.contains(at)
                assert not rec.contains(at + timedelta(hours=1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    found = rec.occurrences(utc(2020, 1, 1), utc(2025, 6, 1))
    assert len(found) == len(set(found))
    assert found == sorted(found)
    assert found[0] == utc(2020, 1, 1, 12)
