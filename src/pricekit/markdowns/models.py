"""Markdown plans, waves, wave items, wave locations and history entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator, model_validator

from pricekit._model import PricekitModel
from pricekit.catalog import EntityId
from pricekit.errors import InvalidValueError
from pricekit.money import CurrencyCode, Money, get_currency, to_decimal
from pricekit.time import AwareDatetime

__all__ = [
    "ExclusionReason",
    "HistoryAction",
    "MarkdownHistoryEntry",
    "MarkdownMethod",
    "MarkdownMode",
    "MarkdownPlan",
    "MarkdownReason",
    "MarkdownStage",
    "MarkdownWave",
    "ScopeType",
    "WaveItem",
    "WaveLocation",
    "WaveLocationStatus",
    "WaveScope",
    "WaveStatus",
]


class MarkdownMethod(StrEnum):
    """How a wave lowers prices."""

    PERCENT = "percent"
    """``value`` per cent off."""
    AMOUNT = "amount"
    """``value`` (in the wave's currency) off each unit, never below zero."""


class MarkdownMode(StrEnum):
    """What a wave's discount applies to."""

    REPLACE = "replace"
    """From the variant's regular price; overrides earlier markdowns."""
    COMPOUND = "compound"
    """From the price currently in effect from active markdowns: 25% then 25% is 43.75%."""


class MarkdownReason(StrEnum):
    """Why a wave marks prices down."""

    SEASONAL_CLEARANCE = "seasonal_clearance"
    SLOW_MOVING = "slow_moving"
    DAMAGED = "damaged"
    DISCONTINUED = "discontinued"
    OVERSTOCK = "overstock"
    EXPIRING = "expiring"


class MarkdownStage(StrEnum):
    """Where a wave sits in a markdown lifecycle."""

    INITIAL = "initial"
    MID = "mid"
    FINAL = "final"
    CLEARANCE = "clearance"


class WaveStatus(StrEnum):
    """A wave's lifecycle: draft -> scheduled -> active -> reversed."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    REVERSED = "reversed"


class WaveLocationStatus(StrEnum):
    """A wave's state at one location."""

    PENDING = "pending"
    ACTIVE = "active"
    SKIPPED = "skipped"
    """The business location was deactivated when the wave came due."""
    REVERSED = "reversed"


class ScopeType(StrEnum):
    """What a wave scope names."""

    VARIANT = "variant"
    PRODUCT = "product"
    CATEGORY = "category"
    COLLECTION = "collection"


class ExclusionReason(StrEnum):
    """Why a wave item is left out of the wave."""

    BELOW_FLOOR = "below_floor"
    BELOW_MIN_MARGIN = "below_min_margin"


class MarkdownPlan(PricekitModel):
    """A container of related waves, e.g. "Spring Clearance 2026".

    Attributes:
        id: The plan's id.
        business_id: The business it belongs to.
        name: Its display name.
        description: A longer description.
        is_active: Whether the plan is in use (activate / deactivate).
        created_at: When it was created.
        updated_at: When it was last changed.
    """

    id: EntityId
    business_id: EntityId
    name: str
    description: str = ""
    is_active: bool = True
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class WaveScope(PricekitModel):
    """Which variants a wave covers: by variant, product, category (with its subtree) or collection.

    Attributes:
        type: What ``ids`` name.
        ids: The ids; at least one.
    """

    type: ScopeType
    ids: Annotated[tuple[EntityId, ...], Field(min_length=1)]


class WaveLocation(PricekitModel):
    """A wave's schedule and state at one location (staggered rollouts).

    Attributes:
        location_id: The location.
        activate_at: When the wave takes effect there; ``None`` means on activation.
        status: Pending, active, skipped or reversed.
        activated_at: When it took effect there.
        reversed_at: When it was reversed there.
    """

    location_id: EntityId
    activate_at: AwareDatetime | None = None
    status: WaveLocationStatus = WaveLocationStatus.PENDING
    activated_at: AwareDatetime | None = None
    reversed_at: AwareDatetime | None = None


def _exact(value: object) -> Decimal:
    return to_decimal(value, field="")


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact)]


