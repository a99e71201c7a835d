"""Markdown performance reports: what a wave (or a plan) sold, and what the markdown cost.

Everything here is pure: the caller loads sale lines (through
:class:`~pricekit.markdowns.ports.SalesSource`) and units on hand (through
:class:`~pricekit.markdowns.ports.InventoryLookup`) and passes them in.

- :func:`wave_performance` attributes sale lines to a wave and sums them up per
  variant and in total: units sold, net sales, markdown amount, sell-through and
  realised margin.
- :func:`plan_performance` combines the reports of a plan's waves, one total per
  currency.

A sale line counts for a wave when its variant is one of the wave's included
items and either it names the wave (``markdown_wave_id``, exact attribution) or
it names no wave and was sold where and while the wave was in effect: at one of
the wave's locations in ``[activated_at, reversed_at or now)``, or, for a wave
that applies everywhere, anywhere in the wave's own ``[activated_at, reversed_at
or now)``. Amounts are summed in integer minor units; a line with a negative
quantity (a return) nets out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pricekit.errors import CurrencyMismatchError, InvalidValueError
from pricekit.markdowns.compute import margin_percent
from pricekit.markdowns.models import MarkdownPlan, MarkdownWave, WaveItem
from pricekit.markdowns.ports import SaleLine
from pricekit.money import Currency, Money, get_currency, round_ratio, to_decimal
from pricekit.time import require_aware

__all__ = [
    "PerformanceFigures",
    "PlanPerformance",
    "VariantPerformance",
    "WavePerformance",
    "plan_performance",
    "wave_performance",
]


@dataclass(frozen=True, slots=True)
class PerformanceFigures:
    """Sales and markdown figures for a variant, a wave or a plan, in one currency.

    Attributes:
        currency: The ISO 4217 code of every amount.
        units_sold: Units sold (net of returns).
        net_sales: What customers paid, after every discount.
        markdown_amount: What the markdown took off the units sold: the item's
            discount times the quantity, rounded half-up per line.
        markdown_percent: ``markdown_amount / net_sales`` in per cent (two places,
            half-up); ``None`` when net sales are zero.
        on_hand: Units on hand.
        sell_through_percent: ``units_sold / (units_sold + on_hand)`` in per cent
            (two places, half-up); ``None`` when that sum is zero.
        cost: The cost of the lines whose cost is known; ``None`` when no line's is.
        costed_net_sales: The net sales of the lines whose cost is known (the base
            of the realised margin); ``None`` when no line's cost is known.
        realised_margin_percent: ``(costed_net_sales - cost) / costed_net_sales``
            in per cent (two places, half-up); ``None`` without a cost or when
            ``costed_net_sales`` is zero.
    """

    currency: str
    units_sold: Decimal
    net_sales: Money
    markdown_amount: Money
    markdown_percent: Decimal | None
    on_hand: Decimal
    sell_through_percent: Decimal | None
    cost: Money | None
    costed_net_sales: Money | None
    realised_margin_percent: Decimal | None


@dataclass(frozen=True, slots=True)
class VariantPerformance:
    """One variant's figures within a wave.

    Attributes:
        variant_id: The variant.
        figures: Its figures.
    """

    variant_id: str
    figures: PerformanceFigures


@dataclass(frozen=True, slots=True)
class WavePerformance:
    """How a wave performed.

    Attributes:
        wave_id: The wave.
        plan_id: Its plan.
        totals: The figures over every included item.
        variants: One entry per included item, in the order of the items given.
        lines_counted: How many sale lines were attributed to the wave.
    """

    wave_id: str
    plan_id: str
    totals: PerformanceFigures
    variants: tuple[VariantPerformance, ...]
    lines_counted: int


@dataclass(frozen=True, slots=True)
class PlanPerformance:
    """How a plan's waves performed.

    Attributes:
        plan_id: The plan.
        waves: Each wave's report, in the order given.
        totals: The waves combined, one entry per currency, sorted by currency code.
    """

    plan_id: str
    waves: tuple[WavePerformance, ...]
    totals: tuple[PerformanceFigures, ...]


class _Tally:
    """Running sums in exact units: quantities as Decimal, money as minor units."""

    __slots__ = ("cost", "costed", "costed_net", "markdown", "net", "units")

    def __init__(self) -> None:
        self.units = Decimal(0)
        self.net = 0
        self.markdown = 0
        self.cost = 0
        self.costed_net = 0
        self.costed = False

    def add_line(self, line: SaleLine, item: WaveItem) -> None:
        quantity = to_decimal(line.quantity, field="sales.quantity")
        self.units += quantity
        self.net += line.net_amount.minor_units
        self.markdown += item.discount.multiply(quantity).minor_units
        if line.cost_amount is not None:
            cost = line.cost_amount.minor_units
        elif item.cost is not None:
            cost = item.cost.multiply(quantity).minor_units
        else:
            return
        self.costed = True
        self.cost += cost
        self.costed_net += line.net_amount.minor_units

    def add_figures(self, figures: PerformanceFigures) -> None:
        self.units += figures.units_sold
        self.net += figures.net_sales.minor_units
        self.markdown += figures.markdown_amount.minor_units
        if figures.cost is not None and figures.costed_net_sales is not None:
            self.costed = True
            self.cost += figures.cost.minor_units
            self.costed_net += figures.costed_net_sales.minor_units

    def add_tally(self, other: _Tally) -> None:
        self.units += other.units
        self.net += other.net
        self.markdown += other.markdown
        self.cost += other.cost
        self.costed_net += other.costed_net
        self.costed = self.costed or other.costed

    def figures(self, currency: Currency, on_hand: Decimal) -> PerformanceFigures:
        cost = Money(self.cost, currency) if self.costed else None
        costed_net = Money(self.costed_net, currency) if self.costed else None
        return PerformanceFigures(
            currency=currency.code,
            units_sold=self.units,
            net_sales=Money(self.net, currency),
            markdown_amount=Money(self.markdown, currency),
            markdown_percent=_percent(self.markdown, self.net),
            on_hand=on_hand,
            sell_through_percent=_percent(self.units, self.units + on_hand),
            cost=cost,
            costed_net_sales=costed_net,
            realised_margin_percent=(
                margin_percent(costed_net, cost) if costed_net is not None else None
            ),
        )


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole x 100`` to two places, half-up, exactly; ``None`` for a zero whole."""
    part_num, part_den = part.as_integer_ratio()
    whole_num, whole_den = whole.as_integer_ratio()
    if whole_num == 0:
        return None
    hundredths = round_ratio(part_num * whole_den * 10_000, part_den * whole_num)
    return Decimal(f"{hundredths}E-2")


