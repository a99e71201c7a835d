"""The framework-free PTL webhook: every status of its three routes, and concurrent publications."""

from __future__ import annotations

import hmac
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest

from pricekit.deals.models import Deal, DealReward, DealSource, RewardMethod, deal_id
from pricekit.errors import BackendUnavailableError, InvalidValueError
from pricekit.memory.deals import InMemoryDealCache
from pricekit.sync.webhook import (
    API_KEY_HEADER,
    DEFAULT_MAX_BODY_BYTES,
    PtlWebhook,
    WebhookResponse,
)

LOC = "loc-phx"
OTHER = "loc-den"
KEY = "k-current-0123456789"
OLD_KEY = "k-previous-9876543210"
ZONES = {LOC: "America/Phoenix", OTHER: "America/Denver"}
AUTH = {API_KEY_HEADER: KEY}


# -- helpers ------------------------------------------------------------------------------


def discount(discount_id: object, name: str = "", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": discount_id,
        "name": name or f"PTL {discount_id}",
        "discount_type": "percent",
        "discount_value": 20,
    }
    record.update(changes)
    return record


def publication(
    *discounts: dict[str, Any], location: object = LOC, **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"source": "ptl", "discounts": list(discounts)}
    if location is not None:
        body["location_id"] = location
    body.update(changes)
    return body


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def dutchie(discount_id: str, name: str = "", *, location: str = LOC) -> Deal:
    return Deal(
        id=deal_id(location, discount_id, DealSource.DUTCHIE),
        discount_id=discount_id,
        location_id=location,
        source=DealSource.DUTCHIE,
        name=name or f"Dutchie {discount_id}",
        time_zone=ZONES.get(location, "UTC"),
        reward=DealReward(method=RewardMethod.PERCENT_OFF, percent=Decimal(10)),
    )


def ids(deals: Sequence[Deal] | None) -> list[str]:
    assert deals is not None
    return [deal.id for deal in deals]


def checked(response: WebhookResponse, status: int) -> dict[str, Any]:
    """The response's body, once its status is ``status`` and the body is plain JSON."""
    assert response.status == status, response.body
    assert json.loads(json.dumps(response.body, allow_nan=False)) == response.body
    return response.body


@pytest.fixture
def cache() -> InMemoryDealCache:
    return InMemoryDealCache()


@pytest.fixture
def webhook(cache: InMemoryDealCache) -> PtlWebhook:
    return PtlWebhook(cache=cache, api_keys=[KEY], time_zone_for=ZONES)


# -- construction -------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [[], (), ""])
def test_at_least_one_api_key_is_required(cache: InMemoryDealCache, keys: Any) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PtlWebhook(cache=cache, api_keys=keys, time_zone_for=ZONES)
    assert caught.value.field in {"api_keys", "api_keys[0]"}


def test_an_empty_key_is_refused_without_echoing_the_others(cache: InMemoryDealCache) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PtlWebhook(cache=cache, api_keys=[KEY, "  "], time_zone_for=ZONES)
    assert caught.value.field == "api_keys[1]"
    assert KEY not in str(caught.value)


def test_bad_settings_are_refused(cache: InMemoryDealCache) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, currency="XXX")
    assert caught.value.field == "currency"
    with pytest.raises(InvalidValueError) as caught:
        PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, max_body_bytes=0)
    assert caught.value.field == "max_body_bytes"


def test_repr_hides_the_keys(cache: InMemoryDealCache) -> None:
    hook = PtlWebhook(cache=cache, api_keys=[KEY, OLD_KEY], time_zone_for=ZONES)
    text = repr(hook)
    assert KEY not in text
    assert OLD_KEY not in text
    assert "2 hidden" in text
    assert hook.max_body_bytes == DEFAULT_MAX_BODY_BYTES


# -- 200 ----------------------------------------------------------------------------------


def test_webhook_merges_a_publication(webhook: PtlWebhook, cache: InMemoryDealCache) -> None:
    cache.replace(LOC, [dutchie("101"), dutchie("102")])
    body = checked(
        webhook.handle_ptl_sync(AUTH, raw(publication(discount("ptl_1"), discount(2)))), 200
    )
    assert body == {
        "location_id": LOC,
        "received": 2,
        "merged": 4,
        "ptl": [f"{LOC}_ptl_1", f"{LOC}_ptl_2"],
        "dutchie_kept": 2,
        "replaced_by_dutchie": {},
    }
    assert ids(cache.get(LOC)) == [f"{LOC}_101", f"{LOC}_102", f"{LOC}_ptl_1", f"{LOC}_ptl_2"]
    stored = cache.get(LOC)
    assert stored is not None
    assert stored[2].source is DealSource.PTL
    assert stored[2].time_zone == "America/Phoenix"


