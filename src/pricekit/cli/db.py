"""``pricekit db``: pricekit's schema on a database (its Alembic migrations).

- ``pricekit db upgrade [--db URL]`` brings the database's pricekit tables up
  to the newest migration (safe to run on every deploy: applied revisions are
  skipped); ``--sql`` prints the SQL instead, for a database administrator,
  without connecting (from an empty database, or from ``--from REV``).
- ``pricekit db current [--db URL] [--json]`` shows the database's revision
  and the newest one this pricekit ships; ``--check`` exits 5 when they differ.

A database that cannot be reached exits 5 with one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pricekit.cli.main import ExitCode, db_option, fail, json_option, reports_errors
from pricekit.cli.store import engine_for
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.sqlalchemy import current_revision, head_revision, upgrade, upgrade_sql

__all__ = ["db"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _shown(url: str) -> str:
    """The URL as it may be shown: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _unavailable(engine: Engine, url: str, error: SQLAlchemyError) -> BackendUnavailableError:
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()
    return BackendUnavailableError(
        backend=engine.dialect.name,
        operation=f"connect to {_shown(url)}",
        cause=cause[0] if cause else type(error).__name__,
    )


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


db: click.Group = click.Group(
    "db", help="Migrate the database's pricekit tables, or see their revision."
)
"""The ``pricekit db`` command group."""


@db.command("upgrade")
@db_option
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print the SQL the upgrade would run (for the URL's dialect) instead of running it; "
    "connects to nothing.",
)
@click.option(
    "--from",
    "start",
    metavar="REV",
    default=None,
    help="With --sql: the revision the database is at (default: an empty database).",
)
@json_option
@reports_errors
def upgrade_command(*, db_url: str, as_sql: bool, start: str | None, as_json: bool) -> None:
    """Bring the database's pricekit tables up to the newest migration.

    Safe to run on every deploy: revisions already applied are skipped. The
    migrations keep their own version table (pricekit_alembic_version), apart
    from a host's own Alembic history.
    """
    if as_sql:
        if as_json:
            raise fail("--sql prints SQL; it cannot be combined with --json", ExitCode.USAGE)
        try:
            dialect = make_url(db_url).get_backend_name()
        except ArgumentError as error:
            raise InvalidValueError(
                field="db", value=db_url, reason=f"not a database URL ({error})"
            ) from None
        try:
            script = upgrade_sql(dialect, start=start)
        except Exception as error:  # an unknown dialect or revision, as Alembic words it
            raise fail(f"cannot write the upgrade SQL for {dialect!r}: {error}") from error
        click.echo(script, nl=not script.endswith("\n"))
        return
    if start is not None:
        raise fail("--from goes with --sql (an upgrade reads the revision itself)", ExitCode.USAGE)
    engine = engine_for(db_url)
    try:
        try:
            before = current_revision(engine)
            upgrade(engine)
            after = current_revision(engine)
        except SQLAlchemyError as error:
            raise _unavailable(engine, db_url, error) from None
    finally:
        engine.dispose()
    changed = before != after
    if as_json:
        _echo_json(
            {
                "db": _shown(db_url),
                "from": before,
                "to": after,
                "head": head_revision(),
                "upgraded": changed,
            }
        )
    elif changed:
        click.echo(f"upgraded {_shown(db_url)} from {before or 'an empty schema'} to {after}")
    else:
        click.echo(f"{_shown(db_url)} is already at {after} (the newest)")


@db.command("current")
@db_option
@click.option("--check", is_flag=True, help="Exit 5 unless the database is at the newest revision.")
@json_option
@reports_errors
def current_command(*, db_url: str, check: bool, as_json: bool) -> None:
    """Show the database's pricekit revision and the newest one this pricekit ships.

    JSON keys: db, current (null before the first upgrade), head, up_to_date.
    """
    engine = engine_for(db_url)
    try:
        try:
            current = current_revision(engine)
        except SQLAlchemyError as error:
            raise _unavailable(engine, db_url, error) from None
    finally:
        engine.dispose()
    head = head_revision()
    up_to_date = current == head
    if as_json:
        _echo_json(
            {"db": _shown(db_url), "current": current, "head": head, "up_to_date": up_to_date}
        )
    else:
        state = (
            "up to date"
            if up_to_date
            else f"behind: run `pricekit db upgrade --db {_shown(db_url)}`"
        )
        click.echo(f"database: {_shown(db_url)}")
        click.echo(f"current:  {current or '(no pricekit tables)'}")
        click.echo(f"head:     {head}")
        click.echo(f"state:    {state}")
    if check and not up_to_date:
        raise fail(
            f"the database is at {current or 'no revision'}, not {head}: "
            f"run `pricekit db upgrade --db {_shown(db_url)}`",
            ExitCode.UNAVAILABLE,
        )
