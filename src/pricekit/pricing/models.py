"""Price lists, their items and scopes; the resolution query, its result and its trace."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from pricekit._model import PricekitModel
from pricekit.catalog import EntityId
from pricekit.errors import InvalidValueError
from pricekit.money import CurrencyCode, Money, to_decimal
from pricekit.time import AwareDatetime, ValidityWindow

__all__ = [
    "Channel",
    "ItemType",
    "Outcome",
    "PriceList",
    "PriceListItem",
    "PriceListKind",
    "PriceListScope",
    "PriceQuery",
    "PriceSource",
    "ResolvedPrice",
    "TraceEntry",
]

MAX_PRIORITY = 1000


class PriceListKind(StrEnum):
    """Which kind of business a price list serves."""

    RETAIL = "retail"
    RESTAURANT = "restaurant"
    BOTH = "both"


class Channel(StrEnum):
    """A sales channel. ``ANY`` on a price list means it serves every channel."""

    POS = "pos"
    ONLINE = "online"
    DINE_IN = "dine_in"
    TAKEAWAY = "takeaway"
    DELIVERY = "delivery"
    KIOSK = "kiosk"
    WHOLESALE = "wholesale"
    ANY = "any"


class ItemType(StrEnum):
    """What a price list item prices."""

    PRODUCT = "product"
    SERVICE = "service"
    MODIFIER = "modifier"


class PriceSource(StrEnum):
    """Where a resolved price came from."""

    PRICE_LIST = "price_list"
    MARKDOWN = "markdown"
    BASE_PRICE = "base_price"


def _quantity(value: object, *, field: str) -> Decimal:
    number = to_decimal(value, field=field)
    if number <= 0:
        raise InvalidValueError(field=field, value=value, reason="must be above zero")
    return number


def _min_qty(value: object) -> Decimal:
    return _quantity(value, field="min_qty")


def _query_quantity(value: object) -> Decimal:
    return _quantity(value, field="quantity")


Priority = Annotated[int, Field(ge=0, le=MAX_PRIORITY, strict=True)]
"""A priority from 0 to 1000; higher wins."""


def _check_window(valid_from: Any, valid_to: Any) -> None:
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise InvalidValueError(
            field="valid_to",
            value=valid_to,
            reason=f"must be after valid_from ({valid_from.isoformat()})",
        )


class PriceList(PricekitModel):
    """A named set of prices for a kind of business and a channel.

    Attributes:
        id: The list's id.
        business_id: The business (tenant) it belongs to.
        name: Its display name.
        kind: Retail, restaurant or both.
        channel: The channel it serves, or ``ANY``.
        priority: 0 to 1000; when several lists price an item, the highest wins.
        currency: The ISO 4217 code every item of the list is priced in.
        valid_from: The first instant the list applies, or ``None`` for always.
        valid_to: The first instant it no longer applies, or ``None`` for never.
        is_active: ``False`` for a soft-deleted list, which never applies.
        created_at: When it was created.
        updated_at: When it was last changed.
    """

    id: EntityId
    business_id: EntityId
    name: str
    kind: PriceListKind = PriceListKind.BOTH
    channel: Channel = Channel.ANY
    priority: Priority = 0
    currency: CurrencyCode
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    is_active: bool = True
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _window(self) -> PriceList:
        _check_window(self.valid_from, self.valid_to)
        return self

    @property
    def validity(self) -> ValidityWindow:
        """The list's validity as a half-open window."""
        return ValidityWindow(start=self.valid_from, end=self.valid_to)


