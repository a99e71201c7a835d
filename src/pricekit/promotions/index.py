"""An index of promotions by the items they need, so a cart only meets those that can touch it.

A promotion that cannot apply unless the cart holds one of some items (its
``item_filter``, or a product / category / collection condition) is filed under
those items; the others (a cart-wide "spend 100, get 10 off") are filed as
*general*. :meth:`PromotionIndex.candidates` returns the general promotions plus
those filed under the cart's products, variants, categories and collections:
a few dozen lookups for a 20-line cart, whatever the number of promotions.

The index is immutable: build it from a business's live promotions, and build a
new one (or use :meth:`PromotionIndex.patched`) when they change. Only
``active`` promotions (and those in the statuses asked for) are filed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from pricekit.promotions.models import CartLine, Promotion, PromotionStatus

__all__ = ["PromotionIndex"]


def _keys(promotion: Promotion) -> frozenset[str] | None:
    found = promotion.item_keys()
    if found is None:
        return None
    kind, ids = found
    if kind == "any":
        return ids
    return frozenset(f"{kind}:{item}" for item in ids)


class PromotionIndex:
    """Promotions filed by the items they need.

    Args:
        promotions: The promotions to file.
        statuses: The statuses filed (``active`` by default; add ``draft`` and
            ``scheduled`` for previews).
    """

    __slots__ = ("_by_id", "_by_key", "_general", "_keys", "_statuses")

    def __init__(
        self,
        promotions: Iterable[Promotion] = (),
        *,
        statuses: Collection[PromotionStatus] = (PromotionStatus.ACTIVE,),
    ) -> None:
        self._statuses = frozenset(statuses)
        self._by_id: dict[str, Promotion] = {}
        self._keys: dict[str, frozenset[str] | None] = {}
        self._by_key: dict[str, list[str]] = {}
        self._general: list[str] = []
        for promotion in promotions:
            if promotion.status in self._statuses:
                self._by_id[promotion.id] = promotion
        for promotion in self._by_id.values():
            keys = self._keys[promotion.id] = _keys(promotion)
            if keys is None:
                self._general.append(promotion.id)
            else:
                for key in keys:
                    self._by_key.setdefault(key, []).append(promotion.id)

    def __len__(self) -> int:
        """How many promotions are filed."""
        return len(self._by_id)

    def __contains__(self, promotion_id: object) -> bool:
        return promotion_id in self._by_id

    @property
    def statuses(self) -> frozenset[PromotionStatus]:
        """The statuses this index files."""
        return self._statuses

    def get(self, promotion_id: str) -> Promotion | None:
        """The filed promotion with this id, or ``None``."""
        return self._by_id.get(promotion_id)

    def all(self) -> list[Promotion]:
        """Every filed promotion."""
        return list(self._by_id.values())

    def candidates(self, cart: Sequence[CartLine]) -> list[Promotion]:
        """What can touch ``cart``: the general promotions and those filed under its items."""
        found: dict[str, None] = dict.fromkeys(self._general)
        by_key = self._by_key
        for line in cart:
            for key in line.item_keys:
                filed = by_key.get(key)
                if filed:
                    found.update(dict.fromkeys(filed))
        by_id = self._by_id
        return [by_id[promotion_id] for promotion_id in found]

    def patched(
        self, *, upserted: Iterable[Promotion] = (), removed: Iterable[str] = ()
    ) -> PromotionIndex:
        """A new index with promotions added or replaced, and others removed.

        Replacing promotions that keep their status and the items they need (a new
        usage count, a new name) copies only the id map; anything else re-files.
        """
        changed = {p.id: p for p in upserted}
        gone = set(removed)
        if not gone and all(
            p.id in self._by_id and p.status in self._statuses and _keys(p) == self._keys[p.id]
            for p in changed.values()
        ):
            twin = PromotionIndex.__new__(PromotionIndex)
            twin._statuses = self._statuses
            twin._keys = self._keys
            twin._by_key = self._by_key
            twin._general = self._general
            twin._by_id = {**self._by_id, **changed}
            return twin
        gone |= set(changed)
        kept = [p for p in self._by_id.values() if p.id not in gone]
        return PromotionIndex([*kept, *changed.values()], statuses=self._statuses)
