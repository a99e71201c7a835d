"""Hypothesis strategies for pricekit's values.

Compose them in your own property tests::

    from hypothesis import given
    from pricekit.testing.strategies import money

    @given(money(currency="USD", min_minor=0))
    def test_prices_never_negative(price):
        assert my_discount(price) <= price

Each strategy generates only valid values; use them to check that your code
keeps pricekit's invariants (amounts stay in their currency, allocations add up).

For promotions, :func:`carts` and :func:`promotion_lists` (built from
:func:`cart_lines`, :func:`promotions`, :func:`item_filters`,
:func:`promotion_conditions` and :func:`promotion_rewards`) draw their ids from
the same small pools (products ``p1`` to ``p4``, variants ``v1`` to ``v3``,
categories ``c1`` to ``c3``, collections ``k1`` and ``k2``; pass your own to
both), so drawn promotions apply to drawn carts. With
:func:`evaluation_contexts`, property-test your checkout around
:func:`pricekit.promotions.evaluate`.

For deals, :func:`deal_lists` and :func:`menus` (built from :func:`deals`,
:func:`menu_items`, :func:`deal_rewards` and :func:`deal_restrictions`) draw
their targeting from the same :class:`DealPools` (products ``p1`` to ``p4``,
categories ``c1`` to ``c3``, brands, vendors, weights, tags, inventory tags and
pricing tiers), so drawn deals match drawn menu items in every dimension and
tier. With :func:`deal_policies` and :func:`match_contexts`, property-test your
menu around :func:`pricekit.deals.best_price` and :func:`pricekit.deals.price_menu`.

Needs the ``testing`` extra (``pip install 'pricekit[testing]'``).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("hypothesis", extra="testing")

from collections.abc import Sequence  # noqa: E402
from decimal import Decimal  # noqa: E402

from hypothesis import strategies as st  # noqa: E402

from pricekit.catalog import (  # noqa: E402
    Brand,
    Catalog,
    Category,
    Collection,
    Product,
    Variant,
    Vendor,
)
from pricekit.money import CURRENCIES, Currency, Money, get_currency  # noqa: E402
from pricekit.testing._deal_strategies import (  # noqa: E402
    DEALS_FROM,
    DEALS_TO,
    DealPools,
    deal_lists,
    deal_policies,
    deal_restrictions,
    deal_rewards,
    deals,
    match_contexts,
    menu_items,
    menus,
)
from pricekit.testing._pricing_strategies import (  # noqa: E402
    PRICING_INSTANT,
    PriceListsData,
    price_lists_data,
    price_queries,
)
from pricekit.testing._promotion_strategies import (  # noqa: E402
    cart_lines,
    carts,
    evaluation_contexts,
    item_filters,
    promotion_conditions,
    promotion_lists,
    promotion_rewards,
    promotions,
)
from pricekit.testing._time_strategies import (  # noqa: E402
    aware_datetimes,
    schedules,
    time_of_day_windows,
    time_zones,
    validity_windows,
)

__all__ = [
    "DEALS_FROM",
    "DEALS_TO",
    "PRICING_INSTANT",
    "DealPools",
    "PriceListsData",
    "aware_datetimes",
    "cart_lines",
    "carts",
    "catalogs",
    "currencies",
    "currency_codes",
    "deal_lists",
    "deal_policies",
    "deal_restrictions",
    "deal_rewards",
    "deals",
    "decimal_quantities",
    "evaluation_contexts",
    "item_filters",
    "match_contexts",
    "menu_items",
    "menus",
    "money",
    "price_lists_data",
    "price_queries",
    "promotion_conditions",
    "promotion_lists",
    "promotion_rewards",
    "promotions",
    "schedules",
    "time_of_day_windows",
    "time_zones",
    "validity_windows",
    "weights",
]

_MINOR_LIMIT = 10**15  # a quadrillion minor units: far past any real price, well inside BIGINT


def currencies(*, codes: Sequence[str] | None = None) -> st.SearchStrategy[Currency]:
    """ISO 4217 currencies: all of them, or those with the given codes.

    Args:
        codes: Restrict to these ISO codes.
    """
    if codes is None:
        pool = [CURRENCIES[code] for code in sorted(CURRENCIES)]
    else:
        pool = [get_currency(code, field="codes") for code in codes]
    return st.sampled_from(pool)


def currency_codes() -> st.SearchStrategy[str]:
    """ISO 4217 currency codes, e.g. ``"USD"``, ``"JPY"``, ``"KWD"``."""
    return currencies().map(lambda currency: currency.code)


def money(
    currency: str | Currency | None = None,
    *,
    min_minor: int = -_MINOR_LIMIT,
    max_minor: int = _MINOR_LIMIT,
) -> st.SearchStrategy[Money]:
    """Money values.

    Args:
        currency: One currency, or ``None`` for any ISO 4217 currency.
        min_minor: The smallest amount, in minor units (use 0 for prices).
        max_minor: The largest amount, in minor units.
    """
    pool = currencies() if currency is None else st.just(get_currency(currency))
    return st.builds(Money, st.integers(min_value=min_minor, max_value=max_minor), pool)


def decimal_quantities(
    *, max_value: int = 10_000, places: int = 3, allow_zero: bool = False
) -> st.SearchStrategy[Decimal]:
    """Exact quantities such as ``Decimal("1.250")``, for goods sold by weight.

    Args:
        max_value: The largest quantity.
        places: Decimal places.
        allow_zero: Whether zero may be generated.
    """
    smallest = Decimal(0) if allow_zero else Decimal(1).scaleb(-places)
    return st.decimals(
        min_value=smallest,
        max_value=Decimal(max_value),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def weights(*, min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[list[int | Decimal]]:
    """Allocation weights: non-negative ints and Decimals, at least one of them above zero."""
    one = st.one_of(
        st.integers(min_value=0, max_value=10**9),
        st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    )
    return st.lists(one, min_size=min_size, max_size=max_size).filter(
        lambda ws: any(w > 0 for w in ws)
    )


_TAGS = ("indica", "sativa", "hybrid", "staff-pick")


def _none_or(values: Sequence[str]) -> st.SearchStrategy[str | None]:
    if not values:
        return st.none()
    return st.none() | st.sampled_from(list(values))


def _some_of(values: Sequence[str]) -> st.SearchStrategy[list[str]]:
    if not values:
        return st.just([])
    return st.lists(st.sampled_from(list(values)), max_size=2)


_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


@st.composite
def catalogs(
    draw: st.DrawFn,
    *,
    max_categories: int = 8,
    max_products: int = 12,
    max_variants_per_product: int = 4,
    currency: str | Currency = "USD",
) -> Catalog:
    """Consistent catalogs: a category forest, brands, vendors, collections, products, variants.

    Every reference resolves; some products and variants are inactive, some
    products are uncategorised, and collections overlap, so lookups by category
    subtree and by collection have something to find and something to filter.

    Args:
        draw: Supplied by Hypothesis; callers do not pass it.
        max_categories: At most this many categories.
        max_products: At most this many products.
        max_variants_per_product: At most this many variants of each product.
        currency: The currency of every price and cost.
    """
    cur = get_currency(currency)
    category_ids = draw(st.lists(_ids, max_size=max_categories, unique=True))
    categories: list[Category] = []
    for index, category_id in enumerate(category_ids):
        parent = draw(st.none() | st.sampled_from(category_ids[:index])) if index else None
        categories.append(
            Category(
                id=f"c-{category_id}",
                name=category_id,
                parent_id=None if parent is None else f"c-{parent}",
            )
        )
    brand_ids = draw(st.lists(_ids, max_size=3, unique=True))
    vendor_ids = draw(st.lists(_ids, max_size=3, unique=True))
    collection_ids = draw(st.lists(_ids, max_size=4, unique=True))
    product_ids = draw(st.lists(_ids, max_size=max_products, unique=True))
    mostly_active = st.sampled_from([True, True, True, False])
    products: list[Product] = []
    variants: list[Variant] = []
    for product_id in product_ids:
        products.append(
            Product(
                id=f"p-{product_id}",
                name=product_id,
                category_id=draw(_none_or([c.id for c in categories])),
                brand_id=draw(_none_or([f"b-{b}" for b in brand_ids])),
                vendor_id=draw(_none_or([f"v-{v}" for v in vendor_ids])),
                collection_ids=frozenset(draw(_some_of([f"k-{k}" for k in collection_ids]))),
                tags=frozenset(draw(st.lists(st.sampled_from(_TAGS), max_size=2))),
                active=draw(mostly_active),
            )
        )
        for index in range(draw(st.integers(min_value=0, max_value=max_variants_per_product))):
            price = draw(st.integers(min_value=0, max_value=10**7))
            cost = draw(st.none() | st.integers(min_value=0, max_value=price))
            variants.append(
                Variant(
                    id=f"p-{product_id}-{index}",
                    product_id=f"p-{product_id}",
                    sku=f"SKU-{product_id}-{index}".upper(),
                    label=f"option {index}",
                    price=Money(price, cur),
                    cost=None if cost is None else Money(cost, cur),
                    weight_grams=draw(st.none() | decimal_quantities(max_value=1000, places=2)),
                    active=draw(mostly_active),
                )
            )
    return Catalog(
        products=products,
        variants=variants,
        categories=categories,
        brands=[Brand(id=f"b-{b}", name=b) for b in brand_ids],
        vendors=[Vendor(id=f"v-{v}", name=v) for v in vendor_ids],
        collections=[Collection(id=f"k-{k}", name=k) for k in collection_ids],
    )