class PriceListItem(PricekitModel):
    """One price in a price list: an item, a quantity tier, a price.

    Attributes:
        id: The item's id.
        price_list_id: The list it belongs to.
        item_type: Product, service or modifier.
        item_id: What it prices (a variant, product, service or modifier id).
        price: The unit price, in the list's currency; never negative.
        min_qty: The quantity tier: the price applies from this quantity up. A
            Decimal, for goods sold by weight; above zero.
        priority: Breaks ties between items of lists of the same priority; 0 to 1000.
        valid_from: The first instant the price applies, or ``None``.
        valid_to: The first instant it no longer applies, or ``None``.
        is_active: ``False`` for a soft-deleted item.
        created_at: When it was created; the newer item wins the last tie.
        updated_at: When it was last changed.
    """

    id: EntityId
    price_list_id: EntityId
    item_type: ItemType = ItemType.PRODUCT
    item_id: EntityId
    price: Money
    min_qty: Annotated[Decimal, BeforeValidator(_min_qty)] = Decimal(1)
    priority: Priority = 0
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    is_active: bool = True
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @field_validator("price")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.is_negative():
            raise InvalidValueError(field="", value=str(value), reason="must not be negative")
        return value

    @model_validator(mode="after")
    def _window(self) -> PriceListItem:
        _check_window(self.valid_from, self.valid_to)
        return self

    @property
    def validity(self) -> ValidityWindow:
        """The item's validity as a half-open window."""
        return ValidityWindow(start=self.valid_from, end=self.valid_to)


class PriceListScope(PricekitModel):
    """Where a price list applies: at a location and/or on a channel.

    A scope without a location is global: the fallback everywhere. A scope
    without a channel matches every channel. A list with no scope applies nowhere.

    Attributes:
        id: The scope's id.
        price_list_id: The list it binds.
        location_id: The location, or ``None`` for every location (global).
        channel: The channel, or ``None`` for every channel.
    """

    id: EntityId
    price_list_id: EntityId
    location_id: EntityId | None = None
    channel: Channel | None = None

    @field_validator("channel")
    @classmethod
    def _no_any(cls, value: Channel | None) -> Channel | None:
        # A scope's "every channel" is None; ANY is accepted as a synonym.
        return None if value is Channel.ANY else value


class PriceQuery(PricekitModel):
    """What to price: the seed's resolve request.

    Attributes:
        business_id: The business.
        location_id: Where the sale happens; ``None`` matches only global scopes.
        channel: The sales channel (not ``ANY``).
        item_type: What kind of item.
        item_id: The item.
        quantity: How many (a Decimal for goods sold by weight); above zero.
        currency: The currency to price in.
        base_price: The price to use when no price list applies.
        at: The instant of the sale, timezone-aware.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    business_id: EntityId
    location_id: EntityId | None = None
    channel: Channel
    item_type: ItemType = ItemType.PRODUCT
    item_id: EntityId
    quantity: Annotated[Decimal, BeforeValidator(_query_quantity)] = Decimal(1)
    currency: CurrencyCode = Field(alias="baseCurrencyId")
    base_price: Money
    at: AwareDatetime

    @field_validator("channel")
    @classmethod
    def _concrete_channel(cls, value: Channel) -> Channel:
        if value is Channel.ANY:
            raise InvalidValueError(
                field="channel",
                value=value.value,
                reason="a sale happens on one channel, not 'any'",
            )
        return value

    @model_validator(mode="after")
    def _base_currency(self) -> PriceQuery:
        if self.base_price.currency.code != self.currency:
            raise InvalidValueError(
                field="base_price",
                value=str(self.base_price),
                reason=f"must be in the query's currency ({self.currency})",
            )
        return self


class Outcome(StrEnum):
    """What happened to one candidate during resolution."""

    WON = "won"
    LOST = "lost"
    """Matched, but ranked below the winner (the trace says on which key)."""
    SHADOWED_BY_LOCATION = "shadowed_by_location"
    """Matched only through a global scope while a location-specific candidate matched."""
    OVERRIDDEN_BY_MARKDOWN = "overridden_by_markdown"
    LIST_INACTIVE = "list_inactive"
    ITEM_INACTIVE = "item_inactive"
    OTHER_BUSINESS = "other_business"
    WRONG_CURRENCY = "wrong_currency"
    WRONG_CHANNEL = "wrong_channel"
    BELOW_MIN_QTY = "below_min_qty"
    LIST_NOT_VALID = "list_not_valid"
    ITEM_NOT_VALID = "item_not_valid"
    NO_SCOPE = "no_scope"
    """The list has no scope at all, so it applies nowhere."""
    NO_MATCHING_SCOPE = "no_matching_scope"
    """The list's scopes are for other locations or channels."""


