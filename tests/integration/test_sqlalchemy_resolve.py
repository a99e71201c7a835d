"""Price resolution in SQL: the price book's answers and explanations, from one indexed query.

Every test runs on SQLite and PostgreSQL. The property draws price lists, stores
them through the SQL repositories and checks that :class:`SqlPriceResolver`
answers (and explains) every drawn query exactly as a :class:`PriceBook` of the
same records does, through each way of running the statement (an engine, a
connection outside a transaction, the caller's transaction).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine, delete, insert, text
from sqlalchemy.orm import Session

from pricekit.catalog import Catalog, Product, Variant
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.ext.sqlalchemy import create_sqlite_engine, metadata
from pricekit.ext.sqlalchemy.pricing import (
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
    price_list_items,
    price_list_scopes,
    price_lists,
)
from pricekit.ext.sqlalchemy.resolve import SqlPriceResolver, resolution_select
from pricekit.markdowns import MarkdownService
from pricekit.memory import (
    InMemoryCatalogRepository,
    InMemoryMarkdownHistoryRepository,
    InMemoryMarkdownPlanRepository,
    InMemoryMarkdownWaveRepository,
)
from pricekit.money import Money
from pricekit.pricing import (
    Channel,
    ItemType,
    MarkdownLookup,
    Outcome,
    PriceBook,
    PriceList,
    PriceListItem,
    PriceListScope,
    PriceQuery,
    PriceSource,
    ResolvedPrice,
)
from pricekit.testing.strategies import PriceListsData, price_lists_data, price_queries
from pricekit.time import ManualClock

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
BASE = Money.of("25.99", "USD")
MICROSECOND = timedelta(microseconds=1)


# -- helpers ---------------------------------------------------------------------------


def plist(list_id: str, priority: int = 100, **extra: Any) -> PriceList:
    fields: dict[str, Any] = {
        "id": list_id,
        "business_id": "biz",
        "name": list_id,
        "priority": priority,
        "currency": "USD",
        **extra,
    }
    return PriceList.model_validate(fields)


def pitem(record_id: str, list_id: str, price: str, **extra: Any) -> PriceListItem:
    currency = extra.pop("currency", "USD")
    fields: dict[str, Any] = {
        "id": record_id,
        "price_list_id": list_id,
        "item_id": "sku",
        "price": Money.of(price, currency),
        **extra,
    }
    return PriceListItem.model_validate(fields)


def pscope(scope_id: str, list_id: str, **extra: Any) -> PriceListScope:
    return PriceListScope.model_validate({"id": scope_id, "price_list_id": list_id, **extra})


def store(
    engine: Engine,
    lists: Sequence[PriceList] = (),
    items: Sequence[PriceListItem] = (),
    scopes: Sequence[PriceListScope] = (),
) -> None:
    """Store records through the SQL repositories."""
    list_repository = SqlPriceListRepository(engine)
    for price_list in lists:
        list_repository.add(price_list)
    SqlPriceListItemRepository(engine).add_many(items)
    scope_repository = SqlPriceListScopeRepository(engine)
    for scope in scopes:
        scope_repository.add(scope)


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (price_list_scopes, price_list_items, price_lists):
            conn.execute(delete(table))


def agree(
    resolver: SqlPriceResolver, book: PriceBook, **overrides: Any
) -> tuple[ResolvedPrice, ResolvedPrice]:
    """Resolve with both, plain and explained; assert they agree; return the SQL answers."""
    args: dict[str, Any] = {
        "business_id": "biz",
        "item_id": "sku",
        "channel": Channel.POS,
        "at": AT,
        "base_price": BASE,
        **overrides,
    }
    plain = resolver.resolve_item(**args)
    assert plain == book.resolve_item(**args)
    explained = resolver.resolve_item(**args, explain=True)
    assert explained == book.resolve_item(**args, explain=True)
    assert explained.trace is not None
    assert (explained.price_list_item_id, explained.unit_price) == (
        plain.price_list_item_id,
        plain.unit_price,
    )
    return plain, explained


def outcomes(result: ResolvedPrice) -> dict[str, Outcome]:
    assert result.trace is not None
    return {t.price_list_item_id: t.outcome for t in result.trace}


@contextmanager
def bound(engine: Engine, how: str) -> Iterator[Engine | Connection]:
    """The engine, a connection outside any transaction, or one inside the caller's."""
    if how == "engine":
        yield engine
    elif how == "connection":
        with engine.connect() as conn:
            yield conn
            assert not conn.in_transaction()  # the resolver left none open
    else:
        with engine.connect() as conn, conn.begin():
            yield conn


