"""The bar test: a full sync cycle against the loopback HTTP server fills the deal cache.

A :class:`~pricekit.sync.runner.SyncRunner` over the reference phases; its
discount phase reads Dutchie's POS API (for the locations with an API key,
from a mapping or the environment) and falls back to the back office, both over
real HTTP to ``_loopback.FakeServer`` playing Dutchie (:class:`Dutchie`); the
deals go to an :class:`~pricekit.memory.InMemoryDealCache`. Nothing of pricekit
is mocked.

The clients have a short timeout, one retry and a recording ``sleep``, so a
timeout costs two short waits and a backoff none: the file runs in about a
second.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from _loopback import FakeServer, Reply, Seen, Sleeps, basic

from pricekit.deals.models import DealSource
from pricekit.memory import InMemoryDealCache
from pricekit.memory.sync import InMemoryEnrichmentSource, InMemoryInventorySource
from pricekit.money import Money
from pricekit.sync import DiscountSource, Location, RunReport, RunStatus, SyncRunner
from pricekit.sync.http import (
    BackofficeClient,
    DutchieBackofficeSource,
    DutchiePosClient,
    DutchiePosSource,
    PosApiKeys,
)
from pricekit.sync.phases import reference_phases
from pricekit.sync.runner import PhaseStatus
from pricekit.testing import FixedClock

AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
PHX = "America/Phoenix"
LIST_PATH = "/discounts/v2/list"
LOGIN_PATH = "/api/v2/auth/login"
QUERY_PATH = "/api/v2/discount/get-discount"
USER, PASSWORD, SESSION = "sync-bot", "s3cret", "sess-9c1"
TIMEOUT = 0.2
"""Seconds: a delayed reply times the client out fast."""
SLOW = 5.0
"""Seconds a "hanging" reply waits (ended when the server stops)."""

TEMPE = Location("loc-tempe", PHX, pos_id="101", name="Tempe")
MESA = Location("loc-mesa", PHX, pos_id="102", name="Mesa")
SCOTTSDALE = Location("loc-scottsdale", PHX, pos_id="103", name="Scottsdale")
CHANDLER = Location("loc-chandler", PHX, pos_id="104", name="Chandler")
GILBERT = Location("loc-gilbert", PHX, pos_id="105", name="Gilbert")
GLENDALE = Location("loc-glendale", PHX, pos_id="106", name="Glendale")
PEORIA = Location("loc-peoria", PHX, pos_id="107", name="Peoria")

# POS API keys by POS id: some in the mapping, some in the environment; Mesa and
# Peoria have none (Peoria's variable is blank), so the back office serves them.
KEYS = {"101": "key-tempe", "104": "key-chandler", "106": "key-glendale"}
ENVIRON = {
    "DUTCHIE_POS_API_KEY_103": "key-scottsdale",
    "DUTCHIE_POS_API_KEY_105": "key-gilbert",
    "DUTCHIE_POS_API_KEY_107": "  ",
}
KEY_OF = {**KEYS, "103": "key-scottsdale", "105": "key-gilbert"}


def discount(
    discount_id: int | str, name: str, *, percent: str | None = None, amount: str | None = None
) -> dict[str, Any]:
    """One discount of the POS list in Dutchie's shape (``percent`` a fraction, as Dutchie's)."""
    method, value = ("PERCENT_OFF", percent) if percent is not None else ("AMOUNT_OFF", amount)
    assert value is not None
    return {
        "id": discount_id,
        "discountName": name,
        "applicationMethod": "Automatic",
        "isActive": True,
        "validDateFrom": "2026-11-01T07:00:00Z",
        "validDateTo": "2026-12-01T07:00:00Z",
        "canStackAutomatically": False,
        # a JSON number with a fraction: the client must read it as a Decimal
        "reward": {"calculationMethod": method, "discountValue": float(value), "restrictions": {}},
    }


# --------------------------------------------------------------------------- Dutchie


class Dutchie:
    """Dutchie as the loopback server plays it: each location's discounts, or a failure.

    The POS API tells locations apart by the API key of the request's Basic
    auth, the back office by the ``LspId`` of the query, behind the session
    cookie its login sets. Both serve a location the same records (the back
    office mirrors the POS) unless told to fail for it.
    """

    def __init__(self, server: FakeServer) -> None:
        self.discounts: dict[str, list[dict[str, Any]]] = {}
        self.pos_fails: dict[str, Reply] = {}
        self.backoffice_fails: dict[str, Reply] = {}
        self.login_reply: Reply | None = None
        """Answers every login, in place of the session cookie, when set."""
        self._pos_id_of = {basic(key): pos_id for pos_id, key in KEY_OF.items()}
        server.route("GET", LIST_PATH, self._pos)
        server.route("POST", LOGIN_PATH, self._login)
        server.route("POST", QUERY_PATH, self._query)

    def serve(self, location: Location, *records: dict[str, Any]) -> None:
        """Serve ``records`` for ``location`` from now on."""
        assert location.pos_id is not None
        self.discounts[location.pos_id] = list(records)

    def _pos(self, seen: Seen) -> Reply:
        pos_id = self._pos_id_of.get(seen.headers.get("authorization", ""))
        if pos_id is None:
            return Reply(401, '{"message": "Unauthorized"}')
        if pos_id in self.pos_fails:
            return self.pos_fails[pos_id]
        return Reply(200, json.dumps(self.discounts[pos_id]))

    def _login(self, seen: Seen) -> Reply:
        if self.login_reply is not None:
            return self.login_reply
        if seen.json() != {"username": USER, "password": PASSWORD}:
            return Reply(401, '{"message": "bad password"}')
        return Reply(200, "{}", {"Set-Cookie": f"session={SESSION}; Path=/"})

    def _query(self, seen: Seen) -> Reply:
        if f"session={SESSION}" not in seen.headers.get("cookie", ""):
            return Reply(401, '{"message": "session expired"}')
        pos_id = seen.json()["LspId"]
        if pos_id in self.backoffice_fails:
            return self.backoffice_fails[pos_id]
        return Reply(200, json.dumps({"Result": True, "Data": self.discounts[pos_id]}))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def dutchie(server: FakeServer) -> Dutchie:
    return Dutchie(server)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def sources(server: FakeServer, sleeps: Sleeps) -> Iterator[list[DiscountSource]]:
    """The POS API first (keys from a mapping, then the environment), the back office next."""
    with (
        DutchiePosClient(base_url=server.url, timeout=TIMEOUT, retries=1, sleep=sleeps) as pos,
        BackofficeClient(
            base_url=server.url,
            username=USER,
            password=PASSWORD,
            timeout=TIMEOUT,
            retries=1,
            sleep=sleeps,
        ) as backoffice,
    ):
        yield [
            DutchiePosSource(pos, PosApiKeys(KEYS, environ=ENVIRON)),
            DutchieBackofficeSource(backoffice),
        ]


@pytest.fixture
def cache() -> InMemoryDealCache:
    return InMemoryDealCache()


def make_runner(
    sources: Sequence[DiscountSource], cache: InMemoryDealCache, locations: Sequence[Location]
) -> SyncRunner:
    phases = reference_phases(
        inventory=InMemoryInventorySource(),
        enrichment=InMemoryEnrichmentSource(),
        discounts=sources,
        cache=cache,
    )
    return SyncRunner(phases, locations=locations, clock=FixedClock(AT), name="dutchie-sync")


# --------------------------------------------------------------------------- helpers

DealView = tuple[str, str, str, Decimal | None, Money | None]


def cached(cache: InMemoryDealCache, location: Location) -> list[DealView] | None:
    """The location's cached deals as (id, discount id, name, percent, amount); None: none."""
    deals = cache.get(location.location_id)
    if deals is None:
        return None
    return [(d.id, d.discount_id, d.name, d.reward.percent, d.reward.amount) for d in deals]


