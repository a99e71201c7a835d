"""The ``pricekit`` command line (extra ``cli``: click and rich).

Run ``pricekit --help``. Every command that reads takes ``--json``; errors are
one line on stderr with a documented exit code (see :mod:`pricekit.cli.main`).
"""

from __future__ import annotations

from pricekit._extras import require_extra

require_extra("click", extra="cli")
require_extra("rich", extra="cli")

from pricekit.cli.main import ExitCode, cli, main  # noqa: E402

__all__ = ["ExitCode", "cli", "main"]
