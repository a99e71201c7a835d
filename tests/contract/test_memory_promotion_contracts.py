"""The promotion contract suites, run against the in-memory repository."""

from __future__ import annotations

import pytest

from pricekit.memory import InMemoryPromotionRepository
from pricekit.promotions.repository import PromotionRepository
from pricekit.testing.contracts import (
    PromotionRepositoryContract,
    PromotionUsageRepositoryContract,
)


class TestInMemoryPromotionRepository(PromotionRepositoryContract):
    @pytest.fixture
    def promotion_repository(self) -> PromotionRepository:
        return InMemoryPromotionRepository()


class TestInMemoryPromotionUsageRepository(PromotionUsageRepositoryContract):
    @pytest.fixture
    def promotion_usage_repository(self) -> InMemoryPromotionRepository:
        return InMemoryPromotionRepository()


@pytest.mark.parametrize(
    ("suite", "fixture", "test"),
    [
        ("PromotionRepositoryContract", "promotion_repository", "is_a_promotion_repository"),
        (
            "PromotionUsageRepositoryContract",
            "promotion_usage_repository",
            "is_a_promotion_and_usage_repository",
        ),
    ],
)
def test_a_suite_without_its_fixture_fails_with_instructions(
    pytester: pytest.Pytester, suite: str, fixture: str, test: str
) -> None:
    pytester.makepyfile(
        f"""
        from pricekit.testing.contracts import {suite}

        class TestForgotTheFixture({suite}):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", test)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*TestForgotTheFixture must define a '{fixture}' fixture*"])
