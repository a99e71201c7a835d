"""Time for pricing: clocks, validity windows, weekly schedules and recurrences.

Everything here works with timezone-aware datetimes; a naive datetime at the
boundary is refused with :class:`pricekit.errors.InvalidValueError`. Windows are
half-open, ``[start, end)``: the start instant is inside, the end instant is not.

* :class:`ValidityWindow` is a span of absolute time (when a price list or a
  promotion is valid).
* :class:`WeeklySchedule` is a pattern of local wall-clock time in a store's time
  zone (happy hours, daily deals), made of :class:`Weekday` values and
  :class:`TimeOfDayWindow` values.
* :class:`Recurrence` is an RFC 5545 ``RRULE`` (calendar-style recurrences).
* :class:`Clock` is the port engines' callers use to ask for "now";
  :class:`FixedClock` and :class:`ManualClock` make tests deterministic.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Annotated, Any, NamedTuple, Protocol, Self, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from pydantic import (
    AfterValidator,
    BeforeValidator,
    PrivateAttr,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from pricekit._model import PricekitModel
from pricekit.errors import InvalidValueError

__all__ = [
    "AwareDatetime",
    "Clock",
    "FixedClock",
    "ManualClock",
    "Recurrence",
    "SystemClock",
    "TimeOfDayWindow",
    "ValidityWindow",
    "Weekday",
    "WeeklySchedule",
    "require_aware",
    "to_weekday",
    "zone",
]

_NAIVE_REASON = "naive datetime refused; give a timezone-aware datetime (e.g. with tzinfo=UTC)"
_MIDNIGHT = time(0)


# --------------------------------------------------------------------------- checks


def _aware(value: object, *, field: str) -> datetime:
    if not isinstance(value, datetime):
        if isinstance(value, date):
            reason = "a date is not a datetime; give a timezone-aware datetime"
        else:
            reason = f"expected a timezone-aware datetime, got {type(value).__name__}"
        raise InvalidValueError(field=field, value=value, reason=reason)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(field=field, value=value, reason=_NAIVE_REASON)
    return value


def require_aware(value: datetime, *, field: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else refuse it.

    Args:
        value: The datetime to check.
        field: The name of the field or argument, for the error.

    Returns:
        ``value`` itself, unchanged.

    Raises:
        InvalidValueError: ``value`` is naive (no ``tzinfo``, or a ``tzinfo`` whose
            ``utcoffset`` is ``None``), or is not a datetime at all (a ``date``, a
            string, a number).
    """
    return _aware(value, field=field)


