"""The contract suites pricekit ships, run against the repositories of ``custom_repository.py``.

This is the test module an integrator adds to their own suite: one subclass per
suite, under a ``Test...`` name, with the one fixture the suite asks for (a
fresh, empty repository). pytest then holds the repositories to the same
contract as pricekit's own adapters: duplicates refused with nothing stored,
batches all or nothing, filters and pages exact and ordered by id, every field
back exactly (money past 2**53 minor units, three-decimal currencies,
quantities such as 2.125, instants with their offsets, and values drawn by
Hypothesis), and eight threads adding one id storing it once.

    pytest examples/tests_custom_repository.py      # or:
    python examples/tests_custom_repository.py
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from custom_repository import (
    ShopDatabase,
    ShopPriceListItemRepository,
    ShopPriceListRepository,
    ShopPriceListScopeRepository,
)
from pricekit.testing.contracts import (
    PriceListItemRepositoryContract,
    PriceListRepositoryContract,
    PriceListScopeRepositoryContract,
)


@pytest.fixture
def shop_database(tmp_path: Path) -> Iterator[ShopDatabase]:
    """A new, empty database file for each test."""
    db = ShopDatabase(tmp_path / "shop.db")
    yield db
    db.close()


class TestShopPriceLists(PriceListRepositoryContract):
    """``ShopPriceListRepository`` is a ``PriceListRepository``."""

    @pytest.fixture
    def price_list_repository(self, shop_database: ShopDatabase) -> ShopPriceListRepository:
        """The repository under test, on an empty database."""
        return ShopPriceListRepository(shop_database)


class TestShopPriceListItems(PriceListItemRepositoryContract):
    """``ShopPriceListItemRepository`` is a ``PriceListItemRepository``."""

    @pytest.fixture
    def price_list_item_repository(
        self, shop_database: ShopDatabase
    ) -> ShopPriceListItemRepository:
        """The repository under test, on an empty database."""
        return ShopPriceListItemRepository(shop_database)


class TestShopPriceListScopes(PriceListScopeRepositoryContract):
    """``ShopPriceListScopeRepository`` is a ``PriceListScopeRepository``."""

    @pytest.fixture
    def price_list_scope_repository(
        self, shop_database: ShopDatabase
    ) -> ShopPriceListScopeRepository:
        """The repository under test, on an empty database."""
        return ShopPriceListScopeRepository(shop_database)


if __name__ == "__main__":
    # In a fresh interpreter: pytest must start before Hypothesis is imported.
    command = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider"]
    raise SystemExit(subprocess.run([*command, *sys.argv[1:]], check=False).returncode)
