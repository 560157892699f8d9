"""Each Google adapter against its emulator, through the real client library."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from google.api_core.exceptions import Conflict

from carpulse.domain import report_life
from carpulse.domain.models import Account, OAuthState, ReportRequest, ReportStatus, VinProgress, VinStatus
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ConfigError
from carpulse.gcp.firestore_store import FirestoreReportStore

pytestmark = pytest.mark.stack
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _account(account_id: str) -> Account:
    return Account(
        account_id=account_id,
        region="eu",
        fleet_api_base_url="https://f",
        access_token_enc="a",
        refresh_token_enc="r",
        token_expires_at=NOW + timedelta(hours=1),
        created_at=NOW,
        updated_at=NOW,
    )


def _race(n, action):
    """Run `action` in n threads at once; results in any order. A thread's exception fails the test."""
    results, errors = [], []

    def run():
        try:
            results.append(action())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_oauth_state_is_consumed_exactly_once_under_concurrency(app):
    key = uuid.uuid4().hex
    app.oauth_state_store.put(key, OAuthState(binding_hash="b", created_at=NOW, expires_at=NOW + timedelta(minutes=5)))
    winners = _race(6, lambda: app.oauth_state_store.consume(key))
    assert sum(1 for w in winners if w is not None) == 1
    assert app.oauth_state_store.consume(key) is None


def test_account_lease_and_compare_and_swap(app):
    account_id = f"acc_{uuid.uuid4().hex[:8]}"
    stored = app.account_store.save_connected(_account(account_id))
    assert stored.token_generation == 0
    leases = _race(4, lambda: app.account_store.acquire_refresh_lease(account_id, NOW, 30, uuid.uuid4().hex))
    assert sum(1 for lease in leases if lease is not None) == 1
    assert app.account_store.acquire_refresh_lease(account_id, NOW + timedelta(seconds=5), 30, "late") is None
    assert app.account_store.acquire_refresh_lease(account_id, NOW + timedelta(seconds=31), 30, "second") is not None
    app.account_store.release_refresh_lease(account_id, "not-mine")
    assert app.account_store.get(account_id).refresh_lease_id == "second"  # only the holder lets go
    assert app.account_store.store_rotated_tokens(account_id, "second", 0, {"access_token_enc": "a2"}) == "written"
    assert app.account_store.get(account_id).refresh_lease_id is None
    assert (
        app.account_store.store_rotated_tokens(account_id, "second", 0, {"access_token_enc": "stale"}) == "superseded"
    )
    after = app.account_store.get(account_id)
    assert (after.access_token_enc, after.token_generation) == ("a2", 1)
    reconnected = app.account_store.save_connected(
        _account(account_id).model_copy(update={"created_at": NOW + timedelta(days=1)})
    )
    assert reconnected.created_at == NOW
    assert reconnected.token_generation == 2
    assert account_id in [a.account_id for a in app.account_store.expiring_before(NOW + timedelta(hours=2))]
    app.account_store.delete(account_id)
    assert app.account_store.get(account_id) is None


def test_report_vin_finishes_exactly_once_and_the_count_says_when_all_are_done(app):
    report_id = uuid.uuid4().hex
    vins = ("A" * 17, "B" * 17)
    app.report_store.create(
        ReportRequest(report_id=report_id, account_id="x", vins=vins, created_at=NOW, updated_at=NOW),
        [VinProgress(vin=v, updated_at=NOW) for v in vins],
    )
    assert app.report_store.unfinished_vins(report_id) == 2
    results = _race(4, lambda: app.report_store.finish_vin(report_id, vins[0], VinStatus.DONE, {}))
    assert results.count(True) == 1
    assert app.report_store.unfinished_vins(report_id) == 1
    report_doc_before = app.report_store.get(report_id)
    app.report_store.update_vin(report_id, vins[0], {"step": "late duplicate"})
    assert app.report_store.vin(report_id, vins[0]).step != "late duplicate"
    missing = [{"section": "vehicle_data", "reason_code": "vehicle_asleep", "detail": {"state": "asleep"}}]
    assert app.report_store.finish_vin(report_id, vins[1], VinStatus.DONE, {"missing": missing})
    assert app.report_store.unfinished_vins(report_id) == 0
    assert app.report_store.get(report_id) == report_doc_before  # VINs never write the report document
    outcome = report_life.report_outcome(app.report_store.progress(report_id))
    assert outcome is ReportStatus.PARTIAL  # one VIN is missing its live data
    assert app.report_store.close(report_id, outcome, {"csv_object": "x.csv"}) is True
    assert app.report_store.close(report_id, outcome, {"csv_object": "again.csv"}) is False  # only once
    final = app.report_store.get(report_id)
    assert (final.status, final.csv_object) == (ReportStatus.PARTIAL, "x.csv")
    assert final.completed_at is not None
    assert report_id not in [r.report_id for r in app.report_store.open_reports()]


