"""Promotions: condition-based discount rules, cart evaluation, usage and lifecycle.

- :mod:`~pricekit.promotions.models`: promotions, conditions, rewards, carts, contexts.
- :mod:`~pricekit.promotions.cart`: pricing a cart's items into lines first.
- :mod:`~pricekit.promotions.evaluate`: the pure engine and its selection policies
  (``pricekit.promotions.evaluate`` is the function; import the module's other
  names with ``from pricekit.promotions.evaluate import ...``).
- :mod:`~pricekit.promotions.index`: the index of promotions by the items they need.
- :mod:`~pricekit.promotions.repository`: the repository ports.
- :mod:`~pricekit.promotions.service`: the lifecycle, usage and evaluation over them.
"""

from pricekit.promotions.cart import CartItem, PricedCart, PriceResolver, price_cart
from pricekit.promotions.evaluate import (
    DOCUMENT_VERSION,
    AppliedPromotion,
    EvaluationResult,
    FreeItem,
    LineDiscount,
    LineResult,
    Policy,
    Rejection,
    RejectionReason,
    evaluate,
    evaluate_document,
)
from pricekit.promotions.index import PromotionIndex
from pricekit.promotions.models import (
    CartLine,
    Condition,
    ConditionType,
    EvaluationContext,
    ItemFilter,
    Promotion,
    PromotionApplication,
    PromotionScope,
    PromotionStatus,
    PromotionType,
    Reward,
    RewardType,
    UnitSelection,
)
from pricekit.promotions.repository import (
    PromotionRepository,
    PromotionUsageRepository,
    RecordOutcome,
    RecordStatus,
    UsageSummary,
)
from pricekit.promotions.service import DeletionResult, PromotionService

__all__ = [
    "DOCUMENT_VERSION",
    "AppliedPromotion",
    "CartItem",
    "CartLine",
    "Condition",
    "ConditionType",
    "DeletionResult",
    "EvaluationContext",
    "EvaluationResult",
    "FreeItem",
    "ItemFilter",
    "LineDiscount",
    "LineResult",
    "Policy",
    "PriceResolver",
    "PricedCart",
    "Promotion",
    "PromotionApplication",
    "PromotionIndex",
    "PromotionRepository",
    "PromotionScope",
    "PromotionService",
    "PromotionStatus",
    "PromotionType",
    "PromotionUsageRepository",
    "RecordOutcome",
    "RecordStatus",
    "Rejection",
    "RejectionReason",
    "Reward",
    "RewardType",
    "UnitSelection",
    "UsageSummary",
    "evaluate",
    "evaluate_document",
    "price_cart",
]
