r"""The daily-deals page's static CSV: one deal per row, with the days it runs.

:func:`read_daily_deals_csv` reads the file into :class:`~pricekit.deals.models.Deal`
values (all of them, or one error naming every bad row); :func:`write_daily_deals_csv`
writes deals back, so that reading the text gives deals equal to those written.
:func:`pricekit.deals.queries.deals_for_weekday` then lists one day's deals.

## The format

RFC 4180 CSV (:mod:`csv`'s default dialect: comma separated, ``"`` quoting),
UTF-8 (a leading byte-order mark is ignored). The **first row is the header**
and names the columns, in any order; names are read ignoring case and
surrounding spaces. A column may be left out unless it is required; an unknown
column, or one named twice, is an error. Every cell is read without its
surrounding spaces; an empty cell takes the default. Rows whose cells are all
empty are skipped; any other row must have as many cells as the header.

| Column               | Required | Meaning                                               |
|----------------------|----------|-------------------------------------------------------|
| ``weekdays``         | yes      | The days it runs, ``;``-separated: ``mon;wed``. (1)   |
| ``location_id``      | (2)      | The location.                                         |
| ``discount_id``      | yes      | The deal's own id. (3)                                |
| ``source``           | no       | ``dutchie`` (default) or ``ptl``. (3)                 |
| ``name``             | yes      | The deal's name.                                      |
| ``description``      | no       | A longer description (default empty).                 |
| ``online_name``      | no       | The name the online menu shows.                       |
| ``menu_rank``        | no       | Its place on the menu, a whole number (lower first).  |
| ``percent_off``      | (4)      | A number of percent: ``30`` is 30% off. (5)           |
| ``amount_off``       | (4)      | An amount off, in major units: ``5.00``. (6)          |
| ``price_to_amount``  | (4)      | The price becomes this amount: ``25.00``. (6)         |
| ``currency``         | no       | ISO 4217 code (default: the ``currency`` argument).   |
| ``start_time``       | no       | The time of day it starts, ``HH:MM`` or ``HH:MM:SS``. (7) |
| ``end_time``         | no       | The time of day it ends (exclusive). (7)              |
| ``valid_from``       | no       | When it starts, an ISO 8601 datetime with an offset. (8) |
| ``valid_to``         | no       | When it ends (exclusive), likewise. (8)               |
| ``time_zone``        | (9)      | The store's IANA time zone.                           |
| ``products``         | no       | Product ids it targets, ``;``-separated. (10)         |
| ``categories``       | no       | Category ids it targets (their subtrees too). (10)    |
| ``brands``           | no       | Brand ids it targets. (10)                            |
| ``exclude_products``, ``exclude_categories``, ``exclude_brands`` | no | Ids it leaves out. (10) |
| ``can_stack``        | no       | ``true`` or ``false`` (default ``false``).            |
| ``available_online`` | no       | ``true`` or ``false`` (default ``true``).             |

1. English day names or their three letters, any case (``Mon``, ``monday``);
   each day at most once; all seven is every day. One row is one deal, however
   many days it runs.
2. Each row needs a location: its cell, else the ``location_id`` argument.
3. The deal's ``id`` is :func:`~pricekit.deals.models.deal_id` of the location,
   the discount id and the source (``{location}_{discount_id}``, or
   ``{location}_ptl_{discount_id}``); two rows with the same id are an error.
4. Exactly one of the three, per row; the header needs at least one of them.
5. Above 0 and at most 100; a plain decimal (``12.5``), no ``%`` sign. A value
   below 1 is refused as a likely fraction (``0.3`` for 30%).
6. A plain decimal of at least zero, with at most the currency's decimal places.
7. Both or neither (neither: all day). The end must be after the start; a window
   past midnight writes its end with ``+1``, the next day (``22:00`` to
   ``02:00+1``); ``24:00`` ends at midnight. Days and times are read in the
   store's time zone; a window past midnight belongs to the day it starts.
8. E.g. ``2026-12-01T00:00:00-07:00`` or ``2026-12-01T07:00:00Z``; a date alone
   or a time without an offset is refused. ``valid_to`` must be after ``valid_from``.
9. Each row needs one: its cell, else the ``time_zone`` argument.
10. Ids are read without surrounding spaces; an empty id (``a;;b``) is an error.

Numbers are read as :class:`~decimal.Decimal` strings, never floats: a plain
decimal has digits, optionally a point and more digits (no sign, exponent,
thousands separator or currency symbol).

Text cells (``location_id``, ``discount_id``, ``name``, ``description``,
``online_name`` and the id lists) are guarded against spreadsheet formula
injection, as :mod:`pricekit.markdowns.export` does: the writer puts a ``'``
before a value starting with ``=``, ``+``, ``-`` or ``@`` (and before a value
starting with ``'`` followed by one of those or another ``'``); the reader drops
that one ``'``. Any other leading ``'`` is kept.

## Errors

:func:`read_daily_deals_csv` reads the whole file before it answers and raises
one :class:`DailyDealsCsvError` listing every problem, each with its row (the
header is row 1, as a spreadsheet numbers them), column and value, e.g.
``row 4: percent_off='130': must be at most 100``.

:func:`write_daily_deals_csv` refuses a deal the format cannot express rather
than lose part of it, naming the deal and field, e.g.
``deal[L1_7].first_time_customer_only``: a threshold or buy-N-get-one reward,
targeting other than products, categories and brands, lost targeting
(``unmapped``), a code or manual deal, a disabled deal, a first-time-customer
deal, a percent below 1, text with surrounding spaces (the reader strips
them), an id holding ``;``, a time of day with microseconds, an ``id`` that is
not the composite of its location, discount id and source, or two deals with
one id. Deals read back equal to those written; the reader lists restrictions
in one order (product, category, brand; each inclusion before its exclusion),
the order :mod:`pricekit.deals.sources` builds, so a deal built with another
order reads back equal in all but that order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any, Final, TypeVar

from pricekit.deals.models import (
    ApplicationMethod,
    Deal,
    DealSource,
    Dimension,
    RewardMethod,
    deal_id,
)
from pricekit.errors import (
    FieldError,
    InvalidValueError,
    ModelValidationError,
    PricekitError,
)
from pricekit.money import Money, get_currency
from pricekit.time import Weekday, zone

__all__ = [
    "DAILY_DEALS_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvProblem",
    "DailyDealsCsvError",
    "read_daily_deals_csv",
    "write_daily_deals_csv",
]

DAILY_DEALS_COLUMNS: Final[tuple[str, ...]] = (
    "weekdays",
    "location_id",
    "discount_id",
    "source",
    "name",
    "description",
    "online_name",
    "menu_rank",
    "percent_off",
    "amount_off",
    "price_to_amount",
    "currency",
    "start_time",
    "end_time",
    "valid_from",
    "valid_to",
    "time_zone",
    "products",
    "categories",
    "brands",
    "exclude_products",
    "exclude_categories",
    "exclude_brands",
    "can_stack",
    "available_online",
)
"""Every column the format knows, in the order :func:`write_daily_deals_csv` writes them."""

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("weekdays", "discount_id", "name")
"""The columns the header must name (and at least one of the reward columns)."""

_REWARD_COLUMNS: Final = {
    "percent_off": RewardMethod.PERCENT_OFF,
    "amount_off": RewardMethod.AMOUNT_OFF,
    "price_to_amount": RewardMethod.PRICE_TO_AMOUNT,
}
_TARGET_COLUMNS: Final = (
    ("products", Dimension.PRODUCT, False),
    ("exclude_products", Dimension.PRODUCT, True),
    ("categories", Dimension.CATEGORY, False),
    ("exclude_categories", Dimension.CATEGORY, True),
    ("brands", Dimension.BRAND, False),
    ("exclude_brands", Dimension.BRAND, True),
)
_COLUMN_OF_TARGET: Final = {(dim, exclude): column for column, dim, exclude in _TARGET_COLUMNS}
_MESSAGE_LIMIT: Final = 20
"""How many problems the error's message shows; ``problems`` holds them all."""

