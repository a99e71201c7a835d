"""SQL price resolution on PostgreSQL: `SqlPriceResolver` against the bare query (bar: 1.3x).

Scale, at `make bench` (PRICEKIT_BENCH_FULL=1): 2,000 price lists, 100,000 items
(20,000 products with 5 items each, tiers 1/1/5/10/25), 2,000 scopes (half
global, half for one of ten locations), stored through the SQL repositories and
`ANALYZE`d. `make test` runs 50 lists / 1,000 items (200 products), each
benchmark once. Queries: a random product at a random one of the ten locations,
POS, quantity 1/3/7/12/30, cycled over 1,000 keys.

- `test_resolver_on_a_connection` (a): `SqlPriceResolver(conn).resolve_item(...)`,
  on a connection held for the module (outside a transaction, as a request
  handler would hold one);
- `test_bare_round_trip` (b): the resolver's own SQL text, run with psycopg's
  `cursor.execute` + `fetchone` on the same driver connection, in autocommit,
  with the parameters built beforehand: no pricekit at all. (a) / (b) is
  pricekit's overhead: argument checks, parameters, the autocommit switch, the
  result model;
- `test_resolver_on_an_engine`: the same on an `Engine`, which checks a pooled
  connection out and back in for every resolution (SQLAlchemy's pool);
- `test_resolver_cart_of_20_on_an_engine`: `resolve_many` of 20 lines on an
  `Engine` (one pooled connection for the cart).

(a) also records, in its `extra_info`, the ratio of (a) to (b) measured
interleaved, call by call, which drifts less on a shared machine than two
benchmarks run one after the other.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from sqlalchemy import Connection, Engine, create_engine

from benchmarks._pricing_data import AT, LOCATIONS, Scale, generate
from pricekit.ext.sqlalchemy import metadata
from pricekit.ext.sqlalchemy.pricing import (
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
)
from pricekit.ext.sqlalchemy.resolve import SqlPriceResolver
from pricekit.money import Money
from pricekit.pricing import Channel, PriceQuery, ResolvedPrice

FULL = os.environ.get("PRICEKIT_BENCH_FULL") == "1"
PRODUCTS, LISTS = (20_000, 2_000) if FULL else (200, 50)
KEYS = 1_000
WARM_UP = 300
INTERLEAVED_PAIRS = 2_000
BASE = Money(2599, "USD")


@pytest.fixture(scope="module")
def scale() -> Scale:
    return generate(PRODUCTS, LISTS)


@pytest.fixture(scope="module")
def engine(postgresql_module_url: str, scale: Scale) -> Iterator[Engine]:
    """The module's database, holding the scale's records."""
    engine = create_engine(postgresql_module_url)
    try:
        metadata.create_all(engine)
        lists = SqlPriceListRepository(engine)
        for price_list in scale.lists:
            lists.add(price_list)
        SqlPriceListItemRepository(engine).add_many(scale.items)
        scopes = SqlPriceListScopeRepository(engine)
        for scope in scale.scopes:
            scopes.add(scope)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection for (a) and (b): the same driver connection under both."""
    with engine.connect() as conn:
        yield conn


@pytest.fixture(scope="module")
def keys(scale: Scale) -> list[dict[str, Any]]:
    """``resolve_item`` arguments for random products at random locations."""
    rng = random.Random(23)
    return [
        {
            "business_id": "biz",
            "item_id": rng.choice(scale.product_ids),
            "location_id": rng.choice(LOCATIONS),
            "channel": Channel.POS,
            "quantity": Decimal(rng.choice((1, 3, 7, 12, 30))),
            "at": AT,
            "base_price": BASE,
        }
        for _ in range(KEYS)
    ]


def _bare_parameters(key: dict[str, Any]) -> dict[str, Any]:
    """The statement's parameters for a key, as `resolution_select` documents them."""
    return {
        "business_id": key["business_id"],
        "item_type": "product",
        "item_id": key["item_id"],
        "currency": "USD",
        "channel": key["channel"].value,
        "quantity_micro": int(key["quantity"] * 1_000_000),
        "at": key["at"],
        "created_floor": datetime.min.replace(tzinfo=UTC),
        "location_id": key["location_id"],
    }


def _cycle(values: list[Any]) -> Callable[[], Any]:
    return itertools.cycle(values).__next__


def _warm(run: Callable[[], object]) -> None:
    """Past psycopg's prepare threshold and PostgreSQL's plan choice; caches warm."""
    for _ in range(WARM_UP):
        run()


def _bare(connection: Connection, keys: list[dict[str, Any]]) -> tuple[Any, Callable[[], Any]]:
    """The driver connection and a bare execute + fetchone over the keys' parameters."""
    sql = SqlPriceResolver(connection).statement_sql(at_location=True)
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    next_parameters = _cycle([_bare_parameters(key) for key in keys])

    def run() -> Any:
        cursor.execute(sql, next_parameters())
        return cursor.fetchone()

    return driver, run


def _interleaved_ratio(
    resolve: Callable[[], object], bare: Callable[[], object], driver: Any
) -> float:
    """Median of (a) over median of (b), measured call by call, alternately."""
    resolved: list[float] = []
    bared: list[float] = []
    clock = time.perf_counter
    for _ in range(INTERLEAVED_PAIRS):
        start = clock()
        resolve()
        resolved.append(clock() - start)
        start = clock()
        driver.autocommit = True  # as the resolver does around its statement
        bare()
        driver.autocommit = False
        bared.append(clock() - start)
    return statistics.median(resolved) / statistics.median(bared)


def test_resolver_on_a_connection(
    benchmark: BenchmarkFixture, connection: Connection, keys: list[dict[str, Any]]
) -> None:
    resolver = SqlPriceResolver(connection)
    driver, bare = _bare(connection, keys)
    # Sanity: the resolver's winners are the bare statement's.
    for key in keys[:50]:
        result = resolver.resolve_item(**key)
        driver.autocommit = True
        row = bare()
        driver.autocommit = False
        assert result.price_list_item_id == (None if row is None else row[0])
    next_key = _cycle(keys)

    def run() -> ResolvedPrice:
        return resolver.resolve_item(**next_key())

    _warm(run)
    if not benchmark.disabled:
        benchmark.extra_info["interleaved_ratio"] = round(_interleaved_ratio(run, bare, driver), 3)
    assert isinstance(benchmark(run), ResolvedPrice)
    assert not connection.in_transaction()


def test_bare_round_trip(
    benchmark: BenchmarkFixture, connection: Connection, keys: list[dict[str, Any]]
) -> None:
    driver, run = _bare(connection, keys)
    driver.autocommit = True
    try:
        _warm(run)
        benchmark(run)
    finally:
        driver.autocommit = False


def test_resolver_on_an_engine(
    benchmark: BenchmarkFixture, engine: Engine, keys: list[dict[str, Any]]
) -> None:
    resolver = SqlPriceResolver(engine)
    next_key = _cycle(keys)

    def run() -> ResolvedPrice:
        return resolver.resolve_item(**next_key())

    _warm(run)
    assert isinstance(benchmark(run), ResolvedPrice)


def test_resolver_cart_of_20_on_an_engine(
    benchmark: BenchmarkFixture, engine: Engine, keys: list[dict[str, Any]]
) -> None:
    resolver = SqlPriceResolver(engine)
    cart = [
        PriceQuery(currency="USD", **{k: v for k, v in key.items() if k != "quantity"})
        for key in keys[:20]
    ]
    resolver.resolve_many(cart)
    assert len(benchmark(resolver.resolve_many, cart)) == 20
