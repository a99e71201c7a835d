"""The catalog in SQL tables: categories, brands, vendors, collections, products, variants.

Tables (every reference is a foreign key, so the database holds only a
consistent catalog):

- ``pricekit_catalog_categories``: the category tree, each row linked to its
  parent (``parent_id``, a foreign key to the same table);
- ``pricekit_catalog_brands``, ``pricekit_catalog_vendors``,
  ``pricekit_catalog_collections``: id and name;
- ``pricekit_catalog_products``: indexed by ``category_id`` (a category
  subtree's products); tags and free-form attributes as JSON;
- ``pricekit_catalog_product_collections``: which product is in which
  collection, indexed by ``collection_id`` (a collection's products);
- ``pricekit_catalog_variants``: indexed by ``product_id``; price and cost as
  integer minor units and one currency (a cost is always in its price's
  currency), the weight as exact decimal text.

:class:`SqlCatalogRepository` reads through the
:class:`~pricekit.catalog.CatalogRepository` port and writes like
:class:`~pricekit.memory.InMemoryCatalogRepository`: :meth:`~SqlCatalogRepository.save`
adds or replaces records all or nothing, refusing a write that would break a
reference, and :meth:`~SqlCatalogRepository.replace` swaps in a whole
:class:`~pricekit.catalog.Catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Row,
    Select,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from pricekit.catalog import (
    AttributeValue,
    Brand,
    Catalog,
    Category,
    CategoryTree,
    Collection,
    Product,
    Variant,
    Vendor,
)
from pricekit.errors import ConflictError
from pricekit.ext.sqlalchemy._db import SqlRepository, stored_ids
from pricekit.ext.sqlalchemy._schema import (
    DecimalText,
    Json,
    chunked,
    id_type,
    metadata,
    minor_units,
)
from pricekit.money import Money

__all__ = [
    "SqlCatalogRepository",
    "catalog_brands",
    "catalog_categories",
    "catalog_collections",
    "catalog_product_collections",
    "catalog_products",
    "catalog_variants",
    "catalog_vendors",
]

catalog_categories = Table(
    "pricekit_catalog_categories",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
    Column(
        "parent_id",
        id_type(),
        ForeignKey("pricekit_catalog_categories.id", name="fk_pricekit_catalog_categories_parent"),
        nullable=True,
    ),
    Column("active", Boolean, nullable=False),
)
"""The category tree: one row per :class:`~pricekit.catalog.Category`."""

catalog_brands = Table(
    "pricekit_catalog_brands",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
)
"""Brands: one row per :class:`~pricekit.catalog.Brand`."""

catalog_vendors = Table(
    "pricekit_catalog_vendors",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
)
"""Vendors: one row per :class:`~pricekit.catalog.Vendor`."""

catalog_collections = Table(
    "pricekit_catalog_collections",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
)
"""Collections: one row per :class:`~pricekit.catalog.Collection`."""

catalog_products = Table(
    "pricekit_catalog_products",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
    Column(
        "category_id",
        id_type(),
        ForeignKey("pricekit_catalog_categories.id", name="fk_pricekit_catalog_products_category"),
        nullable=True,
    ),
    Column(
        "brand_id",
        id_type(),
        ForeignKey("pricekit_catalog_brands.id", name="fk_pricekit_catalog_products_brand"),
        nullable=True,
    ),
    Column(
        "vendor_id",
        id_type(),
        ForeignKey("pricekit_catalog_vendors.id", name="fk_pricekit_catalog_products_vendor"),
        nullable=True,
    ),
    Column("tags", Json, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_pricekit_catalog_products_category", "category_id"),
)
"""Products: one row per :class:`~pricekit.catalog.Product` (collections in their own table)."""

catalog_product_collections = Table(
    "pricekit_catalog_product_collections",
    metadata,
    Column(
        "product_id",
        id_type(),
        ForeignKey("pricekit_catalog_products.id", name="fk_pricekit_catalog_pc_product"),
        nullable=False,
    ),
    Column(
        "collection_id",
        id_type(),
        ForeignKey("pricekit_catalog_collections.id", name="fk_pricekit_catalog_pc_collection"),
        nullable=False,
    ),
    PrimaryKeyConstraint("product_id", "collection_id"),
    Index("ix_pricekit_catalog_pc_collection", "collection_id"),
)
"""Which products are in which collections: one row per (product, collection)."""

catalog_variants = Table(
    "pricekit_catalog_variants",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column(
        "product_id",
        id_type(),
        ForeignKey("pricekit_catalog_products.id", name="fk_pricekit_catalog_variants_product"),
        nullable=False,
    ),
    Column("sku", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("cost_minor", BigInteger, nullable=True),
    Column("weight_grams", DecimalText, nullable=True),
    Column("tags", Json, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_pricekit_catalog_variants_product", "product_id"),
)
"""Variants: one row per :class:`~pricekit.catalog.Variant`."""

_LOCK_TABLE = catalog_categories
"""The table a write locks on PostgreSQL, so catalog writes run one at a time."""

_DECIMAL_KEY = "decimal"

_M = TypeVar("_M", Brand, Vendor, Collection, Product, Variant, Category)


# -- rows and models ----------------------------------------------------------------------


def _encode_attributes(attributes: Mapping[str, AttributeValue]) -> dict[str, Any]:
    """Attributes as JSON: strings, ints, booleans and nulls as themselves, a Decimal tagged.

    ``{"decimal": "3.50"}`` keeps a Decimal (exactly, as its text) apart from the
    string ``"3.50"``.
    """
    return {
        key: {_DECIMAL_KEY: str(value)} if isinstance(value, Decimal) else value
        for key, value in attributes.items()
    }


def _decode_attributes(stored: Mapping[str, Any]) -> dict[str, AttributeValue]:
    return {
        key: Decimal(value[_DECIMAL_KEY]) if isinstance(value, Mapping) else value
        for key, value in stored.items()
    }


def _named_row(record: Brand | Vendor | Collection) -> dict[str, Any]:
    return {"id": record.id, "name": record.name}


def _category_row(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "name": category.name,
        "parent_id": category.parent_id,
        "active": category.active,
    }


def _category_model(row: Row[Any]) -> Category:
    return Category(id=row.id, name=row.name, parent_id=row.parent_id, active=row.active)


def _product_row(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "category_id": product.category_id,
        "brand_id": product.brand_id,
        "vendor_id": product.vendor_id,
        "tags": sorted(product.tags),
        "attributes": _encode_attributes(product.attributes),
        "active": product.active,
    }


def _product_model(row: Row[Any], collection_ids: Iterable[str]) -> Product:
    return Product(
        id=row.id,
        name=row.name,
        category_id=row.category_id,
        brand_id=row.brand_id,
        vendor_id=row.vendor_id,
        collection_ids=frozenset(collection_ids),
        tags=frozenset(row.tags),
        attributes=_decode_attributes(row.attributes),
        active=row.active,
    )


def _link_rows(products: Iterable[Product]) -> list[dict[str, Any]]:
    return [
        {"product_id": product.id, "collection_id": collection_id}
        for product in products
        for collection_id in sorted(product.collection_ids)
    ]


def _variant_row(variant: Variant) -> dict[str, Any]:
    return {
        "id": variant.id,
        "product_id": variant.product_id,
        "sku": variant.sku,
        "label": variant.label,
        "price_minor": minor_units(variant.price, field="price"),
        "currency": variant.price.currency.code,
        "cost_minor": None if variant.cost is None else minor_units(variant.cost, field="cost"),
        "weight_grams": variant.weight_grams,
        "tags": sorted(variant.tags),
        "attributes": _encode_attributes(variant.attributes),
        "active": variant.active,
    }


def _variant_model(row: Row[Any]) -> Variant:
    return Variant(
        id=row.id,
        product_id=row.product_id,
        sku=row.sku,
        label=row.label,
        price=Money(row.price_minor, row.currency),
        cost=None if row.cost_minor is None else Money(row.cost_minor, row.currency),
        weight_grams=row.weight_grams,
        tags=frozenset(row.tags),
        attributes=_decode_attributes(row.attributes),
        active=row.active,
    )


def _by_id(records: Iterable[_M]) -> dict[str, _M]:
    """Records by id; of records given twice the last wins, as in :meth:`Catalog.merged`."""
    return {record.id: record for record in records}


def _roots_first(categories: Iterable[Category], tree: CategoryTree) -> list[Category]:
    """``categories`` ordered so that every parent comes before its children."""
    return sorted(categories, key=lambda c: (len(tree.ancestors(c.id)), c.id))


# -- queries ------------------------------------------------------------------------------


def _variants(
    conn: Connection,
    where: ColumnElement[bool],
    *,
    in_collections: bool = False,
    active_only: bool,
) -> list[Variant]:
    """The variants (joined to their products, and to the collection links if asked) that match.

    Sorted by id.
    """
    v, p, pc = catalog_variants, catalog_products, catalog_product_collections
    query: Select[Any] = select(v).join(p, p.c.id == v.c.product_id)
    if in_collections:
        query = query.join(pc, pc.c.product_id == p.c.id)
    query = query.where(where)
    if active_only:
        query = query.where(v.c.active.is_(True), p.c.active.is_(True))
    rows = conn.execute(query.order_by(v.c.id)).all()
    return [_variant_model(row) for row in rows]


def _subtree(conn: Connection, category_id: str) -> list[str] | None:
    """The category's id and its descendants' (loading the tree's links); ``None`` if unknown."""
    c = catalog_categories
    children: dict[str | None, list[str]] = {}
    known: set[str] = set()
    for cid, parent_id in conn.execute(select(c.c.id, c.c.parent_id)):
        known.add(cid)
        children.setdefault(parent_id, []).append(cid)
    if category_id not in known:
        return None
    found: set[str] = set()
    stack = [category_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return sorted(found)


def _collections_of(conn: Connection, product_ids: Iterable[str]) -> dict[str, list[str]]:
    """The collection ids of each of these products (only those in some collection)."""
    pc = catalog_product_collections
    out: dict[str, list[str]] = {}
    for chunk in chunked(sorted(set(product_ids))):
        for product_id, collection_id in conn.execute(
            select(pc.c.product_id, pc.c.collection_id).where(pc.c.product_id.in_(chunk))
        ):
            out.setdefault(product_id, []).append(collection_id)
    return out


# -- the repository -----------------------------------------------------------------------


class SqlCatalogRepository(SqlRepository):
    """The catalog in ``pricekit_catalog_*`` tables.

    Implements :class:`~pricekit.catalog.CatalogRepository`, and writes as
    :class:`~pricekit.memory.InMemoryCatalogRepository` does: :meth:`save`
    (add or replace records, all or nothing) and :meth:`replace` (the whole
    catalog); :meth:`snapshot` reads it all back as a
    :class:`~pricekit.catalog.Catalog`. Lists are sorted by variant id;
    ``active_only`` keeps a variant only if it and its product are active.

    Writes run one at a time: SQLite's writers already do, and on PostgreSQL a
    write first locks ``pricekit_catalog_categories`` against other writers
    (readers are not blocked), so two saves can never each pass their checks
    and together break the tree (two categories made each other's parent).
    Run writes at PostgreSQL's default ``READ COMMITTED`` isolation, so a
    write's checks see what the previous write committed.

    Args:
        bind: An ``Engine`` (a transaction per call) or the caller's
            ``Connection`` or ``Session`` (a savepoint per call).
    """

    # -- writes --------------------------------------------------------------------------

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

        Of two records with one id in the same call, the last is kept.

        Raises:
            ConflictError: The result would hold a reference to something that
                does not exist, or categories that form a cycle; nothing is
                written. It names the record holding the reference, as
                :class:`~pricekit.catalog.Catalog` does.
            InvalidValueError: An amount too large for the database; nothing is
                written.
        """
        new_categories = _by_id(categories)
        new_brands = _by_id(brands)
        new_vendors = _by_id(vendors)
        new_collections = _by_id(collections)
        new_products = _by_id(products)
        new_variants = _by_id(variants)
        variant_rows = [_variant_row(v) for v in new_variants.values()]
        try:
            with self._transaction("save catalog records") as conn:
                self._lock(conn)
                tree = self._checked_tree(conn, new_categories)
                self._check_products(
                    conn,
                    new_products.values(),
                    tree=tree,
                    brands=new_brands,
                    vendors=new_vendors,
                    collections=new_collections,
                )
                self._check_variants(conn, new_variants.values(), products=new_products)
                if tree is not None:
                    ordered = _roots_first(new_categories.values(), tree)
                    _upsert(conn, catalog_categories, [_category_row(c) for c in ordered])
                _upsert(conn, catalog_brands, [_named_row(b) for b in new_brands.values()])
                _upsert(conn, catalog_vendors, [_named_row(v) for v in new_vendors.values()])
                _upsert(
                    conn, catalog_collections, [_named_row(c) for c in new_collections.values()]
                )
                _upsert(conn, catalog_products, [_product_row(p) for p in new_products.values()])
                if new_products:
                    pc = catalog_product_collections
                    for chunk in chunked(sorted(new_products)):
                        conn.execute(delete(pc).where(pc.c.product_id.in_(chunk)))
                    links = _link_rows(new_products.values())
                    if links:
                        conn.execute(insert(pc), links)
                _upsert(conn, catalog_variants, variant_rows)
        except IntegrityError as exc:
            raise _refused(exc) from exc

    def replace(self, catalog: Catalog) -> None:
        """Replace the whole contents with ``catalog``, all or nothing."""
        tree = catalog.categories
        rows: list[tuple[Table, list[dict[str, Any]]]] = [
            (catalog_categories, [_category_row(c) for c in _roots_first(tree, tree)]),
            (catalog_brands, [_named_row(b) for b in catalog.brands.values()]),
            (catalog_vendors, [_named_row(v) for v in catalog.vendors.values()]),
            (catalog_collections, [_named_row(c) for c in catalog.collections.values()]),
            (catalog_products, [_product_row(p) for p in catalog.products.values()]),
            (catalog_product_collections, _link_rows(catalog.products.values())),
            (catalog_variants, [_variant_row(v) for v in catalog.variants.values()]),
        ]
        try:
            with self._transaction("replace the catalog") as conn:
                self._lock(conn)
                for table, _ in reversed(rows):
                    conn.execute(delete(table))
                for table, table_rows in rows:
                    if table_rows:
                        conn.execute(insert(table), table_rows)
        except IntegrityError as exc:
            raise _refused(exc) from exc

    def _lock(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            name = conn.dialect.identifier_preparer.format_table(_LOCK_TABLE)
            conn.execute(text(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE"))

    def _checked_tree(
        self, conn: Connection, new_categories: Mapping[str, Category]
    ) -> CategoryTree | None:
        """The category tree after the write (``None`` if no category is written).

        Raises:
            ConflictError: A missing parent or a cycle.
        """
        if not new_categories:
            return None
        c = catalog_categories
        stored = {row.id: _category_model(row) for row in conn.execute(select(c).order_by(c.c.id))}
        return CategoryTree({**stored, **new_categories}.values())

    def _check_products(
        self,
        conn: Connection,
        products: Iterable[Product],
        *,
        tree: CategoryTree | None,
        brands: Mapping[str, Brand],
        vendors: Mapping[str, Vendor],
        collections: Mapping[str, Collection],
    ) -> None:
        products = list(products)
        if not products:
            return

        def known(table: Table, given: Iterable[str], refs: Iterable[str | None]) -> set[str]:
            wanted = {ref for ref in refs if ref is not None}
            return set(given) | stored_ids(conn, table, wanted - set(given))

        if tree is not None:  # every category there will be, stored or new
            categories = {category.id for category in tree}
        else:
            categories = known(catalog_categories, (), (p.category_id for p in products))
        brand_ids = known(catalog_brands, brands, (p.brand_id for p in products))
        vendor_ids = known(catalog_vendors, vendors, (p.vendor_id for p in products))
        collection_ids = known(
            catalog_collections, collections, (k for p in products for k in p.collection_ids)
        )
        for product in products:
            missing: tuple[str, str] | None = None
            if product.category_id is not None and product.category_id not in categories:
                missing = ("category", product.category_id)
            elif product.brand_id is not None and product.brand_id not in brand_ids:
                missing = ("brand", product.brand_id)
            elif product.vendor_id is not None and product.vendor_id not in vendor_ids:
                missing = ("vendor", product.vendor_id)
            else:
                absent = sorted(product.collection_ids - collection_ids)
                if absent:
                    missing = ("collection", absent[0])
            if missing is not None:
                kind, ref = missing
                raise ConflictError(
                    entity="product", id=product.id, reason=f"{kind} {ref!r} does not exist"
                )

    def _check_variants(
        self, conn: Connection, variants: Iterable[Variant], *, products: Mapping[str, Product]
    ) -> None:
        variants = sorted(variants, key=lambda v: v.id)
        wanted = {v.product_id for v in variants} - set(products)
        product_ids = set(products) | stored_ids(conn, catalog_products, wanted)
        for variant in variants:
            if variant.product_id not in product_ids:
                raise ConflictError(
                    entity="variant",
                    id=variant.id,
                    reason=f"product {variant.product_id!r} does not exist",
                )

    # -- reads ---------------------------------------------------------------------------

    def get_product(self, product_id: str) -> Product | None:
        """The product with this id, or ``None``."""
        p = catalog_products
        with self._transaction("read a product") as conn:
            row = conn.execute(select(p).where(p.c.id == product_id)).one_or_none()
            if row is None:
                return None
            collection_ids = _collections_of(conn, [product_id]).get(product_id, [])
        return _product_model(row, collection_ids)

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        """The variants with these ids that exist, by id, whether active or not."""
        wanted = list(dict.fromkeys(variant_ids))
        if not wanted:
            return {}
        v = catalog_variants
        found: dict[str, Variant] = {}
        with self._transaction("read variants") as conn:
            for chunk in chunked(wanted):
                for row in conn.execute(select(v).where(v.c.id.in_(chunk))):
                    found[row.id] = _variant_model(row)
        return {vid: found[vid] for vid in wanted if vid in found}

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        """The product's variants, sorted by id; none for an unknown product."""
        with self._transaction("read a product's variants") as conn:
            return _variants(
                conn, catalog_variants.c.product_id == product_id, active_only=active_only
            )

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        """The variants of products in the category or its descendants, sorted by id.

        The category links are loaded once per call (the tree is small) and the
        subtree's products found through ``IN``. An unknown category has none.
        """
        p = catalog_products
        with self._transaction("read a category's variants") as conn:
            subtree = _subtree(conn, category_id)
            if subtree is None:
                return []
            found: list[Variant] = []
            for chunk in chunked(subtree):
                found.extend(_variants(conn, p.c.category_id.in_(chunk), active_only=active_only))
        found.sort(key=lambda variant: variant.id)  # chunks each come sorted; merge them
        return found

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        """The variants of products in the collection, sorted by id."""
        pc = catalog_product_collections
        with self._transaction("read a collection's variants") as conn:
            return _variants(
                conn,
                pc.c.collection_id == collection_id,
                in_collections=True,
                active_only=active_only,
            )

    def category_tree(self) -> CategoryTree:
        """The whole category tree."""
        c = catalog_categories
        with self._transaction("read the category tree") as conn:
            rows = conn.execute(select(c).order_by(c.c.id)).all()
        return CategoryTree(_category_model(row) for row in rows)

    def snapshot(self) -> Catalog:
        """The whole catalog, read in one transaction, as a validated :class:`Catalog`."""
        c, p, v = catalog_categories, catalog_products, catalog_variants
        with self._transaction("read the catalog") as conn:
            categories = [_category_model(r) for r in conn.execute(select(c).order_by(c.c.id))]
            brands = [Brand(id=r.id, name=r.name) for r in _all_rows(conn, catalog_brands)]
            vendors = [Vendor(id=r.id, name=r.name) for r in _all_rows(conn, catalog_vendors)]
            collections = [
                Collection(id=r.id, name=r.name) for r in _all_rows(conn, catalog_collections)
            ]
            links: dict[str, list[str]] = {}
            pc = catalog_product_collections
            for product_id, collection_id in conn.execute(
                select(pc.c.product_id, pc.c.collection_id)
            ):
                links.setdefault(product_id, []).append(collection_id)
            products = [_product_model(r, links.get(r.id, ())) for r in _all_rows(conn, p)]
            variants = [_variant_model(r) for r in _all_rows(conn, v)]
        return Catalog(
            products=products,
            variants=variants,
            categories=categories,
            brands=brands,
            vendors=vendors,
            collections=collections,
        )


def _all_rows(conn: Connection, table: Table) -> list[Row[Any]]:
    return list(conn.execute(select(table).order_by(table.c.id)))


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose id is new, then update those already stored.

    Only called under the catalog write lock, so the ids read are still the ids
    stored when the writes run. New rows go in first and in the order given (a
    category's parent before it), so every reference an update makes exists.
    """
    if not rows:
        return
    stored = stored_ids(conn, table, (row["id"] for row in rows))
    new = [row for row in rows if row["id"] not in stored]
    if new:
        conn.execute(insert(table), new)
    changed = [
        {"b_id": row["id"], **{k: val for k, val in row.items() if k != "id"}}
        for row in rows
        if row["id"] in stored
    ]
    if changed:
        conn.execute(update(table).where(table.c.id == bindparam("b_id")), changed)


def _refused(exc: IntegrityError) -> ConflictError:
    """The database refused a catalog write the checks passed: rows changed outside pricekit."""
    return ConflictError(
        entity="catalog",
        id="",
        reason=f"the database refused the write (were catalog rows changed outside "
        f"pricekit?): {exc.orig or exc}",
    )
