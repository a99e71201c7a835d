"""Contract tests of the pricing repositories, run against the in-memory ones.

The contract classes have no ``Test`` prefix: a database adapter's test suite can
subclass them and give the ``*_repository`` fixtures its own implementation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.memory import (
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
)
from pricekit.money import Money
from pricekit.pricing.models import (
    Channel,
    ItemType,
    PriceList,
    PriceListItem,
    PriceListKind,
    PriceListScope,
)
from pricekit.pricing.repository import (
    Page,
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
)


def _list(list_id: str, business_id: str = "biz", **extra: object) -> PriceList:
    fields: dict[str, object] = {"name": f"List {list_id}", "currency": "USD", **extra}
    return PriceList(id=list_id, business_id=business_id, **fields)  # type: ignore[arg-type]


def _item(item_id: str, list_id: str = "pl", sku: str = "sku", **extra: object) -> PriceListItem:
    fields: dict[str, object] = {"price": Money.of("1.00", "USD"), **extra}
    return PriceListItem(id=item_id, price_list_id=list_id, item_id=sku, **fields)  # type: ignore[arg-type]


# -- price lists ------------------------------------------------------------------------


class PriceListRepositoryContract:
    """What every PriceListRepository must do."""

    @pytest.fixture
    def repo(self) -> PriceListRepository:  # pragma: no cover - overridden
        raise NotImplementedError

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


# -- items ------------------------------------------------------------------------------


class PriceListItemRepositoryContract:
    """What every PriceListItemRepository must do."""

    @pytest.fixture
    def repo(self) -> PriceListItemRepository:  # pragma: no cover - overridden
        raise NotImplementedError

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


# -- scopes -----------------------------------------------------------------------------


class PriceListScopeRepositoryContract:
    """What every PriceListScopeRepository must do."""

    @pytest.fixture
    def repo(self) -> PriceListScopeRepository:  # pragma: no cover - overridden
        raise NotImplementedError

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


# -- the in-memory implementations ----------------------------------------------------------


class TestInMemoryPriceListRepository(PriceListRepositoryContract):
    @pytest.fixture
    def repo(self) -> PriceListRepository:
        return InMemoryPriceListRepository()


class TestInMemoryPriceListItemRepository(PriceListItemRepositoryContract):
    @pytest.fixture
    def repo(self) -> PriceListItemRepository:
        return InMemoryPriceListItemRepository()


class TestInMemoryPriceListScopeRepository(PriceListScopeRepositoryContract):
    @pytest.fixture
    def repo(self) -> PriceListScopeRepository:
        return InMemoryPriceListScopeRepository()


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_item_repository_thread_safety_smoke() -> None:
    repo = InMemoryPriceListItemRepository()

    def work(n: int) -> None:
        for batch in range(20):
            repo.add_many([_item(f"t{n}-b{batch}-{k}", list_id=f"pl{n % 3}") for k in range(5)])
            repo.find(price_list_id=f"pl{n % 3}", limit=10)
            repo.all_for_lists(["pl0", "pl1", "pl2"])

    assert _run_threads(8, work) == []
    assert repo.find().total == 8 * 20 * 5
    assert len(repo.all_for_lists(["pl0", "pl1", "pl2"])) == 800


def test_concurrent_adds_of_one_id_store_it_once() -> None:
    lists = InMemoryPriceListRepository()
    scopes = InMemoryPriceListScopeRepository()
    items = InMemoryPriceListItemRepository()

    def work(n: int) -> None:
        lists.add(_list("same", name=f"from {n}"))

    def work_scopes(n: int) -> None:
        scopes.add(PriceListScope(id="same", price_list_id=f"pl{n}"))

    def work_items(n: int) -> None:
        items.add_many([_item(f"own-{n}"), _item("same")])

    for target in (work, work_scopes, work_items):
        errors = _run_threads(8, target)
        assert len(errors) == 7
        assert all(isinstance(e, ConflictError) for e in errors)
    assert lists.find("biz").total == 1
    assert sum(len(scopes.all_for_lists([f"pl{n}"])) for n in range(8)) == 1
    assert items.find().total == 2
