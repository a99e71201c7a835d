"""Every program in examples/ runs to completion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert any(path.name == "quickstart.py" for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "an example should show what it did"


def test_quickstart_prices_the_cart_exactly() -> None:
    path = next(path for path in EXAMPLES if path.name == "quickstart.py")
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "flower sale active: True" in out
    assert "OG-35    2 x 29.75 USD  = 59.50 USD" in out  # 35.00 less 15%
    assert "HZ-1     3 x 10.20 USD  = 30.60 USD" in out  # 12.00 less 15%
    assert "subtotal 110.09 USD" in out
    # 5.00 over 59.50 / 30.60 / 19.99 by largest remainder: 2.70, 1.39, 0.91
    assert "59.50 USD - 2.70 USD = 56.80 USD" in out
    assert "30.60 USD - 1.39 USD = 29.21 USD" in out
    assert "19.99 USD - 0.91 USD = 19.08 USD" in out
    assert "total 105.09 USD" in out
