"""Read deals from their two sources into :class:`~pricekit.deals.models.Deal`.

**Dutchie** (:func:`parse_dutchie`, :func:`parse_dutchie_list`) reads the POS
discount list v2, ``GET /discounts/v2/list?includeInclusionExclusionData=true``,
one discount at a time. **PTL** (:func:`parse_ptl`, :func:`parse_ptl_payload`)
reads the promotional calendar's webhook body, ``{"location_id": ...,
"source": "ptl", "discounts": [...]}``.

Numbers are exact. Read the JSON with ``json.loads(text, parse_float=Decimal)``
so that ``0.3`` and ``14.0`` arrive as :class:`~decimal.Decimal`; ``int``,
``Decimal`` and numeric strings (``"14.00"``) are accepted as they are. A Python
``float`` is read through its ``repr`` (``Decimal(repr(0.3)) == Decimal("0.3")``,
the shortest decimal that reads back as the same float); only NaN and the
infinities, which no decimal represents, are refused. Amounts become
:class:`~pricekit.money.Money` in ``currency``; one more precise than its minor
unit (``14.005`` USD) is refused, never rounded.

Every refusal is an :class:`~pricekit.errors.InvalidValueError` whose ``field``
names the discount and the source field, e.g. ``discount[42].reward.discountValue``
(a value the :class:`Deal` itself refuses is named by the deal's field, e.g.
``discount[42].valid_to``). Nothing is dropped silently: targeting that cannot
be read into a :class:`~pricekit.deals.models.Restriction` goes to
``Deal.unmapped``, which holds the deal back from matching (it never widens to
store-wide).

## Dutchie: one discount of ``/discounts/v2/list``

Other keys (Dutchie sends many: ``externalId``, ``constraints``, ...) are
ignored, as is ``unmappedIds``, which is not a Dutchie field. Field names are
case-sensitive; enumerated values are not, and ignore ``_``, ``-`` and spaces
(``"PERCENT_OFF"``, ``"percentOff"``). "A, else B" reads B when A is null,
missing or blank.

| Dutchie field                                    | Deal field                 |
|--------------------------------------------------|----------------------------|
| ``id`` (required; int or str)                    | ``discount_id`` (1)        |
| ``discountName``, else ``name``                  | ``name`` (2)               |
| ``discountDescription``, else ``description``    | ``description``            |
| ``onlineName``, else ``menuDisplay.menuDisplayName`` | ``online_name``        |
| ``menuDisplay.menuDisplayRank``, else ``menuRank`` | ``menu_rank`` (whole)    |
| ``applicationMethod`` (required) (3)             | ``application_method``     |
| ``isActive`` (default true)                      | ``enabled``                |
| ``validDateFrom``                                | ``valid_from`` (4)         |
| ``validDateTo``                                  | ``valid_to`` (4)           |
| ``monday`` .. ``sunday``                         | ``days`` (5)               |
| ``startTime``, ``endTime``                       | ``start_time``, ``end_time`` (4) |
| ``firstTimeCustomerOnly`` (default false)        | ``first_time_customer_only`` |
| ``canStackAutomatically``, else ``isStackable``  | ``can_stack`` (default false) |
| ``isAvailableOnline`` (default true)             | ``available_online``       |
| ``reward.calculationMethod`` (required) (6)      | ``reward.method``          |
| ``reward.discountValue`` (required) (7)          | ``reward.percent`` or ``reward.amount`` |
| ``reward.thresholdType`` (8)                     | ``reward.threshold_type``  |
| ``reward.thresholdMin`` (8)                      | ``reward.threshold``       |
| ``reward.applyToOnlyOneItem`` (default false)    | ``reward.one_item_only``   |
| ``reward.restrictions``, else ``restrictions``   | ``restrictions`` (9)       |

1. The deal's ``id`` is ``deal_id(location, id, "dutchie")``: ``{location}_{id}``.
2. Without a name: ``online_name``, else ``"Discount <id>"``.
3. ``Automatic``, ``Code`` (or ``Coupon``) or ``Manual``.
4. See *Dates and times* below. ``validDateTo`` is exclusive; one in the year
   3000 or later means no end.
5. The days whose flag is true; none true (or all seven) is every day.
6. ``PERCENT_OFF``; ``AMOUNT_OFF`` and ``AMOUNT_OFF_TOTAL`` (both
   ``amount_off``); ``PRICE_TO_AMOUNT``. Anything else is refused.
7. A percent is a **fraction**: ``0.3`` is 30% (above 1 is refused as a
   percent above 100%). An amount is in major units: ``14.0`` is 14.00.
8. ``NUMBER_OF_ITEMS`` (``count``), ``TOTAL_SPEND`` or ``SPEND`` (``spend``),
   ``WEIGHT`` or ``TOTAL_WEIGHT`` (``weight``, in grams); null or ``NONE`` is no
   threshold, and then ``thresholdMin`` is ignored. With a type, ``thresholdMin``
   is required and above zero (a count is whole).
9. Given both in ``reward`` and at the top level, they must agree.

``restrictions`` maps a restriction type name to ``{"restrictionIds": [...],
"isExclusion": bool}``. Type names are read ignoring case, spaces and
underscores (``ProductCategory``, ``product_category``; plurals too):

| Type name                        | Dimension                                     |
|----------------------------------|-----------------------------------------------|
| ``Product``                      | ``product``                                   |
| ``Category``, ``ProductCategory`` | ``category``                                 |
| ``Brand``                        | ``brand``                                     |
| ``Vendor``                       | ``vendor``                                    |
| ``Weight``                       | ``weight``: the ids are grams, e.g. ``"3.5"`` |
| ``Tag``                          | ``tag``                                       |
| ``InventoryTag``                 | ``inventory_tag``                             |
| ``PricingTier``                  | ``pricing_tier``                              |

Every restriction is kept, inclusions and exclusions alike; two names of one
dimension (``Category`` and ``ProductCategory``) are merged. An empty
``restrictionIds`` is ignored. Any other type name with ids is recorded in
``unmapped`` as ``"restriction type 'Strain' is not understood"``.

## PTL: one element of the webhook body's ``discounts``

Unknown keys are refused: this shape is ours, and a key that is not read could
be targeting that would be lost.

| PTL field                                     | Deal field                         |
|-----------------------------------------------|------------------------------------|
| ``id`` (required; int or str)                 | ``discount_id`` (1)                |
| ``name``                                      | ``name`` (as for Dutchie)          |
| ``description``                               | ``description``                    |
| ``online_name``, ``menu_rank``                | ``online_name``, ``menu_rank``     |
| ``application_method`` (default automatic)    | ``application_method`` (as Dutchie) |
| ``enabled`` (default true)                    | ``enabled``                        |
| ``discount_type`` (required) (2)              | ``reward.method``                  |
| ``discount_value`` (required) (3)             | ``reward.percent`` or ``reward.amount`` |
| ``threshold_type``, ``threshold`` (4)         | ``reward.threshold_type``, ``reward.threshold`` |
| ``apply_to_one_item`` (default false)         | ``reward.one_item_only``           |
| ``start_date``                                | ``valid_from`` (5)                 |
| ``end_date``                                  | ``valid_to`` (5)                   |
| ``days``, or ``monday`` .. ``sunday`` (6)     | ``days``                           |
| ``start_time``, ``end_time``                  | ``start_time``, ``end_time``       |
| ``can_stack`` (default false)                 | ``can_stack``                      |
| ``first_time_customer_only`` (default false)  | ``first_time_customer_only``       |
| ``available_online`` (default true)           | ``available_online``               |
| ``products``, ``product_categories``, ``brands`` | inclusions (lists of ids)          |
| ``vendors``, ``tags``, ``inventory_tags``     | inclusions (lists of ids)          |
| ``pricing_tiers``                             | an inclusion (list of ids)         |
| ``weights``                                   | a weight inclusion (grams)         |
| ``exclude_<x>`` for each list above           | exclusions                         |
| ``unmatched`` (strings)                       | ``unmapped`` (7)                   |

1. A leading ``ptl_`` is dropped (``"ptl_17"`` is ``17``); the deal's ``id`` is
   ``deal_id(location, id, "ptl")``: ``{location}_ptl_{id}``.
2. ``percent``; ``fixed`` or ``amount`` (amount off); ``price`` (price to amount).
3. Unlike Dutchie's, a percent is a **number of percent**: ``30`` is 30%, and
   ``0.3`` is 0.3%. An amount is in major units.
4. ``count`` (or ``number_of_items``), ``spend`` (or ``total_spend``), ``weight``
   (or ``total_weight``) or ``none``, with the same rules as Dutchie's.
5. ISO dates or datetimes. A date is midnight at its start, in the store's time
   zone; an ``end_date`` that is a date is **inclusive**: the deal runs through
   that day, to the following midnight (``2026-11-30`` ends at
   ``2026-12-01T00:00`` local). An ``end_date`` datetime is exclusive; one in
   the year 3000 or later means no end.
6. ``days`` is a list of day names (``["fri", "Saturday"]``) or an object of day
   name to boolean; or the seven booleans are given as fields. Not both. None
   (or all seven) is every day.
7. Targeting PTL could not map to the catalogue; it holds the deal back.

## Dates and times

A datetime with an offset (``+02:00``) or ``Z`` is that instant. One without an
offset is a wall-clock time in the store's ``time_zone`` (a reading that
happens twice, at a fall-back, is its first instant; one skipped at a
spring-forward is read with the offset from before the gap). Fractional seconds
beyond microseconds are truncated (Dutchie sends seven digits,
``2026-10-01T07:00:00.0000000Z``). Datetimes are stored in UTC. An end must be
after its start. Dutchie's dates must be datetimes; PTL's may be dates.

Times of day are ``"HH:MM"`` or ``"HH:MM:SS"`` (null for all day). An end
before the start runs past midnight (``22:00`` to ``02:00``); an end of
``"24:00"`` is midnight; ``00:00`` to ``00:00`` (or ``24:00``) is all day. A
start without an end (or the reverse), or a start equal to a non-midnight end,
is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pricekit.deals.models import (
    ApplicationMethod,
    Deal,
    DealSource,
    Dimension,
    RewardMethod,
    ThresholdType,
    deal_id,
)
from pricekit.errors import InvalidValueError, ModelValidationError
from pricekit.money import Money, get_currency, to_decimal
from pricekit.time import Weekday, zone

__all__ = ["parse_dutchie", "parse_dutchie_list", "parse_ptl", "parse_ptl_payload"]

_NO_END_YEAR = 3000
"""An end date in this year or later means the deal has no end (Dutchie's "forever")."""

_PTL_ID_PREFIX = "ptl_"
"""A prefix PTL may put on its discount ids; it is dropped (the composite id marks PTL)."""

_T = TypeVar("_T")
_MIDNIGHT = time(0)
_DAY_KEYS = tuple(day.name.lower() for day in Weekday)

_DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>\d{2})(?::?(?P<off_minute>\d{2}))?)?)?"
)
_TIME_RE = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
)

