"""Deals: retail deal records from Dutchie and PTL, 4-tier matching, the PTL merge, the deal cache.

- :mod:`~pricekit.deals.models`: the normalised deal, its reward and restrictions, the
  seed's stored shape.
- :mod:`~pricekit.deals.sources`: Dutchie POS v2 discounts and PTL webhook payloads.
- :mod:`~pricekit.deals.match`: the pure 4-tier matching and best-price choice.
- :mod:`~pricekit.deals.index`: a whole menu against a location's deals.
- :mod:`~pricekit.deals.merge`: the seed's PTL merge.
- :mod:`~pricekit.deals.ports`: the deal cache port and its key scheme.
"""

from pricekit.deals.index import MenuIndex, price_menu
from pricekit.deals.match import (
    CandidateOutcome,
    DealMatch,
    DealPolicy,
    DealPricing,
    Gate,
    MatchContext,
    MatchOutcome,
    MenuItem,
    Preference,
    StackMode,
    best_price,
    match_deal,
)
from pricekit.deals.merge import MergeReport, merge_ptl, merge_ptl_report
from pricekit.deals.models import (
    ApplicationMethod,
    Deal,
    DealReward,
    DealSource,
    Dimension,
    Restriction,
    RewardMethod,
    ThresholdType,
    deal_id,
)
from pricekit.deals.ports import DEAL_CACHE_KEY, DealCache, DealCacheError, deal_cache_key
from pricekit.deals.sources import parse_dutchie, parse_dutchie_list, parse_ptl, parse_ptl_payload

__all__ = [
    "DEAL_CACHE_KEY",
    "ApplicationMethod",
    "CandidateOutcome",
    "Deal",
    "DealCache",
    "DealCacheError",
    "DealMatch",
    "DealPolicy",
    "DealPricing",
    "DealReward",
    "DealSource",
    "Dimension",
    "Gate",
    "MatchContext",
    "MatchOutcome",
    "MenuIndex",
    "MenuItem",
    "MergeReport",
    "Preference",
    "Restriction",
    "RewardMethod",
    "StackMode",
    "ThresholdType",
    "best_price",
    "deal_cache_key",
    "deal_id",
    "match_deal",
    "merge_ptl",
    "merge_ptl_report",
    "parse_dutchie",
    "parse_dutchie_list",
    "parse_ptl",
    "parse_ptl_payload",
    "price_menu",
]
