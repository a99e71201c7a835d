"""Quote a cart: every line's price, markdown, deal and promotions, in order, with the reasons.

:func:`quote_cart` prices a cart the way the register does, in four steps, and
keeps why each step decided what it did:

1. **Price lists and tiers.** Each line's unit price is resolved for its variant
   and quantity (:func:`pricekit.promotions.price_cart` through a
   :class:`~pricekit.pricing.service.PricingService`): the winning price list,
   or the variant's regular price when no list applies.
2. **Markdowns.** A seasonal markdown active for the variant at the location
   overrides that price (the same resolution; the price it replaced is kept as
   the line's ``regular_unit_price``).
3. **Deals.** The best live deal at the location for the line's product
   (:mod:`pricekit.deals`): the deals compete per product on the unit price of
   step 2, by the 4-tier match and :func:`~pricekit.deals.best_price`'s choice
   (stacking and floors as the :class:`~pricekit.deals.DealPolicy` says; a deal
   never takes a price below its floors). Only **automatic** deals apply: code
   and manual deals need the register, and offers (thresholds, buy N get one)
   need a basket; they are listed with their reasons, never folded in.
4. **Promotions.** The cart, at the unit prices deals left, is evaluated
   against the promotions (:func:`pricekit.promotions.evaluate`), with the
   ``priority`` or ``best_for_customer`` policy. Each promotion's discount is
   allocated to the lines it touched.

The :class:`Quote` holds per line the list (or base) unit price and why, the
markdown, the deal applied and what became of the others, the promotion
discounts and the line total; for the cart, the subtotal at the unit prices of
steps 1 and 2, every discount, the total and the savings; the promotions
applied and rejected with their reasons. Amounts are exact
:class:`~pricekit.money.Money` and add up to the minor unit:

- ``sum(line.total) == total`` and ``subtotal - total == savings``;
- ``savings == deal_discount + promotion_discount == sum(discount.amount)``;
- no amount is negative and no discount takes more than what it discounts.

The quote is pure but for the reads its ports make (the catalogue, the price
resolver, a promotion service). :meth:`Quote.to_dict` is its JSON form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import TypeAdapter

from pricekit.catalog import CatalogRepository, CategoryTree, Product, Variant
from pricekit.deals.match import (
    CandidateOutcome,
    DealMatch,
    DealPolicy,
    DealPricing,
    MatchContext,
    MatchOutcome,
    MenuItem,
    gate,
    match_targeting,
    price_matches,
)
from pricekit.deals.models import Deal
from pricekit.errors import InvalidValueError
from pricekit.money import Currency, Money
from pricekit.pricing.models import PriceSource, ResolvedPrice
from pricekit.promotions.cart import CartItem, PriceResolver, price_cart
from pricekit.promotions.evaluate import (
    AppliedPromotion,
    EvaluationResult,
    FreeItem,
    LineResult,
    Policy,
    Rejection,
    evaluate,
)
from pricekit.promotions.models import CartLine, EvaluationContext, Promotion

__all__ = [
    "DealCandidate",
    "LineDeal",
    "LinePromotion",
    "PromotionEvaluator",
    "Quote",
    "QuoteDiscount",
    "QuoteLine",
    "explain_price",
    "quote_cart",
    "resolved_price_dict",
]


@runtime_checkable
class PromotionEvaluator(Protocol):
    """Evaluates a cart against a business's promotions; :class:`PromotionService` is one."""

    def evaluate(
        self,
        cart: Sequence[CartLine],
        context: EvaluationContext,
        *,
        policy: Policy | str = Policy.PRIORITY,
        include_preview: bool = False,
        explain_all: bool = False,
    ) -> EvaluationResult:
        """The applied promotions, line discounts and every rejection."""
        ...


