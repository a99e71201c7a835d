r"""``pricekit markdowns``: preview, activate, reverse and export a markdown wave.

Each command works on one wave, by id, through the markdown service
(:meth:`Store.markdown_service <pricekit.cli.store.Store.markdown_service>`):

- ``preview WAVE``: the wave, its impact (counts, exclusions, below-cost items,
  average discount, margins before and after), its schedule at each location
  (which locations would take its prices at ``--at``, which wait) and its
  items with their prices; nothing changes. ``--location`` narrows the
  schedule to some of the wave's locations; ``--limit`` the items shown as text.
- ``activate WAVE``: activates a ``draft`` wave. Locations whose ``activate_at``
  has come (at ``--at``, or now) take its prices at once; the others wait (the
  wave is then ``scheduled``; ``pricekit sync --activate-markdowns`` activates
  them when their time comes). A wave that would sell an item under its cost
  needs ``--confirm-below-cost``. Prints what changed: each location's state
  and each price, before and after (read back from the markdown history).
- ``reverse WAVE``: takes an ``active`` or ``scheduled`` wave's prices back
  (pending locations are skipped); prints what changed.
- ``export WAVE``: the export module's rows
  (:func:`pricekit.markdowns.export.wave_export_rows`): CSV (RFC 4180, ``\r\n``
  line ends), or with ``--json`` a JSON array of objects with the same columns
  and the same text cells; to stdout or ``--output FILE``.

Exit codes: 4 for an unknown wave (or a ``--location`` the wave does not
name), 3 for a change the wave's state does not allow (activating a wave that
is not a draft, reversing a draft), a plan that is inactive, or items below
cost without ``--confirm-below-cost``.

``--at`` sets the service's clock: the instant an activation or reversal is
recorded at, and the instant a preview judges which locations are due.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pricekit.catalog import Variant
from pricekit.cli.main import ExitCode, at_option, db_option, fail, json_option, reports_errors
from pricekit.cli.store import Store
from pricekit.errors import ConfirmationRequiredError, InvalidStateTransitionError
from pricekit.markdowns.compute import WavePreview
from pricekit.markdowns.export import EXPORT_COLUMNS, wave_export_rows, write_wave_csv
from pricekit.markdowns.models import (
    HistoryAction,
    MarkdownHistoryEntry,
    MarkdownWave,
    WaveItem,
    WaveLocation,
    WaveLocationStatus,
)
from pricekit.markdowns.service import MarkdownService
from pricekit.money import Money, round_ratio
from pricekit.pricing.repository import MAX_PAGE_LIMIT
from pricekit.time import FixedClock, SystemClock

__all__ = ["markdowns"]

_F = TypeVar("_F", bound=Callable[..., Any])


_LOOKUP_CHUNK = 1000


# -- JSON shapes ----------------------------------------------------------------------------


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else value.to_dict()


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _percent_off(item: WaveItem) -> Decimal | None:
    base = item.base_price.minor_units
    if not base:
        return None
    drop = base - item.markdown_price.minor_units
    return Decimal(round_ratio(drop * 10_000, base)).scaleb(-2)


def _summary(preview: WavePreview) -> dict[str, Any]:
    return {
        "items": preview.items,
        "included": preview.included,
        "excluded": preview.excluded,
        "exclusions": {reason.value: count for reason, count in preview.exclusions.items()},
        "below_cost_variant_ids": list(preview.below_cost_variant_ids),
        "value_impact": _money(preview.value_impact),
        "average_discount_percent": _decimal(preview.average_discount_percent),
        "margin_before_percent": _decimal(preview.margin_before_percent),
        "margin_after_percent": _decimal(preview.margin_after_percent),
    }


def _due(location: WaveLocation, at: datetime) -> bool:
    return location.status is WaveLocationStatus.PENDING and (
        location.activate_at is None or location.activate_at <= at
    )


def _location(location: WaveLocation, at: datetime) -> dict[str, Any]:
    return {
        "location_id": location.location_id,
        "activate_at": None if location.activate_at is None else location.activate_at.isoformat(),
        "status": location.status.value,
        "activated_at": None
        if location.activated_at is None
        else location.activated_at.isoformat(),
        "reversed_at": None if location.reversed_at is None else location.reversed_at.isoformat(),
        "due": _due(location, at),
    }


def _names(store: Store, items: Sequence[WaveItem]) -> tuple[dict[str, Variant], dict[str, str]]:
    """The items' variants and their products' names, looked up in chunks."""
    variants: dict[str, Variant] = {}
    for start in range(0, len(items), _LOOKUP_CHUNK):
        chunk = items[start : start + _LOOKUP_CHUNK]
        variants.update(store.catalog.get_variants([item.variant_id for item in chunk]))
    products: dict[str, str] = {}
    for item in items:
        if item.product_id not in products:
            product = store.catalog.get_product(item.product_id)
            products[item.product_id] = "" if product is None else product.name
    return variants, products


def _item(item: WaveItem, variant: Variant | None, product_name: str) -> dict[str, Any]:
    return {
        "variant_id": item.variant_id,
        "product_id": item.product_id,
        "sku": "" if variant is None else variant.sku,
        "product_name": product_name,
        "variant_label": "" if variant is None else variant.label,
        "regular_price": _money(item.regular_price),
        "base_price": _money(item.base_price),
        "markdown_price": _money(item.markdown_price),
        "discount": _money(item.discount),
        "discount_percent": _decimal(_percent_off(item)),
        "cost": _money(item.cost),
        "margin_percent": _decimal(item.margin_percent),
        "stacked_on_wave_id": item.stacked_on_wave_id,
        "below_cost": item.below_cost,
        "excluded": item.excluded,
        "exclusion_reason": None if item.exclusion_reason is None else item.exclusion_reason.value,
    }


def _change(entry: MarkdownHistoryEntry) -> dict[str, Any]:
    return {
        "location_id": entry.location_id,
        "variant_id": entry.variant_id,
        "price_before": _money(entry.price_before),
        "price_after": _money(entry.price_after),
    }


def _history(
    service: MarkdownService, wave_id: str, actions: Iterable[HistoryAction]
) -> list[MarkdownHistoryEntry]:
    """The wave's history entries of ``actions``, oldest first."""
    wanted = set(actions)
    found: list[MarkdownHistoryEntry] = []
    offset: int | None = 0
    while offset is not None:
        page = service.wave_history(wave_id, offset=offset, limit=MAX_PAGE_LIMIT)
        found.extend(entry for entry in page.items if entry.action in wanted)
        offset = page.next_offset
    return found


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


