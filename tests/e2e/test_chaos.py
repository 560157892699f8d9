"""Chaos through the real functions: Tesla failing in mixed ways, a worker that dies, duplicate
deliveries mid-flight, a 30 s token endpoint. Whatever happens, every report reaches a final state
within its deadline, every missing section is explained, each done VIN has exactly one PDF, the
owner's grant lives on, and Tesla is not called more than the fault-free run plus the retries.

One stack of its own, with a short stall time and lease so the sweeper acts within the test.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.domain.models import AccountStatus
from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import LocalStack

pytestmark = pytest.mark.stack
FINAL = ("complete", "partial", "failed")
# Each matching Fleet API request fires at most one, with these odds (about 20 % in all).
MIXED_FAULTS: tuple[dict[str, object], ...] = (
    {"status": 429, "retry_after": 1, "probability": 0.04},
    {"status": 503, "probability": 0.04},
    {"status": 500, "probability": 0.02},
    {"status": 504, "probability": 0.02},
    {"status": 540, "probability": 0.02, "path_pattern": r"/vehicle_data$"},
    {"status": 408, "probability": 0.03, "path_pattern": r"/vehicle_data$"},
    {"status": 401, "probability": 0.02},  # an access token that expired early: refresh, retry
    {"drop_connection": True, "probability": 0.02},
    {"latency_ms": 1500, "probability": 0.05},
)


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Container]]:
    """A stack whose sweeper acts within seconds."""
    env = {
        "REPORT_STALL_SECONDS": "8",
        "SWEEP_INTERVAL_SECONDS": "2",
        "VIN_RUN_LEASE_SECONDS": "20",
        "OFFLINE_WAIT_SECONDS": "1",
    }
    with LocalStack(log_dir=tmp_path_factory.mktemp("chaos-logs"), wake_seconds=1.0, extra_env=env) as stack:
        yield stack, Container(settings_from_env(stack.env))


def _sim(stack: LocalStack, method: str, path: str, **kwargs: object) -> requests.Response:
    response = requests.request(method, stack.urls["tesla"] + path, timeout=10, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    return response


def _log(stack: LocalStack) -> list[dict]:
    return _sim(stack, "GET", "/_sim/requests").json()


def _object_names(app: Container, prefix: str) -> list[str]:
    """Object names in this stack's reports bucket, through the real Cloud Storage client."""
    return app.blobs.names(prefix)


def _fleet_calls(entries: list[dict]) -> int:
    return sum(1 for e in entries if e["path"].startswith("/fleet/"))


def _connect(stack: LocalStack) -> ApiClient:
    return ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())


def _request(api: ApiClient, vins: list[str]) -> str:
    """POST /reports as a frontend does: a 503 (Tesla unavailable for the ownership check) is
    retried after its Retry-After under the same Idempotency-Key, so a retry never makes a second report."""
    key = uuid.uuid4().hex
    for _ in range(5):
        response = api.request_report(vins, idempotency_key=key)
        if response.status_code != 503:
            break
        assert response.json()["error"] == "retry_later", response.text
        time.sleep(float(response.headers.get("Retry-After", "1")))
    assert response.status_code == 202, response.text
    return str(response.json()["response"]["report_id"])


def _assert_final_and_explained(app: Container, api: ApiClient, report_id: str, deadline: float) -> dict:
    status = api.wait(report_id, timeout=max(5.0, deadline - time.monotonic()))
    assert status["status"] in FINAL
    report = app.report_store.get(report_id)
    assert report is not None
    prefix = f"accounts/{report.account_id}/reports/{report_id}/"
    pdfs = [name for name in _object_names(app, prefix) if name.endswith(".pdf")]
    done = [v for v in status["vehicles"] if v["status"] == "done"]
    assert len(pdfs) == len(done), (pdfs, status)  # exactly one PDF per done VIN
    for vehicle in status["vehicles"]:
        if vehicle["status"] == "failed":
            assert vehicle["error_code"]
            assert vehicle["error"]
        for missing in vehicle["missing"]:
            assert missing["reason_code"]
            assert missing["message"]
            assert "injected" not in missing["message"]
    return status


def test_reports_under_mixed_tesla_faults_finish_explained_and_within_the_call_budget(chaos):
    stack, app = chaos
    api = _connect(stack)
    vins = [v["vin"] for v in api.vehicles()]
    warm_up = _request(api, vins)  # fills the caches every later report uses (specs, options, invoices)
    _assert_final_and_explained(app, api, warm_up, time.monotonic() + 120)
    stack.wait_idle(60)
    _sim(stack, "DELETE", "/_sim/requests")
    baseline_id = _request(api, vins)
    _assert_final_and_explained(app, api, baseline_id, time.monotonic() + 120)
    stack.wait_idle(60)
    baseline = _fleet_calls(_log(stack))
    _sim(stack, "DELETE", "/_sim/requests")
    for seed, fault in enumerate(MIXED_FAULTS):
        spec = {"path_pattern": r"^/fleet/", "count": 10_000, "seed": seed, **fault}
        _sim(stack, "POST", "/_sim/faults", json=spec)
    try:
        report_ids = [_request(api, vins) for _ in range(3)]
        deadline = time.monotonic() + 240
        statuses = [_assert_final_and_explained(app, api, rid, deadline) for rid in report_ids]
        stack.wait_idle(120)
    finally:
        _sim(stack, "DELETE", "/_sim/faults")
    entries = _log(stack)
    faulted = sum(1 for e in entries if e.get("fault"))
    calls = _fleet_calls(entries)
    outcomes = [s["status"] for s in statuses]
    print(f"chaos: outcomes {outcomes}, faults {faulted}, Tesla calls {calls} vs baseline {3 * baseline} (3 reports)")
    assert faulted > 0  # the faults really fired
    # Each fault costs at most its retry and, for a car asked again later, the cheap state call.
    assert calls <= 3 * baseline + 2 * faulted
    account = app.session_service.authenticate(api.session_token)
    assert app.account_store.get(account.account_id).status is AccountStatus.ACTIVE  # the grant lives
    assert api.vehicles()


