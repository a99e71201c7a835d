"""The price cache contract suite, run against the in-process cache."""

from __future__ import annotations

import pytest

from pricekit.pricing.cache import InMemoryPriceCache, PriceCache
from pricekit.testing.contracts import PriceCacheContract


class TestInMemoryPriceCache(PriceCacheContract):
    @pytest.fixture
    def price_cache(self) -> PriceCache:
        return InMemoryPriceCache()


def test_the_suite_without_its_fixture_fails_with_instructions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pricekit.testing.contracts import PriceCacheContract

        class TestForgotTheFixture(PriceCacheContract):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "is_a_price_cache")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TestForgotTheFixture must define a 'price_cache' fixture*"])
