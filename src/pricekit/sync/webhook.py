"""The PTL webhook: the seed's two publishing endpoints and the deals read, without a framework.

When marketing publishes a PTL day, the promotional calendar pushes the
location's whole PTL set straight into the deal cache, bypassing the sync
cycle. :class:`PtlWebhook` is that pipeline's HTTP logic, framework-free: a host
(Starlette, FastAPI, Flask, Django, a plain WSGI app) routes each request to one
of its methods and turns the :class:`WebhookResponse` into its own response.
``examples/webhook_app.py`` mounts it on Starlette.

| Route                                          | Method                                  |
|------------------------------------------------|-----------------------------------------|
| ``POST /api/webhook/ptl-discount-sync``        | :meth:`PtlWebhook.handle_ptl_sync`      |
| ``POST /api/locations/{id}/discounts/bulk``    | :meth:`PtlWebhook.handle_bulk`          |
| ``GET /api/locations/{id}/discounts``          | :meth:`PtlWebhook.handle_get_discounts` |

Both ``POST`` routes take the body ``{"location_id", "source": "ptl",
"discounts": [...]}`` (the bulk route takes the location from its path, and a
``location_id`` in the body must then agree) and an ``X-API-Key`` header, and
both run the seed's ``mergePtlDiscounts()``: :meth:`DealCache.merge_ptl
<pricekit.deals.ports.DealCache.merge_ptl>`, one atomic read-merge-write, so two
publications for one location never lose each other's write.

A ``POST`` is checked in this order, and the first failure answers:

| Status | When                                                                      |
|--------|---------------------------------------------------------------------------|
| 401    | ``X-API-Key`` missing, given twice, or not one of the configured keys     |
| 413    | the body is larger than ``max_body_bytes``                                |
| 400    | the body is not JSON (or is empty, has a repeated key, or ``NaN``)        |
| 422    | the body is refused, e.g. no ``location_id``, a repeated discount id, a   |
|        | refused discount: ``{"error", "field", "value", "reason"}``               |
| 404    | the location is unknown (``time_zone_for`` has no zone for it)            |
| 503    | the deal cache (or the location lookup) is unavailable; nothing written   |
| 500    | the location's configured time zone is not an IANA zone                   |
| 200    | merged: ``{"location_id", "received", "merged", "ptl", "dutchie_kept",    |
|        | "replaced_by_dutchie"}``                                                  |

``ptl`` lists the ids of the PTL deals now cached, ``dutchie_kept`` counts the
Dutchie deals kept, and ``replaced_by_dutchie`` maps each incoming PTL deal left
out because it duplicates a Dutchie deal to that Dutchie deal's id (see
:func:`~pricekit.deals.merge.merge_ptl_report`). Posting the same body again
gives the same cached set and the same answer.

The read answers 200 with ``{"location_id", "count", "discounts"}`` (each deal as
the seed's stored record, :meth:`Deal.to_record
<pricekit.deals.models.Deal.to_record>`), 404 when nothing is cached for the
location yet, and 503 when the cache cannot be read: a failed read is never an
empty list.

API keys are compared in constant time (SHA-256 digests compared with
:func:`hmac.compare_digest`, against every configured key, without stopping at
a match); the keys themselves are not kept, logged or shown in ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, NoReturn, TypeAlias

from pricekit.deals.merge import is_ptl_deal, merge_ptl_report
from pricekit.deals.ports import DealCache
from pricekit.deals.sources import parse_ptl_payload
from pricekit.errors import BackendUnavailableError, InvalidValueError, ModelValidationError
from pricekit.money import get_currency
from pricekit.time import zone

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_MAX_BODY_BYTES",
    "PtlWebhook",
    "WebhookBody",
    "WebhookHeaders",
    "WebhookResponse",
]

API_KEY_HEADER: Final = "X-API-Key"
"""The header that carries the caller's API key (matched ignoring case)."""

DEFAULT_MAX_BODY_BYTES: Final = 5 * 1024 * 1024
"""The largest body accepted by default: 5 MiB (a PTL day is a few hundred kilobytes)."""

WebhookHeaders: TypeAlias = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]
"""Request headers: a mapping, or ``(name, value)`` pairs (``bytes`` read as Latin-1)."""

WebhookBody: TypeAlias = bytes | bytearray | str | Mapping[str, Any]
"""A request body: the raw bytes or text (JSON), or a JSON object already parsed."""

_log = logging.getLogger(__name__)

