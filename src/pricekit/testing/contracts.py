"""Contract suites: prove that your repository behaves like pricekit's own.

Each suite is a class without a ``Test`` prefix. Subclass it in your test
suite under a ``Test...`` name and give it the one fixture it asks for; pytest
then runs every contract test against your implementation::

    import pytest
    from pricekit.testing.contracts import CatalogRepositoryContract

    class TestMyCatalogRepository(CatalogRepositoryContract):
        @pytest.fixture
        def catalog_repository_factory(self, my_database):
            def make(catalog):
                repo = MyCatalogRepository(my_database)
                repo.load(catalog)   # however your storage is filled
                return repo
            return make

Suites: :class:`CatalogRepositoryContract` (fixture ``catalog_repository_factory``),
:class:`PriceListRepositoryContract` (``price_list_repository``),
:class:`PriceListItemRepositoryContract` (``price_list_item_repository``),
:class:`PriceListScopeRepositoryContract` (``price_list_scope_repository``),
:class:`MarkdownPlanRepositoryContract` (``markdown_plan_repository``),
:class:`MarkdownWaveRepositoryContract` (``markdown_wave_repository``),
:class:`MarkdownHistoryRepositoryContract` (``markdown_history_repository``),
:class:`PromotionRepositoryContract` (``promotion_repository``),
:class:`PromotionUsageRepositoryContract` (``promotion_usage_repository``),
:class:`DealCacheContract` (``deal_cache``), :class:`PriceCacheContract`
(``price_cache``), :class:`SyncLockContract`
(``sync_lock``) and :class:`SyncRunRepositoryContract` (``sync_run_repository``);
the fixtures other than the catalog's return a fresh, empty repository, cache
or lock. The
``promotion_usage_repository`` one implements both promotion ports (recording
needs a stored promotion); it and the ``deal_cache`` must be safe to share
between threads.

pricekit runs the same suites against its in-memory adapters and, with their
extras, against SQLAlchemy (SQLite and PostgreSQL) and Redis, so an adapter
that passes is interchangeable with them. Needs pytest and Hypothesis (the
``testing`` extra).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("pytest", extra="testing")
require_extra("hypothesis", extra="testing")

from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from pricekit.catalog import (  # noqa: E402
    Brand,
    Catalog,
    CatalogRepository,
    Category,
    Collection,
    Product,
    Variant,
    Vendor,
)
from pricekit.money import Money  # noqa: E402
from pricekit.testing._cache_contracts import PriceCacheContract  # noqa: E402
from pricekit.testing._deal_contracts import DealCacheContract  # noqa: E402
from pricekit.testing._markdown_contracts import (  # noqa: E402
    MarkdownHistoryRepositoryContract,
    MarkdownPlanRepositoryContract,
    MarkdownWaveRepositoryContract,
)
from pricekit.testing._pricing_contracts import (  # noqa: E402
    PriceListItemRepositoryContract,
    PriceListRepositoryContract,
    PriceListScopeRepositoryContract,
)
from pricekit.testing._promotion_contracts import (  # noqa: E402
    PromotionRepositoryContract,
    PromotionUsageRepositoryContract,
)
from pricekit.testing._sync_contracts import (  # noqa: E402
    SyncLockContract,
    SyncRunRepositoryContract,
)
from pricekit.testing.strategies import catalogs  # noqa: E402

__all__ = [
    "CatalogRepositoryContract",
    "CatalogRepositoryFactory",
    "DealCacheContract",
    "MarkdownHistoryRepositoryContract",
    "MarkdownPlanRepositoryContract",
    "MarkdownWaveRepositoryContract",
    "PriceCacheContract",
    "PriceListItemRepositoryContract",
    "PriceListRepositoryContract",
    "PriceListScopeRepositoryContract",
    "PromotionRepositoryContract",
    "PromotionUsageRepositoryContract",
    "SyncLockContract",
    "SyncRunRepositoryContract",
    "sample_catalog",
]

CatalogRepositoryFactory = Callable[[Catalog], CatalogRepository]


def sample_catalog() -> Catalog:
    """A small, fixed catalog with every case a lookup has to get right.

    Categories ``flower`` > ``indica`` > ``indica-premium`` and ``flower`` > ``sativa``,
    plus an unrelated ``edibles``; an inactive product whose variants are active; an
    inactive variant of an active product; an uncategorised product; products in two
    collections at once; prices in KWD (three decimal places).
    """

    def price(amount: str) -> Money:
        return Money.of(amount, "KWD")

    return Catalog(
        categories=[
            Category(id="flower", name="Flower"),
            Category(id="indica", name="Indica", parent_id="flower"),
            Category(id="indica-premium", name="Premium indica", parent_id="indica"),
            Category(id="sativa", name="Sativa", parent_id="flower"),
            Category(id="edibles", name="Edibles"),
        ],
        brands=[Brand(id="acme", name="Acme"), Brand(id="zen", name="Zen")],
        vendors=[Vendor(id="farm", name="The Farm")],
        collections=[
            Collection(id="summer", name="Summer"),
            Collection(id="staff", name="Staff picks"),
        ],
        products=[
            Product(
                id="og",
                name="OG Kush",
                category_id="indica",
                brand_id="acme",
                vendor_id="farm",
                collection_ids=frozenset({"summer", "staff"}),
                tags=frozenset({"indica"}),
            ),
            Product(
                id="gold",
                name="Gold Reserve",
                category_id="indica-premium",
                brand_id="zen",
                collection_ids=frozenset({"staff"}),
            ),
            Product(id="haze", name="Super Haze", category_id="sativa", brand_id="acme"),
            Product(
                id="retired",
                name="Retired strain",
                category_id="indica",
                collection_ids=frozenset({"summer"}),
                active=False,
            ),
            Product(id="gummy", name="Gummies", category_id="edibles"),
            Product(id="papers", name="Rolling papers"),
        ],
        variants=[
            Variant(id="og-1g", product_id="og", sku="OG-1", price=price("10.000")),
            Variant(
                id="og-3.5g",
                product_id="og",
                sku="OG-35",
                label="3.5g",
                price=price("30.500"),
                cost=price("12.125"),
                weight_grams="3.5",  # type: ignore[arg-type]
            ),
            Variant(
                id="og-28g", product_id="og", sku="OG-28", price=price("180.000"), active=False
            ),
            Variant(id="gold-1g", product_id="gold", sku="GOLD-1", price=price("25.000")),
            Variant(id="haze-1g", product_id="haze", sku="HAZE-1", price=price("9.750")),
            Variant(id="retired-1g", product_id="retired", sku="RET-1", price=price("5.000")),
            Variant(id="gummy-10", product_id="gummy", sku="GUM-10", price=price("15.000")),
            Variant(id="papers-1", product_id="papers", sku="PAP-1", price=price("0.999")),
        ],
    )


def _ids(variants: list[Variant]) -> list[str]:
    return [variant.id for variant in variants]


class CatalogRepositoryContract:
    """The contract every :class:`~pricekit.catalog.CatalogRepository` must keep.

    Provide a fixture ``catalog_repository_factory`` returning a callable that
    takes a :class:`~pricekit.catalog.Catalog` and returns a repository holding
    exactly that catalog, independent of any repository made before.
    """

    @pytest.fixture
    def catalog_repository_factory(self) -> CatalogRepositoryFactory:
        """Override me: return ``Catalog -> repository``."""
        pytest.fail(
            f"{type(self).__name__} must define a 'catalog_repository_factory' fixture "
            "returning a callable that takes a pricekit Catalog and returns your repository "
            "filled with it"
        )

    @pytest.fixture
    def sample_repository(
        self, catalog_repository_factory: CatalogRepositoryFactory
    ) -> CatalogRepository:
        """The repository under test, holding :func:`sample_catalog`."""
        return catalog_repository_factory(sample_catalog())

    def test_is_a_catalog_repository(self, sample_repository: CatalogRepository) -> None:
        """The repository has every method of the protocol."""
        assert isinstance(sample_repository, CatalogRepository)

    def test_get_product_returns_equal_model(self, sample_repository: CatalogRepository) -> None:
        """A stored product comes back equal, every field intact."""
        expected = sample_catalog().products["og"]
        assert sample_repository.get_product("og") == expected
        assert sample_repository.get_product("no-such-product") is None

    def test_get_variants_keeps_money_exact_and_skips_unknown_ids(
        self, sample_repository: CatalogRepository
    ) -> None:
        """Variants come back equal (money to the minor unit), inactive ones included."""
        found = sample_repository.get_variants(["og-3.5g", "og-28g", "papers-1", "nope"])
        assert set(found) == {"og-3.5g", "og-28g", "papers-1"}
        assert found["og-3.5g"] == sample_catalog().variants["og-3.5g"]
        assert found["og-3.5g"].cost == Money(12125, "KWD")
        assert found["papers-1"].price.minor_units == 999
        assert sample_repository.get_variants([]) == {}

    def test_variants_of_product_filters_inactive(
        self, sample_repository: CatalogRepository
    ) -> None:
        """Active variants by default, every variant on request, sorted by id."""
        assert _ids(sample_repository.variants_of_product("og")) == ["og-1g", "og-3.5g"]
        assert _ids(sample_repository.variants_of_product("og", active_only=False)) == [
            "og-1g",
            "og-28g",
            "og-3.5g",
        ]
        assert sample_repository.variants_of_product("retired") == []
        assert _ids(sample_repository.variants_of_product("retired", active_only=False)) == [
            "retired-1g"
        ]
        assert sample_repository.variants_of_product("no-such-product") == []

    def test_variants_in_category_covers_the_subtree(
        self, sample_repository: CatalogRepository
    ) -> None:
        """A category's variants include every descendant category's."""
        assert _ids(sample_repository.variants_in_category("flower")) == [
            "gold-1g",
            "haze-1g",
            "og-1g",
            "og-3.5g",
        ]
        assert _ids(sample_repository.variants_in_category("indica")) == [
            "gold-1g",
            "og-1g",
            "og-3.5g",
        ]
        assert _ids(sample_repository.variants_in_category("indica-premium")) == ["gold-1g"]
        assert _ids(sample_repository.variants_in_category("indica", active_only=False)) == [
            "gold-1g",
            "og-1g",
            "og-28g",
            "og-3.5g",
            "retired-1g",
        ]
        assert sample_repository.variants_in_category("no-such-category") == []

    def test_variants_in_collection(self, sample_repository: CatalogRepository) -> None:
        """A collection's variants are those of its products."""
        assert _ids(sample_repository.variants_in_collection("staff")) == [
            "gold-1g",
            "og-1g",
            "og-3.5g",
        ]
        assert _ids(sample_repository.variants_in_collection("summer")) == ["og-1g", "og-3.5g"]
        assert _ids(sample_repository.variants_in_collection("summer", active_only=False)) == [
            "og-1g",
            "og-28g",
            "og-3.5g",
            "retired-1g",
        ]
        assert sample_repository.variants_in_collection("no-such-collection") == []

    def test_category_tree(self, sample_repository: CatalogRepository) -> None:
        """The tree has every category and the same parent links."""
        tree = sample_repository.category_tree()
        assert {category.id for category in tree} == {
            "flower",
            "indica",
            "indica-premium",
            "sativa",
            "edibles",
        }
        assert tree.subtree("flower") == {"flower", "indica", "indica-premium", "sativa"}
        assert tree.ancestors("indica-premium") == ("indica", "flower")

    def test_empty_catalog(self, catalog_repository_factory: CatalogRepositoryFactory) -> None:
        """An empty repository answers every lookup with nothing."""
        repository = catalog_repository_factory(Catalog())
        assert repository.get_product("og") is None
        assert repository.get_variants(["og-1g"]) == {}
        assert repository.variants_in_category("flower") == []
        assert len(repository.category_tree()) == 0

    @settings(
        max_examples=40,
        # The factory fixture is stateless: each call builds a fresh, independent repository.
        # A contract test runs once per adapter subclass by design, hence differing executors.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
        deadline=None,
    )
    @given(catalog=catalogs())
    def test_agrees_with_the_reference_catalog(
        self, catalog_repository_factory: CatalogRepositoryFactory, catalog: Catalog
    ) -> None:
        """On any consistent catalog, every lookup gives the reference answer."""
        repository = catalog_repository_factory(catalog)
        for product_id, product in catalog.products.items():
            assert repository.get_product(product_id) == product
            for active_only in (True, False):
                assert repository.variants_of_product(
                    product_id, active_only=active_only
                ) == catalog.variants_of_product(product_id, active_only=active_only)
        assert repository.get_variants(list(catalog.variants)) == dict(catalog.variants)
        for category in catalog.categories:
            for active_only in (True, False):
                assert repository.variants_in_category(
                    category.id, active_only=active_only
                ) == catalog.variants_in_category(category.id, active_only=active_only)
            assert repository.category_tree().subtree(category.id) == catalog.categories.subtree(
                category.id
            )
        for collection_id in catalog.collections:
            for active_only in (True, False):
                assert repository.variants_in_collection(
                    collection_id, active_only=active_only
                ) == catalog.variants_in_collection(collection_id, active_only=active_only)
