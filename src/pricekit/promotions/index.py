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


def _line_keys(line: CartLine) -> list[str]:
    keys = [f"product:{line.product_id}"]
    if line.variant_id is not None:
        keys.append(f"variant:{line.variant_id}")
    keys.extend(f"category:{c}" for c in line.category_ids)
    keys.extend(f"collection:{c}" for c in line.collection_ids)
    return keys


class PromotionIndex:
    """Promotions filed by the items they need.

    Args:
        promotions: The promotions to file.
        statuses: The statuses filed (``active`` by default; add ``draft`` and
            ``scheduled`` for previews).
    """

    __slots__ = ("_by_id", "_by_key", "_general", "_statuses")

    def __init__(
        self,
        promotions: Iterable[Promotion] = (),
        *,
        statuses: Collection[PromotionStatus] = (PromotionStatus.ACTIVE,),
    ) -> None:
        self._statuses = frozenset(statuses)
        self._by_id: dict[str, Promotion] = {}
        self._by_key: dict[str, list[Promotion]] = {}
        self._general: list[Promotion] = []
        for promotion in promotions:
            if promotion.status in self._statuses:
                self._by_id[promotion.id] = promotion
        self._file(self._by_id.values())

    def _file(self, promotions: Iterable[Promotion]) -> None:
        for promotion in promotions:
            keys = _keys(promotion)
            if keys is None:
                self._general.append(promotion)
            else:
                for key in keys:
                    self._by_key.setdefault(key, []).append(promotion)

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
        found: dict[str, Promotion] = {p.id: p for p in self._general}
        by_key = self._by_key
        for line in cart:
            for key in _line_keys(line):
                filed = by_key.get(key)
                if filed:
                    for promotion in filed:
                        found[promotion.id] = promotion
        return list(found.values())

    def patched(
        self, *, upserted: Iterable[Promotion] = (), removed: Iterable[str] = ()
    ) -> PromotionIndex:
        """A new index with promotions added or replaced, and others removed."""
        changed = {p.id: p for p in upserted}
        gone = set(removed) | set(changed)
        kept = [p for p in self._by_id.values() if p.id not in gone]
        return PromotionIndex([*kept, *changed.values()], statuses=self._statuses)
