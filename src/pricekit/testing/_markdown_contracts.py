"""Contract suites for the markdown repositories: plans, waves with their items, history.

Each suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for, returning a fresh, empty
repository for every test::

    import pytest
    from pricekit.testing.contracts import MarkdownWaveRepositoryContract

    class TestMyWaveRepository(MarkdownWaveRepositoryContract):
        @pytest.fixture
        def markdown_wave_repository(self, my_database):
            return MyWaveRepository(my_database)

Needs pytest (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")

from collections.abc import Sequence  # noqa: E402
from datetime import UTC, datetime, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import NoReturn  # noqa: E402

import pytest  # noqa: E402

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError  # noqa: E402
from pricekit.markdowns.models import (  # noqa: E402
    ExclusionReason,
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownMethod,
    MarkdownMode,
    MarkdownPlan,
    MarkdownReason,
    MarkdownStage,
    MarkdownWave,
    ScopeType,
    WaveItem,
    WaveLocation,
    WaveLocationStatus,
    WaveScope,
    WaveStatus,
)
from pricekit.markdowns.ports import (  # noqa: E402
    MarkdownHistoryRepository,
    MarkdownPlanRepository,
    MarkdownWaveRepository,
)
from pricekit.money import Money  # noqa: E402

__all__ = [
    "MarkdownHistoryRepositoryContract",
    "MarkdownPlanRepositoryContract",
    "MarkdownWaveRepositoryContract",
]

_T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_EASTERN = timezone(timedelta(hours=-5))


def _usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def _assert_aware(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() is not None


def _fail_without_fixture(suite: object, fixture: str) -> NoReturn:
    pytest.fail(
        f"{type(suite).__name__} must define a {fixture!r} fixture returning a fresh, "
        "empty repository of yours for each test"
    )


# -- plans --------------------------------------------------------------------------------


def _plan(
    plan_id: str,
    *,
    business_id: str = "b1",
    is_active: bool = True,
    name: str = "Spring Clearance",
) -> MarkdownPlan:
    return MarkdownPlan(
        id=plan_id,
        business_id=business_id,
        name=name,
        description=f"Plan {plan_id}",
        is_active=is_active,
        created_at=_T0,
        updated_at=datetime(2026, 3, 2, 8, 30, tzinfo=_EASTERN),
    )


class MarkdownPlanRepositoryContract:
    """The contract every :class:`~pricekit.markdowns.ports.MarkdownPlanRepository` must keep.

    Provide a fixture ``markdown_plan_repository`` returning a fresh, empty repository.
    """

    @pytest.fixture
    def markdown_plan_repository(self) -> MarkdownPlanRepository:
        """Override me: return a fresh, empty plan repository."""
        _fail_without_fixture(self, "markdown_plan_repository")

    def test_is_a_markdown_plan_repository(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """The repository has every method of the protocol."""
        assert isinstance(markdown_plan_repository, MarkdownPlanRepository)

    def test_add_then_get_returns_an_equal_plan(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """A stored plan comes back equal, with aware datetimes at the same instants."""
        plan = _plan("p1", is_active=False)
        markdown_plan_repository.add(plan)
        found = markdown_plan_repository.get("p1")
        assert found == plan
        assert found is not None
        _assert_aware(found.created_at)
        _assert_aware(found.updated_at)
        assert found.updated_at == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
        assert markdown_plan_repository.get("no-such-plan") is None

    def test_add_refuses_a_duplicate_id(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """Adding an id twice raises ConflictError and keeps the first plan."""
        original = _plan("p1")
        markdown_plan_repository.add(original)
        with pytest.raises(ConflictError) as caught:
            markdown_plan_repository.add(_plan("p1", name="Other"))
        assert caught.value.id == "p1"
        assert markdown_plan_repository.get("p1") == original

    def test_replace_changes_the_stored_plan(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """Replace swaps the stored plan; an unknown id raises NotFoundError."""
        markdown_plan_repository.add(_plan("p1"))
        changed = _plan("p1", name="Renamed", is_active=False)
        markdown_plan_repository.replace(changed)
        assert markdown_plan_repository.get("p1") == changed
        with pytest.raises(NotFoundError) as caught:
            markdown_plan_repository.replace(_plan("p2"))
        assert caught.value.id == "p2"
        assert markdown_plan_repository.get("p2") is None

    def test_replace_can_move_a_plan_to_another_business(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """After a replace that changes the business, find lists the plan there only."""
        markdown_plan_repository.add(_plan("p1", business_id="b1"))
        markdown_plan_repository.replace(_plan("p1", business_id="b2"))
        assert markdown_plan_repository.find("b1").total == 0
        assert [p.id for p in markdown_plan_repository.find("b2").items] == ["p1"]

    def test_delete_removes_the_plan(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """A deleted plan is gone everywhere and its id may be used again."""
        markdown_plan_repository.add(_plan("p1"))
        markdown_plan_repository.add(_plan("p2"))
        markdown_plan_repository.delete("p1")
        assert markdown_plan_repository.get("p1") is None
        assert [p.id for p in markdown_plan_repository.find("b1").items] == ["p2"]
        with pytest.raises(NotFoundError):
            markdown_plan_repository.delete("p1")
        markdown_plan_repository.add(_plan("p1", name="Again"))
        found = markdown_plan_repository.get("p1")
        assert found is not None
        assert found.name == "Again"

    def test_find_filters_by_business_and_activity_ordered_by_id(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """Find lists one business's plans, ordered by id, optionally by is_active."""
        for plan in (
            _plan("p3"),
            _plan("p1", is_active=False),
            _plan("p2"),
            _plan("p0", business_id="b2"),
        ):
            markdown_plan_repository.add(plan)
        assert [p.id for p in markdown_plan_repository.find("b1").items] == ["p1", "p2", "p3"]
        active = markdown_plan_repository.find("b1", is_active=True)
        assert [p.id for p in active.items] == ["p2", "p3"]
        assert active.total == 2
        inactive = markdown_plan_repository.find("b1", is_active=False)
        assert [p.id for p in inactive.items] == ["p1"]
        assert [p.id for p in markdown_plan_repository.find("b2").items] == ["p0"]
        empty = markdown_plan_repository.find("no-such-business")
        assert empty.items == ()
        assert empty.total == 0

    def test_find_paginates(self, markdown_plan_repository: MarkdownPlanRepository) -> None:
        """Pages carry the total, and has_more until the last page."""
        for index in range(5):
            markdown_plan_repository.add(_plan(f"p{index}"))
        first = markdown_plan_repository.find("b1", limit=2)
        assert [p.id for p in first.items] == ["p0", "p1"]
        assert (first.total, first.has_more, first.next_offset) == (5, True, 2)
        last = markdown_plan_repository.find("b1", offset=4, limit=2)
        assert [p.id for p in last.items] == ["p4"]
        assert (last.total, last.has_more) == (5, False)
        beyond = markdown_plan_repository.find("b1", offset=10, limit=2)
        assert (beyond.items, beyond.total, beyond.has_more) == ((), 5, False)

    def test_find_refuses_bad_page_arguments(
        self, markdown_plan_repository: MarkdownPlanRepository
    ) -> None:
        """A negative offset or an out-of-range limit raises InvalidValueError naming it."""
        with pytest.raises(InvalidValueError) as caught:
            markdown_plan_repository.find("b1", offset=-1)
        assert caught.value.field == "offset"
        with pytest.raises(InvalidValueError) as caught:
            markdown_plan_repository.find("b1", limit=0)
        assert caught.value.field == "limit"


