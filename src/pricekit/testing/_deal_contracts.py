"""The contract suite for the deal cache port, :class:`~pricekit.deals.ports.DealCache`.

The suite is a class without a ``Test`` prefix. Subclass it under a ``Test...``
name and give it the one fixture it asks for, returning a fresh, empty cache for
every test::

    import pytest
    from pricekit.testing.contracts import DealCacheContract

    class TestMyDealCache(DealCacheContract):
        @pytest.fixture
        def deal_cache(self, my_redis):
            my_redis.flushdb()
            return MyDealCache(my_redis)

It checks the whole port as documented: ``None`` for a location never cached and
``[]`` for one cached empty; :meth:`~pricekit.deals.ports.DealCache.replace`
writing the whole set in order, or nothing when it refuses a set; the PTL merge
(:func:`pricekit.deals.merge.merge_ptl`) run through the cache; the sorted list of
locations; every field of every deal surviving the trip; locations kept apart;
and writes from 20 threads at once, none lost to a stale read. The cache must
therefore be safe to share between threads.

Needs pytest and Hypothesis (the ``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")
require_extra("hypothesis", extra="testing")

from collections.abc import Callable, Sequence  # noqa: E402
from datetime import UTC, datetime, time, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import NoReturn, TypeVar  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from pricekit.deals.merge import merge_ptl  # noqa: E402
from pricekit.deals.models import (  # noqa: E402
    ApplicationMethod,
    Deal,
    DealReward,
    DealSource,
    Dimension,
    Restriction,
    RewardMethod,
    ThresholdType,
)
from pricekit.deals.ports import DealCache  # noqa: E402
from pricekit.errors import InvalidValueError  # noqa: E402
from pricekit.money import Money  # noqa: E402
from pricekit.testing._deal_strategies import deal_lists  # noqa: E402
from pricekit.testing._threads import stress  # noqa: E402
from pricekit.time import Weekday  # noqa: E402

__all__ = ["DealCacheContract"]

_LOC = "loc-1"
_OTHER = "loc-2"
_MAR_6 = datetime(2026, 3, 6, tzinfo=UTC)
_MAR_7 = datetime(2026, 3, 7, tzinfo=UTC)
_MAR_8 = datetime(2026, 3, 8, tzinfo=UTC)
_EASTERN = timezone(timedelta(hours=-5))

_THREADS = 20
_ROUNDS = 10

_R = TypeVar("_R")

# Hypothesis examples share the test's one cache; each example starts by writing
# the location's whole set, so what an earlier example left does not matter. The
# suite runs once per adapter subclass by design, hence differing executors.
_PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
)


def _fail_without_fixture(suite: object) -> NoReturn:
    pytest.fail(
        f"{type(suite).__name__} must define a 'deal_cache' fixture returning a fresh, "
        "empty deal cache of yours for each test"
    )


def _deal(
    id: str,
    discount_id: str,
    *,
    location: str = _LOC,
    source: DealSource = DealSource.DUTCHIE,
    name: str = "",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Deal:
    return Deal(
        id=id,
        discount_id=discount_id,
        location_id=location,
        source=source,
        name=name or f"Deal {discount_id}",
        valid_from=valid_from,
        valid_to=valid_to,
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal(10)),
    )


def _dutchie(
    discount_id: str,
    name: str = "",
    *,
    location: str = _LOC,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Deal:
    """A Dutchie deal as a sync caches it: ``{location}_{discount}``."""
    return _deal(
        f"{location}_{discount_id}",
        discount_id,
        location=location,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _cached_ptl(discount_id: str, name: str = "", *, location: str = _LOC) -> Deal:
    """A PTL deal as an earlier merge cached it: ``{location}_ptl_{discount}``, source ptl."""
    return _deal(
        f"{location}_ptl_{discount_id}",
        discount_id,
        location=location,
        source=DealSource.PTL,
        name=name,
    )


def _incoming(
    discount_id: str,
    name: str = "",
    *,
    location: str = _LOC,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Deal:
    """A deal as a PTL webhook brings it: not yet given its PTL id."""
    return _deal(
        f"raw-{discount_id}",
        discount_id,
        location=location,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _rich_deal() -> Deal:
    """A PTL deal with every optional field set, every dimension restricted."""
    return Deal(
        id=f"{_LOC}_ptl_77",
        discount_id="77",
        location_id=_LOC,
        source=DealSource.PTL,
        name="Wax Wednesday — 12.5% off",
        description="Concentrates, not vapes; 3+ items",
        online_name="Wax Wednesday",
        menu_rank=3,
        application_method=ApplicationMethod.CODE,
        enabled=False,
        valid_from=datetime(2026, 3, 4, 8, 0, tzinfo=_EASTERN),
        valid_to=datetime(2026, 4, 1, 0, 0, 0, 250000, tzinfo=UTC),
        time_zone="America/Phoenix",
        days=frozenset({Weekday.WEDNESDAY, Weekday.SATURDAY}),
        start_time=time(22, 0),
        end_time=time(2, 30),
        first_time_customer_only=True,
        can_stack=True,
        available_online=False,
        reward=DealReward(
            method=RewardMethod.PERCENT_OFF,
            percent=Decimal("12.5"),
            threshold_type=ThresholdType.SPEND,
            threshold=Decimal("25.50"),
            one_item_only=True,
        ),
        restrictions=(
            Restriction(dimension=Dimension.CATEGORY, ids=frozenset({"wax", "shatter"})),
            Restriction(dimension=Dimension.PRODUCT, ids=frozenset({"p-1"})),
            Restriction(dimension=Dimension.BRAND, ids=frozenset({"acme"})),
            Restriction(dimension=Dimension.VENDOR, ids=frozenset({"farm"})),
            Restriction(
                dimension=Dimension.WEIGHT, weights=frozenset({Decimal("0.5"), Decimal("3.5")})
            ),
            Restriction(dimension=Dimension.TAG, ids=frozenset({"indica"})),
            Restriction(dimension=Dimension.INVENTORY_TAG, ids=frozenset({"batch-9"})),
            Restriction(dimension=Dimension.PRICING_TIER, ids=frozenset({"gold"})),
            Restriction(dimension=Dimension.CATEGORY, ids=frozenset({"vapes"}), exclude=True),
            Restriction(dimension=Dimension.BRAND, ids=frozenset({"zen"}), exclude=True),
        ),
        unmapped=("collection 'x' is not in this store's catalogue",),
        currency="USD",
    )


def _amount_deal(location: str = _LOC) -> Deal:
    """A Dutchie price-to-amount deal in JPY (no minor unit), by weight."""
    return Deal(
        id=f"{location}_88",
        discount_id="88",
        location_id=location,
        name="Eighths for 3000",
        reward=DealReward(
            method=RewardMethod.PRICE_TO_AMOUNT,
            amount=Money(3000, "JPY"),
            threshold_type=ThresholdType.COUNT,
            threshold=Decimal(2),
        ),
        restrictions=(
            Restriction(dimension=Dimension.WEIGHT, weights=frozenset({Decimal("3.5")})),
        ),
        currency="JPY",
    )


def _ids(deals: Sequence[Deal] | None) -> list[str] | None:
    return None if deals is None else [deal.id for deal in deals]


def _assert_same_deals(got: Sequence[Deal] | None, want: Sequence[Deal]) -> None:
    """``got`` equals ``want``, deal by deal and field by field (for a readable failure)."""
    assert got is not None, "the set was cached, yet get() answered None"
    assert [deal.id for deal in got] == [deal.id for deal in want]
    for found, expected in zip(got, want, strict=True):
        assert isinstance(found, Deal)
        for name in Deal.model_fields:
            assert getattr(found, name) == getattr(expected, name), (expected.id, name)
        for name in ("valid_from", "valid_to"):
            value = getattr(found, name)
            assert value is None or value.utcoffset() is not None, (expected.id, name)
    assert list(got) == list(want)


def _in_threads(work: Callable[[int], _R]) -> list[_R]:
    """Run ``work(thread_index)`` on 20 threads released together; every result, in order."""
    return stress(_THREADS, work, what="a cache thread")


class DealCacheContract:
    """The contract every :class:`~pricekit.deals.ports.DealCache` must keep.

    Provide a fixture ``deal_cache`` returning a fresh, empty cache for each
    test. The cache must be safe to share between threads: the concurrency tests
    write from 20 threads at once.
    """

    @pytest.fixture
    def deal_cache(self) -> DealCache:
        """Override me: return a fresh, empty deal cache."""
        _fail_without_fixture(self)

    # -- reads and whole-set writes -------------------------------------------------------

    def test_is_a_deal_cache(self, deal_cache: DealCache) -> None:
        """The cache has every method of the protocol."""
        assert isinstance(deal_cache, DealCache)

    def test_a_location_never_cached_is_none(self, deal_cache: DealCache) -> None:
        """Nothing cached: ``get`` answers ``None`` and no location is listed."""
        assert deal_cache.get(_LOC) is None
        assert deal_cache.locations() == []

    def test_a_set_cached_empty_is_an_empty_list(self, deal_cache: DealCache) -> None:
        """``replace(location, [])`` caches an empty set: ``[]``, not ``None``, and listed."""
        deal_cache.replace(_LOC, [])
        assert deal_cache.get(_LOC) == []
        assert deal_cache.get(_OTHER) is None
        assert deal_cache.locations() == [_LOC]

    def test_replace_writes_the_whole_set_in_its_order(self, deal_cache: DealCache) -> None:
        """Each ``replace`` is the whole set, in the order given (not sorted, not merged)."""
        first = [_dutchie("z9"), _cached_ptl("a1"), _dutchie("m5")]
        deal_cache.replace(_LOC, first)
        _assert_same_deals(deal_cache.get(_LOC), first)

        second = [_dutchie("m5"), _dutchie("b2")]
        deal_cache.replace(_LOC, second)
        _assert_same_deals(deal_cache.get(_LOC), second)

        deal_cache.replace(_LOC, [])
        assert deal_cache.get(_LOC) == []

    def test_replace_refuses_a_deal_of_another_location_and_writes_nothing(
        self, deal_cache: DealCache
    ) -> None:
        """A deal of another location: ``InvalidValueError`` naming it; the old set stays."""
        before = [_dutchie("100"), _cached_ptl("7")]
        deal_cache.replace(_LOC, before)

        with pytest.raises(InvalidValueError) as caught:
            deal_cache.replace(_LOC, [_dutchie("101"), _dutchie("102", location=_OTHER)])
        assert caught.value.field == "deals[1].location_id"
        _assert_same_deals(deal_cache.get(_LOC), before)

        with pytest.raises(InvalidValueError):
            deal_cache.replace(_OTHER, [_dutchie("103")])  # every deal of loc-1
        assert deal_cache.get(_OTHER) is None
        assert deal_cache.locations() == [_LOC]

    def test_replace_refuses_an_id_given_twice_and_writes_nothing(
        self, deal_cache: DealCache
    ) -> None:
        """The same id twice: ``InvalidValueError`` naming one of them; the old set stays."""
        before = [_dutchie("100")]
        deal_cache.replace(_LOC, before)
        twice = _dutchie("101", name="Another name, the same id")

        with pytest.raises(InvalidValueError) as caught:
            deal_cache.replace(_LOC, [_dutchie("101"), _dutchie("102"), twice])
        assert caught.value.field in {"deals[0].id", "deals[2].id"}
        _assert_same_deals(deal_cache.get(_LOC), before)

        with pytest.raises(InvalidValueError):
            deal_cache.replace(_OTHER, [_dutchie("5", location=_OTHER)] * 2)
        assert deal_cache.get(_OTHER) is None

    def test_the_cached_set_is_a_snapshot(self, deal_cache: DealCache) -> None:
        """Changing the list given to ``replace``, or one ``get`` returned, changes nothing."""
        given_list = [_dutchie("100"), _dutchie("101")]
        deal_cache.replace(_LOC, given_list)
        given_list.append(_dutchie("102"))

        got = deal_cache.get(_LOC)
        assert _ids(got) == ["loc-1_100", "loc-1_101"]
        assert got is not None
        got.clear()
        assert _ids(deal_cache.get(_LOC)) == ["loc-1_100", "loc-1_101"]

        merged = deal_cache.merge_ptl(_LOC, [_incoming("501")])
        merged.clear()
        assert _ids(deal_cache.get(_LOC)) == ["loc-1_100", "loc-1_101", "loc-1_ptl_501"]

    def test_every_field_survives(self, deal_cache: DealCache) -> None:
        """Deals come back equal, every field intact: restrictions, times, money, decimals."""
        deals = [_rich_deal(), _dutchie("100")]
        deal_cache.replace(_LOC, deals)
        _assert_same_deals(deal_cache.get(_LOC), deals)
        deal_cache.replace(_OTHER, [_amount_deal(_OTHER)])
        _assert_same_deals(deal_cache.get(_OTHER), [_amount_deal(_OTHER)])

    @_PROPERTY_SETTINGS
    @given(deals=deal_lists(location_id=_LOC, max_size=6))
    def test_any_deals_survive(self, deal_cache: DealCache, deals: list[Deal]) -> None:
        """Any valid deals of every reward, targeting and schedule come back equal, in order."""
        deal_cache.replace(_LOC, deals)
        _assert_same_deals(deal_cache.get(_LOC), deals)

    # -- the PTL merge --------------------------------------------------------------------

    def test_merge_keeps_dutchie_deals_and_drops_old_ptl_deals(self, deal_cache: DealCache) -> None:
        """Dutchie deals in cached order, then the publication in its order; old PTL gone.

        A deal counts as PTL by its source or by ``_ptl_`` in its id (as the seed tells).
        """
        legacy = _deal(f"{_LOC}_ptl_8", "8")  # a PTL id, cached with source dutchie
        deal_cache.replace(
            _LOC, [_dutchie("100"), _cached_ptl("7"), legacy, _dutchie("101"), _cached_ptl("9")]
        )
        merged = deal_cache.merge_ptl(_LOC, [_incoming("502"), _incoming("501")])
        assert _ids(merged) == ["loc-1_100", "loc-1_101", "loc-1_ptl_502", "loc-1_ptl_501"]
        _assert_same_deals(deal_cache.get(_LOC), merged)

    def test_merge_gives_each_incoming_deal_its_ptl_id_and_source(
        self, deal_cache: DealCache
    ) -> None:
        """``{location}_ptl_{discount}`` and ``source="ptl"``; every other field kept."""
        rich = _rich_deal()
        raw = rich.evolve(id="whatever-the-webhook-sent", source=DealSource.DUTCHIE)
        merged = deal_cache.merge_ptl(_LOC, [raw, _incoming("501")])
        assert [deal.source for deal in merged] == [DealSource.PTL, DealSource.PTL]
        _assert_same_deals(
            merged, [rich, _incoming("501").evolve(id="loc-1_ptl_501", source="ptl")]
        )
        _assert_same_deals(deal_cache.get(_LOC), merged)

    def test_merging_the_same_payload_twice_gives_the_same_set(self, deal_cache: DealCache) -> None:
        """A webhook delivered twice, or its merged deals sent back: the same set."""
        deal_cache.replace(_LOC, [_dutchie("100"), _cached_ptl("7")])
        payload = [_incoming("501"), _incoming("502")]
        once = deal_cache.merge_ptl(_LOC, payload)
        twice = deal_cache.merge_ptl(_LOC, payload)
        _assert_same_deals(twice, once)
        again = deal_cache.merge_ptl(_LOC, once[1:])  # already PTL ids and source
        _assert_same_deals(again, once)
        _assert_same_deals(deal_cache.get(_LOC), once)

    def test_an_empty_publication_removes_every_ptl_deal(self, deal_cache: DealCache) -> None:
        """Merging ``[]`` leaves the Dutchie deals only."""
        deal_cache.replace(_LOC, [_cached_ptl("7"), _dutchie("100"), _cached_ptl("9")])
        assert _ids(deal_cache.merge_ptl(_LOC, [])) == ["loc-1_100"]
        assert _ids(deal_cache.get(_LOC)) == ["loc-1_100"]

    def test_the_dutchie_record_wins_over_a_ptl_duplicate(self, deal_cache: DealCache) -> None:
        """A PTL deal with a Dutchie deal's discount id, or name and overlapping validity, is out.

        The same name (ignoring case and spacing) with validity that does not overlap
        (ends are exclusive) is another deal, and is kept.
        """
        deal_cache.replace(
            _LOC,
            [
                _dutchie("100"),
                _dutchie("200", "Happy Hour", valid_from=_MAR_6, valid_to=_MAR_7),
                _dutchie("300", "Wax Wednesday", valid_from=_MAR_6, valid_to=_MAR_7),
            ],
        )
        merged = deal_cache.merge_ptl(
            _LOC,
            [
                _incoming("100", "Another name"),  # the Dutchie discount id
                _incoming("501", "  happy   HOUR ", valid_from=_MAR_6, valid_to=_MAR_8),
                _incoming("502", "wax wednesday", valid_from=_MAR_7, valid_to=_MAR_8),
                _incoming("503"),
            ],
        )
        assert _ids(merged) == [
            "loc-1_100",
            "loc-1_200",
            "loc-1_300",
            "loc-1_ptl_502",
            "loc-1_ptl_503",
        ]
        assert merged[0].name == "Deal 100"  # the Dutchie record, not the PTL one
        _assert_same_deals(deal_cache.get(_LOC), merged)

    def test_merge_into_a_location_never_cached(self, deal_cache: DealCache) -> None:
        """Nothing cached reads as empty: the result is the publication, now cached."""
        merged = deal_cache.merge_ptl(_LOC, [_incoming("501"), _incoming("502")])
        assert _ids(merged) == ["loc-1_ptl_501", "loc-1_ptl_502"]
        _assert_same_deals(deal_cache.get(_LOC), merged)

        assert deal_cache.merge_ptl(_OTHER, []) == []
        assert deal_cache.get(_OTHER) == []
        assert deal_cache.locations() == [_LOC, _OTHER]

    def test_a_refused_merge_writes_nothing(self, deal_cache: DealCache) -> None:
        """A deal of another location, or two with one discount id: refused, nothing written."""
        before = [_dutchie("100"), _cached_ptl("7")]
        deal_cache.replace(_LOC, before)

        with pytest.raises(InvalidValueError) as other:
            deal_cache.merge_ptl(_LOC, [_incoming("501"), _incoming("502", location=_OTHER)])
        assert other.value.field == "incoming[1].location_id"
        _assert_same_deals(deal_cache.get(_LOC), before)

        with pytest.raises(InvalidValueError) as twice:
            deal_cache.merge_ptl(_LOC, [_incoming("501"), _incoming("501", "Renamed")])
        assert twice.value.field == "incoming[1].id"
        _assert_same_deals(deal_cache.get(_LOC), before)

        with pytest.raises(InvalidValueError):
            deal_cache.merge_ptl(_OTHER, [_incoming("501")])  # a deal of loc-1
        assert deal_cache.get(_OTHER) is None
        assert deal_cache.locations() == [_LOC]

    @_PROPERTY_SETTINGS
    @given(
        existing=deal_lists(location_id=_LOC, max_size=6),
        incoming=deal_lists(location_id=_LOC, max_size=6),
    )
    def test_merge_agrees_with_the_pure_merge(
        self, deal_cache: DealCache, existing: list[Deal], incoming: list[Deal]
    ) -> None:
        """For any cached set and publication: exactly :func:`~pricekit.deals.merge.merge_ptl`."""
        deal_cache.replace(_LOC, existing)
        expected = merge_ptl(existing, incoming, location_id=_LOC)
        merged = deal_cache.merge_ptl(_LOC, incoming)
        _assert_same_deals(merged, expected)
        _assert_same_deals(deal_cache.get(_LOC), expected)

    # -- locations ------------------------------------------------------------------------

    def test_locations_are_sorted_and_include_empty_sets(self, deal_cache: DealCache) -> None:
        """Every location with a cached set, empty ones too, sorted by id."""
        deal_cache.replace("store-c", [])
        deal_cache.replace("store-d", [_dutchie("1", location="store-d")])
        deal_cache.merge_ptl("store-b", [])
        deal_cache.merge_ptl("store-a", [_incoming("2", location="store-a")])
        assert deal_cache.locations() == ["store-a", "store-b", "store-c", "store-d"]

    def test_locations_are_kept_apart(self, deal_cache: DealCache) -> None:
        """Writing one location's set never touches another's."""
        mine = [_dutchie("100"), _cached_ptl("7")]
        theirs = [_dutchie("100", location=_OTHER), _cached_ptl("7", location=_OTHER)]
        deal_cache.replace(_LOC, mine)
        deal_cache.replace(_OTHER, theirs)

        deal_cache.merge_ptl(_LOC, [_incoming("501")])
        _assert_same_deals(deal_cache.get(_OTHER), theirs)
        deal_cache.replace(_LOC, [])
        _assert_same_deals(deal_cache.get(_OTHER), theirs)
        deal_cache.merge_ptl(_OTHER, [])
        assert deal_cache.get(_LOC) == []
        assert _ids(deal_cache.get(_OTHER)) == ["loc-2_100"]

    # -- concurrency ----------------------------------------------------------------------

    def test_concurrent_merges_end_with_one_whole_publication(self, deal_cache: DealCache) -> None:
        """20 publications merged at once: each returns Dutchie + its own; one wins whole."""
        deal_cache.replace(_LOC, [_dutchie("100"), _cached_ptl("7"), _dutchie("101")])
        dutchie_ids = ["loc-1_100", "loc-1_101"]
        ptl_sets = [[f"loc-1_ptl_p{k}a", f"loc-1_ptl_p{k}b"] for k in range(_THREADS)]

        returned = _in_threads(
            lambda k: _ids(deal_cache.merge_ptl(_LOC, [_incoming(f"p{k}a"), _incoming(f"p{k}b")]))
        )

        for k, ids in enumerate(returned):
            assert ids == [*dutchie_ids, *ptl_sets[k]]
        final = _ids(deal_cache.get(_LOC))
        assert final is not None
        assert final[:2] == dutchie_ids
        assert final[2:] in ptl_sets

    def test_concurrent_replaces_leave_one_whole_set(self, deal_cache: DealCache) -> None:
        """20 whole sets written at once: the end is one of them, never a mix."""
        sets = [[f"loc-1_s{k}-{n}" for n in range(3)] for k in range(_THREADS)]

        _in_threads(lambda k: deal_cache.replace(_LOC, [_dutchie(f"s{k}-{n}") for n in range(3)]))

        assert _ids(deal_cache.get(_LOC)) in sets
        assert deal_cache.locations() == [_LOC]

    def test_a_merge_never_writes_back_a_stale_set(self, deal_cache: DealCache) -> None:
        """A sync's ``replace`` racing 19 merges: no merge writes back the set it replaced.

        Whatever order they run in, a merge before the sync is overwritten by it and a
        merge after it starts from its set, so the end holds the sync's Dutchie deals.
        A merge that reads, then writes without a lock or a transaction, brings the
        old Dutchie deals back.
        """
        for round_ in range(_ROUNDS):
            old = [_dutchie(f"old{round_}-a"), _dutchie(f"old{round_}-b")]
            new = [_dutchie(f"new{round_}-a"), _dutchie(f"new{round_}-b")]
            deal_cache.replace(_LOC, old)

            def work(k: int, new: list[Deal] = new) -> None:
                if k == 0:
                    deal_cache.replace(_LOC, new)
                else:
                    deal_cache.merge_ptl(_LOC, [_incoming(f"p{k}")])

            _in_threads(work)
            final = _ids(deal_cache.get(_LOC))
            assert final is not None
            assert final[:2] == [deal.id for deal in new], f"round {round_}: a write was lost"
            assert final[2:] in [[], *[[f"loc-1_ptl_p{k}"] for k in range(1, _THREADS)]]

    def test_concurrent_writes_to_many_locations_are_all_kept(self, deal_cache: DealCache) -> None:
        """20 locations written at once (half replaced, half merged): every one is kept."""

        def work(k: int) -> None:
            location = f"loc-{k:02d}"
            if k % 2:
                deal_cache.replace(location, [_dutchie(str(k), location=location)])
            else:
                deal_cache.merge_ptl(location, [_incoming(str(k), location=location)])

        _in_threads(work)
        expected = [f"loc-{k:02d}" for k in range(_THREADS)]
        assert deal_cache.locations() == expected
        for k, location in enumerate(expected):
            kind = "" if k % 2 else "ptl_"
            assert _ids(deal_cache.get(location)) == [f"{location}_{kind}{k}"]
