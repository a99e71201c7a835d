"""The contract suite for the price cache port, :class:`~pricekit.pricing.cache.PriceCache`.

The suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for, returning a fresh, empty cache
whose default TTL is at least a minute, for every test::

    import pytest
    from pricekit.testing.contracts import PriceCacheContract

    class TestMyPriceCache(PriceCacheContract):
        @pytest.fixture
        def price_cache(self, my_redis):
            my_redis.flushdb()
            return MyPriceCache(my_redis)

It checks what :class:`~pricekit.pricing.cache.CachedPriceResolver` relies on:
every field of a :class:`~pricekit.pricing.models.ResolvedPrice` comes back
exactly (money to the minor unit in 0, 2 and 3 decimal currencies, quantities to
the last decimal place, the trace when there is one); keys that differ in any
field are separate entries; a TTL of zero or less stores nothing, and an entry
is gone once its TTL has passed (on the wall clock: the suite sleeps about
:attr:`PriceCacheContract.ttl_seconds`); invalidation by price list, by item and
by business drops exactly the entries stored under them and returns how many
there were, leaving other businesses alone; ``stats()`` counts hits, misses and
entries; and many threads setting and getting at once see only values that were
stored. The cache must therefore be safe to share between threads.

Needs pytest and Hypothesis (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")
require_extra("hypothesis", extra="testing")

import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any, ClassVar, NoReturn  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pricekit.money import Money  # noqa: E402
from pricekit.pricing.cache import PriceCache, PriceCacheKey  # noqa: E402
from pricekit.pricing.models import (  # noqa: E402
    Channel,
    ItemType,
    Outcome,
    PriceSource,
    ResolvedPrice,
    TraceEntry,
)
from pricekit.testing._threads import race  # noqa: E402
from pricekit.testing.strategies import decimal_quantities, money  # noqa: E402

__all__ = ["PriceCacheContract"]

_BIZ = "biz-1"
_OTHER_BIZ = "biz-2"
_SINCE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_THREADS = 8
_ROUNDS = 25

# Hypothesis examples share the test's one cache; each example writes its own value
# under one key before reading it. The suite runs once per adapter subclass by
# design, hence differing executors.
_ROUND_TRIPS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
)


def _fail_without_fixture(suite: object) -> NoReturn:
    pytest.fail(
        f"{type(suite).__name__} must define a 'price_cache' fixture returning a fresh, "
        "empty price cache of yours for each test, with a default TTL of at least a minute"
    )


def _key(
    item_id: str = "sku-1",
    *,
    business_id: str = _BIZ,
    location_id: str | None = "loc-a",
    channel: Channel = Channel.POS,
    item_type: ItemType = ItemType.PRODUCT,
    currency: str = "USD",
    quantity: Decimal = Decimal(1),
    valid_since: datetime | None = None,
    base_minor: int = 2599,
) -> PriceCacheKey:
    return PriceCacheKey(
        business_id=business_id,
        location_id=location_id,
        channel=channel,
        item_type=item_type,
        item_id=item_id,
        currency=currency,
        quantity=quantity,
        valid_since=valid_since,
        base_minor=base_minor,
    )


def _price(minor: int, currency: str = "USD", *, list_id: str | None = "pl-1") -> ResolvedPrice:
    if list_id is None:
        return ResolvedPrice(unit_price=Money(minor, currency), source=PriceSource.BASE_PRICE)
    return ResolvedPrice(
        unit_price=Money(minor, currency),
        source=PriceSource.PRICE_LIST,
        price_list_id=list_id,
        price_list_item_id=f"{list_id}-item",
        priority=100,
        min_qty=Decimal(1),
    )


def _trace_entry(outcome: Outcome, price: Money, min_qty: Decimal) -> TraceEntry:
    return TraceEntry(
        price_list_id="pl-vip",
        price_list_item_id=f"it-{outcome.value}",
        outcome=outcome,
        reason=f"{outcome.value}: list priority 200 > 100 of pl-1 — «ümlaut» ok",
        list_priority=200,
        item_priority=5,
        min_qty=min_qty,
        price=price,
        scope="location" if outcome is Outcome.WON else None,
    )


_EXACT_VALUES = {
    "usd-list-price": ResolvedPrice(
        unit_price=Money(2399, "USD"),
        source=PriceSource.PRICE_LIST,
        price_list_id="pl-vip",
        price_list_item_id="it-9",
        priority=200,
        min_qty=Decimal("2.50"),
    ),
    "jpy-no-decimals": ResolvedPrice(
        unit_price=Money(1500, "JPY"),
        source=PriceSource.PRICE_LIST,
        price_list_id="pl-jp",
        price_list_item_id="it-jp",
        priority=0,
        min_qty=Decimal("0.125"),
    ),
    "kwd-three-decimals-base": ResolvedPrice(
        unit_price=Money(30500, "KWD"), source=PriceSource.BASE_PRICE
    ),
    "markdown": ResolvedPrice(
        unit_price=Money(1999, "EUR"),
        source=PriceSource.MARKDOWN,
        price_list_id="pl-1",
        price_list_item_id="it-1",
        priority=100,
        min_qty=Decimal(1),
        markdown_wave_id="wave:7 spring*",
        original_price=Money(2499, "EUR"),
    ),
    "huge-and-zero": ResolvedPrice(
        unit_price=Money(10**30 + 7, "USD"),
        source=PriceSource.PRICE_LIST,
        price_list_id="pl-big",
        price_list_item_id="it-big",
        priority=1000,
        min_qty=Decimal("1000.000"),
        original_price=Money(0, "USD"),
    ),
    "with-trace": ResolvedPrice(
        unit_price=Money(999, "BHD"),
        source=PriceSource.PRICE_LIST,
        price_list_id="pl-vip",
        price_list_item_id="it-won",
        priority=200,
        min_qty=Decimal("3"),
        trace=(
            _trace_entry(Outcome.WON, Money(999, "BHD"), Decimal("3")),
            _trace_entry(Outcome.LOST, Money(1250, "BHD"), Decimal("1.0")),
            _trace_entry(Outcome.BELOW_MIN_QTY, Money(800, "BHD"), Decimal("10")),
        ),
    ),
    "empty-trace": ResolvedPrice(
        unit_price=Money(5, "USD"), source=PriceSource.BASE_PRICE, trace=()
    ),
}


def _exact(value: ResolvedPrice) -> tuple[Any, ...]:
    """What equality misses: a Decimal's exponent (``2.50`` equals ``2.5``)."""
    return (
        value,
        None if value.min_qty is None else value.min_qty.as_tuple(),
        None if value.trace is None else [entry.min_qty.as_tuple() for entry in value.trace],
    )


