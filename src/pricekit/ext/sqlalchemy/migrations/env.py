"""The Alembic environment of pricekit's migrations.

It runs only through :mod:`pricekit.ext.sqlalchemy`'s ``upgrade``,
``downgrade`` and ``upgrade_sql``, which hand it a connection (or, for SQL
scripts, a dialect name) in ``config.attributes``. It compares and migrates
only pricekit's tables (``pricekit_*``) and keeps its own version table, so a
host's tables and Alembic history are never touched.
"""

from __future__ import annotations

from alembic import context

from pricekit.ext.sqlalchemy._migrate import VERSION_TABLE, include_object, render_item
from pricekit.ext.sqlalchemy.tables import metadata

attributes = context.config.attributes
offline = context.is_offline_mode()
context.configure(
    connection=None if offline else attributes["connection"],
    dialect_name=attributes["dialect_name"] if offline else None,
    literal_binds=offline,
    output_buffer=attributes["output"] if offline else None,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    include_object=include_object,
    render_item=render_item,
    render_as_batch=True,
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
