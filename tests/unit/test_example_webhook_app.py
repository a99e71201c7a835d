"""examples/webhook_app.py: the PTL webhook mounted on Starlette, driven through its test client."""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pricekit.memory.deals import InMemoryDealCache

try:
    import starlette  # noqa: F401 - only checks that it is installed
except ImportError:
    pytest.skip("the example needs Starlette (a dev dependency)", allow_module_level=True)
try:
    with warnings.catch_warnings():
        # Recent Starlette prefers httpx2 and warns when its test client runs on httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette import testclient
except (ImportError, RuntimeError) as exc:  # Starlette raises RuntimeError without httpx
    pytest.skip(f"Starlette's test client needs httpx: {exc}", allow_module_level=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_app.py"
KEY = "k-example-0123456789"
LOC = "loc-phoenix"
SYNC = "/api/webhook/ptl-discount-sync"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_app_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app_module = _load_example()


def publication(*ids: object, location: str | None = LOC) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "ptl",
        "discounts": [
            {"id": i, "name": f"PTL {i}", "discount_type": "percent", "discount_value": 20}
            for i in ids
        ],
    }
    if location is not None:
        body["location_id"] = location
    return body


@pytest.fixture
def cache() -> InMemoryDealCache:
    return InMemoryDealCache()


@pytest.fixture
def client(cache: InMemoryDealCache) -> Iterator[Any]:
    webhook = app_module.create_webhook([KEY], cache=cache)
    with testclient.TestClient(app_module.create_app(webhook)) as test_client:
        yield test_client


def test_publish_then_read_back(client: Any, cache: InMemoryDealCache) -> None:
    answer = client.post(SYNC, json=publication("ptl_1", 2), headers={"X-API-Key": KEY})
    assert answer.status_code == 200
    assert answer.json() == {
        "location_id": LOC,
        "received": 2,
        "merged": 2,
        "ptl": [f"{LOC}_ptl_1", f"{LOC}_ptl_2"],
        "dutchie_kept": 0,
        "replaced_by_dutchie": {},
    }
    answer = client.get(f"/api/locations/{LOC}/discounts")
    assert answer.status_code == 200
    body = answer.json()
    cached = cache.get(LOC)
    assert cached is not None
    assert body["discounts"] == [json.loads(json.dumps(d.to_record())) for d in cached]
    assert body["count"] == 2


def test_bulk_route_takes_the_path_location(client: Any, cache: InMemoryDealCache) -> None:
    url = "/api/locations/loc-denver/discounts/bulk"
    answer = client.post(url, json=publication(7, location=None), headers={"x-api-key": KEY})
    assert answer.status_code == 200
    assert answer.json()["ptl"] == ["loc-denver_ptl_7"]
    assert [deal.id for deal in cache.get("loc-denver") or []] == ["loc-denver_ptl_7"]
    # the same body again: the same answer and the same set
    again = client.post(url, json=publication(7, location=None), headers={"x-api-key": KEY})
    assert again.json() == answer.json()


def test_refusals(client: Any, cache: InMemoryDealCache) -> None:
    auth = {"X-API-Key": KEY}
    assert client.post(SYNC, json=publication(1)).status_code == 401
    assert client.post(SYNC, json=publication(1), headers={"X-API-Key": "no"}).status_code == 401
    answer = client.post(SYNC, content=b"{not json", headers=auth)
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]
    answer = client.post(SYNC, json=publication(1, 1), headers=auth)
    assert answer.status_code == 422
    assert answer.json()["field"] == "discounts[1].id"
    answer = client.post(SYNC, json=publication(1, location=None), headers=auth)
    assert answer.status_code == 422
    assert answer.json()["field"] == "location_id"
    answer = client.post(SYNC, json=publication(1, location="loc-tucson"), headers=auth)
    assert answer.status_code == 404
    assert client.get("/api/locations/loc-denver/discounts").status_code == 404
    assert client.get(SYNC).status_code == 405
    assert cache.locations() == []


def test_a_broken_cache_is_503(client: Any, cache: InMemoryDealCache) -> None:
    auth = {"X-API-Key": KEY}
    assert client.post(SYNC, json=publication(1), headers=auth).status_code == 200
    before = cache.get(LOC)
    cache.break_reads()
    answer = client.post(SYNC, json=publication(2), headers=auth)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    answer = client.get(f"/api/locations/{LOC}/discounts")
    assert answer.status_code == 503
    assert "discounts" not in answer.json()
    cache.heal()
    assert cache.get(LOC) == before


def test_a_body_over_the_limit_is_413_without_reading_it_all(cache: InMemoryDealCache) -> None:
    webhook = app_module.PtlWebhook(
        cache=cache,
        api_keys=[KEY],
        time_zone_for=app_module.LOCATIONS,
        max_body_bytes=100,
    )
    with testclient.TestClient(app_module.create_app(webhook)) as client:
        big = json.dumps(publication(*range(50))).encode()
        answer = client.post(SYNC, content=big, headers={"X-API-Key": KEY})
        assert answer.status_code == 413
        assert answer.json()["limit"] == 100

        def chunks() -> Iterator[bytes]:
            yield from (b" " * 64 for _ in range(100))

        answer = client.post(SYNC, content=chunks(), headers={"X-API-Key": KEY})
        assert answer.status_code == 413
    assert cache.locations() == []


def test_the_demonstration_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # run_demo, not main: main configures logging, which a test must not do (and
    # tests/unit/test_examples.py runs the whole program)
    app_module.run_demo()
    out = capsys.readouterr().out
    for status in ("200", "401", "404", "503"):
        assert f"-> {status}" in out


def test_serving_needs_api_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(app_module.API_KEYS_VARIABLE, raising=False)
    assert app_module.main(["--serve"]) == 2
    assert app_module.API_KEYS_VARIABLE in capsys.readouterr().err