# -- the property ----------------------------------------------------------------------


def _around(query: PriceQuery, data: PriceListsData) -> Iterator[PriceQuery]:
    """The query, then the same sale of every item, at every location, on two channels."""
    yield query
    for item_id in data.item_ids:
        for item_type in (ItemType.PRODUCT, ItemType.SERVICE):
            for location_id in (None, "loc-a", "loc-b"):
                for channel in (Channel.POS, Channel.ONLINE):
                    yield query.evolve(
                        item_id=item_id,
                        item_type=item_type,
                        location_id=location_id,
                        channel=channel,
                    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=price_lists_data(),
    draw=st.data(),
    how=st.sampled_from(["engine", "connection", "transaction"]),
)
def test_sql_resolution_answers_and_explains_as_the_price_book(
    sql_engine: Engine, data: PriceListsData, draw: st.DataObject, how: str
) -> None:
    clear(sql_engine)  # the database outlives the examples
    store(sql_engine, data.lists, data.items, data.scopes)
    book = PriceBook(lists=data.lists, items=data.items, scopes=data.scopes)
    drawn: list[PriceQuery] = draw.draw(
        st.lists(price_queries(data), min_size=1, max_size=4), label="queries"
    )
    with bound(sql_engine, how) as bind:
        resolver = SqlPriceResolver(bind)
        for query in drawn:
            assert resolver.resolve(query, explain=True) == book.resolve(query, explain=True)
            # The same sale of every item, at every location: many more answers to compare.
            for variant in _around(query, data):
                assert resolver.resolve(variant) == book.resolve(variant), variant
        assert resolver.resolve_many(drawn) == book.resolve_many(drawn)


# -- the rules, one by one ---------------------------------------------------------------


def test_a_location_scope_beats_a_higher_ranked_global_one(sql_engine: Engine) -> None:
    lists = [plist("pl-global", 1000), plist("pl-local", 0), plist("pl-online", 900)]
    items = [
        pitem("i-global", "pl-global", "20.00", priority=1000),
        pitem("i-local", "pl-local", "18.00"),
        pitem("i-online", "pl-online", "17.00"),
    ]
    scopes = [
        pscope("s-global", "pl-global"),
        pscope("s-local", "pl-local", location_id="loc-a"),
        pscope("s-online", "pl-online", location_id="loc-b", channel="online"),
    ]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)

    plain, explained = agree(resolver, book, location_id="loc-a")
    assert plain.price_list_item_id == "i-local"
    assert outcomes(explained)["i-global"] is Outcome.SHADOWED_BY_LOCATION
    assert agree(resolver, book, location_id="loc-z")[0].price_list_item_id == "i-global"
    assert agree(resolver, book)[0].price_list_item_id == "i-global"  # no location
    # loc-b's scope is for the online channel only.
    assert agree(resolver, book, location_id="loc-b")[0].price_list_item_id == "i-global"
    online = agree(resolver, book, location_id="loc-b", channel=Channel.ONLINE)[0]
    assert online.price_list_item_id == "i-online"


def test_rank_priorities_then_tier_then_newer_then_lower_id(sql_engine: Engine) -> None:
    older, newer = AT - timedelta(days=2), AT - timedelta(days=1)
    lists = [plist("pl-a", 100), plist("pl-b", 100), plist("pl-low", 99)]
    items = [
        pitem("b-newer", "pl-b", "10.00", created_at=newer),
        pitem("a-older", "pl-a", "11.00", created_at=older),
        pitem("a-unstamped", "pl-a", "12.00"),
        pitem("b-tied", "pl-b", "13.00", created_at=newer),
        pitem("low-list", "pl-low", "1.00", priority=1000, min_qty=5),
    ]
    scopes = [pscope("s-a", "pl-a"), pscope("s-b", "pl-b"), pscope("s-low", "pl-low")]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)

    plain, explained = agree(resolver, book, quantity=10)
    assert plain.price_list_item_id == "b-newer"  # newest, then the lower of two tied ids
    assert outcomes(explained) == {
        "b-newer": Outcome.WON,
        "b-tied": Outcome.LOST,
        "a-older": Outcome.LOST,
        "a-unstamped": Outcome.LOST,
        "low-list": Outcome.LOST,
    }
    # The item's priority ranks before its tier, the tier before creation time.
    more = [
        pitem("a-priority", "pl-a", "14.00", priority=1, created_at=older),
        pitem("a-tier", "pl-a", "15.00", priority=1, min_qty=3, created_at=older),
    ]
    store(sql_engine, items=more)
    book = PriceBook(lists=lists, items=[*items, *more], scopes=scopes)
    assert agree(resolver, book, quantity=2)[0].price_list_item_id == "a-priority"
    assert agree(resolver, book, quantity=3)[0].price_list_item_id == "a-tier"


