"""Threads released together, for the contract suites' concurrency tests."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["race", "stress"]

_R = TypeVar("_R")


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


def stress(count: int, work: Callable[[int], _R], *, what: str) -> list[_R]:
    """Run ``work(0..count-1)`` on threads released together, switching as often as possible.

    The interpreter's switch interval is cut to a microsecond meanwhile, to shake
    out races. Every call must return: an exception or a thread still running
    after two minutes fails the calling test.

    Args:
        count: How many threads.
        work: What each thread does, given its index.
        what: What the threads do, for the message of a hang (``"a cache thread"``).

    Returns:
        What each call returned, in thread order.
    """
    barrier = threading.Barrier(count, timeout=60)
    results: dict[int, _R] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # reported below
            errors.append(exc)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(before)
    assert not any(thread.is_alive() for thread in threads), f"{what} hung"
    assert errors == []
    return [results[index] for index in range(count)]
