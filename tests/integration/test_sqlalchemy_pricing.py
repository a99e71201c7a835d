"""The SQL pricing repositories: the shipped contract suites on SQLite and PostgreSQL, and more."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from pricekit.errors import BackendUnavailableError, ConflictError, InvalidValueError
from pricekit.ext.sqlalchemy._schema import to_micro
from pricekit.ext.sqlalchemy.pricing import (
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
    price_list_items,
    price_list_scopes,
    price_lists,
)
from pricekit.memory import InMemoryPriceListRepository
from pricekit.money import Money
from pricekit.pricing.models import Channel, ItemType, PriceList, PriceListItem, PriceListScope
from pricekit.pricing.repository import (
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
)
from pricekit.testing.contracts import (
    PriceListItemRepositoryContract,
    PriceListRepositoryContract,
    PriceListScopeRepositoryContract,
)


class TestSqlPriceListRepository(PriceListRepositoryContract):
    @pytest.fixture
    def price_list_repository(self, sql_engine: Engine) -> PriceListRepository:
        return SqlPriceListRepository(sql_engine)


class TestSqlPriceListItemRepository(PriceListItemRepositoryContract):
    @pytest.fixture
    def price_list_item_repository(self, sql_engine: Engine) -> PriceListItemRepository:
        return SqlPriceListItemRepository(sql_engine)


class TestSqlPriceListScopeRepository(PriceListScopeRepositoryContract):
    @pytest.fixture
    def price_list_scope_repository(self, sql_engine: Engine) -> PriceListScopeRepository:
        return SqlPriceListScopeRepository(sql_engine)


def _list(list_id: str, name: str = "List", business_id: str = "biz") -> PriceList:
    return PriceList(id=list_id, business_id=business_id, name=name, currency="USD")


def _item(item_id: str, list_id: str = "pl", **extra: object) -> PriceListItem:
    fields: dict[str, object] = {"price": Money.of("1.00", "USD"), "item_id": "sku", **extra}
    return PriceListItem(id=item_id, price_list_id=list_id, **fields)  # type: ignore[arg-type]


def test_tables_have_the_indexes_the_queries_use(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)

    def indexes(table: str) -> dict[str, list[str | None]]:
        return {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(table) if ix["name"]}

    assert indexes("pricekit_price_lists") == {
        "ix_pricekit_price_lists_business": ["business_id", "is_active"]
    }
    assert indexes("pricekit_price_list_items") == {
        "ix_pricekit_price_list_items_list": ["price_list_id"],
        "ix_pricekit_price_list_items_lookup": ["item_id", "item_type", "is_active"],
    }
    assert indexes("pricekit_price_list_scopes") == {
        "ix_pricekit_price_list_scopes_list": ["price_list_id"]
    }
    # Items and scopes may be stored without their list (the contract adds some so).
    assert inspector.get_foreign_keys("pricekit_price_list_items") == []
    assert inspector.get_foreign_keys("pricekit_price_list_scopes") == []
    for table in (price_lists, price_list_items, price_list_scopes):
        names = [table.name, *(ix.name for ix in table.indexes), table.primary_key.name]
        assert all(isinstance(n, str) and len(n) <= 63 for n in names), names


def test_ids_sort_by_code_point_on_every_database(sql_engine: Engine) -> None:
    """Pages are ordered by id as Python orders them (PostgreSQL: the ids' C collation)."""
    repo = SqlPriceListRepository(sql_engine)
    ids = ["b", "B", "a", "é", "Z", "_x", "10", "9", "a-b", "a_b", "ab"]
    for list_id in ids:
        repo.add(_list(list_id))
    assert [pl.id for pl in repo.all_for_business("biz")] == sorted(ids)
    assert [pl.id for pl in repo.find("biz", limit=1000).items] == sorted(ids)
    if sql_engine.dialect.name == "postgresql":
        with sql_engine.connect() as conn:
            collations = dict(
                conn.execute(
                    text(
                        "SELECT table_name || '.' || column_name, collation_name "
                        "FROM information_schema.columns "
                        "WHERE table_name LIKE 'pricekit_price_list%' AND column_name LIKE '%id'"
                    )
                ).all()
            )
        assert collations
        assert set(collations.values()) == {"C"}, collations


def test_name_contains_folds_case_like_memory_and_matches_wildcards_literally(
    sql_engine: Engine,
) -> None:
    names = ["Été 50% off", "ÉTÉ special", "Straße", "under_score", "underXscore", "100%", "plain"]
    sql, memory = SqlPriceListRepository(sql_engine), InMemoryPriceListRepository()
    for n, name in enumerate(names):
        sql.add(_list(f"pl-{n}", name=name))
        memory.add(_list(f"pl-{n}", name=name))
    for needle in ["été", "ÉTÉ", "STRASSE", "strasse", "_", "r_s", "%", "0%", "50% O", "", "x"]:
        expected = [pl.id for pl in memory.find("biz", name_contains=needle).items]
        assert [pl.id for pl in sql.find("biz", name_contains=needle).items] == expected, needle
    assert [pl.id for pl in sql.find("biz", name_contains="_").items] == ["pl-3"]
    assert [pl.id for pl in sql.find("biz", name_contains="%").items] == ["pl-0", "pl-5"]
    assert [pl.id for pl in sql.find("biz", name_contains="été").items] == ["pl-0", "pl-1"]


def test_min_qty_is_stored_in_millionths_for_sql_to_compare(sql_engine: Engine) -> None:
    repo = SqlPriceListItemRepository(sql_engine)
    tiers = {"t1": "1", "t2": "2.5", "t3": "2.125", "t4": "0.000001", "t5": "12"}
    repo.add_many([_item(i, min_qty=Decimal(q)) for i, q in tiers.items()])
    t = price_list_items
    with sql_engine.connect() as conn:
        stored = dict(conn.execute(select(t.c.id, t.c.min_qty_micro)).all())
        reached = set(
            conn.scalars(
                select(t.c.id).where(t.c.min_qty_micro <= to_micro(Decimal("2.5"), field="q"))
            )
        )
    assert stored == {"t1": 1_000_000, "t2": 2_500_000, "t3": 2_125_000, "t4": 1, "t5": 12_000_000}
    assert reached == {"t1", "t2", "t3", "t4"}
    assert {i: str(repo.get(i).min_qty) for i in tiers} == tiers  # type: ignore[union-attr]


def test_values_the_columns_cannot_hold_are_refused_and_nothing_is_stored(
    sql_engine: Engine,
) -> None:
    repo = SqlPriceListItemRepository(sql_engine)
    with pytest.raises(InvalidValueError) as info:
        repo.add_many([_item("ok"), _item("fine", min_qty=Decimal("0.0000001"))])
    assert info.value.field == "min_qty"
    with pytest.raises(InvalidValueError) as info:
        repo.add_many([_item("ok"), _item("huge", price=Money(2**63, "USD"))])
    assert info.value.field == "price"
    assert repo.find().total == 0
    repo.add_many([_item("ok")])
    with pytest.raises(InvalidValueError) as info:
        repo.replace(_item("ok", min_qty=Decimal("1.0000001")))
    assert info.value.field == "min_qty"
    assert repo.get("ok") == _item("ok")


def test_a_conflicting_batch_names_its_first_stored_id_and_stores_nothing(
    sql_engine: Engine,
) -> None:
    repo = SqlPriceListItemRepository(sql_engine)
    repo.add_many([_item("b"), _item("d")])
    with pytest.raises(ConflictError) as info:
        repo.add_many([_item("a"), _item("d"), _item("c"), _item("b")])
    assert (info.value.entity, info.value.id, info.value.reason) == (
        "price_list_item",
        "d",
        "duplicate id",
    )
    assert [it.id for it in repo.find().items] == ["b", "d"]


def test_lookups_over_many_lists_and_ids_span_several_statements(sql_engine: Engine) -> None:
    """More ids than one IN list binds: results still complete and ordered by id."""
    items = SqlPriceListItemRepository(sql_engine)
    scopes = SqlPriceListScopeRepository(sql_engine)
    batch = [_item(f"it-{n:04d}", list_id=f"pl-{1199 - n:04d}") for n in range(1200)]
    items.add_many(batch)
    for n in range(0, 1200, 2):
        scopes.add(PriceListScope(id=f"sc-{1199 - n:04d}", price_list_id=f"pl-{n:04d}"))
    list_ids = [f"pl-{n:04d}" for n in range(1200)]
    assert [it.id for it in items.all_for_lists(list_ids)] == [it.id for it in batch]
    assert [sc.id for sc in scopes.all_for_lists(set(list_ids))] == sorted(
        f"sc-{1199 - n:04d}" for n in range(0, 1200, 2)
    )
    with pytest.raises(ConflictError) as info:
        items.add_many([_item("new"), *batch[700:705]])
    assert info.value.id == "it-0700"
    assert items.get("new") is None


def test_a_database_error_is_a_backend_error(sql_engine: Engine) -> None:
    with sql_engine.begin() as conn:
        conn.execute(text("DROP TABLE pricekit_price_list_scopes"))
    with pytest.raises(BackendUnavailableError) as info:
        SqlPriceListScopeRepository(sql_engine).add(PriceListScope(id="s", price_list_id="pl"))
    assert info.value.backend == sql_engine.dialect.name
    assert info.value.operation == "add a price list scope"


def test_repositories_on_one_connection_share_the_callers_transaction(
    sql_engine: Engine,
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with sql_engine.connect() as conn:
        lists, items = SqlPriceListRepository(conn), SqlPriceListItemRepository(conn)
        scopes = SqlPriceListScopeRepository(conn)
        lists.add(_list("pl"))
        items.add_many([_item("i1", created_at=now)])
        scopes.add(PriceListScope(id="s1", price_list_id="pl", channel=Channel.POS))
        # A failed call undoes only itself: the work before it stands.
        with pytest.raises(ConflictError):
            items.add_many([_item("i2"), _item("i1")])
        with pytest.raises(ConflictError):
            lists.add(_list("pl", name="again"))
        assert [it.id for it in items.find().items] == ["i1"]
        assert lists.get("pl") == _list("pl")
        if sql_engine.dialect.name == "postgresql":
            # Nothing is visible to others before the caller commits. (On SQLite every
            # transaction takes the write lock, so another reader would wait for this one.)
            assert SqlPriceListRepository(sql_engine).get("pl") is None
        conn.rollback()
    assert SqlPriceListRepository(sql_engine).get("pl") is None
    assert SqlPriceListItemRepository(sql_engine).find().total == 0
    assert SqlPriceListScopeRepository(sql_engine).get("s1") is None


def test_repositories_on_a_session_commit_with_it(sql_engine: Engine) -> None:
    with Session(sql_engine) as session:
        SqlPriceListRepository(session).add(_list("pl"))
        SqlPriceListItemRepository(session).add_many([_item("i1", item_type=ItemType.SERVICE)])
        scopes = SqlPriceListScopeRepository(session)
        scopes.add(PriceListScope(id="s1", price_list_id="pl"))
        assert scopes.delete("s1") == PriceListScope(id="s1", price_list_id="pl")
        scopes.add(PriceListScope(id="s2", price_list_id="pl", location_id="loc"))
        session.commit()
    assert SqlPriceListRepository(sql_engine).get("pl") == _list("pl")
    found = SqlPriceListItemRepository(sql_engine).find(item_type=ItemType.SERVICE)
    assert [it.id for it in found.items] == ["i1"]
    assert [sc.id for sc in SqlPriceListScopeRepository(sql_engine).all_for_lists(["pl"])] == ["s2"]
