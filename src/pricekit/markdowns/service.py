"""The markdown service: plans and waves over repositories, their lifecycle, and queries.

:class:`MarkdownService` is the seed's markdown endpoints as methods, and the
seasonal markdown source of price resolution:

- **Plans** group waves; a plan can be deactivated (its waves then cannot be
  activated, and pending locations wait) and cannot be deleted while it has an
  active or scheduled wave.
- **Waves** are created in ``draft``, with their items materialised there and then
  (scope expansion and pricing, so a preview has no side effects). A wave is
  changed only in ``draft``, and deleted only in ``draft`` or ``scheduled``.
- **Activation** needs ``confirm_below_cost=True`` when an included item would sell
  under its cost (:class:`~pricekit.errors.ConfirmationRequiredError` lists them).
  Each location whose ``activate_at`` has come activates at once (or is skipped
  if the business location is deactivated); the others stay ``pending`` and the
  wave ``scheduled`` until :meth:`MarkdownService.activate_due` has dealt with
  them all. The wave is ``active`` once no location is pending.
- **Reversal** takes the wave's prices back at every active location (the price
  in effect before the wave shows again: the regular price, or for a compound
  wave the markdown it stacked on if that is still active) and skips the pending
  ones.
- **History.** Every activation, skip and reversal writes history entries: one
  per item and location for activations and reversals (with the prices before
  and after), one per location for skips.
- **Price cache.** Activating or reversing a wave clears the business's cached
  prices, so price resolution sees the change at once.

The service implements :class:`~pricekit.pricing.ports.MarkdownLookup`: pass it as
``markdowns=`` to :class:`~pricekit.pricing.service.PricingService` (or a
:class:`~pricekit.pricing.book.PriceBook`) and a resolution for a marked-down
variant returns ``source="markdown"`` with the wave id and the original price.

Writes are serialised by a lock; lookups take none.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO, TypeVar

from pricekit._model import fields_of
from pricekit.catalog import CatalogRepository
from pricekit.errors import (
    ConfirmationRequiredError,
    ConflictError,
    InvalidStateTransitionError,
    InvalidValueError,
    NotFoundError,
    PricekitError,
)
from pricekit.markdowns.active import ActiveMarkdowns
from pricekit.markdowns.compute import (
    PriceInEffect,
    WavePreview,
    expand_scopes,
    preview_wave,
    price_wave_items,
)
from pricekit.markdowns.export import iter_wave_csv, write_wave_csv
from pricekit.markdowns.models import (
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownMode,
    MarkdownPlan,
    MarkdownWave,
    WaveItem,
    WaveLocation,
    WaveLocationStatus,
    WaveStatus,
)
from pricekit.markdowns.ports import (
    InventoryLookup,
    LocationDirectory,
    MarkdownHistoryRepository,
    MarkdownPlanRepository,
    MarkdownWaveRepository,
    SalesSource,
)
from pricekit.markdowns.reports import (
    PlanPerformance,
    WavePerformance,
    plan_performance,
    wave_performance,
)
from pricekit.money import Money
from pricekit.pricing.cache import PriceCache
from pricekit.pricing.models import ItemType
from pricekit.pricing.ports import MarkdownPrice
from pricekit.pricing.repository import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, Page
from pricekit.time import Clock, SystemClock, require_aware

__all__ = ["ActivationResult", "ActiveMarkdown", "MarkdownService", "ReversalResult"]

_M = TypeVar("_M", MarkdownPlan, MarkdownWave)

_WAVE = "markdown_wave"
_PLAN = "markdown_plan"

_SET_BY_SERVICE = ("id", "status", "activated_at", "reversed_at", "created_at", "updated_at")
"""Wave fields the lifecycle sets; a caller may not."""

_PRICING_FIELDS = frozenset(
    {"method", "value", "mode", "currency", "floor_price", "min_margin_percent", "scopes"}
)
"""Wave fields whose change re-expands and re-prices the items."""

_LIVE = (WaveStatus.ACTIVE, WaveStatus.SCHEDULED)


@dataclass(frozen=True, slots=True)
class ActivationResult:
    """What an activation did.

    Attributes:
        wave: The wave after it.
        activated: Locations that took the wave's prices now (``("*",)`` for a
            wave that applies everywhere).
        skipped: Locations skipped because the business location is deactivated
            or unknown.
        pending: Locations still waiting for their ``activate_at``.
        history_entries: How many history entries were written.
    """

    wave: MarkdownWave
    activated: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    history_entries: int = 0


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """What a reversal did.

    Attributes:
        wave: The wave after it (``reversed``).
        reversed: Locations whose prices were taken back (``("*",)`` for a wave
            that applies everywhere).
        skipped: Pending locations that will now never activate.
        history_entries: How many history entries were written.
    """

    wave: MarkdownWave
    reversed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    history_entries: int = 0


@dataclass(frozen=True, slots=True)
class ActiveMarkdown:
    """The markdown in effect for a variant (the seed's "active markdown for variant").

    Attributes:
        wave_id: The wave that set the price.
        plan_id: Its plan.
        variant_id: The variant.
        location_id: The location asked about (``None``: no location).
        price: The markdown price.
        regular_price: The variant's regular price.
        base_price: The price the markdown was computed from.
        since: When it took effect there.
    """

    wave_id: str
    plan_id: str
    variant_id: str
    location_id: str | None
    price: Money
    regular_price: Money
    base_price: Money
    since: datetime


_UNSET_OK = {"status": WaveStatus.DRAFT}
"""A model passed to a create call carries these defaults; they are not a request."""


def _refuse(changes: Mapping[str, Any], names: Sequence[str]) -> None:
    for name in names:
        if name in changes and changes[name] is not None and changes[name] != _UNSET_OK.get(name):
            raise InvalidValueError(
                field=name, value=changes[name], reason="is set by the service and cannot be given"
            )


def _location_key(location_id: str | None) -> str:
    return "*" if location_id is None else location_id


class MarkdownService:
    """Markdown plans and waves: lifecycle, history, queries, export and reports.

    Args:
        plans: Where plans are kept.
        waves: Where waves and their items are kept.
        history: Where activations, skips and reversals are recorded.
        catalog: The variants waves cover.
        locations: Whether business locations exist and are active; without it
            every location is taken as active.
        inventory: Units on hand, for previews, exports and reports.
        sales: Sale lines, for performance reports.
        price_cache: The price cache to clear when prices change; share it with
            the :class:`~pricekit.pricing.service.PricingService`.
        clock: Where "now" comes from; the system clock by default.
    """

    def __init__(
        self,
        *,
        plans: MarkdownPlanRepository,
        waves: MarkdownWaveRepository,
        history: MarkdownHistoryRepository,
        catalog: CatalogRepository,
        locations: LocationDirectory | None = None,
        inventory: InventoryLookup | None = None,
        sales: SalesSource | None = None,
        price_cache: PriceCache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._plans = plans
        self._waves = waves
        self._history = history
        self._catalog = catalog
        self._locations = locations
        self._inventory = inventory
        self._sales = sales
        self._price_cache = price_cache
        self._clock: Clock = SystemClock() if clock is None else clock
        self._active: dict[str, ActiveMarkdowns] = {}
        self._wave_plans: dict[str, tuple[str, dict[str, WaveItem]]] = {}
        self._lock = threading.RLock()

    # -- plans --------------------------------------------------------------------------

    def create_plan(self, data: MarkdownPlan | Mapping[str, Any]) -> MarkdownPlan:
        """Create a plan; an ``id`` is generated if none is given.

        Raises:
            ModelValidationError: A refused field.
            ConflictError: A plan with this id exists.
        """
        fields = fields_of(data, what="plan")
        _refuse(fields, ("created_at", "updated_at"))
        with self._lock:
            plan = self._stamped(MarkdownPlan, fields)
            self._plans.add(plan)
            return plan

    def get_plan(self, plan_id: str) -> MarkdownPlan:
        """The plan with this id.

        Raises:
            NotFoundError: There is no such plan.
        """
        plan = self._plans.get(plan_id)
        if plan is None:
            raise NotFoundError(entity=_PLAN, id=plan_id)
        return plan

    def list_plans(
        self,
        business_id: str,
        *,
        is_active: bool | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownPlan]:
        """One page of a business's plans, ordered by id.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        return self._plans.find(business_id, is_active=is_active, offset=offset, limit=limit)

    def update_plan(self, plan_id: str, /, **changes: Any) -> MarkdownPlan:
        """Change a plan's ``name`` or ``description``.

        Use :meth:`activate_plan` / :meth:`deactivate_plan` for ``is_active``.

        Raises:
            NotFoundError: There is no such plan.
            InvalidValueError: A field that cannot be changed this way.
            ModelValidationError: A refused value.
        """
        for name, value in changes.items():
            if name not in ("name", "description"):
                raise InvalidValueError(
                    field=name,
                    value=value,
                    reason="only name and description change through update_plan",
                )
        with self._lock:
            plan = self.get_plan(plan_id).evolve(**changes, updated_at=self._clock.now())
            self._plans.replace(plan)
            return plan

    def activate_plan(self, plan_id: str) -> MarkdownPlan:
        """Put a plan in use: its waves can be activated, its pending locations come due.

        Raises:
            NotFoundError: There is no such plan.
        """
        return self._set_plan_active(plan_id, active=True)

    def deactivate_plan(self, plan_id: str) -> MarkdownPlan:
        """Take a plan out of use: its waves cannot be activated and pending locations wait.

        Markdowns already in effect stay in effect; reverse a wave to take its prices back.

        Raises:
            NotFoundError: There is no such plan.
        """
        return self._set_plan_active(plan_id, active=False)

    def _set_plan_active(self, plan_id: str, *, active: bool) -> MarkdownPlan:
        with self._lock:
            plan = self.get_plan(plan_id)
            if plan.is_active is active:
                return plan
            plan = plan.evolve(is_active=active, updated_at=self._clock.now())
            self._plans.replace(plan)
            return plan

    def delete_plan(self, plan_id: str) -> MarkdownPlan:
        """Delete a plan and its waves (their history stays).

        Raises:
            NotFoundError: There is no such plan.
            ConflictError: The plan has an active or scheduled wave; reverse it first.
        """
        with self._lock:
            plan = self.get_plan(plan_id)
            waves = self._all_waves(plan.business_id, plan_id=plan_id)
            live = [wave.id for wave in waves if wave.status in _LIVE]
            if live:
                raise ConflictError(
                    entity=_PLAN,
                    id=plan_id,
                    reason=f"it has active or scheduled waves ({', '.join(live)}); "
                    "reverse them before deleting the plan",
                    waves=live,
                )
            for wave in waves:
                self._waves.delete(wave.id)
            self._plans.delete(plan_id)
            return plan

    # -- waves --------------------------------------------------------------------------

    def create_wave(self, plan_id: str, data: MarkdownWave | Mapping[str, Any]) -> MarkdownWave:
        """Create a wave in ``draft`` under a plan, expanding and pricing its items now.

        ``business_id`` comes from the plan; an ``id`` is generated if none is given.
        Compound waves stack on the markdown in effect at the wave's locations (for
        a wave without locations, at any location) when the wave is created.

        Raises:
            NotFoundError: No such plan; a scope names an unknown variant, product or
                category; a location the location directory does not know.
            InvalidValueError: A field set by the service (``status``,
                ``activated_at``, ...), a ``business_id`` other than the plan's, a
                location given a status, or scopes that cover no active variant.
            ModelValidationError: A refused field (percent outside (0, 100], a
                negative amount, a floor in another currency, a naive ``activate_at``).
            ConflictError: A wave with this id exists.
        """
        fields = fields_of(data, what="wave")
        _refuse(fields, [name for name in _SET_BY_SERVICE if name != "id"])
        with self._lock:
            plan = self.get_plan(plan_id)
            given_business = fields.get("business_id", plan.business_id)
            if given_business != plan.business_id:
                raise InvalidValueError(
                    field="business_id",
                    value=given_business,
                    reason=f"must be the plan's business ({plan.business_id!r})",
                )
            fields["plan_id"] = plan_id
            fields["business_id"] = plan.business_id
            wave = self._stamped(MarkdownWave, fields)
            self._check_new_locations(wave)
            items = self._price(wave)
            self._waves.add(wave, items)
            return wave

    def get_wave(self, wave_id: str) -> MarkdownWave:
        """The wave with this id, with its locations and scopes.

        Raises:
            NotFoundError: There is no such wave.
        """
        wave = self._waves.get(wave_id)
        if wave is None:
            raise NotFoundError(entity=_WAVE, id=wave_id)
        return wave

    def wave_items(self, wave_id: str) -> list[WaveItem]:
        """The wave's items, ordered by variant id.

        Raises:
            NotFoundError: There is no such wave.
        """
        self.get_wave(wave_id)
        return self._waves.items(wave_id)

    def list_waves(
        self,
        plan_id: str,
        *,
        statuses: Collection[WaveStatus] | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownWave]:
        """One page of a plan's waves, ordered by id.

        Raises:
            NotFoundError: There is no such plan.
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        plan = self.get_plan(plan_id)
        return self._waves.find(
            plan.business_id, plan_id=plan_id, statuses=statuses, offset=offset, limit=limit
        )

    def update_wave(self, wave_id: str, /, **changes: Any) -> MarkdownWave:
        """Change a ``draft`` wave; a change to how it prices re-expands and re-prices its items.

        Raises:
            NotFoundError: There is no such wave (or a new scope names an unknown id).
            InvalidStateTransitionError: The wave is not in ``draft``.
            InvalidValueError: A field set by the service, or the plan / business.
            ModelValidationError: A refused value.
        """
        _refuse(changes, _SET_BY_SERVICE)
        for name in ("plan_id", "business_id"):
            if name in changes:
                raise InvalidValueError(
                    field=name, value=changes[name], reason="a wave cannot move to another plan"
                )
        with self._lock:
            wave = self.get_wave(wave_id)
            if wave.status is not WaveStatus.DRAFT:
                raise InvalidStateTransitionError(
                    entity=_WAVE, id=wave_id, current=wave.status, requested="update"
                )
            updated = wave.evolve(**changes, updated_at=self._clock.now())
            if "locations" in changes:
                self._check_new_locations(updated)
            items = self._price(updated) if _PRICING_FIELDS & changes.keys() else None
            self._waves.save(updated, items=items)
            return updated

    def delete_wave(self, wave_id: str) -> MarkdownWave:
        """Delete a ``draft`` or ``scheduled`` wave and its items.

        Raises:
            NotFoundError: There is no such wave.
            InvalidStateTransitionError: The wave is active or reversed.
            ConflictError: A scheduled wave already in effect at some location;
                reverse it instead.
        """
        with self._lock:
            wave = self.get_wave(wave_id)
            if wave.status not in (WaveStatus.DRAFT, WaveStatus.SCHEDULED):
                raise InvalidStateTransitionError(
                    entity=_WAVE, id=wave_id, current=wave.status, requested="delete"
                )
            live = [
                loc.location_id for loc in wave.locations if loc.status is WaveLocationStatus.ACTIVE
            ]
            if live:
                raise ConflictError(
                    entity=_WAVE,
                    id=wave_id,
                    reason=f"it is in effect at {', '.join(live)}; reverse it instead",
                )
            self._waves.delete(wave_id)
            return wave

    def preview(self, wave_id: str) -> WavePreview:
        """The wave's impact, without side effects.

        Counts, exclusions by reason, below-cost items, value impact (price drop x
        units on hand at the wave's locations), average discount, margin before
        and after.

        Raises:
            NotFoundError: There is no such wave.
        """
        wave = self.get_wave(wave_id)
        items = self._waves.items(wave_id)
        return preview_wave(wave, items, on_hand=self._on_hand(wave, items))

    # -- lifecycle ----------------------------------------------------------------------

    def activate(self, wave_id: str, *, confirm_below_cost: bool = False) -> ActivationResult:
        """Activate a ``draft`` wave.

        Locations whose ``activate_at`` is unset or has come take the wave's prices
        now (or are skipped if the business location is deactivated); the others
        stay pending, and the wave ``scheduled`` until they have all come due.

        Raises:
            NotFoundError: There is no such wave.
            InvalidStateTransitionError: The wave is not in ``draft``.
            ConflictError: Its plan is inactive.
            ConfirmationRequiredError: An included item would sell under its cost and
                ``confirm_below_cost`` is not set; ``items`` lists them.
        """
        with self._lock:
            wave = self.get_wave(wave_id)
            if wave.status is not WaveStatus.DRAFT:
                raise InvalidStateTransitionError(
                    entity=_WAVE,
                    id=wave_id,
                    current=wave.status,
                    requested="activate",
                )
            plan = self.get_plan(wave.plan_id)
            if not plan.is_active:
                raise ConflictError(
                    entity=_PLAN,
                    id=plan.id,
                    reason=f"the plan is inactive, so wave {wave_id!r} cannot be activated; "
                    "activate the plan first",
                )
            items = self._waves.items(wave_id)
            below = [
                {
                    "variant_id": item.variant_id,
                    "markdown_price": str(item.markdown_price),
                    "cost": str(item.cost),
                }
                for item in items
                if item.below_cost and not item.excluded
            ]
            if below and not confirm_below_cost:
                raise ConfirmationRequiredError(
                    reason=f"wave {wave_id!r} would price items below their cost", items=below
                )
            now = self._clock.now()
            due = [
                loc.location_id
                for loc in wave.locations
                if loc.activate_at is None or loc.activate_at <= now
            ]
            return self._activate_locations(
                wave.evolve(activated_at=now, updated_at=now), items, due, now=now
            )

    def activate_due(
        self, now: datetime | None = None, *, business_id: str | None = None
    ) -> list[ActivationResult]:
        """Activate pending locations whose ``activate_at`` has come (the every-minute job).

        Looks at every scheduled wave (of one business, or of all) whose plan is
        active. A location whose business location is deactivated is skipped.

        Args:
            now: The instant to compare ``activate_at`` with; the clock's by default.
            business_id: Only this business's waves.

        Returns:
            One result per wave that changed.

        Raises:
            InvalidValueError: ``now`` is naive.
        """
        at = self._clock.now() if now is None else require_aware(now, field="now")
        results: list[ActivationResult] = []
        with self._lock:
            for wave in self._all_waves(business_id, statuses=(WaveStatus.SCHEDULED,)):
                plan = self._plans.get(wave.plan_id)
                if plan is None or not plan.is_active:
                    continue
                due = [
                    loc.location_id
                    for loc in wave.locations
                    if loc.status is WaveLocationStatus.PENDING
                    and loc.activate_at is not None
                    and loc.activate_at <= at
                ]
                if due:
                    items = self._waves.items(wave.id)
                    results.append(self._activate_locations(wave, items, due, now=at))
        return results

    def reverse(self, wave_id: str) -> ReversalResult:
        """Reverse an ``active`` or ``scheduled`` wave.

        Active locations get the price in effect before the wave back; pending
        locations are skipped; history records both.

        Raises:
            NotFoundError: There is no such wave.
            InvalidStateTransitionError: The wave is ``draft`` or already ``reversed``.
        """
        with self._lock:
            wave = self.get_wave(wave_id)
            if wave.status not in _LIVE:
                raise InvalidStateTransitionError(
                    entity=_WAVE, id=wave_id, current=wave.status, requested="reverse"
                )
            now = self._clock.now()
            items = [item for item in self._waves.items(wave_id) if not item.excluded]
            index = self._index(wave.business_id)
            entries: list[MarkdownHistoryEntry] = []
            reversed_at: list[str | None] = []
            skipped: list[str] = []
            locations: list[WaveLocation] = []
            for loc in wave.locations:
                new = loc
                if loc.status is WaveLocationStatus.ACTIVE:
                    reversed_at.append(loc.location_id)
                    new = loc.evolve(status=WaveLocationStatus.REVERSED, reversed_at=now)
                elif loc.status is WaveLocationStatus.PENDING:
                    skipped.append(loc.location_id)
                    entries.append(
                        self._entry(
                            wave,
                            HistoryAction.SKIPPED,
                            now,
                            loc.location_id,
                            note="the wave was reversed before the location came due",
                        )
                    )
                    new = loc.evolve(status=WaveLocationStatus.SKIPPED)
                locations.append(new)
            if wave.everywhere:
                reversed_at.append(None)
            updated = wave.evolve(
                status=WaveStatus.REVERSED,
                locations=tuple(locations),
                reversed_at=now,
                updated_at=now,
            )
            for location_id in reversed_at:
                places = None if location_id is None else (location_id,)
                for item in items:
                    variant_id = item.variant_id
                    layer = index.top(variant_id, location_id=location_id)
                    if layer is None:  # pragma: no cover - an active item always has a layer
                        continue
                    if layer.wave_id == wave_id:
                        layer = index.top_over(variant_id, places, skip_wave_id=wave_id)
                        price_after = item.regular_price if layer is None else layer.price
                        price_before = item.markdown_price
                    else:  # another wave lies on top here: the price does not change
                        price_before = price_after = layer.price
                    entries.append(
                        self._entry(
                            wave,
                            HistoryAction.REVERSED,
                            now,
                            location_id,
                            variant_id=variant_id,
                            price_before=price_before,
                            price_after=price_after,
                        )
                    )
            self._waves.save(updated)
            self._history.add_many(entries)
            index.remove(wave.id, (item.variant_id for item in items))
            self._wave_plans.pop(wave.id, None)
            self._prices_changed(wave.business_id)
            return ReversalResult(
                wave=updated,
                reversed=tuple(_location_key(loc) for loc in reversed_at),
                skipped=tuple(skipped),
                history_entries=len(entries),
            )

    # -- queries ------------------------------------------------------------------------

    def active_markdown(
        self,
        *,
        business_id: str,
        item_type: ItemType,
        item_id: str,
        location_id: str | None,
        at: datetime,
    ) -> MarkdownPrice | None:
        """The markdown price in effect for a variant (``MarkdownLookup`` for pricing).

        Markdowns mark variants down: a price query for ``item_type="product"``
        whose ``item_id`` is a variant id gets the markdown of the wave on top at
        the location; other item types never have one.
        """
        if item_type is not ItemType.PRODUCT:
            return None
        index = self._active.get(business_id)
        if index is None:
            index = self._index(business_id)
        layer = index.top(item_id, location_id=location_id, at=at)
        if layer is None:
            return None
        return MarkdownPrice(wave_id=layer.wave_id, price=layer.price)

    def active_markdown_for_variant(
        self,
        business_id: str,
        variant_id: str,
        *,
        location_id: str | None = None,
        at: datetime | None = None,
    ) -> ActiveMarkdown | None:
        """The markdown in effect for a variant at a location, with its wave and prices.

        Raises:
            InvalidValueError: ``at`` is naive.
        """
        when = self._clock.now() if at is None else require_aware(at, field="at")
        layer = self._index(business_id).top(variant_id, location_id=location_id, at=when)
        if layer is None:
            return None
        plan_id, items = self._wave_plans[layer.wave_id]
        item = items[variant_id]
        return ActiveMarkdown(
            wave_id=layer.wave_id,
            plan_id=plan_id,
            variant_id=variant_id,
            location_id=location_id,
            price=layer.price,
            regular_price=item.regular_price,
            base_price=item.base_price,
            since=layer.since,
        )

    def variant_history(
        self,
        business_id: str,
        variant_id: str,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
    ) -> Page[MarkdownHistoryEntry]:
        """One page of a variant's markdown history, oldest first.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        return self._history.for_variant(business_id, variant_id, offset=offset, limit=limit)

    def wave_history(
        self, wave_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_LIMIT
    ) -> Page[MarkdownHistoryEntry]:
        """One page of a wave's history, oldest first.

        Raises:
            InvalidValueError: A bad ``offset`` or ``limit``.
        """
        return self._history.for_wave(wave_id, offset=offset, limit=limit)

    # -- export and reports -------------------------------------------------------------

    def iter_wave_csv(self, wave_id: str) -> Iterator[str]:
        """The wave's items as CSV, one line at a time (header first).

        Raises:
            NotFoundError: There is no such wave.
        """
        wave = self.get_wave(wave_id)
        items = self._waves.items(wave_id)
        return iter_wave_csv(wave, items, catalog=self._catalog, on_hand=self._on_hand(wave, items))

    def export_wave_csv(self, wave_id: str, out: TextIO) -> int:
        """Write the wave's items as CSV to ``out``; how many rows (without the header).

        Columns: variant id, SKU, product name, variant label, currency, original and
        markdown price, discount %, cost, margin %, units on hand, value impact, flags.

        Raises:
            NotFoundError: There is no such wave.
        """
        wave = self.get_wave(wave_id)
        items = self._waves.items(wave_id)
        return write_wave_csv(
            wave, items, out, catalog=self._catalog, on_hand=self._on_hand(wave, items)
        )

    def wave_performance(self, wave_id: str, *, now: datetime | None = None) -> WavePerformance:
        """How a wave sold: units, revenue, markdown dollars and %, sell-through, margin.

        Raises:
            NotFoundError: There is no such wave.
            PricekitError: No sales source is configured.
        """
        wave = self.get_wave(wave_id)
        at = self._clock.now() if now is None else require_aware(now, field="now")
        return self._performance(wave, at)

    def plan_performance(self, plan_id: str, *, now: datetime | None = None) -> PlanPerformance:
        """:meth:`wave_performance` for every wave of a plan, with totals per currency.

        Raises:
            NotFoundError: There is no such plan.
            PricekitError: No sales source is configured.
        """
        plan = self.get_plan(plan_id)
        at = self._clock.now() if now is None else require_aware(now, field="now")
        waves = self._all_waves(plan.business_id, plan_id=plan_id)
        reports = [self._performance(wave, at) for wave in waves]
        variant_ids = {row.variant_id for report in reports for row in report.variants}
        on_hand = self._stock(plan.business_id, variant_ids, None)
        return plan_performance(plan, reports, on_hand=on_hand)

    # -- helpers ------------------------------------------------------------------------

    def _stamped(self, model: type[_M], fields: dict[str, Any]) -> _M:
        if fields.get("id") is None:
            fields["id"] = str(uuid.uuid4())
        now = self._clock.now()
        fields.update(created_at=now, updated_at=now)
        return model.model_validate(fields)

    def _check_new_locations(self, wave: MarkdownWave) -> None:
        for loc in wave.locations:
            if loc.status is not WaveLocationStatus.PENDING or loc.activated_at or loc.reversed_at:
                raise InvalidValueError(
                    field="locations",
                    value=loc.location_id,
                    reason="a location's status and activation times are set by the service",
                )
        if self._locations is None or not wave.locations:
            return
        ids = [loc.location_id for loc in wave.locations]
        known = self._locations.location_status(wave.business_id, ids)
        missing = [location_id for location_id in ids if location_id not in known]
        if missing:
            raise NotFoundError(entity="location", id=missing[0], missing=missing)

    def _price(self, wave: MarkdownWave) -> list[WaveItem]:
        variants = expand_scopes(wave.scopes, self._catalog)
        in_effect: dict[str, PriceInEffect] | None = None
        if wave.mode is MarkdownMode.COMPOUND:
            index = self._index(wave.business_id)
            location_ids = [loc.location_id for loc in wave.locations]
            in_effect = {}
            for variant in variants:
                layer = index.top_over(variant.id, location_ids, any_location=wave.everywhere)
                if layer is not None:
                    in_effect[variant.id] = PriceInEffect(price=layer.price, wave_id=layer.wave_id)
        return price_wave_items(wave, variants, in_effect=in_effect)

    def _activate_locations(
        self,
        wave: MarkdownWave,
        items: Sequence[WaveItem],
        due: Sequence[str],
        *,
        now: datetime,
    ) -> ActivationResult:
        status = (
            self._locations.location_status(wave.business_id, due)
            if self._locations is not None and due
            else None
        )
        index = self._index(wave.business_id)
        included = [item for item in items if not item.excluded]
        entries: list[MarkdownHistoryEntry] = []
        activated: list[str | None] = []
        skipped: list[str] = []
        due_set = set(due)
        locations: list[WaveLocation] = []
        for loc in wave.locations:
            new = loc
            if loc.location_id in due_set and loc.status is WaveLocationStatus.PENDING:
                if status is not None and not status.get(loc.location_id, False):
                    why = (
                        "business location is deactivated"
                        if loc.location_id in status
                        else "business location is unknown"
                    )
                    skipped.append(loc.location_id)
                    entries.append(
                        self._entry(wave, HistoryAction.SKIPPED, now, loc.location_id, note=why)
                    )
                    new = loc.evolve(status=WaveLocationStatus.SKIPPED)
                else:
                    activated.append(loc.location_id)
                    new = loc.evolve(status=WaveLocationStatus.ACTIVE, activated_at=now)
            locations.append(new)
        if wave.everywhere and wave.status is WaveStatus.DRAFT:
            activated.append(None)
        pending = tuple(
            loc.location_id for loc in locations if loc.status is WaveLocationStatus.PENDING
        )
        updated = wave.evolve(
            locations=tuple(locations),
            status=WaveStatus.SCHEDULED if pending else WaveStatus.ACTIVE,
            updated_at=now,
        )
        for location_id in activated:
            for item in included:
                layer = index.top(item.variant_id, location_id=location_id)
                if layer is None:
                    price_before, price_after = item.regular_price, item.markdown_price
                elif layer.outranked_by(now, updated.created_at, updated.id):
                    price_before, price_after = layer.price, item.markdown_price
                else:  # a wave of the same instant, created later, stays on top
                    price_before = price_after = layer.price
                entries.append(
                    self._entry(
                        updated,
                        HistoryAction.ACTIVATED,
                        now,
                        location_id,
                        variant_id=item.variant_id,
                        price_before=price_before,
                        price_after=price_after,
                    )
                )
        self._waves.save(updated)
        self._history.add_many(entries)
        index.put(updated, included)
        self._wave_plans[updated.id] = (
            updated.plan_id,
            {item.variant_id: item for item in included},
        )
        if activated:
            self._prices_changed(wave.business_id)
        return ActivationResult(
            wave=updated,
            activated=tuple(_location_key(loc) for loc in activated),
            skipped=tuple(skipped),
            pending=pending,
            history_entries=len(entries),
        )

    def _entry(
        self,
        wave: MarkdownWave,
        action: HistoryAction,
        at: datetime,
        location_id: str | None,
        *,
        variant_id: str | None = None,
        price_before: Money | None = None,
        price_after: Money | None = None,
        note: str = "",
    ) -> MarkdownHistoryEntry:
        return MarkdownHistoryEntry(
            id=f"{wave.id}/{action.value}/{_location_key(location_id)}/{variant_id or '*'}",
            business_id=wave.business_id,
            plan_id=wave.plan_id,
            wave_id=wave.id,
            action=action,
            at=at,
            location_id=location_id,
            variant_id=variant_id,
            price_before=price_before,
            price_after=price_after,
            note=note,
        )

    def _index(self, business_id: str) -> ActiveMarkdowns:
        index = self._active.get(business_id)
        if index is not None:
            return index
        with self._lock:
            index = self._active.get(business_id)
            if index is None:
                index = ActiveMarkdowns()
                for wave in self._all_waves(business_id, statuses=_LIVE):
                    included = [item for item in self._waves.items(wave.id) if not item.excluded]
                    index.put(wave, included)
                    self._wave_plans[wave.id] = (
                        wave.plan_id,
                        {item.variant_id: item for item in included},
                    )
                self._active[business_id] = index
            return index

    def refresh(self, business_id: str | None = None) -> None:
        """Forget the active-markdown index of a business (or of all); it reloads on next use.

        Use it after waves were changed by another process.
        """
        with self._lock:
            for bid in list(self._active) if business_id is None else [business_id]:
                self._active.pop(bid, None)

    def _all_waves(
        self,
        business_id: str | None,
        *,
        plan_id: str | None = None,
        statuses: Collection[WaveStatus] | None = None,
    ) -> list[MarkdownWave]:
        waves: list[MarkdownWave] = []
        offset: int | None = 0
        while offset is not None:
            page = self._waves.find(
                business_id,
                plan_id=plan_id,
                statuses=statuses,
                offset=offset,
                limit=MAX_PAGE_LIMIT,
            )
            waves.extend(page.items)
            offset = page.next_offset
        return waves

    def _stock(
        self, business_id: str, variant_ids: Collection[str], location_ids: Collection[str] | None
    ) -> dict[str, Decimal]:
        if self._inventory is None or not variant_ids:
            return {}
        return dict(self._inventory.on_hand(business_id, variant_ids, location_ids=location_ids))

    def _on_hand(self, wave: MarkdownWave, items: Sequence[WaveItem]) -> dict[str, Decimal]:
        location_ids = None if wave.everywhere else [loc.location_id for loc in wave.locations]
        return self._stock(wave.business_id, [item.variant_id for item in items], location_ids)

    def _performance(self, wave: MarkdownWave, now: datetime) -> WavePerformance:
        if self._sales is None:
            raise PricekitError(
                "a performance report needs a sales source: pass sales= to MarkdownService"
            )
        items = self._waves.items(wave.id)
        starts = [loc.activated_at for loc in wave.locations if loc.activated_at is not None]
        if wave.everywhere and wave.activated_at is not None:
            starts.append(wave.activated_at)
        variant_ids = [item.variant_id for item in items if not item.excluded]
        start = min(starts) if starts else None
        sales = (
            self._sales.sales(wave.business_id, variant_ids=variant_ids, start=start, end=now)
            if start is not None and start < now and variant_ids
            else ()
        )
        return wave_performance(wave, items, sales, on_hand=self._on_hand(wave, items), now=now)

    def _prices_changed(self, business_id: str) -> None:
        if self._price_cache is not None:
            self._price_cache.clear_business(business_id)