# -- waves --------------------------------------------------------------------------------


_ONE_LOCATION = (WaveLocation(location_id="s1"),)


def _wave(
    wave_id: str,
    *,
    plan_id: str = "p1",
    business_id: str = "b1",
    status: WaveStatus = WaveStatus.DRAFT,
    name: str = "Spring",
    locations: Sequence[WaveLocation] = _ONE_LOCATION,
) -> MarkdownWave:
    return MarkdownWave(
        id=wave_id,
        plan_id=plan_id,
        business_id=business_id,
        name=name,
        method=MarkdownMethod.PERCENT,
        value=Decimal(25),
        reason=MarkdownReason.SEASONAL_CLEARANCE,
        currency="USD",
        scopes=(WaveScope(type=ScopeType.CATEGORY, ids=("c1",)),),
        locations=tuple(locations),
        status=status,
    )


def _rich_wave(wave_id: str) -> MarkdownWave:
    """A wave with every optional field set."""
    return MarkdownWave(
        id=wave_id,
        plan_id="p1",
        business_id="b1",
        name="Final clearance",
        method=MarkdownMethod.AMOUNT,
        value=Decimal("2.50"),
        mode=MarkdownMode.COMPOUND,
        reason=MarkdownReason.OVERSTOCK,
        stage=MarkdownStage.FINAL,
        currency="USD",
        floor_price=_usd("4.99"),
        min_margin_percent=Decimal("12.5"),
        scopes=(
            WaveScope(type=ScopeType.PRODUCT, ids=("prod-2", "prod-1")),
            WaveScope(type=ScopeType.VARIANT, ids=("v9",)),
        ),
        locations=(
            WaveLocation(
                location_id="s2",
                activate_at=datetime(2026, 3, 5, 7, 0, tzinfo=_EASTERN),
                status=WaveLocationStatus.ACTIVE,
                activated_at=datetime(2026, 3, 5, 12, 0, 1, tzinfo=UTC),
            ),
            WaveLocation(location_id="s1", status=WaveLocationStatus.SKIPPED),
        ),
        status=WaveStatus.ACTIVE,
        activated_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        created_at=_T0,
        updated_at=datetime(2026, 3, 5, 12, 0, 2, tzinfo=UTC),
    )


