"""``pricekit demo``: a small dispensary, loaded, synced and priced, in one command.

The command builds a store on an embedded SQLite file (a new one in a temporary
folder, removed at the end, unless ``--db`` names another database), writes the
sample data shipped in :mod:`pricekit.demo` into it, runs one sync cycle with
progress bars per phase and store, merges a PTL publication, then prices the
sample cart and prints the receipt and why each price, deal and promotion
applied or did not. Everything runs at the demo's instant (a Friday evening in
Phoenix) on a fixed clock, so it prints the same every time; no network, no
server.

Exit codes: 0 done; 1 the sync cycle or the PTL publication failed; 3 the
database given with ``--db`` already holds the demo, or is not a database URL;
5 the database cannot be reached.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from pricekit.cli.main import ExitCode, fail, json_option, reports_errors
from pricekit.cli.progress import SyncProgress
from pricekit.cli.quote import CartFile, quote_from_store
from pricekit.cli.receipt import render_receipt
from pricekit.cli.store import Store
from pricekit.deals.models import Deal
from pricekit.demo import DemoData, DemoLoad, DemoSync, demo_sync, load_demo, read_demo_data
from pricekit.markdowns import WaveLocationStatus
from pricekit.quote import Quote
from pricekit.sync import LocationDone, ProgressEvent, RunStatus
from pricekit.time import ManualClock

__all__ = ["demo"]

_DB_FILE = "pricekit-demo.db"


@contextmanager
def _database(db_url: str | None) -> Iterator[str]:
    """The URL to build the demo in: ``db_url``, or a new SQLite file removed afterwards."""
    if db_url is not None:
        yield db_url
        return
    with tempfile.TemporaryDirectory(prefix="pricekit-demo-") as folder:
        yield f"sqlite:///{folder}/{_DB_FILE}"


def _shown(url: str) -> str:
    """The URL as it may be shown: without its password."""
    return make_url(url).render_as_string(hide_password=True)


class _NamedProgress:
    """The shared sync progress bars, showing each store's name instead of its UUID."""

    def __init__(self, progress: SyncProgress, names: dict[str, str]) -> None:
        self._progress = progress
        self._names = names

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, LocationDone):
            name = self._names.get(event.location_id, event.location_id)
            event = dataclasses.replace(event, location_id=name)
        self._progress(event)


def _local(data: DemoData, location_id: str) -> ZoneInfo:
    return ZoneInfo(data.store(location_id).time_zone)


def _print_header(console: Console, data: DemoData, *, db_url: str | None) -> None:
    store = data.store(data.cart.location_id)
    at = data.at.astimezone(ZoneInfo(store.time_zone))
    where = "a temporary SQLite file" if db_url is None else db_url
    console.rule(f"[bold]pricekit demo[/]: {data.name}, {len(data.stores)} stores")
    console.print(f"{at:%A %d %B %Y, %H:%M} {store.time_zone} · database: {where}")


def _print_loaded(console: Console, data: DemoData, loaded: DemoLoad) -> None:
    console.print()
    console.print("[bold]1. Sample data loaded[/]")
    counts = loaded.counts
    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="dim")
    table.add_column(justify="right")
    table.add_column(style="dim")
    table.add_column(justify="right")
    pairs = list(counts.items())
    half = (len(pairs) + 1) // 2
    for (left, left_count), right in zip(pairs[:half], [*pairs[half:], None], strict=False):
        right_name, right_count = ("", "") if right is None else (right[0], str(right[1]))
        table.add_row(
            left.replace("_", " "), str(left_count), right_name.replace("_", " "), right_count
        )
    console.print(table)
    for result in loaded.activations:
        wave = result.wave
        parts: list[str] = []
        for location in wave.locations:
            name = data.store(location.location_id).name
            tz = _local(data, location.location_id)
            if location.status is WaveLocationStatus.ACTIVE and location.activated_at:
                parts.append(
                    f"active at {name} since {location.activated_at.astimezone(tz):%a %d %b %H:%M}"
                )
            elif location.activate_at is not None:
                parts.append(f"{name} from {location.activate_at.astimezone(tz):%a %d %b %H:%M}")
            else:
                parts.append(f"{name}: {location.status.value}")
        console.print(f"markdown wave [bold]{wave.name}[/]: {'; '.join(parts)}")


