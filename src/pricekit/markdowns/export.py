r"""CSV export of a markdown wave, streamed one row at a time.

- :func:`wave_export_rows` turns a wave's items into rows of text cells, one per
  item in the order given (excluded items too, flagged), looking variants up in
  the catalog in chunks and each product once.
- :func:`iter_wave_csv` yields the CSV text line by line (RFC 4180 quoting,
  ``\r\n`` line ends), so a wave of 100,000 items never sits in memory as one file.
- :func:`write_wave_csv` writes that text to a stream.

Amounts are exact decimal strings with the currency's number of places
(``"12.50"``, ``"1200"`` for JPY); percentages have two places, rounded half-up.
Text cells that come from the catalog or from ids (``variant_id``, ``sku``,
``product_name``, ``variant_label``) are guarded against spreadsheet formula
injection: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, following the OWASP guidance on CSV injection.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Final, TextIO

from pricekit.catalog import CatalogRepository, Variant
from pricekit.errors import CurrencyMismatchError
from pricekit.markdowns.models import MarkdownWave, WaveItem
from pricekit.money import Money, get_currency, round_ratio, to_decimal

__all__ = [
    "EXPORT_COLUMNS",
    "iter_wave_csv",
    "wave_export_rows",
    "write_wave_csv",
]

EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "variant_id",
    "sku",
    "product_name",
    "variant_label",
    "currency",
    "original_price",
    "markdown_price",
    "discount_percent",
    "cost",
    "margin_percent",
    "on_hand",
    "value_impact",
    "flags",
)
"""The export's columns, in order (the CSV header)."""

_LOOKUP_CHUNK: Final = 1000
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _guard_text(text: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _plain(value: Decimal) -> str:
    """A decimal as a plain string, never in exponent notation."""
    return format(value, "f")


def _hundredths(numerator: int, denominator: int) -> str:
    """``numerator / denominator x 100`` to two places, half-up, exactly."""
    return _plain(Decimal(f"{round_ratio(numerator * 10_000, denominator)}E-2"))


def _chunks(items: Iterable[WaveItem]) -> Iterator[list[WaveItem]]:
    chunk: list[WaveItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == _LOOKUP_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _flags(item: WaveItem) -> str:
    flags: list[str] = []
    if item.below_cost:
        flags.append("below_cost")
    if item.excluded:
        reason = item.exclusion_reason
        flags.append("excluded" if reason is None else f"excluded:{reason.value}")
    return ";".join(flags)


def _row(
    item: WaveItem,
    *,
    currency_code: str,
    variant: Variant | None,
    product_name: str,
    units: Decimal,
) -> tuple[str, ...]:
    base = item.base_price
    lowered = item.markdown_price
    for money in (base, lowered, item.cost):
        if money is not None and money.currency.code != currency_code:
            raise CurrencyMismatchError(
                expected=currency_code, actual=money.currency.code, field="items"
            )
    discount = (
        _hundredths(base.minor_units - lowered.minor_units, base.minor_units)
        if base.minor_units
        else ""
    )
    margin = item.margin_percent
    # an excluded item keeps its price: activating the wave changes nothing for it
    impact: Money = Money.zero(base.currency) if item.excluded else item.discount.multiply(units)
    return (
        _guard_text(item.variant_id),
        _guard_text(variant.sku if variant is not None else ""),
        _guard_text(product_name),
        _guard_text(variant.label if variant is not None else ""),
        currency_code,
        base.format_amount(),
        lowered.format_amount(),
        discount,
        item.cost.format_amount() if item.cost is not None else "",
        _plain(margin) if margin is not None else "",
        _plain(units),
        impact.format_amount(),
        _flags(item),
    )


def wave_export_rows(
    wave: MarkdownWave,
    items: Iterable[WaveItem],
    *,
    catalog: CatalogRepository,
    on_hand: Mapping[str, Decimal | int] | None = None,
) -> Iterator[tuple[str, ...]]:
    """The export rows of ``wave``: one tuple of text cells per item, in ``items`` order.

    Excluded items get a row too (flagged ``excluded:<reason>``, with a value impact
    of zero since the wave leaves their price alone), and so does an
    item whose variant is no longer in the catalog (with its SKU and label empty):
    no item is ever dropped. Variants are looked up in chunks of 1,000 and each
    product once, so ``items`` may be a lazy iterable of any length.

    Args:
        wave: The wave the items belong to; its currency fills the ``currency`` column.
        items: The wave's items.
        catalog: Where SKUs, labels and product names are read from.
        on_hand: Units on hand per variant id, for ``on_hand`` and ``value_impact``;
            missing means 0.

    Yields:
        Rows matching :data:`EXPORT_COLUMNS`.

    Raises:
        CurrencyMismatchError: An item is priced in another currency than the wave's.
        InvalidValueError: An on-hand figure is a float or not a number.
    """
    currency_code = get_currency(wave.currency).code
    stock = on_hand or {}
    product_names: dict[str, str] = {}
    for chunk in _chunks(items):
        variants = catalog.get_variants(list(dict.fromkeys(item.variant_id for item in chunk)))
        for item in chunk:
            name = product_names.get(item.product_id)
            if name is None:
                product = catalog.get_product(item.product_id)
                name = product.name if product is not None else ""
                product_names[item.product_id] = name
            raw = stock.get(item.variant_id, 0)
            yield _row(
                item,
                currency_code=currency_code,
                variant=variants.get(item.variant_id),
                product_name=name,
                units=to_decimal(raw, field=f"on_hand[{item.variant_id!r}]"),
            )


class _LineBuffer:
    """A write target for :mod:`csv` that hands back what one ``writerow`` wrote."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


def iter_wave_csv(
    wave: MarkdownWave,
    items: Iterable[WaveItem],
    *,
    catalog: CatalogRepository,
    on_hand: Mapping[str, Decimal | int] | None = None,
    header: bool = True,
) -> Iterator[str]:
    r"""The wave's export as CSV text, one line (ending ``\r\n``) at a time.

    Suitable for a streaming HTTP response. The rows are those of
    :func:`wave_export_rows`; quoting follows RFC 4180 (a cell with a comma, a
    quote or a line break is quoted, quotes doubled).

    Args:
        wave: The wave.
        items: Its items.
        catalog: Where SKUs, labels and product names are read from.
        on_hand: Units on hand per variant id; missing means 0.
        header: Whether to start with the :data:`EXPORT_COLUMNS` line.

    Yields:
        Lines of CSV text, header first.
    """
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(EXPORT_COLUMNS)
        yield buffer.take()
    for row in wave_export_rows(wave, items, catalog=catalog, on_hand=on_hand):
        writer.writerow(row)
        yield buffer.take()


def write_wave_csv(
    wave: MarkdownWave,
    items: Iterable[WaveItem],
    out: TextIO,
    *,
    catalog: CatalogRepository,
    on_hand: Mapping[str, Decimal | int] | None = None,
) -> int:
    r"""Write the wave's export as CSV, header first, to ``out``.

    Open a file for it with ``newline=""`` (as for any :mod:`csv` output), so the
    ``\r\n`` line ends are written as they are.

    Args:
        wave: The wave.
        items: Its items.
        out: A text stream to write to.
        catalog: Where SKUs, labels and product names are read from.
        on_hand: Units on hand per variant id; missing means 0.

    Returns:
        How many item rows were written (the header not counted).
    """
    lines = iter_wave_csv(wave, items, catalog=catalog, on_hand=on_hand, header=True)
    out.write(next(lines))
    rows = 0
    for line in lines:
        out.write(line)
        rows += 1
    return rows
