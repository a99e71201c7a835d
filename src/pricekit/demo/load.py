"""Write the demo's sample data into a store, and run one sync cycle over it.

:func:`load_demo` writes the catalog, the price lists, the markdown plan and
its wave (activated) and the promotions (created active) through pricekit's
services, on the store's repositories, with a clock set to the morning the
store opened: the result is the same on every machine and every day.

:func:`demo_sync` runs one cycle of the reference sync phases over the three
stores (inventory, enrichment, each store's Dutchie discount file, the deal
cache, then the markdown and promotion jobs) and records it in the store's run
history; then it posts the shipped PTL publication through
:class:`~pricekit.sync.webhook.PtlWebhook` into the same deal cache, as
marketing's calendar would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pricekit.demo.sample import DemoData, read_demo_data
from pricekit.errors import ConflictError
from pricekit.markdowns import MarkdownService
from pricekit.markdowns.service import ActivationResult
from pricekit.memory.sync import InMemoryEnrichmentSource, InMemoryInventorySource
from pricekit.pricing import PricingService, PricingSettings
from pricekit.promotions import PromotionService
from pricekit.sync import (
    JsonFileDiscountSource,
    MarkdownActivationPhase,
    ProgressEvent,
    PromotionReconcilePhase,
    PtlWebhook,
    RunReport,
    RunStatus,
    SyncRunner,
    WebhookResponse,
    reference_phases,
    write_discount_file,
)
from pricekit.sync.webhook import API_KEY_HEADER
from pricekit.time import ManualClock

if TYPE_CHECKING:
    from pricekit.cli.store import Store

__all__ = ["DemoLoad", "DemoSync", "demo_sync", "load_demo"]


@dataclass(frozen=True, slots=True)
class DemoLoad:
    """What :func:`load_demo` wrote.

    Attributes:
        counts: How many records of each kind (``products``, ``price_list_items``,
            ``promotions``, ...).
        activations: What each activated markdown wave did (which stores took
            its prices, which are pending).
    """

    counts: Mapping[str, int]
    activations: tuple[ActivationResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {
            "counts": dict(self.counts),
            "waves": [
                {
                    "wave_id": result.wave.id,
                    "status": result.wave.status.value,
                    "activated": list(result.activated),
                    "pending": list(result.pending),
                    "skipped": list(result.skipped),
                }
                for result in self.activations
            ],
        }


@dataclass(frozen=True, slots=True)
class DemoSync:
    """What :func:`demo_sync` did.

    Attributes:
        report: The sync run's report (also in the store's run history).
        ptl: The PTL webhook's answer (200 when the publication was merged).
        cached: How many deals each store has in the deal cache afterwards.
    """

    report: RunReport
    ptl: WebhookResponse
    cached: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the run was ``ok`` and the PTL publication was merged."""
        return self.report.status is RunStatus.OK and self.ptl.status == 200

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {
            "run": self.report.to_dict(),
            "ptl": {"status": self.ptl.status, "body": self.ptl.body},
            "cached": dict(self.cached),
        }


def _refuse_if_loaded(store: Store, data: DemoData) -> None:
    """Raise if any record of the demo is already in the store."""
    first_product = next(iter(data.catalog.products))
    checks: list[tuple[str, str, bool]] = [
        ("product", first_product, store.catalog.get_product(first_product) is not None),
    ]
    for price_list in data.price_lists:
        list_id = str(price_list["id"])
        checks.append(("price_list", list_id, store.price_lists.get(list_id) is not None))
    for promotion in data.promotions:
        promotion_id = str(promotion["id"])
        checks.append(("promotion", promotion_id, store.promotions.get(promotion_id) is not None))
    for entity, record_id, present in checks:
        if present:
            raise ConflictError(
                entity=entity,
                id=record_id,
                reason="the database already holds pricekit's demo data; "
                "load it into a new database",
            )