def test_quantity_tiers(sql_engine: Engine) -> None:
    lists = [plist("pl")]
    tiers = ("1", "2.5", "5", "10", "0.000001")
    items = [pitem(f"t-{t}", "pl", f"{20 - i}.00", min_qty=t) for i, t in enumerate(tiers)]
    scopes = [pscope("s", "pl")]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)

    expected = {
        Decimal("0.0000009"): None,  # below the smallest tier: the base price
        Decimal("0.000001"): "t-0.000001",
        Decimal("0.5"): "t-0.000001",
        1: "t-1",
        Decimal("2.4999999999999999999999999999999"): "t-1",  # more digits than the context
        Decimal("2.5"): "t-2.5",
        Decimal("4.9999999"): "t-2.5",  # finer than a millionth, still below the tier
        5: "t-5",
        Decimal("5.0000001"): "t-5",
        Decimal("9.999999"): "t-5",
        10: "t-10",
        10**30: "t-10",  # beyond what a BIGINT of millionths holds
        Decimal("1E+30"): "t-10",
        Decimal("Infinity"): "t-10",
    }
    for quantity, winner in expected.items():
        plain, _ = agree(resolver, book, quantity=quantity)
        assert plain.price_list_item_id == winner, quantity
        if winner is None:
            assert plain == ResolvedPrice(unit_price=BASE, source=PriceSource.BASE_PRICE)
        else:
            assert plain.min_qty == Decimal(winner.removeprefix("t-"))


def test_validity_windows_at_their_exact_edges(sql_engine: Engine) -> None:
    start, end = AT, AT + timedelta(hours=1)
    lists = [plist("pl", valid_from=start), plist("pl-always", 0)]
    items = [
        pitem("i", "pl", "10.00", valid_to=end),
        pitem("i-fallback", "pl-always", "30.00"),
        pitem("i-later", "pl-always", "5.00", priority=1000, valid_from=end),
    ]
    scopes = [pscope("s", "pl"), pscope("s-always", "pl-always")]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)
    plus_two = timezone(timedelta(hours=2))

    expected = {
        start - MICROSECOND: "i-fallback",  # the list has not started
        start: "i",  # a window includes its start...
        (start + timedelta(minutes=5)).astimezone(plus_two): "i",  # in any zone
        end - MICROSECOND: "i",
        end: "i-later",  # ...and excludes its end
        end.astimezone(plus_two): "i-later",
    }
    for at, winner in expected.items():
        plain, _ = agree(resolver, book, at=at)
        assert plain.price_list_item_id == winner, at
    _, before = agree(resolver, book, at=start - MICROSECOND)
    assert outcomes(before)["i"] is Outcome.LIST_NOT_VALID
    _, after = agree(resolver, book, at=end)
    assert outcomes(after)["i"] is Outcome.ITEM_NOT_VALID


