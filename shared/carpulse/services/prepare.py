"""The request-level "prepare" task: account-level fetches once, then one task per VIN."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from carpulse.domain import report_life
from carpulse.domain.models import Account, ReportRequest, ReportStatus, VinStatus
from carpulse.domain.snapshot import DataSource, SectionNote, SectionState
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ReconnectRequiredError
from carpulse.gcp.ports import AccountStore, BlobStore, ReportStore, TaskQueue
from carpulse.logs import log_fields
from carpulse.services import layout
from carpulse.services.fetch import note_for
from carpulse.services.normalise import partition_sessions
from carpulse.services.raw import RawRecorder
from carpulse.tesla.client import FleetClient, RawExchange
from carpulse.tesla.errors import RateLimitedError, ScopeOrTokenError, TeslaError
from carpulse.tesla.schemas import ChargingSession

log = logging.getLogger(__name__)


@dataclass
class PrepareService:
    """Fetches the whole charging history once, partitions it by VIN, fans out one task per VIN."""

    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: Callable[[Account, Callable[[RawExchange], None] | None], FleetClient]

    def run(self, report_id: str) -> None:
        """Run (or re-run: every step is idempotent) the preparation of a report."""
        report = self.reports.get(report_id)
        if report is None:
            log.warning("prepare: report not found", extra=log_fields(report=report_id))
            return
        if not report.is_open:
            return
        account = self.accounts.get(report.account_id)
        if account is None:
            self._fail_all(report, "account_disconnected")
            return
        self.reports.set_status(report_id, ReportStatus.PREPARING)
        recorder = RawRecorder(self.blobs, account.account_id, report_id, "account")
        fleet = self.fleet_for_account(account, recorder)
        try:
            # Ownership was checked against /vehicles when the report was requested, seconds ago;
            # a car that left the account since then gets a 404 in its own task.
            sessions, note = self._charging_history(fleet)
        except ReconnectRequiredError:
            self._fail_all(report, "reconnect_required")
            return
        by_vin = partition_sessions(sessions, vins=report.vins)
        sources = [
            DataSource(
                endpoint=x.endpoint, status=x.status, fetched_at=x.received_at, region=account.region
            ).model_dump(mode="json")
            for x in recorder.exchanges
        ]
        for vin in report.vins:
            partition = {
                "sessions": [s.model_dump(mode="json") for s in by_vin.get(vin, [])],
                "note": note.model_dump(mode="json") if note else None,
                "sources": sources,
            }
            self.blobs.put(
                layout.charging_partition(account.account_id, report_id, vin),
                json.dumps(partition, ensure_ascii=False).encode(),
                "application/json",
            )
        self.reports.set_status(report_id, ReportStatus.RUNNING)
        for vin in report.vins:
            self.queue.enqueue(WorkerTask(kind=TaskKind.VEHICLE, report_id=report_id, vin=vin))
        log.info(
            "prepared",
            extra=log_fields(
                report=report_id, vins=len(report.vins), sessions=len(sessions), tesla_requests=recorder.request_count
            ),
        )

    @staticmethod
    def _charging_history(fleet: FleetClient) -> tuple[list[ChargingSession], SectionNote | None]:
        """All pages; a refusal is a note on the charging section, not a failed report."""
        try:
            sessions = fleet.charging_history()
        except ScopeOrTokenError:
            note = SectionNote(
                section="charging_history",
                state=SectionState.MISSING,
                reason="reason.scope_missing",
                detail={"scope": "vehicle_charging_cmds"},
            )
            return [], note
        except RateLimitedError:
            raise
        except TeslaError as exc:
            if exc.retryable:
                raise
            return [], note_for("charging_history", exc)
        return sessions, None

    def fail_report(self, report_id: str, code: str) -> None:
        """Give up on a whole report with a reason code."""
        report = self.reports.get(report_id)
        if report is not None:
            self._fail_all(report, code)

    def _fail_all(self, report: ReportRequest, code: str) -> None:
        text = report_life.FAILURE_CODES.get(code, code)
        for vin in report.vins:
            self.reports.finish_vin(
                report.report_id, vin, VinStatus.FAILED, {"error": text, "error_code": code, "step": "failed"}
            )
        self.reports.close(report.report_id, ReportStatus.FAILED, {"error": text, "error_code": code})
        log.warning("report failed", extra=log_fields(report=report.report_id, code=code))