_DECIMAL_RE: Final = re.compile(r"\d+(?:\.\d+)?")
_INTEGER_RE: Final = re.compile(r"-?\d+")
_TIME_RE: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(\+1)?")
_FORMULA_STARTS: Final = ("=", "+", "-", "@")
_MIDNIGHT: Final = time(0)
_DAY_ABBREVIATIONS: Final = {day: day.name[:3].lower() for day in Weekday}
_BOOLEANS: Final = {"true": True, "false": False}

_T = TypeVar("_T")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One problem in a daily-deals CSV.

    Attributes:
        row: The row, counting the header as row 1 (as a spreadsheet shows it).
        column: The column, or ``None`` for a problem with the whole row.
        value: The cell as given (``None`` when missing).
        reason: Why it was refused.
    """

    row: int
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.column is None:
            return f"{where}: {self.reason}"
        if self.value is None:
            return f"{where}: {self.column}: {self.reason}"
        return f"{where}: {self.column}={self.value!r}: {self.reason}"


class DailyDealsCsvError(ModelValidationError):
    """A daily-deals CSV was refused: every problem found, each with its row and column.

    A :class:`~pricekit.errors.ModelValidationError` (so an
    :class:`~pricekit.errors.InvalidValueError` and a ``ValueError``): ``errors``
    holds one :class:`~pricekit.errors.FieldError` per problem, its field
    ``row[<n>].<column>`` (``row[<n>]`` for a whole row); ``field``, ``value``
    and ``reason`` are those of the first.

    Attributes:
        problems: Every problem, in row order.
    """

    def __init__(self, problems: Sequence[CsvProblem]) -> None:
        if not problems:
            raise ValueError("DailyDealsCsvError needs at least one CsvProblem")
        shown = "; ".join(str(problem) for problem in problems[:_MESSAGE_LIMIT])
        more = len(problems) - _MESSAGE_LIMIT
        tail = f"; and {more} more" if more > 0 else ""
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        PricekitError.__init__(self, f"daily deals CSV: {count}: {shown}{tail}")
        errors = tuple(
            FieldError(
                field=f"row[{p.row}]" if p.column is None else f"row[{p.row}].{p.column}",
                value=p.value,
                reason=p.reason,
            )
            for p in problems
        )
        self.model = "daily deals CSV"
        self.errors: tuple[FieldError, ...] = errors
        self.field = errors[0].field
        self.value = errors[0].value
        self.reason = errors[0].reason
        self.problems: tuple[CsvProblem, ...] = tuple(problems)


class _CellError(Exception):
    """A cell's refusal while reading a row; becomes a :class:`CsvProblem`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- text guard