def _load_zone(name: object, *, field: str) -> ZoneInfo:
    if not isinstance(name, str):
        raise InvalidValueError(
            field=field,
            value=name,
            reason=f"expected an IANA time zone name, got {type(name).__name__}",
        )
    if name == "localtime":
        raise InvalidValueError(
            field=field,
            value=name,
            reason="'localtime' depends on the machine; give an IANA name such as 'Europe/London'",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValueError(
            field=field,
            value=name,
            reason="unknown time zone; give an IANA name such as 'America/New_York' or 'UTC'",
        ) from None


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """Load the IANA time zone called ``name``.

    Loaded zones are cached by :class:`zoneinfo.ZoneInfo`, so calling this again
    with the same name is cheap and returns the same object.

    Args:
        name: An IANA key such as ``"America/New_York"`` or ``"UTC"``.
        field: The name of the field or argument, for the error.

    Returns:
        The time zone.

    Raises:
        InvalidValueError: ``name`` is not a string, is not a known zone, is
            malformed (empty, absolute, ``".."``), or is ``"localtime"`` (which
            depends on the machine's settings).
    """
    return _load_zone(name, field=field)


def _zone_key(value: object, info: ValidationInfo) -> str:
    """Field validator: a loadable IANA key, kept as the key string."""
    return _load_zone(value, field=info.field_name or "timezone").key


def _in_zone(at: datetime, tz: ZoneInfo) -> datetime:
    """Convert ``at`` to local time in ``tz``, normalising wall times that do not exist.

    ``astimezone`` returns its argument unchanged when it is already in ``tz``,
    which would keep an imaginary wall time (inside a spring-forward gap) as
    given; going through UTC maps it to the wall time of its instant.
    """
    if at.tzinfo is tz:
        at = at.astimezone(UTC)
    return at.astimezone(tz)


def _aware_input(value: object, info: ValidationInfo) -> object:
    """Before-validator: check datetimes now; ISO strings are parsed by pydantic first."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime | date):
        raise InvalidValueError(
            field=info.field_name or "",
            value=value,
            reason="expected a timezone-aware datetime or an ISO 8601 string with a UTC offset",
        )
    return _aware(value, field=info.field_name or "")


def _aware_output(value: datetime, info: ValidationInfo) -> datetime:
    """After-validator: a parsed string must have had an offset too."""
    return _aware(value, field=info.field_name or "")


def _time_input(value: object, info: ValidationInfo) -> object:
    if isinstance(value, str):
        return value
    if not isinstance(value, time):
        raise InvalidValueError(
            field=info.field_name or "",
            value=value,
            reason='expected a wall-clock time such as datetime.time(22, 0) or "22:00:00"',
        )
    return value


def _refuse_aware_time(value: time, *, field: str) -> time:
    if value.tzinfo is not None:
        raise InvalidValueError(
            field=field,
            value=value,
            reason="give a naive wall-clock time; the schedule's timezone says where it applies",
        )
    return value


def _naive_time_output(value: time, info: ValidationInfo) -> time:
    return _refuse_aware_time(value, field=info.field_name or "")


_AwareDatetime = Annotated[datetime, BeforeValidator(_aware_input), AfterValidator(_aware_output)]
_WallTime = Annotated[time, BeforeValidator(_time_input), AfterValidator(_naive_time_output)]
_ZoneKey = Annotated[str, BeforeValidator(_zone_key)]

AwareDatetime = _AwareDatetime
"""A pydantic field type: a timezone-aware datetime (naive ones and dates are refused)."""


# --------------------------------------------------------------------------- clocks


@runtime_checkable
class Clock(Protocol):
    """Where "now" comes from. Services take a clock; engines take an explicit ``at``."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware datetime in UTC."""
        ...


class SystemClock:
    """The real clock: ``datetime.now(UTC)``."""

    __slots__ = ()

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that is always at the same instant; for tests and replays.

    Args:
        at: The instant to report, timezone-aware; it is reported in UTC.

    Raises:
        InvalidValueError: ``at`` is naive or not a datetime.
    """

    __slots__ = ("_at",)

    def __init__(self, at: datetime) -> None:
        self._at = require_aware(at, field="at").astimezone(UTC)

    def now(self) -> datetime:
        """Return the fixed instant, in UTC."""
        return self._at

    def __repr__(self) -> str:
        return f"FixedClock({self._at!r})"


class ManualClock:
    """A clock that moves only when told to; thread-safe.

    Args:
        start: The first instant to report, timezone-aware; it is reported in UTC.

    Raises:
        InvalidValueError: ``start`` is naive or not a datetime.
    """

    __slots__ = ("_at", "_lock")

    def __init__(self, start: datetime) -> None:
        self._at = require_aware(start, field="start").astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's current instant, in UTC."""
        with self._lock:
            return self._at

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new instant.

        Args:
            delta: How far to move; zero is allowed, negative is not (use
                :meth:`set` to go back in time on purpose).

        Returns:
            The new current instant, in UTC.

        Raises:
            InvalidValueError: ``delta`` is negative or not a timedelta.
        """
        if not isinstance(delta, timedelta):
            raise InvalidValueError(field="delta", value=delta, reason="expected a timedelta")
        if delta < timedelta(0):
            raise InvalidValueError(
                field="delta",
                value=delta,
                reason="a clock only advances; use set() to move it back on purpose",
            )
        with self._lock:
            self._at += delta
            return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at`` (forwards or backwards).

        Args:
            at: The new instant, timezone-aware.

        Raises:
            InvalidValueError: ``at`` is naive or not a datetime.
        """
        value = require_aware(at, field="at").astimezone(UTC)
        with self._lock:
            self._at = value

    def __repr__(self) -> str:
        return f"ManualClock({self.now()!r})"


# --------------------------------------------------------------------------- validity


class ValidityWindow(PricekitModel):
    """A half-open span of absolute time, ``[start, end)``; ``None`` leaves a side open.

    ``start`` and ``end`` are stored in UTC whatever zone they were given in, so
    comparisons are between instants, never between wall-clock readings.

    Attributes:
        start: The first instant inside the window, or ``None`` for "since always".
        end: The first instant after the window, or ``None`` for "forever".
    """

    start: _AwareDatetime | None = None
    end: _AwareDatetime | None = None

    @field_validator("start", "end")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if value is not None and start is not None and value <= start:
            raise InvalidValueError(
                field="end",
                value=value,
                reason=f"end must be after start (start={start.isoformat()})",
            )
        return value

    @classmethod
    def always(cls) -> ValidityWindow:
        """Return the window open on both sides, which contains every instant."""
        return _ALWAYS

    @property
    def is_open_ended(self) -> bool:
        """Whether either side of the window is open (``None``)."""
        return self.start is None or self.end is None

    def contains(self, at: datetime) -> bool:
        """Return whether the instant ``at`` is inside the window.

        Args:
            at: A timezone-aware instant.

        Raises:
            InvalidValueError: ``at`` is naive or not a datetime.
        """
        if not isinstance(at, datetime) or at.utcoffset() is None:
            require_aware(at, field="at")
        start = self.start
        if start is not None and at < start:
            return False
        end = self.end
        return end is None or at < end

    def overlaps(self, other: ValidityWindow) -> bool:
        """Return whether the two windows share at least one instant."""
        return (self.start is None or other.end is None or self.start < other.end) and (
            other.start is None or self.end is None or other.start < self.end
        )

    def intersection(self, other: ValidityWindow) -> ValidityWindow | None:
        """Return the instants in both windows, or ``None`` if they do not overlap."""
        if not self.overlaps(other):
            return None
        starts = [s for s in (self.start, other.start) if s is not None]
        ends = [e for e in (self.end, other.end) if e is not None]
        return ValidityWindow(
            start=max(starts) if starts else None, end=min(ends) if ends else None
        )


_ALWAYS = ValidityWindow()


# --------------------------------------------------------------------------- weekdays

_DAY_NAMES = {
    name: day
    for day, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue"),
            ("wednesday", "wed"),
            ("thursday", "thu"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}


def _day_number(value: object, *, field: str, low: int, high: int, convention: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(
            field=field, value=value, reason=f"expected a day number ({convention})"
        )
    if not low <= value <= high:
        raise InvalidValueError(field=field, value=value, reason=f"out of range ({convention})")
    return value


class Weekday(IntEnum):
    """A day of the week, numbered like :meth:`datetime.date.weekday` (Monday is 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @classmethod
    def from_js(cls, n: int, *, field: str = "day") -> Weekday:
        """Convert a JavaScript ``Date.getDay()`` number (0 is Sunday, 6 is Saturday).

        Args:
            n: The JavaScript day number.
            field: The name of the field, for the error.

        Raises:
            InvalidValueError: ``n`` is not an integer from 0 to 6.
        """
        number = _day_number(
            n, field=field, low=0, high=6, convention="JavaScript: 0 is Sunday, 6 is Saturday"
        )
        return cls((number - 1) % 7)

    @classmethod
    def from_iso(cls, n: int, *, field: str = "day") -> Weekday:
        """Convert an ISO 8601 day number (1 is Monday, 7 is Sunday).

        Args:
            n: The ISO day number, as from :meth:`datetime.date.isoweekday`.
            field: The name of the field, for the error.

        Raises:
            InvalidValueError: ``n`` is not an integer from 1 to 7.
        """
        number = _day_number(
            n, field=field, low=1, high=7, convention="ISO 8601: 1 is Monday, 7 is Sunday"
        )
        return cls(number - 1)

    @classmethod
    def from_name(cls, name: str, *, field: str = "day") -> Weekday:
        """Convert an English day name or its three-letter abbreviation, in any case.

        Args:
            name: ``"monday"``, ``"Mon"``, ``"SUNDAY"``, ...
            field: The name of the field, for the error.

        Raises:
            InvalidValueError: ``name`` is not a day name.
        """
        day = _DAY_NAMES.get(name.strip().lower()) if isinstance(name, str) else None
        if day is None:
            raise InvalidValueError(
                field=field,
                value=name,
                reason="expected an English day name such as 'monday' or 'mon'",
            )
        return cls(day)


def to_weekday(value: object, *, field: str = "day") -> Weekday:
    """A day as a :class:`Weekday`, from a ``Weekday``, a name or a number (0 is Monday).

    Raises:
        InvalidValueError: Not a day (naming ``field``).
    """
    if isinstance(value, Weekday):
        return value
    if isinstance(value, str):
        return Weekday.from_name(value, field=field)
    number = _day_number(
        value,
        field=field,
        low=0,
        high=6,
        convention="0 is Monday, 6 is Sunday, like date.weekday(); "
        "use Weekday.from_js or Weekday.from_iso for other numberings",
    )
    return Weekday(number)


# --------------------------------------------------------------------------- time of day


class TimeOfDayWindow(PricekitModel):
    """A half-open span of local wall-clock time, ``[start, end)``, repeated every day.

    * ``start < end``: the span inside one day, e.g. 09:00-17:00.
    * ``end < start``: the span **crosses midnight**, e.g. 22:00-02:00; in a
      :class:`WeeklySchedule` the part after midnight belongs to the day the
      window started.
    * ``start == end``: the span lasts **a whole day** (24 hours) from ``start``;
      00:00-00:00 is exactly the calendar day, 06:00-06:00 runs from 06:00 to
      06:00 the next morning (and so crosses midnight).

    Times are naive: the time zone belongs to the schedule that holds the window.

    Attributes:
        start: The first wall-clock time inside the window.
        end: The first wall-clock time after the window.
    """

    start: _WallTime
    end: _WallTime

    @classmethod
    def whole_day(cls) -> TimeOfDayWindow:
        """Return the 00:00-00:00 window, which covers each calendar day."""
        return cls(start=_MIDNIGHT, end=_MIDNIGHT)

    @property
    def crosses_midnight(self) -> bool:
        """Whether the window runs past midnight into the next day."""
        return self.end <= self.start and self.start != _MIDNIGHT

    @property
    def is_whole_day(self) -> bool:
        """Whether the window lasts a whole day (``start == end``)."""
        return self.start == self.end

    def contains(self, t: time) -> bool:
        """Return whether the wall-clock time ``t`` is inside the window on some day.

        Args:
            t: A naive wall-clock time.

        Raises:
            InvalidValueError: ``t`` is not a naive :class:`datetime.time`.
        """
        if not isinstance(t, time):
            raise InvalidValueError(field="t", value=t, reason="expected a datetime.time")
        _refuse_aware_time(t, field="t")
        start, end = self.start, self.end
        if start < end:
            return start <= t < end
        return t >= start or t < end  # across midnight; when start == end, always


# --------------------------------------------------------------------------- weekly


class _CompiledSchedule(NamedTuple):
    zone: ZoneInfo
    day_mask: int
    spans: tuple[tuple[time, time, bool], ...]


class WeeklySchedule(PricekitModel):
    """Days of the week and times of day in a time zone, e.g. "Mon-Fri 16:00-18:00".

    An instant is inside the schedule when, converted to local time in
    ``timezone``, some window contains its wall-clock time and the day that
    window started on is in ``days``. The answer depends only on the local
    wall-clock time and weekday, so it is the same on both sides of a DST change.

    Attributes:
        timezone: The IANA name of the zone the times are in.
        days: The days the windows start on; every day when omitted.
        windows: The times of day; the whole day when empty.
    """

    timezone: _ZoneKey
    days: frozenset[Weekday] = frozenset(Weekday)
    windows: tuple[TimeOfDayWindow, ...] = ()

    _compiled: _CompiledSchedule = PrivateAttr()

    @field_validator("days", mode="before")
    @classmethod
    def _weekdays(cls, value: object) -> frozenset[Weekday]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise InvalidValueError(
                field="days",
                value=value,
                reason="expected a collection of days, e.g. ['monday', 'friday'] or [0, 4]",
            )
        days = frozenset(to_weekday(item, field="days") for item in value)
        if not days:
            raise InvalidValueError(
                field="days",
                value=value,
                reason="no days given; omit the field for a schedule that applies every day",
            )
        return days

    @field_serializer("days", when_used="json")
    def _days_as_numbers(self, days: frozenset[Weekday]) -> list[int]:
        return sorted(int(day) for day in days)

    def model_post_init(self, context: Any, /) -> None:
        """Compile the schedule for :meth:`contains`."""
        self._compiled = _CompiledSchedule(
            zone=ZoneInfo(self.timezone),
            day_mask=sum(1 << day for day in self.days),
            spans=tuple((w.start, w.end, w.end <= w.start) for w in self.windows),
        )

    @classmethod
    def every_day(cls, timezone: str) -> WeeklySchedule:
        """Return the schedule that is always on (every day, all day) in ``timezone``."""
        return cls(timezone=timezone)

    @property
    def tzinfo(self) -> ZoneInfo:
        """The loaded time zone."""
        return self._compiled.zone

    def contains(self, at: datetime) -> bool:
        """Return whether the instant ``at`` falls inside the schedule.

        Args:
            at: A timezone-aware instant, in any zone.

        Raises:
            InvalidValueError: ``at`` is naive or not a datetime.
        """
        if not isinstance(at, datetime) or at.utcoffset() is None:
            require_aware(at, field="at")
        # Read the private attribute straight from pydantic's dict: the normal
        # lookup goes through BaseModel.__getattr__, which costs more than the rest.
        compiled: _CompiledSchedule = self.__pydantic_private__["_compiled"]  # type: ignore[index]
        tz, mask, spans = compiled
        local = _in_zone(at, tz)
        weekday = local.weekday()
        today = (mask >> weekday) & 1
        if not spans:
            return bool(today)
        now = local.time()
        for start, end, wraps in spans:
            if wraps:
                if now >= start:
                    if today:
                        return True
                elif now < end and (mask >> (weekday - 1) % 7) & 1:
                    return True
            elif today and start <= now < end:
                return True
        return False


# --------------------------------------------------------------------------- recurrence

# Bounds how far a wall-clock reading can be from its instant's position among
# other readings: the widest span of UTC offsets a zone has ever had (-12 to +14).
_MAX_SHIFT = timedelta(hours=27)
_EXAMPLE_RULE = "for example FREQ=WEEKLY;BYDAY=SA,SU"
_CHECK_START = datetime(2000, 1, 1, tzinfo=UTC)


def _rule_keys(text: str) -> dict[str, str]:
    """Split ``KEY=VALUE;KEY=VALUE`` into a dict (upper-case keys); refuse other shapes."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if "DTSTART" in body.upper():
        raise ValueError("DTSTART is not allowed in the rule; give it as the start field")
    if not body or any(ch in body for ch in ":\r\n"):
        raise ValueError(f"give exactly one RRULE, {_EXAMPLE_RULE}")
    keys: dict[str, str] = {}
    for part in body.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{part!r} is not KEY=VALUE; {_EXAMPLE_RULE}")
        keys[key.strip().upper()] = value.strip()
    return keys


def _parse_rule(text: str, dtstart: datetime) -> rrule:
    keys = _rule_keys(text)
    if "FREQ" not in keys:
        raise ValueError(f"FREQ is required, {_EXAMPLE_RULE}")
    if "COUNT" in keys and "UNTIL" in keys:
        raise ValueError("COUNT and UNTIL cannot both be given (RFC 5545)")
    for key in ("COUNT", "INTERVAL"):
        if key in keys and (not keys[key].isdigit() or int(keys[key]) < 1):
            raise ValueError(f"{key} must be a whole number of at least 1")
    try:
        parsed = rrulestr(text.strip(), dtstart=dtstart)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"not a valid RRULE ({exc}); {_EXAMPLE_RULE}") from None
    if not isinstance(parsed, rrule):  # pragma: no cover - _rule_keys admits one RRULE only
        raise ValueError(f"give exactly one RRULE, {_EXAMPLE_RULE}")
    return parsed


def _upper_wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The latest naive wall-clock time whose (first) instant can be at or before ``instant``.

    That is the local reading of ``instant``, except in the repeated hour after a
    fall-back: there, first-pass readings up to the end of the repeat came earlier.
    """
    local = instant.astimezone(tz)
    wall = local.replace(tzinfo=None)
    if local.fold:
        first, second = local.replace(fold=0).utcoffset(), local.utcoffset()
        if first is not None and second is not None:
            wall += first - second
    return wall


class _Occurrences:
    """A rule's occurrences, generated lazily, kept sorted by wall-clock time.

    Shared between threads: generation happens under a lock, and readers only use
    the prefix that is complete (instants are appended before wall times).
    Logically immutable, so copies share it and equality is by the rule.
    """

    __slots__ = ("_instants", "_iterator", "_key", "_lock", "_walls", "zone")

    def __init__(self, rule_text: str, dtstart: datetime, tz: ZoneInfo) -> None:
        self._key = (rule_text, dtstart, tz.key)
        self.zone = tz
        self._iterator: Iterator[datetime] | None = iter(_parse_rule(rule_text, dtstart))
        self._walls: list[datetime] = []
        self._instants: list[datetime] = []
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Occurrences, (self._key[0], self._key[1], self.zone))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Occurrences):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def _reach(self, wall: datetime) -> None:
        """Generate occurrences until one is after ``wall`` or the rule ends."""
        walls = self._walls
        if self._iterator is None or (walls and walls[-1] > wall):
            return
        with self._lock:
            iterator = self._iterator
            while iterator is not None and (not walls or walls[-1] <= wall):
                occurrence = next(iterator, None)
                if occurrence is None:
                    self._iterator = None
                    break
                # Instants first: readers index instants by positions found in walls.
                self._instants.append(occurrence.astimezone(UTC))
                walls.append(occurrence.replace(tzinfo=None))

    def any_in(self, low: datetime, high: datetime) -> bool:
        """Whether some occurrence's instant is in ``(low, high]`` (both in UTC)."""
        upper = _upper_wall(high, self.zone)
        self._reach(upper)
        instants = self._instants
        stop = low - _MAX_SHIFT
        for i in range(bisect_right(self._walls, upper) - 1, -1, -1):
            instant = instants[i]
            if instant <= high:
                if instant > low:
                    return True
                if instant <= stop:
                    return False
        return False

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """The instants in ``[start, end)`` (both in UTC), in order, in the zone."""
        upper = _upper_wall(end, self.zone)
        self._reach(upper)
        lower = start.astimezone(self.zone).replace(tzinfo=None) - _MAX_SHIFT
        walls, instants = self._walls, self._instants
        found = [
            instants[i]
            for i in range(bisect_left(walls, lower), bisect_right(walls, upper))
            if start <= instants[i] < end
        ]
        found.sort()
        return [instant.astimezone(self.zone) for instant in found]


class Recurrence(PricekitModel):
    """Occurrences of an RFC 5545 ``RRULE``, each lasting ``duration``, in a time zone.

    ``start`` is the rule's ``DTSTART``: converted to ``timezone``, its wall-clock
    reading sets the time of day of the occurrences (09:00 every Saturday stays
    09:00 local across DST changes). As in python-dateutil, ``start`` is itself an
    occurrence only if it matches the rule. Following RFC 5545, a wall-clock time
    that happens twice means its first instant, and one that does not exist (in a
    spring-forward gap) is read with the offset from before the gap. ``duration``
    is elapsed time from each occurrence.

    Attributes:
        rule: The rule, e.g. ``"FREQ=WEEKLY;BYDAY=SA,SU"`` (an ``RRULE:`` prefix is
            allowed; ``DTSTART`` is not, and ``UNTIL`` must be in UTC, ending in
            ``Z``).
        start: The rule's start, timezone-aware, in whole seconds.
        duration: How long each occurrence lasts; positive.
        timezone: The IANA name of the zone the rule runs in.
    """

    rule: str
    start: _AwareDatetime
    duration: timedelta
    timezone: _ZoneKey

    _occurrences: _Occurrences = PrivateAttr()

    @field_validator("rule", mode="before")
    @classmethod
    def _valid_rule(cls, value: object) -> object:
        if not isinstance(value, str):
            raise InvalidValueError(
                field="rule", value=value, reason=f"expected an RRULE string, {_EXAMPLE_RULE}"
            )
        try:
            _parse_rule(value, _CHECK_START)
        except ValueError as exc:
            raise InvalidValueError(field="rule", value=value, reason=str(exc)) from None
        return value

    @field_validator("start")
    @classmethod
    def _whole_seconds(cls, value: datetime) -> datetime:
        if value.microsecond:
            raise InvalidValueError(
                field="start",
                value=value,
                reason="RRULE times are in whole seconds; give a start without microseconds",
            )
        return value

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise InvalidValueError(field="duration", value=value, reason="must be positive")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Parse the rule once, anchored at ``start`` in the zone."""
        tz = ZoneInfo(self.timezone)
        self._occurrences = _Occurrences(self.rule, _in_zone(self.start, tz), tz)

    def contains(self, at: datetime) -> bool:
        """Return whether ``at`` is in ``[occurrence, occurrence + duration)`` for some occurrence.

        Args:
            at: A timezone-aware instant.

        Raises:
            InvalidValueError: ``at`` is naive or not a datetime.
        """
        high = require_aware(at, field="at").astimezone(UTC)
        # Straight from pydantic's dict, as in WeeklySchedule.contains.
        occurrences: _Occurrences = self.__pydantic_private__["_occurrences"]  # type: ignore[index]
        return occurrences.any_in(high - self.duration, high)

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """Return the occurrences that begin in ``[start, end)``, in order, in the zone.

        Args:
            start: The first instant to include, timezone-aware.
            end: The first instant to leave out, timezone-aware.

        Raises:
            InvalidValueError: ``start`` or ``end`` is naive, or ``end`` is before ``start``.
        """
        low = require_aware(start, field="start").astimezone(UTC)
        high = require_aware(end, field="end").astimezone(UTC)
        if high < low:
            raise InvalidValueError(
                field="end",
                value=end,
                reason=f"end must not be before start (start={start.isoformat()})",
            )
        return self._occurrences.between(low, high)
