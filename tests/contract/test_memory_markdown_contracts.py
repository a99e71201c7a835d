"""The markdown contract suites, run against the in-memory repositories."""

from __future__ import annotations

import pytest

from pricekit.markdowns.ports import (
    MarkdownHistoryRepository,
    MarkdownPlanRepository,
    MarkdownWaveRepository,
)
from pricekit.memory import (
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.testing.contracts import (
    MarkdownHistoryRepositoryContract,
    MarkdownPlanRepositoryContract,
    MarkdownWaveRepositoryContract,
)


class TestInMemoryMarkdownPlanRepository(MarkdownPlanRepositoryContract):
    @pytest.fixture
    def markdown_plan_repository(self) -> MarkdownPlanRepository:
        return InMemoryMarkdownPlanRepository()


class TestInMemoryMarkdownWaveRepository(MarkdownWaveRepositoryContract):
    @pytest.fixture
    def markdown_wave_repository(self) -> MarkdownWaveRepository:
        return InMemoryMarkdownWaveRepository()


class TestInMemoryMarkdownHistoryRepository(MarkdownHistoryRepositoryContract):
    @pytest.fixture
    def markdown_history_repository(self) -> MarkdownHistoryRepository:
        return InMemoryMarkdownHistoryRepository()


@pytest.mark.parametrize(
    ("suite", "fixture"),
    [
        ("MarkdownPlanRepositoryContract", "markdown_plan_repository"),
        ("MarkdownWaveRepositoryContract", "markdown_wave_repository"),
        ("MarkdownHistoryRepositoryContract", "markdown_history_repository"),
    ],
)
def test_a_suite_without_its_fixture_fails_with_instructions(
    pytester: pytest.Pytester, suite: str, fixture: str
) -> None:
    pytester.makepyfile(
        f"""
        from pricekit.testing.contracts import {suite}

        class TestForgotTheFixture({suite}):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "is_a_markdown")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*TestForgotTheFixture must define a '{fixture}' fixture*"])
