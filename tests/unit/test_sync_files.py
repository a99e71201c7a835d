"""Unit tests for pricekit.sync.files: exported Dutchie discount lists read from a folder."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricekit.deals.models import DealSource
from pricekit.errors import InvalidValueError
from pricekit.sync import DiscountSource, Location, SourceAuthError, SourceError
from pricekit.sync.files import JsonFileDiscountSource, write_discount_file

LOC = "7f3c2a10-5b1e-4c2d-9a8e-0d1f2e3a4b5c"
PHX = "America/Phoenix"
STORE = Location(location_id=LOC, time_zone=PHX, pos_id="42")

VAPES = """{
  "id": 4821,
  "discountName": "30% Off Select Vapes",
  "applicationMethod": "Automatic",
  "isActive": true,
  "validDateFrom": "2026-10-01T07:00:00.0000000Z",
  "validDateTo": "2026-11-01T00:00:00",
  "reward": {
    "calculationMethod": "PERCENT_OFF",
    "discountValue": 0.3,
    "thresholdType": null,
    "applyToOnlyOneItem": false,
    "restrictions": {"Brand": {"restrictionIds": [7, 8], "isExclusion": false}}
  }
}"""
AMOUNT = """{
  "id": "77",
  "discountName": "$14.05 off",
  "applicationMethod": "Automatic",
  "reward": {"calculationMethod": "AMOUNT_OFF", "discountValue": 14.05, "restrictions": {}}
}"""


@pytest.fixture
def source(tmp_path: Path) -> JsonFileDiscountSource:
    return JsonFileDiscountSource(tmp_path)


def test_it_is_a_discount_source(source: JsonFileDiscountSource) -> None:
    assert isinstance(source, DiscountSource)
    assert source.name == "json-files"


def test_reads_a_dutchie_list(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    path = write_discount_file(tmp_path, LOC, f"[{VAPES}, {AMOUNT}]")

    assert path == tmp_path / f"{LOC}.json"
    assert source.available_for(STORE)
    vapes, amount = source.fetch(STORE)

    assert vapes.id == f"{LOC}_4821"
    assert vapes.source is DealSource.DUTCHIE
    assert vapes.time_zone == PHX
    assert vapes.reward.percent == Decimal("30")
    assert str(amount.reward.amount) == "14.05 USD"


@pytest.mark.parametrize(
    "wrapper",
    [
        '{{"source": "dutchie", "discounts": [{vapes}]}}',
        '{{"source": "Dutchie", "location_id": "{loc}", "discounts": [{vapes}]}}',
        '{{"discounts": [{vapes}]}}',
    ],
)
def test_reads_the_wrapped_form(
    tmp_path: Path, source: JsonFileDiscountSource, wrapper: str
) -> None:
    write_discount_file(tmp_path, LOC, wrapper.format(vapes=VAPES, loc=LOC))

    (deal,) = source.fetch(STORE)

    assert deal.discount_id == "4821"


def test_an_empty_list_is_no_discounts(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    write_discount_file(tmp_path, LOC, [])
    assert source.fetch(STORE) == []


def test_the_location_currency_is_used(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    write_discount_file(tmp_path, LOC, f"[{AMOUNT}]")
    store = Location(location_id=LOC, time_zone="America/Toronto", currency="CAD")

    (deal,) = source.fetch(store)

    assert str(deal.reward.amount) == "14.05 CAD"


def test_missing_file(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    assert not source.available_for(STORE)

    with pytest.raises(SourceError) as caught:
        source.fetch(STORE)

    error = caught.value
    assert not isinstance(error, SourceAuthError)
    assert error.source == "json-files"
    assert error.location_id == LOC
    assert error.cause == f"{tmp_path / (LOC + '.json')}: no such file"


def test_a_folder_in_place_of_the_file_is_not_available(
    tmp_path: Path, source: JsonFileDiscountSource
) -> None:
    (tmp_path / f"{LOC}.json").mkdir()

    assert not source.available_for(STORE)
    with pytest.raises(SourceError, match=LOC):
        source.fetch(STORE)


def test_malformed_json_names_the_file_and_line(
    tmp_path: Path, source: JsonFileDiscountSource
) -> None:
    path = write_discount_file(tmp_path, LOC, '[\n  {"id": 1,\n   "discountName": oops}\n]\n')

    with pytest.raises(SourceError) as caught:
        source.fetch(STORE)

    assert caught.value.cause == f"{path}: line 3, column 20: Expecting value"


def test_json_nested_past_the_parser_is_a_source_error(
    tmp_path: Path, source: JsonFileDiscountSource
) -> None:
    path = write_discount_file(tmp_path, LOC, "[" * 100_000 + "]" * 100_000)

    with pytest.raises(SourceError) as caught:
        source.fetch(STORE)

    assert caught.value.cause == f"{path}: not JSON text (nested too deeply)"
    assert caught.value.location_id == LOC


def test_an_empty_file_is_malformed(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    write_discount_file(tmp_path, LOC, "")

    with pytest.raises(SourceError, match="line 1, column 1: Expecting value"):
        source.fetch(STORE)


def test_a_file_that_is_not_text(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    (tmp_path / f"{LOC}.json").write_bytes(b"[\xff\xfe\xfa]")

    with pytest.raises(SourceError, match="not JSON text"):
        source.fetch(STORE)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("42", 'expected a Dutchie discount list or {"source": "dutchie"'),
        ('{"source": "ptl", "discounts": []}', '"source" must be "dutchie" (got \'ptl\')'),
        ('{"discounts": {}}', '"discounts" must be a list of discounts'),
        ("{}", '"discounts" must be a list of discounts'),
        ('{"discounts": [], "deals": []}', "unknown key(s) 'deals'"),
        ('{"location_id": "other", "discounts": []}', "\"location_id\" is 'other', not this"),
    ],
)
def test_a_file_of_another_shape(
    tmp_path: Path, source: JsonFileDiscountSource, text: str, cause: str
) -> None:
    path = write_discount_file(tmp_path, LOC, text)

    with pytest.raises(SourceError) as caught:
        source.fetch(STORE)

    assert caught.value.cause.startswith(f"{path}: ")
    assert cause in caught.value.cause


def test_a_refused_discount_is_an_invalid_value(
    tmp_path: Path, source: JsonFileDiscountSource
) -> None:
    write_discount_file(tmp_path, LOC, f"[{VAPES}, {VAPES}]")

    with pytest.raises(InvalidValueError) as caught:
        source.fetch(STORE)

    assert caught.value.field == "items[1].id"  # the id repeats


def test_a_non_object_item_is_an_invalid_value(
    tmp_path: Path, source: JsonFileDiscountSource
) -> None:
    write_discount_file(tmp_path, LOC, "[1]")

    with pytest.raises(InvalidValueError) as caught:
        source.fetch(STORE)

    assert caught.value.field == "items[0]"


def test_write_keeps_decimals_exact(tmp_path: Path, source: JsonFileDiscountSource) -> None:
    record: dict[str, Any] = json.loads(AMOUNT, parse_float=Decimal)
    record["reward"]["thresholdType"] = "TOTAL_SPEND"
    record["reward"]["thresholdMin"] = Decimal("12345678901234567890.25")  # beyond a float
    path = write_discount_file(tmp_path, LOC, {"source": "dutchie", "discounts": [record]})

    written = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    assert written["discounts"][0]["reward"]["discountValue"] == Decimal("14.05")  # a number
    assert written["discounts"][0]["reward"]["thresholdMin"] == "12345678901234567890.25"
    (deal,) = source.fetch(STORE)
    assert deal.reward.threshold == Decimal("12345678901234567890.25")
    assert str(deal.reward.amount) == "14.05 USD"


def test_write_refuses_what_json_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a JSON number"):
        write_discount_file(tmp_path, LOC, [{"id": 1, "value": Decimal("NaN")}])
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        write_discount_file(tmp_path, LOC, [{"id": 1, "value": {1}}])
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_replaces_and_creates_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "today"
    write_discount_file(folder, LOC, f"[{VAPES}]")
    write_discount_file(folder, LOC, "[]")

    assert JsonFileDiscountSource(folder).fetch(STORE) == []
    assert [p.name for p in folder.iterdir()] == [f"{LOC}.json"]


@pytest.mark.parametrize("location_id", ["", " ", "../escape", "a/b", "a\\b", ".hidden"])
def test_ids_that_could_leave_the_folder_are_refused(
    tmp_path: Path, source: JsonFileDiscountSource, location_id: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        source.path_for(location_id)
    assert caught.value.field == "location_id"
    with pytest.raises(InvalidValueError):
        write_discount_file(tmp_path, location_id, "[]")
