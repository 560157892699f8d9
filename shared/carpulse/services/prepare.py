"""The request-level "prepare" task: account-level fetches once, then one task per VIN.

Its Tesla calls run side by side: the charging history (one listing for the whole account, or one
per VIN with `vin=` when the report covers only some of its cars, so no page is read for a car
outside the report) and one fleet_status for every VIN of the report. The vehicle state comes
from the list fetched when the report was requested.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from carpulse.domain import report_life
from carpulse.domain.models import Account, ReportRequest, ReportStatus, VinStatus
from carpulse.domain.snapshot import DataSource, SectionNote, SectionState
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ReconnectRequiredError
from carpulse.gcp.ports import AccountStore, BlobStore, ReportStore, TaskQueue
from carpulse.logs import log_fields
from carpulse.services import object_names
from carpulse.services.fetch import note_for
from carpulse.services.normalise import partition_sessions
from carpulse.services.partition import SeenVehicles, VinPartition, fleet_status_of, load_seen
from carpulse.services.raw import RawRecorder
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.client import RawExchange
from carpulse.tesla.errors import RateLimitedError, ScopeOrTokenError, TeslaError
from carpulse.tesla.fanout import run_all, run_pair
from carpulse.tesla.ports import FleetApi
from carpulse.tesla.schemas import ChargingSession

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class PrepareService:
    """Fetches the whole charging history once, partitions it by VIN, fans out one task per VIN."""

    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: Callable[[Account, Callable[[RawExchange], None] | None], FleetApi]

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
        seen = load_seen(self.blobs, account.account_id, report_id)
        try:
            # Ownership was checked against /vehicles when the report was requested, seconds ago;
            # a car that left the account since then gets a 404 in its own task.
            (sessions, note), (status, status_note) = run_pair(
                lambda: self._charging_history(fleet, _history_filter(report.vins, seen)),
                lambda: self._fleet_status(fleet, report.vins),
            )
        except ReconnectRequiredError:
            self._fail_all(report, "reconnect_required")
            return
        finally:
            recorder.flush()
            self.reports.add_report_tesla_calls(report_id, recorder.billed_calls())
        by_vin = partition_sessions(sessions, vins=report.vins)
        sources = _sources(recorder.exchanges, seen, account.region)
        summaries = {v.vin: v for v in seen.vehicles if v.vin} if seen else {}
        for vin in report.vins:
            partition = VinPartition(
                sessions=None if note else by_vin.get(vin, []),
                note=note,
                sources=sources,
                summary=summaries.get(vin),
                seen_at=seen.seen_at if seen else None,
                fleet_status=fleet_status_of(status, vin) if status else None,
                fleet_status_note=status_note,
            )
            self.blobs.put(
                object_names.charging_partition(account.account_id, report_id, vin),
                partition.model_dump_json().encode(),
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
    def _fleet_status(fleet: FleetApi, vins: Sequence[str]) -> tuple[dx.FleetStatus | None, SectionNote | None]:
        """One call for every VIN of the report; a failure is a note on each VIN's security section."""
        try:
            return fleet.fleet_status(vins), None
        except RateLimitedError:
            raise
        except TeslaError as exc:
            if exc.retryable:
                raise
            return None, note_for("fleet_status", exc)

    @staticmethod
    def _charging_history(
        fleet: FleetApi, vins: Sequence[str] | None
    ) -> tuple[list[ChargingSession], SectionNote | None]:
        """All pages (of the given VINs only, or of the account); a refusal is a note, not a failure."""
        try:
            if vins is None:
                sessions = fleet.charging_history()
            else:
                listings = run_all([partial(fleet.charging_history, vin=vin) for vin in vins])
                sessions = [s for listing in listings for s in listing]
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


def _history_filter(vins: Sequence[str], seen: SeenVehicles | None) -> Sequence[str] | None:
    """The VINs to list the history of one by one, or None for one listing of the whole account."""
    if seen is None:
        return None
    listed = {v.vin for v in seen.vehicles if v.vin}
    return vins if listed - set(vins) else None


def _sources(exchanges: list[RawExchange], seen: SeenVehicles | None, region: str) -> list[DataSource]:
    """The account-level calls every VIN's report lists: the request-time vehicle list, then prepare's."""
    listed = [DataSource(endpoint="vehicles", status=200, fetched_at=seen.seen_at, region=region)] if seen else []
    return listed + [
        DataSource(endpoint=x.endpoint, status=x.status, fetched_at=x.received_at, region=region) for x in exchanges
    ]
