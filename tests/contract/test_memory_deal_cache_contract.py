"""The deal cache contract suite, run against the in-memory cache, and its testing aids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricekit.deals.models import Deal, DealReward, DealSource, RewardMethod
from pricekit.deals.ports import DealCache, DealCacheError
from pricekit.errors import BackendUnavailableError, PricekitError
from pricekit.memory import InMemoryDealCache
from pricekit.testing.contracts import DealCacheContract

LOC = "loc-1"
OTHER = "loc-2"


class TestInMemoryDealCache(DealCacheContract):
    @pytest.fixture
    def deal_cache(self) -> DealCache:
        return InMemoryDealCache()


def test_the_suite_without_its_fixture_fails_with_instructions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pricekit.testing.contracts import DealCacheContract

        class TestForgotTheFixture(DealCacheContract):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "is_a_deal_cache")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TestForgotTheFixture must define a 'deal_cache' fixture*"])


# -- break_reads / heal -------------------------------------------------------------------


def deal(discount_id: str, *, source: DealSource = DealSource.DUTCHIE) -> Deal:
    mark = "_ptl_" if source is DealSource.PTL else "_"
    return Deal(
        id=f"{LOC}{mark}{discount_id}",
        discount_id=discount_id,
        location_id=LOC,
        source=source,
        name=f"Deal {discount_id}",
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal(10)),
    )


def incoming(discount_id: str) -> Deal:
    return deal(discount_id).evolve(id=f"raw-{discount_id}")


@pytest.fixture
def broken() -> InMemoryDealCache:
    """A cache holding loc-1's set, an empty loc-2, whose reads are broken."""
    cache = InMemoryDealCache()
    cache.replace(LOC, [deal("100"), deal("7", source=DealSource.PTL)])
    cache.replace(OTHER, [])
    cache.break_reads("connection reset")
    return cache


def test_a_failed_read_raises_and_never_answers_empty(broken: InMemoryDealCache) -> None:
    with pytest.raises(DealCacheError) as caught:
        broken.get(LOC)
    error = caught.value
    assert isinstance(error, BackendUnavailableError)
    assert isinstance(error, PricekitError)
    assert error.location_id == LOC
    assert error.operation == "read"
    assert error.cause == "connection reset"
    assert error.backend == "in-memory deal cache"
    assert (
        str(error) == "in-memory deal cache could not read the deals of 'loc-1': connection reset"
    )


@pytest.mark.parametrize("location", [OTHER, "never-cached"], ids=["cached-empty", "never-cached"])
def test_an_empty_or_missing_set_is_unknown_too_while_reads_fail(
    broken: InMemoryDealCache, location: str
) -> None:
    # Neither [] (cached empty) nor None (never cached): the answer is unknown.
    with pytest.raises(DealCacheError) as caught:
        broken.get(location)
    assert caught.value.location_id == location


def test_listing_the_locations_fails_with_no_location(broken: InMemoryDealCache) -> None:
    with pytest.raises(DealCacheError) as caught:
        broken.locations()
    assert caught.value.location_id is None
    assert "could not read the locations" in str(caught.value)


def test_a_merge_that_cannot_read_writes_nothing(broken: InMemoryDealCache) -> None:
    with pytest.raises(DealCacheError) as caught:
        broken.merge_ptl(LOC, [incoming("501")])
    assert caught.value.location_id == LOC
    with pytest.raises(DealCacheError):
        broken.merge_ptl("never-cached", [])

    broken.heal()
    assert [d.id for d in broken.get(LOC) or []] == ["loc-1_100", "loc-1_ptl_7"]
    assert broken.get("never-cached") is None
    assert broken.locations() == [LOC, OTHER]


def test_writes_still_succeed_while_reads_fail_and_show_after_heal(
    broken: InMemoryDealCache,
) -> None:
    broken.replace(LOC, [deal("200")])
    broken.replace("loc-3", [])
    with pytest.raises(DealCacheError):
        broken.get(LOC)

    broken.heal()
    assert broken.get(LOC) == [deal("200")]
    assert broken.get("loc-3") == []
    assert broken.locations() == [LOC, OTHER, "loc-3"]


def test_heal_restores_every_read_and_breaking_again_fails_again() -> None:
    cache = InMemoryDealCache()
    cache.replace(LOC, [deal("100")])
    cache.break_reads()
    with pytest.raises(DealCacheError) as caught:
        cache.get(LOC)
    assert caught.value.cause == "simulated read failure"

    cache.heal()
    cache.heal()  # healing a healthy cache is harmless
    assert cache.get(LOC) == [deal("100")]
    assert [d.id for d in cache.merge_ptl(LOC, [incoming("501")])] == [
        "loc-1_100",
        "loc-1_ptl_501",
    ]

    cache.break_reads("disk full")
    with pytest.raises(DealCacheError, match="disk full"):
        cache.locations()