# -- the quote ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealCandidate:
    """A deal considered for a line (or for the whole sale), and what became of it.

    Attributes:
        deal_id: The deal.
        name: Its name at the register.
        outcome: ``won``, ``stacked`` or ``lost`` (it matched the product);
            ``offer`` (it needs a basket); ``excluded`` (the product is left out);
            ``gate_failed`` or ``held_back`` (not live at the sale at all).
        reason: The reason in words, e.g. ``"tier 3: matches its brand"``.
        price: The unit price it gives alone (after the floors), for a deal that matched.
        lost_to: The deal that beat it, for one that lost.
    """

    deal_id: str
    name: str
    outcome: str
    reason: str
    price: Money | None = None
    lost_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (money as ``{"amount", "currency"}``)."""
        return {
            "deal_id": self.deal_id,
            "name": self.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "price": _money(self.price),
            "lost_to": self.lost_to,
        }


@dataclass(frozen=True, slots=True)
class LineDeal:
    """The deal (or stack of deals) that priced a line.

    Attributes:
        deal_ids: The deals applied, the winner first.
        names: Their names, in the same order.
        tier: The winner's tier (1 names the product ... 4 store-wide).
        reason: Why the winner matched, e.g. ``"tier 2: matches brand and category"``.
        floor: The floor that held the price up (``cost``, ``minimum``, ``zero``), if one did.
        unit_price: The unit price after the deal(s).
        unit_saving: What the deal(s) took off each unit.
        saving: What the deal(s) took off the line.
    """

    deal_ids: tuple[str, ...]
    names: tuple[str, ...]
    tier: int | None
    reason: str
    floor: str | None
    unit_price: Money
    unit_saving: Money
    saving: Money

    @property
    def name(self) -> str:
        """The names joined, for a receipt: ``"A + B"`` for a stack."""
        return " + ".join(self.names)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "deal_ids": list(self.deal_ids),
            "names": list(self.names),
            "tier": self.tier,
            "reason": self.reason,
            "floor": self.floor,
            "unit_price": _money(self.unit_price),
            "unit_saving": _money(self.unit_saving),
            "saving": _money(self.saving),
        }


@dataclass(frozen=True, slots=True)
class LinePromotion:
    """What one promotion took off one line."""

    promotion_id: str
    name: str
    amount: Money

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"promotion_id": self.promotion_id, "name": self.name, "amount": _money(self.amount)}


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One cart line, priced through every step.

    Attributes:
        line_id: The line's id in the cart.
        variant_id: The variant sold.
        product_id: Its product.
        name: The product's name and the variant's label.
        sku: The variant's SKU.
        quantity: Units (a decimal for goods sold by weight).
        regular_unit_price: The unit price before any markdown: the winning list
            price, or the variant's regular price.
        unit_price: The unit price after step 2 (the markdown's, if one is active).
        price: The resolution behind ``unit_price`` (source, list, tier, wave; a
            trace of every candidate list when the quote explains).
        price_reason: Where ``unit_price`` came from, in words.
        deal: The deal(s) applied, if any.
        deal_candidates: Every other deal that reached the product (lost,
            stacked, offers, exclusions), with its reason.
        deal_unit_price: The unit price after deals (``unit_price`` without one).
        amount: ``unit_price`` x ``quantity``, rounded half-up: the line's subtotal.
        deal_saving: What deals took off the line.
        promotions: What each promotion took off the line, in application order.
        promotion_discount: Their sum.
        total: ``amount - deal_saving - promotion_discount``; never negative.
    """

    line_id: str
    variant_id: str
    product_id: str
    name: str
    sku: str
    quantity: Decimal
    regular_unit_price: Money
    unit_price: Money
    price: ResolvedPrice
    price_reason: str
    deal: LineDeal | None
    deal_candidates: tuple[DealCandidate, ...]
    deal_unit_price: Money
    amount: Money
    deal_saving: Money
    promotions: tuple[LinePromotion, ...]
    promotion_discount: Money
    total: Money

    @property
    def savings(self) -> Money:
        """``deal_saving + promotion_discount``."""
        return self.deal_saving + self.promotion_discount

    @property
    def marked_down(self) -> bool:
        """Whether a markdown set the unit price."""
        return self.price.source is PriceSource.MARKDOWN

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "line_id": self.line_id,
            "variant_id": self.variant_id,
            "product_id": self.product_id,
            "name": self.name,
            "sku": self.sku,
            "quantity": str(self.quantity),
            "regular_unit_price": _money(self.regular_unit_price),
            "unit_price": _money(self.unit_price),
            "price": {**resolved_price_dict(self.price), "reason": self.price_reason},
            "deal": None if self.deal is None else self.deal.to_dict(),
            "deal_candidates": [c.to_dict() for c in self.deal_candidates],
            "deal_unit_price": _money(self.deal_unit_price),
            "amount": _money(self.amount),
            "deal_saving": _money(self.deal_saving),
            "promotions": [p.to_dict() for p in self.promotions],
            "promotion_discount": _money(self.promotion_discount),
            "total": _money(self.total),
            "savings": _money(self.savings),
        }


