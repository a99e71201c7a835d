"""The errors pricekit raises.

Every error derives from :class:`PricekitError` and carries data, not only text:
the field and value that were refused, the ids that were not found, the states a
transition went between. A host can catch :class:`PricekitError` to handle them
all, or a subclass to handle one kind; the attributes let it build its own
message or HTTP response without parsing ours.

Errors about bad input also derive from :class:`ValueError` and lookups that
fail derive from :class:`LookupError`, so code that already catches those keeps
working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BackendUnavailableError",
    "ConfirmationRequiredError",
    "ConflictError",
    "CurrencyMismatchError",
    "FieldError",
    "InvalidStateTransitionError",
    "InvalidValueError",
    "ModelValidationError",
    "NotFoundError",
    "PricekitError",
    "UsageLimitReachedError",
]

_REPR_LIMIT = 80


def _show(value: object) -> str:
    """Render a refused value for a message, short enough to read."""
    text = repr(value)
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return text


class PricekitError(Exception):
    """The root of every error pricekit raises.

    Attributes:
        message: The human-readable explanation (also ``str(error)``).
        details: Extra data about the failure, for hosts that report it.
    """

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __reduce__(self) -> tuple[Any, ...]:  # pragma: no cover - exercised via pickle
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[PricekitError], state: dict[str, Any]) -> PricekitError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class InvalidValueError(PricekitError, ValueError):
    """A value was refused at the boundary.

    Attributes:
        field: The name (or dotted path) of the field that was refused.
        value: The value that was refused, as given.
        reason: Why it was refused, in a few words.
    """

    def __init__(self, *, field: str, value: object, reason: str, **details: Any) -> None:
        super().__init__(f"{field}: {reason} (got {_show(value)})", **details)
        self.field = field
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FieldError:
    """One refused field inside a :class:`ModelValidationError`.

    Attributes:
        field: The dotted path of the field, e.g. ``"price.amount"`` or ``"lines.2.quantity"``.
        value: The value that was refused.
        reason: Why it was refused.
    """

    field: str
    value: object
    reason: str


class ModelValidationError(InvalidValueError):
    """One or more fields of a pricekit model were refused.

    ``field``, ``value`` and ``reason`` describe the first refused field; ``errors``
    lists all of them.

    Attributes:
        model: The name of the model that was being built.
        errors: Every refused field, in the order they were found.
    """

    def __init__(self, *, model: str, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("ModelValidationError needs at least one FieldError")
        first = errors[0]
        PricekitError.__init__(
            self,
            f"{model}: "
            + "; ".join(f"{e.field}: {e.reason} (got {_show(e.value)})" for e in errors),
        )
        self.field = first.field
        self.value = first.value
        self.reason = first.reason
        self.model = model
        self.errors: tuple[FieldError, ...] = tuple(errors)


class CurrencyMismatchError(PricekitError, ValueError):
    """Two amounts in different currencies were combined or compared.

    Attributes:
        expected: The currency code that was required.
        actual: The currency code that was given.
        field: Where the mismatch was found, when known.
    """

    def __init__(self, *, expected: str, actual: str, field: str | None = None) -> None:
        where = f"{field}: " if field else ""
        super().__init__(
            f"{where}currency mismatch: expected {expected}, got {actual}; "
            "convert the amount first, pricekit never mixes currencies"
        )
        self.expected = expected
        self.actual = actual
        self.field = field


class NotFoundError(PricekitError, LookupError):
    """A record that was asked for does not exist.

    Attributes:
        entity: What kind of record, e.g. ``"variant"`` or ``"price_list"``.
        id: The id that was looked up.
    """

    def __init__(self, *, entity: str, id: str, **details: Any) -> None:
        super().__init__(f"{entity} {id!r} was not found", **details)
        self.entity = entity
        self.id = id


class ConflictError(PricekitError):
    """A write would break uniqueness or a reference (a duplicate id, a missing parent).

    Attributes:
        entity: What kind of record was being written.
        id: The id of that record.
        reason: What it conflicts with.
    """

    def __init__(self, *, entity: str, id: str, reason: str, **details: Any) -> None:
        super().__init__(f"{entity} {id!r}: {reason}", **details)
        self.entity = entity
        self.id = id
        self.reason = reason


def _state(state: object) -> str:
    """A state as its plain value: ``WaveStatus.SCHEDULED`` reads ``scheduled``."""
    value = getattr(state, "value", state)
    return value if isinstance(value, str) else str(value)


class InvalidStateTransitionError(PricekitError):
    """A lifecycle transition that the state machine does not allow.

    Attributes:
        entity: What kind of record, e.g. ``"markdown_wave"``.
        id: Its id.
        current: The state it is in.
        requested: The state or action that was asked for.
        allowed: The states it may move to from ``current``.
    """

    def __init__(
        self,
        *,
        entity: str,
        id: str,
        current: str,
        requested: str,
        allowed: Iterable[str] = (),
    ) -> None:
        current, requested = _state(current), _state(requested)
        allowed_t = tuple(_state(state) for state in allowed)
        hint = ""
        if allowed_t:
            hint = f"; from {current!r} it may go to {', '.join(map(repr, allowed_t))}"
        super().__init__(f"{entity} {id!r} is {current!r} and cannot go to {requested!r}{hint}")
        self.entity = entity
        self.id = id
        self.current = current
        self.requested = requested
        self.allowed = allowed_t


class ConfirmationRequiredError(PricekitError):
    """An operation needs the caller's explicit confirmation, e.g. pricing items below cost.

    Attributes:
        reason: What needs confirming.
        items: The records that triggered it (ids, or small mappings describing them).
    """

    def __init__(self, *, reason: str, items: Sequence[object] = ()) -> None:
        super().__init__(
            f"confirmation required: {reason} ({len(items)} item(s)); "
            "repeat the call with confirmation to proceed"
        )
        self.reason = reason
        self.items: tuple[object, ...] = tuple(items)


class UsageLimitReachedError(PricekitError):
    """A promotion (or other limited resource) has no uses left.

    Attributes:
        entity: What kind of record, e.g. ``"promotion"``.
        id: Its id.
        limit: The limit that was reached.
        customer_id: The customer, when the limit is per customer.
    """

    def __init__(
        self,
        *,
        entity: str,
        id: str,
        limit: int,
        customer_id: str | None = None,
    ) -> None:
        who = f" for customer {customer_id!r}" if customer_id is not None else ""
        super().__init__(f"{entity} {id!r} has reached its usage limit of {limit}{who}")
        self.entity = entity
        self.id = id
        self.limit = limit
        self.customer_id = customer_id


class BackendUnavailableError(PricekitError):
    """A storage or cache backend could not answer; the answer is unknown, not empty.

    Attributes:
        backend: Which backend failed, e.g. ``"redis"``.
        operation: What was being done.
    """

    def __init__(self, *, backend: str, operation: str, cause: str = "") -> None:
        tail = f": {cause}" if cause else ""
        super().__init__(f"{backend} could not {operation}{tail}")
        self.backend = backend
        self.operation = operation
