"""The shipped Alembic migrations build exactly the models' schema, beside a host's own."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect, select

from pricekit.ext.sqlalchemy import (
    VERSION_TABLE,
    SqlPriceListRepository,
    current_revision,
    downgrade,
    head_revision,
    metadata,
    upgrade,
    upgrade_sql,
)
from pricekit.ext.sqlalchemy._migrate import include_object
from pricekit.pricing.models import PriceList

host = MetaData()
host_orders = Table(
    "orders", host, Column("id", Integer, primary_key=True), Column("note", String(20))
)
host_versions = Table("alembic_version", host, Column("version_num", String(32), primary_key=True))


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_the_migrations_build_exactly_the_models_schema(empty_sql_engine: Engine) -> None:
    engine = empty_sql_engine
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0001_initial"
    assert _differences(engine) == []
    assert _tables(engine) == {*metadata.tables, VERSION_TABLE}
    # every index and unique constraint of the models exists, by name
    inspector = inspect(engine)
    for table in metadata.tables.values():
        made = {ix["name"] for ix in inspector.get_indexes(table.name)}
        assert {ix.name for ix in table.indexes} <= made, table.name


def test_a_schema_that_drifted_from_the_models_is_seen(empty_sql_engine: Engine) -> None:
    engine = empty_sql_engine
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_pricekit_promotions_business_active")
    kinds = [diff[0] for diff in _differences(engine) if isinstance(diff, tuple)]
    assert kinds == ["add_index"]


def test_upgrade_again_changes_nothing_and_the_schema_works(empty_sql_engine: Engine) -> None:
    engine = empty_sql_engine
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    repo = SqlPriceListRepository(engine)
    price_list = PriceList(id="pl", business_id="biz", name="Retail", currency="USD")
    repo.add(price_list)
    assert repo.get("pl") == price_list


def test_the_host_tables_and_history_are_left_alone(empty_sql_engine: Engine) -> None:
    engine = empty_sql_engine
    host.create_all(engine)
    with engine.begin() as conn:
        conn.execute(host_versions.insert().values(version_num="host_0042"))
        conn.execute(host_orders.insert().values(id=1, note="kept"))
    upgrade(engine)
    downgrade(engine, "base")
    assert _tables(engine) == {"orders", "alembic_version", VERSION_TABLE}
    assert current_revision(engine) is None
    with engine.connect() as conn:
        assert conn.scalars(select(host_versions.c.version_num)).all() == ["host_0042"]
        assert conn.scalars(select(host_orders.c.note)).all() == ["kept"]
    upgrade(engine)
    assert _differences(engine) == []


def test_upgrade_on_a_connection_runs_in_the_callers_transaction(
    empty_sql_engine: Engine,
) -> None:
    engine = empty_sql_engine
    with engine.connect() as conn:
        upgrade(conn)
        assert current_revision(conn) == head_revision()
        conn.rollback()
    assert current_revision(engine) is None
    assert not _tables(engine) & set(metadata.tables)


def test_the_sql_script_for_a_database_administrator() -> None:
    script = upgrade_sql("postgresql")
    assert "CREATE TABLE pricekit_promotions" in script
    assert "CREATE INDEX ix_pricekit_promotions_business_active" in script
    assert "JSONB" in script
    assert f"CREATE TABLE {VERSION_TABLE}" in script
    assert f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('0001_initial')" in script
    assert "alembic_version " not in script.replace(VERSION_TABLE, "")
    assert "CREATE TABLE pricekit_deals" in upgrade_sql("sqlite")
