"""Unit tests for pricekit.promotions.service and the in-memory promotion repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pricekit.errors import (
    ConflictError,
    CurrencyMismatchError,
    InvalidStateTransitionError,
    InvalidValueError,
    NotFoundError,
    UsageLimitReachedError,
)
from pricekit.memory import InMemoryPromotionRepository
from pricekit.money import Money
from pricekit.pricing.models import Channel
from pricekit.promotions.models import (
    Promotion,
    PromotionApplication,
    PromotionStatus,
    PromotionType,
)
from pricekit.promotions.repository import (
    PromotionRepository,
    PromotionUsageRepository,
    RecordStatus,
    UsageSummary,
)
from pricekit.promotions.service import PromotionService
from pricekit.time import ManualClock

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
BIZ = "b1"

DRAFT = PromotionStatus.DRAFT
SCHEDULED = PromotionStatus.SCHEDULED
ACTIVE = PromotionStatus.ACTIVE
PAUSED = PromotionStatus.PAUSED
EXPIRED = PromotionStatus.EXPIRED


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def promo(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "p1",
        "business_id": BIZ,
        "name": "20% off tees",
        "type": "percentage_discount",
        "scope": "line",
        "currency": "USD",
        "item_filter": {"category_ids": ["tees"]},
        "rewards": [{"type": "pct_off_item", "percent": 20}],
    }
    fields.update(overrides)
    return fields


class World:
    """A promotion service over the in-memory repository, with a manual clock."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.repo = InMemoryPromotionRepository()
        self.service = PromotionService(promotions=self.repo, usage=self.repo, clock=self.clock)

    def active(self, **overrides: Any) -> Promotion:
        return self.service.create_promotion(promo(status="active", **overrides))

    def record(self, sale_id: str, promotion_id: str = "p1", **kwargs: Any) -> PromotionApplication:
        kwargs.setdefault("discount", usd("1.00"))
        return self.service.record_application(promotion_id, sale_id=sale_id, **kwargs)


@pytest.fixture
def world() -> World:
    return World()


# -- the adapter and the ports -------------------------------------------------------------


def test_in_memory_repository_implements_both_ports() -> None:
    repo = InMemoryPromotionRepository()
    assert isinstance(repo, PromotionRepository)
    assert isinstance(repo, PromotionUsageRepository)


def test_repository_replace_keeps_the_stored_counter(world: World) -> None:
    world.active()
    world.record("s1")
    stored = world.repo.get("p1")
    assert stored is not None
    assert stored.current_uses == 1
    world.repo.replace(stored.model_copy(update={"current_uses": 0, "name": "Renamed"}))
    again = world.repo.get("p1")
    assert again is not None
    assert (again.name, again.current_uses) == ("Renamed", 1)


def test_repository_refuses_unknown_and_duplicate_ids(world: World) -> None:
    promotion = world.active()
    with pytest.raises(ConflictError):
        world.repo.add(promotion)
    with pytest.raises(NotFoundError):
        world.repo.replace(promotion.model_copy(update={"id": "nope"}))
    with pytest.raises(NotFoundError):
        world.repo.delete("nope")
    application = PromotionApplication(
        id="a1",
        promotion_id="nope",
        business_id=BIZ,
        sale_id="s1",
        discount=usd("1"),
        applied_at=T0,
    )
    with pytest.raises(NotFoundError):
        world.repo.record(application, max_uses_per_customer=None)


def test_repository_refuses_hard_delete_of_an_applied_promotion(world: World) -> None:
    world.active()
    world.record("s1")
    with pytest.raises(ConflictError, match="expire it"):
        world.repo.delete("p1")


def test_repository_refuses_a_stored_application_id(world: World) -> None:
    world.active()
    first = world.record("s1")
    again = first.model_copy(update={"sale_id": "s2"})
    with pytest.raises(ConflictError):
        world.repo.record(again, max_uses_per_customer=None)


def test_repository_customer_uses(world: World) -> None:
    world.active()
    world.active(id="p2")
    world.record("s1", customer_id="c1")
    world.record("s2", customer_id="c1")
    world.record("s3", "p2", customer_id="c1")
    world.record("s4", customer_id="c2")
    assert world.repo.customer_uses("c1", ["p1", "p2", "p3"]) == {"p1": 2, "p2": 1}
    assert world.repo.customer_uses("c9", ["p1"]) == {}


def test_repository_duplicate_reports_the_earlier_application(world: World) -> None:
    world.active()
    first = world.record("s1")
    retry = first.model_copy(update={"id": "other"})
    outcome = world.repo.record(retry, max_uses_per_customer=None)
    assert outcome.status is RecordStatus.DUPLICATE
    assert outcome.application == first
    assert outcome.current_uses == 1


