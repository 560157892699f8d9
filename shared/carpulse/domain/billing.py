"""What Tesla bills for a report: each Fleet API answer below HTTP 500 by category, and an estimate
in US dollars from a price table (Tesla's published prices by default, with their date)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["data", "wake", "command", "specs", "free"]
CATEGORIES: tuple[Category, ...] = ("data", "wake", "command", "specs", "free")
# Our client's endpoint names (carpulse.tesla.client) that are not "data".
_BY_ENDPOINT: dict[str, Category] = {
    "wake_up": "wake",
    "specs": "specs",
    "users_region": "free",  # region discovery
    "partner_accounts": "free",
    "partner_public_key": "free",
}


class PriceTable(BaseModel):
    """US dollars per billed answer, by category, and where the figures come from."""

    model_config = ConfigDict(frozen=True)

    usd: dict[str, float] = Field(
        default_factory=lambda: {"data": 1 / 500, "wake": 1 / 50, "command": 1 / 1000, "specs": 0.10, "free": 0.0}
    )
    as_of: str = "2025-01"  # Tesla's pay-per-use Fleet API pricing (developer.tesla.com, Billing and Limits)
    source: str = "Tesla Fleet API published pricing"


def category_of(endpoint: str) -> Category:
    """The billing category of one of our client's endpoints (commands are not used)."""
    if endpoint.startswith("command_"):
        return "command"
    return _BY_ENDPOINT.get(endpoint, "data")


def billed(status: int | None) -> bool:
    """Tesla bills every answer below HTTP 500 (an error answer too; a dropped connection is none)."""
    return status is not None and status < 500


def count_calls(answers: Iterable[tuple[str, int | None]]) -> dict[str, int]:
    """Billed answers by category, from (endpoint, status) pairs."""
    counts = Counter(category_of(endpoint) for endpoint, status in answers if billed(status))
    return {category: counts[category] for category in CATEGORIES if counts[category]}


def add_calls(*parts: Mapping[str, int]) -> dict[str, int]:
    """Calls by category, summed."""
    total: Counter[str] = Counter()
    for part in parts:
        total.update({k: int(v) for k, v in part.items()})
    return {category: total[category] for category in CATEGORIES if total[category]}


def cost_usd(calls: Mapping[str, int], prices: PriceTable) -> float:
    """The estimate in US dollars (rounded to a thousandth of a cent)."""
    return round(sum(prices.usd.get(category, 0.0) * count for category, count in calls.items()), 5)
