"""The per-VIN task: fetch, normalise, render, upload, record progress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from carpulse.domain.models import Account, ReportRequest, VinStatus
from carpulse.domain.snapshot import SectionNote, SectionState, VehicleSnapshot
from carpulse.domain.tasks import WorkerTask
from carpulse.errors import ReconnectRequiredError
from carpulse.gcp.ports import AccountStore, BlobStore, Clock, ReportStore, TaskQueue
from carpulse.logs import log_fields, mask_vin
from carpulse.services import layout
from carpulse.services.normalise import build_snapshot
from carpulse.services.raw import RawRecorder
from carpulse.tesla.client import FleetClient, RawExchange
from carpulse.tesla.errors import (
    ScopeOrTokenError,
    TeslaError,
    TeslaNotFoundError,
    VehicleError,
    VehicleOfflineError,
)
from carpulse.tesla.schemas import ChargingSession, VehicleData, VehicleSummary

log = logging.getLogger(__name__)


@dataclass
class VehicleReportService:
    """Builds one VIN's report. Safe to run twice: objects are overwritten, progress is guarded."""

    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: Callable[[Account, Callable[[RawExchange], None] | None], FleetClient]
    render_pdf: Callable[[VehicleSnapshot], bytes]
    clock: Clock
    wake_wait_seconds: float = 20.0
    max_wait_rounds: int = 3

    def run(self, task: WorkerTask) -> None:
        """Produce the VIN's PDF, or re-schedule itself while a car wakes up."""
        vin = task.vin or ""
        report = self.reports.get(task.report_id)
        if report is None or vin not in report.vins:
            log.warning(
                "vehicle task for unknown report/VIN", extra=log_fields(report=task.report_id, vin=mask_vin(vin))
            )
            return
        current = {p.vin: p for p in self.reports.progress(report.report_id)}.get(vin)
        if current is None or current.status.is_terminal:
            return  # a repeated delivery of finished work
        account = self.accounts.get(report.account_id)
        if account is None:
            self.fail(report.report_id, vin, "the Tesla account was disconnected")
            return
        self.reports.update_vin(
            report.report_id,
            vin,
            {"status": VinStatus.FETCHING.value, "step": "fetching vehicle data", "attempts": current.attempts + 1},
        )
        recorder = RawRecorder(self.blobs, account.account_id, report.report_id, vin)
        fleet = self.fleet_for_account(account, recorder)
        try:
            summary = fleet.vehicle(vin)
            data, notes = self._live_data(fleet, report, task, summary)
        except ReconnectRequiredError:
            self.fail(report.report_id, vin, "Tesla access was revoked; connect again")
            return
        except TeslaNotFoundError:
            self.fail(report.report_id, vin, "the vehicle is no longer on this Tesla account")
            return
        if data is None and notes is None:
            return  # re-scheduled: the car is waking up
        sessions, charging_note = self._charging_partition(account, report, vin)
        if charging_note:
            notes.append(SectionNote(section="charging", state=SectionState.MISSING, reason=charging_note))
        snapshot = build_snapshot(
            report_id=report.report_id,
            generated_at=self.clock(),
            region=account.region,
            vin=vin,
            summary=summary,
            data=data,
            sessions=sessions,
            notes=notes,
        )
        self.reports.update_vin(report.report_id, vin, {"status": VinStatus.RENDERING.value, "step": "rendering PDF"})
        pdf = self.render_pdf(snapshot)
        pdf_name = layout.pdf_object(account.account_id, report.report_id, vin)
        snapshot_name = layout.snapshot_object(account.account_id, report.report_id, vin)
        self.blobs.put(snapshot_name, snapshot.model_dump_json(indent=2).encode(), "application/json")
        self.blobs.put(pdf_name, pdf, "application/pdf")
        self.reports.finish_vin(
            report.report_id,
            vin,
            VinStatus.DONE,
            {
                "step": "done",
                "pdf_object": pdf_name,
                "snapshot_object": snapshot_name,
                "tesla_requests": current.tesla_requests + recorder.request_count,
            },
        )
        log.info(
            "vehicle report done", extra=log_fields(report=report.report_id, vin=mask_vin(vin), pdf_bytes=len(pdf))
        )

    def fail(self, report_id: str, vin: str, reason: str) -> None:
        """Give up on a VIN with a reason the owner can read."""
        self.reports.finish_vin(report_id, vin, VinStatus.FAILED, {"error": reason, "step": "failed"})

    def _live_data(
        self, fleet: FleetClient, report: ReportRequest, task: WorkerTask, summary: VehicleSummary
    ) -> tuple[VehicleData | None, list[SectionNote] | None]:
        """vehicle_data when the car is online; (None, None) when the task re-scheduled itself."""
        notes: list[SectionNote] = []
        if summary.state == "online":
            try:
                return fleet.vehicle_data(task.vin or ""), notes
            except VehicleOfflineError:
                pass  # fell asleep between the two calls: same as asleep
            except VehicleError:
                notes.append(
                    SectionNote(
                        section="vehicle", state=SectionState.FAILED, reason="the vehicle answered with an error (540)"
                    )
                )
                return None, notes
            except ScopeOrTokenError:
                notes.append(
                    SectionNote(section="vehicle", state=SectionState.MISSING, reason="vehicle data scope not granted")
                )
                return None, notes
            except TeslaError as exc:
                if exc.retryable:
                    raise
                notes.append(
                    SectionNote(section="vehicle", state=SectionState.FAILED, reason=f"Tesla returned {exc.status}")
                )
                return None, notes
        state = summary.state or "unavailable"
        if report.options.allow_wake and task.wait_round < self.max_wait_rounds:
            fleet.wake_up(task.vin or "")
            self.queue.enqueue(
                task.model_copy(update={"wait_round": task.wait_round + 1}), delay_seconds=self.wake_wait_seconds
            )
            self.reports.update_vin(
                report.report_id,
                task.vin or "",
                {"status": VinStatus.WAITING_FOR_VEHICLE.value, "step": "waking the vehicle"},
            )
            return None, None
        reason = (
            "vehicle did not wake up in time"
            if report.options.allow_wake
            else f"vehicle {state}; live data not fetched (waking was not allowed)"
        )
        notes.append(SectionNote(section="vehicle", state=SectionState.MISSING, reason=reason))
        return None, notes

    def _charging_partition(
        self, account: Account, report: ReportRequest, vin: str
    ) -> tuple[list[ChargingSession], str | None]:
        raw = self.blobs.get(layout.charging_partition(account.account_id, report.report_id, vin))
        if raw is None:
            return [], "charging history was not prepared"
        body = json.loads(raw)
        sessions = [ChargingSession.model_validate(item) for item in body.get("sessions", [])]
        return sessions, body.get("note")
