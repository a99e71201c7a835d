"""Every pricekit repository port on a SQL database, through SQLAlchemy 2.

Needs the ``sqlalchemy`` extra (``pip install 'pricekit[sqlalchemy]'``; add
``postgres`` for the psycopg driver). Nothing connects at import: every
repository takes an injected ``Engine`` (a transaction per call) or a
``Connection`` or ``Session`` (the caller's transaction, a savepoint per call).

- Schema: :data:`metadata` (tables ``pricekit_*``), built by the shipped
  Alembic migrations with :func:`upgrade`, which keep their own version table.
- Repositories: :class:`SqlCatalogRepository`; :class:`SqlPriceListRepository`,
  :class:`SqlPriceListItemRepository`, :class:`SqlPriceListScopeRepository`;
  :class:`SqlMarkdownPlanRepository`, :class:`SqlMarkdownWaveRepository`,
  :class:`SqlMarkdownHistoryRepository`; :class:`SqlPromotionRepository`,
  :class:`SqlPromotionUsageRepository`; :class:`SqlDealCache`;
  :class:`SqlSyncRunRepository`.
- Resolution in SQL: :class:`SqlPriceResolver`, one indexed ``LIMIT 1`` query
  per price, the same answer as a :class:`~pricekit.pricing.PriceBook`.
- Sync locks: :class:`PostgresAdvisoryLock` (held by a database session) and
  :class:`SqlLeaseLock` (a row with an expiry, on any database).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("sqlalchemy", extra="sqlalchemy")
require_extra("alembic", extra="sqlalchemy")

from pricekit.ext.sqlalchemy._db import Bind, SqlRepository, create_sqlite_engine  # noqa: E402
from pricekit.ext.sqlalchemy._migrate import (  # noqa: E402
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
    upgrade_sql,
)
from pricekit.ext.sqlalchemy._schema import NAMING_CONVENTION, TABLE_PREFIX  # noqa: E402
from pricekit.ext.sqlalchemy.catalog import SqlCatalogRepository  # noqa: E402
from pricekit.ext.sqlalchemy.deals import SqlDealCache  # noqa: E402
from pricekit.ext.sqlalchemy.markdowns import (  # noqa: E402
    SqlMarkdownHistoryRepository,
    SqlMarkdownPlanRepository,
    SqlMarkdownWaveRepository,
)
from pricekit.ext.sqlalchemy.pricing import (  # noqa: E402
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
)
from pricekit.ext.sqlalchemy.promotions import (  # noqa: E402
    SqlPromotionRepository,
    SqlPromotionUsageRepository,
)
from pricekit.ext.sqlalchemy.resolve import SqlPriceResolver, resolution_select  # noqa: E402
from pricekit.ext.sqlalchemy.sync import (  # noqa: E402
    PostgresAdvisoryLock,
    SqlLeaseLock,
    SqlSyncRunRepository,
)
from pricekit.ext.sqlalchemy.tables import metadata  # noqa: E402

__all__ = [
    "NAMING_CONVENTION",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "Bind",
    "PostgresAdvisoryLock",
    "SqlCatalogRepository",
    "SqlDealCache",
    "SqlLeaseLock",
    "SqlMarkdownHistoryRepository",
    "SqlMarkdownPlanRepository",
    "SqlMarkdownWaveRepository",
    "SqlPriceListItemRepository",
    "SqlPriceListRepository",
    "SqlPriceListScopeRepository",
    "SqlPriceResolver",
    "SqlPromotionRepository",
    "SqlPromotionUsageRepository",
    "SqlRepository",
    "SqlSyncRunRepository",
    "create_sqlite_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "metadata",
    "resolution_select",
    "upgrade",
    "upgrade_sql",
]
