"""Markdowns: plans and waves of seasonal or clearance price reductions.

This release has the models and the pure engine (scope expansion, replace and
compound pricing, floors, margins, preview); see :mod:`pricekit.markdowns.compute`.
"""

from pricekit.markdowns.compute import (
    PriceInEffect,
    WavePreview,
    expand_scopes,
    margin_percent,
    markdown_price,
    preview_wave,
    price_wave_items,
)
from pricekit.markdowns.models import (
    ExclusionReason,
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

__all__ = [
    "ExclusionReason",
    "MarkdownMethod",
    "MarkdownMode",
    "MarkdownPlan",
    "MarkdownReason",
    "MarkdownStage",
    "MarkdownWave",
    "PriceInEffect",
    "ScopeType",
    "WaveItem",
    "WaveLocation",
    "WaveLocationStatus",
    "WavePreview",
    "WaveScope",
    "WaveStatus",
    "expand_scopes",
    "margin_percent",
    "markdown_price",
    "preview_wave",
    "price_wave_items",
]
