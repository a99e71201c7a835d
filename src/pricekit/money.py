"""Exact money: integer minor units in an ISO 4217 currency.

A :class:`Money` is an immutable amount held as an integer count of the
currency's minor unit (cents for USD, yen for JPY, fils for KWD), together with
its :class:`Currency`. Nothing here ever holds a price in a float: floats are
refused at every entry point, and every operation that can produce a fraction
of a minor unit takes an explicit :class:`Rounding` (half-up by default).

Example:
    >>> from decimal import Decimal
    >>> from pricekit.money import Money, allocate
    >>> price = Money.of("25.99", "USD")
    >>> price.minor_units
    2599
    >>> str(price * 3)
    '77.97 USD'
    >>> [str(m) for m in allocate(Money.of("10.00", "USD"), [1, 1, 1])]
    ['3.34 USD', '3.33 USD', '3.33 USD']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Final, NoReturn, Self

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from pricekit.errors import CurrencyMismatchError, InvalidValueError

__all__ = [
    "CURRENCIES",
    "Currency",
    "CurrencyCode",
    "Money",
    "Quantity",
    "Rounding",
    "allocate",
    "allocate_minor_units",
    "get_currency",
    "round_ratio",
    "to_decimal",
]


class Rounding(StrEnum):
    """How a fraction of a minor unit is resolved.

    The names follow :mod:`decimal`: ``UP`` and ``DOWN`` are away from and toward
    zero; ``CEILING`` and ``FLOOR`` toward positive and negative infinity.
    """

    HALF_UP = "half_up"
    """Nearest; a half goes away from zero (2.5 -> 3, -2.5 -> -3). The default."""
    HALF_EVEN = "half_even"
    """Nearest; a half goes to the even neighbour (banker's rounding)."""
    HALF_DOWN = "half_down"
    """Nearest; a half goes toward zero."""
    UP = "up"
    """Away from zero."""
    DOWN = "down"
    """Toward zero (truncation)."""
    CEILING = "ceiling"
    """Toward positive infinity."""
    FLOOR = "floor"
    """Toward negative infinity."""


def round_ratio(numerator: int, denominator: int, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Divide two integers exactly and round the quotient to an integer.

    This is the one place pricekit rounds: the arithmetic is on integers, so it
    is exact at any magnitude (no decimal context precision to run out of).

    Args:
        numerator: The dividend.
        denominator: The divisor; must not be zero.
        rounding: How to resolve a remainder.

    Returns:
        ``numerator / denominator`` rounded to an integer.
    """
    if denominator == 0:
        raise InvalidValueError(field="denominator", value=0, reason="cannot divide by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder:
        twice = 2 * remainder
        if rounding is Rounding.HALF_UP:
            bump = twice >= denominator
        elif rounding is Rounding.HALF_EVEN:
            bump = twice > denominator or (twice == denominator and quotient % 2 == 1)
        elif rounding is Rounding.HALF_DOWN:
            bump = twice > denominator
        elif rounding is Rounding.UP:
            bump = True
        elif rounding is Rounding.DOWN:
            bump = False
        elif rounding is Rounding.CEILING:
            bump = sign > 0
        else:  # FLOOR
            bump = sign < 0
        quotient += bump
    result: int = sign * quotient
    return result


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency.

    Attributes:
        code: The three-letter alphabetic code, e.g. ``"USD"``.
        numeric: The three-digit numeric code, e.g. ``840``.
        exponent: How many decimal places the minor unit has (USD 2, JPY 0, KWD 3, CLF 4).
        name: The currency's ISO name.
    """

    code: str
    numeric: int
    exponent: int
    name: str
    minor_per_major: int = field(init=False, repr=False, compare=False)
    """How many minor units make one major unit (100 for USD, 1 for JPY)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "minor_per_major", pow(10, self.exponent))

    def __str__(self) -> str:
        return self.code


# Every active ISO 4217 currency that has a minor unit: (code, numeric, exponent, name).
# Codes whose minor unit ISO lists as "N.A." (precious metals, bond units, XDR, the
# no-currency code) are not money that can be priced and are not included.
_ISO_4217: Final[tuple[tuple[str, int, int, str], ...]] = (
    ("AED", 784, 2, "UAE Dirham"),
    ("AFN", 971, 2, "Afghani"),
    ("ALL", 8, 2, "Lek"),
    ("AMD", 51, 2, "Armenian Dram"),
    ("AOA", 973, 2, "Kwanza"),
    ("ARS", 32, 2, "Argentine Peso"),
    ("AUD", 36, 2, "Australian Dollar"),
    ("AWG", 533, 2, "Aruban Florin"),
    ("AZN", 944, 2, "Azerbaijan Manat"),
    ("BAM", 977, 2, "Convertible Mark"),
    ("BBD", 52, 2, "Barbados Dollar"),
    ("BDT", 50, 2, "Taka"),
    ("BHD", 48, 3, "Bahraini Dinar"),
    ("BIF", 108, 0, "Burundi Franc"),
    ("BMD", 60, 2, "Bermudian Dollar"),
    ("BND", 96, 2, "Brunei Dollar"),
    ("BOB", 68, 2, "Boliviano"),
    ("BOV", 984, 2, "Mvdol"),
    ("BRL", 986, 2, "Brazilian Real"),
    ("BSD", 44, 2, "Bahamian Dollar"),
    ("BTN", 64, 2, "Ngultrum"),
    ("BWP", 72, 2, "Pula"),
    ("BYN", 933, 2, "Belarusian Ruble"),
    ("BZD", 84, 2, "Belize Dollar"),
    ("CAD", 124, 2, "Canadian Dollar"),
    ("CDF", 976, 2, "Congolese Franc"),
    ("CHE", 947, 2, "WIR Euro"),
    ("CHF", 756, 2, "Swiss Franc"),
    ("CHW", 948, 2, "WIR Franc"),
    ("CLF", 990, 4, "Unidad de Fomento"),
    ("CLP", 152, 0, "Chilean Peso"),
    ("CNY", 156, 2, "Yuan Renminbi"),
    ("COP", 170, 2, "Colombian Peso"),
    ("COU", 970, 2, "Unidad de Valor Real"),
    ("CRC", 188, 2, "Costa Rican Colon"),
    ("CUP", 192, 2, "Cuban Peso"),
    ("CVE", 132, 2, "Cabo Verde Escudo"),
    ("CZK", 203, 2, "Czech Koruna"),
    ("DJF", 262, 0, "Djibouti Franc"),
    ("DKK", 208, 2, "Danish Krone"),
    ("DOP", 214, 2, "Dominican Peso"),
    ("DZD", 12, 2, "Algerian Dinar"),
    ("EGP", 818, 2, "Egyptian Pound"),
    ("ERN", 232, 2, "Nakfa"),
    ("ETB", 230, 2, "Ethiopian Birr"),
    ("EUR", 978, 2, "Euro"),
    ("FJD", 242, 2, "Fiji Dollar"),
    ("FKP", 238, 2, "Falkland Islands Pound"),
    ("GBP", 826, 2, "Pound Sterling"),
    ("GEL", 981, 2, "Lari"),
    ("GHS", 936, 2, "Ghana Cedi"),
    ("GIP", 292, 2, "Gibraltar Pound"),
    ("GMD", 270, 2, "Dalasi"),
    ("GNF", 324, 0, "Guinean Franc"),
    ("GTQ", 320, 2, "Quetzal"),
    ("GYD", 328, 2, "Guyana Dollar"),
    ("HKD", 344, 2, "Hong Kong Dollar"),
    ("HNL", 340, 2, "Lempira"),
    ("HTG", 332, 2, "Gourde"),
    ("HUF", 348, 2, "Forint"),
    ("IDR", 360, 2, "Rupiah"),
    ("ILS", 376, 2, "New Israeli Sheqel"),
    ("INR", 356, 2, "Indian Rupee"),
    ("IQD", 368, 3, "Iraqi Dinar"),
    ("IRR", 364, 2, "Iranian Rial"),
    ("ISK", 352, 0, "Iceland Krona"),
    ("JMD", 388, 2, "Jamaican Dollar"),
    ("JOD", 400, 3, "Jordanian Dinar"),
    ("JPY", 392, 0, "Yen"),
    ("KES", 404, 2, "Kenyan Shilling"),
    ("KGS", 417, 2, "Som"),
    ("KHR", 116, 2, "Riel"),
    ("KMF", 174, 0, "Comorian Franc"),
    ("KPW", 408, 2, "North Korean Won"),
    ("KRW", 410, 0, "Won"),
    ("KWD", 414, 3, "Kuwaiti Dinar"),
    ("KYD", 136, 2, "Cayman Islands Dollar"),
    ("KZT", 398, 2, "Tenge"),
    ("LAK", 418, 2, "Lao Kip"),
    ("LBP", 422, 2, "Lebanese Pound"),
    ("LKR", 144, 2, "Sri Lanka Rupee"),
    ("LRD", 430, 2, "Liberian Dollar"),
    ("LSL", 426, 2, "Loti"),
    ("LYD", 434, 3, "Libyan Dinar"),
    ("MAD", 504, 2, "Moroccan Dirham"),
    ("MDL", 498, 2, "Moldovan Leu"),
    ("MGA", 969, 2, "Malagasy Ariary"),
    ("MKD", 807, 2, "Denar"),
    ("MMK", 104, 2, "Kyat"),
    ("MNT", 496, 2, "Tugrik"),
    ("MOP", 446, 2, "Pataca"),
    ("MRU", 929, 2, "Ouguiya"),
    ("MUR", 480, 2, "Mauritius Rupee"),
    ("MVR", 462, 2, "Rufiyaa"),
    ("MWK", 454, 2, "Malawi Kwacha"),
    ("MXN", 484, 2, "Mexican Peso"),
    ("MXV", 979, 2, "Mexican Unidad de Inversion (UDI)"),
    ("MYR", 458, 2, "Malaysian Ringgit"),
    ("MZN", 943, 2, "Mozambique Metical"),
    ("NAD", 516, 2, "Namibia Dollar"),
    ("NGN", 566, 2, "Naira"),
    ("NIO", 558, 2, "Cordoba Oro"),
    ("NOK", 578, 2, "Norwegian Krone"),
    ("NPR", 524, 2, "Nepalese Rupee"),
    ("NZD", 554, 2, "New Zealand Dollar"),
    ("OMR", 512, 3, "Rial Omani"),
    ("PAB", 590, 2, "Balboa"),
    ("PEN", 604, 2, "Sol"),
    ("PGK", 598, 2, "Kina"),
    ("PHP", 608, 2, "Philippine Peso"),
    ("PKR", 586, 2, "Pakistan Rupee"),
    ("PLN", 985, 2, "Zloty"),
    ("PYG", 600, 0, "Guarani"),
    ("QAR", 634, 2, "Qatari Rial"),
    ("RON", 946, 2, "Romanian Leu"),
    ("RSD", 941, 2, "Serbian Dinar"),
    ("RUB", 643, 2, "Russian Ruble"),
    ("RWF", 646, 0, "Rwanda Franc"),
    ("SAR", 682, 2, "Saudi Riyal"),
    ("SBD", 90, 2, "Solomon Islands Dollar"),
    ("SCR", 690, 2, "Seychelles Rupee"),
    ("SDG", 938, 2, "Sudanese Pound"),
    ("SEK", 752, 2, "Swedish Krona"),
    ("SGD", 702, 2, "Singapore Dollar"),
    ("SHP", 654, 2, "Saint Helena Pound"),
    ("SLE", 925, 2, "Leone"),
    ("SOS", 706, 2, "Somali Shilling"),
    ("SRD", 968, 2, "Surinam Dollar"),
    ("SSP", 728, 2, "South Sudanese Pound"),
    ("STN", 930, 2, "Dobra"),
    ("SVC", 222, 2, "El Salvador Colon"),
    ("SYP", 760, 2, "Syrian Pound"),
    ("SZL", 748, 2, "Lilangeni"),
    ("THB", 764, 2, "Baht"),
    ("TJS", 972, 2, "Somoni"),
    ("TMT", 934, 2, "Turkmenistan New Manat"),
    ("TND", 788, 3, "Tunisian Dinar"),
    ("TOP", 776, 2, "Pa\u2019anga"),
    ("TRY", 949, 2, "Turkish Lira"),
    ("TTD", 780, 2, "Trinidad and Tobago Dollar"),
    ("TWD", 901, 2, "New Taiwan Dollar"),
    ("TZS", 834, 2, "Tanzanian Shilling"),
    ("UAH", 980, 2, "Hryvnia"),
    ("UGX", 800, 0, "Uganda Shilling"),
    ("USD", 840, 2, "US Dollar"),
    ("USN", 997, 2, "US Dollar (Next day)"),
    ("UYI", 940, 0, "Uruguay Peso en Unidades Indexadas (UI)"),
    ("UYU", 858, 2, "Peso Uruguayo"),
    ("UYW", 927, 4, "Unidad Previsional"),
    ("UZS", 860, 2, "Uzbekistan Sum"),
    ("VED", 926, 2, "Bolívar Soberano"),
    ("VES", 928, 2, "Bolívar Soberano"),
    ("VND", 704, 0, "Dong"),
    ("VUV", 548, 0, "Vatu"),
    ("WST", 882, 2, "Tala"),
    ("XAD", 396, 2, "Arab Accounting Dinar"),
    ("XAF", 950, 0, "CFA Franc BEAC"),
    ("XCD", 951, 2, "East Caribbean Dollar"),
    ("XCG", 532, 2, "Caribbean Guilder"),
    ("XOF", 952, 0, "CFA Franc BCEAO"),
    ("XPF", 953, 0, "CFP Franc"),
    ("YER", 886, 2, "Yemeni Rial"),
    ("ZAR", 710, 2, "Rand"),
    ("ZMW", 967, 2, "Zambian Kwacha"),
    ("ZWG", 924, 2, "Zimbabwe Gold"),
)

CURRENCIES: Final[Mapping[str, Currency]] = MappingProxyType(
    {code: Currency(code, numeric, exponent, name) for code, numeric, exponent, name in _ISO_4217}
)
"""Every known currency by its ISO 4217 code (read-only)."""


def get_currency(code: str | Currency, *, field: str = "currency") -> Currency:
    """Look up a currency by its ISO 4217 code.

    Args:
        code: An ISO 4217 alphabetic code such as ``"USD"`` (upper case), or a
            :class:`Currency`, which is returned as it is.
        field: The field name to report if the code is refused.

    Raises:
        InvalidValueError: The code is not an ISO 4217 currency with a minor unit.
    """
    if isinstance(code, Currency):
        return code
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        pass
    if isinstance(code, str) and code.strip().upper() in CURRENCIES:
        hint = f"; ISO 4217 codes are upper case: did you mean {code.strip().upper()!r}?"
    else:
        hint = ""
    raise InvalidValueError(
        field=field, value=code, reason=f"unknown ISO 4217 currency code{hint}"
    ) from None


def _check_currency_code(code: str) -> str:
    return get_currency(code).code


CurrencyCode = Annotated[str, AfterValidator(_check_currency_code)]
"""A pydantic field type: an ISO 4217 code, checked against :data:`CURRENCIES`."""

Quantity = int | Decimal
"""A quantity or factor that money can be multiplied by: an int or an exact Decimal."""

_AMOUNT_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def to_decimal(value: object, *, field: str) -> Decimal:
    """Turn an exact numeric input into a finite :class:`~decimal.Decimal`.

    Accepts ``int``, ``Decimal`` and decimal strings such as ``"25.99"``; refuses
    floats (which cannot hold most prices exactly), booleans, NaN and infinities.

    Args:
        value: The value to convert.
        field: The field name to report if the value is refused.

    Raises:
        InvalidValueError: The value is not an exact, finite number.
    """
    if isinstance(value, bool):
        raise InvalidValueError(field=field, value=value, reason="a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError(field=field, value=value, reason="must be a finite number")
        return value
    if isinstance(value, float):
        _refuse_float(value, field=field)
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_RE.fullmatch(text):
            raise InvalidValueError(
                field=field, value=value, reason="not a decimal number such as '25.99'"
            )
        return Decimal(text)
    raise InvalidValueError(
        field=field,
        value=value,
        reason=f"expected an int, a Decimal or a decimal string, not {type(value).__name__}",
    )


def _refuse_float(value: float, *, field: str) -> NoReturn:
    raise InvalidValueError(
        field=field,
        value=value,
        reason="floats are refused for money and quantities (binary floats cannot hold "
        f"most decimal amounts exactly); pass a string such as {str(value)!r} "
        "or a Decimal",
    )


def _as_ratio(value: object, *, field: str) -> tuple[int, int]:
    """An exact (numerator, denominator) for an int, Decimal or decimal string."""
    if type(value) is int:
        return value, 1
    return to_decimal(value, field=field).as_integer_ratio()


class Money:
    """An immutable, exact amount of one currency.

    Build one from minor units, ``Money(2599, "USD")``, or from a decimal amount,
    ``Money.of("25.99", "USD")``. Arithmetic between two amounts requires the same
    currency; multiplying by a quantity takes an explicit rounding mode.

    Money compares and hashes by value. Equality across currencies is ``False``;
    ordering across currencies raises :class:`~pricekit.errors.CurrencyMismatchError`.

    Args:
        minor_units: The amount in the currency's minor unit (an ``int``).
        currency: An ISO 4217 code or a :class:`Currency`.

    Raises:
        InvalidValueError: ``minor_units`` is not an int, or the currency is unknown.
    """

    __slots__ = ("_currency", "_minor")

    _minor: int
    _currency: Currency

    def __init__(self, minor_units: int, currency: str | Currency) -> None:
        if type(minor_units) is not int:
            if isinstance(minor_units, float):
                _refuse_float(minor_units, field="minor_units")
            if isinstance(minor_units, int) and not isinstance(minor_units, bool):
                minor_units = int(minor_units)
            else:
                raise InvalidValueError(
                    field="minor_units",
                    value=minor_units,
                    reason="minor units must be an int (use Money.of() for decimal amounts)",
                )
        object.__setattr__(self, "_minor", minor_units)
        object.__setattr__(self, "_currency", get_currency(currency))

    @classmethod
    def _make(cls, minor_units: int, currency: Currency) -> Money:
        """Build without checks, for values already known to be valid."""
        money = _new(cls)
        _set_minor(money, minor_units)
        _set_currency(money, currency)
        return money

    # -- construction -------------------------------------------------------------

    @classmethod
    def of(
        cls,
        amount: str | int | Decimal,
        currency: str | Currency,
        *,
        rounding: Rounding | None = None,
    ) -> Money:
        """Build money from a decimal amount in major units.

        Args:
            amount: ``"25.99"``, ``Decimal("25.99")`` or an int of major units (``25``).
                Floats are refused.
            currency: An ISO 4217 code or a :class:`Currency`.
            rounding: How to round an amount more precise than the currency's minor
                unit. Without it, such an amount is refused.

        Raises:
            InvalidValueError: A float, a malformed amount, an unknown currency, or
                excess precision without a rounding mode.
        """
        cur = get_currency(currency)
        numerator, denominator = _as_ratio(amount, field="amount")
        scaled = numerator * cur.minor_per_major
        if scaled % denominator:
            if rounding is None:
                raise InvalidValueError(
                    field="amount",
                    value=amount,
                    reason=f"more precise than {cur.code}'s minor unit "
                    f"({cur.exponent} decimal place(s)); pass rounding= to round it",
                )
            return cls._make(round_ratio(scaled, denominator, rounding), cur)
        return cls._make(scaled // denominator, cur)

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in ``currency``."""
        return cls._make(0, get_currency(currency))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse the form :meth:`__str__` writes: ``"25.99 USD"``.

        Raises:
            InvalidValueError: The text is not ``"<amount> <CODE>"`` or the amount
                has more precision than the currency allows.
        """
        if not isinstance(text, str):
            raise InvalidValueError(field="text", value=text, reason="expected a string")
        parts = text.split()
        if len(parts) != 2:
            raise InvalidValueError(
                field="text", value=text, reason="expected '<amount> <CODE>', e.g. '25.99 USD'"
            )
        return cls.of(parts[0], parts[1])

    @classmethod
    def sum(cls, values: Iterable[Money], *, currency: str | Currency) -> Money:
        """Add up amounts of one currency; an empty iterable gives zero.

        Raises:
            CurrencyMismatchError: An amount is in another currency.
        """
        cur = get_currency(currency)
        total = 0
        for value in values:
            if value._currency is not cur:
                raise CurrencyMismatchError(expected=cur.code, actual=value._currency.code)
            total += value._minor
        return cls._make(total, cur)

    # -- reading ------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount in minor units, e.g. ``2599`` for 25.99 USD."""
        return self._minor

    @property
    def minor_units_str(self) -> str:
        """The minor units as a string, for JSON and caches (the seeds' ``unitPriceMinor``)."""
        return str(self._minor)

    @property
    def currency(self) -> Currency:
        """The currency."""
        return self._currency

    @property
    def amount(self) -> Decimal:
        """The exact amount in major units, with the currency's number of places."""
        return Decimal(self._minor).scaleb(-self._currency.exponent)

    def format_amount(self) -> str:
        """The amount as a plain decimal string, e.g. ``"25.99"``, ``"-0.05"``, ``"1000"`` (JPY)."""
        exponent = self._currency.exponent
        digits = str(abs(self._minor))
        sign = "-" if self._minor < 0 else ""
        if exponent == 0:
            return sign + digits
        digits = digits.rjust(exponent + 1, "0")
        return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"

    def to_dict(self) -> dict[str, str]:
        """The JSON form: ``{"amount": "25.99", "currency": "USD"}``."""
        return {"amount": self.format_amount(), "currency": self._currency.code}

    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self._minor == 0

    def is_positive(self) -> bool:
        """Whether the amount is above zero."""
        return self._minor > 0

    def is_negative(self) -> bool:
        """Whether the amount is below zero."""
        return self._minor < 0

    # -- arithmetic -----------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if other._currency is not self._currency:
            raise CurrencyMismatchError(expected=self._currency.code, actual=other._currency.code)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        currency = self._currency
        if other._currency is not currency:
            self._same(other)
        money = _new(Money)
        _set_minor(money, self._minor + other._minor)
        _set_currency(money, currency)
        return money

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        currency = self._currency
        if other._currency is not currency:
            self._same(other)
        money = _new(Money)
        _set_minor(money, self._minor - other._minor)
        _set_currency(money, currency)
        return money

    def __neg__(self) -> Money:
        return Money._make(-self._minor, self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return self if self._minor >= 0 else Money._make(-self._minor, self._currency)

    def multiply(self, factor: Quantity | str, *, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Multiply by an exact quantity (an int, a Decimal or a decimal string).

        Args:
            factor: How many, e.g. ``3`` or ``Decimal("1.25")`` (kilograms sold by weight).
            rounding: How to round a result between two minor units.

        Raises:
            InvalidValueError: ``factor`` is a float or not a number.
        """
        numerator, denominator = _as_ratio(factor, field="factor")
        return Money._make(
            round_ratio(self._minor * numerator, denominator, rounding), self._currency
        )

    def __mul__(self, factor: Quantity) -> Money:
        if isinstance(factor, float):
            _refuse_float(factor, field="factor")
        if not isinstance(factor, int | Decimal) or isinstance(factor, bool):
            return NotImplemented
        return self.multiply(factor)

    __rmul__ = __mul__

    def divide(self, divisor: Quantity | str, *, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Divide by an exact, non-zero quantity, rounding the result.

        To split an amount into parts that add back up exactly, use :meth:`split`
        or :func:`allocate` instead.

        Raises:
            InvalidValueError: ``divisor`` is zero, a float or not a number.
        """
        numerator, denominator = _as_ratio(divisor, field="divisor")
        if numerator == 0:
            raise InvalidValueError(field="divisor", value=divisor, reason="cannot divide by zero")
        return Money._make(
            round_ratio(self._minor * denominator, numerator, rounding), self._currency
        )

    def percentage(
        self, percent: Quantity | str, *, rounding: Rounding = Rounding.HALF_UP
    ) -> Money:
        """``percent`` per cent of this amount, rounded to the minor unit.

        ``Money.of("19.99", "USD").percentage(20)`` is 4.00 USD (3.998 rounded half-up).

        Args:
            percent: Per cent, e.g. ``20`` or ``Decimal("12.5")``; floats are refused.
            rounding: How to round the result.
        """
        numerator, denominator = _as_ratio(percent, field="percent")
        return Money._make(
            round_ratio(self._minor * numerator, denominator * 100, rounding), self._currency
        )

    def less_percentage(
        self, percent: Quantity | str, *, rounding: Rounding = Rounding.HALF_UP
    ) -> Money:
        """This amount reduced by ``percent`` per cent, the *result* rounded to the minor unit.

        The resulting price is what gets rounded (``price x (100 - percent) / 100``),
        which is how a marked-down shelf price is computed. It can differ by one
        minor unit from ``self - self.percentage(percent)``, which rounds the
        discount instead: 1.05 less 50% is 0.53 here, but 1.05 - 0.53 = 0.52 there.
        """
        numerator, denominator = _as_ratio(percent, field="percent")
        kept = 100 * denominator - numerator
        return Money._make(
            round_ratio(self._minor * kept, denominator * 100, rounding), self._currency
        )

    def split(self, parts: int) -> list[Money]:
        """Split into ``parts`` amounts as equal as possible that add up exactly.

        The first shares get the leftover minor units: 10.00 in 3 is 3.34, 3.33, 3.33.
        """
        if type(parts) is not int or parts < 1:
            raise InvalidValueError(
                field="parts", value=parts, reason="must be an int of 1 or more"
            )
        return allocate(self, [1] * parts)

    # -- comparison -----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._minor == other._minor and self._currency is other._currency

    def __hash__(self) -> int:
        return hash((self._minor, self._currency.code))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._minor < other._minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._minor <= other._minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._minor > other._minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._minor >= other._minor

    def __bool__(self) -> bool:
        return self._minor != 0

    # -- protocol -------------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Money is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Money is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (self._minor, self._currency.code))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        return self

    def __repr__(self) -> str:
        return f"Money({self.format_amount()!r}, {self._currency.code!r})"

    def __str__(self) -> str:
        return f"{self.format_amount()} {self._currency.code}"

    # -- pydantic ---------------------------------------------------------------------

    @classmethod
    def _validate(cls, value: object) -> Money:
        if isinstance(value, Money):
            return value
        if isinstance(value, Mapping):
            extra = set(value) - {"amount", "minor_units", "currency"}
            if extra:
                raise InvalidValueError(
                    field=sorted(map(str, extra))[0],
                    value=value,
                    reason="unexpected key in money; use 'amount' (or 'minor_units') and "
                    "'currency'",
                )
            if "currency" not in value:
                raise InvalidValueError(field="currency", value=value, reason="missing")
            currency = get_currency(value["currency"])
            if "amount" in value and "minor_units" in value:
                raise InvalidValueError(
                    field="amount", value=value, reason="give 'amount' or 'minor_units', not both"
                )
            if "minor_units" in value:
                minor = value["minor_units"]
                if isinstance(minor, str) and re.fullmatch(r"[+-]?\d+", minor.strip()):
                    minor = int(minor)
                return cls(minor, currency)
            if "amount" in value:
                return cls.of(value["amount"], currency)
            raise InvalidValueError(field="amount", value=value, reason="missing")
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, float):
            _refuse_float(value, field="amount")
        raise InvalidValueError(
            field="amount",
            value=value,
            reason="expected Money, {'amount': '25.99', 'currency': 'USD'} or '25.99 USD'",
        )

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Teach pydantic to validate and serialise Money fields.

        Accepted: a Money, ``{"amount": "25.99", "currency": "USD"}``,
        ``{"minor_units": "2599", "currency": "USD"}`` or ``"25.99 USD"``. In JSON mode a
        Money serialises to ``{"amount": "25.99", "currency": "USD"}``; in Python mode it
        stays a Money.
        """
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda money: money.to_dict(), when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Describe the JSON form for OpenAPI documents."""
        return {
            "type": "object",
            "title": "Money",
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["25.99"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }


# Slot setters, bound once: the fast path for building Money internally (Money
# refuses ordinary attribute assignment to stay immutable).
_new = object.__new__
_set_minor = vars(Money)["_minor"].__set__
_set_currency = vars(Money)["_currency"].__set__


def allocate_minor_units(total: int, weights: Sequence[Quantity | str]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights`` by largest remainder.

    Each share is its exact proportional share rounded down; the minor units left
    over go one each to the shares with the largest remainders, ties to the lower
    index. The shares add up to ``total`` exactly and each is within one minor unit
    of its exact share. A negative total is split as its absolute value and negated,
    so every share has the total's sign. A zero total gives zeros.

    Args:
        total: The amount to split, in minor units.
        weights: Non-negative ints, Decimals or decimal strings; at least one, and
            not all zero unless ``total`` is zero.

    Raises:
        InvalidValueError: No weights, a negative or float weight, or all weights
            zero with a non-zero total.
    """
    if type(total) is not int:
        raise InvalidValueError(field="total", value=total, reason="must be an int of minor units")
    if len(weights) == 0:
        raise InvalidValueError(
            field="weights", value=list(weights), reason="at least one weight is needed"
        )
    ratios: list[tuple[int, int]] = []
    for index, weight in enumerate(weights):
        ratio = _as_ratio(weight, field=f"weights[{index}]")
        if ratio[0] < 0:
            raise InvalidValueError(
                field=f"weights[{index}]", value=weight, reason="must not be negative"
            )
        ratios.append(ratio)
    common = 1
    for _, denominator in ratios:
        common = common * denominator // _gcd(common, denominator)
    scaled = [numerator * (common // denominator) for numerator, denominator in ratios]
    weight_sum = sum(scaled)
    if weight_sum == 0:
        if total == 0:
            return [0] * len(scaled)
        raise InvalidValueError(
            field="weights",
            value=list(weights),
            reason="all weights are zero, so a non-zero total has no proportional split",
        )
    magnitude = abs(total)
    shares: list[int] = []
    remainders: list[int] = []
    for weight in scaled:
        share, remainder = divmod(magnitude * weight, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    leftover = magnitude - sum(shares)
    if leftover:
        order = sorted(range(len(shares)), key=lambda i: (-remainders[i], i))
        for index in order[:leftover]:
            shares[index] += 1
    if total < 0:
        return [-share for share in shares]
    return shares


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def allocate(total: Money, weights: Sequence[Quantity | str]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, exactly, by largest remainder.

    Use it to spread a cart-level discount over lines in proportion to their
    amounts: the line shares always add up to the cart discount to the minor unit.
    See :func:`allocate_minor_units` for the rules.

    Example:
        >>> from pricekit.money import Money, allocate
        >>> [m.format_amount() for m in allocate(Money.of("10", "USD"), [3, 1])]
        ['7.50', '2.50']
    """
    currency = total.currency
    return [
        Money._make(share, currency) for share in allocate_minor_units(total.minor_units, weights)
    ]