def _guard(text: str) -> str:
    """Escape a text cell so a spreadsheet never reads it as a formula (see the module)."""
    if text.startswith(_FORMULA_STARTS) or (
        text.startswith("'") and text[1:].startswith((*_FORMULA_STARTS, "'"))
    ):
        return "'" + text
    return text


def _unguard(cell: str) -> str:
    """Undo :func:`_guard`: drop the ``'`` it adds."""
    if cell.startswith("'") and cell[1:].startswith((*_FORMULA_STARTS, "'")):
        return cell[1:]
    return cell


# --------------------------------------------------------------------------- cells


def _weekdays(text: str) -> frozenset[Weekday]:
    days: list[Weekday] = []
    for part in text.split(";"):
        name = part.strip()
        if not name:
            raise _CellError("an empty day; separate day names with ';', e.g. mon;wed")
        try:
            day = Weekday.from_name(name)
        except InvalidValueError:
            hint = " (separate days with ';')" if "," in name or " " in name else ""
            raise _CellError(
                f"{name!r} is not a day; expected a day name such as mon or monday{hint}"
            ) from None
        if day in days:
            raise _CellError(f"{day.name.lower()} is given twice")
        days.append(day)
    return frozenset(days)


def _plain_decimal(text: str) -> Decimal:
    if not _DECIMAL_RE.fullmatch(text):
        if text.endswith("%"):
            raise _CellError("write the number of percent without '%': 30 for 30% off")
        raise _CellError(
            "expected a plain decimal number such as 30 or 12.50 "
            "(no sign, exponent, separators or symbols)"
        )
    return Decimal(text)


