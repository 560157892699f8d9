"""The whole flow against every shipped simulator scenario, each on its own local stack.

Expectations are derived from each scenario's files: vehicles, sessions per VIN, invoices.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import LocalStack

pytestmark = pytest.mark.stack
SCENARIOS = sorted(
    p.parent for p in (Path(__file__).resolve().parents[2] / "infra/simulator/scenarios").glob("*/scenario.json")
)


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.name)
def scenario_run(request, tmp_path_factory):
    """One stack per scenario; one report for every vehicle of its account."""
    scenario: Path = request.param
    meta = json.loads((scenario / "scenario.json").read_text())
    sessions = json.loads((scenario / "charging_history.json").read_text())
    with LocalStack(
        scenario=scenario,
        log_dir=tmp_path_factory.mktemp(f"logs-{scenario.name}"),
        wake_seconds=1.0,
        extra_env={"MAX_VINS_PER_REPORT": "50"},
    ) as stack:
        api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
        vins = [v["vin"] for v in api.vehicles()]
        stack.wait_idle(60)
        requests.delete(f"{stack.urls['tesla']}/_sim/requests", timeout=10).raise_for_status()
        response = api.request_report(vins)
        assert response.status_code == 202, response.text
        status = api.wait(response.json()["response"]["report_id"], timeout=300)
        stack.wait_idle(60)
        tesla_log = requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()
        pdfs = {v["vin"]: requests.get(v["download_url"], timeout=30).content for v in status["vehicles"]}
        files = {name: requests.get(url, timeout=30).content for name, url in status.get("files", {}).items() if url}
        yield {
            "meta": meta,
            "sessions": sessions,
            "vins": vins,
            "status": status,
            "pdfs": pdfs,
            "files": files,
            "tesla_log": tesla_log,
            "name": scenario.name,
        }


def test_the_reports_tesla_bill_is_what_the_simulator_billed(scenario_run):
    billed = Counter(e["category"] for e in scenario_run["tesla_log"] if e["billable"])
    cost = scenario_run["status"]["tesla_cost"]
    vehicles = len(scenario_run["vins"])
    per_vehicle = cost["cost_usd"] / vehicles
    print(f"tesla bill, {scenario_run['name']}: {vehicles} vehicles, {cost['calls']} = ${cost['cost_usd']:.3f}")
    print(f"  ≈ ${per_vehicle:.3f} per vehicle; the report's own calls {cost['account']['calls']}")
    assert cost["calls"] == dict(billed)


def test_every_vehicle_of_the_account_is_listed_and_reported(scenario_run):
    expected = {v["vin"] for v in scenario_run["meta"]["vehicles"]}
    assert set(scenario_run["vins"]) == expected
    status = scenario_run["status"]
    assert status["status"] in ("complete", "partial"), status
    assert all(v["status"] == "done" for v in status["vehicles"]), [
        v for v in status["vehicles"] if v["status"] != "done"
    ]
    for vehicle in status["vehicles"]:  # whatever is missing is explained, in words
        assert all(m["reason_code"] and m["message"] for m in vehicle["missing"])
    assert (status["status"] == "partial") == any(v["missing"] for v in status["vehicles"])
    assert all(pdf.startswith(b"%PDF") for pdf in scenario_run["pdfs"].values())


def _account_sessions(run) -> list[dict]:
    # A sold car's sessions stay in the account-level history but belong to no listed vehicle.
    listed = {v["vin"] for v in run["meta"]["vehicles"]}
    return [s for s in run["sessions"] if s.get("vin") in listed]


def test_each_pdf_names_its_own_vehicle_and_session_count(scenario_run):
    per_vin = Counter(s["vin"] for s in scenario_run["sessions"])
    for vin, pdf in scenario_run["pdfs"].items():
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert vin in text
        others = [v for v in scenario_run["vins"] if v != vin]
        assert not [v for v in others if v in text], "another vehicle's VIN appears in this report"
        assert str(per_vin.get(vin, 0)) in text


def test_sessions_csv_holds_every_session_once(scenario_run):
    rows = list(csv.DictReader(io.StringIO(scenario_run["files"]["sessions_csv"].decode("utf-8-sig"))))
    assert Counter(r["vin"] for r in rows) == Counter(s["vin"] for s in _account_sessions(scenario_run))
    assert len({(r["vin"], r["session_id"]) for r in rows}) == len(rows)


def test_invoice_zip_has_a_folder_per_vin(scenario_run):
    expected = Counter(
        s["vin"] for s in _account_sessions(scenario_run) for i in s.get("invoices") or [] if i.get("contentId")
    )
    archive = scenario_run["files"].get("invoices_zip")
    if not expected:
        assert archive is None
        return
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert Counter(name.split("/")[0] for name in names) == expected
    assert all(name.endswith(".pdf") for name in names)


def test_sites_in_every_script_reach_the_pdf_text(scenario_run):
    # Site names are Tesla's, in the local script (東京駅, 서울, กรุงเทพ, תל אביב): every character must be drawn.
    for vin, pdf in scenario_run["pdfs"].items():
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        sites = {s["siteLocationName"] for s in _account_sessions(scenario_run) if s["vin"] == vin}
        missing = Counter(c for site in sites for c in set(site) if not c.isspace()) - Counter(text)
        assert not missing, (vin, "".join(missing))