_APPLICATION_METHODS = {
    "automatic": ApplicationMethod.AUTOMATIC,
    "code": ApplicationMethod.CODE,
    "coupon": ApplicationMethod.CODE,
    "manual": ApplicationMethod.MANUAL,
}
_DUTCHIE_METHODS = {
    "percentoff": RewardMethod.PERCENT_OFF,
    "amountoff": RewardMethod.AMOUNT_OFF,
    "amountofftotal": RewardMethod.AMOUNT_OFF,
    "pricetoamount": RewardMethod.PRICE_TO_AMOUNT,
}
_PTL_METHODS = {
    "percent": RewardMethod.PERCENT_OFF,
    "fixed": RewardMethod.AMOUNT_OFF,
    "amount": RewardMethod.AMOUNT_OFF,
    "price": RewardMethod.PRICE_TO_AMOUNT,
}
_THRESHOLDS: dict[str, ThresholdType | None] = {
    "numberofitems": ThresholdType.COUNT,
    "count": ThresholdType.COUNT,
    "totalspend": ThresholdType.SPEND,
    "spend": ThresholdType.SPEND,
    "weight": ThresholdType.WEIGHT,
    "totalweight": ThresholdType.WEIGHT,
    "none": None,
}
_DUTCHIE_DIMENSIONS = {
    "product": Dimension.PRODUCT,
    "products": Dimension.PRODUCT,
    "category": Dimension.CATEGORY,
    "categories": Dimension.CATEGORY,
    "productcategory": Dimension.CATEGORY,
    "productcategories": Dimension.CATEGORY,
    "brand": Dimension.BRAND,
    "brands": Dimension.BRAND,
    "vendor": Dimension.VENDOR,
    "vendors": Dimension.VENDOR,
    "weight": Dimension.WEIGHT,
    "weights": Dimension.WEIGHT,
    "tag": Dimension.TAG,
    "tags": Dimension.TAG,
    "inventorytag": Dimension.INVENTORY_TAG,
    "inventorytags": Dimension.INVENTORY_TAG,
    "pricingtier": Dimension.PRICING_TIER,
    "pricingtiers": Dimension.PRICING_TIER,
}
_PTL_TARGETS = {
    "products": Dimension.PRODUCT,
    "product_categories": Dimension.CATEGORY,
    "brands": Dimension.BRAND,
    "vendors": Dimension.VENDOR,
    "weights": Dimension.WEIGHT,
    "tags": Dimension.TAG,
    "inventory_tags": Dimension.INVENTORY_TAG,
    "pricing_tiers": Dimension.PRICING_TIER,
}
_PTL_KEYS = frozenset(
    {
        "id",
        "name",
        "description",
        "online_name",
        "menu_rank",
        "application_method",
        "enabled",
        "discount_type",
        "discount_value",
        "threshold_type",
        "threshold",
        "apply_to_one_item",
        "start_date",
        "end_date",
        "days",
        "start_time",
        "end_time",
        "can_stack",
        "first_time_customer_only",
        "available_online",
        "unmatched",
        *_DAY_KEYS,
        *_PTL_TARGETS,
        *(f"exclude_{key}" for key in _PTL_TARGETS),
    }
)
_PTL_BODY_KEYS = ("location_id", "source", "discounts")