# -- creating ------------------------------------------------------------------------------


def test_create_generates_id_and_stamps_times(world: World) -> None:
    fields = promo()
    del fields["id"]
    created = world.service.create_promotion(fields)
    assert created.id
    assert created.status is DRAFT
    assert created.created_at == created.updated_at == T0
    assert created.current_uses == 0
    assert world.service.get_promotion(created.id) == created


def test_create_from_a_model(world: World) -> None:
    created = world.service.create_promotion(Promotion.model_validate(promo()))
    assert created.id == "p1"
    assert created.created_at == T0


def test_create_keeps_conditions_rewards_and_locations_together(world: World) -> None:
    created = world.service.create_promotion(
        promo(
            location_ids=["l1", "l2"],
            conditions=[{"type": "min_amount", "amount": usd("50")}],
            rewards=[{"type": "pct_off_item", "percent": 20, "max_discount": usd("10")}],
        )
    )
    stored = world.service.get_promotion("p1")
    assert stored == created
    assert stored.location_ids == {"l1", "l2"}
    assert stored.conditions[0].amount == usd("50")
    assert stored.rewards[0].max_discount == usd("10")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"created_at": T0}, "created_at"),
        ({"updated_at": T0}, "updated_at"),
        ({"current_uses": 3}, "current_uses"),
        ({"status": "paused"}, "status"),
        ({"status": "expired"}, "status"),
        ({"status": "live"}, "status"),
        ({"status": "scheduled"}, "valid_from"),
        ({"status": "active", "valid_to": T0 - HOUR}, "valid_to"),
        ({"status": "active", "valid_to": T0}, "valid_to"),
        ({"rewards": [{"type": "pct_off_item", "percent": 120}]}, "rewards.0.percent"),
        ({"valid_from": datetime(2026, 3, 1, 9)}, "valid_from"),
        ({"currency": "XYZ"}, "currency"),
        ({"name": ""}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_create_bad_input_names_the_field(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        world.service.create_promotion(promo(**overrides))
    assert caught.value.field == field
    assert world.repo.get("p1") is None


def test_create_refuses_a_duplicate_id(world: World) -> None:
    world.service.create_promotion(promo())
    with pytest.raises(ConflictError):
        world.service.create_promotion(promo())


def test_create_refuses_what_is_not_a_mapping(world: World) -> None:
    with pytest.raises(InvalidValueError) as caught:
        world.service.create_promotion([("id", "p1")])  # type: ignore[arg-type]
    assert caught.value.field == "promotion"


@pytest.mark.parametrize(
    ("status", "valid_from", "expected"),
    [
        ("draft", T0 + HOUR, DRAFT),
        ("active", None, ACTIVE),
        ("active", T0 - HOUR, ACTIVE),
        ("active", T0, ACTIVE),
        ("active", T0 + HOUR, SCHEDULED),
        ("scheduled", T0 + HOUR, SCHEDULED),
        ("scheduled", T0 - HOUR, ACTIVE),
        (PromotionStatus.SCHEDULED, T0 + HOUR, SCHEDULED),
    ],
)
def test_create_initial_status(
    world: World, status: str, valid_from: datetime | None, expected: PromotionStatus
) -> None:
    created = world.service.create_promotion(promo(status=status, valid_from=valid_from))
    assert created.status is expected
    assert world.service.get_promotion("p1").status is expected


def test_create_a_draft_that_already_ended(world: World) -> None:
    created = world.service.create_promotion(promo(valid_to=T0 - HOUR))
    assert created.status is DRAFT
    assert world.service.get_promotion("p1").status is DRAFT  # drafts are never reconciled


def test_create_from_seed_json(world: World) -> None:
    created = world.service.create_from_seed_json(
        conditions={"itemFilter": {"categoryIds": ["tees"]}, "minCartTotal": 100},
        benefit={"method": "percent", "value": 20, "maxDiscount": 50},
        business_id=BIZ,
        name="20% off tees over $100",
        type="percentage_discount",
        scope="line",
        currency="USD",
        status="active",
    )
    assert created.id
    assert created.status is ACTIVE
    assert created.created_at == T0
    assert created.item_filter is not None
    assert created.item_filter.category_ids == {"tees"}
    assert created.conditions[0].amount == usd("100")
    assert created.rewards[0].max_discount == usd("50")
    assert world.service.get_promotion(created.id) == created


def test_create_from_seed_json_names_bad_keys(world: World) -> None:
    with pytest.raises(InvalidValueError) as caught:
        world.service.create_from_seed_json(
            conditions={"minCartTotl": 100},
            benefit={"method": "percent", "value": 20},
            business_id=BIZ,
            name="x",
            type="percentage_discount",
            scope="line",
            currency="USD",
        )
    assert caught.value.field == "conditions.minCartTotl"
    with pytest.raises(InvalidValueError) as caught:
        world.service.create_from_seed_json(
            conditions={},
            benefit={"method": "percent", "value": 20},
            business_id=BIZ,
            name="x",
            type="percentage_discount",
            scope="line",
            currency="USD",
            current_uses=5,
        )
    assert caught.value.field == "current_uses"


# -- lifecycle -----------------------------------------------------------------------------

ALLOWED = {
    DRAFT: {ACTIVE, SCHEDULED},
    SCHEDULED: {ACTIVE, EXPIRED},
    ACTIVE: {PAUSED, EXPIRED},
    PAUSED: {ACTIVE, EXPIRED},
    EXPIRED: set(),
}

RESULT = {
    # draft and scheduled promotions here start in an hour: going live schedules them
    (DRAFT, ACTIVE): SCHEDULED,
    (DRAFT, SCHEDULED): SCHEDULED,
    (SCHEDULED, ACTIVE): SCHEDULED,
    (SCHEDULED, EXPIRED): EXPIRED,
    (ACTIVE, PAUSED): PAUSED,
    (ACTIVE, EXPIRED): EXPIRED,
    (PAUSED, ACTIVE): ACTIVE,
    (PAUSED, EXPIRED): EXPIRED,
}


def in_status(world: World, status: PromotionStatus) -> Promotion:
    if status in (DRAFT, SCHEDULED):
        created = world.service.create_promotion(promo(status=status, valid_from=T0 + HOUR))
    else:
        created = world.service.create_promotion(promo(status="active"))
        if status is not ACTIVE:
            created = world.service.transition("p1", status)
    assert created.status is status
    return created


@pytest.mark.parametrize("source", list(PromotionStatus))
@pytest.mark.parametrize("target", list(PromotionStatus))
def test_lifecycle_table(world: World, source: PromotionStatus, target: PromotionStatus) -> None:
    before = in_status(world, source)
    world.clock.advance(timedelta(minutes=1))
    if target is source:
        assert world.service.transition("p1", target) == before  # nothing to do
    elif target in ALLOWED[source]:
        moved = world.service.transition("p1", target)
        assert moved.status is RESULT[source, target]
        assert world.service.get_promotion("p1").status is RESULT[source, target]
        if moved.status is not source:
            assert moved.updated_at == world.clock.now()
    else:
        with pytest.raises(InvalidStateTransitionError) as caught:
            world.service.transition("p1", target)
        error = caught.value
        assert (error.entity, error.id) == ("promotion", "p1")
        assert (error.current, error.requested) == (source.value, target.value)
        assert set(error.allowed) == {s.value for s in ALLOWED[source]}
        assert world.service.get_promotion("p1").status is source


def test_transition_accepts_a_string_and_refuses_an_unknown_one(world: World) -> None:
    world.service.create_promotion(promo())
    assert world.service.transition("p1", "active").status is ACTIVE
    with pytest.raises(InvalidValueError) as caught:
        world.service.transition("p1", "live")
    assert caught.value.field == "to"


def test_activating_a_draft_without_valid_from_makes_it_active(world: World) -> None:
    world.service.create_promotion(promo())
    assert world.service.transition("p1", ACTIVE).status is ACTIVE


def test_scheduling_needs_valid_from(world: World) -> None:
    world.service.create_promotion(promo())
    with pytest.raises(ConflictError, match="valid_from"):
        world.service.transition("p1", SCHEDULED)


def test_scheduling_a_promotion_that_already_started_activates_it(world: World) -> None:
    world.service.create_promotion(promo(valid_from=T0 - HOUR))
    assert world.service.transition("p1", SCHEDULED).status is ACTIVE


@pytest.mark.parametrize("target", [ACTIVE, SCHEDULED])
def test_going_live_after_valid_to_is_refused(world: World, target: PromotionStatus) -> None:
    world.service.create_promotion(promo(valid_from=T0 - 2 * HOUR, valid_to=T0 - HOUR))
    with pytest.raises(ConflictError, match="would expire at once") as caught:
        world.service.transition("p1", target)
    assert caught.value.details["field"] == "valid_to"
    assert world.service.get_promotion("p1").status is DRAFT


def test_resuming_a_paused_promotion_after_valid_to_expires_it(world: World) -> None:
    world.active(valid_to=T0 + HOUR)
    world.service.transition("p1", PAUSED)
    world.clock.advance(HOUR)
    with pytest.raises(InvalidStateTransitionError) as caught:
        world.service.transition("p1", ACTIVE)
    assert caught.value.current == "expired"


def test_transition_unknown_promotion(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.service.transition("nope", ACTIVE)


# -- reconcile on read ---------------------------------------------------------------------


def test_reconcile_on_get(world: World) -> None:
    world.service.create_promotion(
        promo(status="scheduled", valid_from=T0 + HOUR, valid_to=T0 + 2 * HOUR)
    )
    assert world.service.get_promotion("p1").status is SCHEDULED
    world.clock.advance(HOUR)
    active = world.service.get_promotion("p1")
    assert active.status is ACTIVE
    assert active.updated_at == T0 + HOUR
    world.clock.advance(HOUR)
    assert world.service.get_promotion("p1").status is EXPIRED


def test_reconcile_on_list(world: World) -> None:
    world.service.create_promotion(promo(id="a", status="scheduled", valid_from=T0 + HOUR))
    world.service.create_promotion(promo(id="b", status="active", valid_to=T0 + HOUR))
    world.service.create_promotion(promo(id="c", valid_to=T0 + HOUR))  # a draft stays
    world.clock.advance(HOUR)
    page = world.service.list_promotions(BIZ)
    assert [(p.id, p.status) for p in page.items] == [("a", ACTIVE), ("b", EXPIRED), ("c", DRAFT)]
    stored = world.repo.get("a")
    assert stored is not None
    assert stored.status is ACTIVE


def test_reconcile_on_usage_reads(world: World) -> None:
    world.active(valid_to=T0 + HOUR)
    world.record("s1")
    world.clock.advance(HOUR)
    assert world.service.applications("p1").total == 1
    assert world.repo.get("p1").status is EXPIRED  # type: ignore[union-attr]


def test_reconcile_on_summary(world: World) -> None:
    world.active(valid_to=T0 + HOUR)
    world.clock.advance(HOUR)
    assert world.service.usage_summary(BIZ) == []
    assert world.repo.get("p1").status is EXPIRED  # type: ignore[union-attr]


def test_scheduled_past_both_ends_expires_directly(world: World) -> None:
    world.service.create_promotion(
        promo(status="scheduled", valid_from=T0 + HOUR, valid_to=T0 + 2 * HOUR)
    )
    world.clock.advance(3 * HOUR)
    assert world.service.get_promotion("p1").status is EXPIRED


def test_paused_expires_at_valid_to(world: World) -> None:
    world.active(valid_to=T0 + HOUR)
    world.service.transition("p1", PAUSED)
    world.clock.advance(HOUR - timedelta(microseconds=1))
    assert world.service.get_promotion("p1").status is PAUSED
    world.clock.advance(timedelta(microseconds=1))  # valid_to is exclusive
    assert world.service.get_promotion("p1").status is EXPIRED


def test_reconcile_returns_what_changed(world: World) -> None:
    world.service.create_promotion(promo(id="a", status="scheduled", valid_from=T0 + HOUR))
    world.service.create_promotion(promo(id="b", status="active", valid_to=T0 + 2 * HOUR))
    world.service.create_promotion(
        promo(id="c", business_id="b2", status="active", valid_to=T0 + 2 * HOUR)
    )
    assert world.service.reconcile(BIZ) == []
    changed = world.service.reconcile(BIZ, now=T0 + HOUR)
    assert [(p.id, p.status, p.updated_at) for p in changed] == [("a", ACTIVE, T0 + HOUR)]
    assert world.service.reconcile(BIZ, now=T0 + HOUR) == []
    everywhere = world.service.reconcile(now=T0 + 2 * HOUR)
    assert sorted((p.id, p.status) for p in everywhere) == [("b", EXPIRED), ("c", EXPIRED)]


def test_reconcile_every_business(world: World) -> None:
    world.clock.set(T0 - 2 * HOUR)
    world.active(id="a", valid_to=T0 - HOUR)
    world.active(id="b", business_id="b2", valid_to=T0 - HOUR)
    world.clock.set(T0)
    assert sorted(p.id for p in world.service.reconcile()) == ["a", "b"]


def test_reconcile_refuses_a_naive_now(world: World) -> None:
    with pytest.raises(InvalidValueError) as caught:
        world.service.reconcile(BIZ, now=datetime(2026, 3, 1))
    assert caught.value.field == "now"


def test_live_promotions(world: World) -> None:
    world.service.create_promotion(promo(id="a"))
    world.service.create_promotion(promo(id="b", status="scheduled", valid_from=T0 + HOUR))
    world.service.create_promotion(promo(id="c", status="active", valid_to=T0 + HOUR))
    world.service.create_promotion(promo(id="d", status="active"))
    world.service.transition("d", PAUSED)
    world.clock.advance(HOUR)
    live = world.service._live_promotions(BIZ)
    assert [(p.id, p.status) for p in live] == [("a", DRAFT), ("b", ACTIVE)]


# -- reading and listing -------------------------------------------------------------------


def test_get_unknown(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.service.get_promotion("nope")
    with pytest.raises(NotFoundError):
        world.service.applications("nope")


@pytest.fixture
def listed(world: World) -> World:
    service = world.service
    service.create_promotion(promo(id="a", channel="pos", valid_to=T0 + 24 * HOUR))
    service.create_promotion(promo(id="b", status="active", channel="online"))
    service.create_promotion(
        promo(
            id="c",
            type="fixed_discount",
            status="scheduled",
            valid_from=T0 + 48 * HOUR,
            valid_to=T0 + 72 * HOUR,
            rewards=[{"type": "fixed_off_item", "amount": usd("5")}],
        )
    )
    service.create_promotion(promo(id="d", status="active"))
    service.create_promotion(promo(id="e", business_id="other"))
    return world


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({}, ["a", "b", "c", "d"]),
        ({"statuses": [ACTIVE]}, ["b", "d"]),
        ({"statuses": ["active", "scheduled"]}, ["b", "c", "d"]),
        ({"statuses": "draft"}, ["a"]),
        ({"statuses": []}, []),
        ({"type": "fixed_discount"}, ["c"]),
        ({"type": PromotionType.PERCENTAGE_DISCOUNT}, ["a", "b", "d"]),
        ({"channel": "pos"}, ["a", "c", "d"]),
        ({"channel": Channel.ONLINE}, ["b", "c", "d"]),
        ({"channel": Channel.KIOSK}, ["c", "d"]),
        ({"channel": Channel.ANY}, ["c", "d"]),
        ({"active_from": T0 + 24 * HOUR}, ["b", "c", "d"]),
        ({"active_from": T0 + 24 * HOUR - timedelta(microseconds=1)}, ["a", "b", "c", "d"]),
        ({"active_to": T0 + 48 * HOUR}, ["a", "b", "d"]),
        ({"active_to": T0 + 49 * HOUR}, ["a", "b", "c", "d"]),
        ({"active_from": T0 + 25 * HOUR, "active_to": T0 + 26 * HOUR}, ["b", "d"]),
        ({"statuses": ["active"], "channel": "pos"}, ["d"]),
    ],
)
def test_list_filters(listed: World, filters: dict[str, Any], ids: list[str]) -> None:
    page = listed.service.list_promotions(BIZ, **filters)
    assert [p.id for p in page.items] == ids
    assert page.total == len(ids)


def test_list_pagination(listed: World) -> None:
    first = listed.service.list_promotions(BIZ, limit=3)
    assert [p.id for p in first.items] == ["a", "b", "c"]
    assert (first.total, first.has_more, first.next_offset) == (4, True, 3)
    second = listed.service.list_promotions(BIZ, offset=3, limit=3)
    assert [p.id for p in second.items] == ["d"]
    assert second.next_offset is None
    assert listed.service.list_promotions(BIZ, offset=10).items == ()
    assert listed.service.list_promotions("nobody").total == 0


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"statuses": ["live"]}, "statuses"),
        ({"type": "mystery"}, "type"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"active_from": datetime(2026, 1, 1)}, "active_from"),
        ({"active_to": datetime(2026, 1, 1)}, "active_to"),
        ({"offset": -1}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
def test_list_bad_filters_name_the_field(
    listed: World, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        listed.service.list_promotions(BIZ, **filters)
    assert caught.value.field == field


# -- updating ------------------------------------------------------------------------------


def test_update(world: World) -> None:
    world.active()
    world.clock.advance(HOUR)
    updated = world.service.update_promotion(
        "p1", name="25% off tees", rewards=[{"type": "pct_off_item", "percent": 25}]
    )
    assert updated.name == "25% off tees"
    assert updated.rewards[0].percent == 25
    assert updated.updated_at == T0 + HOUR
    assert updated.created_at == T0
    assert updated.status is ACTIVE
    assert world.service.get_promotion("p1") == updated


def test_update_keeps_the_counter(world: World) -> None:
    world.active()
    world.record("s1")
    assert world.service.update_promotion("p1", name="Renamed").current_uses == 1
    assert world.service.get_promotion("p1").current_uses == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "p2"}, "id"),
        ({"business_id": "b2"}, "business_id"),
        ({"status": "paused"}, "status"),
        ({"current_uses": 9}, "current_uses"),
        ({"created_at": T0}, "created_at"),
        ({"updated_at": T0}, "updated_at"),
        ({"priority": 10**9}, "priority"),
        ({"rewards": []}, "rewards"),
        ({"valid_from": T0 + HOUR, "valid_to": T0}, "valid_to"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_update_refusals_name_the_field(world: World, changes: dict[str, Any], field: str) -> None:
    before = world.active()
    with pytest.raises(InvalidValueError) as caught:
        world.service.update_promotion("p1", **changes)
    assert caught.value.field == field
    assert world.service.get_promotion("p1") == before


def test_update_status_points_to_transition(world: World) -> None:
    world.active()
    with pytest.raises(InvalidValueError, match="transition"):
        world.service.update_promotion("p1", status="paused")


def test_update_refused_once_expired(world: World) -> None:
    world.active()
    world.service.transition("p1", EXPIRED)
    with pytest.raises(InvalidStateTransitionError) as caught:
        world.service.update_promotion("p1", name="Again")
    assert (caught.value.current, caught.value.requested) == ("expired", "update")


def test_update_refused_once_time_expired_it(world: World) -> None:
    world.active(valid_to=T0 + HOUR)
    world.clock.advance(HOUR)
    with pytest.raises(InvalidStateTransitionError):
        world.service.update_promotion("p1", valid_to=T0 + 5 * HOUR)


def test_update_unknown(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.service.update_promotion("nope", name="x")


def test_update_currency_refused_once_applied(world: World) -> None:
    world.active()
    world.record("s1")
    with pytest.raises(ConflictError, match="currency"):
        world.service.update_promotion("p1", currency="EUR")


def test_update_currency_before_use(world: World) -> None:
    world.active()
    assert world.service.update_promotion("p1", currency="EUR").currency == "EUR"


def test_update_window_moves_status_at_once(world: World) -> None:
    world.service.create_promotion(promo(status="scheduled", valid_from=T0 + HOUR))
    world.clock.advance(HOUR / 2)
    assert world.service.update_promotion("p1", valid_from=T0).status is ACTIVE
    assert world.service.update_promotion("p1", valid_to=T0 + HOUR / 2).status is EXPIRED


def test_update_scheduled_needs_valid_from(world: World) -> None:
    world.service.create_promotion(promo(status="scheduled", valid_from=T0 + HOUR))
    with pytest.raises(InvalidValueError) as caught:
        world.service.update_promotion("p1", valid_from=None)
    assert caught.value.field == "valid_from"


# -- deleting ------------------------------------------------------------------------------


def test_delete_never_applied_is_hard(world: World) -> None:
    created = world.active()
    result = world.service.delete_promotion("p1")
    assert result.hard is True
    assert result.promotion == created
    with pytest.raises(NotFoundError):
        world.service.get_promotion("p1")


def test_delete_applied_is_soft(world: World) -> None:
    world.active()
    world.record("s1")
    world.clock.advance(HOUR)
    result = world.service.delete_promotion("p1")
    assert result.hard is False
    assert result.promotion.status is EXPIRED
    assert result.promotion.updated_at == T0 + HOUR
    assert result.promotion.current_uses == 1
    assert world.service.get_promotion("p1").status is EXPIRED
    assert world.service.applications("p1").total == 1
    again = world.service.delete_promotion("p1")
    assert again.hard is False
    assert again.promotion == result.promotion


def test_delete_unknown(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.service.delete_promotion("nope")


# -- recording -----------------------------------------------------------------------------


def test_record_application(world: World) -> None:
    world.active()
    world.clock.advance(HOUR)
    application = world.record("s1", discount=usd("4.99"), customer_id="c1", location_id="l1")
    assert application.promotion_id == "p1"
    assert application.business_id == BIZ
    assert (application.sale_id, application.customer_id, application.location_id) == (
        "s1",
        "c1",
        "l1",
    )
    assert application.discount == usd("4.99")
    assert application.applied_at == T0 + HOUR
    assert application.id
    assert world.service.get_promotion("p1").current_uses == 1


def test_record_with_applied_at(world: World) -> None:
    world.active()
    application = world.record("s1", applied_at=T0 - HOUR)
    assert application.applied_at == T0 - HOUR


def test_record_is_idempotent_per_sale(world: World) -> None:
    world.active()
    first = world.record("s1", discount=usd("2.00"))
    again = world.record("s1", discount=usd("3.00"))
    assert again == first
    assert world.service.get_promotion("p1").current_uses == 1
    assert world.service.applications("p1").total == 1


def test_record_retry_after_the_promotion_stopped(world: World) -> None:
    world.active()
    first = world.record("s1")
    world.service.transition("p1", PAUSED)
    assert world.record("s1") == first
    with pytest.raises(ConflictError, match="paused, not active"):
        world.record("s2")


@pytest.mark.parametrize("status", [DRAFT, SCHEDULED, PAUSED, EXPIRED])
def test_record_refuses_a_promotion_that_is_not_active(
    world: World, status: PromotionStatus
) -> None:
    in_status(world, status)
    with pytest.raises(ConflictError, match="not active") as caught:
        world.record("s1")
    assert caught.value.details["status"] == status.value
    assert world.repo.get("p1").current_uses == 0  # type: ignore[union-attr]


def test_record_reconciles_a_due_scheduled_promotion(world: World) -> None:
    world.service.create_promotion(promo(status="scheduled", valid_from=T0 + HOUR))
    world.clock.advance(HOUR)
    assert world.record("s1").sale_id == "s1"


def test_record_refuses_another_currency(world: World) -> None:
    world.active()
    with pytest.raises(CurrencyMismatchError) as caught:
        world.record("s1", discount=Money.of("1", "EUR"))
    assert (caught.value.expected, caught.value.actual, caught.value.field) == (
        "USD",
        "EUR",
        "discount",
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"discount": usd("-0.01")}, "discount"),
        ({"discount": "1.00"}, "discount"),
        ({"applied_at": datetime(2026, 3, 1)}, "applied_at"),
        ({"sale_id": ""}, "sale_id"),
        ({"customer_id": ""}, "customer_id"),
    ],
)
def test_record_bad_input_names_the_field(world: World, kwargs: dict[str, Any], field: str) -> None:
    world.active()
    kwargs.setdefault("sale_id", "s1")
    kwargs.setdefault("discount", usd("1"))
    with pytest.raises(InvalidValueError) as caught:
        world.service.record_application("p1", **kwargs)
    assert caught.value.field == field
    assert world.service.applications("p1").total == 0


