"""The receipt of a quote, printed with rich: the lines, the totals, then why.

:func:`render_receipt` prints a :class:`~pricekit.quote.Quote` the way
``pricekit quote`` (and ``pricekit demo``) show it:

1. a table of the lines: item, quantity, unit price (a markdown shows the
   price it replaced struck through), the deal, the promotion discounts and the
   line total;
2. the totals: subtotal, what deals and promotions took off, the total and
   the savings;
3. why: which price list, markdown wave and deal priced each line (and what
   the other lists and deals lost on), why each promotion did or did not
   apply, the location's deals that are not live, free items and notes.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pricekit.money import Money
from pricekit.pricing.models import Outcome
from pricekit.quote import Quote, QuoteLine

__all__ = ["render_receipt"]


def _amount(money: Money) -> str:
    return money.format_amount()


def _off(money: Money) -> str:
    return money.format_amount() if money.is_zero() else f"-{money.format_amount()}"


_SHOWN = 8
"""The most deal candidates shown per line, and skipped deals shown (``--json`` has all)."""


def _more(console: Console, left: int, indent: str) -> None:
    if left > 0:
        console.print(f"{indent}[dim]... and {left} more (--json lists them all)[/]")


def _quantity(line: QuoteLine) -> str:
    return format(line.quantity.normalize(), "f")


def _unit_price(line: QuoteLine) -> str:
    if line.regular_unit_price != line.unit_price:
        return f"[strike dim]{_amount(line.regular_unit_price)}[/] {_amount(line.unit_price)}"
    return _amount(line.unit_price)


def _lines_table(quote: Quote) -> Table:
    context = quote.context
    where = " · ".join(
        part
        for part in (
            context.business_id,
            context.location_id,
            context.channel.value,
            context.at.isoformat(),
        )
        if part
    )
    table = Table(
        title=f"Quote ({quote.currency}) · {escape(where)}",
        box=box.SIMPLE_HEAVY,
        show_footer=False,
    )
    table.add_column("#", justify="right", style="dim")
    table.add_column("Item")
    table.add_column("Qty", justify="right")
    table.add_column("Unit price", justify="right")
    table.add_column("Deal")
    table.add_column("Promotions")
    table.add_column("Line total", justify="right", style="bold")
    for line in quote.lines:
        deal = ""
        if line.deal is not None:
            deal = f"{_off(line.deal.saving)} {escape(line.deal.name)}"
        promotions = "\n".join(f"{_off(p.amount)} {escape(p.name)}" for p in line.promotions)
        table.add_row(
            escape(line.line_id),
            escape(line.name),
            _quantity(line),
            _unit_price(line),
            deal,
            promotions,
            _amount(line.total),
        )
    return table


def _totals_table(quote: Quote) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right")
    table.add_column(justify="right")
    table.add_row("Subtotal", _amount(quote.subtotal))
    table.add_row("Deals", _off(quote.deal_discount))
    table.add_row("Promotions", _off(quote.promotion_discount))
    table.add_row("[bold]Total[/]", f"[bold]{_amount(quote.total)} {quote.currency}[/]")
    table.add_row("[green]You save[/]", f"[green]{_amount(quote.savings)} {quote.currency}[/]")
    return table


def _why_prices(console: Console, quote: Quote) -> None:
    console.print("[bold]How each line was priced[/]")
    for line in quote.lines:
        console.print(
            f"  {escape(line.line_id)}. {escape(line.name)}: {_amount(line.unit_price)}, "
            f"{escape(line.price_reason)}"
        )
        for entry in line.price.trace or ():
            if entry.outcome in (Outcome.WON, Outcome.OVERRIDDEN_BY_MARKDOWN):
                continue
            console.print(
                f"     [dim]list {escape(entry.price_list_id)} ({_amount(entry.price)}) "
                f"{entry.outcome.value}: {escape(entry.reason)}[/]"
            )
        if line.deal is not None:
            console.print(
                f"     deal '{escape(line.deal.name)}': {escape(line.deal.reason)}; "
                f"{_off(line.deal.unit_saving)} each, {_amount(line.deal.unit_price)} a unit"
            )
        for candidate in line.deal_candidates[:_SHOWN]:
            console.print(
                f"     [dim]deal '{escape(candidate.name)}' {candidate.outcome}: "
                f"{escape(candidate.reason)}[/]"
            )
        _more(console, len(line.deal_candidates) - _SHOWN, "     ")


def _why_promotions(console: Console, quote: Quote) -> None:
    if not quote.promotions_applied and not quote.promotions_rejected:
        return
    console.print("[bold]Promotions[/]")
    for applied in quote.promotions_applied:
        lines = ", ".join(applied.line_ids) or "no line"
        console.print(
            f"  [green]applied[/] '{escape(applied.name)}': {_off(applied.discount)} "
            f"(lines {escape(lines)})"
        )
    for rejected in quote.promotions_rejected:
        console.print(
            f"  [yellow]not applied[/] '{escape(rejected.name)}' ({rejected.reason.value}): "
            f"{escape(rejected.detail)}"
        )
    if not quote.exact:
        console.print(
            "  [dim]best_for_customer had too many promotions to try every combination[/]"
        )


def _why_deals(console: Console, quote: Quote) -> None:
    if not quote.deals_skipped:
        return
    console.print("[bold]Deals not live at this sale[/]")
    for deal in quote.deals_skipped[:_SHOWN]:
        console.print(f"  [dim]'{escape(deal.name)}' {deal.outcome}: {escape(deal.reason)}[/]")
    _more(console, len(quote.deals_skipped) - _SHOWN, "  ")


def render_receipt(console: Console, quote: Quote) -> None:
    """Print ``quote`` as a receipt on ``console``, then why each price and discount applied.

    Args:
        console: Where to print (``rich.console.Console()`` for stdout).
        quote: The quote, from :func:`pricekit.quote.quote_cart`.
    """
    console.print(_lines_table(quote))
    console.print(_totals_table(quote))
    for item in quote.free_items:
        what = item.variant_id or item.product_id or "?"
        console.print(
            f"[green]Free:[/] {item.quantity} x {escape(what)} "
            f"(promotion {escape(item.promotion_id)}): add it at no charge"
        )
    console.print()
    _why_prices(console, quote)
    _why_promotions(console, quote)
    _why_deals(console, quote)
    for note in quote.notes:
        console.print(f"[yellow]Note:[/] {escape(note)}")
