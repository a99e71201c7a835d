"""The customer-facing deal queries: the deals page, a product page, the daily-deals page.

Pure functions over a location's deals (as :meth:`DealCache.get
<pricekit.deals.ports.DealCache.get>` returns them), each with its reasons:

- :func:`live_deals`: the deals page. The deals live now at the context's
  location, in menu order, and every other deal with why it is hidden (the
  gate it failed, or its lost targeting). :func:`live_deals_from_cache` reads
  the location's deals from a :class:`~pricekit.deals.ports.DealCache` first.
- :func:`product_deals`: a product page. The deals that apply to one product,
  best first, the offers (threshold and buy-N deals) listed apart, and the full
  :class:`~pricekit.deals.match.DealPricing` of
  :func:`~pricekit.deals.match.best_price`, with its explanation.
- :func:`deals_for_weekday` and :func:`deals_by_weekday`: the daily-deals page,
  the deals that run on a day of the week (see also
  :mod:`pricekit.deals.daily` for the page's static CSV).

**Menu order** (:func:`menu_order_key`): ``menu_rank`` ascending, deals without
a rank after every ranked deal; then the name customers see (``online_name``,
else ``name``) compared case-insensitively, then exactly; then the deal's
``id``. The order is total, so a page never reshuffles between requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

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
    best_price,
    gate,
    static_key,
)
from pricekit.deals.models import Deal
from pricekit.deals.ports import DealCache
from pricekit.errors import InvalidValueError, NotFoundError
from pricekit.money import Money
from pricekit.time import Weekday, to_weekday

__all__ = [
    "ApplicableDeal",
    "DealsNotCachedError",
    "HiddenDeal",
    "LiveDeals",
    "ProductDeals",
    "ProductOffer",
    "deals_by_weekday",
    "deals_for_weekday",
    "live_deals",
    "live_deals_from_cache",
    "menu_order_key",
    "product_deals",
]

_UNRANKED = 1
"""Sorts a deal without a menu rank after every ranked deal."""


def menu_order_key(deal: Deal) -> tuple[int, int, str, str, str]:
    """The key that puts deals in menu order.

    ``menu_rank`` ascending (deals without one last), then the name customers
    see (``online_name``, else ``name``) case-insensitively, then exactly, then
    the ``id``.

    Args:
        deal: The deal.

    Returns:
        A sort key; ``sorted(deals, key=menu_order_key)`` is menu order.
    """
    shown = deal.online_name or deal.name
    if deal.menu_rank is None:
        return (_UNRANKED, 0, shown.casefold(), shown, deal.id)
    return (0, deal.menu_rank, shown.casefold(), shown, deal.id)


def _distinct(deals: Iterable[Deal]) -> list[Deal]:
    """``deals`` as a list, once no id is given twice.

    Raises:
        InvalidValueError: ``deals[i].id`` repeats an earlier deal's id.
    """
    listed = list(deals)
    seen: dict[str, int] = {}
    for index, deal in enumerate(listed):
        earlier = seen.setdefault(deal.id, index)
        if earlier != index:
            raise InvalidValueError(
                field=f"deals[{index}].id",
                value=deal.id,
                reason=f"the same id as deals[{earlier}]; a location's deals have distinct ids",
            )
    return listed


# -- the deals page -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HiddenDeal:
    """A deal that is not live, and why.

    Attributes:
        deal: The deal.
        outcome: ``gate_failed`` (it is not on now, or not here, or not for this
            customer or channel) or ``held_back`` (its targeting was lost on the
            way, so it applies to no product).
        reason: The reason in words, e.g. ``"it ended at 2026-11-30T07:00:00+00:00"``.
        gate: The gate it failed (``None`` when held back).
    """

    deal: Deal
    outcome: MatchOutcome
    reason: str
    gate: Gate | None = None


@dataclass(frozen=True, slots=True)
class LiveDeals:
    """The deals page of a location at an instant: what :func:`live_deals` returns.

    Attributes:
        location_id: The location asked about.
        at: The instant asked about.
        deals: The live deals, in menu order (offers included; see
            ``Deal.reward.is_offer``).
        hidden: Every other deal given, in menu order, with why it is hidden.
    """

    location_id: str
    at: datetime
    deals: tuple[Deal, ...] = ()
    hidden: tuple[HiddenDeal, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids of the live deals, in menu order."""
        return tuple(deal.id for deal in self.deals)

    def why_hidden(self, deal_id: str) -> HiddenDeal | None:
        """Why a deal is hidden, or ``None`` if it is live or was not given."""
        return next((hidden for hidden in self.hidden if hidden.deal.id == deal_id), None)