def test_bulk_takes_the_location_from_the_path(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    body = checked(
        webhook.handle_bulk(OTHER, AUTH, raw(publication(discount(7), location=None))), 200
    )
    assert body["location_id"] == OTHER
    assert body["ptl"] == [f"{OTHER}_ptl_7"]
    assert ids(cache.get(OTHER)) == [f"{OTHER}_ptl_7"]
    assert cache.get(LOC) is None
    # the body may name the location too, if it is the path's
    checked(webhook.handle_bulk(OTHER, AUTH, raw(publication(discount(8), location=OTHER))), 200)
    assert ids(cache.get(OTHER)) == [f"{OTHER}_ptl_8"]


def test_bulk_refuses_a_body_of_another_location(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    body = checked(webhook.handle_bulk(OTHER, AUTH, raw(publication(discount(7)))), 422)
    assert body["field"] == "location_id"
    assert body["value"] == LOC
    assert cache.locations() == []


def test_the_same_publication_twice_gives_the_same_set_and_answer(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    cache.replace(LOC, [dutchie("101")])
    payload = raw(publication(discount(1), discount(2, end_date="2026-11-30")))
    first = checked(webhook.handle_ptl_sync(AUTH, payload), 200)
    cached = cache.get(LOC)
    second = checked(webhook.handle_ptl_sync(AUTH, payload), 200)
    assert second == first
    assert cache.get(LOC) == cached
    # and through the other route, the same again
    bulk = raw(publication(discount(1), discount(2, end_date="2026-11-30"), location=None))
    assert checked(webhook.handle_bulk(LOC, AUTH, bulk), 200) == first
    assert cache.get(LOC) == cached


def test_a_publication_replaces_the_ptl_set(webhook: PtlWebhook, cache: InMemoryDealCache) -> None:
    cache.replace(LOC, [dutchie("101")])
    checked(webhook.handle_ptl_sync(AUTH, raw(publication(discount(1), discount(2)))), 200)
    body = checked(webhook.handle_ptl_sync(AUTH, raw(publication(discount(3)))), 200)
    assert body["ptl"] == [f"{LOC}_ptl_3"]
    assert ids(cache.get(LOC)) == [f"{LOC}_101", f"{LOC}_ptl_3"]
    # an empty publication withdraws every PTL deal; the cached set becomes Dutchie's alone
    body = checked(webhook.handle_ptl_sync(AUTH, raw(publication())), 200)
    assert body["ptl"] == []
    assert body["merged"] == 1
    assert ids(cache.get(LOC)) == [f"{LOC}_101"]


def test_a_ptl_deal_also_in_dutchie_is_left_out(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    cache.replace(LOC, [dutchie("101", "Happy Hour"), dutchie("55")])
    payload = publication(
        discount(1, "happy   HOUR"),  # the same name: the Dutchie record wins
        discount(55),  # the same discount id
        discount(2),
    )
    body = checked(webhook.handle_ptl_sync(AUTH, raw(payload)), 200)
    assert body["replaced_by_dutchie"] == {
        f"{LOC}_ptl_1": f"{LOC}_101",
        f"{LOC}_ptl_55": f"{LOC}_55",
    }
    assert body["ptl"] == [f"{LOC}_ptl_2"]
    assert body["dutchie_kept"] == 2
    assert body["received"] == 3
    assert body["merged"] == 3
    assert ids(cache.get(LOC)) == [f"{LOC}_101", f"{LOC}_55", f"{LOC}_ptl_2"]


@pytest.mark.parametrize(
    "form",
    [
        json.dumps,
        lambda body: json.dumps(body).encode(),
        lambda body: bytearray(json.dumps(body).encode()),
        lambda body: json.loads(json.dumps(body), parse_float=Decimal),
        lambda body: json.dumps(body).encode("utf-16"),
    ],
    ids=["str", "bytes", "bytearray", "parsed", "utf-16"],
)
def test_every_body_form_is_read(
    webhook: PtlWebhook, cache: InMemoryDealCache, form: Callable[[dict[str, Any]], Any]
) -> None:
    payload = publication(discount(1, "Café", discount_type="fixed", discount_value=2.5))
    checked(webhook.handle_ptl_sync(AUTH, form(payload)), 200)
    stored = cache.get(LOC)
    assert stored is not None
    assert stored[0].name == "Café"
    assert stored[0].reward.amount is not None
    assert str(stored[0].reward.amount) == "2.50 USD"


def test_a_callable_gives_the_time_zone(cache: InMemoryDealCache) -> None:
    asked: list[str] = []

    def zone_of(location: str) -> str | None:
        asked.append(location)
        return "America/New_York" if location == "loc-nyc" else None

    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=zone_of, currency="CAD")
    checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1), location="loc-nyc"))), 200)
    stored = cache.get("loc-nyc")
    assert stored is not None
    assert stored[0].time_zone == "America/New_York"
    assert stored[0].currency == "CAD"
    assert asked == ["loc-nyc"]


