"""The SQL markdown repositories: contract suites, schema, atomicity, and the service over them.

Every test runs on SQLite and on PostgreSQL (the ``sql_engine`` fixture).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pricekit.catalog import Catalog, Category, Product, Variant
from pricekit.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidValueError,
    PricekitError,
)
from pricekit.ext.sqlalchemy.markdowns import (
    SqlMarkdownHistoryRepository,
    SqlMarkdownPlanRepository,
    SqlMarkdownWaveRepository,
    markdown_history,
    markdown_plans,
    markdown_wave_items,
    markdown_waves,
)
from pricekit.markdowns import MarkdownService
from pricekit.markdowns.models import (
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownMethod,
    MarkdownPlan,
    MarkdownReason,
    MarkdownWave,
    ScopeType,
    WaveItem,
    WaveLocation,
    WaveScope,
    WaveStatus,
)
from pricekit.markdowns.ports import (
    MarkdownHistoryRepository,
    MarkdownPlanRepository,
    MarkdownWaveRepository,
)
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryLocationDirectory,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.money import Money
from pricekit.testing.contracts import (
    MarkdownHistoryRepositoryContract,
    MarkdownPlanRepositoryContract,
    MarkdownWaveRepositoryContract,
)
from pricekit.time import ManualClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EASTERN = timezone(timedelta(hours=-5))


# -- the shipped contract suites, on both databases -------------------------------------------


class TestSqlMarkdownPlanRepository(MarkdownPlanRepositoryContract):
    @pytest.fixture
    def markdown_plan_repository(self, sql_engine: Engine) -> MarkdownPlanRepository:
        return SqlMarkdownPlanRepository(sql_engine)


class TestSqlMarkdownWaveRepository(MarkdownWaveRepositoryContract):
    @pytest.fixture
    def markdown_wave_repository(self, sql_engine: Engine) -> MarkdownWaveRepository:
        return SqlMarkdownWaveRepository(sql_engine)


class TestSqlMarkdownHistoryRepository(MarkdownHistoryRepositoryContract):
    @pytest.fixture
    def markdown_history_repository(self, sql_engine: Engine) -> MarkdownHistoryRepository:
        return SqlMarkdownHistoryRepository(sql_engine)


# -- helpers ----------------------------------------------------------------------------------


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def plan(plan_id: str = "p1", *, business_id: str = "b1", name: str = "Spring") -> MarkdownPlan:
    return MarkdownPlan(id=plan_id, business_id=business_id, name=name, created_at=T0)


def wave(
    wave_id: str = "w1", *, name: str = "Spring", status: WaveStatus = WaveStatus.DRAFT
) -> MarkdownWave:
    return MarkdownWave(
        id=wave_id,
        plan_id="p1",
        business_id="b1",
        name=name,
        method=MarkdownMethod.PERCENT,
        value=Decimal("25.50"),
        reason=MarkdownReason.OVERSTOCK,
        currency="USD",
        floor_price=usd("1.99"),
        scopes=(WaveScope(type=ScopeType.PRODUCT, ids=("prod-b", "prod-a")),),
        locations=(
            WaveLocation(location_id="s1", activate_at=datetime(2026, 3, 2, 7, tzinfo=EASTERN)),
        ),
        status=status,
        created_at=T0,
    )


def item(variant_id: str, *, wave_id: str = "w1", price: str = "15.00", **changes: Any) -> WaveItem:
    made = WaveItem(
        wave_id=wave_id,
        variant_id=variant_id,
        product_id=f"prod-{variant_id}",
        regular_price=usd("20.00"),
        base_price=usd("20.00"),
        markdown_price=usd(price),
        cost=usd("9.00"),
        margin_percent=Decimal("40.0"),
    )
    return replace(made, **changes) if changes else made


def entry(entry_id: str, *, at: datetime = T0, **changes: Any) -> MarkdownHistoryEntry:
    made = MarkdownHistoryEntry(
        id=entry_id,
        business_id="b1",
        plan_id="p1",
        wave_id="w1",
        action=HistoryAction.ACTIVATED,
        at=at,
        location_id="s1",
        variant_id="v1",
        price_before=usd("20.00"),
        price_after=usd("15.00"),
    )
    return replace(made, **changes) if changes else made


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def statements(sql_engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs during the test: their first three words, upper-cased."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(sql_engine, "before_cursor_execute", record)
    yield seen
    event.remove(sql_engine, "before_cursor_execute", record)


# -- schema -----------------------------------------------------------------------------------


def test_tables_indexes_and_keys_serve_every_query(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)
    indexes = {
        table: {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(table)}
        for table in (markdown_plans.name, markdown_waves.name, markdown_history.name)
    }
    assert indexes["pricekit_markdown_plans"] == {
        "ix_pricekit_markdown_plans_business": ["business_id", "id"],
        "ix_pricekit_markdown_plans_business_active": ["business_id", "is_active", "id"],
    }
    assert indexes["pricekit_markdown_waves"] == {
        "ix_pricekit_markdown_waves_business": ["business_id", "id"],
        "ix_pricekit_markdown_waves_business_status": ["business_id", "status", "id"],
        "ix_pricekit_markdown_waves_plan_status": ["plan_id", "status", "id"],
        "ix_pricekit_markdown_waves_status": ["status", "id"],
    }
    assert indexes["pricekit_markdown_history"] == {
        "ix_pricekit_markdown_history_variant": ["business_id", "variant_id", "at", "id"],
        "ix_pricekit_markdown_history_wave": ["wave_id", "at", "id"],
    }
    items_key = inspector.get_pk_constraint(markdown_wave_items.name)
    assert items_key["constrained_columns"] == ["wave_id", "variant_id"]
    (foreign,) = inspector.get_foreign_keys(markdown_wave_items.name)
    assert (foreign["referred_table"], foreign["constrained_columns"]) == (
        "pricekit_markdown_waves",
        ["wave_id"],
    )
    names = [
        name
        for table in (markdown_plans, markdown_waves, markdown_wave_items, markdown_history)
        for name in [table.name, *(ix.name for ix in table.indexes)]
        + [str(c.name) for c in table.constraints]
    ]
    assert all(len(name) < 63 for name in names), names
    if sql_engine.dialect.name == "postgresql":
        columns = {c["name"]: c for c in inspector.get_columns(markdown_waves.name)}
        assert columns["id"]["type"].collation == "C"
        assert str(columns["scopes"]["type"]) == "JSONB"


def test_rows_hold_minor_units_exact_decimals_and_utc_json(sql_engine: Engine) -> None:
    SqlMarkdownWaveRepository(sql_engine).add(
        wave(), [item("v1", margin_percent=Decimal("-5.2104"))]
    )
    with sql_engine.connect() as conn:
        row = conn.execute(select(markdown_waves)).one()
        stored_item = conn.execute(select(markdown_wave_items)).one()
        raw_value = conn.execute(text("SELECT value FROM pricekit_markdown_waves")).scalar_one()
    assert (row.floor_price_minor, row.currency, raw_value) == (199, "USD", "25.50")
    assert row.scopes == [{"type": "product", "ids": ["prod-b", "prod-a"]}]
    (location,) = row.locations
    assert location["activate_at"] == "2026-03-02T12:00:00+00:00"
    assert (location["status"], location["activated_at"]) == ("pending", None)
    assert (stored_item.markdown_price_minor, stored_item.cost_minor) == (1500, 900)
    assert stored_item.margin_percent == Decimal("-5.2104")
    found = SqlMarkdownWaveRepository(sql_engine).get("w1")
    assert found == wave()
    assert found is not None
    assert found.locations[0].activate_at is not None
    assert found.locations[0].activate_at.tzinfo is UTC


def test_ids_sort_by_code_point_like_the_in_memory_repositories(sql_engine: Engine) -> None:
    ids = ["b", "B", "a", "_x", "Z9", "é", "a10", "a2"]
    plans = SqlMarkdownPlanRepository(sql_engine)
    waves = SqlMarkdownWaveRepository(sql_engine)
    for plan_id in ids:
        plans.add(plan(plan_id))
        waves.add(wave(plan_id), [item(v, wave_id=plan_id) for v in ids])
    assert [p.id for p in plans.find("b1").items] == sorted(ids)
    assert [w.id for w in waves.find(None).items] == sorted(ids)
    assert [i.variant_id for i in waves.items("a")] == sorted(ids)


# -- errors and all-or-nothing ------------------------------------------------------------------


def _failures(
    plans: MarkdownPlanRepository,
    waves: MarkdownWaveRepository,
    history: MarkdownHistoryRepository,
) -> list[Any]:
    """Run failing calls on seeded repositories; what each raised, and what is stored after."""
    plans.add(plan("p1"))
    waves.add(wave("w1"), [item("v1"), item("v2")])
    history.add_many([entry("h1"), entry("h2", at=T0 + timedelta(minutes=1))])
    calls: list[Callable[[], object]] = [
        lambda: plans.add(plan("p1", name="again")),
        lambda: plans.replace(plan("p9")),
        lambda: plans.delete("p9"),
        lambda: plans.find("b1", offset=-1),
        lambda: waves.add(wave("w1", name="again"), [item("v9")]),
        lambda: waves.add(wave("w2"), [item("v1", wave_id="w1")]),
        lambda: waves.add(wave("w2"), [item("v1", wave_id="w2"), item("v1", wave_id="w2")]),
        lambda: waves.add(wave("w1"), [item("v3"), item("v3")]),
        lambda: waves.save(wave("w9")),
        lambda: waves.save(wave("w1", name="x"), items=[item("v5"), item("v4"), item("v5")]),
        lambda: waves.delete("w9"),
        lambda: waves.find(None, limit=0),
        lambda: history.add_many([entry("h3"), entry("h1")]),
        lambda: history.add_many([entry("h4"), entry("h5"), entry("h4")]),
        lambda: history.add_many([entry("h6"), entry("h6"), entry("h2")]),
        lambda: history.add_many([entry("h7"), entry("h8", at=datetime(2026, 3, 1, 9))]),
        lambda: history.for_wave("w1", limit=1001),
    ]
    outcome: list[Any] = []
    for call in calls:
        try:
            call()
        except PricekitError as exc:
            outcome.append((type(exc).__name__, vars(exc)))
        else:
            outcome.append("no error")
    outcome.append(plans.find("b1"))
    outcome.append(waves.find(None))
    outcome.append(waves.items("w1"))
    outcome.append(waves.items("w2"))
    outcome.append(history.for_wave("w1"))
    return outcome


def test_errors_and_what_is_left_match_the_in_memory_repositories(sql_engine: Engine) -> None:
    expected = _failures(
        InMemoryMarkdownPlanRepository(),
        InMemoryMarkdownWaveRepository(),
        InMemoryMarkdownHistoryRepository(),
    )
    got = _failures(
        SqlMarkdownPlanRepository(sql_engine),
        SqlMarkdownWaveRepository(sql_engine),
        SqlMarkdownHistoryRepository(sql_engine),
    )
    assert got == expected
    # The comparison is only worth something if every call failed, each its own way.
    errors = [(name, e.get("entity"), e.get("id"), e.get("field")) for name, e in expected[:17]]
    assert errors == [
        ("ConflictError", "markdown_plan", "p1", None),
        ("NotFoundError", "markdown_plan", "p9", None),
        ("NotFoundError", "markdown_plan", "p9", None),
        ("InvalidValueError", None, None, "offset"),
        ("ConflictError", "markdown_wave", "w1", None),
        ("InvalidValueError", None, None, "items"),
        ("ConflictError", "wave_item", "v1", None),
        ("ConflictError", "wave_item", "v3", None),
        ("NotFoundError", "markdown_wave", "w9", None),
        ("ConflictError", "wave_item", "v5", None),
        ("NotFoundError", "markdown_wave", "w9", None),
        ("InvalidValueError", None, None, "limit"),
        ("ConflictError", "markdown_history_entry", "h1", None),
        ("ConflictError", "markdown_history_entry", "h4", None),
        ("ConflictError", "markdown_history_entry", "h6", None),
        ("InvalidValueError", None, None, "at"),
        ("InvalidValueError", None, None, "limit"),
    ]
    assert expected[14][1]["reason"] == "id given twice in one batch"
    assert expected[9][1]["details"] == {"wave_id": "w1"}
    assert count(sql_engine, markdown_wave_items) == 2
    assert count(sql_engine, markdown_history) == 2


def test_a_wave_save_that_fails_midway_leaves_the_wave_and_items(
    sql_engine: Engine, statements: list[str]
) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    waves.add(wave(), [item("v1"), item("v2")])
    statements.clear()
    # The third item's margin is no number: the database layer refuses it while
    # inserting the new items, after the wave was updated and the old items deleted.
    bad = [item("v3"), item("v4"), item("v5", margin_percent=Decimal("NaN"))]
    with pytest.raises(InvalidValueError, match="finite"):
        waves.save(wave(name="Renamed", status=WaveStatus.ACTIVE), items=bad)
    assert any(s.startswith("UPDATE PRICEKIT_MARKDOWN_WAVES") for s in statements), statements
    assert any(s.startswith("DELETE FROM PRICEKIT_MARKDOWN_WAVE_ITEMS") for s in statements)
    assert waves.get("w1") == wave()
    assert waves.items("w1") == [item("v1"), item("v2")]
    assert waves.find("b1", statuses=[WaveStatus.ACTIVE]).total == 0


def test_an_add_that_fails_midway_stores_nothing(sql_engine: Engine, statements: list[str]) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    with pytest.raises(InvalidValueError):
        waves.add(wave(), [item("v1"), item("v2", margin_percent=Decimal("Infinity"))])
    assert "INSERT INTO PRICEKIT_MARKDOWN_WAVES" in statements, statements
    assert waves.get("w1") is None
    assert count(sql_engine, markdown_waves) == count(sql_engine, markdown_wave_items) == 0
    waves.add(wave(), [item("v1")])
    assert [i.variant_id for i in waves.items("w1")] == ["v1"]


def test_values_the_tables_cannot_hold_are_refused_with_nothing_written(
    sql_engine: Engine,
) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    history = SqlMarkdownHistoryRepository(sql_engine)
    with pytest.raises(InvalidValueError) as caught:
        waves.add(wave(), [item("v1"), item("v2", cost=Money.of("9.00", "EUR"))])
    assert caught.value.field == "items.cost"
    with pytest.raises(InvalidValueError) as caught:
        waves.add(wave(), [item("v1", regular_price=Money(2**63, "USD"))])
    assert caught.value.field == "items.regular_price"
    with pytest.raises(InvalidValueError) as caught:
        history.add_many([entry("h1"), entry("h2", price_after=Money(1500, "CAD"))])
    assert caught.value.field == "price_after"
    assert count(sql_engine, markdown_waves) == count(sql_engine, markdown_history) == 0
    # An entry without prices (a location-level skip) has no currency at all.
    skip = entry("h3", variant_id=None, price_before=None, price_after=None, note="closed")
    history.add_many([skip])
    assert history.for_wave("w1").items == (skip,)


def test_a_database_error_mid_save_rolls_the_call_back(sql_engine: Engine) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    waves.add(wave(), [item("v1")])
    with sql_engine.connect() as conn:
        in_conn = SqlMarkdownWaveRepository(conn)
        conn.execute(text("DROP TABLE pricekit_markdown_wave_items"))
        with pytest.raises(BackendUnavailableError) as caught:
            in_conn.save(wave(name="Renamed"), items=[item("v2")])
        assert caught.value.operation == "save a markdown wave"
        assert caught.value.backend == sql_engine.dialect.name
        assert in_conn.get("w1") == wave()  # the wave's update went with the savepoint
        conn.rollback()  # and the table comes back
    assert waves.get("w1") == wave()
    assert waves.items("w1") == [item("v1")]


def test_delete_takes_the_items_and_the_key_refuses_orphans(sql_engine: Engine) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    waves.add(wave("w1"), [item("v1"), item("v2")])
    waves.add(wave("w2"), [item("v1", wave_id="w2")])
    waves.delete("w1")
    assert count(sql_engine, markdown_wave_items) == 1
    row = {
        **{c.name: None for c in markdown_wave_items.columns},
        "wave_id": "no-such-wave",
        "variant_id": "v1",
        "product_id": "p",
        "currency": "USD",
        "regular_price_minor": 1,
        "base_price_minor": 1,
        "markdown_price_minor": 1,
        "below_cost": False,
        "excluded": False,
    }
    with pytest.raises(IntegrityError), sql_engine.begin() as conn:
        conn.execute(insert(markdown_wave_items).values(row))


# -- binds and concurrency ------------------------------------------------------------------------


def test_connection_and_session_binds_join_the_callers_transaction(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        plans, waves = SqlMarkdownPlanRepository(conn), SqlMarkdownWaveRepository(conn)
        history = SqlMarkdownHistoryRepository(conn)
        plans.add(plan())
        waves.add(wave(), [item("v1")])
        with pytest.raises(ConflictError):
            history.add_many([entry("h1"), entry("h1")])
        history.add_many([entry("h2")])
        assert plans.get("p1") == plan()  # the failed call left the earlier work
        conn.rollback()
    assert SqlMarkdownPlanRepository(sql_engine).get("p1") is None
    assert count(sql_engine, markdown_waves) == count(sql_engine, markdown_history) == 0

    with Session(sql_engine) as session:
        SqlMarkdownPlanRepository(session).add(plan())
        session.rollback()
        SqlMarkdownPlanRepository(session).add(plan())
        SqlMarkdownWaveRepository(session).add(wave(), [item("v1")])
        SqlMarkdownHistoryRepository(session).add_many([entry("h1")])
        assert SqlMarkdownPlanRepository(session).get("p1") == plan()
        session.commit()
    assert SqlMarkdownPlanRepository(sql_engine).get("p1") == plan()
    assert SqlMarkdownWaveRepository(sql_engine).items("w1") == [item("v1")]
    assert SqlMarkdownHistoryRepository(sql_engine).for_wave("w1").total == 1


def test_a_save_waiting_on_another_replaces_all_of_its_items(sql_engine: Engine) -> None:
    waves = SqlMarkdownWaveRepository(sql_engine)
    waves.add(wave(), [item("v0")])
    errors: list[BaseException] = []

    def second() -> None:
        try:
            waves.save(wave(name="second"), items=[item("b1")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with sql_engine.connect() as conn:
        SqlMarkdownWaveRepository(conn).save(wave(name="first"), items=[item("a1"), item("a2")])
        # The first save's transaction is still open: the second must wait for it,
        # then replace the items it committed, not the ones it saw before waiting.
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()
        conn.commit()
    thread.join()
    assert errors == []
    found = waves.get("w1")
    assert found is not None
    assert found.name == "second"
    assert waves.items("w1") == [item("b1")]


# -- the markdown service over the SQL repositories ----------------------------------------------

BIZ = "biz"


def _catalog() -> Catalog:
    return Catalog(
        categories=[
            Category(id="apparel", name="Apparel"),
            Category(id="tees", name="Tees", parent_id="apparel"),
        ],
        products=[
            Product(id="tee", name="Tee", category_id="tees"),
            Product(id="cap", name="Cap", category_id="apparel"),
        ],
        variants=[
            Variant(id="tee-m", product_id="tee", sku="T-M", price=usd("20.00"), cost=usd("8.00")),
            Variant(id="tee-l", product_id="tee", sku="T-L", price=usd("22.00"), cost=usd("8.00")),
            Variant(id="cap-1", product_id="cap", sku="C-1", price=usd("12.00"), cost=usd("9.50")),
        ],
    )


def _cycle(
    plans: MarkdownPlanRepository,
    waves: MarkdownWaveRepository,
    history: MarkdownHistoryRepository,
) -> dict[str, Any]:
    """Plan, staggered wave, compound wave, reversals, plan deletion: what each step gave."""
    clock = ManualClock(T0)
    catalog = InMemoryCatalogRepository(_catalog())
    directory = InMemoryLocationDirectory({BIZ: {"s1": True, "s2": True, "s3": False}})

    def service() -> MarkdownService:
        return MarkdownService(
            plans=plans,
            waves=waves,
            history=history,
            catalog=catalog,
            locations=directory,
            clock=clock,
        )

    svc = service()
    out: dict[str, Any] = {}
    out["plan"] = svc.create_plan({"id": "spring", "business_id": BIZ, "name": "Spring"})
    out["w1"] = svc.create_wave(
        "spring",
        {
            "id": "w1",
            "name": "First cut",
            "method": "percent",
            "value": Decimal("25"),
            "reason": "seasonal_clearance",
            "stage": "initial",
            "currency": "USD",
            "min_margin_percent": Decimal("30"),
            "scopes": [{"type": "category", "ids": ["apparel"]}],
            "locations": [
                {"location_id": "s1"},
                {"location_id": "s2", "activate_at": T0 + timedelta(days=1)},
                {"location_id": "s3"},
            ],
        },
    )
    out["w1 items"] = svc.wave_items("w1")
    out["activate w1"] = svc.activate("w1")
    clock.advance(timedelta(days=2))
    out["due"] = svc.activate_due()
    out["w2"] = svc.create_wave(
        "spring",
        {
            "id": "w2",
            "name": "Second cut",
            "method": "amount",
            "value": Decimal("1.50"),
            "mode": "compound",
            "reason": "slow_moving",
            "currency": "USD",
            "floor_price": {"amount": "10.00", "currency": "USD"},
            "scopes": [{"type": "product", "ids": ["tee"]}],
            "locations": [{"location_id": "s1"}],
        },
    )
    out["w2 items"] = svc.wave_items("w2")
    out["activate w2"] = svc.activate("w2", confirm_below_cost=True)
    clock.advance(timedelta(hours=1))
    # A fresh service rebuilds its active-markdown index from the repositories.
    fresh = service()
    out["in effect"] = [
        fresh.active_markdown_for_variant(BIZ, variant, location_id=location)
        for variant in ("tee-m", "tee-l", "cap-1")
        for location in ("s1", "s2", "s3")
    ]
    out["reverse w1"] = fresh.reverse("w1")
    out["after w1"] = [
        fresh.active_markdown_for_variant(BIZ, "tee-m", location_id=location)
        for location in ("s1", "s2")
    ]
    out["reverse w2"] = fresh.reverse("w2")
    out["live"] = fresh.list_waves("spring", statuses=[WaveStatus.ACTIVE, WaveStatus.SCHEDULED])
    out["w1 history"] = fresh.wave_history("w1", limit=1000)
    out["tee-m history"] = fresh.variant_history(BIZ, "tee-m")
    out["deleted"] = fresh.delete_plan("spring")
    out["plans"] = plans.find(BIZ)
    out["waves"] = waves.find(None)
    out["items left"] = waves.items("w1") + waves.items("w2")
    out["history left"] = history.for_wave("w2").total
    return out


def test_the_markdown_service_runs_the_same_over_sql_as_in_memory(sql_engine: Engine) -> None:
    expected = _cycle(
        InMemoryMarkdownPlanRepository(),
        InMemoryMarkdownWaveRepository(),
        InMemoryMarkdownHistoryRepository(),
    )
    got = _cycle(
        SqlMarkdownPlanRepository(sql_engine),
        SqlMarkdownWaveRepository(sql_engine),
        SqlMarkdownHistoryRepository(sql_engine),
    )
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key

    # The cycle did what it set out to do (so the comparison above means something).
    first = expected["activate w1"]
    assert (first.activated, first.skipped, first.pending) == (("s1",), ("s3",), ("s2",))
    assert first.wave.status is WaveStatus.SCHEDULED
    (due,) = expected["due"]
    assert (due.activated, due.wave.status) == (("s2",), WaveStatus.ACTIVE)
    cap = next(i for i in expected["w1 items"] if i.variant_id == "cap-1")
    assert (cap.excluded, cap.margin_percent is not None) == (True, True)
    stacked = next(i for i in expected["w2 items"] if i.variant_id == "tee-m")
    assert (stacked.base_price, stacked.markdown_price) == (usd("15.00"), usd("13.50"))
    assert stacked.stacked_on_wave_id == "w1"
    in_effect = {
        (m.variant_id, m.location_id): (m.wave_id, m.price)
        for m in expected["in effect"]
        if m is not None
    }
    assert in_effect[("tee-m", "s1")] == ("w2", usd("13.50"))
    assert in_effect[("tee-m", "s2")] == ("w1", usd("15.00"))
    assert ("tee-m", "s3") not in in_effect
    assert expected["reverse w1"].reversed == ("s1", "s2")
    assert [m and m.wave_id for m in expected["after w1"]] == ["w2", None]
    assert expected["live"].total == 0
    actions = [e.action for e in expected["w1 history"].items]
    assert actions.count(HistoryAction.SKIPPED) == 1
    assert actions.count(HistoryAction.ACTIVATED) == actions.count(HistoryAction.REVERSED) == 4
    assert expected["plans"].total == expected["waves"].total == 0
    assert expected["items left"] == []
    assert expected["history left"] > 0