def test_what_is_never_a_candidate(sql_engine: Engine) -> None:
    lists = [
        plist("pl-off", 1000, is_active=False),
        plist("pl-unscoped", 900),
        plist("pl-eur", 800, currency="EUR"),
        plist("pl-online", 700, channel="online"),
        plist("pl-other-biz", 600, business_id="other"),
        plist("pl", 0),
    ]
    items = [
        pitem("i-list-off", "pl-off", "1.00"),
        pitem("i-unscoped", "pl-unscoped", "2.00"),
        pitem("i-eur", "pl-eur", "3.00", currency="EUR"),
        pitem("i-online", "pl-online", "4.00"),
        pitem("i-other-biz", "pl-other-biz", "5.00"),
        pitem("i-off", "pl", "6.00", priority=1000, is_active=False),
        pitem("i-service", "pl", "7.00", priority=1000, item_type="service"),
        pitem("i", "pl", "9.00"),
    ]
    scopes = [pscope(f"s-{pl.id}", pl.id) for pl in lists if pl.id != "pl-unscoped"]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)

    plain, explained = agree(resolver, book)
    assert plain.price_list_item_id == "i"
    assert outcomes(explained) == {
        "i-list-off": Outcome.LIST_INACTIVE,
        "i-unscoped": Outcome.NO_SCOPE,
        "i-eur": Outcome.WRONG_CURRENCY,
        "i-online": Outcome.WRONG_CHANNEL,
        "i-off": Outcome.ITEM_INACTIVE,
        "i": Outcome.WON,
    }
    service = agree(resolver, book, item_type=ItemType.SERVICE)[0]
    assert service.price_list_item_id == "i-service"
    assert agree(resolver, book, item_type="service")[0] == service  # a plain string too
    euro = agree(resolver, book, base_price=Money.of("9.99", "EUR"))[0]
    assert (euro.price_list_item_id, euro.unit_price) == ("i-eur", Money.of("3.00", "EUR"))
    other = agree(resolver, book, business_id="other")[0]
    assert other.price_list_item_id == "i-other-biz"
    nothing = agree(resolver, book, item_id="unknown")[0]
    assert nothing == ResolvedPrice(unit_price=BASE, source=PriceSource.BASE_PRICE)


def test_records_the_book_refuses_are_never_candidates(sql_engine: Engine) -> None:
    """Storage allows items without their list, and items priced in another currency."""
    lists = [plist("pl", 0), plist("pl-high", 1000)]
    good = pitem("i", "pl", "9.00")
    stray = [
        pitem("i-orphan", "pl-missing", "1.00"),  # its list was never stored
        pitem("i-wrong-currency", "pl-high", "2.00", currency="EUR"),  # on a USD list
    ]
    scopes = [pscope("s", "pl"), pscope("s-high", "pl-high")]
    store(sql_engine, lists, [good, *stray], scopes)
    book = PriceBook(lists=lists, items=[good], scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)

    assert agree(resolver, book)[0].price_list_item_id == "i"
    assert agree(resolver, book, base_price=Money.of("1.00", "EUR"))[0].source is (
        PriceSource.BASE_PRICE
    )


def _markdowns() -> MarkdownService:
    """The real markdown service: a 25% wave on variant ``sku`` (catalog price 20.00)."""
    catalog = InMemoryCatalogRepository(
        Catalog(
            products=[Product(id="tee", name="Tee")],
            variants=[Variant(id="sku", product_id="tee", price=Money.of("20.00", "USD"))],
        )
    )
    service = MarkdownService(
        plans=InMemoryMarkdownPlanRepository(),
        waves=InMemoryMarkdownWaveRepository(),
        history=InMemoryMarkdownHistoryRepository(),
        catalog=catalog,
        clock=ManualClock(AT - timedelta(days=1)),
    )
    service.create_plan({"id": "summer", "business_id": "biz", "name": "Summer"})
    service.create_wave(
        "summer",
        {
            "id": "cut",
            "name": "Cut",
            "method": "percent",
            "value": Decimal(25),
            "reason": "seasonal_clearance",
            "stage": "initial",
            "currency": "USD",
            "scopes": [{"type": "variant", "ids": ["sku"]}],
        },
    )
    service.activate("cut")
    return service


