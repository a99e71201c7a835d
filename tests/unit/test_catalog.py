"""Unit tests for pricekit.catalog and the in-memory catalog repository."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from pricekit.catalog import (
    Brand,
    Catalog,
    CatalogRepository,
    Category,
    CategoryTree,
    Collection,
    Product,
    Variant,
)
from pricekit.errors import ConflictError, ModelValidationError, NotFoundError
from pricekit.memory import InMemoryCatalogRepository
from pricekit.money import Money
from pricekit.testing.contracts import sample_catalog


def _variant(variant_id: str, product_id: str, price: str = "1.00", **extra: object) -> Variant:
    return Variant(id=variant_id, product_id=product_id, price=Money.of(price, "USD"), **extra)  # type: ignore[arg-type]


# -- models -------------------------------------------------------------------------------


def test_variant_refuses_bad_fields_naming_each() -> None:
    with pytest.raises(ModelValidationError) as info:
        Variant.model_validate(
            {
                "id": "",
                "product_id": "p",
                "price": {"amount": "-1.00", "currency": "USD"},
                "weight_grams": 0.5,
                "colour": "red",
            }
        )
    fields = {error.field for error in info.value.errors}
    assert fields == {"id", "price", "weight_grams", "colour"}
    assert info.value.model == "Variant"
    assert isinstance(info.value, ValueError)


def test_variant_price_float_names_the_nested_field() -> None:
    with pytest.raises(ModelValidationError) as info:
        Variant(id="v", product_id="p", price=19.99)  # type: ignore[arg-type]
    assert info.value.field == "price.amount"
    assert info.value.value == 19.99


def test_variant_cost_must_share_the_price_currency() -> None:
    with pytest.raises(ModelValidationError) as info:
        Variant(id="v", product_id="p", price=Money(100, "USD"), cost=Money(50, "EUR"))
    assert info.value.field == "cost"
    assert "USD" in info.value.reason


@pytest.mark.parametrize("weight", ["0", "-1", "NaN"])
def test_weight_must_be_positive(weight: str) -> None:
    with pytest.raises(ModelValidationError) as info:
        _variant("v", "p", weight_grams=weight)
    assert info.value.field == "weight_grams"


def test_weight_accepts_exact_decimals() -> None:
    assert _variant("v", "p", weight_grams="3.5").weight_grams == Decimal("3.5")


def test_attributes_refuse_floats_but_take_decimals() -> None:
    with pytest.raises(ModelValidationError) as info:
        Product(id="p", name="P", attributes={"thc": 23.5})
    assert info.value.field == "attributes.thc"
    product = Product(id="p", name="P", attributes={"thc": Decimal("23.5"), "strain": "OG"})
    assert product.attributes["thc"] == Decimal("23.5")


def test_models_are_frozen_and_evolve_revalidates() -> None:
    variant = _variant("v", "p")
    with pytest.raises(AttributeError, match="immutable"):
        variant.id = "w"  # type: ignore[misc]
    cheaper = variant.evolve(price=Money(50, "USD"))
    assert cheaper.price == Money(50, "USD")
    assert variant.price == Money(100, "USD")
    with pytest.raises(ModelValidationError):
        variant.evolve(price=Money(-1, "USD"))


def test_category_cannot_be_its_own_parent() -> None:
    with pytest.raises(ModelValidationError) as info:
        Category(id="a", name="A", parent_id="a")
    assert info.value.field == "parent_id"


def test_json_round_trip() -> None:
    for variant in sample_catalog().variants.values():
        assert Variant.model_validate_json(variant.model_dump_json()) == variant
    for product in sample_catalog().products.values():
        assert Product.model_validate_json(product.model_dump_json()) == product


# -- the category tree --------------------------------------------------------------------


def test_tree_subtree_ancestors_children() -> None:
    tree = sample_catalog().categories
    assert tree.subtree("indica") == {"indica", "indica-premium"}
    assert tree.subtree("edibles") == {"edibles"}
    assert tree.ancestors("indica-premium") == ("indica", "flower")
    assert tree.ancestors("flower") == ()
    assert tree.children("flower") == ("indica", "sativa")
    assert tree.is_within("indica-premium", "flower")
    assert not tree.is_within("flower", "indica")
    assert "flower" in tree
    assert len(tree) == 5
    with pytest.raises(NotFoundError) as info:
        tree.subtree("nope")
    assert (info.value.entity, info.value.id) == ("category", "nope")


def test_tree_refuses_missing_parent_duplicates_and_cycles() -> None:
    with pytest.raises(ConflictError, match="parent category 'ghost'"):
        CategoryTree([Category(id="a", name="A", parent_id="ghost")])
    with pytest.raises(ConflictError, match="duplicate"):
        CategoryTree([Category(id="a", name="A"), Category(id="a", name="B")])
    with pytest.raises(ConflictError, match="cycle") as info:
        CategoryTree(
            [
                Category(id="root", name="R"),
                Category(id="a", name="A", parent_id="c"),
                Category(id="b", name="B", parent_id="a"),
                Category(id="c", name="C", parent_id="b"),
            ]
        )
    assert info.value.id == "a"


# -- the catalog snapshot ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "entity", "message"),
    [
        ({"variants": [_variant("v", "ghost")]}, "variant", "product 'ghost'"),
        ({"products": [Product(id="p", name="P", category_id="x")]}, "product", "category 'x'"),
        ({"products": [Product(id="p", name="P", brand_id="x")]}, "product", "brand 'x'"),
        ({"products": [Product(id="p", name="P", vendor_id="x")]}, "product", "vendor 'x'"),
        (
            {"products": [Product(id="p", name="P", collection_ids=frozenset({"x"}))]},
            "product",
            "collection 'x'",
        ),
        (
            {"products": [Product(id="p", name="P"), Product(id="p", name="Q")]},
            "product",
            "duplicate",
        ),
        ({"brands": [Brand(id="b", name="B"), Brand(id="b", name="C")]}, "brand", "duplicate"),
    ],
)
def test_catalog_checks_references(kwargs: dict[str, object], entity: str, message: str) -> None:
    with pytest.raises(ConflictError, match=message) as info:
        Catalog(**kwargs)  # type: ignore[arg-type]
    assert info.value.entity == entity


def test_catalog_active_means_variant_and_product() -> None:
    catalog = sample_catalog()
    assert catalog.is_active(catalog.variants["og-1g"])
    assert not catalog.is_active(catalog.variants["og-28g"])  # variant inactive
    assert not catalog.is_active(catalog.variants["retired-1g"])  # product inactive


def test_require_variant() -> None:
    catalog = sample_catalog()
    assert catalog.require_variant("og-1g").sku == "OG-1"
    with pytest.raises(NotFoundError) as info:
        catalog.require_variant("nope")
    assert info.value.entity == "variant"


def test_merged_replaces_and_validates() -> None:
    catalog = sample_catalog()
    updated = catalog.merged(variants=[_variant("og-1g", "og", price="11.00")])
    assert updated.variants["og-1g"].price == Money(1100, "USD")
    assert catalog.variants["og-1g"].price == Money.of("10", "KWD")  # original untouched
    with pytest.raises(ConflictError):
        catalog.merged(variants=[_variant("x", "ghost")])


# -- the in-memory repository ---------------------------------------------------------------


def test_in_memory_repository_is_a_catalog_repository() -> None:
    assert isinstance(InMemoryCatalogRepository(), CatalogRepository)
    assert isinstance(sample_catalog(), CatalogRepository)


def test_in_memory_save_is_all_or_nothing() -> None:
    repository = InMemoryCatalogRepository(sample_catalog())
    before = repository.snapshot
    with pytest.raises(ConflictError):
        repository.save(
            products=[Product(id="new", name="New")],
            variants=[_variant("new-1", "new"), _variant("bad", "ghost")],
        )
    assert repository.snapshot is before
    assert repository.get_product("new") is None
    repository.save(
        collections=[Collection(id="fall", name="Fall")],
        products=[Product(id="new", name="New", collection_ids=frozenset({"fall"}))],
        variants=[_variant("new-1", "new")],
    )
    assert [v.id for v in repository.variants_in_collection("fall")] == ["new-1"]
    repository.replace(Catalog())
    assert repository.get_product("new") is None


def test_in_memory_concurrent_saves_lose_nothing() -> None:
    repository = InMemoryCatalogRepository(Catalog(products=[Product(id="p", name="P")]))

    def writer(start: int) -> None:
        for index in range(start, start + 25):
            repository.save(variants=[_variant(f"v{index:04d}", "p")])

    threads = [threading.Thread(target=writer, args=(n * 25,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(repository.variants_of_product("p")) == 200
