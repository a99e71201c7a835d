"""Every SQL repository and service of pricekit on one database, for the commands.

``Store.open(url)`` connects (an embedded SQLite file by default), checks that
the schema is at pricekit's newest migration, and hands out the repositories
and the services built on them.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.sqlalchemy import (
    SqlCatalogRepository,
    SqlDealCache,
    SqlMarkdownHistoryRepository,
    SqlMarkdownPlanRepository,
    SqlMarkdownWaveRepository,
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
    SqlPromotionUsageRepository,
    SqlSyncRunRepository,
    create_sqlite_engine,
    current_revision,
    head_revision,
    upgrade,
)
from pricekit.markdowns import MarkdownService
from pricekit.pricing import PricingService, PricingSettings
from pricekit.promotions import PromotionService
from pricekit.time import Clock, SystemClock

__all__ = ["SchemaBehindError", "Store", "engine_for"]


class SchemaBehindError(BackendUnavailableError):
    """The database has no pricekit tables yet, or older ones: run ``pricekit db upgrade``."""


def engine_for(url: str) -> Engine:
    """An engine for ``url``: SQLite files through ``create_sqlite_engine``, others as given.

    Raises:
        InvalidValueError: ``url`` is not a database URL SQLAlchemy knows (field ``db``).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise InvalidValueError(
            field="db", value=url, reason=f"not a database URL ({error})"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return create_sqlite_engine(Path(parsed.database))
    try:
        return create_engine(url)
    except (ArgumentError, ImportError, SQLAlchemyError) as error:
        raise InvalidValueError(field="db", value=url, reason=str(error)) from None


class Store:
    """pricekit's repositories and services on one engine.

    Args:
        engine: The database.
        clock: The services' clock (the system's by default).
    """

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = SystemClock() if clock is None else clock
        self.catalog = SqlCatalogRepository(engine)
        self.price_lists = SqlPriceListRepository(engine)
        self.price_list_items = SqlPriceListItemRepository(engine)
        self.price_list_scopes = SqlPriceListScopeRepository(engine)
        self.markdown_plans = SqlMarkdownPlanRepository(engine)
        self.markdown_waves = SqlMarkdownWaveRepository(engine)
        self.markdown_history = SqlMarkdownHistoryRepository(engine)
        self.promotions = SqlPromotionUsageRepository(engine)
        self.deals = SqlDealCache(engine)
        self.sync_runs = SqlSyncRunRepository(engine)
        self._markdowns: MarkdownService | None = None
        self._pricing: PricingService | None = None
        self._promotions: PromotionService | None = None

    @classmethod
    def open(cls, url: str, *, create: bool = False, clock: Clock | None = None) -> Store:
        """Connect to ``url`` and check its schema.

        Args:
            url: Any SQLAlchemy URL.
            create: Bring the schema up to date instead of refusing an old one.
            clock: The services' clock.

        Raises:
            InvalidValueError: ``url`` is not a database URL (field ``db``).
            BackendUnavailableError: The database cannot be reached.
            SchemaBehindError: Its schema is not at pricekit's newest migration
                (and ``create`` is false).
        """
        engine = engine_for(url)
        shown = make_url(url).render_as_string(hide_password=True)
        try:
            revision = current_revision(engine)
            if revision != head_revision():
                if not create:
                    engine.dispose()
                    state = "has no pricekit tables" if revision is None else "is behind"
                    raise SchemaBehindError(
                        backend=engine.dialect.name,
                        operation=f"use {shown}",
                        cause=f"the database {state}: run `pricekit db upgrade --db {shown}`",
                    )
                upgrade(engine)
        except SQLAlchemyError as error:
            engine.dispose()
            raise BackendUnavailableError(
                backend=engine.dialect.name,
                operation=f"connect to {shown}",
                cause=str(getattr(error, "orig", None) or error).strip().splitlines()[0],
            ) from None
        return cls(engine, clock=clock)

    def markdown_service(self) -> MarkdownService:
        """The markdown service on these repositories (one per store)."""
        if self._markdowns is None:
            self._markdowns = MarkdownService(
                plans=self.markdown_plans,
                waves=self.markdown_waves,
                history=self.markdown_history,
                catalog=self.catalog,
                clock=self.clock,
            )
        return self._markdowns

    def pricing_service(self) -> PricingService:
        """The pricing service on these repositories: price lists on, markdowns applied."""
        if self._pricing is None:
            self._pricing = PricingService(
                lists=self.price_lists,
                items=self.price_list_items,
                scopes=self.price_list_scopes,
                markdowns=self.markdown_service(),
                clock=self.clock,
                # a command prices with the lists the database holds; one process
                # per command keeps no cache worth having
                settings=PricingSettings(enable_price_lists=True, price_cache_enabled=False),
            )
        return self._pricing

    def promotion_service(self) -> PromotionService:
        """The promotion service on these repositories."""
        if self._promotions is None:
            self._promotions = PromotionService(
                promotions=self.promotions, usage=self.promotions, clock=self.clock
            )
        return self._promotions

    def close(self) -> None:
        """Close the database's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
