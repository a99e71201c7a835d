"""Unit tests for price resolution: every step of the algorithm and each tie-break."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pricekit.errors import ConflictError, InvalidValueError, ModelValidationError
from pricekit.money import Money
from pricekit.pricing import (
    Channel,
    ItemType,
    MarkdownPrice,
    Outcome,
    PriceBook,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE = Money.of("25.99", "USD")


def plist(list_id: str, priority: int = 100, **extra: object) -> PriceList:
    data: dict[str, object] = {
        "id": list_id,
        "business_id": "biz",
        "name": list_id,
        "priority": priority,
        "currency": "USD",
    }
    data.update(extra)
    return PriceList.model_validate(data)


def pitem(entry_id: str, list_id: str, price: str, **extra: object) -> PriceListItem:
    data: dict[str, object] = {
        "id": entry_id,
        "price_list_id": list_id,
        "item_id": "sku",
        "price": Money.of(price, "USD"),
    }
    data.update(extra)
    return PriceListItem.model_validate(data)


def scope(scope_id: str, list_id: str, **extra: object) -> PriceListScope:
    return PriceListScope.model_validate({"id": scope_id, "price_list_id": list_id, **extra})


def resolve(book: PriceBook, **overrides: object) -> ResolvedPrice:
    args: dict[str, object] = {
        "business_id": "biz",
        "item_id": "sku",
        "channel": Channel.POS,
        "at": AT,
        "base_price": BASE,
        "location_id": "loc-1",
        "quantity": 1,
    }
    args.update(overrides)
    return book.resolve_item(**args)  # type: ignore[arg-type]


# -- the seed's own example ----------------------------------------------------------------


def test_seed_example_request_and_response() -> None:
    book = PriceBook(
        lists=[plist("pl-retail", 100), plist("pl-bulk", 200)],
        items=[
            pitem("it-1", "pl-retail", "25.49"),
            pitem("it-5", "pl-bulk", "23.99", min_qty=5),
        ],
        scopes=[scope("s1", "pl-retail"), scope("s2", "pl-bulk", location_id="loc-1")],
    )
    query = PriceQuery.model_validate(
        {
            "businessId": "biz",
            "locationId": "loc-1",
            "channel": "pos",
            "itemType": "product",
            "itemId": "sku",
            "quantity": 5,
            "baseCurrencyId": "USD",
            "basePrice": {"amount": "25.99", "currency": "USD"},
            "at": "2026-06-01T12:00:00Z",
        }
    )
    result = book.resolve(query)
    assert json.loads(result.to_json()) == {
        "unitPrice": 23.99,
        "unitPriceMinor": "2399",
        "currencyId": "USD",
        "priceListId": "pl-bulk",
        "priceListItemId": "it-5",
        "source": "price_list",
        "priority": 200,
        "minQty": 5,
        "markdownWaveId": None,
        "originalPrice": None,
    }
    assert '"unitPrice": 23.99,' in result.to_json()  # an exact number, not a string
    snake = result.to_dict(style="snake")
    assert snake["unit_price"] == Decimal("23.99")
    assert snake["unit_price_minor"] == "2399"


# -- step 1: candidates --------------------------------------------------------------------


def test_no_candidate_gives_the_base_price() -> None:
    result = resolve(PriceBook())
    assert result.source is PriceSource.BASE_PRICE
    assert result.unit_price == BASE
    assert result.price_list_id is None


@pytest.mark.parametrize(
    ("list_extra", "item_extra", "query", "outcome"),
    [
        ({"is_active": False}, {}, {}, Outcome.LIST_INACTIVE),
        ({}, {"is_active": False}, {}, Outcome.ITEM_INACTIVE),
        ({"channel": "online"}, {}, {}, Outcome.WRONG_CHANNEL),
        ({}, {"min_qty": 3}, {"quantity": 2}, Outcome.BELOW_MIN_QTY),
        ({"valid_from": AT + timedelta(seconds=1)}, {}, {}, Outcome.LIST_NOT_VALID),
        ({"valid_to": AT}, {}, {}, Outcome.LIST_NOT_VALID),  # half-open: the end is out
        ({}, {"valid_to": AT}, {}, Outcome.ITEM_NOT_VALID),
        ({}, {"valid_from": AT + timedelta(days=1)}, {}, Outcome.ITEM_NOT_VALID),
    ],
)
def test_each_candidate_filter(
    list_extra: dict[str, object],
    item_extra: dict[str, object],
    query: dict[str, object],
    outcome: Outcome,
) -> None:
    book = PriceBook(
        lists=[plist("pl", **list_extra)],
        items=[pitem("it", "pl", "20.00", **item_extra)],
        scopes=[scope("s", "pl")],
    )
    result = resolve(book, **query, explain=True)
    assert result.source is PriceSource.BASE_PRICE
    (entry,) = result.trace
    assert entry.outcome is outcome
    assert entry.price_list_item_id == "it"


def test_validity_start_is_inclusive() -> None:
    book = PriceBook(
        lists=[plist("pl", valid_from=AT)],
        items=[pitem("it", "pl", "20.00", valid_from=AT, valid_to=AT + timedelta(hours=1))],
        scopes=[scope("s", "pl")],
    )
    assert resolve(book).price_list_item_id == "it"


def test_other_business_and_item_and_currency_do_not_match() -> None:
    book = PriceBook(
        lists=[
            plist("pl-other-biz", business_id="other"),
            plist("pl-eur", currency="EUR"),
            plist("pl"),
        ],
        items=[
            pitem("it-biz", "pl-other-biz", "1.00"),
            PriceListItem(
                id="it-eur", price_list_id="pl-eur", item_id="sku", price=Money.of("2", "EUR")
            ),
            pitem("it-other-item", "pl", "3.00", item_id="other-sku"),
            pitem("it-service", "pl", "4.00", item_type=ItemType.SERVICE),
        ],
        scopes=[scope("s1", "pl-other-biz"), scope("s2", "pl-eur"), scope("s3", "pl")],
    )
    result = resolve(book, explain=True)
    assert result.source is PriceSource.BASE_PRICE
    assert [e.outcome for e in result.trace] == [Outcome.WRONG_CURRENCY]
    assert resolve(book, item_type=ItemType.SERVICE).unit_price == Money(400, "USD")
    eur = resolve(book, currency="EUR", base_price=Money.of("9", "EUR"))
    assert eur.price_list_item_id == "it-eur"


def test_decimal_quantities_for_goods_sold_by_weight() -> None:
    book = PriceBook(
        lists=[plist("pl")],
        items=[
            pitem("per-g", "pl", "10.00"),
            pitem("per-g-3.5", "pl", "9.00", min_qty=Decimal("3.5")),
        ],
        scopes=[scope("s", "pl")],
    )
    assert resolve(book, quantity=Decimal("3.499")).price_list_item_id == "per-g"
    assert resolve(book, quantity=Decimal("3.5")).price_list_item_id == "per-g-3.5"


# -- step 2: scopes ------------------------------------------------------------------------


def test_list_without_scope_applies_nowhere_and_says_so() -> None:
    book = PriceBook(lists=[plist("pl")], items=[pitem("it", "pl", "1.00")])
    result = resolve(book, explain=True)
    assert result.source is PriceSource.BASE_PRICE
    (entry,) = result.trace
    assert entry.outcome is Outcome.NO_SCOPE
    assert "applies nowhere" in entry.reason


def test_scope_channel_must_match() -> None:
    book = PriceBook(
        lists=[plist("pl")],
        items=[pitem("it", "pl", "1.00")],
        scopes=[scope("s", "pl", channel="online")],
    )
    assert resolve(book).source is PriceSource.BASE_PRICE
    assert resolve(book, channel=Channel.ONLINE).price_list_item_id == "it"
    (entry,) = resolve(book, explain=True).trace
    assert entry.outcome is Outcome.NO_MATCHING_SCOPE


def test_a_channel_given_as_text_is_the_channel_and_an_unknown_one_is_refused() -> None:
    book = PriceBook(
        lists=[plist("pl", channel="online")],
        items=[pitem("it", "pl", "1.00")],
        scopes=[scope("s", "pl", channel="online")],
    )
    assert resolve(book, channel="online") == resolve(book, channel=Channel.ONLINE)
    assert resolve(book, channel="online").price_list_item_id == "it"
    assert resolve(book, channel="pos").source is PriceSource.BASE_PRICE
    with pytest.raises(InvalidValueError) as info:
        resolve(book, channel="telepathy")
    assert (info.value.field, info.value.value) == ("channel", "telepathy")
    with pytest.raises(InvalidValueError, match="not 'any'"):
        resolve(book, channel="any")


def test_location_scope_filters_out_higher_priority_global_lists() -> None:
    book = PriceBook(
        lists=[plist("pl-global", 900), plist("pl-store", 10)],
        items=[pitem("it-global", "pl-global", "5.00"), pitem("it-store", "pl-store", "7.00")],
        scopes=[scope("sg", "pl-global"), scope("sl", "pl-store", location_id="loc-1")],
    )
    result = resolve(book, explain=True)
    assert result.price_list_id == "pl-store"
    outcomes = {e.price_list_id: e.outcome for e in result.trace}
    assert outcomes == {"pl-global": Outcome.SHADOWED_BY_LOCATION, "pl-store": Outcome.WON}
    # at another location, the global list is the fallback
    assert resolve(book, location_id="loc-2").price_list_id == "pl-global"
    # with no location at all, only global scopes count
    assert resolve(book, location_id=None).price_list_id == "pl-global"


def test_location_scope_on_another_channel_falls_back_to_global() -> None:
    book = PriceBook(
        lists=[plist("pl-global", 1), plist("pl-store", 2)],
        items=[pitem("a", "pl-global", "5.00"), pitem("b", "pl-store", "7.00")],
        scopes=[
            scope("sg", "pl-global"),
            scope("sl", "pl-store", location_id="loc-1", channel="online"),
        ],
    )
    assert resolve(book).price_list_id == "pl-global"
    assert resolve(book, channel=Channel.ONLINE).price_list_id == "pl-store"


# -- step 3: rank and tie-breaks -----------------------------------------------------------


def _two(first: dict[str, object], second: dict[str, object], **list_prios: int) -> PriceBook:
    return PriceBook(
        lists=[plist("pl-a", list_prios.get("a", 100)), plist("pl-b", list_prios.get("b", 100))],
        items=[pitem("it-a", "pl-a", "10.00", **first), pitem("it-b", "pl-b", "11.00", **second)],
        scopes=[scope("sa", "pl-a"), scope("sb", "pl-b")],
    )


def test_rank_list_priority_first() -> None:
    book = _two({"priority": 1000}, {}, a=100, b=200)
    result = resolve(book, explain=True)
    assert result.price_list_item_id == "it-b"
    lost = next(e for e in result.trace if e.outcome is Outcome.LOST)
    assert lost.reason == "list priority 100 < 200 of 'it-b'"


def test_rank_item_priority_second() -> None:
    book = _two({"priority": 5}, {"priority": 4})
    result = resolve(book, explain=True)
    assert result.price_list_item_id == "it-a"
    lost = next(e for e in result.trace if e.outcome is Outcome.LOST)
    assert lost.reason == "item priority 4 < 5 of 'it-a'"


def test_rank_larger_tier_third() -> None:
    book = _two({"min_qty": 2}, {"min_qty": 10})
    assert resolve(book, quantity=10).price_list_item_id == "it-b"
    assert resolve(book, quantity=9).price_list_item_id == "it-a"


def test_rank_newer_item_fourth() -> None:
    older = {"created_at": AT - timedelta(days=2)}
    newer = {"created_at": (AT - timedelta(days=1)).astimezone(UTC)}
    assert resolve(_two(older, newer)).price_list_item_id == "it-b"
    assert resolve(_two(newer, older)).price_list_item_id == "it-a"


def test_creation_times_compare_as_instants_across_zones() -> None:
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    # 10:00 in Tokyo is 01:00 UTC: earlier than 05:00 UTC despite the larger wall clock.
    book = _two(
        {"created_at": datetime(2026, 1, 1, 10, 0, tzinfo=tokyo)},
        {"created_at": datetime(2026, 1, 1, 5, 0, tzinfo=UTC)},
    )
    assert resolve(book).price_list_item_id == "it-b"


def test_full_tie_goes_to_the_lower_id_deterministically() -> None:
    book = _two({}, {})
    result = resolve(book, explain=True)
    assert result.price_list_item_id == "it-a"
    lost = next(e for e in result.trace if e.outcome is Outcome.LOST)
    assert "the lower id wins" in lost.reason


# -- step 4: markdown override -------------------------------------------------------------


@dataclass
class _Markdowns:
    """A markdown lookup that returns one markdown for one location."""

    location_id: str
    price: Money
    calls: int = 0

    def active_markdown(
        self,
        *,
        business_id: str,
        item_type: ItemType,
        item_id: str,
        location_id: str | None,
        at: datetime,
    ) -> MarkdownPrice | None:
        self.calls += 1
        if location_id == self.location_id and item_id == "sku":
            return MarkdownPrice(wave_id="wave-1", price=self.price)
        return None


def test_markdown_overrides_the_winner_and_keeps_the_original() -> None:
    markdowns = _Markdowns("loc-1", Money.of("19.99", "USD"))
    book = PriceBook(
        lists=[plist("pl")],
        items=[pitem("it", "pl", "23.99")],
        scopes=[scope("s", "pl")],
        markdowns=markdowns,
    )
    result = resolve(book, explain=True)
    assert result.source is PriceSource.MARKDOWN
    assert result.unit_price == Money.of("19.99", "USD")
    assert result.original_price == Money.of("23.99", "USD")
    assert result.markdown_wave_id == "wave-1"
    assert result.price_list_id == "pl"
    assert result.trace[0].outcome is Outcome.OVERRIDDEN_BY_MARKDOWN
    payload = json.loads(result.to_json())
    assert payload["originalPrice"] == 23.99
    assert payload["markdownWaveId"] == "wave-1"
    # elsewhere the list price stands
    assert resolve(book, location_id="loc-2").source is PriceSource.PRICE_LIST


def test_markdown_over_base_price_keeps_the_base_as_original() -> None:
    book = PriceBook(markdowns=_Markdowns("loc-1", Money.of("20.00", "USD")))
    result = resolve(book)
    assert result.source is PriceSource.MARKDOWN
    assert result.original_price == BASE


def test_markdown_in_another_currency_is_ignored() -> None:
    book = PriceBook(markdowns=_Markdowns("loc-1", Money.of("20.00", "EUR")))
    assert resolve(book).source is PriceSource.BASE_PRICE


# -- building and patching ------------------------------------------------------------------


def test_book_refuses_inconsistent_data() -> None:
    with pytest.raises(ConflictError, match="price list 'ghost'"):
        PriceBook(items=[pitem("it", "ghost", "1.00")])
    with pytest.raises(ConflictError, match="price list 'ghost'"):
        PriceBook(scopes=[scope("s", "ghost")])
    with pytest.raises(ConflictError, match="duplicate"):
        PriceBook(lists=[plist("pl"), plist("pl")])
    with pytest.raises(InvalidValueError) as info:
        PriceBook(
            lists=[plist("pl")],
            items=[PriceListItem(id="it", price_list_id="pl", item_id="x", price=Money(1, "EUR"))],
        )
    assert info.value.field == "price"


def test_patched_recompiles_touched_items_only_and_leaves_the_original() -> None:
    book = PriceBook(
        lists=[plist("pl-a", 100), plist("pl-b", 50)],
        items=[pitem("it-a", "pl-a", "10.00"), pitem("it-b", "pl-b", "9.00")],
        scopes=[scope("sa", "pl-a"), scope("sb", "pl-b")],
    )
    assert resolve(book).price_list_item_id == "it-a"
    cheaper = book.patched(items=[book.items["it-a"].evolve(price=Money.of("8.00", "USD"))])
    assert resolve(cheaper).unit_price == Money.of("8.00", "USD")
    assert resolve(book).unit_price == Money.of("10.00", "USD")
    soft_deleted = book.patched(lists=[book.lists["pl-a"].evolve(is_active=False)])
    assert resolve(soft_deleted).price_list_item_id == "it-b"
    unscoped = book.patched(removed_scope_ids=["sa"])
    assert resolve(unscoped).price_list_item_id == "it-b"
    moved = book.patched(items=[book.items["it-a"].evolve(item_id="other")])
    assert resolve(moved).price_list_item_id == "it-b"
    assert resolve(moved, item_id="other").price_list_item_id == "it-a"
    added = book.patched(
        lists=[plist("pl-c", 500)],
        items=[pitem("it-c", "pl-c", "7.00")],
        scopes=[scope("sc", "pl-c", location_id="loc-1")],
    )
    assert resolve(added).price_list_item_id == "it-c"
    with pytest.raises(ConflictError):
        book.patched(scopes=[scope("sx", "ghost")])


def test_tiers() -> None:
    book = PriceBook(
        lists=[plist("pl")],
        items=[
            pitem("a", "pl", "1.00"),
            pitem("b", "pl", "1.00", min_qty=Decimal("2.5")),
            pitem("c", "pl", "1.00", min_qty=10, is_active=False),
        ],
    )
    assert book.tiers("biz", ItemType.PRODUCT, "sku") == (Decimal(1), Decimal("2.5"), Decimal(10))
    assert book.tiers("biz", ItemType.PRODUCT, "none") == ()


def test_resolve_many_keeps_order() -> None:
    book = _two({}, {"min_qty": 5}, b=200)
    queries = [
        PriceQuery(
            business_id="biz",
            channel=Channel.POS,
            item_id="sku",
            quantity=q,
            currency="USD",
            base_price=BASE,
            at=AT,
        )
        for q in (1, 5, 2)
    ]
    assert [r.price_list_item_id for r in book.resolve_many(queries)] == ["it-a", "it-b", "it-a"]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (PriceList, {"priority": 1001}, "priority"),
        (PriceList, {"priority": -1}, "priority"),
        (PriceList, {"channel": "fax"}, "channel"),
        (PriceList, {"kind": "bakery"}, "kind"),
        (PriceList, {"currency": "XYZ"}, "currency"),
        (PriceList, {"valid_from": AT, "valid_to": AT}, "valid_to"),
        (PriceList, {"valid_from": datetime(2026, 1, 1)}, "valid_from"),
        (PriceListItem, {"min_qty": 0}, "min_qty"),
        (PriceListItem, {"min_qty": "-1"}, "min_qty"),
        (PriceListItem, {"min_qty": 1.5}, "min_qty"),
        (PriceListItem, {"price": {"amount": "-1", "currency": "USD"}}, "price"),
        (PriceListItem, {"item_type": "gift"}, "item_type"),
        (PriceListItem, {"priority": 2000}, "priority"),
    ],
)
def test_models_name_the_refused_field(model: type, data: dict[str, object], field: str) -> None:
    base: dict[str, dict[str, object]] = {
        "PriceList": {"id": "pl", "business_id": "b", "name": "n", "currency": "USD"},
        "PriceListItem": {
            "id": "it",
            "price_list_id": "pl",
            "item_id": "x",
            "price": {"amount": "1", "currency": "USD"},
        },
    }
    with pytest.raises(ModelValidationError) as info:
        model.model_validate({**base[model.__name__], **data})  # type: ignore[attr-defined]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": Decimal("-1")}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"channel": Channel.ANY}, "channel"),
        ({"at": datetime(2026, 1, 1)}, "at"),
        ({"currency": "EUR"}, "base_price"),
    ],
)
def test_resolve_item_refuses_bad_queries(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        resolve(PriceBook(), **overrides)
    assert info.value.field == field


def test_query_model_refuses_bad_input() -> None:
    good = {
        "businessId": "b",
        "channel": "pos",
        "itemId": "x",
        "baseCurrencyId": "USD",
        "basePrice": "1.00 USD",
        "at": "2026-06-01T12:00:00Z",
    }
    assert PriceQuery.model_validate(good).quantity == 1
    for bad, field in (
        ({"quantity": 0}, "quantity"),
        ({"channel": "any"}, "channel"),
        ({"at": "2026-06-01T12:00:00"}, "at"),
        ({"basePrice": "1.00 EUR"}, "base_price"),
    ):
        with pytest.raises(ModelValidationError) as info:
            PriceQuery.model_validate({**good, **bad})
        assert info.value.field == field
