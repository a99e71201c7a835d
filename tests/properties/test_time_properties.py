"""Property tests for pricekit.time: DST invariance, reference models, brute-force checks."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import given
from hypothesis import strategies as st

from pricekit.testing._time_strategies import (
    aware_datetimes,
    schedules,
    time_of_day_windows,
    validity_windows,
)
from pricekit.time import Recurrence, ValidityWindow, WeeklySchedule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DST_ZONES = (
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "America/St_Johns",
)


def micros(at: datetime) -> int:
    """Microseconds since the epoch: an instant as a plain integer."""
    return (at - EPOCH) // timedelta(microseconds=1)


@functools.cache
def transition_days(name: str, year: int = 2026) -> tuple[date, ...]:
    """The days of ``year`` whose noon UTC offset differs from the day before."""
    tz = ZoneInfo(name)
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=tz).utcoffset()
        if datetime.combine(day, time(12), tzinfo=tz).utcoffset() != before:
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


# --------------------------------------------------------------------------- schedules


@st.composite
def across_a_dst_change(draw: st.DrawFn) -> tuple[WeeklySchedule, datetime, datetime]:
    """A schedule and one local wall-clock time on two same-weekday dates around a change."""
    name = draw(st.sampled_from(DST_ZONES))
    schedule = draw(schedules(timezones=st.just(name)))
    change = draw(st.sampled_from(transition_days(name)))
    first_day = change - timedelta(days=7 + draw(st.integers(min_value=0, max_value=6)))
    second_day = first_day + timedelta(days=14)
    wall = draw(st.one_of(st.times(), time_of_day_windows().map(lambda w: w.start)))
    tz = ZoneInfo(name)
    return (
        schedule,
        datetime.combine(first_day, wall, tzinfo=tz),
        datetime.combine(second_day, wall, tzinfo=tz),
    )


@given(across_a_dst_change())
def test_schedule_answer_is_the_same_on_both_sides_of_a_dst_change(
    case: tuple[WeeklySchedule, datetime, datetime],
) -> None:
    schedule, before, after = case
    assert before.weekday() == after.weekday()
    assert before.utcoffset() != after.utcoffset()  # the two instants straddle a change
    assert schedule.contains(before) == schedule.contains(after)


def reference_contains(schedule: WeeklySchedule, at: datetime) -> bool:
    """The schedule's rule, spelled out with naive local datetimes and durations."""
    local = at.astimezone(ZoneInfo(schedule.timezone)).replace(tzinfo=None)
    if not schedule.windows:
        return local.weekday() in schedule.days
    for window in schedule.windows:
        span = datetime.combine(date.min, window.end) - datetime.combine(date.min, window.start)
        length = span % timedelta(days=1) or timedelta(days=1)
        for days_back in (0, 1):
            day = local.date() - timedelta(days=days_back)
            begin = datetime.combine(day, window.start)
            if begin <= local < begin + length and day.weekday() in schedule.days:
                return True
    return False


@given(schedules(), aware_datetimes())
def test_schedule_agrees_with_a_reference_model(schedule: WeeklySchedule, at: datetime) -> None:
    assert schedule.contains(at) == reference_contains(schedule, at)


@st.composite
def schedule_and_boundary(draw: st.DrawFn) -> tuple[WeeklySchedule, datetime]:
    """A schedule and a local instant exactly at, or a microsecond before, a window edge."""
    schedule = draw(schedules(timezones=st.sampled_from(("UTC", *DST_ZONES))))
    edges = [time(0)] + [edge for w in schedule.windows for edge in (w.start, w.end)]
    wall = datetime.combine(date(2026, 1, 1), draw(st.sampled_from(edges)))
    wall -= draw(st.sampled_from([timedelta(0), timedelta(microseconds=1)]))
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
    local = datetime.combine(day, wall.time(), tzinfo=ZoneInfo(schedule.timezone))
    return schedule, local.astimezone(UTC)  # via UTC: never a wall time inside a gap


@given(schedule_and_boundary())
def test_schedule_agrees_with_the_reference_at_window_edges(
    case: tuple[WeeklySchedule, datetime],
) -> None:
    schedule, at = case
    assert schedule.contains(at) == reference_contains(schedule, at)


@given(schedules(), aware_datetimes())
def test_schedule_json_round_trip_keeps_the_answers(schedule: WeeklySchedule, at: datetime) -> None:
    again = WeeklySchedule.model_validate_json(schedule.model_dump_json())
    assert again == schedule
    assert again.contains(at) == schedule.contains(at)


# --------------------------------------------------------------------------- validity windows


