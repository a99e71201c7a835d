"""pricekit quick start: a catalog, a price list, promotions, and a cart priced end to end.

The cart's unit prices are resolved first (a quantity tier of the retail price
list), then the promotions are evaluated in the store's time zone: a flower
happy hour, a spend threshold, and a buy-2-get-1 the cart does not qualify for,
which says why. Everything runs on the embedded in-memory repositories.

Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pricekit import Money
from pricekit.catalog import Brand, Catalog, Category, Collection, Product, Variant
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
    InMemoryPromotionRepository,
)
from pricekit.pricing import PricingService, PricingSettings
from pricekit.promotions import (
    EvaluationContext,
    EvaluationResult,
    PricedCart,
    PromotionService,
    price_cart,
)
from pricekit.time import FixedClock


def build_catalog() -> Catalog:
    """A small dispensary catalog: a category tree, a brand, a collection, variants by weight."""
    usd = "USD"
    return Catalog(
        categories=[
            Category(id="flower", name="Flower"),
            Category(id="indica", name="Indica", parent_id="flower"),
            Category(id="sativa", name="Sativa", parent_id="flower"),
            Category(id="edibles", name="Edibles"),
        ],
        brands=[Brand(id="acme", name="Acme Farms")],
        collections=[Collection(id="summer", name="Summer Collection")],
        products=[
            Product(
                id="og",
                name="OG Kush",
                category_id="indica",
                brand_id="acme",
                collection_ids=frozenset({"summer"}),
            ),
            Product(id="haze", name="Super Haze", category_id="sativa", brand_id="acme"),
            Product(id="gummies", name="Mango Gummies", category_id="edibles"),
        ],
        variants=[
            Variant(
                id="og-3.5",
                product_id="og",
                sku="OG-35",
                label="3.5g",
                price=Money.of("35.00", usd),
                cost=Money.of("14.00", usd),
                weight_grams="3.5",  # type: ignore[arg-type]
            ),
            Variant(
                id="og-7",
                product_id="og",
                sku="OG-7",
                label="7g",
                price=Money.of("60.00", usd),
                cost=Money.of("27.50", usd),
                weight_grams="7",  # type: ignore[arg-type]
            ),
            Variant(
                id="haze-1", product_id="haze", sku="HZ-1", label="1g", price=Money.of("12.00", usd)
            ),
            Variant(
                id="gummies-10",
                product_id="gummies",
                sku="GUM-10",
                label="10 pack",
                price=Money.of("19.99", usd),
            ),
        ],
    )


BUSINESS = "mint"
FRIDAY_HAPPY_HOUR = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Friday 16:30 in Phoenix


def build_pricing() -> PricingService:
    """The retail price list: Super Haze at 11.00 each from 3 grams."""
    pricing = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        settings=PricingSettings(enable_price_lists=True),
    )
    pricing.create_price_list(
        {"id": "retail", "business_id": BUSINESS, "name": "Retail", "currency": "USD"}
    )
    pricing.create_scope({"id": "every-store", "price_list_id": "retail"})
    pricing.create_item(
        {
            "id": "haze-3",
            "price_list_id": "retail",
            "item_id": "haze-1",
            "min_qty": 3,
            "price": "11.00 USD",
        }
    )
    return pricing


def _promotion(promotion_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": promotion_id,
        "business_id": BUSINESS,
        "name": name,
        "currency": "USD",
        "status": "active",
        **fields,
    }


def build_promotions() -> PromotionService:
    """A flower happy hour, spend 100 get 5 off, and buy 2 gummies get 1 free."""
    store = InMemoryPromotionRepository()
    service = PromotionService(promotions=store, usage=store, clock=FixedClock(FRIDAY_HAPPY_HOUR))
    service.create_promotion(
        _promotion(
            "happy-hour",
            "Flower happy hour: 15% off",
            type="percentage_discount",
            scope="line",
            priority=10,
            stackable=True,
            item_filter={"category_ids": ["flower"]},  # indica and sativa are under it
            conditions=[
                {"type": "days_of_week", "days": ["friday", "saturday"]},
                {"type": "time_of_day", "window": {"start": "16:00", "end": "18:00"}},
            ],
            rewards=[{"type": "pct_off_item", "percent": "15"}],
        )
    )
    service.create_promotion(
        _promotion(
            "gummies-3-for-2",
            "Gummies: buy 2, get 1 free",
            type="bogo",
            scope="bundle",
            priority=5,
            item_filter={"product_ids": ["gummies"]},
            rewards=[{"type": "free_item", "buy_quantity": 2, "reward_quantity": 1}],
        )
    )
    service.create_promotion(
        _promotion(
            "spend-100",
            "Spend 100, get 5 off",
            type="spend_threshold",
            scope="cart",
            conditions=[{"type": "min_amount", "amount": "100.00 USD"}],
            rewards=[{"type": "fixed_off_all", "amount": "5.00 USD"}],
        )
    )
    return service


def print_receipt(priced: PricedCart, result: EvaluationResult) -> None:
    """Each line with where its price came from and what each promotion took off."""
    for line, price, outcome in zip(priced.lines, priced.prices, result.lines, strict=True):
        where = price.source.value if price.price_list_id is None else f"list {price.price_list_id}"
        print(
            f"  {line.variant_id:<11} {line.quantity} x {line.unit_price} ({where})"
            f"  = {outcome.subtotal}"
        )
        for discount in outcome.discounts:
            print(f"      - {discount.amount}  {discount.promotion_id}")
        print(f"      line total {outcome.total}")
    print(f"  subtotal {result.subtotal}")
    for applied in result.applied:
        print(f"  applied  {applied.name}: -{applied.discount}")
    for rejection in result.rejections:
        print(f"  not applied  {rejection.name}: {rejection.detail}")
    print(f"  savings {result.total_discount}")
    print(f"  total {result.total}")


def main() -> None:
    """Price a cart at a Phoenix store on Friday at 16:30 and print the receipt."""
    catalog = InMemoryCatalogRepository(build_catalog())
    context = EvaluationContext(
        business_id=BUSINESS,
        location_id="phoenix-1",
        at=FRIDAY_HAPPY_HOUR,
        time_zone="America/Phoenix",
    )
    priced = price_cart(
        [
            {"line_id": "1", "variant_id": "og-3.5", "quantity": 2},
            {"line_id": "2", "variant_id": "haze-1", "quantity": 3},
            {"line_id": "3", "variant_id": "gummies-10", "quantity": 1},
        ],
        context,
        catalog=catalog,
        prices=build_pricing(),
    )
    result = build_promotions().evaluate(priced.lines, context)
    print(f"Cart at {context.at.isoformat()} ({context.time_zone})")
    print_receipt(priced, result)
    line_totals = sum(line.total.minor_units for line in result.lines)
    assert line_totals == result.total.minor_units  # the lines add up to the cent


if __name__ == "__main__":
    main()