@dataclass(frozen=True, slots=True)
class QuoteDiscount:
    """One discount on the cart: a deal (or a stack of deals) or a promotion.

    Attributes:
        kind: ``deal`` or ``promotion``.
        ids: The deal ids (several for a stack) or the promotion id.
        name: Its name (a stack's names joined with ``+``).
        amount: What it took off the cart in all.
        line_ids: The lines it discounted.
    """

    kind: Literal["deal", "promotion"]
    ids: tuple[str, ...]
    name: str
    amount: Money
    line_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "name": self.name,
            "amount": _money(self.amount),
            "line_ids": list(self.line_ids),
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """A priced cart: every line through the four steps, the totals, and the reasons.

    Attributes:
        context: Where, when and for whom the cart was quoted.
        policy: The promotion selection policy used.
        currency: The cart's currency code.
        lines: Every line, in cart order.
        subtotal: The lines' amounts at their unit prices after markdowns,
            before deals and promotions.
        discounts: Every discount, deals first (in line order) then promotions
            (in application order).
        deal_discount: What deals took off.
        promotion_discount: What promotions took off.
        total: What the customer pays: ``subtotal - savings``.
        savings: ``deal_discount + promotion_discount``.
        promotions_applied: The promotions applied, in application order.
        promotions_rejected: Every promotion considered that did not apply, and why.
        free_items: Items promotions give that are not in the cart (add them at
            no charge).
        deals_cached: ``False`` when no deals were known for the location (the
            cart was quoted without deals).
        deals_skipped: The location's deals not live at the sale (a gate failed,
            or their targeting was lost), with why.
        notes: Anything a reader of the receipt should know, in words.
        exact: ``False`` when ``best_for_customer`` had too many promotions to
            try every combination.
        evaluation: The promotions' evaluation (for its audit document), if any.
    """

    context: EvaluationContext
    policy: Policy
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    discounts: tuple[QuoteDiscount, ...]
    deal_discount: Money
    promotion_discount: Money
    total: Money
    savings: Money
    promotions_applied: tuple[AppliedPromotion, ...] = ()
    promotions_rejected: tuple[Rejection, ...] = ()
    free_items: tuple[FreeItem, ...] = ()
    deals_cached: bool = True
    deals_skipped: tuple[DealCandidate, ...] = ()
    notes: tuple[str, ...] = ()
    exact: bool = True
    evaluation: EvaluationResult | None = field(default=None, compare=False, repr=False)

    def line(self, line_id: str) -> QuoteLine:
        """The line with this id.

        Raises:
            KeyError: No line has it.
        """
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def to_dict(self) -> dict[str, Any]:
        """The quote as a JSON-ready mapping: money as ``{"amount": "12.34", "currency": "USD"}``.

        Keys: ``currency``, ``policy``, ``context``, ``lines``, ``subtotal``,
        ``discounts``, ``deal_discount``, ``promotion_discount``, ``total``,
        ``savings``, ``promotions`` (``applied`` and ``rejected``), ``free_items``,
        ``deals`` (``cached`` and ``skipped``), ``notes``, ``exact``.
        """
        return {
            "currency": self.currency,
            "policy": self.policy.value,
            "context": self.context.model_dump(mode="json"),
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": _money(self.subtotal),
            "discounts": [d.to_dict() for d in self.discounts],
            "deal_discount": _money(self.deal_discount),
            "promotion_discount": _money(self.promotion_discount),
            "total": _money(self.total),
            "savings": _money(self.savings),
            "promotions": {
                "applied": [_applied_dict(a) for a in self.promotions_applied],
                "rejected": [r.to_dict() for r in self.promotions_rejected],
            },
            "free_items": [_free_dict(f) for f in self.free_items],
            "deals": {
                "cached": self.deals_cached,
                "skipped": [d.to_dict() for d in self.deals_skipped],
            },
            "notes": list(self.notes),
            "exact": self.exact,
        }


# -- JSON helpers ---------------------------------------------------------------------------


