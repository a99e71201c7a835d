"""Property tests for the markdown lifecycle: reversal restores, floors hold, stacking is exact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.catalog import Catalog, Product, Variant
from pricekit.markdowns import MarkdownService, WaveItem
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.money import Money
from pricekit.time import ManualClock

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
BIZ = "biz"
LOCATIONS = ("s1", "s2")
PLACES: tuple[str | None, ...] = (*LOCATIONS, None)
VARIANTS = ("v0", "v1", "v2", "v3")


@dataclass(frozen=True)
class WaveSpec:
    method: str
    value: Decimal
    mode: str
    variants: tuple[str, ...]
    locations: tuple[str, ...]
    floor: int | None


wave_specs = st.builds(
    WaveSpec,
    method=st.sampled_from(["percent", "amount"]),
    value=st.one_of(
        st.integers(1, 100).map(Decimal),
        st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    ),
    mode=st.sampled_from(["replace", "compound"]),
    variants=st.lists(st.sampled_from(VARIANTS), min_size=1, max_size=4, unique=True).map(tuple),
    locations=st.lists(st.sampled_from(LOCATIONS), max_size=2, unique=True).map(tuple),
    floor=st.none() | st.integers(0, 5_000),
)

regular_prices = st.lists(st.integers(0, 100_000), min_size=4, max_size=4)


def world(prices: list[int]) -> tuple[MarkdownService, ManualClock]:
    clock = ManualClock(T0)
    catalog = Catalog(
        products=[Product(id="p", name="P")],
        variants=[
            Variant(id=vid, product_id="p", price=Money(minor, "USD"))
            for vid, minor in zip(VARIANTS, prices, strict=True)
        ],
    )
    service = MarkdownService(
        plans=InMemoryMarkdownPlanRepository(),
        waves=InMemoryMarkdownWaveRepository(),
        history=InMemoryMarkdownHistoryRepository(),
        catalog=InMemoryCatalogRepository(catalog),
        clock=clock,
    )
    service.create_plan({"id": "plan", "business_id": BIZ, "name": "Plan"})
    return service, clock


def launch(service: MarkdownService, clock: ManualClock, index: int, spec: WaveSpec) -> str:
    data: dict[str, Any] = {
        "id": f"w{index}",
        "name": f"wave {index}",
        "method": spec.method,
        "value": spec.value,
        "mode": spec.mode,
        "reason": "overstock",
        "currency": "USD",
        "scopes": [{"type": "variant", "ids": list(spec.variants)}],
        "locations": [{"location_id": loc} for loc in spec.locations],
    }
    if spec.floor is not None:
        data["floor_price"] = Money(spec.floor, "USD")
    clock.advance(timedelta(minutes=1))
    service.create_wave("plan", data)
    service.activate(f"w{index}", confirm_below_cost=True)
    return f"w{index}"


def effective(service: MarkdownService) -> dict[tuple[str, str | None], Money | None]:
    prices: dict[tuple[str, str | None], Money | None] = {}
    for variant_id in VARIANTS:
        for place in PLACES:
            found = service.active_markdown_for_variant(BIZ, variant_id, location_id=place)
            prices[variant_id, place] = None if found is None else found.price
    return prices


def covers(wave_locations: tuple[str, ...], place: str | None) -> bool:
    return not wave_locations or place in wave_locations


@settings(max_examples=60, deadline=None)
@given(regular_prices, st.lists(wave_specs, min_size=1, max_size=5))
def test_reversing_in_reverse_order_restores_every_price_exactly(
    prices: list[int], specs: list[WaveSpec]
) -> None:
    service, clock = world(prices)
    snapshots = []
    waves = []
    for index, spec in enumerate(specs):
        snapshots.append(effective(service))
        waves.append(launch(service, clock, index, spec))
    for wave_id, before in zip(reversed(waves), reversed(snapshots), strict=True):
        clock.advance(timedelta(minutes=1))
        service.reverse(wave_id)
        assert effective(service) == before
    assert all(price is None for price in effective(service).values())


@settings(max_examples=60, deadline=None)
@given(regular_prices, st.lists(wave_specs, min_size=1, max_size=5), st.randoms())
def test_any_reversal_order_leaves_the_last_remaining_activation_on_top(
    prices: list[int], specs: list[WaveSpec], random: Any
) -> None:
    service, clock = world(prices)
    live: list[tuple[str, WaveSpec, dict[str, WaveItem]]] = []
    for index, spec in enumerate(specs):
        wave_id = launch(service, clock, index, spec)
        items = {item.variant_id: item for item in service.wave_items(wave_id)}
        live.append((wave_id, spec, items))
    order = list(range(len(live)))
    random.shuffle(order)
    for position in order:
        clock.advance(timedelta(minutes=1))
        service.reverse(live[position][0])
        live[position] = (live[position][0], live[position][1], {})  # gone
        prices_now = effective(service)
        for variant_id in VARIANTS:
            for place in PLACES:
                expected = None
                for _, spec, items in live:  # activation order: the last that covers wins
                    item = items.get(variant_id)
                    if item is not None and not item.excluded and covers(spec.locations, place):
                        expected = item.markdown_price
                assert prices_now[variant_id, place] == expected


@settings(max_examples=60, deadline=None)
@given(regular_prices, st.lists(wave_specs, min_size=1, max_size=5))
def test_no_activated_price_is_under_its_floor_or_negative(
    prices: list[int], specs: list[WaveSpec]
) -> None:
    service, clock = world(prices)
    floors: dict[str, int | None] = {}
    for index, spec in enumerate(specs):
        floors[launch(service, clock, index, spec)] = spec.floor
    for variant_id in VARIANTS:
        for place in PLACES:
            found = service.active_markdown_for_variant(BIZ, variant_id, location_id=place)
            if found is None:
                continue
            assert not found.price.is_negative()
            floor = floors[found.wave_id]
            if floor is not None:
                assert found.price.minor_units >= floor


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 1_000_000),
    st.lists(st.integers(1, 99).map(Decimal), min_size=1, max_size=4),
)
def test_compound_waves_activated_in_turn_multiply_within_rounding(
    regular: int, percents: list[Decimal]
) -> None:
    service, clock = world([regular, 0, 0, 0])
    for index, percent in enumerate(percents):
        spec = WaveSpec("percent", percent, "compound", ("v0",), ("s1",), None)
        launch(service, clock, index, spec)
    found = service.active_markdown_for_variant(BIZ, "v0", location_id="s1")
    assert found is not None
    exact = Decimal(regular)
    for percent in percents:
        exact = exact * (100 - percent) / 100
    # each step rounds half-up once: the error is at most half a unit per step
    assert abs(Decimal(found.price.minor_units) - exact) <= Decimal(len(percents)) / 2
    items = service.wave_items(f"w{len(percents) - 1}")
    if len(percents) > 1:
        assert items[0].stacked_on_wave_id == f"w{len(percents) - 2}"
