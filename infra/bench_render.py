"""Render time and PDF size per report, median of several runs (a section of `make bench`).

Snapshots are built by the real normalisation from the simulator's scenario files (no stack, no
network), so the figures measure our code only: each vehicle of the default scenario in each report
language, plus one report with about 500 charging sessions. Wall-clock numbers belong here, never in
tests.
"""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from carpulse.domain.snapshot import DataSource, Section, SectionNote, SectionState, VehicleSnapshot
from carpulse.report.i18n import LANGUAGES
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.normalise import build_snapshot
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.schemas import ChargingSession, VehicleData, VehicleSummary
from infra.local.stack import DEFAULT_SCENARIO

GENERATED = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
# Per-vehicle files and the models that read them, as the worker's fetch would.
_MODULES: dict[str, tuple[str, type[Any]]] = {
    "service": ("service_data.json", dx.ServiceData),
    "alerts": ("recent_alerts.json", dx.RecentAlerts),
    "release_notes": ("release_notes.json", dx.ReleaseNotes),
    "warranty": ("warranty.json", dx.WarrantyDetails),
    "options": ("options.json", dx.VehicleOptions),
    "specs": ("specs.json", dx.VehicleSpecs),
    "fleet_status": ("fleet_status.json", dx.FleetStatus),
}
_ENDPOINTS = ("vehicle", "vehicle_data", "charging_history", *(name for name, _ in _MODULES.values()))


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _spread(sessions: list[ChargingSession], copies: int) -> list[ChargingSession]:
    """The history repeated `copies` times, each copy 91 days earlier, with its own session ids."""
    out = []
    for k in range(copies):
        shift = timedelta(days=91 * k)
        for s in sessions:
            changes = {
                "sessionId": (s.sessionId or 0) + 10_000_000 * k,
                "chargeStartDateTime": s.chargeStartDateTime - shift if s.chargeStartDateTime else None,
                "chargeStopDateTime": s.chargeStopDateTime - shift if s.chargeStopDateTime else None,
            }
            out.append(s.model_copy(update=changes))
    return out


def scenario_snapshots(
    scenario: Path = DEFAULT_SCENARIO, language: str = "en", copies: int = 1
) -> dict[str, VehicleSnapshot]:
    """One snapshot per vehicle of a simulator scenario, as the worker would build it (no waking)."""
    meta = _read(scenario / "scenario.json")
    history = scenario / "charging_history.json"
    raw_sessions = [ChargingSession.model_validate(s) for s in (_read(history) if history.exists() else [])]
    sessions = _spread(raw_sessions, copies)
    region = meta["account"]["region"]
    out = {}
    for vehicle in meta["vehicles"]:
        vin = vehicle["vin"]
        folder = scenario / "vehicles" / vin
        notes: list[SectionNote] = []
        data = None
        if vehicle.get("state") == "online" and (folder / "vehicle_data.json").exists():
            data = VehicleData.model_validate(_read(folder / "vehicle_data.json"))
        else:
            detail = {"state": vehicle.get("state") or "offline"}
            notes.append(
                SectionNote(
                    section=Section.BATTERY, state=SectionState.MISSING, reason="reason.vehicle_asleep", detail=detail
                )
            )
        # A missing file is what the simulator answers for it: the endpoint's documented empty shape.
        modules = {
            name: model.model_validate(_read(folder / file) if (folder / file).exists() else {})
            for name, (file, model) in _MODULES.items()
        }
        sources = [
            DataSource(endpoint=name, status=200, fetched_at=GENERATED - timedelta(minutes=2), region=region)
            for name in _ENDPOINTS
            if name != "vehicle_data" or data is not None
        ]
        fetched = FetchedVehicle(
            summary=VehicleSummary.model_validate(vehicle),
            data=data,
            sessions=sessions,
            notes=notes,
            sources=sources,
            stored_invoices=frozenset(i.contentId for s in sessions for i in s.invoices if i.contentId),
            **modules,
        )
        out[vehicle["display_name"]] = build_snapshot(
            fetched, report_id=f"bench-{vin[-6:]}", generated_at=GENERATED, region=region, vin=vin, language=language
        )
    return out


def _measure(snapshot: VehicleSnapshot, runs: int) -> tuple[float, float, int, float]:
    times = []
    pdf = b""
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render_vehicle_pdf(snapshot)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    render_vehicle_pdf(snapshot)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), min(times), len(pdf), peak


def print_render_table(runs: int, scenario: Path = DEFAULT_SCENARIO, languages: tuple[str, ...] = LANGUAGES) -> None:
    """Print render time (median, min), PDF size and peak memory per report and language."""
    cases: list[tuple[str, str, VehicleSnapshot]] = []
    for language in languages:
        cases += [(name, language, snap) for name, snap in scenario_snapshots(scenario, language).items()]
    big_name, big = next(iter(scenario_snapshots(scenario, "en", copies=42).items()))
    cases.append((f"{big_name} ×42", "en", big))
    print(
        f"{'report':<22} {'lang':<4} {'sessions':>8} {'pages':>5} {'median ms':>10} {'min ms':>8}"
        f" {'KiB':>7} {'peak MiB':>9}"
    )
    for name, language, snapshot in cases:
        median, fastest, size, peak = _measure(snapshot, runs)
        pages = render_vehicle_pdf(snapshot).count(b"/Type /Page\n")
        print(
            f"{name:<22} {language:<4} {len(snapshot.sessions):>8} {pages:>5} {median:>10.0f} {fastest:>8.0f}"
            f" {size / 1024:>7.1f} {peak:>9.1f}"
        )
