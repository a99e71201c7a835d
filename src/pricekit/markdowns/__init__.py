"""Markdowns: plans and waves of seasonal or clearance price reductions.

- :mod:`~pricekit.markdowns.models`: plans, waves, wave items and locations, history.
- :mod:`~pricekit.markdowns.compute`: the pure engine (scope expansion, replace and
  compound pricing, floors, margins, preview).
- :mod:`~pricekit.markdowns.active`: the index of markdowns in effect.
- :mod:`~pricekit.markdowns.service`: the lifecycle over repository ports, and the
  ``MarkdownLookup`` that feeds price resolution.
- :mod:`~pricekit.markdowns.export` and :mod:`~pricekit.markdowns.reports`: CSV
  export and performance reports.
"""

from pricekit.markdowns.active import ActiveMarkdowns, Layer
from pricekit.markdowns.compute import (
    PriceInEffect,
    WavePreview,
    expand_scopes,
    margin_percent,
    markdown_price,
    preview_wave,
    price_wave_items,
)
from pricekit.markdowns.export import (
    EXPORT_COLUMNS,
    iter_wave_csv,
    wave_export_rows,
    write_wave_csv,
)
from pricekit.markdowns.models import (
    ExclusionReason,
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownMethod,
    MarkdownMode,
    MarkdownPlan,
    MarkdownReason,
    MarkdownStage,
    MarkdownWave,
    ScopeType,
    WaveItem,
    WaveLocation,
    WaveLocationStatus,
    WaveScope,
    WaveStatus,
)
from pricekit.markdowns.ports import (
    InventoryLookup,
    LocationDirectory,
    MarkdownHistoryRepository,
    MarkdownPlanRepository,
    MarkdownWaveRepository,
    SaleLine,
    SalesSource,
)
from pricekit.markdowns.reports import (
    PerformanceFigures,
    PlanPerformance,
    VariantPerformance,
    WavePerformance,
    plan_performance,
    wave_performance,
)
from pricekit.markdowns.service import (
    ActivationResult,
    ActiveMarkdown,
    MarkdownService,
    ReversalResult,
)

__all__ = [
    "EXPORT_COLUMNS",
    "ActivationResult",
    "ActiveMarkdown",
    "ActiveMarkdowns",
    "ExclusionReason",
    "HistoryAction",
    "InventoryLookup",
    "Layer",
    "LocationDirectory",
    "MarkdownHistoryEntry",
    "MarkdownHistoryRepository",
    "MarkdownMethod",
    "MarkdownMode",
    "MarkdownPlan",
    "MarkdownPlanRepository",
    "MarkdownReason",
    "MarkdownService",
    "MarkdownStage",
    "MarkdownWave",
    "MarkdownWaveRepository",
    "PerformanceFigures",
    "PlanPerformance",
    "PriceInEffect",
    "ReversalResult",
    "SaleLine",
    "SalesSource",
    "ScopeType",
    "VariantPerformance",
    "WaveItem",
    "WaveLocation",
    "WaveLocationStatus",
    "WavePerformance",
    "WavePreview",
    "WaveScope",
    "WaveStatus",
    "expand_scopes",
    "iter_wave_csv",
    "margin_percent",
    "markdown_price",
    "plan_performance",
    "preview_wave",
    "price_wave_items",
    "wave_export_rows",
    "wave_performance",
    "write_wave_csv",
]
