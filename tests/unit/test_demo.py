"""The demo's sample data, its loader and its sync cycle, on a real SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pricekit.cli.quote import read_cart
from pricekit.cli.store import Store
from pricekit.deals.models import DealSource
from pricekit.demo import DemoData, demo_sync, load_demo, read_demo_data
from pricekit.errors import ConflictError
from pricekit.markdowns import WaveLocationStatus, WaveStatus
from pricekit.money import Money
from pricekit.pricing import Channel, PriceQuery, PriceSource, PricingService, PricingSettings
from pricekit.promotions import EvaluationContext, PromotionStatus, PromotionType
from pricekit.quote import quote_cart
from pricekit.sync import LocationDone, PhaseFinished, PhaseStarted, ProgressEvent, RunStatus
from pricekit.time import ManualClock

DATA = read_demo_data()
TEMPE, MESA, PHOENIX = (store.id for store in DATA.stores)
PHX = ZoneInfo("America/Phoenix")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path}/demo.db", create=True, clock=ManualClock(DATA.at))
    try:
        yield opened
    finally:
        opened.close()


def _pricing(store: Store) -> PricingService:
    """Resolution over the store's lists with price lists switched on, markdowns applied."""
    return PricingService(
        lists=store.price_lists,
        items=store.price_list_items,
        scopes=store.price_list_scopes,
        markdowns=store.markdown_service(),
        clock=store.clock,
        settings=PricingSettings(enable_price_lists=True, price_cache_enabled=False),
    )


def _price(
    store: Store, variant_id: str, *, location: str, quantity: str = "1", at: datetime = DATA.at
) -> tuple[Money, PriceSource, str | None]:
    variant = DATA.catalog.require_variant(variant_id)
    resolved = _pricing(store).resolve(
        PriceQuery(
            business_id=DATA.business_id,
            location_id=location,
            channel=Channel.POS,
            item_id=variant_id,
            quantity=Decimal(quantity),
            currency="USD",
            base_price=variant.price,
            at=at,
        )
    )
    return resolved.unit_price, resolved.source, resolved.price_list_id


# -- the shipped data ------------------------------------------------------------------


def test_the_sample_data_is_a_small_dispensary_at_a_friday_evening() -> None:
    data = read_demo_data()
    assert data.business_id == "mint"
    assert [store.name for store in data.stores] == ["Mint Tempe", "Mint Mesa", "Mint Phoenix"]
    for store in data.stores:
        assert str(uuid.UUID(store.id)) == store.id
        assert store.time_zone == "America/Phoenix"
    local = data.at.astimezone(PHX)
    assert (local.strftime("%A"), local.hour, local.minute) == ("Friday", 18, 30)
    assert data.opened_at < data.at
    assert len(data.catalog.products) == 16
    assert len(data.catalog.variants) == 30
    weights = {v.weight_grams for v in data.catalog.variants_in_category("flower")}
    assert weights == {Decimal("1"), Decimal("3.5"), Decimal("7")}
    assert data.catalog.categories.children("flower") == (
        "flower-hybrid",
        "flower-indica",
        "flower-sativa",
    )
    for item in data.cart.items:  # the cart sells variants the catalog holds
        data.catalog.require_variant(item.variant_id)


def test_the_sample_data_has_a_promotion_of_every_type_and_deals_for_every_store() -> None:
    data = read_demo_data()
    assert {p["type"] for p in data.promotions} == {kind.value for kind in PromotionType}
    assert set(data.dutchie_files) == {store.id for store in data.stores}
    ptl = json.loads(data.ptl_body)
    assert ptl["source"] == "ptl"
    assert ptl["location_id"] == TEMPE


def test_every_data_file_ships_inside_the_package() -> None:
    folder = resources.files("pricekit.demo").joinpath("data")
    names = {entry.name for entry in folder.iterdir()}
    assert {
        "demo.json",
        "catalog.json",
        "pricing.json",
        "markdowns.json",
        "promotions.json",
        "inventory.json",
        "ptl.json",
        "cart.json",
        "dutchie",
    } <= names
    # Under src/pricekit, so the wheel (packages = ["src/pricekit"]) carries them.
    assert Path(str(folder)).parts[-3:] == ("pricekit", "demo", "data")


