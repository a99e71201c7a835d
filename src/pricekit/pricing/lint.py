"""Lint for price lists: ambiguous or dead setups, reported before they bite.

:func:`lint_price_lists` checks raw records (as a repository or an import file
holds them), so it also finds what a :class:`~pricekit.pricing.book.PriceBook`
refuses to build from; :func:`lint_price_book` checks the records of a built book.

Findings, by code:

- ``ambiguous_items``: two active items of one list price the same item at the
  same quantity tier and item priority, and their validity overlaps (inside the
  list's). Resolution still picks one (the newer item, then the lower id), but
  nobody chose that on purpose. Items in the wrong currency are left out: they are
  reported as ``item_currency_mismatch``.
- ``list_without_scope``: an active list with no scope applies nowhere.
- ``item_currency_mismatch``: an item priced in a currency its list does not use
  (a book refuses to build from it).
- ``unknown_price_list``: an item or scope whose list does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from itertools import combinations

from pricekit._model import PricekitModel
from pricekit.pricing.book import PriceBook
from pricekit.pricing.models import ItemType, PriceList, PriceListItem, PriceListScope
from pricekit.time import ValidityWindow

__all__ = ["LintCode", "LintFinding", "lint_price_book", "lint_price_lists"]


class LintCode(StrEnum):
    """What a lint finding is about."""

    AMBIGUOUS_ITEMS = "ambiguous_items"
    LIST_WITHOUT_SCOPE = "list_without_scope"
    ITEM_CURRENCY_MISMATCH = "item_currency_mismatch"
    UNKNOWN_PRICE_LIST = "unknown_price_list"


class LintFinding(PricekitModel):
    """One problem found by the lint.

    Attributes:
        code: What kind of problem.
        message: What is wrong and what to do about it, for a person.
        price_list_ids: The lists involved.
        price_list_item_ids: The items involved, if any.
        price_list_scope_ids: The scopes involved, if any.
    """

    code: LintCode
    message: str
    price_list_ids: tuple[str, ...] = ()
    price_list_item_ids: tuple[str, ...] = ()
    price_list_scope_ids: tuple[str, ...] = ()


_Tie = tuple[str, ItemType, str, Decimal, int]


def lint_price_book(book: PriceBook) -> list[LintFinding]:
    """Lint the lists, items and scopes a price book was built from.

    A built book cannot hold an item in the wrong currency or one whose list is
    missing, so only ``ambiguous_items`` and ``list_without_scope`` can be found.
    """
    return lint_price_lists(
        lists=book.lists.values(), items=book.items.values(), scopes=book.scopes.values()
    )


def lint_price_lists(
    *,
    lists: Iterable[PriceList],
    items: Iterable[PriceListItem],
    scopes: Iterable[PriceListScope],
) -> list[LintFinding]:
    """Lint raw lists, items and scopes; findings are ordered by code, then ids.

    Args:
        lists: The price lists.
        items: Their items.
        scopes: Their scopes.
    """
    lists_by_id = {pl.id: pl for pl in lists}
    findings: list[LintFinding] = []
    scoped: set[str] = set()
    for scope in scopes:
        if scope.price_list_id in lists_by_id:
            scoped.add(scope.price_list_id)
        else:
            findings.append(
                LintFinding(
                    code=LintCode.UNKNOWN_PRICE_LIST,
                    message=f"scope {scope.id!r} binds price list {scope.price_list_id!r}, "
                    "which does not exist; delete the scope or create the list",
                    price_list_ids=(scope.price_list_id,),
                    price_list_scope_ids=(scope.id,),
                )
            )
    findings.extend(
        LintFinding(
            code=LintCode.LIST_WITHOUT_SCOPE,
            message=f"active price list {pl.id!r} ({pl.name!r}) has no scope, so it applies "
            "nowhere; add a scope (no location for everywhere) or deactivate it",
            price_list_ids=(pl.id,),
        )
        for pl in lists_by_id.values()
        if pl.is_active and pl.id not in scoped
    )
    ties: dict[_Tie, list[tuple[PriceListItem, ValidityWindow]]] = {}
    for item in items:
        price_list = lists_by_id.get(item.price_list_id)
        if price_list is None:
            findings.append(
                LintFinding(
                    code=LintCode.UNKNOWN_PRICE_LIST,
                    message=f"item {item.id!r} belongs to price list {item.price_list_id!r}, "
                    "which does not exist",
                    price_list_ids=(item.price_list_id,),
                    price_list_item_ids=(item.id,),
                )
            )
            continue
        if item.price.currency.code != price_list.currency:
            findings.append(
                LintFinding(
                    code=LintCode.ITEM_CURRENCY_MISMATCH,
                    message=f"item {item.id!r} is priced in {item.price.currency.code} but "
                    f"price list {price_list.id!r} uses {price_list.currency}; reprice it in "
                    f"{price_list.currency} or move it to a list in {item.price.currency.code}",
                    price_list_ids=(price_list.id,),
                    price_list_item_ids=(item.id,),
                )
            )
            continue  # reported once, as what it is
        if not item.is_active:
            continue
        window = item.validity.intersection(price_list.validity)
        if window is None:  # the item never applies, so it cannot be ambiguous
            continue
        key = (item.price_list_id, item.item_type, item.item_id, item.min_qty, item.priority)
        ties.setdefault(key, []).append((item, window))
    for (list_id, item_type, item_id, min_qty, priority), group in ties.items():
        group.sort(key=lambda pair: pair[0].id)
        for (first, first_window), (second, second_window) in combinations(group, 2):
            if first_window.overlaps(second_window):
                findings.append(
                    LintFinding(
                        code=LintCode.AMBIGUOUS_ITEMS,
                        message=f"items {first.id!r} and {second.id!r} of price list "
                        f"{list_id!r} both price {item_type.value} {item_id!r} from quantity "
                        f"{min_qty} at item priority {priority} with overlapping validity; "
                        "where they overlap the newer one wins silently: change a priority "
                        "or a validity, or deactivate one",
                        price_list_ids=(list_id,),
                        price_list_item_ids=(first.id, second.id),
                    )
                )
    findings.sort(
        key=lambda f: (
            f.code.value,
            f.price_list_ids,
            f.price_list_item_ids,
            f.price_list_scope_ids,
        )
    )
    return findings
