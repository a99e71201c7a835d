"""The demo's sample data: a small dispensary, shipped as JSON files inside the package.

``pricekit/demo/data/`` holds one business, ``mint``, with three stores in
Phoenix's time zone:

- ``demo.json``: the business, its stores (UUIDs, as the seed's locations), the
  instant the store opened for the day (when the data is written and the
  markdown wave goes live) and the demo's instant, a Friday evening;
- ``catalog.json``: a category tree, brands, vendors, collections, products and
  their variants (1 g, 3.5 g and 7 g of flower; pre-rolls, vapes, edibles,
  accessories), with prices and costs;
- ``pricing.json``: price lists with their scopes and items: the retail list
  everywhere (with quantity tiers) and a store-scoped list for one store;
- ``markdowns.json``: a markdown plan and a staggered wave (one store at once,
  another a week later);
- ``promotions.json``: a promotion of every type, live at the demo's instant,
  and two that say why they do not apply to the sample cart;
- ``dutchie/{location_id}.json``: each store's deals as Dutchie's discount
  list v2 (the bare list or the wrapped form);
- ``ptl.json``: a PTL webhook body for one store;
- ``inventory.json``: units on hand per store and variant, for the sync;
- ``cart.json``: the sample cart priced at the end of ``pricekit demo``, a cart
  file ``pricekit quote`` reads (the sale's instant is ``demo.json``'s ``at``).

:func:`read_demo_data` reads them all (with ``parse_float=Decimal``) and checks
the catalog's references; nothing here writes anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from pricekit.catalog import Brand, Catalog, Category, Collection, Product, Variant, Vendor
from pricekit.errors import InvalidValueError, NotFoundError
from pricekit.promotions.cart import CartItem
from pricekit.sync.ports import InventoryRecord, Location
from pricekit.time import require_aware

__all__ = ["DemoCart", "DemoData", "DemoStore", "read_demo_data"]

_PACKAGE = "pricekit.demo"


@dataclass(frozen=True, slots=True)
class DemoStore:
    """One of the demo's stores.

    Attributes:
        id: The location id (a UUID, as the seed's).
        name: Its name.
        time_zone: Its IANA time zone.
    """

    id: str
    name: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class DemoCart:
    """The sample cart: where, for whom and what (``cart.json``, a ``pricekit quote`` cart file).

    Attributes:
        business_id: The business.
        location_id: The store it is rung up at.
        channel: The sales channel.
        time_zone: The store's IANA time zone.
        items: The variants and quantities, in cart order.
        document: The file's document as parsed, for ``pricekit quote``.
    """

    business_id: str
    location_id: str
    channel: str
    time_zone: str
    items: tuple[CartItem, ...]
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DemoData:
    """Everything the demo ships, read and checked.

    The mappings are the files' documents as parsed (amounts as strings or
    ``Decimal``); the services they are written through validate them.

    Attributes:
        business_id: The business (``"mint"``).
        name: The business's name.
        currency: The currency of every price.
        opened_at: When the store opened that day: the data is written, and the
            markdown wave activated, at this instant.
        at: The demo's instant (a Friday evening): the sync runs, and the cart is
            priced, at it.
        ptl_api_key: The API key the demo's PTL webhook accepts.
        stores: The stores.
        catalog: The catalog, its references checked.
        price_lists: Each price list's fields, with its ``scopes`` and ``items``.
        markdown_plans: Each plan's fields, with its ``waves`` (a wave's
            ``activate`` says whether the demo activates it).
        promotions: Each promotion's fields.
        dutchie_files: Each store's Dutchie discount file, as shipped (JSON text).
        ptl_body: The PTL webhook's request body, as shipped (JSON text).
        inventory: Units on hand by store and variant.
        cart: The sample cart.
    """

    business_id: str
    name: str
    currency: str
    opened_at: datetime
    at: datetime
    ptl_api_key: str
    stores: tuple[DemoStore, ...]
    catalog: Catalog
    price_lists: tuple[Mapping[str, Any], ...]
    markdown_plans: tuple[Mapping[str, Any], ...]
    promotions: tuple[Mapping[str, Any], ...]
    dutchie_files: Mapping[str, str]
    ptl_body: str
    inventory: Mapping[str, Mapping[str, int]]
    cart: DemoCart

    def store(self, location_id: str) -> DemoStore:
        """The store with this id.

        Raises:
            NotFoundError: The demo has no such store.
        """
        for store in self.stores:
            if store.id == location_id:
                return store
        raise NotFoundError(entity="store", id=location_id)

    @property
    def time_zones(self) -> dict[str, str]:
        """Each store's time zone, by location id."""
        return {store.id: store.time_zone for store in self.stores}

    def locations(self) -> list[Location]:
        """The stores as the sync runner's locations."""
        return [
            Location(store.id, store.time_zone, currency=self.currency, name=store.name)
            for store in self.stores
        ]

    def inventory_records(self) -> dict[str, list[InventoryRecord]]:
        """Each store's inventory as a point of sale would send it, by location id.

        One record per variant carried (the POS's "product" is the sellable
        variant): its name, SKU, price and units on hand.
        """
        catalog = self.catalog
        records: dict[str, list[InventoryRecord]] = {}
        for location_id, on_hand in self.inventory.items():
            rows: list[InventoryRecord] = []
            for variant_id, quantity in on_hand.items():
                variant = catalog.require_variant(variant_id)
                product = catalog.products[variant.product_id]
                rows.append(
                    InventoryRecord(
                        variant_id,
                        location_id,
                        {
                            "name": f"{product.name} {variant.label}".strip(),
                            "sku": variant.sku,
                            "price": variant.price.format_amount(),
                            "quantity": quantity,
                        },
                    )
                )
            records[location_id] = rows
        return records

    def enrichment(self) -> dict[str, dict[str, Any]]:
        """What the enrichment source adds to each variant's record: brand and category."""
        catalog = self.catalog
        extra: dict[str, dict[str, Any]] = {}
        for variant in catalog.variants.values():
            product = catalog.products[variant.product_id]
            brand = catalog.brands.get(product.brand_id or "")
            category = product.category_id
            extra[variant.id] = {
                "brand": None if brand is None else brand.name,
                "category": None if category is None else catalog.categories.get(category).name,
                "image_url": f"https://images.example.com/mint/{product.id}.jpg",
            }
        return extra