# --------------------------------------------------------------------------- public


def parse_dutchie(
    payload: Mapping[str, Any], *, location_id: str, time_zone: str, currency: str = "USD"
) -> Deal:
    """Read one discount of Dutchie's discount list v2 into a deal.

    See the module's documentation for the fields read and how.

    Args:
        payload: One element of ``/discounts/v2/list``, as parsed JSON (read
            with ``parse_float=Decimal``).
        location_id: The location the list was fetched for.
        time_zone: The store's IANA time zone: dates without an offset, days and
            times of day are read in it.
        currency: The currency of the discount's amounts.

    Returns:
        The deal, with ``source="dutchie"``.

    Raises:
        InvalidValueError: A refused value, named ``discount[<id>].<field>``;
            or a bad ``location_id``, ``time_zone`` or ``currency``.
    """
    tz, code, location = _context(location_id=location_id, time_zone=time_zone, currency=currency)
    return _dutchie(payload, location=location, tz=tz, currency=code)


def parse_dutchie_list(
    items: Iterable[Mapping[str, Any]], *, location_id: str, time_zone: str, currency: str = "USD"
) -> list[Deal]:
    """Read every discount of Dutchie's discount list v2; all of them or none.

    Args:
        items: The list ``/discounts/v2/list`` returns.
        location_id: The location the list was fetched for.
        time_zone: The store's IANA time zone.
        currency: The currency of the discounts' amounts.

    Returns:
        The deals, in the list's order.

    Raises:
        InvalidValueError: ``items`` is not a list of objects (field
            ``items[<i>]``), an id is missing or repeated (``items[<i>].id``), or a
            discount is refused (``discount[<id>].<field>``).
    """
    tz, code, location = _context(location_id=location_id, time_zone=time_zone, currency=currency)
    records = _records(items, field="items")
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        _unique(_source_id(record.get("id"), field=f"items[{index}].id"), index, seen, "items")
    return [_dutchie(record, location=location, tz=tz, currency=code) for record in records]