# -- 401 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "application/json"},
        {API_KEY_HEADER: ""},
        {API_KEY_HEADER: "wrong"},
        {API_KEY_HEADER: KEY + "x"},
        {API_KEY_HEADER: KEY[:-1]},
        {"Authorization": f"Bearer {KEY}"},
        [(API_KEY_HEADER, KEY), ("x-api-key", KEY)],  # given twice: refused
        {API_KEY_HEADER: "ключ"},  # not ASCII: compared, refused, no crash
    ],
    ids=["none", "other", "empty", "wrong", "longer", "shorter", "bearer", "twice", "unicode"],
)
def test_a_missing_or_wrong_key_is_401_and_writes_nothing(
    webhook: PtlWebhook, cache: InMemoryDealCache, headers: Any
) -> None:
    payload = raw(publication(discount(1)))
    body = checked(webhook.handle_ptl_sync(headers, payload), 401)
    assert API_KEY_HEADER in body["error"]
    assert KEY not in json.dumps(body)
    body = checked(webhook.handle_bulk(LOC, headers, payload), 401)
    assert cache.locations() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": KEY},
        {"X-API-KEY": KEY},
        [("Accept", "*/*"), ("X-Api-Key", KEY)],
        [(b"x-api-key", KEY.encode())],  # raw ASGI pairs
        {API_KEY_HEADER: f" {KEY} "},
    ],
    ids=["lower", "upper", "pairs", "bytes", "padded"],
)
def test_the_header_is_matched_ignoring_case(webhook: PtlWebhook, headers: Any) -> None:
    checked(webhook.handle_ptl_sync(headers, raw(publication(discount(1)))), 200)


def test_key_rotation_accepts_every_configured_key(cache: InMemoryDealCache) -> None:
    hook = PtlWebhook(cache=cache, api_keys=(OLD_KEY, KEY), time_zone_for=ZONES)
    payload = raw(publication(discount(1)))
    checked(hook.handle_ptl_sync({API_KEY_HEADER: OLD_KEY}, payload), 200)
    checked(hook.handle_ptl_sync({API_KEY_HEADER: KEY}, payload), 200)
    checked(hook.handle_ptl_sync({API_KEY_HEADER: "k-retired"}, payload), 401)
    # once the old key is retired, only the new one passes
    rotated = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES)
    checked(rotated.handle_ptl_sync({API_KEY_HEADER: OLD_KEY}, payload), 401)
    checked(rotated.handle_ptl_sync({API_KEY_HEADER: KEY}, payload), 200)


def test_every_key_is_compared(monkeypatch: pytest.MonkeyPatch, cache: InMemoryDealCache) -> None:
    """No early exit: the number of comparisons does not depend on which key matched."""
    calls: list[int] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    keys = ["k-one-aaaaaaaa", "k-two-bbbbbbbb", "k-three-cccccc"]
    hook = PtlWebhook(cache=cache, api_keys=keys, time_zone_for=ZONES)
    for key in [*keys, "nope"]:
        calls.clear()
        hook.handle_ptl_sync({API_KEY_HEADER: key}, raw(publication()))
        assert len(calls) == 3


