"""The price cache: keys and buckets, the in-memory cache, the cache-aside resolver."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pricekit.errors import InvalidValueError
from pricekit.money import Money
from pricekit.pricing import (
    Channel,
    ItemType,
    MarkdownPrice,
    PriceBook,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.pricing.cache import (
    DEFAULT_TTL,
    SEED_BUCKETS,
    CachedPriceResolver,
    CacheStats,
    InMemoryPriceCache,
    PriceCache,
    PriceCacheKey,
    bucket_quantity,
)
from pricekit.time import ManualClock

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def key(
    item_id: str = "sku-1",
    *,
    business_id: str = "biz",
    quantity: Decimal = Decimal(1),
    location_id: str | None = None,
) -> PriceCacheKey:
    return PriceCacheKey(
        business_id=business_id,
        location_id=location_id,
        channel=Channel.POS,
        item_type=ItemType.PRODUCT,
        item_id=item_id,
        currency="USD",
        quantity=quantity,
        valid_since=None,
        base_minor=1000,
    )


def price(minor: int) -> ResolvedPrice:
    return ResolvedPrice(unit_price=usd(minor), source=PriceSource.BASE_PRICE)


def query(
    quantity: int | Decimal = 1,
    *,
    item_id: str = "sku-1",
    at: datetime = NOW,
    location_id: str | None = None,
) -> PriceQuery:
    return PriceQuery(
        business_id="biz",
        location_id=location_id,
        channel=Channel.POS,
        item_id=item_id,
        quantity=Decimal(quantity),
        currency="USD",
        base_price=usd(1000),
        at=at,
    )


def book_with_tiers(*tiers: str, list_id: str = "pl-1") -> PriceBook:
    """One list, one global scope, an item priced lower at each tier."""
    return PriceBook(
        lists=[PriceList(id=list_id, business_id="biz", name="retail", currency="USD")],
        items=[
            PriceListItem(
                id=f"it-{tier}",
                price_list_id=list_id,
                item_id="sku-1",
                price=usd(900 - index * 100),
                min_qty=Decimal(tier),
            )
            for index, tier in enumerate(tiers)
        ],
        scopes=[PriceListScope(id=f"sc-{list_id}", price_list_id=list_id)],
    )


# -- bucketing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "tiers", "expected"),
    [
        (Decimal(1), (), Decimal(1)),
        (7, (), Decimal(5)),
        (Decimal("0.5"), (), Decimal(0)),
        (5000, (), Decimal(1000)),
        (2, (Decimal(3),), Decimal(2)),
        (4, (Decimal(3),), Decimal(3)),
        (3, (Decimal(3),), Decimal(3)),
        (Decimal("2.4"), (Decimal("2.5"),), Decimal(2)),
        (Decimal("2.5"), (Decimal("2.5"),), Decimal("2.5")),
        (Decimal("4.9"), (Decimal("2.5"),), Decimal("2.5")),
        (Decimal(5), (Decimal("2.5"),), Decimal(5)),
        (Decimal("0.3"), (Decimal("0.25"),), Decimal("0.25")),
        (Decimal("0.2"), (Decimal("0.25"),), Decimal(0)),
        (13, (Decimal(12), Decimal(3)), Decimal(12)),  # tiers in any order
    ],
)
def test_bucket_quantity(
    quantity: Decimal | int, tiers: tuple[Decimal, ...], expected: Decimal
) -> None:
    assert bucket_quantity(quantity, tiers) == expected


def test_a_tier_between_seed_buckets_splits_the_bucket() -> None:
    tiers = (Decimal(3),)
    assert bucket_quantity(2, tiers) != bucket_quantity(4, tiers)
    # Without the tier, 2 and 4 share the seed bucket 2.
    assert bucket_quantity(2, ()) == bucket_quantity(4, ()) == Decimal(2)


@pytest.mark.parametrize("bad", [0, -1, Decimal("-0.5"), Decimal("NaN"), 1.5, "3", True])
def test_bucket_quantity_refuses_bad_quantities(bad: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        bucket_quantity(bad, ())  # type: ignore[arg-type]
    assert info.value.field == "quantity"


def test_seed_buckets_are_the_seeds() -> None:
    assert [int(b) for b in SEED_BUCKETS] == [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]


def test_cached_resolution_follows_a_tier_that_splits_a_seed_bucket() -> None:
    book = book_with_tiers("1", "3")
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    assert resolver.resolve(query(2)).price_list_item_id == "it-1"
    assert resolver.resolve(query(4)).price_list_item_id == "it-3"
    assert resolver.resolve(query(Decimal("2.999"))).price_list_item_id == "it-1"
    assert resolver.resolve(query(3)).price_list_item_id == "it-3"
    assert cache.stats().hits == 2  # 2.999 shares 2's entry (bucket 2), 3 shares 4's (bucket 3)


def test_cached_resolution_follows_a_decimal_tier() -> None:
    book = book_with_tiers("1", "2.5")
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    for quantity in (Decimal(2), Decimal("2.499"), Decimal("2.5"), Decimal(4), Decimal(2)):
        assert resolver.resolve(query(quantity)) == book.resolve(query(quantity))


# -- keys -----------------------------------------------------------------------------


def test_redis_key_scheme() -> None:
    assert str(key()) == "price:biz:-:pos:product:sku-1:USD:1:-:1000"
    k = key(location_id="loc-a", quantity=Decimal("2.50"))._replace(
        valid_since=datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    )
    assert k.redis_key() == "price:biz:loc-a:pos:product:sku-1:USD:2.5:1000000:1000"
    assert key(quantity=Decimal(100)).redis_key().split(":")[7] == "100"
    assert key(quantity=Decimal("1E+2")).redis_key().split(":")[7] == "100"
    assert key(quantity=Decimal(0)).redis_key().split(":")[7] == "0"


def test_redis_key_escapes_separators_globs_and_the_none_marker() -> None:
    k = key("a:b*c", business_id="b%1", location_id="-")
    assert k.redis_key() == "price:b%251:%2D:pos:product:a%3Ab%2Ac:USD:1:-:1000"
    assert key(location_id=None).redis_key() != key(location_id="-").redis_key()
    assert key("x:y").redis_key().count(":") == key().redis_key().count(":")


def test_equal_buckets_written_differently_are_one_key() -> None:
    assert key(quantity=Decimal("2.5")) == key(quantity=Decimal("2.50"))
    assert hash(key(quantity=Decimal("2.5"))) == hash(key(quantity=Decimal("2.50")))


# -- the in-memory cache --------------------------------------------------------------


def test_in_memory_cache_is_a_price_cache() -> None:
    assert isinstance(InMemoryPriceCache(), PriceCache)


def test_get_and_set() -> None:
    cache = InMemoryPriceCache()
    assert cache.get(key()) is None
    cache.set(key(), price(1), price_list_ids=["pl-1"])
    assert cache.get(key()) == price(1)
    assert cache.stats() == CacheStats(hits=1, misses=1, entries=1)


def test_entries_expire_after_the_ttl() -> None:
    clock = ManualClock(NOW)
    cache = InMemoryPriceCache(clock=clock)
    cache.set(key(), price(1), price_list_ids=[])
    clock.advance(DEFAULT_TTL - timedelta(microseconds=1))
    assert cache.get(key()) == price(1)
    clock.advance(timedelta(microseconds=1))
    assert cache.get(key()) is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.expirations, stats.entries) == (1, 1, 1, 0)


def test_a_ttl_per_entry_and_a_configured_default() -> None:
    clock = ManualClock(NOW)
    cache = InMemoryPriceCache(ttl=timedelta(seconds=10), clock=clock)
    cache.set(key("a"), price(1), price_list_ids=[])
    cache.set(key("b"), price(2), price_list_ids=[], ttl=timedelta(seconds=60))
    cache.set(key("c"), price(3), price_list_ids=[], ttl=timedelta(0))  # stores nothing
    assert len(cache) == 2
    clock.advance(timedelta(seconds=30))
    assert cache.get(key("a")) is None
    assert cache.get(key("b")) == price(2)


def test_purge_expired() -> None:
    clock = ManualClock(NOW)
    cache = InMemoryPriceCache(ttl=timedelta(seconds=10), clock=clock)
    cache.set(key("a"), price(1), price_list_ids=["pl-1"])
    cache.set(key("b"), price(2), price_list_ids=["pl-1"], ttl=timedelta(minutes=1))
    clock.advance(timedelta(seconds=10))
    assert cache.purge_expired() == 1
    assert cache.invalidate_price_lists(["pl-1"]) == 1  # the side index forgot "a"


def test_least_recently_used_entries_are_evicted_first() -> None:
    cache = InMemoryPriceCache(max_entries=2)
    cache.set(key("a"), price(1), price_list_ids=["pl-a"])
    cache.set(key("b"), price(2), price_list_ids=["pl-b"])
    assert cache.get(key("a")) == price(1)  # "b" is now the least recent
    cache.set(key("c"), price(3), price_list_ids=["pl-c"])
    assert cache.get(key("b")) is None
    assert cache.get(key("a")) == price(1)
    assert cache.get(key("c")) == price(3)
    assert cache.stats().evictions == 1
    assert cache.invalidate_price_lists(["pl-b"]) == 0  # its side index went with it
    assert cache.clear_business("biz") == 2


def test_invalidating_lists_drops_only_their_entries() -> None:
    cache = InMemoryPriceCache()
    cache.set(key("a"), price(1), price_list_ids=["pl-1"])
    cache.set(key("b"), price(2), price_list_ids=["pl-1", "pl-2"])
    cache.set(key("c"), price(3), price_list_ids=["pl-3"])
    cache.set(key("d"), price(4), price_list_ids=[])
    assert cache.invalidate_price_lists(["pl-2"]) == 1
    assert cache.get(key("b")) is None
    assert cache.get(key("a")) == price(1)
    assert cache.invalidate_price_lists(["pl-1", "pl-3", "pl-unknown"]) == 2
    assert cache.get(key("d")) == price(4)
    assert cache.invalidate_price_lists(["pl-1"]) == 0
    assert cache.stats().entries == 1


def test_replacing_an_entry_replaces_its_side_index() -> None:
    cache = InMemoryPriceCache()
    cache.set(key(), price(1), price_list_ids=["pl-1"])
    cache.set(key(), price(2), price_list_ids=["pl-2"])
    assert cache.invalidate_price_lists(["pl-1"]) == 0
    assert cache.get(key()) == price(2)
    assert cache.invalidate_price_lists(["pl-2"]) == 1


def test_invalidating_items() -> None:
    cache = InMemoryPriceCache()
    cache.set(key("a"), price(1), price_list_ids=[])
    cache.set(key("a", quantity=Decimal(5)), price(2), price_list_ids=[])
    cache.set(key("b"), price(3), price_list_ids=[])
    cache.set(key("a", business_id="other"), price(4), price_list_ids=[])
    assert cache.invalidate_items("biz", [(ItemType.PRODUCT, "a")]) == 2
    assert cache.invalidate_items("biz", [(ItemType.SERVICE, "b")]) == 0
    assert cache.get(key("b")) == price(3)
    assert cache.get(key("a", business_id="other")) == price(4)


def test_clear_business() -> None:
    cache = InMemoryPriceCache()
    cache.set(key("a"), price(1), price_list_ids=["pl-1"])
    cache.set(key("b"), price(2), price_list_ids=["pl-1"])
    cache.set(key("a", business_id="other"), price(3), price_list_ids=["pl-9"])
    assert cache.clear_business("biz") == 2
    assert cache.clear_business("biz") == 0
    assert cache.get(key("a", business_id="other")) == price(3)
    assert cache.invalidate_price_lists(["pl-1"]) == 0


def test_stats_hit_ratio() -> None:
    assert CacheStats().hit_ratio == 0.0
    assert CacheStats(hits=3, misses=1).hit_ratio == 0.75


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ttl": timedelta(0)}, "ttl"),
        ({"ttl": 300}, "ttl"),
        ({"max_entries": 0}, "max_entries"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        InMemoryPriceCache(**options)  # type: ignore[arg-type]
    assert info.value.field == field


def test_threads_hitting_one_cache() -> None:
    cache = InMemoryPriceCache(max_entries=50)
    errors: list[BaseException] = []
    gets_per_thread = 2_000

    def work(worker: int) -> None:
        try:
            for n in range(gets_per_thread):
                k = key(f"sku-{(n * 7 + worker) % 80}")
                if cache.get(k) is None:
                    cache.set(k, price(n), price_list_ids=[f"pl-{n % 5}"])
                if n % 250 == 0:
                    cache.invalidate_price_lists([f"pl-{worker % 5}"])
        except BaseException as exc:  # pragma: no cover - only on a race
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stats = cache.stats()
    assert stats.hits + stats.misses == 8 * gets_per_thread
    assert stats.entries <= 50
    # The side indexes agree with the entries.
    assert cache.invalidate_price_lists([f"pl-{n}" for n in range(5)]) == stats.entries
    assert len(cache) == 0


# -- the resolver ---------------------------------------------------------------------


class FaultyCache:
    """A price cache whose store is down: every operation raises."""

    def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
        raise ConnectionError("cache down")

    def set(
        self,
        key: PriceCacheKey,
        value: ResolvedPrice,
        *,
        price_list_ids: Collection[str],
        ttl: timedelta | None = None,
    ) -> None:
        raise ConnectionError("cache down")

    def invalidate_price_lists(self, price_list_ids: Iterable[str]) -> int:
        raise ConnectionError("cache down")

    def invalidate_items(self, business_id: str, items: Iterable[tuple[ItemType, str]]) -> int:
        raise ConnectionError("cache down")

    def clear_business(self, business_id: str) -> int:
        raise ConnectionError("cache down")

    def stats(self) -> CacheStats:
        raise ConnectionError("cache down")


def test_a_failing_cache_never_breaks_a_resolution(caplog: pytest.LogCaptureFixture) -> None:
    book = book_with_tiers("1", "3")
    resolver = CachedPriceResolver(lambda: book, FaultyCache())
    with caplog.at_level(logging.DEBUG, logger="pricekit.pricing.cache"):
        assert resolver.resolve(query(4)) == book.resolve(query(4))
        assert resolver.resolve(query(1)) == book.resolve(query(1))
    assert resolver.errors == 2  # one failed get each; a cache that failed is not written
    records = [r for r in caplog.records if r.name == "pricekit.pricing.cache"]
    # the first failure of a run of them is a warning, the rest are debug
    assert [r.levelno for r in records] == [logging.WARNING, logging.DEBUG]
    assert {r.exc_info[1].args[0] for r in records if r.exc_info and r.exc_info[1]} == {
        "cache down"
    }
    assert "price cache get failed for price:biz:-:pos:product:sku-1:USD:3:" in records[0].message
    assert resolver.stats() == CacheStats(errors=3)  # stats() failing is counted too


def test_a_cache_that_answers_again_is_said_to_and_used(caplog: pytest.LogCaptureFixture) -> None:
    class Flaky(InMemoryPriceCache):
        down = True

        def get(self, key: PriceCacheKey) -> ResolvedPrice | None:
            if self.down:
                raise TimeoutError("slow")
            return super().get(key)

    book = book_with_tiers("1")
    cache = Flaky()
    resolver = CachedPriceResolver(lambda: book, cache)
    with caplog.at_level(logging.WARNING, logger="pricekit.pricing.cache"):
        assert resolver.resolve(query()) == book.resolve(query())
        assert len(cache) == 0  # a get that failed: no store either
        cache.down = False
        assert resolver.resolve(query()) == book.resolve(query())
        assert len(cache) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "pricekit.pricing.cache"]
    assert messages[-1] == "price cache answers again; 1 failures so far"
    assert resolver.stats().errors == 1


def test_a_hit_is_served_from_the_cache() -> None:
    book = book_with_tiers("1")
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    first = resolver.resolve(query())
    assert resolver.resolve(query()) is first
    assert cache.stats() == CacheStats(hits=1, misses=1, entries=1)
    assert resolver.stats() == cache.stats()


def test_disabled_resolver_never_touches_the_cache() -> None:
    book = book_with_tiers("1")
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache, enabled=False)
    assert not resolver.enabled
    assert resolver.resolve(query()) == book.resolve(query())
    assert resolver.resolve(query()) == book.resolve(query())
    assert cache.stats() == CacheStats()
    assert CachedPriceResolver(lambda: book, FaultyCache(), enabled=False).resolve(query())


def test_explain_bypasses_the_cache() -> None:
    book = book_with_tiers("1")
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    explained = resolver.resolve(query(), explain=True)
    assert explained.trace is not None
    assert cache.stats() == CacheStats()
    resolver.resolve(query())
    assert resolver.resolve(query(), explain=True).trace is not None  # not the cached one
    assert resolver.resolve_many([query(), query()], explain=True)[1].trace is not None


def test_resolve_many() -> None:
    book = book_with_tiers("1", "3")
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    cart = [query(1), query(4), query(1)]
    assert resolver.resolve_many(cart) == book.resolve_many(cart)


def two_list_book(*, vip_active: bool = True) -> PriceBook:
    return PriceBook(
        lists=[
            PriceList(id="pl-retail", business_id="biz", name="r", currency="USD", priority=100),
            PriceList(
                id="pl-vip",
                business_id="biz",
                name="v",
                currency="USD",
                priority=500,
                is_active=vip_active,
            ),
            PriceList(id="pl-other", business_id="biz", name="o", currency="USD"),
        ],
        items=[
            PriceListItem(id="r-1", price_list_id="pl-retail", item_id="sku-1", price=usd(900)),
            PriceListItem(id="v-1", price_list_id="pl-vip", item_id="sku-1", price=usd(800)),
            PriceListItem(id="o-2", price_list_id="pl-other", item_id="sku-2", price=usd(700)),
        ],
        scopes=[
            PriceListScope(id="s-r", price_list_id="pl-retail"),
            PriceListScope(id="s-v", price_list_id="pl-vip", location_id="loc-a"),
            PriceListScope(id="s-o", price_list_id="pl-other"),
        ],
    )


def test_entries_are_indexed_under_every_list_that_prices_the_item() -> None:
    book = two_list_book(vip_active=False)
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    assert resolver.resolve(query(location_id="loc-a")).price_list_id == "pl-retail"
    assert resolver.resolve(query(item_id="sku-2")).price_list_id == "pl-other"
    # The inactive, losing list could start winning: its change drops the entry.
    assert cache.invalidate_price_lists(["pl-vip"]) == 1
    assert cache.invalidate_price_lists(["pl-other"]) == 1


def test_a_swapped_book_after_invalidation_is_seen() -> None:
    books = [two_list_book(vip_active=False)]
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: books[-1], cache)
    assert resolver.resolve(query(location_id="loc-a")).price_list_id == "pl-retail"
    vip = books[0].lists["pl-vip"].evolve(is_active=True)
    books.append(books[0].patched(lists=[vip]))
    cache.invalidate_price_lists([vip.id])
    assert resolver.resolve(query(location_id="loc-a")).price_list_id == "pl-vip"


def test_an_item_added_to_a_list_is_seen_after_invalidating_the_item() -> None:
    books = [two_list_book()]
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: books[-1], cache)
    assert resolver.resolve(query(item_id="sku-2")).price_list_id == "pl-other"
    new = PriceListItem(id="v-2", price_list_id="pl-vip", item_id="sku-2", price=usd(650))
    books.append(books[0].patched(items=[new]))
    assert cache.invalidate_price_lists(["pl-vip"]) == 0  # it did not price sku-2 before
    assert cache.invalidate_items("biz", [(ItemType.PRODUCT, "sku-2")]) == 1
    assert resolver.resolve(query(item_id="sku-2", location_id="loc-a")).price_list_id == "pl-vip"


def test_the_key_follows_validity_boundaries() -> None:
    start = NOW + timedelta(hours=1)
    book = PriceBook(
        lists=[PriceList(id="pl-1", business_id="biz", name="x", currency="USD")],
        items=[
            PriceListItem(
                id="it-1", price_list_id="pl-1", item_id="sku-1", price=usd(500), valid_from=start
            )
        ],
        scopes=[PriceListScope(id="s-1", price_list_id="pl-1")],
    )
    resolver = CachedPriceResolver(lambda: book, InMemoryPriceCache())
    before, after = query(at=NOW), query(at=start)
    assert resolver.resolve(before).source is PriceSource.BASE_PRICE
    assert resolver.resolve(after).unit_price == usd(500)
    assert resolver.resolve(query(at=start - timedelta(microseconds=1))).source is (
        PriceSource.BASE_PRICE
    )
    assert resolver.resolve(query(at=start + timedelta(days=3))).unit_price == usd(500)


class OneMarkdown:
    """A markdown lookup with one markdown for ``sku-1``."""

    def active_markdown(
        self,
        *,
        business_id: str,
        item_type: ItemType,
        item_id: str,
        location_id: str | None,
        at: datetime,
    ) -> MarkdownPrice | None:
        if item_id != "sku-1":
            return None
        return MarkdownPrice(wave_id="w-1", price=usd(100), ends_at=NOW + timedelta(days=1))


def test_markdown_results_are_not_cached() -> None:
    book = book_with_tiers("1").with_markdowns(OneMarkdown())
    cache = InMemoryPriceCache()
    resolver = CachedPriceResolver(lambda: book, cache)
    result = resolver.resolve(query())
    assert result.source is PriceSource.MARKDOWN
    assert len(cache) == 0
    assert resolver.resolve(query(item_id="sku-2")).source is PriceSource.BASE_PRICE
    assert len(cache) == 1


# -- a write racing a resolution --------------------------------------------------------


def test_an_answer_from_a_book_replaced_mid_resolution_is_not_left_in_the_cache() -> None:
    """A resolution misses and computes from the old book; meanwhile a write swaps in
    the new book and invalidates. The stale answer it then stores must not survive."""
    old = book_with_tiers("1")
    new = old.patched(items=[old.items["it-1"].evolve(price=usd(500))])
    cache = InMemoryPriceCache()
    books = [old]  # the first call of the provider sees the old book

    def provider() -> PriceBook:
        return books.pop() if books else new

    resolver = CachedPriceResolver(provider, cache)
    assert resolver.resolve(query()).unit_price == usd(900)  # computed from the old book
    # The write's own invalidation already ran before the stale answer was stored.
    assert resolver.resolve(query()).unit_price == usd(500)
    assert resolver.resolve(query()).unit_price == usd(500)
    assert cache.stats().hits == 1  # the new answer is cached once it is stored
