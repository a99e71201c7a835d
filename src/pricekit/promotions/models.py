"""Promotions, their conditions and rewards, carts and evaluation contexts, applications.

A :class:`Promotion` is the union of the two seed designs:

- seed 004's typed rows: a ``type`` (percentage_discount, fixed_discount, bogo,
  spend_threshold, bundle), ``conditions`` (min_amount, product_in_cart,
  category_in_cart, collection_in_cart, min_quantity, customer_tier) and
  ``rewards`` (pct_off_all, pct_off_item, fixed_off_all, fixed_off_item,
  free_item, plus override_price for fixed-price bundles) with ``max_discount``;
  priority, stackable, channel, locations, usage limits;
- seed 002's JSON rules: a ``scope`` (line, cart, bundle), an ``itemFilter`` (OR
  across categories, products and variants), ``minQuantity``, ``minCartTotal``,
  ``rewardItemFilter``, ``daysOfWeek`` and a benefit (method, value,
  ``maxDiscount``, ``rewardQuantity``, ``overridePrice``); the status lifecycle
  draft / scheduled / active / paused / expired. :meth:`Promotion.from_seed_json`
  reads that form.

Every condition is AND-ed. Amounts are :class:`~pricekit.money.Money` in the
promotion's currency; percentages are exact decimals in (0, 100].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from pricekit._model import PricekitModel
from pricekit.catalog import EntityId, IdSet
from pricekit.errors import InvalidValueError
from pricekit.money import CurrencyCode, Money, get_currency, to_decimal
from pricekit.pricing.models import Channel
from pricekit.time import AwareDatetime, TimeOfDayWindow, Weekday, to_weekday, zone

__all__ = [
    "CartLine",
    "Condition",
    "ConditionType",
    "EvaluationContext",
    "ItemFilter",
    "Promotion",
    "PromotionApplication",
    "PromotionScope",
    "PromotionStatus",
    "PromotionType",
    "Reward",
    "RewardType",
    "UnitSelection",
]


class PromotionType(StrEnum):
    """What kind of promotion it is (seed 004)."""

    PERCENTAGE_DISCOUNT = "percentage_discount"
    FIXED_DISCOUNT = "fixed_discount"
    BOGO = "bogo"
    SPEND_THRESHOLD = "spend_threshold"
    BUNDLE = "bundle"


class PromotionScope(StrEnum):
    """Where a promotion's discount lands (seed 002)."""

    LINE = "line"
    """Per item: each qualifying unit is discounted."""
    CART = "cart"
    """The whole cart: one discount, allocated over the lines."""
    BUNDLE = "bundle"
    """Buy X, get Y: groups of qualifying and reward units."""


class PromotionStatus(StrEnum):
    """A promotion's lifecycle (seed 002)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    EXPIRED = "expired"


class ConditionType(StrEnum):
    """What a condition checks."""

    MIN_AMOUNT = "min_amount"
    """The cart subtotal (before promotions) is at least ``amount``."""
    PRODUCT_IN_CART = "product_in_cart"
    CATEGORY_IN_CART = "category_in_cart"
    COLLECTION_IN_CART = "collection_in_cart"
    MIN_QUANTITY = "min_quantity"
    """At least ``quantity`` units (of the promotion's qualifying items, if it names some)."""
    CUSTOMER_TIER = "customer_tier"
    DAYS_OF_WEEK = "days_of_week"
    """The sale happens on one of ``days``, in the location's time zone."""
    TIME_OF_DAY = "time_of_day"
    """The sale happens inside ``window``, in the location's time zone."""


class RewardType(StrEnum):
    """What a reward gives."""

    PCT_OFF_ALL = "pct_off_all"
    PCT_OFF_ITEM = "pct_off_item"
    FIXED_OFF_ALL = "fixed_off_all"
    FIXED_OFF_ITEM = "fixed_off_item"
    FREE_ITEM = "free_item"
    OVERRIDE_PRICE = "override_price"
    """A bundle's units sell for ``override_price`` together (a fixed-price bundle)."""


class UnitSelection(StrEnum):
    """Which eligible units a buy-X-get-Y reward discounts."""

    CHEAPEST = "cheapest"
    MOST_EXPENSIVE = "most_expensive"


def _exact(value: object) -> Decimal:
    return to_decimal(value, field="")


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact)]