def expected(location: Location, *records: dict[str, Any]) -> list[DealView]:
    """What ``records`` served for ``location`` must be cached as."""
    views: list[DealView] = []
    for record in records:
        value = Decimal(str(record["reward"]["discountValue"]))
        percent = value * 100 if record["reward"]["calculationMethod"] == "PERCENT_OFF" else None
        amount = None if percent is not None else Money.of(value, "USD")
        discount_id = str(record["id"])
        deal_id = f"{location.location_id}_{discount_id}"
        views.append((deal_id, discount_id, record["discountName"], percent, amount))
    return views


def outcomes(report: RunReport, phase: str) -> dict[str, tuple[bool, str]]:
    """Each location's (ok, detail) in ``phase``."""
    return {o.location_id: (o.ok, o.detail) for o in report.phase(phase).result.locations}


def statuses(report: RunReport) -> list[tuple[str, PhaseStatus]]:
    return [(p.name, p.status) for p in report.phases]


ALL_OK = [
    ("inventory", PhaseStatus.OK),
    ("enrichment", PhaseStatus.OK),
    ("discounts", PhaseStatus.OK),
    ("cache", PhaseStatus.OK),
]


# --------------------------------------------------------------------------- the cycle


def test_a_full_cycle_against_the_loopback_http_server_fills_the_deal_cache(
    server: FakeServer,
    dutchie: Dutchie,
    sources: list[DiscountSource],
    cache: InMemoryDealCache,
    sleeps: Sleeps,
) -> None:
    tempe = [
        discount(4821, "30% Off Select Vapes", percent="0.3"),
        discount("77", "$14.05 off", amount="14.05"),
    ]
    mesa = [discount(501, "Mesa Monday", percent="0.15")]
    scottsdale = [
        discount(9001, "$5 off pre-rolls", amount="5.00"),
        discount(9002, "10% off edibles", percent="0.1"),
        discount(9003, "Half off tinctures", percent="0.5"),
    ]
    dutchie.serve(TEMPE, *tempe)
    dutchie.serve(MESA, *mesa)
    dutchie.serve(SCOTTSDALE, *scottsdale)
    dutchie.serve(PEORIA)  # no discounts today
    runner = make_runner(sources, cache, [TEMPE, MESA, SCOTTSDALE, PEORIA])

    report = runner.run_once()

    assert report.status is RunStatus.OK, report.to_dict()
    assert report.reason == ""
    assert statuses(report) == ALL_OK
    # the POS API served the locations with a key; the back office the others
    assert outcomes(report, "discounts") == {
        "loc-tempe": (True, "2 deals from dutchie-pos"),
        "loc-mesa": (True, "1 deal from dutchie-backoffice"),
        "loc-scottsdale": (True, "3 deals from dutchie-pos"),
        "loc-peoria": (True, "0 deals from dutchie-backoffice"),
    }
    assert report.phase("discounts").result.counts == {
        "deals": 6,
        "locations": 4,
        "failed_locations": 0,
    }
    assert report.phase("cache").result.counts == {
        "cached": 6,
        "locations": 4,
        "failed_locations": 0,
    }
    assert [r.run_id for r in runner.history.recent()] == [report.run_id]

    # every location's deals are cached, exactly as served
    assert cache.locations() == ["loc-mesa", "loc-peoria", "loc-scottsdale", "loc-tempe"]
    assert cached(cache, TEMPE) == expected(TEMPE, *tempe)
    assert cached(cache, MESA) == expected(MESA, *mesa)
    assert cached(cache, SCOTTSDALE) == expected(SCOTTSDALE, *scottsdale)
    assert cache.get(PEORIA.location_id) == []  # cached empty: read, and nothing there
    vapes, amount_off = cache.get(TEMPE.location_id) or []
    assert (vapes.id, amount_off.id) == ("loc-tempe_4821", "loc-tempe_77")
    assert vapes.reward.percent == Decimal("30")  # Dutchie's 0.3 is 30%
    assert amount_off.reward.amount == Money.of("14.05", "USD")  # exact, never via a float
    assert (vapes.source, vapes.time_zone, vapes.location_id) == (
        DealSource.DUTCHIE,
        PHX,
        TEMPE.location_id,
    )

    # the server saw: the POS with each key as the Basic user, the back office
    # logged in once and queried by POS id with its session cookie
    assert [seen.path for seen in server.seen] == [
        LIST_PATH,  # Tempe
        LOGIN_PATH,  # Mesa: first use of the back office
        QUERY_PATH,
        LIST_PATH,  # Scottsdale
        QUERY_PATH,  # Peoria: the session is kept
    ]
    pos_calls = server.requests(LIST_PATH)
    assert [seen.headers["authorization"] for seen in pos_calls] == [
        basic("key-tempe"),
        basic("key-scottsdale"),
    ]
    assert all(seen.method == "GET" for seen in pos_calls)
    assert all(seen.query == {"includeInclusionExclusionData": ["true"]} for seen in pos_calls)
    (login,) = server.requests(LOGIN_PATH)
    assert login.json() == {"username": USER, "password": PASSWORD}
    queries = server.requests(QUERY_PATH)
    assert [seen.json() for seen in queries] == [{"LspId": "102"}, {"LspId": "107"}]
    assert all(seen.headers["cookie"] == f"session={SESSION}" for seen in queries)
    assert all("authorization" not in seen.headers for seen in queries)
    assert sleeps.delays == []


