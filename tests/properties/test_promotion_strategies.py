"""The shipped promotion strategies: only valid values, and every promise their options make."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.errors import InvalidValueError
from pricekit.money import Money
from pricekit.pricing.models import Channel
from pricekit.promotions import evaluate
from pricekit.promotions.models import (
    CartLine,
    Condition,
    ConditionType,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
)
from pricekit.testing.strategies import (
    cart_lines,
    carts,
    evaluation_contexts,
    item_filters,
    promotion_conditions,
    promotion_lists,
    promotion_rewards,
    promotions,
)

_SETTINGS = settings(deadline=None, max_examples=60)

# Pools unlike the defaults, to check that they are honoured.
PRODUCTS = ("tee", "cap", "mug")
VARIANTS = ("tee-s", "tee-m")
CATEGORIES = ("tops", "hats")
COLLECTIONS = ("summer",)
POOLS: dict[str, Any] = {
    "products": PRODUCTS,
    "variants": VARIANTS,
    "categories": CATEGORIES,
    "collections": COLLECTIONS,
}
DEFAULT_PRODUCTS = {"p1", "p2", "p3", "p4"}


def _in_pools(item_filter: ItemFilter | None) -> bool:
    if item_filter is None:
        return True
    return (
        item_filter.product_ids <= set(PRODUCTS)
        and item_filter.variant_ids <= set(VARIANTS)
        and item_filter.category_ids <= set(CATEGORIES)
        and item_filter.collection_ids <= set(COLLECTIONS)
    )


def _draws(strategy: st.SearchStrategy[Any], count: int = 300) -> list[Any]:
    """Values ``strategy`` draws in ``count`` examples, the same every run."""
    seen: list[Any] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None)
    @given(strategy)
    def collect(value: Any) -> None:
        seen.append(value)

    collect()
    return seen


def _money(promotion: Promotion) -> Iterable[Money]:
    for condition in promotion.conditions:
        if condition.amount is not None:
            yield condition.amount
    for reward in promotion.rewards:
        yield from (money for _, money in reward.money_fields())


# -- carts ----------------------------------------------------------------------------------


@_SETTINGS
@given(carts())
def test_default_carts_hold_1_to_8_usd_lines_with_distinct_ids(cart: list[CartLine]) -> None:
    assert 1 <= len(cart) <= 8
    assert [line.line_id for line in cart] == [f"line-{n}" for n in range(len(cart))]
    for line in cart:
        assert line.unit_price.currency.code == "USD"
        assert 0 <= line.unit_price.minor_units <= 100_000
        assert Decimal(0) < line.quantity <= 10
        assert line.quantity == line.quantity.quantize(Decimal("0.001"))
        assert line.product_id in DEFAULT_PRODUCTS
        assert len(line.category_ids) <= 2
        assert len(line.collection_ids) <= 1


@_SETTINGS
@given(carts(min_size=3, max_size=4, currency="JPY", max_unit_minor=500, **POOLS))
def test_carts_honour_their_sizes_currency_prices_and_pools(cart: list[CartLine]) -> None:
    assert 3 <= len(cart) <= 4
    assert len({line.line_id for line in cart}) == len(cart)
    for line in cart:
        assert line.unit_price.currency.code == "JPY"
        assert line.unit_price.minor_units <= 500
        assert line.product_id in PRODUCTS
        assert line.variant_id is None or line.variant_id in VARIANTS
        assert line.category_ids <= set(CATEGORIES)
        assert line.collection_ids <= set(COLLECTIONS)


@_SETTINGS
@given(carts(min_size=0, max_size=2, variants=(), categories=(), collections=()))
def test_empty_pools_give_bare_lines(cart: list[CartLine]) -> None:
    assert len(cart) <= 2
    for line in cart:
        assert line.variant_id is None
        assert not line.category_ids
        assert not line.collection_ids


@_SETTINGS
@given(cart_lines(line_id="only", currency="EUR"), cart_lines())
def test_cart_lines_take_the_id_given_or_draw_one(given_id: CartLine, drawn: CartLine) -> None:
    assert given_id.line_id == "only"
    assert given_id.unit_price.currency.code == "EUR"
    assert drawn.line_id.startswith("line-")
    assert CartLine.model_validate(drawn.model_dump()) == drawn


def test_carts_cover_whole_and_weighed_quantities_and_every_size() -> None:
    drawn = _draws(carts())
    assert {len(cart) for cart in drawn} == set(range(1, 9))
    quantities = [line.quantity for cart in drawn for line in cart]
    assert any(q != q.to_integral_value() for q in quantities)
    assert {Decimal(n) for n in range(1, 7)} <= set(quantities)


# -- item filters, rewards, conditions ------------------------------------------------------


@_SETTINGS
@given(item_filters(**POOLS))
def test_item_filters_are_valid_and_name_ids_of_the_pools(item_filter: ItemFilter) -> None:
    assert ItemFilter.model_validate(item_filter.model_dump()) == item_filter
    assert _in_pools(item_filter)
    assert item_filter.all_items or item_filter.item_keys


@_SETTINGS
@given(st.sampled_from(list(PromotionScope)).flatmap(lambda scope: promotion_rewards(scope=scope)))
def test_rewards_are_valid(reward: Reward) -> None:
    assert Reward.model_validate(reward.model_dump()) == reward
    for _, money in reward.money_fields():
        assert money.currency.code == "USD"


@_SETTINGS
@given(promotion_rewards(scope="bundle", needs_items=True, currency="EUR", **POOLS))
def test_bundle_rewards_reward_units_and_name_them_when_asked(reward: Reward) -> None:
    assert reward.type not in (RewardType.PCT_OFF_ALL, RewardType.FIXED_OFF_ALL)
    assert reward.applies_to is not None
    assert _in_pools(reward.applies_to)
    assert all(money.currency.code == "EUR" for _, money in reward.money_fields())


@_SETTINGS
@given(promotion_rewards(scope=PromotionScope.LINE, **POOLS))
def test_line_rewards_never_fix_a_bundle_price_and_name_free_items(reward: Reward) -> None:
    assert reward.type is not RewardType.OVERRIDE_PRICE
    if reward.type is RewardType.FREE_ITEM:
        assert reward.free_product_id in {*PRODUCTS, "gift"} or reward.free_variant_id in VARIANTS
    assert _in_pools(reward.applies_to)


@_SETTINGS
@given(promotion_conditions())
def test_conditions_are_valid_and_leave_out_time_of_day_by_default(condition: Condition) -> None:
    assert Condition.model_validate(condition.model_dump()) == condition
    assert condition.type is not ConditionType.TIME_OF_DAY
    if condition.amount is not None:
        assert condition.amount.currency.code == "USD"


@_SETTINGS
@given(
    promotion_conditions(
        condition_types=["time_of_day", "customer_tier", "product_in_cart"],
        tiers=["vip"],
        products=PRODUCTS,
    )
)
def test_conditions_honour_their_types_and_pools(condition: Condition) -> None:
    assert condition.type in {
        ConditionType.TIME_OF_DAY,
        ConditionType.CUSTOMER_TIER,
        ConditionType.PRODUCT_IN_CART,
    }
    if condition.type is ConditionType.TIME_OF_DAY:
        assert condition.window is not None
    elif condition.type is ConditionType.CUSTOMER_TIER:
        assert condition.ids == {"vip"}
    else:
        assert condition.ids <= set(PRODUCTS)


# -- promotions -----------------------------------------------------------------------------


@_SETTINGS
@given(promotions())
def test_promotions_validate_again(promotion: Promotion) -> None:
    assert Promotion.model_validate(promotion.model_dump()) == promotion
    assert promotion.status is PromotionStatus.ACTIVE
    assert promotion.business_id == "biz"
    assert promotion.currency == "USD"
    assert all(money.currency.code == "USD" for money in _money(promotion))


@_SETTINGS
@given(
    promotions(
        promotion_id="mine",
        business_id="shop-9",
        currency="KWD",
        statuses=["draft", PromotionStatus.PAUSED],
        types=["bogo", "bundle"],
        scopes=["bundle"],
        locations=["north"],
        channels=["kiosk"],
        tiers=["vip"],
        **POOLS,
    )
)
def test_promotions_honour_their_options(promotion: Promotion) -> None:
    assert Promotion.model_validate(promotion.model_dump()) == promotion
    assert promotion.id == "mine"
    assert promotion.business_id == "shop-9"
    assert promotion.currency == "KWD"
    assert all(money.currency.code == "KWD" for money in _money(promotion))
    assert promotion.status in (PromotionStatus.DRAFT, PromotionStatus.PAUSED)
    assert promotion.type in (PromotionType.BOGO, PromotionType.BUNDLE)
    assert promotion.scope is PromotionScope.BUNDLE
    assert promotion.location_ids <= {"north"}
    assert promotion.channel in (None, Channel.KIOSK)
    assert _in_pools(promotion.item_filter)
    for reward in promotion.rewards:
        assert _in_pools(reward.applies_to)
        if promotion.type is PromotionType.BUNDLE or promotion.item_filter is None:
            assert reward.applies_to is not None
    for condition in promotion.conditions:
        if condition.type is ConditionType.CUSTOMER_TIER:
            assert condition.ids == {"vip"}
        elif condition.ids:
            assert condition.ids <= {*PRODUCTS, *CATEGORIES, *COLLECTIONS}


@_SETTINGS
@given(promotions(locations=(), channels=(), condition_types=()))
def test_promotions_without_locations_channels_or_condition_types(promotion: Promotion) -> None:
    assert promotion.is_everywhere()
    assert promotion.channel is None
    assert promotion.conditions == ()


def test_promotions_cover_every_type_scope_and_reward() -> None:
    drawn: list[Promotion] = _draws(promotions(), 500)
    assert {(p.scope, p.type) for p in drawn} == {
        (scope, kind) for scope in PromotionScope for kind in PromotionType
    }
    for scope in PromotionScope:
        rewards = {r.type for p in drawn if p.scope is scope for r in p.rewards}
        assert (RewardType.OVERRIDE_PRICE in rewards) is (scope is PromotionScope.BUNDLE)
        assert (RewardType.PCT_OFF_ALL in rewards) is (scope is not PromotionScope.BUNDLE)
    assert any(p.scope is PromotionScope.BUNDLE and p.item_filter is None for p in drawn)
    assert any(p.location_ids for p in drawn)
    assert any(p.channel is not None for p in drawn)
    assert any(p.conditions for p in drawn)


@_SETTINGS
@given(promotion_lists(max_size=4, statuses=("active", "active", "draft")))
def test_promotion_lists_have_distinct_ids_and_honour_statuses(offers: list[Promotion]) -> None:
    assert len(offers) <= 4
    assert [p.id for p in offers] == [f"promo-{n}" for n in range(len(offers))]
    assert {p.status for p in offers} <= {PromotionStatus.ACTIVE, PromotionStatus.DRAFT}
    for promotion in offers:
        assert Promotion.model_validate(promotion.model_dump()) == promotion


@_SETTINGS
@given(promotion_lists(min_size=2, max_size=3, currency="EUR", **POOLS))
def test_promotion_lists_honour_their_size_currency_and_pools(offers: list[Promotion]) -> None:
    assert 2 <= len(offers) <= 3
    for promotion in offers:
        assert promotion.currency == "EUR"
        assert _in_pools(promotion.item_filter)


# -- contexts, and the strategies together --------------------------------------------------

EARLY = datetime(2025, 1, 1, tzinfo=UTC)
LATE = datetime(2025, 2, 1, tzinfo=UTC)


@_SETTINGS
@given(
    evaluation_contexts(
        business_id="shop-9",
        locations=["north"],
        channels=["online"],
        customers=["ann"],
        tiers=["vip"],
        min_at=EARLY,
        max_at=LATE,
        timezones=st.just("Europe/Paris"),
    )
)
def test_evaluation_contexts_honour_their_options(context: EvaluationContext) -> None:
    assert EvaluationContext.model_validate(context.model_dump()) == context
    assert context.business_id == "shop-9"
    assert context.location_id in (None, "north")
    assert context.channel is Channel.ONLINE
    assert context.customer_id in (None, "ann")
    assert context.customer_tier in (None, "vip")
    assert EARLY <= context.at <= LATE
    assert context.time_zone == "Europe/Paris"
    assert not context.customer_uses


@_SETTINGS
@given(carts(), promotion_lists(statuses=("active", "draft")), evaluation_contexts())
def test_drawn_values_evaluate(
    cart: list[CartLine], offers: list[Promotion], context: EvaluationContext
) -> None:
    result = evaluate(cart, context, offers, preview_statuses=["draft"])
    assert not result.total.is_negative()
    assert len(result.applied) + len(result.rejections) == len(offers)


def test_drawn_promotions_apply_to_drawn_carts() -> None:
    """The pools overlap: promotions of every scope find carts to apply to."""
    context = EvaluationContext(business_id="biz", location_id="s1", at=LATE)
    applied = {
        offer.scope
        for cart, offer in _draws(st.tuples(carts(), promotions()))
        if evaluate(cart, context, [offer]).applied
    }
    assert applied == set(PromotionScope)


# -- options refused ------------------------------------------------------------------------

BAD_OPTIONS: list[tuple[str, Callable[[], object]]] = [
    ("products", lambda: carts(products=())),
    ("products", lambda: cart_lines(products="p1")),
    ("variants", lambda: carts(variants=("",))),
    ("max_size", lambda: carts(min_size=3, max_size=2)),
    ("min_size", lambda: promotion_lists(min_size=-1)),
    ("max_unit_minor", lambda: cart_lines(max_unit_minor=-1)),
    ("currency", lambda: carts(currency="XXX1")),
    ("scope", lambda: promotion_rewards(scope="everywhere")),
    ("statuses", lambda: promotions(statuses=())),
    ("statuses", lambda: promotions(statuses="active")),
    ("types", lambda: promotion_lists(types=["half_price"])),
    ("channels", lambda: promotions(channels=["any"])),
    ("channels", lambda: evaluation_contexts(channels=())),
    ("condition_types", lambda: promotion_conditions(condition_types=["moon_phase"])),
    ("tiers", lambda: promotion_conditions(condition_types=["customer_tier"], tiers=())),
    ("collections", lambda: promotions(collections=())),
]


@pytest.mark.parametrize(("field", "build"), BAD_OPTIONS, ids=[f for f, _ in BAD_OPTIONS])
def test_bad_options_are_refused_when_the_strategy_is_built(
    field: str, build: Callable[[], object]
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        build()
    assert caught.value.field == field


def test_the_private_module_imports_on_its_own() -> None:
    """Importing it before the strategies module (as tests may) works: no import cycle."""
    code = (
        "from pricekit.testing._promotion_strategies import carts\n"
        "import pricekit.testing.strategies as s\n"
        "assert s.carts is carts\n"
        "carts().example()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
