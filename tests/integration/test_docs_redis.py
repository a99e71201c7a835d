"""The docs' code blocks that need a Redis server, run against the test session's own."""

from __future__ import annotations

import pytest
from tests.unit.test_docs_examples import REDIS_BLOCKS


def test_the_redis_page_has_examples() -> None:
    assert any(label.startswith("docs/redis.md") for label, _ in REDIS_BLOCKS)


@pytest.mark.parametrize(("label", "code"), REDIS_BLOCKS, ids=[label for label, _ in REDIS_BLOCKS])
def test_block_runs_against_redis(label: str, code: str, redis_url: str) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__", "REDIS_URL": redis_url}
    exec(compile(code, label, "exec"), namespace)
