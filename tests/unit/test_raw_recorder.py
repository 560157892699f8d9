"""Raw responses are collected while the calls run and written as one object per run."""

import hashlib
import json
from datetime import UTC, datetime

import pytest

from carpulse.services import object_names
from carpulse.services.raw import RawRecorder
from carpulse.tesla.client import RawExchange
from tests.fakes import FakeBlobs


def _exchange(endpoint, body, content_type="application/json", status=200):
    return RawExchange(
        endpoint=endpoint,
        method="GET",
        path=f"/api/1/{endpoint}",
        status=status,
        received_at=datetime(2026, 3, 14, tzinfo=UTC),
        content_type=content_type,
        body=body,
    )


def test_a_run_is_one_object_written_after_its_calls():
    blobs = FakeBlobs()
    recorder = RawRecorder(blobs, "acc", "rep", "VIN1", batch=2)
    recorder(_exchange("vehicle_data", b'{"response": {"vin": "VIN1"}}'))
    recorder(_exchange("service_data", b"not json", status=500))
    pdf = b"%PDF-1.4 invoice"
    recorder(_exchange("invoice", pdf, content_type="application/pdf"))
    assert not blobs.items  # nothing written while the calls run
    recorder.flush()
    assert list(blobs.items) == [object_names.raw_batch_object("acc", "rep", "VIN1", 2)]
    batch = blobs.get(object_names.raw_batch_object("acc", "rep", "VIN1", 2))
    assert batch is not None
    records = json.loads(batch)["exchanges"]
    assert [r["endpoint"] for r in records] == ["vehicle_data", "service_data", "invoice"]
    assert records[0]["body"] == {"response": {"vin": "VIN1"}}
    assert records[1]["status"] == 500
    assert records[1]["body_base64"]
    assert records[2]["body_sha256"] == hashlib.sha256(pdf).hexdigest()  # the PDF is its own object
    assert "body" not in records[2]
    assert "body_base64" not in records[2]
    assert recorder.request_count == 3


def test_flushing_again_writes_only_when_more_arrived(monkeypatch: pytest.MonkeyPatch):
    blobs = FakeBlobs()
    writes: list[str] = []
    monkeypatch.setattr(blobs, "put", lambda name, data, content_type: writes.append(name))
    recorder = RawRecorder(blobs, "acc", "rep", "account")
    recorder.flush()
    recorder(_exchange("charging_history", b'{"response": {"data": []}}'))
    recorder.flush()
    recorder.flush()
    assert len(writes) == 1