# -- text -----------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _wave_panel(wave: MarkdownWave) -> Panel:
    value = f"{wave.value}%" if wave.amount_off is None else f"{wave.amount_off} off"
    lines = [
        f"[bold]{wave.name}[/] ({wave.id}) in plan {wave.plan_id}, business {wave.business_id}",
        f"status: [bold]{wave.status.value}[/]   {value} ({wave.method.value}, {wave.mode.value})"
        f"   reason: {wave.reason.value}" + (f"   stage: {wave.stage.value}" if wave.stage else ""),
    ]
    limits = []
    if wave.floor_price is not None:
        limits.append(f"floor {wave.floor_price}")
    if wave.min_margin_percent is not None:
        limits.append(f"min margin {wave.min_margin_percent}%")
    if limits:
        lines.append("limits: " + ", ".join(limits))
    return Panel("\n".join(lines), title="markdown wave", title_align="left", expand=False)


def _schedule_table(wave: MarkdownWave, locations: Sequence[WaveLocation], at: datetime) -> Group:
    heading = Text(f"schedule at {at.isoformat()}:")
    table = Table()
    table.add_column("location")
    table.add_column("activate at")
    table.add_column("status")
    table.add_column("at --at")
    for location in locations:
        if location.status is WaveLocationStatus.PENDING:
            judged = "due: takes the prices on activation" if _due(location, at) else "waits"
        else:
            judged = ""
        table.add_row(
            location.location_id, _when(location.activate_at), location.status.value, judged
        )
    return Group(heading, table)