def live_deals(deals: Iterable[Deal], context: MatchContext) -> LiveDeals:
    """The deals live at ``context.location_id`` at ``context.at``, in menu order.

    A deal is live when it passes every gate of
    :func:`~pricekit.deals.match.gate` in ``context`` (the location, enabled,
    validity, days and times in the store's time zone, the channel, the
    application method, first-time customers) and its targeting was not lost on
    the way (``Deal.unmapped``, which holds it back from every product). With
    ``context.shelf`` true (the default) only automatic deals are live; pass a
    context with ``shelf=False`` to list code and manual deals too.

    Args:
        deals: The location's deals, e.g. from :meth:`DealCache.get
            <pricekit.deals.ports.DealCache.get>`.
        context: The location, instant, channel and customer.

    Returns:
        The live deals in menu order (see :func:`menu_order_key`), and every
        other deal with its gate and reason.

    Raises:
        InvalidValueError: Two deals with the same id (``deals[i].id``).
    """
    shown: list[Deal] = []
    hidden: list[HiddenDeal] = []
    for deal in _distinct(deals):
        failed = gate(deal, context)
        if failed is not None:
            hidden.append(HiddenDeal(deal, MatchOutcome.GATE_FAILED, failed[1], gate=failed[0]))
        elif deal.unmapped:
            hidden.append(
                HiddenDeal(
                    deal,
                    MatchOutcome.HELD_BACK,
                    "its targeting was lost on the way: " + "; ".join(deal.unmapped),
                )
            )
        else:
            shown.append(deal)
    shown.sort(key=menu_order_key)
    hidden.sort(key=lambda entry: menu_order_key(entry.deal))
    return LiveDeals(
        location_id=context.location_id, at=context.at, deals=tuple(shown), hidden=tuple(hidden)
    )


class DealsNotCachedError(NotFoundError):
    """Nothing is cached for the location yet: its deals are unknown, not none.

    Raised by :func:`live_deals_from_cache` when :meth:`DealCache.get
    <pricekit.deals.ports.DealCache.get>` answers ``None`` (no set was ever
    written, e.g. before the first sync), so a page can say "deals are loading"
    rather than "no deals today". A :class:`~pricekit.errors.NotFoundError` (so
    a ``LookupError``) with ``entity="deal set"``.

    Attributes:
        location_id: The location with nothing cached.
    """

    def __init__(self, *, location_id: str) -> None:
        super().__init__(entity="deal set", id=location_id)
        self.location_id = location_id


def live_deals_from_cache(cache: DealCache, context: MatchContext) -> LiveDeals:
    """:func:`live_deals` over the deals cached for ``context.location_id``.

    The three answers of the cache stay apart: a cached set (possibly empty,
    which is "no deals") gives a :class:`LiveDeals`; nothing cached yet raises
    :class:`DealsNotCachedError`; a cache that cannot be read raises its
    :class:`~pricekit.deals.ports.DealCacheError`. Neither error is ever
    answered as "no deals".

    Args:
        cache: The deal cache.
        context: The location, instant, channel and customer.

    Raises:
        DealCacheError: The cache could not be read (propagated as raised).
        DealsNotCachedError: Nothing is cached for the location yet.
        InvalidValueError: The cached set holds an id twice (``deals[i].id``).
    """
    deals = cache.get(context.location_id)
    if deals is None:
        raise DealsNotCachedError(location_id=context.location_id)
    return live_deals(deals, context)


# -- a product page -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicableDeal:
    """A deal that applies to a product's price, and what became of it.

    Attributes:
        deal: The deal.
        match: How it matched the product (its tier and reason).
        price: The product's price with this deal alone (after the floors).
        outcome: ``won``, ``stacked`` (applied with the winner) or ``lost``.
        lost_to: The deal that beat it, when it lost.
    """

    deal: Deal
    match: DealMatch
    price: Money
    outcome: CandidateOutcome
    lost_to: str | None = None


@dataclass(frozen=True, slots=True)
class ProductOffer:
    """A deal that targets a product but needs a basket (a threshold, buy N get one).

    Attributes:
        deal: The deal.
        match: How it matched the product (its tier and reason).
    """

    deal: Deal
    match: DealMatch


@dataclass(frozen=True, slots=True)
class ProductDeals:
    """A product page's deals: what :func:`product_deals` returns.

    Attributes:
        product_id: The product.
        applicable: The deals that apply to its price, best first, as
            :func:`~pricekit.deals.match.best_price` ranks them: the winner
            first, then the others (stacked with it or lost) in ranking order.
        offers: The offers for it, in menu order: never folded into its price.
        pricing: The full pricing of :func:`~pricekit.deals.match.best_price`:
            the price, the deals applied, the floor, and what became of every
            deal considered.
    """

    product_id: str
    applicable: tuple[ApplicableDeal, ...]
    offers: tuple[ProductOffer, ...]
    pricing: DealPricing

    @property
    def price(self) -> Money:
        """The product's price after deals (``pricing.price``)."""
        return self.pricing.price

    @property
    def applied(self) -> tuple[ApplicableDeal, ...]:
        """The deals in the price: the winner and any stacked with it, in the order applied."""
        return tuple(
            entry for entry in self.applicable if entry.outcome is not CandidateOutcome.LOST
        )


