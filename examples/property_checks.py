"""Property-based price checks a host keeps in its own test suite, with pricekit's strategies.

A host wraps pricekit in rules of its own: a staff discount, a shelf tag that
ends in .99, tenders that split a total, loyalty points on what
was paid. Examples test the cases someone thought of; properties test every
case Hypothesis can draw from :mod:`pricekit.testing.strategies`: amounts in
every ISO 4217 currency (0, 2, 3 and 4 decimals), drawn price lists and
queries on their tiers and validity edges, carts and promotions of every type.

This module is a pytest test module; copy the shape into your suite:

    pytest examples/property_checks.py      # or:
    python examples/property_checks.py
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricekit.money import Money, Rounding, allocate
from pricekit.pricing import PriceBook, PriceQuery
from pricekit.promotions import CartLine, EvaluationContext, EvaluationResult, Promotion, evaluate
from pricekit.testing.strategies import (
    PriceListsData,
    carts,
    evaluation_contexts,
    money,
    price_lists_data,
    price_queries,
    promotion_lists,
    weights,
)

# -- the host's rules under test ------------------------------------------------------------

STAFF_DISCOUNT = Decimal(30)
"""Staff pay 30% less."""


def staff_price(price: Money, *, cost: Money | None = None) -> Money:
    """What a member of staff pays: 30% off, rounded half-up, never below cost."""
    discounted = price.less_percentage(STAFF_DISCOUNT, rounding=Rounding.HALF_UP)
    if cost is not None and discounted < cost:
        return min(cost, price)
    return discounted


def tag_price(book: PriceBook, query: PriceQuery) -> Money:
    """The shelf tag: the resolved price lowered to end one minor unit short of a whole unit.

    25.40 USD is tagged 24.99, 25.99 stays 25.99; a price under one unit keeps its
    own amount (a tag is never negative); currencies without minor units are as resolved.
    """
    price = book.resolve(query).unit_price
    per_unit = price.currency.minor_per_major
    if per_unit == 1:
        return price
    charmed = (price.minor_units + 1) // per_unit * per_unit - 1
    return price if charmed < 0 else Money(charmed, price.currency)


def split_tenders(total: Money, shares: list[int | Decimal]) -> list[Money]:
    """A total split over gift cards in proportion to their balances, to the minor unit."""
    return allocate(total, shares)


def loyalty_points(result: EvaluationResult) -> int:
    """One point per whole unit of currency paid after promotions."""
    return int(result.total.amount)


# -- the properties -------------------------------------------------------------------------


@given(money(min_minor=0), st.booleans(), st.integers(min_value=0, max_value=100))
def test_staff_price_is_never_negative_nor_above_the_price(
    price: Money, with_cost: bool, cost_percent: int
) -> None:
    """Any amount in any currency, with or without a cost to stay above."""
    cost = price.percentage(cost_percent) if with_cost else None
    paid = staff_price(price, cost=cost)
    assert paid.currency is price.currency
    assert Money.zero(price.currency) <= paid <= price
    if cost is not None:
        assert paid >= cost  # never sold to staff at a loss


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_a_tag_is_at_most_one_unit_under_the_price(data: st.DataObject) -> None:
    """Drawn price lists and queries (tiers, validity edges, locations): every tag holds."""
    lists: PriceListsData = data.draw(price_lists_data(currencies=("USD", "KWD")))
    query = data.draw(price_queries(lists))
    book = PriceBook(lists=lists.lists, items=lists.items, scopes=lists.scopes)
    price = book.resolve(query).unit_price
    tag = tag_price(book, query)
    per_unit = price.currency.minor_per_major
    assert tag.currency is price.currency
    assert Money.zero(tag.currency) <= tag <= price
    assert price.minor_units - tag.minor_units < per_unit
    if price.minor_units >= per_unit - 1:
        assert tag.minor_units % per_unit == per_unit - 1  # 24.99, or 24.999 in KWD


@given(money(currency="USD", min_minor=0, max_minor=10_000_000), weights(max_size=5))
def test_tenders_add_up_to_the_total_exactly(total: Money, balances: list[int | Decimal]) -> None:
    """However the balances fall, the tenders pay the total to the cent."""
    parts = split_tenders(total, balances)
    assert len(parts) == len(balances)
    assert sum(part.minor_units for part in parts) == total.minor_units
    assert all(not part.is_negative() for part in parts)


@settings(max_examples=30, deadline=None)
@given(carts(currency="USD"), promotion_lists(currency="USD"), evaluation_contexts())
def test_points_are_earned_on_what_was_paid(
    cart: list[CartLine], offers: list[Promotion], context: EvaluationContext
) -> None:
    """Drawn carts and promotions of every type, under the best-for-customer policy."""
    result = evaluate(cart, context, offers, policy="best_for_customer")
    points = loyalty_points(result)
    assert 0 <= points <= int(result.subtotal.amount)  # promotions never add points
    assert sum(line.total.minor_units for line in result.lines) == result.total.minor_units


if __name__ == "__main__":
    # In a fresh interpreter: pytest must start before Hypothesis is imported.
    command = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider"]
    raise SystemExit(subprocess.run([*command, *sys.argv[1:]], check=False).returncode)
