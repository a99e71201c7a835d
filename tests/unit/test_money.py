"""Unit tests for pricekit.money."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest
from pydantic import BaseModel

from pricekit.errors import CurrencyMismatchError, InvalidValueError, PricekitError
from pricekit.money import (
    CURRENCIES,
    CurrencyCode,
    Money,
    Rounding,
    allocate,
    allocate_minor_units,
    get_currency,
    round_ratio,
    to_decimal,
)

# -- the currency table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
        ("IQD", 3),
        ("LYD", 3),
        ("CLF", 4),
        ("UYW", 4),
    ],
)
def test_iso_exponents(code: str, exponent: int) -> None:
    assert CURRENCIES[code].exponent == exponent
    assert CURRENCIES[code].minor_per_major == 10**exponent


def test_table_is_complete_and_consistent() -> None:
    assert len(CURRENCIES) >= 150
    numerics = [currency.numeric for currency in CURRENCIES.values()]
    assert len(numerics) == len(set(numerics)), "numeric codes are unique"
    for code, currency in CURRENCIES.items():
        assert code == currency.code
        assert len(code) == 3
        assert code.isupper()
        assert currency.exponent in (0, 2, 3, 4)
    # Units that ISO lists without a minor unit are not money pricekit can price.
    for code in ("XAU", "XDR", "XXX"):
        assert code not in CURRENCIES


def test_currency_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        CURRENCIES["ZZZ"] = CURRENCIES["USD"]  # type: ignore[index]


@pytest.mark.parametrize("code", ["ZZZ", "", "US", "usdd", None, 840])
def test_unknown_currency_names_field_and_value(code: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        get_currency(code)  # type: ignore[arg-type]
    assert info.value.field == "currency"
    assert info.value.value == code
    assert "ISO 4217" in str(info.value)


def test_lower_case_code_gets_a_hint() -> None:
    with pytest.raises(InvalidValueError, match="did you mean 'USD'"):
        Money(1, "usd")


# -- construction -----------------------------------------------------------------------


def test_minor_units_constructor() -> None:
    price = Money(2599, "USD")
    assert price.minor_units == 2599
    assert price.currency is CURRENCIES["USD"]
    assert price.amount == Decimal("25.99")
    assert price.minor_units_str == "2599"


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [
        ("25.99", "USD", 2599),
        ("25.9", "USD", 2590),
        ("25", "USD", 2500),
        (25, "USD", 2500),
        (Decimal("25.990"), "USD", 2599),
        ("-0.05", "USD", -5),
        (".5", "USD", 50),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("0.0001", "CLF", 1),
        (" 7.10 ", "EUR", 710),
        ("+3", "EUR", 300),
    ],
)
def test_of_parses_exactly(amount: str | int | Decimal, code: str, minor: int) -> None:
    assert Money.of(amount, code).minor_units == minor


@pytest.mark.parametrize("amount", [25.99, 0.1, float("nan")])
def test_floats_are_refused_everywhere(amount: float) -> None:
    with pytest.raises(InvalidValueError) as info:
        Money.of(amount, "USD")  # type: ignore[arg-type]
    assert info.value.field == "amount"
    assert "float" in info.value.reason
    with pytest.raises(InvalidValueError) as info:
        Money(amount, "USD")  # type: ignore[arg-type]
    assert info.value.field == "minor_units"
    with pytest.raises(InvalidValueError) as info:
        Money(100, "USD") * amount  # type: ignore[operator]
    assert info.value.field == "factor"


@pytest.mark.parametrize(
    "amount", ["", "abc", "1e3", "1,000.00", "--1", "NaN", "Infinity", "1.2.3"]
)
def test_malformed_amounts_are_refused(amount: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        Money.of(amount, "USD")
    assert info.value.field == "amount"
    assert info.value.value == amount


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), True, None, [1]])
def test_non_numbers_are_refused(amount: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        Money.of(amount, "USD")  # type: ignore[arg-type]
    assert info.value.field == "amount"


def test_minor_units_must_be_int() -> None:
    for bad in (Decimal(5), "5", True):
        with pytest.raises(InvalidValueError) as info:
            Money(bad, "USD")  # type: ignore[arg-type]
        assert info.value.field == "minor_units"


def test_excess_precision_is_refused_without_rounding() -> None:
    with pytest.raises(InvalidValueError) as info:
        Money.of("25.999", "USD")
    assert info.value.field == "amount"
    assert info.value.value == "25.999"
    assert "rounding" in info.value.reason
    with pytest.raises(InvalidValueError):
        Money.of("1.5", "JPY")
    with pytest.raises(InvalidValueError):
        Money.of("0.0011", "KWD")


@pytest.mark.parametrize(
    ("amount", "rounding", "minor"),
    [
        ("0.125", Rounding.HALF_UP, 13),
        ("0.125", Rounding.HALF_EVEN, 12),
        ("0.135", Rounding.HALF_EVEN, 14),
        ("0.125", Rounding.HALF_DOWN, 12),
        ("0.121", Rounding.UP, 13),
        ("0.129", Rounding.DOWN, 12),
        ("-0.125", Rounding.HALF_UP, -13),
        ("-0.121", Rounding.CEILING, -12),
        ("-0.121", Rounding.FLOOR, -13),
        ("0.121", Rounding.CEILING, 13),
        ("0.129", Rounding.FLOOR, 12),
    ],
)
def test_of_with_rounding(amount: str, rounding: Rounding, minor: int) -> None:
    assert Money.of(amount, "USD", rounding=rounding).minor_units == minor


def test_round_ratio_matches_decimal_quantize() -> None:
    modes = {
        Rounding.HALF_UP: "ROUND_HALF_UP",
        Rounding.HALF_EVEN: "ROUND_HALF_EVEN",
        Rounding.HALF_DOWN: "ROUND_HALF_DOWN",
        Rounding.UP: "ROUND_UP",
        Rounding.DOWN: "ROUND_DOWN",
        Rounding.CEILING: "ROUND_CEILING",
        Rounding.FLOOR: "ROUND_FLOOR",
    }
    for rounding, decimal_mode in modes.items():
        for numerator in range(-41, 42):
            for denominator in (1, 2, 3, 4, 8, 10, -4):
                expected = (Decimal(numerator) / Decimal(denominator)).quantize(
                    Decimal(1), rounding=decimal_mode
                )
                assert round_ratio(numerator, denominator, rounding) == int(expected), (
                    rounding,
                    numerator,
                    denominator,
                )


def test_round_ratio_refuses_zero_denominator() -> None:
    with pytest.raises(InvalidValueError):
        round_ratio(1, 0)


def test_round_ratio_is_exact_beyond_decimal_context_precision() -> None:
    # 40 digits: more than decimal's default 28-digit context would keep.
    big = 10**40 + 1
    assert round_ratio(big * 3, 3) == big
    assert Money(big, "USD").multiply(Decimal("0.5")).minor_units == (big + 1) // 2


# -- formatting and parsing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(2599, "USD"), "25.99 USD"),
        (Money(5, "USD"), "0.05 USD"),
        (Money(-5, "USD"), "-0.05 USD"),
        (Money(0, "USD"), "0.00 USD"),
        (Money(1000, "JPY"), "1000 JPY"),
        (Money(-1, "KWD"), "-0.001 KWD"),
        (Money(12345, "CLF"), "1.2345 CLF"),
    ],
)
def test_str_and_parse(money: Money, text: str) -> None:
    assert str(money) == text
    assert Money.parse(text) == money
    assert repr(money) == f"Money({money.format_amount()!r}, {money.currency.code!r})"


@pytest.mark.parametrize("text", ["25.99", "25.99 USD extra", "USD", 25])
def test_parse_refuses_malformed(text: object) -> None:
    with pytest.raises(InvalidValueError):
        Money.parse(text)  # type: ignore[arg-type]


# -- arithmetic -------------------------------------------------------------------------


def test_add_sub_neg_abs() -> None:
    a, b = Money.of("10.50", "USD"), Money.of("0.75", "USD")
    assert a + b == Money(1125, "USD")
    assert a - b == Money(975, "USD")
    assert b - a == Money(-975, "USD")
    assert -a == Money(-1050, "USD")
    assert +a is a
    assert abs(Money(-3, "USD")) == Money(3, "USD")


def test_mixed_currencies_are_refused() -> None:
    usd, eur = Money(100, "USD"), Money(100, "EUR")
    for op in (
        lambda: usd + eur,
        lambda: usd - eur,
        lambda: usd < eur,
        lambda: usd <= eur,
        lambda: usd > eur,
        lambda: usd >= eur,
        lambda: Money.sum([usd, eur], currency="USD"),
    ):
        with pytest.raises(CurrencyMismatchError) as info:
            op()
        assert {info.value.expected, info.value.actual} == {"USD", "EUR"}
    assert usd != eur  # equality across currencies is simply false


def test_non_money_operands() -> None:
    with pytest.raises(TypeError):
        Money(1, "USD") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(1, "USD") * "2"  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(1, "USD") * True  # type: ignore[operator]
    assert Money(1, "USD") != 1


def test_multiply_by_quantities() -> None:
    price = Money.of("2.99", "USD")
    assert price * 3 == Money(897, "USD")
    assert 3 * price == Money(897, "USD")
    # 1.255 kg at 2.99/kg = 3.75245 -> 3.75
    assert price * Decimal("1.255") == Money(375, "USD")
    assert price.multiply("1.255") == Money(375, "USD")
    # 0.5 x 0.05 = 0.025: half-up 0.03, half-even 0.02, down 0.02, up 0.03
    nickel = Money(5, "USD")
    assert nickel.multiply(Decimal("0.5")) == Money(3, "USD")
    assert nickel.multiply(Decimal("0.5"), rounding=Rounding.HALF_EVEN) == Money(2, "USD")
    assert nickel.multiply(Decimal("0.5"), rounding=Rounding.DOWN) == Money(2, "USD")
    assert nickel.multiply(Decimal("0.5"), rounding=Rounding.UP) == Money(3, "USD")


def test_divide() -> None:
    assert Money(1000, "USD").divide(3) == Money(333, "USD")
    assert Money(1000, "USD").divide(3, rounding=Rounding.UP) == Money(334, "USD")
    assert Money(1000, "USD").divide(Decimal("0.5")) == Money(2000, "USD")
    with pytest.raises(InvalidValueError) as info:
        Money(1000, "USD").divide(0)
    assert info.value.field == "divisor"


def test_percentage_and_less_percentage() -> None:
    price = Money.of("19.99", "USD")
    assert price.percentage(20) == Money(400, "USD")  # 3.998 -> 4.00
    assert price.percentage(Decimal("12.5")) == Money(250, "USD")  # 2.49875 -> 2.50
    assert price.less_percentage(20) == Money(1599, "USD")  # 15.992 -> 15.99
    assert price.percentage(0) == Money(0, "USD")
    assert price.less_percentage(100) == Money(0, "USD")
    # the two roundings differ by one minor unit at a half
    odd = Money.of("1.05", "USD")
    assert odd.less_percentage(50) == Money(53, "USD")
    assert odd - odd.percentage(50) == Money(52, "USD")
    with pytest.raises(InvalidValueError) as info:
        price.percentage(2.5)  # type: ignore[arg-type]
    assert info.value.field == "percent"


def test_compound_percentages() -> None:
    # 25% off, then 25% off the result: 43.75% off in all.
    price = Money.of("100.00", "USD")
    assert price.less_percentage(25).less_percentage(25) == price.less_percentage("43.75")


def test_sum_and_zero() -> None:
    values = [Money(1, "JPY"), Money(2, "JPY"), Money(3, "JPY")]
    assert Money.sum(values, currency="JPY") == Money(6, "JPY")
    assert Money.sum([], currency="JPY") == Money.zero("JPY")
    assert Money.zero("USD").is_zero()
    assert not Money.zero("USD")
    assert Money(1, "USD")
    assert Money(1, "USD").is_positive()
    assert Money(-1, "USD").is_negative()


def test_ordering_and_hashing() -> None:
    small, big = Money(1, "USD"), Money(2, "USD")
    assert small < big
    assert small <= Money(1, "USD")
    assert big > small
    assert big >= Money(2, "USD")
    assert max([small, big]) is big
    assert sorted([big, small]) == [small, big]
    assert len({Money(1, "USD"), Money.of("0.01", "USD"), Money(1, "EUR")}) == 2


def test_immutable_and_copyable() -> None:
    price = Money(100, "USD")
    with pytest.raises(AttributeError):
        price._minor = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        price.foo = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del price._minor
    assert copy.copy(price) is price
    assert copy.deepcopy(price) is price
    assert pickle.loads(pickle.dumps(price)) == price


def test_split() -> None:
    assert Money.of("10.00", "USD").split(3) == [
        Money(334, "USD"),
        Money(333, "USD"),
        Money(333, "USD"),
    ]
    for bad in (0, -1, 1.5):
        with pytest.raises(InvalidValueError) as info:
            Money(1, "USD").split(bad)  # type: ignore[arg-type]
        assert info.value.field == "parts"


# -- allocation -------------------------------------------------------------------------


def test_allocate_proportionally() -> None:
    assert allocate_minor_units(1000, [3, 1]) == [750, 250]
    assert allocate_minor_units(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate_minor_units(5, [Decimal("0.5"), Decimal("0.25"), Decimal("0.25")]) == [3, 1, 1]


def test_allocate_largest_remainder_and_ties_to_lower_index() -> None:
    # exact shares 3.3, 3.3, 3.4 of 10 -> 3, 3, 4 (largest remainder goes to index 2)
    assert allocate_minor_units(10, [33, 33, 34]) == [3, 3, 4]
    # equal remainders: the lower index wins
    assert allocate_minor_units(2, [1, 1, 1]) == [1, 1, 0]


def test_allocate_zero_and_negative() -> None:
    assert allocate_minor_units(0, [1, 2]) == [0, 0]
    assert allocate_minor_units(0, [0, 0]) == [0, 0]
    assert allocate_minor_units(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate_minor_units(100, [0, 5, 0]) == [0, 100, 0]


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ([], "weights"),
        ([1, -1], "weights[1]"),
        ([1, 0.5], "weights[1]"),
        ([0, 0], "weights"),
        (["x"], "weights[0]"),
    ],
)
def test_allocate_bad_weights(weights: list[object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        allocate_minor_units(100, weights)  # type: ignore[arg-type]
    assert info.value.field == field


def test_allocate_money() -> None:
    shares = allocate(Money.of("100.00", "EUR"), [Decimal("19.99"), Decimal("5.01")])
    assert sum(share.minor_units for share in shares) == 10000
    assert all(share.currency.code == "EUR" for share in shares)
    with pytest.raises(InvalidValueError):
        allocate_minor_units(Decimal(5), [1])  # type: ignore[arg-type]


def test_to_decimal() -> None:
    assert to_decimal("1.50", field="x") == Decimal("1.50")
    assert to_decimal(3, field="x") == Decimal(3)
    with pytest.raises(InvalidValueError) as info:
        to_decimal(1.5, field="quantity")
    assert info.value.field == "quantity"


# -- pydantic -----------------------------------------------------------------------------


class _Priced(BaseModel):
    price: Money
    currency: CurrencyCode = "USD"


def test_pydantic_field_validates_and_serialises() -> None:
    item = _Priced.model_validate({"price": {"amount": "25.99", "currency": "USD"}})
    assert item.price == Money(2599, "USD")
    assert item.model_dump(mode="json") == {
        "price": {"amount": "25.99", "currency": "USD"},
        "currency": "USD",
    }
    assert item.model_dump()["price"] is item.price  # Python mode keeps the Money
    assert _Priced.model_validate_json(item.model_dump_json()) == item
    assert _Priced(price=Money(1, "JPY")).price == Money(1, "JPY")
    assert _Priced.model_validate({"price": "1.00 EUR"}).price == Money(100, "EUR")
    assert _Priced.model_validate(
        {"price": {"minor_units": "2599", "currency": "USD"}}
    ).price == Money(2599, "USD")
    schema = _Priced.model_json_schema()
    assert schema["properties"]["price"]["required"] == ["amount", "currency"]


@pytest.mark.parametrize(
    "raw",
    [
        {"amount": 25.99, "currency": "USD"},
        {"amount": "25.999", "currency": "USD"},
        {"amount": "1", "currency": "XYZ"},
        {"amount": "1"},
        {"currency": "USD"},
        {"amount": "1", "minor_units": 100, "currency": "USD"},
        {"amount": "1", "currency": "USD", "extra": 1},
        {"minor_units": "1.5", "currency": "USD"},
        25.99,
        [1],
    ],
)
def test_pydantic_field_refuses_bad_input(raw: object) -> None:
    with pytest.raises(ValueError, match="price") as info:
        _Priced.model_validate({"price": raw})
    assert "price" in str(info.value)


def test_currency_code_field() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        _Priced.model_validate({"price": "1.00 USD", "currency": "ABC"})


def test_errors_are_pricekit_errors_and_value_errors() -> None:
    with pytest.raises(PricekitError):
        Money.of("x", "USD")
    with pytest.raises(ValueError, match="not a decimal"):
        Money.of("x", "USD")