class MarkdownWave(PricekitModel):
    """A markdown event within a plan.

    Attributes:
        id: The wave's id.
        plan_id: Its plan.
        business_id: The business.
        name: Its display name.
        method: Percent or amount off.
        value: Per cent in (0, 100] for ``percent``; an amount above zero in the
            wave's currency for ``amount``.
        mode: Replace (from the regular price) or compound (from the price in effect).
        reason: Why the prices go down.
        stage: Where the wave sits in a lifecycle, if it says.
        currency: The currency of every price the wave sets.
        floor_price: No item may end below this; items that would are excluded.
        min_margin_percent: Items whose margin would fall below this are excluded.
        scopes: What the wave covers; at least one scope.
        locations: Where it applies, each with its own activation time (a staggered
            rollout); none means every location of the business, and queries with
            no location too.
        status: Draft, scheduled, active or reversed.
        activated_at: When it was activated.
        reversed_at: When it was reversed.
        created_at: When it was created.
        updated_at: When it was last changed.
    """

    id: EntityId
    plan_id: EntityId
    business_id: EntityId
    name: str
    method: MarkdownMethod
    value: ExactDecimal
    mode: MarkdownMode = MarkdownMode.REPLACE
    reason: MarkdownReason
    stage: MarkdownStage | None = None
    currency: CurrencyCode
    floor_price: Money | None = None
    min_margin_percent: ExactDecimal | None = None
    scopes: Annotated[tuple[WaveScope, ...], Field(min_length=1)]
    locations: tuple[WaveLocation, ...] = ()
    status: WaveStatus = WaveStatus.DRAFT
    activated_at: AwareDatetime | None = None
    reversed_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @field_validator("min_margin_percent")
    @classmethod
    def _margin_below_100(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value >= 100:
            raise InvalidValueError(field="", value=value, reason="must be below 100")
        return value

    @field_validator("locations")
    @classmethod
    def _distinct_locations(cls, value: tuple[WaveLocation, ...]) -> tuple[WaveLocation, ...]:
        seen: set[str] = set()
        for location in value:
            if location.location_id in seen:
                raise InvalidValueError(
                    field="",
                    value=location.location_id,
                    reason="a location may appear only once in a wave",
                )
            seen.add(location.location_id)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MarkdownWave:
        value = self.value
        if self.method is MarkdownMethod.PERCENT:
            if not 0 < value <= 100:
                raise InvalidValueError(
                    field="value", value=value, reason="a percentage must be in (0, 100]"
                )
        else:
            if value <= 0:
                raise InvalidValueError(
                    field="value", value=value, reason="an amount off must be above zero"
                )
            try:
                Money.of(value, self.currency)
            except InvalidValueError as error:
                raise InvalidValueError(field="value", value=value, reason=error.reason) from None
        if self.floor_price is not None:
            if self.floor_price.currency is not get_currency(self.currency):
                raise InvalidValueError(
                    field="floor_price",
                    value=str(self.floor_price),
                    reason=f"must be in the wave's currency ({self.currency})",
                )
            if self.floor_price.is_negative():
                raise InvalidValueError(
                    field="floor_price", value=str(self.floor_price), reason="must not be negative"
                )
        return self

    @property
    def everywhere(self) -> bool:
        """Whether the wave applies at every location (it names none)."""
        return not self.locations

    def location(self, location_id: str) -> WaveLocation | None:
        """The wave's schedule at ``location_id``, if it names that location."""
        for location in self.locations:
            if location.location_id == location_id:
                return location
        return None

    @property
    def amount_off(self) -> Money | None:
        """For an ``amount`` wave, the amount off each unit; otherwise ``None``."""
        if self.method is MarkdownMethod.AMOUNT:
            return Money.of(self.value, self.currency)
        return None


@dataclass(frozen=True, slots=True)
class WaveItem:
    """One variant of a wave, with its prices computed when the wave was created.

    Attributes:
        wave_id: The wave.
        variant_id: The variant.
        product_id: Its product.
        regular_price: The variant's regular price.
        base_price: The price the markdown was computed from: the regular price for
            ``replace``, the price in effect from active markdowns for ``compound``.
        stacked_on_wave_id: For ``compound``, the wave whose price it stacked on.
        markdown_price: The marked-down price.
        cost: The variant's average cost, if known.
        margin_percent: The markdown price's gross margin, ``(price - cost) / price``,
            in per cent; ``None`` without a cost or at a zero price.
        below_cost: The markdown price is under cost (activation then needs confirmation).
        excluded: The item is left out of the wave.
        exclusion_reason: Why it is left out.
    """

    wave_id: str
    variant_id: str
    product_id: str
    regular_price: Money
    base_price: Money
    markdown_price: Money
    stacked_on_wave_id: str | None = None
    cost: Money | None = None
    margin_percent: Decimal | None = None
    below_cost: bool = False
    excluded: bool = False
    exclusion_reason: ExclusionReason | None = None

    @property
    def discount(self) -> Money:
        """How much the markdown takes off the price it was computed from."""
        return self.base_price - self.markdown_price


class HistoryAction(StrEnum):
    """What a markdown history entry records."""

    ACTIVATED = "activated"
    """A wave's price took effect for a variant at a location."""
    SKIPPED = "skipped"
    """A location was skipped: deactivated when the wave came due, or still pending at reversal."""
    REVERSED = "reversed"
    """A wave's price was taken back for a variant at a location."""


@dataclass(frozen=True, slots=True)
class MarkdownHistoryEntry:
    """One event in the markdown history of a variant or a location.

    Attributes:
        id: The entry's id.
        business_id: The business.
        plan_id: The wave's plan.
        wave_id: The wave.
        action: Activated, skipped or reversed.
        at: When it happened.
        location_id: The location, or ``None`` for a wave that applies everywhere.
        variant_id: The variant; ``None`` for a location-level ``skipped`` entry.
        price_before: The variant's price in effect before the event.
        price_after: The variant's price in effect after the event.
        note: Why, in words (e.g. why a location was skipped).
    """

    id: str
    business_id: str
    plan_id: str
    wave_id: str
    action: HistoryAction
    at: datetime
    location_id: str | None = None
    variant_id: str | None = None
    price_before: Money | None = None
    price_after: Money | None = None
    note: str = ""
