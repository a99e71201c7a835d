"""Property tests for money: exactness, round trips and allocation invariants."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from pricekit.money import Currency, Money, Rounding, allocate, allocate_minor_units
from pricekit.testing.strategies import currencies, decimal_quantities, money, weights


@given(money())
def test_format_parse_round_trip_for_every_currency(value: Money) -> None:
    assert Money.parse(str(value)) == value
    assert Money.of(value.format_amount(), value.currency) == value
    assert Money.of(value.amount, value.currency) == value


@given(money())
def test_dict_round_trip(value: Money) -> None:
    assert Money._validate(value.to_dict()) == value
    assert (
        Money._validate({"minor_units": value.minor_units_str, "currency": value.currency.code})
        == value
    )


@given(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=30),
)
def test_allocation_sums_exactly_and_each_share_is_within_one_unit(
    total: int, ws: list[int]
) -> None:
    if not any(ws):
        ws = [*ws, 1]
    shares = allocate_minor_units(total, ws)
    assert len(shares) == len(ws)
    assert sum(shares) == total
    weight_sum = sum(ws)
    for share, weight in zip(shares, ws, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(share - exact) < 1
        # every share carries the total's sign (or is zero)
        assert share == 0 or (share > 0) == (total > 0)


@given(money(min_minor=0), weights())
def test_allocation_of_money_with_decimal_weights(total: Money, ws: list[int | Decimal]) -> None:
    shares = allocate(total, ws)
    assert Money.sum(shares, currency=total.currency) == total
    weight_sum = sum(Fraction(w) for w in ws)
    for share, weight in zip(shares, ws, strict=True):
        exact = Fraction(total.minor_units) * Fraction(weight) / weight_sum
        assert abs(share.minor_units - exact) < 1
        assert share.minor_units >= 0


@given(st.integers(0, 10**6), st.integers(1, 40))
def test_allocation_is_deterministic_and_ties_go_to_lower_index(total: int, parts: int) -> None:
    shares = allocate_minor_units(total, [1] * parts)
    assert shares == allocate_minor_units(total, [1] * parts)
    # equal weights: shares never increase with the index
    assert all(a >= b for a, b in itertools.pairwise(shares))
    assert max(shares) - min(shares) <= 1


@given(money(), decimal_quantities(max_value=1000, places=3), st.sampled_from(list(Rounding)))
def test_multiplication_is_within_one_minor_unit_of_exact(
    value: Money, quantity: Decimal, rounding: Rounding
) -> None:
    product = value.multiply(quantity, rounding=rounding)
    exact = Fraction(value.minor_units) * Fraction(quantity)
    assert abs(product.minor_units - exact) < 1
    if rounding is Rounding.DOWN:
        assert abs(product.minor_units) <= abs(exact)
    if rounding is Rounding.UP:
        assert abs(product.minor_units) >= abs(exact)
    if rounding in (Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.HALF_DOWN):
        assert abs(product.minor_units - exact) <= Fraction(1, 2)


@given(money(min_minor=0), st.integers(0, 100))
def test_percent_off_never_exceeds_the_price_nor_goes_negative(price: Money, percent: int) -> None:
    discounted = price.less_percentage(percent)
    assert Money.zero(price.currency) <= discounted <= price
    discount = price.percentage(percent)
    assert Money.zero(price.currency) <= discount <= price
    # the two ways of rounding agree to within one minor unit
    assert abs((price - discount).minor_units - discounted.minor_units) <= 1


@given(money(), money())
def test_addition_commutes_and_subtraction_reverses(a: Money, b: Money) -> None:
    if a.currency is not b.currency:
        b = Money(b.minor_units, a.currency)
    assert a + b == b + a
    assert (a + b) - b == a
    assert (-a).minor_units == -a.minor_units
    assert -a + a == Money.zero(a.currency)


@given(currencies())
def test_every_currency_has_a_working_minor_unit(currency: Currency) -> None:
    one = Money(1, currency)
    assert one.amount == Decimal(1).scaleb(-currency.exponent)
    assert Money.of(one.format_amount(), currency) == one
