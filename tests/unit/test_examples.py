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
    # the 3-gram tier of the retail list prices Super Haze at 11.00
    assert "haze-1      3 x 11.00 USD (list retail)  = 33.00 USD" in out
    # Friday 16:30 in Phoenix: 15% off the flower lines, 70.00 -> 10.50 and 33.00 -> 4.95
    assert "- 10.50 USD  happy-hour" in out
    assert "- 4.95 USD  happy-hour" in out
    # 5.00 over what is left (59.50 / 28.05 / 19.99) by largest remainder: 2.77, 1.30, 0.93
    assert "line total 56.73 USD" in out
    assert "line total 26.75 USD" in out
    assert "line total 19.06 USD" in out
    assert "subtotal 122.99 USD" in out
    assert "add 2 more item(s) from product 'gummies' (buy 2, get 1)" in out
    assert "savings 20.45 USD" in out
    assert "total 102.54 USD" in out
