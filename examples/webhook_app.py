"""The PTL webhook on Starlette: the seed's three deal routes over an in-memory deal cache.

- ``POST /api/webhook/ptl-discount-sync``: the promotional calendar publishes a
  location's PTL set (``{location_id, source: "ptl", discounts: [...]}``, with an
  ``X-API-Key`` header);
- ``POST /api/locations/{location_id}/discounts/bulk``: the same, the location
  in the path;
- ``GET /api/locations/{location_id}/discounts``: the deals cached for a location.

All the HTTP logic is :class:`pricekit.sync.webhook.PtlWebhook`, which knows no
framework; this file only routes requests to it, reads bodies no further than
its size limit, and runs it in a worker thread (the cache does I/O).

Starlette is not a pricekit dependency: ``pip install starlette httpx``.

- ``python examples/webhook_app.py`` runs a short demonstration in process,
  with Starlette's ``TestClient`` (which needs httpx);
- ``python examples/webhook_app.py --serve`` serves the app with uvicorn
  (``pip install uvicorn``); set ``PRICEKIT_WEBHOOK_API_KEYS`` to the accepted
  key first (several, comma-separated, while rotating).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import secrets
import sys
import warnings
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pricekit.deals.models import Deal, DealReward, DealSource, RewardMethod, deal_id
from pricekit.memory.deals import InMemoryDealCache
from pricekit.sync.webhook import PtlWebhook, WebhookResponse

_NEEDS_STARLETTE = (
    "examples/webhook_app.py needs Starlette, which pricekit does not depend on: "
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

API_KEYS_VARIABLE = "PRICEKIT_WEBHOOK_API_KEYS"
"""The environment variable ``--serve`` reads the accepted API keys from."""

LOCATIONS = {
    "loc-phoenix": "America/Phoenix",
    "loc-denver": "America/Denver",
}
"""The demonstration's stores and their time zones; any other location is unknown (404)."""


