"""In-memory implementations of pricekit's ports: the embedded default.

They use only the standard library, are safe to share between threads, and are
what the contract suites in :mod:`pricekit.testing.contracts` hold every other
adapter to.
"""

from pricekit.memory.catalog import InMemoryCatalogRepository
from pricekit.memory.deals import InMemoryDealCache
from pricekit.memory.markdowns import (
    InMemoryInventory,
    InMemoryLocationDirectory,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
    InMemorySalesLedger,
)
from pricekit.memory.pricing import (
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
)
from pricekit.memory.promotions import InMemoryPromotionRepository

__all__ = [
    "InMemoryCatalogRepository",
    "InMemoryDealCache",
    "InMemoryInventory",
    "InMemoryLocationDirectory",
    "InMemoryMarkdownHistoryRepository",
    "InMemoryMarkdownPlanRepository",
    "InMemoryMarkdownWaveRepository",
    "InMemoryPriceListItemRepository",
    "InMemoryPriceListRepository",
    "InMemoryPriceListScopeRepository",
    "InMemoryPromotionRepository",
    "InMemorySalesLedger",
]