def _text(*parts: str) -> str:
    return resources.files(_PACKAGE).joinpath("data", *parts).read_text(encoding="utf-8")


def _document(*parts: str) -> Any:
    return json.loads(_text(*parts), parse_float=Decimal)


def _instant(value: object, *, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidValueError(field=field, value=value, reason="expected an ISO datetime")
    return require_aware(datetime.fromisoformat(value), field=field)


def _catalog(document: Mapping[str, Any]) -> Catalog:
    return Catalog(
        categories=[Category.model_validate(row) for row in document["categories"]],
        brands=[Brand.model_validate(row) for row in document["brands"]],
        vendors=[Vendor.model_validate(row) for row in document["vendors"]],
        collections=[Collection.model_validate(row) for row in document["collections"]],
        products=[Product.model_validate(row) for row in document["products"]],
        variants=[Variant.model_validate(row) for row in document["variants"]],
    )


def _cart(document: Mapping[str, Any]) -> DemoCart:
    lines: Sequence[Mapping[str, Any]] = document["lines"]
    return DemoCart(
        business_id=str(document["business_id"]),
        location_id=str(document["location_id"]),
        channel=str(document.get("channel", "pos")),
        time_zone=str(document.get("time_zone", "UTC")),
        items=tuple(CartItem.model_validate(line) for line in lines),
        document=document,
    )


def read_demo_data() -> DemoData:
    """Read the sample data shipped in ``pricekit/demo/data``.

    Returns:
        The data, with the catalog's references checked.

    Raises:
        ConflictError: The shipped catalog is inconsistent (a bug in the package).
        InvalidValueError: A shipped value is refused (a bug in the package).
    """
    manifest = _document("demo.json")
    stores = tuple(
        DemoStore(id=str(s["id"]), name=str(s["name"]), time_zone=str(s["time_zone"]))
        for s in manifest["stores"]
    )
    dutchie_files = {store.id: _text("dutchie", f"{store.id}.json") for store in stores}
    inventory = {
        str(location): {str(variant): int(units) for variant, units in on_hand.items()}
        for location, on_hand in _document("inventory.json").items()
    }
    return DemoData(
        business_id=str(manifest["business_id"]),
        name=str(manifest["name"]),
        currency=str(manifest["currency"]),
        opened_at=_instant(manifest["opened_at"], field="opened_at"),
        at=_instant(manifest["at"], field="at"),
        ptl_api_key=str(manifest["ptl_api_key"]),
        stores=stores,
        catalog=_catalog(_document("catalog.json")),
        price_lists=tuple(_document("pricing.json")["price_lists"]),
        markdown_plans=tuple(_document("markdowns.json")["plans"]),
        promotions=tuple(_document("promotions.json")["promotions"]),
        dutchie_files=dutchie_files,
        ptl_body=_text("ptl.json"),
        inventory=inventory,
        cart=_cart(_document("cart.json")),
    )
