"""A markdown store for the scheduler examples: a wave live at one store, due at another.

``sync_apscheduler.py`` and ``sync_celery.py`` schedule the markdown
``activate_due`` job over it. Run on its own, it shows the wave's schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pricekit.catalog import Catalog, Category, Product, Variant
from pricekit.markdowns import MarkdownService
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.money import Money
from pricekit.time import ManualClock

__all__ = ["demo_markdowns"]


def demo_markdowns(start: datetime) -> MarkdownService:
    """A markdown wave activated at ``start``: live at Tempe, due at Mesa a minute later."""
    usd = "USD"
    catalog = Catalog(
        categories=[Category(id="vapes", name="Vapes")],
        products=[Product(id="cart", name="Live Resin Cart", category_id="vapes")],
        variants=[
            Variant(
                id="cart-1g",
                product_id="cart",
                sku="LRC-1",
                price=Money.of("40.00", usd),
                cost=Money.of("18.00", usd),
            )
        ],
    )
    service = MarkdownService(
        plans=InMemoryMarkdownPlanRepository(),
        waves=InMemoryMarkdownWaveRepository(),
        history=InMemoryMarkdownHistoryRepository(),
        catalog=InMemoryCatalogRepository(catalog),
        clock=ManualClock(start),
    )
    service.create_plan({"id": "winter", "business_id": "mint", "name": "Winter clearance"})
    service.create_wave(
        "winter",
        {
            "id": "vapes-25",
            "name": "Vapes 25% off",
            "method": "percent",
            "value": 25,
            "reason": "seasonal_clearance",
            "currency": usd,
            "scopes": [{"type": "category", "ids": ["vapes"]}],
            "locations": [
                {"location_id": "tempe"},
                {"location_id": "mesa", "activate_at": start + timedelta(minutes=1)},
            ],
        },
    )
    service.activate("vapes-25")
    return service


if __name__ == "__main__":
    wave = demo_markdowns(datetime.now(UTC)).get_wave("vapes-25")
    for location in wave.locations:
        print(f"{location.location_id}: {location.status.value}")
