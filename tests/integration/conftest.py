"""Real PostgreSQL and Redis servers for the integration tests.

PostgreSQL: one server per test session, started from the server binaries
(``initdb`` + ``pg_ctl``) in a fresh temporary directory, listening on
127.0.0.1 at a free port. PostgreSQL refuses to run as root, so when the tests
run as root (CI does) ``initdb``, ``pg_ctl`` and the server run as the
``postgres`` system user, which the Debian package creates; otherwise they run
as the current user. Either way the same code starts the server, and
pytest-postgresql's janitor and client factory (the machinery of its no-process
fixture) give each test a fresh database cloned from a template.

Redis: pytest-redis's ``redis_proc`` starts one ``redis-server`` per session
(root is fine for Redis) and its ``redisdb`` client flushes the server after
every test.

A missing server binary skips the tests that need it (or fails them when
``PRICEKIT_REQUIRE_SERVICES=1``); a server that is installed but cannot start
is an error.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import port_for
import pytest
import redis
from psycopg import Connection
from pytest_postgresql import factories as pg_factories
from pytest_postgresql.executors import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from pytest_redis import factories as redis_factories
from pytest_redis.executor import RedisExecutor
from sqlalchemy import Engine, create_engine

PG_HOST = "127.0.0.1"
PG_SUPERUSER = "postgres"
"""The database role ``initdb`` creates (trust authentication, no password)."""
PG_OS_USER = "postgres"
"""The system user that runs PostgreSQL when the tests run as root."""
PG_DBNAME = "pricekit_test"
PG_STARTUP_TIMEOUT = 60
"""Seconds for ``initdb``, ``pg_ctl start -w`` and ``pg_ctl stop -w``."""
PG_BINARY_DIRS = ("/usr/lib/postgresql/*/bin",)
"""Where distributions keep the server binaries off ``PATH`` (Debian, Ubuntu)."""
PG_SETTINGS = {
    # Throwaway cluster: durability is not wanted, speed is.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "shared_buffers": "32MB",
}
REDIS_SERVER_PATHS = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")

# The types of the `require_binary` and `service_unavailable` fixtures (tests/conftest.py).
RequireBinary = Callable[[str | Sequence[str], str], str]
ServiceUnavailable = Callable[[str], NoReturn]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a server, so ``-m "not postgres"`` deselects it."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "postgresql_server" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if "redis_server" in fixtures:
            item.add_marker(pytest.mark.redis)


# -- PostgreSQL ------------------------------------------------------------------------


def _run_pg_tool(
    args: list[str], *, os_user: pwd.struct_passwd | None, cwd: Path, what: str
) -> None:
    """Run a PostgreSQL tool, as ``os_user`` if given; raise with its output if it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    if os_user is not None:
        env.update(HOME=os_user.pw_dir, USER=os_user.pw_name, LOGNAME=os_user.pw_name)
    try:
        result = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PG_STARTUP_TIMEOUT + 10,
            check=False,
            # Equivalent to `runuser -u postgres -- ...`, without needing util-linux.
            user=os_user.pw_uid if os_user else None,
            group=os_user.pw_gid if os_user else None,
            extra_groups=[] if os_user else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"PostgreSQL {what} timed out: {' '.join(args)}") from exc
    if result.returncode != 0:
        raise RuntimeError(
            f"PostgreSQL {what} failed (exit {result.returncode}): {' '.join(args)}\n"
            f"{result.stdout}{result.stderr}"
        )


def _log_tail(logfile: Path, lines: int = 30) -> str:
    try:
        return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@contextmanager