def _money(money: Money | None) -> dict[str, str] | None:
    return None if money is None else money.to_dict()


@cache
def _resolved_adapter() -> TypeAdapter[ResolvedPrice]:
    return TypeAdapter(ResolvedPrice)


def resolved_price_dict(price: ResolvedPrice) -> dict[str, Any]:
    """A resolution's JSON form: its fields in snake_case, money as ``{"amount", "currency"}``.

    The trace (``None`` unless the resolution was explained) is a list of its
    entries, each with ``price_list_id``, ``price_list_item_id``, ``outcome``,
    ``reason``, ``list_priority``, ``item_priority``, ``min_qty``, ``price`` and
    ``scope``.
    """
    dumped: dict[str, Any] = _resolved_adapter().dump_python(price, mode="json")
    return dumped


def _applied_dict(applied: AppliedPromotion) -> dict[str, Any]:
    return {
        "promotion_id": applied.promotion_id,
        "name": applied.name,
        "type": applied.type,
        "scope": applied.scope,
        "priority": applied.priority,
        "stackable": applied.stackable,
        "discount": _money(applied.discount),
        "line_ids": list(applied.line_ids),
        "free_items": [_free_dict(f) for f in applied.free_items],
    }


def _free_dict(item: FreeItem) -> dict[str, Any]:
    return {
        "promotion_id": item.promotion_id,
        "product_id": item.product_id,
        "variant_id": item.variant_id,
        "quantity": item.quantity,
    }


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def explain_price(price: ResolvedPrice) -> str:
    """Where a resolved unit price came from, in words.

    ``"price list 'vip' (priority 200, from quantity 3)"``, ``"markdown wave
    'summer-1' over 22.00 USD from price list 'retail'"`` or ``"the regular
    price: no price list applies"``.
    """
    if price.source is PriceSource.MARKDOWN:
        under = (
            "the regular price"
            if price.price_list_id is None
            else f"price list {price.price_list_id!r}"
        )
        return f"markdown wave {price.markdown_wave_id!r} over {price.original_price} from {under}"
    if price.source is PriceSource.PRICE_LIST:
        tier = "" if price.min_qty is None else f", from quantity {_number(price.min_qty)}"
        return f"price list {price.price_list_id!r} (priority {price.priority}{tier})"
    return "the regular price: no price list applies"


# -- the catalogue, read once ---------------------------------------------------------------


class _ReadOnce:
    """A catalogue that keeps what it has read, so the quote reads each record once."""

    def __init__(self, catalog: CatalogRepository) -> None:
        self._catalog = catalog
        self.variants: dict[str, Variant] = {}
        self.products: dict[str, Product | None] = {}
        self._tree: CategoryTree | None = None

    def get_product(self, product_id: str) -> Product | None:
        if product_id not in self.products:
            self.products[product_id] = self._catalog.get_product(product_id)
        return self.products[product_id]

    def get_variants(self, variant_ids: Iterable[str]) -> dict[str, Variant]:
        wanted = list(variant_ids)
        missing = [v for v in wanted if v not in self.variants]
        if missing:
            self.variants.update(self._catalog.get_variants(missing))
        return {v: self.variants[v] for v in wanted if v in self.variants}

    def variants_of_product(self, product_id: str, *, active_only: bool = True) -> list[Variant]:
        return self._catalog.variants_of_product(product_id, active_only=active_only)

    def variants_in_category(self, category_id: str, *, active_only: bool = True) -> list[Variant]:
        return self._catalog.variants_in_category(category_id, active_only=active_only)

    def variants_in_collection(
        self, collection_id: str, *, active_only: bool = True
    ) -> list[Variant]:
        return self._catalog.variants_in_collection(collection_id, active_only=active_only)

    def category_tree(self) -> CategoryTree:
        if self._tree is None:
            self._tree = self._catalog.category_tree()
        return self._tree


# -- steps ----------------------------------------------------------------------------------


def _items(items: Iterable[CartItem | Mapping[str, Any]]) -> Iterator[CartItem | Mapping[str, Any]]:
    """The items, a mapping without a ``line_id`` given its position from 1."""
    for index, item in enumerate(items, start=1):
        if isinstance(item, Mapping) and item.get("line_id") is None:
            yield {**item, "line_id": str(index)}
        else:
            yield item


