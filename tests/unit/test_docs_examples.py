"""Every python code block in README.md and docs/ runs, top to bottom.

A block runs on its own, unless its first line is ``# continues the example above``:
then it runs after the page's previous block, in the same namespace. A block
that needs a Redis server says so (``NEEDS_REDIS`` in it): it runs in
``tests/integration/test_docs_redis.py``, with ``REDIS_URL`` pointing at the
test session's server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
CONTINUES = "# continues the example above"
NEEDS_REDIS = "REDIS_URL"
"""A block that uses this name runs against a real Redis server, in the integration tests."""


def _blocks() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        previous = ""
        for number, match in enumerate(_BLOCK.finditer(text), start=1):
            line = text.count("\n", 0, match.start()) + 2
            code = match.group(1)
            if code.startswith(CONTINUES):
                code = previous + code
            previous = code
            found.append((f"{path.relative_to(ROOT)}:{line} (block {number})", code))
    return found


BLOCKS = [(label, code) for label, code in _blocks() if NEEDS_REDIS not in code]
REDIS_BLOCKS = [(label, code) for label, code in _blocks() if NEEDS_REDIS in code]


def test_docs_have_examples() -> None:
    pages = {label.split(":")[0] for label, _ in BLOCKS}
    for page in (
        "README.md",
        "docs/money.md",
        "docs/time.md",
        "docs/catalog.md",
        "docs/testing.md",
    ):
        assert page in pages, f"{page} has no python example"


@pytest.mark.parametrize(("label", "code"), BLOCKS, ids=[label for label, _ in BLOCKS])
def test_block_runs(label: str, code: str) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    exec(compile(code, label, "exec"), namespace)


def test_contract_suite_example_passes_under_pytest(pytester: pytest.Pytester) -> None:
    """The testing page's integrator example is a real test class: run it with pytest."""
    (code,) = [code for label, code in BLOCKS if "docs/testing.md" in label and "Contract" in code]
    pytester.makepyfile(test_integrator=code)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 9, result.stdout.str()
    assert "failed" not in outcomes
    assert "errors" not in outcomes
