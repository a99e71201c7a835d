"""Quoting a cart: lists and tiers, then markdowns, then deals, then promotions, with reasons.

The scenario (:func:`fill`) is a small dispensary, worked out by hand:

- OG Kush 3.5g (regular 40.00): the global ``retail`` list says 36.00, the
  ``store1`` list scoped to ``store-1`` says 35.00 and wins there; the
  ``online`` list (30.00) is for another channel. Deal "Flower 10%" (category
  ``flower``, an ancestor of its ``flower-indoor``) takes it to 31.50.
- Gummies 10 pack (regular 20.00): ``retail`` says 18.00, 16.00 from 3. Two
  bought: 18.00. "20% off Kiva" (14.40) beats "3 off edibles" (15.00).
- Pre-roll (regular 8.00): no list; the ``clearance`` markdown wave takes 25%
  off: 6.00; "Flower 10%": 5.40.
- Subtotal 35.00 + 36.00 + 12.00 = 83.00; deals take 3.50 + 7.20 + 1.20 = 11.90,
  leaving 71.10 for the promotions.
- Promotions, highest priority first: "Kiva 50c" (0.50 off each gummy pack,
  not stackable, priority 30), "Gold 15%" (gold tier only), "Spend 50 save 5"
  (stackable), "10% off flower" (not stackable), "Spend 500".
  ``priority`` applies "Kiva 50c" (1.00) and stops: total 70.10.
  ``best_for_customer`` prefers "Spend 50 save 5" then "10% off flower":
  5.00 allocated 2.21 / 2.03 / 0.76 over 31.50 / 28.80 / 10.80, then 10% of
  29.29 (2.93) and of 10.04 (1.00): total 62.17.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.catalog import Brand, Catalog, Category, Collection, Product, Variant, Vendor
from pricekit.deals import Deal, DealCache, DealPolicy
from pricekit.errors import InvalidValueError, NotFoundError
from pricekit.markdowns import MarkdownService
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryDealCache,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
    InMemoryPromotionRepository,
)
from pricekit.money import Money
from pricekit.pricing import PricingService, PricingSettings
from pricekit.pricing.models import Outcome, PriceQuery, PriceSource, ResolvedPrice
from pricekit.promotions import EvaluationContext, PromotionService
from pricekit.promotions.evaluate import Policy, RejectionReason
from pricekit.quote import Quote, explain_price, quote_cart, resolved_price_dict
from pricekit.testing.strategies import (
    DEALS_FROM,
    DEALS_TO,
    deal_lists,
    deal_policies,
    decimal_quantities,
    evaluation_contexts,
    promotion_lists,
)
from pricekit.time import ManualClock

BUSINESS = "acme"
STORE = "store-1"
OTHER_STORE = "store-2"
LOADED = datetime(2026, 6, 1, 12, tzinfo=UTC)
"""When the scenario is loaded (the markdown wave is activated then)."""
AT = datetime(2026, 6, 3, 18, tzinfo=UTC)
"""A Wednesday evening: the weekend deal is not live."""
CART = [
    {"variant_id": "og-3.5", "quantity": 1},
    {"variant_id": "gummies-10", "quantity": 2},
    {"variant_id": "preroll-1", "quantity": 2},
]


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


CATALOG = Catalog(
    categories=[
        Category(id="flower", name="Flower"),
        Category(id="flower-indoor", name="Indoor flower", parent_id="flower"),
        Category(id="edibles", name="Edibles"),
    ],
    brands=[Brand(id="kiva", name="Kiva"), Brand(id="stiiizy", name="Stiiizy")],
    vendors=[Vendor(id="west", name="West Distribution")],
    products=[
        Product(
            id="og",
            name="OG Kush",
            category_id="flower-indoor",
            brand_id="stiiizy",
            vendor_id="west",
            tags={"indica"},
        ),
        Product(id="gummies", name="Gummies", category_id="edibles", brand_id="kiva"),
        Product(id="preroll", name="Pre-roll", category_id="flower"),
    ],
    variants=[
        Variant(
            id="og-3.5",
            product_id="og",
            sku="OG-35",
            label="3.5g",
            price=usd("40.00"),
            cost=usd("15.00"),
            weight_grams=Decimal("3.5"),
        ),
        Variant(
            id="gummies-10",
            product_id="gummies",
            sku="GUM-10",
            label="10 pack",
            price=usd("20.00"),
            cost=usd("6.00"),
        ),
        Variant(id="preroll-1", product_id="preroll", sku="PR-1", price=usd("8.00")),
        Variant(id="gummies-old", product_id="gummies", price=usd("9.00"), active=False),
    ],
)


def _deal(number: int, name: str, reward: dict[str, Any], **fields: Any) -> Deal:
    return Deal.model_validate(
        {
            "id": f"{STORE}_{number}",
            "discount_id": str(number),
            "location_id": STORE,
            "name": name,
            "reward": reward,
            **fields,
        }
    )


DEALS = [
    _deal(
        1,
        "20% off Kiva",
        {"method": "percent_off", "percent": "20"},
        restrictions=[{"dimension": "brand", "ids": ["kiva"]}],
    ),
    _deal(
        2,
        "3 off edibles",
        {"method": "amount_off", "amount": "3.00 USD"},
        restrictions=[{"dimension": "category", "ids": ["edibles"]}],
    ),
    _deal(
        3,
        "Flower 10%",
        {"method": "percent_off", "percent": "10"},
        restrictions=[{"dimension": "category", "ids": ["flower"]}],
    ),
    _deal(
        4, "Weekend 50%", {"method": "percent_off", "percent": "50"}, days=["saturday", "sunday"]
    ),
    _deal(5, "Code SAVE", {"method": "percent_off", "percent": "40"}, application_method="code"),
    _deal(6, "Lost strain", {"method": "percent_off", "percent": "40"}, unmapped=["Strain:88"]),
    _deal(
        7,
        "Buy 3 edibles",
        {"method": "percent_off", "percent": "30", "threshold_type": "count", "threshold": "3"},
        restrictions=[{"dimension": "category", "ids": ["edibles"]}],
    ),
]


def _promotion(promotion_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": promotion_id,
        "business_id": BUSINESS,
        "name": name,
        "currency": "USD",
        "status": "active",
        **fields,
    }


PROMOTIONS = [
    _promotion(
        "kiva-50c",
        "Kiva 50c",
        type="fixed_discount",
        scope="line",
        priority=30,
        item_filter={"product_ids": ["gummies"]},
        rewards=[{"type": "fixed_off_item", "amount": "0.50 USD"}],
    ),
    _promotion(
        "gold-15",
        "Gold 15%",
        type="percentage_discount",
        scope="cart",
        priority=20,
        location_ids=[STORE, OTHER_STORE],
        conditions=[{"type": "customer_tier", "ids": ["gold"]}],
        rewards=[{"type": "pct_off_all", "percent": "15"}],
    ),
    _promotion(
        "spend-50",
        "Spend 50 save 5",
        type="spend_threshold",
        scope="cart",
        priority=10,
        stackable=True,
        conditions=[{"type": "min_amount", "amount": "50.00 USD"}],
        rewards=[{"type": "fixed_off_all", "amount": "5.00 USD"}],
    ),
    _promotion(
        "flower-10",
        "10% off flower",
        type="percentage_discount",
        scope="line",
        priority=5,
        item_filter={"category_ids": ["flower"]},
        rewards=[{"type": "pct_off_item", "percent": "10"}],
    ),
    _promotion(
        "spend-500",
        "Spend 500",
        type="spend_threshold",
        scope="cart",
        priority=1,
        conditions=[{"type": "min_amount", "amount": "500.00 USD"}],
        rewards=[{"type": "pct_off_all", "percent": "20"}],
    ),
]


def fill(
    *,
    catalog: Any,
    pricing: PricingService,
    markdowns: MarkdownService,
    promotions: PromotionService,
    deals: DealCache,
) -> None:
    """Load the scenario through the services and repositories (their clock at ``LOADED``)."""
    catalog.save(
        categories=list(CATALOG.categories),
        brands=list(CATALOG.brands.values()),
        vendors=list(CATALOG.vendors.values()),
        products=list(CATALOG.products.values()),
        variants=list(CATALOG.variants.values()),
    )
    for list_id, priority, channel in (("retail", 10, "any"), ("store1", 20, "any")):
        pricing.create_price_list(
            {
                "id": list_id,
                "business_id": BUSINESS,
                "name": list_id.title(),
                "currency": "USD",
                "priority": priority,
                "channel": channel,
            }
        )
    pricing.create_price_list(
        {
            "id": "online",
            "business_id": BUSINESS,
            "name": "Online",
            "currency": "USD",
            "priority": 30,
            "channel": "online",
        }
    )
    pricing.create_scope({"id": "retail-everywhere", "price_list_id": "retail"})
    pricing.create_scope({"id": "online-everywhere", "price_list_id": "online"})
    pricing.create_scope({"id": "store1-here", "price_list_id": "store1", "location_id": STORE})
    for item_id, list_id, item, min_qty, price in (
        ("retail-og", "retail", "og-3.5", 1, "36.00"),
        ("retail-gummies", "retail", "gummies-10", 1, "18.00"),
        ("retail-gummies-3", "retail", "gummies-10", 3, "16.00"),
        ("store1-og", "store1", "og-3.5", 1, "35.00"),
        ("online-og", "online", "og-3.5", 1, "30.00"),
    ):
        pricing.create_item(
            {
                "id": item_id,
                "price_list_id": list_id,
                "item_id": item,
                "min_qty": min_qty,
                "price": f"{price} USD",
            }
        )
    markdowns.create_plan({"id": "summer", "business_id": BUSINESS, "name": "Summer"})
    markdowns.create_wave(
        "summer",
        {
            "id": "clearance",
            "name": "Clearance",
            "method": "percent",
            "value": Decimal(25),
            "reason": "seasonal_clearance",
            "currency": "USD",
            "scopes": [{"type": "variant", "ids": ["preroll-1"]}],
        },
    )
    markdowns.activate("clearance")
    for promotion in PROMOTIONS:
        promotions.create_promotion(promotion)
    deals.replace(STORE, DEALS)


@dataclass
class Shop:
    """The scenario on the in-memory adapters."""

    catalog: InMemoryCatalogRepository
    pricing: PricingService
    markdowns: MarkdownService
    promotions: PromotionService
    deals: InMemoryDealCache

    def quote(self, items: Sequence[Any] = CART, **options: Any) -> Quote:
        context = options.pop("context", None) or EvaluationContext(
            business_id=BUSINESS, location_id=STORE, at=AT
        )
        deals = options.pop("deals", self.deals.get(context.location_id or STORE))
        promotions = options.pop("promotions", self.promotions)
        return quote_cart(
            items,
            context,
            catalog=self.catalog,
            prices=self.pricing,
            deals=deals,
            promotions=promotions,
            **options,
        )


@pytest.fixture(scope="module")
def shop() -> Shop:
    clock = ManualClock(LOADED)
    catalog = InMemoryCatalogRepository()
    markdowns = MarkdownService(
        plans=InMemoryMarkdownPlanRepository(),
        waves=InMemoryMarkdownWaveRepository(),
        history=InMemoryMarkdownHistoryRepository(),
        catalog=catalog,
        clock=clock,
    )
    pricing = PricingService(
        lists=InMemoryPriceListRepository(),
        items=InMemoryPriceListItemRepository(),
        scopes=InMemoryPriceListScopeRepository(),
        markdowns=markdowns,
        clock=clock,
        settings=PricingSettings(enable_price_lists=True),
    )
    repository = InMemoryPromotionRepository()
    promotions = PromotionService(promotions=repository, usage=repository, clock=clock)
    deals = InMemoryDealCache()
    fill(catalog=catalog, pricing=pricing, markdowns=markdowns, promotions=promotions, deals=deals)
    return Shop(catalog, pricing, markdowns, promotions, deals)


def _figures(quote: Quote) -> list[tuple[str, ...]]:
    return [
        (
            line.line_id,
            line.regular_unit_price.format_amount(),
            line.unit_price.format_amount(),
            line.deal_unit_price.format_amount(),
            line.amount.format_amount(),
            line.deal_saving.format_amount(),
            line.promotion_discount.format_amount(),
            line.total.format_amount(),
        )
        for line in quote.lines
    ]


# -- the four steps, in order ---------------------------------------------------------------


def test_lists_then_markdowns_then_deals_then_promotions(shop: Shop) -> None:
    quote = shop.quote()
    assert _figures(quote) == [
        # line, regular, unit (after markdown), after deals, amount, deals, promotions, total
        ("1", "35.00", "35.00", "31.50", "35.00", "3.50", "0.00", "31.50"),
        ("2", "18.00", "18.00", "14.40", "36.00", "7.20", "1.00", "27.80"),
        ("3", "8.00", "6.00", "5.40", "12.00", "1.20", "0.00", "10.80"),
    ]
    og, gummies, preroll = quote.lines
    assert og.price.source is PriceSource.PRICE_LIST
    assert og.price.price_list_id == "store1"
    assert preroll.price.source is PriceSource.MARKDOWN
    assert preroll.price.markdown_wave_id == "clearance"
    assert preroll.marked_down
    assert og.deal is not None
    assert (og.deal.deal_ids, og.deal.tier) == ((f"{STORE}_3",), 3)
    assert gummies.deal is not None
    assert gummies.deal.name == "20% off Kiva"
    assert [(p.promotion_id, p.amount) for p in gummies.promotions] == [("kiva-50c", usd("1.00"))]
    assert (quote.subtotal, quote.deal_discount, quote.promotion_discount) == (
        usd("83.00"),
        usd("11.90"),
        usd("1.00"),
    )
    assert (quote.total, quote.savings) == (usd("70.10"), usd("12.90"))
    assert [(d.kind, d.ids, d.amount, d.line_ids) for d in quote.discounts] == [
        ("deal", (f"{STORE}_3",), usd("4.70"), ("1", "3")),
        ("deal", (f"{STORE}_1",), usd("7.20"), ("2",)),
        ("promotion", ("kiva-50c",), usd("1.00"), ("2",)),
    ]


def test_best_for_customer_finds_the_better_set(shop: Shop) -> None:
    quote = shop.quote(policy="best_for_customer")
    assert quote.policy is Policy.BEST_FOR_CUSTOMER
    assert [a.promotion_id for a in quote.promotions_applied] == ["spend-50", "flower-10"]
    assert [line.total.format_amount() for line in quote.lines] == ["26.36", "26.77", "9.04"]
    assert [
        [(p.promotion_id, p.amount.format_amount()) for p in line.promotions]
        for line in quote.lines
    ] == [
        [("spend-50", "2.21"), ("flower-10", "2.93")],
        [("spend-50", "2.03")],
        [("spend-50", "0.76"), ("flower-10", "1.00")],
    ]
    assert (quote.total, quote.savings) == (usd("62.17"), usd("20.83"))
    kiva = next(r for r in quote.promotions_rejected if r.promotion_id == "kiva-50c")
    assert (kiva.reason, kiva.blocked_by) == (
        RejectionReason.BLOCKED_BY_NON_STACKABLE,
        "flower-10",
    )


def test_each_decision_keeps_its_reasons(shop: Shop) -> None:
    quote = shop.quote()
    og, gummies, preroll = quote.lines
    assert og.price_reason == "price list 'store1' (priority 20, from quantity 1)"
    assert preroll.price_reason == (
        "markdown wave 'clearance' over 8.00 USD from the regular price"
    )
    outcomes = {entry.price_list_id: entry.outcome for entry in og.price.trace or ()}
    assert outcomes == {
        "store1": Outcome.WON,
        "retail": Outcome.SHADOWED_BY_LOCATION,
        "online": Outcome.WRONG_CHANNEL,
    }
    # the other edible deal lost, with its price alone; the basket deal is an offer
    assert [(c.deal_id, c.outcome, c.price, c.lost_to) for c in gummies.deal_candidates] == [
        (f"{STORE}_2", "lost", usd("15.00"), f"{STORE}_1"),
        (f"{STORE}_7", "offer", None, None),
    ]
    assert "beaten by '20% off Kiva'" in gummies.deal_candidates[0].reason
    # deals not live at the sale, with the gate
    assert [(d.deal_id, d.outcome) for d in quote.deals_skipped] == [
        (f"{STORE}_4", "gate_failed"),
        (f"{STORE}_5", "gate_failed"),
        (f"{STORE}_6", "held_back"),
    ]
    assert "Saturday" in quote.deals_skipped[0].reason
    rejected = {r.promotion_id: r for r in quote.promotions_rejected}
    assert rejected["gold-15"].reason is RejectionReason.CUSTOMER_TIER
    assert rejected["spend-50"].reason is RejectionReason.BLOCKED_BY_NON_STACKABLE
    assert rejected["spend-50"].blocked_by == "kiva-50c"
    assert rejected["spend-500"].reason is RejectionReason.CONDITION_NOT_MET
    assert rejected["spend-500"].missing_amount == usd("428.90")  # 500.00 - 71.10
    assert quote.deals_cached
    assert quote.notes == ()


def test_the_gold_tier_applies_when_the_customer_has_it(shop: Shop) -> None:
    context = EvaluationContext(
        business_id=BUSINESS, location_id=STORE, at=AT, customer_id="c1", customer_tier="gold"
    )
    quote = shop.quote(context=context)
    # "Kiva 50c" (priority 30) first and not stackable: "Gold 15%" is blocked by it
    assert quote.promotion_discount == usd("1.00")
    gold = next(r for r in quote.promotions_rejected if r.promotion_id == "gold-15")
    assert gold.reason is RejectionReason.BLOCKED_BY_NON_STACKABLE


def test_a_location_without_cached_deals_is_quoted_without_deals(shop: Shop) -> None:
    quote = shop.quote(deals=None)
    assert not quote.deals_cached
    assert quote.notes == (f"no deals are cached for location {STORE!r}: quoted without deals",)
    assert all(line.deal is None and line.deal_saving.is_zero() for line in quote.lines)
    assert quote.deal_discount == usd("0.00")
    # promotions now see the prices of steps 1 and 2: 35.00 + 36.00 + 12.00
    assert quote.subtotal == usd("83.00")
    assert quote.total == usd("82.00")


def test_a_sale_without_a_location_leaves_deals_out(shop: Shop) -> None:
    context = EvaluationContext(business_id=BUSINESS, at=AT)
    quote = shop.quote(context=context, deals=DEALS)
    assert quote.notes == ("the sale has no location: deals were not considered",)
    # no location: only the global list prices OG Kush
    assert quote.lines[0].unit_price == usd("36.00")
    assert quote.deal_discount.is_zero()


def test_without_promotions_and_with_promotions_given_as_a_list(shop: Shop) -> None:
    bare = shop.quote(promotions=None)
    assert bare.total == usd("71.10")
    assert bare.promotions_applied == bare.promotions_rejected == ()
    assert bare.evaluation is None
    listed = shop.quote(promotions=shop.promotions.list_promotions(BUSINESS, limit=100).items)
    assert listed.total == shop.quote().total == usd("70.10")
    assert [a.promotion_id for a in listed.promotions_applied] == ["kiva-50c"]


def test_deal_floors_hold(shop: Shop) -> None:
    to_one = _deal(
        9,
        "Gummies for 1.00",
        {"method": "price_to_amount", "amount": "1.00 USD"},
        restrictions=[{"dimension": "product", "ids": ["gummies"]}],
    )
    quote = shop.quote(deals=[to_one], promotions=None, deal_policy=DealPolicy(floor_at_cost=True))
    gummies = quote.lines[1]
    assert gummies.deal is not None
    assert (gummies.deal_unit_price, gummies.deal.floor, gummies.deal.tier) == (
        usd("6.00"),
        "cost",
        1,
    )
    assert gummies.deal.saving == usd("24.00")  # (18.00 - 6.00) x 2
    assert "held at the cost floor" in gummies.deal.reason


def test_a_deal_that_takes_nothing_off_is_not_applied(shop: Shop) -> None:
    to_fifty = _deal(
        10,
        "Gummies for 50.00",
        {"method": "price_to_amount", "amount": "50.00 USD"},
        restrictions=[{"dimension": "product", "ids": ["gummies"]}],
    )
    quote = shop.quote(deals=[to_fifty], promotions=None)
    gummies = quote.lines[1]
    assert gummies.deal is None
    assert gummies.deal_saving.is_zero()
    assert [(c.deal_id, c.outcome) for c in gummies.deal_candidates] == [(f"{STORE}_10", "won")]
    assert "takes nothing off" in gummies.deal_candidates[0].reason
    assert quote.discounts == ()


def test_weighed_quantities_stay_exact(shop: Shop) -> None:
    quote = shop.quote([{"line_id": "w", "variant_id": "og-3.5", "quantity": "1.333"}])
    (line,) = quote.lines
    # 35.00 x 1.333 = 46.655 -> 46.66; 31.50 x 1.333 = 41.9895 -> 41.99; the deal: 4.67
    assert (line.amount, line.deal_saving) == (usd("46.66"), usd("4.67"))
    # "10% off flower" applies alone: 4.199 -> 4.20
    assert (line.promotion_discount, line.total) == (usd("4.20"), usd("37.79"))
    assert quote.savings == quote.subtotal - quote.total == usd("8.87")


# -- the JSON form ------------------------------------------------------------------------------


def test_to_dict_is_json_with_money_as_strings(shop: Shop) -> None:
    document = json.loads(json.dumps(shop.quote().to_dict()))
    assert document["currency"] == "USD"
    assert document["policy"] == "priority"
    assert document["total"] == {"amount": "70.10", "currency": "USD"}
    assert document["savings"] == {"amount": "12.90", "currency": "USD"}
    assert document["context"]["location_id"] == STORE
    line = document["lines"][2]
    assert line["quantity"] == "2"
    assert line["price"]["source"] == "markdown"
    assert line["price"]["original_price"] == {"amount": "8.00", "currency": "USD"}
    assert line["price"]["reason"].startswith("markdown wave 'clearance'")
    assert line["deal"]["deal_ids"] == [f"{STORE}_3"]
    assert line["deal"]["saving"] == {"amount": "1.20", "currency": "USD"}
    first = document["lines"][0]["price"]["trace"][0]
    assert set(first) >= {"price_list_id", "outcome", "reason", "price", "min_qty"}
    assert [d["kind"] for d in document["discounts"]] == ["deal", "deal", "promotion"]
    assert {r["promotion_id"] for r in document["promotions"]["rejected"]} == {
        "gold-15",
        "spend-50",
        "flower-10",
        "spend-500",
    }
    assert document["deals"]["cached"] is True
    assert [d["outcome"] for d in document["deals"]["skipped"]] == [
        "gate_failed",
        "gate_failed",
        "held_back",
    ]


def test_resolved_price_dict_and_explain_price() -> None:
    price = ResolvedPrice(
        unit_price=usd("16.50"),
        source=PriceSource.MARKDOWN,
        price_list_id="retail",
        priority=10,
        min_qty=Decimal("1.000"),
        markdown_wave_id="w1",
        original_price=usd("22.00"),
    )
    assert resolved_price_dict(price)["unit_price"] == {"amount": "16.50", "currency": "USD"}
    assert resolved_price_dict(price)["trace"] is None
    assert explain_price(price) == "markdown wave 'w1' over 22.00 USD from price list 'retail'"
    listed = ResolvedPrice(
        unit_price=usd("10.00"),
        source=PriceSource.PRICE_LIST,
        price_list_id="vip",
        priority=200,
        min_qty=Decimal("10.000"),
    )
    assert explain_price(listed) == "price list 'vip' (priority 200, from quantity 10)"
    base = ResolvedPrice(unit_price=usd("1.00"), source=PriceSource.BASE_PRICE)
    assert explain_price(base) == "the regular price: no price list applies"


# -- bad input ------------------------------------------------------------------------------


def test_lines_without_ids_take_their_position_and_bad_carts_are_refused(shop: Shop) -> None:
    quote = shop.quote([{"variant_id": "preroll-1"}, {"variant_id": "og-3.5", "line_id": "x"}])
    assert [line.line_id for line in quote.lines] == ["1", "x"]
    assert quote.line("x").name == "OG Kush 3.5g"
    with pytest.raises(KeyError):
        quote.line("nope")
    with pytest.raises(NotFoundError) as missing:
        shop.quote([{"variant_id": "nope"}])
    assert missing.value.details["field"] == "items[0].variant_id"
    with pytest.raises(InvalidValueError, match="not for sale"):
        shop.quote([{"variant_id": "gummies-old"}])
    with pytest.raises(InvalidValueError, match="policy"):
        shop.quote(policy="cheapest")
    with pytest.raises(InvalidValueError, match="at least one item"):
        shop.quote([])


# -- the totals add up, whatever the cart ---------------------------------------------------

_PRODUCTS = ("p1", "p2", "p3", "p4")
_VARIANTS = tuple(f"{product}-{n}" for product in _PRODUCTS for n in "ab")


class _Prices:
    """A price resolver giving each variant a drawn resolution (some marked down)."""

    def __init__(self, prices: dict[str, ResolvedPrice]) -> None:
        self._prices = prices

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        return [self._prices[query.item_id] for query in queries]


@st.composite
def _shops(draw: st.DrawFn) -> tuple[InMemoryCatalogRepository, _Prices]:
    products = [
        Product(
            id=product,
            name=product,
            category_id=draw(st.none() | st.sampled_from(["c1", "c2", "c3"])),
            brand_id=draw(st.none() | st.sampled_from(["b1", "b2"])),
            vendor_id=draw(st.none() | st.sampled_from(["v1", "v2"])),
            collection_ids=draw(st.frozensets(st.sampled_from(["k1", "k2"]))),
            tags=draw(st.frozensets(st.sampled_from(["t1", "t2", "t3"]))),
        )
        for product in _PRODUCTS
    ]
    variants: list[Variant] = []
    prices: dict[str, ResolvedPrice] = {}
    for variant_id in _VARIANTS:
        regular = draw(st.integers(min_value=0, max_value=20_000) | st.integers(100, 5_000))
        cost = draw(st.none() | st.integers(min_value=0, max_value=regular))
        variants.append(
            Variant(
                id=variant_id,
                product_id=variant_id.split("-")[0],
                price=Money(regular, "USD"),
                cost=None if cost is None else Money(cost, "USD"),
                weight_grams=draw(st.none() | st.sampled_from(["1", "3.5", "7", "14"])),
                tags=draw(st.frozensets(st.sampled_from(["i1", "i2"]))),
            )
        )
        unit = Money(draw(st.integers(min_value=regular // 2, max_value=regular)), "USD")
        if draw(st.booleans()):
            prices[variant_id] = ResolvedPrice(
                unit_price=unit,
                source=PriceSource.MARKDOWN,
                markdown_wave_id="w",
                original_price=Money(regular, "USD"),
            )
        else:
            prices[variant_id] = ResolvedPrice(unit_price=unit, source=PriceSource.PRICE_LIST)
    catalog = Catalog(
        categories=[
            Category(id="c1", name="c1"),
            Category(id="c2", name="c2", parent_id="c1"),
            Category(id="c3", name="c3"),
        ],
        brands=[Brand(id=b, name=b) for b in ("b1", "b2")],
        vendors=[Vendor(id=v, name=v) for v in ("v1", "v2")],
        collections=[Collection(id=k, name=k) for k in ("k1", "k2")],
        products=products,
        variants=variants,
    )
    return InMemoryCatalogRepository(catalog), _Prices(prices)


_QUANTITIES = st.integers(min_value=1, max_value=6) | decimal_quantities(max_value=5, places=3)
_DEALS = st.one_of(
    deal_lists(min_size=1, max_size=6, location_id="loc-1", always_live=True),
    deal_lists(max_size=6, location_id="loc-1"),
    st.none(),
)
_PROMOTIONS = st.one_of(
    promotion_lists(
        min_size=1, max_size=4, business_id="biz", variants=_VARIANTS, locations=("loc-1",)
    ),
    st.none(),
)
_CONTEXTS = st.builds(
    lambda context, location: context.model_copy(update={"location_id": location}),
    evaluation_contexts(business_id="biz", min_at=DEALS_FROM, max_at=DEALS_TO),
    st.sampled_from(["loc-1", "loc-1", "loc-1", None]),
)
_CARTS = st.lists(
    st.fixed_dictionaries({"variant_id": st.sampled_from(_VARIANTS), "quantity": _QUANTITIES}),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    shop=_shops(),
    items=_CARTS,
    deals=_DEALS,
    deal_policy=deal_policies(),
    promotions=_PROMOTIONS,
    context=_CONTEXTS,
    policy=st.sampled_from(list(Policy)),
)
def test_the_totals_add_up_exactly(
    *,
    shop: tuple[InMemoryCatalogRepository, _Prices],
    items: list[dict[str, Any]],
    deals: list[Deal] | None,
    deal_policy: DealPolicy,
    promotions: list[Any] | None,
    context: EvaluationContext,
    policy: Policy,
) -> None:
    catalog, prices = shop
    quote = quote_cart(
        items,
        context,
        catalog=catalog,
        prices=prices,
        deals=deals,
        promotions=promotions,
        policy=policy,
        deal_policy=deal_policy,
    )
    zero = Money.zero("USD")
    assert Money.sum((line.total for line in quote.lines), currency="USD") == quote.total
    assert quote.savings == quote.subtotal - quote.total
    assert quote.savings == quote.deal_discount + quote.promotion_discount
    assert Money.sum((d.amount for d in quote.discounts), currency="USD") == quote.savings
    assert Money.sum((line.amount for line in quote.lines), currency="USD") == quote.subtotal
    amounts = {line.line_id: line for line in quote.lines}
    for line in quote.lines:
        after_deals = line.amount - line.deal_saving
        assert line.total == after_deals - line.promotion_discount
        for value in (line.amount, line.deal_saving, line.promotion_discount, line.total):
            assert value >= zero
        assert line.deal_saving <= line.amount
        assert line.promotion_discount <= after_deals
        assert line.deal_unit_price <= line.unit_price
        assert Money.sum((p.amount for p in line.promotions), currency="USD") == (
            line.promotion_discount
        )
        if line.deal is None:
            assert line.deal_saving == zero
            assert line.deal_unit_price == line.unit_price
    for discount in quote.discounts:
        assert discount.amount >= zero
        touched = [amounts[line_id] for line_id in discount.line_ids]
        if discount.kind == "deal":
            ceiling = Money.sum((line.amount for line in touched), currency="USD")
        else:
            ceiling = Money.sum(
                (line.amount - line.deal_saving for line in touched), currency="USD"
            )
        assert discount.amount <= ceiling
    for value in (quote.subtotal, quote.total, quote.savings):
        assert value >= zero
    assert quote.deals_cached is (deals is not None)
    json.dumps(quote.to_dict())
