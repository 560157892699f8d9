"""Property tests: every captured payload and every scenario payload, mutated, still gives every file.

Each example takes one real payload (shared/fixtures/tesla, or a file of a simulator scenario) and
applies one to three mutations at random places: a key deleted, a value nulled, a wrong type, NaN,
±Infinity, "1e999", a huge number, a 5,000-character string, a timestamp in milliseconds, a time
without its offset, a list element that is not an object. Then normalise, the PDF, the JSON view
and the CSV must not raise, the snapshot must survive the JSON round trip the finalise task makes,
the invoice ZIP must be built, and no output may hold None, null, <invalid>, nan, inf or a Python
repr. Fixed seed (derandomize), a few hundred examples over the three tests, no time assertions
(`make unit` runs a few examples per test: the hypothesis profile "unit" of tests/conftest.py).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.report.csv_export import sessions_csv
from carpulse.report.json_view import render_vehicle_json
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.finalise import FinaliseService
from carpulse.services.normalise import build_snapshot, partition_sessions
from carpulse.services.object_names import invoice_object
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.schemas import ChargingHistoryPage, VehicleData
from tests.fakes import FakeBlobs
from tests.report_samples import fixture_files
from tests.sweeps import sweep

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent for p in (ROOT / "infra/simulator/scenarios").glob("*/scenario.json"))
GENERATED = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
MODULES: dict[str, type[Any]] = {
    "service_data.json": dx.ServiceData,
    "recent_alerts.json": dx.RecentAlerts,
    "release_notes.json": dx.ReleaseNotes,
    "warranty.json": dx.WarrantyDetails,
    "options.json": dx.VehicleOptions,
    "specs.json": dx.VehicleSpecs,
    "fleet_status.json": dx.FleetStatus,
}
_ARG = {"service_data.json": "service", "recent_alerts.json": "alerts", "warranty.json": "warranty"}
LEAKS = re.compile(
    r"\bNone\b|\bnull\b|<invalid>|\bnan\b|\binf\b|\bInfinity\b|\bTrue\b|\bFalse\b|Money\(|datetime\(|\{[a-z_]+\}"
)
EXAMPLES = 70  # per test: three tests, 210 examples in all
SETTINGS = settings(
    # 70 under the default profile (make test); fewer when the loaded profile asks for fewer (make unit).
    max_examples=min(EXAMPLES, settings().max_examples),
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: a failure is reported as found, so the time stays bounded.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _vehicle_payloads() -> list[tuple[str, dict]]:
    found = [(p.name, _read(p).get("response", _read(p))) for p in fixture_files()]
    found += [
        (f"{p.parent.parent.parent.name}/{p.parent.name}", _read(p))
        for s in SCENARIOS
        for p in sorted(s.glob("vehicles/*/vehicle_data.json"))
    ]
    return found


def _module_payloads() -> list[tuple[str, str, dict]]:
    return [
        (s.name, p.name, _read(p)) for s in SCENARIOS for p in sorted(s.glob("vehicles/*/*.json")) if p.name in MODULES
    ]


def _histories() -> list[tuple[str, list]]:
    # The business history is 500 sessions: a slice keeps each example quick and still varied.
    return [
        (s.name, _read(s / "charging_history.json")[:40]) for s in SCENARIOS if (s / "charging_history.json").exists()
    ]


VEHICLE_DATA, MODULE_FILES, HISTORIES = _vehicle_payloads(), _module_payloads(), _histories()


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:12]):
            yield from _paths(value, (*prefix, index))


def _naive(value: Any) -> Any:
    return re.sub(r"(Z|[+-]\d\d:\d\d)$", "", value) if isinstance(value, str) else value


def _ms(value: Any) -> Any:
    return value * 1000 if isinstance(value, int | float) and not isinstance(value, bool) else 1773482400000


# How a value may be replaced; "delete" (removing the key or item) is handled where it applies.
MUTATIONS: dict[str, Callable[[Any], Any]] = {
    "null": lambda v: None,
    "text": lambda v: "x",
    "number": lambda v: 7,
    "object": lambda v: {"unexpected": [1, "two"]},
    "list": lambda v: [None, 3, "x"],
    "nan": lambda v: float("nan"),
    "nan_text": lambda v: "NaN",
    "infinity": lambda v: float("inf"),
    "minus_infinity": lambda v: "-Infinity",
    "1e999": lambda v: "1e999",
    "huge": lambda v: 10**30,
    "negative": lambda v: -abs(v) if isinstance(v, int | float) and not isinstance(v, bool) else -1,
    "long_text": lambda v: "Ω" + "x" * 5000,
    "ms_timestamp": _ms,
    "naive_time": _naive,
    "bad_element": lambda v: [*v, 42, "x", None] if isinstance(v, list) else v,
}


@st.composite
def mutated(draw: st.DrawFn, payload: Any) -> Any:
    data = json.loads(json.dumps(payload))
    paths = list(_paths(data))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        name = draw(st.sampled_from(["delete", *sorted(MUTATIONS)]))
        if not path:
            continue
        try:
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            if name == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = MUTATIONS[name](parent[path[-1]])
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this place
        paths = list(_paths(data))
    return data


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)


def _check_every_file(snapshots: list[VehicleSnapshot]) -> None:
    """The request's files, from the snapshots as the worker and finalise task would make them."""
    blobs = FakeBlobs()
    stored = []
    for snapshot in snapshots:
        again = VehicleSnapshot.model_validate_json(snapshot.model_dump_json())  # the finalise hop
        assert again == snapshot
        stored.append(again)
        pdf = render_vehicle_pdf(again)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert not LEAKS.search(text), LEAKS.search(text)
        view = render_vehicle_json(again)
        json.dumps(view, allow_nan=False)
        leaks = [s for s in _strings(view) if LEAKS.search(s)]
        assert not leaks, leaks[:3]
        for session in again.sessions:
            for invoice in session.invoices:
                blobs.put(
                    invoice_object("acct", again.identity.vin, invoice.content_id), b"%PDF-1.4", "application/pdf"
                )
    csv_text = sessions_csv(stored).decode("utf-8-sig")
    assert not LEAKS.search(csv_text)
    has_invoice = any(x.invoices for s in stored for x in s.sessions)
    archive = FinaliseService(reports=None, blobs=blobs, sessions_csv=sessions_csv)._invoice_zip("acct", stored)  # type: ignore[arg-type]
    assert (archive is not None) == has_invoice
    for snapshot in stored:
        for value in _numbers(snapshot.model_dump()):
            assert math.isfinite(value)


