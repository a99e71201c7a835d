"""The base of pricekit's models: frozen, strict about extra fields, pricekit errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

import pydantic
from pydantic import BaseModel, ConfigDict

from pricekit.errors import FieldError, InvalidValueError, ModelValidationError


def _join(path: str, sub: str) -> str:
    if not path:
        return sub or "__root__"
    if sub in ("", path) or path.endswith("." + sub):
        return path
    return f"{path}.{sub}"


__all__ = ["PricekitModel", "field_errors_from_pydantic", "fields_of"]


def field_errors_from_pydantic(raw_errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Turn pydantic's error dictionaries into :class:`FieldError` values.

    A pricekit error raised inside a validator keeps its own reason and value;
    its field is placed under the path pydantic reports.
    """
    out: list[FieldError] = []
    for err in raw_errors:
        path = ".".join(str(part) for part in err.get("loc", ()))
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, ModelValidationError):
            # A pricekit model validated inside another: keep its own fields, under our path.
            out.extend(
                FieldError(field=_join(path, inner.field), value=inner.value, reason=inner.reason)
                for inner in cause.errors
            )
        elif isinstance(cause, InvalidValueError):
            out.append(
                FieldError(field=_join(path, cause.field), value=cause.value, reason=cause.reason)
            )
        else:
            out.append(
                FieldError(
                    field=path or "__root__", value=err.get("input"), reason=str(err.get("msg"))
                )
            )
    return out


def _translate(cls: type[BaseModel], exc: pydantic.ValidationError) -> ModelValidationError:
    return ModelValidationError(
        model=cls.__name__, errors=field_errors_from_pydantic(exc.errors(include_url=False))
    )


class PricekitModel(BaseModel):
    """Base for pricekit's value models.

    Models are immutable and refuse unknown fields. Building one with bad input
    raises :class:`pricekit.errors.ModelValidationError` (a ``ValueError``) that
    names every refused field and value, rather than pydantic's own error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _translate(type(self), exc) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` into this model, raising pricekit errors on bad input."""
        try:
            return super().model_validate(obj, **kwargs)
        except pydantic.ValidationError as exc:
            raise _translate(cls, exc) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate a JSON document into this model, raising pricekit errors on bad input."""
        try:
            return super().model_validate_json(json_data, **kwargs)
        except pydantic.ValidationError as exc:
            raise _translate(cls, exc) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in type(self).model_fields:
            raise AttributeError(
                f"{type(self).__name__} is immutable; use .evolve({name}=...) for a changed copy"
            )
        super().__setattr__(name, value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, values cached from the old fields are dropped.

        Prefer :meth:`evolve`, which validates the changes.
        """
        copied = super().model_copy(update=update, deep=deep)
        if update:
            fields = type(self).model_fields
            for name in [key for key in copied.__dict__ if key not in fields]:
                del copied.__dict__[name]  # a cached_property worked out from old fields
        return copied

    def evolve(self, **changes: Any) -> Self:
        """Return a copy with ``changes`` applied, validated like a new model.

        Unlike ``model_copy(update=...)``, the result is checked again, so an
        evolved model can never hold a value its constructor would refuse.
        """
        return self.model_validate({**dict(self), **changes})


def fields_of(data: object, *, what: str) -> dict[str, Any]:
    """The fields of a create call's input: a pricekit model or a mapping, as a new dict.

    Raises:
        InvalidValueError: ``data`` is neither (field ``what``).
    """
    if isinstance(data, PricekitModel | Mapping):
        return dict(data)
    raise InvalidValueError(
        field=what, value=data, reason="expected a mapping of fields or a pricekit model"
    )