def parse_ptl(
    payload: Mapping[str, Any], *, location_id: str, time_zone: str, currency: str = "USD"
) -> Deal:
    """Read one discount of PTL's webhook body into a deal.

    See the module's documentation for the fields read and how. Unlike
    Dutchie's, PTL's percentages are numbers of percent (``30`` is 30%), and an
    ``end_date`` given as a date is inclusive.

    Args:
        payload: One element of the body's ``discounts``.
        location_id: The location the body is for.
        time_zone: The store's IANA time zone: dates, datetimes without an
            offset, days and times of day are read in it.
        currency: The currency of the discount's amounts.

    Returns:
        The deal, with ``source="ptl"``.

    Raises:
        InvalidValueError: A refused value or an unknown key, named
            ``discount[<id>].<field>``; or a bad ``location_id``, ``time_zone`` or
            ``currency``.
    """
    tz, code, location = _context(location_id=location_id, time_zone=time_zone, currency=currency)
    return _ptl(payload, location=location, tz=tz, currency=code)


def parse_ptl_payload(
    body: Mapping[str, Any],
    *,
    time_zone: str,
    currency: str = "USD",
    location_id: str | None = None,
) -> tuple[str, list[Deal]]:
    """Read PTL's webhook body, ``{location_id, source: "ptl", discounts: [...]}``.

    The location comes from the body's ``location_id`` or, for the bulk form
    that puts it in the URL path, from ``location_id``; if both are given they
    must agree. ``source``, if given, must be ``"ptl"``. Either every discount is
    read or an error is raised: nothing partial is returned.

    Args:
        body: The webhook's JSON body, parsed with ``parse_float=Decimal``.
        time_zone: The store's IANA time zone.
        currency: The currency of the discounts' amounts.
        location_id: The location, when the body does not carry it.

    Returns:
        The location and its deals, in the body's order.

    Raises:
        InvalidValueError: A missing or conflicting ``location_id``, a ``source``
            other than ``ptl``, an unknown key, ``discounts`` not a list of objects
            (``discounts[<i>]``), a missing or repeated id (``discounts[<i>].id``),
            or a refused discount (``discount[<id>].<field>``).
    """
    if not isinstance(body, Mapping):
        raise InvalidValueError(field="body", value=body, reason="expected a JSON object")
    for key in body:
        if key not in _PTL_BODY_KEYS:
            raise InvalidValueError(
                field=str(key),
                value=body[key],
                reason=f"unknown key; expected one of {', '.join(_PTL_BODY_KEYS)}",
            )
    source = body.get("source")
    if source is not None and (not isinstance(source, str) or source.strip().lower() != "ptl"):
        raise InvalidValueError(field="source", value=source, reason='must be "ptl"')
    location = _body_location(body.get("location_id"), location_id)
    tz, code, location = _context(location_id=location, time_zone=time_zone, currency=currency)
    discounts = body.get("discounts")
    if not isinstance(discounts, list | tuple):
        raise InvalidValueError(
            field="discounts", value=discounts, reason="expected a list of discounts"
        )
    records = _records(discounts, field="discounts")
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        _unique(_ptl_id(record.get("id"), field=f"discounts[{index}].id"), index, seen, "discounts")
    return location, [_ptl(record, location=location, tz=tz, currency=code) for record in records]


# --------------------------------------------------------------------------- Dutchie


