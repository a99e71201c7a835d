"""pricekit's Alembic migrations: ``env.py``, the script template and ``versions/``.

Run them with :func:`pricekit.ext.sqlalchemy.upgrade`; they keep their own
version table (``pricekit_alembic_version``), apart from the host's.
"""
