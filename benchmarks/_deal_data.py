"""The deals the sync and deal-cache benchmarks share: one location's ``n``-th deal."""

from __future__ import annotations

from pricekit.deals.models import Deal

__all__ = ["deal"]


def deal(location: str, n: int) -> Deal:
    """Deal ``n`` of a location: a mix of reward methods, days and brand/category targets."""
    method = n % 3
    reward: dict[str, str] = (
        {"method": "percent_off", "percent": str(5 + n % 30)}
        if method == 0
        else {"method": "amount_off", "amount": f"{1 + n % 9}.00 USD"}
        if method == 1
        else {"method": "price_to_amount", "amount": f"{10 + n % 40}.00 USD"}
    )
    return Deal.model_validate(
        {
            "id": f"{location}_{n}",
            "discount_id": str(n),
            "location_id": location,
            "name": f"Deal {n}",
            "time_zone": "America/Phoenix",
            "menu_rank": n % 50,
            "days": ["monday", "friday"] if n % 4 == 0 else [],
            "reward": reward,
            "restrictions": [
                {"dimension": "brand", "ids": [f"brand-{n % 40}"]},
                {"dimension": "category", "ids": [f"cat-{n % 12}", f"cat-{n % 7}"]},
            ],
        }
    )
