"""pricekit: embeddable pricing and promotions, exact to the minor unit.

The top level re-exports the names most hosts need; each module documents the
rest. Importing pricekit loads only its core (pydantic and python-dateutil):
the SQLAlchemy, Redis, HTTP, CLI and testing extras load only when their
modules are imported.
"""

from pricekit._version import __version__
from pricekit.catalog import (
    Brand,
    Catalog,
    CatalogRepository,
    Category,
    CategoryTree,
    Collection,
    Product,
    Variant,
    Vendor,
)
from pricekit.errors import (
    BackendUnavailableError,
    ConfirmationRequiredError,
    ConflictError,
    CurrencyMismatchError,
    InvalidStateTransitionError,
    InvalidValueError,
    ModelValidationError,
    NotFoundError,
    PricekitError,
    UsageLimitReachedError,
)
from pricekit.money import CURRENCIES, Currency, Money, Rounding, allocate, get_currency
from pricekit.time import (
    Clock,
    FixedClock,
    ManualClock,
    Recurrence,
    SystemClock,
    TimeOfDayWindow,
    ValidityWindow,
    Weekday,
    WeeklySchedule,
)

__all__ = [
    "CURRENCIES",
    "BackendUnavailableError",
    "Brand",
    "Catalog",
    "CatalogRepository",
    "Category",
    "CategoryTree",
    "Clock",
    "Collection",
    "ConfirmationRequiredError",
    "ConflictError",
    "Currency",
    "CurrencyMismatchError",
    "FixedClock",
    "InvalidStateTransitionError",
    "InvalidValueError",
    "ManualClock",
    "ModelValidationError",
    "Money",
    "NotFoundError",
    "PricekitError",
    "Product",
    "Recurrence",
    "Rounding",
    "SystemClock",
    "TimeOfDayWindow",
    "UsageLimitReachedError",
    "ValidityWindow",
    "Variant",
    "Vendor",
    "Weekday",
    "WeeklySchedule",
    "__version__",
    "allocate",
    "get_currency",
]
