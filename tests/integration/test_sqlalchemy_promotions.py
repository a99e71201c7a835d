"""The SQL promotion repositories, on SQLite and PostgreSQL: contracts, tables, atomicity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from pricekit.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidValueError,
    NotFoundError,
    PricekitError,
)
from pricekit.ext.sqlalchemy import create_sqlite_engine, metadata
from pricekit.ext.sqlalchemy.promotions import (
    SqlPromotionRepository,
    SqlPromotionUsageRepository,
    promotion_applications,
    promotion_customer_uses,
    promotions,
)
from pricekit.memory import InMemoryPromotionRepository
from pricekit.money import Money
from pricekit.pricing.models import Channel
from pricekit.promotions.models import (
    CartLine,
    Condition,
    ConditionType,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionApplication,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
)
from pricekit.promotions.repository import (
    PromotionRepository,
    RecordOutcome,
    RecordStatus,
    UsageSummary,
)
from pricekit.promotions.service import PromotionService
from pricekit.testing.contracts import (
    PromotionRepositoryContract,
    PromotionUsageRepositoryContract,
)
from pricekit.time import FixedClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class TestSqlPromotionRepository(PromotionRepositoryContract):
    @pytest.fixture
    def promotion_repository(self, sql_engine: Engine) -> PromotionRepository:
        return SqlPromotionRepository(sql_engine)


class TestSqlPromotionUsageRepository(PromotionUsageRepositoryContract):
    @pytest.fixture
    def promotion_usage_repository(self, sql_engine: Engine) -> SqlPromotionUsageRepository:
        return SqlPromotionUsageRepository(sql_engine)


# -- helpers --------------------------------------------------------------------------------


def _promotion(promotion_id: str = "p1", **fields: Any) -> Promotion:
    defaults: dict[str, Any] = {
        "id": promotion_id,
        "business_id": "b1",
        "name": "20% off tees",
        "type": PromotionType.PERCENTAGE_DISCOUNT,
        "scope": PromotionScope.LINE,
        "currency": "USD",
        "status": PromotionStatus.ACTIVE,
        "item_filter": ItemFilter(category_ids=frozenset({"tees"})),
        "rewards": (Reward(type=RewardType.PCT_OFF_ITEM, percent=Decimal(20)),),
    }
    return Promotion(**{**defaults, **fields})


def _application(
    sale_id: str,
    *,
    promotion_id: str = "p1",
    customer_id: str | None = None,
    application_id: str | None = None,
    discount: Money | None = None,
) -> PromotionApplication:
    return PromotionApplication(
        id=application_id or f"{promotion_id}-{sale_id}",
        promotion_id=promotion_id,
        business_id="b1",
        sale_id=sale_id,
        customer_id=customer_id,
        location_id="s1",
        discount=Money.of("1.50", "USD") if discount is None else discount,
        applied_at=T0,
    )


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def repo(sql_engine: Engine) -> SqlPromotionUsageRepository:
    return SqlPromotionUsageRepository(sql_engine)


# -- tables ---------------------------------------------------------------------------------


def test_the_tables_have_the_indexes_and_constraints_the_queries_need(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)
    indexes = {
        table: {
            ix["name"]: ix["column_names"]
            for ix in inspector.get_indexes(table)
            if "duplicates_constraint" not in ix  # PostgreSQL lists a unique constraint's index
        }
        for table in (promotions.name, promotion_applications.name)
    }
    assert indexes[promotions.name] == {
        "ix_pricekit_promotions_business_active": [
            "business_id",
            "status",
            "valid_from",
            "valid_to",
        ],
        "ix_pricekit_promotions_status_valid_to": ["status", "valid_to"],
        "ix_pricekit_promotions_status_valid_from": ["status", "valid_from"],
    }
    assert indexes[promotion_applications.name] == {
        "ix_pricekit_promotion_applications_customer_promotion": ["customer_id", "promotion_id"],
        "ix_pricekit_promotion_applications_promotion_applied": ["promotion_id", "applied_at"],
        "ix_pricekit_promotion_applications_business_applied": ["business_id", "applied_at"],
    }
    uniques = inspector.get_unique_constraints(promotion_applications.name)
    assert [u["column_names"] for u in uniques] == [["promotion_id", "sale_id"]]
    for table in (promotion_applications.name, promotion_customer_uses.name):
        (foreign_key,) = inspector.get_foreign_keys(table)
        assert foreign_key["referred_table"] == promotions.name
        assert foreign_key["constrained_columns"] == ["promotion_id"]
    counter_key = inspector.get_pk_constraint(promotion_customer_uses.name)
    assert counter_key["constrained_columns"] == ["promotion_id", "customer_id"]
    names: list[str | None] = []
    for table in (promotions.name, promotion_applications.name, promotion_customer_uses.name):
        names.append(table)
        names.extend(ix["name"] for ix in inspector.get_indexes(table))
        names.extend(uq["name"] for uq in inspector.get_unique_constraints(table))
        names.extend(fk["name"] for fk in inspector.get_foreign_keys(table))
    assert all(name is None or len(name) <= 63 for name in names), names
    if sql_engine.dialect.name == "postgresql":
        assert all(name is not None for name in names), names  # SQLite forgets some
        # Listings by id come in code point order whatever the database's locale.
        columns = {c["name"]: c["type"] for c in inspector.get_columns(promotions.name)}
        assert getattr(columns["id"], "collation", None) == "C"


def test_listings_order_ids_by_code_point_as_in_memory(
    repo: SqlPromotionUsageRepository,
) -> None:
    memory = InMemoryPromotionRepository()
    ids = ["b", "B", "a-2", "a10", "a2", "_x", "Z", "é", "ä", "1"]
    for promotion_id in ids:
        repo.add(_promotion(promotion_id))
        memory.add(_promotion(promotion_id))
    expected = sorted(ids)
    assert [p.id for p in memory.all_for_business("b1")] == expected
    assert [p.id for p in repo.all_for_business("b1")] == expected
    assert [p.id for p in repo.find("b1", limit=4, offset=3).items] == expected[3:7]


def test_stored_values_are_plain_columns_and_json(
    sql_engine: Engine, repo: SqlPromotionUsageRepository
) -> None:
    repo.add(
        _promotion(
            channel=Channel.POS,
            location_ids=frozenset({"s2", "s1"}),
            max_uses=10,
            max_uses_per_customer=2,
        )
    )
    with sql_engine.connect() as conn:
        row = conn.execute(select(promotions)).one()._mapping
    assert (row["status"], row["type"], row["channel"]) == ("active", "percentage_discount", "pos")
    assert (row["max_uses"], row["max_uses_per_customer"], row["current_uses"]) == (10, 2, 0)
    assert row["location_ids"] == ["s1", "s2"]
    assert row["rewards"][0]["percent"] == "20"
    assert row["item_filter"]["category_ids"] == ["tees"]
    repo.add(
        _promotion(
            "p2",
            scope=PromotionScope.CART,
            item_filter=None,
            rewards=(Reward(type=RewardType.PCT_OFF_ALL, percent=Decimal(5)),),
        )
    )
    with sql_engine.connect() as conn:
        unfiltered = conn.scalars(select(promotions.c.id).where(promotions.c.item_filter.is_(None)))
        assert list(unfiltered) == ["p2"]  # SQL NULL, not a JSON null
    stored = repo.get("p2")
    assert stored is not None
    assert stored.item_filter is None


def test_a_limit_too_large_for_the_database_is_refused_by_name(
    repo: SqlPromotionUsageRepository,
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        repo.add(_promotion(max_uses=2**63))
    assert caught.value.field == "max_uses"
    assert repo.get("p1") is None


def test_long_id_lists_are_read_in_slices(repo: SqlPromotionUsageRepository) -> None:
    """More ids than one IN list binds: every slice is read, the order stays by id."""
    for promotion_id in ("p1", "p5", "z9"):
        repo.add(_promotion(promotion_id))
        repo.record(
            _application("s1", promotion_id=promotion_id, customer_id="c1"),
            max_uses_per_customer=None,
        )
    many = [f"p{n}" for n in range(1200)] + ["z9"]
    assert repo.customer_uses("c1", many) == {"p1": 1, "p5": 1, "z9": 1}
    summary = repo.summary("b1", promotion_ids=list(reversed(many)))
    assert [row.promotion_id for row in summary] == ["p1", "p5", "z9"]


def test_sqlite_reads_do_not_wait_behind_a_recording(tmp_path: Path) -> None:
    engine = create_sqlite_engine(tmp_path / "db.sqlite", connect_args={"timeout": 0.2})
    try:
        metadata.create_all(engine)
        repo = SqlPromotionUsageRepository(engine)
        repo.add(_promotion())
        with engine.connect() as writer, writer.begin():
            SqlPromotionUsageRepository(writer).record(
                _application("s1", customer_id="c1"), max_uses_per_customer=None
            )
            # The writer holds the write lock: reads see the last commit.
            stored = repo.get("p1")
            assert stored is not None
            assert stored.current_uses == 0
            assert repo.find("b1").total == 1
            assert repo.all_for_business("b1") == [stored]
            assert repo.due(T0) == []
            assert repo.application_for_sale("p1", "s1") is None
            assert repo.applications("p1").total == 0
            assert repo.customer_uses("c1", ["p1"]) == {}
            assert repo.summary("b1") == []
            with pytest.raises(BackendUnavailableError, match="locked"):
                repo.record(_application("s2"), max_uses_per_customer=None)
        assert repo.customer_uses("c1", ["p1"]) == {"p1": 1}
    finally:
        engine.dispose()


# -- errors and atomicity -------------------------------------------------------------------


def test_a_duplicate_promotion_id_is_a_conflict_naming_it(
    sql_engine: Engine, repo: SqlPromotionUsageRepository
) -> None:
    repo.add(_promotion(name="First"))
    with pytest.raises(ConflictError) as caught:
        repo.add(_promotion(name="Second", business_id="b2"))
    assert (caught.value.entity, caught.value.id, caught.value.reason) == (
        "promotion",
        "p1",
        "duplicate id",
    )
    assert _count(sql_engine, promotions) == 1
    stored = repo.get("p1")
    assert stored is not None
    assert stored.name == "First"


def test_deleting_a_promotion_with_applications_is_a_conflict_and_keeps_everything(
    sql_engine: Engine, repo: SqlPromotionUsageRepository
) -> None:
    repo.add(_promotion())
    repo.record(_application("s1", customer_id="c1"), max_uses_per_customer=5)
    with pytest.raises(ConflictError) as caught:
        repo.delete("p1")
    assert (caught.value.entity, caught.value.id) == ("promotion", "p1")
    assert "applications" in caught.value.reason
    assert repo.get("p1") is not None
    assert _count(sql_engine, promotion_applications) == 1
    assert repo.customer_uses("c1", ["p1"]) == {"p1": 1}


def test_a_taken_application_id_is_a_conflict_and_nothing_is_counted(
    sql_engine: Engine, repo: SqlPromotionUsageRepository
) -> None:
    repo.add(_promotion("p1"))
    repo.add(_promotion("p2"))
    repo.record(_application("s1", application_id="a1"), max_uses_per_customer=None)
    with pytest.raises(ConflictError) as caught:
        repo.record(
            _application("s2", promotion_id="p2", customer_id="c1", application_id="a1"),
            max_uses_per_customer=3,
        )
    assert (caught.value.entity, caught.value.id) == ("promotion_application", "a1")
    stored = repo.get("p2")
    assert stored is not None
    assert stored.current_uses == 0
    assert repo.application_for_sale("p2", "s2") is None
    assert repo.customer_uses("c1", ["p2"]) == {}
    assert _count(sql_engine, promotion_applications) == 1
    assert _count(sql_engine, promotion_customer_uses) == 0


def test_a_database_error_mid_record_rolls_the_whole_call_back(
    sql_engine: Engine, repo: SqlPromotionUsageRepository
) -> None:
    """The counter and the application are written before the customer's counter fails."""
    repo.add(_promotion(max_uses=5))
    with sql_engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {promotion_customer_uses.name}"))
    with pytest.raises(BackendUnavailableError) as caught:
        repo.record(_application("s1", customer_id="c1"), max_uses_per_customer=2)
    assert caught.value.operation == "record a promotion application"
    stored = repo.get("p1")
    assert stored is not None
    assert stored.current_uses == 0
    assert repo.application_for_sale("p1", "s1") is None
    # Without a customer the counter table is not needed: the call goes through.
    outcome = repo.record(_application("s2"), max_uses_per_customer=2)
    assert (outcome.status, outcome.current_uses) == (RecordStatus.RECORDED, 1)


