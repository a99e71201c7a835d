"""Property tests: the indexed Catalog agrees with a brute-force reading of the same data."""

from __future__ import annotations

from hypothesis import given

from pricekit.catalog import Catalog, Variant
from pricekit.testing.strategies import catalogs


def _reference_subtree(catalog: Catalog, root: str) -> set[str]:
    """Every category whose chain of parents reaches ``root`` (walked one link at a time)."""
    parents = {c.id: c.parent_id for c in catalog.categories}
    found = set()
    for category_id in parents:
        node: str | None = category_id
        while node is not None:
            if node == root:
                found.add(category_id)
                break
            node = parents[node]
    return found


def _active(catalog: Catalog, variant: Variant) -> bool:
    return variant.active and catalog.products[variant.product_id].active


def _sorted(variants: list[Variant]) -> list[str]:
    return sorted(v.id for v in variants)


@given(catalogs())
def test_subtrees_match_parent_walk(catalog: Catalog) -> None:
    for category in catalog.categories:
        assert catalog.categories.subtree(category.id) == _reference_subtree(catalog, category.id)


@given(catalogs())
def test_lookups_match_a_full_scan(catalog: Catalog) -> None:
    every = list(catalog.variants.values())
    for active_only in (True, False):

        def keep(variant: Variant, active_only: bool = active_only) -> bool:
            return not active_only or _active(catalog, variant)

        for product_id in catalog.products:
            expected = [v for v in every if v.product_id == product_id and keep(v)]
            got = catalog.variants_of_product(product_id, active_only=active_only)
            assert [v.id for v in got] == _sorted(expected)
        for category in catalog.categories:
            subtree = _reference_subtree(catalog, category.id)
            expected = [
                v
                for v in every
                if catalog.products[v.product_id].category_id in subtree and keep(v)
            ]
            got = catalog.variants_in_category(category.id, active_only=active_only)
            assert [v.id for v in got] == _sorted(expected)
        for collection_id in catalog.collections:
            expected = [
                v
                for v in every
                if collection_id in catalog.products[v.product_id].collection_ids and keep(v)
            ]
            got = catalog.variants_in_collection(collection_id, active_only=active_only)
            assert [v.id for v in got] == _sorted(expected)


@given(catalogs())
def test_merging_a_catalog_into_itself_changes_nothing(catalog: Catalog) -> None:
    same = catalog.merged(
        products=catalog.products.values(),
        variants=catalog.variants.values(),
        categories=list(catalog.categories),
    )
    assert dict(same.variants) == dict(catalog.variants)
    assert dict(same.products) == dict(catalog.products)