def test_record_unknown_promotion(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.record("s1", "nope")


def test_record_zero_discount(world: World) -> None:
    world.active()
    assert world.record("s1", discount=usd("0")).discount.is_zero()


def test_max_uses(world: World) -> None:
    world.active(max_uses=2)
    world.record("s1")
    world.record("s2")
    with pytest.raises(UsageLimitReachedError) as caught:
        world.record("s3")
    assert (caught.value.entity, caught.value.id, caught.value.limit) == ("promotion", "p1", 2)
    assert caught.value.customer_id is None
    assert world.record("s2").sale_id == "s2"  # a retry of a recorded sale is still answered
    assert world.service.get_promotion("p1").current_uses == 2


def test_max_uses_zero(world: World) -> None:
    world.active(max_uses=0)
    with pytest.raises(UsageLimitReachedError):
        world.record("s1")


def test_max_uses_raised_later(world: World) -> None:
    world.active(max_uses=1)
    world.record("s1")
    world.service.update_promotion("p1", max_uses=2)
    world.record("s2")
    assert world.service.get_promotion("p1").current_uses == 2


def test_max_uses_per_customer(world: World) -> None:
    world.active(max_uses_per_customer=2)
    world.record("s1", customer_id="c1")
    world.record("s2", customer_id="c1")
    with pytest.raises(UsageLimitReachedError) as caught:
        world.record("s3", customer_id="c1")
    assert (caught.value.limit, caught.value.customer_id) == (2, "c1")
    world.record("s4", customer_id="c2")
    world.record("s5")  # anonymous sales are not limited per customer
    world.record("s6")
    world.record("s7")
    assert world.service.get_promotion("p1").current_uses == 6


def test_per_customer_limit_counts_one_promotion(world: World) -> None:
    world.active(max_uses_per_customer=1)
    world.active(id="p2", max_uses_per_customer=1)
    world.record("s1", customer_id="c1")
    world.record("s1", "p2", customer_id="c1")
    with pytest.raises(UsageLimitReachedError):
        world.record("s2", "p2", customer_id="c1")


def test_both_limits(world: World) -> None:
    world.active(max_uses=2, max_uses_per_customer=5)
    world.record("s1", customer_id="c1")
    world.record("s2", customer_id="c2")
    with pytest.raises(UsageLimitReachedError) as caught:
        world.record("s3", customer_id="c3")
    assert (caught.value.limit, caught.value.customer_id) == (2, None)


# -- applications and summary --------------------------------------------------------------


def test_applications_newest_first_then_id(world: World) -> None:
    world.active()
    world.repo.record(
        PromotionApplication(
            id="z",
            promotion_id="p1",
            business_id=BIZ,
            sale_id="s-z",
            discount=usd("1"),
            applied_at=T0 + HOUR,
        ),
        max_uses_per_customer=None,
    )
    world.repo.record(
        PromotionApplication(
            id="a",
            promotion_id="p1",
            business_id=BIZ,
            sale_id="s-a",
            discount=usd("1"),
            applied_at=T0 + HOUR,
        ),
        max_uses_per_customer=None,
    )
    world.record("s-old", applied_at=T0 - HOUR)
    world.record("s-new", applied_at=T0 + 2 * HOUR)
    world.record("s-mid", applied_at=T0)
    sales = [a.sale_id for a in world.service.applications("p1", limit=1000).items]
    assert sales == ["s-new", "s-a", "s-z", "s-mid", "s-old"]
    page = world.service.applications("p1", offset=1, limit=2)
    assert [a.sale_id for a in page.items] == ["s-a", "s-z"]
    assert (page.total, page.next_offset) == (5, 3)
    with pytest.raises(InvalidValueError) as caught:
        world.service.applications("p1", limit=0)
    assert caught.value.field == "limit"


def test_summary_sums_exactly(world: World) -> None:
    world.active(id="b")
    world.active(id="a")
    world.active(id="c")
    for index in range(10):
        world.record(f"s{index}", "a", discount=usd("0.10"))
    world.record("s1", "b", discount=usd("0.20"))
    world.record("s2", "b", discount=usd("1234567.89"))
    rows = world.service.usage_summary(BIZ)
    assert rows == [
        UsageSummary(promotion_id="a", uses=10, total_discount=usd("1.00")),
        UsageSummary(promotion_id="b", uses=2, total_discount=usd("1234568.09")),
    ]
    assert world.service.usage_summary("nobody") == []


def test_summary_jpy(world: World) -> None:
    world.active(currency="JPY")
    world.record("s1", discount=Money.of("100", "JPY"))
    world.record("s2", discount=Money.of("250", "JPY"))
    (row,) = world.service.usage_summary(BIZ)
    assert row.total_discount == Money.of("350", "JPY")


def test_summary_period_is_half_open(world: World) -> None:
    world.active()
    world.active(id="p2")
    for hour in range(5):
        world.record(f"s{hour}", applied_at=T0 + hour * HOUR, discount=usd(f"{hour + 1}"))
    world.record("x", "p2", applied_at=T0 + 10 * HOUR)
    rows = world.service.usage_summary(BIZ, start=T0 + HOUR, end=T0 + 3 * HOUR)
    assert rows == [UsageSummary(promotion_id="p1", uses=2, total_discount=usd("5"))]
    (row,) = world.service.usage_summary(BIZ, start=T0 + 4 * HOUR, promotion_ids=["p1"])
    assert (row.uses, row.total_discount) == (1, usd("5"))
    (row,) = world.service.usage_summary(BIZ, end=T0 + HOUR)
    assert (row.promotion_id, row.uses) == ("p1", 1)
    assert [r.promotion_id for r in world.service.usage_summary(BIZ, promotion_ids="p2")] == ["p2"]
    assert world.service.usage_summary(BIZ, promotion_ids=[]) == []
    assert world.service.usage_summary(BIZ, start=T0 + 5 * HOUR, end=T0 + 6 * HOUR) == []
    assert world.service.usage_summary(BIZ, start=T0, end=T0) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": datetime(2026, 1, 1)}, "start"),
        ({"end": datetime(2026, 1, 1)}, "end"),
        ({"start": T0, "end": T0 - HOUR}, "end"),
    ],
)
def test_summary_bad_period(world: World, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        world.service.usage_summary(BIZ, **kwargs)
    assert caught.value.field == field


def test_summary_in_other_time_zones(world: World) -> None:
    from zoneinfo import ZoneInfo

    world.active()
    tokyo = ZoneInfo("Asia/Tokyo")
    world.record("s1", applied_at=datetime(2026, 3, 1, 18, tzinfo=tokyo))  # 09:00 UTC
    (row,) = world.service.usage_summary(BIZ, start=T0, end=T0 + timedelta(microseconds=1))
    assert row.uses == 1
