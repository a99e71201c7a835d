"""Property tests for markdown pricing: floors hold, amounts stay positive, compounding is exact."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from pricekit.catalog import Variant
from pricekit.markdowns import (
    MarkdownMode,
    MarkdownWave,
    PriceInEffect,
    markdown_price,
    preview_wave,
    price_wave_items,
)
from pricekit.money import Money
from pricekit.testing.strategies import money

percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2, allow_nan=False)
prices = money(currency="USD", min_minor=0, max_minor=10**8)


def _wave(
    value: Decimal,
    *,
    method: str = "percent",
    mode: MarkdownMode = MarkdownMode.REPLACE,
    floor: Money | None = None,
    margin: Decimal | None = None,
    wave_id: str = "w",
) -> MarkdownWave:
    return MarkdownWave(
        id=wave_id,
        plan_id="plan",
        business_id="biz",
        name="wave",
        method=method,  # type: ignore[arg-type]
        value=value,
        mode=mode,
        reason="overstock",  # type: ignore[arg-type]
        currency="USD",
        floor_price=floor,
        min_margin_percent=margin,
        scopes=({"type": "variant", "ids": ("v",)},),  # type: ignore[arg-type]
    )


@given(prices, percents)
def test_percent_markdown_is_the_exact_price_rounded_half_up(
    price: Money, percent: Decimal
) -> None:
    result = markdown_price(price, _wave(percent))
    exact = Fraction(price.minor_units) * (100 - Fraction(percent)) / 100
    assert abs(result.minor_units - exact) <= Fraction(1, 2)
    assert Money.zero("USD") <= result <= price


@given(prices, prices.filter(lambda m: m.minor_units > 0))
def test_amount_off_never_goes_below_zero(price: Money, amount: Money) -> None:
    result = markdown_price(price, _wave(amount.amount, method="amount"))
    assert result == max(price - amount, Money.zero("USD"))


@given(prices, st.lists(percents, min_size=1, max_size=5))
def test_compound_equals_the_product_of_its_steps_within_rounding(
    price: Money, steps: list[Decimal]
) -> None:
    variant = Variant(id="v", product_id="p", price=price)
    in_effect: dict[str, PriceInEffect] = {}
    exact = Fraction(price.minor_units)
    for index, percent in enumerate(steps):
        wave = _wave(percent, mode=MarkdownMode.COMPOUND, wave_id=f"w{index}")
        (item,) = price_wave_items(wave, [variant], in_effect=in_effect)
        in_effect = {"v": PriceInEffect(price=item.markdown_price, wave_id=wave.id)}
        exact *= (100 - Fraction(percent)) / 100
    final = in_effect["v"].price.minor_units
    # each step rounds by at most half a minor unit, and later steps shrink earlier errors
    assert abs(final - exact) <= Fraction(len(steps), 2)


@given(
    st.lists(prices, min_size=1, max_size=20),
    percents,
    prices,
    st.none() | st.decimals(min_value=-50, max_value=99, places=1, allow_nan=False),
)
def test_no_included_item_is_under_its_floor_or_margin(
    variant_prices: list[Money], percent: Decimal, floor: Money, margin: Decimal | None
) -> None:
    variants = [
        Variant(id=f"v{i}", product_id="p", price=p, cost=Money(p.minor_units // 2, "USD"))
        for i, p in enumerate(variant_prices)
    ]
    wave = _wave(percent, floor=floor, margin=margin)
    items = price_wave_items(wave, variants)
    for item in items:
        if not item.excluded:
            assert item.markdown_price >= floor
            if margin is not None and item.cost is not None:
                if item.markdown_price.is_zero():
                    raise AssertionError("a zero price has no margin and must be excluded")
                price_minor = item.markdown_price.minor_units
                actual = Fraction(price_minor - item.cost.minor_units, price_minor) * 100
                assert actual >= Fraction(margin)
        assert item.below_cost == (item.cost is not None and item.markdown_price < item.cost)
    preview = preview_wave(wave, items)
    assert preview.included + preview.excluded == len(items)
    assert sum(preview.exclusions.values()) == preview.excluded


@given(prices, percents, st.booleans())
def test_wave_items_price_exactly_as_markdown_price(
    price: Money, value: Decimal, by_amount: bool
) -> None:
    wave = _wave(Money.of(value, "USD").amount, method="amount") if by_amount else _wave(value)
    (item,) = price_wave_items(wave, [Variant(id="v", product_id="p", price=price)])
    assert item.markdown_price == markdown_price(price, wave)
