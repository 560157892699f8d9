"""Request log with Tesla's billing categories.

Tesla bills every Fleet API response below HTTP 500 by category (data, wake, command, specs); auth,
region discovery and partner registration are free. The log lets tests assert what a flow would cost.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

Category = Literal["data", "wake", "command", "specs", "free"]

# USD per billable response, from Tesla's published pricing (data 500/$1, wakes 50/$1, commands 1000/$1,
# specs $0.10 per result). Only used for the summary; tests should assert counts, not money.
PRICES_USD: dict[str, float] = {"data": 0.002, "wake": 0.02, "command": 0.001, "specs": 0.10, "free": 0.0}

_FLEET = re.compile(r"^/fleet/(?P<region>[a-z]{2})(?P<api>/.*)?$")
_VEHICLE = re.compile(r"^/api/1/vehicles/(?P<tag>[^/]+)(?P<rest>/.*)?$")
_FREE_API = ("/api/1/users/region", "/api/1/partner_accounts")


class LogEntry(BaseModel):
    """One request as seen by the simulator (never holds tokens or bodies)."""

    time: str
    method: str
    path: str
    region: str | None
    vin: str | None
    status: int | None  # None when a fault dropped the connection
    category: Category
    billable: bool
    fault: bool = False


def split_fleet_path(path: str) -> tuple[str | None, str]:
    """Return (region, path below the region base) for /fleet/<region>/... paths, else (None, path)."""
    match = _FLEET.match(path)
    if not match:
        return None, path
    return match["region"], match["api"] or "/"


def categorize(path: str) -> Category:
    """Billing category of a request path."""
    region, api = split_fleet_path(path)
    if region is None or not api.startswith("/api/1/") or api.startswith(_FREE_API):
        return "free"
    vehicle = _VEHICLE.match(api)
    rest = (vehicle["rest"] or "") if vehicle else ""
    if rest == "/wake_up":
        return "wake"
    if rest == "/specs":
        return "specs"
    if rest.startswith("/command/"):
        return "command"
    return "data"


def path_vin(path: str) -> str | None:
    """The vehicle tag named in a /api/1/vehicles/{tag}/... path, if any."""
    _, api = split_fleet_path(path)
    match = _VEHICLE.match(api)
    if not match or match["tag"] == "fleet_status":
        return None
    return match["tag"]


class RequestLog:
    """Bounded, thread-safe request log."""

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=capacity)

    def record(self, method: str, path: str, status: int | None, vin: str | None, fault: bool = False) -> LogEntry:
        """Append one entry; billable = category is not free and the status is below 500."""
        category = categorize(path)
        entry = LogEntry(
            time=datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            method=method,
            path=path,
            region=split_fleet_path(path)[0],
            vin=vin,
            status=status,
            category=category,
            billable=category != "free" and status is not None and status < 500,
            fault=fault,
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[LogEntry]:
        """A snapshot of the log, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Empty the log."""
        with self._lock:
            self._entries.clear()

    def summary(self) -> dict[str, object]:
        """Billable counts and the estimated cost per category."""
        counts = dict.fromkeys(PRICES_USD, 0)
        for entry in self.entries():
            if entry.billable:
                counts[entry.category] += 1
        cost = {name: round(counts[name] * PRICES_USD[name], 4) for name in counts}
        return {"billable": counts, "estimated_usd": cost, "total_usd": round(sum(cost.values()), 4)}
