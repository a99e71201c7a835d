"""Unit tests for pricekit.pricing.service: settings, CRUD, bulk, cache invalidation, resolution."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricekit.errors import (
    ConflictError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
    PricekitError,
)
from pricekit.memory import (
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
)
from pricekit.money import Money
from pricekit.pricing.cache import CacheStats, InMemoryPriceCache, PriceCache, PriceCacheKey
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListKind,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.pricing.ports import MarkdownPrice
from pricekit.pricing.service import (
    BulkValidationError,
    PricingService,
    PricingSettings,
    RowError,
)
from pricekit.time import ManualClock

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


class RecordingCache:
    """A PriceCache that records every invalidation, over the real in-memory cache."""

    def __init__(self, inner: InMemoryPriceCache) -> None:
        self.inner = inner
        self.calls: list[tuple[str, object]] = []

    def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
        return self.inner.get(key)

    def set(
        self,
        key: PriceCacheKey,
        value: ResolvedPrice,
        *,
        price_list_ids: Collection[str],
        ttl: timedelta | None = None,
    ) -> None:
        self.inner.set(key, value, price_list_ids=price_list_ids, ttl=ttl)

    def invalidate_price_lists(self, price_list_ids: Iterable[str]) -> int:
        ids = list(price_list_ids)
        self.calls.append(("lists", ids))
        return self.inner.invalidate_price_lists(ids)

    def invalidate_items(self, business_id: str, items: Iterable[tuple[ItemType, str]]) -> int:
        refs = list(items)
        self.calls.append(("items", (business_id, refs)))
        return self.inner.invalidate_items(business_id, refs)

    def clear_business(self, business_id: str) -> int:
        self.calls.append(("business", business_id))
        return self.inner.clear_business(business_id)

    def stats(self) -> CacheStats:
        return self.inner.stats()


class CountingLists(InMemoryPriceListRepository):
    """Counts how often the service loads a whole business (that is, builds a book)."""

    __slots__ = ("loads",)

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def all_for_business(self, business_id: str) -> list[PriceList]:
        self.loads += 1
        return super().all_for_business(business_id)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def cache(clock: ManualClock) -> RecordingCache:
    return RecordingCache(InMemoryPriceCache(clock=clock))


@pytest.fixture
def lists() -> CountingLists:
    return CountingLists()


@pytest.fixture
def service(clock: ManualClock, cache: RecordingCache, lists: CountingLists) -> PricingService:
    assert isinstance(cache, PriceCache)
    return PricingService(
        lists=lists,
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        cache=cache,
        clock=clock,
        settings=PricingSettings(enable_price_lists=True),
    )


def query(sku: str = "sku", *, quantity: int = 1, base: str = "25.99", **extra: Any) -> PriceQuery:
    fields: dict[str, Any] = {
        "business_id": "biz",
        "channel": Channel.POS,
        "item_id": sku,
        "quantity": quantity,
        "currency": "USD",
        "base_price": usd(base),
        "at": AT,
        **extra,
    }
    return PriceQuery(**fields)


def add_list(service: PricingService, list_id: str = "pl", **extra: Any) -> PriceList:
    fields: dict[str, Any] = {
        "id": list_id,
        "business_id": "biz",
        "name": f"List {list_id}",
        "currency": "USD",
        "priority": 100,
        **extra,
    }
    price_list = service.create_price_list(fields)
    service.create_scope({"id": f"scope-{list_id}", "price_list_id": list_id})
    return price_list


def add_item(service: PricingService, record_id: str, *, list_id: str = "pl", **extra: Any) -> Any:
    fields: dict[str, Any] = {
        "id": record_id,
        "price_list_id": list_id,
        "item_id": "sku",
        "price": usd("23.99"),
        **extra,
    }
    return service.create_item(fields)


# -- settings ---------------------------------------------------------------------------


def test_settings_defaults_follow_the_seed() -> None:
    settings = PricingSettings()
    assert settings.enable_price_lists is False
    assert settings.price_cache_enabled is True
    assert settings.price_cache_ttl == timedelta(minutes=5)
    assert PricingSettings.from_env({}) == settings


def test_settings_from_env() -> None:
    settings = PricingSettings.from_env(
        {"ENABLE_PRICE_LISTS": "TRUE", "PRICE_CACHE_ENABLED": "0", "PRICE_CACHE_TTL_MS": "1500"}
    )
    assert settings.enable_price_lists is True
    assert settings.price_cache_enabled is False
    assert settings.price_cache_ttl == timedelta(milliseconds=1500)
    assert PricingSettings.from_env({"ENABLE_PRICE_LISTS": "  "}).enable_price_lists is False


def test_settings_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENABLE_PRICE_LISTS", "yes")
    monkeypatch.delenv("PRICE_CACHE_TTL_MS", raising=False)
    assert PricingSettings.from_env().enable_price_lists is True


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("ENABLE_PRICE_LISTS", "maybe"),
        ("PRICE_CACHE_ENABLED", "2"),
        ("PRICE_CACHE_TTL_MS", "abc"),
        ("PRICE_CACHE_TTL_MS", "0"),
        ("PRICE_CACHE_TTL_MS", "-5"),
        ("PRICE_CACHE_TTL_MS", "1.5"),
    ],
)
def test_settings_from_env_refuses_bad_values(variable: str, raw: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        PricingSettings.from_env({variable: raw})
    assert info.value.field == variable
    assert info.value.value == raw


def test_settings_refuse_a_non_positive_ttl() -> None:
    with pytest.raises(ModelValidationError) as info:
        PricingSettings(price_cache_ttl=timedelta(0))
    assert info.value.field == "price_cache_ttl"


# -- price lists ------------------------------------------------------------------------


def test_create_stamps_and_generates_ids(service: PricingService, clock: ManualClock) -> None:
    created = service.create_price_list({"business_id": "biz", "name": "N", "currency": "USD"})
    assert created.id
    assert created.created_at == created.updated_at == T0
    assert service.get_price_list(created.id) == created
    explicit = service.create_price_list(
        PriceList(id="x", business_id="biz", name="X", currency="USD")
    )
    assert explicit.id == "x"
    assert explicit.created_at == T0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": 1001}, "priority"),
        ({"priority": -1}, "priority"),
        ({"kind": "bakery"}, "kind"),
        ({"channel": "fax"}, "channel"),
        ({"currency": "XXX1"}, "currency"),
        ({"valid_from": AT, "valid_to": AT - timedelta(days=1)}, "valid_to"),
        ({"valid_from": AT, "valid_to": AT}, "valid_to"),
        ({"valid_from": datetime(2024, 1, 1)}, "valid_from"),  # naive on purpose
        ({"colour": "red"}, "colour"),
    ],
)
def test_price_list_bad_input_names_the_field(
    service: PricingService, changes: dict[str, Any], field: str
) -> None:
    fields = {"id": "pl", "business_id": "biz", "name": "N", "currency": "USD", **changes}
    with pytest.raises(ModelValidationError) as info:
        service.create_price_list(fields)
    assert info.value.field == field
    with pytest.raises(NotFoundError):
        service.get_price_list("pl")


def test_price_list_duplicate_id(service: PricingService) -> None:
    add_list(service)
    with pytest.raises(ConflictError) as info:
        service.create_price_list(
            {"id": "pl", "business_id": "biz", "name": "N", "currency": "USD"}
        )
    assert (info.value.entity, info.value.id) == ("price_list", "pl")


def test_get_missing_price_list(service: PricingService) -> None:
    with pytest.raises(NotFoundError) as info:
        service.get_price_list("nope")
    assert (info.value.entity, info.value.id) == ("price_list", "nope")


def test_list_price_lists_filters_and_pages(service: PricingService) -> None:
    for n in range(5):
        service.create_price_list(
            {
                "id": f"pl{n}",
                "business_id": "biz",
                "name": "Retail" if n % 2 else "Online",
                "kind": PriceListKind.RETAIL if n % 2 else PriceListKind.BOTH,
                "currency": "USD",
            }
        )
    service.delete_price_list("pl3")
    page = service.list_price_lists("biz", offset=1, limit=2)
    assert [pl.id for pl in page.items] == ["pl1", "pl2"]
    assert page.total == 5
    assert [pl.id for pl in service.list_price_lists("biz", kind=PriceListKind.RETAIL).items] == [
        "pl1",
        "pl3",
    ]
    assert [pl.id for pl in service.list_price_lists("biz", is_active=False).items] == ["pl3"]
    assert service.list_price_lists("biz", name_contains="onl").total == 3
    with pytest.raises(InvalidValueError) as info:
        service.list_price_lists("biz", limit=5000)
    assert info.value.field == "limit"
    with pytest.raises(InvalidValueError) as info:
        service.list_price_lists("biz", offset=-3)
    assert info.value.field == "offset"


def test_full_update_replaces_every_field(service: PricingService, clock: ManualClock) -> None:
    add_list(service, channel=Channel.POS, kind=PriceListKind.RETAIL)
    clock.advance(timedelta(hours=1))
    updated = service.update_price_list(
        "pl", {"business_id": "biz", "name": "Renamed", "currency": "USD"}
    )
    assert updated.name == "Renamed"
    assert updated.channel is Channel.ANY  # left out: back to its default
    assert updated.kind is PriceListKind.BOTH
    assert updated.priority == 0
    assert updated.created_at == T0
    assert updated.updated_at == T0 + timedelta(hours=1)
    assert service.get_price_list("pl") == updated


def test_full_update_refusals(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    base = {"business_id": "biz", "name": "N", "currency": "USD"}
    with pytest.raises(InvalidValueError) as info:
        service.update_price_list("pl", {**base, "id": "other"})
    assert info.value.field == "id"
    with pytest.raises(InvalidValueError) as info:
        service.update_price_list("pl", {**base, "business_id": "other-biz"})
    assert info.value.field == "business_id"
    with pytest.raises(InvalidValueError) as info:
        service.update_price_list("pl", {**base, "currency": "EUR"})
    assert info.value.field == "currency"
    with pytest.raises(ModelValidationError) as info:
        service.update_price_list("pl", {**base, "priority": 5000})
    assert info.value.field == "priority"
    with pytest.raises(NotFoundError):
        service.update_price_list("nope", base)
    assert service.get_price_list("pl").name == "List pl"


def test_currency_of_an_empty_list_can_change(service: PricingService) -> None:
    add_list(service)
    assert service.patch_price_list("pl", currency="EUR").currency == "EUR"


def test_partial_update(service: PricingService, clock: ManualClock) -> None:
    add_list(service)
    clock.advance(timedelta(minutes=1))
    patched = service.patch_price_list("pl", priority=300, name="VIP")
    assert (patched.priority, patched.name, patched.currency) == (300, "VIP", "USD")
    assert patched.updated_at == T0 + timedelta(minutes=1)
    assert patched.created_at == T0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": 1001}, "priority"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"kind": "x"}, "kind"),
        ({"valid_from": AT, "valid_to": AT - timedelta(seconds=1)}, "valid_to"),
        ({"id": "new"}, "id"),
        ({"created_at": AT}, "created_at"),
        ({"business_id": "elsewhere"}, "business_id"),
    ],
)
def test_partial_update_refusals(
    service: PricingService, changes: dict[str, Any], field: str
) -> None:
    add_list(service)
    before = service.get_price_list("pl")
    with pytest.raises(InvalidValueError) as info:
        service.patch_price_list("pl", **changes)
    assert info.value.field == field
    assert service.get_price_list("pl") == before


def test_soft_delete_of_a_list(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    assert service.resolve(query()).source is PriceSource.PRICE_LIST
    deleted = service.delete_price_list("pl")
    assert deleted.is_active is False
    assert service.get_price_list("pl").is_active is False
    assert service.resolve(query()).source is PriceSource.BASE_PRICE


# -- items ------------------------------------------------------------------------------


def test_create_item(service: PricingService) -> None:
    add_list(service)
    item = add_item(service, "i1", min_qty="2.5")
    assert item.min_qty == Decimal("2.5")
    assert item.created_at == T0
    assert service.get_item("i1") == item


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_qty": 0}, "min_qty"),
        ({"min_qty": "-1"}, "min_qty"),
        ({"priority": 1001}, "priority"),
        ({"item_type": "gift"}, "item_type"),
        ({"price": usd("-1.00")}, "price"),
        ({"price": 23.99}, "price.amount"),
        ({"valid_from": AT, "valid_to": AT - timedelta(days=1)}, "valid_to"),
    ],
)
def test_item_bad_input_names_the_field(
    service: PricingService, changes: dict[str, Any], field: str
) -> None:
    add_list(service)
    with pytest.raises(ModelValidationError) as info:
        add_item(service, "i1", **changes)
    assert info.value.field == field
    assert service.list_items().total == 0


def test_item_in_another_currency_than_its_list(service: PricingService) -> None:
    add_list(service)
    with pytest.raises(InvalidValueError) as info:
        add_item(service, "i1", price=Money.of("5.00", "EUR"))
    assert info.value.field == "price"
    assert "USD" in info.value.reason
    assert service.list_items().total == 0


def test_item_for_a_missing_list(service: PricingService) -> None:
    with pytest.raises(NotFoundError) as info:
        add_item(service, "i1", list_id="ghost")
    assert (info.value.entity, info.value.id) == ("price_list", "ghost")


def test_item_duplicate_id(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    with pytest.raises(ConflictError) as info:
        add_item(service, "i1", item_id="other")
    assert info.value.id == "i1"
    assert service.get_item("i1").item_id == "sku"


def test_item_updates(service: PricingService, clock: ManualClock) -> None:
    add_list(service)
    add_item(service, "i1", priority=7, min_qty=3)
    clock.advance(timedelta(seconds=5))
    full = service.update_item(
        "i1", {"price_list_id": "pl", "item_id": "sku", "price": usd("19.99")}
    )
    assert (full.price, full.priority, full.min_qty) == (usd("19.99"), 0, Decimal(1))
    assert full.created_at == T0
    assert full.updated_at == T0 + timedelta(seconds=5)
    patched = service.patch_item("i1", priority=9)
    assert (patched.price, patched.priority) == (usd("19.99"), 9)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"min_qty": 0}, "min_qty", ModelValidationError),
        ({"priority": 2000}, "priority", ModelValidationError),
        ({"price": Money.of("1", "EUR")}, "price", InvalidValueError),
        ({"price_list_id": "pl2"}, "price_list_id", InvalidValueError),
        ({"id": "other"}, "id", InvalidValueError),
        ({"updated_at": AT}, "updated_at", InvalidValueError),
    ],
)
def test_item_patch_refusals(
    service: PricingService, changes: dict[str, Any], field: str, error: type[Exception]
) -> None:
    add_list(service)
    add_list(service, "pl2")
    before = add_item(service, "i1")
    with pytest.raises(error) as info:
        service.patch_item("i1", **changes)
    assert isinstance(info.value, InvalidValueError)
    assert info.value.field == field
    assert service.get_item("i1") == before


def test_item_missing(service: PricingService) -> None:
    with pytest.raises(NotFoundError) as info:
        service.patch_item("nope", priority=1)
    assert (info.value.entity, info.value.id) == ("price_list_item", "nope")
    with pytest.raises(NotFoundError):
        service.delete_item("nope")


def test_list_items(service: PricingService) -> None:
    add_list(service)
    add_list(service, "pl2")
    for n in range(4):
        add_item(service, f"i{n}", item_id=f"sku{n % 2}")
    add_item(service, "j0", list_id="pl2", item_type=ItemType.MODIFIER)
    service.delete_item("i2")
    assert service.list_items().total == 5
    assert [it.id for it in service.list_items(price_list_id="pl", limit=2).items] == ["i0", "i1"]
    assert [it.id for it in service.list_items(item_id="sku0").items] == ["i0", "i2"]
    assert [it.id for it in service.list_items(is_active=False).items] == ["i2"]
    assert [it.id for it in service.list_items(item_type=ItemType.MODIFIER).items] == ["j0"]
    with pytest.raises(InvalidValueError) as info:
        service.list_items(limit=0)
    assert info.value.field == "limit"


# -- bulk -------------------------------------------------------------------------------


def test_bulk_create_all_valid(service: PricingService) -> None:
    add_list(service)
    rows = [
        {"id": f"b{n}", "price_list_id": "pl", "item_id": f"sku{n}", "price": usd("1.00")}
        for n in range(3)
    ]
    created = service.bulk_create_items(rows)
    assert [it.id for it in created] == ["b0", "b1", "b2"]
    assert all(it.created_at == T0 for it in created)
    assert service.list_items().total == 3
    assert service.resolve(query("sku1")).price_list_item_id == "b1"


def test_bulk_create_with_one_bad_row_writes_nothing(service: PricingService) -> None:
    add_list(service)
    rows = [
        {"id": "b0", "price_list_id": "pl", "item_id": "a", "price": usd("1.00")},
        {"id": "b1", "price_list_id": "pl", "item_id": "b", "price": usd("1.00"), "min_qty": 0},
        {"id": "b2", "price_list_id": "pl", "item_id": "c", "price": usd("1.00")},
    ]
    with pytest.raises(BulkValidationError) as info:
        service.bulk_create_items(rows)
    assert info.value.indexes == (1,)
    assert [e.field for e in info.value.errors] == ["rows[1].min_qty"]
    assert service.list_items().total == 0
    assert service.resolve(query("a")).source is PriceSource.BASE_PRICE


def test_bulk_create_reports_every_bad_row_by_index(service: PricingService) -> None:
    add_list(service)
    add_item(service, "existing")
    good = {"price_list_id": "pl", "item_id": "x", "price": usd("1.00")}
    rows: list[Any] = [
        {**good, "id": "r0"},
        {**good, "id": "r1", "price": Money.of("1.00", "EUR")},
        {**good, "id": "r2", "price_list_id": "ghost"},
        {**good, "id": "r3", "min_qty": -2, "priority": 1001},
        {**good, "id": "r0"},
        {**good, "id": "existing"},
        {**good, "id": "r6"},
        "not a row",
        {**good, "id": "r8", "channel": "pos"},
        {**good, "id": "r9", "min_qty": 0, "price": Money.of("2.00", "EUR")},
    ]
    with pytest.raises(BulkValidationError) as info:
        service.bulk_create_items(rows)
    error = info.value
    assert isinstance(error, ModelValidationError)
    assert isinstance(error, ValueError)
    assert isinstance(error, PricekitError)
    fields = [e.field for e in error.errors]
    assert fields == [
        "rows[1].price",
        "rows[2].price_list_id",
        "rows[3].min_qty",
        "rows[3].priority",
        "rows[4].id",
        "rows[5].id",
        "rows[7]",
        "rows[8].channel",
        "rows[9].min_qty",
        "rows[9].price",
    ]
    assert error.indexes == (1, 2, 3, 4, 5, 7, 8, 9)
    assert error.rows[1] == RowError(2, "price_list_id", "ghost", error.rows[1].reason)
    assert "rows[0]" in error.rows[4].reason
    assert "rows[1].price" in str(error)
    assert service.list_items().total == 1  # only the item created before


def test_bulk_create_of_nothing(service: PricingService) -> None:
    assert service.bulk_create_items([]) == []


# -- scopes -----------------------------------------------------------------------------


def test_scopes(service: PricingService) -> None:
    add_list(service)
    add_list(service, "pl2")
    service.create_price_list({"id": "other", "business_id": "b2", "name": "O", "currency": "USD"})
    extra = service.create_scope({"price_list_id": "pl", "location_id": "store-1"})
    service.create_scope({"id": "s-other", "price_list_id": "other"})
    assert {s.id for s in service.list_scopes(price_list_id="pl")} == {"scope-pl", extra.id}
    assert {s.id for s in service.list_scopes(business_id="biz")} == {
        "scope-pl",
        "scope-pl2",
        extra.id,
    }
    assert [s.id for s in service.list_scopes(business_id="biz", price_list_id="pl2")] == [
        "scope-pl2"
    ]
    assert service.list_scopes(business_id="b2", price_list_id="pl") == []
    assert service.delete_scope(extra.id) == extra
    with pytest.raises(NotFoundError) as info:
        service.delete_scope(extra.id)
    assert (info.value.entity, info.value.id) == ("price_list_scope", extra.id)
    with pytest.raises(InvalidValueError) as info2:
        service.list_scopes()
    assert info2.value.field == "price_list_id"


def test_scope_bad_input(service: PricingService) -> None:
    add_list(service)
    with pytest.raises(NotFoundError) as info:
        service.create_scope({"price_list_id": "ghost"})
    assert (info.value.entity, info.value.id) == ("price_list", "ghost")
    with pytest.raises(ModelValidationError) as info2:
        service.create_scope({"price_list_id": "pl", "channel": "fax"})
    assert info2.value.field == "channel"
    with pytest.raises(ConflictError) as info3:
        service.create_scope({"id": "scope-pl", "price_list_id": "pl", "location_id": "x"})
    assert info3.value.entity == "price_list_scope"
    assert len(service.list_scopes(price_list_id="pl")) == 1


# -- resolution -------------------------------------------------------------------------


def test_feature_flag_off_returns_the_base_price(cache: RecordingCache, clock: ManualClock) -> None:
    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        cache=cache,
        clock=clock,
    )
    assert service.settings.enable_price_lists is False
    add_list(service)
    add_item(service, "i1")
    result = service.resolve(query())
    assert result.source is PriceSource.BASE_PRICE
    assert result.unit_price == usd("25.99")
    assert result.price_list_id is None
    assert service.resolve(query(), explain=True).trace == ()
    assert [r.source for r in service.resolve_many([query(), query("x")])] == [
        PriceSource.BASE_PRICE
    ] * 2
    assert cache.stats() == CacheStats()


def test_the_seed_example(service: PricingService) -> None:
    add_list(service, priority=200)
    add_item(service, "i-tier", min_qty=5)
    add_item(service, "i-one", price=usd("25.00"))
    result = service.resolve(query(quantity=5))
    assert result.to_dict()["unitPrice"] == Decimal("23.99")
    assert result.to_dict()["unitPriceMinor"] == "2399"
    assert (result.source, result.priority, result.min_qty) == (
        PriceSource.PRICE_LIST,
        200,
        Decimal(5),
    )
    assert service.resolve(query(quantity=2)).price_list_item_id == "i-one"
    explained = service.resolve(query(quantity=5), explain=True)
    assert explained.trace is not None
    assert len(explained.trace) == 2


def test_resolution_sees_updates_and_soft_deletes_through_a_patched_book(
    service: PricingService, lists: CountingLists
) -> None:
    add_list(service)
    add_item(service, "i1")
    add_item(service, "i2", price=usd("20.00"), priority=5)
    assert service.resolve(query()).price_list_item_id == "i2"
    book = service.price_book("biz")
    assert lists.loads == 1

    service.patch_item("i2", price=usd("18.00"))
    assert service.resolve(query()).unit_price == usd("18.00")
    service.delete_item("i2")
    assert service.resolve(query()).price_list_item_id == "i1"
    service.update_item("i1", {"price_list_id": "pl", "item_id": "sku", "price": usd("9.99")})
    assert service.resolve(query()).unit_price == usd("9.99")
    service.patch_price_list("pl", valid_to=AT)
    assert service.resolve(query()).source is PriceSource.BASE_PRICE
    service.patch_price_list("pl", valid_to=None)
    service.delete_scope("scope-pl")
    assert service.resolve(query()).source is PriceSource.BASE_PRICE
    service.create_scope({"price_list_id": "pl", "location_id": "store-1"})
    assert service.resolve(query(location_id="store-1")).unit_price == usd("9.99")
    assert service.resolve(query()).source is PriceSource.BASE_PRICE

    assert service.price_book("biz") is not book
    assert lists.loads == 1  # patched every time, never rebuilt


def test_new_item_in_another_list_for_a_cached_item_is_seen(service: PricingService) -> None:
    # The cached answer for sku was indexed under list "pl" only: the write to "vip"
    # must still drop it (it does, by invalidating the item).
    add_list(service)
    add_list(service, "vip", priority=500)
    add_item(service, "i1")
    assert service.resolve(query()).price_list_id == "pl"
    assert service.resolve(query()).price_list_id == "pl"  # a cache hit
    add_item(service, "v1", list_id="vip", price=usd("15.00"))
    assert service.resolve(query()).price_list_item_id == "v1"
    service.bulk_create_items(
        [
            {
                "id": "b1",
                "price_list_id": "vip",
                "item_id": "sku",
                "price": usd("14.00"),
                "priority": 9,
            }
        ]
    )
    assert service.resolve(query()).price_list_item_id == "b1"


def test_new_item_for_an_item_cached_at_base_price_is_seen(service: PricingService) -> None:
    add_list(service)
    assert service.resolve(query()).source is PriceSource.BASE_PRICE
    assert service.resolve(query()).source is PriceSource.BASE_PRICE
    add_item(service, "i1")
    assert service.resolve(query()).price_list_item_id == "i1"


def test_resolve_many(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    results = service.resolve_many([query(), query("other", base="3.00")])
    assert [r.source for r in results] == [PriceSource.PRICE_LIST, PriceSource.BASE_PRICE]
    assert results[1].unit_price == usd("3.00")


def test_markdowns_override(clock: ManualClock) -> None:
    class Markdowns:
        def active_markdown(self, **kwargs: Any) -> MarkdownPrice | None:
            return MarkdownPrice(wave_id="w1", price=usd("10.00"))

    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        markdowns=Markdowns(),
        clock=clock,
        settings=PricingSettings(enable_price_lists=True),
    )
    add_list(service)
    add_item(service, "i1")
    result = service.resolve(query())
    assert (result.source, result.markdown_wave_id) == (PriceSource.MARKDOWN, "w1")
    assert result.original_price == usd("23.99")


# -- cache ------------------------------------------------------------------------------


def _fill(service: PricingService) -> None:
    """Lists A and B, with items for a1, a2 (in A) and b1 (in B), all resolved once."""
    add_list(service, "A")
    add_list(service, "B")
    add_item(service, "ia1", list_id="A", item_id="a1")
    add_item(service, "ia2", list_id="A", item_id="a2")
    add_item(service, "ib1", list_id="B", item_id="b1")
    for sku in ("a1", "a2", "b1"):
        service.resolve(query(sku))


def _hit(service: PricingService, sku: str) -> bool:
    before = service.cache_stats().hits
    service.resolve(query(sku))
    return service.cache_stats().hits == before + 1


def test_writes_invalidate_exactly_what_they_affect(
    service: PricingService, cache: RecordingCache
) -> None:
    _fill(service)
    assert service.cache_stats().entries == 3

    cache.calls.clear()
    service.patch_price_list("A", priority=1)
    assert cache.calls == [("lists", ["A"])]
    assert service.cache_stats().entries == 1
    assert _hit(service, "b1")
    assert not _hit(service, "a1")
    assert not _hit(service, "a2")

    cache.calls.clear()
    service.patch_item("ia1", price=usd("1.00"))
    assert cache.calls == [("items", ("biz", [(ItemType.PRODUCT, "a1")]))]
    assert _hit(service, "a2")  # same list, other item: untouched
    assert _hit(service, "b1")
    assert not _hit(service, "a1")

    cache.calls.clear()
    service.patch_item("ia2", item_id="a3")  # moved: both items' entries go
    assert cache.calls == [("items", ("biz", [(ItemType.PRODUCT, "a2"), (ItemType.PRODUCT, "a3")]))]

    cache.calls.clear()
    service.create_scope({"id": "s-loc", "price_list_id": "B", "location_id": "x"})
    service.delete_scope("s-loc")
    service.delete_price_list("B")
    assert cache.calls == [("lists", ["B"])] * 3

    cache.calls.clear()
    service.delete_item("ia1")
    service.bulk_create_items(
        [
            {"id": "n1", "price_list_id": "A", "item_id": "a1", "price": usd("2.00")},
            {"id": "n2", "price_list_id": "B", "item_id": "b9", "price": usd("2.00")},
        ]
    )
    assert cache.calls == [
        ("items", ("biz", [(ItemType.PRODUCT, "a1")])),
        ("items", ("biz", [(ItemType.PRODUCT, "a1"), (ItemType.PRODUCT, "b9")])),
    ]


def test_failed_writes_invalidate_nothing(service: PricingService, cache: RecordingCache) -> None:
    _fill(service)
    cache.calls.clear()
    with pytest.raises(ConflictError):
        add_item(service, "ia1", list_id="A", item_id="zz")
    with pytest.raises(ModelValidationError):
        service.patch_price_list("A", priority=-1)
    with pytest.raises(BulkValidationError):
        service.bulk_create_items([{"price_list_id": "A", "item_id": "q", "price": 1}])
    assert cache.calls == []
    assert service.cache_stats().entries == 3


def test_cache_stats_and_clear(service: PricingService, cache: RecordingCache) -> None:
    _fill(service)
    service.resolve(query("a1"))
    stats = service.cache_stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 3, 3)
    assert service.clear_cache("other-biz") == 0
    assert service.clear_cache("biz") == 3
    assert service.cache_stats().entries == 0


def test_cache_disabled_never_touches_the_cache(cache: RecordingCache, clock: ManualClock) -> None:
    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        cache=cache,
        clock=clock,
        settings=PricingSettings(enable_price_lists=True, price_cache_enabled=False),
    )
    add_list(service)
    add_item(service, "i1")
    for _ in range(3):
        assert service.resolve(query()).price_list_item_id == "i1"
    assert cache.stats() == CacheStats()


def test_no_cache_when_disabled_and_none_given(clock: ManualClock) -> None:
    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        clock=clock,
        settings=PricingSettings(enable_price_lists=True, price_cache_enabled=False),
    )
    assert service.cache is None
    add_list(service)
    add_item(service, "i1")
    assert service.resolve(query()).price_list_item_id == "i1"
    assert service.cache_stats() == CacheStats()
    assert service.clear_cache("biz") == 0


def test_default_cache_uses_the_settings_ttl(clock: ManualClock) -> None:
    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        clock=clock,
        settings=PricingSettings(enable_price_lists=True, price_cache_ttl=timedelta(seconds=30)),
    )
    assert isinstance(service.cache, InMemoryPriceCache)
    add_list(service)
    add_item(service, "i1")
    service.resolve(query())
    clock.advance(timedelta(seconds=29))
    service.resolve(query())
    assert service.cache_stats().hits == 1
    clock.advance(timedelta(seconds=2))
    service.resolve(query())
    stats = service.cache_stats()
    assert (stats.hits, stats.expirations) == (1, 1)


def test_a_failing_cache_never_breaks_resolution(clock: ManualClock) -> None:
    class Broken(RecordingCache):
        def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
            raise ConnectionError("cache down")

    service = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        cache=Broken(InMemoryPriceCache(clock=clock)),
        clock=clock,
        settings=PricingSettings(enable_price_lists=True),
    )
    add_list(service)
    add_item(service, "i1")
    assert service.resolve(query()).price_list_item_id == "i1"
    assert service.cache_stats().errors == 1


def test_refresh_sees_writes_made_elsewhere(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    assert service.resolve(query()).unit_price == usd("23.99")
    items = service._items  # the repository, written to directly as another process would
    stored = service.get_item("i1")
    items.replace(stored.evolve(price=usd("5.00")))
    assert service.resolve(query()).unit_price == usd("23.99")  # still the compiled book
    service.refresh("biz")
    assert service.resolve(query()).unit_price == usd("5.00")
    service.refresh()


def test_books_are_per_business(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    service.create_price_list(
        {"id": "other", "business_id": "b2", "name": "O", "currency": "USD", "priority": 9}
    )
    service.create_scope({"price_list_id": "other"})
    service.create_item(
        {"id": "o1", "price_list_id": "other", "item_id": "sku", "price": usd("1.00")}
    )
    assert service.resolve(query()).price_list_item_id == "i1"
    assert service.resolve(query(business_id="b2")).price_list_item_id == "o1"
    assert set(service.price_book("b2").lists) == {"other"}


def test_resolve_many_is_a_sequence_of_resolve(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i1")
    queries: Sequence[PriceQuery] = [query(quantity=n) for n in range(1, 4)]
    assert service.resolve_many(queries) == [service.resolve(q) for q in queries]


def test_concurrent_writes_and_resolutions_smoke(service: PricingService) -> None:
    add_list(service)
    add_item(service, "i0", item_id="sku0")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            for k in range(20):
                add_item(service, f"w{n}-{k}", item_id=f"sku{n}", priority=k)
        except BaseException as exc:  # collected and asserted on
            errors.append(exc)

    def reader() -> None:
        barrier.wait()
        try:
            for _ in range(200):
                service.resolve(query("sku0"))
                service.resolve(query("sku1"))
        except BaseException as exc:  # collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert service.list_items().total == 61
    for n in range(3):
        assert service.resolve(query(f"sku{n}")).price_list_item_id == f"w{n}-19"
