"""The daily-deals static CSV: the format, every refusal, and the round trip."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.deals.daily import (
    DAILY_DEALS_COLUMNS,
    REQUIRED_COLUMNS,
    CsvProblem,
    DailyDealsCsvError,
    read_daily_deals_csv,
    write_daily_deals_csv,
)
from pricekit.deals.models import Deal, DealSource, Dimension, deal_id
from pricekit.deals.queries import deals_for_weekday
from pricekit.errors import FieldError, InvalidValueError, ModelValidationError
from pricekit.money import Money
from pricekit.time import Weekday

PHOENIX = "America/Phoenix"


def read(text: str, **options: Any) -> list[Deal]:
    options.setdefault("location_id", "L1")
    options.setdefault("time_zone", PHOENIX)
    return read_daily_deals_csv(text, **options)


def problems(text: str, **options: Any) -> list[str]:
    with pytest.raises(DailyDealsCsvError) as caught:
        read(text, **options)
    return [str(problem) for problem in caught.value.problems]


def csv_of(header: str, *rows: str) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


MINIMAL = "weekdays,discount_id,name,percent_off"


def deal(discount_id: str = "7", **fields: Any) -> Deal:
    data: dict[str, Any] = {
        "id": f"L1_{discount_id}",
        "discount_id": discount_id,
        "location_id": "L1",
        "name": f"Deal {discount_id}",
        "time_zone": PHOENIX,
        "days": ["monday"],
        "reward": {"method": "percent_off", "percent": "10"},
    }
    data.update(fields)
    return Deal.model_validate(data)


# -- reading ------------------------------------------------------------------------------------


def test_reads_every_column() -> None:
    text = csv_of(
        ",".join(DAILY_DEALS_COLUMNS),
        'Mon;wednesday,L9,42,ptl,Munchie Monday,"Edibles, all day",Munchies,3,'
        "30,,,USD,16:00,18:30:15,2026-11-01T00:00:00-07:00,2026-12-01T07:00:00Z,America/Denver,"
        "p1; p2 ,cat-1,acme;zen,p3,cat-9,bad-brand,TRUE,false",
    )
    [got] = read(text)
    assert got == Deal.model_validate(
        {
            "id": "L9_ptl_42",
            "discount_id": "42",
            "location_id": "L9",
            "source": "ptl",
            "name": "Munchie Monday",
            "description": "Edibles, all day",
            "online_name": "Munchies",
            "menu_rank": 3,
            "valid_from": datetime(2026, 11, 1, 7, tzinfo=UTC),
            "valid_to": datetime(2026, 12, 1, 7, tzinfo=UTC),
            "time_zone": "America/Denver",
            "days": ["monday", "wednesday"],
            "start_time": time(16, 0),
            "end_time": time(18, 30, 15),
            "can_stack": True,
            "available_online": False,
            "reward": {"method": "percent_off", "percent": "30"},
            "restrictions": [
                {"dimension": "product", "ids": ["p1", "p2"]},
                {"dimension": "product", "ids": ["p3"], "exclude": True},
                {"dimension": "category", "ids": ["cat-1"]},
                {"dimension": "category", "ids": ["cat-9"], "exclude": True},
                {"dimension": "brand", "ids": ["acme", "zen"]},
                {"dimension": "brand", "ids": ["bad-brand"], "exclude": True},
            ],
            "currency": "USD",
        }
    )
    assert got.id == deal_id("L9", "42", DealSource.PTL)


def test_reads_the_minimal_columns_with_the_defaults() -> None:
    [got] = read(csv_of(MINIMAL, "fri,7,Friday,12.5"), currency="EUR")
    assert got.id == "L1_7"
    assert got.source is DealSource.DUTCHIE
    assert got.location_id == "L1"
    assert got.time_zone == PHOENIX
    assert got.currency == "EUR"
    assert got.days == frozenset({Weekday.FRIDAY})
    assert got.reward.percent == Decimal("12.5")
    assert (got.description, got.online_name, got.menu_rank) == ("", None, None)
    assert (got.start_time, got.end_time, got.valid_from, got.valid_to) == (None,) * 4
    assert got.restrictions == ()
    assert got.can_stack is False
    assert got.available_online is True
    assert got.is_store_wide


def test_reads_amounts_exactly_in_the_currency() -> None:
    text = csv_of(
        "weekdays,discount_id,name,amount_off,price_to_amount,currency",
        "mon,1,Five off,5.00,,",
        "mon,2,Jpy,500,,JPY",
        "mon,3,Twenty five,,25,",
        "mon,4,Free,,0,",
    )
    deals = read(text)
    assert [d.reward.method.value for d in deals] == [
        "amount_off",
        "amount_off",
        "price_to_amount",
        "price_to_amount",
    ]
    assert [d.reward.amount for d in deals] == [
        Money.of("5.00", "USD"),
        Money.of("500", "JPY"),
        Money.of("25", "USD"),
        Money.of("0", "USD"),
    ]


def test_header_names_ignore_case_spaces_and_a_byte_order_mark() -> None:
    text = "\ufeff Weekdays , DISCOUNT_ID,Name,Percent_Off\r\nmon,1,One,10\r\n"
    assert [d.discount_id for d in read(text)] == ["1"]


def test_columns_may_come_in_any_order() -> None:
    [got] = read(csv_of("percent_off,name,discount_id,weekdays", "10,One,1,sun"))
    assert got.days == frozenset({Weekday.SUNDAY})


def test_all_seven_days_is_every_day() -> None:
    [got] = read(csv_of(MINIMAL, "mon;tue;wed;thu;fri;sat;sun,1,Daily,10"))
    assert got.days == frozenset()


def test_cells_are_read_without_surrounding_spaces_and_blank_rows_are_skipped() -> None:
    text = csv_of(MINIMAL, " mon ; tue ,  1 , One  , 10 ", "", ",,,", "wed,2,Two,20")
    deals = read(text)
    assert [(d.discount_id, d.name) for d in deals] == [("1", "One"), ("2", "Two")]
    assert deals[0].days == frozenset({Weekday.MONDAY, Weekday.TUESDAY})


def test_location_time_zone_and_currency_cells_win_over_the_arguments() -> None:
    text = csv_of(
        MINIMAL + ",location_id,time_zone,currency",
        "mon,1,Here,10,,,",
        "mon,2,There,10,L2,Europe/Paris,EUR",
    )
    here, there = read(text, currency="GBP")
    assert (here.location_id, here.time_zone, here.currency) == ("L1", PHOENIX, "GBP")
    assert (there.location_id, there.time_zone, there.currency) == ("L2", "Europe/Paris", "EUR")
    assert there.id == "L2_2"


def test_without_the_arguments_each_row_needs_its_location_and_zone() -> None:
    text = csv_of(MINIMAL + ",location_id,time_zone", "mon,1,One,10,,", "mon,2,Two,10,L2,UTC")
    assert problems(text, location_id=None, time_zone=None) == [
        "row 2: location_id: is required: in the column, or as location_id=",
        "row 2: time_zone: is required: in the column, or as time_zone=",
    ]


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("24:00", time(0)),
        ("02:00+1", time(2)),
        ("00:00+1", time(0)),
        ("23:59:59", time(23, 59, 59)),
    ],
)
def test_time_windows(end: str, expected: time) -> None:
    [got] = read(csv_of(MINIMAL + ",start_time,end_time", f"fri,1,Late,10,22:00,{end}"))
    assert got.start_time == time(22)
    assert got.end_time == expected


def test_reads_a_file_and_its_lines(tmp_path: Path) -> None:
    text = csv_of(MINIMAL, 'mon,1,"Two\r\nlines",10')
    path = tmp_path / "daily.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with path.open(encoding="utf-8", newline="") as handle:
        [got] = read_daily_deals_csv(handle, location_id="L1", time_zone="UTC")
    assert got.name == "Two\r\nlines"
    [again] = read_daily_deals_csv(io.StringIO(text, newline=""), location_id="L1", time_zone="UTC")
    assert again == got


def test_the_daily_page_from_the_csv() -> None:
    text = csv_of(
        MINIMAL + ",menu_rank",
        "mon;wed,1,Munchie,20,",
        "mon,2,Ranked,10,1",
        "mon;tue;wed;thu;fri;sat;sun,3,Always,5,",
        "fri,4,Friday,15,",
    )
    deals = read(text)
    monday = deals_for_weekday(deals, "monday")
    assert [d.name for d in monday] == ["Ranked", "Always", "Munchie"]
    assert [d.name for d in deals_for_weekday(deals, Weekday.TUESDAY)] == ["Always"]


# -- reading: every refusal ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("funday,1,X,10", "weekdays='funday': 'funday' is not a day; expected a day name"),
        ("mon,wed,1,X,10", None),  # a comma splits the cells: see the count test
        ("mon;;wed,1,X,10", "weekdays='mon;;wed': an empty day; separate day names with ';'"),
        ("mon;Monday,1,X,10", "weekdays='mon;Monday': monday is given twice"),
        ("mon wed,1,X,10", "(separate days with ';')"),
        (",1,X,10", "weekdays: is required"),
        ("mon,,X,10", "discount_id: is required"),
        ("mon,1,,10", "name: is required"),
        ("mon,1,X,130", "percent_off='130': must be at most 100"),
        ("mon,1,X,0", "percent_off='0': must be above 0"),
        ("mon,1,X,0.3", "percent_off='0.3': below 1 looks like a fraction"),
        ("mon,1,X,30%", "percent_off='30%': write the number of percent without '%'"),
        ("mon,1,X,-5", "percent_off='-5': expected a plain decimal number"),
        ("mon,1,X,1e2", "percent_off='1e2': expected a plain decimal number"),
        ("mon,1,X,.5", "percent_off='.5': expected a plain decimal number"),
        ("mon,1,X,", "percent_off: give exactly one of percent_off, amount_off, price_to_amount"),
    ],
)
def test_cell_refusals(row: str, expected: str | None) -> None:
    found = problems(csv_of(MINIMAL, row))
    if expected is None:
        assert found == ["row 2: has 5 cells; the header has 4"]
    else:
        assert len(found) == 1
        assert found[0].startswith("row 2: ")
        assert expected in found[0]


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            "amount_off",
            "5.005",
            "amount_off='5.005': more precise than USD's minor unit",
        ),
        ("amount_off", "5,00", "amount_off='5,00': expected a plain decimal number"),
        ("price_to_amount", "$25", "price_to_amount='$25': expected a plain decimal number"),
        ("menu_rank", "1.5", "menu_rank='1.5': expected a whole number"),
        ("can_stack", "yes", "can_stack='yes': expected true or false"),
        ("available_online", "0", "available_online='0': expected true or false"),
        ("source", "odoo", "source='odoo': expected dutchie or ptl"),
        ("time_zone", "Mars/Base", "time_zone='Mars/Base': unknown time zone"),
        ("currency", "usd", "currency='usd': unknown ISO 4217 currency code"),
        ("currency", "XYZ", "currency='XYZ': unknown ISO 4217 currency code"),
        ("valid_from", "2026-12-01", "valid_from='2026-12-01': needs a UTC offset"),
        ("valid_from", "2026-12-01T00:00:00", "needs a UTC offset"),
        ("valid_to", "next week", "valid_to='next week': expected an ISO 8601 datetime"),
        ("products", "a;;b", "products='a;;b': an empty id"),
        ("exclude_brands", ";", "exclude_brands=';': an empty id"),
    ],
)
def test_optional_column_refusals(header: str, row: str, expected: str) -> None:
    reward = "" if header in ("amount_off", "price_to_amount") else ",10"
    head = "weekdays,discount_id,name" + ("" if reward == "" else ",percent_off") + f",{header}"
    found = problems(csv_of(head, f'mon,1,X{reward},"{row}"'))
    assert len(found) == 1, found
    assert found[0].startswith("row 2: ")
    assert expected in found[0]


def test_two_reward_cells_are_refused() -> None:
    text = csv_of("weekdays,discount_id,name,percent_off,amount_off", "mon,1,X,10,5")
    assert problems(text) == [
        "row 2: amount_off='5': give exactly one of percent_off, amount_off, price_to_amount "
        "(got percent_off and amount_off)"
    ]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("16:00", "", "row 2: end_time: a time-of-day window needs both its start and its end"),
        ("", "16:00", "row 2: start_time: a time-of-day window needs both its start and its end"),
        ("16:00", "14:00", "row 2: end_time='14:00': must be after start_time (16:00); for a "),
        ("16:00", "16:00", "row 2: end_time='16:00': must be after start_time (16:00)"),
        ("22:00", "00:00", "for a window past midnight write the end with +1 (e.g. 00:00+1)"),
        ("22:00", "23:00+1", "a window past midnight must end before its start (22:00)"),
        ("22:00", "22:00+1", "a window past midnight must end before its start (22:00)"),
        ("00:00", "24:00", "row 2: end_time='24:00': 00:00 to 24:00 is all day"),
        ("24:00", "02:00", "row 2: start_time='24:00': not a time of day"),
        ("01:00+1", "02:00", "row 2: start_time='01:00+1': only end_time may be on the next day"),
        ("16:60", "18:00", "row 2: start_time='16:60': not a time of day"),
        ("4pm", "6pm", "row 2: start_time='4pm': expected a time of day such as 16:20"),
    ],
)
def test_time_window_refusals(start: str, end: str, expected: str) -> None:
    found = problems(csv_of(MINIMAL + ",start_time,end_time", f"fri,1,X,10,{start},{end}"))
    assert any(expected in problem for problem in found), found


def test_valid_to_must_be_after_valid_from() -> None:
    text = csv_of(
        MINIMAL + ",valid_from,valid_to",
        "mon,1,X,10,2026-12-01T00:00:00Z,2026-11-30T17:00:00-07:00",  # the same instant
    )
    assert problems(text) == [
        "row 2: valid_to='2026-11-30T17:00:00-07:00': must be after valid_from"
    ]


def test_a_value_the_deal_refuses_is_named_by_its_column() -> None:
    long_id = "9" * 260
    assert problems(csv_of(MINIMAL, f"mon,{long_id},X,10")) == [
        f"row 2: discount_id={long_id!r}: id: String should have at most 255 characters",
        f"row 2: discount_id={long_id!r}: discount_id: String should have at most 255 characters",
    ]


def test_duplicate_deals_name_the_first_row() -> None:
    text = csv_of(
        MINIMAL + ",source",
        "mon,1,One,10,",
        "tue,1,One again,10,dutchie",
        "tue,1,A PTL one is another deal,10,ptl",
    )
    assert problems(text) == ["row 3: discount_id='1': the same deal (L1_1) as row 2"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            MINIMAL + ",colour",
            ["row 1: colour='colour': unknown column; the columns are weekdays, location_id"],
        ),
        (MINIMAL + ",name", ["row 1: name='name': the column is named twice"]),
        (MINIMAL + ",", ["row 1: column 5 has no name"]),
        ("weekdays,name,percent_off", ["row 1: discount_id: a required column is missing"]),
        (
            "weekdays,discount_id,name",
            ["row 1: percent_off: the header needs a reward column: percent_off, amount_off"],
        ),
        (
            "discount_id,percent_off",
            [
                "row 1: weekdays: a required column is missing",
                "row 1: name: a required column is missing",
            ],
        ),
    ],
)
def test_header_refusals(header: str, expected: list[str]) -> None:
    found = problems(csv_of(header, "mon,1,X,10,"))
    assert len(found) == len(expected), found
    for got, wanted in zip(found, expected, strict=True):
        assert got.startswith(wanted) or wanted in got


@pytest.mark.parametrize("text", ["", "\r\n\r\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    if text:
        # blank lines are empty records: the header is then an empty row, with no columns
        found = problems(text)
        assert "row 1: weekdays: a required column is missing" in found
    else:
        assert problems(text) == ["row 1: the file is empty; its first row names the columns"]


def test_a_csv_syntax_error_stops_the_reading_at_its_row() -> None:
    text = csv_of(MINIMAL, "mon,1,One,10", 'mon,2,"Unclosed,10')
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith("row 3: not valid CSV (")
    assert found[0].endswith("; reading stopped here")


def test_a_csv_syntax_error_in_the_header() -> None:
    assert problems('weekdays,"discount_id') == [
        "row 1: not valid CSV (unexpected end of data); reading stopped here"
    ]


def test_every_bad_row_is_in_one_error_in_row_order() -> None:
    text = csv_of(
        MINIMAL + ",start_time,end_time",
        "mon,1,Good,10,,",
        "funday,2,Bad day,130,,",
        "tue,3,Good too,20,,",
        "wed,4,Bad time,20,25:00,",
        "mon,1,Duplicate,10,,",
    )
    with pytest.raises(DailyDealsCsvError) as caught:
        read(text)
    error = caught.value
    assert [(p.row, p.column) for p in error.problems] == [
        (3, "weekdays"),
        (3, "percent_off"),
        (5, "start_time"),
        (5, "end_time"),
        (6, "discount_id"),
    ]
    # it is an InvalidValueError (and a ModelValidationError) whose errors name row and column
    assert isinstance(error, ModelValidationError)
    assert isinstance(error, InvalidValueError)
    assert isinstance(error, ValueError)
    assert error.errors[0] == FieldError(
        field="row[3].weekdays",
        value="funday",
        reason="'funday' is not a day; expected a day name such as mon or monday",
    )
    assert (error.field, error.value) == ("row[3].weekdays", "funday")
    assert error.model == "daily deals CSV"
    assert str(error).startswith("daily deals CSV: 5 problems: row 3: weekdays='funday': ")
    assert "row 4" not in str(error)


def test_a_long_list_of_problems_is_shortened_in_the_message_only() -> None:
    rows = [f"mon,{n},X,130" for n in range(25)]
    with pytest.raises(DailyDealsCsvError) as caught:
        read(csv_of(MINIMAL, *rows))
    assert len(caught.value.problems) == 25
    assert str(caught.value).endswith("; and 5 more")
    assert "daily deals CSV: 25 problems: " in str(caught.value)


def test_one_problem_reads_as_one() -> None:
    with pytest.raises(DailyDealsCsvError) as caught:
        read(csv_of(MINIMAL, "mon,1,X,130"))
    assert str(caught.value) == (
        "daily deals CSV: 1 problem: row 2: percent_off='130': must be at most 100"
    )


def test_a_problem_reads_with_and_without_its_column_and_value() -> None:
    assert str(CsvProblem(4, "percent_off", "130", "must be at most 100")) == (
        "row 4: percent_off='130': must be at most 100"
    )
    assert str(CsvProblem(4, "name", None, "is required")) == "row 4: name: is required"
    assert str(CsvProblem(4, None, None, "has 3 cells")) == "row 4: has 3 cells"
    with pytest.raises(ValueError, match="at least one"):
        DailyDealsCsvError([])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"location_id": " "}, "location_id"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"currency": "usd"}, "currency"),
    ],
)
def test_bad_arguments_are_refused_before_reading(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        read(csv_of(MINIMAL), **options)
    assert not isinstance(caught.value, DailyDealsCsvError)
    assert caught.value.field == field


def test_bytes_are_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        read_daily_deals_csv(csv_of(MINIMAL).encode(), location_id="L1")  # type: ignore[arg-type]
    assert caught.value.field == "source"
    assert "decode" in caught.value.reason


def test_only_a_header_is_no_deals() -> None:
    assert read(csv_of(MINIMAL)) == []


# -- writing ------------------------------------------------------------------------------------


def test_writes_the_documented_header_and_rows() -> None:
    deals = [
        deal(
            "1",
            name="Late, late",
            days=["friday", "monday"],
            start_time="22:00",
            end_time="02:00",
            restrictions=[
                {"dimension": "category", "ids": ["vapes"], "exclude": True},
                {"dimension": "brand", "ids": ["zen", "acme"]},
            ],
        ),
        deal(
            "2",
            days=[],
            reward={"method": "amount_off", "amount": Money.of("5", "USD")},
            start_time="16:00",
            end_time="00:00",
            valid_to=datetime(2026, 12, 1, 7, tzinfo=UTC),
            menu_rank=2,
            can_stack=True,
        ),
    ]
    text = write_daily_deals_csv(deals)
    lines = text.split("\r\n")
    assert lines[0] == ",".join(DAILY_DEALS_COLUMNS)
    assert lines[1] == (
        'mon;fri,L1,1,dutchie,"Late, late",,,,10,,,USD,22:00,02:00+1,,,America/Phoenix,'
        ",,acme;zen,,vapes,,false,true"
    )
    assert lines[2] == (
        "mon;tue;wed;thu;fri;sat;sun,L1,2,dutchie,Deal 2,,,2,,5.00,,USD,16:00,24:00,,"
        "2026-12-01T07:00:00+00:00,America/Phoenix,,,,,,,true,true"
    )
    assert lines[3:] == [""]
    assert read_daily_deals_csv(text) == deals


def test_writes_nothing_but_the_header_for_no_deals() -> None:
    text = write_daily_deals_csv([])
    assert text == ",".join(DAILY_DEALS_COLUMNS) + "\r\n"
    assert read_daily_deals_csv(text) == []


def test_text_that_looks_like_a_formula_is_guarded_and_reads_back() -> None:
    names = ["=SUM(A1)", "+1 free", "-20% today", "@home", "'=x", "''", "'Tis the season", "'"]
    deals = [deal(str(n), name=name) for n, name in enumerate(names)]
    text = write_daily_deals_csv(deals)
    cells = [line.split(",")[4] for line in text.split("\r\n")[1:-1]]
    assert cells == [
        "'=SUM(A1)",
        "'+1 free",
        "'-20% today",
        "'@home",
        "''=x",
        "'''",
        "'Tis the season",
        "'",
    ]
    assert [d.name for d in read_daily_deals_csv(text)] == names


def test_every_refusal_names_the_deal_and_field() -> None:
    deals = [
        deal("code", application_method="code"),
        deal("off", enabled=False),
        deal("first", first_time_customer_only=True),
        deal("lost", unmapped=["restriction type 'Strain' is not understood"]),
        deal(
            "spend",
            reward={
                "method": "percent_off",
                "percent": 10,
                "threshold_type": "spend",
                "threshold": 50,
            },
        ),
        deal("bogo", reward={"method": "percent_off", "percent": 50, "one_item_only": True}),
        deal("tiny", reward={"method": "percent_off", "percent": "0.5"}),
        deal("vendor", restrictions=[{"dimension": "vendor", "ids": ["farm"]}]),
        deal("weight", restrictions=[{"dimension": "weight", "weights": ["3.5"]}]),
        deal("tag", restrictions=[{"dimension": "tag", "ids": ["x"], "exclude": True}]),
        deal("semi", restrictions=[{"dimension": "brand", "ids": ["a;b"]}]),
        deal("spaced-id", restrictions=[{"dimension": "product", "ids": [" p1"]}]),
        deal("spaced", name=" Padded", description="trailing "),
        deal("empty-online", online_name=""),
        deal("nameless", name=""),
        deal("micro", start_time=time(9, 0, 0, 5), end_time=time(10)),
        deal("wrong-id", id="L1_something-else"),
        deal("dup"),
        deal("dup"),
    ]
    with pytest.raises(ModelValidationError) as caught:
        write_daily_deals_csv(deals)
    fields = [error.field for error in caught.value.errors]
    assert fields == [
        "deal[L1_code].application_method",
        "deal[L1_off].enabled",
        "deal[L1_first].first_time_customer_only",
        "deal[L1_lost].unmapped",
        "deal[L1_spend].reward.threshold_type",
        "deal[L1_bogo].reward.one_item_only",
        "deal[L1_tiny].reward.percent",
        "deal[L1_vendor].restrictions[0]",
        "deal[L1_weight].restrictions[0]",
        "deal[L1_tag].restrictions[0]",
        "deal[L1_semi].restrictions[0].ids",
        "deal[L1_spaced-id].restrictions[0].ids",
        "deal[L1_spaced].name",
        "deal[L1_spaced].description",
        "deal[L1_empty-online].online_name",
        "deal[L1_nameless].name",
        "deal[L1_micro].start_time",
        "deal[L1_something-else].id",
        "deal[L1_dup].id",
    ]
    reasons = {error.field: error.reason for error in caught.value.errors}
    assert reasons["deal[L1_something-else].id"] == (
        "the CSV writes no id: it is read back as 'L1_wrong-id'"
    )
    assert reasons["deal[L1_dup].id"] == "given twice"
    assert reasons["deal[L1_tag].restrictions[0]"] == (
        "a tag exclusion: the CSV targets products, categories and brands only"
    )
    assert isinstance(caught.value, InvalidValueError)


def test_restrictions_read_back_in_the_reader_order() -> None:
    given = deal(
        restrictions=[
            {"dimension": "brand", "ids": ["acme"]},
            {"dimension": "product", "ids": ["p1"], "exclude": True},
        ]
    )
    [again] = read_daily_deals_csv(write_daily_deals_csv([given]))
    assert again != given
    assert again.restrictions == (given.restrictions[1], given.restrictions[0])
    assert again == given.evolve(restrictions=again.restrictions)


def test_spaces_in_ids_are_refused_too() -> None:
    spaced = deal("1", id="L1 _1", location_id="L1 ")
    with pytest.raises(ModelValidationError) as caught:
        write_daily_deals_csv([spaced])
    assert [e.field for e in caught.value.errors] == ["deal[L1 _1].location_id"]


# -- the round trip -----------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\ufeff"),
    max_size=12,
).map(str.strip)
_ID_TEXT = _TEXT.filter(bool)
_LIST_ID = _ID_TEXT.map(lambda text: text.replace(";", "")).map(str.strip).filter(bool)
_SECOND_TIMES = st.times().map(lambda t: t.replace(microsecond=0))
_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_OFFSETS
)
_TARGET_DIMENSIONS = (Dimension.PRODUCT, Dimension.CATEGORY, Dimension.BRAND)


def _in_order(pair: tuple[datetime | None, datetime | None]) -> bool:
    start, end = pair
    return start is None or end is None or start < end


@st.composite
def csv_deals(draw: st.DrawFn) -> Deal:
    """Deals the daily-deals CSV can express (restrictions in the reader's order)."""
    location = draw(_ID_TEXT)
    discount = draw(_ID_TEXT)
    source = draw(st.sampled_from(DealSource))
    currency = draw(st.sampled_from(["USD", "JPY", "EUR"]))
    method = draw(st.sampled_from(["percent_off", "amount_off", "price_to_amount"]))
    reward: dict[str, Any] = {"method": method}
    if method == "percent_off":
        reward["percent"] = draw(
            st.decimals(min_value=1, max_value=100, places=draw(st.integers(0, 4)))
        )
    else:
        reward["amount"] = Money(draw(st.integers(0, 10**9)), currency)
    window = draw(
        st.none() | st.tuples(_SECOND_TIMES, _SECOND_TIMES).filter(lambda pair: pair[0] != pair[1])
    )
    valid = draw(st.tuples(st.none() | _INSTANTS, st.none() | _INSTANTS).filter(_in_order))
    restrictions = []
    for dimension in _TARGET_DIMENSIONS:
        for exclude in (False, True):
            ids = draw(st.frozensets(_LIST_ID, max_size=3))
            if ids:
                restrictions.append({"dimension": dimension, "ids": ids, "exclude": exclude})
    return Deal.model_validate(
        {
            "id": deal_id(location, discount, source),
            "discount_id": discount,
            "location_id": location,
            "source": source,
            "name": draw(_ID_TEXT),
            "description": draw(_TEXT),
            "online_name": draw(st.none() | _ID_TEXT),
            "menu_rank": draw(st.none() | st.integers(-(10**6), 10**6)),
            "valid_from": valid[0],
            "valid_to": valid[1],
            "time_zone": draw(st.sampled_from(["UTC", PHOENIX, "Asia/Kolkata", "Europe/London"])),
            "days": draw(st.frozensets(st.sampled_from(Weekday))),
            "start_time": None if window is None else window[0],
            "end_time": None if window is None else window[1],
            "can_stack": draw(st.booleans()),
            "available_online": draw(st.booleans()),
            "reward": reward,
            "restrictions": restrictions,
            "currency": currency,
        }
    )


@settings(deadline=None)
@given(st.lists(csv_deals(), max_size=4, unique_by=lambda d: d.id))
def test_round_trip(deals: list[Deal]) -> None:
    text = write_daily_deals_csv(deals)
    again = read_daily_deals_csv(text)
    assert again == deals
    assert write_daily_deals_csv(again) == text


def test_required_columns_are_documented_columns() -> None:
    assert set(REQUIRED_COLUMNS) <= set(DAILY_DEALS_COLUMNS)