def _item_keys(**ids: Iterable[str]) -> frozenset[str]:
    return frozenset(f"{kind}:{item}" for kind, items in ids.items() for item in items)


class ItemFilter(PricekitModel):
    """Which cart lines an item rule matches: OR across every list given.

    A line matches when its variant, its product, one of its categories (the
    line's category and its ancestors) or one of its collections is listed.
    ``all_items`` matches every line.

    Attributes:
        product_ids: Products.
        variant_ids: Variants.
        category_ids: Categories (a line in a subcategory matches its ancestors).
        collection_ids: Collections.
        all_items: Match every line.
    """

    product_ids: IdSet = frozenset()
    variant_ids: IdSet = frozenset()
    category_ids: IdSet = frozenset()
    collection_ids: IdSet = frozenset()
    all_items: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> ItemFilter:
        if not self.all_items and not (
            self.product_ids or self.variant_ids or self.category_ids or self.collection_ids
        ):
            raise InvalidValueError(
                field="",
                value={},
                reason="an item filter names at least one product, variant, category or "
                "collection, or sets all_items",
            )
        return self

    @cached_property
    def item_keys(self) -> frozenset[str]:
        """The items named, as ``kind:id`` keys (``product:tee``, ``category:tops``, ...)."""
        return _item_keys(
            product=self.product_ids,
            variant=self.variant_ids,
            category=self.category_ids,
            collection=self.collection_ids,
        )

    def matches(self, line: CartLine) -> bool:
        """Whether ``line`` is one of the items this filter names."""
        return self.all_items or not self.item_keys.isdisjoint(line.item_keys)

    def describe(self) -> str:
        """A short description for explanations, e.g. ``category 'tees'``."""
        parts = [
            f"{kind} {', '.join(repr(i) for i in sorted(ids))}"
            for kind, ids in (
                ("category", self.category_ids),
                ("product", self.product_ids),
                ("variant", self.variant_ids),
                ("collection", self.collection_ids),
            )
            if ids
        ]
        return " or ".join(parts) if parts else "any item"