_SHOWN_CHARS = 200
"""How much of a refused value a 422 answer echoes."""


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """What to answer: a status, a JSON-ready body and extra headers.

    Attributes:
        status: The HTTP status code.
        body: The JSON body: only ``dict``, ``list``, ``str``, ``int``, ``bool``
            and ``None`` inside, so ``json.dumps`` takes it as it is.
        headers: Headers to add, e.g. ``Retry-After`` on a 503.
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _RespondError(Exception):
    """Stops handling a request with a response (internal control flow)."""

    def __init__(self, response: WebhookResponse) -> None:
        super().__init__(response.status)
        self.response = response


class _UnacceptableJsonError(ValueError):
    """JSON that :func:`json.loads` would take but the webhook refuses."""


def _refuse_constant(name: str) -> NoReturn:
    raise _UnacceptableJsonError(f"{name} is not a JSON number")


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _UnacceptableJsonError(f"the key {key!r} is given twice in one object")
        obj[key] = value
    return obj


def _json_value(value: object) -> str | int | bool | None:
    """A refused value as a short JSON scalar, for a 422 answer."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        text = value
    elif isinstance(value, Decimal):
        text = str(value)
    else:
        text = repr(value)
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 3] + "..."
    return text


def _header_values(headers: WebhookHeaders, name: str) -> list[str]:
    """Every value of the header ``name`` (ignoring case), in order."""
    wanted = name.lower()
    pairs: Iterable[tuple[str | bytes, str | bytes]] = (
        headers.items() if isinstance(headers, Mapping) else headers
    )
    found: list[str] = []
    for key, value in pairs:
        key_text = key.decode("latin-1") if isinstance(key, bytes) else key
        if key_text.lower() == wanted:
            found.append(value.decode("latin-1") if isinstance(value, bytes) else value)
    return found


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class PtlWebhook:
    """The PTL webhook's three routes over a :class:`~pricekit.deals.ports.DealCache`.

    Framework-free and thread-safe (it holds only its configuration): route
    ``POST /api/webhook/ptl-discount-sync`` to :meth:`handle_ptl_sync`, ``POST
    /api/locations/{id}/discounts/bulk`` to :meth:`handle_bulk` and ``GET
    /api/locations/{id}/discounts`` to :meth:`handle_get_discounts`. The methods
    are synchronous: call them from a worker thread in an async framework (the
    cache does I/O). See the module's documentation for the statuses.

    Args:
        cache: Where each location's deals are cached.
        api_keys: The accepted API key, or several (e.g. the old and the new one
            while rotating); a request must send one of them as ``X-API-Key``.
            Surrounding whitespace is ignored, on both sides.
        time_zone_for: Each known location's IANA time zone, as a mapping or a
            function of the location id. A location without one (missing from
            the mapping; the function returns ``None`` or raises ``LookupError``)
            is unknown: 404. A function that raises
            :class:`~pricekit.errors.BackendUnavailableError` gives 503; any
            other exception propagates.
        currency: The currency of the discounts' amounts.
        max_body_bytes: The largest body accepted, in bytes (413 above it).
        retry_after_seconds: The ``Retry-After`` sent with a 503 (``None``: none).

    Raises:
        InvalidValueError: No API key, an empty one (``api_keys``), an unknown
            ``currency``, or ``max_body_bytes`` below 1.
    """

    __slots__ = (
        "_cache",
        "_currency",
        "_key_digests",
        "_max_body_bytes",
        "_retry_after",
        "_time_zone_for",
    )

    def __init__(
        self,
        *,
        cache: DealCache,
        api_keys: str | Iterable[str],
        time_zone_for: Mapping[str, str] | Callable[[str], str | None],
        currency: str = "USD",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        retry_after_seconds: int | None = 5,
    ) -> None:
        keys = (api_keys,) if isinstance(api_keys, str) else tuple(api_keys)
        if not keys:
            raise InvalidValueError(
                field="api_keys", value=(), reason="at least one API key is required"
            )
        for index, key in enumerate(keys):
            if not isinstance(key, str) or not key.strip():
                # the value is not echoed: it may be a secret
                raise InvalidValueError(
                    field=f"api_keys[{index}]",
                    value="<hidden>",
                    reason="expected a non-empty string",
                )
        if isinstance(max_body_bytes, bool) or max_body_bytes < 1:
            raise InvalidValueError(
                field="max_body_bytes", value=max_body_bytes, reason="must be at least 1"
            )
        self._cache = cache
        self._key_digests = tuple(dict.fromkeys(_digest(key.strip()) for key in keys))
        self._time_zone_for = time_zone_for
        self._currency = get_currency(currency).code
        self._max_body_bytes = max_body_bytes
        self._retry_after = retry_after_seconds

    def __repr__(self) -> str:
        return (
            f"PtlWebhook(cache={self._cache!r}, api_keys=<{len(self._key_digests)} hidden>, "
            f"currency={self._currency!r}, max_body_bytes={self._max_body_bytes})"
        )

    @property
    def max_body_bytes(self) -> int:
        """The largest body accepted, in bytes: a host may stop reading past it."""
        return self._max_body_bytes

    # -- the routes -----------------------------------------------------------------------

    def handle_ptl_sync(self, headers: WebhookHeaders, body: WebhookBody) -> WebhookResponse:
        """``POST /api/webhook/ptl-discount-sync``: merge a PTL publication.

        The location is the body's ``location_id``.

        Args:
            headers: The request's headers (``X-API-Key`` is read).
            body: The request's body: raw JSON, or the object already parsed
                (then with ``parse_float=Decimal``, and no size check).
        """
        return self._publish(headers, body, path_location=None, route="ptl-discount-sync")

    def handle_bulk(
        self, location_id: str, headers: WebhookHeaders, body: WebhookBody
    ) -> WebhookResponse:
        """``POST /api/locations/{location_id}/discounts/bulk``: merge a PTL publication.

        The location is the path's; a ``location_id`` in the body must be the same.

        Args:
            location_id: The location in the path.
            headers: The request's headers (``X-API-Key`` is read).
            body: The request's body, as for :meth:`handle_ptl_sync`.
        """
        return self._publish(headers, body, path_location=location_id, route="bulk")

    def handle_get_discounts(self, location_id: str) -> WebhookResponse:
        """``GET /api/locations/{location_id}/discounts``: the deals cached for a location.

        200 with ``{"location_id", "count", "discounts"}``, the deals as stored
        records in cached order; 404 when nothing is cached yet; 503 when the
        cache cannot be read.

        Args:
            location_id: The location in the path.
        """
        try:
            deals = self._cache.get(location_id)
        except BackendUnavailableError as exc:
            return self._unavailable(exc, location_id=location_id, route="get")
        except InvalidValueError as exc:  # e.g. a key the cache refuses
            return _refused(exc, route="get")
        if deals is None:
            _log.info("get: nothing cached for %r", location_id)
            return WebhookResponse(
                404,
                {
                    "error": f"no deals are cached for location {location_id!r} yet",
                    "location_id": location_id,
                },
            )
        return WebhookResponse(
            200,
            {
                "location_id": location_id,
                "count": len(deals),
                "discounts": [deal.to_record() for deal in deals],
            },
        )

    # -- the steps ------------------------------------------------------------------------

    def _publish(
        self,
        headers: WebhookHeaders,
        body: WebhookBody,
        *,
        path_location: str | None,
        route: str,
    ) -> WebhookResponse:
        location: str | None = path_location
        try:
            self._authorize(headers, route=route)
            payload = self._read(body, route=route)
            document, location = _location_of(payload, path_location)
            time_zone = self._zone_of(location, route=route)
            location, deals = parse_ptl_payload(
                document, time_zone=time_zone, currency=self._currency, location_id=path_location
            )
            merged = self._cache.merge_ptl(location, deals)
        except _RespondError as answer:
            return answer.response
        except BackendUnavailableError as exc:
            return self._unavailable(exc, location_id=location, route=route)
        except InvalidValueError as exc:
            return _refused(exc, route=route)

        # The report is read off the merged set, not from a separate read: the
        # merge's Dutchie deals are exactly those it merged against, so
        # replaying the pure merge against them says which incoming deals lost.
        dutchie = [deal for deal in merged if not is_ptl_deal(deal)]
        report = merge_ptl_report(dutchie, deals, location_id=location)
        ptl_ids = [deal.id for deal in merged if is_ptl_deal(deal)]
        _log.info(
            "%s: merged %d PTL deal(s) into %r: %d cached, %d PTL, %d Dutchie kept, "
            "%d replaced by Dutchie",
            route,
            len(deals),
            location,
            len(merged),
            len(ptl_ids),
            len(dutchie),
            len(report.replaced_by_dutchie),
        )
        return WebhookResponse(
            200,
            {
                "location_id": location,
                "received": len(deals),
                "merged": len(merged),
                "ptl": ptl_ids,
                "dutchie_kept": len(dutchie),
                "replaced_by_dutchie": dict(report.replaced_by_dutchie),
            },
        )

    def _authorize(self, headers: WebhookHeaders, *, route: str) -> None:
        """Pass when ``X-API-Key`` is one of the keys; else answer 401."""
        values = _header_values(headers, API_KEY_HEADER)
        if len(values) == 1:
            given = _digest(values[0].strip())
            matched = False
            for digest in self._key_digests:  # every key, no early exit
                matched |= hmac.compare_digest(given, digest)
            if matched:
                return
            why = "an API key that is not accepted"
        else:
            why = "no API key" if not values else f"{len(values)} API keys"
        _log.warning("%s: refused a request with %s", route, why)
        raise _RespondError(
            WebhookResponse(401, {"error": f"a valid {API_KEY_HEADER} header is required"})
        )

    def _read(self, body: object, *, route: str) -> object:
        """The body as parsed JSON; 413 when too large, 400 when not JSON."""
        if isinstance(body, Mapping):
            return body
        if isinstance(body, str):
            size = len(body.encode("utf-8", "surrogatepass"))
        elif isinstance(body, bytes | bytearray):
            size = len(body)
        else:
            return body  # already parsed, but not an object: refused as the body
        if size > self._max_body_bytes:
            _log.warning("%s: refused a body of %d bytes", route, size)
            raise _RespondError(
                WebhookResponse(
                    413,
                    {
                        "error": f"the body is larger than {self._max_body_bytes} bytes",
                        "limit": self._max_body_bytes,
                    },
                )
            )
        if not body.strip():
            problem = "the body is empty; expected a JSON object"
        else:
            try:
                return json.loads(
                    body,
                    parse_float=Decimal,
                    parse_constant=_refuse_constant,
                    object_pairs_hook=_object_without_repeats,
                )
            except json.JSONDecodeError as exc:
                problem = f"the body is not valid JSON: {exc}"
            except UnicodeDecodeError as exc:
                problem = f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}"
            except RecursionError:
                problem = "the body is not acceptable JSON: nested too deeply"
            except ValueError as exc:  # _UnacceptableJsonError, an integer of too many digits
                problem = f"the body is not acceptable JSON: {exc}"
        _log.info("%s: %s", route, problem)
        raise _RespondError(WebhookResponse(400, {"error": problem}))

    def _zone_of(self, location: str, *, route: str) -> str:
        """The location's IANA zone; 404 when it is unknown, 500 when it is misconfigured."""
        lookup = self._time_zone_for
        try:
            found = lookup.get(location) if isinstance(lookup, Mapping) else lookup(location)
        except LookupError:
            found = None
        if found is None:
            _log.info("%s: unknown location %r", route, location)
            raise _RespondError(
                WebhookResponse(
                    404, {"error": f"unknown location {location!r}", "location_id": location}
                )
            )
        try:
            zone(found, field="time_zone")
        except InvalidValueError as exc:
            _log.error("%s: location %r has a bad time zone: %s", route, location, exc)
            raise _RespondError(
                WebhookResponse(
                    500,
                    {
                        "error": f"location {location!r} is configured without a valid time zone",
                        "location_id": location,
                    },
                )
            ) from None
        return found

    def _unavailable(
        self, exc: BackendUnavailableError, *, location_id: str | None, route: str
    ) -> WebhookResponse:
        """503: the cause is logged, not sent (it may name hosts)."""
        _log.error("%s: %s", route, exc)
        headers = {} if self._retry_after is None else {"Retry-After": str(self._retry_after)}
        return WebhookResponse(
            503,
            {
                "error": "the deal cache is unavailable; nothing was written, try again later"
                if route != "get"
                else "the deal cache is unavailable; try again later",
                "location_id": location_id,
            },
            headers,
        )


