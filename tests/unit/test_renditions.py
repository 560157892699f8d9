"""Renditions as rules and as the worker runs them (in-memory store and storage; the Firestore
adapter and the whole flow are tested on the stack in tests/e2e/test_renditions.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from carpulse.domain import report_life
from carpulse.domain.models import RenditionStatus, ReportRequest, ReportStatus, VinProgress, VinStatus
from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.services import object_names
from carpulse.services.renditions import RenditionService
from tests.fakes import FakeBlobs, FakeReports
from tests.report_samples import full_eu

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _report(vins: tuple[str, ...]) -> ReportRequest:
    return ReportRequest(
        report_id="r" * 32, account_id="acc", vins=vins, status=ReportStatus.COMPLETE, created_at=NOW, updated_at=NOW
    )


def _stored(reports: FakeReports, report_id: str) -> ReportRequest:
    stored = reports.get(report_id)
    assert stored is not None
    return stored


def test_asking_twice_is_one_piece_of_work_and_a_failed_one_can_be_asked_again():
    report = _report(("V",))
    first, new = report_life.rendition_to_queue(report, "sv", NOW)
    assert new
    assert first.status is RenditionStatus.QUEUED
    queued = report.model_copy(update={"renditions": {"sv": first}})
    assert report_life.rendition_to_queue(queued, "sv", NOW) == (first, False)
    failed = queued.model_copy(
        update={"renditions": {"sv": first.model_copy(update={"status": RenditionStatus.FAILED})}}
    )
    assert report_life.rendition_to_queue(failed, "sv", NOW)[1]


def test_a_rendition_task_has_a_name_of_its_own_per_language():
    sv = WorkerTask(kind=TaskKind.RENDITION, report_id="r" * 32, language="sv")
    fi = sv.model_copy(update={"language": "fi"})
    assert sv.task_id() == sv.model_copy().task_id() != fi.task_id()
    assert sv.task_id().startswith("rendition-")


def test_only_done_vehicles_are_rendered_in_the_language_and_the_rendition_is_marked_done():
    snapshot = full_eu()
    vin = snapshot.identity.vin
    reports, blobs = FakeReports(clock=lambda: NOW), FakeBlobs()
    report = _report((vin, "5YJ3E1EA7KF000009"))
    snap_name = object_names.snapshot_object("acc", report.report_id, vin)
    blobs.put(snap_name, snapshot.model_dump_json().encode(), "application/json")
    reports.create(
        report,
        [
            VinProgress(vin=vin, status=VinStatus.DONE, snapshot_object=snap_name, updated_at=NOW),
            VinProgress(vin="5YJ3E1EA7KF000009", status=VinStatus.FAILED, updated_at=NOW),
        ],
    )
    reports.add_rendition(report.report_id, "fi", NOW)
    rendered: list[tuple[str, str]] = []

    def seal(account_id: str, snap: VehicleSnapshot, language: str) -> bytes:
        rendered.append((snap.language, language))
        return b"%PDF-fi"

    service = RenditionService(
        reports=reports,
        blobs=blobs,
        seal=seal,
        render_json=lambda snap: {"language": snap.language},
        sessions_csv=lambda snaps, language: f"{language},{len(snaps)}".encode(),
    )
    service.run(report.report_id, "fi")
    assert rendered == [("fi", "fi")]
    assert blobs.get(object_names.rendition_pdf_object("acc", report.report_id, "fi", vin)) == b"%PDF-fi"
    assert blobs.get(object_names.rendition_csv_object("acc", report.report_id, "fi")) == b"fi,1"
    assert _stored(reports, report.report_id).renditions["fi"].status is RenditionStatus.DONE
    service.run(report.report_id, "fi")  # a repeated delivery renders nothing again
    assert len(rendered) == 1
    service.fail(report.report_id, "fi", "internal_error")
    assert _stored(reports, report.report_id).renditions["fi"].error_code == "internal_error"