def product_deals(
    item: MenuItem,
    deals: Iterable[Deal],
    context: MatchContext,
    policy: DealPolicy | None = None,
) -> ProductDeals:
    """A product page: the deals for ``item``, best first, its offers, and its best price.

    The price and its explanation are exactly those of
    :func:`~pricekit.deals.match.best_price` with the same arguments.
    ``applicable`` lists the matching deals in its ranking: the lowest price
    alone (the highest for ``Preference.RETAILER``), then the lower tier, the
    menu rank, the earliest end, the lowest id.

    Args:
        item: The product, with its shelf price and what deals target.
        deals: The location's deals.
        context: The location, instant, channel and customer.
        policy: How deals are priced and chosen (the default
            :class:`~pricekit.deals.match.DealPolicy` when ``None``).

    Raises:
        InvalidValueError: Two deals with the same id (``deals[i].id``).
        CurrencyMismatchError: A matching deal is in another currency than the item.
    """
    chosen = policy or DealPolicy()
    listed = _distinct(deals)
    by_id = {deal.id: deal for deal in listed}
    pricing = best_price(item, listed, context, policy=chosen)
    sign = 1 if chosen.prefer is Preference.CUSTOMER else -1
    ranked: list[tuple[tuple[int, tuple[int, int, int, str]], ApplicableDeal]] = []
    offers: list[ProductOffer] = []
    for match in pricing.matches:
        deal = by_id[match.deal_id]
        if match.outcome is MatchOutcome.OFFER:
            offers.append(ProductOffer(deal, match))
        elif match.outcome is MatchOutcome.MATCHED:
            assert match.tier is not None  # a match always has its tier
            price = pricing.prices[deal.id]
            entry = ApplicableDeal(
                deal,
                match,
                price,
                pricing.outcomes[deal.id],
                lost_to=pricing.lost_to.get(deal.id),
            )
            ranked.append(((sign * price.minor_units, static_key(deal, match.tier)), entry))
    ranked.sort(key=lambda pair: pair[0])
    offers.sort(key=lambda offer: menu_order_key(offer.deal))
    return ProductDeals(
        product_id=item.product_id,
        applicable=tuple(entry for _, entry in ranked),
        offers=tuple(offers),
        pricing=pricing,
    )


# -- the daily-deals page -----------------------------------------------------------------


def _runs_on(deal: Deal, day: Weekday, *, every_day: bool) -> bool:
    if not deal.days:
        return every_day
    return day in deal.days


def deals_for_weekday(
    deals: Iterable[Deal], weekday: Weekday | str | int, *, include_every_day: bool = True
) -> list[Deal]:
    """The deals that run on ``weekday``, in menu order: one day of the daily-deals page.

    Only the day flags are read (``Deal.days``; none means every day), as the
    store's time zone reads them: a window past midnight belongs to the day it
    starts on. Nothing else is checked (not the location, validity or enabled
    flag): filter with :func:`live_deals` for what is on right now.

    Args:
        deals: The deals, e.g. from :func:`pricekit.deals.daily.read_daily_deals_csv`.
        weekday: The day: a :class:`~pricekit.time.Weekday`, a name (``"mon"``,
            ``"Monday"``) or a number (0 is Monday, as ``date.weekday()``).
        include_every_day: Whether deals that run every day are listed too;
            ``False`` lists only the deals of named days.

    Raises:
        InvalidValueError: ``weekday`` is not a day.
    """
    day = to_weekday(weekday, field="weekday")
    found = [deal for deal in deals if _runs_on(deal, day, every_day=include_every_day)]
    found.sort(key=menu_order_key)
    return found


def deals_by_weekday(
    deals: Iterable[Deal], *, include_every_day: bool = True
) -> dict[Weekday, list[Deal]]:
    """The whole daily-deals page: :func:`deals_for_weekday` for each day, Monday first.

    Args:
        deals: The deals.
        include_every_day: Whether deals that run every day are listed under every day.

    Returns:
        All seven days, Monday to Sunday, each with its deals in menu order (a
        day without deals has an empty list).
    """
    listed: Sequence[Deal] = list(deals)
    return {
        day: deals_for_weekday(listed, day, include_every_day=include_every_day) for day in Weekday
    }
