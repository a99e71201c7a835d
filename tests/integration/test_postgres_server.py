"""Money round-trips exactly through a real PostgreSQL BIGINT column."""

import psycopg
import pytest
from psycopg import Connection

from pricekit.money import Money

pytestmark = pytest.mark.postgres

BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)


def test_money_round_trips_through_bigint_minor_units(postgresql: Connection) -> None:
    assert (BIGINT_MAX, BIGINT_MIN) == (9223372036854775807, -9223372036854775808)
    values = [
        Money(2599, "USD"),
        Money(-5, "USD"),
        Money(0, "EUR"),
        Money(1000, "JPY"),
        Money(1234, "KWD"),
        Money(BIGINT_MAX, "USD"),
        Money(BIGINT_MIN, "USD"),
    ]
    with postgresql.cursor() as cur:
        cur.execute(
            "CREATE TABLE prices ("
            " id SERIAL PRIMARY KEY,"
            " amount_minor BIGINT NOT NULL,"
            " currency CHAR(3) NOT NULL)"
        )
        cur.executemany(
            "INSERT INTO prices (amount_minor, currency) VALUES (%s, %s)",
            [(money.minor_units, money.currency.code) for money in values],
        )
        cur.execute("SELECT amount_minor, currency FROM prices ORDER BY id")
        rows = cur.fetchall()
    postgresql.commit()

    assert all(type(amount) is int for amount, _ in rows)
    assert [Money(amount, currency) for amount, currency in rows] == values
    assert rows[-2:] == [(BIGINT_MAX, "USD"), (BIGINT_MIN, "USD")]

    too_big = Money(BIGINT_MAX + 1, "USD")
    with postgresql.cursor() as cur, pytest.raises(psycopg.errors.NumericValueOutOfRange):
        cur.execute(
            "INSERT INTO prices (amount_minor, currency) VALUES (%s, %s)",
            (too_big.minor_units, too_big.currency.code),
        )
    postgresql.rollback()
    with postgresql.cursor() as cur:
        cur.execute("SELECT count(*), min(amount_minor), max(amount_minor) FROM prices")
        assert cur.fetchone() == (len(values), BIGINT_MIN, BIGINT_MAX)
