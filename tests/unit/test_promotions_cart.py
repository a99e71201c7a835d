"""Pricing a cart before promotions: price lists, tiers and markdowns resolved, catalogue kept.

Runs the real in-memory pricing and markdown services; every figure is worked
out by hand next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pricekit.catalog import Catalog, Category, Collection, Product, Variant
from pricekit.errors import (
    CurrencyMismatchError,
    InvalidValueError,
    NotFoundError,
)
from pricekit.markdowns import MarkdownService
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
)
from pricekit.money import Money
from pricekit.pricing import PriceSource, PricingService, PricingSettings
from pricekit.promotions import (
    CartItem,
    EvaluationContext,
    Promotion,
    evaluate,
    price_cart,
)
from pricekit.time import ManualClock

NOW = datetime(2026, 6, 6, 12, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def _catalog() -> InMemoryCatalogRepository:
    return InMemoryCatalogRepository(
        Catalog(
            categories=[
                Category(id="apparel", name="Apparel"),
                Category(id="tops", name="Tops", parent_id="apparel"),
                Category(id="tees", name="Tees", parent_id="tops"),
            ],
            collections=[Collection(id="summer", name="Summer")],
            products=[
                Product(id="tee", name="Tee", category_id="tees", collection_ids={"summer"}),
                Product(id="cap", name="Cap"),
                Product(id="old", name="Old", active=False),
            ],
            variants=[
                Variant(id="tee-m", product_id="tee", price=usd("20.00"), cost=usd("8.00")),
                Variant(id="tee-l", product_id="tee", price=usd("22.00"), cost=usd("8.00")),
                Variant(id="cap-1", product_id="cap", price=usd("12.00")),
                Variant(id="cap-2", product_id="cap", price=usd("12.00"), active=False),
                Variant(id="old-1", product_id="old", price=usd("5.00")),
                Variant(id="cap-eur", product_id="cap", price=Money.of("11.00", "EUR")),
            ],
        )
    )


class Shop:
    """A catalogue, price lists with a quantity tier, and a markdown on the large tee."""

    def __init__(self) -> None:
        clock = ManualClock(NOW)
        self.catalog = _catalog()
        self.markdowns = MarkdownService(
            plans=InMemoryMarkdownPlanRepository(),
            waves=InMemoryMarkdownWaveRepository(),
            history=InMemoryMarkdownHistoryRepository(),
            catalog=self.catalog,
            locations=InMemoryLocationDirectory({"acme": {"s1": True}}),
            inventory=InMemoryInventory(),
            clock=clock,
        )
        self.pricing = PricingService(
            lists=InMemoryPriceListRepository(),
            items=InMemoryPriceListItemRepository(),
            scopes=InMemoryPriceListScopeRepository(),
            markdowns=self.markdowns,
            clock=clock,
            settings=PricingSettings(enable_price_lists=True),
        )
        self.pricing.create_price_list(
            {"id": "retail", "business_id": "acme", "name": "Retail", "currency": "USD"}
        )
        self.pricing.create_scope({"id": "everywhere", "price_list_id": "retail"})
        # cap: 11.00 each, 10.00 each from 3
        for item_id, min_qty, price in (("cap-1", 1, "11.00"), ("cap-1", 3, "10.00")):
            self.pricing.create_item(
                {
                    "id": f"{item_id}-{min_qty}",
                    "price_list_id": "retail",
                    "item_id": item_id,
                    "min_qty": min_qty,
                    "price": f"{price} USD",
                }
            )
        self.markdowns.create_plan({"id": "summer", "business_id": "acme", "name": "Summer"})
        self.markdowns.create_wave(
            "summer",
            {
                "id": "cut",
                "name": "Cut",
                "method": "percent",
                "value": Decimal(25),
                "reason": "seasonal_clearance",
                "stage": "initial",
                "currency": "USD",
                "scopes": [{"type": "variant", "ids": ["tee-l"]}],
            },
        )
        self.markdowns.activate("cut")

    def price(self, items: list[Any], **context: Any) -> Any:
        return price_cart(
            items,
            EvaluationContext(business_id="acme", location_id="s1", at=NOW, **context),
            catalog=self.catalog,
            prices=self.pricing,
        )


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop()


def test_lines_carry_resolved_prices_and_catalogue_facts(shop: Shop) -> None:
    priced = shop.price(
        [
            {"line_id": "1", "variant_id": "tee-m", "quantity": 2},
            CartItem(line_id="2", variant_id="tee-l"),
            {"line_id": "3", "variant_id": "cap-1", "quantity": "3"},
        ]
    )
    tee_m, tee_l, caps = priced.lines
    # no list prices the medium tee: its base price
    assert tee_m.unit_price == usd("20.00")
    assert priced.price_of("1").source is PriceSource.BASE_PRICE
    # 25% off 22.00 = 16.50, from the markdown wave
    assert tee_l.unit_price == usd("16.50")
    assert priced.price_of("2").markdown_wave_id == "cut"
    assert priced.price_of("2").original_price == usd("22.00")
    # 3 caps reach the 10.00 tier of the retail list
    assert caps.unit_price == usd("10.00")
    assert priced.price_of("3").price_list_item_id == "cap-1-3"
    # the category comes with its ancestors, the collections with the product
    assert tee_m.category_ids == {"tees", "tops", "apparel"}
    assert tee_m.collection_ids == {"summer"}
    assert (tee_m.product_id, tee_m.variant_id, tee_m.quantity) == ("tee", "tee-m", Decimal(2))
    assert caps.category_ids == frozenset()


def test_a_priced_cart_feeds_promotions_on_ancestor_categories(shop: Shop) -> None:
    priced = shop.price(
        [{"line_id": "1", "variant_id": "tee-l"}, {"line_id": "2", "variant_id": "cap-1"}]
    )
    tops = Promotion.model_validate(
        {
            "id": "tops-10",
            "business_id": "acme",
            "name": "10% off tops",
            "type": "percentage_discount",
            "scope": "line",
            "currency": "USD",
            "status": "active",
            "item_filter": {"category_ids": ["tops"]},
            "rewards": [{"type": "pct_off_item", "percent": "10"}],
        }
    )
    context = EvaluationContext(business_id="acme", location_id="s1", at=NOW)
    result = evaluate(priced.lines, context, [tops])
    # 10% of the marked-down 16.50 = 1.65 (rounded half-up from 1.650); the cap is no top
    assert [(line.line_id, line.discount) for line in result.lines] == [
        ("1", usd("1.65")),
        ("2", usd("0.00")),
    ]
    # 16.50 + 11.00 - 1.65
    assert result.total == usd("25.85")


def test_with_explain_each_resolution_keeps_its_trace(shop: Shop) -> None:
    priced = price_cart(
        [{"line_id": "1", "variant_id": "cap-1"}],
        EvaluationContext(business_id="acme", location_id="s1", at=NOW),
        catalog=shop.catalog,
        prices=shop.pricing,
        explain=True,
    )
    trace = priced.prices[0].trace
    assert trace is not None
    assert {entry.price_list_item_id for entry in trace} == {"cap-1-1", "cap-1-3"}


@pytest.mark.parametrize(
    ("items", "error", "field"),
    [
        ([], InvalidValueError, "items"),
        ([{"line_id": "1", "variant_id": "tee-m", "quantity": 0}], InvalidValueError, None),
        ([{"line_id": "1", "variant_id": "tee-m", "quantity": 1.5}], InvalidValueError, None),
        ([{"line_id": "1"}], InvalidValueError, "items[0].variant_id"),
        (["tee-m"], InvalidValueError, "items[0]"),
        (
            [{"line_id": "1", "variant_id": "tee-m"}, {"line_id": "1", "variant_id": "cap-1"}],
            InvalidValueError,
            "items[1].line_id",
        ),
        ([{"line_id": "1", "variant_id": "nope"}], NotFoundError, None),
        ([{"line_id": "1", "variant_id": "cap-2"}], InvalidValueError, "items[0].variant_id"),
        ([{"line_id": "1", "variant_id": "old-1"}], InvalidValueError, "items[0].variant_id"),
        (
            [{"line_id": "1", "variant_id": "cap-1"}, {"line_id": "2", "variant_id": "cap-eur"}],
            CurrencyMismatchError,
            "items[1]",
        ),
    ],
)
def test_bad_items_are_refused_naming_the_field(
    shop: Shop, items: list[Any], error: type[Exception], field: str | None
) -> None:
    with pytest.raises(error) as caught:
        shop.price(items)
    if isinstance(caught.value, NotFoundError):
        assert (caught.value.entity, caught.value.id) == ("variant", "nope")
        assert caught.value.details["field"] == "items[0].variant_id"
    elif field is None:
        assert caught.value.field == "items[0].quantity"  # type: ignore[attr-defined]
    else:
        assert caught.value.field == field  # type: ignore[attr-defined]