def test_reading_the_data_twice_gives_independent_documents() -> None:
    first = read_demo_data()
    first.promotions[0]["name"] = "changed"  # type: ignore[index]
    assert read_demo_data().promotions[0]["name"] != "changed"


# -- load_demo ---------------------------------------------------------------------------


def test_load_demo_fills_the_store(store: Store) -> None:
    loaded = load_demo(store)

    snapshot = store.catalog.snapshot()
    assert len(snapshot.products) == loaded.counts["products"] == 16
    assert len(snapshot.variants) == loaded.counts["variants"] == 30
    assert len(snapshot.categories) == loaded.counts["categories"] == 12
    assert len(store.price_lists.all_for_business("mint")) == loaded.counts["price_lists"] == 2
    items = store.price_list_items.all_for_lists({"mint-retail", "mint-tempe"})
    assert len(items) == loaded.counts["price_list_items"] == 9
    promotions = store.promotions.all_for_business("mint")
    assert len(promotions) == loaded.counts["promotions"] == 7
    assert {p.status for p in promotions} == {PromotionStatus.ACTIVE}
    assert {p.type for p in promotions} == set(PromotionType)
    assert store.deals.locations() == []  # deals come with the sync, not the load


def test_load_demo_resolves_list_prices_tiers_and_the_store_scoped_list(store: Store) -> None:
    load_demo(store)
    usd = "USD"
    # The Tempe list (priority 100, scoped to Tempe) beats the regular price there only.
    assert _price(store, "og-kush-3.5g", location=TEMPE) == (
        Money.of("32.00", usd),
        PriceSource.PRICE_LIST,
        "mint-tempe",
    )
    assert _price(store, "og-kush-3.5g", location=MESA) == (
        Money.of("35.00", usd),
        PriceSource.BASE_PRICE,
        None,
    )
    # A quantity tier of the retail list: 3 grams and more at 9.00.
    assert _price(store, "blue-dream-1g", location=MESA, quantity="2")[0] == Money.of("10.00", usd)
    assert _price(store, "blue-dream-1g", location=MESA, quantity="3") == (
        Money.of("9.00", usd),
        PriceSource.PRICE_LIST,
        "mint-retail",
    )


def test_load_demo_staggers_the_markdown_wave(store: Store) -> None:
    loaded = load_demo(store)
    (activation,) = loaded.activations
    assert activation.activated == (TEMPE,)
    assert activation.pending == (MESA,)
    wave = store.markdown_waves.get("holiday-clearance-wave-1")
    assert wave is not None
    assert wave.status is WaveStatus.SCHEDULED  # one store still to come
    statuses = {loc.location_id: loc.status for loc in wave.locations}
    assert statuses == {TEMPE: WaveLocationStatus.ACTIVE, MESA: WaveLocationStatus.PENDING}

    # 25% off at Tempe now; the regular price at Mesa and at Phoenix (not in the wave).
    price, source, _ = _price(store, "copper-disposable-1g", location=TEMPE)
    assert (price, source) == (Money.of("33.75", "USD"), PriceSource.MARKDOWN)
    assert _price(store, "copper-disposable-1g", location=MESA)[0] == Money.of("45.00", "USD")
    assert _price(store, "copper-disposable-1g", location=PHOENIX)[0] == Money.of("45.00", "USD")
    # An item whose margin would fall under the wave's 30% is left out of it.
    excluded = {
        item.variant_id for item in store.markdown_service().wave_items(wave.id) if item.excluded
    }
    assert excluded == {"desert-bloom-disposable-0.5g"}

    # A week later the job activates Mesa too.
    week_later = datetime(2026, 11, 27, 7, 0, tzinfo=PHX)
    store.markdown_service().activate_due(week_later, business_id="mint")
    assert _price(store, "copper-disposable-1g", location=MESA, at=week_later)[0] == Money.of(
        "33.75", "USD"
    )


