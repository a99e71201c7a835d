"""The SQL catalog repository: the shipped contract suite on SQLite and PostgreSQL, and more."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pricekit.catalog import (
    Brand,
    Catalog,
    CatalogRepository,
    Category,
    Collection,
    Product,
    Variant,
    Vendor,
)
from pricekit.errors import BackendUnavailableError, ConflictError
from pricekit.ext.sqlalchemy.catalog import (
    SqlCatalogRepository,
    catalog_brands,
    catalog_categories,
    catalog_collections,
    catalog_product_collections,
    catalog_products,
    catalog_variants,
    catalog_vendors,
)
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money
from pricekit.testing.contracts import (
    CatalogRepositoryContract,
    CatalogRepositoryFactory,
    sample_catalog,
)

TABLES = (
    catalog_categories,
    catalog_brands,
    catalog_vendors,
    catalog_collections,
    catalog_products,
    catalog_product_collections,
    catalog_variants,
)


class TestSqlCatalogRepository(CatalogRepositoryContract):
    """Filled by ``replace``: Hypothesis runs many examples on one database, and each
    call of the factory replaces the whole catalog (deletes every row, then inserts,
    in one transaction), so each repository holds exactly the catalog it was made from.
    """

    @pytest.fixture
    def catalog_repository_factory(self, sql_engine: Engine) -> CatalogRepositoryFactory:
        def make(catalog: Catalog) -> CatalogRepository:
            repository = SqlCatalogRepository(sql_engine)
            repository.replace(catalog)
            return repository

        return make


class TestSqlCatalogFilledThroughSave(CatalogRepositoryContract):
    """Emptied by ``replace``, then filled by several ``save`` calls, as a host would."""

    @pytest.fixture
    def catalog_repository_factory(self, sql_engine: Engine) -> CatalogRepositoryFactory:
        def make(catalog: Catalog) -> CatalogRepository:
            repository = SqlCatalogRepository(sql_engine)
            repository.replace(Catalog())
            repository.save(
                categories=list(catalog.categories),
                brands=catalog.brands.values(),
                vendors=catalog.vendors.values(),
                collections=catalog.collections.values(),
            )
            repository.save(products=catalog.products.values())
            variants = sorted(catalog.variants.values(), key=lambda v: v.id)
            repository.save(variants=variants[::2])
            repository.save(variants=variants[1::2])
            return repository

        return make


def _contents(catalog: Catalog) -> dict[str, Any]:
    """Everything a catalog holds, comparable with ``==``."""
    return {
        "categories": {c.id: c for c in catalog.categories},
        "brands": dict(catalog.brands),
        "vendors": dict(catalog.vendors),
        "collections": dict(catalog.collections),
        "products": dict(catalog.products),
        "variants": dict(catalog.variants),
    }


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: len(conn.execute(select(table)).all())
            for table in TABLES  # small tables in these tests
        }


@pytest.fixture
def repo(sql_engine: Engine) -> SqlCatalogRepository:
    repository = SqlCatalogRepository(sql_engine)
    repository.replace(sample_catalog())
    return repository


def test_tables_have_their_indexes_and_foreign_keys(sql_engine: Engine) -> None:
    inspector = inspect(sql_engine)

    def indexes(table: str) -> dict[str, list[str | None]]:
        return {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(table) if ix["name"]}

    def references(table: str) -> set[tuple[str, str]]:
        return {
            (fk["constrained_columns"][0], fk["referred_table"])
            for fk in inspector.get_foreign_keys(table)
        }

    assert indexes("pricekit_catalog_products") == {
        "ix_pricekit_catalog_products_category": ["category_id"]
    }
    assert indexes("pricekit_catalog_variants") == {
        "ix_pricekit_catalog_variants_product": ["product_id"]
    }
    assert indexes("pricekit_catalog_product_collections") == {
        "ix_pricekit_catalog_pc_collection": ["collection_id"]
    }
    assert inspector.get_pk_constraint("pricekit_catalog_product_collections")[
        "constrained_columns"
    ] == ["product_id", "collection_id"]
    assert references("pricekit_catalog_categories") == {
        ("parent_id", "pricekit_catalog_categories")
    }
    assert references("pricekit_catalog_products") == {
        ("category_id", "pricekit_catalog_categories"),
        ("brand_id", "pricekit_catalog_brands"),
        ("vendor_id", "pricekit_catalog_vendors"),
    }
    assert references("pricekit_catalog_variants") == {("product_id", "pricekit_catalog_products")}
    for table in TABLES:
        names = [
            table.name,
            table.primary_key.name,
            *(ix.name for ix in table.indexes),
            *(fk.name for fk in table.foreign_key_constraints),
        ]
        assert all(isinstance(n, str) and len(n) <= 63 for n in names), names


def test_snapshot_gives_back_the_catalog_that_was_stored(repo: SqlCatalogRepository) -> None:
    assert _contents(repo.snapshot()) == _contents(sample_catalog())


def test_money_attributes_and_weights_come_back_exactly(sql_engine: Engine) -> None:
    attributes: dict[str, Any] = {
        "thc": Decimal("21.50"),
        "thc_text": "21.50",
        "count": 3,
        "big": 10**20,
        "organic": True,
        "recalled": False,
        "note": None,
        "nested_like": "{'decimal': '1'}",
    }
    product = Product(id="p", name="Été 日本 'quoted'", tags={"b", "a"}, attributes=attributes)
    variant = Variant(
        id="v",
        product_id="p",
        price=Money(2**62, "JPY"),
        cost=Money(0, "JPY"),
        weight_grams=Decimal("3.500"),
        tags={"lot-7"},
        attributes=attributes,
    )
    repo = SqlCatalogRepository(sql_engine)
    repo.save(products=[product], variants=[variant])
    stored_product = repo.get_product("p")
    stored_variant = repo.get_variants(["v"])["v"]
    assert stored_product == product
    assert stored_variant == variant
    for stored in (stored_product, stored_variant):
        assert stored is not None
        assert type(stored.attributes["thc"]) is Decimal
        assert str(stored.attributes["thc"]) == "21.50"
        assert stored.attributes["thc_text"] == "21.50"
        assert stored.attributes["organic"] is True
        assert stored.attributes["count"] == 3
        assert stored.attributes["big"] == 10**20
    assert str(stored_variant.weight_grams) == "3.500"
    assert stored_variant.price.minor_units == 2**62
    assert stored_variant.cost == Money(0, "JPY")


def test_save_adds_and_replaces_like_the_in_memory_repository(
    repo: SqlCatalogRepository,
) -> None:
    memory = InMemoryCatalogRepository(sample_catalog())
    price = Money.of("1.000", "KWD")
    steps: list[dict[str, Any]] = [
        # a new subtree under an existing category, and an existing one moved under it
        {
            "categories": [
                Category(id="indica-premium", name="Premium", parent_id="hybrid"),
                Category(id="hybrid", name="Hybrid", parent_id="flower", active=False),
            ]
        },
        # a product changes collections, brand and category; a new one joins a new collection
        {
            "collections": [Collection(id="winter", name="Winter")],
            "products": [
                Product(id="og", name="OG", category_id="hybrid", collection_ids={"winter"}),
                Product(id="new", name="New", vendor_id="farm", collection_ids={"staff", "winter"}),
            ],
        },
        # variants move product, change price, and one id given twice: the last wins
        {
            "variants": [
                Variant(id="og-1g", product_id="new", price=price),
                Variant(id="extra", product_id="og", price=price),
                Variant(id="extra", product_id="og", price=price, active=False),
            ],
            "brands": [Brand(id="acme", name="ACME Corp")],
            "vendors": [Vendor(id="farm2", name="Farm two")],
        },
    ]
    for step in steps:
        repo.save(**step)
        memory.save(**step)
        assert _contents(repo.snapshot()) == _contents(memory.snapshot)
    snapshot = memory.snapshot
    for category in snapshot.categories:
        for active_only in (True, False):
            assert repo.variants_in_category(
                category.id, active_only=active_only
            ) == snapshot.variants_in_category(category.id, active_only=active_only)
    for collection_id in snapshot.collections:
        assert repo.variants_in_collection(collection_id) == snapshot.variants_in_collection(
            collection_id
        )
    assert repo.get_variants(["extra"])["extra"].active is False
    assert repo.category_tree().ancestors("indica-premium") == ("hybrid", "flower")


BAD_SAVES: list[tuple[str, dict[str, Any]]] = [
    ("missing parent", {"categories": [Category(id="x", name="X", parent_id="nowhere")]}),
    (
        "cycle",
        {
            "categories": [
                Category(id="flower", name="Flower", parent_id="sativa"),
                Category(id="ok", name="OK"),
            ]
        },
    ),
    (
        "missing brand",
        {
            "brands": [Brand(id="fine", name="Fine")],
            "products": [
                Product(id="good", name="Good", brand_id="fine"),
                Product(id="bad", name="Bad", brand_id="nobody"),
            ],
        },
    ),
    ("missing vendor", {"products": [Product(id="bad", name="Bad", vendor_id="nobody")]}),
    ("missing category", {"products": [Product(id="og", name="OG", category_id="gone")]}),
    (
        "missing collection",
        {
            "products": [
                Product(id="bad", name="Bad", collection_ids={"summer", "b-gone", "a-gone"})
            ]
        },
    ),
    (
        "missing product",
        {
            "products": [Product(id="fresh", name="Fresh")],
            "variants": [
                Variant(id="v2", product_id="fresh", price=Money(1, "KWD")),
                Variant(id="v1", product_id="ghost", price=Money(1, "KWD")),
                Variant(id="v3", product_id="ghost", price=Money(1, "KWD")),
            ],
        },
    ),
]


def test_a_save_that_breaks_a_reference_is_refused_as_memory_refuses_it(
    repo: SqlCatalogRepository, sql_engine: Engine
) -> None:
    before = _row_counts(sql_engine)
    for case, save in BAD_SAVES:
        memory = InMemoryCatalogRepository(sample_catalog())
        with pytest.raises(ConflictError) as expected:
            memory.save(**save)
        with pytest.raises(ConflictError) as refused:
            repo.save(**save)
        got, want = refused.value, expected.value
        assert (got.entity, got.id, got.reason) == (want.entity, want.id, want.reason), case
        assert _row_counts(sql_engine) == before, case
    assert _contents(repo.snapshot()) == _contents(sample_catalog())


def test_the_database_refuses_a_broken_reference_written_around_the_repository(
    repo: SqlCatalogRepository, sql_engine: Engine
) -> None:
    with pytest.raises(IntegrityError), sql_engine.begin() as conn:
        conn.execute(
            catalog_products.insert().values(
                id="rogue", name="Rogue", brand_id="nobody", tags=[], attributes={}, active=True
            )
        )
    assert repo.get_product("rogue") is None


def test_a_database_error_mid_save_rolls_the_whole_save_back(
    repo: SqlCatalogRepository, sql_engine: Engine
) -> None:
    with sql_engine.begin() as conn:
        conn.execute(text("DROP TABLE pricekit_catalog_variants"))
    with pytest.raises(BackendUnavailableError) as info:
        repo.save(
            brands=[Brand(id="new-brand", name="New")],
            products=[Product(id="new", name="New", brand_id="new-brand")],
            variants=[Variant(id="new-1", product_id="new", price=Money(1, "KWD"))],
        )
    assert info.value.operation == "save catalog records"
    assert repo.get_product("new") is None
    with sql_engine.connect() as conn:
        brands = list(conn.scalars(select(catalog_brands.c.id).order_by(catalog_brands.c.id)))
    assert brands == ["acme", "zen"]


def test_concurrent_saves_cannot_make_a_cycle_together(sql_engine: Engine) -> None:
    """Each save is checked against the tree the previous one committed."""
    repo = SqlCatalogRepository(sql_engine)
    rounds = 5
    repo.replace(
        Catalog(
            categories=[
                Category(id=f"{side}{n}", name=f"{side}{n}") for n in range(rounds) for side in "ab"
            ]
        )
    )
    outcomes: list[str] = []

    def save(category: Category, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            repo.save(categories=[category])
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("refused")

    for n in range(rounds):
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=save, args=(Category(id=f"a{n}", name="a", parent_id=f"b{n}"), barrier)
            ),
            threading.Thread(
                target=save, args=(Category(id=f"b{n}", name="b", parent_id=f"a{n}"), barrier)
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["refused"] * rounds + ["saved"] * rounds
    tree = repo.category_tree()  # builds and validates the stored tree: no cycle
    assert len(tree) == 2 * rounds


def _wide_catalog(categories: int, *, depth_every: int = 7) -> Catalog:
    """A root with many descendants (some chains), a product and two variants in each."""
    cats = [Category(id="root", name="Root")]
    for n in range(categories):
        parent = f"c{n - 1:04d}" if n % depth_every else "root"
        cats.append(Category(id=f"c{n:04d}", name=str(n), parent_id=parent))
    products = [
        Product(id=f"p{n:04d}", name=str(n), category_id=f"c{n:04d}", active=n % 5 != 0)
        for n in range(categories)
    ]
    variants = [
        Variant(id=f"v{n:04d}-{k}", product_id=f"p{n:04d}", price=Money(n, "USD"), active=k == 0)
        for n in range(categories)
        for k in range(2)
    ]
    return Catalog(categories=cats, products=products, variants=variants)


def test_lookups_over_large_subtrees_and_many_ids(sql_engine: Engine) -> None:
    """More ids than one IN list binds: results still complete and sorted by id."""
    catalog = _wide_catalog(1200)
    repo = SqlCatalogRepository(sql_engine)
    repo.replace(catalog)
    for category_id in ("root", "c0700", "c1197"):
        for active_only in (True, False):
            assert repo.variants_in_category(
                category_id, active_only=active_only
            ) == catalog.variants_in_category(category_id, active_only=active_only)
    wanted = ["nope", *reversed(list(catalog.variants)), "v0001-0"]
    assert repo.get_variants(wanted) == catalog.get_variants(wanted)
    assert list(repo.get_variants(wanted)) == list(catalog.get_variants(wanted))


def test_on_a_connection_writes_wait_for_the_callers_commit(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        repo = SqlCatalogRepository(conn)
        repo.replace(sample_catalog())
        repo.save(brands=[Brand(id="later", name="Later")])
        with pytest.raises(ConflictError):
            repo.save(products=[Product(id="bad", name="Bad", brand_id="none")])
        assert repo.get_product("og") == sample_catalog().products["og"]
        conn.rollback()
    assert len(SqlCatalogRepository(sql_engine).category_tree()) == 0
    with Session(sql_engine) as session:
        repo = SqlCatalogRepository(session)
        repo.replace(sample_catalog())
        repo.save(brands=[Brand(id="later", name="Later")])
        session.commit()
    stored: Iterable[Brand] = SqlCatalogRepository(sql_engine).snapshot().brands.values()
    assert sorted(b.id for b in stored) == ["acme", "later", "zen"]
