"""Price resolution: price lists, quantity tiers, scopes, markdown override, the price book.

See :mod:`pricekit.pricing.book` for the algorithm.
"""

from pricekit.pricing.book import PriceBook
from pricekit.pricing.models import (
    Channel,
    ItemType,
    Outcome,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
    TraceEntry,
)
from pricekit.pricing.ports import MarkdownLookup, MarkdownPrice

__all__ = [
    "Channel",
    "ItemType",
    "MarkdownLookup",
    "MarkdownPrice",
    "Outcome",
    "PriceBook",
    "PriceList",
    "PriceListItem",
    "PriceListKind",
    "PriceListScope",
    "PriceQuery",
    "PriceSource",
    "ResolvedPrice",
    "TraceEntry",
]
