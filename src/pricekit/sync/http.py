"""Discount sources over HTTP: Dutchie's POS API and its back office (the ``http`` extra).

Needs ``httpx`` (``pip install 'pricekit[http]'``); ``import pricekit.sync`` does
not import this module.

- :class:`DutchiePosClient` and :class:`DutchiePosSource`: the POS API, the
  primary source of the discount sync (the seed's Phase 3), one API key per
  location (:class:`PosApiKeys`).
- :class:`BackofficeClient` and :class:`DutchieBackofficeSource`: the back
  office, the fallback for locations without a POS API key, through one logged-in
  session.

Both clients read JSON with ``parse_float=Decimal`` (amounts stay exact) and
share one retry policy: a ``429``, any ``5xx``, a timeout or a network error is
tried again, up to ``retries`` more times, after ``backoff * 2**n`` seconds
(``n`` = 0, 1, 2, ...) capped at ``max_backoff``; a ``Retry-After`` given in
seconds replaces that delay (capped too; an HTTP-date is ignored). A ``401`` or
``403`` raises :class:`~pricekit.sync.ports.SourceAuthError` at once; any other
failure raises :class:`~pricekit.sync.ports.SourceError` whose ``cause`` says
what came back (the status and the start of the body, "not JSON", "not a JSON
list"). Credentials never appear in errors.

## HTTP shapes

**POS API** (Dutchie's documented API):
``GET {base_url}/discounts/v2/list?includeInclusionExclusionData=true`` with
HTTP Basic auth, the location's API key as the user name and an empty password.
The answer is a JSON array of discounts, each an object read by
:func:`~pricekit.deals.sources.parse_dutchie_list`.

**Back office** (not a published API; the seed names only the discount call,
so the rest is an **assumption**, and the paths and the location field are
options):

1. Login: ``POST {base_url}{login_path}`` (default ``/api/v2/auth/login``) with
   the JSON body ``{"username": ..., "password": ...}``. A ``2xx`` answer
   opens the session: the cookies it sets are kept and sent back, and a token in
   its JSON body (``token``, ``accessToken`` or ``access_token``, at the top
   level or inside ``data`` / ``Data``) is sent as ``Authorization: Bearer
   <token>``. An answer with neither is refused as a failed login.
2. Discounts: ``POST {base_url}{discounts_path}`` (default
   ``/api/v2/discount/get-discount``) with the JSON body ``{location_field:
   <pos id>}`` (default field ``LspId``). The answer is a JSON array of discounts
   in the POS API's shape, or an object carrying that array under ``Data``,
   ``data`` or ``discounts``.
3. A ``401`` on the discount call means the session expired: the client logs in
   once more and repeats the call; a second ``401`` raises
   :class:`~pricekit.sync.ports.SourceAuthError`.
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("httpx", extra="http")

import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping  # noqa: E402
from decimal import Decimal  # noqa: E402
from types import TracebackType  # noqa: E402
from typing import Any, Self  # noqa: E402

import httpx  # noqa: E402

from pricekit._version import __version__  # noqa: E402
from pricekit.deals.models import Deal  # noqa: E402
from pricekit.deals.sources import parse_dutchie_list  # noqa: E402
from pricekit.errors import InvalidValueError  # noqa: E402
from pricekit.sync.ports import Location, SourceAuthError, SourceError  # noqa: E402

__all__ = [
    "DUTCHIE_POS_URL",
    "BackofficeClient",
    "DutchieBackofficeSource",
    "DutchiePosClient",
    "DutchiePosSource",
    "PosApiKeys",
]

DUTCHIE_POS_URL = "https://api.pos.dutchie.com"
"""The POS API's base URL."""

_POS_SOURCE = "dutchie-pos"
_BACKOFFICE_SOURCE = "dutchie-backoffice"
_DISCOUNTS_PATH = "/discounts/v2/list"
_EXCERPT_LIMIT = 200
_TOKEN_KEYS = ("token", "accessToken", "access_token")
_ENVELOPE_KEYS = ("Data", "data", "discounts")
_AUTH_STATUSES = (401, 403)


