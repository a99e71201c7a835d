"""Threads released together, for the contract suites' concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["race"]


def race(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(0..count-1)`` on threads released together; what each returned, in order.

    A call that raised gives its exception in its place, for the caller to assert on.
    """
    results: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except BaseException as exc:  # handed back for the caller to assert on
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