def _print_synced(
    console: Console, data: DemoData, synced: DemoSync, deals: dict[str, list[Deal]]
) -> None:
    report = synced.report
    style = "green" if report.status is RunStatus.OK else "red"
    counts = {phase.name: phase.result.counts for phase in report.phases}
    console.print(
        f"sync run: [{style}]{report.status.value}[/] · "
        f"{counts.get('inventory', {}).get('products', 0)} products and "
        f"{counts.get('discounts', {}).get('deals', 0)} Dutchie deals "
        f"from {len(data.stores)} stores"
    )
    answer = synced.ptl
    if answer.status == 200:
        store = data.store(str(answer.body["location_id"]))
        replaced = answer.body.get("replaced_by_dutchie", {})
        console.print(
            f"PTL webhook for {store.name}: {answer.body['received']} deals received, "
            f"{len(answer.body['ptl'])} merged, {len(replaced)} left out (already on Dutchie)"
        )
    else:
        console.print(f"[red]PTL webhook refused the publication ({answer.status})[/]")
    table = Table(title="deals cached", title_justify="left", show_edge=False)
    table.add_column("store")
    table.add_column("deal")
    table.add_column("source")
    for store_data in data.stores:
        for index, deal in enumerate(deals.get(store_data.id, [])):
            table.add_row(store_data.name if index == 0 else "", deal.name, deal.source.value)
    console.print(table)


def _what_failed(synced: DemoSync) -> str:
    problems: list[str] = []
    report = synced.report
    if report.status is not RunStatus.OK:
        problems.append(f"the sync run ended {report.status.value}")
    if synced.ptl.status != 200:
        problems.append(
            f"the PTL webhook answered {synced.ptl.status} ({synced.ptl.body.get('error', '')})"
        )
    return "; ".join(problems)


def _document(
    data: DemoData,
    *,
    db_url: str | None,
    loaded: DemoLoad,
    synced: DemoSync,
    deals: dict[str, list[Deal]],
    quote: Quote | None,
) -> dict[str, Any]:
    """The ``--json`` document."""
    return {
        "business": {"id": data.business_id, "name": data.name},
        "at": data.at.isoformat(),
        "database": db_url,
        "stores": [{"id": s.id, "name": s.name, "time_zone": s.time_zone} for s in data.stores],
        "loaded": loaded.to_dict(),
        "sync": synced.to_dict(),
        "deals": {
            location: [
                {"id": deal.id, "name": deal.name, "source": deal.source.value} for deal in cached
            ]
            for location, cached in deals.items()
        },
        "cart": dict(data.cart.document),
        "quote": None if quote is None else quote.to_dict(),
    }


@click.command("demo")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Build the demo in this database (any SQLAlchemy URL; it must not hold the demo "
    "already). Default: a new SQLite file in a temporary folder, removed at the end.",
)
@json_option
@reports_errors
def _demo(db_url: str | None, as_json: bool) -> None:
    """Load a sample dispensary, run a sync cycle, and price a cart with its receipt."""
    data = read_demo_data()
    console = Console()
    shown = None if db_url is None else _shown(db_url)
    with (
        _database(db_url) as url,
        Store.open(url, create=True, clock=ManualClock(data.at)) as store,
    ):
        if not as_json:
            _print_header(console, data, db_url=shown)
        loaded = load_demo(store, data=data)
        if as_json:
            synced = demo_sync(store, data=data)
        else:
            _print_loaded(console, data, loaded)
            console.print()
            console.print("[bold]2. One sync cycle[/]")
            names = {s.id: s.name for s in data.stores}
            with SyncProgress(console) as progress:
                synced = demo_sync(store, on_progress=_NamedProgress(progress, names), data=data)
        deals = {s.id: store.deals.get(s.id) or [] for s in data.stores}
        if not as_json:
            _print_synced(console, data, synced, deals)
        quote = None
        if synced.ok:
            cart = CartFile.model_validate(data.cart.document)
            quote = quote_from_store(store, cart, at=data.at)
    if as_json:
        click.echo(
            json.dumps(
                _document(
                    data, db_url=shown, loaded=loaded, synced=synced, deals=deals, quote=quote
                ),
                indent=2,
            )
        )
    elif quote is not None:
        console.print()
        console.print(f"[bold]3. The sample cart at {data.store(data.cart.location_id).name}[/]")
        render_receipt(console, quote)
        if db_url is None:
            console.print()
            console.print(
                "[dim]The demo's database was temporary. Keep one to explore with the other "
                f"commands: pricekit demo --db sqlite:///{_DB_FILE}[/]"
            )
    if not synced.ok:
        raise fail(f"{_what_failed(synced)}, so the cart was not priced", ExitCode.FAILED)


demo: click.Command = _demo
"""The ``pricekit demo`` command (typed here, as ``main`` imports it inside an import cycle)."""