def _windows(
    wave: MarkdownWave, now: datetime
) -> tuple[tuple[datetime, datetime] | None, dict[str, tuple[datetime, datetime]]]:
    """When the wave was in effect: everywhere, or per location (never-activated left out)."""
    if wave.everywhere:
        if wave.activated_at is None:
            return None, {}
        return (wave.activated_at, wave.reversed_at or now), {}
    return None, {
        location.location_id: (location.activated_at, location.reversed_at or now)
        for location in wave.locations
        if location.activated_at is not None
    }


def _included_items(wave: MarkdownWave, items: Sequence[WaveItem]) -> dict[str, WaveItem]:
    currency = get_currency(wave.currency)
    included: dict[str, WaveItem] = {}
    seen: set[str] = set()
    for item in items:
        if item.wave_id != wave.id:
            raise InvalidValueError(
                field="items",
                value=item.wave_id,
                reason=f"item of variant {item.variant_id!r} belongs to wave "
                f"{item.wave_id!r}, not {wave.id!r}",
            )
        if item.variant_id in seen:
            raise InvalidValueError(
                field="items",
                value=item.variant_id,
                reason="a variant may have only one item in a wave",
            )
        seen.add(item.variant_id)
        if item.base_price.currency is not currency:
            raise CurrencyMismatchError(
                expected=currency.code, actual=item.base_price.currency.code, field="items"
            )
        if not item.excluded:
            included[item.variant_id] = item
    return included


def _check_line(line: SaleLine, currency: Currency) -> None:
    require_aware(line.sold_at, field="sales.sold_at")
    if line.net_amount.currency is not currency:
        raise CurrencyMismatchError(
            expected=currency.code, actual=line.net_amount.currency.code, field="sales"
        )
    if line.cost_amount is not None and line.cost_amount.currency is not currency:
        raise CurrencyMismatchError(
            expected=currency.code,
            actual=line.cost_amount.currency.code,
            field="sales.cost_amount",
        )


