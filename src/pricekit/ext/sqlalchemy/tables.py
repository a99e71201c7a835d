"""Every table pricekit keeps, on one ``MetaData``.

Importing this module defines them all on :data:`metadata`; hand that to
Alembic's ``target_metadata`` or to ``metadata.create_all(engine)`` (for tests;
production schemas come from :func:`pricekit.ext.sqlalchemy.upgrade`).
"""

from __future__ import annotations

from pricekit.ext.sqlalchemy import catalog, deals, markdowns, pricing, promotions, sync
from pricekit.ext.sqlalchemy._schema import metadata

__all__ = ["catalog", "deals", "markdowns", "metadata", "pricing", "promotions", "sync"]