def _items_table(
    items: Sequence[WaveItem],
    variants: dict[str, Variant],
    products: dict[str, str],
    *,
    title: str,
) -> Group:
    heading = Text(title + ":")
    table = Table()
    table.add_column("variant")
    table.add_column("product")
    table.add_column("price", justify="right")
    table.add_column("markdown", justify="right")
    table.add_column("off", justify="right")
    table.add_column("cost", justify="right")
    table.add_column("margin", justify="right")
    table.add_column("flags")
    for item in items:
        variant = variants.get(item.variant_id)
        label = Text(item.variant_id)
        if variant is not None and (variant.sku or variant.label):
            label.append(f"\n{' '.join(filter(None, (variant.sku, variant.label)))}", style="dim")
        flags: list[str] = []
        if item.below_cost:
            flags.append("[red]below cost[/]")
        if item.excluded:
            reason = item.exclusion_reason.value if item.exclusion_reason else ""
            flags.append(f"[yellow]excluded: {reason}[/]")
        percent = _percent_off(item)
        table.add_row(
            label,
            products.get(item.product_id, ""),
            item.base_price.format_amount(),
            item.markdown_price.format_amount(),
            "" if percent is None else f"{percent}%",
            "" if item.cost is None else item.cost.format_amount(),
            "" if item.margin_percent is None else f"{item.margin_percent}%",
            ", ".join(flags),
        )
    return Group(heading, table)


def _changes_table(entries: Sequence[MarkdownHistoryEntry], limit: int) -> Group:
    shown = entries if limit == 0 else entries[:limit]
    more = len(entries) - len(shown)
    title = f"{len(entries)} price change(s)" + (
        f", first {len(shown)} shown (--limit 0 shows all)" if more else ""
    )
    heading = Text(title + ":")
    table = Table()
    table.add_column("location")
    table.add_column("variant")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for entry in shown:
        table.add_row(
            entry.location_id or "(everywhere)",
            entry.variant_id or "",
            "" if entry.price_before is None else str(entry.price_before),
            "" if entry.price_after is None else str(entry.price_after),
        )
    return Group(heading, table)


_ALLOWED = {
    "activate": "only a draft wave can be activated (a scheduled wave's pending locations "
    "take its prices when their time comes: `pricekit sync run-once --activate-markdowns`)",
    "reverse": "only an active or scheduled wave can be reversed",
}


def _refused(error: InvalidStateTransitionError, wave_id: str) -> click.ClickException:
    """A transition the wave's state does not allow, as one line (exit 3)."""
    current = getattr(error.current, "value", error.current)
    why = _ALLOWED.get(error.requested, f"it cannot go to {error.requested}")
    return fail(f"wave {wave_id!r} is {current}: {why}", ExitCode.BAD_INPUT)


def _clock(at: datetime | None) -> FixedClock | SystemClock:
    return SystemClock() if at is None else FixedClock(at)


limit_option = click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="How many rows the text tables show (0: all); --json always has all.",
)


# -- commands -------------------------------------------------------------------------------


markdowns: click.Group = click.Group(
    "markdowns", help="Markdown waves: preview, activate, reverse, export."
)
"""The ``pricekit markdowns`` command group."""


