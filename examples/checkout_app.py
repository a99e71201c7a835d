"""A checkout endpoint: ``POST /checkout`` prices a cart and records promotion usage once per sale.

The store is a SQLite file run through pricekit's SQL adapter
(``pricekit.ext.sqlalchemy``): the catalog, a retail price list with a quantity
tier, a markdown wave at one store, and promotions, one of them limited to two
uses. A checkout, in one database transaction (a unit of work):

1. resolves every line's unit price (price lists, tiers, markdowns) with
   :func:`pricekit.promotions.price_cart`;
2. evaluates the promotions with :meth:`PromotionService.evaluate`;
3. records each applied promotion against the sale with
   :meth:`PromotionService.record_application` (idempotent per sale id; the
   limit is re-checked atomically in the database);
4. stores the receipt in the host's own table, ``checkout_receipts``, beside
   pricekit's tables.

A retried sale (the till timed out and sent it again) gets the stored receipt
back, and nothing is counted twice; the same sale id with another cart is
refused (409). A cart pricekit refuses is a 400 naming the field
(``items[1].quantity``).

All the checkout logic is :class:`Checkout`, which knows no web framework; the
Starlette app only routes to it and runs it in a worker thread (it does I/O).
Starlette is not a pricekit dependency: ``pip install starlette httpx``.

- ``python examples/checkout_app.py`` runs a short demonstration in process,
  with Starlette's ``TestClient`` (which needs httpx), on a temporary database;
- ``python examples/checkout_app.py --serve --db shop.db`` serves the app with
  uvicorn (``pip install uvicorn``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from pricekit.catalog import Category, Product, Variant
from pricekit.errors import (
    BackendUnavailableError,
    CurrencyMismatchError,
    InvalidValueError,
    NotFoundError,
    UsageLimitReachedError,
)
from pricekit.ext.sqlalchemy import (
    SqlCatalogRepository,
    SqlMarkdownHistoryRepository,
    SqlMarkdownPlanRepository,
    SqlMarkdownWaveRepository,
    SqlPriceListItemRepository,
    SqlPriceListRepository,
    SqlPriceListScopeRepository,
    SqlPromotionUsageRepository,
    create_sqlite_engine,
    upgrade,
)
from pricekit.markdowns import MarkdownService
from pricekit.money import Money
from pricekit.pricing import PricingService, PricingSettings
from pricekit.promotions import (
    EvaluationContext,
    EvaluationResult,
    PricedCart,
    PromotionService,
    price_cart,
)
from pricekit.time import Clock, FixedClock, SystemClock

_NEEDS_STARLETTE = (
    "examples/checkout_app.py needs Starlette, which pricekit does not depend on: "
    "pip install starlette httpx"
)
try:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - depends on the environment
    if __name__ == "__main__":
        raise SystemExit(_NEEDS_STARLETTE) from exc
    raise ImportError(_NEEDS_STARLETTE) from exc

BUSINESS = "mint"
LOCATIONS = {"phoenix-1": "America/Phoenix", "tempe-1": "America/Phoenix"}
"""The stores and their time zones; a cart for any other location is refused."""

MAX_BODY_BYTES = 64 * 1024
"""The largest request body read; a longer one is a 413."""

ATTEMPTS = 3
"""How many times a checkout is priced when a promotion's last use went to another sale."""

FRIDAY_AFTERNOON = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # 15:00 in Phoenix

# -- the host's own table, beside pricekit's ----------------------------------------------

