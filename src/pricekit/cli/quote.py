"""``pricekit quote CART.json``: price a cart through lists, markdowns, deals and promotions.

The cart file (see :class:`CartFile`)::

    {
      "business_id": "acme",
      "location_id": "store-1",
      "channel": "pos",
      "customer_id": "cust-9",
      "customer_tier": "gold",
      "time_zone": "America/Phoenix",
      "first_time_customer": false,
      "lines": [
        {"variant_id": "tee-m", "quantity": 2},
        {"variant_id": "flower-3.5g", "quantity": "1.5", "line_id": "weighed"}
      ]
    }

Only ``business_id``, ``location_id`` and ``lines`` are required.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import field_validator
from rich.console import Console

from pricekit._model import PricekitModel
from pricekit.catalog import EntityId
from pricekit.cli.main import ExitCode, db_option, fail, json_option, parse_at, reports_errors
from pricekit.cli.prices import pricing_service, require_location
from pricekit.cli.receipt import render_receipt
from pricekit.cli.store import Store
from pricekit.errors import InvalidValueError, ModelValidationError
from pricekit.pricing.models import Channel
from pricekit.promotions.evaluate import Policy
from pricekit.promotions.models import EvaluationContext, Quantity
from pricekit.quote import Quote, quote_cart
from pricekit.time import zone

__all__ = ["CartFile", "CartFileLine", "quote", "quote_from_store", "read_cart"]


_F = TypeVar("_F", bound=Callable[..., Any])


class CartFileLine(PricekitModel):
    """One line of a cart file.

    Attributes:
        variant_id: The variant sold.
        quantity: Units, above zero (a decimal for goods sold by weight; give
            ``"1.5"`` or ``1.5``, read exactly).
        line_id: The line's id; its position (``"1"``, ``"2"``, ...) if not given.
    """

    variant_id: EntityId
    quantity: Quantity = Decimal(1)
    line_id: EntityId | None = None


class CartFile(PricekitModel):
    """A cart to quote, as ``pricekit quote`` reads it from JSON.

    Attributes:
        business_id: The business (tenant).
        location_id: The location of the sale.
        channel: The sales channel (``pos`` by default; not ``any``).
        customer_id: The customer, if known.
        customer_tier: The customer's loyalty tier, if any.
        time_zone: The location's IANA time zone (``UTC`` by default): promotion
            days and times of day are read in it.
        first_time_customer: Whether the customer has never bought before (for
            first-time-customer deals).
        lines: At least one line.
    """

    business_id: EntityId
    location_id: EntityId
    channel: Channel = Channel.POS
    customer_id: EntityId | None = None
    customer_tier: str | None = None
    time_zone: str = "UTC"
    first_time_customer: bool = False
    lines: tuple[CartFileLine, ...]

    @field_validator("channel")
    @classmethod
    def _concrete_channel(cls, value: Channel) -> Channel:
        if value is Channel.ANY:
            raise InvalidValueError(
                field="", value="any", reason="a sale happens on one channel, not 'any'"
            )
        return value

    @field_validator("lines")
    @classmethod
    def _some_lines(cls, value: tuple[CartFileLine, ...]) -> tuple[CartFileLine, ...]:
        if not value:
            raise InvalidValueError(field="", value=[], reason="a cart needs at least one line")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value, field="")
        return value


def _problem(error: InvalidValueError) -> str:
    if isinstance(error, ModelValidationError):
        return "; ".join(f"{e.field}: {e.reason} (got {e.value!r})" for e in error.errors)
    return f"{error.field}: {error.reason} (got {error.value!r})"


def read_cart(path: str) -> CartFile:
    """Read and check a cart file (``-`` reads standard input).

    Raises:
        click.ClickException: The file is missing, unreadable, not JSON, or not a
            cart (exit code 3, one line naming the file and the field).
    """
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"{path}: no such cart file", ExitCode.BAD_INPUT) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise fail(f"{path}: cannot read the cart file ({reason})", ExitCode.BAD_INPUT) from None
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise fail(
            f"{path}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            ExitCode.BAD_INPUT,
        ) from None
    if not isinstance(document, dict):
        raise fail(f"{path}: a cart is a JSON object with 'lines'", ExitCode.BAD_INPUT)
    try:
        return CartFile.model_validate(document)
    except InvalidValueError as error:
        raise fail(f"{path}: {_problem(error)}", ExitCode.BAD_INPUT) from None


def quote_from_store(
    store: Store,
    cart: CartFile,
    *,
    at: datetime | None = None,
    policy: Policy | str = Policy.PRIORITY,
) -> Quote:
    """Quote ``cart`` with the store's catalogue, price lists, markdowns, deals and promotions.

    Args:
        store: The open store.
        cart: The cart (:func:`read_cart`, or built in code).
        at: The instant of the sale; the store's clock's now if ``None``.
        policy: How promotions are chosen.

    Raises:
        click.ClickException: The location is unknown to the store (exit code 4).
        PricekitError: As :func:`pricekit.quote.quote_cart` (an unknown or
            inactive variant, a bad quantity) or the store (unreachable).
    """
    require_location(store, cart.business_id, cart.location_id)
    context = EvaluationContext(
        business_id=cart.business_id,
        location_id=cart.location_id,
        channel=cart.channel,
        customer_id=cart.customer_id,
        customer_tier=cart.customer_tier,
        at=store.clock.now() if at is None else at,
        time_zone=cart.time_zone,
    )
    return quote_cart(
        [
            {"line_id": line.line_id, "variant_id": line.variant_id, "quantity": line.quantity}
            for line in cart.lines
        ],
        context,
        catalog=store.catalog,
        prices=pricing_service(store),
        deals=store.deals.get(cart.location_id),
        promotions=store.promotion_service(),
        policy=policy,
        first_time_customer=cart.first_time_customer,
    )


@click.command("quote")
@click.argument("cart_path", metavar="CART.json")
@db_option
@click.option(
    "--at", "at", default=None, help="The instant of the sale, ISO 8601 with an offset [now]."
)
@click.option(
    "--policy",
    type=click.Choice([policy.value for policy in Policy]),
    default=Policy.PRIORITY.value,
    show_default=True,
    help="How promotions are chosen among those that apply.",
)
@json_option
@reports_errors
def quote(*, cart_path: str, db_url: str, at: str | None, policy: str, as_json: bool) -> None:
    """Quote CART.json: list prices and tiers, markdowns, deals, then promotions.

    Each line's unit price comes from the price lists (quantity tiers too), or
    the variant's regular price; a seasonal markdown overrides it; the best
    live automatic deal at the location for the line's product takes its share
    (deals compete per product, floors hold); then the promotions are evaluated
    on the cart at those prices. Prints a receipt, then why each line got its
    price and deal and why each promotion did or did not apply. A location
    with no cached deals is quoted without deals, and the output says so.

    \b
    CART.json ("-" reads standard input):
      {"business_id": "acme", "location_id": "store-1",
       "channel": "pos",              (optional; pos by default)
       "customer_id": "cust-9",       (optional)
       "customer_tier": "gold",       (optional)
       "time_zone": "America/Phoenix",(optional; UTC by default)
       "first_time_customer": false,  (optional)
       "lines": [{"variant_id": "tee-m", "quantity": 2},
                 {"variant_id": "flower-3.5g", "quantity": "1.5",
                  "line_id": "weighed"}]}

    \b
    --json prints the quote: currency, policy, context, lines (each with its
    unit prices, price source and reason, deal, deal candidates, promotions and
    total), subtotal, discounts, deal_discount, promotion_discount, total,
    savings, promotions (applied, rejected with reasons), free_items, deals
    (cached, skipped), notes. Money is {"amount": "12.34", "currency": "USD"}.

    \b
    Exit codes: 0 done; 3 bad input (a missing or malformed cart, --at, an
    inactive variant); 4 unknown location or variant; 5 database unreachable
    or its schema behind.
    """  # noqa: D301 - click's \b keeps a paragraph as written
    cart = read_cart(cart_path)
    when = parse_at(at)
    with Store.open(db_url) as store:
        result = quote_from_store(store, cart, at=when, policy=policy)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    render_receipt(Console(), result)