def test_load_demo_does_not_depend_on_the_store_clock(tmp_path: Path) -> None:
    later = ManualClock(datetime(2027, 6, 1, 12, 0, tzinfo=PHX))  # after the wave's Mesa date
    with Store.open(f"sqlite:///{tmp_path}/late.db", create=True, clock=later) as store:
        loaded = load_demo(store)
        (activation,) = loaded.activations
        assert activation.activated == (TEMPE,)
        assert activation.wave.activated_at == DATA.opened_at
        promotion = store.promotions.get("friday-flower-night")
        assert promotion is not None
        assert promotion.created_at == DATA.opened_at


def test_load_demo_refuses_a_store_that_already_holds_it(store: Store) -> None:
    load_demo(store)
    with pytest.raises(ConflictError, match="already holds pricekit's demo data"):
        load_demo(store)
    assert len(store.promotions.all_for_business("mint")) == 7


def test_load_demo_refuses_before_writing_anything(store: Store) -> None:
    service = store.promotion_service()
    service.create_promotion(
        {
            "id": "gummies-3-for-2",  # one of the demo's ids, already taken
            "business_id": "mint",
            "name": "mine",
            "type": "percentage_discount",
            "scope": "cart",
            "currency": "USD",
            "rewards": [{"type": "pct_off_all", "percent": "5"}],
        }
    )
    with pytest.raises(ConflictError, match="promotion 'gummies-3-for-2'"):
        load_demo(store)
    assert store.catalog.get_product("og-kush") is None
    assert store.price_lists.get("mint-retail") is None


# -- demo_sync ---------------------------------------------------------------------------


def test_demo_sync_fills_the_deal_cache_of_every_store_and_merges_ptl(store: Store) -> None:
    load_demo(store)
    events: list[ProgressEvent] = []
    synced = demo_sync(store, on_progress=events.append)

    assert synced.ok
    assert synced.report.status is RunStatus.OK
    assert [p.name for p in synced.report.phases] == [
        "inventory",
        "enrichment",
        "discounts",
        "cache",
        "markdown_activation",
        "promotion_reconcile",
    ]
    assert synced.report.started_at == DATA.at
    assert store.sync_runs.recent(1)[0].run_id == synced.report.run_id

    for location in (TEMPE, MESA, PHOENIX):
        deals = store.deals.get(location)
        assert deals, location
        assert {d.source for d in deals if "_ptl_" not in d.id} == {DealSource.DUTCHIE}
    tempe = {deal.id: deal for deal in store.deals.get(TEMPE) or []}
    assert sorted(tempe) == sorted(
        [
            f"{TEMPE}_5101",
            f"{TEMPE}_5102",
            f"{TEMPE}_5103",
            f"{TEMPE}_ptl_9001",
            f"{TEMPE}_ptl_9002",
        ]
    )
    assert tempe[f"{TEMPE}_ptl_9001"].source is DealSource.PTL
    # The PTL copy of a Dutchie deal is left out: the Dutchie record wins.
    assert synced.ptl.status == 200
    assert synced.ptl.body["replaced_by_dutchie"] == {f"{TEMPE}_ptl_9003": f"{TEMPE}_5101"}
    assert synced.cached == {TEMPE: 5, MESA: 3, PHOENIX: 3}

    started = [e.phase for e in events if isinstance(e, PhaseStarted)]
    finished = [e.phase for e in events if isinstance(e, PhaseFinished)]
    assert started == finished == [p.name for p in synced.report.phases]
    done = {(e.phase, e.location_id) for e in events if isinstance(e, LocationDone)}
    assert {
        (phase, loc) for phase in ("discounts", "cache") for loc in (TEMPE, MESA, PHOENIX)
    } <= done


def test_demo_sync_twice_gives_the_same_cached_deals(store: Store) -> None:
    load_demo(store)
    demo_sync(store)
    first = {loc: [d.id for d in store.deals.get(loc) or []] for loc in (TEMPE, MESA, PHOENIX)}
    again = demo_sync(store)
    assert again.ok
    assert {loc: [d.id for d in store.deals.get(loc) or []] for loc in first} == first
    assert len(store.sync_runs.recent(5)) == 2