def test_logs_never_hold_a_key_or_the_body(
    webhook: PtlWebhook, cache: InMemoryDealCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pricekit")
    webhook.handle_ptl_sync({API_KEY_HEADER: "guess-1234"}, raw(publication(discount(1))))
    webhook.handle_ptl_sync(AUTH, raw(publication(discount(1, "Secret Sale"))))
    webhook.handle_ptl_sync(AUTH, b"{nope")
    cache.break_reads()
    webhook.handle_ptl_sync(AUTH, raw(publication(discount(1))))
    assert len(caplog.records) >= 4
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert KEY not in text
    assert "guess-1234" not in text
    assert "Secret Sale" not in text
    assert any(r.levelno == logging.WARNING and "API key" in r.getMessage() for r in caplog.records)


# -- 413 ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(cache: InMemoryDealCache) -> None:
    payload = raw(publication(discount(1)))
    hook = PtlWebhook(
        cache=cache, api_keys=KEY, time_zone_for=ZONES, max_body_bytes=len(payload) - 1
    )
    body = checked(hook.handle_ptl_sync(AUTH, payload), 413)
    assert body["limit"] == len(payload) - 1
    checked(hook.handle_ptl_sync(AUTH, payload.decode()), 413)
    checked(hook.handle_bulk(LOC, AUTH, payload), 413)
    assert cache.locations() == []
    # the limit counts bytes, not characters
    text = json.dumps(publication(discount(1, "é" * 10)), ensure_ascii=False)
    sized = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, max_body_bytes=len(text) + 5)
    checked(sized.handle_ptl_sync(AUTH, text), 413)
    # exactly at the limit is accepted; a parsed body has no size
    exact = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, max_body_bytes=len(payload))
    checked(exact.handle_ptl_sync(AUTH, payload), 200)
    checked(hook.handle_ptl_sync(AUTH, publication(discount(1))), 200)


def test_the_key_is_checked_before_the_size(cache: InMemoryDealCache) -> None:
    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, max_body_bytes=10)
    checked(hook.handle_ptl_sync({}, b"x" * 100), 401)


# -- 400 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"{nope", "not valid JSON: Expecting property name"),
        (b'{"location_id": "loc-phx",', "not valid JSON"),
        (b"", "empty"),
        (b"   \n", "empty"),
        ("", "empty"),
        (b'{"discounts": [{"discount_value": NaN}]}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"location_id": "a", "location_id": "b"}', "'location_id' is given twice"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"discounts": [{"id": ' + b"9" * 5000 + b"}]}", "not acceptable JSON"),
    ],
    ids=[
        "syntax",
        "truncated",
        "empty",
        "blank",
        "empty-str",
        "nan",
        "infinity",
        "repeated-key",
        "not-utf8",
        "deep",
        "huge-int",
    ],
)
def test_a_body_that_is_not_json_is_400_naming_the_problem(
    webhook: PtlWebhook, cache: InMemoryDealCache, payload: bytes | str, problem: str
) -> None:
    body = checked(webhook.handle_ptl_sync(AUTH, payload), 400)
    assert problem in body["error"]
    checked(webhook.handle_bulk(LOC, AUTH, payload), 400)
    assert cache.locations() == []


def test_a_syntax_error_says_where(webhook: PtlWebhook) -> None:
    body = checked(webhook.handle_ptl_sync(AUTH, b'{\n  "location_id": loc\n}'), 400)
    assert "line 2 column 18" in body["error"]


# -- 422 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "value"),
    [
        (publication(discount(1), discount("ptl_1")), "discounts[1].id", "1"),
        (publication(discount(1), location=None), "location_id", None),
        (publication(discount(1), location=""), "location_id", None),
        (publication(discount(1), location=42), "location_id", 42),
        (publication(discount(1), source="dutchie"), "source", "dutchie"),
        (publication(discount(1), extra=True), "extra", True),
        (publication(discount(5, discount_type="bogo")), "discount[5].discount_type", "bogo"),
        (publication(discount(5, colour="red")), "discount[5].colour", "red"),
        (
            publication(discount(5, discount_type="fixed", discount_value="1.005")),
            "discount[5].discount_value",
            "1.005",
        ),
        (publication(discount(5, discount_value=150)), "discount[5].discount_value", 150),
        (publication(discounts={"id": 1}), "discounts", "{'id': 1}"),
        (publication(discounts=[1]), "discounts[0]", 1),
        (publication(discount(None)), "discounts[0].id", None),
    ],
    ids=[
        "duplicate-id",
        "no-location",
        "empty-location",
        "location-not-text",
        "source",
        "unknown-key",
        "discount-type",
        "discount-unknown-key",
        "sub-cent",
        "percent-over-100",
        "discounts-not-list",
        "discount-not-object",
        "no-id",
    ],
)
def test_a_refused_body_is_422_naming_the_field(
    webhook: PtlWebhook,
    cache: InMemoryDealCache,
    payload: dict[str, Any],
    field: str,
    value: object,
) -> None:
    cache.replace(LOC, [dutchie("101")])
    before = cache.get(LOC)
    body = checked(webhook.handle_ptl_sync(AUTH, raw(payload)), 422)
    assert body["field"] == field
    assert body["value"] == value
    assert field in body["error"]
    assert body["reason"]
    assert cache.get(LOC) == before


