"""Import guards for optional dependencies (the package's extras)."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require_extra"]


def require_extra(module: str, *, extra: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Args:
        module: The module to import, e.g. ``"hypothesis"`` or ``"sqlalchemy"``.
        extra: The pricekit extra that provides it, e.g. ``"testing"``.

    Raises:
        ImportError: The module is not installed; the message gives the
            ``pip install 'pricekit[extra]'`` command.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"this part of pricekit needs {module.split('.', maxsplit=1)[0]!r}, "
            "which is not installed: "
            f"pip install 'pricekit[{extra}]'"
        ) from exc
