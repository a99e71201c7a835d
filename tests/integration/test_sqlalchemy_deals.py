"""The SQL deal cache: the shipped contract on SQLite and PostgreSQL, and what is SQL's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.orm import Session

from pricekit.deals.models import Deal, DealReward, DealSource, RewardMethod
from pricekit.deals.ports import DealCache, DealCacheError
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.sqlalchemy.deals import SqlDealCache, cached_deals, deal_locations
from pricekit.testing.contracts import DealCacheContract
from pricekit.time import ManualClock

LOC = "loc-1"


def _deal(discount_id: str, *, location: str = LOC, source: str = "dutchie") -> Deal:
    mark = "_ptl_" if source == "ptl" else "_"
    return Deal(
        id=f"{location}{mark}{discount_id}",
        discount_id=discount_id,
        location_id=location,
        source=DealSource(source),
        name=f"Deal {discount_id}",
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal("12.5")),
    )


def _ids(deals: list[Deal] | None) -> list[str] | None:
    return None if deals is None else [deal.id for deal in deals]


class TestSqlDealCache(DealCacheContract):
    @pytest.fixture
    def deal_cache(self, sql_engine: Engine) -> DealCache:
        return SqlDealCache(sql_engine)


# -- schema ----------------------------------------------------------------------------------


def test_the_tables_keys_and_constraints(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)
    assert inspector.get_pk_constraint("pricekit_deal_locations")["constrained_columns"] == [
        "location_id"
    ]
    # get() reads one location's deals in order: the primary key serves it
    pk = inspector.get_pk_constraint("pricekit_deals")
    assert pk["constrained_columns"] == ["location_id", "position"]
    assert pk["name"] in ("pk_pricekit_deals", None)  # SQLite does not name it back
    uniques = {
        u["name"]: u["column_names"] for u in inspector.get_unique_constraints("pricekit_deals")
    }
    assert uniques == {"uq_pricekit_deals_location_id_deal_id": ["location_id", "deal_id"]}
    (fk,) = inspector.get_foreign_keys("pricekit_deals")
    assert fk["referred_table"] == "pricekit_deal_locations"
    assert fk["constrained_columns"] == ["location_id"]
    assert fk["options"].get("ondelete") == "CASCADE"
    for table in (cached_deals, deal_locations):
        for name in [table.name, *(c.name for c in table.constraints if c.name)]:
            assert len(str(name)) < 63


def test_deals_are_stored_as_the_seeds_record(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    deals = [_deal("9"), _deal("2", source="ptl")]
    cache.replace(LOC, deals)
    with sql_engine.connect() as conn:
        rows = conn.execute(
            select(cached_deals.c.position, cached_deals.c.deal_id, cached_deals.c.deal)
            .where(cached_deals.c.location_id == LOC)
            .order_by(cached_deals.c.position)
        ).all()
    assert [(r.position, r.deal_id) for r in rows] == [(0, "loc-1_9"), (1, "loc-1_ptl_2")]
    assert rows[1].deal == deals[1].to_record()
    assert rows[1].deal["source"] == "ptl"
    assert rows[1].deal["monday"] is True


# -- atomicity -------------------------------------------------------------------------------


def _refuse_deal_ids(engine: Engine, suffix: str) -> None:
    """A trigger failing the insert of a deal id ending in ``suffix`` (after the rows before it)."""
    n = len(suffix)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_deal BEFORE INSERT ON pricekit_deals "
                f"WHEN substr(NEW.deal_id, -{n}) = '{suffix}' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_deal() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_deal BEFORE INSERT ON pricekit_deals FOR EACH ROW "
                f"WHEN (right(NEW.deal_id, {n}) = '{suffix}') EXECUTE FUNCTION refuse_deal()"
            )


def test_a_write_that_fails_midway_leaves_the_previous_set(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    before = [_deal("100"), _deal("7", source="ptl")]
    cache.replace(LOC, before)
    _refuse_deal_ids(sql_engine, "_boom")

    # the old rows are deleted and the first new one inserted before the trigger fires
    with pytest.raises(DealCacheError) as failed:
        cache.replace(LOC, [_deal("101"), _deal("boom")])
    assert failed.value.location_id == LOC
    assert failed.value.backend == sql_engine.dialect.name
    assert "refused" in str(failed.value)
    assert cache.get(LOC) == before
    assert cache.locations() == [LOC]

    with pytest.raises(DealCacheError):
        cache.replace("loc-9", [_deal("boom", location="loc-9")])
    assert cache.get("loc-9") is None  # a location never cached stays never cached


def test_a_merge_that_fails_midway_leaves_the_previous_set(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    before = [_deal("100"), _deal("7", source="ptl")]
    cache.replace(LOC, before)
    _refuse_deal_ids(sql_engine, "_ptl_boom")
    with pytest.raises(DealCacheError) as failed:
        cache.merge_ptl(LOC, [_deal("501"), _deal("boom")])
    assert failed.value.operation == "merge a PTL publication into"
    assert cache.get(LOC) == before

    with pytest.raises(DealCacheError):
        cache.merge_ptl("loc-9", [_deal("boom", location="loc-9")])
    assert cache.get("loc-9") is None  # not even the location's row was kept
    assert cache.locations() == [LOC]


def test_an_unreadable_database_is_an_error_never_no_deals(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    cache.replace(LOC, [_deal("100")])
    with sql_engine.begin() as conn:
        conn.execute(text("DROP TABLE pricekit_deals"))
    for call in (lambda: cache.get(LOC), lambda: cache.merge_ptl(LOC, [])):
        with pytest.raises(DealCacheError) as failed:
            call()
        assert isinstance(failed.value, BackendUnavailableError)
        assert failed.value.location_id == LOC
        assert "pricekit_deals" in str(failed.value)
    with sql_engine.begin() as conn:
        conn.execute(text("DROP TABLE pricekit_deal_locations"))
    with pytest.raises(DealCacheError) as listing:
        cache.locations()
    assert listing.value.location_id is None


def test_a_stored_deal_that_does_not_read_back_is_an_error(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    cache.replace(LOC, [_deal("100"), _deal("101")])
    with sql_engine.begin() as conn:
        conn.execute(
            update(cached_deals)
            .where(cached_deals.c.deal_id == "loc-1_101")
            .values(deal={"id": "loc-1_101", "name": "no reward"})
        )
    with pytest.raises(DealCacheError, match="position 1") as failed:
        cache.get(LOC)
    assert failed.value.operation == "read"
    with pytest.raises(DealCacheError):
        cache.merge_ptl(LOC, [])  # a merge never drops what it cannot read
    cache.replace(LOC, [_deal("102")])  # a whole new set mends it
    assert _ids(cache.get(LOC)) == ["loc-1_102"]


def test_refused_sets_never_reach_the_database(sql_engine: Engine) -> None:
    cache = SqlDealCache(sql_engine)
    with pytest.raises(InvalidValueError) as other:
        cache.replace(LOC, [_deal("1"), _deal("2", location="loc-2")])
    assert other.value.field == "deals[1].location_id"
    with sql_engine.connect() as conn:
        assert conn.scalar(select(deal_locations.c.location_id)) is None


# -- binds -----------------------------------------------------------------------------------


def test_on_a_connection_writes_join_the_callers_transaction(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        cache = SqlDealCache(conn)
        cache.replace(LOC, [_deal("100")])
        assert _ids(cache.merge_ptl(LOC, [_deal("501")])) == ["loc-1_100", "loc-1_ptl_501"]
        with pytest.raises(InvalidValueError):
            cache.merge_ptl(LOC, [_deal("1", location="loc-2")])
        assert _ids(cache.get(LOC)) == ["loc-1_100", "loc-1_ptl_501"]  # the failed call only
        conn.rollback()
    assert SqlDealCache(sql_engine).get(LOC) is None

    with Session(sql_engine) as session:
        SqlDealCache(session).replace(LOC, [_deal("200")])
        session.commit()
    assert _ids(SqlDealCache(sql_engine).get(LOC)) == ["loc-1_200"]


def test_a_location_row_records_when_it_was_written(sql_engine: Engine) -> None:
    clock = ManualClock(datetime(2026, 3, 6, 12, tzinfo=UTC))
    cache = SqlDealCache(sql_engine, clock=clock)
    cache.replace(LOC, [])
    clock.advance(timedelta(minutes=5))
    cache.merge_ptl(LOC, [_deal("1")])
    with sql_engine.connect() as conn:
        updated = conn.scalar(select(deal_locations.c.updated_at))
    assert updated == datetime(2026, 3, 6, 12, 5, tzinfo=UTC)


def test_a_bind_that_is_not_sqlalchemy_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        SqlDealCache("postgresql://localhost/db")  # type: ignore[arg-type]
    assert info.value.field == "bind"