def _menu_item(line: CartLine, variant: Variant, product: Product) -> MenuItem:
    return MenuItem(
        product_id=product.id,
        price=line.unit_price,
        category_ids=line.category_ids,
        brand_id=product.brand_id,
        vendor_id=product.vendor_id,
        weight_grams=variant.weight_grams,
        tags=product.tags,
        inventory_tags=variant.tags,
        cost=variant.cost,
    )


def _candidates(pricing: DealPricing, names: Mapping[str, str]) -> tuple[DealCandidate, ...]:
    """The deals that reached the product but did not win: stacked, lost, offers, exclusions."""
    applied = set(pricing.deal_ids)
    nothing_off = pricing.price == pricing.base_price
    out: list[DealCandidate] = []
    for match in pricing.matches:
        name = names[match.deal_id]
        if match.outcome is MatchOutcome.MATCHED:
            outcome = pricing.outcomes.get(match.deal_id, CandidateOutcome.LOST)
            if outcome is CandidateOutcome.WON and not nothing_off:
                continue  # the line's deal itself
            reason = match.reason
            if outcome is CandidateOutcome.WON:
                reason += "; it takes nothing off this price"
            lost_to = pricing.lost_to.get(match.deal_id)
            if lost_to is not None:
                reason += f"; {pricing.prices[match.deal_id]} alone, beaten by {names[lost_to]!r}"
            elif match.deal_id in applied:
                reason += "; stacked on the winner"
            out.append(
                DealCandidate(
                    match.deal_id,
                    name,
                    outcome.value,
                    reason,
                    price=pricing.prices.get(match.deal_id),
                    lost_to=lost_to,
                )
            )
        elif match.outcome in (MatchOutcome.OFFER, MatchOutcome.EXCLUDED):
            out.append(DealCandidate(match.deal_id, name, match.outcome.value, match.reason))
    return tuple(out)


def _line_deal(
    pricing: DealPricing, names: Mapping[str, str], quantity: Decimal
) -> LineDeal | None:
    if not pricing.deal_ids or pricing.price == pricing.base_price:
        return None  # no deal, or one that takes nothing off (listed with the candidates)
    winner = pricing.match(pricing.deal_ids[0])
    reason = "" if winner is None else winner.reason
    if pricing.floor is not None:
        reason += f"; held at the {pricing.floor} floor"
    saving = pricing.base_price.multiply(quantity) - pricing.price.multiply(quantity)
    return LineDeal(
        deal_ids=pricing.deal_ids,
        names=tuple(names[d] for d in pricing.deal_ids),
        tier=pricing.tier,
        reason=reason,
        floor=pricing.floor,
        unit_price=pricing.price,
        unit_saving=pricing.saving,
        saving=saving,
    )


def _price_deals(item: MenuItem, live: Sequence[Deal], rules: DealPolicy) -> DealPricing:
    """``best_price`` for one product, the gates having run once per deal already."""

    def targeting(deal: Deal) -> DealMatch:
        return match_targeting(deal, item)

    return price_matches(item, live, rules, targeting)


@dataclass(frozen=True, slots=True)
class _Deals:
    """The location's deals split once: live ones, and the others with why."""

    live: tuple[Deal, ...]
    skipped: tuple[DealCandidate, ...]
    names: Mapping[str, str]


_NO_DEALS = _Deals((), (), {})


def _split_deals(deals: Sequence[Deal], context: MatchContext) -> _Deals:
    live: list[Deal] = []
    skipped: list[DealCandidate] = []
    for deal in deals:
        failed = gate(deal, context)
        if failed is not None:
            skipped.append(DealCandidate(deal.id, deal.name, "gate_failed", failed[1]))
        elif deal.unmapped:
            reason = "its targeting was lost on the way: " + "; ".join(deal.unmapped)
            skipped.append(DealCandidate(deal.id, deal.name, "held_back", reason))
        else:
            live.append(deal)
    return _Deals(tuple(live), tuple(skipped), {d.id: d.name for d in deals})


def _evaluate(
    lines: Sequence[CartLine],
    context: EvaluationContext,
    promotions: PromotionEvaluator | Iterable[Promotion],
    *,
    policy: Policy,
    explain: bool,
) -> EvaluationResult:
    if isinstance(promotions, PromotionEvaluator):
        return promotions.evaluate(lines, context, policy=policy, explain_all=explain)
    return evaluate(lines, context, list(promotions), policy=policy)