def _percent(text: str) -> Decimal:
    number = _plain_decimal(text)
    if number > 100:
        raise _CellError("must be at most 100")
    if number == 0:
        raise _CellError("must be above 0")
    if number < 1:
        raise _CellError(
            "below 1 looks like a fraction; percent_off is a number of percent: 30 for 30% off"
        )
    return number


def _integer(text: str) -> int:
    if not _INTEGER_RE.fullmatch(text):
        raise _CellError("expected a whole number such as 1")
    return int(text)


def _boolean(text: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise _CellError("expected true or false")
    return value


def _source(text: str) -> DealSource:
    try:
        return DealSource(text.lower())
    except ValueError:
        raise _CellError("expected dutchie or ptl") from None


def _ids(text: str) -> frozenset[str]:
    ids: set[str] = set()
    for part in _unguard(text).split(";"):
        item = part.strip()
        if not item:
            raise _CellError("an empty id; separate ids with ';', e.g. acme;zen")
        ids.add(item)
    return frozenset(ids)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _CellError(
            "expected an ISO 8601 datetime with an offset, e.g. 2026-12-01T00:00:00-07:00"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _CellError("needs a UTC offset, e.g. 2026-12-01T00:00:00-07:00 or ...T07:00:00Z")
    return moment


def _time_of_day(text: str, *, end: bool) -> tuple[time, bool]:
    """A time of day and whether it is on the next day (``+1``, or ``24:00``)."""
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise _CellError("expected a time of day such as 16:20 or 16:20:00")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    next_day = match[4] is not None
    if next_day and not end:
        raise _CellError("only end_time may be on the next day (+1)")
    if end and hour == 24 and minute == second == 0 and not next_day:
        return _MIDNIGHT, True
    if hour > 23 or minute > 59 or second > 59:
        raise _CellError("not a time of day (00:00 to 23:59:59; 24:00 for an end at midnight)")
    return time(hour, minute, second), next_day


def _show_time(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


# --------------------------------------------------------------------------- reading


class _Row:
    """One data row while it is read: its cells by column, and its problems."""

    __slots__ = ("cells", "number", "problems")

    def __init__(self, number: int, cells: dict[str, str], problems: list[CsvProblem]) -> None:
        self.number = number
        self.cells = cells
        self.problems = problems

    def raw(self, column: str) -> str:
        """The cell without surrounding spaces (empty when the column is absent)."""
        return self.cells.get(column, "")

    def problem(self, column: str | None, value: str | None, reason: str) -> None:
        self.problems.append(CsvProblem(self.number, column, value, reason))

    def read(self, column: str, parse: Callable[[str], _T]) -> _T | None:
        """The parsed cell, ``None`` when empty or refused (a refusal is recorded)."""
        text = self.raw(column)
        if not text:
            return None
        try:
            return parse(text)
        except _CellError as exc:
            self.problem(column, text, exc.reason)
            return None

    def required(self, column: str, parse: Callable[[str], _T]) -> _T | None:
        """As :meth:`read`, recording an empty cell as a problem."""
        if not self.raw(column):
            self.problem(column, None, "is required")
            return None
        return self.read(column, parse)


@dataclass(frozen=True, slots=True)
class _Defaults:
    location_id: str | None
    time_zone: str | None
    currency: str


def _lines(source: str | Iterable[str]) -> Iterable[str]:
    given: object = source  # bytes are Iterable too, though not of str
    if isinstance(given, bytes | bytearray):
        raise InvalidValueError(
            field="source",
            value=source,
            reason="expected text: decode the bytes (UTF-8) or open the file in text mode",
        )
    if isinstance(source, str):
        return io.StringIO(source, newline="")
    return source


def _header(record: list[str]) -> tuple[list[str], list[CsvProblem]]:
    names = [cell.strip().lower() for cell in record]
    if names:
        names[0] = names[0].removeprefix("\ufeff").strip()
    problems: list[CsvProblem] = []
    seen: set[str] = set()
    for position, (given, name) in enumerate(zip(record, names, strict=True), start=1):
        if not name:
            problems.append(CsvProblem(1, None, given, f"column {position} has no name"))
        elif name not in DAILY_DEALS_COLUMNS:
            problems.append(
                CsvProblem(
                    1,
                    name,
                    given,
                    "unknown column; the columns are " + ", ".join(DAILY_DEALS_COLUMNS),
                )
            )
        elif name in seen:
            problems.append(CsvProblem(1, name, given, "the column is named twice"))
        seen.add(name)
    problems.extend(
        CsvProblem(1, column, None, "a required column is missing")
        for column in REQUIRED_COLUMNS
        if column not in seen
    )
    if seen.isdisjoint(_REWARD_COLUMNS):
        problems.append(
            CsvProblem(
                1,
                "percent_off",
                None,
                "the header needs a reward column: percent_off, amount_off or price_to_amount",
            )
        )
    return names, problems


def _records(lines: Iterable[str], problems: list[CsvProblem]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with its row number (the header is 1); a CSV syntax error stops it."""
    reader = csv.reader(lines, strict=True)
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                CsvProblem(number, None, None, f"not valid CSV ({exc}); reading stopped here")
            )
            return
        yield number, record


def read_daily_deals_csv(
    source: str | Iterable[str],
    *,
    location_id: str | None = None,
    time_zone: str | None = None,
    currency: str = "USD",
) -> list[Deal]:
    """Read the daily-deals CSV (see the module for the format): every deal, or one error.

    Args:
        source: The CSV text, or its lines (a file opened with ``newline=""``).
        location_id: The location of the rows whose ``location_id`` is empty or
            not a column.
        time_zone: The IANA time zone of the rows whose ``time_zone`` is empty or
            not a column.
        currency: The currency of the rows whose ``currency`` is empty or not a
            column.

    Returns:
        The deals, one per row, in the file's order.

    Raises:
        DailyDealsCsvError: Every problem in the file (header, rows, cells,
            duplicate deals), each with its row, column and value.
        InvalidValueError: A bad argument: ``source`` given as bytes, an empty
            ``location_id``, an unknown ``time_zone`` or ``currency``.
    """
    if location_id is not None and not location_id.strip():
        raise InvalidValueError(
            field="location_id", value=location_id, reason="must not be empty (or None)"
        )
    if time_zone is not None:
        zone(time_zone, field="time_zone")
    defaults = _Defaults(location_id, time_zone, get_currency(currency, field="currency").code)
    problems: list[CsvProblem] = []
    records = _records(_lines(source), problems)
    first = next(records, None)
    if first is None:
        if problems:  # the header itself is not valid CSV
            raise DailyDealsCsvError(problems)
        problems.append(
            CsvProblem(1, None, None, "the file is empty; its first row names the columns")
        )
        raise DailyDealsCsvError(problems)
    names, header_problems = _header(first[1])
    if header_problems:
        raise DailyDealsCsvError(header_problems)
    deals: list[Deal] = []
    rows_of: dict[str, int] = {}
    for number, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            problems.append(
                CsvProblem(
                    number, None, None, f"has {len(record)} cells; the header has {len(names)}"
                )
            )
            continue
        row = _Row(number, {n: c.strip() for n, c in zip(names, record, strict=True)}, problems)
        deal = _deal(row, defaults)
        if deal is None:
            continue
        earlier = rows_of.setdefault(deal.id, number)
        if earlier != number:
            row.problem(
                "discount_id",
                row.raw("discount_id"),
                f"the same deal ({deal.id}) as row {earlier}",
            )
            continue
        deals.append(deal)
    if problems:
        raise DailyDealsCsvError(sorted(problems, key=lambda p: p.row))
    return deals


def _deal(row: _Row, defaults: _Defaults) -> Deal | None:
    """The row's deal, or ``None`` with its problems recorded."""
    before = len(row.problems)
    days = row.required("weekdays", _weekdays)
    location = _unguard(row.raw("location_id")) or defaults.location_id
    if location is None:
        row.problem("location_id", None, "is required: in the column, or as location_id=")
    discount = row.required("discount_id", _unguard)
    source = row.read("source", _source) or DealSource.DUTCHIE
    name = row.required("name", _unguard)
    zone_name = row.read("time_zone", _zone) or defaults.time_zone
    if zone_name is None and not row.raw("time_zone"):
        row.problem("time_zone", None, "is required: in the column, or as time_zone=")
    currency = row.read("currency", _currency) or defaults.currency
    reward = _reward(row, currency)
    start_time, end_time = _window(row)
    valid_from = row.read("valid_from", _instant)
    valid_to = row.read("valid_to", _instant)
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        row.problem("valid_to", row.raw("valid_to"), "must be after valid_from")
    restrictions: list[dict[str, Any]] = []
    for column, dimension, exclude in _TARGET_COLUMNS:
        ids = row.read(column, _ids)
        if ids:
            restrictions.append({"dimension": dimension, "ids": ids, "exclude": exclude})
    rank = row.read("menu_rank", _integer)
    can_stack = row.read("can_stack", _boolean)
    online = row.read("available_online", _boolean)
    online_name = row.read("online_name", _unguard)
    if len(row.problems) > before:
        return None
    assert location is not None
    assert discount is not None
    data: dict[str, Any] = {
        "id": deal_id(location, discount, source),
        "discount_id": discount,
        "location_id": location,
        "source": source,
        "name": name,
        "description": _unguard(row.raw("description")),
        "online_name": online_name,
        "menu_rank": rank,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "time_zone": zone_name,
        "days": days,
        "start_time": start_time,
        "end_time": end_time,
        "can_stack": bool(can_stack),
        "available_online": True if online is None else online,
        "reward": reward,
        "restrictions": restrictions,
        "currency": currency,
    }
    try:
        return Deal.model_validate(data)
    except ModelValidationError as exc:
        for error in exc.errors:
            column = _column_of(error.field)
            row.problem(column, row.raw(column) or None, f"{error.field}: {error.reason}")
        return None


def _zone(text: str) -> str:
    try:
        return zone(text).key
    except InvalidValueError as exc:
        raise _CellError(exc.reason) from None


def _currency(text: str) -> str:
    try:
        return get_currency(text).code
    except InvalidValueError as exc:
        raise _CellError(exc.reason) from None


def _reward(row: _Row, currency: str) -> dict[str, Any] | None:
    given = [column for column in _REWARD_COLUMNS if row.raw(column)]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        row.problem(
            given[1] if len(given) > 1 else "percent_off",
            row.raw(given[1]) if len(given) > 1 else None,
            f"give exactly one of percent_off, amount_off, price_to_amount (got {what})",
        )
        return None
    column = given[0]
    method = _REWARD_COLUMNS[column]
    if method is RewardMethod.PERCENT_OFF:
        percent = row.read(column, _percent)
        return None if percent is None else {"method": method, "percent": percent}

    def money(text: str) -> Money:
        amount = _plain_decimal(text)
        try:
            return Money.of(amount, currency)
        except InvalidValueError as exc:
            raise _CellError(exc.reason) from None

    amount = row.read(column, money)
    return None if amount is None else {"method": method, "amount": amount}


def _window(row: _Row) -> tuple[time | None, time | None]:
    start_text, end_text = row.raw("start_time"), row.raw("end_time")
    start = row.read("start_time", lambda text: _time_of_day(text, end=False)[0])
    end = row.read("end_time", lambda text: _time_of_day(text, end=True))
    if not start_text and not end_text:
        return None, None
    if not start_text or not end_text:
        missing = "start_time" if not start_text else "end_time"
        row.problem(
            missing, None, "a time-of-day window needs both its start and its end (or neither)"
        )
        return None, None
    if start is None or end is None:
        return None, None  # already refused
    end_time, next_day = end
    if next_day:
        if start == _MIDNIGHT and end_time == _MIDNIGHT:
            row.problem("end_time", end_text, "00:00 to 24:00 is all day: leave both empty")
        elif end_time >= start and end_time != _MIDNIGHT:
            row.problem(
                "end_time",
                end_text,
                f"a window past midnight must end before its start ({_show_time(start)}) "
                "the next day",
            )
    elif end_time <= start:
        row.problem(
            "end_time",
            end_text,
            f"must be after start_time ({_show_time(start)}); for a window past midnight "
            f"write the end with +1 (e.g. {_show_time(end_time)}+1), for midnight 24:00",
        )
    return start, end_time


def _column_of(field: str) -> str:
    """The column of a field the deal model refused."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head in ("id", "discount_id"):
        return "discount_id"
    if head == "reward":
        return "percent_off" if "percent" in field else "amount_off"
    if head == "restrictions":
        return "products"
    return head if head in DAILY_DEALS_COLUMNS else field


# --------------------------------------------------------------------------- writing


def _row_of(deal: Deal, errors: list[FieldError]) -> tuple[str, ...]:
    at = f"deal[{deal.id}]"

    def refuse(field: str, value: object, reason: str) -> None:
        errors.append(FieldError(field=f"{at}.{field}", value=value, reason=reason))

    expected = deal_id(deal.location_id, deal.discount_id, deal.source)
    if deal.id != expected:
        refuse("id", deal.id, f"the CSV writes no id: it is read back as {expected!r}")
    _check_shape(deal, refuse)
    _check_texts(deal, refuse)
    cells = dict.fromkeys(DAILY_DEALS_COLUMNS, "")
    for index, restriction in enumerate(deal.restrictions):
        column = _COLUMN_OF_TARGET.get((restriction.dimension, restriction.exclude))
        if column is None:
            kind = "exclusion" if restriction.exclude else "inclusion"
            refuse(
                f"restrictions[{index}]",
                restriction.dimension.value,
                f"a {restriction.dimension.value} {kind}: the CSV targets products, "
                "categories and brands only",
            )
            continue
        for item in sorted(restriction.ids):
            if ";" in item or item != item.strip():
                refuse(
                    f"restrictions[{index}].ids",
                    item,
                    "an id with ';' or surrounding spaces cannot be written in a ;-separated list",
                )
        cells[column] = _guard(";".join(sorted(restriction.ids)))
    for field, value in (("start_time", deal.start_time), ("end_time", deal.end_time)):
        if value is not None and value.microsecond:
            refuse(field, value.isoformat(), "the CSV writes times to the second")
    reward = deal.reward
    if reward.method is RewardMethod.PERCENT_OFF:
        assert reward.percent is not None
        if reward.percent < 1:
            refuse("reward.percent", str(reward.percent), "the CSV refuses a percent below 1")
        cells["percent_off"] = format(reward.percent, "f")
    else:
        assert reward.amount is not None
        cells[reward.method.value] = reward.amount.format_amount()
    days = deal.days or frozenset(Weekday)
    cells.update(
        weekdays=";".join(_DAY_ABBREVIATIONS[day] for day in sorted(days)),
        location_id=_guard(deal.location_id),
        discount_id=_guard(deal.discount_id),
        source=deal.source.value,
        name=_guard(deal.name),
        description=_guard(deal.description),
        online_name=_guard(deal.online_name or ""),
        menu_rank="" if deal.menu_rank is None else str(deal.menu_rank),
        currency=deal.currency,
        start_time=_start_cell(deal),
        end_time=_end_cell(deal),
        valid_from="" if deal.valid_from is None else deal.valid_from.isoformat(),
        valid_to="" if deal.valid_to is None else deal.valid_to.isoformat(),
        time_zone=deal.time_zone,
        can_stack="true" if deal.can_stack else "false",
        available_online="true" if deal.available_online else "false",
    )
    return tuple(cells[column] for column in DAILY_DEALS_COLUMNS)


def _check_shape(deal: Deal, refuse: Callable[[str, object, str], None]) -> None:
    """Refuse what the CSV has no column for."""
    if deal.application_method is not ApplicationMethod.AUTOMATIC:
        refuse(
            "application_method",
            deal.application_method.value,
            "the CSV holds automatic deals only",
        )
    if not deal.enabled:
        refuse("enabled", False, "the CSV holds enabled deals only")
    if deal.first_time_customer_only:
        refuse("first_time_customer_only", True, "the CSV has no first-time-customer deals")
    if deal.unmapped:
        refuse("unmapped", list(deal.unmapped), "the CSV cannot hold lost targeting")
    reward = deal.reward
    if reward.threshold_type is not None:
        refuse(
            "reward.threshold_type",
            reward.threshold_type.value,
            "the CSV has no thresholds (an offer needs a basket)",
        )
    if reward.one_item_only:
        refuse("reward.one_item_only", True, "the CSV has no buy-N-get-one deals")


def _check_texts(deal: Deal, refuse: Callable[[str, object, str], None]) -> None:
    """Refuse text the reader would not read back as it is."""
    for field, text in (
        ("location_id", deal.location_id),
        ("discount_id", deal.discount_id),
        ("name", deal.name),
        ("description", deal.description),
        ("online_name", deal.online_name or ""),
    ):
        if text != text.strip():
            refuse(field, text, "has surrounding spaces, which the reader strips")
    if not deal.name:
        refuse("name", deal.name, "the CSV needs a name")
    if deal.online_name == "":
        refuse("online_name", deal.online_name, "an empty online_name is read back as None")


def _start_cell(deal: Deal) -> str:
    return "" if deal.start_time is None else _show_time(deal.start_time)


def _end_cell(deal: Deal) -> str:
    start, end = deal.start_time, deal.end_time
    if start is None or end is None:
        return ""
    if end == _MIDNIGHT:
        return "24:00"
    if end < start:
        return _show_time(end) + "+1"
    return _show_time(end)


def write_daily_deals_csv(deals: Iterable[Deal]) -> str:
    r"""The deals as a daily-deals CSV (see the module for the format), header first.

    Every column of :data:`DAILY_DEALS_COLUMNS` is written, in that order, one
    row per deal in the order given, with ``\r\n`` line ends (write the text to
    a file opened with ``newline=""``). :func:`read_daily_deals_csv` reads it
    back to deals equal to ``deals``.

    Args:
        deals: The deals.

    Returns:
        The CSV text.

    Raises:
        ModelValidationError: Deals the format cannot express, every refused
            field named ``deal[<id>].<field>`` (see the module for what is refused).
    """
    errors: list[FieldError] = []
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for deal in deals:
        if deal.id in seen:
            errors.append(
                FieldError(field=f"deal[{deal.id}].id", value=deal.id, reason="given twice")
            )
        seen.add(deal.id)
        rows.append(_row_of(deal, errors))
    if errors:
        raise ModelValidationError(model="daily deals CSV", errors=errors)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DAILY_DEALS_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()
