"""Servers for the benchmarks that need one: the integration suite's own fixtures, imported.

The PostgreSQL server the integration tests start is not copied here:
``postgresql_server`` comes from ``tests/integration/conftest.py``, and the
``require_binary`` and ``service_unavailable`` fixtures it uses from
``tests/conftest.py`` (``tests`` is importable from the repository root, which
pytest puts on ``sys.path`` for the ``benchmarks`` package). So a benchmark
skips when the PostgreSQL binaries are missing, and fails instead when
``PRICEKIT_REQUIRE_SERVICES=1``, exactly as an integration test does.

A benchmark loads its data once, so it gets a database for its whole module
(:func:`postgresql_module_url`) rather than the tests' fresh one per test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_postgresql.executors import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from tests.conftest import require_binary, service_unavailable
from tests.integration.conftest import PG_STARTUP_TIMEOUT, postgresql_server

__all__ = ["postgresql_module_url", "postgresql_server", "require_binary", "service_unavailable"]


@pytest.fixture(scope="module")
def postgresql_module_url(
    request: pytest.FixtureRequest, postgresql_server: NoopExecutor
) -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3) for an empty database kept for the benchmark module.

    Created on the session's server when the module starts and dropped when it
    ends. Dispose any engine built on it before then.
    """
    server = postgresql_server
    dbname = "pricekit_bench_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    janitor = DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        dbname=dbname,
        connection_timeout=PG_STARTUP_TIMEOUT,
    )
    with janitor:
        yield f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{dbname}"