def test_an_active_markdown_overrides_the_winner(sql_engine: Engine) -> None:
    lists = [plist("pl")]
    items = [pitem("i", "pl", "18.00")]
    scopes = [pscope("s", "pl")]
    store(sql_engine, lists, items, scopes)
    markdowns = _markdowns()
    assert isinstance(markdowns, MarkdownLookup)
    book = PriceBook(lists=lists, items=items, scopes=scopes, markdowns=markdowns)
    resolver = SqlPriceResolver(sql_engine, markdowns=markdowns)
    assert resolver.markdowns is markdowns

    plain, explained = agree(resolver, book, location_id="loc-a")
    assert plain.source is PriceSource.MARKDOWN
    assert (plain.unit_price, plain.original_price) == (Money.of("15.00", "USD"), items[0].price)
    assert (plain.price_list_item_id, plain.markdown_wave_id) == ("i", "cut")
    assert outcomes(explained) == {"i": Outcome.OVERRIDDEN_BY_MARKDOWN}
    # Over the base price too; never in another currency than the price it replaces.
    below_tier = agree(resolver, book, quantity=Decimal("0.5"))[0]  # no list price: the base
    assert (below_tier.source, below_tier.original_price) == (PriceSource.MARKDOWN, BASE)
    euro = agree(resolver, book, base_price=Money.of("30.00", "EUR"))[0]
    assert euro == ResolvedPrice(unit_price=Money.of("30.00", "EUR"), source=PriceSource.BASE_PRICE)
    without = SqlPriceResolver(sql_engine).resolve_item(
        business_id="biz", item_id="sku", channel=Channel.POS, at=AT, base_price=BASE
    )
    assert without.source is PriceSource.PRICE_LIST


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"at": datetime(2026, 6, 1, 12)}, "at"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": Decimal("-1")}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"channel": Channel.ANY}, "channel"),
        ({"currency": "EUR"}, "base_price"),
    ],
)
def test_arguments_are_refused_as_the_book_refuses_them(
    tmp_path: Path, overrides: dict[str, Any], field: str
) -> None:
    # Refused before any statement runs: one database is enough.
    engine = create_sqlite_engine(tmp_path / "refused.db")
    resolver = SqlPriceResolver(engine)
    args: dict[str, Any] = {
        "business_id": "biz",
        "item_id": "sku",
        "channel": Channel.POS,
        "at": AT,
        "base_price": BASE,
        **overrides,
    }
    for explain in (False, True):
        with pytest.raises(InvalidValueError) as ours:
            resolver.resolve_item(**args, explain=explain)
        with pytest.raises(InvalidValueError) as books:
            PriceBook().resolve_item(**args, explain=explain)
        assert ours.value.field == books.value.field == field
        assert str(ours.value) == str(books.value)
    engine.dispose()


def test_a_bad_bind_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        SqlPriceResolver("postgresql://")  # type: ignore[arg-type]
    assert info.value.field == "bind"


# -- how the statement runs --------------------------------------------------------------


def test_the_statement_starts_from_the_lookup_index(sql_engine: Engine) -> None:
    lists = [plist(f"pl-{n}", n) for n in range(30)]
    items = [
        pitem(f"i-{n}", f"pl-{n % 30}", "1.00", item_id=f"sku-{n % 1000}", min_qty=1 + n // 1000)
        for n in range(4000)
    ]
    scopes = [pscope(f"s-{n}", f"pl-{n}", location_id=f"loc-{n % 3}") for n in range(30)]
    store(sql_engine, lists, items, scopes)
    resolver = SqlPriceResolver(sql_engine)
    assert resolver.resolve_item(
        business_id="biz", item_id="sku-7", channel=Channel.POS, at=AT, base_price=BASE
    ) == PriceBook(lists=lists, items=items, scopes=scopes).resolve_item(
        business_id="biz", item_id="sku-7", channel=Channel.POS, at=AT, base_price=BASE
    )
    values: dict[str, Any] = {
        "item_id": "sku-7",
        "item_type": "product",
        "business_id": "biz",
        "currency": "USD",
        "quantity_micro": 1_000_000,
        "channel": "pos",
        "location_id": "loc-1",
        "created_floor": datetime.min.replace(tzinfo=UTC),
    }
    with sql_engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        if sql_engine.dialect.name == "postgresql":
            values["at"] = AT
            plan = conn.exec_driver_sql("EXPLAIN " + resolver.statement_sql(), values).all()
            text_plan = "\n".join(row[0] for row in plan)
            assert "Seq Scan on pricekit_price_list_items" not in text_plan
        else:
            values["at"] = "2026-06-01 12:00:00.000000"
            values["created_floor"] = "0001-01-01 00:00:00.000000"
            compiled = resolution_select(at_location=True).compile(dialect=sql_engine.dialect)
            assert compiled.positiontup is not None
            params = tuple(values.get(name, 0) for name in compiled.positiontup)
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + resolver.statement_sql(), params
            ).all()
            text_plan = "\n".join(str(row[-1]) for row in plan)
            assert "SCAN pricekit_price_list_items" not in text_plan
    assert "Index" in text_plan or "INDEX" in text_plan
    assert "ix_pricekit_price_list_items_lookup" in text_plan, text_plan
    assert "LIMIT 1" in resolver.statement_sql(at_location=False)


