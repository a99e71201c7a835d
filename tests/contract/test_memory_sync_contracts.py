"""The shipped sync suites, run against the in-process lock and the in-memory run history."""

from __future__ import annotations

import pytest

from pricekit.sync.lock import InProcessLock
from pricekit.sync.ports import SyncLock, SyncRunRepository
from pricekit.sync.runner import InMemorySyncRunRepository
from pricekit.testing.contracts import SyncLockContract, SyncRunRepositoryContract


class TestInProcessLock(SyncLockContract):
    @pytest.fixture
    def sync_lock(self) -> SyncLock:
        return InProcessLock()


class TestInMemorySyncRunRepository(SyncRunRepositoryContract):
    @pytest.fixture
    def sync_run_repository(self) -> SyncRunRepository:
        return InMemorySyncRunRepository()