def _location_of(payload: object, path_location: str | None) -> tuple[Mapping[str, Any], str]:
    """The location a publication is for, before the body is read in full.

    Raises:
        InvalidValueError: The body is not an object, or names no usable location.
    """
    if not isinstance(payload, Mapping):
        raise InvalidValueError(field="body", value=payload, reason="expected a JSON object")
    if path_location is not None:
        given: object = path_location
        if not path_location.strip():
            raise InvalidValueError(
                field="location_id", value=path_location, reason="the path's location is empty"
            )
    else:
        given = payload.get("location_id")
    if given is None or given == "":
        raise InvalidValueError(field="location_id", value=None, reason="is required in the body")
    if not isinstance(given, str) or not given.strip():
        raise InvalidValueError(
            field="location_id", value=given, reason="expected a non-empty string"
        )
    return payload, given


def _refused(exc: InvalidValueError, *, route: str) -> WebhookResponse:
    """422 naming the refused field."""
    _log.info("%s: refused %s: %s", route, exc.field, exc.reason)
    body: dict[str, Any] = {
        "error": str(exc),
        "field": exc.field,
        "value": _json_value(exc.value),
        "reason": exc.reason,
    }
    if isinstance(exc, ModelValidationError) and len(exc.errors) > 1:
        body["problems"] = [
            {"field": e.field, "value": _json_value(e.value), "reason": e.reason}
            for e in exc.errors
        ]
    return WebhookResponse(422, body)
