"""Contract suites for the promotion repositories: promotions, and their usage.

Each suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for, returning a fresh, empty
repository for every test::

    import pytest
    from pricekit.testing.contracts import (
        PromotionRepositoryContract,
        PromotionUsageRepositoryContract,
    )

    class TestMyPromotionRepository(PromotionRepositoryContract):
        @pytest.fixture
        def promotion_repository(self, my_database):
            return MyPromotionRepository(my_database)

    class TestMyPromotionUsage(PromotionUsageRepositoryContract):
        @pytest.fixture
        def promotion_usage_repository(self, my_database):
            return MyPromotionRepository(my_database)  # implements both ports

:class:`PromotionUsageRepositoryContract` asks for one object implementing
**both** ports: recording needs a stored promotion (its ``max_uses`` and its
``current_uses`` counter live on it), and a promotion with applications must not
be deleted. It also records from 16 threads at once, so that object must be safe
to share between threads.

Needs pytest (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")

from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterable, Sequence  # noqa: E402
from datetime import UTC, datetime, time, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import NoReturn, Protocol, TypeVar  # noqa: E402

import pytest  # noqa: E402

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError  # noqa: E402
from pricekit.money import Money  # noqa: E402
from pricekit.pricing.models import Channel  # noqa: E402
from pricekit.pricing.repository import MAX_PAGE_LIMIT  # noqa: E402
from pricekit.promotions.models import (  # noqa: E402
    Condition,
    ConditionType,
    ItemFilter,
    Promotion,
    PromotionApplication,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
)
from pricekit.promotions.repository import (  # noqa: E402
    PromotionRepository,
    PromotionUsageRepository,
    RecordOutcome,
    RecordStatus,
    UsageSummary,
)
from pricekit.testing._threads import stress  # noqa: E402
from pricekit.time import TimeOfDayWindow, Weekday  # noqa: E402

__all__ = [
    "PromotionRepositoryContract",
    "PromotionUsageRepositoryContract",
]

_T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_EASTERN = timezone(timedelta(hours=-5))
_MICROSECOND = timedelta(microseconds=1)

_THREADS = 16
_ATTEMPTS_PER_THREAD = 4  # 64 attempts in all

_R = TypeVar("_R")


class _PromotionStore(PromotionRepository, PromotionUsageRepository, Protocol):
    """One object implementing both promotion ports, as the usage suite needs."""


def _usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def _assert_aware(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() is not None


def _fail_without_fixture(suite: object, fixture: str, what: str) -> NoReturn:
    pytest.fail(
        f"{type(suite).__name__} must define a {fixture!r} fixture returning a fresh, "
        f"empty {what} of yours for each test"
    )


def _promotion(
    promotion_id: str,
    *,
    business_id: str = "b1",
    status: PromotionStatus = PromotionStatus.ACTIVE,
    type: PromotionType = PromotionType.PERCENTAGE_DISCOUNT,
    channel: Channel | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    max_uses: int | None = None,
    current_uses: int = 0,
    name: str = "20% off tees",
    currency: str = "USD",
) -> Promotion:
    reward = (
        Reward(type=RewardType.FIXED_OFF_ITEM, amount=Money.of("1.50", currency))
        if type is PromotionType.FIXED_DISCOUNT
        else Reward(type=RewardType.PCT_OFF_ITEM, percent=Decimal(20))
    )
    return Promotion(
        id=promotion_id,
        business_id=business_id,
        name=name,
        type=type,
        scope=PromotionScope.LINE,
        currency=currency,
        status=status,
        channel=channel,
        valid_from=valid_from,
        valid_to=valid_to,
        item_filter=ItemFilter(category_ids=frozenset({"tees"})),
        rewards=(reward,),
        max_uses=max_uses,
        current_uses=current_uses,
    )


def _rich_promotion(promotion_id: str) -> Promotion:
    """A promotion with every optional field set."""
    return Promotion(
        id=promotion_id,
        business_id="b1",
        name="Weekend spend & save",
        description="12.5% off carts over $25 at the weekend, for gold members",
        type=PromotionType.SPEND_THRESHOLD,
        scope=PromotionScope.CART,
        currency="USD",
        status=PromotionStatus.SCHEDULED,
        priority=-7,
        stackable=True,
        channel=Channel.ONLINE,
        location_ids=frozenset({"s2", "s1"}),
        # 08:00 at UTC-5 is 13:00 UTC.
        valid_from=datetime(2026, 3, 1, 8, 0, tzinfo=_EASTERN),
        valid_to=datetime(2026, 4, 1, 0, 0, 0, 250000, tzinfo=UTC),
        item_filter=ItemFilter(
            product_ids=frozenset({"tee", "hoodie"}),
            variant_ids=frozenset({"cap-red"}),
            category_ids=frozenset({"tops"}),
            collection_ids=frozenset({"summer"}),
        ),
        conditions=(
            Condition(type=ConditionType.MIN_AMOUNT, amount=_usd("25.00")),
            Condition(type=ConditionType.MIN_QUANTITY, quantity=Decimal("2.5")),
            Condition(type=ConditionType.CUSTOMER_TIER, ids=frozenset({"gold", "platinum"})),
            Condition(
                type=ConditionType.DAYS_OF_WEEK,
                days=frozenset({Weekday.SATURDAY, Weekday.SUNDAY}),
            ),
            Condition(
                type=ConditionType.TIME_OF_DAY,
                window=TimeOfDayWindow(start=time(17, 0), end=time(19, 30)),
            ),
        ),
        rewards=(
            Reward(
                type=RewardType.PCT_OFF_ALL, percent=Decimal("12.5"), max_discount=_usd("10.00")
            ),
            Reward(type=RewardType.FIXED_OFF_ALL, amount=_usd("1.50")),
            Reward(type=RewardType.FREE_ITEM, free_product_id="sticker", reward_quantity=2),
        ),
        max_uses=100,
        max_uses_per_customer=2,
        created_at=_T0,
        updated_at=datetime(2026, 3, 2, 8, 30, tzinfo=_EASTERN),
        created_by="user-7",
    )


def _ids(records: Iterable[Promotion | PromotionApplication | UsageSummary]) -> list[str]:
    return [r.promotion_id if isinstance(r, UsageSummary) else r.id for r in records]


# -- promotions ---------------------------------------------------------------------------


class PromotionRepositoryContract:
    """The contract every :class:`~pricekit.promotions.repository.PromotionRepository` must keep.

    Provide a fixture ``promotion_repository`` returning a fresh, empty repository.
    """

    @pytest.fixture
    def promotion_repository(self) -> PromotionRepository:
        """Override me: return a fresh, empty promotion repository."""
        _fail_without_fixture(self, "promotion_repository", "repository")

    def test_is_a_promotion_repository(self, promotion_repository: PromotionRepository) -> None:
        """The repository has every method of the protocol."""
        assert isinstance(promotion_repository, PromotionRepository)

    def test_add_then_get_returns_an_equal_promotion(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Every field survives: conditions, rewards, money, filters, aware datetimes."""
        promotion = _rich_promotion("p1")
        promotion_repository.add(promotion)
        found = promotion_repository.get("p1")
        assert found == promotion
        assert found is not None
        assert found.type is PromotionType.SPEND_THRESHOLD
        assert found.channel is Channel.ONLINE
        assert found.location_ids == frozenset({"s1", "s2"})
        assert found.item_filter == promotion.item_filter
        assert found.conditions == promotion.conditions
        assert found.conditions[0].amount == Money(2500, "USD")
        assert found.conditions[1].quantity == Decimal("2.5")
        assert found.rewards == promotion.rewards
        assert found.rewards[0].percent == Decimal("12.5")
        assert found.rewards[0].max_discount == Money(1000, "USD")
        assert found.rewards[1].amount == Money(150, "USD")
        assert (found.max_uses, found.max_uses_per_customer) == (100, 2)
        for at in (found.valid_from, found.valid_to, found.created_at, found.updated_at):
            _assert_aware(at)
        assert found.valid_from == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
        assert found.valid_to == datetime(2026, 4, 1, 0, 0, 0, 250000, tzinfo=UTC)
        assert found.updated_at == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
        minimal = _promotion("p2", status=PromotionStatus.DRAFT)
        promotion_repository.add(minimal)
        assert promotion_repository.get("p2") == minimal
        assert promotion_repository.get("no-such-promotion") is None

    def test_add_refuses_a_duplicate_id(self, promotion_repository: PromotionRepository) -> None:
        """Adding an id twice raises ConflictError and keeps the first promotion."""
        original = _promotion("p1")
        promotion_repository.add(original)
        with pytest.raises(ConflictError) as caught:
            promotion_repository.add(_promotion("p1", name="Impostor", business_id="b2"))
        assert caught.value.id == "p1"
        assert promotion_repository.get("p1") == original
        assert promotion_repository.all_for_business("b2") == []

    def test_replace_changes_the_stored_promotion(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Replace swaps the stored promotion; an unknown id raises NotFoundError."""
        promotion_repository.add(_promotion("p1"))
        changed = _promotion(
            "p1",
            name="Renamed",
            status=PromotionStatus.PAUSED,
            type=PromotionType.FIXED_DISCOUNT,
            channel=Channel.POS,
            valid_to=_T0 + timedelta(days=3),
            max_uses=10,
        )
        promotion_repository.replace(changed)
        assert promotion_repository.get("p1") == changed
        with pytest.raises(NotFoundError) as caught:
            promotion_repository.replace(_promotion("p2"))
        assert caught.value.id == "p2"
        assert promotion_repository.get("p2") is None
        assert _ids(promotion_repository.all_for_business("b1")) == ["p1"]

    def test_replace_keeps_the_stored_current_uses(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """current_uses is the repository's counter: replace keeps it, whatever it is given."""
        promotion_repository.add(_promotion("p1"))
        promotion_repository.replace(_promotion("p1", name="Renamed", current_uses=7))
        found = promotion_repository.get("p1")
        assert found is not None
        assert found.name == "Renamed"
        assert found.current_uses == 0
        assert found == _promotion("p1", name="Renamed")

    def test_replace_can_move_a_promotion_to_another_business(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """After a replace that changes the business, every listing shows it there only."""
        promotion_repository.add(_promotion("p1", business_id="b1"))
        promotion_repository.add(_promotion("p2", business_id="b1"))
        moved = _promotion("p1", business_id="b2", status=PromotionStatus.SCHEDULED)
        promotion_repository.replace(moved)
        assert _ids(promotion_repository.all_for_business("b1")) == ["p2"]
        assert promotion_repository.all_for_business("b2") == [moved]
        assert _ids(promotion_repository.find("b1").items) == ["p2"]
        assert _ids(promotion_repository.find("b2").items) == ["p1"]
        assert promotion_repository.due(_T0, business_id="b1") == []
        assert promotion_repository.due(_T0, business_id="b2") == [moved]

    def test_delete_removes_the_promotion(self, promotion_repository: PromotionRepository) -> None:
        """A deleted promotion is gone everywhere and its id may be used again."""
        promotion_repository.add(_promotion("p1", status=PromotionStatus.SCHEDULED))
        promotion_repository.add(_promotion("p2"))
        promotion_repository.delete("p1")
        assert promotion_repository.get("p1") is None
        assert _ids(promotion_repository.all_for_business("b1")) == ["p2"]
        assert _ids(promotion_repository.find("b1").items) == ["p2"]
        assert promotion_repository.due(_T0) == []
        with pytest.raises(NotFoundError) as caught:
            promotion_repository.delete("p1")
        assert caught.value.id == "p1"
        with pytest.raises(NotFoundError):
            promotion_repository.delete("no-such-promotion")
        again = _promotion("p1", name="Again")
        promotion_repository.add(again)
        assert promotion_repository.get("p1") == again

    def test_find_filters_by_status(self, promotion_repository: PromotionRepository) -> None:
        """statuses=None lists every status; a collection only those; empty lists none."""
        for promotion_id, status in (
            ("p4", PromotionStatus.EXPIRED),
            ("p2", PromotionStatus.SCHEDULED),
            ("p5", PromotionStatus.PAUSED),
            ("p1", PromotionStatus.DRAFT),
            ("p3", PromotionStatus.ACTIVE),
            ("p6", PromotionStatus.ACTIVE),
        ):
            promotion_repository.add(_promotion(promotion_id, status=status))
        repo = promotion_repository
        everything = repo.find("b1")
        assert _ids(everything.items) == ["p1", "p2", "p3", "p4", "p5", "p6"]
        assert everything.total == 6
        assert _ids(repo.find("b1", statuses=None).items) == _ids(everything.items)
        live = repo.find("b1", statuses={PromotionStatus.ACTIVE, PromotionStatus.SCHEDULED})
        assert _ids(live.items) == ["p2", "p3", "p6"]
        assert live.total == 3
        assert _ids(repo.find("b1", statuses=[PromotionStatus.DRAFT]).items) == ["p1"]
        none = repo.find("b1", statuses=[])
        assert (none.items, none.total) == ((), 0)
        repo.replace(_promotion("p3", status=PromotionStatus.PAUSED))
        assert _ids(repo.find("b1", statuses=[PromotionStatus.ACTIVE]).items) == ["p6"]
        assert _ids(repo.find("b1", statuses=[PromotionStatus.PAUSED]).items) == ["p3", "p5"]

    def test_find_filters_by_type(self, promotion_repository: PromotionRepository) -> None:
        """type= lists only promotions of that type."""
        promotion_repository.add(_promotion("p2", type=PromotionType.FIXED_DISCOUNT))
        promotion_repository.add(_promotion("p1"))
        promotion_repository.add(_promotion("p3"))
        percentage = promotion_repository.find("b1", type=PromotionType.PERCENTAGE_DISCOUNT)
        assert _ids(percentage.items) == ["p1", "p3"]
        assert percentage.total == 2
        fixed = promotion_repository.find("b1", type=PromotionType.FIXED_DISCOUNT)
        assert _ids(fixed.items) == ["p2"]
        assert promotion_repository.find("b1", type=PromotionType.BOGO).total == 0

    def test_find_filters_by_channel(self, promotion_repository: PromotionRepository) -> None:
        """channel= lists promotions of that channel and those that run on every channel."""
        promotion_repository.add(_promotion("p1", channel=Channel.POS))
        promotion_repository.add(_promotion("p2", channel=Channel.ONLINE))
        promotion_repository.add(_promotion("p3"))
        promotion_repository.add(_promotion("p4", channel=Channel.POS))
        repo = promotion_repository
        assert _ids(repo.find("b1").items) == ["p1", "p2", "p3", "p4"]
        pos = repo.find("b1", channel=Channel.POS)
        assert _ids(pos.items) == ["p1", "p3", "p4"]
        assert pos.total == 3
        assert _ids(repo.find("b1", channel=Channel.ONLINE).items) == ["p2", "p3"]
        assert _ids(repo.find("b1", channel=Channel.KIOSK).items) == ["p3"]

    def test_find_filters_by_validity_overlap(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """active_from keeps valid_to > it (or open); active_to keeps valid_from < it (or open)."""
        day = timedelta(days=1)
        promotion_repository.add(_promotion("pa"))  # open at both ends
        promotion_repository.add(_promotion("pb", valid_from=_T0, valid_to=_T0 + 10 * day))
        promotion_repository.add(_promotion("pc", valid_to=_T0 + 5 * day))
        promotion_repository.add(_promotion("pd", valid_from=_T0 + 20 * day))
        repo = promotion_repository

        def found(
            active_from: datetime | None = None, active_to: datetime | None = None
        ) -> list[str]:
            return _ids(repo.find("b1", active_from=active_from, active_to=active_to).items)

        assert found() == ["pa", "pb", "pc", "pd"]
        # valid_to is exclusive: a promotion ending at active_from does not reach past it.
        assert found(active_from=_T0 + 10 * day) == ["pa", "pd"]
        assert found(active_from=_T0 + 10 * day - _MICROSECOND) == ["pa", "pb", "pd"]
        # The same instant at another offset: 04:00 at UTC-5 is 09:00 UTC.
        eastern = datetime(2026, 3, 11, 4, 0, tzinfo=_EASTERN)
        assert eastern == _T0 + 10 * day
        assert found(active_from=eastern) == ["pa", "pd"]
        # valid_from is inclusive: a promotion starting at active_to does not start before it.
        assert found(active_to=_T0 + 20 * day) == ["pa", "pb", "pc"]
        assert found(active_to=_T0 + 20 * day + _MICROSECOND) == ["pa", "pb", "pc", "pd"]
        assert found(active_to=_T0) == ["pa", "pc"]
        assert found(active_from=_T0 + 6 * day, active_to=_T0 + 15 * day) == ["pa", "pb"]
        assert found(active_from=_T0 - day, active_to=_T0 + _MICROSECOND) == ["pa", "pb", "pc"]
        assert repo.find("b1", active_from=_T0 + 10 * day).total == 2

    def test_find_combines_filters_within_one_business(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Every filter given must match; other businesses never show; unknown ones are empty."""
        promotion_repository.add(_promotion("p1", channel=Channel.POS))
        promotion_repository.add(
            _promotion("p2", type=PromotionType.FIXED_DISCOUNT, channel=Channel.POS)
        )
        promotion_repository.add(_promotion("p3", status=PromotionStatus.PAUSED))
        promotion_repository.add(_promotion("p4", valid_to=_T0))
        promotion_repository.add(_promotion("p0", business_id="b2"))
        repo = promotion_repository
        matching = repo.find(
            "b1",
            statuses=[PromotionStatus.ACTIVE],
            type=PromotionType.PERCENTAGE_DISCOUNT,
            channel=Channel.POS,
            active_from=_T0,
        )
        assert _ids(matching.items) == ["p1"]
        assert matching.total == 1
        assert _ids(repo.find("b1").items) == ["p1", "p2", "p3", "p4"]
        assert _ids(repo.find("b2").items) == ["p0"]
        empty = repo.find("no-such-business")
        assert (empty.items, empty.total, empty.has_more) == ((), 0, False)

    def test_find_paginates(self, promotion_repository: PromotionRepository) -> None:
        """Pages carry the total of matching promotions, and has_more until the last page."""
        for index in range(7):
            status = PromotionStatus.PAUSED if index % 3 == 0 else PromotionStatus.ACTIVE
            promotion_repository.add(_promotion(f"p{index}", status=status))
        repo = promotion_repository
        first = repo.find("b1", limit=3)
        assert _ids(first.items) == ["p0", "p1", "p2"]
        assert (first.total, first.offset, first.limit) == (7, 0, 3)
        assert (first.has_more, first.next_offset) == (True, 3)
        last = repo.find("b1", offset=6, limit=3)
        assert _ids(last.items) == ["p6"]
        assert (last.total, last.has_more, last.next_offset) == (7, False, None)
        beyond = repo.find("b1", offset=10, limit=3)
        assert (beyond.items, beyond.total, beyond.has_more) == ((), 7, False)
        active = repo.find("b1", statuses=[PromotionStatus.ACTIVE], offset=1, limit=2)
        assert _ids(active.items) == ["p2", "p4"]
        assert (active.total, active.has_more, active.next_offset) == (4, True, 3)
        assert _ids(repo.find("b1", limit=MAX_PAGE_LIMIT).items) == [f"p{i}" for i in range(7)]

    def test_find_refuses_bad_page_arguments(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """A negative offset or an out-of-range limit raises InvalidValueError naming it."""
        promotion_repository.add(_promotion("p1"))
        with pytest.raises(InvalidValueError) as caught:
            promotion_repository.find("b1", offset=-1)
        assert caught.value.field == "offset"
        with pytest.raises(InvalidValueError) as caught:
            promotion_repository.find("b1", limit=0)
        assert caught.value.field == "limit"
        with pytest.raises(InvalidValueError) as caught:
            promotion_repository.find("b1", limit=MAX_PAGE_LIMIT + 1)
        assert caught.value.field == "limit"

    def test_all_for_business_orders_by_id_and_filters_by_status(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Every promotion of one business, ordered by id, in the statuses asked for."""
        promotion_repository.add(_promotion("p3", status=PromotionStatus.DRAFT))
        promotion_repository.add(_promotion("p1"))
        promotion_repository.add(_promotion("p2", status=PromotionStatus.EXPIRED))
        promotion_repository.add(_promotion("p0", business_id="b2"))
        repo = promotion_repository
        assert repo.all_for_business("b1") == [
            _promotion("p1"),
            _promotion("p2", status=PromotionStatus.EXPIRED),
            _promotion("p3", status=PromotionStatus.DRAFT),
        ]
        assert _ids(repo.all_for_business("b1", statuses=None)) == ["p1", "p2", "p3"]
        assert _ids(
            repo.all_for_business("b1", statuses=[PromotionStatus.ACTIVE, PromotionStatus.DRAFT])
        ) == ["p1", "p3"]
        assert repo.all_for_business("b1", statuses=[]) == []
        assert repo.all_for_business("b1", statuses=[PromotionStatus.PAUSED]) == []
        assert _ids(repo.all_for_business("b2")) == ["p0"]
        assert repo.all_for_business("no-such-business") == []

    def test_due_starts_scheduled_promotions_whose_start_has_come(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Scheduled with no valid_from or valid_from <= now are due; a later start is not."""
        now = _T0
        scheduled = PromotionStatus.SCHEDULED
        for promotion in (
            _promotion("p5", status=scheduled, valid_from=now + _MICROSECOND),
            _promotion("p1", status=scheduled),
            _promotion("p2", status=scheduled, valid_from=now),
            _promotion("p3", status=scheduled, valid_from=now - timedelta(days=2)),
            _promotion(
                "p4", status=scheduled, valid_from=now - timedelta(days=2), valid_to=now
            ),  # due too: it is over already
            _promotion("p6", status=scheduled, valid_from=now + timedelta(days=1)),
        ):
            promotion_repository.add(promotion)
        assert _ids(promotion_repository.due(now)) == ["p1", "p2", "p3", "p4"]
        # The same instant at another offset: 04:00 at UTC-5 is 09:00 UTC.
        assert _ids(promotion_repository.due(datetime(2026, 3, 1, 4, 0, tzinfo=_EASTERN))) == [
            "p1",
            "p2",
            "p3",
            "p4",
        ]
        later = promotion_repository.due(now + timedelta(days=1))
        assert _ids(later) == ["p1", "p2", "p3", "p4", "p5", "p6"]
        assert promotion_repository.due(now - timedelta(days=3)) == [
            _promotion("p1", status=scheduled)
        ]

    def test_due_expires_active_and_paused_promotions_at_their_end(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Active and paused with valid_to <= now are due (exactly now included); others not."""
        now = _T0
        active, paused = PromotionStatus.ACTIVE, PromotionStatus.PAUSED
        for promotion in (
            _promotion("p1", status=active, valid_to=now),
            _promotion("p2", status=paused, valid_to=now),
            _promotion("p3", status=active, valid_to=now - timedelta(hours=1)),
            _promotion("p4", status=active, valid_to=now + _MICROSECOND),
            _promotion("p5", status=paused, valid_to=now + timedelta(days=1)),
            _promotion("p6", status=active),
            _promotion("p7", status=paused, valid_from=now - timedelta(days=1)),
            _promotion("p8", status=active, valid_from=now - timedelta(days=1), valid_to=now),
        ):
            promotion_repository.add(promotion)
        assert _ids(promotion_repository.due(now)) == ["p1", "p2", "p3", "p8"]
        assert _ids(promotion_repository.due(now - _MICROSECOND)) == ["p3"]
        assert _ids(promotion_repository.due(now + _MICROSECOND)) == ["p1", "p2", "p3", "p4", "p8"]

    def test_due_never_moves_drafts_or_expired_promotions(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """Draft and expired promotions are never due, whatever their dates."""
        past = _T0 - timedelta(days=30)
        for status in (PromotionStatus.DRAFT, PromotionStatus.EXPIRED):
            promotion_repository.add(
                _promotion(f"{status.value}-1", status=status, valid_from=past, valid_to=_T0)
            )
            promotion_repository.add(_promotion(f"{status.value}-2", status=status))
        promotion_repository.add(_promotion("scheduled-1", status=PromotionStatus.SCHEDULED))
        assert _ids(promotion_repository.due(_T0)) == ["scheduled-1"]
        assert _ids(promotion_repository.due(_T0 + timedelta(days=365))) == ["scheduled-1"]
        promotion_repository.replace(_promotion("scheduled-1", status=PromotionStatus.DRAFT))
        assert promotion_repository.due(_T0) == []

    def test_due_is_per_business_or_across_every_business(
        self, promotion_repository: PromotionRepository
    ) -> None:
        """business_id limits due to one business; None looks at all; ordered by id."""
        for promotion in (
            _promotion("p4", business_id="b2", status=PromotionStatus.SCHEDULED),
            _promotion("p2", business_id="b1", valid_to=_T0),
            _promotion("p3", business_id="b3", status=PromotionStatus.PAUSED, valid_to=_T0),
            _promotion("p1", business_id="b2", status=PromotionStatus.SCHEDULED),
            _promotion("p5", business_id="b1"),
        ):
            promotion_repository.add(promotion)
        repo = promotion_repository
        assert _ids(repo.due(_T0)) == ["p1", "p2", "p3", "p4"]
        assert _ids(repo.due(_T0, business_id=None)) == ["p1", "p2", "p3", "p4"]
        assert _ids(repo.due(_T0, business_id="b2")) == ["p1", "p4"]
        assert repo.due(_T0, business_id="b1") == [_promotion("p2", valid_to=_T0)]
        assert repo.due(_T0, business_id="no-such-business") == []

    def test_due_refuses_a_naive_now(self, promotion_repository: PromotionRepository) -> None:
        """A naive ``now`` is an InvalidValueError naming ``now``, stored promotions or not."""
        for stored in ((), (_promotion("p1", status=PromotionStatus.SCHEDULED),)):
            for promotion in stored:
                promotion_repository.add(promotion)
            with pytest.raises(InvalidValueError) as info:
                promotion_repository.due(_T0.replace(tzinfo=None))
            assert info.value.field == "now"


# -- usage --------------------------------------------------------------------------------


def _application(
    sale_id: str,
    *,
    promotion_id: str = "p1",
    business_id: str = "b1",
    customer_id: str | None = None,
    discount: Money | None = None,
    at: datetime = _T0,
    application_id: str | None = None,
) -> PromotionApplication:
    return PromotionApplication(
        id=application_id or f"{promotion_id}-{sale_id}",
        promotion_id=promotion_id,
        business_id=business_id,
        sale_id=sale_id,
        customer_id=customer_id,
        location_id="s1",
        discount=_usd("1.50") if discount is None else discount,
        applied_at=at,
    )


def _statuses(outcomes: Iterable[RecordOutcome]) -> Counter[RecordStatus]:
    return Counter(outcome.status for outcome in outcomes)


def _in_threads(work: Callable[[int], Sequence[_R]]) -> list[_R]:
    """Run ``work(thread_index)`` on 16 threads released together; gather every result."""
    results = stress(_THREADS, work, what="a recording thread")
    return [result for per_thread in results for result in per_thread]


class PromotionUsageRepositoryContract:
    """The contract every :class:`~pricekit.promotions.repository.PromotionUsageRepository` keeps.

    Provide a fixture ``promotion_usage_repository`` returning a fresh, empty object
    that implements **both** :class:`~pricekit.promotions.repository.PromotionRepository`
    and :class:`~pricekit.promotions.repository.PromotionUsageRepository`: recording
    needs a stored promotion (its ``max_uses`` and ``current_uses`` live on it). The
    object must be safe to share between threads: the concurrency tests record from
    16 threads at once.
    """

    @pytest.fixture
    def promotion_usage_repository(self) -> _PromotionStore:
        """Override me: return a fresh, empty repository implementing both promotion ports."""
        _fail_without_fixture(
            self, "promotion_usage_repository", "repository implementing both promotion ports"
        )

    def test_is_a_promotion_and_usage_repository(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """The object has every method of both protocols."""
        assert isinstance(promotion_usage_repository, PromotionUsageRepository)
        assert isinstance(promotion_usage_repository, PromotionRepository)

    def test_record_stores_the_application_and_counts_it(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """RECORDED with the application; current_uses goes up by one each time, get shows it."""
        repo = promotion_usage_repository
        promotion = _promotion("p1")
        repo.add(promotion)
        first = _application("s1", customer_id="c1")
        outcome = repo.record(first, max_uses_per_customer=None)
        assert outcome == RecordOutcome(RecordStatus.RECORDED, first, 1)
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 1
        second = _application("s2", at=_T0 + timedelta(minutes=1))
        outcome = repo.record(second, max_uses_per_customer=None)
        assert (outcome.status, outcome.application, outcome.current_uses) == (
            RecordStatus.RECORDED,
            second,
            2,
        )
        assert repo.get("p1") == promotion.model_copy(update={"current_uses": 2})
        assert _ids(repo.applications("p1").items) == ["p1-s2", "p1-s1"]

    def test_application_for_sale_returns_an_equal_application(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """Every field survives: money exact, applied_at aware at the same instant; else None."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))
        repo.add(_promotion("p2"))
        application = PromotionApplication(
            id="a1",
            promotion_id="p1",
            business_id="b1",
            sale_id="s1",
            customer_id="c1",
            location_id="s9",
            discount=_usd("12.34"),
            applied_at=datetime(2026, 3, 7, 18, 45, 30, 123456, tzinfo=_EASTERN),
        )
        repo.record(application, max_uses_per_customer=2)
        found = repo.application_for_sale("p1", "s1")
        assert found == application
        assert found is not None
        _assert_aware(found.applied_at)
        assert found.applied_at == datetime(2026, 3, 7, 23, 45, 30, 123456, tzinfo=UTC)
        assert found.discount == Money(1234, "USD")
        assert (found.customer_id, found.location_id) == ("c1", "s9")
        bare = _application("s2", discount=Money.zero("USD"))
        repo.record(bare, max_uses_per_customer=None)
        found_bare = repo.application_for_sale("p1", "s2")
        assert found_bare == bare
        assert found_bare is not None
        assert found_bare.customer_id is None
        assert found_bare.discount.is_zero()
        assert repo.application_for_sale("p1", "no-such-sale") is None
        assert repo.application_for_sale("p2", "s1") is None
        assert repo.application_for_sale("no-such-promotion", "s1") is None

    def test_recording_a_sale_again_is_a_duplicate(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """The same (promotion, sale) gives DUPLICATE with the earlier application, no count."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1", max_uses=1))
        repo.add(_promotion("p2"))
        earlier = _application("s1", customer_id="c1")
        repo.record(earlier, max_uses_per_customer=1)
        retry = _application(
            "s1",
            customer_id="c1",
            discount=_usd("9.99"),
            at=_T0 + timedelta(hours=1),
            application_id="a-retry",
        )
        # A duplicate even though the promotion and the customer are at their limits now.
        outcome = repo.record(retry, max_uses_per_customer=1)
        assert outcome == RecordOutcome(RecordStatus.DUPLICATE, earlier, 1)
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 1
        assert repo.application_for_sale("p1", "s1") == earlier
        page = repo.applications("p1")
        assert (page.items, page.total) == ((earlier,), 1)
        assert repo.customer_uses("c1", ["p1"]) == {"p1": 1}
        # The same sale on another promotion is a different application.
        other = _application("s1", promotion_id="p2", customer_id="c1")
        assert repo.record(other, max_uses_per_customer=1).status is RecordStatus.RECORDED

    def test_max_uses_reached_refuses_and_stores_nothing(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """At its stored max_uses a promotion gives LIMIT_REACHED; nothing is stored or counted."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1", max_uses=2))
        repo.add(_promotion("p0", max_uses=0))
        for sale in ("s1", "s2"):
            recorded = repo.record(_application(sale), max_uses_per_customer=None)
            assert recorded.status is RecordStatus.RECORDED
        refused = repo.record(_application("s3", customer_id="c9"), max_uses_per_customer=None)
        assert refused == RecordOutcome(RecordStatus.LIMIT_REACHED, None, 2)
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 2
        assert repo.application_for_sale("p1", "s3") is None
        assert repo.applications("p1").total == 2
        assert repo.customer_uses("c9", ["p1"]) == {}
        assert repo.summary("b1") == [UsageSummary("p1", 2, _usd("3.00"))]
        never = repo.record(_application("s1", promotion_id="p0"), max_uses_per_customer=None)
        assert never == RecordOutcome(RecordStatus.LIMIT_REACHED, None, 0)
        assert repo.application_for_sale("p0", "s1") is None

    def test_record_reads_max_uses_from_the_stored_promotion(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """A replace that changes max_uses takes effect; it keeps the recorded count."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))
        for sale in ("s1", "s2"):
            repo.record(_application(sale), max_uses_per_customer=None)
        repo.replace(_promotion("p1", name="Renamed", max_uses=3, current_uses=0))
        stored = repo.get("p1")
        assert stored is not None
        assert (stored.name, stored.max_uses, stored.current_uses) == ("Renamed", 3, 2)
        third = repo.record(_application("s3"), max_uses_per_customer=None)
        assert (third.status, third.current_uses) == (RecordStatus.RECORDED, 3)
        fourth = repo.record(_application("s4"), max_uses_per_customer=None)
        assert fourth == RecordOutcome(RecordStatus.LIMIT_REACHED, None, 3)
        repo.replace(_promotion("p1", max_uses=None, current_uses=99))
        fifth = repo.record(_application("s5"), max_uses_per_customer=None)
        assert (fifth.status, fifth.current_uses) == (RecordStatus.RECORDED, 4)

    def test_customer_limit_reached_refuses_only_that_customer(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """A customer at max_uses_per_customer gets CUSTOMER_LIMIT_REACHED; others still record."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))
        repo.add(_promotion("p2"))

        def record(sale: str, customer: str | None, promotion_id: str = "p1") -> RecordOutcome:
            application = _application(sale, promotion_id=promotion_id, customer_id=customer)
            return repo.record(application, max_uses_per_customer=2)

        assert record("s1", "c1").status is RecordStatus.RECORDED
        assert record("s2", "c1").status is RecordStatus.RECORDED
        refused = record("s3", "c1")
        assert refused == RecordOutcome(RecordStatus.CUSTOMER_LIMIT_REACHED, None, 2)
        assert repo.application_for_sale("p1", "s3") is None
        assert record("s4", "c2").status is RecordStatus.RECORDED
        assert record("s5", None).status is RecordStatus.RECORDED
        assert record("s6", None).status is RecordStatus.RECORDED
        assert record("s7", None).status is RecordStatus.RECORDED
        # The limit counts per promotion.
        assert record("s8", "c1", promotion_id="p2").status is RecordStatus.RECORDED
        assert repo.customer_uses("c1", ["p1", "p2"]) == {"p1": 2, "p2": 1}
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 6
        # Without a per-customer limit, the customer records again.
        unlimited = repo.record(_application("s9", customer_id="c1"), max_uses_per_customer=None)
        assert (unlimited.status, unlimited.current_uses) == (RecordStatus.RECORDED, 7)
        assert repo.customer_uses("c1", ["p1"]) == {"p1": 3}

    def test_record_for_an_unknown_promotion_raises(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """Recording for a promotion that is not stored raises NotFoundError, stores nothing."""
        repo = promotion_usage_repository
        with pytest.raises(NotFoundError) as caught:
            repo.record(
                _application("s1", promotion_id="no-such-promotion", customer_id="c1"),
                max_uses_per_customer=None,
            )
        assert caught.value.id == "no-such-promotion"
        assert repo.application_for_sale("no-such-promotion", "s1") is None
        assert repo.applications("no-such-promotion").total == 0
        assert repo.customer_uses("c1", ["no-such-promotion"]) == {}
        assert repo.summary("b1") == []

    def test_customer_uses_counts_per_promotion(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """Counts for the promotions asked for; those without uses are left out."""
        repo = promotion_usage_repository
        for promotion_id in ("p1", "p2", "p3"):
            repo.add(_promotion(promotion_id))
        for sale, promotion_id, customer in (
            ("s1", "p1", "c1"),
            ("s2", "p1", "c1"),
            ("s3", "p2", "c1"),
            ("s4", "p3", "c2"),
            ("s5", "p3", None),
            ("s6", "p1", "c2"),
        ):
            application = _application(sale, promotion_id=promotion_id, customer_id=customer)
            repo.record(application, max_uses_per_customer=None)
        assert repo.customer_uses("c1", ["p1", "p2", "p3", "no-such-promotion"]) == {
            "p1": 2,
            "p2": 1,
        }
        assert repo.customer_uses("c1", ["p2"]) == {"p2": 1}
        assert repo.customer_uses("c2", {"p1", "p3"}) == {"p1": 1, "p3": 1}
        assert repo.customer_uses("c1", []) == {}
        assert repo.customer_uses("no-such-customer", ["p1", "p2", "p3"]) == {}

    def test_applications_are_newest_first_then_by_id(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """A promotion's applications read newest first, ties by id, whatever the order recorded."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))
        repo.add(_promotion("p2"))
        later = _T0 + timedelta(hours=2)
        for sale, application_id, at in (
            ("s1", "a5", later),
            ("s2", "a9", _T0),
            ("s3", "a2", later),
            # 05:30 at UTC-5 is 10:30 UTC: between _T0 and later.
            ("s4", "a7", datetime(2026, 3, 1, 5, 30, tzinfo=_EASTERN)),
            ("s5", "a1", _T0 - timedelta(days=1)),
            ("s6", "a3", later + _MICROSECOND),
        ):
            application = _application(sale, application_id=application_id, at=at)
            repo.record(application, max_uses_per_customer=None)
        repo.record(_application("s1", promotion_id="p2"), max_uses_per_customer=None)
        page = repo.applications("p1")
        assert _ids(page.items) == ["a3", "a2", "a5", "a7", "a9", "a1"]
        assert page.total == 6
        assert page.items[3].applied_at == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
        assert _ids(repo.applications("p2").items) == ["p2-s1"]
        unknown = repo.applications("no-such-promotion")
        assert (unknown.items, unknown.total, unknown.has_more) == ((), 0, False)

    def test_applications_paginate(self, promotion_usage_repository: _PromotionStore) -> None:
        """Pages carry the total and has_more; bad page arguments are refused."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))
        for index in range(5):
            at = _T0 + timedelta(minutes=index)
            repo.record(_application(f"s{index}", at=at), max_uses_per_customer=None)
        first = repo.applications("p1", limit=2)
        assert _ids(first.items) == ["p1-s4", "p1-s3"]
        assert (first.total, first.offset, first.limit) == (5, 0, 2)
        assert (first.has_more, first.next_offset) == (True, 2)
        last = repo.applications("p1", offset=4, limit=2)
        assert _ids(last.items) == ["p1-s0"]
        assert (last.total, last.has_more, last.next_offset) == (5, False, None)
        beyond = repo.applications("p1", offset=9)
        assert (beyond.items, beyond.total) == ((), 5)
        with pytest.raises(InvalidValueError) as caught:
            repo.applications("p1", offset=-1)
        assert caught.value.field == "offset"
        with pytest.raises(InvalidValueError) as caught:
            repo.applications("p1", limit=0)
        assert caught.value.field == "limit"
        with pytest.raises(InvalidValueError) as caught:
            repo.applications("p1", limit=MAX_PAGE_LIMIT + 1)
        assert caught.value.field == "limit"

    def test_summary_adds_up_each_promotion_in_the_period(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """Uses and exact totals per promotion with start <= applied_at < end, ordered by id."""
        repo = promotion_usage_repository
        day = timedelta(days=1)
        repo.add(_promotion("p3"))
        repo.add(_promotion("p1"))
        repo.add(_promotion("p2", currency="KWD"))
        repo.add(_promotion("p4", business_id="b2"))
        repo.add(_promotion("p5"))  # never applied
        for sale, promotion_id, business_id, discount, at in (
            ("s1", "p1", "b1", _usd("0.10"), _T0),
            ("s2", "p1", "b1", _usd("0.20"), _T0 + 2 * day - _MICROSECOND),
            ("s3", "p1", "b1", _usd("1.50"), _T0 + 2 * day),
            ("s4", "p1", "b1", _usd("7.00"), _T0 - _MICROSECOND),
            ("s5", "p2", "b1", Money.of("1.005", "KWD"), _T0 + day),
            ("s6", "p2", "b1", Money.of("2.250", "KWD"), _T0 + day),
            ("s7", "p3", "b1", _usd("4.00"), _T0 + 5 * day),
            ("s8", "p4", "b2", _usd("9.99"), _T0 + day),
        ):
            application = _application(
                sale,
                promotion_id=promotion_id,
                business_id=business_id,
                discount=discount,
                at=at,
            )
            repo.record(application, max_uses_per_customer=None)

        period = repo.summary("b1", start=_T0, end=_T0 + 2 * day)
        assert period == [
            UsageSummary("p1", 2, _usd("0.30")),
            UsageSummary("p2", 2, Money.of("3.255", "KWD")),
        ]
        assert period[0].total_discount.minor_units == 30
        assert period[1].total_discount.currency.code == "KWD"
        # The same period given at another offset: 04:00 at UTC-5 is 09:00 UTC.
        assert (
            repo.summary(
                "b1",
                start=datetime(2026, 3, 1, 4, 0, tzinfo=_EASTERN),
                end=datetime(2026, 3, 3, 4, 0, tzinfo=_EASTERN),
            )
            == period
        )
        assert repo.summary("b1") == [
            UsageSummary("p1", 4, _usd("8.80")),
            UsageSummary("p2", 2, Money.of("3.255", "KWD")),
            UsageSummary("p3", 1, _usd("4.00")),
        ]
        assert repo.summary("b1", start=_T0 + 2 * day) == [
            UsageSummary("p1", 1, _usd("1.50")),
            UsageSummary("p3", 1, _usd("4.00")),
        ]
        assert repo.summary("b1", end=_T0) == [UsageSummary("p1", 1, _usd("7.00"))]
        assert repo.summary("b1", promotion_ids=["p3", "p4", "p5"]) == [
            UsageSummary("p3", 1, _usd("4.00"))
        ]
        assert repo.summary("b2") == [UsageSummary("p4", 1, _usd("9.99"))]
        assert repo.summary("b2", promotion_ids=["p1"]) == []
        assert repo.summary("b1", start=_T0 + 10 * day) == []
        assert repo.summary("no-such-business") == []

    def test_delete_refuses_a_promotion_with_applications(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """A promotion with applications stays (ConflictError); one never applied may go."""
        repo = promotion_usage_repository
        applied = _promotion("p1")
        repo.add(applied)
        repo.add(_promotion("p2"))
        repo.add(_promotion("p3", max_uses=0))
        application = _application("s1")
        repo.record(application, max_uses_per_customer=None)
        refused = repo.record(_application("s1", promotion_id="p3"), max_uses_per_customer=None)
        assert refused.status is RecordStatus.LIMIT_REACHED
        with pytest.raises(ConflictError) as caught:
            repo.delete("p1")
        assert caught.value.id == "p1"
        assert repo.get("p1") == applied.model_copy(update={"current_uses": 1})
        assert _ids(repo.all_for_business("b1")) == ["p1", "p2", "p3"]
        assert repo.application_for_sale("p1", "s1") == application
        assert repo.applications("p1").items == (application,)
        repo.delete("p2")
        repo.delete("p3")  # its only attempt was refused: nothing was applied
        assert repo.get("p2") is None
        assert repo.get("p3") is None
        assert _ids(repo.all_for_business("b1")) == ["p1"]

    def test_concurrent_recording_never_exceeds_max_uses(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """64 sales at once against max_uses=25: exactly 25 recorded, current_uses 25."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1", max_uses=25))

        def work(thread: int) -> list[RecordOutcome]:
            return [
                repo.record(_application(f"s{thread}-{n}"), max_uses_per_customer=None)
                for n in range(_ATTEMPTS_PER_THREAD)
            ]

        outcomes = _in_threads(work)
        assert len(outcomes) == 64
        assert _statuses(outcomes) == {RecordStatus.RECORDED: 25, RecordStatus.LIMIT_REACHED: 39}
        assert all(0 < outcome.current_uses <= 25 for outcome in outcomes)
        recorded = sorted(o.current_uses for o in outcomes if o.status is RecordStatus.RECORDED)
        assert recorded == list(range(1, 26))
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 25
        assert repo.applications("p1").total == 25
        assert repo.summary("b1") == [UsageSummary("p1", 25, _usd("37.50"))]

    def test_concurrent_recording_never_exceeds_the_customer_limit(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """64 sales at once, two customers limited to 5 each: exactly 5 recorded for each."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))

        def work(thread: int) -> list[RecordOutcome]:
            customer = "c1" if thread % 2 == 0 else "c2"
            return [
                repo.record(
                    _application(f"s{thread}-{n}", customer_id=customer), max_uses_per_customer=5
                )
                for n in range(_ATTEMPTS_PER_THREAD)
            ]

        outcomes = _in_threads(work)
        assert len(outcomes) == 64
        assert _statuses(outcomes) == {
            RecordStatus.RECORDED: 10,
            RecordStatus.CUSTOMER_LIMIT_REACHED: 54,
        }
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 10
        assert repo.customer_uses("c1", ["p1"]) == {"p1": 5}
        assert repo.customer_uses("c2", ["p1"]) == {"p1": 5}
        assert repo.applications("p1").total == 10

    def test_concurrent_recording_of_one_sale_records_it_once(
        self, promotion_usage_repository: _PromotionStore
    ) -> None:
        """The same sale recorded from 16 threads at once: one RECORDED, the rest DUPLICATE."""
        repo = promotion_usage_repository
        repo.add(_promotion("p1"))

        def work(thread: int) -> list[RecordOutcome]:
            application = _application("s1", application_id=f"a{thread}")
            return [repo.record(application, max_uses_per_customer=None)]

        outcomes = _in_threads(work)
        assert _statuses(outcomes) == {RecordStatus.RECORDED: 1, RecordStatus.DUPLICATE: 15}
        (winner,) = [o.application for o in outcomes if o.status is RecordStatus.RECORDED]
        assert all(outcome.application == winner for outcome in outcomes)
        assert all(outcome.current_uses == 1 for outcome in outcomes)
        assert repo.application_for_sale("p1", "s1") == winner
        stored = repo.get("p1")
        assert stored is not None
        assert stored.current_uses == 1