def test_a_connection_bind_joins_the_callers_transaction(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        outer = conn.begin()
        repo = SqlPromotionUsageRepository(conn)
        repo.add(_promotion(max_uses=1))
        assert repo.record(_application("s1"), max_uses_per_customer=None).current_uses == 1
        refused = repo.record(_application("s2"), max_uses_per_customer=None)
        assert refused == RecordOutcome(RecordStatus.LIMIT_REACHED, None, 1)
        with pytest.raises(ConflictError):  # a failed call rolls back its savepoint only
            repo.add(_promotion(name="Again"))
        assert repo.applications("p1").total == 1
        outer.rollback()
    after = SqlPromotionUsageRepository(sql_engine)
    assert after.get("p1") is None
    assert _count(sql_engine, promotion_applications) == 0


def test_a_session_bind_commits_with_the_session(sql_engine: Engine) -> None:
    with Session(sql_engine) as session:
        repo = SqlPromotionUsageRepository(session)
        repo.add(_promotion())
        repo.record(_application("s1", customer_id="c1"), max_uses_per_customer=1)
        refused = repo.record(_application("s2", customer_id="c1"), max_uses_per_customer=1)
        assert refused.status is RecordStatus.CUSTOMER_LIMIT_REACHED
        session.commit()
    after = SqlPromotionUsageRepository(sql_engine)
    stored = after.get("p1")
    assert stored is not None
    assert stored.current_uses == 1
    assert after.customer_uses("c1", ["p1"]) == {"p1": 1}
    assert after.application_for_sale("p1", "s2") is None


def test_only_postgresql_and_sqlite_binds_are_taken_for_usage() -> None:
    # A driver stand-in: the engine never connects.
    engine = create_engine(
        "mysql+pymysql://u@localhost/db", module=SimpleNamespace(paramstyle="format")
    )
    with pytest.raises(InvalidValueError) as caught:
        SqlPromotionUsageRepository(engine)
    assert (caught.value.field, caught.value.value) == ("bind", "mysql")
    SqlPromotionRepository(engine)  # plain promotions need no ON CONFLICT


# -- the same answers as the in-memory adapter ----------------------------------------------

Step = Callable[[Any], object]


def _steps() -> list[Step]:
    """Calls on both adapters, edge cases of record() first among them."""

    def record(sale: str, *, limit: int | None = None, **fields: Any) -> Step:
        return lambda r: r.record(_application(sale, **fields), max_uses_per_customer=limit)

    return [
        lambda r: r.add(_promotion("p1", max_uses=3)),
        lambda r: r.add(_promotion("p2")),
        lambda r: r.add(_promotion("p0", max_uses=0)),
        record("s1", promotion_id="nope", customer_id="c1", limit=0),  # NotFound first
        record("s1", customer_id="c1", limit=2),
        record("s1", customer_id="c1", limit=0, application_id="other"),  # duplicate first
        record("s2", customer_id="c1", limit=1),  # customer limit
        record("s2", customer_id="c1", limit=0, application_id="p1-s1"),  # customer before id
        record("s2", customer_id="c1", limit=-1),
        record("s2", customer_id="c2", limit=0),
        record("s2", customer_id="c2", limit=None, application_id="p1-s1"),  # id taken
        record("s2", customer_id="c2", limit=None),
        record("s3", promotion_id="p0", application_id="p1-s1"),  # limit before id
        record("s3"),
        record("s4", customer_id="c1", limit=0),  # max_uses before the customer's limit
        record("s2", customer_id="c1"),  # duplicate at the limit
        lambda r: r.replace(_promotion("p1", max_uses=None, current_uses=0)),
        record("s4", customer_id="c1", limit=None),
        record("s5", promotion_id="p2", customer_id="c1", limit=1),
        lambda r: r.customer_uses("c1", ["p1", "p2", "p0", "nope"]),
        lambda r: r.customer_uses("c2", ["p1"]),
        lambda r: [p.current_uses for p in r.all_for_business("b1")],
        lambda r: r.applications("p1"),
        lambda r: r.summary("b1"),
        lambda r: r.summary("b1", promotion_ids=[]),
        lambda r: r.delete("p0"),
        lambda r: r.delete("p2"),
    ]


def _outcome(step: Step, repository: Any) -> object:
    try:
        return step(repository)
    except PricekitError as exc:
        return (type(exc).__name__, str(exc))


def test_every_outcome_and_error_matches_the_in_memory_adapter(
    repo: SqlPromotionUsageRepository,
) -> None:
    memory = InMemoryPromotionRepository()
    for number, step in enumerate(_steps()):
        expected = _outcome(step, memory)
        assert _outcome(step, repo) == expected, f"step {number}"


def test_summary_keeps_to_the_business_of_promotion_and_application(
    repo: SqlPromotionUsageRepository,
) -> None:
    memory = InMemoryPromotionRepository()
    foreign = PromotionApplication(
        id="a-foreign",
        promotion_id="p1",
        business_id="b2",
        sale_id="s9",
        discount=Money.of("5.00", "USD"),
        applied_at=T0,
    )
    for store in (memory, repo):
        store.add(_promotion())
        store.record(_application("s1"), max_uses_per_customer=None)
        store.record(foreign, max_uses_per_customer=None)
    expected = [UsageSummary("p1", 1, Money.of("1.50", "USD"))]
    assert memory.summary("b1") == expected
    assert repo.summary("b1") == expected
    assert repo.summary("b2") == memory.summary("b2") == []


def test_naive_instants_are_refused_by_name(repo: SqlPromotionUsageRepository) -> None:
    naive = datetime(2026, 3, 1, 9, 0)
    for call, field in (
        (lambda: repo.find("b1", active_from=naive), "active_from"),
        (lambda: repo.find("b1", active_to=naive), "active_to"),
        (lambda: repo.summary("b1", start=naive), "start"),
        (lambda: repo.summary("b1", end=naive), "end"),
        (lambda: repo.due(naive), "now"),
    ):
        with pytest.raises(InvalidValueError) as caught:
            call()
        assert caught.value.field == field


def test_record_reports_an_unknown_promotion_before_anything_else(
    repo: SqlPromotionUsageRepository,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        repo.record(_application("s1", promotion_id="nope"), max_uses_per_customer=0)
    assert (caught.value.entity, caught.value.id) == ("promotion", "nope")


# -- the promotion service over the SQL repositories ----------------------------------------


@pytest.fixture
def services(sql_engine: Engine) -> tuple[PromotionService, PromotionService]:
    clock = FixedClock(T0)
    sql = SqlPromotionUsageRepository(sql_engine)
    memory = InMemoryPromotionRepository()
    return (
        PromotionService(promotions=memory, usage=memory, clock=clock),
        PromotionService(promotions=sql, usage=sql, clock=clock),
    )


def test_the_promotion_service_runs_end_to_end_over_sql_as_over_memory(
    services: tuple[PromotionService, PromotionService],
) -> None:
    cart = [
        CartLine(
            line_id="l1",
            product_id="tee",
            category_ids=frozenset({"tees"}),
            quantity=2,
            unit_price=Money.of("20.00", "USD"),
        ),
        CartLine(line_id="l2", product_id="mug", quantity=1, unit_price=Money.of("9.50", "USD")),
    ]
    context = EvaluationContext(business_id="b1", customer_id="c1", at=T0 + timedelta(hours=1))
    results = []
    for service in services:
        service.create_promotion(
            _promotion("tees", max_uses=2, max_uses_per_customer=1, priority=5, stackable=True)
        )
        service.create_promotion(
            _promotion(
                "spend",
                type=PromotionType.SPEND_THRESHOLD,
                scope=PromotionScope.CART,
                stackable=True,
                item_filter=None,
                conditions=(
                    Condition(type=ConditionType.MIN_AMOUNT, amount=Money.of("30.00", "USD")),
                ),
                rewards=(Reward(type=RewardType.FIXED_OFF_ALL, amount=Money.of("3.00", "USD")),),
                valid_from=T0 - timedelta(days=1),
                valid_to=T0 + timedelta(days=1),
            )
        )
        service.create_promotion(
            _promotion("later", status=PromotionStatus.SCHEDULED, valid_from=T0 + timedelta(days=2))
        )
        first = service.evaluate(cart, context)
        recorded = [
            service.record_application(
                applied.promotion_id,
                sale_id="sale-1",
                discount=applied.discount,
                customer_id="c1",
                applied_at=T0 + timedelta(hours=1),
            )
            for applied in first.applied
        ]
        again = service.evaluate(cart, context)  # c1 has used "tees" up
        summary = service.usage_summary("b1")
        listing = service.list_promotions("b1", statuses=["active"])
        results.append(
            (
                first,
                [(a.promotion_id, a.sale_id, a.discount) for a in recorded],
                again,
                summary,
                [(p.id, p.current_uses) for p in listing.items],
                service.get_promotion("later").status,
            )
        )
    memory_result, sql_result = results
    assert sql_result == memory_result
    first = sql_result[0]
    assert [a.promotion_id for a in first.applied] == ["tees", "spend"]
    assert first.total_discount.minor_units > 0
    assert sql_result[1][0][:2] == ("tees", "sale-1")
    assert "tees" not in [a.promotion_id for a in sql_result[2].applied]
    assert sql_result[4] == [("spend", 1), ("tees", 1)]
