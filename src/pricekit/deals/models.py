"""Deal records: one normalised model for deals from the Dutchie POS and from PTL.

A :class:`Deal` is a retail deal at one location: what it takes off (a
:class:`DealReward`), what it needs (a threshold by count, spend or weight),
which products it targets or excludes (:class:`Restriction`, one per dimension:
product, category, brand, vendor, weight, tag, inventory tag, pricing tier),
and when it runs (validity with an exclusive end, days of the week, times of
day, in the store's time zone).

Two sources feed it:

- **Dutchie** (``source="dutchie"``): the POS discount list (``/discounts/v2/list``),
  read by :func:`pricekit.deals.sources.parse_dutchie`. Percentages come as
  fractions (``0.3`` is 30%).
- **PTL** (``source="ptl"``): the promotional calendar pushed by webhook, read by
  :func:`pricekit.deals.sources.parse_ptl`.

The seed's stored shape (composite id ``{location}_{discount}``, PTL
``{location}_ptl_{discount}``; JSON arrays ``products``, ``brands``,
``product_categories``; ``monday`` .. ``sunday`` booleans; ``source``) is
written by :meth:`Deal.to_record` and read by :meth:`Deal.from_record`; the
record also keeps every other restriction (vendor, weight, tag, inventory tag,
pricing tier), which the seed's pipeline loses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, field_validator, model_validator

from pricekit._model import PricekitModel
from pricekit.catalog import EntityId, IdSet
from pricekit.errors import InvalidValueError
from pricekit.money import CurrencyCode, Money, to_decimal
from pricekit.time import (
    AwareDatetime,
    TimeOfDayWindow,
    Weekday,
    WeeklySchedule,
    to_weekday,
    zone,
)

__all__ = [
    "ApplicationMethod",
    "Deal",
    "DealReward",
    "DealSource",
    "Dimension",
    "Restriction",
    "RewardMethod",
    "ThresholdType",
    "deal_id",
]

PTL_MARK = "_ptl_"
"""What a PTL deal's id holds between the location and the discount id."""


class DealSource(StrEnum):
    """Where a deal came from."""

    DUTCHIE = "dutchie"
    PTL = "ptl"


class ApplicationMethod(StrEnum):
    """How the register applies a deal."""

    AUTOMATIC = "automatic"
    """By itself: the only kind folded into a shelf price."""
    CODE = "code"
    """When a code is entered."""
    MANUAL = "manual"
    """When staff press its button."""


class RewardMethod(StrEnum):
    """What a deal does to the price."""

    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    PRICE_TO_AMOUNT = "price_to_amount"
    """The price becomes the amount (or stays, if it is already lower)."""


class ThresholdType(StrEnum):
    """What a deal needs in the basket before it applies."""

    COUNT = "count"
    SPEND = "spend"
    WEIGHT = "weight"


class Dimension(StrEnum):
    """What a restriction targets."""

    PRODUCT = "product"
    CATEGORY = "category"
    BRAND = "brand"
    VENDOR = "vendor"
    WEIGHT = "weight"
    TAG = "tag"
    INVENTORY_TAG = "inventory_tag"
    PRICING_TIER = "pricing_tier"


def _ids(value: object) -> object:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value
    return frozenset(str(item) for item in value)


def _sorted_weights(weights: frozenset[Decimal]) -> list[str]:
    return [str(weight) for weight in sorted(weights)]


class Restriction(PricekitModel):
    """Products a deal targets (an inclusion) or leaves out (an exclusion), in one dimension.

    Attributes:
        dimension: What is targeted.
        ids: The ids targeted (products, categories, brands, vendors, tags,
            inventory tags, pricing tiers); any of them matches.
        weights: For ``weight``: the weights in grams (a product matches within
            0.01 g).
        exclude: ``True`` for an exclusion: a product that matches is vetoed.
    """

    dimension: Dimension
    ids: Annotated[IdSet, BeforeValidator(_ids)] = frozenset()
    weights: Annotated[frozenset[Decimal], PlainSerializer(_sorted_weights, when_used="json")] = (
        frozenset()
    )
    exclude: bool = False

    @field_validator("weights", mode="before")
    @classmethod
    def _exact_weights(cls, value: object) -> object:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            return value
        out = set()
        for item in value:
            weight = to_decimal(item, field="weights")
            if weight <= 0:
                raise InvalidValueError(field="weights", value=str(item), reason="must be above 0")
            out.add(weight)
        return frozenset(out)

    @model_validator(mode="after")
    def _targets_something(self) -> Restriction:
        if self.dimension is Dimension.WEIGHT:
            if not self.weights or self.ids:
                raise InvalidValueError(
                    field="weights",
                    value=sorted(str(w) for w in self.weights),
                    reason="a weight restriction lists weights in grams (and no ids)",
                )
        elif not self.ids or self.weights:
            raise InvalidValueError(
                field="ids",
                value=sorted(self.ids),
                reason=f"a {self.dimension.value} restriction lists ids (and no weights)",
            )
        return self


