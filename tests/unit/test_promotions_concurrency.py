"""Concurrent recording never exceeds a usage limit nor records a sale twice."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pricekit.errors import UsageLimitReachedError
from pricekit.memory import InMemoryPromotionRepository
from pricekit.money import Money
from pricekit.promotions.models import PromotionApplication
from pricekit.promotions.service import PromotionService
from pricekit.time import ManualClock

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
THREADS = 16
ATTEMPTS = 50


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, to shake out races."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def service_with(**overrides: Any) -> tuple[PromotionService, InMemoryPromotionRepository]:
    repo = InMemoryPromotionRepository()
    service = PromotionService(promotions=repo, usage=repo, clock=ManualClock(T0))
    service.create_promotion(
        {
            "id": "p1",
            "business_id": "b1",
            "name": "20% off tees",
            "type": "percentage_discount",
            "scope": "line",
            "currency": "USD",
            "status": "active",
            "item_filter": {"category_ids": ["tees"]},
            "rewards": [{"type": "pct_off_item", "percent": 20}],
            **overrides,
        }
    )
    return service, repo


def run_threads(work: Callable[[int], list[object]]) -> list[object]:
    """Run ``work(thread_index)`` on THREADS threads released together; gather the results."""
    barrier = threading.Barrier(THREADS)
    results: list[list[object]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return [outcome for per_thread in results for outcome in per_thread]


def attempt(
    service: PromotionService, sale_id: str, customer_id: str | None = None
) -> PromotionApplication | UsageLimitReachedError:
    try:
        return service.record_application(
            "p1", sale_id=sale_id, discount=Money.of("1.00", "USD"), customer_id=customer_id
        )
    except UsageLimitReachedError as refused:
        return refused


@pytest.mark.parametrize("max_uses", [1, 7, 100])
def test_max_uses_holds_under_contention(max_uses: int) -> None:
    service, _ = service_with(max_uses=max_uses)

    def work(index: int) -> list[object]:
        return [attempt(service, f"sale-{index}-{n}") for n in range(ATTEMPTS)]

    outcomes = run_threads(work)
    recorded = [o for o in outcomes if isinstance(o, PromotionApplication)]
    refused = [o for o in outcomes if isinstance(o, UsageLimitReachedError)]
    assert len(recorded) == max_uses
    assert len(refused) == THREADS * ATTEMPTS - max_uses
    assert all(error.limit == max_uses for error in refused)
    assert len({a.sale_id for a in recorded}) == max_uses
    assert service.get_promotion("p1").current_uses == max_uses
    assert service.applications("p1").total == max_uses
    (row,) = service.usage_summary("b1")
    assert (row.uses, row.total_discount) == (max_uses, Money.of(max_uses, "USD"))


def test_max_uses_per_customer_holds_under_contention() -> None:
    per_customer = 3
    customers = [f"c{n}" for n in range(5)]
    service, repo = service_with(max_uses_per_customer=per_customer)

    def work(index: int) -> list[object]:
        return [
            attempt(service, f"sale-{index}-{n}", customers[n % len(customers)])
            for n in range(ATTEMPTS)
        ]

    outcomes = run_threads(work)
    recorded = [o for o in outcomes if isinstance(o, PromotionApplication)]
    refused = [o for o in outcomes if isinstance(o, UsageLimitReachedError)]
    assert len(recorded) == per_customer * len(customers)
    assert len(recorded) + len(refused) == THREADS * ATTEMPTS
    assert {error.customer_id for error in refused} == set(customers)
    assert repo.customer_uses("c0", ["p1"]) == {"p1": per_customer}
    for customer in customers:
        assert sum(1 for a in recorded if a.customer_id == customer) == per_customer
    assert service.get_promotion("p1").current_uses == per_customer * len(customers)


def test_both_limits_hold_under_contention() -> None:
    service, _ = service_with(max_uses=10, max_uses_per_customer=4)

    def work(index: int) -> list[object]:
        return [attempt(service, f"sale-{index}-{n}", f"c{index % 2}") for n in range(ATTEMPTS)]

    outcomes = run_threads(work)
    recorded = [o for o in outcomes if isinstance(o, PromotionApplication)]
    assert len(recorded) == 8  # two customers, four each, under the overall ten
    assert service.get_promotion("p1").current_uses == 8


def test_the_same_sale_is_recorded_once() -> None:
    service, _ = service_with(max_uses=1000)

    def work(index: int) -> list[object]:
        return [attempt(service, "the-sale") for _ in range(5)]

    outcomes = run_threads(work)
    assert all(isinstance(o, PromotionApplication) for o in outcomes)
    assert len({o.id for o in outcomes if isinstance(o, PromotionApplication)}) == 1
    assert service.get_promotion("p1").current_uses == 1
    assert service.applications("p1").total == 1


def test_reads_and_transitions_during_recording_keep_the_counter() -> None:
    """``replace`` (renames, pauses) racing with ``record`` never loses an increment."""
    service, _ = service_with()

    def work(index: int) -> list[object]:
        if index % 4 == 0:
            for n in range(ATTEMPTS):
                service.update_promotion("p1", name=f"renamed {index}-{n}")
                service.list_promotions("b1")
            return []
        return [attempt(service, f"sale-{index}-{n}") for n in range(ATTEMPTS)]

    outcomes = run_threads(work)
    recorders = THREADS - THREADS // 4
    assert len(outcomes) == recorders * ATTEMPTS
    assert service.get_promotion("p1").current_uses == recorders * ATTEMPTS
