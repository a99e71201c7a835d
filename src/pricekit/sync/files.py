"""A discount source that reads exported Dutchie discount lists from a folder.

For demos, tests and stores whose discounts arrive as files: one file per
location, ``{folder}/{location_id}.json``, holding either

- a Dutchie discount list, the JSON array ``GET /discounts/v2/list`` returns, or
- ``{"source": "dutchie", "discounts": [...]}``, the same list wrapped
  (``source`` may be left out; ``location_id``, if given, must name the file's
  location).

Numbers are read with ``parse_float=Decimal`` and the discounts with
:func:`~pricekit.deals.sources.parse_dutchie_list`. The standard library only:
no extra is needed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricekit.deals.models import Deal
from pricekit.deals.sources import parse_dutchie_list
from pricekit.errors import InvalidValueError
from pricekit.sync.ports import Location, SourceError

__all__ = ["JsonFileDiscountSource", "write_discount_file"]

_SOURCE = "json-files"
_WRAPPER_KEYS = ("source", "location_id", "discounts")


class JsonFileDiscountSource:
    """Discounts from ``{folder}/{location_id}.json`` files.

    The folder is read at each :meth:`fetch`; nothing is cached.

    Args:
        folder: The folder holding the files.
    """

    name: str = _SOURCE
    """``json-files``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path_for(self, location_id: str) -> Path:
        """The file that holds ``location_id``'s discounts.

        Raises:
            InvalidValueError: The id is empty or could name a file outside the
                folder (a path separator, or a leading ``.``).
        """
        return _path(self.folder, location_id)

    def available_for(self, location: Location) -> bool:
        """Whether the location's file exists."""
        return self.path_for(location.location_id).is_file()

    def fetch(self, location: Location) -> list[Deal]:
        """The location's discounts, read from its file.

        Raises:
            SourceError: The file is missing or unreadable, is not JSON (the
                cause names the file, line and column), or holds neither a list
                nor the wrapped form.
            InvalidValueError: A discount pricekit refuses.
        """
        path = self.path_for(location.location_id)
        where = location.location_id
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SourceError(
                source=self.name, location_id=where, cause=f"{path}: no such file"
            ) from None
        except OSError as exc:
            raise SourceError(
                source=self.name, location_id=where, cause=f"{path}: {exc.strerror or exc}"
            ) from exc
        try:
            body = json.loads(data, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise SourceError(
                source=self.name,
                location_id=where,
                cause=f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}",
            ) from None
        except ValueError as exc:  # UnicodeDecodeError: not UTF-8 (or -16, -32)
            raise SourceError(
                source=self.name, location_id=where, cause=f"{path}: not JSON text ({exc})"
            ) from None
        except RecursionError:  # valid syntax nested past what the parser can read
            raise SourceError(
                source=self.name,
                location_id=where,
                cause=f"{path}: not JSON text (nested too deeply)",
            ) from None
        records = _discounts(body, path=path, location_id=where)
        return parse_dutchie_list(
            records,
            location_id=location.location_id,
            time_zone=location.time_zone,
            currency=location.currency,
        )


def write_discount_file(
    folder: str | os.PathLike[str],
    location_id: str,
    payload: str | Sequence[Mapping[str, Any]] | Mapping[str, Any],
) -> Path:
    """Write a location's discount file for :class:`JsonFileDiscountSource`.

    The file is replaced atomically (written beside it, then renamed), so a
    reader never sees half of it. The folder is created if need be.

    Args:
        folder: The source's folder.
        location_id: The location; the file is ``{location_id}.json``.
        payload: JSON text, written as given; or a discount list or the wrapped
            form, written as JSON. A ``Decimal`` is written as a JSON number when
            a float holds it exactly enough to read back equal (``0.3``, ``14.00``
            as ``14.0``), else as a numeric string (which the parser accepts).

    Returns:
        The file written.

    Raises:
        InvalidValueError: An unsafe ``location_id`` (see
            :meth:`JsonFileDiscountSource.path_for`).
        TypeError: ``payload`` holds a value JSON cannot represent.
        ValueError: ``payload`` holds NaN or an infinity.
    """
    path = _path(Path(folder), location_id)
    text = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload, indent=2, allow_nan=False, default=_json_default) + "\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _path(folder: Path, location_id: str) -> Path:
    if (
        not isinstance(location_id, str)
        or not location_id.strip()
        or location_id.startswith(".")
        or any(sep in location_id for sep in ("/", "\\", os.sep, "\0"))
    ):
        raise InvalidValueError(
            field="location_id",
            value=location_id,
            reason="cannot name a file in the folder (empty, a leading '.', or a path separator)",
        )
    return folder / f"{location_id}.json"


def _discounts(body: Any, *, path: Path, location_id: str) -> list[Any]:
    """The discount list of a file's JSON: the list itself, or the wrapped form's."""
    if isinstance(body, list):
        return body

    def refuse(cause: str) -> SourceError:
        return SourceError(source=_SOURCE, location_id=location_id, cause=f"{path}: {cause}")

    if not isinstance(body, dict):
        raise refuse(
            'expected a Dutchie discount list or {"source": "dutchie", "discounts": [...]}'
        )
    unknown = sorted(str(key) for key in body if key not in _WRAPPER_KEYS)
    if unknown:
        raise refuse(
            f"unknown key(s) {', '.join(map(repr, unknown))}; expected {', '.join(_WRAPPER_KEYS)}"
        )
    source = body.get("source")
    if source is not None and (not isinstance(source, str) or source.strip().lower() != "dutchie"):
        raise refuse(f'"source" must be "dutchie" (got {source!r})')
    named = body.get("location_id")
    if named is not None and str(named) != location_id:
        raise refuse(f'"location_id" is {named!r}, not this file\'s location {location_id!r}')
    discounts = body.get("discounts")
    if not isinstance(discounts, list):
        raise refuse('"discounts" must be a list of discounts')
    return discounts


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        if value.is_finite() and Decimal(repr(float(value))) == value:
            return float(value)
        if value.is_finite():
            return str(value)
        raise ValueError(f"{value} is not a JSON number")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
