"""The in-memory markdown adapters: locations, inventory, sales, and what contracts leave out."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.markdowns.models import (
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownMethod,
    MarkdownReason,
    MarkdownWave,
    ScopeType,
    WaveItem,
    WaveScope,
)
from pricekit.markdowns.ports import InventoryLookup, LocationDirectory, SaleLine, SalesSource
from pricekit.memory import (
    InMemoryInventory,
    InMemoryLocationDirectory,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownWaveRepository,
    InMemorySalesLedger,
)
from pricekit.money import Money

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def _entry(entry_id: str, *, at: datetime = T0, variant_id: str = "v1") -> MarkdownHistoryEntry:
    return MarkdownHistoryEntry(
        id=entry_id,
        business_id="b1",
        plan_id="p1",
        wave_id="w1",
        action=HistoryAction.ACTIVATED,
        at=at,
        location_id="s1",
        variant_id=variant_id,
    )


def _wave(wave_id: str = "w1") -> MarkdownWave:
    return MarkdownWave(
        id=wave_id,
        plan_id="p1",
        business_id="b1",
        name="Spring",
        method=MarkdownMethod.PERCENT,
        value=Decimal(25),
        reason=MarkdownReason.SEASONAL_CLEARANCE,
        currency="USD",
        scopes=(WaveScope(type=ScopeType.CATEGORY, ids=("c1",)),),
    )


def _item(variant_id: str, *, wave_id: str = "w1") -> WaveItem:
    return WaveItem(
        wave_id=wave_id,
        variant_id=variant_id,
        product_id="prod",
        regular_price=_usd("20.00"),
        base_price=_usd("20.00"),
        markdown_price=_usd("15.00"),
    )


def _line(
    variant_id: str,
    sold_at: datetime,
    *,
    quantity: Decimal = Decimal(1),
    location_id: str = "s1",
) -> SaleLine:
    return SaleLine(
        variant_id=variant_id,
        location_id=location_id,
        sold_at=sold_at,
        quantity=quantity,
        net_amount=_usd("9.99"),
    )


# -- locations ----------------------------------------------------------------------------


def test_location_directory_reports_known_locations_only() -> None:
    directory = InMemoryLocationDirectory({"b1": {"s1": True, "s2": False}, "b2": {"s3": True}})
    assert isinstance(directory, LocationDirectory)
    assert directory.location_status("b1", ["s1", "s2", "s3", "nowhere"]) == {
        "s1": True,
        "s2": False,
    }
    assert directory.location_status("b2", ["s1", "s3"]) == {"s3": True}
    assert directory.location_status("no-such-business", ["s1"]) == {}
    assert directory.location_status("b1", []) == {}


def test_location_directory_copies_its_initial_mapping() -> None:
    initial = {"b1": {"s1": True}}
    directory = InMemoryLocationDirectory(initial)
    initial["b1"]["s1"] = False
    initial["b1"]["s2"] = True
    assert directory.location_status("b1", ["s1", "s2"]) == {"s1": True}


def test_location_directory_set_activate_and_deactivate() -> None:
    directory = InMemoryLocationDirectory()
    directory.set_location("b1", "s1")
    directory.set_location("b1", "s2", active=False)
    assert directory.location_status("b1", ["s1", "s2"]) == {"s1": True, "s2": False}
    directory.deactivate("b1", "s1")
    directory.activate("b1", "s2")
    assert directory.location_status("b1", ["s1", "s2"]) == {"s1": False, "s2": True}
    directory.set_location("b1", "s1", active=True)
    assert directory.location_status("b1", ["s1"]) == {"s1": True}


@pytest.mark.parametrize("method", ["activate", "deactivate"])
def test_location_directory_refuses_unknown_locations(method: str) -> None:
    directory = InMemoryLocationDirectory({"b1": {"s1": True}})
    with pytest.raises(NotFoundError) as caught:
        getattr(directory, method)("b1", "s9")
    assert (caught.value.entity, caught.value.id) == ("location", "s9")
    assert caught.value.details == {"business_id": "b1"}
    with pytest.raises(NotFoundError):
        getattr(directory, method)("b2", "s1")  # known, but in another business
    assert directory.location_status("b1", ["s1", "s9"]) == {"s1": True}
    assert directory.location_status("b2", ["s1"]) == {}


# -- inventory ----------------------------------------------------------------------------


def test_inventory_sums_over_locations() -> None:
    inventory = InMemoryInventory()
    assert isinstance(inventory, InventoryLookup)
    inventory.set_on_hand("b1", "s1", "v1", 10)
    inventory.set_on_hand("b1", "s2", "v1", Decimal("2.5"))
    inventory.set_on_hand("b1", "s3", "v1", 0)
    inventory.set_on_hand("b1", "s1", "v2", Decimal("0.125"))
    inventory.set_on_hand("b2", "s1", "v1", 1000)
    found = inventory.on_hand("b1", ["v1", "v2", "v3"])
    assert found == {"v1": Decimal("12.5"), "v2": Decimal("0.125")}
    assert all(type(units) is Decimal for units in found.values())
    assert inventory.on_hand("b2", ["v1"]) == {"v1": Decimal(1000)}
    assert inventory.on_hand("no-such-business", ["v1"]) == {}


def test_inventory_filters_by_location() -> None:
    inventory = InMemoryInventory()
    inventory.set_on_hand("b1", "s1", "v1", 10)
    inventory.set_on_hand("b1", "s2", "v1", 3)
    inventory.set_on_hand("b1", "s2", "v2", 7)
    assert inventory.on_hand("b1", ["v1", "v2"], location_ids=["s1"]) == {"v1": Decimal(10)}
    assert inventory.on_hand("b1", ["v1", "v2"], location_ids={"s1", "s2"}) == {
        "v1": Decimal(13),
        "v2": Decimal(7),
    }
    assert inventory.on_hand("b1", ["v1", "v2"], location_ids=[]) == {}
    assert inventory.on_hand("b1", ["v1"], location_ids=["s9"]) == {}


def test_inventory_set_on_hand_replaces_the_count() -> None:
    inventory = InMemoryInventory()
    inventory.set_on_hand("b1", "s1", "v1", 10)
    inventory.set_on_hand("b1", "s1", "v1", 4)
    assert inventory.on_hand("b1", ["v1"]) == {"v1": Decimal(4)}


@pytest.mark.parametrize(
    ("units", "reason"),
    [(1.5, "floats are refused"), (-1, "must not be negative"), (Decimal("-0.5"), "negative")],
)
def test_inventory_refuses_floats_and_negatives(units: object, reason: str) -> None:
    inventory = InMemoryInventory()
    inventory.set_on_hand("b1", "s1", "v1", 3)
    with pytest.raises(InvalidValueError) as caught:
        inventory.set_on_hand("b1", "s1", "v1", units)  # type: ignore[arg-type]
    assert caught.value.field == "units"
    assert caught.value.value == units
    assert reason in caught.value.reason
    assert inventory.on_hand("b1", ["v1"]) == {"v1": Decimal(3)}


# -- sales --------------------------------------------------------------------------------


def test_sales_window_is_half_open_and_ordered() -> None:
    ledger = InMemorySalesLedger()
    assert isinstance(ledger, SalesSource)
    start, end = T0, T0 + timedelta(days=1)
    at_start = _line("v2", start)
    at_end = _line("v1", end)
    just_before = _line("v1", start - timedelta(microseconds=1))
    inside_late = _line("v1", end - timedelta(microseconds=1))
    inside_mid = _line("v2", start + timedelta(hours=5))
    tie = _line("v1", start + timedelta(hours=5), location_id="s2")
    ledger.record_many("b1", [at_end, inside_late, at_start, just_before, inside_mid, tie])
    ledger.record("b1", _line("v3", start + timedelta(hours=1)))  # a variant not asked for
    ledger.record("b2", _line("v1", start + timedelta(hours=1)))  # another business
    found = ledger.sales("b1", variant_ids=["v2", "v1"], start=start, end=end)
    assert found == [at_start, tie, inside_mid, inside_late]
    assert ledger.sales("b1", variant_ids=["v1"], start=start, end=start) == []
    assert ledger.sales("b1", variant_ids=[], start=start, end=end) == []
    assert ledger.sales("no-such-business", variant_ids=["v1"], start=start, end=end) == []


def test_sales_compare_instants_across_time_zones() -> None:
    ledger = InMemorySalesLedger()
    eastern = timezone(timedelta(hours=-5))
    line = _line("v1", datetime(2026, 3, 1, 4, 30, tzinfo=eastern))  # 09:30 UTC
    ledger.record("b1", line)
    assert ledger.sales("b1", variant_ids=["v1"], start=T0, end=T0 + timedelta(hours=1)) == [line]
    assert (
        ledger.sales(
            "b1", variant_ids=["v1"], start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2)
        )
        == []
    )


def test_sales_keeps_recording_order_for_equal_times() -> None:
    ledger = InMemorySalesLedger()
    first = _line("v1", T0, quantity=Decimal(1))
    second = _line("v1", T0, quantity=Decimal(2))
    ledger.record("b1", first)
    ledger.record("b1", second)
    assert ledger.sales("b1", variant_ids=["v1"], start=T0, end=T0 + timedelta(seconds=1)) == [
        first,
        second,
    ]


def test_sales_turn_an_int_quantity_into_a_decimal() -> None:
    ledger = InMemorySalesLedger()
    ledger.record("b1", _line("v1", T0, quantity=3))  # type: ignore[arg-type]
    (line,) = ledger.sales("b1", variant_ids=["v1"], start=T0, end=T0 + timedelta(hours=1))
    assert type(line.quantity) is Decimal
    assert line.quantity == Decimal(3)


def test_sales_refuse_naive_and_inexact_lines_all_or_nothing() -> None:
    ledger = InMemorySalesLedger()
    naive = datetime(2026, 3, 1, 9, 0)  # naive on purpose
    with pytest.raises(InvalidValueError) as caught:
        ledger.record_many("b1", [_line("v1", T0), _line("v2", naive)])
    assert (caught.value.field, caught.value.value) == ("sold_at", naive)
    with pytest.raises(InvalidValueError) as caught:
        ledger.record("b1", _line("v1", T0, quantity=0.5))  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("quantity", 0.5)
    assert ledger.sales("b1", variant_ids=["v1", "v2"], start=T0, end=T0 + timedelta(days=1)) == []


def test_sales_refuse_naive_or_reversed_windows() -> None:
    ledger = InMemorySalesLedger()
    naive = datetime(2026, 3, 1)  # naive on purpose
    with pytest.raises(InvalidValueError) as caught:
        ledger.sales("b1", variant_ids=["v1"], start=naive, end=T0)
    assert (caught.value.field, caught.value.value) == ("start", naive)
    with pytest.raises(InvalidValueError) as caught:
        ledger.sales("b1", variant_ids=["v1"], start=T0, end=naive)
    assert (caught.value.field, caught.value.value) == ("end", naive)
    before = T0 - timedelta(seconds=1)
    with pytest.raises(InvalidValueError) as caught:
        ledger.sales("b1", variant_ids=["v1"], start=T0, end=before)
    assert (caught.value.field, caught.value.value) == ("end", before)


# -- what the in-memory repositories refuse beyond the contract ---------------------------


def test_wave_items_must_name_their_wave_once_each() -> None:
    waves = InMemoryMarkdownWaveRepository()
    with pytest.raises(InvalidValueError) as caught:
        waves.add(_wave("w1"), [_item("v1"), _item("v2", wave_id="w2")])
    assert (caught.value.field, caught.value.value) == ("items", "w2")
    with pytest.raises(ConflictError) as conflict:
        waves.add(_wave("w1"), [_item("v1"), _item("v2"), _item("v1")])
    assert (conflict.value.entity, conflict.value.id) == ("wave_item", "v1")
    assert waves.get("w1") is None
    waves.add(_wave("w1"), [_item("v1")])
    with pytest.raises(ConflictError):
        waves.save(_wave("w1"), items=[_item("v2"), _item("v2")])
    assert waves.items("w1") == [_item("v1")]


def test_history_refuses_a_naive_time_and_stores_nothing() -> None:
    history = InMemoryMarkdownHistoryRepository()
    naive = datetime(2026, 3, 1, 9, 0)  # naive on purpose
    with pytest.raises(InvalidValueError) as caught:
        history.add_many([_entry("h1"), _entry("h2", at=naive)])
    assert (caught.value.field, caught.value.value) == ("at", naive)
    assert history.for_wave("w1").total == 0


def test_history_sorts_a_late_entry_that_only_loses_on_id() -> None:
    history = InMemoryMarkdownHistoryRepository()
    history.add_many([_entry("h2")])
    assert [entry.id for entry in history.for_variant("b1", "v1").items] == ["h2"]
    history.add_many([_entry("h1")])  # the same instant, a smaller id
    history.add_many([_entry("h3")])
    assert [entry.id for entry in history.for_variant("b1", "v1").items] == ["h1", "h2", "h3"]
    assert [entry.id for entry in history.for_wave("w1").items] == ["h1", "h2", "h3"]


def test_history_orders_a_large_shuffled_load() -> None:
    history = InMemoryMarkdownHistoryRepository()
    entries = [
        _entry(f"h{index:05d}", at=T0 + timedelta(seconds=index // 3), variant_id=f"v{index % 7}")
        for index in range(20_000)
    ]
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    for start in range(0, len(shuffled), 1000):
        history.add_many(shuffled[start : start + 1000])
        page = history.for_wave("w1", offset=0, limit=1000)  # reads between writes
        assert list(page.items) == sorted(page.items, key=lambda entry: (entry.at, entry.id))
    everything = [
        entry
        for offset in range(0, 20_000, 1000)
        for entry in history.for_wave("w1", offset=offset, limit=1000).items
    ]
    assert everything == entries
    v3 = history.for_variant("b1", "v3", offset=0, limit=1000)
    assert v3.total == len([entry for entry in entries if entry.variant_id == "v3"])
    assert list(v3.items) == [entry for entry in entries if entry.variant_id == "v3"][:1000]


# -- thread safety ------------------------------------------------------------------------


def test_concurrent_history_writes_all_land() -> None:
    history = InMemoryMarkdownHistoryRepository()
    threads_count, batches, per_batch = 8, 25, 40
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for batch in range(batches):
                history.add_many(
                    [
                        _entry(
                            f"h{worker}-{batch}-{index}",
                            at=T0 + timedelta(seconds=batch * per_batch + index),
                            variant_id=f"v{worker}",
                        )
                        for index in range(per_batch)
                    ]
                )
                history.for_wave("w1", limit=10)  # reads interleaved with the writes
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = threads_count * batches * per_batch
    assert history.for_wave("w1").total == total
    for worker in range(threads_count):
        assert history.for_variant("b1", f"v{worker}").total == batches * per_batch
    everything = [
        entry
        for offset in range(0, total, 1000)
        for entry in history.for_wave("w1", offset=offset, limit=1000).items
    ]
    assert len({entry.id for entry in everything}) == total
    assert everything == sorted(everything, key=lambda entry: (entry.at, entry.id))


def test_concurrent_duplicate_batches_store_exactly_one() -> None:
    history = InMemoryMarkdownHistoryRepository()
    batch = [_entry(f"h{index}", at=T0 + timedelta(seconds=index)) for index in range(100)]
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write() -> None:
        barrier.wait()
        try:
            history.add_many(batch)
            outcome = "stored"
        except ConflictError:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["stored"]
    assert history.for_wave("w1", limit=1000).items == tuple(batch)