@st.composite
def window_and_instant(draw: st.DrawFn) -> tuple[ValidityWindow, datetime]:
    """A window and an instant, often on or next to one of its edges."""
    window = draw(validity_windows())
    edges = [edge for edge in (window.start, window.end) if edge is not None]
    near_edge = st.sampled_from(edges).flatmap(
        lambda edge: st.sampled_from([edge, edge - timedelta(microseconds=1)])
    )
    at = draw(st.one_of(near_edge, aware_datetimes()) if edges else aware_datetimes())
    return window, at


@given(window_and_instant())
def test_validity_window_agrees_with_the_plain_rule(case: tuple[ValidityWindow, datetime]) -> None:
    window, at = case
    start = None if window.start is None else micros(window.start)
    end = None if window.end is None else micros(window.end)
    expected = (start is None or start <= micros(at)) and (end is None or micros(at) < end)
    assert window.contains(at) == expected


@given(validity_windows(), validity_windows(), aware_datetimes())
def test_intersection_is_contained_in_both(
    first: ValidityWindow, second: ValidityWindow, at: datetime
) -> None:
    both = first.intersection(second)
    assert (both is not None) == first.overlaps(second) == second.overlaps(first)
    assert both == second.intersection(first)
    probes = [at] + [e for w in (first, second) for e in (w.start, w.end) if e is not None]
    for probe in probes:
        for instant in (probe, probe - timedelta(microseconds=1)):
            in_both = first.contains(instant) and second.contains(instant)
            assert (both is not None and both.contains(instant)) == in_both


# --------------------------------------------------------------------------- recurrences

_RULES = st.one_of(
    st.just("FREQ=DAILY"),
    st.integers(min_value=1, max_value=3).map(lambda n: f"FREQ=DAILY;INTERVAL={n}"),
    st.lists(
        st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, unique=True
    ).map(lambda days: "FREQ=WEEKLY;BYDAY=" + ",".join(days)),
    st.integers(min_value=1, max_value=12).map(lambda n: f"FREQ=HOURLY;INTERVAL={n}"),
    st.integers(min_value=1, max_value=28).map(lambda d: f"FREQ=MONTHLY;BYMONTHDAY={d}"),
    st.integers(min_value=1, max_value=20).map(lambda n: f"FREQ=DAILY;COUNT={n}"),
)


@st.composite
def recurrence_and_instant(draw: st.DrawFn) -> tuple[Recurrence, datetime]:
    name = draw(st.sampled_from(("UTC", *DST_ZONES)))
    start = draw(
        aware_datetimes(
            min_value=datetime(2025, 9, 1, tzinfo=UTC),
            max_value=datetime(2026, 12, 1, tzinfo=UTC),
            timezones=st.just(name),
        )
    ).replace(microsecond=0)
    duration = draw(
        st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=3)).map(
            lambda d: d - timedelta(microseconds=d.microseconds)
        )
    )
    recurrence = Recurrence(rule=draw(_RULES), start=start, duration=duration, timezone=name)
    at = draw(
        aware_datetimes(
            min_value=start - timedelta(days=2),
            max_value=start + timedelta(days=60),
            timezones=st.sampled_from(("UTC", name)),
        )
    )
    return recurrence, at


def brute_force_instants(recurrence: Recurrence, until: datetime) -> list[datetime]:
    """Every occurrence (in UTC) up to ``until``, straight from dateutil."""
    tz = ZoneInfo(recurrence.timezone)
    rule = rrulestr(recurrence.rule, dtstart=recurrence.start.astimezone(tz))
    found = []
    for occurrence in rule:
        instant = occurrence.astimezone(UTC)
        if instant > until + timedelta(days=2):
            break
        found.append(instant)
    return found


@given(recurrence_and_instant())
def test_recurrence_contains_agrees_with_a_brute_force_scan(
    case: tuple[Recurrence, datetime],
) -> None:
    recurrence, at = case
    instants = brute_force_instants(recurrence, at)
    expected = any(instant <= at < instant + recurrence.duration for instant in instants)
    assert recurrence.contains(at) == expected


@given(recurrence_and_instant(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9)))
def test_recurrence_occurrences_agree_with_a_brute_force_scan(
    case: tuple[Recurrence, datetime], span: timedelta
) -> None:
    recurrence, start = case
    end = start + span
    expected = sorted(i for i in brute_force_instants(recurrence, end) if start <= i < end)
    found = recurrence.occurrences(start, end)
    assert [o.astimezone(UTC) for o in found] == expected
    assert all(o.tzinfo is ZoneInfo(recurrence.timezone) for o in found)
