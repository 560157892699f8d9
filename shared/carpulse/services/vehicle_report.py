"""The per-VIN task: fetch, normalise, render, upload, record progress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carpulse.domain.models import Account, ReportRequest, VinStatus
from carpulse.domain.snapshot import DataSource, SectionNote, SectionState, VehicleSnapshot
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ReconnectRequiredError
from carpulse.gcp.ports import AccountStore, BlobStore, Clock, ReportStore, TaskQueue
from carpulse.logs import log_fields, mask_vin
from carpulse.services import layout
from carpulse.services.battery_health import with_battery_health
from carpulse.services.fetch import FetchedVehicle, ModuleFetcher, note_for
from carpulse.services.normalise import build_snapshot
from carpulse.services.raw import RawRecorder
from carpulse.tesla.client import FleetClient, RawExchange
from carpulse.tesla.errors import TeslaError, TeslaNotFoundError, VehicleOfflineError
from carpulse.tesla.schemas import ChargingSession, VehicleData, VehicleSummary

log = logging.getLogger(__name__)
FleetFactory = Callable[[Account, Callable[[RawExchange], None] | None], FleetClient]


@dataclass
class _Rescheduled:
    """The task put itself back in the queue (a car waking up, or briefly unreachable)."""


@dataclass
class VehicleReportService:
    """Builds one VIN's report. Safe to run twice: objects are overwritten, progress is guarded."""

    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: FleetFactory
    render_pdf: Callable[[VehicleSnapshot], bytes]
    clock: Clock
    render_json: Callable[[VehicleSnapshot], dict[str, Any]] | None = None
    partner_fleet_for_account: Callable[[Account, Callable[[RawExchange], None] | None], FleetClient] | None = None
    wake_wait_seconds: float = 20.0
    offline_wait_seconds: float = 60.0
    max_wait_rounds: int = 3
    # Renders with the check mark, signs and stores the verification record (services/sealing.py).
    seal: Callable[[str, VehicleSnapshot], bytes] | None = None

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
        stored = self.blobs.get(layout.snapshot_object(account.account_id, report.report_id, vin))
        if stored is not None:
            # An earlier attempt fetched everything and died before finishing: no Tesla call again.
            snapshot = VehicleSnapshot.model_validate_json(stored)
            self._finish(account, report, vin, snapshot, current.tesla_requests)
            return
        self.reports.update_vin(
            report.report_id,
            vin,
            {"status": VinStatus.FETCHING.value, "step": "fetching vehicle data", "attempts": current.attempts + 1},
        )
        recorder = RawRecorder(self.blobs, account.account_id, report.report_id, vin)
        fleet = self.fleet_for_account(account, recorder)
        sessions, charging_note, account_sources = self._charging_partition(account, report, vin)
        try:
            summary = fleet.vehicle(vin)
            live = self._live_data(fleet, report, task, summary)
            if isinstance(live, _Rescheduled):
                return
            data, notes = live
            fetched = ModuleFetcher(
                fleet,
                self._partner(account, recorder),
                self.blobs,
                account.account_id,
                self.clock,
            ).run(vin, sessions or [])
        except ReconnectRequiredError:
            self.fail(report.report_id, vin, "Tesla access was revoked; connect again")
            return
        except TeslaNotFoundError:
            self.fail(report.report_id, vin, "the vehicle is no longer on this Tesla account")
            return
        if charging_note:
            notes.append(charging_note)
        snapshot = self._snapshot(
            account, report, vin, summary, data, sessions, notes, fetched, account_sources, recorder
        )
        self.blobs.put(
            layout.snapshot_object(account.account_id, report.report_id, vin),
            snapshot.model_dump_json(indent=2).encode(),
            "application/json",
        )
        self._finish(account, report, vin, snapshot, current.tesla_requests + recorder.request_count)

    def _finish(
        self, account: Account, report: ReportRequest, vin: str, snapshot: VehicleSnapshot, tesla_requests: int
    ) -> None:
        """Render from the stored snapshot, upload, and mark the VIN done."""
        self.reports.update_vin(report.report_id, vin, {"status": VinStatus.RENDERING.value, "step": "rendering PDF"})
        names = self._store(account, report, vin, snapshot)
        finished = self.reports.finish_vin(
            report.report_id, vin, VinStatus.DONE, {"step": "done", **names, "tesla_requests": tesla_requests}
        )
        self.after_finish(finished)
        log.info("vehicle report done", extra=log_fields(report=report.report_id, vin=mask_vin(vin)))

    def fail(self, report_id: str, vin: str, reason: str) -> None:
        """Give up on a VIN with a reason the owner can read."""
        self.after_finish(
            self.reports.finish_vin(report_id, vin, VinStatus.FAILED, {"error": reason, "step": "failed"})
        )

    def after_finish(self, report: ReportRequest | None) -> None:
        """The VIN that brought the count to zero queues the report's finalisation."""
        if report is not None and report.remaining == 0:
            self.queue.enqueue(WorkerTask(kind=TaskKind.FINALISE, report_id=report.report_id))

    def _partner(self, account: Account, recorder: RawRecorder) -> Callable[[], FleetClient] | None:
        if self.partner_fleet_for_account is None:
            return None
        factory = self.partner_fleet_for_account
        return lambda: factory(account, recorder)

    def _live_data(
        self, fleet: FleetClient, report: ReportRequest, task: WorkerTask, summary: VehicleSummary
    ) -> tuple[VehicleData | None, list[SectionNote]] | _Rescheduled:
        """vehicle_data when the car is online; otherwise wake (if allowed), wait, or explain."""
        vin = task.vin or ""
        notes: list[SectionNote] = []
        if summary.state == "online":
            try:
                # Location only when the owner granted it (firmware 2023.38+ needs the scope).
                return fleet.vehicle_data(vin, with_location="vehicle_location" in self._scopes(report)), notes
            except VehicleOfflineError:
                # Fell asleep or lost connectivity since the cheap check: ask again a bit later.
                if task.wait_round < self.max_wait_rounds and not report.options.allow_wake:
                    return self._reschedule(report, task, self.offline_wait_seconds, "vehicle not reachable, retrying")
                if not report.options.allow_wake:
                    notes.append(
                        SectionNote(
                            section="vehicle_data",
                            state=SectionState.MISSING,
                            reason="reason.vehicle_unavailable",
                        )
                    )
                    return None, notes
            except TeslaError as exc:
                if exc.retryable:
                    raise
                notes.append(note_for("vehicle_data", exc))
                return None, notes
        if report.options.allow_wake and task.wait_round < self.max_wait_rounds:
            fleet.wake_up(vin)
            return self._reschedule(report, task, self.wake_wait_seconds, "waking the vehicle")
        reason = "reason.vehicle_not_woken" if report.options.allow_wake else "reason.vehicle_asleep"
        notes.append(
            SectionNote(
                section="vehicle_data",
                state=SectionState.MISSING,
                reason=reason,
                detail={"state": summary.state or "unavailable"},
            )
        )
        return None, notes

    def _scopes(self, report: ReportRequest) -> tuple[str, ...]:
        account = self.accounts.get(report.account_id)
        return account.scopes if account else ()

    def _reschedule(self, report: ReportRequest, task: WorkerTask, delay: float, step: str) -> _Rescheduled:
        self.queue.enqueue(task.model_copy(update={"wait_round": task.wait_round + 1}), delay_seconds=delay)
        self.reports.update_vin(
            report.report_id, task.vin or "", {"status": VinStatus.WAITING_FOR_VEHICLE.value, "step": step}
        )
        return _Rescheduled()

    def _snapshot(
        self,
        account: Account,
        report: ReportRequest,
        vin: str,
        summary: VehicleSummary,
        data: VehicleData | None,
        sessions: list[ChargingSession] | None,
        notes: list[SectionNote],
        fetched: FetchedVehicle,
        account_sources: list[DataSource],
        recorder: RawRecorder,
    ) -> VehicleSnapshot:
        sources = account_sources + [
            DataSource(endpoint=x.endpoint, status=x.status, fetched_at=x.received_at, region=account.region)
            for x in recorder.exchanges
        ]
        snapshot = build_snapshot(
            report_id=report.report_id,
            generated_at=self.clock(),
            region=account.region,
            vin=vin,
            summary=summary,
            data=data,
            sessions=sessions,
            notes=notes + fetched.notes,
            language=report.options.language,
            service=fetched.service,
            alerts=fetched.alerts,
            release_notes=fetched.release_notes,
            warranty=fetched.warranty,
            options=fetched.options,
            specs=fetched.specs,
            fleet_status=fetched.fleet_status,
            sources=sources,
            stored_invoices=fetched.stored_invoices,
        )
        return with_battery_health(snapshot)

    def _store(self, account: Account, report: ReportRequest, vin: str, snapshot: VehicleSnapshot) -> dict[str, str]:
        """JSON view and PDF from the (already stored) snapshot; returns the object names."""
        names = {
            "snapshot_object": layout.snapshot_object(account.account_id, report.report_id, vin),
            "pdf_object": layout.pdf_object(account.account_id, report.report_id, vin),
        }
        if self.render_json is not None:
            view = json.dumps(self.render_json(snapshot), ensure_ascii=False, indent=2).encode()
            self.blobs.put(layout.json_view_object(account.account_id, report.report_id, vin), view, "application/json")
        pdf = self.seal(account.account_id, snapshot) if self.seal else self.render_pdf(snapshot)
        self.blobs.put(names["pdf_object"], pdf, "application/pdf")
        return names

    def _charging_partition(
        self, account: Account, report: ReportRequest, vin: str
    ) -> tuple[list[ChargingSession] | None, SectionNote | None, list[DataSource]]:
        raw = self.blobs.get(layout.charging_partition(account.account_id, report.report_id, vin))
        if raw is None:
            note = SectionNote(section="charging_history", state=SectionState.FAILED, reason="reason.not_prepared")
            return None, note, []
        body = json.loads(raw)
        sources = [DataSource.model_validate(s) for s in body.get("sources", [])]
        if body.get("note"):
            return None, SectionNote.model_validate(body["note"]), sources
        return [ChargingSession.model_validate(item) for item in body.get("sessions", [])], None, sources
