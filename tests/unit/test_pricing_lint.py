"""Unit tests for pricekit.pricing.lint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pricekit.errors import InvalidValueError
from pricekit.money import Money
from pricekit.pricing.book import PriceBook
from pricekit.pricing.lint import LintCode, LintFinding, lint_price_book, lint_price_lists
from pricekit.pricing.models import ItemType, PriceList, PriceListItem, PriceListScope

T = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _list(list_id: str = "pl", **extra: Any) -> PriceList:
    fields: dict[str, Any] = {"business_id": "biz", "name": "Retail", "currency": "USD", **extra}
    return PriceList(id=list_id, **fields)


def _item(record_id: str, **extra: Any) -> PriceListItem:
    fields: dict[str, Any] = {
        "price_list_id": "pl",
        "item_id": "sku",
        "price": Money.of("1.00", "USD"),
        **extra,
    }
    return PriceListItem(id=record_id, **fields)


SCOPE = PriceListScope(id="s", price_list_id="pl")


def _lint(*items: PriceListItem, lists: tuple[PriceList, ...] = ()) -> list[LintFinding]:
    return lint_price_lists(lists=lists or (_list(),), items=items, scopes=[SCOPE])


def test_a_clean_setup_has_no_findings() -> None:
    assert _lint(_item("a"), _item("b", min_qty=5), _item("c", item_id="other")) == []


def test_ambiguous_items() -> None:
    findings = _lint(_item("b"), _item("a", price=Money.of("2.00", "USD")))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.code is LintCode.AMBIGUOUS_ITEMS
    assert finding.code.value == "ambiguous_items"
    assert finding.price_list_ids == ("pl",)
    assert finding.price_list_item_ids == ("a", "b")
    assert "'sku'" in finding.message
    with pytest.raises(AttributeError):
        finding.code = LintCode.LIST_WITHOUT_SCOPE  # type: ignore[misc]


def test_ambiguous_items_with_overlapping_windows() -> None:
    findings = _lint(
        _item("a", valid_from=T, valid_to=T + 10 * DAY),
        _item("b", valid_from=T + 5 * DAY),
    )
    assert [f.price_list_item_ids for f in findings] == [("a", "b")]


@pytest.mark.parametrize(
    "other",
    [
        {"min_qty": 2},
        {"priority": 1},
        {"item_id": "other"},
        {"item_type": ItemType.SERVICE},
        {"price_list_id": "pl2"},
        {"is_active": False},
        {"valid_from": T + 10 * DAY},  # starts where the first one ends: half-open, no overlap
    ],
)
def test_items_that_differ_are_not_ambiguous(other: dict[str, Any]) -> None:
    first = _item("a", valid_to=T + 10 * DAY)
    lists = (_list(), _list("pl2"))
    findings = lint_price_lists(
        lists=lists,
        items=[first, _item("b", **other)],
        scopes=[SCOPE, PriceListScope(id="s2", price_list_id="pl2")],
    )
    assert findings == []


def test_overlap_outside_the_list_validity_is_not_ambiguous() -> None:
    price_list = _list(valid_from=T, valid_to=T + DAY)
    findings = _lint(
        _item("a", valid_from=T + 2 * DAY),
        _item("b", valid_from=T + 3 * DAY),
        lists=(price_list,),
    )
    assert findings == []


def test_three_ambiguous_items_are_reported_pairwise() -> None:
    findings = _lint(_item("c"), _item("a"), _item("b"))
    assert [f.price_list_item_ids for f in findings] == [("a", "b"), ("a", "c"), ("b", "c")]


def test_list_without_scope() -> None:
    findings = lint_price_lists(
        lists=[_list("a"), _list("b"), _list("off", is_active=False)],
        items=[],
        scopes=[PriceListScope(id="s", price_list_id="b")],
    )
    assert [(f.code, f.price_list_ids) for f in findings] == [(LintCode.LIST_WITHOUT_SCOPE, ("a",))]
    assert "applies nowhere" in findings[0].message


def test_item_currency_mismatch_over_raw_records() -> None:
    lists = [_list()]
    items = [_item("a", price=Money.of("1.00", "EUR"))]
    with pytest.raises(InvalidValueError):
        PriceBook(lists=lists, items=items, scopes=[SCOPE])  # the book refuses it outright
    findings = lint_price_lists(lists=lists, items=items, scopes=[SCOPE])
    assert [(f.code, f.price_list_ids, f.price_list_item_ids) for f in findings] == [
        (LintCode.ITEM_CURRENCY_MISMATCH, ("pl",), ("a",))
    ]
    assert "EUR" in findings[0].message
    assert "USD" in findings[0].message


def test_unknown_price_lists() -> None:
    findings = lint_price_lists(
        lists=[_list()],
        items=[_item("a", price_list_id="ghost")],
        scopes=[SCOPE, PriceListScope(id="s2", price_list_id="ghost")],
    )
    assert [
        (f.code, f.price_list_ids, f.price_list_item_ids, f.price_list_scope_ids) for f in findings
    ] == [
        (LintCode.UNKNOWN_PRICE_LIST, ("ghost",), (), ("s2",)),
        (LintCode.UNKNOWN_PRICE_LIST, ("ghost",), ("a",), ()),
    ]


def test_findings_are_ordered_by_code_then_ids() -> None:
    findings = lint_price_lists(
        lists=[_list(), _list("z"), _list("y")],
        items=[_item("a"), _item("b"), _item("c", price=Money.of("1", "EUR"))],
        scopes=[SCOPE],
    )
    assert [(f.code.value, f.price_list_ids) for f in findings] == [
        ("ambiguous_items", ("pl",)),
        ("item_currency_mismatch", ("pl",)),
        ("list_without_scope", ("y",)),
        ("list_without_scope", ("z",)),
    ]


def test_lint_price_book() -> None:
    book = PriceBook(
        lists=[_list(), _list("lonely")],
        items=[_item("a"), _item("b"), _item("c", min_qty=3)],
        scopes=[SCOPE],
    )
    findings = lint_price_book(book)
    assert [(f.code, f.price_list_ids, f.price_list_item_ids) for f in findings] == [
        (LintCode.AMBIGUOUS_ITEMS, ("pl",), ("a", "b")),
        (LintCode.LIST_WITHOUT_SCOPE, ("lonely",), ()),
    ]
    assert lint_price_book(PriceBook()) == []
