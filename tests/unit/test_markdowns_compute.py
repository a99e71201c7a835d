"""Unit tests for markdown models and the pure markdown engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricekit.catalog import Catalog, Category, Collection, Product, Variant
from pricekit.errors import (
    CurrencyMismatchError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
)
from pricekit.markdowns import (
    ExclusionReason,
    MarkdownMode,
    MarkdownWave,
    PriceInEffect,
    ScopeType,
    WaveScope,
    expand_scopes,
    margin_percent,
    markdown_price,
    preview_wave,
    price_wave_items,
)
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def wave(**overrides: object) -> MarkdownWave:
    data: dict[str, object] = {
        "id": "w1",
        "plan_id": "plan",
        "business_id": "biz",
        "name": "Spring",
        "method": "percent",
        "value": "25",
        "reason": "seasonal_clearance",
        "currency": "USD",
        "scopes": [{"type": "category", "ids": ["apparel"]}],
    }
    data.update(overrides)
    return MarkdownWave.model_validate(data)


def catalog() -> InMemoryCatalogRepository:
    return InMemoryCatalogRepository(
        Catalog(
            categories=[
                Category(id="apparel", name="Apparel"),
                Category(id="shirts", name="Shirts", parent_id="apparel"),
                Category(id="food", name="Food"),
            ],
            collections=[Collection(id="summer", name="Summer")],
            products=[
                Product(
                    id="tee", name="Tee", category_id="shirts", collection_ids=frozenset({"summer"})
                ),
                Product(id="hat", name="Hat", category_id="apparel"),
                Product(id="old", name="Old", category_id="apparel", active=False),
                Product(id="jam", name="Jam", category_id="food"),
            ],
            variants=[
                Variant(id="tee-s", product_id="tee", price=usd("20.00"), cost=usd("8.00")),
                Variant(id="tee-m", product_id="tee", price=usd("20.00"), cost=usd("8.00")),
                Variant(id="tee-x", product_id="tee", price=usd("20.00"), active=False),
                Variant(id="hat-1", product_id="hat", price=usd("15.00"), cost=usd("12.00")),
                Variant(id="old-1", product_id="old", price=usd("5.00")),
                Variant(id="jam-1", product_id="jam", price=usd("4.00")),
            ],
        )
    )


# -- models -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"value": "0"}, "value"),
        ({"value": "100.01"}, "value"),
        ({"value": "-5"}, "value"),
        ({"method": "amount", "value": "-1"}, "value"),
        ({"method": "amount", "value": "0.001"}, "value"),
        ({"value": 12.5}, "value"),
        ({"floor_price": {"amount": "1", "currency": "EUR"}}, "floor_price"),
        ({"scopes": []}, "scopes"),
        ({"scopes": [{"type": "product", "ids": []}]}, "scopes.0.ids"),
        ({"scopes": [{"type": "brand", "ids": ["x"]}]}, "scopes.0.type"),
        ({"reason": "whim"}, "reason"),
        ({"mode": "stack"}, "mode"),
        ({"stage": "late"}, "stage"),
        ({"min_margin_percent": "100"}, "min_margin_percent"),
    ],
)
def test_wave_refuses_bad_input_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ModelValidationError) as info:
        wave(**overrides)
    assert info.value.field == field


def test_percent_of_100_is_allowed_and_amount_is_money() -> None:
    assert wave(value="100").value == Decimal(100)
    assert wave(method="amount", value="2.50").amount_off == usd("2.50")
    assert wave().amount_off is None


# -- scope expansion ----------------------------------------------------------------------


def test_category_scope_covers_the_subtree_and_only_active_variants() -> None:
    variants = expand_scopes([WaveScope(type=ScopeType.CATEGORY, ids=("apparel",))], catalog())
    assert [v.id for v in variants] == ["hat-1", "tee-m", "tee-s"]


def test_each_scope_type() -> None:
    repo = catalog()

    def ids(scope_type: ScopeType, *names: str) -> list[str]:
        return [v.id for v in expand_scopes([WaveScope(type=scope_type, ids=names)], repo)]

    assert ids(ScopeType.VARIANT, "jam-1") == ["jam-1"]
    assert ids(ScopeType.PRODUCT, "tee") == ["tee-m", "tee-s"]
    assert ids(ScopeType.COLLECTION, "summer") == ["tee-m", "tee-s"]
    assert ids(ScopeType.CATEGORY, "shirts") == ["tee-m", "tee-s"]


def test_a_variant_reached_by_several_scopes_appears_once() -> None:
    scopes = [
        WaveScope(type=ScopeType.PRODUCT, ids=("tee",)),
        WaveScope(type=ScopeType.COLLECTION, ids=("summer",)),
        WaveScope(type=ScopeType.VARIANT, ids=("tee-s", "hat-1")),
    ]
    assert [v.id for v in expand_scopes(scopes, catalog())] == ["hat-1", "tee-m", "tee-s"]


@pytest.mark.parametrize(
    ("scope_type", "name", "entity"),
    [
        (ScopeType.VARIANT, "nope", "variant"),
        (ScopeType.PRODUCT, "nope", "product"),
        (ScopeType.CATEGORY, "nope", "category"),
    ],
)
def test_unknown_ids_are_named(scope_type: ScopeType, name: str, entity: str) -> None:
    with pytest.raises(NotFoundError) as info:
        expand_scopes([WaveScope(type=scope_type, ids=(name,))], catalog())
    assert (info.value.entity, info.value.id) == (entity, name)


def test_a_scope_that_covers_nothing_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        expand_scopes([WaveScope(type=ScopeType.COLLECTION, ids=("winter",))], catalog())
    assert info.value.field == "scopes"


# -- prices -------------------------------------------------------------------------------


def test_percent_rounds_half_up_and_amount_never_goes_negative() -> None:
    assert markdown_price(usd("19.99"), wave(value="50")) == usd("10.00")  # 9.995
    assert markdown_price(usd("1.05"), wave(value="50")) == usd("0.53")  # 0.525
    assert markdown_price(usd("3.00"), wave(method="amount", value="5")) == usd("0.00")
    assert markdown_price(usd("3.00"), wave(method="amount", value="1.25")) == usd("1.75")
    with pytest.raises(CurrencyMismatchError):
        markdown_price(Money.of("3", "EUR"), wave(method="amount", value="1"))


def test_compound_stacks_on_the_price_in_effect() -> None:
    first = wave(id="w1", value="25")
    second = wave(id="w2", value="25", mode=MarkdownMode.COMPOUND)
    variant = Variant(id="v", product_id="p", price=usd("100.00"))
    (item1,) = price_wave_items(first, [variant])
    assert item1.markdown_price == usd("75.00")
    in_effect = {"v": PriceInEffect(price=item1.markdown_price, wave_id="w1")}
    (item2,) = price_wave_items(second, [variant], in_effect=in_effect)
    assert item2.markdown_price == usd("56.25")  # 43.75% off in all
    assert item2.base_price == usd("75.00")
    assert item2.stacked_on_wave_id == "w1"
    assert item2.regular_price == usd("100.00")
    # replace ignores what is in effect
    (item3,) = price_wave_items(wave(id="w3", value="25"), [variant], in_effect=in_effect)
    assert (item3.base_price, item3.markdown_price) == (usd("100.00"), usd("75.00"))
    assert item3.stacked_on_wave_id is None


def test_floor_and_margin_exclusions_and_below_cost_flag() -> None:
    variants = [
        Variant(id="cheap", product_id="p", price=usd("4.00"), cost=usd("1.00")),
        Variant(id="thin", product_id="p", price=usd("20.00"), cost=usd("14.00")),
        Variant(id="under", product_id="p", price=usd("20.00"), cost=usd("16.00")),
        Variant(id="fine", product_id="p", price=usd("20.00"), cost=usd("5.00")),
        Variant(id="nocost", product_id="p", price=usd("20.00")),
    ]
    items = {
        item.variant_id: item
        for item in price_wave_items(
            wave(value="25", floor_price=usd("5.00"), min_margin_percent="10"), variants
        )
    }
    assert items["cheap"].exclusion_reason is ExclusionReason.BELOW_FLOOR  # 3.00 < 5.00
    # 15.00 against a cost of 14.00: a 6.67% margin, under the 10% minimum
    assert items["thin"].exclusion_reason is ExclusionReason.BELOW_MIN_MARGIN
    assert items["thin"].margin_percent == Decimal("6.67")
    assert items["under"].excluded  # 15.00 against a cost of 16.00: margin negative
    assert items["under"].below_cost
    assert not items["fine"].excluded
    assert items["fine"].margin_percent == Decimal("66.67")
    assert not items["nocost"].excluded
    assert items["nocost"].margin_percent is None


def test_margin_threshold_is_exact() -> None:
    variant = Variant(id="v", product_id="p", price=usd("20.00"), cost=usd("13.50"))
    # 25% off: 15.00, margin (15 - 13.5) / 15 = exactly 10%
    (at_limit,) = price_wave_items(wave(value="25", min_margin_percent="10"), [variant])
    assert not at_limit.excluded
    assert at_limit.margin_percent == Decimal("10.00")
    (over,) = price_wave_items(wave(value="25", min_margin_percent="10.01"), [variant])
    assert over.exclusion_reason is ExclusionReason.BELOW_MIN_MARGIN


def test_below_cost_without_a_margin_rule_stays_included_but_flagged() -> None:
    variant = Variant(id="v", product_id="p", price=usd("10.00"), cost=usd("8.00"))
    (item,) = price_wave_items(wave(value="50"), [variant])
    assert item.below_cost
    assert not item.excluded
    assert item.margin_percent == Decimal("-60.00")


def test_variants_in_another_currency_are_refused() -> None:
    variant = Variant(id="v", product_id="p", price=Money.of("10", "EUR"))
    with pytest.raises(InvalidValueError) as info:
        price_wave_items(wave(), [variant])
    assert info.value.value == "v"


def test_margin_percent() -> None:
    assert margin_percent(usd("10.00"), usd("4.00")) == Decimal("60.00")
    assert margin_percent(usd("3.00"), usd("1.00")) == Decimal("66.67")
    assert margin_percent(usd("0.00"), usd("1.00")) is None
    assert margin_percent(usd("1.00"), None) is None


# -- preview -------------------------------------------------------------------------------


def test_preview_counts_impact_and_margins() -> None:
    repo = catalog()
    the_wave = wave(value="25", floor_price=usd("12.00"))
    items = price_wave_items(the_wave, expand_scopes(the_wave.scopes, repo))
    # tee-s, tee-m: 20.00 -> 15.00; hat-1: 15.00 -> 11.25 < floor 12.00: excluded
    preview = preview_wave(the_wave, items, on_hand={"tee-s": 10, "tee-m": Decimal("2.5")})
    assert (preview.items, preview.included, preview.excluded) == (3, 2, 1)
    assert preview.exclusions == {ExclusionReason.BELOW_FLOOR: 1}
    assert preview.value_impact == usd("62.50")  # 5.00 x 10 + 5.00 x 2.5
    assert preview.average_discount_percent == Decimal("25.00")
    assert preview.margin_before_percent == Decimal("60.00")  # (40 - 16) / 40
    assert preview.margin_after_percent == Decimal("46.67")  # (30 - 16) / 30
    assert preview.below_cost_variant_ids == ()


def test_preview_of_nothing_included() -> None:
    the_wave = wave(value="90", floor_price=usd("100.00"))
    items = price_wave_items(the_wave, [Variant(id="v", product_id="p", price=usd("10.00"))])
    preview = preview_wave(the_wave, items)
    assert (preview.included, preview.excluded) == (0, 1)
    assert preview.value_impact == usd("0.00")
    assert preview.average_discount_percent is None
    assert preview.margin_before_percent is None


def test_preview_has_no_side_effects() -> None:
    repo = catalog()
    before = repo.snapshot
    the_wave = wave()
    items = price_wave_items(the_wave, expand_scopes(the_wave.scopes, repo))
    preview_wave(the_wave, items, on_hand={"tee-s": 3})
    assert repo.snapshot is before
    assert all(item.wave_id == "w1" for item in items)