def _dutchie(payload: object, *, location: str, tz: ZoneInfo, currency: str) -> Deal:
    if not isinstance(payload, Mapping):
        raise InvalidValueError(field="discount", value=payload, reason="expected a JSON object")
    discount_id = _source_id(payload.get("id"), field="discount.id")
    at = f"discount[{discount_id}]"
    menu = payload.get("menuDisplay")
    if menu is None:
        menu = {}
    elif not isinstance(menu, Mapping):
        raise InvalidValueError(field=f"{at}.menuDisplay", value=menu, reason="expected an object")

    online_name = _text(
        *_first(
            (f"{at}.onlineName", payload.get("onlineName")),
            (f"{at}.menuDisplay.menuDisplayName", menu.get("menuDisplayName")),
        )
    )
    name = _text(
        *_first(
            (f"{at}.discountName", payload.get("discountName")),
            (f"{at}.name", payload.get("name")),
        )
    )
    description = _text(
        *_first(
            (f"{at}.discountDescription", payload.get("discountDescription")),
            (f"{at}.description", payload.get("description")),
        )
    )
    rank_field, rank = _first(
        (f"{at}.menuDisplay.menuDisplayRank", menu.get("menuDisplayRank")),
        (f"{at}.menuRank", payload.get("menuRank")),
    )
    stack_field, stack = _first(
        (f"{at}.canStackAutomatically", payload.get("canStackAutomatically")),
        (f"{at}.isStackable", payload.get("isStackable")),
    )
    valid_from = _instant(
        payload.get("validDateFrom"), tz=tz, field=f"{at}.validDateFrom", end=False, dates=False
    )
    valid_to = _instant(
        payload.get("validDateTo"), tz=tz, field=f"{at}.validDateTo", end=True, dates=False
    )
    _check_order(
        valid_from,
        valid_to,
        given=payload.get("validDateTo"),
        field=f"{at}.validDateTo",
        start_name="validDateFrom",
    )
    start_time, end_time = _window(
        payload.get("startTime"),
        payload.get("endTime"),
        start_field=f"{at}.startTime",
        end_field=f"{at}.endTime",
    )

    reward = payload.get("reward")
    if not isinstance(reward, Mapping):
        raise InvalidValueError(
            field=f"{at}.reward",
            value=reward,
            reason="expected an object with calculationMethod and discountValue",
        )
    targets = _Targets()
    restrictions_field, restrictions = _dutchie_restriction_source(payload, reward, at=at)
    _dutchie_restrictions(restrictions, targets, field=restrictions_field)

    data: dict[str, Any] = {
        "id": deal_id(location, discount_id, DealSource.DUTCHIE),
        "discount_id": discount_id,
        "location_id": location,
        "source": DealSource.DUTCHIE,
        "name": name or online_name or f"Discount {discount_id}",
        "description": description or "",
        "online_name": online_name,
        "menu_rank": None if rank is None else _integer(rank, field=rank_field),
        "application_method": _application(
            payload.get("applicationMethod"), field=f"{at}.applicationMethod", default=None
        ),
        "enabled": _flag(payload.get("isActive"), field=f"{at}.isActive", default=True),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "time_zone": tz.key,
        "days": _day_flags(payload, at=at),
        "start_time": start_time,
        "end_time": end_time,
        "first_time_customer_only": _flag(
            payload.get("firstTimeCustomerOnly"), field=f"{at}.firstTimeCustomerOnly", default=False
        ),
        "can_stack": _flag(stack, field=stack_field, default=False),
        "available_online": _flag(
            payload.get("isAvailableOnline"), field=f"{at}.isAvailableOnline", default=True
        ),
        "reward": _reward(
            method=_choice(
                reward.get("calculationMethod"),
                _DUTCHIE_METHODS,
                field=f"{at}.reward.calculationMethod",
                expected="PERCENT_OFF, AMOUNT_OFF, AMOUNT_OFF_TOTAL or PRICE_TO_AMOUNT",
            ),
            value=reward.get("discountValue"),
            value_field=f"{at}.reward.discountValue",
            percent_is_fraction=True,
            threshold_type=reward.get("thresholdType"),
            type_field=f"{at}.reward.thresholdType",
            threshold=reward.get("thresholdMin"),
            threshold_field=f"{at}.reward.thresholdMin",
            one_item_only=_flag(
                reward.get("applyToOnlyOneItem"),
                field=f"{at}.reward.applyToOnlyOneItem",
                default=False,
            ),
            currency=currency,
        ),
        "restrictions": targets.restrictions(),
        "unmapped": targets.unmapped,
        "currency": currency,
    }
    return _build(data, at=at)


def _dutchie_restriction_source(
    payload: Mapping[str, Any], reward: Mapping[str, Any], *, at: str
) -> tuple[str, object]:
    """Where the restrictions are: ``reward.restrictions``, else the top level."""
    inner, outer = reward.get("restrictions"), payload.get("restrictions")
    if inner and outer and inner != outer:
        raise InvalidValueError(
            field=f"{at}.restrictions",
            value=outer,
            reason="restrictions are given both in reward and at the top level, and differ",
        )
    if inner or not outer:
        return f"{at}.reward.restrictions", inner
    return f"{at}.restrictions", outer


def _dutchie_restrictions(restrictions: object, targets: _Targets, *, field: str) -> None:
    if restrictions is None:
        return
    if not isinstance(restrictions, Mapping):
        raise InvalidValueError(
            field=field,
            value=restrictions,
            reason="expected an object of restriction type -> {restrictionIds, isExclusion}",
        )
    for type_name, entry in restrictions.items():
        at = f"{field}.{type_name}"
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            raise InvalidValueError(
                field=at, value=entry, reason="expected an object with restrictionIds, isExclusion"
            )
        ids = _id_list(entry.get("restrictionIds"), field=f"{at}.restrictionIds")
        if not ids:
            continue
        exclude = _flag(entry.get("isExclusion"), field=f"{at}.isExclusion", default=False)
        dimension = _DUTCHIE_DIMENSIONS.get(_key(str(type_name)))
        if dimension is None:
            targets.unmapped.append(f"restriction type {str(type_name)!r} is not understood")
            continue
        targets.add(dimension, ids, exclude=exclude, field=f"{at}.restrictionIds")


def _day_flags(payload: Mapping[str, Any], *, at: str) -> list[Weekday]:
    return [
        day
        for day, key in zip(Weekday, _DAY_KEYS, strict=True)
        if _flag(payload.get(key), field=f"{at}.{key}", default=False)
    ]


# --------------------------------------------------------------------------- PTL


