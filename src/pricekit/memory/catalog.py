"""An in-memory, thread-safe catalog repository."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from pricekit.catalog import (
    Brand,
    Catalog,
    Category,
    CategoryTree,
    Collection,
    Product,
    Variant,
    Vendor,
)

__all__ = ["InMemoryCatalogRepository"]


class InMemoryCatalogRepository:
    """A catalog repository that keeps a :class:`~pricekit.catalog.Catalog` in memory.

    Reads see one consistent snapshot; :meth:`save` builds and validates a new
    snapshot and swaps it in atomically, so a write that would break a reference
    raises and changes nothing. Safe to share between threads.

    Args:
        catalog: The initial contents; empty by default.
    """

    __slots__ = ("_catalog", "_write_lock")

    def __init__(self, catalog: Catalog | None = None) -> None:
        self._catalog = catalog if catalog is not None else Catalog()
        self._write_lock = threading.Lock()

    @property
    def snapshot(self) -> Catalog:
        """The current catalog snapshot (immutable)."""
        return self._catalog

    def save(
        self,
        *,
        products: Iterable[Product] = (),
        variants: Iterable[Variant] = (),
        categories: Iterable[Category] = (),
        brands: Iterable[Brand] = (),
        vendors: Iterable[Vendor] = (),
        collections: Iterable[Collection] = (),
    ) -> None:
        """Add records, or replace those with the same ids, all or nothing.

        Raises:
            ConflictError: The result would hold a reference to something that does
                not exist; nothing is written.
        """
        with self._write_lock:
            self._catalog = self._catalog.merged(
                products=products,
                variants=variants,
                categories=categories,
                brands=brands,
                vendors=vendors,
                collections=collections,
            )

    def replace(self, catalog: Catalog) -> None:
        """Replace the whole contents with ``catalog``."""
        with self._write_lock:
            self._catalog = catalog

    def get_product(self, product_id: str) -> Product | None:
        """The product with this id, or ``None``."""
        return self._catalog.get_product(product_id)

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        """The variants with these ids that exist, by id."""
        return self._catalog.get_variants(variant_ids)

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        """The product's variants, sorted by id."""
        return self._catalog.variants_of_product(product_id, active_only=active_only)

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        """The variants in the category's subtree, sorted by id."""
        return self._catalog.variants_in_category(category_id, active_only=active_only)

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        """The variants in the collection, sorted by id."""
        return self._catalog.variants_in_collection(collection_id, active_only=active_only)

    def category_tree(self) -> CategoryTree:
        """The category tree."""
        return self._catalog.categories
