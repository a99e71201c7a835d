"""The in-memory pricing repositories under many threads at once.

What every repository must do is in the shipped contract suites
(tests/contract/test_memory_pricing_contracts.py runs them against these).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pricekit.memory import InMemoryPriceListItemRepository
from pricekit.money import Money
from pricekit.pricing.models import PriceListItem


def _item(item_id: str, list_id: str = "pl", sku: str = "sku", **extra: object) -> PriceListItem:
    fields: dict[str, object] = {"price": Money.of("1.00", "USD"), **extra}
    return PriceListItem(id=item_id, price_list_id=list_id, item_id=sku, **fields)  # type: ignore[arg-type]


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_item_repository_thread_safety_smoke() -> None:
    repo = InMemoryPriceListItemRepository()

    def work(n: int) -> None:
        for batch in range(20):
            repo.add_many([_item(f"t{n}-b{batch}-{k}", list_id=f"pl{n % 3}") for k in range(5)])
            repo.find(price_list_id=f"pl{n % 3}", limit=10)
            repo.all_for_lists(["pl0", "pl1", "pl2"])

    assert _run_threads(8, work) == []
    assert repo.find().total == 8 * 20 * 5
    assert len(repo.all_for_lists(["pl0", "pl1", "pl2"])) == 800
