"""Every status code of Tesla's conventions, injected by the simulator, through the real functions:
the outcome (retry, re-auth, re-region, section failed, clear error) is asserted end to end.

Each case requests a report for the online Model 3 of the default scenario and injects a fault on
one endpoint; the stored snapshot (the PDF's only input) and the Tesla request log are checked.
"""

from __future__ import annotations

import json

import pytest
import requests

from carpulse.domain.models import AccountStatus

pytestmark = pytest.mark.stack
VIN = "LRW3E7EK9RC900101"  # default scenario: online Model 3
ALERTS = r"/recent_alerts$"
VEHICLE_DATA = r"/vehicle_data$"


@pytest.fixture(autouse=True)
def _clean_simulator(stack):
    requests.delete(stack.urls["tesla"] + "/_sim/faults", timeout=5)
    requests.delete(stack.urls["tesla"] + "/_sim/requests", timeout=5)
    yield
    requests.delete(stack.urls["tesla"] + "/_sim/faults", timeout=5)


def _fault(stack, pattern: str, status: int, count: int = 1, **extra) -> None:
    body = {"path_pattern": pattern, "status": status, "count": count, **extra}
    requests.post(stack.urls["tesla"] + "/_sim/faults", json=body, timeout=5).raise_for_status()


def _finished(api) -> dict:
    """Request the report and wait until it is finished: its status."""
    response = api.request_report([VIN])
    assert response.status_code == 202, response.text
    return api.wait(response.json()["response"]["report_id"], timeout=90)


def _report(stack, app, api) -> tuple[dict, dict]:
    """The finished report's status and the vehicle's stored snapshot."""
    status = _finished(api)
    progress = {p.vin: p for p in app.report_store.progress(status["report_id"])}[VIN]
    assert progress.snapshot_object, "the vehicle's snapshot was not stored"
    return status, json.loads(app.blobs.get(progress.snapshot_object))


def _calls(stack, suffix: str) -> list[dict]:
    log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=5).json()
    return [e for e in log if e["path"].endswith(suffix)]


def _note(snapshot: dict, section: str) -> dict:
    return next(n for n in snapshot["notes"] if n["section"] == section)


def _missing(report: dict) -> dict[str, str]:
    """A partial report names each missing section with a reason code and a message (never Tesla's text)."""
    assert report["status"] == "partial", report
    (vehicle,) = report["vehicles"]
    assert vehicle["status"] == "done"
    assert all(m["message"] and "injected" not in m["message"] for m in vehicle["missing"])
    return {m["section"]: m["reason_code"] for m in vehicle["missing"]}


@pytest.mark.parametrize("status", [400, 402, 403, 404, 405, 406, 418, 422, 423, 451])
def test_client_errors_on_a_module_fail_that_section_only(stack, app, api, status):
    _fault(stack, ALERTS, status)
    report, snapshot = _report(stack, app, api)
    assert _missing(report) == {"alerts": "scope_missing" if status == 403 else "tesla_status"}
    assert snapshot["alerts"] is None
    note = _note(snapshot, "alerts")
    if status == 403:
        assert (note["reason"], note["detail"]["scope"]) == ("reason.scope_missing", "vehicle_device_data")
    else:
        assert (note["reason"], note["state"], note["detail"]["status"]) == (
            "reason.tesla_status",
            "failed",
            str(status),
        )
    assert snapshot["battery"] is not None  # the rest of the report went on
    assert len(_calls(stack, "/recent_alerts")) == 1  # not retried


@pytest.mark.parametrize("status", [499, 500, 503, 504])
def test_transient_errors_are_retried(stack, app, api, status):
    _fault(stack, ALERTS, status, count=1)
    report, snapshot = _report(stack, app, api)
    assert report["status"] == "complete"
    assert snapshot["alerts"], "the retry should have fetched the alerts"
    assert [c["status"] for c in _calls(stack, "/recent_alerts")] == [status, 200]


def test_persistent_server_errors_fail_the_section_after_bounded_retries(stack, app, api):
    _fault(stack, ALERTS, 503, count=10)
    report, snapshot = _report(stack, app, api)
    assert _missing(report) == {"alerts": "tesla_unavailable"}
    assert _note(snapshot, "alerts")["reason"] == "reason.tesla_unavailable"
    assert len(_calls(stack, "/recent_alerts")) == 3