def test_a_body_that_is_not_an_object_is_422(webhook: PtlWebhook) -> None:
    payloads: list[Any] = [b"[]", b'"text"', b"3", [{"location_id": LOC}]]
    for payload in payloads:
        body = checked(webhook.handle_ptl_sync(AUTH, payload), 422)
        assert body["field"] == "body"


def test_a_long_refused_value_is_cut(webhook: PtlWebhook) -> None:
    body = checked(
        webhook.handle_ptl_sync(AUTH, raw(publication(discount(1, discount_type="x" * 5000)))),
        422,
    )
    assert body["field"] == "discount[1].discount_type"
    assert len(body["value"]) <= 200
    assert body["value"].endswith("...")


def test_bulk_names_a_duplicate_id(webhook: PtlWebhook) -> None:
    payload = raw(publication(discount("a"), discount("b"), discount("ptl_a"), location=None))
    body = checked(webhook.handle_bulk(LOC, AUTH, payload), 422)
    assert body["field"] == "discounts[2].id"


# -- 404 ----------------------------------------------------------------------------------


def test_an_unknown_location_is_404(webhook: PtlWebhook, cache: InMemoryDealCache) -> None:
    body = checked(webhook.handle_ptl_sync(AUTH, raw(publication(discount(1), location="x"))), 404)
    assert body["location_id"] == "x"
    assert "unknown location" in body["error"]
    checked(webhook.handle_bulk("x", AUTH, raw(publication(discount(1), location=None))), 404)
    assert cache.locations() == []


@pytest.mark.parametrize(
    "lookup",
    [
        lambda location: None,
        lambda location: {}[location],
        lambda location: ZONES[location],
    ],
    ids=["none", "key-error", "mapping-lookup"],
)
def test_a_lookup_without_a_zone_is_404(
    cache: InMemoryDealCache, lookup: Callable[[str], str | None]
) -> None:
    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=lookup)
    checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1), location="nowhere"))), 404)


def test_a_failing_location_lookup_is_503(cache: InMemoryDealCache) -> None:
    def down(location: str) -> str:
        raise BackendUnavailableError(backend="locations db", operation="read")

    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=down)
    response = hook.handle_ptl_sync(AUTH, raw(publication(discount(1))))
    assert checked(response, 503)["location_id"] == LOC


def test_a_misconfigured_zone_is_500_not_the_callers_fault(cache: InMemoryDealCache) -> None:
    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for={LOC: "Mars/Olympus"})
    body = checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1)))), 500)
    assert body["location_id"] == LOC
    assert cache.locations() == []


# -- 503 ----------------------------------------------------------------------------------


def test_a_broken_cache_is_503_and_the_set_is_untouched(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    cache.replace(LOC, [dutchie("101")])
    checked(webhook.handle_ptl_sync(AUTH, raw(publication(discount(1)))), 200)
    before = cache.get(LOC)
    cache.break_reads("connection refused to 10.0.0.7:6379")
    response = webhook.handle_ptl_sync(AUTH, raw(publication(discount(2), discount(3))))
    body = checked(response, 503)
    assert body["location_id"] == LOC
    assert "nothing was written" in body["error"]
    assert "10.0.0.7" not in body["error"]  # the cause is logged, not sent
    assert response.headers == {"Retry-After": "5"}
    checked(webhook.handle_bulk(LOC, AUTH, raw(publication(discount(2), location=None))), 503)
    cache.heal()
    assert cache.get(LOC) == before
    assert ids(before) == [f"{LOC}_101", f"{LOC}_ptl_1"]


def test_retry_after_is_optional(cache: InMemoryDealCache) -> None:
    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES, retry_after_seconds=None)
    cache.break_reads()
    response = hook.handle_get_discounts(LOC)
    checked(response, 503)
    assert response.headers == {}


