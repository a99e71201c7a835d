"""The shipped pricing repository suites, run against the in-memory repositories."""

from __future__ import annotations

import pytest

from pricekit.memory import (
    InMemoryPriceListItemRepository,
    InMemoryPriceListRepository,
    InMemoryPriceListScopeRepository,
)
from pricekit.pricing.repository import (
    PriceListItemRepository,
    PriceListRepository,
    PriceListScopeRepository,
)
from pricekit.testing.contracts import (
    PriceListItemRepositoryContract,
    PriceListRepositoryContract,
    PriceListScopeRepositoryContract,
)


class TestInMemoryPriceListRepository(PriceListRepositoryContract):
    @pytest.fixture
    def price_list_repository(self) -> PriceListRepository:
        return InMemoryPriceListRepository()


class TestInMemoryPriceListItemRepository(PriceListItemRepositoryContract):
    @pytest.fixture
    def price_list_item_repository(self) -> PriceListItemRepository:
        return InMemoryPriceListItemRepository()


class TestInMemoryPriceListScopeRepository(PriceListScopeRepositoryContract):
    @pytest.fixture
    def price_list_scope_repository(self) -> PriceListScopeRepository:
        return InMemoryPriceListScopeRepository()
