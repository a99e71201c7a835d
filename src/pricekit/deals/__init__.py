"""Deals: retail deal records from Dutchie and PTL, 4-tier matching, the PTL merge, the deal cache.

- :mod:`~pricekit.deals.models`: the normalised deal, its reward and restrictions, the
  seed's stored shape.
- :mod:`~pricekit.deals.sources`: Dutchie POS v2 discounts and PTL webhook payloads.
- :mod:`~pricekit.deals.match`: the pure 4-tier matching and best-price choice.
- :mod:`~pricekit.deals.index`: a whole menu against a location's deals.
- :mod:`~pricekit.deals.merge`: the seed's PTL merge.
- :mod:`~pricekit.deals.ports`: the deal cache port and its key scheme.
- :mod:`~pricekit.deals.queries`: the deals page, a product page, the daily-deals page.
- :mod:`~pricekit.deals.daily`: the daily-deals page's static CSV.
"""

from pricekit.deals.daily import (
    DAILY_DEALS_COLUMNS,
    REQUIRED_COLUMNS,
    CsvProblem,
    DailyDealsCsvError,
    read_daily_deals_csv,
    write_daily_deals_csv,
)
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
from pricekit.deals.queries import (
    ApplicableDeal,
    DealsNotCachedError,
    HiddenDeal,
    LiveDeals,
    ProductDeals,
    ProductOffer,
    deals_by_weekday,
    deals_for_weekday,
    live_deals,
    live_deals_from_cache,
    menu_order_key,
    product_deals,
)
from pricekit.deals.sources import parse_dutchie, parse_dutchie_list, parse_ptl, parse_ptl_payload

__all__ = [
    "DAILY_DEALS_COLUMNS",
    "DEAL_CACHE_KEY",
    "REQUIRED_COLUMNS",
    "ApplicableDeal",
    "ApplicationMethod",
    "CandidateOutcome",
    "CsvProblem",
    "DailyDealsCsvError",
    "Deal",
    "DealCache",
    "DealCacheError",
    "DealMatch",
    "DealPolicy",
    "DealPricing",
    "DealReward",
    "DealSource",
    "DealsNotCachedError",
    "Dimension",
    "Gate",
    "HiddenDeal",
    "LiveDeals",
    "MatchContext",
    "MatchOutcome",
    "MenuIndex",
    "MenuItem",
    "MergeReport",
    "Preference",
    "ProductDeals",
    "ProductOffer",
    "Restriction",
    "RewardMethod",
    "StackMode",
    "ThresholdType",
    "best_price",
    "deal_cache_key",
    "deal_id",
    "deals_by_weekday",
    "deals_for_weekday",
    "live_deals",
    "live_deals_from_cache",
    "match_deal",
    "menu_order_key",
    "merge_ptl",
    "merge_ptl_report",
    "parse_dutchie",
    "parse_dutchie_list",
    "parse_ptl",
    "parse_ptl_payload",
    "price_menu",
    "product_deals",
    "read_daily_deals_csv",
    "write_daily_deals_csv",
]
