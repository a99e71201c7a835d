"""Merging a PTL publication into a location's deals, and the in-memory deal cache."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pricekit.deals.merge import MergeReport, merge_ptl, merge_ptl_report
from pricekit.deals.models import Deal, DealSource
from pricekit.deals.ports import DealCache, DealCacheError, deal_cache_key
from pricekit.errors import BackendUnavailableError, InvalidValueError, PricekitError
from pricekit.memory.deals import InMemoryDealCache
from pricekit.testing._deal_contracts import _LOC as LOC
from pricekit.testing._deal_contracts import _cached_ptl as cached_ptl
from pricekit.testing._deal_contracts import _deal as deal
from pricekit.testing._deal_contracts import _dutchie as dutchie

OTHER = "loc-2"
MAR_6 = datetime(2026, 3, 6, tzinfo=UTC)
MAR_6_NOON = datetime(2026, 3, 6, 12, tzinfo=UTC)
MAR_7 = datetime(2026, 3, 7, tzinfo=UTC)
MAR_8 = datetime(2026, 3, 8, tzinfo=UTC)


def raw(
    discount_id: str,
    name: str = "",
    *,
    location: str = LOC,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Deal:
    """A PTL deal as the webhook sends it: its bare discount id, the default source."""
    return deal(
        discount_id,
        discount_id,
        name=name,
        location=location,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def ids(deals: list[Deal] | None) -> list[str]:
    assert deals is not None
    return [d.id for d in deals]


# -- the merge --------------------------------------------------------------------------


def test_old_ptl_dropped_dutchie_kept() -> None:
    marked_only = deal("loc-1_ptl_8", "8")  # source dutchie, but the seed's id says PTL
    existing = [dutchie("100"), cached_ptl("7"), dutchie("101"), marked_only]

    report = merge_ptl_report(existing, [raw("501")], location_id=LOC)

    assert report == MergeReport(
        deals=report.deals, dropped_ptl_ids=["loc-1_ptl_7", "loc-1_ptl_8"], replaced_by_dutchie={}
    )
    assert ids(report.deals) == ["loc-1_100", "loc-1_101", "loc-1_ptl_501"]
    assert report.deals[:2] == [existing[0], existing[2]]
    assert merge_ptl(existing, [raw("501")], location_id=LOC) == report.deals


def test_order_is_dutchie_in_existing_order_then_ptl_in_incoming_order() -> None:
    existing = [cached_ptl("7"), dutchie("102"), cached_ptl("8"), dutchie("100")]
    incoming = [raw("503"), raw("501"), raw("502")]

    merged = merge_ptl(existing, incoming, location_id=LOC)

    assert ids(merged) == [
        "loc-1_102",
        "loc-1_100",
        "loc-1_ptl_503",
        "loc-1_ptl_501",
        "loc-1_ptl_502",
    ]


def test_incoming_ids_are_normalised_to_ptl_ids() -> None:
    bare = raw("501", "Flower Friday")
    half = deal("ptl_502", "502", source=DealSource.PTL)  # right source, wrong id

    merged = merge_ptl([], [bare, half], location_id=LOC)

    assert ids(merged) == ["loc-1_ptl_501", "loc-1_ptl_502"]
    assert [d.source for d in merged] == [DealSource.PTL, DealSource.PTL]
    assert [d.discount_id for d in merged] == ["501", "502"]
    # Only the id and the source change.
    assert merged[0].model_dump(exclude={"id", "source"}) == bare.model_dump(
        exclude={"id", "source"}
    )
    assert merged[0].name == "Flower Friday"


def test_already_prefixed_ids_are_left_alone() -> None:
    ready = cached_ptl("501")
    wrong_source = deal("loc-1_ptl_502", "502")  # the PTL id, but source dutchie

    merged = merge_ptl([], [ready, wrong_source], location_id=LOC)

    assert merged[0] is ready
    assert merged[1].id == "loc-1_ptl_502"
    assert merged[1].source is DealSource.PTL


def test_merging_the_same_payload_twice_gives_the_same_set() -> None:
    existing = [dutchie("100"), cached_ptl("7"), dutchie("101", "Flower Friday")]
    incoming = [raw("501"), raw("502", "flower friday"), raw("101")]

    first = merge_ptl_report(existing, incoming, location_id=LOC)
    second = merge_ptl_report(first.deals, incoming, location_id=LOC)

    assert ids(first.deals) == ["loc-1_100", "loc-1_101", "loc-1_ptl_501"]
    assert first.dropped_ptl_ids == ["loc-1_ptl_7"]
    assert first.replaced_by_dutchie == {
        "loc-1_ptl_502": "loc-1_101",
        "loc-1_ptl_101": "loc-1_101",
    }
    assert second.deals == first.deals
    assert second.dropped_ptl_ids == []  # loc-1_ptl_501 came again: replaced, not dropped
    assert second.replaced_by_dutchie == first.replaced_by_dutchie


def test_dutchie_wins_over_a_ptl_deal_with_its_discount_id() -> None:
    register = dutchie("501", "Register name")
    incoming = [raw("501", "PTL name"), raw("502")]

    report = merge_ptl_report([register], incoming, location_id=LOC)

    assert ids(report.deals) == ["loc-1_501", "loc-1_ptl_502"]
    assert report.deals[0] is register
    assert report.replaced_by_dutchie == {"loc-1_ptl_501": "loc-1_501"}


def test_dutchie_wins_over_a_ptl_deal_with_its_name_and_overlapping_validity() -> None:
    register = dutchie("100", "  Flower   FRIDAY ", valid_from=MAR_6, valid_to=MAR_7)
    # Mar 6 12:00 .. Mar 8 overlaps Mar 6 .. Mar 7 (Mar 6 12:00 to Mar 7).
    overlapping = raw("501", "flower friday", valid_from=MAR_6_NOON, valid_to=MAR_8)
    # No validity at all: runs forever, so it overlaps too.
    open_ended = raw("502", "Flower\tFriday")

    report = merge_ptl_report([register], [overlapping, open_ended], location_id=LOC)

    assert ids(report.deals) == ["loc-1_100"]
    assert report.replaced_by_dutchie == {
        "loc-1_ptl_501": "loc-1_100",
        "loc-1_ptl_502": "loc-1_100",
    }


def test_a_ptl_deal_with_a_dutchie_name_but_no_overlap_is_kept() -> None:
    register = dutchie("100", "Flower Friday", valid_from=MAR_6, valid_to=MAR_7)
    # Starts when the Dutchie deal ends (ends are exclusive): no overlap.
    next_day = raw("501", "Flower Friday", valid_from=MAR_7, valid_to=MAR_8)
    # Same validity, another name: another deal.
    other_name = raw("502", "Flower Saturday", valid_from=MAR_6, valid_to=MAR_7)

    report = merge_ptl_report([register], [next_day, other_name], location_id=LOC)

    assert ids(report.deals) == ["loc-1_100", "loc-1_ptl_501", "loc-1_ptl_502"]
    assert report.replaced_by_dutchie == {}


def test_a_ptl_deal_never_counts_as_duplicating_an_old_ptl_deal() -> None:
    existing = [cached_ptl("7", "Flower Friday")]

    merged = merge_ptl(existing, [raw("501", "Flower Friday")], location_id=LOC)

    assert ids(merged) == ["loc-1_ptl_501"]


def test_an_incoming_deal_of_another_location_is_refused() -> None:
    incoming = [raw("501"), raw("502", location=OTHER)]

    with pytest.raises(InvalidValueError) as caught:
        merge_ptl([dutchie("100")], incoming, location_id=LOC)

    assert caught.value.field == "incoming[1].location_id"
    assert caught.value.value == "loc-2"


def test_an_existing_deal_of_another_location_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        merge_ptl([dutchie("100"), dutchie("100", location=OTHER)], [], location_id=LOC)

    assert caught.value.field == "existing[1].location_id"
    assert caught.value.value == "loc-2"


def test_two_incoming_deals_with_one_ptl_id_are_refused() -> None:
    # A bare "501" and an already-prefixed "loc-1_ptl_501" are the same PTL deal.
    incoming = [raw("500"), raw("501"), cached_ptl("501")]

    with pytest.raises(InvalidValueError) as caught:
        merge_ptl([], incoming, location_id=LOC)

    assert caught.value.field == "incoming[2].id"
    assert caught.value.value == "loc-1_ptl_501"


def test_a_ptl_id_too_long_for_an_id_is_refused_naming_the_incoming_deal() -> None:
    long_id = "9" * 250  # "loc-1_ptl_" (10) + 250 = 260 characters, over 255

    with pytest.raises(InvalidValueError) as caught:
        merge_ptl([], [raw("501"), raw(long_id)], location_id=LOC)

    assert caught.value.field == "incoming[1].id"
    assert caught.value.value == "loc-1_ptl_" + long_id


def test_an_empty_publication_removes_every_ptl_deal() -> None:
    existing = [dutchie("100"), cached_ptl("7"), cached_ptl("8")]

    report = merge_ptl_report(existing, [], location_id=LOC)

    assert ids(report.deals) == ["loc-1_100"]
    assert report.dropped_ptl_ids == ["loc-1_ptl_7", "loc-1_ptl_8"]


def test_the_merge_does_not_change_its_inputs() -> None:
    existing = [dutchie("100"), cached_ptl("7")]
    incoming = [raw("501")]

    merge_ptl(existing, incoming, location_id=LOC)

    assert ids(existing) == ["loc-1_100", "loc-1_ptl_7"]
    assert ids(incoming) == ["501"]


# -- the port ---------------------------------------------------------------------------


def test_the_cache_key_is_the_seeds() -> None:
    assert deal_cache_key("4b1c-uuid") == "discounts:4b1c-uuid"
    with pytest.raises(InvalidValueError) as caught:
        deal_cache_key("")
    assert caught.value.field == "location_id"


def test_the_in_memory_cache_is_a_deal_cache() -> None:
    assert isinstance(InMemoryDealCache(), DealCache)


# -- the in-memory cache ----------------------------------------------------------------


def test_nothing_cached_is_none_and_cached_empty_is_an_empty_list() -> None:
    cache = InMemoryDealCache()

    assert cache.get(LOC) is None
    assert cache.locations() == []

    cache.replace(LOC, [])

    assert cache.get(LOC) == []
    assert cache.get(OTHER) is None
    assert cache.locations() == ["loc-1"]


def test_replace_writes_the_whole_set_and_locations_are_sorted() -> None:
    cache = InMemoryDealCache()
    cache.replace("loc-b", [dutchie("100", location="loc-b")])
    cache.replace("loc-a", [dutchie("100", location="loc-a"), dutchie("101", location="loc-a")])
    cache.replace("loc-b", [dutchie("102", location="loc-b")])

    assert ids(cache.get("loc-a")) == ["loc-a_100", "loc-a_101"]
    assert ids(cache.get("loc-b")) == ["loc-b_102"]
    assert cache.locations() == ["loc-a", "loc-b"]


def test_replace_with_a_deal_of_another_location_writes_nothing() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100")])

    with pytest.raises(InvalidValueError) as caught:
        cache.replace(LOC, [dutchie("101"), dutchie("102", location=OTHER), dutchie("103")])

    assert caught.value.field == "deals[1].location_id"
    assert caught.value.value == "loc-2"
    assert ids(cache.get(LOC)) == ["loc-1_100"]


def test_replace_with_an_id_twice_writes_nothing() -> None:
    cache = InMemoryDealCache()

    with pytest.raises(InvalidValueError) as caught:
        cache.replace(LOC, [dutchie("101"), dutchie("102"), dutchie("101")])

    assert caught.value.field == "deals[2].id"
    assert caught.value.value == "loc-1_101"
    assert cache.get(LOC) is None
    assert cache.locations() == []


def test_the_cached_set_is_a_copy() -> None:
    cache = InMemoryDealCache()
    given = [dutchie("100")]
    cache.replace(LOC, given)
    given.append(dutchie("101"))
    read = cache.get(LOC)
    assert read is not None
    read.clear()

    assert ids(cache.get(LOC)) == ["loc-1_100"]


def test_merge_ptl_through_the_cache() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100"), cached_ptl("7"), dutchie("101", "Flower Friday")])

    merged = cache.merge_ptl(LOC, [raw("501"), raw("502", "FLOWER friday")])

    assert ids(merged) == ["loc-1_100", "loc-1_101", "loc-1_ptl_501"]
    assert cache.get(LOC) == merged
    # Again: the same set.
    assert cache.merge_ptl(LOC, [raw("501"), raw("502", "FLOWER friday")]) == merged
    assert cache.get(LOC) == merged


def test_merge_ptl_into_an_uncached_location_caches_the_ptl_set() -> None:
    cache = InMemoryDealCache()

    merged = cache.merge_ptl(LOC, [raw("501")])

    assert ids(merged) == ["loc-1_ptl_501"]
    assert cache.get(LOC) == merged
    assert cache.locations() == ["loc-1"]


def test_a_refused_merge_writes_nothing() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100"), cached_ptl("7")])

    with pytest.raises(InvalidValueError) as caught:
        cache.merge_ptl(LOC, [raw("501"), raw("502", location=OTHER)])

    assert caught.value.field == "incoming[1].location_id"
    assert ids(cache.get(LOC)) == ["loc-1_100", "loc-1_ptl_7"]


def test_an_unreadable_cache_raises_and_never_answers_empty() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100"), cached_ptl("7")])
    cache.break_reads("connection reset")

    with pytest.raises(DealCacheError) as caught:
        cache.get(LOC)
    assert caught.value.location_id == "loc-1"
    assert caught.value.operation == "read"
    assert "connection reset" in str(caught.value)
    assert isinstance(caught.value, BackendUnavailableError)
    assert isinstance(caught.value, PricekitError)

    with pytest.raises(DealCacheError) as uncached:
        cache.get(OTHER)  # not even "nothing cached": the answer is unknown
    assert uncached.value.location_id == "loc-2"

    with pytest.raises(DealCacheError):
        cache.merge_ptl(LOC, [raw("501")])

    with pytest.raises(DealCacheError) as listing:
        cache.locations()
    assert listing.value.location_id is None

    cache.heal()

    # The failed merge wrote nothing.
    assert ids(cache.get(LOC)) == ["loc-1_100", "loc-1_ptl_7"]
    assert cache.locations() == ["loc-1"]


# -- concurrency ------------------------------------------------------------------------

THREADS = 20


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, to shake out races."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("switch_often")
def test_concurrent_merges_keep_dutchie_and_end_with_one_whole_ptl_set() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100"), cached_ptl("7"), dutchie("101")])
    dutchie_ids = ["loc-1_100", "loc-1_101"]
    payloads = [[raw(f"p{k}a"), raw(f"p{k}b")] for k in range(THREADS)]
    ptl_sets = [[f"loc-1_ptl_p{k}a", f"loc-1_ptl_p{k}b"] for k in range(THREADS)]
    before = ["loc-1_100", "loc-1_ptl_7", "loc-1_101"]

    barrier = threading.Barrier(THREADS + 1)
    done = threading.Event()
    returned: list[list[str]] = [[] for _ in range(THREADS)]
    seen: list[list[str]] = []
    errors: list[BaseException] = []

    def merge(index: int) -> None:
        try:
            barrier.wait()
            returned[index] = ids(cache.merge_ptl(LOC, payloads[index]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            barrier.wait()
            while not done.is_set():
                seen.append(ids(cache.get(LOC)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=merge, args=(k,)) for k in range(THREADS)]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()

    assert errors == []
    # Each merge returned the Dutchie deals and exactly its own PTL set.
    for k in range(THREADS):
        assert returned[k] == [*dutchie_ids, *ptl_sets[k]]
    # Every snapshot is the set from before, or the Dutchie deals and one whole PTL set:
    # never a mix of two publications, never none; the end is one of the merges.
    final = ids(cache.get(LOC))
    for snapshot in seen:
        assert snapshot == before or (snapshot[:2] == dutchie_ids and snapshot[2:] in ptl_sets), (
            snapshot
        )
    assert final[:2] == dutchie_ids
    assert final[2:] in ptl_sets


def race_a_sync_with_merges() -> list[str]:
    """Run a Dutchie sync (``replace``) and THREADS PTL merges at once; the ids cached after."""
    cache = InMemoryDealCache()
    cache.replace(LOC, [dutchie("100"), dutchie("101")])
    barrier = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def merge(index: int) -> None:
        try:
            barrier.wait()
            cache.merge_ptl(LOC, [raw(f"p{index}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sync() -> None:
        try:
            barrier.wait()
            cache.replace(LOC, [dutchie("200"), dutchie("201")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=merge, args=(k,)) for k in range(THREADS)]
    threads.append(threading.Thread(target=sync))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return ids(cache.get(LOC))


@pytest.mark.usefixtures("switch_often")
def test_a_merge_never_writes_back_a_stale_dutchie_set() -> None:
    # The Dutchie sync replaces the set while PTL webhooks merge: a merge that read the
    # old set and wrote after the sync would bring back Dutchie deals the sync removed.
    for _ in range(20):
        final = race_a_sync_with_merges()
        # The sync ran: whatever ran after it started from its set (the sync's set has
        # no PTL deal; each merge adds its own one).
        assert final[:2] == ["loc-1_200", "loc-1_201"]
        assert final[2:] in [[], *[[f"loc-1_ptl_p{k}"] for k in range(THREADS)]]