@st.composite
def _resolved_prices(draw: st.DrawFn) -> ResolvedPrice:
    price = draw(money(min_minor=0, max_minor=10**18))
    ids = st.none() | st.text(min_size=1, max_size=40)
    source = draw(st.sampled_from(PriceSource))
    marked_down = source is PriceSource.MARKDOWN and draw(st.booleans())
    return ResolvedPrice(
        unit_price=price,
        source=source,
        price_list_id=draw(ids),
        price_list_item_id=draw(ids),
        priority=draw(st.none() | st.integers(min_value=0, max_value=1000)),
        min_qty=draw(st.none() | decimal_quantities(places=draw(st.integers(0, 4)))),
        markdown_wave_id=draw(ids) if marked_down else None,
        original_price=draw(money(price.currency, min_minor=0)) if marked_down else None,
        trace=draw(
            st.none()
            | st.lists(
                st.builds(
                    _trace_entry,
                    st.sampled_from(Outcome),
                    money(min_minor=0),
                    decimal_quantities(places=2),
                ),
                max_size=3,
            ).map(tuple)
        ),
    )


class PriceCacheContract:
    """The contract every :class:`~pricekit.pricing.cache.PriceCache` must keep.

    Provide a fixture ``price_cache`` returning a fresh, empty cache, not shared
    with any other test, whose default TTL is at least a minute.
    """

    ttl_seconds: ClassVar[float] = 0.5
    """The short TTL the expiry test stores with; it waits at most a few times as long."""

    @pytest.fixture
    def price_cache(self) -> PriceCache:
        _fail_without_fixture(self)

    def test_is_a_price_cache(self, price_cache: PriceCache) -> None:
        assert isinstance(price_cache, PriceCache)

    def test_a_miss_is_none(self, price_cache: PriceCache) -> None:
        assert price_cache.get(_key()) is None
        price_cache.set(_key("sku-1"), _price(100), price_list_ids=["pl-1"])
        assert price_cache.get(_key("sku-2")) is None

    @pytest.mark.parametrize("name", list(_EXACT_VALUES))
    def test_every_field_comes_back_exactly(self, price_cache: PriceCache, name: str) -> None:
        value = _EXACT_VALUES[name]
        key = _key(currency=value.unit_price.currency.code)
        price_cache.set(key, value, price_list_ids=["pl-1", "pl-vip"])
        stored = price_cache.get(key)
        assert stored is not None
        assert _exact(stored) == _exact(value)
        assert stored.unit_price_minor == value.unit_price_minor
        assert stored.to_json() == value.to_json()

    @_ROUND_TRIPS
    @given(value=_resolved_prices())
    def test_any_resolved_price_comes_back_exactly(
        self, price_cache: PriceCache, value: ResolvedPrice
    ) -> None:
        key = _key("sku-any", currency=value.unit_price.currency.code)
        price_cache.set(key, value, price_list_ids=[])
        stored = price_cache.get(key)
        assert stored is not None
        assert _exact(stored) == _exact(value)

    def test_keys_that_differ_in_any_field_are_separate_entries(
        self, price_cache: PriceCache
    ) -> None:
        keys = [
            _key(),
            _key("sku-2"),
            _key(business_id=_OTHER_BIZ),
            _key(location_id=None),
            _key(location_id="loc-b"),
            _key(location_id="-"),
            _key(channel=Channel.ONLINE),
            _key(item_type=ItemType.SERVICE),
            _key(currency="EUR"),
            _key(quantity=Decimal("2.5")),
            _key(valid_since=_SINCE),
            _key(valid_since=_SINCE + timedelta(microseconds=1)),
            _key(base_minor=2600),
            _key("sku:1"),
            _key(business_id="biz-1:loc-a"),
        ]
        assert len(set(keys)) == len(keys)
        for n, key in enumerate(keys):
            price_cache.set(key, _price(1000 + n), price_list_ids=["pl-1"])
        for n, key in enumerate(keys):
            assert price_cache.get(key) == _price(1000 + n), key
        # The same bucket written with another exponent is the same key.
        assert price_cache.get(_key(quantity=Decimal("1.00"))) == _price(1000)

    def test_set_replaces_the_entry(self, price_cache: PriceCache) -> None:
        price_cache.set(_key(), _price(100), price_list_ids=["pl-1"])
        price_cache.set(_key(), _price(200, list_id="pl-2"), price_list_ids=["pl-2"])
        assert price_cache.get(_key()) == _price(200, list_id="pl-2")
        assert price_cache.stats().entries == 1
        assert price_cache.invalidate_price_lists(["pl-2"]) == 1
        assert price_cache.get(_key()) is None
        assert price_cache.clear_business(_BIZ) == 0

    @pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1)], ids=["zero", "negative"])
    def test_a_ttl_of_zero_or_less_stores_nothing(
        self, price_cache: PriceCache, ttl: timedelta
    ) -> None:
        price_cache.set(_key(), _price(100), price_list_ids=["pl-1"], ttl=ttl)
        assert price_cache.get(_key()) is None
        assert price_cache.stats().entries == 0
        assert price_cache.invalidate_price_lists(["pl-1"]) == 0
        assert price_cache.clear_business(_BIZ) == 0

    def test_an_entry_is_gone_once_its_ttl_has_passed(self, price_cache: PriceCache) -> None:
        ttl = timedelta(seconds=self.ttl_seconds)
        lasting, short = _key("sku-lasting"), _key("sku-short")
        price_cache.set(lasting, _price(100), price_list_ids=["pl-1"])
        started = time.monotonic()
        # Stored after the lasting entry under the same list: it must not shorten
        # how long the list keeps track of the lasting one.
        price_cache.set(short, _price(200), price_list_ids=["pl-1"], ttl=ttl)
        assert price_cache.get(short) == _price(200)
        deadline = started + self.ttl_seconds * 4 + 1
        while price_cache.get(short) is not None:
            assert time.monotonic() < deadline, "the entry outlived its TTL"
            time.sleep(0.02)
        assert time.monotonic() - started >= self.ttl_seconds * 0.9, "expired too early"
        assert price_cache.get(lasting) == _price(100)
        assert price_cache.invalidate_price_lists(["pl-1"]) == 1
        assert price_cache.get(lasting) is None

    def test_invalidating_price_lists_drops_exactly_their_entries(
        self, price_cache: PriceCache
    ) -> None:
        under = {
            _key("sku-1"): ["pl-1", "pl-2"],
            _key("sku-1", quantity=Decimal(5)): ["pl-1", "pl-2"],
            _key("sku-2"): ["pl-2"],
            _key("sku-3"): ["pl-3"],
            _key("sku-4"): [],
            _key("sku-1", business_id=_OTHER_BIZ): ["pl-9"],
            _key("sku-5", business_id=_OTHER_BIZ): ["pl-1"],  # list ids are global
            _key("sku-6"): ["pl:1"],  # not pl-1, however written
        }
        for n, (key, lists) in enumerate(under.items()):
            price_cache.set(key, _price(100 + n), price_list_ids=lists)

        assert price_cache.invalidate_price_lists([]) == 0
        assert price_cache.invalidate_price_lists(["pl-unknown"]) == 0
        # pl-1 and pl-2 overlap: an entry under both counts once
        assert price_cache.invalidate_price_lists(["pl-2", "pl-1", "pl-2"]) == 4
        gone = {k for k, lists in under.items() if {"pl-1", "pl-2"} & set(lists)}
        for n, key in enumerate(under):
            assert price_cache.get(key) == (None if key in gone else _price(100 + n)), key
        assert price_cache.invalidate_price_lists(["pl-1"]) == 0
        assert price_cache.stats().entries == len(under) - 4
        assert price_cache.invalidate_price_lists(iter(["pl-3", "pl:1"])) == 2
        assert price_cache.get(_key("sku-4")) == _price(104)

    def test_invalidating_items_drops_exactly_their_entries(self, price_cache: PriceCache) -> None:
        sku1 = [
            _key("sku-1"),
            _key("sku-1", location_id="loc-b"),
            _key("sku-1", location_id=None, channel=Channel.ONLINE),
            _key("sku-1", quantity=Decimal(10), currency="EUR"),
        ]
        kept = [
            _key("sku-2"),
            _key("sku-1", item_type=ItemType.MODIFIER),
            _key("sku-1", business_id=_OTHER_BIZ),
            _key("sku-1:x"),
        ]
        for n, key in enumerate(sku1 + kept):
            price_cache.set(key, _price(100 + n), price_list_ids=[f"pl-{n % 2}"])

        assert price_cache.invalidate_items(_BIZ, []) == 0
        assert price_cache.invalidate_items(_BIZ, [(ItemType.PRODUCT, "sku-unknown")]) == 0
        assert price_cache.invalidate_items(_BIZ, [(ItemType.PRODUCT, "sku-1")]) == len(sku1)
        for key in sku1:
            assert price_cache.get(key) is None, key
        for n, key in enumerate(kept, start=len(sku1)):
            assert price_cache.get(key) == _price(100 + n), key
        assert price_cache.invalidate_items(_BIZ, [(ItemType.PRODUCT, "sku-1")]) == 0
        assert (
            price_cache.invalidate_items(
                _BIZ,
                iter([(ItemType.PRODUCT, "sku-2"), (ItemType.MODIFIER, "sku-1")]),
            )
            == 2
        )
        assert price_cache.get(_key("sku-1", business_id=_OTHER_BIZ)) is not None
        assert price_cache.stats().entries == 2

    def test_clearing_a_business_drops_exactly_its_entries(self, price_cache: PriceCache) -> None:
        mine = [_key(f"sku-{n}", quantity=Decimal(q)) for n in range(4) for q in (1, 5)]
        others = {
            _OTHER_BIZ: [_key("sku-0", business_id=_OTHER_BIZ)],
            "biz-1:x": [_key("sku-0", business_id="biz-1:x")],
            "biz-*": [_key("sku-0", business_id="biz-*")],
        }
        for n, key in enumerate(mine):
            price_cache.set(key, _price(100 + n), price_list_ids=["pl-1", f"pl-{n}"])
        for business, keys in others.items():
            price_cache.set(keys[0], _price(7), price_list_ids=["pl-1"])
            assert business == keys[0].business_id

        assert price_cache.clear_business("biz-unknown") == 0
        assert price_cache.clear_business(_BIZ) == len(mine)
        for key in mine:
            assert price_cache.get(key) is None, key
        for keys in others.values():
            assert price_cache.get(keys[0]) == _price(7)
        assert price_cache.clear_business(_BIZ) == 0
        assert price_cache.stats().entries == len(others)
        # What was cleared is gone from the list indexes too: pl-1 drops the others only.
        assert price_cache.invalidate_price_lists(["pl-1"]) == len(others)
        price_cache.set(mine[0], _price(1), price_list_ids=["pl-1"])
        assert price_cache.clear_business(_BIZ) == 1

    def test_stats_count_hits_misses_and_entries(self, price_cache: PriceCache) -> None:
        empty = price_cache.stats()
        assert (empty.hits, empty.misses, empty.errors, empty.entries) == (0, 0, 0, 0)
        assert empty.hit_ratio == 0.0

        price_cache.get(_key("sku-1"))
        price_cache.set(_key("sku-1"), _price(100), price_list_ids=["pl-1"])
        price_cache.set(_key("sku-2"), _price(200), price_list_ids=["pl-1"])
        price_cache.set(_key("sku-1", business_id=_OTHER_BIZ), _price(300), price_list_ids=["pl-2"])
        for _ in range(3):
            price_cache.get(_key("sku-1"))
        price_cache.get(_key("sku-3"))

        stats = price_cache.stats()
        assert (stats.hits, stats.misses, stats.errors, stats.entries) == (3, 2, 0, 3)
        assert stats.hit_ratio == 3 / 5
        price_cache.invalidate_price_lists(["pl-1"])
        assert price_cache.stats().entries == 1
        price_cache.clear_business(_OTHER_BIZ)
        assert price_cache.stats().entries == 0

    def test_many_threads_setting_and_getting_see_only_stored_values(
        self, price_cache: PriceCache
    ) -> None:
        shared = _key("sku-shared")
        shared_values = {_price(n) for n in range(_THREADS)}

        def work(n: int) -> tuple[int, int]:  # (thread, hits on the shared key)
            shared_hits = 0
            for r in range(_ROUNDS):
                own = _key(f"sku-{n}", quantity=Decimal(r + 1))
                price_cache.set(own, _price(n * 1000 + r), price_list_ids=[f"pl-{n}", "pl-all"])
                price_cache.set(shared, _price(n), price_list_ids=["pl-all"])
                got = price_cache.get(own)
                if got != _price(n * 1000 + r):
                    raise AssertionError(f"thread {n} round {r} read {got!r}")
                seen = price_cache.get(shared)
                if seen is not None:
                    if seen not in shared_values:
                        raise AssertionError(f"thread {n} read a value nobody stored: {seen!r}")
                    shared_hits += 1
            return n, shared_hits

        results = race(_THREADS, work)
        assert [r for r in results if not isinstance(r, tuple)] == []  # no thread failed
        hits = sum(r[1] for r in results if isinstance(r, tuple))
        stats = price_cache.stats()
        assert stats.hits + stats.misses == 2 * _THREADS * _ROUNDS
        assert stats.hits == _THREADS * _ROUNDS + hits
        assert stats.entries == _THREADS * _ROUNDS + 1
        for n in range(_THREADS):
            for r in range(_ROUNDS):
                assert price_cache.get(_key(f"sku-{n}", quantity=Decimal(r + 1))) == _price(
                    n * 1000 + r
                )
        assert price_cache.invalidate_price_lists(["pl-0"]) == _ROUNDS
        assert price_cache.invalidate_price_lists(["pl-all"]) == (_THREADS - 1) * _ROUNDS + 1
        assert price_cache.stats().entries == 0
