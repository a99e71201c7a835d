"""Every pricekit repository port on a SQL database, through SQLAlchemy 2.

Needs the ``sqlalchemy`` extra (``pip install 'pricekit[sqlalchemy]'``; add
``postgres`` for the psycopg driver). Repositories take an injected ``Engine``,
``Connection`` or ``Session``; nothing connects at import.
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("sqlalchemy", extra="sqlalchemy")

from pricekit.ext.sqlalchemy._db import Bind, SqlRepository, create_sqlite_engine  # noqa: E402
from pricekit.ext.sqlalchemy._schema import NAMING_CONVENTION, TABLE_PREFIX, metadata  # noqa: E402

__all__ = [
    "NAMING_CONVENTION",
    "TABLE_PREFIX",
    "Bind",
    "SqlRepository",
    "create_sqlite_engine",
    "metadata",
]
