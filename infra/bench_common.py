"""What the `make bench` sections share: the ratio rows, Tesla latency on the simulator, its log.

Every figure is a ratio of two things measured in the same run (so a slow, shared machine moves
both sides); the round-trip counts come from the simulator's request log.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

LATENCY_MS = 300  # added to every call to Tesla (auth included): about a cloud region's round trip
TESLA_PATHS = r"^/(fleet|oauth2|cn)/"


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One row of the ratio table: a measured ratio against its goal (lower is better)."""

    name: str
    value: float
    goal: float | None  # None: shown for information
    detail: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the ratio is within its goal (None: no goal)."""
        return None if self.goal is None else self.value <= self.goal


def print_table(figures: Iterable[Figure]) -> None:
    """The ratio table: figure, ratio, goal, met / not met, and what was measured."""
    rows = list(figures)
    width = max(len(f.name) for f in rows)
    print(f"\n{'ratio':<{width}}  {'value':>7}  {'goal':>7}  {'':<7}  measured")
    for f in rows:
        verdict = {True: "met", False: "not met", None: "info"}[f.met]
        goal = "—" if f.goal is None else f"≤ {f.goal:g}"
        print(f"{f.name:<{width}}  {f.value:>7.2f}  {goal:>7}  {verdict:<7}  {f.detail}")


def say(text: str) -> None:
    """A progress line (stderr: the table is the output)."""
    print(text, file=sys.stderr, flush=True)


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of several measurements."""
    return statistics.median(measure() for _ in range(runs))


def add_latency(sim_url: str, latency_ms: int = LATENCY_MS) -> None:
    """Delay every Tesla call by `latency_ms` (replacing earlier faults)."""
    requests.delete(f"{sim_url}/_sim/faults", timeout=10).raise_for_status()
    if latency_ms:
        fault = {"path_pattern": TESLA_PATHS, "latency_ms": latency_ms, "count": 10_000_000}
        requests.post(f"{sim_url}/_sim/faults", json=fault, timeout=10).raise_for_status()


def clear_log(sim_url: str) -> None:
    """Forget the simulator's request log."""
    requests.delete(f"{sim_url}/_sim/requests", timeout=10).raise_for_status()


def tesla_log(sim_url: str) -> list[dict[str, Any]]:
    """The simulator's request log, oldest first, each with `end` (when its answer left) as a datetime."""
    body = requests.get(f"{sim_url}/_sim/requests", timeout=30).json()
    entries = body.get("requests", body) if isinstance(body, dict) else body
    for entry in entries:
        entry["end"] = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    return list(entries)


def billed(entries: Iterable[dict[str, Any]]) -> int:
    """Calls Tesla bills (every answer below 500, free categories aside)."""
    return sum(1 for e in entries if e.get("billable"))


def round_trips(entries: Iterable[dict[str, Any]], latency_ms: int = LATENCY_MS) -> int:
    """The calls on the critical path: the longest chain of calls each answered at least most of a
    round trip after the previous one (calls side by side end within milliseconds of each other)."""
    ends = sorted(e["end"].timestamp() for e in entries)
    if not ends:
        return 0
    chain, last = 1, ends[0]
    for end in ends[1:]:
        if end - last >= 0.8 * latency_ms / 1000:
            chain, last = chain + 1, end
    return chain


def between(entries: Iterable[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    """The log entries answered within a window of epoch seconds (a little slack at both ends)."""
    return [e for e in entries if start - 0.005 <= e["end"].timestamp() <= end + 0.005]