def test_connection_and_session_binds(sql_engine: Engine) -> None:
    lists = [plist("pl")]
    items = [pitem("i", "pl", "10.00")]
    scopes = [pscope("s", "pl")]
    store(sql_engine, lists, items, scopes)
    query: dict[str, Any] = {
        "business_id": "biz",
        "item_id": "sku",
        "channel": Channel.POS,
        "at": AT,
        "base_price": BASE,
    }

    # Outside a transaction: the statement runs alone and leaves none open.
    with sql_engine.connect() as conn:
        resolver = SqlPriceResolver(conn)
        assert resolver.resolve_item(**query).price_list_item_id == "i"
        assert resolver.resolve_item(**query, explain=True).price_list_item_id == "i"
        assert not conn.in_transaction()
        if sql_engine.dialect.name == "postgresql":
            driver: Any = conn.connection.driver_connection
            assert driver.autocommit is False  # put back as it was
            assert driver.info.transaction_status == 0  # idle
    # Inside the caller's transaction: it sees the caller's uncommitted rows.
    with sql_engine.connect() as conn, conn.begin():
        conn.execute(
            insert(price_list_items).values(
                id="i-new",
                price_list_id="pl",
                item_type="product",
                item_id="sku",
                price_minor=500,
                currency="USD",
                min_qty_micro=1_000_000,
                priority=1000,
                is_active=True,
            )
        )
        resolver = SqlPriceResolver(conn)
        assert resolver.resolve_item(**query).price_list_item_id == "i-new"
        assert resolver.resolve_item(**query, explain=True).price_list_item_id == "i-new"
        cart = [PriceQuery(**query, currency="USD")] * 2
        assert resolver.resolve_many(cart)[1].price_list_item_id == "i-new"
        conn.rollback()
    with Session(sql_engine) as session:
        resolver = SqlPriceResolver(session)
        assert resolver.resolve_item(**query).price_list_item_id == "i"
        cart = [PriceQuery(**query, currency="USD")]
        assert resolver.resolve_many(cart)[0].price_list_item_id == "i"
    # An autocommit connection stays one (and needs no savepoint, even after a statement).
    if sql_engine.dialect.name == "postgresql":
        with sql_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            assert SqlPriceResolver(conn).resolve_item(**query).price_list_item_id == "i"
            conn.exec_driver_sql("SELECT 1")
            assert SqlPriceResolver(conn).resolve_item(**query).price_list_item_id == "i"
            assert conn.connection.driver_connection.autocommit is True  # type: ignore[union-attr]


def test_resolve_many_on_an_engine_is_resolve_for_each(sql_engine: Engine) -> None:
    lists = [plist("pl"), plist("pl-local", 0)]
    items = [pitem("i", "pl", "10.00"), pitem("i-local", "pl-local", "9.00", item_id="sku-2")]
    scopes = [pscope("s", "pl"), pscope("s-local", "pl-local", location_id="loc-a")]
    store(sql_engine, lists, items, scopes)
    book = PriceBook(lists=lists, items=items, scopes=scopes)
    resolver = SqlPriceResolver(sql_engine)
    cart = [
        PriceQuery(
            business_id="biz",
            location_id=location,
            channel=Channel.POS,
            item_id=item_id,
            base_price=BASE,
            currency="USD",
            at=AT,
        )
        for item_id in ("sku", "sku-2", "sku-3")
        for location in (None, "loc-a")
    ]
    assert resolver.resolve_many(cart) == book.resolve_many(cart)
    assert resolver.resolve_many(cart, explain=True) == book.resolve_many(cart, explain=True)
    assert resolver.resolve_many(cart[:1]) == book.resolve_many(cart[:1])
    assert resolver.resolve_many([]) == []


