"""PromotionService.evaluate: the per-business index, reconcile on evaluation, usage, preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pricekit.memory import InMemoryPromotionRepository
from pricekit.money import Money
from pricekit.promotions import (
    CartLine,
    EvaluationContext,
    PromotionService,
    PromotionStatus,
    RejectionReason,
)
from pricekit.time import ManualClock

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def service() -> tuple[PromotionService, ManualClock, InMemoryPromotionRepository]:
    clock = ManualClock(T0)
    repository = InMemoryPromotionRepository()
    return PromotionService(promotions=repository, usage=repository, clock=clock), clock, repository


def tees_20(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "tees-20",
        "business_id": "shop",
        "name": "20% off tees",
        "type": "percentage_discount",
        "scope": "line",
        "currency": "USD",
        "status": "active",
        "item_filter": {"category_ids": ["tees"]},
        "rewards": [{"type": "pct_off_item", "percent": 20}],
    }
    data.update(fields)
    return data


CART = [
    CartLine(
        line_id="1", product_id="tee", category_ids={"tees"}, quantity=2, unit_price=usd("10.00")
    ),
    CartLine(
        line_id="2", product_id="mug", category_ids={"mugs"}, quantity=1, unit_price=usd("8.00")
    ),
]


def context(at: datetime = T0, **fields: Any) -> EvaluationContext:
    return EvaluationContext(business_id="shop", location_id="s1", at=at, **fields)


def test_evaluate_uses_the_business_promotions_and_sees_writes() -> None:
    promotions, _, _ = service()
    promotions.create_promotion(tees_20())
    assert promotions.evaluate(CART, context()).total_discount == usd("4.00")
    promotions.update_promotion("tees-20", rewards=[{"type": "pct_off_item", "percent": 50}])
    assert promotions.evaluate(CART, context()).total_discount == usd("10.00")
    promotions.transition("tees-20", "paused")
    assert promotions.evaluate(CART, context()).applied == ()
    promotions.transition("tees-20", "active")
    promotions.delete_promotion("tees-20")
    assert promotions.evaluate(CART, context()).applied == ()


def test_only_promotions_that_can_touch_the_cart_are_evaluated_unless_asked() -> None:
    promotions, _, _ = service()
    promotions.create_promotion(tees_20())
    promotions.create_promotion(tees_20(id="hats", item_filter={"category_ids": ["hats"]}))
    result = promotions.evaluate(CART, context())
    assert result.rejection("hats") is None  # never looked at: the cart has no hats
    explained = promotions.evaluate(CART, context(), explain_all=True)
    hats = explained.rejection("hats")
    assert hats is not None
    assert hats.reason is RejectionReason.CONDITION_NOT_MET


def test_a_scheduled_promotion_goes_live_when_its_time_comes() -> None:
    promotions, clock, _ = service()
    starts = T0 + timedelta(hours=1)
    created = promotions.create_promotion(tees_20(valid_from=starts))
    assert created.status is PromotionStatus.SCHEDULED
    assert promotions.evaluate(CART, context(at=starts)).applied == ()  # not live by the clock
    preview = promotions.evaluate(CART, context(at=starts), include_preview=True)
    assert [a.promotion_id for a in preview.applied] == ["tees-20"]
    clock.advance(timedelta(hours=1))
    assert promotions.evaluate(CART, context(at=starts)).total_discount == usd("4.00")
    assert promotions.get_promotion("tees-20").status is PromotionStatus.ACTIVE


def test_an_expired_promotion_stops_applying_without_any_write() -> None:
    promotions, clock, _ = service()
    promotions.create_promotion(tees_20(valid_to=T0 + timedelta(minutes=5)))
    assert promotions.evaluate(CART, context()).applied != ()
    clock.advance(timedelta(minutes=5))
    late = T0 + timedelta(minutes=5)
    result = promotions.evaluate(CART, context(at=late), include_preview=True)
    assert result.applied == ()
    assert promotions.get_promotion("tees-20").status is PromotionStatus.EXPIRED


def test_recorded_uses_close_the_promotion_at_its_limit() -> None:
    promotions, _, _ = service()
    promotions.create_promotion(tees_20(max_uses=1))
    assert promotions.evaluate(CART, context()).applied != ()
    promotions.record_application("tees-20", sale_id="sale-1", discount=usd("4.00"))
    result = promotions.evaluate(CART, context())
    rejection = result.rejection("tees-20")
    assert rejection is not None
    assert rejection.reason is RejectionReason.USAGE_LIMIT_REACHED


def test_customer_uses_come_from_the_usage_repository() -> None:
    promotions, _, _ = service()
    promotions.create_promotion(tees_20(max_uses_per_customer=1))
    promotions.record_application(
        "tees-20", sale_id="sale-1", discount=usd("4.00"), customer_id="ann"
    )
    ann = promotions.evaluate(CART, context(customer_id="ann"))
    rejection = ann.rejection("tees-20")
    assert rejection is not None
    assert rejection.reason is RejectionReason.CUSTOMER_LIMIT_REACHED
    assert promotions.evaluate(CART, context(customer_id="bob")).applied != ()
