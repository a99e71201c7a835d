"""pricekit's own ``MetaData`` and the column types its tables share.

Every table is named ``pricekit_*`` and every constraint and index follows one
naming convention, so the tables sit beside a host's own without clashing and
Alembic can name what it creates. Values that must come back exactly are never
stored as floating point:

- money is two columns, the amount in integer minor units (``BIGINT``) and the
  ISO 4217 code;
- instants are stored in UTC (``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, ISO
  text on SQLite, which sorts as time does) and come back aware, in UTC;
- quantities that queries compare (a price tier's ``min_qty``) are integer
  millionths (``BIGINT``); other decimals are their exact text;
- nested structures (conditions, rewards, restrictions) are JSON, ``JSONB`` on
  PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

from pricekit.errors import InvalidValueError
from pricekit.money import Money

__all__ = [
    "ID_LENGTH",
    "IN_CHUNK",
    "MICRO",
    "NAMING_CONVENTION",
    "TABLE_PREFIX",
    "DecimalText",
    "Json",
    "UtcDateTime",
    "chunked",
    "from_micro",
    "id_type",
    "metadata",
    "minor_units",
    "to_micro",
]

TABLE_PREFIX = "pricekit_"
"""Every table pricekit creates starts with this."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""How constraints and indexes are named (Alembic needs names to alter them)."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""pricekit's tables, apart from the host's: pass it to Alembic's ``target_metadata``."""

MICRO = 1_000_000
"""Quantities compared in SQL are stored as integer millionths."""

Json = JSON().with_variant(JSONB(), "postgresql")
"""JSON, stored as ``JSONB`` on PostgreSQL."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC, read back aware in UTC.

    A naive datetime is refused, so no row ever holds an instant whose zone is a
    guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """To UTC (naive UTC where the database keeps no offset)."""
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise InvalidValueError(
                field="datetime", value=value, reason="must be a timezone-aware datetime"
            )
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware, in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """A decimal kept as its exact text: ``Decimal("2.125")`` comes back as itself."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        """The decimal's text."""
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidValueError(field="decimal", value=value, reason="must be a finite Decimal")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """The decimal the text spells."""
        return None if value is None else Decimal(str(value))


def to_micro(value: Decimal, *, field: str) -> int:
    """``value`` in integer millionths, for a column SQL compares.

    Raises:
        InvalidValueError: ``value`` has more than six decimal places, or does
            not fit a ``BIGINT``; the error names ``field``.
    """
    scaled = value * MICRO
    if scaled != scaled.to_integral_value():
        raise InvalidValueError(
            field=field, value=value, reason="the database keeps at most 6 decimal places"
        )
    micro = int(scaled)
    if not -(2**63) <= micro < 2**63:
        raise InvalidValueError(field=field, value=value, reason="too large for the database")
    return micro


def from_micro(micro: int) -> Decimal:
    """The decimal that :func:`to_micro` stored, without trailing zeros (``2500000`` -> ``2.5``)."""
    value = Decimal(micro).scaleb(-6)
    integral = value.to_integral_value()
    return integral.quantize(Decimal(1)) if value == integral else value.normalize()


ID_LENGTH = 255
"""The longest id pricekit accepts (``EntityId``)."""

IN_CHUNK = 500
"""The most values one ``IN (...)`` list binds (databases cap bound parameters)."""

_BIGINT = range(-(2**63), 2**63)


def id_type(length: int = ID_LENGTH) -> String:
    """The type of an id column: ``VARCHAR(length)``, in the ``C`` collation on PostgreSQL.

    The ``C`` collation orders ids by code point, as Python's ``sorted`` (and
    SQLite) do, whatever the database's locale; equality is unchanged.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def chunked(values: Sequence[str]) -> Iterator[Sequence[str]]:
    """``values`` in slices small enough for one ``IN (...)`` list."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def minor_units(money: Money, *, field: str) -> int:
    """The amount's minor units, refused if a ``BIGINT`` cannot hold them.

    Raises:
        InvalidValueError: The amount is out of the ``BIGINT`` range (names ``field``).
    """
    minor = money.minor_units
    if minor not in _BIGINT:
        raise InvalidValueError(field=field, value=str(money), reason="too large for the database")
    return minor