@markdowns.command("preview")
@click.argument("wave_id", metavar="WAVE")
@db_option
@click.option(
    "--location",
    "location_ids",
    multiple=True,
    metavar="ID",
    help="Show the schedule at this location only (repeat for more); a wave that names "
    "no location applies everywhere, and the option changes nothing.",
)
@at_option
@limit_option
@json_option
@reports_errors
def preview_command(
    *,
    wave_id: str,
    db_url: str,
    location_ids: tuple[str, ...],
    at: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show a wave's items, prices, impact and schedule, changing nothing.

    JSON keys: wave (the wave as pricekit's model dumps it), at, summary,
    everywhere, locations (each with due: whether it takes the prices if the
    wave is activated at --at), items (each with its prices, discount, cost,
    margin and flags).
    """
    when = _clock(at).now()
    with Store.open(db_url) as store:
        service = store.markdown_service()
        wave = service.get_wave(wave_id)
        locations = list(wave.locations)
        if location_ids and not wave.everywhere:
            named = {location.location_id: location for location in locations}
            for location_id in location_ids:
                if location_id not in named:
                    raise fail(
                        f"wave {wave_id!r} does not name location {location_id!r} "
                        f"(it names {', '.join(sorted(named))})",
                        ExitCode.NOT_FOUND,
                    )
            locations = [named[location_id] for location_id in dict.fromkeys(location_ids)]
        items = service.wave_items(wave_id)
        preview = service.preview(wave_id)
        shown = items if as_json or limit == 0 else items[:limit]
        variants, products = _names(store, shown)
    if as_json:
        _echo_json(
            {
                "wave": wave.model_dump(mode="json"),
                "at": when.isoformat(),
                "summary": _summary(preview),
                "everywhere": wave.everywhere,
                "locations": [_location(location, when) for location in locations],
                "items": [
                    _item(item, variants.get(item.variant_id), products.get(item.product_id, ""))
                    for item in items
                ],
            }
        )
        return
    console = Console()
    console.print(_wave_panel(wave))
    impact = [
        f"{preview.items} item(s): {preview.included} marked down, {preview.excluded} excluded"
    ]
    if preview.exclusions:
        impact[0] += (
            " ("
            + ", ".join(f"{reason.value}: {count}" for reason, count in preview.exclusions.items())
            + ")"
        )
    if preview.average_discount_percent is not None:
        impact.append(f"average discount: {preview.average_discount_percent}%")
    if preview.margin_before_percent is not None:
        impact.append(
            f"margin: {preview.margin_before_percent}% before, "
            f"{preview.margin_after_percent}% after"
        )
    if preview.below_cost_variant_ids:
        impact.append(
            f"[red]{len(preview.below_cost_variant_ids)} below cost[/]: "
            + ", ".join(preview.below_cost_variant_ids)
            + " (activation needs --confirm-below-cost)"
        )
    for line in impact:
        console.print(line)
    if wave.everywhere:
        console.print(f"applies at every location, from activation (judged at {when.isoformat()})")
    else:
        console.print(_schedule_table(wave, locations, when))
    more = len(items) - len(shown)
    title = f"{len(items)} item(s)" + (
        f", first {len(shown)} shown (--limit 0 shows all)" if more else ""
    )
    console.print(_items_table(shown, variants, products, title=title))


def _show_changes(
    *,
    action: str,
    before: MarkdownWave,
    after: MarkdownWave,
    at: datetime,
    moved: dict[str, Sequence[str]],
    history_entries: int,
    changes: Sequence[MarkdownHistoryEntry],
    limit: int,
    as_json: bool,
) -> None:
    if as_json:
        _echo_json(
            {
                "action": action,
                "wave_id": after.id,
                "at": at.isoformat(),
                "status_before": before.status.value,
                "status": after.status.value,
                **{key: list(values) for key, values in moved.items()},
                "history_entries": history_entries,
                "changes": [_change(entry) for entry in changes],
                "wave": after.model_dump(mode="json"),
            }
        )
        return
    console = Console()
    console.print(
        f"{action} wave [bold]{after.id}[/] ({after.name}) at {at.isoformat()}: "
        f"{before.status.value} -> [bold]{after.status.value}[/]"
    )
    for key, values in moved.items():
        if values:
            console.print(
                f"  {key}: {', '.join(v if v != '*' else '(everywhere)' for v in values)}"
            )
    if after.locations:
        console.print("locations:")
        table = Table()
        table.add_column("location")
        table.add_column("before")
        table.add_column("after")
        table.add_column("activate at")
        old = {location.location_id: location for location in before.locations}
        for location in after.locations:
            previous = old.get(location.location_id)
            table.add_row(
                location.location_id,
                "" if previous is None else previous.status.value,
                location.status.value,
                _when(location.activate_at),
            )
        console.print(table)
    console.print(f"{history_entries} history entr{'y' if history_entries == 1 else 'ies'} written")
    if changes:
        console.print(_changes_table(changes, limit))


@markdowns.command("activate")
@click.argument("wave_id", metavar="WAVE")
@db_option
@at_option
@click.option(
    "--confirm-below-cost",
    is_flag=True,
    help="Activate even though some items would sell under their cost.",
)
@limit_option
@json_option
@reports_errors
def activate_command(
    *,
    wave_id: str,
    db_url: str,
    at: datetime | None,
    confirm_below_cost: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Activate a draft wave: due locations take its prices now, the others wait.

    JSON keys: action, wave_id, at, status_before, status, activated, pending,
    skipped (location ids; "*" for a wave that applies everywhere),
    history_entries, changes (location_id, variant_id, price_before,
    price_after), wave.
    """
    clock = _clock(at)
    with Store.open(db_url, clock=clock) as store:
        service = store.markdown_service()
        before = service.get_wave(wave_id)
        try:
            result = service.activate(wave_id, confirm_below_cost=confirm_below_cost)
        except InvalidStateTransitionError as error:
            raise _refused(error, wave_id) from None
        except ConfirmationRequiredError as error:
            ids = [str(item["variant_id"]) for item in error.items if isinstance(item, dict)]
            listed = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise fail(
                f"wave {wave_id!r} would price {len(error.items)} item(s) below cost "
                f"({listed}): pass --confirm-below-cost to activate it anyway",
                ExitCode.BAD_INPUT,
            ) from None
        changes = _history(service, wave_id, [HistoryAction.ACTIVATED])
    _show_changes(
        action="activated",
        before=before,
        after=result.wave,
        at=clock.now(),
        moved={
            "activated": result.activated,
            "pending": result.pending,
            "skipped": result.skipped,
        },
        history_entries=result.history_entries,
        changes=changes,
        limit=limit,
        as_json=as_json,
    )


@markdowns.command("reverse")
@click.argument("wave_id", metavar="WAVE")
@db_option
@at_option
@limit_option
@json_option
@reports_errors
def reverse_command(
    *, wave_id: str, db_url: str, at: datetime | None, limit: int, as_json: bool
) -> None:
    """Reverse an active or scheduled wave: its prices are taken back everywhere.

    Pending locations are skipped. JSON keys as for activate, with reversed
    and skipped.
    """
    clock = _clock(at)
    with Store.open(db_url, clock=clock) as store:
        service = store.markdown_service()
        before = service.get_wave(wave_id)
        try:
            result = service.reverse(wave_id)
        except InvalidStateTransitionError as error:
            raise _refused(error, wave_id) from None
        changes = _history(service, wave_id, [HistoryAction.REVERSED])
    _show_changes(
        action="reversed",
        before=before,
        after=result.wave,
        at=clock.now(),
        moved={"reversed": result.reversed, "skipped": result.skipped},
        history_entries=result.history_entries,
        changes=changes,
        limit=limit,
        as_json=as_json,
    )


@markdowns.command("export")
@click.argument("wave_id", metavar="WAVE")
@db_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
@json_option
@reports_errors
def export_command(*, wave_id: str, db_url: str, output: Path | None, as_json: bool) -> None:
    """Export a wave's items: CSV (the default) or JSON.

    The columns: variant_id, sku, product_name, variant_label, currency,
    original_price, markdown_price, discount_percent, cost, margin_percent,
    on_hand, value_impact, flags. Amounts are exact decimal text; text cells
    that a spreadsheet would read as a formula start with a ' (in both formats).
    """
    with Store.open(db_url) as store:
        service = store.markdown_service()
        wave = service.get_wave(wave_id)
        items = service.wave_items(wave_id)
        if as_json:
            rows = wave_export_rows(wave, items, catalog=store.catalog)
            text = json.dumps(
                [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows], indent=2
            )
            if output is None:
                click.echo(text)
            else:
                output.write_text(text + "\n", encoding="utf-8")
        elif output is None:
            write_wave_csv(wave, items, sys.stdout, catalog=store.catalog)
            sys.stdout.flush()
        else:
            with output.open("w", encoding="utf-8", newline="") as file:
                write_wave_csv(wave, items, file, catalog=store.catalog)
    if output is not None:
        fmt = "JSON" if as_json else "CSV"
        click.echo(f"exported {len(items)} item(s) of wave {wave_id} to {output} ({fmt})")
