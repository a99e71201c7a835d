"""Suite-wide test helpers.

Tests that need an external program (a PostgreSQL or Redis server) find it with
the ``require_binary`` fixture. When the program is missing, the test is skipped
with a reason that says what to install, unless ``PRICEKIT_REQUIRE_SERVICES=1``
is set (CI sets it), in which case the same reason fails the test: a missing
server must not let the integration suite pass silently.

Conftest modules are not imported by name (each directory's ``conftest.py`` is
its own module), so the helpers are shared as fixtures that return functions.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from collections.abc import Callable, Sequence
from typing import NoReturn

import pytest

REQUIRE_SERVICES_ENV = "PRICEKIT_REQUIRE_SERVICES"
"""Set to ``1`` to turn "service not available" skips into failures."""

RequireBinary = Callable[[str | Sequence[str], str], str]
ServiceUnavailable = Callable[[str], NoReturn]


def _services_required() -> bool:
    """Whether ``PRICEKIT_REQUIRE_SERVICES`` asks for failures instead of skips."""
    return os.environ.get(REQUIRE_SERVICES_ENV, "").strip().lower() in {"1", "true", "yes"}


def _service_unavailable(reason: str) -> NoReturn:
    """Skip the current test with ``reason``, or fail it when services are required."""
    if _services_required():
        pytest.fail(
            f"{reason} ({REQUIRE_SERVICES_ENV}=1: failing instead of skipping)", pytrace=False
        )
    pytest.skip(reason)


def _version_key(path: str) -> list[int | str]:
    """Sort key that orders ``/usr/lib/postgresql/9/bin`` before ``.../15/bin``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _find_binary(candidates: str | Sequence[str]) -> str | None:
    """Return the first candidate that is an executable file, or ``None``.

    A bare name (``"redis-server"``) is looked up on ``PATH``; anything with a
    ``/`` is a path, and may be a glob (``"/usr/lib/postgresql/*/bin/pg_ctl"``),
    whose matches are tried highest version first.
    """
    for candidate in [candidates] if isinstance(candidates, str) else candidates:
        if os.sep not in candidate:
            found = shutil.which(candidate)
            if found:
                return found
            continue
        for path in sorted(glob.glob(candidate), key=_version_key, reverse=True):
            if _is_executable(path):
                return path
    return None


def _require_binary(candidates: str | Sequence[str], reason: str) -> str:
    """Return the first executable among ``candidates``; skip (or fail) with ``reason``."""
    found = _find_binary(candidates)
    if found is None:
        _service_unavailable(reason)
    return found


@pytest.fixture(scope="session")
def require_binary() -> RequireBinary:
    """A function ``require_binary(candidates, reason) -> path`` for external programs.

    ``candidates`` is a program name looked up on ``PATH``, or a sequence of names
    and paths (globs allowed, highest version first) tried in order. The first
    executable found is returned. If there is none, the calling test is skipped
    with ``reason``, or failed with it when ``PRICEKIT_REQUIRE_SERVICES=1``.
    """
    return _require_binary


@pytest.fixture(scope="session")
def service_unavailable() -> ServiceUnavailable:
    """A function ``service_unavailable(reason)`` that skips, or fails when services are required.

    For an environment problem other than a missing program (for example no
    unprivileged user to run a server as), with the same skip/fail policy as
    ``require_binary``.
    """
    return _service_unavailable