def test_rate_limit_honours_retry_after(stack, app, api):
    _fault(stack, ALERTS, 429, count=1, retry_after=1)
    report, snapshot = _report(stack, app, api)
    assert report["status"] == "complete"
    assert snapshot["alerts"]
    calls = _calls(stack, "/recent_alerts")
    assert [c["status"] for c in calls] == [429, 200]


def test_vehicle_error_540_fails_the_live_data_and_the_report_goes_on(stack, app, api):
    _fault(stack, VEHICLE_DATA, 540)
    report, snapshot = _report(stack, app, api)
    assert _missing(report) == {"vehicle_data": "vehicle_error"}
    assert snapshot["battery"] is None
    assert _note(snapshot, "vehicle_data")["reason"] == "reason.vehicle_error"
    assert snapshot["alerts"]  # other modules still fetched


def test_offline_408_is_asked_again_later_then_explained(stack, app, api):
    _fault(stack, VEHICLE_DATA, 408, count=20)
    report, snapshot = _report(stack, app, api)
    assert _missing(report) == {"vehicle_data": "vehicle_unavailable"}
    assert _note(snapshot, "vehicle_data")["reason"] == "reason.vehicle_unavailable"
    assert len(_calls(stack, "/vehicle_data")) == 4  # first try + 3 re-scheduled rounds, no sleeping in between


def test_expired_token_401_refreshes_once_and_retries(stack, app, api):
    account = app.session_service.authenticate(api.session_token)
    generation = app.account_store.get(account.account_id).token_generation
    _fault(stack, VEHICLE_DATA, 401, count=1)
    report, snapshot = _report(stack, app, api)
    assert report["status"] == "complete"
    assert snapshot["battery"] is not None
    assert app.account_store.get(account.account_id).token_generation == generation + 1
    assert [c["status"] for c in _calls(stack, "/vehicle_data")] == [401, 200]


def test_login_required_marks_the_account_and_fails_clearly(stack, app, api, owner):
    _fault(stack, VEHICLE_DATA, 401, body={"error": "login_required", "error_description": "revoked"})
    report = _finished(api)
    assert report["status"] == "failed"
    assert report["vehicles"][0]["error_code"] == "reconnect_required"
    assert "connect your Tesla account again" in report["vehicles"][0]["error"]
    account = app.session_service.authenticate(api.session_token)
    assert app.account_store.get(account.account_id).status is AccountStatus.RECONNECT_REQUIRED
    refused = api.http.get(f"{api.base_url}/vehicles", headers=api.headers(), timeout=10)
    assert refused.status_code == 409
    assert refused.json()["error"] == "reconnect_required"
    owner.connect()  # reconnecting makes the account active again
    assert app.account_store.get(account.account_id).status is AccountStatus.ACTIVE


def test_wrong_region_421_rediscovers_persists_and_retries(stack, app, api):
    account = app.session_service.authenticate(api.session_token)
    na = app.settings.region_base_url("na")
    app.account_store.update(account.account_id, {"region": "na", "fleet_api_base_url": na})  # a stale region
    requests.delete(stack.urls["tesla"] + "/_sim/requests", timeout=5)  # forget the login's calls
    vehicles = api.vehicles()
    assert vehicles
    fixed = app.account_store.get(account.account_id)
    assert (fixed.region, fixed.fleet_api_base_url) == ("eu", app.settings.region_base_url("eu"))
    log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=5).json()
    wanted = ("/api/1/vehicles", "/api/1/users/region")
    assert [(e["region"], e["status"]) for e in log if e["path"].endswith(wanted)] == [
        ("na", 421),
        ("eu", 200),
        ("eu", 200),
    ]


def test_unregistered_region_412_is_a_clear_error(stack, app, api):
    _fault(stack, r"/api/1/vehicles$", 412)
    response = api.http.get(f"{api.base_url}/vehicles", headers=api.headers(), timeout=10)
    assert response.status_code == 502
    assert response.json()["error"] == "upstream_error"
    assert "not yet registered with Tesla in your region" in response.json()["error_description"]
    ops_log = (stack.log_dir / "reports.log").read_text()
    assert "register-partner REGION=eu" in ops_log  # ops learn which region and command