host_metadata = MetaData()
receipts = Table(
    "checkout_receipts",
    host_metadata,
    Column("sale_id", String(64), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("receipt", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""One row per sale: the receipt given, and a digest of the cart it was given for."""


# -- the store ----------------------------------------------------------------------------


def open_database(path: Path) -> Engine:
    """The SQLite file at ``path``, with pricekit's tables (its migrations) and the host's."""
    engine = create_sqlite_engine(path)
    upgrade(engine)  # pricekit's schema, by the shipped Alembic migrations
    host_metadata.create_all(engine)  # a real host runs its own migrations here
    return engine


def _usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def seed(engine: Engine, *, clock: Clock) -> None:
    """The demonstration's catalog, price list, markdown wave and promotions."""
    SqlCatalogRepository(engine).save(
        categories=[
            Category(id="flower", name="Flower"),
            Category(id="sativa", name="Sativa", parent_id="flower"),
            Category(id="edibles", name="Edibles"),
        ],
        products=[
            Product(id="haze", name="Super Haze", category_id="sativa"),
            Product(id="gummies", name="Mango Gummies", category_id="edibles"),
            Product(id="papers", name="Rolling papers"),
        ],
        variants=[
            Variant(id="haze-1", product_id="haze", sku="HZ-1", price=_usd("12.00")),
            Variant(
                id="gummies-10",
                product_id="gummies",
                sku="GUM-10",
                price=_usd("20.00"),
                cost=_usd("8.00"),
            ),
            Variant(id="papers-1", product_id="papers", sku="PAP-1", price=_usd("2.50")),
        ],
    )
    markdowns = _markdown_service(engine, clock)
    pricing = _pricing_service(engine, clock, markdowns)
    pricing.create_price_list(
        {"id": "retail", "business_id": BUSINESS, "name": "Retail", "currency": "USD"}
    )
    pricing.create_scope({"id": "every-store", "price_list_id": "retail"})
    pricing.create_item(  # Super Haze at 11.00 a gram from 3 grams
        {
            "id": "haze-3",
            "price_list_id": "retail",
            "item_id": "haze-1",
            "min_qty": 3,
            "price": "11.00 USD",
        }
    )
    markdowns.create_plan({"id": "clearance", "business_id": BUSINESS, "name": "Clearance"})
    markdowns.create_wave(  # 25% off the gummies at Phoenix only
        "clearance",
        {
            "id": "gummies-25",
            "name": "Gummies 25% off",
            "method": "percent",
            "value": Decimal(25),
            "reason": "overstock",
            "currency": "USD",
            "scopes": [{"type": "product", "ids": ["gummies"]}],
            "locations": [{"location_id": "phoenix-1"}],
        },
    )
    markdowns.activate("gummies-25")
    store = SqlPromotionUsageRepository(engine)
    promotions = PromotionService(promotions=store, usage=store, clock=clock)
    common = {"business_id": BUSINESS, "currency": "USD", "status": "active"}
    promotions.create_promotion(
        {
            "id": "flower-10",
            "name": "10% off flower",
            "type": "percentage_discount",
            "scope": "line",
            "priority": 10,
            "stackable": True,
            "item_filter": {"category_ids": ["flower"]},
            "rewards": [{"type": "pct_off_item", "percent": "10"}],
            **common,
        }
    )
    promotions.create_promotion(
        {
            "id": "opening-5",
            "name": "Grand opening: 5.00 off (the first two sales)",
            "type": "fixed_discount",
            "scope": "cart",
            "priority": 5,
            "stackable": True,
            "max_uses": 2,
            "conditions": [{"type": "min_amount", "amount": "20.00 USD"}],
            "rewards": [{"type": "fixed_off_all", "amount": "5.00 USD"}],
            **common,
        }
    )
    promotions.create_promotion(
        {
            "id": "papers-3-for-2",
            "name": "Papers: buy 2, get 1 free",
            "type": "bogo",
            "scope": "bundle",
            "priority": 1,
            "item_filter": {"product_ids": ["papers"]},
            "rewards": [{"type": "free_item", "buy_quantity": 2, "reward_quantity": 1}],
            **common,
        }
    )


def _markdown_service(engine: Engine, clock: Clock) -> MarkdownService:
    return MarkdownService(
        plans=SqlMarkdownPlanRepository(engine),
        waves=SqlMarkdownWaveRepository(engine),
        history=SqlMarkdownHistoryRepository(engine),
        catalog=SqlCatalogRepository(engine),
        clock=clock,
    )


def _pricing_service(engine: Engine, clock: Clock, markdowns: MarkdownService) -> PricingService:
    return PricingService(
        lists=SqlPriceListRepository(engine),
        items=SqlPriceListItemRepository(engine),
        scopes=SqlPriceListScopeRepository(engine),
        markdowns=markdowns,  # a markdown active at the location overrides the list price
        clock=clock,
        settings=PricingSettings(enable_price_lists=True),
    )


# -- the checkout, framework-free -----------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResponse:
    """What to answer: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class BadCartError(Exception):
    """A request this checkout refuses; ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class _Sale:
    sale_id: str
    context: EvaluationContext
    items: list[Any]
    digest: str


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else value.to_dict()


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadCartError(name, "must be a non-empty string")
    return value


class Checkout:
    """Prices carts and records promotion usage on one database.

    Args:
        engine: The database (pricekit's tables and ``checkout_receipts``).
        clock: Where "now" comes from when a request gives no ``at``.
    """

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = SystemClock() if clock is None else clock
        self.catalog = SqlCatalogRepository(engine)
        # Price books are compiled once per process; call pricing.refresh() after
        # price writes made elsewhere (another instance, an admin tool).
        self.pricing = _pricing_service(engine, self.clock, _markdown_service(engine, self.clock))

    def handle(self, raw: bytes) -> CheckoutResponse:
        """Answer one ``POST /checkout`` body.

        The body: ``{"sale_id", "location_id", "customer_id"?, "at"?, "items":
        [{"line_id", "variant_id", "quantity"}]}``; ``at`` is an ISO 8601 instant
        with its offset (the sale's time; now when absent).
        """
        if len(raw) > MAX_BODY_BYTES:
            return CheckoutResponse(413, {"error": "body too large", "limit": MAX_BODY_BYTES})
        try:
            sale = self._parse(raw)
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    return self._checkout(sale)
                except UsageLimitReachedError:
                    # Another sale took the promotion's last use between evaluation and
                    # recording; this sale's transaction was rolled back: price it again.
                    if attempt == ATTEMPTS:
                        raise
        except BadCartError as error:
            return _bad(error.field, error.reason)
        except (InvalidValueError, CurrencyMismatchError) as error:
            return _bad(error.field or "items", str(error))
        except NotFoundError as error:
            return _bad(str(error.details.get("field", "items")), str(error))
        except (BackendUnavailableError, UsageLimitReachedError) as error:
            return CheckoutResponse(
                503, {"error": f"try again: {error}"}, headers={"Retry-After": "1"}
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(self, raw: bytes) -> _Sale:
        try:
            body = json.loads(raw, parse_float=Decimal)  # quantities stay exact
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadCartError("body", f"not valid JSON ({error})") from None
        if not isinstance(body, dict):
            raise BadCartError("body", "must be a JSON object")
        sale_id = _text(body, "sale_id")
        if len(sale_id) > 64:
            raise BadCartError("sale_id", "must be at most 64 characters")
        location_id = _text(body, "location_id")
        if location_id not in LOCATIONS:
            raise BadCartError("location_id", f"unknown location {location_id!r}")
        at = self.clock.now()
        if body.get("at") is not None:
            text = _text(body, "at")
            try:
                at = datetime.fromisoformat(text)
            except ValueError:
                raise BadCartError("at", f"not an ISO 8601 instant: {text!r}") from None
            if at.tzinfo is None:
                raise BadCartError("at", "needs a UTC offset (a naive time is ambiguous)")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise BadCartError("items", "must be a non-empty list of lines")
        context = EvaluationContext(
            business_id=BUSINESS,
            location_id=location_id,
            customer_id=None if body.get("customer_id") is None else _text(body, "customer_id"),
            at=at,
            time_zone=LOCATIONS[location_id],
        )
        # What the till sent, not what was filled in: a retry without "at" is the same sale.
        sent = {name: body.get(name) for name in ("location_id", "customer_id", "at", "items")}
        canonical = json.dumps(sent, sort_keys=True, default=str)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return _Sale(sale_id=sale_id, context=context, items=items, digest=digest)

    def _checkout(self, sale: _Sale) -> CheckoutResponse:
        with self.engine.connect() as conn:
            replay = self._replay(conn, sale)
        if replay is not None:  # a retried sale: its receipt, and nothing counted again
            return replay
        # Prices are read before the write transaction: on SQLite it holds the write lock.
        priced = price_cart(sale.items, sale.context, catalog=self.catalog, prices=self.pricing)
        with self.engine.begin() as conn:  # one unit of work: all of it, or none of it
            replay = self._replay(conn, sale)  # the same sale, sent twice at once
            if replay is not None:
                return replay
            # A service per unit of work reads the promotions and their use counts
            # inside this transaction, so it sees every use other sales recorded.
            store = SqlPromotionUsageRepository(conn)
            promotions = PromotionService(promotions=store, usage=store, clock=self.clock)
            result = promotions.evaluate(priced.lines, sale.context)
            for applied in result.applied:
                promotions.record_application(
                    applied.promotion_id,
                    sale_id=sale.sale_id,
                    discount=applied.discount,
                    customer_id=sale.context.customer_id,
                    location_id=sale.context.location_id,
                    applied_at=sale.context.at,
                )
            receipt = _receipt(sale, priced, result)
            conn.execute(
                insert(receipts).values(
                    sale_id=sale.sale_id,
                    request_digest=sale.digest,
                    receipt=json.dumps(receipt, sort_keys=True),
                    created_at=self.clock.now(),
                )
            )
        return CheckoutResponse(200, receipt | {"replayed": False})

    @staticmethod
    def _replay(conn: Connection, sale: _Sale) -> CheckoutResponse | None:
        """The stored answer to a sale already checked out, or ``None`` for a new sale."""
        stored = conn.execute(
            select(receipts.c.request_digest, receipts.c.receipt).where(
                receipts.c.sale_id == sale.sale_id
            )
        ).first()
        if stored is None:
            return None
        if stored.request_digest != sale.digest:
            return CheckoutResponse(
                409,
                {
                    "error": f"sale {sale.sale_id!r} was checked out with another cart",
                    "field": "sale_id",
                },
            )
        return CheckoutResponse(200, json.loads(stored.receipt) | {"replayed": True})


def _bad(field_name: str, reason: str) -> CheckoutResponse:
    return CheckoutResponse(400, {"error": reason, "field": field_name})


def _receipt(sale: _Sale, priced: PricedCart, result: EvaluationResult) -> dict[str, Any]:
    """The receipt as JSON values: each line's price and where it came from, and the totals."""
    lines = []
    for line, price, outcome in zip(priced.lines, priced.prices, result.lines, strict=True):
        lines.append(
            {
                "line_id": line.line_id,
                "variant_id": line.variant_id,
                "quantity": str(line.quantity),
                "unit_price": _money(line.unit_price),
                "price_source": price.source.value,
                "price_list_id": price.price_list_id,
                "markdown_wave_id": price.markdown_wave_id,
                "original_unit_price": _money(price.original_price),
                "subtotal": _money(outcome.subtotal),
                "discounts": [
                    {"promotion_id": d.promotion_id, "amount": _money(d.amount)}
                    for d in outcome.discounts
                ],
                "total": _money(outcome.total),
            }
        )
    return {
        "sale_id": sale.sale_id,
        "location_id": sale.context.location_id,
        "at": sale.context.at.isoformat(),
        "lines": lines,
        "applied": [
            {"promotion_id": a.promotion_id, "name": a.name, "discount": _money(a.discount)}
            for a in result.applied
        ],
        "not_applied": [
            {"promotion_id": r.promotion_id, "reason": r.reason.value, "detail": r.detail}
            for r in result.rejections
        ],
        "subtotal": _money(result.subtotal),
        "discount": _money(result.total_discount),
        "total": _money(result.total),
    }


# -- the app ------------------------------------------------------------------------------


def create_app(checkout: Checkout) -> Starlette:
    """A Starlette app with ``POST /checkout``.

    Args:
        checkout: The configured checkout (its database and clock).
    """

    async def post_checkout(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():  # read no further than one byte past the limit
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                break
        answer = await run_in_threadpool(checkout.handle, bytes(body))
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    return Starlette(routes=[Route("/checkout", post_checkout, methods=["POST"])])


# -- the demonstration --------------------------------------------------------------------


def demo_cart(sale_id: str, **changes: Any) -> dict[str, Any]:
    """A cart at Phoenix on a Friday afternoon: flower at its tier, marked-down gummies, papers."""
    return {
        "sale_id": sale_id,
        "location_id": "phoenix-1",
        "at": FRIDAY_AFTERNOON.isoformat(),
        "items": [
            {"line_id": "1", "variant_id": "haze-1", "quantity": 3},
            {"line_id": "2", "variant_id": "gummies-10", "quantity": 1},
            {"line_id": "3", "variant_id": "papers-1", "quantity": 2},
        ],
        **changes,
    }


def _show(label: str, status: int, body: Mapping[str, Any]) -> None:
    print(f"{label}\n  -> {status}", end="")
    if status != 200:
        print(f" {json.dumps(body, sort_keys=True)}")
        return
    print(" (replayed)" if body["replayed"] else "")
    for line in body["lines"]:
        unit = line["unit_price"]["amount"]
        print(f"     {line['variant_id']:<11} {line['quantity']} x {unit} ({line['price_source']})")
    for applied in body["applied"]:
        print(f"     applied  {applied['promotion_id']}: -{applied['discount']['amount']}")
    for rejected in body["not_applied"]:
        print(f"     not applied  {rejected['promotion_id']}: {rejected['detail']}")
    print(f"     total {body['total']['amount']} {body['total']['currency']}")


def run_demo(database: Path) -> None:
    """Check out a few sales, retry one, use up a promotion, send a bad cart; print the answers."""
    with warnings.catch_warnings():
        # Recent Starlette prefers httpx2 and warns when its test client runs on httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        try:
            from starlette.testclient import TestClient  # noqa: PLC0415 - only the demo needs it
        except (ImportError, RuntimeError) as exc:  # pragma: no cover - depends on the environment
            raise SystemExit("the demonstration needs httpx: pip install httpx") from exc

    clock = FixedClock(FRIDAY_AFTERNOON)
    engine = open_database(database)
    try:
        seed(engine, clock=clock)
        with TestClient(create_app(Checkout(engine, clock=clock))) as client:
            for label, body in [
                ("sale-1", demo_cart("sale-1")),
                ("sale-1 again (the till retried)", demo_cart("sale-1")),
                ("sale-2", demo_cart("sale-2")),
                ("sale-3 (the opening offer is used up)", demo_cart("sale-3")),
                (
                    "sale-4 with a bad quantity",
                    demo_cart(
                        "sale-4", items=[{"line_id": "1", "variant_id": "haze-1", "quantity": 0}]
                    ),
                ),
            ]:
                answer = client.post("/checkout", json=body)
                _show(f"POST /checkout {label}", answer.status_code, answer.json())
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demonstration, or serve the app with ``--serve``.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--serve", action="store_true", help="serve the app with uvicorn")
    parser.add_argument("--db", type=Path, help="the SQLite file to serve (seeded when new)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not args.serve:
        with tempfile.TemporaryDirectory() as folder:
            run_demo(Path(folder) / "checkout.db")
        return 0
    if args.db is None:
        print("--serve needs --db PATH", file=sys.stderr)
        return 2
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ImportError:
        print("--serve needs uvicorn: pip install uvicorn", file=sys.stderr)
        return 2
    new = not args.db.exists()
    engine = open_database(args.db)
    if new:
        seed(engine, clock=SystemClock())
    uvicorn.run(create_app(Checkout(engine)), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
