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


# What a vehicle's report costs before any extra: the vehicle, its live data and the modules
# (service, warranty, alerts, release notes, options, fleet status), one data answer each.
BASE_DATA_CALLS = 9


def extras_within(
    allowance_usd: float | None, prices: PriceTable, specs_needed: bool, invoices: int
) -> tuple[bool, int]:
    """Which billed extras of one vehicle fit its share of a report's budget: (fetch the specs?, how
    many invoice PDFs); everything without a budget. The base calls come first, then the specs (the
    dearest extra, and what the battery's health rests on), then as many invoices as still fit."""
    if allowance_usd is None:
        return specs_needed, invoices
    left = allowance_usd - BASE_DATA_CALLS * prices.usd.get("data", 0.0)
    specs = specs_needed and left >= prices.usd.get("specs", 0.0)
    if specs:
        left -= prices.usd.get("specs", 0.0)
    per_invoice = prices.usd.get("data", 0.0)
    # A millionth of a cent of slack: 0.014 / 0.002 must be 7, not 6.999…
    fitting = invoices if per_invoice <= 0 else max(0, min(invoices, int((left + 1e-8) // per_invoice)))
    return specs, fitting