# -- GET ----------------------------------------------------------------------------------


def test_get_returns_the_stored_records(webhook: PtlWebhook, cache: InMemoryDealCache) -> None:
    cache.replace(LOC, [dutchie("101")])
    checked(webhook.handle_ptl_sync(AUTH, raw(publication(discount(1, menu_rank=2)))), 200)
    body = checked(webhook.handle_get_discounts(LOC), 200)
    cached = cache.get(LOC)
    assert cached is not None
    assert body == {
        "location_id": LOC,
        "count": 2,
        "discounts": [deal.to_record() for deal in cached],
    }
    assert [record["id"] for record in body["discounts"]] == [f"{LOC}_101", f"{LOC}_ptl_1"]
    assert body["discounts"][1]["source"] == "ptl"
    assert Deal.from_record(body["discounts"][1]) == cached[1]


def test_get_tells_nothing_cached_from_an_empty_set(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    body = checked(webhook.handle_get_discounts(LOC), 404)
    assert body["location_id"] == LOC
    cache.replace(LOC, [])
    assert checked(webhook.handle_get_discounts(LOC), 200)["discounts"] == []


def test_get_on_a_broken_cache_is_503_never_an_empty_list(
    webhook: PtlWebhook, cache: InMemoryDealCache
) -> None:
    cache.replace(LOC, [dutchie("101")])
    cache.break_reads()
    body = checked(webhook.handle_get_discounts(LOC), 503)
    assert "discounts" not in body
    cache.heal()
    assert checked(webhook.handle_get_discounts(LOC), 200)["count"] == 1


def test_get_needs_no_key_and_writes_nothing(webhook: PtlWebhook, cache: InMemoryDealCache) -> None:
    checked(webhook.handle_get_discounts(OTHER), 404)
    assert cache.locations() == []


# -- atomicity and concurrency ------------------------------------------------------------


class SpyCache:
    """A deal cache that records which of its methods were called."""

    def __init__(self, inner: InMemoryDealCache) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def get(self, location_id: str) -> list[Deal] | None:
        self.calls.append("get")
        return self.inner.get(location_id)

    def replace(self, location_id: str, deals: Sequence[Deal]) -> None:
        self.calls.append("replace")
        self.inner.replace(location_id, deals)

    def merge_ptl(self, location_id: str, deals: Sequence[Deal]) -> list[Deal]:
        self.calls.append("merge_ptl")
        return self.inner.merge_ptl(location_id, deals)

    def locations(self) -> list[str]:
        self.calls.append("locations")
        return self.inner.locations()


def test_a_publication_is_one_atomic_merge(cache: InMemoryDealCache) -> None:
    """Never read-then-write: the only cache call is one ``merge_ptl``."""
    spy = SpyCache(cache)
    hook = PtlWebhook(cache=spy, api_keys=KEY, time_zone_for=ZONES)
    checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1)))), 200)
    checked(hook.handle_bulk(LOC, AUTH, raw(publication(discount(1), location=None))), 200)
    assert spy.calls == ["merge_ptl", "merge_ptl"]
    spy.calls.clear()
    checked(hook.handle_ptl_sync({}, raw(publication(discount(1)))), 401)
    checked(hook.handle_ptl_sync(AUTH, b"{"), 400)
    checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1), discount(1)))), 422)
    checked(hook.handle_ptl_sync(AUTH, raw(publication(discount(1), location="x"))), 404)
    assert spy.calls == []


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads often, so that interleavings actually happen."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _run_threads(targets: Sequence[Callable[[], None]]) -> None:
    """Run every target in its own thread, started together; re-raise the first failure."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_publications_lose_nothing(cache: InMemoryDealCache) -> None:
    """20 threads publish to 20 locations while the POS sync rewrites one of them.

    Each thread publishes several PTL sets in turn (alternating the two routes);
    another replaces the shared location's Dutchie set again and again. Every
    location ends with its last publication, and the shared one with the last
    Dutchie set: a merge never writes back a Dutchie set it read before a replace
    (an observer would see the Dutchie version step back).
    """
    locations = [f"loc-{n:02d}" for n in range(20)]
    shared = locations[0]
    rounds = 12
    hook = PtlWebhook(
        cache=cache, api_keys=KEY, time_zone_for=dict.fromkeys(locations, "America/Phoenix")
    )

    def dutchie_set(version: int) -> list[Deal]:
        return [
            dutchie(f"d{version}-{k}", f"Dutchie v{version} {k}", location=shared) for k in (1, 2)
        ]

    def ptl_ids(location: str, round_: int) -> list[str]:
        return [f"{location}_ptl_r{round_}-{k}" for k in range(3)]

    cache.replace(shared, dutchie_set(0))
    answers: dict[str, list[dict[str, Any]]] = {location: [] for location in locations}

    shared_done = threading.Event()
    last_version = 0

    def publisher(location: str) -> Callable[[], None]:
        def publish() -> None:
            try:
                for round_ in range(rounds):
                    discounts = [discount(f"r{round_}-{k}") for k in range(3)]
                    if round_ % 2:
                        response = hook.handle_bulk(
                            location, AUTH, raw(publication(*discounts, location=None))
                        )
                    else:
                        response = hook.handle_ptl_sync(
                            AUTH, raw(publication(*discounts, location=location))
                        )
                    answers[location].append(checked(response, 200))
            finally:
                if location == shared:
                    shared_done.set()

        return publish

    def pos_sync() -> None:
        # rewrite the shared location's Dutchie set for as long as it is being published to
        nonlocal last_version
        while not shared_done.is_set() or last_version < 3:
            last_version += 1
            cache.replace(shared, dutchie_set(last_version))
            time.sleep(0)

    seen_versions: list[int] = []

    def observer() -> None:
        # a merge that wrote back a Dutchie set read before a replace would show as a step back
        while not shared_done.is_set():
            deals = cache.get(shared)
            assert deals is not None
            dutchie_ids = [deal.discount_id for deal in deals if deal.source is DealSource.DUTCHIE]
            versions = {int(discount_id[1:].split("-")[0]) for discount_id in dutchie_ids}
            assert len(versions) == 1, dutchie_ids  # one whole Dutchie set, never a mix
            seen_versions.append(versions.pop())
            time.sleep(0)

    _run_threads([*(publisher(location) for location in locations), pos_sync, observer])

    assert seen_versions == sorted(seen_versions)

    for location in locations:
        assert len(answers[location]) == rounds
        for round_, answer in enumerate(answers[location]):
            # each merge holds its own whole PTL set, never a mix with another's
            assert answer["ptl"] == ptl_ids(location, round_)
            assert answer["location_id"] == location
            assert answer["dutchie_kept"] == (2 if location == shared else 0)
    for location in locations[1:]:
        assert ids(cache.get(location)) == ptl_ids(location, rounds - 1)
        assert ids(cache.get(location)) == answers[location][-1]["ptl"]

    final = cache.get(shared)
    assert final is not None
    assert [deal.id for deal in final if deal.source is DealSource.DUTCHIE] == ids(
        dutchie_set(last_version)
    )
    assert [deal.id for deal in final if deal.source is DealSource.PTL] in (
        [],  # the POS sync wrote last
        ptl_ids(shared, rounds - 1),  # the last publication merged after it
    )
    # and a publication now lands on the last Dutchie set
    body = checked(
        hook.handle_ptl_sync(AUTH, raw(publication(discount("z"), location=shared))), 200
    )
    assert ids(cache.get(shared)) == [*ids(dutchie_set(last_version)), *body["ptl"]]


@pytest.mark.usefixtures("fast_switching")
def test_racing_publications_to_one_location_leave_one_whole_set(
    cache: InMemoryDealCache,
) -> None:
    """20 publications to one location at once: the last merged wins whole, Dutchie kept."""
    hook = PtlWebhook(cache=cache, api_keys=KEY, time_zone_for=ZONES)
    cache.replace(LOC, [dutchie("101")])
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def publisher(n: int) -> Callable[[], None]:
        def publish() -> None:
            response = hook.handle_ptl_sync(
                AUTH, raw(publication(*(discount(f"t{n}-{k}") for k in range(4))))
            )
            with lock:
                answers.append(checked(response, 200))

        return publish

    _run_threads([publisher(n) for n in range(20)])

    assert len(answers) == 20
    final = ids(cache.get(LOC))
    assert final[0] == f"{LOC}_101"
    assert final[1:] in [answer["ptl"] for answer in answers]
    assert all(answer["merged"] == 5 and answer["dutchie_kept"] == 1 for answer in answers)
