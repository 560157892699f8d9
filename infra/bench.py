"""`make bench`: render time and PDF size per report, median of several runs.

Snapshots are built by the real normalisation from the simulator's scenario files (no stack, no
network), so the figures measure our code only. Wall-clock numbers belong here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from carpulse.report.pdf import render_vehicle_pdf
from carpulse.services.normalise import build_snapshot
from carpulse.tesla.schemas import ChargingSession, VehicleData, VehicleSummary
from infra.local.stack import DEFAULT_SCENARIO


def _snapshots(scenario: Path, repeat_sessions: int = 1) -> dict[str, object]:
    meta = json.loads((scenario / "scenario.json").read_text())
    sessions = [ChargingSession.model_validate(s) for s in json.loads((scenario / "charging_history.json").read_text())]
    sessions = sessions * repeat_sessions
    out = {}
    for vehicle in meta["vehicles"]:
        vin = vehicle["vin"]
        data_file = scenario / "vehicles" / vin / "vehicle_data.json"
        data = VehicleData.model_validate(json.loads(data_file.read_text())) if data_file.exists() else None
        out[vehicle["display_name"]] = build_snapshot(
            report_id="bench",
            generated_at=datetime(2026, 11, 21, tzinfo=UTC),
            region=meta["account"]["region"],
            vin=vin,
            summary=VehicleSummary.model_validate(vehicle),
            data=data,
            sessions=sessions,
        )
    return out


def main() -> int:
    """Print a table of render time (median, min) and size per report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    args = parser.parse_args()
    cases = {name: snap for name, snap in _snapshots(args.scenario).items()}
    big = _snapshots(args.scenario, repeat_sessions=40)
    first = next(iter(big))
    cases[f"{first} ×40 sessions"] = big[first]
    print(f"{'report':<28} {'sessions':>8} {'median ms':>10} {'min ms':>8} {'size KiB':>9} {'peak MiB':>9}")
    for name, snapshot in cases.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            pdf = render_vehicle_pdf(snapshot)
            times.append((time.perf_counter() - started) * 1000)
        tracemalloc.start()
        render_vehicle_pdf(snapshot)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(
            f"{name:<28} {len(snapshot.sessions):>8} {statistics.median(times):>10.0f} {min(times):>8.0f}"
            f" {len(pdf) / 1024:>9.1f} {peak:>9.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
