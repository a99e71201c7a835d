"""Price resolution: price lists, quantity tiers, scopes, markdown override, the price book.

See :mod:`pricekit.pricing.book` for the algorithm.
"""

from pricekit.pricing.book import AnswerDependencies, PriceBook
from pricekit.pricing.cache import (
    SEED_BUCKETS,
    CachedPriceResolver,
    CacheStats,
    InMemoryPriceCache,
    PriceCache,
    PriceCacheKey,
    bucket_quantity,
)
from pricekit.pricing.lint import LintFinding, lint_price_book, lint_price_lists
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
from pricekit.pricing.repository import (
    Page,
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
)
from pricekit.pricing.service import BulkValidationError, PricingService, PricingSettings, RowError

__all__ = [
    "SEED_BUCKETS",
    "AnswerDependencies",
    "BulkValidationError",
    "CacheStats",
    "CachedPriceResolver",
    "Channel",
    "InMemoryPriceCache",
    "ItemType",
    "LintFinding",
    "MarkdownLookup",
    "MarkdownPrice",
    "Outcome",
    "Page",
    "PriceBook",
    "PriceCache",
    "PriceCacheKey",
    "PriceList",
    "PriceListItem",
    "PriceListItemRepository",
    "PriceListKind",
    "PriceListRepository",
    "PriceListScope",
    "PriceListScopeRepository",
    "PriceQuery",
    "PriceSource",
    "PricingService",
    "PricingSettings",
    "ResolvedPrice",
    "RowError",
    "TraceEntry",
    "bucket_quantity",
    "lint_price_book",
    "lint_price_lists",
]