def _item(
    variant_id: str,
    *,
    wave_id: str = "w1",
    markdown_price: str = "15.00",
) -> WaveItem:
    return WaveItem(
        wave_id=wave_id,
        variant_id=variant_id,
        product_id=f"prod-{variant_id}",
        regular_price=_usd("20.00"),
        base_price=_usd("20.00"),
        markdown_price=_usd(markdown_price),
    )


def _rich_items(wave_id: str) -> list[WaveItem]:
    """Items with every optional field set, given out of variant order."""
    return [
        WaveItem(
            wave_id=wave_id,
            variant_id="v3",
            product_id="prod-2",
            regular_price=_usd("9.99"),
            base_price=_usd("7.49"),
            markdown_price=_usd("4.99"),
            stacked_on_wave_id="w0",
            cost=_usd("5.25"),
            margin_percent=Decimal("-5.2104"),
            below_cost=True,
            excluded=True,
            exclusion_reason=ExclusionReason.BELOW_MIN_MARGIN,
        ),
        WaveItem(
            wave_id=wave_id,
            variant_id="v1",
            product_id="prod-1",
            regular_price=_usd("20.00"),
            base_price=_usd("20.00"),
            markdown_price=_usd("17.50"),
            cost=_usd("10.01"),
            margin_percent=Decimal("42.8"),
        ),
        WaveItem(
            wave_id=wave_id,
            variant_id="v2",
            product_id="prod-1",
            regular_price=_usd("5.00"),
            base_price=_usd("5.00"),
            markdown_price=_usd("2.50"),
            excluded=True,
            exclusion_reason=ExclusionReason.BELOW_FLOOR,
        ),
    ]


def _wave_ids(waves: Sequence[MarkdownWave]) -> list[str]:
    return [wave.id for wave in waves]


