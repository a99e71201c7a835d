"""Adapters to storage outside the process, each behind an extra.

- :mod:`pricekit.ext.sqlalchemy`: every repository port on a SQL database
  (``pip install 'pricekit[sqlalchemy]'``).
- :mod:`pricekit.ext.redis`: the price cache, the deal cache and the sync lock on
  Redis (``pip install 'pricekit[redis]'``).

Importing this package imports neither.
"""
