"""The six reference phases of the seed's sync cycle, and the two scheduled jobs.

In order, as the seed runs them every ten minutes:

1. :class:`InventoryPhase`: each store's products from an
   :class:`~pricekit.sync.ports.InventorySource`.
2. :class:`EnrichmentPhase`: images and metadata from an
   :class:`~pricekit.sync.ports.EnrichmentSource`.
3. :class:`DiscountPhase`: each location's discounts, from the first
   :class:`~pricekit.sync.ports.DiscountSource` that serves it (the POS API
   where a key is configured, else the back office); if it fails, the next.
4. (3b) :class:`DiscountPushPhase`: optional, the discounts to a sink.
5. (4) :class:`CacheRefreshPhase`: each location's deals into the
   :class:`~pricekit.deals.ports.DealCache`, one atomic replace per location.
   A location whose discounts could not be read keeps its cached deals: a
   failed read is never written as "no deals".
6. (5) :class:`InventoryPushPhase`: optional, the inventory to a sink.

Phases hand results on through :attr:`SyncContext.state
<pricekit.sync.runner.SyncContext.state>`: ``"inventory"`` and ``"deals"``,
each a dict by location id holding only the locations that succeeded.

:class:`MarkdownActivationPhase` and :class:`PromotionReconcilePhase` wrap the
markdown ``activate_due`` job (every minute) and the promotion status
reconcile, so one runner (and one lock) schedules them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from pricekit.deals.models import Deal
from pricekit.deals.ports import DealCache
from pricekit.errors import InvalidValueError, PricekitError
from pricekit.sync.ports import (
    DiscountSink,
    DiscountSource,
    EnrichmentSource,
    InventoryRecord,
    InventorySink,
    InventorySource,
    Location,
    SourceError,
)
from pricekit.sync.runner import LocationOutcome, Phase, PhaseResult, SyncContext

__all__ = [
    "CacheRefreshPhase",
    "DiscountPhase",
    "DiscountPushPhase",
    "EnrichmentPhase",
    "InventoryPhase",
    "InventoryPushPhase",
    "MarkdownActivationPhase",
    "PromotionReconcilePhase",
    "reference_phases",
]

INVENTORY = "inventory"
DEALS = "deals"


def _per_location(
    context: SyncContext,
    work: Callable[[Location], tuple[str, dict[str, int]]],
    *,
    locations: Sequence[Location] | None = None,
) -> PhaseResult:
    """Run ``work`` for each location; a failure is that location's, not the phase's.

    Any exception from one location (a source's bug included) is recorded as
    that location's failure, logged with its traceback, and the next location
    goes on. The phase fails only if every location failed.
    """
    chosen = context.locations if locations is None else locations
    outcomes: list[LocationOutcome] = []
    totals: dict[str, int] = {}
    warnings: list[str] = []
    for location in chosen:
        try:
            detail, counts = work(location)
        except Exception as error:
            why = _why(error)
            if not isinstance(error, PricekitError):
                context.log.exception("%s failed unexpectedly", location.label)
            outcomes.append(LocationOutcome(location.location_id, ok=False, detail=why))
            warnings.append(f"{location.label}: {why}")
            context.location_done(location.location_id, ok=False, total=len(chosen))
            continue
        outcomes.append(LocationOutcome(location.location_id, True, detail, counts))
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        context.location_done(location.location_id, ok=True, total=len(chosen))
    totals["locations"] = sum(1 for o in outcomes if o.ok)
    totals["failed_locations"] = sum(1 for o in outcomes if not o.ok)
    errors: tuple[str, ...] = ()
    if chosen and not totals["locations"]:
        errors = ("every location failed",)
    return PhaseResult(
        counts=totals, warnings=tuple(warnings), errors=errors, locations=tuple(outcomes)
    )


def _why(error: Exception) -> str:
    """What went wrong, in words.

    A source's own cause, else the error, with its type where it is not one of
    pricekit's.
    """
    if isinstance(error, SourceError):
        return error.cause
    if isinstance(error, PricekitError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _deals(count: int) -> str:
    return f"{count} deal" if count == 1 else f"{count} deals"


class InventoryPhase:
    """Phase 1: each store's products, into ``state["inventory"]``."""

    name = "inventory"

    def __init__(self, source: InventorySource) -> None:
        self.source = source

    def run(self, context: SyncContext) -> PhaseResult:
        """Fetch every store's inventory; a store that fails is left out."""
        found: dict[str, list[InventoryRecord]] = context.state.setdefault(INVENTORY, {})

        def fetch(location: Location) -> tuple[str, dict[str, int]]:
            records = self.source.fetch(location)
            found[location.location_id] = records
            return f"{len(records)} products", {"products": len(records)}

        return _per_location(context, fetch)


class EnrichmentPhase:
    """Phase 2: images and metadata added to the inventory of phase 1."""

    name = "enrichment"

    def __init__(self, source: EnrichmentSource) -> None:
        self.source = source

    def run(self, context: SyncContext) -> PhaseResult:
        """Enrich each store's inventory; a store that fails keeps its plain records."""
        inventory: dict[str, list[InventoryRecord]] = context.state.get(INVENTORY, {})
        stores = [loc for loc in context.locations if loc.location_id in inventory]
        if not stores:
            return PhaseResult(skipped="no inventory to enrich")

        def enrich(location: Location) -> tuple[str, dict[str, int]]:
            records = self.source.enrich(inventory[location.location_id])
            inventory[location.location_id] = records
            return f"{len(records)} products enriched", {"enriched": len(records)}

        return _per_location(context, enrich, locations=stores)


class DiscountPhase:
    """Phase 3: each location's discounts, from the first source that serves it.

    Sources are tried in order: the first whose ``available_for(location)`` is
    true (the POS API where a key is configured, else the back office); if it
    fails, the next available one. The deals go to ``state["deals"]``; a
    location that no source could serve is left out, so the cache keeps what
    it had.

    Args:
        sources: The discount sources, in the order to try them.
    """

    name = "discounts"

    def __init__(self, sources: Sequence[DiscountSource]) -> None:
        if not sources:
            raise InvalidValueError(field="sources", value=[], reason="needs a source")
        self.sources = tuple(sources)

    def run(self, context: SyncContext) -> PhaseResult:
        """Fetch every location's discounts."""
        fetched: dict[str, list[Deal]] = context.state.setdefault(DEALS, {})

        def fetch(location: Location) -> tuple[str, dict[str, int]]:
            tried: list[str] = []
            for source in self.sources:
                if not source.available_for(location):
                    continue
                try:
                    deals = source.fetch(location)
                except Exception as error:  # the next source may answer
                    if not isinstance(error, PricekitError):
                        context.log.exception("%s: %s failed", location.label, source.name)
                    tried.append(f"{source.name}: {_why(error)}")
                    continue
                fetched[location.location_id] = deals
                fallback = f" (after {'; '.join(tried)})" if tried else ""
                return f"{_deals(len(deals))} from {source.name}{fallback}", {"deals": len(deals)}
            if not tried:
                raise SourceError(
                    source="discounts",
                    cause="no discount source serves it",
                    location_id=location.location_id,
                )
            raise SourceError(
                source="discounts",
                cause=f"no source answered: {'; '.join(tried)}",
                location_id=location.location_id,
            )

        return _per_location(context, fetch)


class DiscountPushPhase:
    """Phase 3b (optional): the fetched discounts to a sink (the seed's Odoo)."""

    name = "discount_push"

    def __init__(self, sink: DiscountSink, *, enabled: bool = True) -> None:
        self.sink = sink
        self.enabled = enabled

    def run(self, context: SyncContext) -> PhaseResult:
        """Push each location's fetched deals."""
        if not self.enabled:
            return PhaseResult(skipped="disabled")
        fetched: dict[str, list[Deal]] = context.state.get(DEALS, {})
        ready = [loc for loc in context.locations if loc.location_id in fetched]
        if not ready:
            return PhaseResult(skipped="no discounts were fetched")

        def push(location: Location) -> tuple[str, dict[str, int]]:
            written = self.sink.push(location, fetched[location.location_id])
            return f"{written} pushed", {"pushed": written}

        return _per_location(context, push, locations=ready)


class CacheRefreshPhase:
    """Phase 4: each location's fetched deals into the deal cache, one atomic replace each.

    A location whose discounts could not be fetched is not written: its cached
    deals stay, and the phase warns.
    """

    name = "cache"

    def __init__(self, cache: DealCache) -> None:
        self.cache = cache

    def run(self, context: SyncContext) -> PhaseResult:
        """Replace each fetched location's cached deals."""
        fetched: dict[str, list[Deal]] = context.state.get(DEALS, {})
        ready = [loc for loc in context.locations if loc.location_id in fetched]
        kept = [loc.label for loc in context.locations if loc.location_id not in fetched]

        def refresh(location: Location) -> tuple[str, dict[str, int]]:
            deals = fetched[location.location_id]
            self.cache.replace(location.location_id, deals)
            return f"{len(deals)} deals cached", {"cached": len(deals)}

        result = _per_location(context, refresh, locations=ready)
        if kept:
            note = f"kept the previously cached deals of {', '.join(kept)} (no fresh read)"
            result = replace(
                result,
                counts={**result.counts, "kept": len(kept)},
                warnings=(*result.warnings, note),
            )
        return result


class InventoryPushPhase:
    """Phase 5 (optional): the enriched inventory to a sink."""

    name = "inventory_push"

    def __init__(self, sink: InventorySink, *, enabled: bool = True) -> None:
        self.sink = sink
        self.enabled = enabled

    def run(self, context: SyncContext) -> PhaseResult:
        """Push each store's inventory."""
        if not self.enabled:
            return PhaseResult(skipped="disabled")
        inventory: dict[str, list[InventoryRecord]] = context.state.get(INVENTORY, {})
        ready = [loc for loc in context.locations if loc.location_id in inventory]
        if not ready:
            return PhaseResult(skipped="no inventory was fetched")

        def push(location: Location) -> tuple[str, dict[str, int]]:
            written = self.sink.push(location, inventory[location.location_id])
            return f"{written} pushed", {"pushed": written}

        return _per_location(context, push, locations=ready)


class _ActivatesDue(Protocol):
    def activate_due(self, now: Any = None, *, business_id: str | None = None) -> list[Any]: ...


class _Reconciles(Protocol):
    def reconcile(self, business_id: str | None = None, *, now: Any = None) -> list[Any]: ...


class MarkdownActivationPhase:
    """The markdown job: activate the wave locations whose time has come (every minute)."""

    name = "markdown_activation"

    def __init__(self, service: _ActivatesDue, *, business_id: str | None = None) -> None:
        self.service = service
        self.business_id = business_id

    def run(self, context: SyncContext) -> PhaseResult:
        """Call ``activate_due`` at the run's instant."""
        done = self.service.activate_due(context.at, business_id=self.business_id)
        return PhaseResult(counts={"activated": len(done)})


class PromotionReconcilePhase:
    """The promotion job: move promotions to the status time has brought them to."""

    name = "promotion_reconcile"

    def __init__(self, service: _Reconciles, *, business_id: str | None = None) -> None:
        self.service = service
        self.business_id = business_id

    def run(self, context: SyncContext) -> PhaseResult:
        """Call ``reconcile`` at the run's instant."""
        changed = self.service.reconcile(self.business_id, now=context.at)
        return PhaseResult(counts={"changed": len(changed)})


def reference_phases(
    *,
    inventory: InventorySource,
    enrichment: EnrichmentSource,
    discounts: Sequence[DiscountSource],
    cache: DealCache,
    discount_sink: DiscountSink | None = None,
    inventory_sink: InventorySink | None = None,
) -> list[Phase]:
    """The seed's six phases in order; the two pushes only when a sink is given."""
    phases: list[Phase] = [
        InventoryPhase(inventory),
        EnrichmentPhase(enrichment),
        DiscountPhase(discounts),
    ]
    if discount_sink is not None:
        phases.append(DiscountPushPhase(discount_sink))
    phases.append(CacheRefreshPhase(cache))
    if inventory_sink is not None:
        phases.append(InventoryPushPhase(inventory_sink))
    return phases
