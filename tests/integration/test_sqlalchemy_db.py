"""The SQL adapter's shared parts: column types, transactions, error translation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.sqlalchemy import SqlRepository, create_sqlite_engine, metadata
from pricekit.ext.sqlalchemy._schema import DecimalText, UtcDateTime, from_micro, to_micro

scratch = MetaData()
samples = Table(
    "pricekit_test_samples",
    scratch,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime),
    Column("amount", DecimalText),
    Column("name", String(20), unique=True),
)


@pytest.fixture
def engine(sql_engine: Engine) -> Iterator[Engine]:
    scratch.create_all(sql_engine)
    yield sql_engine
    scratch.drop_all(sql_engine)


class Samples(SqlRepository):
    """A repository of the scratch table, to drive the base class."""

    def add(self, *rows: dict[str, object]) -> None:
        with self._transaction("add samples") as conn:
            for row in rows:
                conn.execute(insert(samples).values(**row))

    def names(self) -> list[str]:
        with self._transaction("read samples") as conn:
            return list(conn.scalars(select(samples.c.name).order_by(samples.c.id)))

    def broken(self) -> None:
        with self._transaction("run a broken statement") as conn:
            conn.execute(insert(samples).values(id=99, name="half"))
            conn.execute(text("SELECT * FROM no_such_table"))


def test_the_naming_convention_prefixes_every_table() -> None:
    assert metadata.naming_convention["pk"] == "pk_%(table_name)s"
    assert all(name.startswith("pricekit_") for name in metadata.tables)


def test_instants_come_back_aware_in_utc_at_the_same_instant(engine: Engine) -> None:
    phoenix = timezone(timedelta(hours=-7))
    at = datetime(2026, 11, 20, 11, 0, 0, 123_456, tzinfo=phoenix)
    Samples(engine).add({"id": 1, "at": at, "amount": Decimal("2.125")})
    with engine.connect() as conn:
        stored, amount = conn.execute(select(samples.c.at, samples.c.amount)).one()
    assert stored == at
    assert stored.tzinfo is UTC
    assert stored.microsecond == 123_456
    assert amount == Decimal("2.125")
    assert str(amount) == "2.125"


def test_instants_sort_as_time_does(engine: Engine) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    offsets = [timedelta(hours=h, microseconds=m) for h, m in ((5, 0), (-3, 1), (0, 999_999))]
    rows = [{"id": n, "at": base + off} for n, off in enumerate(offsets)]
    Samples(engine).add(*rows)
    with engine.connect() as conn:
        ordered = list(conn.scalars(select(samples.c.id).order_by(samples.c.at)))
        later = list(conn.scalars(select(samples.c.id).where(samples.c.at > base)))
    assert ordered == [1, 2, 0]
    assert sorted(later) == [0, 2]


def test_a_naive_instant_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidValueError, match="timezone-aware"):
        Samples(engine).add({"id": 1, "at": datetime(2026, 1, 1)})
    assert Samples(engine).names() == []


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6))
def test_micro_round_trips_every_six_place_decimal(value: Decimal) -> None:
    assert from_micro(to_micro(value, field="qty")) == value


def test_micro_keeps_plain_text_and_refuses_what_it_cannot_hold() -> None:
    assert str(from_micro(to_micro(Decimal("2.500"), field="qty"))) == "2.5"
    assert str(from_micro(to_micro(Decimal(10), field="qty"))) == "10"
    assert str(from_micro(1)) == "0.000001"
    with pytest.raises(InvalidValueError) as info:
        to_micro(Decimal("0.0000001"), field="min_qty")
    assert info.value.field == "min_qty"
    with pytest.raises(InvalidValueError):
        to_micro(Decimal(10) ** 13, field="min_qty")


def test_an_engine_call_is_all_or_nothing(engine: Engine) -> None:
    repo = Samples(engine)
    with pytest.raises(IntegrityError):
        repo.add({"id": 1, "name": "a"}, {"id": 2, "name": "a"})
    assert repo.names() == []


def test_a_database_error_is_a_backend_error_and_rolls_back(engine: Engine) -> None:
    repo = Samples(engine)
    with pytest.raises(BackendUnavailableError) as info:
        repo.broken()
    assert info.value.backend == engine.dialect.name
    assert info.value.operation == "run a broken statement"
    assert "no_such_table" in str(info.value)
    assert repo.names() == []


def test_on_a_connection_a_failed_call_leaves_the_callers_work(engine: Engine) -> None:
    with engine.connect() as conn:
        repo = Samples(conn)
        repo.add({"id": 1, "name": "kept"})
        with pytest.raises(IntegrityError):
            repo.add({"id": 2, "name": "new"}, {"id": 3, "name": "kept"})
        assert repo.names() == ["kept"]
        conn.commit()
    assert Samples(engine).names() == ["kept"]


def test_on_a_connection_nothing_lands_until_the_caller_commits(engine: Engine) -> None:
    with engine.connect() as conn:
        Samples(conn).add({"id": 1, "name": "pending"})
        conn.rollback()
    assert Samples(engine).names() == []


def test_on_a_session_calls_join_the_sessions_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        repo = Samples(session)
        repo.add({"id": 1, "name": "one"})
        with pytest.raises(IntegrityError):
            repo.add({"id": 1, "name": "again"})
        repo.add({"id": 2, "name": "two"})
        session.commit()
    assert Samples(engine).names() == ["one", "two"]


def test_a_bind_that_is_not_sqlalchemy_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        Samples("sqlite:///x.db")  # type: ignore[arg-type]
    assert info.value.field == "bind"


def test_sqlite_engine_enforces_foreign_keys_and_writes_from_many_threads(tmp_path: Path) -> None:
    engine = create_sqlite_engine(tmp_path / "db.sqlite")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        scratch.create_all(engine)
        repo = Samples(engine)
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for k in range(10):
                    # read, then write: deadlocks under deferred transactions
                    with repo._transaction("count then add") as conn:
                        count = conn.execute(select(samples.c.id)).all()
                        conn.execute(
                            insert(samples).values(id=n * 100 + k, name=f"{n}-{len(count)}")
                        )
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(repo.names()) == 60
    finally:
        engine.dispose()


def test_sqlite_engine_in_memory_keeps_one_database() -> None:
    engine = create_sqlite_engine()
    scratch.create_all(engine)
    Samples(engine).add({"id": 1, "name": "here"})
    assert Samples(engine).names() == ["here"]
    plain = create_engine("sqlite://")
    scratch.create_all(plain)
    assert Samples(plain).names() == []


def test_sqlite_reads_do_not_wait_behind_a_writer(tmp_path: Path) -> None:
    engine = create_sqlite_engine(tmp_path / "db.sqlite", connect_args={"timeout": 0.2})
    try:
        scratch.create_all(engine)
        repo = Samples(engine)
        repo.add({"id": 1, "name": "committed"})
        with engine.connect() as writer, writer.begin():
            writer.execute(insert(samples).values(id=2, name="pending"))
            # the writer holds the write lock: a read-only call still reads the snapshot
            with repo._transaction("read", read_only=True) as conn:
                assert list(conn.scalars(select(samples.c.name))) == ["committed"]
            # a writing call waits for the lock, and gives up after the timeout
            with pytest.raises(BackendUnavailableError, match="locked"):
                repo.add({"id": 3, "name": "blocked"})
        assert repo.names() == ["committed", "pending"]
    finally:
        engine.dispose()
