"""The installed version of pricekit."""

__version__ = "0.1.0"
