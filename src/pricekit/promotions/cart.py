"""Price a cart before promotions: resolved unit prices and the catalogue facts rules match on.

Promotions are evaluated on a cart whose unit prices are already resolved (price
lists, tiers, markdowns). :func:`price_cart` does that step: for each item (a
variant and a quantity) it reads the variant and its product from a catalogue,
resolves the unit price through a :class:`PriceResolver` (a
:class:`~pricekit.pricing.service.PricingService`), and builds the
:class:`~pricekit.promotions.models.CartLine` the engine needs: product,
variant, the category with every ancestor (a rule on "tops" matches a line in
"tees"), the collections and the resolved unit price. The resolutions are kept
beside the lines, so a receipt can say where each price came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pricekit._model import PricekitModel
from pricekit.catalog import CatalogRepository, CategoryTree, EntityId, Product
from pricekit.errors import (
    CurrencyMismatchError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
)
from pricekit.pricing.models import ItemType, PriceQuery, ResolvedPrice
from pricekit.promotions.models import CartLine, EvaluationContext, Quantity

__all__ = ["CartItem", "PriceResolver", "PricedCart", "price_cart"]


class CartItem(PricekitModel):
    """What the customer takes: a variant and a quantity, before any price.

    Attributes:
        line_id: The line's id in the cart (unique in it).
        variant_id: The variant sold.
        quantity: Units (a decimal for goods sold by weight); above zero.
    """

    line_id: EntityId
    variant_id: EntityId
    quantity: Quantity = Decimal(1)


class PriceResolver(Protocol):
    """Resolves unit prices for a whole cart; :class:`PricingService` is one."""

    def resolve_many(
        self, queries: Sequence[PriceQuery], *, explain: bool = False
    ) -> list[ResolvedPrice]:
        """One resolution per query, in order."""
        ...


@dataclass(frozen=True, slots=True)
class PricedCart:
    """A cart ready for promotions.

    Attributes:
        lines: One line per item, in the items' order, with the resolved unit price.
        prices: The resolution behind each line's unit price (source, price list,
            markdown wave, original price; a trace when asked for).
    """

    lines: tuple[CartLine, ...]
    prices: tuple[ResolvedPrice, ...]

    def price_of(self, line_id: str) -> ResolvedPrice:
        """The resolution behind one line's unit price.

        Raises:
            NotFoundError: No line has this id.
        """
        for line, price in zip(self.lines, self.prices, strict=True):
            if line.line_id == line_id:
                return price
        raise NotFoundError(entity="cart line", id=line_id)


def _items(items: Iterable[CartItem | Mapping[str, Any]]) -> list[CartItem]:
    out: list[CartItem] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if isinstance(item, CartItem):
            parsed = item
        elif isinstance(item, Mapping):
            try:
                parsed = CartItem.model_validate(item)
            except ModelValidationError as exc:
                first = exc.errors[0]
                raise InvalidValueError(
                    field=f"{where}.{first.field}", value=first.value, reason=first.reason
                ) from None
        else:
            raise InvalidValueError(field=where, value=item, reason="expected a CartItem")
        if parsed.line_id in seen:
            raise InvalidValueError(
                field=f"{where}.line_id", value=parsed.line_id, reason="appears twice"
            )
        seen.add(parsed.line_id)
        out.append(parsed)
    if not out:
        raise InvalidValueError(field="items", value=[], reason="a cart needs at least one item")
    return out


def _categories(product: Product, tree: CategoryTree) -> frozenset[str]:
    if product.category_id is None:
        return frozenset()
    if product.category_id not in tree:
        return frozenset((product.category_id,))
    return frozenset((product.category_id, *tree.ancestors(product.category_id)))


def price_cart(
    items: Iterable[CartItem | Mapping[str, Any]],
    context: EvaluationContext,
    *,
    catalog: CatalogRepository,
    prices: PriceResolver,
    explain: bool = False,
) -> PricedCart:
    """Resolve every item's unit price and build the cart lines promotions evaluate.

    Args:
        items: The variants and quantities, in cart order (``CartItem`` or mappings
            of its fields).
        context: The sale's business, location, channel and instant (the same
            context the promotions are then evaluated with).
        catalog: Where variants, products and the category tree are read.
        prices: What resolves the unit prices (a ``PricingService``).
        explain: Ask each resolution for its trace.

    Returns:
        The lines and the resolution behind each one.

    Raises:
        InvalidValueError: No items, a repeated line id, a bad quantity, or an
            inactive variant or product (field ``items[i]...``).
        NotFoundError: A variant, or its product, that the catalogue does not hold.
        CurrencyMismatchError: Items priced in different currencies.
    """
    wanted = _items(items)
    variants = catalog.get_variants([item.variant_id for item in wanted])
    products: dict[str, Product] = {}
    queries: list[PriceQuery] = []
    for index, item in enumerate(wanted):
        variant = variants.get(item.variant_id)
        if variant is None:
            raise NotFoundError(
                entity="variant", id=item.variant_id, field=f"items[{index}].variant_id"
            )
        product = products.get(variant.product_id)
        if product is None:
            found = catalog.get_product(variant.product_id)
            if found is None:
                raise NotFoundError(
                    entity="product", id=variant.product_id, field=f"items[{index}].variant_id"
                )
            product = products[variant.product_id] = found
        if not (variant.active and product.active):
            raise InvalidValueError(
                field=f"items[{index}].variant_id",
                value=item.variant_id,
                reason="is not for sale: the variant or its product is inactive",
            )
        queries.append(
            PriceQuery(
                business_id=context.business_id,
                location_id=context.location_id,
                channel=context.channel,
                item_type=ItemType.PRODUCT,
                item_id=variant.id,
                quantity=item.quantity,
                currency=variant.price.currency.code,
                base_price=variant.price,
                at=context.at,
            )
        )
    resolved = prices.resolve_many(queries, explain=explain)
    tree = catalog.category_tree()
    currency = resolved[0].unit_price.currency
    lines: list[CartLine] = []
    for index, (item, price) in enumerate(zip(wanted, resolved, strict=True)):
        if price.unit_price.currency is not currency:
            raise CurrencyMismatchError(
                expected=currency.code,
                actual=price.unit_price.currency.code,
                field=f"items[{index}]",
            )
        variant = variants[item.variant_id]
        product = products[variant.product_id]
        lines.append(
            CartLine(
                line_id=item.line_id,
                product_id=product.id,
                variant_id=variant.id,
                category_ids=_categories(product, tree),
                collection_ids=product.collection_ids,
                quantity=item.quantity,
                unit_price=price.unit_price,
            )
        )
    return PricedCart(lines=tuple(lines), prices=tuple(resolved))