def _running_postgresql(bindir: Path, *, os_user: pwd.struct_passwd | None) -> Iterator[int]:
    """Start a throwaway PostgreSQL cluster; yield its TCP port; stop and delete it.

    Everything (data directory, unix socket, log) lives in one temporary directory
    owned by the user that runs the server.
    """
    base = Path(tempfile.mkdtemp(prefix="pricekit-pg-"))
    datadir, logfile = base / "data", base / "postgresql.log"

    def run(*args: str, what: str) -> None:
        _run_pg_tool(list(args), os_user=os_user, cwd=base, what=what)

    try:
        if os_user is not None:
            os.chown(base, os_user.pw_uid, os_user.pw_gid)
        run(
            str(bindir / "initdb"),
            f"--pgdata={datadir}",
            f"--username={PG_SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            what="initdb",
        )
        port = port_for.select_random()
        settings = {
            **PG_SETTINGS,
            "port": str(port),
            "listen_addresses": f"'{PG_HOST}'",
            "unix_socket_directories": f"'{base}'",
        }
        with (datadir / "postgresql.conf").open("a") as conf:
            conf.write("\n# pricekit test settings\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        try:
            run(
                str(bindir / "pg_ctl"),
                "start",
                f"--pgdata={datadir}",
                f"--log={logfile}",
                "--wait",
                f"--timeout={PG_STARTUP_TIMEOUT}",
                what="start",
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\nserver log:\n{_log_tail(logfile)}") from None
        yield port
    finally:
        try:
            # A server is running (even after a failed or timed-out start) iff its pid file
            # exists; stopping nothing would only hide the error that got us here.
            if (datadir / "postmaster.pid").exists():
                run(
                    str(bindir / "pg_ctl"),
                    "stop",
                    f"--pgdata={datadir}",
                    "--mode=fast",
                    "--wait",
                    f"--timeout={PG_STARTUP_TIMEOUT}",
                    what="stop",
                )
        finally:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_server(
    request: pytest.FixtureRequest,
    require_binary: RequireBinary,
    service_unavailable: ServiceUnavailable,
) -> Iterator[NoopExecutor]:
    """A PostgreSQL server for the whole session, as pytest-postgresql's ``NoopExecutor``.

    It carries ``host``, ``port``, ``user``, ``password`` (``None``), ``dbname``
    and ``template_dbname``; the template database exists for the whole session
    and the ``postgresql`` fixture clones it for each test. The ``pg_ctl`` used is
    ``--postgresql-exec`` if given, else the first on ``PATH`` or in
    ``/usr/lib/postgresql/*/bin`` (highest version); ``initdb`` must sit next to it.
    """
    explicit = request.config.getoption("postgresql_exec")
    reason = (
        f"PostgreSQL server binaries (pg_ctl, initdb) not found at {explicit} (--postgresql-exec)"
        if explicit
        else "PostgreSQL server binaries (pg_ctl, initdb) not found on PATH or in "
        f"{', '.join(PG_BINARY_DIRS)}; install them (apt-get install postgresql) "
        "or pass --postgresql-exec=/path/to/pg_ctl"
    )
    candidates = [explicit] if explicit else ["pg_ctl", *(f"{d}/pg_ctl" for d in PG_BINARY_DIRS)]
    bindir = Path(os.path.realpath(require_binary(candidates, reason))).parent
    require_binary([str(bindir / "initdb"), str(bindir / "postgres")], reason)

    os_user = None
    if os.geteuid() == 0:
        try:
            os_user = pwd.getpwnam(PG_OS_USER)
        except KeyError:
            service_unavailable(
                f"running as root, and PostgreSQL refuses to run as root, but there is no "
                f"{PG_OS_USER!r} system user to run it as; create one "
                f"(useradd --system {PG_OS_USER}) or run the tests as a normal user"
            )

    with _running_postgresql(bindir, os_user=os_user) as port:
        server = NoopExecutor(
            host=PG_HOST, port=port, user=PG_SUPERUSER, options="", dbname=PG_DBNAME
        )
        template = DatabaseJanitor(
            user=server.user,
            host=server.host,
            port=server.port,
            dbname=server.template_dbname,
            maintenance_dbname=server.maintenance_dbname,
            as_template=True,
            connection_timeout=PG_STARTUP_TIMEOUT,
        )
        with template:
            yield server


postgresql = pg_factories.postgresql("postgresql_server")
"""A psycopg 3 ``Connection`` to a fresh database, created for the test and dropped after it.

Overrides pytest-postgresql's own ``postgresql`` fixture, which would start a
server with ``postgresql_proc`` (impossible as root).
"""


@pytest.fixture
def postgresql_url(postgresql: Connection, postgresql_server: NoopExecutor) -> str:
    """A SQLAlchemy URL for the test's fresh database (the one ``postgresql`` is connected to).

    ``postgresql+psycopg://postgres@127.0.0.1:<port>/<dbname>``; trust authentication,
    no password. Dispose any engine built on it before the test ends: the database
    is dropped after the test and open connections to it are terminated.
    """
    server = postgresql_server
    return (
        f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{postgresql.info.dbname}"
    )


# -- Redis -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest, require_binary: RequireBinary) -> RedisExecutor:
    """The session's ``redis-server``, started by pytest-redis's ``redis_proc``.

    The executable is ``--redis-exec`` if given, else ``redis-server`` on ``PATH``,
    else ``/usr/bin/redis-server`` or ``/usr/local/bin/redis-server``.
    """
    explicit = request.config.getoption("redis_exec")
    if explicit:
        require_binary([explicit], f"redis-server not found at {explicit} (--redis-exec)")
    else:
        # pytest-redis reads the executable from --redis-exec, or from the redis_exec
        # ini setting, which defaults to PATH only: hand it the one found here.
        request.config.option.redis_exec = require_binary(
            ["redis-server", *REDIS_SERVER_PATHS],
            f"redis-server not found on PATH or at {', '.join(REDIS_SERVER_PATHS)}; "
            "install it (apt-get install redis-server) or pass --redis-exec=/path/to/redis-server",
        )
    proc: RedisExecutor = request.getfixturevalue("redis_proc")
    return proc


redisdb = redis_factories.redisdb("redis_server")
"""pytest-redis's client fixture, bound to ``redis_server``; flushes the server after the test."""


@pytest.fixture
def redis_client(redisdb: redis.Redis) -> redis.Redis:
    """A redis-py client (bytes responses, database 0) to an empty ``redis_server``.

    The server is flushed after every test that uses it.
    """
    return redisdb


@pytest.fixture
def redis_url(redis_client: redis.Redis, redis_server: RedisExecutor) -> str:
    """``redis://127.0.0.1:<port>/0`` for the test's (empty, flushed after) Redis server."""
    return f"redis://{redis_server.host}:{redis_server.port}/0"


# -- SQLAlchemy ----------------------------------------------------------------------------


@contextmanager
def _engine_on(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database: a SQLite file, or the test's fresh PostgreSQL one."""
    from pricekit.ext.sqlalchemy import create_sqlite_engine

    if backend == "sqlite":
        engine = create_sqlite_engine(tmp_path / "pricekit.db")
    else:
        engine = create_engine(request.getfixturevalue("postgresql_url"))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database holding pricekit's tables: SQLite, then PostgreSQL.

    SQLite is a file in the test's temporary directory, through
    ``create_sqlite_engine`` (write-ahead log, ``BEGIN IMMEDIATE``, foreign
    keys); PostgreSQL is the test's fresh database on the session's server,
    through psycopg 3. Every test that uses it runs once on each. The tables
    come from ``metadata.create_all``; the migrations test proves the shipped
    migrations build the same schema.
    """
    from pricekit.ext.sqlalchemy import metadata

    with _engine_on(request.param, request, tmp_path) as engine:
        metadata.create_all(engine)
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Like ``sql_engine``, on a database without any table."""
    with _engine_on(request.param, request, tmp_path) as engine:
        yield engine
