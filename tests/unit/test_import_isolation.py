"""`import pricekit` loads only the core; optional modules explain how to get their extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

OPTIONAL = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "redis",
    "hypothesis",
    "pytest",
    "click",
    "rich",
    "httpx",
)
CORE_MODULES = (
    "pricekit",
    "pricekit.money",
    "pricekit.time",
    "pricekit.catalog",
    "pricekit.errors",
    "pricekit.memory",
    "pricekit.testing",
    "pricekit.deals",
    "pricekit.sync",
    "pricekit.sync.files",
    "pricekit.sync.webhook",
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_core_imports_leave_optional_libraries_out() -> None:
    result = _run(
        f"""
        import sys
        for name in {CORE_MODULES!r}:
            __import__(name)
        loaded = sorted(m for m in {OPTIONAL!r} if m in sys.modules)
        print(",".join(loaded))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


_BLOCKER = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
"""


def test_core_works_without_any_extra_installed() -> None:
    result = _run(
        _BLOCKER.format(blocked=OPTIONAL)
        + f"""
for name in {CORE_MODULES!r}:
    __import__(name)
from pricekit import Money
assert str(Money.of("1.50", "USD") * 2) == "3.00 USD"
print("ok")
"""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("module", "missing", "extra"),
    [
        ("pricekit.testing.strategies", "hypothesis", "testing"),
        ("pricekit.testing.contracts", "pytest", "testing"),
        ("pricekit.testing.contracts", "hypothesis", "testing"),
        ("pricekit.sync.http", "httpx", "http"),
        ("pricekit.ext.sqlalchemy", "sqlalchemy", "sqlalchemy"),
        ("pricekit.ext.sqlalchemy", "alembic", "sqlalchemy"),
        ("pricekit.ext.redis", "redis", "redis"),
        ("pricekit.cli", "click", "cli"),
        ("pricekit.cli", "rich", "cli"),
    ],
)
def test_optional_module_without_its_extra_names_the_install_command(
    module: str, missing: str, extra: str
) -> None:
    result = _run(
        _BLOCKER.format(blocked=(missing,))
        + f"""
try:
    __import__({module!r})
except ImportError as error:
    print(error)
else:
    print("imported")
"""
    )
    assert result.returncode == 0, result.stderr
    assert f"pip install 'pricekit[{extra}]'" in result.stdout
    assert repr(missing) in result.stdout