def test_vin_run_lease_counts_and_sweeps(app):
    report_id = uuid.uuid4().hex
    vin = "E" * 17
    app.report_store.create(
        ReportRequest(report_id=report_id, account_id="x", vins=(vin,), created_at=NOW, updated_at=NOW),
        [VinProgress(vin=vin, updated_at=NOW)],
    )
    assert report_id in [r.report_id for r in app.report_store.open_reports()]
    starts = _race(4, lambda: app.report_store.start_run(report_id, vin, uuid.uuid4().hex, NOW, 60))
    assert sorted(starts) == ["busy", "busy", "busy", "started"]
    holder = app.report_store.vin(report_id, vin).run_id
    app.report_store.end_run(report_id, vin, "not-the-holder", {"step": "x"})
    assert app.report_store.vin(report_id, vin).run_id == holder  # only the holder lets go
    assert app.report_store.start_run(report_id, vin, "late", NOW + timedelta(seconds=61), 60) == "started"  # expired
    app.report_store.end_run(report_id, vin, "late", {})
    assert app.report_store.vin(report_id, vin).run_lease_until is None
    _race(5, lambda: app.report_store.add_tesla_requests(report_id, vin, 3))
    assert app.report_store.vin(report_id, vin).tesla_requests == 15  # atomic increments
    app.report_store.count_sweep(report_id, vin)
    app.report_store.count_sweep(report_id)
    assert (app.report_store.vin(report_id, vin).sweeps, app.report_store.get(report_id).sweeps) == (1, 1)
    assert app.report_store.finish_vin(report_id, vin, VinStatus.FAILED, {"error_code": "timed_out"})
    assert app.report_store.start_run(report_id, vin, "after", NOW, 60) == "finished"
    assert app.report_store.delete_for_account("x") >= 1
    assert app.report_store.get(report_id) is None
    assert app.report_store.vin(report_id, vin) is None


def test_report_create_is_all_or_nothing(app):
    report_id = uuid.uuid4().hex
    vins = ("C" * 17,)
    report = ReportRequest(report_id=report_id, account_id="x", vins=vins, created_at=NOW, updated_at=NOW)
    app.report_store.create(report, [VinProgress(vin=vins[0], updated_at=NOW)])
    with pytest.raises(Conflict):
        app.report_store.create(report, [VinProgress(vin="D" * 17, updated_at=NOW)])
    assert [p.vin for p in app.report_store.progress(report_id)] == list(vins)


def test_blobs_roundtrip_signed_url_and_prefix_delete(app):
    prefix = f"accounts/test-{uuid.uuid4().hex[:8]}/"
    app.blobs.put(prefix + "a/report.pdf", b"%PDF-1.7 test", "application/pdf")
    app.blobs.put(prefix + "b.json", b"{}", "application/json")
    assert app.blobs.get(prefix + "a/report.pdf") == b"%PDF-1.7 test"
    assert app.blobs.get(prefix + "missing") is None
    url = app.blobs.signed_url(prefix + "a/report.pdf", 3600, download_name="r.pdf")
    assert "X-Goog-Signature=" in url
    assert "X-Goog-Expires=3600" in url
    downloaded = requests.get(url, timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == b"%PDF-1.7 test"
    assert app.blobs.delete_prefix(prefix) == 2
    assert app.blobs.get(prefix + "b.json") is None


def test_task_queue_names_are_deterministic(app, stack):
    # A report id no worker knows: the worker acknowledges and drops it.
    task = WorkerTask(kind=TaskKind.PREPARE, report_id=uuid.uuid4().hex)
    assert app.queue.enqueue(task) is True
    assert app.queue.enqueue(task) is False
    stack.wait_idle(30)
    attempts = requests.get(stack.urls["tasks"] + "/_emulator/attempts", timeout=5).json()
    mine = [a for a in attempts if a["task"] == task.task_id()]
    assert [a["status"] for a in mine] == [200]


def test_secret_manager_source(app):
    assert app.secrets.get("tesla-private-key").startswith("-----BEGIN PRIVATE KEY-----")
    with pytest.raises(ConfigError, match="not readable"):
        app.secrets.get("no-such-secret")


def test_fifty_vins_finishing_at_once_never_contend(stack):
    from carpulse.bootstrap import Container
    from carpulse.config import settings_from_env

    reports = Container(settings_from_env(stack.env)).report_store  # a store of its own, so its counts are this test's
    report_id = uuid.uuid4().hex
    vins = tuple(f"5YJ3E7EB0PF{n:06d}" for n in range(50))
    reports.create(
        ReportRequest(report_id=report_id, account_id="x", vins=vins, created_at=NOW, updated_at=NOW),
        [VinProgress(vin=v, updated_at=NOW) for v in vins],
    )
    finished = _race_each(vins, lambda vin: reports.finish_vin(report_id, vin, VinStatus.DONE, {}))
    assert finished == [True] * 50
    assert reports.unfinished_vins(report_id) == 0
    assert isinstance(reports, FirestoreReportStore)
    retries = reports.transaction_runs["finish_vin"] - 50
    print(f"50 VINs finished concurrently: {retries} transaction retries")
    assert retries == 0  # each VIN's transaction touches its own document only


def _race_each(items, action):
    results: dict[int, object] = {}
    errors: list[Exception] = []

    def run(i, item):
        try:
            results[i] = action(item)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, item)) for i, item in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [results[i] for i in range(len(items))]
