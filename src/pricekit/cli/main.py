"""The ``pricekit`` command group, its exit codes and how errors are shown.

Exit codes:

| code | meaning |
| --- | --- |
| 0 | done |
| 1 | it ran, and what it ran failed (a sync run ``failed`` or ``partial``) |
| 2 | the command line is wrong (an unknown option, a missing argument) |
| 3 | bad input: a file missing or malformed, a value pricekit refuses |
| 4 | not found: an unknown location, item, wave or promotion |
| 5 | the database or another backend cannot be reached, or its schema is behind |

An error is one line on stderr, ``error: ...``, never a traceback (set
``PRICEKIT_DEBUG=1`` to see one).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from typing import Any, TypeVar

import click

from pricekit._version import __version__
from pricekit.errors import (
    BackendUnavailableError,
    InvalidValueError,
    NotFoundError,
    PricekitError,
)

__all__ = [
    "DEFAULT_DB",
    "ExitCode",
    "at_option",
    "cli",
    "db_option",
    "fail",
    "json_option",
    "main",
    "parse_at",
    "reports_errors",
]

DEFAULT_DB = "sqlite:///pricekit.db"
"""The embedded database when neither ``--db`` nor ``PRICEKIT_DB`` says otherwise."""

_F = TypeVar("_F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """What the ``pricekit`` command's exit status means."""

    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_INPUT = 3
    NOT_FOUND = 4
    UNAVAILABLE = 5


class CommandError(click.ClickException):
    """An error shown as one line, ending the command with ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = int(code)  # type: ignore[misc]  # click keeps it per class; here, per error

    def show(self, file: Any = None) -> None:
        """Write ``error: <message>`` on stderr."""
        click.echo(f"error: {self.format_message()}", err=True)


def fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> CommandError:
    """An error to raise: ``message`` shown as one line, exiting with ``code``."""
    return CommandError(message, code)


def _code_of(error: PricekitError) -> ExitCode:
    if isinstance(error, NotFoundError):
        return ExitCode.NOT_FOUND
    if isinstance(error, BackendUnavailableError):
        return ExitCode.UNAVAILABLE
    if isinstance(error, InvalidValueError):
        return ExitCode.BAD_INPUT
    return ExitCode.BAD_INPUT


def reports_errors(command: _F) -> _F:
    """Turn pricekit's errors raised by ``command`` into one line and an exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PricekitError as error:
            if os.environ.get("PRICEKIT_DEBUG"):
                raise
            raise CommandError(str(error), _code_of(error)) from error
        except OSError as error:  # a file that cannot be read or written
            if os.environ.get("PRICEKIT_DEBUG"):
                raise
            raise CommandError(
                f"{error.strerror or error}: {error.filename or ''}".rstrip(": "),
                ExitCode.BAD_INPUT,
            ) from error

    return run  # type: ignore[return-value]


db_option: Callable[[_F], _F] = click.option(
    "--db",
    "db_url",
    envvar="PRICEKIT_DB",
    default=DEFAULT_DB,
    show_default=True,
    help="Any SQLAlchemy URL (also $PRICEKIT_DB); the default is an embedded SQLite file.",
)
json_option: Callable[[_F], _F] = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of text."
)


def parse_at(value: str | None, *, option: str = "--at") -> datetime | None:
    """An ISO 8601 instant given on the command line, which must carry its UTC offset.

    Args:
        value: The text (``None``: not given).
        option: The option's name, for the error.

    Raises:
        click.ClickException: The text is not an ISO 8601 date and time, or it
            has no UTC offset (exit code 3, one line naming ``option``).
    """
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise fail(
            f"{option}: not an ISO 8601 date and time (got {value!r}); "
            "e.g. 2026-05-01T12:00:00-07:00 or 2026-05-01T19:00:00Z"
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise fail(
            f"{option}: give the time with its UTC offset, e.g. {at.isoformat()}Z or "
            f"{at.isoformat()}-07:00 (got {value!r}, which names no time zone)"
        )
    return at


def _at_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    return parse_at(value, option="--at")


def at_option(command: _F) -> _F:
    """``--at ISO``: a timezone-aware instant, passed as ``at`` (``None`` when not given).

    A value without a UTC offset, or not ISO 8601, is refused: exit 3, one line.
    """
    return click.option(
        "--at",
        "at",
        metavar="ISO",
        default=None,
        callback=_at_callback,
        help="The instant, ISO 8601 with its UTC offset (2026-05-01T12:00:00-07:00, ...Z); "
        "now by default.",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pricekit")
def cli() -> None:
    """pricekit: prices, markdowns, promotions and deals, exact to the cent."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit status."""
    try:
        returned = cli.main(args=argv, prog_name="pricekit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.FAILED)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    return returned if isinstance(returned, int) else int(ExitCode.OK)


# -- the commands, each in its own module (imported last: each imports this one) ---------
# (one import and one cli.add_command line per module)
from pricekit.cli.db import db  # noqa: E402
from pricekit.cli.deals import deals  # noqa: E402
from pricekit.cli.demo import demo  # noqa: E402
from pricekit.cli.markdowns import markdowns  # noqa: E402
from pricekit.cli.prices import prices  # noqa: E402
from pricekit.cli.quote import quote  # noqa: E402
from pricekit.cli.sync import sync  # noqa: E402

cli.add_command(db)
cli.add_command(deals)
cli.add_command(demo)
cli.add_command(markdowns)
cli.add_command(prices)
cli.add_command(quote)
cli.add_command(sync)


if __name__ == "__main__":  # pragma: no cover - python -m pricekit.cli.main
    sys.exit(main())