def test_bad_answers_on_a_later_run_keep_the_cached_deals_and_fall_back(
    server: FakeServer,
    dutchie: Dutchie,
    sources: list[DiscountSource],
    cache: InMemoryDealCache,
    sleeps: Sleeps,
) -> None:
    stores = [TEMPE, MESA, SCOTTSDALE, CHANDLER, GILBERT, GLENDALE]
    first = {
        loc.location_id: [discount(1, f"{loc.name} opening deal", percent="0.2")] for loc in stores
    }
    for loc in stores:
        dutchie.serve(loc, *first[loc.location_id])
    runner = make_runner(sources, cache, stores)
    assert runner.run_once().status is RunStatus.OK
    before = {loc.location_id: cached(cache, loc) for loc in stores}
    assert all(before.values())

    # the second run: everyone has new deals, but some of the answers are bad
    second = {
        loc.location_id: [
            discount(2, f"{loc.name} weekend deal", amount="3.50"),
            discount(3, f"{loc.name} late deal", percent="0.25"),
        ]
        for loc in stores
    }
    for loc in stores:
        dutchie.serve(loc, *second[loc.location_id])
    # Scottsdale: the POS answers 500, always; the back office too
    dutchie.pos_fails["103"] = Reply(500, '{"error": "database unavailable"}')
    dutchie.backoffice_fails["103"] = Reply(500, "upstream down")
    # Chandler: garbage, not JSON from the POS, the wrong shape from the back office
    dutchie.pos_fails["104"] = Reply(200, "<html>Service temporarily down</html>")
    dutchie.backoffice_fails["104"] = Reply(200, '{"Result": false, "Message": "no such LSP"}')
    # Gilbert: the POS never answers; the back office refuses the store
    dutchie.pos_fails["105"] = Reply(200, "[]", delay=SLOW)
    dutchie.backoffice_fails["105"] = Reply(403, "not your store")
    # Glendale: the POS answers the wrong shape; the back office is fine
    dutchie.pos_fails["106"] = Reply(200, '{"discounts": null}')
    mark = len(server.seen)

    report = runner.run_once()

    assert report.status is RunStatus.PARTIAL, report.to_dict()  # partial, not failed
    assert report.reason == ""
    assert statuses(report) == [
        ("inventory", PhaseStatus.OK),
        ("enrichment", PhaseStatus.OK),
        ("discounts", PhaseStatus.WARNINGS),
        ("cache", PhaseStatus.WARNINGS),
    ]
    assert [r.status for r in runner.history.recent()] == [RunStatus.PARTIAL, RunStatus.OK]

    found = outcomes(report, "discounts")
    assert found["loc-tempe"] == (True, "2 deals from dutchie-pos")
    assert found["loc-mesa"] == (True, "2 deals from dutchie-backoffice")
    # a failed POS read falls back to the back office when the location has both
    assert found["loc-glendale"] == (
        True,
        "2 deals from dutchie-backoffice"
        " (after dutchie-pos: not a JSON list of discounts (got a JSON object))",
    )
    # each failing location: an entry naming it, each source tried, and why each failed
    causes = {
        "loc-scottsdale": [
            "dutchie-pos: HTTP 500 Internal Server Error"
            ' after 2 attempts: \'{"error": "database unavailable"}\'',
            "dutchie-backoffice: HTTP 500 Internal Server Error after 2 attempts: 'upstream down'",
        ],
        "loc-chandler": [
            "dutchie-pos: the answer is not JSON",
            "<html>Service temporarily down</html>",
            "dutchie-backoffice: not a JSON list of discounts (got a JSON object)",
        ],
        "loc-gilbert": [
            f"dutchie-pos: no answer within {TIMEOUT:g} s (ReadTimeout) after 2 attempts",
            "dutchie-backoffice: HTTP 403 Forbidden: 'not your store'",
        ],
    }
    for location_id, parts in causes.items():
        ok, detail = found[location_id]
        assert not ok
        assert detail.startswith("no source answered: "), detail
        for part in parts:
            assert part in detail, (part, detail)
    warnings = report.phase("discounts").result.warnings
    assert [w.split(": ", 1)[0] for w in warnings] == ["Scottsdale", "Chandler", "Gilbert"]
    assert report.phase("discounts").result.counts == {
        "deals": 6,
        "locations": 3,
        "failed_locations": 3,
    }

    # the cache: the failed locations keep their deals (not emptied), the rest are new
    cache_phase = report.phase("cache").result
    assert cache_phase.warnings == (
        "kept the previously cached deals of Scottsdale, Chandler, Gilbert (no fresh read)",
    )
    assert cache_phase.counts == {"cached": 6, "locations": 3, "failed_locations": 0, "kept": 3}
    assert set(outcomes(report, "cache")) == {"loc-tempe", "loc-mesa", "loc-glendale"}
    for loc in (SCOTTSDALE, CHANDLER, GILBERT):
        assert cached(cache, loc) == before[loc.location_id]
    for loc in (TEMPE, MESA, GLENDALE):
        assert cached(cache, loc) == expected(loc, *second[loc.location_id])

    # what the server saw in the second run: the back office session of the first
    # run is kept; only transport failures and 5xx were tried again
    run2 = server.seen[mark:]
    assert LOGIN_PATH not in [seen.path for seen in run2]
    by_key = Counter(seen.headers["authorization"] for seen in run2 if seen.path == LIST_PATH)
    assert by_key == {
        basic("key-tempe"): 1,
        basic("key-scottsdale"): 2,  # 500, retried once
        basic("key-chandler"): 1,  # garbage is not retried
        basic("key-gilbert"): 2,  # timed out, retried once
        basic("key-glendale"): 1,
    }
    assert [seen.json()["LspId"] for seen in run2 if seen.path == QUERY_PATH] == [
        "102",  # Mesa, which has no key
        "103",  # the fallbacks: Scottsdale, Chandler, Gilbert, Glendale
        "103",
        "104",
        "105",
        "106",
    ]
    assert sleeps.delays == [0.5, 0.5, 0.5]  # backoff asked for, not waited