def wave_performance(
    wave: MarkdownWave,
    items: Sequence[WaveItem],
    sales: Iterable[SaleLine],
    *,
    on_hand: Mapping[str, Decimal | int],
    now: datetime,
) -> WavePerformance:
    """Attribute sale lines to ``wave`` and sum them up per variant and in total.

    See the module docs for which lines count. Each counted line adds its
    quantity and net amount; its markdown amount is the item's discount times
    the quantity, rounded half-up to the minor unit; its cost is the line's
    ``cost_amount`` or, failing that, the item's cost times the quantity
    (half-up), and a line with neither is left out of the margin.

    Args:
        wave: The wave.
        items: Its items; excluded items are not reported and their sales do not count.
        sales: Candidate sale lines (lines of other variants, places or times are ignored).
        on_hand: Units on hand per variant id; missing means 0.
        now: The end of the window of a wave (or location) that is not reversed.

    Raises:
        CurrencyMismatchError: An item or a sale line is in another currency than the wave's.
        InvalidValueError: A naive ``now`` or ``sold_at``, a float quantity or
            on-hand figure, or an item of another wave or a variant given twice.
    """
    require_aware(now, field="now")
    currency = get_currency(wave.currency)
    included = _included_items(wave, items)
    everywhere, by_location = _windows(wave, now)
    tallies = {variant_id: _Tally() for variant_id in included}
    counted = 0
    for line in sales:
        _check_line(line, currency)
        item = included.get(line.variant_id)
        if item is None:
            continue
        if line.markdown_wave_id is not None:
            if line.markdown_wave_id != wave.id:
                continue
        else:
            window = everywhere if wave.everywhere else by_location.get(line.location_id)
            if window is None or not window[0] <= line.sold_at < window[1]:
                continue
        tallies[line.variant_id].add_line(line, item)
        counted += 1
    total = _Tally()
    total_on_hand = Decimal(0)
    variants: list[VariantPerformance] = []
    for variant_id, tally in tallies.items():
        units = to_decimal(on_hand.get(variant_id, 0), field=f"on_hand[{variant_id!r}]")
        total.add_tally(tally)
        total_on_hand += units
        variants.append(VariantPerformance(variant_id, tally.figures(currency, units)))
    return WavePerformance(
        wave_id=wave.id,
        plan_id=wave.plan_id,
        totals=total.figures(currency, total_on_hand),
        variants=tuple(variants),
        lines_counted=counted,
    )


def plan_performance(
    plan: MarkdownPlan,
    waves: Sequence[WavePerformance],
    *,
    on_hand: Mapping[str, Decimal | int],
) -> PlanPerformance:
    """Combine the reports of a plan's waves, one total per currency.

    Units, net sales, markdown amounts and costs add up across waves. Units on
    hand are counted once per distinct variant of a currency's waves, from
    ``on_hand`` (a variant in two waves has one stock).

    Args:
        plan: The plan.
        waves: Reports of its waves (see :func:`wave_performance`), each wave once.
        on_hand: Units on hand per variant id over the waves' variants; missing means 0.

    Raises:
        InvalidValueError: A report of another plan's wave, a wave given twice, or
            a float on-hand figure.
    """
    tallies: dict[str, _Tally] = {}
    variant_ids: dict[str, dict[str, None]] = {}
    seen: set[str] = set()
    for report in waves:
        if report.plan_id != plan.id:
            raise InvalidValueError(
                field="waves",
                value=report.wave_id,
                reason=f"wave {report.wave_id!r} belongs to plan {report.plan_id!r}, "
                f"not {plan.id!r}",
            )
        if report.wave_id in seen:
            raise InvalidValueError(
                field="waves", value=report.wave_id, reason="each wave may be given only once"
            )
        seen.add(report.wave_id)
        code = report.totals.currency
        tallies.setdefault(code, _Tally()).add_figures(report.totals)
        ids = variant_ids.setdefault(code, {})
        ids.update(dict.fromkeys(row.variant_id for row in report.variants))
    totals: list[PerformanceFigures] = []
    for code in sorted(tallies):
        stock = sum(
            (
                to_decimal(on_hand.get(vid, 0), field=f"on_hand[{vid!r}]")
                for vid in variant_ids[code]
            ),
            Decimal(0),
        )
        totals.append(tallies[code].figures(get_currency(code), stock))
    return PlanPerformance(plan_id=plan.id, waves=tuple(waves), totals=tuple(totals))
