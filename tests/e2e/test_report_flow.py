"""End to end over the real HTTP functions on the local stack: no mocks of Google or Tesla.

Expected values are derived from the scenario files the simulator serves, not hard-coded.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from infra.local.stack import DEFAULT_SCENARIO

pytestmark = pytest.mark.stack

SCENARIO = json.loads((DEFAULT_SCENARIO / "scenario.json").read_text())
SESSIONS = json.loads((DEFAULT_SCENARIO / "charging_history.json").read_text())
VEHICLES = {v["vin"]: v for v in SCENARIO["vehicles"]}


def _pdf_text(url: str) -> str:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def _tesla_log(stack) -> list[dict]:
    return requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=10).json()


@pytest.fixture(scope="module")
def finished_report(stack):
    """One full flow for every vehicle of the default scenario (shared by the checks below)."""
    from infra.local.owner import ApiClient, SimulatedOwner

    requests.delete(stack.urls["tesla"] + "/_sim/requests", timeout=10)
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    listed = api.vehicles()
    after_listing = _tesla_log(stack)
    response = api.request_report([v["vin"] for v in listed])
    assert response.status_code == 202, response.text
    assert response.headers["Location"].endswith(response.json()["response"]["report_id"])
    status = api.wait(response.json()["response"]["report_id"], timeout=120)
    stack.wait_idle(60)
    return {"api": api, "listed": listed, "status": status, "log": _tesla_log(stack), "listing_log": after_listing}


def test_vehicles_are_listed_without_waking_any(finished_report):
    listed = {v["vin"]: v for v in finished_report["listed"]}
    assert set(listed) == set(VEHICLES)
    assert {vin: v["state"] for vin, v in listed.items()} == {vin: v["state"] for vin, v in VEHICLES.items()}
    assert not [e for e in finished_report["listing_log"] if e["category"] == "wake"]


def test_every_vin_gets_a_pdf_with_its_own_data(finished_report):
    status = finished_report["status"]
    # The asleep car's live data is missing, and the status says so: partial, not complete.
    assert status["status"] == "partial"
    assert (status["done"], status["total"]) == (len(VEHICLES), len(VEHICLES))
    missing = {v["vin"]: [(m["section"], m["reason_code"]) for m in v["missing"]] for v in status["vehicles"]}
    assert missing == {
        vin: [("vehicle_data", "vehicle_asleep")] if info["state"] == "asleep" else [] for vin, info in VEHICLES.items()
    }
    for item in status["vehicles"]:
        assert item["status"] == "done"
        assert "X-Goog-Signature" in item["download_url"]
        text = _pdf_text(item["download_url"])
        assert item["vin"] in text
        assert VEHICLES[item["vin"]]["display_name"] in text
        own = [s for s in SESSIONS if s["vin"] == item["vin"]]
        assert own, "the default scenario gives every vehicle sessions; without them this check is empty"
        assert f"Sessions {len(own)}" in text.replace("\n", " ") or f"Sessions\n{len(own)}" in text
        others = {s["siteLocationName"] for s in SESSIONS if s["vin"] != item["vin"]} - {
            s["siteLocationName"] for s in own
        }
        for site in others:
            assert site.split(",")[0] not in text, f"a session of another VIN leaked into {item['vin'][-4:]}"


def test_asleep_vehicle_is_not_woken_and_the_pdf_says_why(finished_report):
    asleep = [vin for vin, v in VEHICLES.items() if v["state"] == "asleep"]
    assert asleep
    log = finished_report["log"]
    for vin in asleep:
        calls = [e for e in log if e.get("vin") == vin]
        assert not [e for e in calls if e["category"] == "wake"]
        assert not [e for e in calls if e["path"].endswith("/vehicle_data")]
        item = next(v for v in finished_report["status"]["vehicles"] if v["vin"] == vin)
        assert "asleep" in _pdf_text(item["download_url"])


def test_charging_history_is_fetched_once_per_request(finished_report):
    history_calls = [e for e in finished_report["log"] if "charging/history" in e["path"]]
    per_vin = Counter(e.get("vin") for e in history_calls)
    assert set(per_vin) == {None}, "charging history must be fetched account-wide, not per VIN"
    pages = 1 + len(SESSIONS) // 100  # Tesla's largest page
    assert len(history_calls) == pages


def test_raw_responses_and_snapshots_are_kept(app, finished_report):
    report_id = finished_report["status"]["report_id"]
    report = app.report_store.get(report_id)
    for progress in app.report_store.progress(report_id):
        assert progress.snapshot_object
        snapshot = json.loads(app.blobs.get(progress.snapshot_object))
        assert snapshot["identity"]["vin"] == progress.vin
        assert progress.tesla_requests >= 1
    prefix = f"accounts/{report.account_id}/reports/{report_id}/raw/"
    raw = set(app.blobs.names(prefix))
    # One object per run and scope holds every response of that run.
    batches = {name.split("/")[-2]: json.loads(app.blobs.get(name))["exchanges"] for name in raw}
    assert {x["endpoint"] for x in batches["account"]} == {"charging_history", "fleet_status"}
    online = [vin for vin, v in VEHICLES.items() if v["state"] == "online"]
    for vin in online:
        record = next(x for x in batches[vin] if x["endpoint"] == "vehicle_data")
        assert record["status"] == 200
        assert record["received_at"]
        assert record["body"]["response"]


def test_repeated_task_delivery_is_harmless(stack, app, finished_report):
    report_id = finished_report["status"]["report_id"]
    before = {p.vin: p.model_dump(exclude={"updated_at"}) for p in app.report_store.progress(report_id)}
    log_before = len(_tesla_log(stack))
    vin = next(iter(before))
    for body in ({"kind": "vehicle", "report_id": report_id, "vin": vin}, {"kind": "prepare", "report_id": report_id}):
        response = requests.post(
            stack.urls["report_worker"],
            json=body,
            headers={"Authorization": f"Bearer {stack.id_token('report_worker')}", "X-CloudTasks-TaskRetryCount": "1"},
            timeout=30,
        )
        assert response.status_code == 200
    after = {p.vin: p.model_dump(exclude={"updated_at"}) for p in app.report_store.progress(report_id)}
    assert after == before
    assert len(_tesla_log(stack)) == log_before


def test_tokens_are_encrypted_at_rest(app, finished_report):
    report = app.report_store.get(finished_report["status"]["report_id"])
    doc = app.firestore.collection("accounts").document(report.account_id).get().to_dict()
    assert doc["access_token_enc"].startswith("v2:")  # v2:<key id>:…
    assert "ey" not in doc["access_token_enc"][:5]
    assert doc["region"] == SCENARIO["account"]["region"]


def test_scenario_fixture_is_where_tests_expect_it():
    assert Path(DEFAULT_SCENARIO, "scenario.json").is_file()
