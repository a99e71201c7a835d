"""The ports price resolution reads through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from pricekit.money import Money
from pricekit.pricing.models import ItemType

__all__ = ["MarkdownLookup", "MarkdownPrice"]


@dataclass(frozen=True, slots=True)
class MarkdownPrice:
    """A seasonal markdown in effect for an item.

    Attributes:
        wave_id: The markdown wave that set it.
        price: The marked-down unit price.
        ends_at: When it stops, if known (lets caches expire on time).
    """

    wave_id: str
    price: Money
    ends_at: datetime | None = None


@runtime_checkable
class MarkdownLookup(Protocol):
    """Finds the seasonal markdown active for an item at a location and instant.

    The markdowns module implements it; resolution works without one.
    """

    def active_markdown(
        self,
        *,
        business_id: str,
        item_type: ItemType,
        item_id: str,
        location_id: str | None,
        at: datetime,
    ) -> MarkdownPrice | None:
        """The markdown in effect, or ``None``."""
        ...
