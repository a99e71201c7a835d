"""Unit tests for the markdown wave CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

import pytest

from pricekit.catalog import Catalog, CategoryTree, Product, Variant
from pricekit.errors import CurrencyMismatchError, InvalidValueError
from pricekit.markdowns import ExclusionReason, MarkdownWave, WaveItem
from pricekit.markdowns.export import (
    EXPORT_COLUMNS,
    iter_wave_csv,
    wave_export_rows,
    write_wave_csv,
)
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money


def wave(currency: str = "USD") -> MarkdownWave:
    return MarkdownWave.model_validate(
        {
            "id": "w1",
            "plan_id": "plan",
            "business_id": "biz",
            "name": "Spring",
            "method": "percent",
            "value": "25",
            "reason": "seasonal_clearance",
            "currency": currency,
            "scopes": [{"type": "variant", "ids": ["tee-s"]}],
        }
    )


def item(
    variant_id: str,
    base: str,
    markdown: str,
    *,
    currency: str = "USD",
    product_id: str = "tee",
    cost: str | None = None,
    margin: str | None = None,
    below_cost: bool = False,
    reason: ExclusionReason | None = None,
) -> WaveItem:
    return WaveItem(
        wave_id="w1",
        variant_id=variant_id,
        product_id=product_id,
        regular_price=Money.of(base, currency),
        base_price=Money.of(base, currency),
        markdown_price=Money.of(markdown, currency),
        cost=None if cost is None else Money.of(cost, currency),
        margin_percent=None if margin is None else Decimal(margin),
        below_cost=below_cost,
        excluded=reason is not None,
        exclusion_reason=reason,
    )


def repo(
    variants: Iterable[Variant] = (), products: Iterable[Product] = ()
) -> InMemoryCatalogRepository:
    return InMemoryCatalogRepository(Catalog(products=products, variants=variants))


def tee_catalog() -> InMemoryCatalogRepository:
    return repo(
        products=[Product(id="tee", name="Basic Tee"), Product(id="hat", name="Sun Hat")],
        variants=[
            Variant(
                id="tee-s",
                product_id="tee",
                sku="TEE-S",
                label="Small",
                price=Money.of("20.00", "USD"),
            ),
            Variant(
                id="hat-1",
                product_id="hat",
                sku="HAT-1",
                label="One size",
                price=Money.of("9.99", "USD"),
            ),
        ],
    )


def as_dicts(rows: Iterable[tuple[str, ...]]) -> list[dict[str, str]]:
    return [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows]


# -- rows -------------------------------------------------------------------------------


def test_a_row_has_every_column_as_exact_text() -> None:
    items = [item("tee-s", "20.00", "15.00", cost="8.00", margin="46.67")]
    (row,) = as_dicts(wave_export_rows(wave(), items, catalog=tee_catalog(), on_hand={"tee-s": 3}))
    assert row == {
        "variant_id": "tee-s",
        "sku": "TEE-S",
        "product_name": "Basic Tee",
        "variant_label": "Small",
        "currency": "USD",
        "original_price": "20.00",
        "markdown_price": "15.00",
        "discount_percent": "25.00",
        "cost": "8.00",
        "margin_percent": "46.67",
        "on_hand": "3",
        "value_impact": "15.00",  # 5.00 off x 3 units
        "flags": "",
    }


def test_rows_follow_the_items_order_and_keep_excluded_items() -> None:
    items = [
        item("hat-1", "9.99", "7.49", product_id="hat"),
        item("tee-s", "20.00", "2.00", reason=ExclusionReason.BELOW_FLOOR),
    ]
    rows = as_dicts(wave_export_rows(wave(), items, catalog=tee_catalog()))
    assert [r["variant_id"] for r in rows] == ["hat-1", "tee-s"]
    assert rows[1]["flags"] == "excluded:below_floor"
    assert rows[1]["markdown_price"] == "2.00"


def test_flags_join_below_cost_and_exclusion() -> None:
    items = [
        item(
            "tee-s",
            "20.00",
            "6.00",
            cost="8.00",
            margin="-33.33",
            below_cost=True,
            reason=ExclusionReason.BELOW_MIN_MARGIN,
        ),
        item("hat-1", "9.99", "5.00", product_id="hat", cost="6.00", below_cost=True),
    ]
    rows = as_dicts(wave_export_rows(wave(), items, catalog=tee_catalog()))
    assert rows[0]["flags"] == "below_cost;excluded:below_min_margin"
    assert rows[0]["margin_percent"] == "-33.33"  # a number we generate: never prefixed
    assert rows[1]["flags"] == "below_cost"


def test_unknown_cost_and_margin_are_empty_and_missing_stock_is_zero() -> None:
    (row,) = as_dicts(
        wave_export_rows(wave(), [item("tee-s", "20.00", "15.00")], catalog=tee_catalog())
    )
    assert row["cost"] == ""
    assert row["margin_percent"] == ""
    assert row["on_hand"] == "0"
    assert row["value_impact"] == "0.00"


def test_discount_percent_rounds_half_up_to_two_places() -> None:
    items = [
        item("a", "3.00", "2.00"),  # 33.333...
        item("b", "3.00", "1.00"),  # 66.666...
        item("c", "8.00", "7.99"),  # 0.125 -> 0.13
        item("d", "0.00", "0.00"),  # no base: no percentage
        item("e", "5.00", "0.00"),
    ]
    rows = as_dicts(wave_export_rows(wave(), items, catalog=repo()))
    assert [r["discount_percent"] for r in rows] == ["33.33", "66.67", "0.13", "", "100.00"]


def test_amounts_use_the_currencys_minor_unit() -> None:
    jpy = [item("tee-s", "1200", "900", currency="JPY", cost="500")]
    (row,) = as_dicts(wave_export_rows(wave("JPY"), jpy, catalog=repo(), on_hand={"tee-s": 2}))
    assert (row["currency"], row["original_price"], row["markdown_price"], row["cost"]) == (
        "JPY",
        "1200",
        "900",
        "500",
    )
    assert row["value_impact"] == "600"
    kwd = [item("tee-s", "1.250", "0.125", currency="KWD")]
    (row,) = as_dicts(wave_export_rows(wave("KWD"), kwd, catalog=repo()))
    assert (row["original_price"], row["markdown_price"], row["discount_percent"]) == (
        "1.250",
        "0.125",
        "90.00",
    )


def test_original_price_is_the_base_price_not_the_regular_price() -> None:
    stacked = WaveItem(
        wave_id="w1",
        variant_id="tee-s",
        product_id="tee",
        regular_price=Money.of("20.00", "USD"),
        base_price=Money.of("15.00", "USD"),
        stacked_on_wave_id="w0",
        markdown_price=Money.of("11.25", "USD"),
    )
    (row,) = as_dicts(wave_export_rows(wave(), [stacked], catalog=tee_catalog()))
    assert row["original_price"] == "15.00"
    assert row["discount_percent"] == "25.00"


def test_on_hand_is_plain_decimal_and_value_impact_rounds_half_up() -> None:
    items = [item("a", "1.00", "0.95"), item("b", "1.00", "0.95"), item("c", "1.00", "0.95")]
    stock = {"a": Decimal("1.5"), "b": Decimal("1E+2"), "c": Decimal("0.100")}
    rows = as_dicts(wave_export_rows(wave(), items, catalog=repo(), on_hand=stock))
    assert [r["on_hand"] for r in rows] == ["1.5", "100", "0.100"]
    # 0.05 x 1.5 = 0.075 -> 0.08; 0.05 x 100 = 5.00; 0.05 x 0.1 = 0.005 -> 0.01
    assert [r["value_impact"] for r in rows] == ["0.08", "5.00", "0.01"]


def test_a_float_on_hand_is_refused() -> None:
    rows = wave_export_rows(
        wave(),
        [item("tee-s", "20.00", "15.00")],
        catalog=tee_catalog(),
        on_hand={"tee-s": 1.5},  # type: ignore[dict-item]
    )
    with pytest.raises(InvalidValueError, match="float"):
        list(rows)


def test_an_item_in_another_currency_is_refused() -> None:
    rows = wave_export_rows(
        wave(), [item("tee-s", "20.00", "15.00", currency="EUR")], catalog=repo()
    )
    with pytest.raises(CurrencyMismatchError) as caught:
        list(rows)
    assert (caught.value.expected, caught.value.actual) == ("USD", "EUR")


def test_a_variant_missing_from_the_catalog_still_gets_a_row() -> None:
    items = [
        item("gone", "20.00", "15.00"),  # product still there
        item("ghost", "5.00", "4.00", product_id="no-such-product"),
        item("tee-s", "20.00", "15.00"),
    ]
    rows = as_dicts(wave_export_rows(wave(), items, catalog=tee_catalog()))
    assert [r["variant_id"] for r in rows] == ["gone", "ghost", "tee-s"]
    assert (rows[0]["sku"], rows[0]["variant_label"], rows[0]["product_name"]) == (
        "",
        "",
        "Basic Tee",
    )
    assert (rows[1]["sku"], rows[1]["variant_label"], rows[1]["product_name"]) == ("", "", "")
    assert rows[1]["original_price"] == "5.00"
    assert rows[2]["sku"] == "TEE-S"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("a=b", "a=b"),
        (" =x", " =x"),
        ("", ""),
    ],
)
def test_text_cells_are_guarded_against_formula_injection(text: str, cell: str) -> None:
    catalog = repo(
        products=[Product(id="p", name=text)],
        variants=[
            Variant(id=text or "v", product_id="p", sku=text, label=text, price=Money(100, "USD"))
        ],
    )
    (row,) = as_dicts(
        wave_export_rows(
            wave(), [item(text or "v", "1.00", "0.50", product_id="p")], catalog=catalog
        )
    )
    assert row["sku"] == row["product_name"] == row["variant_label"] == cell
    assert row["variant_id"] == (cell or "v")
    assert row["original_price"] == "1.00"


# -- catalog lookups ------------------------------------------------------------------------


class CountingCatalog:
    """A catalog repository that records the lookups made through it."""

    def __init__(self, inner: InMemoryCatalogRepository) -> None:
        self.inner = inner
        self.variant_calls: list[list[str]] = []
        self.product_calls: list[str] = []

    def get_product(self, product_id: str) -> Product | None:
        self.product_calls.append(product_id)
        return self.inner.get_product(product_id)

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        ids = list(variant_ids)
        self.variant_calls.append(ids)
        return self.inner.get_variants(ids)

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        raise AssertionError("the export does not expand scopes")

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        raise AssertionError("the export does not expand scopes")

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        raise AssertionError("the export does not expand scopes")

    def category_tree(self) -> CategoryTree:
        raise AssertionError("the export does not read categories")


def many_items(count: int, products: int) -> list[WaveItem]:
    return [
        item(f"v{index:05d}", "2.00", "1.00", product_id=f"p{index % products}")
        for index in range(count)
    ]


def test_variants_are_looked_up_in_chunks_and_products_once_each() -> None:
    items = many_items(2500, products=7)
    catalog = CountingCatalog(
        repo(
            products=[Product(id=f"p{n}", name=f"Product {n}") for n in range(7)],
            variants=[
                Variant(
                    id=i.variant_id,
                    product_id=i.product_id,
                    sku=i.variant_id.upper(),
                    price=Money(200, "USD"),
                )
                for i in items
            ],
        )
    )
    rows = as_dicts(wave_export_rows(wave(), items, catalog=catalog))
    assert len(rows) == 2500
    assert [len(call) for call in catalog.variant_calls] == [1000, 1000, 500]
    assert sorted(catalog.product_calls) == [f"p{n}" for n in range(7)]
    assert rows[1234]["sku"] == "V01234"
    assert rows[1234]["product_name"] == f"Product {1234 % 7}"


def test_the_export_is_streamed_not_built_up_front() -> None:
    consumed = 0

    def lazy_items() -> Iterator[WaveItem]:
        nonlocal consumed
        for wave_item in many_items(5000, products=3):
            consumed += 1
            yield wave_item

    lines = iter_wave_csv(wave(), lazy_items(), catalog=repo())
    assert next(lines) == ",".join(EXPORT_COLUMNS) + "\r\n"
    assert consumed == 0
    next(lines)
    assert consumed <= 1000  # one lookup chunk, not the whole wave
    assert sum(1 for _ in lines) == 4999


# -- CSV text -----------------------------------------------------------------------------------


def test_csv_lines_are_rfc_4180() -> None:
    catalog = repo(
        products=[Product(id="p", name='Tee, "classic"\nedition')],
        variants=[Variant(id="v", product_id="p", sku="S1", label="L", price=Money(100, "USD"))],
    )
    lines = list(
        iter_wave_csv(wave(), [item("v", "1.00", "0.75", product_id="p")], catalog=catalog)
    )
    assert lines[0] == (
        "variant_id,sku,product_name,variant_label,currency,original_price,markdown_price,"
        "discount_percent,cost,margin_percent,on_hand,value_impact,flags\r\n"
    )
    assert lines[1] == 'v,S1,"Tee, ""classic""\nedition",L,USD,1.00,0.75,25.00,,,0,0.00,\r\n'
    assert len(lines) == 2


def test_csv_without_header() -> None:
    lines = list(
        iter_wave_csv(
            wave(), [item("tee-s", "20.00", "15.00")], catalog=tee_catalog(), header=False
        )
    )
    assert len(lines) == 1
    assert lines[0].startswith("tee-s,TEE-S,")


def test_write_wave_csv_writes_the_same_text_and_counts_rows() -> None:
    items = [
        item("tee-s", "20.00", "15.00", cost="8.00", margin="46.67"),
        item("hat-1", "9.99", "7.49", product_id="hat"),
        item("gone", "1.00", "0.50"),
    ]
    out = io.StringIO(newline="")
    written = write_wave_csv(wave(), items, out, catalog=tee_catalog(), on_hand={"hat-1": 4})
    assert written == 3
    text = out.getvalue()
    assert text == "".join(
        iter_wave_csv(wave(), items, catalog=tee_catalog(), on_hand={"hat-1": 4})
    )
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == list(EXPORT_COLUMNS)
    assert parsed[2][EXPORT_COLUMNS.index("value_impact")] == "10.00"  # 2.50 x 4
    assert len(parsed) == 4


def test_write_wave_csv_of_no_items_writes_the_header_only() -> None:
    out = io.StringIO(newline="")
    assert write_wave_csv(wave(), [], out, catalog=repo()) == 0
    assert out.getvalue() == ",".join(EXPORT_COLUMNS) + "\r\n"


def test_an_excluded_item_has_no_value_impact_whatever_its_stock() -> None:
    items = [
        item("tee-s", "20.00", "15.00", reason=ExclusionReason.BELOW_FLOOR),
        item("hat-1", "9.99", "7.49", product_id="hat"),
    ]
    rows = as_dicts(
        wave_export_rows(wave(), items, catalog=tee_catalog(), on_hand={"tee-s": 3, "hat-1": 2})
    )
    assert [row["value_impact"] for row in rows] == ["0.00", "5.00"]
    assert rows[0]["flags"] == "excluded:below_floor"
