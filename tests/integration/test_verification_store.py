"""The verification adapters against the Firestore emulator, through the real client library."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from carpulse.domain.verification import (
    HealthFacts,
    Odometer,
    ReportFacts,
    RevocationReason,
    VerificationRecord,
    new_verification_id,
    owner_key,
)
from tests.integration.test_gcp_adapters import _race

pytestmark = pytest.mark.stack
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _record(owner: str, report_id: str, **changes) -> VerificationRecord:
    facts = ReportFacts(
        report_id=report_id,
        model="Model 3",
        model_year=2024,
        vin_last6="900101",
        odometer=Odometer(value=45730, unit="km"),
        battery_health=HealthFacts(method="bh-1", tesla_soh_percent=96.0, estimate_percent=84.3),
        data_as_of=NOW - timedelta(minutes=3),
        generated_at=NOW,
        language="fi",
    )
    record = VerificationRecord(
        verification_id=new_verification_id(),
        facts=facts,
        sha256="ab" * 32,
        key_id="0123456789abcdef",
        signed_at=NOW,
        valid_until=NOW + timedelta(days=90),
        owner=owner_key(owner),
        delete_after=NOW + timedelta(days=2190),
    )
    return record.model_copy(update=changes)


def test_record_roundtrip_keeps_every_fact(app):
    record = _record("acc-rt", uuid.uuid4().hex)
    app.verification_store.save(record)
    assert app.verification_store.get(record.verification_id) == record
    assert app.verification_store.get(new_verification_id()) is None


def test_a_slot_gives_one_check_id_to_concurrent_deliveries(app):
    slot = uuid.uuid4().hex
    ids = _race(6, lambda: app.verification_store.reserve(slot, new_verification_id(), NOW + timedelta(days=35)))
    assert len(set(ids)) == 1


def test_revoke_one_report_then_the_whole_account_and_a_re_save_keeps_it(app):
    account, report_a, report_b = f"acc-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, uuid.uuid4().hex
    records = [_record(account, report_a), _record(account, report_a), _record(account, report_b)]
    stranger = _record("someone-else", report_a)
    for record in [*records, stranger]:
        app.verification_store.save(record)
    at = NOW + timedelta(days=1)
    assert app.verification_store.revoke(owner_key(account), report_a, RevocationReason.OWNER, at) == 2
    assert app.verification_store.revoke(owner_key(account), None, RevocationReason.DISCONNECTED, at) == 1
    assert app.verification_store.revoke(owner_key(account), None, RevocationReason.DISCONNECTED, at) == 0
    first = app.verification_store.get(records[0].verification_id)
    assert (first.revoked_at, first.revocation_reason) == (at, RevocationReason.OWNER)
    assert app.verification_store.get(stranger.verification_id).revoked_at is None
    app.verification_store.save(records[0].model_copy(update={"sha256": "cd" * 32}))  # a re-render after revocation
    again = app.verification_store.get(records[0].verification_id)
    assert (again.sha256, again.revoked_at) == ("cd" * 32, at)


def test_rate_windows_count_per_key_across_concurrent_requests(app):
    key = f"test:{uuid.uuid4().hex}"
    results = _race(8, lambda: app.rate_limits.hit(key, 5, 60, NOW))
    assert sum(1 for r in results if r is None) == 5
    assert all(0 < r <= 60 for r in results if r is not None)
    assert app.rate_limits.hit(key, 5, 60, NOW + timedelta(seconds=60)) is None  # a new window
    assert app.rate_limits.hit(f"other:{key}", 5, 60, NOW) is None
