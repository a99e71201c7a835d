"""Hypothesis strategies for :mod:`pricekit.time`, re-exported by the strategies module."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

from pricekit.time import (
    TimeOfDayWindow,
    ValidityWindow,
    Weekday,
    WeeklySchedule,
    require_aware,
    zone,
)

__all__ = [
    "aware_datetimes",
    "schedules",
    "time_of_day_windows",
    "time_zones",
    "validity_windows",
]

# Zones worth drawing often: DST in either hemisphere, negative DST (Dublin),
# half-hour and 45-minute offsets and DST steps (Lord Howe), date-line jumps
# (Apia), and zones without DST.
_NOTABLE_ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "America/St_Johns",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Africa/Casablanca",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "America/Phoenix",
)

_DEFAULT_MIN = datetime(2000, 1, 1, tzinfo=UTC)
_DEFAULT_MAX = datetime(2100, 1, 1, tzinfo=UTC)


@functools.cache
def _zone_names() -> tuple[str, ...]:
    # "localtime" mirrors the machine's settings; pricekit.time.zone refuses it.
    return tuple(sorted(name for name in zoneinfo.available_timezones() if name != "localtime"))


def time_zones() -> st.SearchStrategy[str]:
    """IANA time zone names that exist on this machine, e.g. ``"Europe/London"``.

    Zones with unusual rules (DST in the southern hemisphere, half-hour offsets,
    date-line jumps) are drawn more often than their share of the database.
    """
    every = _zone_names()
    notable = [name for name in _NOTABLE_ZONES if name in every]
    if not notable:  # pragma: no cover - a machine without the IANA database
        return st.sampled_from(every)
    return st.one_of(st.sampled_from(notable), st.sampled_from(every))


def aware_datetimes(
    *,
    min_value: datetime = _DEFAULT_MIN,
    max_value: datetime = _DEFAULT_MAX,
    timezones: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between two instants, in a drawn time zone.

    Each value is an instant in ``[min_value, max_value]`` read in a zone drawn
    from ``timezones``, so values in a repeated hour after a fall-back carry
    ``fold=1`` when they are its second pass. Wall-clock times that do not exist
    (inside a spring-forward gap) are never drawn.

    Args:
        min_value: The earliest instant, timezone-aware.
        max_value: The latest instant, timezone-aware.
        timezones: IANA names to read the instants in; :func:`time_zones` by default.
    """
    low = require_aware(min_value, field="min_value").astimezone(UTC).replace(tzinfo=None)
    high = require_aware(max_value, field="max_value").astimezone(UTC).replace(tzinfo=None)
    instants = st.datetimes(min_value=low, max_value=high).map(lambda d: d.replace(tzinfo=UTC))
    names = time_zones() if timezones is None else timezones
    return st.builds(lambda at, name: at.astimezone(zone(name)), instants, names)


@st.composite
def _validity_windows(draw: st.DrawFn, instants: st.SearchStrategy[datetime]) -> ValidityWindow:
    start = draw(st.none() | instants)
    end = draw(st.none() | instants)
    if start is not None and end is not None:
        start, end = min(start, end), max(start, end)
        if start == end:
            end = start + timedelta(microseconds=1)
    return ValidityWindow(start=start, end=end)


def validity_windows(
    *,
    min_value: datetime = _DEFAULT_MIN,
    max_value: datetime = _DEFAULT_MAX,
    timezones: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[ValidityWindow]:
    """Validity windows, each side either open (``None``) or an instant in the bounds.

    Args:
        min_value: The earliest instant a side may be, timezone-aware.
        max_value: The latest instant a side may be, timezone-aware.
        timezones: IANA names the sides are given in before the window stores
            them in UTC; :func:`time_zones` by default.
    """
    instants = aware_datetimes(min_value=min_value, max_value=max_value, timezones=timezones)
    return _validity_windows(instants)


def _wall_times() -> st.SearchStrategy[time]:
    """Naive times, mostly on the quarter hour (as real schedules are), some arbitrary."""
    quarter_hours = st.builds(
        time, st.integers(min_value=0, max_value=23), st.sampled_from([0, 15, 30, 45])
    )
    return st.one_of(quarter_hours, st.times())


def time_of_day_windows() -> st.SearchStrategy[TimeOfDayWindow]:
    """Time-of-day windows of every shape: within a day, across midnight, whole day."""
    return st.builds(TimeOfDayWindow, start=_wall_times(), end=_wall_times())


def schedules(
    *,
    timezones: st.SearchStrategy[str] | None = None,
    max_windows: int = 3,
) -> st.SearchStrategy[WeeklySchedule]:
    """Weekly schedules: some days (at least one), up to ``max_windows`` windows.

    Args:
        timezones: IANA names for the schedule's zone; :func:`time_zones` by default.
        max_windows: The most windows a schedule gets; none means all day.
    """
    return st.builds(
        WeeklySchedule,
        timezone=time_zones() if timezones is None else timezones,
        days=st.frozensets(st.sampled_from(Weekday), min_size=1),
        windows=st.lists(time_of_day_windows(), max_size=max_windows).map(tuple),
    )