def test_demo_sync_reports_a_refused_publication(store: Store) -> None:
    load_demo(store)
    data = read_demo_data()
    broken = DemoData(
        **{
            **{name: getattr(data, name) for name in DemoData.__dataclass_fields__},
            "ptl_body": data.ptl_body.replace('"percent"', '"half price"', 1),
        }
    )
    synced = demo_sync(store, data=broken)
    assert synced.report.status is RunStatus.OK
    assert synced.ptl.status == 422
    assert not synced.ok
    assert synced.cached[TEMPE] == 3  # the Dutchie deals only


# -- the sample cart ----------------------------------------------------------------------


def test_the_sample_cart_is_a_cart_file_pricekit_quote_reads() -> None:
    path = resources.files("pricekit.demo").joinpath("data", "cart.json")
    cart = read_cart(str(path))
    assert cart.location_id == TEMPE
    assert cart.time_zone == "America/Phoenix"
    assert [(line.variant_id, line.quantity) for line in cart.lines] == [
        (item.variant_id, item.quantity) for item in DATA.cart.items
    ]


def test_the_sample_cart_totals_what_the_data_says(store: Store) -> None:
    """The cart quoted by pricekit's engines equals the total worked out from the data files."""
    load_demo(store)
    demo_sync(store)
    cart = DATA.cart
    context = EvaluationContext(
        business_id=cart.business_id,
        location_id=cart.location_id,
        channel=Channel(cart.channel),
        at=DATA.at,
        time_zone=cart.time_zone,
    )
    quote = quote_cart(
        cart.items,
        context,
        catalog=store.catalog,
        prices=_pricing(store),
        deals=store.deals.get(cart.location_id),
        promotions=store.promotion_service(),
    )

    def usd(amount: str) -> Money:
        return Money.of(amount, "USD")

    # Unit prices (pricing.json, markdowns.json), then the Tempe deals live on a
    # Friday at 18:30 (dutchie/, ptl.json), then the promotions (promotions.json).
    og = usd("32.00").multiply(2)  # the Tempe list
    og_deal = og - og.multiply(Decimal("0.15"))  # happy hour, 16:00-19:00: 54.40
    blue = usd("9.00").multiply(3)  # the retail list's tier from 3 grams
    blue_deal = blue - blue.multiply(Decimal("0.15"))  # happy hour: 22.95
    flower_night = (og_deal + blue_deal).multiply(Decimal("0.10"))  # Friday 17-21: 7.74
    vape = usd("45.00").multiply(Decimal("0.75"))  # 25% markdown at Tempe: 33.75
    vape_deal = vape.multiply(Decimal("0.80"))  # Friday Vape Day, 20% off Copper State
    grinder = usd("12.00").multiply(Decimal("0.50"))  # the Tempe list; half off with a vape
    gummies = usd("18.00").multiply(Decimal("0.80"))  # the tier from 2; PTL's 20% off: 14.40
    gummies_paid = gummies.multiply(2)  # buy 2, get 1 free
    prerolls = (usd("8.00") - usd("2.00")).multiply(2)  # below the tier of 4; 2.00 off each
    before_spend = (
        og_deal + blue_deal - flower_night + vape_deal + grinder + gummies_paid + prerolls
    )
    assert og_deal + blue_deal + vape_deal + usd("12.00") + gummies.multiply(3) + usd(
        "16.00"
    ) >= usd("150.00")  # the spend threshold holds on the cart as deals left it
    expected = before_spend - usd("10.00")

    assert quote.total == expected
    assert quote.subtotal == og + blue + vape + usd("12.00") + usd("18.00").multiply(3) + usd(
        "16.00"
    )
    assert {a.promotion_id for a in quote.promotions_applied} == {
        "vape-grinder-bundle",
        "gummies-3-for-2",
        "friday-flower-night",
        "preroll-2-off",
        "spend-150-save-10",
    }
    assert {r.promotion_id for r in quote.promotions_rejected} == {
        "gold-members-5-off",
        "mesa-reopening",
    }


def test_importing_the_demo_loads_no_optional_library() -> None:
    code = (
        "import sys, pricekit.demo\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'click', 'rich') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
