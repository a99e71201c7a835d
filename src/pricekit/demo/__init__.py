"""The demo: a small dispensary shipped in the package, loaded into a store and synced.

``pricekit demo`` runs it end to end; a host can too::

    from pricekit.cli.store import Store
    from pricekit.demo import demo_sync, load_demo

    with Store.open("sqlite:///demo.db", create=True) as store:
        load_demo(store)
        demo_sync(store)

- :func:`read_demo_data`: the shipped sample data (see :mod:`pricekit.demo.sample`).
- :func:`load_demo`: the catalog, price lists, markdowns and promotions into a store.
- :func:`demo_sync`: one sync cycle into the store's deal cache, then a PTL publication.

This package needs the ``sqlalchemy`` extra only through the store it is given.
"""

from pricekit.demo.load import DemoLoad, DemoSync, demo_sync, load_demo
from pricekit.demo.sample import DemoCart, DemoData, DemoStore, read_demo_data

__all__ = [
    "DemoCart",
    "DemoData",
    "DemoLoad",
    "DemoStore",
    "DemoSync",
    "demo_sync",
    "load_demo",
    "read_demo_data",
]
