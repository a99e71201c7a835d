"""The catalog: products, variants, a category tree, brands, vendors, collections, tags.

These are the things every engine prices. A :class:`Product` belongs to one
category (a node of a :class:`CategoryTree`), may have a brand and a vendor, and
may be in any number of collections; it is sold as one or more :class:`Variant`
values, each with its own SKU, regular price, cost and weight.

A :class:`Catalog` is an immutable, validated, indexed snapshot of all of it:
references are checked when it is built, and lookups by product, by category
subtree or by collection are dictionary reads. The :class:`CatalogRepository`
protocol is what services read the catalog through; :mod:`pricekit.memory` has
the in-memory implementation and the SQLAlchemy adapter another.

"Active" has one meaning throughout: a variant is active when it and its product
are both active. The lookups return active variants unless asked otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Protocol, TypeVar, runtime_checkable

from pydantic import Field, PlainSerializer, StringConstraints, field_validator, model_validator

from pricekit._model import PricekitModel
from pricekit.errors import ConflictError, InvalidValueError, NotFoundError
from pricekit.money import Money

__all__ = [
    "AttributeValue",
    "Brand",
    "Catalog",
    "CatalogRepository",
    "Category",
    "CategoryTree",
    "Collection",
    "EntityId",
    "Product",
    "Variant",
    "Vendor",
]

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
"""An id: any non-empty string up to 255 characters (UUIDs, POS ids, SKUs)."""


def _sorted_ids(values: frozenset[str]) -> list[str]:
    return sorted(values)


IdSet = Annotated[frozenset[EntityId], PlainSerializer(_sorted_ids, when_used="json")]
"""A set of ids, written to JSON sorted, so documents are the same byte for byte."""

AttributeValue = str | int | bool | Decimal | None
"""A free-form attribute value. Numbers are exact (Decimal), never floats."""

_Tag = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _no_float_attributes(value: Mapping[str, object]) -> Mapping[str, object]:
    for key, item in value.items():
        if isinstance(item, float):
            raise InvalidValueError(
                field=str(key),
                value=item,
                reason="floats are refused; give a Decimal or a string",
            )
    return value


class Category(PricekitModel):
    """A node of the category tree.

    Attributes:
        id: The category's id.
        name: Its display name.
        parent_id: The parent category, or ``None`` for a root.
        active: Whether the category is in use (informational; it does not hide products).
    """

    id: EntityId
    name: str
    parent_id: EntityId | None = None
    active: bool = True

    @model_validator(mode="after")
    def _not_own_parent(self) -> Category:
        if self.parent_id == self.id:
            raise InvalidValueError(
                field="parent_id",
                value=self.parent_id,
                reason="a category cannot be its own parent",
            )
        return self


class Brand(PricekitModel):
    """A brand (the maker a customer recognises)."""

    id: EntityId
    name: str


class Vendor(PricekitModel):
    """A vendor (the supplier the store buys from)."""

    id: EntityId
    name: str


class Collection(PricekitModel):
    """A merchandising collection, e.g. "Summer Collection". Products list their collections."""

    id: EntityId
    name: str


class Product(PricekitModel):
    """A product, sold as one or more variants.

    Attributes:
        id: The product's id.
        name: Its display name.
        category_id: Its category, or ``None`` when uncategorised.
        brand_id: Its brand, if any.
        vendor_id: Its vendor, if any.
        collection_ids: The collections it belongs to.
        tags: Free-form tags, e.g. ``{"indica", "staff-pick"}``.
        attributes: Free-form attributes, e.g. ``{"strain": "OG Kush"}``; numbers as Decimal.
        active: Whether it is for sale; an inactive product makes all its variants inactive.
    """

    id: EntityId
    name: str
    category_id: EntityId | None = None
    brand_id: EntityId | None = None
    vendor_id: EntityId | None = None
    collection_ids: frozenset[EntityId] = frozenset()
    tags: frozenset[_Tag] = frozenset()
    attributes: Mapping[str, AttributeValue] = Field(default_factory=dict)
    active: bool = True

    _check_attributes = field_validator("attributes", mode="before")(_no_float_attributes)


class Variant(PricekitModel):
    """A sellable variant of a product: one SKU at one regular price.

    Attributes:
        id: The variant's id.
        product_id: The product it belongs to.
        sku: Its stock-keeping unit code.
        label: What distinguishes it from its siblings, e.g. ``"3.5g"`` or ``"Large / Blue"``.
        price: The regular (base) price; never negative.
        cost: The average unit cost, if known; same currency as ``price``, never negative.
        weight_grams: The net weight in grams for goods sold by weight, if any; above zero.
        tags: Free-form tags of the variant itself (inventory tags and the like).
        attributes: Free-form attributes.
        active: Whether it is for sale (see the module docs for what "active" means).
    """

    id: EntityId
    product_id: EntityId
    sku: str = ""
    label: str = ""
    price: Money
    cost: Money | None = None
    weight_grams: Decimal | None = None
    tags: frozenset[_Tag] = frozenset()
    attributes: Mapping[str, AttributeValue] = Field(default_factory=dict)
    active: bool = True

    _check_attributes = field_validator("attributes", mode="before")(_no_float_attributes)

    @field_validator("price", "cost")
    @classmethod
    def _not_negative(cls, value: Money | None) -> Money | None:
        if value is not None and value.is_negative():
            raise InvalidValueError(field="", value=str(value), reason="must not be negative")
        return value

    @field_validator("weight_grams", mode="before")
    @classmethod
    def _exact_weight(cls, value: object) -> object:
        if isinstance(value, float):
            raise InvalidValueError(
                field="", value=value, reason="floats are refused; give a Decimal or a string"
            )
        return value

    @field_validator("weight_grams")
    @classmethod
    def _positive_weight(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or value <= 0):
            raise InvalidValueError(field="", value=value, reason="must be above zero")
        return value

    @model_validator(mode="after")
    def _cost_currency(self) -> Variant:
        if self.cost is not None and self.cost.currency is not self.price.currency:
            raise InvalidValueError(
                field="cost",
                value=str(self.cost),
                reason=f"must be in the price's currency ({self.price.currency.code})",
            )
        return self


class CategoryTree:
    """An immutable tree of categories; a category "contains" itself and its descendants.

    Args:
        categories: Every category. Each ``parent_id`` must be one of them.

    Raises:
        ConflictError: A duplicate id, a parent that does not exist, or a cycle.
    """

    __slots__ = ("_by_id", "_children", "_subtrees")

    def __init__(self, categories: Iterable[Category] = ()) -> None:
        by_id: dict[str, Category] = {}
        for category in categories:
            if category.id in by_id:
                raise ConflictError(entity="category", id=category.id, reason="duplicate id")
            by_id[category.id] = category
        children: dict[str, list[str]] = {cid: [] for cid in by_id}
        for category in by_id.values():
            if category.parent_id is None:
                continue
            if category.parent_id not in by_id:
                raise ConflictError(
                    entity="category",
                    id=category.id,
                    reason=f"parent category {category.parent_id!r} does not exist",
                )
            children[category.parent_id].append(category.id)
        self._by_id = by_id
        self._children = {cid: tuple(sorted(kids)) for cid, kids in children.items()}
        self._subtrees: dict[str, frozenset[str]] = {}
        reached: set[str] = set()
        for root in sorted(cid for cid, c in by_id.items() if c.parent_id is None):
            reached |= self.subtree(root)
        if len(reached) != len(by_id):
            stuck = sorted(set(by_id) - reached)
            raise ConflictError(
                entity="category", id=stuck[0], reason=f"categories form a cycle: {stuck}"
            )

    def __contains__(self, category_id: object) -> bool:
        return category_id in self._by_id

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, category_id: str) -> Category:
        """The category with this id.

        Raises:
            NotFoundError: No such category.
        """
        try:
            return self._by_id[category_id]
        except KeyError:
            raise NotFoundError(entity="category", id=category_id) from None

    def children(self, category_id: str) -> tuple[str, ...]:
        """The ids of the direct children, sorted."""
        self.get(category_id)
        return self._children[category_id]

    def subtree(self, category_id: str) -> frozenset[str]:
        """The category's id and the ids of all its descendants.

        Raises:
            NotFoundError: No such category.
        """
        cached = self._subtrees.get(category_id)
        if cached is not None:
            return cached
        self.get(category_id)
        found: set[str] = set()
        stack = [category_id]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self._children[current])
        result = frozenset(found)
        self._subtrees[category_id] = result
        return result

    def ancestors(self, category_id: str) -> tuple[str, ...]:
        """The ids from the category's parent up to its root, nearest first."""
        path: list[str] = []
        parent = self.get(category_id).parent_id
        while parent is not None:
            path.append(parent)
            parent = self._by_id[parent].parent_id
        return tuple(path)

    def is_within(self, category_id: str, ancestor_id: str) -> bool:
        """Whether ``category_id`` is ``ancestor_id`` or one of its descendants."""
        return category_id in self.subtree(ancestor_id)