def load_demo(store: Store, *, data: DemoData | None = None) -> DemoLoad:
    """Write the demo's dispensary into ``store``.

    The catalog goes in as one save; price lists, their scopes and items through
    a :class:`~pricekit.pricing.PricingService`; the markdown plan and wave
    through a :class:`~pricekit.markdowns.MarkdownService`, which activates the
    wave (one store at once, one a week later); the promotions through a
    :class:`~pricekit.promotions.PromotionService`, created active. Those
    services run on ``store``'s repositories with a clock at ``data.opened_at``,
    whatever ``store``'s own clock says. Nothing else is written (no deals: see
    :func:`demo_sync`).

    Load the demo before using the store's services (``store.pricing_service()``
    and the others), or refresh them: they do not see writes made by other
    services until then.

    Args:
        store: The store to write into; its schema must be current.
        data: The sample data; :func:`~pricekit.demo.sample.read_demo_data` by default.

    Returns:
        What was written.

    Raises:
        ConflictError: The store already holds the demo's records (it is never
            written twice); nothing is written.
    """
    demo = read_demo_data() if data is None else data
    _refuse_if_loaded(store, demo)
    clock = ManualClock(demo.opened_at)
    catalog = demo.catalog
    store.catalog.save(
        categories=list(catalog.categories),
        brands=catalog.brands.values(),
        vendors=catalog.vendors.values(),
        collections=catalog.collections.values(),
        products=catalog.products.values(),
        variants=catalog.variants.values(),
    )
    counts: dict[str, int] = {
        "categories": len(catalog.categories),
        "brands": len(catalog.brands),
        "vendors": len(catalog.vendors),
        "collections": len(catalog.collections),
        "products": len(catalog.products),
        "variants": len(catalog.variants),
    }

    pricing = PricingService(
        lists=store.price_lists,
        items=store.price_list_items,
        scopes=store.price_list_scopes,
        clock=clock,
        settings=PricingSettings(enable_price_lists=True, price_cache_enabled=False),
    )
    lists = scopes = items = 0
    for document in demo.price_lists:
        fields = {k: v for k, v in document.items() if k not in ("scopes", "items")}
        price_list = pricing.create_price_list(fields)
        lists += 1
        for scope in document.get("scopes", ()):
            pricing.create_scope({**scope, "price_list_id": price_list.id})
            scopes += 1
        rows = [{**row, "price_list_id": price_list.id} for row in document.get("items", ())]
        items += len(pricing.bulk_create_items(rows))
    counts.update(price_lists=lists, price_list_scopes=scopes, price_list_items=items)

    markdowns = MarkdownService(
        plans=store.markdown_plans,
        waves=store.markdown_waves,
        history=store.markdown_history,
        catalog=store.catalog,
        clock=clock,
    )
    plans = waves = wave_items = 0
    activations: list[ActivationResult] = []
    for document in demo.markdown_plans:
        plan = markdowns.create_plan({k: v for k, v in document.items() if k != "waves"})
        plans += 1
        for wave_document in document.get("waves", ()):
            fields = {k: v for k, v in wave_document.items() if k != "activate"}
            wave = markdowns.create_wave(plan.id, fields)
            waves += 1
            wave_items += sum(1 for item in markdowns.wave_items(wave.id) if not item.excluded)
            if wave_document.get("activate", False):
                activations.append(markdowns.activate(wave.id))
    counts.update(markdown_plans=plans, markdown_waves=waves, markdown_wave_items=wave_items)

    promotions = PromotionService(promotions=store.promotions, usage=store.promotions, clock=clock)
    for document in demo.promotions:
        promotions.create_promotion(
            {
                "business_id": demo.business_id,
                "currency": demo.currency,
                "status": "active",
                **document,
            }
        )
    counts["promotions"] = len(demo.promotions)

    # The store's own services may have compiled indexes before the load.
    store.markdown_service().refresh(demo.business_id)
    store.pricing_service().refresh(demo.business_id)
    return DemoLoad(counts=counts, activations=tuple(activations))


def demo_sync(
    store: Store,
    *,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    data: DemoData | None = None,
) -> DemoSync:
    """Run one sync cycle over the demo's stores, then merge the PTL publication.

    The cycle runs the reference phases (inventory and enrichment from the
    shipped inventory, each store's discounts from its shipped Dutchie file
    through :class:`~pricekit.sync.files.JsonFileDiscountSource`, the deals into
    ``store.deals``) and the markdown and promotion jobs, at ``data.at``, with
    ``store.sync_runs`` as its history. Then the shipped PTL body is posted to a
    :class:`~pricekit.sync.webhook.PtlWebhook` on the same deal cache.

    Args:
        store: A store the demo was loaded into (:func:`load_demo`).
        on_progress: Called with each of the runner's progress events (for
            progress bars).
        data: The sample data; :func:`~pricekit.demo.sample.read_demo_data` by default.

    Returns:
        The run's report, the webhook's answer and the deals cached per store.
    """
    demo = read_demo_data() if data is None else data
    locations = demo.locations()
    with tempfile.TemporaryDirectory(prefix="pricekit-demo-deals-") as folder:
        for location_id, text in demo.dutchie_files.items():
            write_discount_file(folder, location_id, text)
        phases = [
            *reference_phases(
                inventory=InMemoryInventorySource(demo.inventory_records()),
                enrichment=InMemoryEnrichmentSource(demo.enrichment()),
                discounts=[JsonFileDiscountSource(folder)],
                cache=store.deals,
            ),
            MarkdownActivationPhase(store.markdown_service(), business_id=demo.business_id),
            PromotionReconcilePhase(store.promotion_service(), business_id=demo.business_id),
        ]
        runner = SyncRunner(
            phases,
            locations=locations,
            history=store.sync_runs,
            clock=ManualClock(demo.at),
            on_progress=on_progress,
            name="pricekit-demo",
        )
        report = runner.run_once()
    webhook = PtlWebhook(
        cache=store.deals,
        api_keys=demo.ptl_api_key,
        time_zone_for=demo.time_zones,
        currency=demo.currency,
    )
    answer = webhook.handle_ptl_sync({API_KEY_HEADER: demo.ptl_api_key}, demo.ptl_body)
    cached: dict[str, int] = {}
    for location in locations:
        deals = store.deals.get(location.location_id)
        cached[location.location_id] = 0 if deals is None else len(deals)
    return DemoSync(report=report, ptl=answer, cached=cached)
