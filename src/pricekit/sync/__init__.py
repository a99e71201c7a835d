"""The reference sync runner: phases that pull deals from a point of sale into the deal cache.

- :mod:`~pricekit.sync.ports`: the lock, run history, sources and sinks the phases use.
"""

from pricekit.sync.ports import (
    DiscountSink,
    DiscountSource,
    EnrichmentSource,
    InventoryRecord,
    InventorySink,
    InventorySource,
    Location,
    SourceAuthError,
    SourceError,
    SyncLock,
    SyncRunRepository,
)

__all__ = [
    "DiscountSink",
    "DiscountSource",
    "EnrichmentSource",
    "InventoryRecord",
    "InventorySink",
    "InventorySource",
    "Location",
    "SourceAuthError",
    "SourceError",
    "SyncLock",
    "SyncRunRepository",
]
