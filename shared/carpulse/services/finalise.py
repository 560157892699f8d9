"""The last task of a report: the sessions CSV and the invoice ZIP, then the final status."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from carpulse.domain import report_life
from carpulse.domain.models import ReportStatus
from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.gcp.ports import BlobStore, ReportStore
from carpulse.logs import log_fields
from carpulse.services import object_names

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class FinaliseService:
    """Builds report-level artifacts from stored snapshots only (no Tesla calls) and closes the report."""

    reports: ReportStore
    blobs: BlobStore
    sessions_csv: Callable[[list[VehicleSnapshot]], bytes]

    def run(self, report_id: str) -> None:
        """Idempotent: a closed report is left alone; artifacts are overwritten by name."""
        report = self.reports.get(report_id)
        if report is None or not report.is_open:
            return
        progress = self.reports.progress(report_id)
        if not report_life.all_finished(progress):
            return  # a stray delivery: the VIN that finishes last queues finalisation again
        self.reports.set_status(report_id, ReportStatus.FINALISING)
        snapshots = []
        for item in sorted(progress, key=lambda p: report.vins.index(p.vin) if p.vin in report.vins else 0):
            raw = self.blobs.get(item.snapshot_object) if item.snapshot_object else None
            if raw is not None:
                snapshots.append(VehicleSnapshot.model_validate_json(raw))
        artifacts: dict[str, object] = {}
        if snapshots:
            csv_name = object_names.sessions_csv_object(report.account_id, report_id)
            self.blobs.put(csv_name, self.sessions_csv(snapshots), "text/csv; charset=utf-8")
            artifacts["csv_object"] = csv_name
        archive = self._invoice_zip(report.account_id, snapshots)
        if archive is not None:
            zip_name = object_names.invoices_zip_object(report.account_id, report_id)
            self.blobs.put(zip_name, archive, "application/zip")
            artifacts["zip_object"] = zip_name
        outcome = report_life.report_outcome(progress)
        self.reports.close(report_id, outcome, artifacts)
        log.info("report finalised", extra=log_fields(report=report_id, vehicles=len(snapshots), outcome=outcome))

    def close_without_files(self, report_id: str, code: str) -> None:
        """Close a report whose files could not be built: the PDFs are still there."""
        progress = self.reports.progress(report_id)
        outcome = report_life.report_outcome(progress)
        if outcome is ReportStatus.COMPLETE:
            outcome = ReportStatus.PARTIAL  # the request's CSV and ZIP are missing
        text = f"report files incomplete: {report_life.FAILURE_CODES.get(code, code)}"
        self.reports.close(report_id, outcome, {"error": text, "error_code": "files_incomplete"})

    def _invoice_zip(self, account_id: str, snapshots: list[VehicleSnapshot]) -> bytes | None:
        """One folder per VIN, invoices under Tesla's file names; None when there is no invoice."""
        buffer = io.BytesIO()
        count = 0
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for snapshot in snapshots:
                vin = snapshot.identity.vin
                used: set[str] = set()
                for session in snapshot.sessions:
                    for invoice in session.invoices:
                        data = self.blobs.get(object_names.invoice_object(account_id, vin, invoice.content_id))
                        if data is None:
                            continue
                        name = _unique(_safe(invoice.file_name), used)
                        archive.writestr(f"{vin}/{name}", data)
                        count += 1
        return buffer.getvalue() if count else None


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "invoice"
    return cleaned if cleaned.lower().endswith(".pdf") else f"{cleaned}.pdf"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name[:-4]}-{n}.pdf"
    used.add(candidate)
    return candidate