def _ptl(payload: object, *, location: str, tz: ZoneInfo, currency: str) -> Deal:
    if not isinstance(payload, Mapping):
        raise InvalidValueError(field="discount", value=payload, reason="expected a JSON object")
    discount_id = _ptl_id(payload.get("id"), field="discount.id")
    at = f"discount[{discount_id}]"
    for key in payload:
        if key not in _PTL_KEYS:
            raise InvalidValueError(
                field=f"{at}.{key}",
                value=payload[key],
                reason="unknown key: PTL discounts take the fields documented in "
                "pricekit.deals.sources (unread targeting would widen the deal)",
            )
    online_name = _text(f"{at}.online_name", payload.get("online_name"))
    rank = payload.get("menu_rank")
    valid_from = _instant(
        payload.get("start_date"), tz=tz, field=f"{at}.start_date", end=False, dates=True
    )
    valid_to = _instant(
        payload.get("end_date"), tz=tz, field=f"{at}.end_date", end=True, dates=True
    )
    _check_order(
        valid_from,
        valid_to,
        given=payload.get("end_date"),
        field=f"{at}.end_date",
        start_name="start_date",
    )
    start_time, end_time = _window(
        payload.get("start_time"),
        payload.get("end_time"),
        start_field=f"{at}.start_time",
        end_field=f"{at}.end_time",
    )
    targets = _Targets()
    for key, dimension in _PTL_TARGETS.items():
        for exclude, name in ((False, key), (True, f"exclude_{key}")):
            ids = _id_list(payload.get(name), field=f"{at}.{name}")
            if ids:
                targets.add(dimension, ids, exclude=exclude, field=f"{at}.{name}")
    unmatched = _id_list(payload.get("unmatched"), field=f"{at}.unmatched")
    for index, item in enumerate(unmatched):
        text = _text(f"{at}.unmatched[{index}]", item)
        if text:
            targets.unmapped.append(text)

    data: dict[str, Any] = {
        "id": deal_id(location, discount_id, DealSource.PTL),
        "discount_id": discount_id,
        "location_id": location,
        "source": DealSource.PTL,
        "name": _text(f"{at}.name", payload.get("name"))
        or online_name
        or f"Discount {discount_id}",
        "description": _text(f"{at}.description", payload.get("description")) or "",
        "online_name": online_name,
        "menu_rank": None if rank is None else _integer(rank, field=f"{at}.menu_rank"),
        "application_method": _application(
            payload.get("application_method"),
            field=f"{at}.application_method",
            default=ApplicationMethod.AUTOMATIC,
        ),
        "enabled": _flag(payload.get("enabled"), field=f"{at}.enabled", default=True),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "time_zone": tz.key,
        "days": _ptl_days(payload, at=at),
        "start_time": start_time,
        "end_time": end_time,
        "first_time_customer_only": _flag(
            payload.get("first_time_customer_only"),
            field=f"{at}.first_time_customer_only",
            default=False,
        ),
        "can_stack": _flag(payload.get("can_stack"), field=f"{at}.can_stack", default=False),
        "available_online": _flag(
            payload.get("available_online"), field=f"{at}.available_online", default=True
        ),
        "reward": _reward(
            method=_choice(
                payload.get("discount_type"),
                _PTL_METHODS,
                field=f"{at}.discount_type",
                expected="percent, fixed, amount or price",
            ),
            value=payload.get("discount_value"),
            value_field=f"{at}.discount_value",
            percent_is_fraction=False,
            threshold_type=payload.get("threshold_type"),
            type_field=f"{at}.threshold_type",
            threshold=payload.get("threshold"),
            threshold_field=f"{at}.threshold",
            one_item_only=_flag(
                payload.get("apply_to_one_item"), field=f"{at}.apply_to_one_item", default=False
            ),
            currency=currency,
        ),
        "restrictions": targets.restrictions(),
        "unmapped": targets.unmapped,
        "currency": currency,
    }
    return _build(data, at=at)


def _ptl_id(value: object, *, field: str) -> str:
    text = _source_id(value, field=field).removeprefix(_PTL_ID_PREFIX)
    if not text:
        raise InvalidValueError(field=field, value=value, reason="no id after the 'ptl_' prefix")
    return text


def _ptl_days(payload: Mapping[str, Any], *, at: str) -> list[Weekday]:
    days = payload.get("days")
    flags = [key for key in _DAY_KEYS if key in payload]
    if days is None:
        return _day_flags(payload, at=at)
    if flags:
        raise InvalidValueError(
            field=f"{at}.days",
            value=days,
            reason=f"give days or the seven day booleans, not both (also got {flags[0]})",
        )
    if isinstance(days, Mapping):
        chosen = []
        for name, on in days.items():
            day = Weekday.from_name(str(name), field=f"{at}.days.{name}")
            if _flag(on, field=f"{at}.days.{name}", default=False):
                chosen.append(day)
        return chosen
    if not isinstance(days, list | tuple):
        raise InvalidValueError(
            field=f"{at}.days",
            value=days,
            reason="expected a list of day names or an object of day name -> boolean",
        )
    return [Weekday.from_name(day, field=f"{at}.days[{i}]") for i, day in enumerate(days)]


def _body_location(body_value: object, argument: str | None) -> str:
    given = None if body_value is None or body_value == "" else body_value
    if given is None:
        if argument is None:
            raise InvalidValueError(
                field="location_id",
                value=None,
                reason="is required: in the body, or as the argument for the bulk form",
            )
        return argument
    if not isinstance(given, str):
        raise InvalidValueError(field="location_id", value=given, reason="expected a string")
    if argument is not None and argument != given:
        raise InvalidValueError(
            field="location_id",
            value=given,
            reason=f"the body's location differs from the one given ({argument!r})",
        )
    return given


# --------------------------------------------------------------------------- shared