class _Http:
    """One ``httpx.Client`` with the retry policy both clients share."""

    def __init__(
        self,
        *,
        source: str,
        base_url: str,
        timeout: float,
        retries: int,
        backoff: float,
        max_backoff: float,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
    ) -> None:
        _check_number("timeout", timeout, minimum=0, inclusive=False)
        _check_number("backoff", backoff, minimum=0, inclusive=True)
        _check_number("max_backoff", max_backoff, minimum=0, inclusive=True)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidValueError(
                field="retries", value=retries, reason="expected a whole number, 0 or more"
            )
        if not isinstance(base_url, str) or not base_url.strip():
            raise InvalidValueError(field="base_url", value=base_url, reason="expected a URL")
        self.source = source
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.sleep = sleep
        self.client = httpx.Client(
            base_url=base_url,
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": f"pricekit/{__version__}"},
        )

    def send(
        self, method: str, path: str, *, location_id: str | None, **options: Any
    ) -> httpx.Response:
        """Send, trying again on 429, 5xx and transport failures; the first other answer.

        Raises:
            SourceError: Every attempt failed, or the request could not be sent.
        """
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            try:
                response = self.client.request(method, path, **options)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if last:
                    raise self.error(
                        f"{self.describe(exc)}{_after(attempts)}", location_id=location_id
                    ) from exc
                self.sleep(self.delay(attempt, None))
                continue
            except httpx.HTTPError as exc:  # a bad URL, an unsupported protocol, ...
                raise self.error(self.describe(exc), location_id=location_id) from exc
            if not _retryable(response.status_code):
                return response
            if last:
                raise self.error(
                    f"{_status(response)}{_after(attempts)}: {_excerpt(response)}",
                    location_id=location_id,
                )
            self.sleep(self.delay(attempt, response.headers.get("Retry-After")))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry ``attempt + 1``."""
        wait = self.backoff * 2.0**attempt
        if retry_after is not None:
            try:
                asked = float(retry_after.strip())
            except ValueError:
                asked = math.nan  # an HTTP-date: keep the exponential delay
            if math.isfinite(asked):
                wait = max(asked, 0.0)
        return min(wait, self.max_backoff)

    def describe(self, exc: httpx.HTTPError) -> str:
        """A short account of a transport failure."""
        if isinstance(exc, httpx.TimeoutException):
            return f"no answer within {self.timeout:g} s ({type(exc).__name__})"
        text = str(exc)
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    def error(self, cause: str, *, location_id: str | None, auth: bool = False) -> SourceError:
        """A :class:`SourceError` (or :class:`SourceAuthError`) from this source."""
        kind = SourceAuthError if auth else SourceError
        return kind(source=self.source, cause=cause, location_id=location_id)

    def refuse(self, response: httpx.Response, *, location_id: str | None) -> SourceError:
        """The error for an answer that is neither a success nor retried."""
        return self.error(
            f"{_status(response)}: {_excerpt(response)}",
            location_id=location_id,
            auth=response.status_code in _AUTH_STATUSES,
        )

    def json(self, response: httpx.Response, *, location_id: str | None) -> Any:
        """The body as JSON, with ``Decimal`` for every number with a fraction or exponent."""
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise self.error(
                f"the answer is not JSON ({exc}): {_excerpt(response)}", location_id=location_id
            ) from None
        except RecursionError:  # valid syntax nested past what the parser can read
            raise self.error(
                f"the answer is not JSON (nested too deeply): {_excerpt(response)}",
                location_id=location_id,
            ) from None

    def discount_list(self, body: Any, *, location_id: str | None) -> list[dict[str, Any]]:
        """``body`` checked to be a JSON list of objects."""
        if not isinstance(body, list):
            raise self.error(
                f"not a JSON list of discounts (got a JSON {_kind(body)})",
                location_id=location_id,
            )
        for index, item in enumerate(body):
            if not isinstance(item, dict):
                raise self.error(
                    f"not a JSON list of discounts (item {index} is a JSON {_kind(item)})",
                    location_id=location_id,
                )
        return body


class _Closing:
    """A client over one :class:`_Http`: ``close()`` and ``with`` close its pool.

    Closing does not log a back-office session out.
    """

    _http: _Http

    def close(self) -> None:
        """Close the connection pool."""
        self._http.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class DutchiePosClient(_Closing):
    """A client of Dutchie's POS API: one location's discounts per API key.

    ``timeout`` is per phase of a request (connecting, sending, each read), as
    ``httpx`` counts it, not for the whole call. The client holds a connection
    pool: close it (or use it as a context manager) when done.

    Args:
        base_url: The API's base URL.
        timeout: Seconds to wait for each phase of a request.
        retries: How many times to try again after a 429, a 5xx, a timeout or a
            network error (0: never).
        backoff: The first retry's delay in seconds; each next one doubles.
        max_backoff: The longest delay, whether computed or asked by ``Retry-After``.
        transport: An ``httpx`` transport, e.g. ``httpx.MockTransport`` in tests.
        sleep: How to wait between attempts (``time.sleep``; tests pass a recorder).

    Raises:
        InvalidValueError: A negative ``retries``, ``backoff`` or ``max_backoff``,
            or a ``timeout`` that is not above 0.
    """

    def __init__(
        self,
        *,
        base_url: str = DUTCHIE_POS_URL,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = _Http(
            source=_POS_SOURCE,
            base_url=base_url,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            transport=transport,
            sleep=sleep,
        )

    def list_discounts(
        self, api_key: str, *, location_id: str | None = None
    ) -> list[dict[str, Any]]:
        """``GET /discounts/v2/list?includeInclusionExclusionData=true`` with ``api_key``.

        Args:
            api_key: The location's POS API key (HTTP Basic user name, empty password).
            location_id: The location asked about, for error messages only.

        Returns:
            The discounts as parsed JSON objects, numbers with a fraction as ``Decimal``.

        Raises:
            SourceAuthError: The key is empty, or the API answered 401 or 403.
            SourceError: Every attempt failed, or the answer was another error
                or not a JSON list of objects.
        """
        if not isinstance(api_key, str) or not api_key:
            raise self._http.error("no API key was given", location_id=location_id, auth=True)
        response = self._http.send(
            "GET",
            _DISCOUNTS_PATH,
            location_id=location_id,
            params={"includeInclusionExclusionData": "true"},
            auth=httpx.BasicAuth(api_key, ""),
        )
        if response.status_code in _AUTH_STATUSES:
            raise self._http.error(
                f"{_status(response)}: the API key was refused",
                location_id=location_id,
                auth=True,
            )
        if not response.is_success:
            raise self._http.refuse(response, location_id=location_id)
        body = self._http.json(response, location_id=location_id)
        return self._http.discount_list(body, location_id=location_id)


class BackofficeClient(_Closing):
    """A client of Dutchie's back office: logs in once, then lists discounts per location.

    The login happens on the first :meth:`list_discounts` (or an explicit
    :meth:`login`), never in the constructor. The HTTP shapes are assumed (see
    the module's documentation); the paths and the location field are options
    so that a host can match its back office. Calls are serialized by a lock: one
    session, one request at a time.

    Args:
        base_url: The back office's base URL (the tenant's own host).
        username: The back-office user.
        password: Its password.
        timeout: Seconds to wait for each phase of a request.
        retries: How many times to try again after a 429, a 5xx, a timeout or a
            network error (0: never).
        backoff: The first retry's delay in seconds; each next one doubles.
        max_backoff: The longest delay, whether computed or asked by ``Retry-After``.
        login_path: Where to ``POST`` the login.
        discounts_path: Where to ``POST`` the discount query.
        location_field: The key of the discount query's JSON body that carries
            the location's POS id.
        transport: An ``httpx`` transport, e.g. ``httpx.MockTransport`` in tests.
        sleep: How to wait between attempts.

    Raises:
        InvalidValueError: A bad option (as for :class:`DutchiePosClient`), or an
            empty ``username``.
    """

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        login_path: str = "/api/v2/auth/login",
        discounts_path: str = "/api/v2/discount/get-discount",
        location_field: str = "LspId",
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(username, str) or not username.strip():
            raise InvalidValueError(field="username", value=username, reason="must not be empty")
        self._http = _Http(
            source=_BACKOFFICE_SOURCE,
            base_url=base_url,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            transport=transport,
            sleep=sleep,
        )
        self._username = username
        self._password = password
        self._login_path = login_path
        self._discounts_path = discounts_path
        self._location_field = location_field
        self._token: str | None = None
        self._logged_in = False
        self._lock = threading.Lock()

    @property
    def logged_in(self) -> bool:
        """Whether a session is open (it may still have expired at the server)."""
        return self._logged_in

    def login(self) -> None:
        """Open a new session, dropping the old one.

        Raises:
            SourceAuthError: The back office refused the user (401 or 403), or
                answered without a session cookie or a token.
            SourceError: Every attempt failed, or another error came back.
        """
        with self._lock:
            self._login(location_id=None)

    def list_discounts(
        self, location_pos_id: str, *, location_id: str | None = None
    ) -> list[dict[str, Any]]:
        """One location's discounts, logging in first if need be.

        Args:
            location_pos_id: The location's id at the POS, sent as ``location_field``.
            location_id: The location asked about, for error messages only.

        Returns:
            The discounts as parsed JSON objects, numbers with a fraction as ``Decimal``.

        Raises:
            SourceAuthError: The login was refused, the session was refused again
                right after a new login, or the call answered 403.
            SourceError: Every attempt failed, or the answer was another error
                or not a list of discount objects.
        """
        with self._lock:
            if not self._logged_in:
                self._login(location_id=location_id)
            response = self._query(location_pos_id, location_id=location_id)
            if response.status_code == 401:
                self._login(location_id=location_id)
                response = self._query(location_pos_id, location_id=location_id)
                if response.status_code == 401:
                    self._logged_in = False
                    raise self._http.error(
                        f"{_status(response)}: the session was refused right after a new login",
                        location_id=location_id,
                        auth=True,
                    )
        if not response.is_success:
            raise self._http.refuse(response, location_id=location_id)
        body = self._http.json(response, location_id=location_id)
        if isinstance(body, dict):
            for key in _ENVELOPE_KEYS:
                if isinstance(body.get(key), list):
                    body = body[key]
                    break
        return self._http.discount_list(body, location_id=location_id)

    def _login(self, *, location_id: str | None) -> None:
        self._logged_in = False
        self._token = None
        self._http.client.cookies.clear()
        response = self._http.send(
            "POST",
            self._login_path,
            location_id=location_id,
            json={"username": self._username, "password": self._password},
        )
        if response.status_code in _AUTH_STATUSES:
            raise self._http.error(
                f"{_status(response)}: the login of {self._username!r} was refused",
                location_id=location_id,
                auth=True,
            )
        if not response.is_success:
            raise self._http.refuse(response, location_id=location_id)
        token = _find_token(response)
        if token is None and not response.cookies:
            raise self._http.error(
                "the login answered without a session cookie or a token",
                location_id=location_id,
                auth=True,
            )
        self._token = token
        self._logged_in = True

    def _query(self, location_pos_id: str, *, location_id: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return self._http.send(
            "POST",
            self._discounts_path,
            location_id=location_id,
            json={self._location_field: location_pos_id},
            headers=headers,
        )


class PosApiKeys:
    """Finds a location's POS API key: an explicit mapping, else an environment variable.

    The key is looked up by the location's POS id (``pos_id``, else
    ``location_id``): first in ``keys``, then in the variable
    ``{env_prefix}{id}`` (the seed's ``DUTCHIE_POS_API_KEY_{lspId}``) and, if
    that differs, ``{env_prefix}{ID}`` with every character other than a letter,
    a digit or ``_`` made ``_`` and letters made upper case (so a UUID id can be
    given from a shell). A blank value counts as no key. The environment is read
    at each call, not once.

    Args:
        keys: Keys by POS id, consulted first.
        env_prefix: The variables' prefix; ``None`` reads no variable.
        environ: Where to read variables (``os.environ``).
    """

    def __init__(
        self,
        keys: Mapping[str, str] | None = None,
        *,
        env_prefix: str | None = "DUTCHIE_POS_API_KEY_",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._keys = dict(keys or {})
        self._prefix = env_prefix
        self._environ = environ

    def env_vars(self, location: Location) -> list[str]:
        """The variable names read for ``location``, in order (none without a prefix)."""
        if self._prefix is None:
            return []
        pos_id = _pos_id(location)
        names = [f"{self._prefix}{pos_id}"]
        shell = f"{self._prefix}{re.sub(r'[^A-Za-z0-9_]', '_', pos_id).upper()}"
        if shell not in names:
            names.append(shell)
        return names

    def __call__(self, location: Location) -> str | None:
        """The location's key, or ``None`` if none is configured."""
        key = self._keys.get(_pos_id(location))
        if key and key.strip():
            return key.strip()
        environ = os.environ if self._environ is None else self._environ
        for name in self.env_vars(location):
            value = environ.get(name)
            if value and value.strip():
                return value.strip()
        return None


class DutchiePosSource:
    """Discounts from Dutchie's POS API, for the locations that have an API key.

    Args:
        client: The API client (the source does not close it).
        keys: Maps a location to its API key, or ``None`` for none
            (:class:`PosApiKeys` reading the environment by default).
    """

    name: str = _POS_SOURCE
    """``dutchie-pos``."""

    def __init__(
        self,
        client: DutchiePosClient,
        keys: Callable[[Location], str | None] | None = None,
    ) -> None:
        self._client = client
        self._keys: Callable[[Location], str | None] = PosApiKeys() if keys is None else keys

    def available_for(self, location: Location) -> bool:
        """Whether an API key is configured for ``location``."""
        return bool(self._keys(location))

    def fetch(self, location: Location) -> list[Deal]:
        """The location's discounts from the POS API, as deals.

        Raises:
            SourceAuthError: No API key is configured, or the API refused it.
            SourceError: The API could not answer.
            InvalidValueError: A discount pricekit refuses (from
                :func:`~pricekit.deals.sources.parse_dutchie_list`).
        """
        key = self._keys(location)
        if not key:
            hint = ""
            if isinstance(self._keys, PosApiKeys) and self._keys.env_vars(location):
                hint = f" (set {self._keys.env_vars(location)[0]})"
            raise SourceAuthError(
                source=self.name,
                location_id=location.location_id,
                cause=f"no POS API key is configured for POS id {_pos_id(location)!r}{hint}",
            )
        records = self._client.list_discounts(key, location_id=location.location_id)
        return parse_dutchie_list(
            records,
            location_id=location.location_id,
            time_zone=location.time_zone,
            currency=location.currency,
        )


class DutchieBackofficeSource:
    """Discounts from Dutchie's back office, for any location (one session serves them all).

    Args:
        client: The back-office client (the source does not close it).
    """

    name: str = _BACKOFFICE_SOURCE
    """``dutchie-backoffice``."""

    def __init__(self, client: BackofficeClient) -> None:
        self._client = client

    def available_for(self, location: Location) -> bool:
        """Always ``True``: the client's credentials serve every location."""
        return True

    def fetch(self, location: Location) -> list[Deal]:
        """The location's discounts from the back office, as deals.

        The records are read as the POS API's (an assumption: see the module's
        documentation).

        Raises:
            SourceAuthError: The back office refused the login or the session.
            SourceError: The back office could not answer.
            InvalidValueError: A discount pricekit refuses.
        """
        records = self._client.list_discounts(_pos_id(location), location_id=location.location_id)
        return parse_dutchie_list(
            records,
            location_id=location.location_id,
            time_zone=location.time_zone,
            currency=location.currency,
        )


# --------------------------------------------------------------------------- helpers


def _pos_id(location: Location) -> str:
    return location.pos_id or location.location_id


def _check_number(field: str, value: float, *, minimum: float, inclusive: bool) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= minimum if inclusive else value > minimum)
    )
    if not ok:
        bound = f"{minimum:g} or more" if inclusive else f"above {minimum:g}"
        raise InvalidValueError(field=field, value=value, reason=f"expected a number {bound}")


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def _after(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if not text:
        return "(empty body)"
    if len(text) > _EXCERPT_LIMIT:
        text = text[: _EXCERPT_LIMIT - 3] + "..."
    return repr(text)


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _find_token(response: httpx.Response) -> str | None:
    """A bearer token in a login answer's JSON body, if it has one."""
    try:
        body = json.loads(response.content) if response.content.strip() else None
    except (ValueError, RecursionError):  # not JSON, or nested too deeply: no token
        return None
    if not isinstance(body, dict):
        return None
    for scope in (body, body.get("data"), body.get("Data")):
        if isinstance(scope, dict):
            for key in _TOKEN_KEYS:
                token = scope.get(key)
                if isinstance(token, str) and token.strip():
                    return token.strip()
    return None