def test_a_database_error_is_backend_unavailable(sql_engine: Engine) -> None:
    store(sql_engine, [plist("pl")], [pitem("i", "pl", "10.00")], [pscope("s", "pl")])
    query: dict[str, Any] = {
        "business_id": "biz",
        "item_id": "sku",
        "channel": Channel.POS,
        "at": AT,
        "base_price": BASE,
    }
    resolver = SqlPriceResolver(sql_engine)
    assert resolver.resolve_item(**query).price_list_item_id == "i"
    with sql_engine.begin() as conn:
        conn.execute(text("ALTER TABLE pricekit_price_list_scopes RENAME TO pricekit_moved"))
    for explain in (False, True):
        with pytest.raises(BackendUnavailableError) as info:
            resolver.resolve_item(**query, explain=explain)
        assert info.value.backend == sql_engine.dialect.name
    with sql_engine.connect() as conn:
        with pytest.raises(BackendUnavailableError):
            SqlPriceResolver(conn).resolve_item(**query, explain=True)
        with pytest.raises(BackendUnavailableError):
            SqlPriceResolver(conn).resolve_item(**query)
        assert not conn.in_transaction()
    with sql_engine.connect() as conn, conn.begin():
        with pytest.raises(BackendUnavailableError):
            SqlPriceResolver(conn).resolve_item(**query)
        # The savepoint was rolled back: the caller's transaction goes on.
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    with sql_engine.begin() as conn:
        conn.execute(text("ALTER TABLE pricekit_moved RENAME TO pricekit_price_list_scopes"))
    # The pooled connection that saw the error still serves.
    assert resolver.resolve_item(**query).price_list_item_id == "i"


def test_a_lost_connection_is_replaced(postgresql_url: str) -> None:
    engine = create_engine(postgresql_url)
    try:
        metadata.create_all(engine)
        store(engine, [plist("pl")], [pitem("i", "pl", "10.00")], [pscope("s", "pl")])
        query: dict[str, Any] = {
            "business_id": "biz",
            "item_id": "sku",
            "channel": Channel.POS,
            "at": AT,
            "base_price": BASE,
        }
        with engine.connect() as killer, engine.connect() as conn:

            def kill(driver: Any) -> None:
                pid = int(driver.info.backend_pid)
                killer.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                for _ in range(500):
                    gone = killer.exec_driver_sql(
                        f"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = {pid}"
                    ).scalar_one()
                    killer.rollback()
                    if gone:
                        return
                    time.sleep(0.01)

            # An engine: the dead connection leaves the pool.
            resolver = SqlPriceResolver(engine)
            assert resolver.resolve_item(**query).price_list_item_id == "i"
            with engine.connect() as probe:  # the pooled connection the resolver used
                kill(probe.connection.driver_connection)
            with pytest.raises(BackendUnavailableError):
                resolver.resolve_item(**query)
            assert resolver.resolve_item(**query).price_list_item_id == "i"
            # A connection outside a transaction: it is invalidated, then reconnects.
            on_conn = SqlPriceResolver(conn)
            assert on_conn.resolve_item(**query).price_list_item_id == "i"
            kill(conn.connection.driver_connection)
            with pytest.raises(BackendUnavailableError):
                on_conn.resolve_item(**query)
            assert conn.invalidated
            assert on_conn.resolve_item(**query).price_list_item_id == "i"
    finally:
        engine.dispose()


def test_threads_sharing_one_connection_each_get_their_own_answer(tmp_path: Path) -> None:
    """A ``StaticPool`` (an in-memory SQLite database) hands one connection to every thread."""
    engine = create_sqlite_engine()
    try:
        metadata.create_all(engine)
        lists = [plist("pl")]
        items = [pitem(f"i-{n}", "pl", f"{n}.00", item_id=f"sku-{n}") for n in range(1, 41)]
        store(engine, lists, items, [pscope("s", "pl")])
        resolver = SqlPriceResolver(engine)
        wrong: list[tuple[int, str | None]] = []

        def work(offset: int) -> None:
            for turn in range(150):
                n = 1 + (offset + turn) % 40
                got = resolver.resolve_item(
                    business_id="biz",
                    item_id=f"sku-{n}",
                    channel=Channel.POS,
                    at=AT,
                    base_price=BASE,
                ).price_list_item_id
                if got != f"i-{n}":
                    wrong.append((n, got))

        threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wrong == []
    finally:
        engine.dispose()
