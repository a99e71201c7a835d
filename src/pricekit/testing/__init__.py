"""pricekit's testing kit, for host test suites and integrators.

- :mod:`pricekit.testing.strategies`: Hypothesis strategies for money, schedules,
  catalogs and more (needs the ``testing`` extra).
- :mod:`pricekit.testing.contracts`: contract suites that prove a custom repository
  behaves like pricekit's own (needs pytest and Hypothesis).
- :class:`FixedClock` and :class:`ManualClock`: clocks to pin or move time in tests.

Importing this package needs neither Hypothesis nor pytest; the two submodules do.
"""

from pricekit.time import FixedClock, ManualClock

__all__ = ["FixedClock", "ManualClock"]