def _numbers(node: Any) -> Iterator[float]:
    if isinstance(node, float):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _numbers(value)


def _snapshot(vin: str, **parts: Any) -> VehicleSnapshot:
    return build_snapshot(
        FetchedVehicle(**parts), report_id="rpt-property", generated_at=GENERATED, region="na", vin=vin
    )


@SETTINGS
@given(st.sampled_from(VEHICLE_DATA).flatmap(lambda item: st.tuples(st.just(item[0]), mutated(item[1]))))
def test_mutated_vehicle_data_still_gives_every_file(case: tuple[str, dict]) -> None:
    _, payload = case
    data = VehicleData.model_validate(payload)
    vin = (data.vin or "UNKNOWNVIN0000000")[:40]
    _check_every_file([_snapshot(vin, data=data, sessions=[])])


@SETTINGS
@given(st.sampled_from(MODULE_FILES).flatmap(lambda item: st.tuples(st.just(item[:2]), mutated(item[2]))))
def test_mutated_vehicle_modules_still_give_every_file(case: tuple[tuple[str, str], dict]) -> None:
    (_, file), payload = case
    module = MODULES[file].model_validate(payload)
    argument = _ARG.get(file, file.removesuffix(".json"))
    _check_every_file([_snapshot("7SAYGDEE9RF900701", data=None, sessions=[], **{argument: module})])


@sweep  # the slowest of the three (every session of a history): make test only
@SETTINGS
@given(st.sampled_from(HISTORIES).flatmap(lambda item: st.tuples(st.just(item[0]), mutated(item[1]))))
def test_a_mutated_charging_history_still_gives_every_file(case: tuple[str, list]) -> None:
    _, history = case
    page = ChargingHistoryPage.model_validate({"data": history})
    vins = sorted({s.vin.upper() for s in page.data if s.vin})[:3] or ["7SAYGDEE9RF900701"]
    parts = partition_sessions(page.data, vins)
    _check_every_file([_snapshot(vin, data=None, sessions=parts.get(vin, [])) for vin in vins])
