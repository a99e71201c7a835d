"""Synthetic pricing data at a stated scale, for the pricing benchmarks."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pricekit.money import Money
from pricekit.pricing import Channel, ItemType, PriceBook, PriceList, PriceListItem, PriceListScope

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
ITEMS_PER_PRODUCT = 5
LOCATIONS = [f"loc-{n}" for n in range(10)]
TIERS = (Decimal(1), Decimal(1), Decimal(5), Decimal(10), Decimal(25))


@dataclass
class Scale:
    """A generated data set: its records, and the product ids to query."""

    products: int
    lists: list[PriceList]
    items: list[PriceListItem]
    scopes: list[PriceListScope]
    product_ids: list[str]

    def book(self) -> PriceBook:
        return PriceBook(lists=self.lists, items=self.items, scopes=self.scopes)


def generate(products: int, lists: int, *, seed: int = 7) -> Scale:
    """``products`` products, 5 items each spread over ``lists`` lists (all scoped)."""
    rng = random.Random(seed)
    created = AT - timedelta(days=30)
    price_lists = [
        PriceList.model_construct(
            id=f"pl-{n}",
            business_id="biz",
            name=f"list {n}",
            priority=rng.randrange(0, 1001),
            currency="USD",
            channel=Channel.ANY if n % 3 else Channel.POS,
            valid_from=None if n % 4 else AT - timedelta(days=10),
            valid_to=None,
            is_active=True,
            created_at=created,
            updated_at=None,
        )
        for n in range(lists)
    ]
    scopes: list[PriceListScope] = []
    for n, price_list in enumerate(price_lists):
        if n % 2 == 0:
            scopes.append(PriceListScope.model_construct(id=f"s-{n}", price_list_id=price_list.id))
        else:
            scopes.append(
                PriceListScope.model_construct(
                    id=f"s-{n}",
                    price_list_id=price_list.id,
                    location_id=LOCATIONS[n % len(LOCATIONS)],
                    channel=None,
                )
            )
    items: list[PriceListItem] = []
    product_ids = [f"prod-{p:06d}" for p in range(products)]
    for product_id in product_ids:
        for k, list_index in enumerate(rng.sample(range(lists), ITEMS_PER_PRODUCT)):
            items.append(
                PriceListItem.model_construct(
                    id=f"{product_id}-{k}",
                    price_list_id=f"pl-{list_index}",
                    item_type=ItemType.PRODUCT,
                    item_id=product_id,
                    price=Money(rng.randrange(100, 10_000), "USD"),
                    min_qty=TIERS[k],
                    priority=rng.randrange(0, 10),
                    valid_from=None,
                    valid_to=None,
                    is_active=True,
                    created_at=created + timedelta(minutes=k),
                    updated_at=None,
                )
            )
    return Scale(products, price_lists, items, scopes, product_ids)


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def sqlite_database(scale: Scale) -> sqlite3.Connection:
    """The same data in an in-memory SQLite database, indexed for the resolution query."""
    db = sqlite3.connect(":memory:")
    db.executescript(
        """
        CREATE TABLE price_list (id TEXT PRIMARY KEY, business_id TEXT, priority INT,
            currency TEXT, channel TEXT, valid_from INT, valid_to INT, is_active INT);
        CREATE TABLE price_list_item (id TEXT PRIMARY KEY, price_list_id TEXT, item_type TEXT,
            item_id TEXT, price_minor INT, min_qty NUMERIC, priority INT, valid_from INT,
            valid_to INT, is_active INT, created_at INT);
        CREATE TABLE price_list_scope (id TEXT PRIMARY KEY, price_list_id TEXT,
            location_id TEXT, channel TEXT);
        CREATE INDEX idx_item_lookup ON price_list_item (item_id, item_type, is_active);
        CREATE INDEX idx_scope_list ON price_list_scope (price_list_id);
        """
    )
    db.executemany(
        "INSERT INTO price_list VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                pl.id,
                pl.business_id,
                pl.priority,
                pl.currency,
                pl.channel.value,
                _epoch(pl.valid_from),
                _epoch(pl.valid_to),
                int(pl.is_active),
            )
            for pl in scale.lists
        ],
    )
    db.executemany(
        "INSERT INTO price_list_item VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                it.id,
                it.price_list_id,
                it.item_type.value,
                it.item_id,
                it.price.minor_units,
                str(it.min_qty),
                it.priority,
                _epoch(it.valid_from),
                _epoch(it.valid_to),
                int(it.is_active),
                _epoch(it.created_at),
            )
            for it in scale.items
        ],
    )
    db.executemany(
        "INSERT INTO price_list_scope VALUES (?,?,?,?)",
        [(s.id, s.price_list_id, s.location_id, s.channel) for s in scale.scopes],
    )
    db.commit()
    return db


RESOLVE_SQL = """
SELECT i.id, i.price_minor
FROM price_list_item i
JOIN price_list l ON l.id = i.price_list_id
JOIN price_list_scope s ON s.price_list_id = l.id
WHERE i.item_id = :item_id AND i.item_type = :item_type AND i.is_active = 1
  AND l.business_id = :business_id AND l.is_active = 1 AND l.currency = :currency
  AND (l.channel = :channel OR l.channel = 'any')
  AND i.min_qty <= :quantity
  AND (l.valid_from IS NULL OR l.valid_from <= :at) AND (l.valid_to IS NULL OR :at < l.valid_to)
  AND (i.valid_from IS NULL OR i.valid_from <= :at) AND (i.valid_to IS NULL OR :at < i.valid_to)
  AND (s.channel IS NULL OR s.channel = :channel)
  AND (s.location_id IS NULL OR s.location_id = :location_id)
ORDER BY (s.location_id IS NOT NULL) DESC, l.priority DESC, i.priority DESC,
         i.min_qty DESC, i.created_at DESC, i.id
LIMIT 1
"""