def _weekdays(value: object) -> object:
    """Days as ``Weekday`` values, numbers (0 is Monday) or names (``"saturday"``)."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [to_weekday(day, field="days") for day in value]
    return value


def _sorted(values: frozenset[Any]) -> list[Any]:
    return sorted(values)


class Condition(PricekitModel):
    """One condition; every condition of a promotion must hold (AND).

    Attributes:
        type: What it checks.
        amount: ``min_amount``: the least cart subtotal.
        quantity: ``min_quantity``: the least number of units.
        ids: ``product_in_cart`` / ``category_in_cart`` / ``collection_in_cart``:
            any of these (OR); ``customer_tier``: the tiers that qualify.
        days: ``days_of_week``: the days the promotion runs (numbers with Monday 0,
            or names).
        window: ``time_of_day``: the hours it runs.
    """

    type: ConditionType
    amount: Money | None = None
    quantity: ExactDecimal | None = None
    ids: IdSet = frozenset()
    days: Annotated[
        frozenset[Weekday], BeforeValidator(_weekdays), PlainSerializer(_sorted, when_used="json")
    ] = frozenset()
    window: TimeOfDayWindow | None = None

    @model_validator(mode="after")
    def _fields_for_type(self) -> Condition:
        kind = self.type
        if kind is ConditionType.MIN_AMOUNT:
            if self.amount is None:
                raise InvalidValueError(field="amount", value=None, reason="min_amount needs it")
            if self.amount.is_negative():
                raise InvalidValueError(
                    field="amount", value=str(self.amount), reason="must not be negative"
                )
        elif kind is ConditionType.MIN_QUANTITY:
            if self.quantity is None or self.quantity <= 0:
                raise InvalidValueError(
                    field="quantity", value=self.quantity, reason="min_quantity needs one above 0"
                )
        elif kind is ConditionType.DAYS_OF_WEEK:
            if not self.days:
                raise InvalidValueError(field="days", value=[], reason="days_of_week needs a day")
        elif kind is ConditionType.TIME_OF_DAY:
            if self.window is None:
                raise InvalidValueError(
                    field="window", value=None, reason="time_of_day needs a window"
                )
        elif not self.ids:
            raise InvalidValueError(field="ids", value=[], reason=f"{kind.value} needs ids")
        return self


class Reward(PricekitModel):
    """What a promotion gives when its conditions hold.

    Attributes:
        type: What kind of reward.
        percent: ``pct_off_*``: per cent off, in (0, 100].
        amount: ``fixed_off_all``: off the cart; ``fixed_off_item``: off each unit.
        max_discount: The most this reward may take off in one evaluation.
        applies_to: The items the reward lands on: for ``*_item`` rewards the lines
            discounted (the promotion's qualifying items when unset); for bundles
            the reward units (required for ``bundle`` promotions).
        buy_quantity: Bundles: qualifying units needed per group (buy X).
        reward_quantity: Bundles: reward units per group (get Y); ``free_item``:
            units given free.
        free_product_id: ``free_item`` outside a bundle: the product given free.
        free_variant_id: ``free_item`` outside a bundle: the variant given free.
        override_price: ``override_price``: what one bundle group costs.
        unit_selection: Bundles: discount the cheapest eligible units (default) or
            the most expensive.
    """

    type: RewardType
    percent: ExactDecimal | None = None
    amount: Money | None = None
    max_discount: Money | None = None
    applies_to: ItemFilter | None = None
    buy_quantity: int = Field(default=0, ge=0)
    reward_quantity: int = Field(default=1, ge=1)
    free_product_id: EntityId | None = None
    free_variant_id: EntityId | None = None
    override_price: Money | None = None
    unit_selection: UnitSelection = UnitSelection.CHEAPEST

    @model_validator(mode="after")
    def _fields_for_type(self) -> Reward:
        kind = self.type
        if kind in (RewardType.PCT_OFF_ALL, RewardType.PCT_OFF_ITEM):
            if self.percent is None or not 0 < self.percent <= 100:
                raise InvalidValueError(
                    field="percent", value=self.percent, reason="must be in (0, 100]"
                )
        elif kind in (RewardType.FIXED_OFF_ALL, RewardType.FIXED_OFF_ITEM):
            if self.amount is None or self.amount.minor_units <= 0:
                raise InvalidValueError(
                    field="amount",
                    value=None if self.amount is None else str(self.amount),
                    reason="must be an amount above zero",
                )
        elif kind is RewardType.OVERRIDE_PRICE and (
            self.override_price is None or self.override_price.is_negative()
        ):
            raise InvalidValueError(
                field="override_price",
                value=None if self.override_price is None else str(self.override_price),
                reason="an override_price reward needs a price of zero or more",
            )
        if self.max_discount is not None and self.max_discount.minor_units <= 0:
            raise InvalidValueError(
                field="max_discount", value=str(self.max_discount), reason="must be above zero"
            )
        return self

    def money_fields(self) -> Iterable[tuple[str, Money]]:
        """The reward's amounts, named, for currency checks."""
        for name in ("amount", "max_discount", "override_price"):
            value = getattr(self, name)
            if value is not None:
                yield name, value


_ITEM_CONDITIONS = {
    ConditionType.PRODUCT_IN_CART: "product_ids",
    ConditionType.CATEGORY_IN_CART: "category_ids",
    ConditionType.COLLECTION_IN_CART: "collection_ids",
}


_MOVED_BY_TIME = frozenset(
    {PromotionStatus.SCHEDULED, PromotionStatus.ACTIVE, PromotionStatus.PAUSED}
)


class Promotion(PricekitModel):
    """A condition-based, time-bound discount rule.

    Attributes:
        id: The promotion's id.
        business_id: The business.
        name: Its display name (shown on receipts).
        description: A longer description.
        type: What kind of promotion.
        scope: Where the discount lands: line, cart or bundle.
        currency: The currency of every amount in it; it applies only to carts in it.
        status: Draft, scheduled, active, paused or expired.
        priority: Higher goes first under the ``priority`` policy.
        stackable: Whether it combines with other promotions.
        channel: The one channel it runs on; ``None`` for every channel.
        location_ids: Where it runs; empty for everywhere.
        valid_from: When it starts (inclusive).
        valid_to: When it ends (exclusive).
        item_filter: The qualifying items (seed 002's ``itemFilter``): the cart must
            hold one, ``min_quantity`` counts them, line rewards land on them.
        conditions: Further conditions, all of which must hold.
        rewards: What it gives; at least one.
        max_uses: How many sales may use it in all; ``None`` for no limit.
        max_uses_per_customer: How many sales per customer; ``None`` for no limit.
        current_uses: How many sales have used it.
        created_at: When it was created.
        updated_at: When it was last changed.
        created_by: Who created it, if known.
    """

    id: EntityId
    business_id: EntityId
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    type: PromotionType
    scope: PromotionScope
    currency: CurrencyCode
    status: PromotionStatus = PromotionStatus.DRAFT
    priority: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    stackable: bool = False
    channel: Channel | None = None
    location_ids: IdSet = frozenset()
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    item_filter: ItemFilter | None = None
    conditions: tuple[Condition, ...] = ()
    rewards: Annotated[tuple[Reward, ...], Field(min_length=1)]
    max_uses: int | None = Field(default=None, ge=0)
    max_uses_per_customer: int | None = Field(default=None, ge=0)
    current_uses: int = Field(default=0, ge=0)
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    created_by: str | None = None

    @field_validator("channel")
    @classmethod
    def _concrete_channel(cls, value: Channel | None) -> Channel | None:
        return None if value is Channel.ANY else value

    @model_validator(mode="after")
    def _consistent(self) -> Promotion:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_to <= self.valid_from
        ):
            raise InvalidValueError(
                field="valid_to", value=self.valid_to.isoformat(), reason="must be after valid_from"
            )
        currency = get_currency(self.currency)
        for index, condition in enumerate(self.conditions):
            if condition.amount is not None and condition.amount.currency is not currency:
                raise InvalidValueError(
                    field=f"conditions.{index}.amount",
                    value=str(condition.amount),
                    reason=f"must be in the promotion's currency ({currency.code})",
                )
        for index, reward in enumerate(self.rewards):
            for name, money in reward.money_fields():
                if money.currency is not currency:
                    raise InvalidValueError(
                        field=f"rewards.{index}.{name}",
                        value=str(money),
                        reason=f"must be in the promotion's currency ({currency.code})",
                    )
            self._check_reward(index, reward)
        return self

    def _check_reward(self, index: int, reward: Reward) -> None:
        where = f"rewards.{index}"
        kind = reward.type
        if self.scope is PromotionScope.BUNDLE:
            if kind in (RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL):
                raise InvalidValueError(
                    field=f"{where}.type",
                    value=kind.value,
                    reason="a bundle promotion rewards units: use pct_off_item, "
                    "fixed_off_item, free_item or override_price",
                )
            if self.type is PromotionType.BUNDLE and reward.applies_to is None:
                raise InvalidValueError(
                    field=f"{where}.applies_to",
                    value=None,
                    reason="a bundle promotion needs its reward items (rewardItemFilter)",
                )
            if self.item_filter is None and reward.applies_to is None:
                raise InvalidValueError(
                    field="item_filter",
                    value=None,
                    reason="a bundle needs qualifying items (item_filter) or reward items",
                )
            return
        if kind is RewardType.OVERRIDE_PRICE:
            raise InvalidValueError(
                field=f"{where}.type",
                value=kind.value,
                reason="override_price is for bundle promotions (fixed-price bundles)",
            )
        if kind is RewardType.FREE_ITEM and (
            reward.free_product_id is None and reward.free_variant_id is None
        ):
            raise InvalidValueError(
                field=f"{where}.free_product_id",
                value=None,
                reason="a free_item reward outside a bundle names the product or variant given",
            )

    # -- reading ------------------------------------------------------------------------

    def is_everywhere(self) -> bool:
        """Whether it runs at every location."""
        return not self.location_ids

    def due_status(self, now: datetime) -> PromotionStatus | None:
        """The status time has moved this promotion to by ``now``, or ``None`` if it stays.

        ``scheduled`` becomes ``active`` once ``valid_from <= now`` (or ``expired``
        if ``valid_to <= now`` too); ``active`` and ``paused`` become ``expired``
        once ``valid_to <= now``; other statuses never move by themselves.
        """
        status = self.status
        if status not in _MOVED_BY_TIME:
            return None
        if self.valid_to is not None and self.valid_to <= now:
            return PromotionStatus.EXPIRED
        if status is PromotionStatus.SCHEDULED and (
            self.valid_from is None or self.valid_from <= now
        ):
            return PromotionStatus.ACTIVE
        return None

    def item_keys(self) -> tuple[str, frozenset[str]] | None:
        """One list of items of which the cart must hold at least one, if there is one.

        Used by the promotion index: ``("product", ids)``, ``("category", ids)``,
        ... or ``None`` when the promotion can apply to any cart.
        """
        candidates: list[tuple[str, frozenset[str]]] = []
        for condition in self.conditions:
            name = _ITEM_CONDITIONS.get(condition.type)
            if name is not None:
                candidates.append((name.removesuffix("_ids"), condition.ids))
        filters = [self.item_filter] if self.item_filter is not None else []
        for item_filter in filters:
            if item_filter.all_items:
                continue
            keys: list[tuple[str, frozenset[str]]] = [
                ("product", item_filter.product_ids),
                ("variant", item_filter.variant_ids),
                ("category", item_filter.category_ids),
                ("collection", item_filter.collection_ids),
            ]
            if sum(1 for _, ids in keys if ids) == 1:
                candidates.extend((kind, ids) for kind, ids in keys if ids)
            else:
                candidates.append(("any", item_filter.item_keys))
        if not candidates:
            return None
        return min(candidates, key=lambda pair: len(pair[1]))

    # -- seed 002 input -----------------------------------------------------------------

    @classmethod
    def from_seed_json(
        cls,
        *,
        conditions: Mapping[str, Any],
        benefit: Mapping[str, Any],
        **fields: Any,
    ) -> Promotion:
        """Build a promotion from seed 002's condition and benefit JSON.

        ``conditions`` takes ``itemFilter`` (``categoryIds``, ``productIds``,
        ``variantIds``, OR-ed), ``minQuantity``, ``minCartTotal``,
        ``rewardItemFilter`` (bundles) and ``daysOfWeek`` (0 = Sunday, as in
        JavaScript). ``benefit`` takes ``method`` (``percent``, ``fixed``, ``free``
        or ``override``), ``value``, ``maxDiscount``, ``rewardQuantity``,
        ``buyQuantity`` and ``overridePrice``. Plain numbers are amounts in the
        promotion's ``currency``; read the JSON with ``json.loads(text,
        parse_float=Decimal)`` so that 19.99 stays exact (a float is refused: it
        cannot hold most amounts). Other fields (id, business_id, name, type,
        scope, currency, ...) are given as keyword arguments.

        Raises:
            InvalidValueError: An unknown key in either document, or a bad value.
            ModelValidationError: A refused promotion field.
        """
        currency = fields.get("currency")
        if not isinstance(currency, str):
            raise InvalidValueError(field="currency", value=currency, reason="is required")
        return cls.model_validate(
            {**fields, **_from_seed(conditions, benefit, currency, str(fields.get("scope")))}
        )


