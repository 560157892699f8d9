"""A finished report rendered again in another language: from its stored snapshots only, so no
Tesla call is made; each PDF is sealed with a check id of its own."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carpulse.domain.models import RenditionStatus, VinStatus
from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.gcp.ports import BlobStore, ReportStore
from carpulse.logs import log_fields
from carpulse.services import object_names

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class RenditionService:
    """Renders a report's done VINs again in one language, then marks the rendition done."""

    reports: ReportStore
    blobs: BlobStore
    seal: Callable[[str, VehicleSnapshot, str], bytes]  # (account id, snapshot, rendition language)
    render_json: Callable[[VehicleSnapshot], dict[str, Any]]
    sessions_csv: Callable[[list[VehicleSnapshot], str], bytes]  # header names in the language

    def run(self, report_id: str, language: str) -> None:
        """Idempotent: objects are overwritten by name; a done or unknown rendition is left alone."""
        report = self.reports.get(report_id)
        rendition = report.renditions.get(language) if report else None
        if report is None or rendition is None or rendition.status is not RenditionStatus.QUEUED:
            return
        snapshots = []
        for item in self.reports.progress(report_id):
            raw = (
                self.blobs.get(item.snapshot_object) if item.status is VinStatus.DONE and item.snapshot_object else None
            )
            if raw is None:
                continue
            snapshot = VehicleSnapshot.model_validate_json(raw).model_copy(update={"language": language})
            names = (report.account_id, report_id, language, item.vin)
            view = json.dumps(self.render_json(snapshot), ensure_ascii=False, indent=2).encode()
            self.blobs.put(object_names.rendition_json_object(*names), view, "application/json")
            self.blobs.put(
                object_names.rendition_pdf_object(*names),
                self.seal(report.account_id, snapshot, language),
                "application/pdf",
            )
            snapshots.append(snapshot)
        if snapshots:
            csv = self.sessions_csv(snapshots, language)
            self.blobs.put(
                object_names.rendition_csv_object(report.account_id, report_id, language),
                csv,
                "text/csv; charset=utf-8",
            )
        self.reports.finish_rendition(report_id, language, RenditionStatus.DONE, None)
        log.info("rendition done", extra=log_fields(report=report_id, language=language, vehicles=len(snapshots)))

    def fail(self, report_id: str, language: str, code: str) -> None:
        """The last attempt gave up: the rendition says so (it can be asked for again)."""
        self.reports.finish_rendition(report_id, language, RenditionStatus.FAILED, code)