class _Targets:
    """Restrictions gathered while reading, merged per (dimension, exclusion)."""

    __slots__ = ("ids", "unmapped", "weights")

    def __init__(self) -> None:
        self.ids: dict[tuple[Dimension, bool], set[str]] = {}
        self.weights: dict[tuple[Dimension, bool], set[Decimal]] = {}
        self.unmapped: list[str] = []

    def add(self, dimension: Dimension, values: list[object], *, exclude: bool, field: str) -> None:
        key = (dimension, exclude)
        for index, value in enumerate(values):
            at = f"{field}[{index}]"
            if dimension is Dimension.WEIGHT:
                weight = _decimal(value, field=at)
                if weight <= 0:
                    raise InvalidValueError(
                        field=at, value=value, reason="a weight in grams must be above 0"
                    )
                self.weights.setdefault(key, set()).add(weight)
            else:
                self.ids.setdefault(key, set()).add(_source_id(value, field=at))

    def restrictions(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for dimension in Dimension:
            for exclude in (False, True):
                key = (dimension, exclude)
                if key in self.weights:
                    out.append({"dimension": dimension, "weights": self.weights[key]})
                elif key in self.ids:
                    out.append({"dimension": dimension, "ids": self.ids[key]})
                else:
                    continue
                out[-1]["exclude"] = exclude
        return out


def _context(*, location_id: object, time_zone: str, currency: str) -> tuple[ZoneInfo, str, str]:
    tz = zone(time_zone, field="time_zone")
    code = get_currency(currency, field="currency").code
    if not isinstance(location_id, str) or not location_id.strip():
        raise InvalidValueError(
            field="location_id", value=location_id, reason="expected a non-empty string"
        )
    return tz, code, location_id


def _records(items: object, *, field: str) -> list[Mapping[str, Any]]:
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise InvalidValueError(field=field, value=items, reason="expected a list of discounts")
    records: list[Mapping[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidValueError(
                field=f"{field}[{index}]", value=item, reason="expected a JSON object"
            )
        records.append(item)
    return records


def _unique(discount_id: str, index: int, seen: dict[str, int], field: str) -> None:
    if discount_id in seen:
        raise InvalidValueError(
            field=f"{field}[{index}].id",
            value=discount_id,
            reason=f"repeats the id of {field}[{seen[discount_id]}]",
        )
    seen[discount_id] = index


def _build(data: dict[str, Any], *, at: str) -> Deal:
    try:
        return Deal.model_validate(data)
    except ModelValidationError as exc:
        raise InvalidValueError(
            field=f"{at}.{exc.field}", value=exc.value, reason=exc.reason
        ) from None


def _key(text: str) -> str:
    """An enumerated value or type name, compared ignoring case, spaces, ``_`` and ``-``."""
    return re.sub(r"[\s_\-]", "", text).lower()


def _first(*candidates: tuple[str, object]) -> tuple[str, object]:
    """The first ``(field, value)`` whose value is given (not null, not blank text)."""
    for field, value in candidates:
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return field, value
    return candidates[0][0], None


def _text(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(field=field, value=value, reason="expected a string")
    return value.strip() or None


def _source_id(value: object, *, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidValueError(
        field=field, value=value, reason="expected an id: a non-empty string or an integer"
    )


def _id_list(value: object, *, field: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidValueError(field=field, value=value, reason="expected a list")
    return list(value)


def _flag(value: object, *, field: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidValueError(field=field, value=value, reason="expected true or false")
    return value


def _decimal(value: object, *, field: str) -> Decimal:
    """An exact number: ``Decimal``, ``int``, a numeric string, or a float read by its repr."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValueError(field=field, value=value, reason="must be a finite number")
        return Decimal(repr(value))
    return to_decimal(value, field=field)


def _integer(value: object, *, field: str) -> int:
    number = _decimal(value, field=field)
    if number != number.to_integral_value():
        raise InvalidValueError(field=field, value=value, reason="expected a whole number")
    return int(number)


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros, never to an exponent: ``30.0`` is ``30``, ``12.50`` is ``12.5``."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _choice(value: object, choices: Mapping[str, _T], *, field: str, expected: str) -> _T:
    if isinstance(value, str) and _key(value) in choices:
        return choices[_key(value)]
    raise InvalidValueError(field=field, value=value, reason=f"expected one of {expected}")


def _application(
    value: object, *, field: str, default: ApplicationMethod | None
) -> ApplicationMethod:
    if value is None and default is not None:
        return default
    return _choice(
        value,
        _APPLICATION_METHODS,
        field=field,
        expected="Automatic, Code (or Coupon) or Manual",
    )


def _reward(
    *,
    method: RewardMethod,
    value: object,
    value_field: str,
    percent_is_fraction: bool,
    threshold_type: object,
    type_field: str,
    threshold: object,
    threshold_field: str,
    one_item_only: bool,
    currency: str,
) -> dict[str, Any]:
    if value is None:
        raise InvalidValueError(field=value_field, value=value, reason="is required")
    number = _decimal(value, field=value_field)
    reward: dict[str, Any] = {"method": method, "one_item_only": one_item_only}
    if method is RewardMethod.PERCENT_OFF:
        reward["percent"] = _percent(number, value, field=value_field, fraction=percent_is_fraction)
    else:
        if number < 0:
            raise InvalidValueError(field=value_field, value=value, reason="must not be negative")
        try:
            reward["amount"] = Money.of(str(number), currency)
        except InvalidValueError as exc:
            raise InvalidValueError(field=value_field, value=value, reason=exc.reason) from None
    kind = (
        None
        if threshold_type is None
        else _choice(
            threshold_type,
            _THRESHOLDS,
            field=type_field,
            expected="NUMBER_OF_ITEMS, TOTAL_SPEND, WEIGHT or NONE",
        )
    )
    if kind is not None:
        if threshold is None:
            raise InvalidValueError(
                field=threshold_field, value=None, reason=f"a {kind.value} threshold needs a value"
            )
        minimum = _decimal(threshold, field=threshold_field)
        if minimum <= 0:
            raise InvalidValueError(
                field=threshold_field, value=threshold, reason="must be above 0"
            )
        if kind is ThresholdType.COUNT and minimum != minimum.to_integral_value():
            raise InvalidValueError(
                field=threshold_field, value=threshold, reason="a count of items is a whole number"
            )
        reward["threshold_type"] = kind
        reward["threshold"] = minimum
    return reward


def _percent(number: Decimal, value: object, *, field: str, fraction: bool) -> Decimal:
    if number <= 0:
        raise InvalidValueError(field=field, value=value, reason="a percent off must be above 0")
    if fraction:
        if number > 1:
            raise InvalidValueError(
                field=field,
                value=value,
                reason="percent above 100% (Dutchie gives a percent as a fraction: 0.3 is 30%)",
            )
        return _tidy(number * 100)
    if number > 100:
        raise InvalidValueError(
            field=field,
            value=value,
            reason="percent above 100% (PTL gives a number of percent: 30 is 30%)",
        )
    return _tidy(number)


def _instant(value: object, *, tz: ZoneInfo, field: str, end: bool, dates: bool) -> datetime | None:
    """A start or end instant in UTC, or ``None`` for none (or, for an end, year 3000+)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    whole_day = False
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment, whole_day = datetime(value.year, value.month, value.day), True
    elif isinstance(value, str):
        moment, whole_day = _parse_datetime(value, field=field)
    else:
        raise InvalidValueError(field=field, value=value, reason="expected an ISO 8601 datetime")
    if whole_day and not dates:
        raise InvalidValueError(
            field=field, value=value, reason="expected a date and time, not only a date"
        )
    if end and moment.year >= _NO_END_YEAR:
        return None
    try:
        if whole_day and end:
            moment += timedelta(days=1)  # an end date is inclusive: to the next midnight
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=tz)  # wall-clock time in the store (fold=0)
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValueError(field=field, value=value, reason="out of range") from None


def _parse_datetime(text: str, *, field: str) -> tuple[datetime, bool]:
    """Parse ISO 8601; ``(datetime, True)`` for a date alone (its midnight)."""
    match = _DATETIME_RE.fullmatch(text.strip())
    reason = "expected an ISO 8601 datetime such as 2026-10-01T07:00:00Z"
    if match is None:
        raise InvalidValueError(field=field, value=text, reason=reason)
    parts = match.groupdict()
    fraction = ((parts["fraction"] or "") + "000000")[:6]  # 7 digits: truncate to micro
    tzinfo: timezone | None = None
    if parts["offset"] in ("Z", "z"):
        tzinfo = UTC
    elif parts["offset"]:
        minutes = int(parts["off_hour"]) * 60 + int(parts["off_minute"] or 0)
        sign = -1 if parts["sign"] == "-" else 1
        if minutes >= 24 * 60:
            raise InvalidValueError(field=field, value=text, reason="offset out of range")
        tzinfo = timezone(sign * timedelta(minutes=minutes))
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=tzinfo,
        )
    except ValueError as exc:
        raise InvalidValueError(field=field, value=text, reason=f"{reason} ({exc})") from None
    return moment, parts["hour"] is None


def _check_order(
    start: datetime | None, end: datetime | None, *, given: object, field: str, start_name: str
) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidValueError(
            field=field,
            value=given,
            reason=f"the end must be after {start_name} ({start.isoformat()})",
        )


def _wall_time(value: object, *, field: str, end: bool) -> time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time) and value.tzinfo is None:
        return value
    match = _TIME_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidValueError(
            field=field, value=value, reason='expected a time of day such as "16:20" or "16:20:00"'
        )
    hour, minute, second = (int(match[name] or 0) for name in ("hour", "minute", "second"))
    micro = int(((match["fraction"] or "") + "000000")[:6])
    if end and hour == 24 and minute == second == micro == 0:
        return _MIDNIGHT  # the end of the day
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidValueError(field=field, value=value, reason="not a time of day")
    return time(hour, minute, second, micro)


def _window(
    start_raw: object, end_raw: object, *, start_field: str, end_field: str
) -> tuple[time | None, time | None]:
    start = _wall_time(start_raw, field=start_field, end=False)
    end = _wall_time(end_raw, field=end_field, end=True)
    if (start is None) != (end is None):
        missing, other, given = (
            (end_field, "start", start_raw) if end is None else (start_field, "end", end_raw)
        )
        raise InvalidValueError(
            field=missing,
            value=None,
            reason=f"a time-of-day window needs both its start and its end (the {other} is "
            f"{given!r}; leave both empty for all day)",
        )
    if start is not None and start == end:
        if start == _MIDNIGHT:
            return None, None  # 00:00 to 00:00 (or 24:00): all day
        raise InvalidValueError(
            field=end_field,
            value=end_raw,
            reason="must differ from the start (leave both empty for all day)",
        )
    return start, end