class TraceEntry(PricekitModel):
    """One candidate considered during a resolution and what became of it.

    Attributes:
        price_list_id: The candidate's list.
        price_list_item_id: The candidate item.
        outcome: Won, lost, or why it was excluded.
        reason: A sentence a person can read, e.g. "list priority 100 < 200 of pl-vip".
        list_priority: The list's priority.
        item_priority: The item's priority.
        min_qty: The item's quantity tier.
        price: The item's price.
        scope: How it matched: ``"location"``, ``"global"`` or ``None``.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    price_list_id: str
    price_list_item_id: str
    outcome: Outcome
    reason: str
    list_priority: int
    item_priority: int
    min_qty: Decimal
    price: Money
    scope: Literal["location", "global"] | None = None


@dataclass(frozen=True, slots=True)
class ResolvedPrice:
    """The resolved unit price: the seed's resolve response, every field.

    Serialise it with :meth:`to_json` (``style="camel"`` gives the seed's JSON
    shape, with ``unitPrice`` an exact JSON number and ``unitPriceMinor`` a
    string), or with pydantic's ``model_dump(mode="json")`` (snake_case,
    amounts as strings).

    Attributes:
        unit_price: The price per unit.
        source: ``price_list``, ``markdown`` or ``base_price``.
        price_list_id: The winning list, if a list price is involved.
        price_list_item_id: The winning item, if any.
        priority: The winning list's priority, if any.
        min_qty: The winning item's quantity tier, if any.
        markdown_wave_id: The markdown wave that set the price, if any.
        original_price: The price a markdown replaced, if any.
        trace: Every candidate and its outcome, when asked for.
    """

    unit_price: Money
    source: PriceSource
    price_list_id: str | None = None
    price_list_item_id: str | None = None
    priority: int | None = None
    min_qty: Decimal | None = None
    markdown_wave_id: str | None = None
    original_price: Money | None = None
    trace: tuple[TraceEntry, ...] | None = None

    @property
    def unit_price_minor(self) -> str:
        """The unit price in minor units as a string (the seed's ``unitPriceMinor``)."""
        return self.unit_price.minor_units_str

    @property
    def currency_id(self) -> str:
        """The ISO 4217 code of the price (the seed's ``currencyId``)."""
        return self.unit_price.currency.code

    def to_dict(self, *, style: Literal["camel", "snake"] = "camel") -> dict[str, object]:
        """The seed's response fields as a dict; amounts are exact Decimals.

        Args:
            style: ``"camel"`` (``unitPrice``, as the seed) or ``"snake"`` (``unit_price``).
        """
        fields: dict[str, object] = {
            "unit_price": self.unit_price.amount,
            "unit_price_minor": self.unit_price_minor,
            "currency_id": self.currency_id,
            "price_list_id": self.price_list_id,
            "price_list_item_id": self.price_list_item_id,
            "source": self.source.value,
            "priority": self.priority,
            "min_qty": self.min_qty,
            "markdown_wave_id": self.markdown_wave_id,
            "original_price": None if self.original_price is None else self.original_price.amount,
        }
        if style == "camel":
            return {to_camel(key): value for key, value in fields.items()}
        return fields

    def to_json(self, *, style: Literal["camel", "snake"] = "camel") -> str:
        """The seed's JSON response, with amounts as exact JSON numbers.

        ``{"unitPrice": 23.99, "unitPriceMinor": "2399", "currencyId": "USD", ...}``.
        Amounts are written from their Decimal text, never through a float.
        """
        parts = []
        for key, value in self.to_dict(style=style).items():
            text = str(value) if isinstance(value, Decimal) else json.dumps(value)
            parts.append(f"{json.dumps(key)}: {text}")
        return "{" + ", ".join(parts) + "}"
