"""Unit tests for pricekit.markdowns.service: lifecycle, staggered rollout, reversal, queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricekit.catalog import Catalog, Category, Collection, Product, Variant
from pricekit.errors import (
    ConfirmationRequiredError,
    ConflictError,
    InvalidStateTransitionError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
    PricekitError,
)
from pricekit.markdowns import (
    ExclusionReason,
    HistoryAction,
    MarkdownService,
    WaveLocationStatus,
    WaveStatus,
)
from pricekit.markdowns.ports import SaleLine
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryInventory,
    InMemoryLocationDirectory,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
    InMemorySalesLedger,
)
from pricekit.money import Money
from pricekit.pricing import PriceQuery, PriceSource, PricingService, PricingSettings
from pricekit.pricing.cache import InMemoryPriceCache
from pricekit.pricing.models import ItemType
from pricekit.time import ManualClock

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
BIZ = "biz"


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def catalog() -> Catalog:
    return Catalog(
        categories=[
            Category(id="apparel", name="Apparel"),
            Category(id="tees", name="Tees", parent_id="apparel"),
            Category(id="food", name="Food"),
        ],
        collections=[Collection(id="summer", name="Summer")],
        products=[
            Product(id="tee", name="Tee", category_id="tees", collection_ids=frozenset({"summer"})),
            Product(id="cap", name="Cap", category_id="apparel"),
            Product(id="jam", name="Jam", category_id="food"),
        ],
        variants=[
            Variant(id="tee-m", product_id="tee", sku="T-M", price=usd("20.00"), cost=usd("8.00")),
            Variant(id="tee-l", product_id="tee", sku="T-L", price=usd("22.00"), cost=usd("8.00")),
            Variant(id="cap-1", product_id="cap", sku="C-1", price=usd("12.00"), cost=usd("9.50")),
            Variant(id="jam-1", product_id="jam", price=usd("5.00")),
        ],
    )


class World:
    """A markdown service over in-memory adapters, with a manual clock."""

    def __init__(self, *, with_directory: bool = True) -> None:
        self.clock = ManualClock(T0)
        self.catalog = InMemoryCatalogRepository(catalog())
        self.plans = InMemoryMarkdownPlanRepository()
        self.waves = InMemoryMarkdownWaveRepository()
        self.history = InMemoryMarkdownHistoryRepository()
        self.directory = InMemoryLocationDirectory({BIZ: {"s1": True, "s2": True, "s3": True}})
        self.inventory = InMemoryInventory()
        self.sales = InMemorySalesLedger()
        self.cache = InMemoryPriceCache(clock=self.clock)
        self.service = MarkdownService(
            plans=self.plans,
            waves=self.waves,
            history=self.history,
            catalog=self.catalog,
            locations=self.directory if with_directory else None,
            inventory=self.inventory,
            sales=self.sales,
            price_cache=self.cache,
            clock=self.clock,
        )
        self.plan = self.service.create_plan({"id": "spring", "business_id": BIZ, "name": "Spring"})

    def wave(self, **fields: Any) -> Any:
        data: dict[str, Any] = {
            "id": "w1",
            "name": "First cut",
            "method": "percent",
            "value": Decimal(25),
            "reason": "seasonal_clearance",
            "currency": "USD",
            "scopes": [{"type": "category", "ids": ["apparel"]}],
            "locations": [{"location_id": "s1"}],
        }
        data.update(fields)
        return self.service.create_wave("spring", data)

    def price(self, variant_id: str, location_id: str | None = "s1") -> Money | None:
        found = self.service.active_markdown_for_variant(BIZ, variant_id, location_id=location_id)
        return None if found is None else found.price


# -- plans ---------------------------------------------------------------------------------


def test_plan_crud_and_activation_flags() -> None:
    world = World()
    service = world.service
    assert world.plan.created_at == T0
    world.clock.advance(timedelta(minutes=5))
    renamed = service.update_plan("spring", name="Spring 2026")
    assert renamed.name == "Spring 2026"
    assert renamed.updated_at == T0 + timedelta(minutes=5)
    assert service.deactivate_plan("spring").is_active is False
    assert service.list_plans(BIZ, is_active=False).total == 1
    assert service.activate_plan("spring").is_active is True
    with pytest.raises(InvalidValueError) as info:
        service.update_plan("spring", is_active=False)
    assert info.value.field == "is_active"
    with pytest.raises(NotFoundError):
        service.get_plan("nope")


def test_a_plan_with_an_active_wave_cannot_be_deleted() -> None:
    world = World()
    world.wave()
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(ConflictError) as info:
        world.service.delete_plan("spring")
    assert "w1" in str(info.value)
    assert world.service.get_plan("spring").id == "spring"
    world.service.reverse("w1")
    world.service.delete_plan("spring")
    assert world.plans.get("spring") is None
    assert world.waves.get("w1") is None


def test_deleting_a_plan_deletes_its_draft_waves() -> None:
    world = World()
    world.wave()
    world.wave(id="w2")
    world.service.delete_plan("spring")
    assert world.waves.get("w1") is None
    assert world.waves.items("w2") == []


# -- creating and changing waves ----------------------------------------------------------


def test_create_wave_materialises_items_in_draft() -> None:
    world = World()
    wave = world.wave(scopes=[{"type": "category", "ids": ["apparel"]}])
    assert wave.status is WaveStatus.DRAFT
    assert wave.business_id == BIZ
    assert wave.created_at == T0
    items = world.service.wave_items("w1")
    assert [i.variant_id for i in items] == ["cap-1", "tee-l", "tee-m"]
    assert {i.variant_id: i.markdown_price for i in items} == {
        "cap-1": usd("9.00"),
        "tee-l": usd("16.50"),
        "tee-m": usd("15.00"),
    }
    cap = items[0]
    assert cap.below_cost  # 9.00 under a cost of 9.50
    # nothing is in effect before activation
    assert world.price("tee-m") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": Decimal(0)}, "value"),
        ({"value": Decimal(150)}, "value"),
        ({"method": "amount", "value": Decimal(-1)}, "value"),
        ({"floor_price": {"amount": "5.00", "currency": "EUR"}}, "floor_price"),
        ({"locations": [{"location_id": "s1", "activate_at": "2026-03-02T09:00:00"}]}, "locations"),
        ({"scopes": []}, "scopes"),
        ({"scopes": [{"type": "category", "ids": []}]}, "scopes"),
    ],
)
def test_bad_waves_are_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    world = World()
    with pytest.raises(ModelValidationError) as info:
        world.wave(**fields)
    assert any(error.field.startswith(field) for error in info.value.errors)
    assert world.waves.get("w1") is None


@pytest.mark.parametrize(
    ("fields", "entity"),
    [
        ({"scopes": [{"type": "variant", "ids": ["ghost"]}]}, "variant"),
        ({"scopes": [{"type": "product", "ids": ["ghost"]}]}, "product"),
        ({"scopes": [{"type": "category", "ids": ["ghost"]}]}, "category"),
        ({"locations": [{"location_id": "mars"}]}, "location"),
    ],
)
def test_unknown_ids_are_refused(fields: dict[str, Any], entity: str) -> None:
    world = World()
    with pytest.raises(NotFoundError) as info:
        world.wave(**fields)
    assert info.value.entity == entity
    assert world.waves.get("w1") is None


def test_unknown_plan_and_reserved_fields_are_refused() -> None:
    world = World()
    with pytest.raises(NotFoundError):
        world.service.create_wave("ghost", {"name": "x"})
    with pytest.raises(InvalidValueError) as info:
        world.wave(status="active")
    assert info.value.field == "status"
    with pytest.raises(InvalidValueError) as info:
        world.wave(business_id="other")
    assert info.value.field == "business_id"
    with pytest.raises(InvalidValueError) as info:
        world.wave(locations=[{"location_id": "s1", "status": "active"}])
    assert info.value.field == "locations"


def test_scopes_that_cover_nothing_active_are_refused() -> None:
    world = World()
    world.catalog.save(variants=[catalog().variants["jam-1"].evolve(active=False)])
    with pytest.raises(InvalidValueError) as info:
        world.wave(scopes=[{"type": "category", "ids": ["food"]}])
    assert info.value.field == "scopes"


def test_update_reprices_a_draft_and_refuses_anything_else() -> None:
    world = World()
    world.wave()
    world.clock.advance(timedelta(hours=1))
    updated = world.service.update_wave("w1", value=Decimal(50))
    assert updated.updated_at == T0 + timedelta(hours=1)
    prices = {i.variant_id: i.markdown_price for i in world.service.wave_items("w1")}
    assert prices["tee-m"] == usd("10.00")
    world.service.update_wave("w1", name="renamed")  # no re-pricing needed, still correct
    assert world.service.wave_items("w1")[2].markdown_price == usd("10.00")
    with pytest.raises(InvalidValueError):
        world.service.update_wave("w1", status="active")
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(InvalidStateTransitionError) as info:
        world.service.update_wave("w1", value=Decimal(10))
    assert info.value.current == "active"
    assert world.service.wave_items("w1")[2].markdown_price == usd("10.00")


def test_delete_only_in_draft_or_scheduled() -> None:
    world = World()
    world.wave()
    world.service.delete_wave("w1")
    world.wave(locations=[{"location_id": "s1", "activate_at": T0 + timedelta(days=1)}])
    world.service.activate("w1", confirm_below_cost=True)
    assert world.service.get_wave("w1").status is WaveStatus.SCHEDULED
    world.service.delete_wave("w1")
    world.wave()
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(InvalidStateTransitionError):
        world.service.delete_wave("w1")


def test_a_scheduled_wave_in_effect_somewhere_must_be_reversed_not_deleted() -> None:
    world = World()
    world.wave(
        locations=[
            {"location_id": "s1"},
            {"location_id": "s2", "activate_at": T0 + timedelta(days=1)},
        ]
    )
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(ConflictError) as info:
        world.service.delete_wave("w1")
    assert "s1" in str(info.value)
    assert world.price("tee-m") == usd("15.00")


# -- activation ------------------------------------------------------------------------------


def test_below_cost_items_need_confirmation_and_are_listed() -> None:
    world = World()
    world.wave()
    with pytest.raises(ConfirmationRequiredError) as info:
        world.service.activate("w1")
    assert [item["variant_id"] for item in info.value.items] == ["cap-1"]  # type: ignore[index]
    wave = world.service.get_wave("w1")
    assert wave.status is WaveStatus.DRAFT
    assert world.history.for_wave("w1").total == 0
    result = world.service.activate("w1", confirm_below_cost=True)
    assert result.wave.status is WaveStatus.ACTIVE
    assert result.activated == ("s1",)
    assert world.price("cap-1") == usd("9.00")


def test_excluded_items_do_not_need_confirmation_and_never_apply() -> None:
    world = World()
    world.wave(min_margin_percent=Decimal(10))
    items = {i.variant_id: i for i in world.service.wave_items("w1")}
    assert items["cap-1"].exclusion_reason is ExclusionReason.BELOW_MIN_MARGIN
    world.service.activate("w1")  # the below-cost item is excluded: nothing to confirm
    assert world.price("cap-1") is None
    assert world.price("tee-m") == usd("15.00")


def test_staggered_rollout_activates_each_location_when_due() -> None:
    world = World()
    tomorrow = T0 + timedelta(days=1)
    world.wave(
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
        locations=[
            {"location_id": "s1"},
            {"location_id": "s2", "activate_at": tomorrow},
            {"location_id": "s3", "activate_at": tomorrow + timedelta(hours=2)},
        ],
    )
    result = world.service.activate("w1")
    assert result.wave.status is WaveStatus.SCHEDULED
    assert result.activated == ("s1",)
    assert result.pending == ("s2", "s3")
    assert world.price("tee-m", "s1") == usd("15.00")
    assert world.price("tee-m", "s2") is None

    assert world.service.activate_due(tomorrow - timedelta(seconds=1)) == []
    world.directory.deactivate(BIZ, "s3")
    world.clock.set(tomorrow)
    (first,) = world.service.activate_due()
    assert first.activated == ("s2",)
    assert first.wave.status is WaveStatus.SCHEDULED
    assert world.price("tee-m", "s2") == usd("15.00")

    (second,) = world.service.activate_due(tomorrow + timedelta(hours=3))
    assert second.skipped == ("s3",)
    assert second.wave.status is WaveStatus.ACTIVE
    statuses = {loc.location_id: loc.status for loc in world.service.get_wave("w1").locations}
    assert statuses == {
        "s1": WaveLocationStatus.ACTIVE,
        "s2": WaveLocationStatus.ACTIVE,
        "s3": WaveLocationStatus.SKIPPED,
    }
    assert world.price("tee-m", "s3") is None
    skips = [e for e in world.history.for_wave("w1").items if e.action is HistoryAction.SKIPPED]
    assert [(e.location_id, e.note) for e in skips] == [("s3", "business location is deactivated")]
    # running the job again changes nothing
    assert world.service.activate_due(tomorrow + timedelta(days=5)) == []


def test_activate_due_refuses_a_naive_now_and_waits_for_an_inactive_plan() -> None:
    world = World()
    world.wave(locations=[{"location_id": "s1", "activate_at": T0 + timedelta(hours=1)}])
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(InvalidValueError) as info:
        world.service.activate_due(datetime(2026, 3, 2))
    assert info.value.field == "now"
    world.service.deactivate_plan("spring")
    assert world.service.activate_due(T0 + timedelta(hours=2)) == []
    world.service.activate_plan("spring")
    (result,) = world.service.activate_due(T0 + timedelta(hours=2))
    assert result.wave.status is WaveStatus.ACTIVE


def test_an_inactive_plan_cannot_activate_a_wave() -> None:
    world = World()
    world.wave()
    world.service.deactivate_plan("spring")
    with pytest.raises(ConflictError):
        world.service.activate("w1", confirm_below_cost=True)
    assert world.service.get_wave("w1").status is WaveStatus.DRAFT


def test_activating_twice_is_refused() -> None:
    world = World()
    world.wave()
    world.service.activate("w1", confirm_below_cost=True)
    with pytest.raises(InvalidStateTransitionError) as info:
        world.service.activate("w1", confirm_below_cost=True)
    assert (info.value.current, info.value.requested) == ("active", "activate")


def test_a_wave_without_locations_applies_everywhere() -> None:
    world = World()
    world.wave(locations=[], scopes=[{"type": "variant", "ids": ["tee-m"]}])
    result = world.service.activate("w1")
    assert result.activated == ("*",)
    assert result.wave.status is WaveStatus.ACTIVE
    assert world.price("tee-m", "s1") == usd("15.00")
    assert world.price("tee-m", "anywhere") == usd("15.00")
    assert world.price("tee-m", None) == usd("15.00")
    world.service.reverse("w1")
    assert world.price("tee-m", None) is None


# -- compounding and reversal ------------------------------------------------------------------


def test_compound_stacks_and_reversal_restores_the_markdown_underneath() -> None:
    world = World()
    world.wave(scopes=[{"type": "product", "ids": ["tee"]}])
    world.service.activate("w1")
    world.clock.advance(timedelta(days=7))
    second = world.wave(id="w2", mode="compound", stage="mid")
    items = {i.variant_id: i for i in world.service.wave_items("w2")}
    assert items["tee-m"].markdown_price == usd("11.25")  # 43.75% off 20.00
    assert items["tee-m"].stacked_on_wave_id == "w1"
    assert items["cap-1"].stacked_on_wave_id is None  # not marked down by w1
    assert items["cap-1"].markdown_price == usd("9.00")
    assert second.stage == "mid"
    world.service.activate("w2", confirm_below_cost=True)
    assert world.price("tee-m") == usd("11.25")

    world.clock.advance(timedelta(days=1))
    reversal = world.service.reverse("w2")
    assert reversal.reversed == ("s1",)
    assert world.price("tee-m") == usd("15.00")  # w1 is back on top
    assert world.price("cap-1") is None
    entries = {
        (e.variant_id, e.action): e
        for e in world.history.for_wave("w2").items
        if e.variant_id is not None
    }
    reversed_tee = entries["tee-m", HistoryAction.REVERSED]
    assert (reversed_tee.price_before, reversed_tee.price_after) == (usd("11.25"), usd("15.00"))
    activated_tee = entries["tee-m", HistoryAction.ACTIVATED]
    assert (activated_tee.price_before, activated_tee.price_after) == (usd("15.00"), usd("11.25"))

    world.service.reverse("w1")
    assert world.price("tee-m") is None
    with pytest.raises(InvalidStateTransitionError):
        world.service.reverse("w1")


def test_reverse_takes_back_active_locations_and_skips_pending_ones() -> None:
    world = World()
    world.wave(
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
        locations=[
            {"location_id": "s1"},
            {"location_id": "s2", "activate_at": T0 + timedelta(days=3)},
        ],
    )
    world.service.activate("w1")
    world.clock.advance(timedelta(hours=1))
    result = world.service.reverse("w1")
    assert (result.reversed, result.skipped) == (("s1",), ("s2",))
    wave = result.wave
    assert wave.status is WaveStatus.REVERSED
    assert wave.reversed_at == T0 + timedelta(hours=1)
    by_location = {loc.location_id: loc for loc in wave.locations}
    assert by_location["s1"].status is WaveLocationStatus.REVERSED
    assert by_location["s1"].reversed_at == T0 + timedelta(hours=1)
    assert by_location["s2"].status is WaveLocationStatus.SKIPPED
    # the pending location never activates now
    assert world.service.activate_due(T0 + timedelta(days=4)) == []
    assert world.price("tee-m", "s2") is None
    assert world.service.get_wave("w1") == wave


def test_draft_waves_cannot_be_reversed() -> None:
    world = World()
    world.wave()
    with pytest.raises(InvalidStateTransitionError) as info:
        world.service.reverse("w1")
    assert info.value.current == "draft"


def test_replace_overrides_and_the_last_activation_wins_per_location() -> None:
    world = World()
    world.wave(
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
        locations=[{"location_id": "s1"}, {"location_id": "s2"}],
    )
    world.service.activate("w1")
    world.clock.advance(timedelta(hours=1))
    world.wave(
        id="w2",
        value=Decimal(10),
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
        locations=[{"location_id": "s2"}],
    )
    world.service.activate("w2")
    assert world.price("tee-m", "s1") == usd("15.00")
    assert world.price("tee-m", "s2") == usd("18.00")  # replace, from the regular 20.00
    world.service.reverse("w1")
    assert world.price("tee-m", "s1") is None
    assert world.price("tee-m", "s2") == usd("18.00")


# -- queries --------------------------------------------------------------------------------


def test_variant_history_and_active_markdown_details() -> None:
    world = World()
    world.wave(scopes=[{"type": "variant", "ids": ["tee-m"]}])
    world.service.activate("w1")
    found = world.service.active_markdown_for_variant(BIZ, "tee-m", location_id="s1")
    assert found is not None
    assert (found.wave_id, found.plan_id, found.since) == ("w1", "spring", T0)
    assert (found.regular_price, found.base_price, found.price) == (
        usd("20.00"),
        usd("20.00"),
        usd("15.00"),
    )
    assert world.service.active_markdown_for_variant(BIZ, "tee-m", at=T0) is None  # no location
    before = world.service.active_markdown_for_variant(
        BIZ, "tee-m", location_id="s1", at=T0 - timedelta(seconds=1)
    )
    assert before is None
    world.clock.advance(timedelta(days=1))
    world.service.reverse("w1")
    history = world.service.variant_history(BIZ, "tee-m")
    assert [(e.action, e.at) for e in history.items] == [
        (HistoryAction.ACTIVATED, T0),
        (HistoryAction.REVERSED, T0 + timedelta(days=1)),
    ]


def test_the_index_reloads_from_the_repositories() -> None:
    world = World()
    world.wave(scopes=[{"type": "variant", "ids": ["tee-m"]}])
    world.service.activate("w1")
    fresh = MarkdownService(
        plans=world.plans,
        waves=world.waves,
        history=world.history,
        catalog=world.catalog,
        clock=world.clock,
    )
    found = fresh.active_markdown_for_variant(BIZ, "tee-m", location_id="s1")
    assert found is not None
    assert found.price == usd("15.00")
    world.service.reverse("w1")
    assert fresh.active_markdown_for_variant(BIZ, "tee-m", location_id="s1") is not None
    fresh.refresh(BIZ)
    assert fresh.active_markdown_for_variant(BIZ, "tee-m", location_id="s1") is None


def test_price_resolution_sees_markdowns_and_the_cache_is_cleared() -> None:
    world = World()
    pricing = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        cache=world.cache,
        markdowns=world.service,
        clock=world.clock,
        settings=PricingSettings(enable_price_lists=True),
    )
    query = PriceQuery(
        business_id=BIZ,
        location_id="s1",
        channel="pos",
        item_type=ItemType.PRODUCT,
        item_id="tee-m",
        baseCurrencyId="USD",
        base_price=usd("20.00"),
        at=T0,
    )
    assert pricing.resolve(query).source is PriceSource.BASE_PRICE
    assert pricing.resolve(query).source is PriceSource.BASE_PRICE  # now served from the cache
    assert world.cache.stats().hits >= 1
    world.wave(scopes=[{"type": "variant", "ids": ["tee-m"]}])
    world.service.activate("w1")
    assert len(world.cache) == 0
    resolved = pricing.resolve(query)
    assert resolved.source is PriceSource.MARKDOWN
    assert resolved.unit_price == usd("15.00")
    assert resolved.markdown_wave_id == "w1"
    assert resolved.original_price == usd("20.00")
    world.service.reverse("w1")
    assert pricing.resolve(query).unit_price == usd("20.00")
    other = query.model_copy(update={"item_type": ItemType.SERVICE})
    assert (
        world.service.active_markdown(
            business_id=BIZ, item_type=other.item_type, item_id="tee-m", location_id="s1", at=T0
        )
        is None
    )


# -- preview, export and reports ----------------------------------------------------------


def test_preview_uses_stock_at_the_wave_locations() -> None:
    world = World()
    world.inventory.set_on_hand(BIZ, "s1", "tee-m", 10)
    world.inventory.set_on_hand(BIZ, "s2", "tee-m", 100)  # not one of the wave's locations
    world.wave(scopes=[{"type": "variant", "ids": ["tee-m"]}])
    preview = world.service.preview("w1")
    assert preview.value_impact == usd("50.00")
    assert world.history.for_wave("w1").total == 0
    assert world.service.get_wave("w1").status is WaveStatus.DRAFT


def test_export_streams_the_wave_as_csv() -> None:
    world = World()
    world.inventory.set_on_hand(BIZ, "s1", "tee-m", 4)
    world.wave()
    text = io.StringIO()
    rows = world.service.export_wave_csv("w1", text)
    assert rows == 3
    lines = list(world.service.iter_wave_csv("w1"))
    assert "".join(lines) == text.getvalue()
    parsed = list(csv.DictReader(io.StringIO(text.getvalue())))
    tee = next(row for row in parsed if row["variant_id"] == "tee-m")
    assert (tee["sku"], tee["original_price"], tee["markdown_price"]) == ("T-M", "20.00", "15.00")
    assert (tee["on_hand"], tee["value_impact"]) == ("4", "20.00")
    cap = next(row for row in parsed if row["variant_id"] == "cap-1")
    assert cap["flags"] == "below_cost"


def test_performance_report_reads_sales_while_the_wave_was_in_effect() -> None:
    world = World()
    world.wave(scopes=[{"type": "variant", "ids": ["tee-m"]}])
    world.service.activate("w1")
    world.inventory.set_on_hand(BIZ, "s1", "tee-m", 6)
    world.sales.record(
        BIZ,
        SaleLine(
            variant_id="tee-m",
            location_id="s1",
            sold_at=T0 + timedelta(hours=2),
            quantity=Decimal(4),
            net_amount=usd("60.00"),
            markdown_wave_id="w1",
        ),
    )
    world.sales.record(  # before the wave
        BIZ,
        SaleLine(
            variant_id="tee-m",
            location_id="s1",
            sold_at=T0 - timedelta(hours=2),
            quantity=Decimal(1),
            net_amount=usd("20.00"),
        ),
    )
    report = world.service.wave_performance("w1", now=T0 + timedelta(days=1))
    totals = report.totals
    assert totals.units_sold == Decimal(4)
    assert totals.net_sales == usd("60.00")
    assert totals.markdown_amount == usd("20.00")
    assert totals.markdown_percent == Decimal("33.33")
    assert totals.sell_through_percent == Decimal("40.00")
    assert totals.realised_margin_percent == Decimal("46.67")  # cost 8.00 x 4 against 60.00
    plan = world.service.plan_performance("spring", now=T0 + timedelta(days=1))
    assert [w.wave_id for w in plan.waves] == ["w1"]
    assert plan.totals[0].net_sales == usd("60.00")


def test_reports_need_a_sales_source() -> None:
    world = World()
    world.wave()
    bare = MarkdownService(
        plans=world.plans, waves=world.waves, history=world.history, catalog=world.catalog
    )
    with pytest.raises(PricekitError, match="sales source"):
        bare.wave_performance("w1")


def test_without_a_directory_every_location_is_active() -> None:
    world = World(with_directory=False)
    world.wave(locations=[{"location_id": "anywhere"}])
    result = world.service.activate("w1", confirm_below_cost=True)
    assert result.activated == ("anywhere",)


def test_plans_and_waves_can_be_created_from_models() -> None:
    from pricekit.markdowns import MarkdownPlan, MarkdownWave

    world = World()
    plan = world.service.create_plan(MarkdownPlan(id="fall", business_id=BIZ, name="Fall"))
    assert plan.created_at == T0
    wave = MarkdownWave(
        id="w9",
        plan_id="ignored",
        business_id=BIZ,
        name="From a model",
        method="percent",
        value=Decimal(10),
        reason="overstock",
        currency="USD",
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
    )  # type: ignore[arg-type]
    created = world.service.create_wave("fall", wave)
    assert (created.plan_id, created.status) == ("fall", WaveStatus.DRAFT)
    with pytest.raises(InvalidValueError) as info:
        world.service.create_wave("fall", wave.evolve(id="w10", status=WaveStatus.ACTIVE))
    assert info.value.field == "status"


def test_the_activate_due_job_runs_every_minute_under_a_sync_runner() -> None:
    from pricekit.sync import MarkdownActivationPhase, SyncRunner
    from pricekit.testing import FixedClock

    world = World()
    soon = T0 + timedelta(minutes=1)
    world.wave(
        scopes=[{"type": "variant", "ids": ["tee-m"]}],
        locations=[{"location_id": "s1"}, {"location_id": "s2", "activate_at": soon}],
    )
    world.service.activate("w1")
    assert world.price("tee-m", "s2") is None
    early = SyncRunner([MarkdownActivationPhase(world.service)], clock=FixedClock(T0))
    assert early.run_once().phases[0].result.counts == {"activated": 0}
    due = SyncRunner([MarkdownActivationPhase(world.service)], clock=FixedClock(soon))
    assert due.run_once().phases[0].result.counts == {"activated": 1}
    world.clock.set(soon)
    assert world.price("tee-m", "s2") == usd("15.00")