def test_a_refused_discount_record_is_reported_and_never_empties_the_cache(
    dutchie: Dutchie, sources: list[DiscountSource], cache: InMemoryDealCache
) -> None:
    refused_percent = discount(9101, "3000% off", percent="30")  # a percent above 100%
    refused_method = discount(4402, "Buy one get one", percent="0.5")
    refused_method["reward"]["calculationMethod"] = "BOGO"
    tempe = [discount(11, "Tempe deal", percent="0.1")]
    chandler = [discount(41, "Chandler deal", amount="2.00")]
    dutchie.serve(TEMPE, *tempe)
    dutchie.serve(CHANDLER, *chandler)
    dutchie.serve(SCOTTSDALE, discount(9100, "Fine deal", percent="0.1"), refused_percent)
    runner = make_runner(sources, cache, [TEMPE, SCOTTSDALE, CHANDLER])

    first = runner.run_once()

    assert first.status is RunStatus.PARTIAL, first.to_dict()
    ok, detail = outcomes(first, "discounts")["loc-scottsdale"]
    assert not ok
    assert detail.startswith("no source answered: dutchie-pos: "), detail
    # each source read the record and refused it: the field and the reason are named
    refusal = "discount[9101].reward.discountValue: percent above 100%"
    assert f"dutchie-pos: {refusal}" in detail
    assert f"dutchie-backoffice: {refusal}" in detail
    assert first.phase("discounts").result.warnings[0].startswith("Scottsdale: ")
    assert cache.get(SCOTTSDALE.location_id) is None  # never cached, not cached as "no deals"
    assert cached(cache, TEMPE) == expected(TEMPE, *tempe)
    assert cached(cache, CHANDLER) == expected(CHANDLER, *chandler)

    # the next run: Scottsdale is fixed, Chandler now has a refused record next to a good one
    scottsdale = [discount(9100, "Fine deal", percent="0.1")]
    dutchie.serve(SCOTTSDALE, *scottsdale)
    dutchie.serve(CHANDLER, discount(42, "New Chandler deal", percent="0.2"), refused_method)

    second = runner.run_once()

    assert second.status is RunStatus.PARTIAL, second.to_dict()
    found = outcomes(second, "discounts")
    assert found["loc-scottsdale"] == (True, "1 deal from dutchie-pos")
    ok, detail = found["loc-chandler"]
    assert not ok
    assert detail.startswith("no source answered: dutchie-pos: "), detail
    assert "dutchie-pos: discount[4402].reward.calculationMethod: expected one of" in detail
    assert "(got 'BOGO')" in detail
    assert second.phase("cache").result.warnings == (
        "kept the previously cached deals of Chandler (no fresh read)",
    )
    # all or nothing: Chandler's good new deal is not cached without the refused one
    assert cached(cache, CHANDLER) == expected(CHANDLER, *chandler)
    assert cached(cache, SCOTTSDALE) == expected(SCOTTSDALE, *scottsdale)
    assert cached(cache, TEMPE) == expected(TEMPE, *tempe)


