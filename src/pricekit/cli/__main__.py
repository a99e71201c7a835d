"""``python -m pricekit.cli``: the ``pricekit`` command."""

from __future__ import annotations

import sys

from pricekit.cli.main import main

sys.exit(main())