# -- the app ------------------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    """The request's body, read no further than one byte past ``limit``.

    A longer body is cut there: the webhook sees more than ``limit`` bytes and
    answers 413, and the rest is never read into memory.
    """
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


def _respond(answer: WebhookResponse) -> Response:
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def create_app(webhook: PtlWebhook) -> Starlette:
    """A Starlette app with the webhook's three routes.

    Args:
        webhook: The configured webhook (its cache, API keys and locations).
    """

    async def ptl_discount_sync(request: Request) -> Response:
        body = await _read_body(request, webhook.max_body_bytes)
        answer = await run_in_threadpool(webhook.handle_ptl_sync, request.headers, body)
        return _respond(answer)

    async def bulk(request: Request) -> Response:
        location_id = str(request.path_params["location_id"])
        body = await _read_body(request, webhook.max_body_bytes)
        answer = await run_in_threadpool(webhook.handle_bulk, location_id, request.headers, body)
        return _respond(answer)

    async def discounts(request: Request) -> Response:
        location_id = str(request.path_params["location_id"])
        answer = await run_in_threadpool(webhook.handle_get_discounts, location_id)
        return _respond(answer)

    return Starlette(
        routes=[
            Route("/api/webhook/ptl-discount-sync", ptl_discount_sync, methods=["POST"]),
            Route("/api/locations/{location_id}/discounts/bulk", bulk, methods=["POST"]),
            Route("/api/locations/{location_id}/discounts", discounts, methods=["GET"]),
        ]
    )


def create_webhook(
    api_keys: Sequence[str], *, cache: InMemoryDealCache | None = None
) -> PtlWebhook:
    """The demonstration's webhook: an in-memory cache and the stores of :data:`LOCATIONS`.

    Args:
        api_keys: The accepted API keys.
        cache: The deal cache (a new, empty one when ``None``).
    """
    return PtlWebhook(
        cache=cache if cache is not None else InMemoryDealCache(),
        api_keys=api_keys,
        time_zone_for=LOCATIONS,
    )


# -- the demonstration --------------------------------------------------------------------


def _dutchie_deal(location_id: str, discount_id: str, name: str) -> Deal:
    """A deal as the POS sync would have cached it."""
    return Deal(
        id=deal_id(location_id, discount_id, DealSource.DUTCHIE),
        discount_id=discount_id,
        location_id=location_id,
        source=DealSource.DUTCHIE,
        name=name,
        time_zone=LOCATIONS[location_id],
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal(15)),
    )


def _publication(location_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "ptl",
        "discounts": [
            {
                "id": "ptl_9001",
                "name": "Munchie Monday",
                "discount_type": "percent",
                "discount_value": 20,
                "start_date": "2026-11-02",
                "end_date": "2026-11-30",
                "days": ["monday"],
                "product_categories": ["edibles"],
            },
            {"id": 9002, "name": "Happy Hour", "discount_type": "percent", "discount_value": 15},
        ],
    }
    if location_id is not None:
        body["location_id"] = location_id
    return body


def _show(label: str, status: int, body: Any) -> None:
    print(f"{label}\n  -> {status} {json.dumps(body, sort_keys=True)[:300]}")


def run_demo() -> None:
    """Publish, read back and refuse a few requests, in process, and print the answers."""
    with warnings.catch_warnings():
        # Recent Starlette prefers httpx2 and warns when its test client runs on httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        try:
            from starlette.testclient import TestClient  # noqa: PLC0415 - only the demo needs it
        except (ImportError, RuntimeError) as exc:  # pragma: no cover - depends on the environment
            raise SystemExit("the demonstration needs httpx: pip install httpx") from exc

    key = secrets.token_urlsafe(24)
    cache = InMemoryDealCache()
    # The POS sync has cached a Dutchie deal that PTL also published: Dutchie wins.
    cache.replace("loc-phoenix", [_dutchie_deal("loc-phoenix", "4410", "Happy Hour")])
    app = create_app(create_webhook([key], cache=cache))
    auth = {"X-API-Key": key}
    with TestClient(app) as client:
        url = "/api/webhook/ptl-discount-sync"
        answer = client.post(url, json=_publication("loc-phoenix"), headers=auth)
        _show(f"POST {url} (loc-phoenix)", answer.status_code, answer.json())
        url = "/api/locations/loc-denver/discounts/bulk"
        answer = client.post(url, json=_publication(None), headers=auth)
        _show(f"POST {url}", answer.status_code, answer.json())
        url = "/api/locations/loc-phoenix/discounts"
        answer = client.get(url)
        ids = [record["id"] for record in answer.json()["discounts"]]
        _show(f"GET {url}", answer.status_code, {"ids": ids})
        url = "/api/webhook/ptl-discount-sync"
        answer = client.post(url, json=_publication("loc-phoenix"), headers={"X-API-Key": "no"})
        _show(f"POST {url} with a wrong key", answer.status_code, answer.json())
        answer = client.post(url, json=_publication("loc-tucson"), headers=auth)
        _show(f"POST {url} (an unknown location)", answer.status_code, answer.json())
        cache.break_reads("redis is down")
        answer = client.get("/api/locations/loc-phoenix/discounts")
        _show("GET while the cache is down", answer.status_code, answer.json())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demonstration, or serve the app with ``--serve``.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--serve", action="store_true", help="serve the app with uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    keys = [key.strip() for key in os.environ.get(API_KEYS_VARIABLE, "").split(",") if key.strip()]
    if args.serve and not keys:
        print(f"set {API_KEYS_VARIABLE} to the accepted API key(s) first", file=sys.stderr)
        return 2
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pricekit").setLevel(logging.INFO)
    if not args.serve:
        run_demo()
        return 0
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ImportError:
        print("--serve needs uvicorn: pip install uvicorn", file=sys.stderr)
        return 2
    uvicorn.run(create_app(create_webhook(keys)), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
