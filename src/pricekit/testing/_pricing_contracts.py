"""Contract suites for the pricing repositories: price lists, their items, their scopes.

Each suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for, returning a fresh, empty
repository for every test::

    import pytest
    from pricekit.testing.contracts import PriceListItemRepositoryContract

    class TestMyItemRepository(PriceListItemRepositoryContract):
        @pytest.fixture
        def price_list_item_repository(self, my_database):
            return MyItemRepository(my_database)

The suites check what the services rely on: ids are unique and a duplicate is
refused with nothing stored, ``add_many`` is all or nothing, filters and pages
are exact and ordered by id, every field comes back as it went in (money to the
minor unit, quantities to the last decimal, instants with their offset's
meaning), and two threads adding one id store it once. Needs pytest and
Hypothesis (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")
require_extra("hypothesis", extra="testing")

import itertools  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import NoReturn  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError  # noqa: E402
from pricekit.money import Money  # noqa: E402
from pricekit.pricing.models import (  # noqa: E402
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
)
from pricekit.pricing.repository import (  # noqa: E402
    Page,
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
)
from pricekit.testing._pricing_strategies import PriceListsData, price_lists_data  # noqa: E402

__all__ = [
    "PriceListItemRepositoryContract",
    "PriceListRepositoryContract",
    "PriceListScopeRepositoryContract",
]

_ROUND_TRIPS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
)
_EASTERN = timezone(timedelta(hours=-5))
_T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_runs = itertools.count()


def _fail_without_fixture(suite: object, fixture: str) -> NoReturn:
    pytest.fail(
        f"{type(suite).__name__} must define a {fixture!r} fixture returning a fresh, "
        "empty repository of yours for each test"
    )


def _list(list_id: str, business_id: str = "biz", **extra: object) -> PriceList:
    fields: dict[str, object] = {"name": f"List {list_id}", "currency": "USD", **extra}
    return PriceList(id=list_id, business_id=business_id, **fields)  # type: ignore[arg-type]


def _item(item_id: str, list_id: str = "pl", sku: str = "sku", **extra: object) -> PriceListItem:
    fields: dict[str, object] = {"price": Money.of("1.00", "USD"), **extra}
    return PriceListItem(id=item_id, price_list_id=list_id, item_id=sku, **fields)  # type: ignore[arg-type]


def _prefixed(data: PriceListsData) -> PriceListsData:
    """The same records under ids no earlier example used (the repository is shared)."""
    run = f"r{next(_runs)}-"
    return PriceListsData(
        business_id=run + data.business_id,
        lists=tuple(
            pl.model_copy(update={"id": run + pl.id, "business_id": run + pl.business_id})
            for pl in data.lists
        ),
        items=tuple(
            it.model_copy(update={"id": run + it.id, "price_list_id": run + it.price_list_id})
            for it in data.items
        ),
        scopes=tuple(
            sc.model_copy(update={"id": run + sc.id, "price_list_id": run + sc.price_list_id})
            for sc in data.scopes
        ),
        item_ids=data.item_ids,
        currencies=data.currencies,
    )


def _race(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(0..count-1)`` on threads released together; the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected for the caller to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# -- price lists ------------------------------------------------------------------------


class PriceListRepositoryContract:
    """What every PriceListRepository must do."""

    @pytest.fixture
    def price_list_repository(self) -> PriceListRepository:
        _fail_without_fixture(self, "price_list_repository")

    @pytest.fixture
    def repo(self, price_list_repository: PriceListRepository) -> PriceListRepository:
        return price_list_repository

    def test_is_the_protocol(self, repo: PriceListRepository) -> None:
        assert isinstance(repo, PriceListRepository)

    def test_add_get_and_duplicate(self, repo: PriceListRepository) -> None:
        pl = _list("a")
        repo.add(pl)
        assert repo.get("a") == pl
        assert repo.get("missing") is None
        with pytest.raises(ConflictError) as info:
            repo.add(_list("a", name="other"))
        assert info.value.id == "a"
        assert repo.get("a") == pl

    def test_replace(self, repo: PriceListRepository) -> None:
        repo.add(_list("a"))
        repo.replace(_list("a", name="Renamed"))
        stored = repo.get("a")
        assert stored is not None
        assert stored.name == "Renamed"
        with pytest.raises(NotFoundError) as info:
            repo.replace(_list("nope"))
        assert (info.value.entity, info.value.id) == ("price_list", "nope")

    def test_replace_can_move_business(self, repo: PriceListRepository) -> None:
        repo.add(_list("a", business_id="one"))
        repo.replace(_list("a", business_id="two"))
        assert repo.all_for_business("one") == []
        assert [pl.id for pl in repo.all_for_business("two")] == ["a"]

    def test_find_filters(self, repo: PriceListRepository) -> None:
        repo.add(_list("a", name="Summer Retail", kind=PriceListKind.RETAIL, channel=Channel.POS))
        repo.add(_list("b", name="Online summer", channel=Channel.ONLINE))
        repo.add(_list("c", name="Winter", is_active=False, kind=PriceListKind.RETAIL))
        repo.add(_list("d", business_id="other", name="Summer"))

        def ids(page: Page[PriceList]) -> list[str]:
            return [pl.id for pl in page.items]

        assert ids(repo.find("biz")) == ["a", "b", "c"]
        assert ids(repo.find("biz", kind=PriceListKind.RETAIL)) == ["a", "c"]
        assert ids(repo.find("biz", channel=Channel.POS)) == ["a"]
        assert ids(repo.find("biz", channel=Channel.ANY)) == ["c"]
        assert ids(repo.find("biz", is_active=False)) == ["c"]
        assert ids(repo.find("biz", is_active=True)) == ["a", "b"]
        assert ids(repo.find("biz", name_contains="SUMMER")) == ["a", "b"]
        assert ids(repo.find("biz", name_contains="summer", kind=PriceListKind.RETAIL)) == ["a"]
        assert ids(repo.find("nobody")) == []

    def test_pagination(self, repo: PriceListRepository) -> None:
        for n in range(7):
            repo.add(_list(f"pl-{n}"))
        first = repo.find("biz", limit=3)
        assert [pl.id for pl in first.items] == ["pl-0", "pl-1", "pl-2"]
        assert (first.total, first.offset, first.limit) == (7, 0, 3)
        assert first.has_more
        assert first.next_offset == 3
        last = repo.find("biz", offset=6, limit=3)
        assert [pl.id for pl in last.items] == ["pl-6"]
        assert not last.has_more
        assert last.next_offset is None
        beyond = repo.find("biz", offset=10, limit=3)
        assert beyond.items == ()
        assert beyond.total == 7

    @pytest.mark.parametrize(
        ("offset", "limit", "field"),
        [(-1, 10, "offset"), (0, 0, "limit"), (0, 1001, "limit"), (0, True, "limit")],
    )
    def test_bad_page_arguments(
        self, repo: PriceListRepository, offset: int, limit: int, field: str
    ) -> None:
        with pytest.raises(InvalidValueError) as info:
            repo.find("biz", offset=offset, limit=limit)
        assert info.value.field == field

    def test_every_field_comes_back_exactly(self, repo: PriceListRepository) -> None:
        pl = _list(
            "full",
            name="Été — 50% off 'quoted' 日本",
            kind=PriceListKind.RESTAURANT,
            channel=Channel.DINE_IN,
            priority=1000,
            currency="KWD",
            valid_from=datetime(2026, 3, 1, 4, 0, tzinfo=_EASTERN),
            valid_to=datetime(2026, 3, 31, 23, 59, 59, 999_999, tzinfo=UTC),
            is_active=False,
            created_at=_T0,
            updated_at=datetime(2026, 3, 2, 8, 30, 0, 123_456, tzinfo=_EASTERN),
        )
        repo.add(pl)
        stored = repo.get("full")
        assert stored == pl
        assert stored is not None
        assert stored.valid_from is not None
        assert stored.valid_from.utcoffset() is not None

    @_ROUND_TRIPS
    @given(data=price_lists_data(max_items_per_list=0, max_scopes_per_list=0))
    def test_drawn_lists_round_trip(self, repo: PriceListRepository, data: PriceListsData) -> None:
        data = _prefixed(data)
        for pl in data.lists:
            repo.add(pl)
        assert [repo.get(pl.id) for pl in data.lists] == list(data.lists)
        assert list(repo.all_for_business(data.business_id)) == sorted(
            data.lists, key=lambda pl: pl.id
        )

    def test_two_threads_adding_one_id_store_it_once(self, repo: PriceListRepository) -> None:
        errors = _race(8, lambda n: repo.add(_list("same", name=f"from {n}")))
        assert len(errors) == 7
        assert all(isinstance(e, ConflictError) for e in errors)
        assert repo.find("biz").total == 1


# -- items ------------------------------------------------------------------------------


class PriceListItemRepositoryContract:
    """What every PriceListItemRepository must do."""

    @pytest.fixture
    def price_list_item_repository(self) -> PriceListItemRepository:
        _fail_without_fixture(self, "price_list_item_repository")

    @pytest.fixture
    def repo(self, price_list_item_repository: PriceListItemRepository) -> PriceListItemRepository:
        return price_list_item_repository

    def test_is_the_protocol(self, repo: PriceListItemRepository) -> None:
        assert isinstance(repo, PriceListItemRepository)

    def test_add_many_and_get(self, repo: PriceListItemRepository) -> None:
        repo.add_many([_item("i1"), _item("i2")])
        assert repo.get("i1") == _item("i1")
        assert repo.get("nope") is None

    def test_add_many_is_atomic_on_a_stored_duplicate(self, repo: PriceListItemRepository) -> None:
        repo.add_many([_item("i1")])
        with pytest.raises(ConflictError) as info:
            repo.add_many([_item("i2"), _item("i3"), _item("i1", sku="other")])
        assert info.value.id == "i1"
        assert repo.get("i2") is None
        assert repo.get("i3") is None
        assert repo.find().total == 1

    def test_add_many_is_atomic_on_a_repeated_id(self, repo: PriceListItemRepository) -> None:
        with pytest.raises(ConflictError):
            repo.add_many([_item("i1"), _item("i2"), _item("i1")])
        assert repo.find().total == 0

    def test_replace(self, repo: PriceListItemRepository) -> None:
        repo.add_many([_item("i1")])
        repo.replace(_item("i1", price=Money.of("2.00", "USD")))
        stored = repo.get("i1")
        assert stored is not None
        assert stored.price == Money.of("2.00", "USD")
        with pytest.raises(NotFoundError) as info:
            repo.replace(_item("nope"))
        assert info.value.entity == "price_list_item"

    def test_replace_can_move_list(self, repo: PriceListItemRepository) -> None:
        repo.add_many([_item("i1", list_id="a")])
        repo.replace(_item("i1", list_id="b"))
        assert repo.all_for_lists(["a"]) == []
        assert [it.id for it in repo.all_for_lists(["b"])] == ["i1"]
        assert repo.find(price_list_id="a").total == 0

    def test_find_filters_and_pages(self, repo: PriceListItemRepository) -> None:
        repo.add_many(
            [
                _item("i1", list_id="a", sku="x"),
                _item("i2", list_id="a", sku="y", item_type=ItemType.SERVICE),
                _item("i3", list_id="a", sku="x", is_active=False),
                _item("i4", list_id="b", sku="x"),
            ]
        )

        def ids(page: Page[PriceListItem]) -> list[str]:
            return [it.id for it in page.items]

        assert ids(repo.find()) == ["i1", "i2", "i3", "i4"]
        assert ids(repo.find(price_list_id="a")) == ["i1", "i2", "i3"]
        assert ids(repo.find(item_id="x")) == ["i1", "i3", "i4"]
        assert ids(repo.find(item_type=ItemType.SERVICE)) == ["i2"]
        assert ids(repo.find(is_active=False)) == ["i3"]
        assert ids(repo.find(price_list_id="a", item_id="x", is_active=True)) == ["i1"]
        page = repo.find(item_id="x", offset=1, limit=1)
        assert ids(page) == ["i3"]
        assert (page.total, page.next_offset) == (3, 2)
        with pytest.raises(InvalidValueError) as info:
            repo.find(limit=0)
        assert info.value.field == "limit"

    def test_all_for_lists(self, repo: PriceListItemRepository) -> None:
        repo.add_many([_item("i2", list_id="a"), _item("i1", list_id="b"), _item("i3", "c")])
        assert [it.id for it in repo.all_for_lists({"a", "b"})] == ["i1", "i2"]
        assert repo.all_for_lists([]) == []

    def test_every_field_comes_back_exactly(self, repo: PriceListItemRepository) -> None:
        items = [
            _item(
                "big",
                item_type=ItemType.MODIFIER,
                price=Money(2**53 + 1, "USD"),
                min_qty=Decimal("2.125"),
                priority=1000,
                valid_from=datetime(2026, 3, 1, 4, 0, tzinfo=_EASTERN),
                valid_to=datetime(2026, 4, 1, tzinfo=UTC),
                is_active=False,
                created_at=_T0,
                updated_at=datetime(2026, 3, 2, 8, 30, 0, 123_456, tzinfo=_EASTERN),
            ),
            _item("yen", price=Money(1234, "JPY"), min_qty=Decimal(12)),
            _item("dinar", price=Money.of("0.005", "KWD"), min_qty=Decimal("0.001")),
            _item("free", price=Money(0, "USD")),
        ]
        repo.add_many(items)
        assert [repo.get(it.id) for it in items] == items
        stored = repo.get("big")
        assert stored is not None
        assert stored.price.minor_units == 2**53 + 1
        assert stored.min_qty == Decimal("2.125")

    @_ROUND_TRIPS
    @given(data=price_lists_data(max_scopes_per_list=0))
    def test_drawn_items_round_trip(
        self, repo: PriceListItemRepository, data: PriceListsData
    ) -> None:
        data = _prefixed(data)
        repo.add_many(data.items)
        assert [repo.get(it.id) for it in data.items] == list(data.items)
        ids = [pl.id for pl in data.lists]
        assert list(repo.all_for_lists(ids)) == sorted(data.items, key=lambda it: it.id)

    def test_two_threads_adding_one_id_store_it_once(self, repo: PriceListItemRepository) -> None:
        errors = _race(8, lambda n: repo.add_many([_item(f"own-{n}"), _item("same")]))
        assert len(errors) == 7
        assert all(isinstance(e, ConflictError) for e in errors)
        # the batch that lost stored nothing: one "same" and the winner's own item
        assert repo.find().total == 2


# -- scopes -----------------------------------------------------------------------------


class PriceListScopeRepositoryContract:
    """What every PriceListScopeRepository must do."""

    @pytest.fixture
    def price_list_scope_repository(self) -> PriceListScopeRepository:
        _fail_without_fixture(self, "price_list_scope_repository")

    @pytest.fixture
    def repo(
        self, price_list_scope_repository: PriceListScopeRepository
    ) -> PriceListScopeRepository:
        return price_list_scope_repository

    def test_is_the_protocol(self, repo: PriceListScopeRepository) -> None:
        assert isinstance(repo, PriceListScopeRepository)

    def test_add_get_list_delete(self, repo: PriceListScopeRepository) -> None:
        s1 = PriceListScope(id="s1", price_list_id="a", location_id="loc")
        s2 = PriceListScope(id="s2", price_list_id="a", channel=Channel.POS)
        s3 = PriceListScope(id="s3", price_list_id="b")
        for scope in (s2, s3, s1):
            repo.add(scope)
        assert repo.get("s1") == s1
        assert repo.get("nope") is None
        assert list(repo.all_for_lists(["a"])) == [s1, s2]
        assert list(repo.all_for_lists(["a", "b"])) == [s1, s2, s3]
        assert repo.delete("s1") == s1
        assert repo.delete("s1") is None
        assert repo.get("s1") is None
        assert list(repo.all_for_lists(["a"])) == [s2]

    def test_duplicate(self, repo: PriceListScopeRepository) -> None:
        repo.add(PriceListScope(id="s1", price_list_id="a"))
        with pytest.raises(ConflictError) as info:
            repo.add(PriceListScope(id="s1", price_list_id="b"))
        assert info.value.entity == "price_list_scope"
        assert list(repo.all_for_lists(["b"])) == []

    @_ROUND_TRIPS
    @given(data=price_lists_data(max_items_per_list=0))
    def test_drawn_scopes_round_trip(
        self, repo: PriceListScopeRepository, data: PriceListsData
    ) -> None:
        data = _prefixed(data)
        for scope in data.scopes:
            repo.add(scope)
        assert [repo.get(sc.id) for sc in data.scopes] == list(data.scopes)
        ids = [pl.id for pl in data.lists]
        assert list(repo.all_for_lists(ids)) == sorted(data.scopes, key=lambda sc: sc.id)

    def test_two_threads_adding_one_id_store_it_once(self, repo: PriceListScopeRepository) -> None:
        errors = _race(8, lambda n: repo.add(PriceListScope(id="same", price_list_id=f"pl{n}")))
        assert len(errors) == 7
        assert all(isinstance(e, ConflictError) for e in errors)
        assert sum(len(repo.all_for_lists([f"pl{n}"])) for n in range(8)) == 1