def _policy(policy: Policy | str) -> Policy:
    try:
        return Policy(policy)
    except ValueError:
        raise InvalidValueError(
            field="policy",
            value=policy,
            reason=f"must be one of {', '.join(p.value for p in Policy)}",
        ) from None


# -- the entry point ------------------------------------------------------------------------


def quote_cart(
    items: Iterable[CartItem | Mapping[str, Any]],
    context: EvaluationContext,
    *,
    catalog: CatalogRepository,
    prices: PriceResolver,
    deals: Iterable[Deal] | None = (),
    promotions: PromotionEvaluator | Iterable[Promotion] | None = None,
    policy: Policy | str = Policy.PRIORITY,
    deal_policy: DealPolicy | None = None,
    first_time_customer: bool = False,
    explain: bool = True,
) -> Quote:
    """Quote a cart: price lists and tiers, markdowns, deals, then promotions.

    Args:
        items: The variants and quantities, in cart order: ``CartItem`` values,
            or mappings of their fields (a mapping without ``line_id`` gets its
            position, ``"1"``, ``"2"``, ...).
        context: The sale's business, location, channel, customer, instant and
            the location's time zone.
        catalog: Where variants, products and the category tree are read.
        prices: What resolves the unit prices, markdowns included (a
            :class:`~pricekit.pricing.service.PricingService`).
        deals: The location's deals (e.g. from the deal cache). ``None`` means
            none are known for the location: the cart is quoted without deals
            and the quote says so.
        promotions: A :class:`~pricekit.promotions.service.PromotionService`
            (or any :class:`PromotionEvaluator`) or the promotions themselves;
            ``None`` quotes without promotions.
        policy: How promotions are chosen: ``priority`` or ``best_for_customer``.
        deal_policy: How deals stack, whom a choice favours, and the floors
            (:class:`~pricekit.deals.DealPolicy` defaults if ``None``).
        first_time_customer: Whether the known customer has never bought
            before (for first-time-customer deals).
        explain: Keep every resolution's trace, and have a promotion service
            say why each of the business's promotions did or did not apply (not
            only those that could touch the cart).

    Returns:
        The quote.

    Raises:
        InvalidValueError: No items, a repeated line id, a bad quantity, an
            inactive variant, or a bad policy.
        NotFoundError: A variant, or its product, that the catalogue does not hold.
        CurrencyMismatchError: Lines, deals or promotions in different currencies.
    """
    chosen = _policy(policy)
    reader = _ReadOnce(catalog)
    priced = price_cart(_items(items), context, catalog=reader, prices=prices, explain=explain)
    currency = priced.lines[0].unit_price.currency
    known = None if deals is None else list(deals)
    split, notes = _location_deals(known, context, first_time_customer=first_time_customer)
    rules = DealPolicy() if deal_policy is None else deal_policy
    steps = [
        _deal_step(line, price, reader, split, rules)
        for line, price in zip(priced.lines, priced.prices, strict=True)
    ]
    evaluation = None
    if promotions is not None:
        evaluation = _evaluate(
            [step.dealt for step in steps], context, promotions, policy=chosen, explain=explain
        )
    quoted = [
        _quote_line(step, None if evaluation is None else evaluation.lines[index], evaluation)
        for index, step in enumerate(steps)
    ]
    subtotal = Money.sum((q.amount for q in quoted), currency=currency)
    total = Money.sum((q.total for q in quoted), currency=currency)
    return Quote(
        context=context,
        policy=chosen,
        currency=currency.code,
        lines=tuple(quoted),
        subtotal=subtotal,
        discounts=_discounts(quoted, evaluation, currency),
        deal_discount=Money.sum((q.deal_saving for q in quoted), currency=currency),
        promotion_discount=Money.sum((q.promotion_discount for q in quoted), currency=currency),
        total=total,
        savings=subtotal - total,
        promotions_applied=() if evaluation is None else evaluation.applied,
        promotions_rejected=() if evaluation is None else evaluation.rejections,
        free_items=() if evaluation is None else evaluation.free_items,
        deals_cached=known is not None,
        deals_skipped=split.skipped,
        notes=notes,
        exact=True if evaluation is None else evaluation.exact,
        evaluation=evaluation,
    )