_T = TypeVar("_T", Brand, Vendor, Collection, Product, Variant)


def _index(kind: str, items: Iterable[_T]) -> dict[str, _T]:
    out: dict[str, _T] = {}
    for item in items:
        if item.id in out:
            raise ConflictError(entity=kind, id=item.id, reason="duplicate id")
        out[item.id] = item
    return out


class Catalog:
    """An immutable, validated and indexed snapshot of a catalog.

    Building one checks every reference (a variant's product, a product's
    category, brand, vendor and collections) and every id's uniqueness, so a
    ``Catalog`` that exists is consistent. Lookups are dictionary reads.

    Args:
        products: The products.
        variants: The variants; each ``product_id`` must be one of ``products``.
        categories: The categories (see :class:`CategoryTree`).
        brands: The brands.
        vendors: The vendors.
        collections: The collections.

    Raises:
        ConflictError: A duplicate id or a reference to something that does not exist.
    """

    __slots__ = (
        "_brands",
        "_collections",
        "_products",
        "_tree",
        "_variants",
        "_variants_by_category",
        "_variants_by_collection",
        "_variants_by_product",
        "_vendors",
    )

    def __init__(
        self,
        *,
        products: Iterable[Product] = (),
        variants: Iterable[Variant] = (),
        categories: Iterable[Category] = (),
        brands: Iterable[Brand] = (),
        vendors: Iterable[Vendor] = (),
        collections: Iterable[Collection] = (),
    ) -> None:
        self._tree = CategoryTree(categories)
        self._brands = _index("brand", brands)
        self._vendors = _index("vendor", vendors)
        self._collections = _index("collection", collections)
        self._products = _index("product", products)
        self._variants = _index("variant", variants)
        for product in self._products.values():
            self._check_product(product)
        by_product: dict[str, list[Variant]] = {pid: [] for pid in self._products}
        for variant in sorted(self._variants.values(), key=lambda v: v.id):
            if variant.product_id not in self._products:
                raise ConflictError(
                    entity="variant",
                    id=variant.id,
                    reason=f"product {variant.product_id!r} does not exist",
                )
            by_product[variant.product_id].append(variant)
        self._variants_by_product = {pid: tuple(vs) for pid, vs in by_product.items()}
        by_category: dict[str, list[Variant]] = {}
        by_collection: dict[str, list[Variant]] = {}
        for product in sorted(self._products.values(), key=lambda p: p.id):
            own = self._variants_by_product[product.id]
            if product.category_id is not None:
                by_category.setdefault(product.category_id, []).extend(own)
            for collection_id in product.collection_ids:
                by_collection.setdefault(collection_id, []).extend(own)
        self._variants_by_category = {cid: tuple(vs) for cid, vs in by_category.items()}
        self._variants_by_collection = {
            cid: tuple(sorted(vs, key=lambda v: v.id)) for cid, vs in by_collection.items()
        }

    def _check_product(self, product: Product) -> None:
        def missing(kind: str, ref: str) -> ConflictError:
            return ConflictError(
                entity="product", id=product.id, reason=f"{kind} {ref!r} does not exist"
            )

        if product.category_id is not None and product.category_id not in self._tree:
            raise missing("category", product.category_id)
        if product.brand_id is not None and product.brand_id not in self._brands:
            raise missing("brand", product.brand_id)
        if product.vendor_id is not None and product.vendor_id not in self._vendors:
            raise missing("vendor", product.vendor_id)
        for collection_id in sorted(product.collection_ids):
            if collection_id not in self._collections:
                raise missing("collection", collection_id)

    # -- whole collections ------------------------------------------------------------

    @property
    def categories(self) -> CategoryTree:
        """The category tree."""
        return self._tree

    @property
    def products(self) -> Mapping[str, Product]:
        """Every product by id."""
        return self._products

    @property
    def variants(self) -> Mapping[str, Variant]:
        """Every variant by id."""
        return self._variants

    @property
    def brands(self) -> Mapping[str, Brand]:
        """Every brand by id."""
        return self._brands

    @property
    def vendors(self) -> Mapping[str, Vendor]:
        """Every vendor by id."""
        return self._vendors

    @property
    def collections(self) -> Mapping[str, Collection]:
        """Every collection by id."""
        return self._collections

    # -- lookups ---------------------------------------------------------------------

    def is_active(self, variant: Variant) -> bool:
        """Whether the variant and its product are both active."""
        return variant.active and self._products[variant.product_id].active

    def _filtered(self, variants: Iterable[Variant], active_only: bool) -> list[Variant]:
        if not active_only:
            return list(variants)
        return [v for v in variants if v.active and self._products[v.product_id].active]

    def get_product(self, product_id: str) -> Product | None:
        """The product with this id, or ``None``."""
        return self._products.get(product_id)

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        """The variants with these ids that exist by id, active or not; unknown ids left out."""
        found: dict[str, Variant] = {}
        for variant_id in variant_ids:
            variant = self._variants.get(variant_id)
            if variant is not None:
                found[variant_id] = variant
        return found

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        """The product's variants, sorted by id; none for an unknown product."""
        return self._filtered(self._variants_by_product.get(product_id, ()), active_only)

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        """The variants of every product in the category or its descendants, sorted by id.

        An unknown category has no variants.
        """
        if category_id not in self._tree:
            return []
        found: list[Variant] = []
        for cid in self._tree.subtree(category_id):
            found.extend(self._variants_by_category.get(cid, ()))
        found.sort(key=lambda v: v.id)
        return self._filtered(found, active_only)

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        """The variants of every product in the collection, sorted by id."""
        return self._filtered(self._variants_by_collection.get(collection_id, ()), active_only)

    def category_tree(self) -> CategoryTree:
        """The category tree (the :class:`CatalogRepository` spelling of :attr:`categories`)."""
        return self._tree

    def require_variant(self, variant_id: str) -> Variant:
        """The variant with this id.

        Raises:
            NotFoundError: No such variant.
        """
        try:
            return self._variants[variant_id]
        except KeyError:
            raise NotFoundError(entity="variant", id=variant_id) from None

    def merged(
        self,
        *,
        products: Iterable[Product] = (),
        variants: Iterable[Variant] = (),
        categories: Iterable[Category] = (),
        brands: Iterable[Brand] = (),
        vendors: Iterable[Vendor] = (),
        collections: Iterable[Collection] = (),
    ) -> Catalog:
        """A new catalog with these records added, or replacing those with the same id.

        The result is validated like a new catalog, so a change that would break a
        reference raises and leaves this catalog as it was.
        """

        def over(current: Iterable[_R], new: Iterable[_R]) -> list[_R]:
            merged = {item.id: item for item in current}
            merged.update((item.id, item) for item in new)
            return list(merged.values())

        return Catalog(
            products=over(self._products.values(), products),
            variants=over(self._variants.values(), variants),
            categories=over(self._tree, categories),
            brands=over(self._brands.values(), brands),
            vendors=over(self._vendors.values(), vendors),
            collections=over(self._collections.values(), collections),
        )


_R = TypeVar("_R", Brand, Vendor, Collection, Product, Variant, Category)


@runtime_checkable
class CatalogRepository(Protocol):
    """Where services read the catalog from.

    Every list is sorted by variant id, and ``active_only`` (the default) keeps the
    variants that are active and whose product is active. Unknown ids give empty
    results, not errors: services decide what a missing record means.
    """

    def get_product(self, product_id: str) -> Product | None:
        """The product with this id, or ``None``."""
        ...

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        """The variants with these ids that exist, by id, whether active or not."""
        ...

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        """The product's variants."""
        ...

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        """The variants of products in the category and all its descendants."""
        ...

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        """The variants of products in the collection."""
        ...

    def category_tree(self) -> CategoryTree:
        """The whole category tree."""
        ...
