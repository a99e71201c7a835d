"""``pricekit deals``: the deals the sync cached, as a location's menu shows them.

``pricekit deals list --location L`` prints the location's live deals in menu
order (``menu_rank``, then the name customers see), read from the deal cache
(:func:`pricekit.deals.queries.live_deals_from_cache`). ``--all`` adds every
hidden deal with why it is hidden (the gate it failed: not started, ended,
outside its days or hours, disabled, not automatic, ...; or its targeting lost
on the way). ``--at`` asks about another instant, ``--channel online`` about
the online menu, ``--register`` about the register (code and manual deals too;
the default is the shelf: automatic deals only).

Exit codes: 4 when nothing was ever cached for the location (run ``pricekit
sync`` first: an empty set that *was* cached lists no deals and exits 0), 5 when
the cache cannot be read.

JSON (``--json``): ``location_id``, ``at``, ``channel``, ``shelf``, ``deals``
(each deal as pricekit's :class:`~pricekit.deals.models.Deal` model dumps it to
JSON; money as ``{"amount": "5.00", "currency": "USD"}``), ``hidden_count``, and
with ``--all`` ``hidden``: objects with ``deal``, ``outcome`` (``gate_failed``
or ``held_back``), ``gate`` (or null) and ``reason``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pricekit.cli.main import ExitCode, at_option, db_option, fail, json_option, reports_errors
from pricekit.cli.store import Store
from pricekit.deals.match import MatchContext
from pricekit.deals.models import Deal, Dimension, RewardMethod, ThresholdType
from pricekit.deals.queries import DealsNotCachedError, live_deals_from_cache
from pricekit.pricing.models import Channel
from pricekit.time import SystemClock, zone

__all__ = ["deals"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _reward(deal: Deal) -> str:
    reward = deal.reward
    if reward.method is RewardMethod.PERCENT_OFF:
        text = f"{reward.percent}% off"
    elif reward.method is RewardMethod.AMOUNT_OFF:
        text = f"{reward.amount} off"
    else:
        text = f"price to {reward.amount}"
    if reward.threshold_type is ThresholdType.COUNT:
        text += f" when buying {reward.threshold}"
    elif reward.threshold_type is ThresholdType.SPEND:
        text += f" on spending {reward.threshold} {deal.currency}"
    elif reward.threshold_type is ThresholdType.WEIGHT:
        text += f" from {reward.threshold} g"
    if reward.one_item_only:
        text += " (one item)"
    return text


def _targets(deal: Deal) -> str:
    parts: list[str] = []
    for restriction in deal.restrictions:
        values = (
            sorted(f"{weight} g" for weight in restriction.weights)
            if restriction.dimension is Dimension.WEIGHT
            else sorted(restriction.ids)
        )
        parts.append(
            f"{'not ' if restriction.exclude else ''}{restriction.dimension.value} "
            + ", ".join(values)
        )
    return "; ".join(parts) or "store-wide"


def _when(deal: Deal) -> str:
    days = ", ".join(day.name.title()[:3] for day in sorted(deal.days)) if deal.days else "daily"
    if deal.start_time is not None and deal.end_time is not None:
        days += f" {deal.start_time.strftime('%H:%M')}-{deal.end_time.strftime('%H:%M')}"
    if deal.valid_to is not None:
        local = deal.valid_to.astimezone(zone(deal.time_zone))
        days += f", until {local:%Y-%m-%d %H:%M}"
    return days


def _deal_row(deal: Deal) -> list[Any]:
    shown = deal.online_name or deal.name
    name = Text(shown)
    name.append(f"\n{deal.id}", style="dim")
    rank = "" if deal.menu_rank is None else str(deal.menu_rank)
    return [rank, name, _reward(deal), _targets(deal), _when(deal)]


def _deals_table() -> Table:
    table = Table()
    table.add_column("rank", justify="right")
    table.add_column("deal")
    table.add_column("reward")
    table.add_column("targets")
    table.add_column("when")
    return table


deals: click.Group = click.Group(
    "deals", help="The deals the sync cached: what a location's menu shows."
)
"""The ``pricekit deals`` command group."""


@deals.command("list")
@click.option("--location", "location_id", required=True, metavar="ID", help="The location.")
@db_option
@at_option
@click.option(
    "--channel",
    type=click.Choice([Channel.POS.value, Channel.ONLINE.value]),
    default=Channel.POS.value,
    show_default=True,
    help="In store (pos) or the online menu.",
)
@click.option(
    "--register",
    is_flag=True,
    help="The register's view: code and manual deals too (default: the shelf's, automatic only).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list the hidden deals, each with why.")
@json_option
@reports_errors
def list_command(
    *,
    location_id: str,
    db_url: str,
    at: datetime | None,
    channel: str,
    register: bool,
    show_all: bool,
    as_json: bool,
) -> None:
    """List a location's live deals in menu order, from the deal cache.

    Exits 4 when nothing was ever cached for the location (run `pricekit sync
    run-once` first) and 5 when the cache cannot be read.
    """
    when = SystemClock().now() if at is None else at
    context = MatchContext(
        location_id=location_id, at=when, channel=Channel(channel), shelf=not register
    )
    with Store.open(db_url) as store:
        try:
            page = live_deals_from_cache(store.deals, context)
        except DealsNotCachedError:
            raise fail(
                f"no deals cached for {location_id!r} (run `pricekit sync run-once` to fetch them)",
                ExitCode.NOT_FOUND,
            ) from None
    if as_json:
        data: dict[str, Any] = {
            "location_id": page.location_id,
            "at": page.at.isoformat(),
            "channel": channel,
            "shelf": not register,
            "deals": [deal.model_dump(mode="json") for deal in page.deals],
            "hidden_count": len(page.hidden),
        }
        if show_all:
            data["hidden"] = [
                {
                    "deal": hidden.deal.model_dump(mode="json"),
                    "outcome": hidden.outcome.value,
                    "gate": None if hidden.gate is None else hidden.gate.value,
                    "reason": hidden.reason,
                }
                for hidden in page.hidden
            ]
        click.echo(json.dumps(data, indent=2))
        return

    console = Console()
    view = "register" if register else "shelf"
    heading = f"deals at {location_id} ({channel}, {view}) at {page.at.isoformat()}"
    if page.deals:
        console.print(f"{heading}: {len(page.deals)} live")
        table = _deals_table()
        for deal in page.deals:
            table.add_row(*_deal_row(deal))
        console.print(table)
    else:
        console.print(f"{heading}: no live deals")
    if show_all and page.hidden:
        console.print(f"{len(page.hidden)} hidden:")
        hidden_table = Table()
        hidden_table.add_column("deal")
        hidden_table.add_column("reward")
        hidden_table.add_column("why hidden")
        for hidden in page.hidden:
            name = Text(hidden.deal.online_name or hidden.deal.name)
            name.append(f"\n{hidden.deal.id}", style="dim")
            why = hidden.reason if hidden.gate is None else f"{hidden.gate.value}: {hidden.reason}"
            hidden_table.add_row(name, _reward(hidden.deal), why)
        console.print(hidden_table)
    elif page.hidden:
        console.print(f"{len(page.hidden)} hidden (--all shows them and why)", style="dim")
