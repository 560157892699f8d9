"""POST /reports/{id}/vehicles/{vin}/retry: a vehicle that failed (Tesla said it was not there) is
tried again once Tesla answers; the report runs again, finishes with the new outcome, and the
vehicle that was done keeps its PDF."""

from __future__ import annotations

import pytest
import requests

from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def _retry(api: ApiClient, report_id: str, vin: str) -> requests.Response:
    url = f"{api.base_url}/reports/{report_id}/vehicles/{vin}/retry"
    return api.http.post(url, headers=api.headers(), timeout=30)


def _sim(stack, method: str, path: str, **kwargs) -> None:
    requests.request(method, stack.urls["tesla"] + path, timeout=10, **kwargs).raise_for_status()


def _online(api: ApiClient) -> list[str]:
    return [v["vin"] for v in api.vehicles() if v["state"] == "online"]


@pytest.fixture
def failed_report(stack, states_kept) -> tuple[ApiClient, dict, str, str]:
    """A finished report of two online vehicles: the first failed (a 404 on its live data), the other done."""
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    for vin in [v["vin"] for v in api.vehicles()[:2]]:
        _sim(stack, "POST", f"/_sim/vehicles/{vin}/state", json={"state": "online"})
    doomed, fine = _online(api)[:2]
    _sim(stack, "POST", "/_sim/faults", json={"path_pattern": rf"/vehicles/{doomed}/vehicle_data$", "status": 404})
    try:
        response = api.request_report([doomed, fine])
        assert response.status_code == 202, response.text
        status = api.wait(response.json()["response"]["report_id"], timeout=180)
    finally:
        _sim(stack, "DELETE", "/_sim/faults")
    by_vin = {v["vin"]: v for v in status["vehicles"]}
    assert by_vin[doomed]["status"] == "failed", by_vin[doomed]
    assert by_vin[fine]["status"] == "done"
    assert status["status"] == "partial"
    return api, status, doomed, fine


def test_a_failed_vehicle_is_tried_again_and_the_report_finishes_anew(stack, failed_report):
    api, before, doomed, fine = failed_report
    report_id = before["report_id"]
    original_pdf = requests.get(next(v for v in before["vehicles"] if v["vin"] == fine)["download_url"], timeout=30)
    answer = _retry(api, report_id, doomed.lower())  # either case, like the rest of the API
    assert answer.status_code == 202, answer.text
    reopened = answer.json()["response"]
    assert reopened["status"] == "running"
    assert next(v for v in reopened["vehicles"] if v["vin"] == doomed)["stage"] == "queued"
    again = _retry(api, report_id, doomed)
    assert again.status_code == 409  # one try at a time: the report runs
    assert again.json()["error"] == "report_in_progress"
    after = api.wait(report_id, timeout=180)
    by_vin = {v["vin"]: v for v in after["vehicles"]}
    assert by_vin[doomed]["status"] == "done", by_vin[doomed]
    assert by_vin[doomed]["download_url"]
    assert after["status"] in ("complete", "partial")
    assert after["completed_at"] > before["completed_at"]
    kept = requests.get(by_vin[fine]["download_url"], timeout=30)
    assert kept.content == original_pdf.content  # the done vehicle was not rendered again


def test_only_a_failed_vehicle_of_this_report_can_be_retried(stack, failed_report):
    api, status, _doomed, fine = failed_report
    done = _retry(api, status["report_id"], fine)
    assert done.status_code == 409
    assert done.json()["error"] == "vehicle_not_failed"
    assert _retry(api, status["report_id"], "5YJSA7E20PF000003").status_code == 404  # not in the report
    assert _retry(api, "0" * 32, fine).status_code == 404
