"""pricekit: embeddable pricing and promotions."""

from pricekit._version import __version__

__all__ = ["__version__"]
