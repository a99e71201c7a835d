"""pricekit.sync.http against a real HTTP server on 127.0.0.1.

The server is ``_loopback.FakeServer`` (shared with test_sync_cycle_http.py):
one per test, at an ephemeral port, answering from a script, recording every
request. The clients get a recording ``sleep`` (``_loopback.Sleeps``), so
backoff costs no time and its delays can be asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from _loopback import FakeServer, Reply, Seen, Sleeps, basic

from pricekit.deals.models import DealSource
from pricekit.errors import InvalidValueError
from pricekit.sync import DiscountSource, Location, SourceAuthError, SourceError
from pricekit.sync.http import (
    BackofficeClient,
    DutchieBackofficeSource,
    DutchiePosClient,
    DutchiePosSource,
    PosApiKeys,
)

LOC = "7f3c2a10-5b1e-4c2d-9a8e-0d1f2e3a4b5c"
PHX = "America/Phoenix"
KEY = "pos-key-4f1a"
LIST_PATH = "/discounts/v2/list"
LOGIN_PATH = "/api/v2/auth/login"
QUERY_PATH = "/api/v2/discount/get-discount"

# One discount of GET /discounts/v2/list, the shape of tests/unit/test_deals_sources.py's
# DUTCHIE_VAPES (its targeting trimmed to what these tests assert).
DUTCHIE_VAPES = """
{
  "id": 4821,
  "externalId": null,
  "discountName": "30% Off Select Vapes",
  "discountDescription": "Wednesdays and Saturdays, select vape brands",
  "applicationMethod": "Automatic",
  "isActive": true,
  "isDeleted": false,
  "validDateFrom": "2026-10-01T07:00:00.0000000Z",
  "validDateTo": "2026-11-01T00:00:00",
  "monday": false, "tuesday": false, "wednesday": true, "thursday": false,
  "friday": false, "saturday": true, "sunday": false,
  "startTime": "16:20",
  "endTime": "02:00:00",
  "firstTimeCustomerOnly": false,
  "canStackAutomatically": true,
  "isAvailableOnline": false,
  "onlineName": "Vape Days",
  "menuDisplay": {"menuDisplayName": "Vape Days (menu)", "menuDisplayRank": 3},
  "reward": {
    "calculationMethod": "PERCENT_OFF",
    "discountValue": 0.3,
    "thresholdType": "NUMBER_OF_ITEMS",
    "thresholdMin": 2.0,
    "applyToOnlyOneItem": false,
    "restrictions": {
      "Brand": {"restrictionIds": [7, 8], "isExclusion": false},
      "Vendor": {"restrictionIds": [301], "isExclusion": true}
    }
  }
}
"""
DUTCHIE_AMOUNT = """
{
  "id": "77",
  "discountName": "$14.05 off",
  "applicationMethod": "Automatic",
  "isActive": true,
  "reward": {"calculationMethod": "AMOUNT_OFF", "discountValue": 14.05, "restrictions": {}}
}
"""
DISCOUNTS = f"[{DUTCHIE_VAPES}, {DUTCHIE_AMOUNT}]"


# --------------------------------------------------------------------------- the server


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def pos(server: FakeServer, sleeps: Sleeps) -> Iterator[DutchiePosClient]:
    with DutchiePosClient(base_url=server.url, sleep=sleeps, timeout=5.0) as client:
        yield client


def location(pos_id: str | None = "42") -> Location:
    return Location(location_id=LOC, time_zone=PHX, pos_id=pos_id)


# --------------------------------------------------------------------------- POS API


def test_pos_lists_discounts_with_basic_auth_and_exact_numbers(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route("GET", LIST_PATH, Reply(200, DISCOUNTS))

    records = pos.list_discounts(KEY)

    assert [r["id"] for r in records] == [4821, "77"]
    assert records[0]["reward"]["discountValue"] == Decimal("0.3")  # never a float
    assert isinstance(records[1]["reward"]["discountValue"], Decimal)
    (seen,) = server.seen
    assert seen.method == "GET"
    assert seen.query == {"includeInclusionExclusionData": ["true"]}
    assert seen.headers["authorization"] == basic(KEY)  # the key as user, empty password
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"].startswith("pricekit/")
    assert sleeps.delays == []


def test_pos_429_waits_as_retry_after_asks_then_succeeds(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route(
        "GET", LIST_PATH, Reply(429, "slow down", {"Retry-After": "2"}), Reply(200, DISCOUNTS)
    )

    assert len(pos.list_discounts(KEY)) == 2
    assert len(server.seen) == 2
    assert sleeps.delays == [2.0]


def test_pos_retry_after_is_capped_by_max_backoff(server: FakeServer, sleeps: Sleeps) -> None:
    server.route("GET", LIST_PATH, Reply(429, headers={"Retry-After": "120"}), Reply(200, "[]"))

    with DutchiePosClient(base_url=server.url, sleep=sleeps, max_backoff=8.0) as client:
        assert client.list_discounts(KEY) == []

    assert sleeps.delays == [8.0]


def test_pos_429_with_an_http_date_retry_after_backs_off_exponentially(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route(
        "GET",
        LIST_PATH,
        Reply(429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        Reply(200, "[]"),
    )

    assert pos.list_discounts(KEY) == []
    assert sleeps.delays == [0.5]


def test_pos_503_twice_then_200_backs_off_exponentially(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route("GET", LIST_PATH, Reply(503, "down"), Reply(503, "down"), Reply(200, DISCOUNTS))

    assert len(pos.list_discounts(KEY)) == 2
    assert len(server.seen) == 3
    assert sleeps.delays == [0.5, 1.0]  # backoff * 2**n
    assert all(seen.headers["authorization"] == basic(KEY) for seen in server.seen)


def test_pos_500_always_gives_up_after_the_retries(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route("GET", LIST_PATH, Reply(500, '{"error": "database unavailable"}'))

    with pytest.raises(SourceError) as caught:
        pos.list_discounts(KEY, location_id=LOC)

    error = caught.value
    assert not isinstance(error, SourceAuthError)
    assert len(server.seen) == 4  # the first attempt and 3 retries
    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert error.source == "dutchie-pos"
    assert error.location_id == LOC
    assert "HTTP 500 Internal Server Error after 4 attempts" in error.cause
    assert "database unavailable" in error.cause
    assert KEY not in str(error)


def test_pos_backoff_is_capped(server: FakeServer, sleeps: Sleeps) -> None:
    server.route("GET", LIST_PATH, Reply(502))

    with (
        DutchiePosClient(
            base_url=server.url, sleep=sleeps, retries=4, backoff=3.0, max_backoff=10.0
        ) as client,
        pytest.raises(SourceError, match="after 5 attempts: \\(empty body\\)"),
    ):
        client.list_discounts(KEY)

    assert sleeps.delays == [3.0, 6.0, 10.0, 10.0]


def test_pos_no_retries(server: FakeServer, sleeps: Sleeps) -> None:
    server.route("GET", LIST_PATH, Reply(503))

    with (
        DutchiePosClient(base_url=server.url, sleep=sleeps, retries=0) as client,
        pytest.raises(SourceError, match=r"HTTP 503 Service Unavailable: \(empty body\)"),
    ):
        client.list_discounts(KEY)

    assert len(server.seen) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [401, 403])
def test_pos_refused_key_is_an_auth_error_without_retry(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps, status: int
) -> None:
    server.route("GET", LIST_PATH, Reply(status, '{"message": "Unauthorized"}'))

    with pytest.raises(SourceAuthError, match="the API key was refused") as caught:
        pos.list_discounts(KEY)

    assert len(server.seen) == 1
    assert sleeps.delays == []
    assert KEY not in str(caught.value)


def test_pos_other_client_error_is_not_retried(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps
) -> None:
    server.route("GET", LIST_PATH, Reply(404, "Not Found: /discounts/v2/list"))

    with pytest.raises(SourceError) as caught:
        pos.list_discounts(KEY)

    assert not isinstance(caught.value, SourceAuthError)
    assert caught.value.cause == "HTTP 404 Not Found: 'Not Found: /discounts/v2/list'"
    assert len(server.seen) == 1
    assert sleeps.delays == []


def test_pos_slow_answer_times_out_and_gives_up(server: FakeServer, sleeps: Sleeps) -> None:
    server.route("GET", LIST_PATH, Reply(200, DISCOUNTS, delay=5.0))

    with (
        DutchiePosClient(base_url=server.url, sleep=sleeps, timeout=0.2, retries=1) as client,
        pytest.raises(SourceError) as caught,
    ):
        client.list_discounts(KEY)

    assert not isinstance(caught.value, SourceAuthError)
    assert caught.value.cause == "no answer within 0.2 s (ReadTimeout) after 2 attempts"
    assert len(server.seen) == 2
    assert sleeps.delays == [0.5]


def test_pos_timeout_then_success(server: FakeServer, sleeps: Sleeps) -> None:
    server.route("GET", LIST_PATH, Reply(200, "[]", delay=5.0), Reply(200, DISCOUNTS))

    with DutchiePosClient(base_url=server.url, sleep=sleeps, timeout=0.2) as client:
        assert len(client.list_discounts(KEY)) == 2

    assert sleeps.delays == [0.5]


def test_pos_connection_refused_is_retried_then_a_source_error(sleeps: Sleeps) -> None:
    closed = FakeServer()  # bound, then closed without serving: its port refuses
    closed.stop()

    with (
        DutchiePosClient(base_url=closed.url, sleep=sleeps) as client,
        pytest.raises(SourceError, match=r"ConnectError.*after 4 attempts"),
    ):
        client.list_discounts(KEY)

    assert sleeps.delays == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ("<html>Service temporarily down</html>", "the answer is not JSON"),
        ("", "the answer is not JSON"),
        ('{"discounts": []}', "not a JSON list of discounts (got a JSON object)"),
        ("[1, 2]", "not a JSON list of discounts (item 0 is a JSON number)"),
        ('[{"id": 1}, "x"]', "not a JSON list of discounts (item 1 is a JSON string)"),
    ],
)
def test_pos_answer_that_is_not_a_list_of_objects(
    server: FakeServer, pos: DutchiePosClient, sleeps: Sleeps, body: str, cause: str
) -> None:
    server.route("GET", LIST_PATH, Reply(200, body))

    with pytest.raises(SourceError) as caught:
        pos.list_discounts(KEY)

    assert cause in caught.value.cause
    assert len(server.seen) == 1  # a bad answer is not retried
    assert sleeps.delays == []


def test_pos_empty_key_is_refused_without_a_request(
    server: FakeServer, pos: DutchiePosClient
) -> None:
    with pytest.raises(SourceAuthError, match="no API key was given"):
        pos.list_discounts("")
    assert server.seen == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("retries", -1),
        ("retries", 1.5),
        ("timeout", 0),
        ("timeout", float("nan")),
        ("backoff", -0.1),
        ("max_backoff", float("inf")),
        ("base_url", ""),
    ],
)
def test_pos_client_refuses_bad_options(option: str, value: Any) -> None:
    with pytest.raises(InvalidValueError) as caught:
        DutchiePosClient(**{option: value})
    assert caught.value.field == option


def test_pos_client_close_is_idempotent_and_ends_use(server: FakeServer) -> None:
    client = DutchiePosClient(base_url=server.url)
    client.close()
    client.close()
    with pytest.raises(RuntimeError):
        client.list_discounts(KEY)


# --------------------------------------------------------------------------- POS keys


def test_pos_api_keys_read_the_environment_by_pos_id(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = PosApiKeys()
    monkeypatch.setenv("DUTCHIE_POS_API_KEY_42", " key-42 ")
    monkeypatch.delenv("DUTCHIE_POS_API_KEY_43", raising=False)

    assert keys(location("42")) == "key-42"
    assert keys(location("43")) is None
    assert keys.env_vars(location("42")) == ["DUTCHIE_POS_API_KEY_42"]


def test_pos_api_keys_fall_back_to_the_location_id_and_a_shell_safe_name() -> None:
    environ = {f"DUTCHIE_POS_API_KEY_{LOC.upper().replace('-', '_')}": "key-uuid"}
    keys = PosApiKeys(environ=environ)

    assert keys(location(None)) == "key-uuid"
    assert keys.env_vars(location(None)) == [
        f"DUTCHIE_POS_API_KEY_{LOC}",
        f"DUTCHIE_POS_API_KEY_{LOC.upper().replace('-', '_')}",
    ]


def test_pos_api_keys_mapping_first_then_prefix_then_none() -> None:
    environ = {"POS_KEY_42": "from-env", "POS_KEY_7": "env-7", "DUTCHIE_POS_API_KEY_8": "x"}
    keys = PosApiKeys({"42": "from-mapping", "9": "  "}, env_prefix="POS_KEY_", environ=environ)

    assert keys(location("42")) == "from-mapping"
    assert keys(location("7")) == "env-7"
    assert keys(location("8")) is None  # not the default prefix
    assert keys(location("9")) is None  # blank is no key
    assert PosApiKeys({"42": "k"}, env_prefix=None, environ=environ)(location("7")) is None


# --------------------------------------------------------------------------- POS source


def test_pos_source_fetches_deals_for_a_location_with_a_key(
    server: FakeServer, pos: DutchiePosClient
) -> None:
    server.route("GET", LIST_PATH, Reply(200, DISCOUNTS))
    source = DutchiePosSource(pos, PosApiKeys({"42": KEY}, env_prefix=None))

    assert isinstance(source, DiscountSource)
    assert source.name == "dutchie-pos"
    assert source.available_for(location("42"))
    assert not source.available_for(location("43"))

    vapes, amount = source.fetch(location("42"))

    assert vapes.id == f"{LOC}_4821"
    assert vapes.source is DealSource.DUTCHIE
    assert vapes.time_zone == PHX
    assert vapes.reward.percent == Decimal("30")  # 0.3 is a fraction: 30%
    assert str(amount.reward.amount) == "14.05 USD"
    assert server.seen[0].headers["authorization"] == basic(KEY)


def test_pos_source_without_a_key_names_the_variable(
    server: FakeServer, pos: DutchiePosClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUTCHIE_POS_API_KEY_42", raising=False)
    source = DutchiePosSource(pos)

    assert not source.available_for(location("42"))
    with pytest.raises(SourceAuthError, match="set DUTCHIE_POS_API_KEY_42") as caught:
        source.fetch(location("42"))
    assert caught.value.location_id == LOC
    assert server.seen == []


def test_pos_source_reads_the_key_from_the_environment(
    server: FakeServer, pos: DutchiePosClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTCHIE_POS_API_KEY_42", KEY)
    server.route("GET", LIST_PATH, Reply(200, "[]"))

    assert DutchiePosSource(pos).fetch(location("42")) == []
    assert server.seen[0].headers["authorization"] == basic(KEY)


def test_pos_source_errors_name_the_location(server: FakeServer, pos: DutchiePosClient) -> None:
    server.route("GET", LIST_PATH, Reply(401))
    source = DutchiePosSource(pos, lambda _: KEY)

    with pytest.raises(SourceAuthError) as caught:
        source.fetch(location("42"))

    assert caught.value.location_id == LOC
    assert str(caught.value).startswith(f"dutchie-pos could not answer for {LOC!r}: HTTP 401")


def test_pos_source_passes_a_refused_discount_through(
    server: FakeServer, pos: DutchiePosClient
) -> None:
    bad = json.loads(DUTCHIE_VAPES)
    bad["reward"]["discountValue"] = 30  # a percent above 100% as a fraction
    server.route("GET", LIST_PATH, Reply(200, json.dumps([bad])))

    with pytest.raises(InvalidValueError) as caught:
        DutchiePosSource(pos, lambda _: KEY).fetch(location("42"))

    assert caught.value.field == "discount[4821].reward.discountValue"


# --------------------------------------------------------------------------- back office


def cookie_session(session: str) -> Callable[[Seen], Reply]:
    """A discount query that needs the cookie ``session=<session>``."""

    def reply(seen: Seen) -> Reply:
        if f"session={session}" not in seen.headers.get("cookie", ""):
            return Reply(401, '{"message": "session expired"}')
        return Reply(200, DISCOUNTS)

    return reply


@pytest.fixture
def backoffice(server: FakeServer, sleeps: Sleeps) -> Iterator[BackofficeClient]:
    with BackofficeClient(
        base_url=server.url, username="sync-bot", password="s3cret", sleep=sleeps, timeout=5.0
    ) as client:
        yield client


def test_backoffice_logs_in_then_queries_with_the_session_cookie(
    server: FakeServer, backoffice: BackofficeClient, sleeps: Sleeps
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, "{}", {"Set-Cookie": "session=abc; Path=/"}))
    server.route("POST", QUERY_PATH, cookie_session("abc"))

    before = backoffice.logged_in
    records = backoffice.list_discounts("42")

    assert [r["id"] for r in records] == [4821, "77"]
    assert records[0]["reward"]["discountValue"] == Decimal("0.3")
    assert (before, backoffice.logged_in) == (False, True)  # logged in on first use
    login, query = server.seen
    assert (login.path, query.path) == (LOGIN_PATH, QUERY_PATH)
    assert login.json() == {"username": "sync-bot", "password": "s3cret"}
    assert query.json() == {"LspId": "42"}
    assert "authorization" not in query.headers

    backoffice.list_discounts("43")  # the session is kept: no second login
    assert [seen.path for seen in server.seen] == [LOGIN_PATH, QUERY_PATH, QUERY_PATH]
    assert sleeps.delays == []


def test_backoffice_carries_a_token_from_the_login_body(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"data": {"accessToken": "tok-1"}}'))
    server.route(
        "POST",
        QUERY_PATH,
        lambda seen: (
            Reply(200, f'{{"Result": true, "Data": {DISCOUNTS}}}')
            if seen.headers.get("authorization") == "Bearer tok-1"
            else Reply(401)
        ),
    )

    records = backoffice.list_discounts("42")

    assert len(records) == 2  # unwrapped from "Data"
    assert len(server.requests(LOGIN_PATH)) == 1


def test_backoffice_logs_in_again_once_when_the_session_expires(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route(
        "POST",
        LOGIN_PATH,
        Reply(200, headers={"Set-Cookie": "session=old; Path=/"}),
        Reply(200, headers={"Set-Cookie": "session=new; Path=/"}),
    )
    server.route("POST", QUERY_PATH, cookie_session("new"))

    assert len(backoffice.list_discounts("42")) == 2

    assert [seen.path for seen in server.seen] == [LOGIN_PATH, QUERY_PATH, LOGIN_PATH, QUERY_PATH]
    assert "session=old" in server.seen[1].headers["cookie"]
    assert server.seen[3].headers["cookie"] == "session=new"  # the old cookie was dropped


def test_backoffice_refused_twice_is_an_auth_error(
    server: FakeServer, backoffice: BackofficeClient, sleeps: Sleeps
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"token": "t"}'))
    server.route("POST", QUERY_PATH, Reply(401))

    with pytest.raises(SourceAuthError, match="refused right after a new login") as caught:
        backoffice.list_discounts("42", location_id=LOC)

    assert caught.value.source == "dutchie-backoffice"
    assert caught.value.location_id == LOC
    assert len(server.requests(LOGIN_PATH)) == 2  # one re-login, no more
    assert len(server.requests(QUERY_PATH)) == 2
    assert sleeps.delays == []
    assert not backoffice.logged_in


@pytest.mark.parametrize("status", [401, 403])
def test_backoffice_refused_login_is_an_auth_error_without_retry(
    server: FakeServer, backoffice: BackofficeClient, sleeps: Sleeps, status: int
) -> None:
    server.route("POST", LOGIN_PATH, Reply(status, '{"message": "bad password"}'))

    with pytest.raises(SourceAuthError, match="the login of 'sync-bot' was refused") as caught:
        backoffice.list_discounts("42")

    assert "s3cret" not in str(caught.value)
    assert [seen.path for seen in server.seen] == [LOGIN_PATH]
    assert sleeps.delays == []


def test_backoffice_forbidden_query_is_an_auth_error_without_relogin(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"token": "t"}'))
    server.route("POST", QUERY_PATH, Reply(403, "not your store"))

    with pytest.raises(SourceAuthError, match="HTTP 403 Forbidden: 'not your store'"):
        backoffice.list_discounts("42")

    assert len(server.requests(LOGIN_PATH)) == 1


def test_backoffice_login_without_cookie_or_token_is_refused(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"ok": true}'))

    with pytest.raises(SourceAuthError, match="without a session cookie or a token"):
        backoffice.login()

    assert not backoffice.logged_in


def test_backoffice_retries_login_and_query_on_server_errors(
    server: FakeServer, backoffice: BackofficeClient, sleeps: Sleeps
) -> None:
    server.route(
        "POST", LOGIN_PATH, Reply(502), Reply(200, headers={"Set-Cookie": "session=s; Path=/"})
    )
    server.route(
        "POST",
        QUERY_PATH,
        Reply(429, headers={"Retry-After": "1"}),
        Reply(503),
        cookie_session("s"),
    )

    assert len(backoffice.list_discounts("42")) == 2
    assert sleeps.delays == [0.5, 1.0, 1.0]  # login: 0.5; query: Retry-After 1, then 2**1 * 0.5


def test_backoffice_answer_that_is_not_a_list(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"token": "t"}'))
    server.route("POST", QUERY_PATH, Reply(200, '{"Result": false, "Message": "no such LSP"}'))

    with pytest.raises(SourceError, match="not a JSON list of discounts"):
        backoffice.list_discounts("42")


def test_backoffice_paths_and_location_field_are_options(
    server: FakeServer, sleeps: Sleeps
) -> None:
    server.route("POST", "/auth", Reply(200, '{"token": "t"}'))
    server.route("POST", "/discounts", Reply(200, "[]"))

    with BackofficeClient(
        base_url=server.url,
        username="u",
        password="p",
        login_path="/auth",
        discounts_path="/discounts",
        location_field="LocId",
        sleep=sleeps,
    ) as client:
        assert client.list_discounts("17") == []

    assert server.seen[1].json() == {"LocId": "17"}


def test_backoffice_source_fetches_deals(server: FakeServer, backoffice: BackofficeClient) -> None:
    server.route("POST", LOGIN_PATH, Reply(200, '{"token": "t"}'))
    server.route("POST", QUERY_PATH, Reply(200, DISCOUNTS))
    source = DutchieBackofficeSource(backoffice)

    assert isinstance(source, DiscountSource)
    assert source.name == "dutchie-backoffice"
    assert source.available_for(location(None))
    deals = source.fetch(location(None))

    assert [deal.id for deal in deals] == [f"{LOC}_4821", f"{LOC}_77"]
    assert server.requests(QUERY_PATH)[0].json() == {"LspId": LOC}  # no pos_id: the location id


def test_backoffice_source_errors_name_the_location(
    server: FakeServer, backoffice: BackofficeClient
) -> None:
    server.route("POST", LOGIN_PATH, Reply(500, "boom"))

    with pytest.raises(SourceError) as caught:
        DutchieBackofficeSource(backoffice).fetch(location("42"))

    assert caught.value.location_id == LOC
    assert "HTTP 500 Internal Server Error after 4 attempts: 'boom'" in caught.value.cause


def test_backoffice_client_refuses_an_empty_username() -> None:
    with pytest.raises(InvalidValueError) as caught:
        BackofficeClient(base_url="http://127.0.0.1:1", username=" ", password="p")
    assert caught.value.field == "username"


# --------------------------------------------------------------------------- the extra


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_sync_core_does_not_import_httpx() -> None:
    result = _run(
        """
        import sys
        import pricekit.sync, pricekit.sync.files
        print("httpx" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_httpx_the_module_names_the_extra() -> None:
    result = _run(
        """
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "httpx":
                    raise ImportError("No module named 'httpx' (blocked by the test)")
                return None

        sys.meta_path.insert(0, Block())
        try:
            import pricekit.sync.http
        except ImportError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'pricekit[http]'" in result.stdout
    assert "'httpx'" in result.stdout