def _location_deals(
    deals: list[Deal] | None, context: EvaluationContext, *, first_time_customer: bool
) -> tuple[_Deals, tuple[str, ...]]:
    """The location's deals split into live and skipped, and what to note about them."""
    if deals is None:
        where = context.location_id
        return _NO_DEALS, (f"no deals are cached for location {where!r}: quoted without deals",)
    if not deals:
        return _NO_DEALS, ()
    if context.location_id is None:
        return _NO_DEALS, ("the sale has no location: deals were not considered",)
    match_context = MatchContext(
        location_id=context.location_id,
        at=context.at,
        channel=context.channel,
        shelf=True,  # automatic deals only: a code or a button needs the register
        customer_id=context.customer_id,
        first_time_customer=first_time_customer,
    )
    return _split_deals(deals, match_context), ()


@dataclass(frozen=True, slots=True)
class _Step:
    """One line after steps 1 to 3."""

    line: CartLine
    price: ResolvedPrice
    variant: Variant
    product: Product
    deal: LineDeal | None
    candidates: tuple[DealCandidate, ...]
    dealt: CartLine


def _deal_step(
    line: CartLine, price: ResolvedPrice, reader: _ReadOnce, split: _Deals, rules: DealPolicy
) -> _Step:
    variant = reader.variants[line.variant_id or ""]
    product = reader.products[line.product_id]
    assert product is not None  # price_cart refuses a variant without its product
    if not split.live:
        return _Step(line, price, variant, product, None, (), line)
    item = _menu_item(line, variant, product)
    pricing = _price_deals(item, split.live, rules)
    deal = _line_deal(pricing, split.names, line.quantity)
    dealt = line if deal is None else line.model_copy(update={"unit_price": pricing.price})
    return _Step(line, price, variant, product, deal, _candidates(pricing, split.names), dealt)


def _quote_line(
    step: _Step, result: LineResult | None, evaluation: EvaluationResult | None
) -> QuoteLine:
    line, variant, product = step.line, step.variant, step.product
    zero = Money.zero(line.unit_price.currency)
    promos: tuple[LinePromotion, ...] = ()
    off, total = zero, step.dealt.amount
    if result is not None and evaluation is not None:
        names = {a.promotion_id: a.name for a in evaluation.applied}
        promos = tuple(
            LinePromotion(d.promotion_id, names.get(d.promotion_id, ""), d.amount)
            for d in result.discounts
        )
        off, total = result.discount, result.total
    return QuoteLine(
        line_id=line.line_id,
        variant_id=variant.id,
        product_id=product.id,
        name=f"{product.name} {variant.label}".strip() if variant.label else product.name,
        sku=variant.sku,
        quantity=line.quantity,
        regular_unit_price=step.price.original_price or step.price.unit_price,
        unit_price=line.unit_price,
        price=step.price,
        price_reason=explain_price(step.price),
        deal=step.deal,
        deal_candidates=step.candidates,
        deal_unit_price=step.dealt.unit_price,
        amount=line.amount,
        deal_saving=zero if step.deal is None else step.deal.saving,
        promotions=promos,
        promotion_discount=off,
        total=total,
    )


def _discounts(
    lines: Sequence[QuoteLine], evaluation: EvaluationResult | None, currency: Currency
) -> tuple[QuoteDiscount, ...]:
    """Every discount: the deals (a stack as one), in line order, then the promotions applied."""
    by_deals: dict[tuple[str, ...], tuple[str, list[Money], list[str]]] = {}
    for line in lines:
        if line.deal is not None:
            _, amounts, line_ids = by_deals.setdefault(line.deal.deal_ids, (line.deal.name, [], []))
            amounts.append(line.deal.saving)
            line_ids.append(line.line_id)
    out = [
        QuoteDiscount("deal", ids, name, Money.sum(amounts, currency=currency), tuple(line_ids))
        for ids, (name, amounts, line_ids) in by_deals.items()
    ]
    if evaluation is not None:
        out.extend(
            QuoteDiscount("promotion", (a.promotion_id,), a.name, a.discount, a.line_ids)
            for a in evaluation.applied
        )
    return tuple(out)