class DealReward(PricekitModel):
    """What a deal takes off, and what it needs first.

    Attributes:
        method: Percent off, amount off, or price to amount.
        percent: For ``percent_off``: in (0, 100] (Dutchie's fraction ``0.3`` is 30).
        amount: For ``amount_off`` and ``price_to_amount``: the amount.
        threshold_type: What the basket must reach first, if anything.
        threshold: How much: a count of items, a spend (in the amount's currency,
            as a decimal) or a weight in grams.
        one_item_only: The reward applies to one item only (with a count threshold:
            buy N, get one discounted).
    """

    method: RewardMethod
    percent: Decimal | None = None
    amount: Money | None = None
    threshold_type: ThresholdType | None = None
    threshold: Decimal | None = None
    one_item_only: bool = False

    @field_validator("percent", "threshold", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        return None if value is None else to_decimal(value, field="")

    @model_validator(mode="after")
    def _consistent(self) -> DealReward:
        if self.method is RewardMethod.PERCENT_OFF:
            if self.percent is None or not Decimal(0) < self.percent <= 100:
                raise InvalidValueError(
                    field="percent",
                    value=None if self.percent is None else str(self.percent),
                    reason="a percent-off deal needs a percent in (0, 100]",
                )
            if self.amount is not None:
                raise InvalidValueError(
                    field="amount",
                    value=str(self.amount),
                    reason="a percent-off deal has no amount",
                )
        else:
            if self.amount is None or self.amount.is_negative():
                raise InvalidValueError(
                    field="amount",
                    value=None if self.amount is None else str(self.amount),
                    reason=f"a {self.method.value} deal needs an amount of at least zero",
                )
            if self.percent is not None:
                raise InvalidValueError(
                    field="percent",
                    value=str(self.percent),
                    reason=f"a {self.method.value} deal has no percent",
                )
        if (self.threshold_type is None) != (self.threshold is None):
            raise InvalidValueError(
                field="threshold",
                value=None if self.threshold is None else str(self.threshold),
                reason="a threshold needs both its type and its value",
            )
        if self.threshold is not None and self.threshold <= 0:
            raise InvalidValueError(
                field="threshold", value=str(self.threshold), reason="must be above zero"
            )
        return self

    @property
    def is_offer(self) -> bool:
        """Whether the deal needs a basket (a threshold, or buy-N-get-one): never a shelf price."""
        return self.threshold_type is not None or self.one_item_only


def deal_id(location_id: str, discount_id: str, source: DealSource | str) -> str:
    """The seed's composite id: ``{location}_{discount}``, or ``{location}_ptl_{discount}``."""
    if DealSource(source) is DealSource.PTL:
        return f"{location_id}{PTL_MARK}{discount_id}"
    return f"{location_id}_{discount_id}"


_DAY_NAMES = tuple(day.name.lower() for day in Weekday)


class Deal(PricekitModel):
    """One deal at one location.

    Attributes:
        id: The composite id (see :func:`deal_id`).
        discount_id: The source's own id.
        location_id: The location (the seed's location UUID).
        source: ``dutchie`` or ``ptl``.
        name: The deal's name at the register.
        description: A longer description.
        online_name: The name the online menu shows, if any.
        menu_rank: Its place on the menu (lower first), if any.
        application_method: Automatic, code or manual.
        enabled: The source's enabled flag (true for expired deals too).
        valid_from: When it starts, if it has a start.
        valid_to: When it ends (exclusive), if it ends.
        time_zone: The store's IANA time zone (days and times are read in it).
        days: The days it runs; empty means every day.
        start_time: The time of day it starts each day, if limited.
        end_time: The time of day it ends (exclusive); before ``start_time`` means
            it runs past midnight.
        first_time_customer_only: Only for a customer's first purchase.
        can_stack: It may combine with other deals that can stack.
        available_online: It applies to online orders too.
        reward: What it takes off and what it needs.
        restrictions: Inclusions and exclusions, at most one of each per dimension.
        unmapped: Targeting lost on the way (e.g. ids that could not be mapped to
            this store's catalogue). A deal with any is held back: it never widens
            to store-wide.
        currency: The currency of its amounts.
    """

    id: EntityId
    discount_id: EntityId
    location_id: EntityId
    source: DealSource = DealSource.DUTCHIE
    name: str
    description: str = ""
    online_name: str | None = None
    menu_rank: int | None = None
    application_method: ApplicationMethod = ApplicationMethod.AUTOMATIC
    enabled: bool = True
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    time_zone: str = "UTC"
    days: frozenset[Weekday] = frozenset()
    start_time: time | None = None
    end_time: time | None = None
    first_time_customer_only: bool = False
    can_stack: bool = False
    available_online: bool = True
    reward: DealReward
    restrictions: tuple[Restriction, ...] = ()
    unmapped: tuple[str, ...] = ()
    currency: CurrencyCode = "USD"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value, field="")
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _weekdays(cls, value: object) -> object:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            return value
        days = frozenset(to_weekday(day, field="days") for day in value)
        return frozenset() if len(days) == len(Weekday) else days  # all seven: every day

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_to <= self.valid_from
        ):
            raise InvalidValueError(
                field="valid_to",
                value=self.valid_to.isoformat(),
                reason=f"must be after valid_from ({self.valid_from.isoformat()})",
            )
        if (self.start_time is None) != (self.end_time is None):
            raise InvalidValueError(
                field="end_time" if self.end_time is None else "start_time",
                value=None,
                reason="a time-of-day window needs both its start and its end",
            )
        if self.start_time is not None and self.start_time == self.end_time:
            raise InvalidValueError(
                field="end_time",
                value=self.end_time.isoformat() if self.end_time else None,
                reason="must differ from start_time (leave both empty for all day)",
            )
        if self.reward.amount is not None and self.reward.amount.currency.code != self.currency:
            raise InvalidValueError(
                field="reward.amount",
                value=str(self.reward.amount),
                reason=f"must be in the deal's currency ({self.currency})",
            )
        seen: set[tuple[Dimension, bool]] = set()
        for index, restriction in enumerate(self.restrictions):
            key = (restriction.dimension, restriction.exclude)
            if key in seen:
                raise InvalidValueError(
                    field=f"restrictions[{index}]",
                    value=restriction.dimension.value,
                    reason="a dimension has at most one inclusion and one exclusion",
                )
            seen.add(key)
        return self

    # -- derived ------------------------------------------------------------------------

    @cached_property
    def schedule(self) -> WeeklySchedule:
        """The days and times it runs, in the store's time zone."""
        windows: tuple[TimeOfDayWindow, ...] = ()
        if self.start_time is not None and self.end_time is not None:
            windows = (TimeOfDayWindow(start=self.start_time, end=self.end_time),)
        if self.days:
            return WeeklySchedule(timezone=self.time_zone, days=self.days, windows=windows)
        return WeeklySchedule(timezone=self.time_zone, windows=windows)

    @cached_property
    def inclusions(self) -> tuple[Restriction, ...]:
        """The dimensions it targets."""
        return tuple(r for r in self.restrictions if not r.exclude)

    @cached_property
    def exclusions(self) -> tuple[Restriction, ...]:
        """The dimensions it leaves out."""
        return tuple(r for r in self.restrictions if r.exclude)

    @property
    def is_store_wide(self) -> bool:
        """It declares no targeting at all (and lost none on the way)."""
        return not self.inclusions and not self.unmapped

    @property
    def is_ptl(self) -> bool:
        """It came from PTL."""
        return self.source is DealSource.PTL

    def ids_of(self, dimension: Dimension, *, exclude: bool = False) -> frozenset[str]:
        """The ids of the restriction in ``dimension`` (an inclusion unless ``exclude``)."""
        for restriction in self.restrictions:
            if restriction.dimension is dimension and restriction.exclude is exclude:
                return restriction.ids
        return frozenset()

    # -- the seed's stored shape ----------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The seed's stored row: composite id, JSON arrays, day booleans, source.

        ``products``, ``brands`` and ``product_categories`` hold the inclusions of
        those dimensions, as the seed's table does; ``restrictions`` keeps every
        restriction (inclusions and exclusions of all eight dimensions), so
        :meth:`from_record` loses nothing.
        """
        data = self.model_dump(mode="json")
        record: dict[str, Any] = {
            "id": self.id,
            "location_id": self.location_id,
            "discount_id": self.discount_id,
            "source": self.source.value,
            "products": sorted(self.ids_of(Dimension.PRODUCT)),
            "brands": sorted(self.ids_of(Dimension.BRAND)),
            "product_categories": sorted(self.ids_of(Dimension.CATEGORY)),
        }
        every_day = not self.days
        for day, name in zip(Weekday, _DAY_NAMES, strict=True):
            record[name] = every_day or day in self.days
        for name in (
            "name",
            "description",
            "online_name",
            "menu_rank",
            "application_method",
            "enabled",
            "valid_from",
            "valid_to",
            "time_zone",
            "start_time",
            "end_time",
            "first_time_customer_only",
            "can_stack",
            "available_online",
            "reward",
            "restrictions",
            "unmapped",
            "currency",
        ):
            record[name] = data[name]
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Deal:
        """Read a row written by :meth:`to_record` (or by the seed's pipeline).

        A row of the seed's own table has no ``restrictions``: its ``products``,
        ``brands`` and ``product_categories`` arrays become the inclusions.

        Raises:
            ModelValidationError: A refused field, named.
        """
        data = dict(record)
        days = [day for day, name in zip(Weekday, _DAY_NAMES, strict=True) if data.pop(name, False)]
        data["days"] = days
        products = data.pop("products", None) or []
        brands = data.pop("brands", None) or []
        categories = data.pop("product_categories", None) or []
        if "restrictions" not in data:
            data["restrictions"] = [
                {"dimension": dimension, "ids": ids}
                for dimension, ids in (
                    (Dimension.PRODUCT, products),
                    (Dimension.BRAND, brands),
                    (Dimension.CATEGORY, categories),
                )
                if ids
            ]
        return cls.model_validate(data)
