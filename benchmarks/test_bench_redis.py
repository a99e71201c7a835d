"""A cached price resolution through Redis on loopback, against the in-process cache.

- ``CachedPriceResolver.resolve`` on a warm key, with :class:`RedisPriceCache`
  (key, one ``GET``, JSON decode) and with :class:`InMemoryPriceCache`;
- ``RedisPriceCache.get`` alone, and a bare ``GET`` of the same bytes: the
  round trip itself, the floor for any Redis cache;
- a miss through Redis: ``GET``, resolution by the book, and the pipelined
  ``SET`` with its side indexes.

The book is the pricing benchmark's 1k products x 20 lists. The server is the
integration suite's session ``redis-server`` (pytest-redis), its fixture imported
here; the client connects over TCP to 127.0.0.1, as a host on the same machine would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import redis
from pytest_benchmark.fixture import BenchmarkFixture
from pytest_redis.executor import RedisExecutor
from tests.integration.conftest import redis_server

from benchmarks._pricing_data import AT, LOCATIONS, Scale, generate
from pricekit.ext.redis.prices import RedisPriceCache
from pricekit.money import Money
from pricekit.pricing import (
    CachedPriceResolver,
    Channel,
    InMemoryPriceCache,
    PriceBook,
    PriceCache,
    PriceCacheKey,
    PriceQuery,
    bucket_quantity,
)

__all__ = ["redis_server"]

BASE = Money(2599, "USD")
PREFIX = "bench:"


@pytest.fixture(scope="module")
def scale() -> Scale:
    return generate(1_000, 20)


@pytest.fixture(scope="module")
def book(scale: Scale) -> PriceBook:
    return scale.book()


@pytest.fixture(scope="module")
def query(scale: Scale, book: PriceBook) -> PriceQuery:
    """A query a price list answers (not the base-price fallback)."""
    rng = random.Random(11)
    while True:
        query = PriceQuery(
            business_id="biz",
            location_id=rng.choice(LOCATIONS),
            channel=Channel.POS,
            item_id=rng.choice(scale.product_ids),
            quantity=rng.choice((1, 3, 7, 12, 30)),
            currency="USD",
            base_price=BASE,
            at=AT,
        )
        if book.resolve(query).price_list_item_id is not None:
            return query


@pytest.fixture
def client(redis_server: RedisExecutor) -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=redis_server.host, port=redis_server.port, socket_timeout=1, socket_connect_timeout=1
    )
    yield client
    for name in client.scan_iter(PREFIX + "*", count=1000):
        client.delete(name)
    client.close()


def _warm(book: PriceBook, cache: PriceCache, query: PriceQuery) -> CachedPriceResolver:
    resolver = CachedPriceResolver(lambda: book, cache)
    resolver.resolve(query)
    assert resolver.resolve(query) == book.resolve(query)
    assert cache.stats().hits == 1
    return resolver


def test_cached_resolution_redis(
    benchmark: BenchmarkFixture, client: redis.Redis, book: PriceBook, query: PriceQuery
) -> None:
    """The hit path: the key from the query, one GET on loopback, the JSON decoded."""
    cache = RedisPriceCache(client, prefix=PREFIX)
    resolver = _warm(book, cache, query)
    assert benchmark(resolver.resolve, query) == book.resolve(query)
    assert resolver.errors == 0


def test_cached_resolution_memory(
    benchmark: BenchmarkFixture, book: PriceBook, query: PriceQuery
) -> None:
    """The same hit in the in-process cache, for comparison."""
    resolver = _warm(book, InMemoryPriceCache(), query)
    assert benchmark(resolver.resolve, query) == book.resolve(query)


def test_redis_cache_get(
    benchmark: BenchmarkFixture, client: redis.Redis, book: PriceBook, query: PriceQuery
) -> None:
    """``RedisPriceCache.get`` on a warm key: what the cache adds to the bare GET."""
    cache = RedisPriceCache(client, prefix=PREFIX)
    _warm(book, cache, query)
    key = _key_of(book, query)
    assert client.keys(PREFIX + "price:*") == [cache.key_of(key).encode()]
    assert benchmark(cache.get, key) == book.resolve(query)


def test_bare_get_round_trip(
    benchmark: BenchmarkFixture, client: redis.Redis, book: PriceBook, query: PriceQuery
) -> None:
    """One GET of the cached value's bytes with redis-py: the floor."""
    cache = RedisPriceCache(client, prefix=PREFIX)
    _warm(book, cache, query)
    (name,) = client.keys(PREFIX + "price:*")
    assert benchmark(client.get, name) is not None


def test_miss_resolve_and_store_redis(
    benchmark: BenchmarkFixture, client: redis.Redis, book: PriceBook, query: PriceQuery
) -> None:
    """A miss: GET, the book resolves, one MULTI/EXEC stores the value and its indexes."""
    cache = RedisPriceCache(client, prefix=PREFIX)
    resolver = CachedPriceResolver(lambda: book, cache)

    def forget() -> None:
        cache.clear_business("biz")

    result = benchmark.pedantic(
        resolver.resolve, args=(query,), setup=forget, rounds=300, warmup_rounds=10
    )
    assert result == book.resolve(query)
    assert cache.stats().hits == 0


def _key_of(book: PriceBook, query: PriceQuery) -> PriceCacheKey:
    """The cache key the resolver builds for ``query``."""
    depends = book.dependencies("biz", query.item_type, query.item_id)
    return PriceCacheKey(
        business_id="biz",
        location_id=query.location_id,
        channel=query.channel,
        item_type=query.item_type,
        item_id=query.item_id,
        currency="USD",
        quantity=bucket_quantity(query.quantity, depends.tiers),
        valid_since=max((b for b in depends.boundaries if b <= AT), default=None),
        base_minor=BASE.minor_units,
    )
