"""Check an installation of pricekit *without extras* (run by `make core-check`).

Run with the interpreter of a fresh virtual environment into which only
``pip install .`` was done. It checks that the core imports, that no optional
library is loaded (or even installed), that ``py.typed`` ships, and that the
testing kit's modules say which extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

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
CORE = ("pricekit", "pricekit.money", "pricekit.time", "pricekit.catalog", "pricekit.errors",
        "pricekit.memory", "pricekit.testing")  # fmt: skip


def main() -> None:
    """Run every check; exit non-zero with a message on the first failure."""
    for name in CORE:
        importlib.import_module(name)
    loaded = [name for name in OPTIONAL if name in sys.modules]
    assert not loaded, f"import pricekit loaded optional libraries: {loaded}"
    installed = [name for name in ("sqlalchemy", "redis", "hypothesis", "click", "rich", "httpx")
                 if importlib.util.find_spec(name) is not None]  # fmt: skip
    assert not installed, f"a plain install pulled in optional libraries: {installed}"

    import pricekit

    package_dir = Path(pricekit.__file__).parent
    assert (package_dir / "py.typed").is_file(), "py.typed is not shipped"
    assert "site-packages" in str(package_dir), f"not testing an installed copy: {package_dir}"

    migrations = package_dir / "ext" / "sqlalchemy" / "migrations"
    for shipped in ("env.py", "script.py.mako", "versions/0001_initial.py"):
        assert (migrations / shipped).is_file(), f"the migrations' {shipped} is not shipped"
    importlib.import_module("pricekit.ext")  # the adapters' package needs no extra
    adapters = (("pricekit.ext.sqlalchemy", "sqlalchemy"), ("pricekit.ext.redis", "redis"))
    for adapter, extra in adapters:
        try:
            importlib.import_module(adapter)
        except ImportError as error:
            if f"pip install 'pricekit[{extra}]'" not in str(error):
                raise AssertionError(f"{adapter}: no install hint in {error}") from error
        else:
            raise AssertionError(f"{adapter} imported without the {extra} extra")

    from pricekit import Money

    assert str(Money.of("1.50", "USD") * 3) == "4.50 USD"

    for module in ("pricekit.testing.strategies", "pricekit.testing.contracts"):
        try:
            importlib.import_module(module)
        except ImportError as error:
            if "pip install 'pricekit[testing]'" not in str(error):
                raise AssertionError(f"{module}: no install hint in {error}") from error
        else:
            raise AssertionError(f"{module} imported without the testing extra")
    print(f"core install OK: pricekit {pricekit.__version__} at {package_dir}")


if __name__ == "__main__":
    main()