class MarkdownWaveRepositoryContract:
    """The contract every :class:`~pricekit.markdowns.ports.MarkdownWaveRepository` must keep.

    Provide a fixture ``markdown_wave_repository`` returning a fresh, empty repository.
    """

    @pytest.fixture
    def markdown_wave_repository(self) -> MarkdownWaveRepository:
        """Override me: return a fresh, empty wave repository."""
        _fail_without_fixture(self, "markdown_wave_repository")

    def test_is_a_markdown_wave_repository(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """The repository has every method of the protocol."""
        assert isinstance(markdown_wave_repository, MarkdownWaveRepository)

    def test_add_then_get_returns_equal_wave_and_items(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Wave and items come back equal: money, decimals, datetimes, optional fields."""
        wave = _rich_wave("w1")
        items = _rich_items("w1")
        markdown_wave_repository.add(wave, items)

        found = markdown_wave_repository.get("w1")
        assert found == wave
        assert found is not None
        assert found.floor_price == _usd("4.99")
        assert found.value == Decimal("2.5")
        assert found.min_margin_percent == Decimal("12.5")
        assert [location.location_id for location in found.locations] == ["s2", "s1"]
        located = found.location("s2")
        assert located is not None
        _assert_aware(located.activate_at)
        assert located.activate_at == datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
        _assert_aware(found.activated_at)

        stored = markdown_wave_repository.items("w1")
        assert [item.variant_id for item in stored] == ["v1", "v2", "v3"]
        assert stored == sorted(items, key=lambda item: item.variant_id)
        v3 = stored[2]
        assert v3.stacked_on_wave_id == "w0"
        assert v3.exclusion_reason is ExclusionReason.BELOW_MIN_MARGIN
        assert v3.margin_percent == Decimal("-5.2104")
        assert v3.cost == Money(525, "USD")
        assert (v3.below_cost, v3.excluded) == (True, True)
        assert stored[1].exclusion_reason is ExclusionReason.BELOW_FLOOR
        assert stored[0].stacked_on_wave_id is None
        assert stored[0].exclusion_reason is None

    def test_unknown_wave_reads_as_nothing(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Get gives None and items an empty list for an unknown wave; a wave may have none."""
        assert markdown_wave_repository.get("no-such-wave") is None
        assert markdown_wave_repository.items("no-such-wave") == []
        markdown_wave_repository.add(_wave("w1"), [])
        assert markdown_wave_repository.get("w1") == _wave("w1")
        assert markdown_wave_repository.items("w1") == []

    def test_items_returns_a_copy(self, markdown_wave_repository: MarkdownWaveRepository) -> None:
        """Changing the list items() returned does not change what is stored."""
        markdown_wave_repository.add(_wave("w1"), [_item("v1"), _item("v2")])
        markdown_wave_repository.items("w1").clear()
        assert [item.variant_id for item in markdown_wave_repository.items("w1")] == ["v1", "v2"]

    def test_add_refuses_a_duplicate_wave_and_keeps_the_original(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """A second add of the same id raises ConflictError; wave and items are untouched."""
        markdown_wave_repository.add(_wave("w1"), [_item("v1"), _item("v2")])
        with pytest.raises(ConflictError) as caught:
            markdown_wave_repository.add(
                _wave("w1", name="Impostor", status=WaveStatus.ACTIVE), [_item("v9")]
            )
        assert caught.value.id == "w1"
        assert markdown_wave_repository.get("w1") == _wave("w1")
        assert markdown_wave_repository.items("w1") == [_item("v1"), _item("v2")]

    def test_save_without_items_keeps_the_items(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Saving only the wave changes its fields and locations, not its items."""
        markdown_wave_repository.add(_wave("w1"), [_item("v2"), _item("v1")])
        activated = _wave(
            "w1",
            status=WaveStatus.ACTIVE,
            locations=(
                WaveLocation(
                    location_id="s1",
                    status=WaveLocationStatus.ACTIVE,
                    activated_at=datetime(2026, 3, 6, 10, 0, tzinfo=_EASTERN),
                ),
            ),
        )
        markdown_wave_repository.save(activated)
        found = markdown_wave_repository.get("w1")
        assert found == activated
        assert found is not None
        assert found.locations[0].status is WaveLocationStatus.ACTIVE
        assert markdown_wave_repository.items("w1") == [_item("v1"), _item("v2")]

    def test_save_with_items_replaces_them(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Saving with items replaces the wave and every item together; [] leaves none."""
        markdown_wave_repository.add(_wave("w1"), [_item("v1"), _item("v2")])
        renamed = _wave("w1", name="Spring, repriced")
        markdown_wave_repository.save(
            renamed, items=[_item("v3", markdown_price="12.00"), _item("v1", markdown_price="9.99")]
        )
        assert markdown_wave_repository.get("w1") == renamed
        assert markdown_wave_repository.items("w1") == [
            _item("v1", markdown_price="9.99"),
            _item("v3", markdown_price="12.00"),
        ]
        markdown_wave_repository.save(renamed, items=[])
        assert markdown_wave_repository.items("w1") == []

    def test_save_of_an_unknown_wave_raises_and_stores_nothing(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Save never creates a wave."""
        with pytest.raises(NotFoundError) as caught:
            markdown_wave_repository.save(_wave("w1"), items=[_item("v1")])
        assert caught.value.id == "w1"
        assert markdown_wave_repository.get("w1") is None
        assert markdown_wave_repository.items("w1") == []
        assert markdown_wave_repository.find(None).total == 0

    def test_delete_removes_the_wave_and_its_items(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """A deleted wave is gone with its items; other waves keep theirs; the id is free again."""
        markdown_wave_repository.add(_wave("w1"), [_item("v1")])
        markdown_wave_repository.add(_wave("w2"), [_item("v1", wave_id="w2")])
        markdown_wave_repository.delete("w1")
        assert markdown_wave_repository.get("w1") is None
        assert markdown_wave_repository.items("w1") == []
        assert _wave_ids(markdown_wave_repository.find("b1").items) == ["w2"]
        assert markdown_wave_repository.items("w2") == [_item("v1", wave_id="w2")]
        with pytest.raises(NotFoundError):
            markdown_wave_repository.delete("w1")
        markdown_wave_repository.add(_wave("w1"), [])
        assert markdown_wave_repository.items("w1") == []

    def test_find_filters_by_business_plan_and_status(
        self, markdown_wave_repository: MarkdownWaveRepository
    ) -> None:
        """Every filter given must match; waves come ordered by id; saves are seen."""
        for wave in (
            _wave("w4", status=WaveStatus.ACTIVE),
            _wave("w2", plan_id="p2", status=WaveStatus.SCHEDULED),
            _wave("w1"),
            _wave("w3", status=WaveStatus.SCHEDULED),
            _wave("w0", business_id="b2", status=WaveStatus.SCHEDULED),
        ):
            markdown_wave_repository.add(wave, [])
        repo = markdown_wave_repository
        assert _wave_ids(repo.find("b1").items) == ["w1", "w2", "w3", "w4"]
        assert _wave_ids(repo.find("b1", plan_id="p1").items) == ["w1", "w3", "w4"]
        scheduled = repo.find("b1", statuses=[WaveStatus.SCHEDULED])
        assert _wave_ids(scheduled.items) == ["w2", "w3"]
        assert scheduled.total == 2
        live = {WaveStatus.SCHEDULED, WaveStatus.ACTIVE}
        assert _wave_ids(repo.find("b1", plan_id="p1", statuses=live).items) == ["w3", "w4"]
        assert repo.find("b1", statuses=[WaveStatus.REVERSED]).total == 0
        assert repo.find("b1", statuses=[]).total == 0
        assert repo.find("no-such-business").total == 0

        repo.save(_wave("w3", status=WaveStatus.ACTIVE))
        assert _wave_ids(repo.find("b1", statuses=[WaveStatus.SCHEDULED]).items) == ["w2"]
        repo.save(_wave("w4", business_id="b2", status=WaveStatus.ACTIVE))
        assert _wave_ids(repo.find("b1", statuses=[WaveStatus.ACTIVE]).items) == ["w3"]
        assert _wave_ids(repo.find("b2").items) == ["w0", "w4"]

    def test_find_across_businesses(self, markdown_wave_repository: MarkdownWaveRepository) -> None:
        """business_id=None looks at every business, still filtered and ordered by id."""
        markdown_wave_repository.add(_wave("w3", business_id="b2", status=WaveStatus.SCHEDULED), [])
        markdown_wave_repository.add(_wave("w1", business_id="b1", status=WaveStatus.SCHEDULED), [])
        markdown_wave_repository.add(_wave("w2", business_id="b3"), [])
        markdown_wave_repository.add(_wave("w4", business_id="b1", plan_id="p9"), [])
        assert _wave_ids(markdown_wave_repository.find(None).items) == ["w1", "w2", "w3", "w4"]
        due = markdown_wave_repository.find(None, statuses=[WaveStatus.SCHEDULED])
        assert _wave_ids(due.items) == ["w1", "w3"]
        assert _wave_ids(markdown_wave_repository.find(None, plan_id="p9").items) == ["w4"]

    def test_find_paginates(self, markdown_wave_repository: MarkdownWaveRepository) -> None:
        """Pages carry the total and has_more; bad page arguments are refused."""
        for index in range(5):
            markdown_wave_repository.add(_wave(f"w{index}", business_id=f"b{index % 2}"), [])
        first = markdown_wave_repository.find(None, limit=3)
        assert _wave_ids(first.items) == ["w0", "w1", "w2"]
        assert (first.total, first.has_more, first.next_offset) == (5, True, 3)
        second = markdown_wave_repository.find(None, offset=3, limit=3)
        assert _wave_ids(second.items) == ["w3", "w4"]
        assert (second.total, second.has_more) == (5, False)
        business = markdown_wave_repository.find("b0", offset=1, limit=1)
        assert _wave_ids(business.items) == ["w2"]
        assert (business.total, business.has_more) == (3, True)
        with pytest.raises(InvalidValueError) as caught:
            markdown_wave_repository.find(None, offset=-1)
        assert caught.value.field == "offset"
        with pytest.raises(InvalidValueError) as caught:
            markdown_wave_repository.find("b0", limit=1001)
        assert caught.value.field == "limit"


# -- history ------------------------------------------------------------------------------


def _entry(
    entry_id: str,
    *,
    at: datetime = _T0,
    business_id: str = "b1",
    wave_id: str = "w1",
    variant_id: str | None = "v1",
    location_id: str | None = "s1",
    action: HistoryAction = HistoryAction.ACTIVATED,
) -> MarkdownHistoryEntry:
    return MarkdownHistoryEntry(
        id=entry_id,
        business_id=business_id,
        plan_id="p1",
        wave_id=wave_id,
        action=action,
        at=at,
        location_id=location_id,
        variant_id=variant_id,
        price_before=None if variant_id is None else _usd("20.00"),
        price_after=None if variant_id is None else _usd("15.00"),
    )


def _entry_ids(entries: Sequence[MarkdownHistoryEntry]) -> list[str]:
    return [entry.id for entry in entries]


class MarkdownHistoryRepositoryContract:
    """The contract every :class:`~pricekit.markdowns.ports.MarkdownHistoryRepository` must keep.

    Provide a fixture ``markdown_history_repository`` returning a fresh, empty repository.
    """

    @pytest.fixture
    def markdown_history_repository(self) -> MarkdownHistoryRepository:
        """Override me: return a fresh, empty history repository."""
        _fail_without_fixture(self, "markdown_history_repository")

    def test_is_a_markdown_history_repository(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """The repository has every method of the protocol."""
        assert isinstance(markdown_history_repository, MarkdownHistoryRepository)

    def test_entries_come_back_equal(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """Every field survives: money exact, datetime aware at the same instant, note."""
        entry = MarkdownHistoryEntry(
            id="h1",
            business_id="b1",
            plan_id="p1",
            wave_id="w1",
            action=HistoryAction.REVERSED,
            at=datetime(2026, 3, 7, 18, 45, 30, 123000, tzinfo=_EASTERN),
            location_id="s1",
            variant_id="v1",
            price_before=_usd("14.99"),
            price_after=_usd("19.99"),
            note="wave reversed by the buyer",
        )
        markdown_history_repository.add_many([entry])
        (found,) = markdown_history_repository.for_variant("b1", "v1").items
        assert found == entry
        _assert_aware(found.at)
        assert found.at == datetime(2026, 3, 7, 23, 45, 30, 123000, tzinfo=UTC)
        assert found.action is HistoryAction.REVERSED
        assert found.price_before == Money(1499, "USD")
        assert found.price_after == Money(1999, "USD")
        assert markdown_history_repository.for_wave("w1").items == (entry,)

    def test_for_variant_is_per_business_and_variant(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """A variant's history leaves out other variants, other businesses and location entries."""
        markdown_history_repository.add_many(
            [
                _entry("h1"),
                _entry("h2", variant_id="v2"),
                _entry("h3", business_id="b2"),
                _entry("h4", variant_id=None, action=HistoryAction.SKIPPED),
                _entry("h5", wave_id="w2", at=_T0 + timedelta(days=1)),
            ]
        )
        page = markdown_history_repository.for_variant("b1", "v1")
        assert _entry_ids(page.items) == ["h1", "h5"]
        assert page.total == 2
        assert _entry_ids(markdown_history_repository.for_variant("b2", "v1").items) == ["h3"]
        unknown = markdown_history_repository.for_variant("b1", "no-such-variant")
        assert (unknown.items, unknown.total, unknown.has_more) == ((), 0, False)

    def test_for_wave_includes_location_entries(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """A wave's history has its variant entries and its location-level skips."""
        skipped = _entry(
            "h2", variant_id=None, location_id="s2", action=HistoryAction.SKIPPED, at=_T0
        )
        markdown_history_repository.add_many(
            [_entry("h1"), skipped, _entry("h3", wave_id="w2"), _entry("h4", variant_id="v2")]
        )
        page = markdown_history_repository.for_wave("w1")
        assert _entry_ids(page.items) == ["h1", "h2", "h4"]
        assert page.items[1] == skipped
        assert page.items[1].variant_id is None
        assert markdown_history_repository.for_wave("no-such-wave").total == 0

    def test_ordered_by_at_then_id_whatever_the_arrival_order(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """Entries added late and out of order still read oldest first, ties by id."""
        later = _T0 + timedelta(hours=2)
        markdown_history_repository.add_many(
            [_entry("h5", at=later), _entry("h9", at=_T0 + timedelta(hours=5))]
        )
        markdown_history_repository.add_many(
            [
                _entry("h7", at=_T0),
                _entry("h2", at=later),
                # 08:30 at UTC-5 is 13:30 UTC: after h5/h2, before h9.
                _entry("h1", at=datetime(2026, 3, 1, 8, 30, tzinfo=_EASTERN)),
                _entry("h3", at=_T0),
            ]
        )
        markdown_history_repository.add_many([_entry("h0", at=_T0 - timedelta(minutes=1))])
        expected = ["h0", "h3", "h7", "h2", "h5", "h1", "h9"]
        assert _entry_ids(markdown_history_repository.for_variant("b1", "v1").items) == expected
        assert _entry_ids(markdown_history_repository.for_wave("w1").items) == expected
        markdown_history_repository.add_many([_entry("h4", at=later)])
        assert _entry_ids(markdown_history_repository.for_wave("w1", offset=3, limit=3).items) == [
            "h2",
            "h4",
            "h5",
        ]

    def test_paginates(self, markdown_history_repository: MarkdownHistoryRepository) -> None:
        """Pages carry the total and has_more; bad page arguments are refused."""
        markdown_history_repository.add_many(
            [_entry(f"h{index}", at=_T0 + timedelta(minutes=index)) for index in range(7)]
        )
        first = markdown_history_repository.for_variant("b1", "v1", limit=3)
        assert _entry_ids(first.items) == ["h0", "h1", "h2"]
        assert (first.total, first.has_more, first.next_offset) == (7, True, 3)
        last = markdown_history_repository.for_wave("w1", offset=6, limit=3)
        assert _entry_ids(last.items) == ["h6"]
        assert (last.total, last.has_more, last.next_offset) == (7, False, None)
        with pytest.raises(InvalidValueError) as caught:
            markdown_history_repository.for_variant("b1", "v1", offset=-1)
        assert caught.value.field == "offset"
        with pytest.raises(InvalidValueError) as caught:
            markdown_history_repository.for_wave("w1", limit=0)
        assert caught.value.field == "limit"

    def test_add_many_refuses_a_stored_id_and_stores_nothing(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """An id already stored fails the whole batch."""
        markdown_history_repository.add_many([_entry("h1")])
        with pytest.raises(ConflictError) as caught:
            markdown_history_repository.add_many(
                [_entry("h2", variant_id="v2", wave_id="w2"), _entry("h1", variant_id="v3")]
            )
        assert caught.value.id == "h1"
        assert markdown_history_repository.for_variant("b1", "v2").total == 0
        assert markdown_history_repository.for_variant("b1", "v3").total == 0
        assert markdown_history_repository.for_wave("w2").total == 0
        assert _entry_ids(markdown_history_repository.for_wave("w1").items) == ["h1"]
        markdown_history_repository.add_many([_entry("h2", variant_id="v2", wave_id="w2")])
        assert _entry_ids(markdown_history_repository.for_wave("w2").items) == ["h2"]

    def test_add_many_refuses_an_id_repeated_in_the_batch(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """An id given twice in one batch fails the whole batch."""
        with pytest.raises(ConflictError) as caught:
            markdown_history_repository.add_many(
                [_entry("h1"), _entry("h2"), _entry("h1", variant_id="v2")]
            )
        assert caught.value.id == "h1"
        assert markdown_history_repository.for_wave("w1").total == 0
        assert markdown_history_repository.for_variant("b1", "v1").total == 0
        assert markdown_history_repository.for_variant("b1", "v2").total == 0

    def test_add_many_of_nothing_is_a_no_op(
        self, markdown_history_repository: MarkdownHistoryRepository
    ) -> None:
        """An empty batch stores nothing and raises nothing."""
        markdown_history_repository.add_many([])
        assert markdown_history_repository.for_wave("w1").total == 0