def test_a_report_requested_while_the_worker_is_down_is_finished_by_the_sweeper(chaos):
    stack, app = chaos
    api = _connect(stack)
    vins = [v["vin"] for v in api.vehicles()]
    stack.kill_function("report_worker", down_seconds=15)
    started = time.monotonic()
    report_id = _request(api, vins)  # its tasks use up their attempts while the worker is away
    status = _assert_final_and_explained(app, api, report_id, time.monotonic() + 150)
    closed_after = time.monotonic() - started
    print(f"stranded report: {status['status']} {closed_after:.1f} s after the request (worker down 15 s)")
    assert status["status"] in ("complete", "partial")  # re-queued once the worker was back
    assert app.report_store.get(report_id).sweeps >= 1 or any(p.sweeps for p in app.report_store.progress(report_id))


def test_a_worker_that_dies_on_every_attempt_still_closes_every_report(chaos):
    stack, app = chaos
    api = _connect(stack)
    vins = [v["vin"] for v in api.vehicles()]
    stop = threading.Event()

    def keep_killing() -> None:
        # Every instance dies within a second or so of starting, for 25 s.
        end = time.monotonic() + 25
        while time.monotonic() < end and not stop.is_set():
            stack.kill_function("report_worker", down_seconds=0)
            time.sleep(1.0)

    _sim(stack, "POST", "/_sim/faults", json={"path_pattern": r"^/fleet/", "latency_ms": 800, "count": 10_000})
    killer = threading.Thread(target=keep_killing, daemon=True)
    started = time.monotonic()
    try:
        report_id = _request(api, vins)
        killer.start()
        status = _assert_final_and_explained(app, api, report_id, time.monotonic() + 200)
    finally:
        stop.set()
        killer.join(timeout=30)
        _sim(stack, "DELETE", "/_sim/faults")
    print(f"dying worker: {status['status']} after {time.monotonic() - started:.1f} s")
    stack.wait_function("report_worker")


def test_duplicate_deliveries_while_a_run_is_fetching_call_tesla_once(chaos):
    stack, app = chaos
    api = _connect(stack)
    vin = next(v["vin"] for v in api.vehicles() if v["state"] == "online")
    _sim(stack, "DELETE", "/_sim/requests")
    _sim(stack, "POST", "/_sim/faults", json={"path_pattern": r"^/fleet/", "latency_ms": 700, "count": 10_000})
    try:
        report_id = _request(api, [vin])
        deadline = time.monotonic() + 60
        while app.report_store.vin(report_id, vin).status.value != "fetching" and time.monotonic() < deadline:
            time.sleep(0.1)
        answers = [
            requests.post(
                stack.urls["report_worker"],
                json={"kind": "vehicle", "report_id": report_id, "vin": vin},
                headers={"Authorization": f"Bearer {stack.id_token('report_worker')}"},
                timeout=60,
            )
            for _ in range(3)
        ]
        status = _assert_final_and_explained(app, api, report_id, time.monotonic() + 120)
        stack.wait_idle(60)
    finally:
        _sim(stack, "DELETE", "/_sim/faults")
    assert all(a.status_code == 200 for a in answers)
    assert {a.json()["response"]["outcome"] for a in answers} == {"deferred"}
    # The VIN task's own calls (prepare's account-level history call is counted on the report).
    per_vin = [
        e
        for e in _log(stack)
        if e.get("vin") == vin and e["path"].startswith("/fleet/") and "charging/history" not in e["path"]
    ]
    assert len([e for e in per_vin if e["path"].endswith("/vehicle_data")]) == 1  # fetched once
    counted = app.report_store.vin(report_id, vin).tesla_requests
    assert counted == len(per_vin), [e["path"] for e in per_vin]  # the counter is exact
    assert status["status"] in ("complete", "partial")


def test_a_30_second_token_endpoint_delays_but_loses_nothing(chaos):
    stack, app = chaos
    api = _connect(stack)
    vins = [v["vin"] for v in api.vehicles()]
    account = app.session_service.authenticate(api.session_token)
    generation = app.account_store.get(account.account_id).token_generation
    spec = {"path_pattern": r"^/oauth2/v3/token$", "latency_ms": 30_000, "after_handler": True, "count": 1}
    app.account_store.update(account.account_id, {"token_expires_at": account.created_at})  # due now
    _sim(stack, "POST", "/_sim/faults", json=spec)
    try:
        # The request's ownership check refreshes first, and waits the 30 s out (so may an owner).
        response = api.http.post(f"{api.base_url}/reports", json={"vins": vins}, headers=api.headers(), timeout=120)
        assert response.status_code == 202, response.text
        report_id = response.json()["response"]["report_id"]
        status = _assert_final_and_explained(app, api, report_id, time.monotonic() + 180)
    finally:
        _sim(stack, "DELETE", "/_sim/faults")
    after = app.account_store.get(account.account_id)
    assert after.status is AccountStatus.ACTIVE
    assert after.token_generation == generation + 1  # rotated once, and the rotation was kept
    assert status["status"] in ("complete", "partial")
    assert api.vehicles()


def test_the_chaos_stack_left_nothing_open(chaos):
    stack, app = chaos
    stack.wait_idle(120)
    assert [r.report_id for r in app.report_store.open_reports()] == []
    assert Path(stack.log_dir or ".").exists()