_CONDITION_KEYS = frozenset(
    {"itemFilter", "minQuantity", "minCartTotal", "rewardItemFilter", "daysOfWeek"}
)
_BENEFIT_KEYS = frozenset(
    {"method", "value", "maxDiscount", "rewardQuantity", "buyQuantity", "overridePrice"}
)
_FILTER_KEYS = {
    "categoryIds": "category_ids",
    "productIds": "product_ids",
    "variantIds": "variant_ids",
    "collectionIds": "collection_ids",
}


def _seed_filter(value: object, *, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValueError(field=field, value=value, reason="must be an object")
    unknown = sorted(set(value) - set(_FILTER_KEYS))
    if unknown:
        raise InvalidValueError(
            field=f"{field}.{unknown[0]}",
            value=value[unknown[0]],
            reason=f"unknown item filter key; expected one of {', '.join(sorted(_FILTER_KEYS))}",
        )
    return {_FILTER_KEYS[key]: ids for key, ids in value.items()}


def _seed_money(value: object, currency: str, *, field: str) -> Money:
    if isinstance(value, Mapping):
        return Money.of(
            to_decimal(value.get("amount"), field=field), value.get("currency", currency)
        )
    return Money.of(to_decimal(value, field=field), currency)


def _from_seed(
    conditions: Mapping[str, Any], benefit: Mapping[str, Any], currency: str, scope: str
) -> dict[str, Any]:
    for name, document, known in (
        ("conditions", conditions, _CONDITION_KEYS),
        ("benefit", benefit, _BENEFIT_KEYS),
    ):
        unknown = sorted(set(document) - known)
        if unknown:
            raise InvalidValueError(
                field=f"{name}.{unknown[0]}",
                value=document[unknown[0]],
                reason=f"unknown key; expected one of {', '.join(sorted(known))}",
            )
    bundle = scope == PromotionScope.BUNDLE.value
    out: dict[str, Any] = {"conditions": _seed_conditions(conditions, currency, bundle=bundle)}
    if "itemFilter" in conditions:
        out["item_filter"] = _seed_filter(conditions["itemFilter"], field="conditions.itemFilter")
    reward = _seed_reward(benefit, currency, scope=scope)
    if bundle:
        reward["buy_quantity"] = benefit.get("buyQuantity", conditions.get("minQuantity", 1))
        if "rewardItemFilter" in conditions:
            reward["applies_to"] = _seed_filter(
                conditions["rewardItemFilter"], field="conditions.rewardItemFilter"
            )
    out["rewards"] = [reward]
    return out


def _seed_conditions(
    conditions: Mapping[str, Any], currency: str, *, bundle: bool
) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = []
    if "minCartTotal" in conditions:
        amount = _seed_money(conditions["minCartTotal"], currency, field="conditions.minCartTotal")
        parsed.append({"type": "min_amount", "amount": amount})
    if "daysOfWeek" in conditions:
        days = conditions["daysOfWeek"]
        if not isinstance(days, list):
            raise InvalidValueError(
                field="conditions.daysOfWeek", value=days, reason="must be a list of 0..6"
            )
        parsed.append(
            {
                "type": "days_of_week",
                "days": [Weekday.from_js(d, field="conditions.daysOfWeek") for d in days],
            }
        )
    if "minQuantity" in conditions and not bundle:  # a bundle's minQuantity is its buy X
        parsed.append({"type": "min_quantity", "quantity": conditions["minQuantity"]})
    return parsed


def _seed_reward(benefit: Mapping[str, Any], currency: str, *, scope: str) -> dict[str, Any]:
    method = benefit.get("method")
    value = benefit.get("value")
    reward: dict[str, Any] = {}
    if benefit.get("maxDiscount") is not None:
        reward["max_discount"] = _seed_money(
            benefit["maxDiscount"], currency, field="benefit.maxDiscount"
        )
    if "rewardQuantity" in benefit:
        reward["reward_quantity"] = benefit["rewardQuantity"]
    whole_cart = scope == PromotionScope.CART.value
    if benefit.get("overridePrice") is not None and method in (None, "override"):
        reward["type"] = RewardType.OVERRIDE_PRICE
        reward["override_price"] = _seed_money(
            benefit["overridePrice"], currency, field="benefit.overridePrice"
        )
    elif method == "percent":
        reward["type"] = RewardType.PCT_OFF_ALL if whole_cart else RewardType.PCT_OFF_ITEM
        reward["percent"] = value
    elif method in ("fixed", "amount"):
        reward["type"] = RewardType.FIXED_OFF_ALL if whole_cart else RewardType.FIXED_OFF_ITEM
        reward["amount"] = _seed_money(value, currency, field="benefit.value")
    elif method == "free":
        reward["type"] = RewardType.FREE_ITEM
    else:
        raise InvalidValueError(
            field="benefit.method",
            value=method,
            reason="must be one of percent, fixed, free, override",
        )
    return reward


# -- carts and contexts --------------------------------------------------------------------


def _quantity(value: object) -> Decimal:
    quantity = to_decimal(value, field="quantity")
    if quantity <= 0:
        raise InvalidValueError(field="quantity", value=value, reason="must be above zero")
    return quantity


Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
"""A quantity sold: an exact decimal (whole units, or a weight), above zero."""


class CartLine(PricekitModel):
    """One line of a cart, with the unit price already resolved.

    Attributes:
        line_id: The line's id in the cart (unique in it).
        product_id: The product.
        variant_id: The variant, if the cart sells variants.
        category_ids: The product's category and its ancestors (a category
            condition matches any of them).
        collection_ids: The product's collections.
        quantity: Units (a decimal for goods sold by weight); above zero.
        unit_price: The resolved unit price.
    """

    line_id: EntityId
    product_id: EntityId
    variant_id: EntityId | None = None
    category_ids: IdSet = frozenset()
    collection_ids: IdSet = frozenset()
    quantity: Quantity
    unit_price: Money

    @field_validator("unit_price")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.is_negative():
            raise InvalidValueError(field="", value=str(value), reason="must not be negative")
        return value

    @cached_property
    def amount(self) -> Money:
        """``unit_price`` x ``quantity``, rounded half-up to the minor unit."""
        return self.unit_price.multiply(self.quantity)

    @cached_property
    def item_keys(self) -> frozenset[str]:
        """What the line is, as ``kind:id`` keys: its product, variant, categories, collections."""
        return _item_keys(
            product=(self.product_id,),
            variant=() if self.variant_id is None else (self.variant_id,),
            category=self.category_ids,
            collection=self.collection_ids,
        )


class EvaluationContext(PricekitModel):
    """Where, when and for whom a cart is evaluated.

    Attributes:
        business_id: The business.
        location_id: The location of the sale, if any.
        channel: The sales channel.
        customer_id: The customer, if known (per-customer limits need one).
        customer_tier: The customer's loyalty tier, if any.
        at: The instant of the sale, timezone-aware.
        time_zone: The location's IANA time zone: days of the week and times of
            day are read in it.
        customer_uses: How many sales of this customer already used each promotion
            (by promotion id), for ``max_uses_per_customer``.
    """

    business_id: EntityId
    location_id: EntityId | None = None
    channel: Channel = Channel.POS
    customer_id: EntityId | None = None
    customer_tier: str | None = None
    at: AwareDatetime
    time_zone: str = "UTC"
    customer_uses: Mapping[str, int] = Field(default_factory=dict)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value, field="")
        return value


class PromotionApplication(PricekitModel):
    """A promotion used on a sale: the record behind usage limits and reports.

    Attributes:
        id: The record's id.
        promotion_id: The promotion.
        business_id: The business.
        sale_id: The sale (an application is recorded once per sale).
        customer_id: The customer, if known.
        location_id: Where the sale happened.
        discount: What the promotion took off the sale.
        applied_at: When.
    """

    id: EntityId
    promotion_id: EntityId
    business_id: EntityId
    sale_id: EntityId
    customer_id: EntityId | None = None
    location_id: EntityId | None = None
    discount: Money
    applied_at: AwareDatetime

    @field_validator("discount")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.is_negative():
            raise InvalidValueError(field="", value=str(value), reason="must not be negative")
        return value
