"""Running pricekit's Alembic migrations from code.

pricekit's migrations ship inside the package and keep their own version table,
``pricekit_alembic_version``, so they never mix with a host's Alembic history:
a host runs its own migrations and, beside them, :func:`upgrade`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from pricekit.errors import InvalidValueError
from pricekit.ext.sqlalchemy._schema import TABLE_PREFIX, DecimalText, UtcDateTime

__all__ = [
    "VERSION_TABLE",
    "current_revision",
    "downgrade",
    "head_revision",
    "include_object",
    "render_item",
    "upgrade",
    "upgrade_sql",
]

VERSION_TABLE = "pricekit_alembic_version"
"""Where the database's pricekit schema revision is kept."""

_MIGRATIONS = Path(__file__).with_name("migrations")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Only pricekit's tables (and what is on them) take part in migrations."""
    if type_ == "table":
        return name is not None and name.startswith(TABLE_PREFIX) and name != VERSION_TABLE
    table = getattr(obj, "table", None)
    return table is None or str(table.name).startswith(TABLE_PREFIX)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write pricekit's column types as plain SQLAlchemy ones in new migration scripts.

    A migration must not change when pricekit's Python types do, so scripts
    hold what the database holds: ``UtcDateTime`` is ``DateTime(timezone=True)``,
    ``DecimalText`` is ``String(64)``.
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, DecimalText):
        return "sa.String(length=64)"
    return False


def _config(**attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes.update(attributes)
    return config


@contextmanager
def _connection(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    elif isinstance(bind, Connection):
        if not bind.in_transaction():
            bind.begin()  # the caller's to commit; Alembic would commit one of its own
        yield bind
    else:
        raise InvalidValueError(
            field="bind", value=bind, reason="must be a SQLAlchemy Engine or Connection"
        )


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Bring the database's pricekit tables up to ``revision`` (the newest by default).

    Safe to run on every deploy: revisions already applied are skipped. With an
    ``Engine`` it runs in one transaction of its own; with a ``Connection`` it
    runs in the caller's, who commits.
    """
    with _connection(bind) as conn:
        command.upgrade(_config(connection=conn), revision)


def downgrade(bind: Engine | Connection, revision: str) -> None:
    """Take the pricekit tables back to ``revision`` (``"base"`` drops them all)."""
    with _connection(bind) as conn:
        command.downgrade(_config(connection=conn), revision)


def upgrade_sql(dialect: str, revision: str = "head", *, start: str | None = None) -> str:
    """The SQL :func:`upgrade` would run, as a script for a database administrator.

    Args:
        dialect: ``"postgresql"``, ``"sqlite"``, ...
        revision: Up to this revision.
        start: From this revision (``None``: from an empty database).
    """
    output = io.StringIO()
    span = f"{start}:{revision}" if start else revision
    command.upgrade(_config(dialect_name=dialect, output=output), span, sql=True)
    return output.getvalue()


def current_revision(bind: Engine | Connection) -> str | None:
    """The pricekit revision the database is at; ``None`` before the first upgrade."""
    with _connection(bind) as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str:
    """The newest revision this pricekit ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError("pricekit ships no migrations")
    return head
