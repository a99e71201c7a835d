"""pricekit quick start: exact money, a store schedule and a catalog, end to end.

Run it with ``make demo`` or ``python examples/quickstart.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from pricekit import Money, allocate
from pricekit.catalog import Brand, Catalog, Category, Collection, Product, Variant
from pricekit.memory import InMemoryCatalogRepository
from pricekit.time import TimeOfDayWindow, ValidityWindow, Weekday, WeeklySchedule


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


def main() -> None:
    """Price a small cart with a 15% flower sale and a 5.00 cart discount, and print it."""
    repository = InMemoryCatalogRepository(build_catalog())
    at = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Friday 16:30 in Phoenix

    sale_window = ValidityWindow(
        start=datetime(2026, 11, 1, tzinfo=UTC), end=datetime(2026, 12, 1, tzinfo=UTC)
    )
    happy_hour = WeeklySchedule(
        timezone="America/Phoenix",
        days=frozenset({Weekday.FRIDAY, Weekday.SATURDAY}),
        windows=(TimeOfDayWindow(start=time(16), end=time(18)),),
    )
    flower_on_sale = sale_window.contains(at) and happy_hour.contains(at)
    flower_ids = {v.id for v in repository.variants_in_category("flower")}

    cart = [("og-3.5", 2), ("haze-1", 3), ("gummies-10", 1)]
    variants = repository.get_variants(variant_id for variant_id, _ in cart)

    print(f"Cart at {at.isoformat()} (flower sale active: {flower_on_sale})")
    line_totals: list[Money] = []
    for variant_id, quantity in cart:
        variant = variants[variant_id]
        unit = variant.price
        if flower_on_sale and variant_id in flower_ids:
            unit = unit.less_percentage(15)
        line_total = unit * quantity
        line_totals.append(line_total)
        print(f"  {variant.sku:<8} {quantity} x {unit}  = {line_total}")

    subtotal = Money.sum(line_totals, currency="USD")
    cart_discount = Money.of("5.00", "USD")
    shares = allocate(cart_discount, [line.minor_units for line in line_totals])
    print(f"  subtotal {subtotal}; cart discount {cart_discount} spread over the lines:")
    for (variant_id, _), line, share in zip(cart, line_totals, shares, strict=True):
        print(f"    {variant_id:<11} {line} - {share} = {line - share}")
    total = subtotal - cart_discount
    assert Money.sum(shares, currency="USD") == cart_discount
    print(f"  total {total}")


if __name__ == "__main__":
    main()
