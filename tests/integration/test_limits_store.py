"""The Firestore limit store on the emulator, through the real client: concurrent requests of one
account are admitted exactly up to the limit, one key is claimed by exactly one request, and
disconnect leaves no limit document behind."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from carpulse.domain.limits import IdempotencyRecord, ReportLimits
from carpulse.domain.models import ReportRequest, ReportStatus, VinProgress
from carpulse.gcp.firestore_limits import IDEMPOTENCY_KEYS, SLOTS, FirestoreLimitStore

pytestmark = pytest.mark.stack
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(app) -> FirestoreLimitStore:
    return FirestoreLimitStore(app.firestore)


def _race(count: int, action):
    results: list[object] = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_fifteen_concurrent_requests_admit_exactly_the_limit(store, app):
    account = f"acc_{uuid.uuid4().hex[:12]}"
    limits = ReportLimits(in_flight=3, per_hour=10)
    decisions = _race(15, lambda i: store.admit_report(account, f"r{i}", NOW, limits))
    assert sum(d.refused is None for d in decisions) == 3
    assert {d.refused for d in decisions if d.refused} == {"in_flight"}
    # The refused ones gave their hour slots back: 3 more (after those close) are still allowed.
    hours = app.firestore.collection(SLOTS).where(filter=FieldFilter("account_id", "==", account)).get()
    assert sum("-hour-" in snap.id for snap in hours) == 3


def test_closed_reports_leave_the_in_flight_count(store, app):
    account = f"acc_{uuid.uuid4().hex[:12]}"
    limits = ReportLimits(in_flight=1, per_hour=10)
    report_id = uuid.uuid4().hex
    assert store.admit_report(account, report_id, NOW, limits).refused is None
    app.report_store.create(
        ReportRequest(
            report_id=report_id, account_id=account, vins=("5YJ3E7EB0PF000001",), created_at=NOW, updated_at=NOW
        ),
        [VinProgress(vin="5YJ3E7EB0PF000001", updated_at=NOW)],
    )
    assert store.admit_report(account, uuid.uuid4().hex, NOW, limits).refused == "in_flight"
    app.report_store.close(report_id, ReportStatus.COMPLETE, {})
    assert store.admit_report(account, uuid.uuid4().hex, NOW, limits).refused is None
    app.report_store.delete_for_account(account)


def test_one_key_is_claimed_by_exactly_one_of_ten_concurrent_requests(store):
    key = uuid.uuid4().hex
    record = IdempotencyRecord(account_id="acc_k", fingerprint="f", created_at=NOW, expires_at=NOW + timedelta(days=1))
    outcomes = _race(10, lambda i: store.claim_key(key, record, 60)[0])
    assert sorted(outcomes) == ["claimed"] + ["in_progress"] * 9
    store.complete_key(key, "report-1")
    assert store.claim_key(key, record, 60) == ("replay", "report-1")
    assert store.claim_key(key, record.model_copy(update={"fingerprint": "g"}), 60) == ("mismatch", None)


def test_delete_for_account_removes_its_state_and_keys(store, app):
    account = f"acc_{uuid.uuid4().hex[:12]}"
    limits = ReportLimits(in_flight=3, per_hour=10)
    store.admit_report(account, "r1", NOW, limits)  # an hour slot and a run slot
    for n in range(3):
        record = IdempotencyRecord(account_id=account, fingerprint="f", created_at=NOW, expires_at=NOW)
        store.claim_key(f"{account}-{n}", record, 60)
    assert store.delete_for_account(account) == 5
    for collection in (SLOTS, IDEMPOTENCY_KEYS):
        assert app.firestore.collection(collection).where(filter=FieldFilter("account_id", "==", account)).get() == []


def test_a_burst_from_one_client_lets_exactly_the_limit_through(app):
    from carpulse.gcp.firestore_limits import FirestoreWindowCounter

    counter, key = FirestoreWindowCounter(app.firestore), f"initiate:198.51.100.{uuid.uuid4().int % 250}"
    now = datetime.now(UTC).replace(second=1)  # well inside one window
    waits = _race(12, lambda i: counter.hit(key, 5, 60, now))
    assert sum(w is None for w in waits) == 5
    assert all(0 < w <= 60 for w in waits if w is not None)


def test_a_pool_larger_than_one_read_fills_and_refuses_past_its_size(store):
    account = f"acc_{uuid.uuid4().hex[:12]}"
    limits = ReportLimits(in_flight=30, per_hour=25, creating_grace_seconds=0)  # missing reports free at once
    for n in range(25):
        assert store.admit_report(account, f"r{n}", NOW + timedelta(seconds=n), limits).refused is None
    refused = store.admit_report(account, "r25", NOW + timedelta(seconds=30), limits)
    assert refused.refused == "per_hour"
    assert refused.retry_after == 3600 - 30  # the first request of the hour leaves it first