NESTED = "[" * 100_000 + "]" * 100_000
"""Valid JSON syntax, nested past what a parser can read: garbage all the same."""


def test_an_answer_nested_too_deeply_is_one_location_s_failure(
    dutchie: Dutchie, sources: list[DiscountSource], cache: InMemoryDealCache
) -> None:
    dutchie.serve(CHANDLER, discount(41, "Chandler deal", amount="2.00"))
    tempe = [discount(11, "Tempe deal", percent="0.1")]
    dutchie.serve(TEMPE, *tempe)
    dutchie.pos_fails["104"] = Reply(200, NESTED)
    dutchie.backoffice_fails["104"] = Reply(200, NESTED)
    runner = make_runner(sources, cache, [CHANDLER, TEMPE])

    report = runner.run_once()

    # Chandler's failure, in Chandler's entry: not the whole phase's
    assert report.status is RunStatus.PARTIAL, report.to_dict()
    assert report.phase("discounts").status is PhaseStatus.WARNINGS
    assert report.phase("discounts").result.errors == ()
    ok, detail = outcomes(report, "discounts")["loc-chandler"]
    assert not ok
    for source in ("dutchie-pos", "dutchie-backoffice"):
        assert (f"{source}: the answer is not JSON (nested too deeply): '[[[[") in detail
    assert cache.get(CHANDLER.location_id) is None
    # the location after it is read and cached as usual
    assert outcomes(report, "discounts")["loc-tempe"] == (True, "1 deal from dutchie-pos")
    assert cached(cache, TEMPE) == expected(TEMPE, *tempe)


def test_a_back_office_login_answered_with_garbage_fails_its_locations_only(
    dutchie: Dutchie, sources: list[DiscountSource], cache: InMemoryDealCache
) -> None:
    dutchie.login_reply = Reply(200, NESTED)  # no cookie, no readable token
    tempe = [discount(11, "Tempe deal", percent="0.1")]
    dutchie.serve(MESA, discount(501, "Mesa deal", percent="0.15"))
    dutchie.serve(TEMPE, *tempe)
    runner = make_runner(sources, cache, [MESA, TEMPE])

    report = runner.run_once()

    assert report.status is RunStatus.PARTIAL, report.to_dict()
    assert report.phase("discounts").result.errors == ()
    assert outcomes(report, "discounts") == {
        "loc-mesa": (
            False,
            "no source answered: dutchie-backoffice: the login answered without a session cookie or"
            " a token",
        ),
        "loc-tempe": (True, "1 deal from dutchie-pos"),
    }
    assert cache.get(MESA.location_id) is None
    assert cached(cache, TEMPE) == expected(TEMPE, *tempe)
