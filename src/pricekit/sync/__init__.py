"""The reference sync runner: phases that pull deals from a point of sale into the deal cache.

- :mod:`~pricekit.sync.runner`: the runner, phases, reports, progress events.
- :mod:`~pricekit.sync.phases`: the seed's six phases and the two scheduled jobs.
- :mod:`~pricekit.sync.lock`: the in-process lock.
- :mod:`~pricekit.sync.files`: discounts from a folder of exported records.
- :mod:`~pricekit.sync.http`: the Dutchie POS and back-office clients and
  sources (the ``http`` extra; import it directly).
- :mod:`~pricekit.sync.webhook`: the PTL webhook, framework-free.
- :mod:`~pricekit.sync.ports`: the lock, run history, sources and sinks the phases use.
"""

from pricekit.sync.files import JsonFileDiscountSource, write_discount_file
from pricekit.sync.lock import InProcessLock
from pricekit.sync.phases import (
    CacheRefreshPhase,
    DiscountPhase,
    DiscountPushPhase,
    EnrichmentPhase,
    InventoryPhase,
    InventoryPushPhase,
    MarkdownActivationPhase,
    PromotionReconcilePhase,
    reference_phases,
)
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
from pricekit.sync.runner import (
    FailurePolicy,
    InMemorySyncRunRepository,
    LocationDone,
    LocationOutcome,
    Phase,
    PhaseFinished,
    PhaseReport,
    PhaseResult,
    PhaseStarted,
    PhaseStatus,
    ProgressEvent,
    RunReport,
    RunStatus,
    SyncContext,
    SyncRunner,
)
from pricekit.sync.webhook import PtlWebhook, WebhookResponse

__all__ = [
    "CacheRefreshPhase",
    "DiscountPhase",
    "DiscountPushPhase",
    "DiscountSink",
    "DiscountSource",
    "EnrichmentPhase",
    "EnrichmentSource",
    "FailurePolicy",
    "InMemorySyncRunRepository",
    "InProcessLock",
    "InventoryPhase",
    "InventoryPushPhase",
    "InventoryRecord",
    "InventorySink",
    "InventorySource",
    "JsonFileDiscountSource",
    "Location",
    "LocationDone",
    "LocationOutcome",
    "MarkdownActivationPhase",
    "Phase",
    "PhaseFinished",
    "PhaseReport",
    "PhaseResult",
    "PhaseStarted",
    "PhaseStatus",
    "ProgressEvent",
    "PromotionReconcilePhase",
    "PtlWebhook",
    "RunReport",
    "RunStatus",
    "SourceAuthError",
    "SourceError",
    "SyncContext",
    "SyncLock",
    "SyncRunRepository",
    "SyncRunner",
    "WebhookResponse",
    "reference_phases",
    "write_discount_file",
]
