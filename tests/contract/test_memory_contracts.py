"""The shipped contract suites, run against the in-memory adapters."""

from __future__ import annotations

import pytest

from pricekit.catalog import Catalog, CatalogRepository
from pricekit.memory import InMemoryCatalogRepository
from pricekit.testing.contracts import CatalogRepositoryContract, CatalogRepositoryFactory


class TestInMemoryCatalogRepository(CatalogRepositoryContract):
    @pytest.fixture
    def catalog_repository_factory(self) -> CatalogRepositoryFactory:
        return InMemoryCatalogRepository


class TestFilledThroughSave(CatalogRepositoryContract):
    """The in-memory repository filled record by record, as a host would fill it."""

    @pytest.fixture
    def catalog_repository_factory(self) -> CatalogRepositoryFactory:
        def make(catalog: Catalog) -> CatalogRepository:
            repository = InMemoryCatalogRepository()
            repository.save(
                categories=list(catalog.categories),
                brands=catalog.brands.values(),
                vendors=catalog.vendors.values(),
                collections=catalog.collections.values(),
            )
            repository.save(products=catalog.products.values())
            for variant in catalog.variants.values():
                repository.save(variants=[variant])
            return repository

        return make


def test_a_suite_without_its_fixture_fails_with_instructions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pricekit.testing.contracts import CatalogRepositoryContract

        class TestForgotTheFixture(CatalogRepositoryContract):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "category_tree")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must define a 'catalog_repository_factory' fixture*"])
