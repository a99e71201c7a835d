"""``pricekit prices explain``: which price list priced an item, and why every other lost.

Also the helpers the pricing commands share: reading ``--at``, the pricing
service with price lists on, and the check that a location is known.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pricekit.cli.main import ExitCode, db_option, fail, json_option, parse_at, reports_errors
from pricekit.cli.store import Store
from pricekit.errors import InvalidValueError
from pricekit.money import Money
from pricekit.pricing import PricingService
from pricekit.pricing.models import (
    Channel,
    ItemType,
    Outcome,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
    TraceEntry,
)
from pricekit.pricing.repository import MAX_PAGE_LIMIT
from pricekit.quote import explain_price, resolved_price_dict

__all__ = ["known_locations", "prices", "pricing_service", "require_location"]

_F = TypeVar("_F", bound=Callable[..., Any])


CHANNELS = [channel.value for channel in Channel if channel is not Channel.ANY]
"""The channels a sale happens on (``any`` is for price lists, not sales)."""


def pricing_service(store: Store) -> PricingService:
    """The store's pricing service (price lists on, markdowns applied)."""
    return store.pricing_service()


def known_locations(store: Store, business_id: str) -> set[str]:
    """The locations the store names for a business.

    A location is known when the deal cache holds a set for it, or one of the
    business's price-list scopes, promotions or markdown waves names it.
    """
    found = set(store.deals.locations())
    lists = store.price_lists.all_for_business(business_id)
    scopes = store.price_list_scopes.all_for_lists({pl.id for pl in lists})
    found.update(scope.location_id for scope in scopes if scope.location_id is not None)
    for promotion in store.promotions.all_for_business(business_id):
        found.update(promotion.location_ids)
    offset = 0
    while True:
        page = store.markdown_waves.find(business_id, offset=offset, limit=MAX_PAGE_LIMIT)
        for wave in page.items:
            found.update(place.location_id for place in wave.locations)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return found


def require_location(store: Store, business_id: str, location_id: str) -> None:
    """Refuse a location the store does not know (see :func:`known_locations`).

    Raises:
        click.ClickException: The location is unknown (exit code 4).
    """
    if location_id not in known_locations(store, business_id):
        raise fail(
            f"location {location_id!r} was not found: no cached deals, price-list scope, "
            f"promotion or markdown wave of business {business_id!r} names it",
            ExitCode.NOT_FOUND,
        )


# -- prices explain ---------------------------------------------------------------------------


def _quantity(value: str) -> Decimal:
    try:
        quantity = Decimal(value)
    except InvalidOperation:
        raise fail(f"--qty: {value!r} is not a number", ExitCode.BAD_INPUT) from None
    if not quantity.is_finite() or quantity <= 0:
        raise fail(f"--qty: must be above zero (got {value!r})", ExitCode.BAD_INPUT)
    return quantity


def _base_price(
    store: Store,
    item_id: str,
    *,
    item_type: ItemType,
    base_price: str | None,
    currency: str | None,
) -> Money:
    """The price used when no list applies: ``--base-price`` or the variant's regular price."""
    variant = None
    if item_type is ItemType.PRODUCT:
        variant = store.catalog.get_variants([item_id]).get(item_id)
    if base_price is not None:
        code = currency or (None if variant is None else variant.price.currency.code)
        if code is None:
            raise fail("--base-price needs --currency (e.g. --currency USD)", ExitCode.BAD_INPUT)
        try:
            return Money.of(base_price, code)
        except InvalidValueError as error:
            raise fail(f"--base-price: {error.reason} (got {base_price!r})") from None
    if variant is None:
        what = "variant" if item_type is ItemType.PRODUCT else item_type.value
        raise fail(
            f"{what} {item_id!r} was not found in the catalogue; give --base-price and "
            "--currency to price an item it does not hold",
            ExitCode.NOT_FOUND if item_type is ItemType.PRODUCT else ExitCode.BAD_INPUT,
        )
    if currency is not None and currency.upper() != variant.price.currency.code:
        raise fail(
            f"--currency: the variant is priced in {variant.price.currency.code}; "
            f"give --base-price in {currency} to price it in {currency}"
        )
    return variant.price


def _query_dict(query: PriceQuery) -> dict[str, object]:
    return {
        "business_id": query.business_id,
        "location_id": query.location_id,
        "channel": query.channel.value,
        "item_type": query.item_type.value,
        "item_id": query.item_id,
        "quantity": str(query.quantity),
        "currency": query.currency,
        "base_price": query.base_price.to_dict(),
        "at": query.at.isoformat(),
    }


