"""`make demo`: the whole flow on the local stack, PDFs into ./out/.

Starts the stack, connects a simulated owner through the real OAuth redirects, requests a report
for every vehicle of the scenario, shows progress, downloads the PDFs through their signed URLs
and writes the final status and Tesla's request log. Exits non-zero if any step fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from carpulse.logs import LEVELS
from carpulse.report.i18n import LANGUAGES
from infra.local.owner import ApiClient, FlowError, SimulatedOwner
from infra.local.stack import DEFAULT_SCENARIO, ROOT, LocalStack, StackError


def _say(text: str) -> None:
    print(text, flush=True)


def _show_progress(status: dict[str, Any]) -> None:
    parts = [f"…{v['vin'][-4:]} {v['status']}" for v in status["vehicles"]]
    _say(f"  [{status['done']}/{status['total']}] {status['status']:<9} " + "  ".join(parts))


def tesla_requests_per_vehicle(log: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Billable-or-not request counts per VIN (and "account" for account-level calls)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in log:
        if entry.get("category") == "free" and entry.get("path", "").startswith(("/oauth2", "/_sim")):
            continue
        vin = entry.get("vin")
        counts[f"…{vin[-4:]}" if vin else "account"][entry.get("category", "unknown")] += 1
    return {key: dict(value) for key, value in counts.items()}


@dataclass(frozen=True)
class DemoOutcome:
    """What one run of the flow left: its exit code and the owner's signed-in API client."""

    code: int
    api: ApiClient = field(repr=False)


def run(
    scenario: Path,
    out_dir: Path,
    language: str = "en",
    *,
    log_dir: Path = ROOT / ".local" / "logs",
    log_level: str = "INFO",
) -> int:
    """The demo on a stack of its own; returns the process exit code."""
    _say(f"▶ starting the local stack (scenario {scenario.name}) …")
    started = time.monotonic()
    # The business scenario has 50 vehicles: let one report take them all.
    with LocalStack(
        scenario=scenario, log_dir=log_dir, extra_env={"MAX_VINS_PER_REPORT": "50", "LOG_LEVEL": log_level}
    ) as stack:
        shown_logs = log_dir.relative_to(ROOT) if log_dir.is_relative_to(ROOT) else log_dir
        ready = time.monotonic() - started
        _say(f"  ready in {ready:.1f}s; API host {stack.api_url}; logs ({log_level}) in {shown_logs}/")
        return run_flow(stack, out_dir, language).code


def run_flow(stack: LocalStack, out_dir: Path, language: str = "en") -> DemoOutcome:
    """Connect, request a report for every vehicle, download its files into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.pdf"), *out_dir.glob("*.csv"), *out_dir.glob("*.zip")]:
        old.unlink()
    flow_started = time.monotonic()
    _say("▶ connecting the simulated owner through the API host and Tesla's OAuth consent …")
    token = SimulatedOwner(stack.api_url).connect()
    api = ApiClient(stack.api_url, token)
    vehicles = api.vehicles()
    for v in vehicles:
        _say(f"  {v['display_name'] or '(no name)':<20} …{v['vin'][-6:]}  {v['state']}")
    _say(f"▶ requesting a report for {len(vehicles)} vehicle(s) …")
    response = api.request_report([v["vin"] for v in vehicles], language=language)
    if response.status_code != 202:
        raise FlowError(f"report request refused: {response.status_code} {response.text[:300]}")
    report_id = response.json()["response"]["report_id"]
    _say(f"  report {report_id}")
    status = api.wait(report_id, on_progress=_show_progress)
    names = {v["vin"]: v["display_name"] for v in vehicles}
    downloaded = []
    for item in status["vehicles"]:
        if item.get("download_url"):
            pdf = requests.get(item["download_url"], timeout=30)
            pdf.raise_for_status()
            slug = "".join(c if c.isalnum() else "-" for c in (names.get(item["vin"]) or "vehicle")).strip("-")
            target = out_dir / f"{slug}-{item['vin'][-6:]}.pdf"
            target.write_bytes(pdf.content)
            downloaded.append(target)
            shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            _say(f"  ✔ {shown} ({len(pdf.content):,} bytes)")
        else:
            _say(f"  ✘ …{item['vin'][-4:]}: {item.get('error') or item['status']}")
    for key, url in status.get("files", {}).items():
        target = out_dir / {"sessions_csv": "charging-sessions.csv", "invoices_zip": "invoices.zip"}.get(key, key)
        content = requests.get(url, timeout=30)
        content.raise_for_status()
        target.write_bytes(content.content)
        _say(f"  ✔ {target.name} ({len(content.content):,} bytes)")
    flow_seconds = time.monotonic() - flow_started
    log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=10).json()
    entries = log.get("requests", log) if isinstance(log, dict) else log
    per_vehicle = tesla_requests_per_vehicle(entries)
    (out_dir / "report-status.json").write_text(json.dumps(status, indent=2) + "\n")
    (out_dir / "tesla-requests.json").write_text(json.dumps(per_vehicle, indent=2) + "\n")
    _say("▶ Tesla requests by vehicle and billing category:")
    for key, counts in sorted(per_vehicle.items()):
        _say(f"  {key:<8} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    cost = status.get("tesla_cost") or {}
    billed = ", ".join(f"{k} {v}" for k, v in sorted(cost.get("calls", {}).items()))
    as_of = cost.get("prices_as_of")
    _say(f"▶ Tesla's bill for the report (an estimate at the prices of {as_of}): {billed} = ${cost.get('cost_usd')}")
    _say(f"▶ report {status['status']} in {flow_seconds:.1f}s (stack start-up excluded); files in {out_dir}")
    for item in status["vehicles"]:
        for missing in item.get("missing", []):
            _say(f"  ℹ …{item['vin'][-4:]} {missing['section']}: {missing['message']}")
    # partial: every PDF is there, and each one says which section is missing and why
    if status["status"] not in ("complete", "partial") or len(downloaded) != len(vehicles):
        return DemoOutcome(1, api)
    return DemoOutcome(0, api)


def main() -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="Run the whole Car Pulse Tracker flow locally")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--language", choices=LANGUAGES, default="en")
    parser.add_argument("--log-level", choices=LEVELS, type=str.upper, default="INFO", help="the functions' LOG_LEVEL")
    args = parser.parse_args()
    try:
        return run(args.scenario.resolve(), args.out.resolve(), args.language, log_level=args.log_level)
    except (FlowError, StackError, requests.RequestException) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