def render_explanation(console: Console, query: PriceQuery, price: ResolvedPrice) -> None:
    """Print a resolution: the price, where it came from, the markdown, every candidate list."""
    console.print(
        f"[bold]{escape(query.item_id)}[/] at {escape(query.location_id or '-')} on "
        f"{query.channel.value}, quantity {format(query.quantity.normalize(), 'f')}, "
        f"at {query.at.isoformat()}"
    )
    console.print(f"  Price: [bold]{price.unit_price}[/], {escape(explain_price(price))}")
    trace = price.trace or ()
    if trace:
        console.print(_trace_table(trace))
    else:
        console.print(
            f"  No price list prices this item here: the base price is {query.base_price}."
        )
    if price.source is PriceSource.MARKDOWN:
        console.print(
            f"  Markdown: wave {escape(repr(price.markdown_wave_id))} overrides "
            f"{price.original_price} with {price.unit_price}"
        )


def _trace_table(trace: Sequence[TraceEntry]) -> Table:
    table = Table(
        title="Every candidate price list item", title_justify="left", box=box.SIMPLE_HEAVY
    )
    for name in ("List", "Item", "Outcome", "Why"):
        table.add_column(name)
    for name in ("List prio", "Item prio", "Min qty", "Price"):
        table.add_column(name, justify="right")
    table.add_column("Scope")
    for entry in trace:
        won = entry.outcome in (Outcome.WON, Outcome.OVERRIDDEN_BY_MARKDOWN)
        table.add_row(
            escape(entry.price_list_id),
            escape(entry.price_list_item_id),
            entry.outcome.value,
            escape(entry.reason),
            str(entry.list_priority),
            str(entry.item_priority),
            format(entry.min_qty.normalize(), "f"),
            entry.price.format_amount(),
            entry.scope or "-",
            style="bold green" if won else None,
        )
    return table


@click.group("prices")
def prices() -> None:
    """Price resolution: which price list prices an item, and why."""


@prices.command("explain")
@click.argument("item")
@db_option
@click.option("--business", "business_id", required=True, help="The business (tenant).")
@click.option("--location", "location_id", required=True, help="The location of the sale.")
@click.option(
    "--channel", type=click.Choice(CHANNELS), required=True, help="The channel of the sale."
)
@click.option("--qty", "quantity", default="1", show_default=True, help="The quantity (a decimal).")
@click.option("--at", "at", default=None, help="The instant, ISO 8601 with an offset [now].")
@click.option(
    "--item-type",
    type=click.Choice([kind.value for kind in ItemType]),
    default=ItemType.PRODUCT.value,
    show_default=True,
    help="What ITEM is; a product is a variant id of the catalogue.",
)
@click.option("--base-price", default=None, help="The price when no list applies, e.g. 12.34.")
@click.option("--currency", default=None, help="The currency of --base-price, e.g. USD.")
@json_option
@reports_errors
def explain(  # click passes every parameter by name
    *,
    item: str,
    db_url: str,
    business_id: str,
    location_id: str,
    channel: str,
    quantity: str,
    at: str | None,
    item_type: str,
    base_price: str | None,
    currency: str | None,
    as_json: bool,
) -> None:
    """Explain ITEM's unit price: the winning price list, why every other lost, the markdown.

    ITEM is a variant id (for --item-type product; its regular price is the base
    price unless --base-price says), or a service or modifier id with
    --base-price and --currency. Resolution runs with its trace: every candidate
    price list item and its outcome (won, lost on priority or tier, shadowed by
    a location-specific list, below its quantity tier, outside its validity,
    ...), then a markdown wave active for the variant at the location overrides
    the winner.

    \b
    --json prints the resolution: unit_price, source (price_list, markdown,
    base_price), price_list_id, price_list_item_id, priority, min_qty,
    markdown_wave_id, original_price, trace (one entry per candidate:
    price_list_id, price_list_item_id, outcome, reason, list_priority,
    item_priority, min_qty, price, scope), plus reason (in words) and query.
    Money is {"amount": "12.34", "currency": "USD"}.

    \b
    Exit codes: 0 done; 3 bad input (--qty, --at, --base-price); 4 unknown
    location or variant; 5 database unreachable or its schema behind.
    """  # noqa: D301 - click's \b keeps a paragraph as written
    kind = ItemType(item_type)
    wanted = _quantity(quantity)
    when = parse_at(at)
    with Store.open(db_url) as store:
        require_location(store, business_id, location_id)
        base = _base_price(store, item, item_type=kind, base_price=base_price, currency=currency)
        query = PriceQuery(
            business_id=business_id,
            location_id=location_id,
            channel=Channel(channel),
            item_type=kind,
            item_id=item,
            quantity=wanted,
            currency=base.currency.code,
            base_price=base,
            at=store.clock.now() if when is None else when,
        )
        price = pricing_service(store).resolve(query, explain=True)
    if as_json:
        document = {
            **resolved_price_dict(price),
            "reason": explain_price(price),
            "query": _query_dict(query),
        }
        click.echo(json.dumps(document, indent=2))
        return
    render_explanation(Console(), query, price)
