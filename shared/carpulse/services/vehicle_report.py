"""The per-VIN task: fetch, normalise, render, upload, record progress.

One run per VIN at a time: a run takes the VIN's lease first, so a task delivered again while the
first run is still fetching is put off instead of calling Tesla a second time. Every Tesla call a
run makes is counted on the VIN, whatever the run's outcome. A VIN finishes exactly once, as done
(listing the sections it could not fill) or failed (with a reason code); the VIN that finishes
last queues the report's finalisation.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from carpulse.domain import billing, report_life
from carpulse.domain.models import Account, ReportRequest, VinStatus
from carpulse.domain.snapshot import DataSource, SectionNote, SectionState, TeslaBill, VehicleSnapshot
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ReconnectRequiredError, RetryLaterError
from carpulse.gcp.ports import AccountStore, BlobStore, Clock, ReportStore, TaskQueue
from carpulse.logs import log_fields, mask_vin
from carpulse.services import object_names
from carpulse.services.battery_health import with_battery_health
from carpulse.services.fetch import ModuleFetcher
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.live_data import LiveData, LivePolicy, WaitForCar, read_live_data, wakes_first
from carpulse.services.normalise import build_snapshot
from carpulse.services.partition import VinPartition
from carpulse.services.raw import RawRecorder
from carpulse.tesla.client import RawExchange
from carpulse.tesla.errors import TeslaNotFoundError
from carpulse.tesla.ports import FleetApi
from carpulse.tesla.schemas import ChargingSession, VehicleSummary

log = logging.getLogger(__name__)
FleetFactory = Callable[[Account, Callable[[RawExchange], None] | None], FleetApi]


class RunInFlightError(RetryLaterError):
    """Another run holds this VIN's lease: put this delivery off instead of fetching twice."""


@dataclass(kw_only=True)
class VehicleReportService:
    """Builds one VIN's report. Safe to deliver twice: one run at a time, objects overwritten."""

    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: FleetFactory
    render_pdf: Callable[[VehicleSnapshot], bytes]
    clock: Clock
    render_json: Callable[[VehicleSnapshot], dict[str, Any]] | None = None
    partner_fleet_for_account: FleetFactory | None = None
    wake_wait_seconds: float = 20.0
    offline_wait_seconds: float = 60.0
    max_wait_rounds: int = 3
    run_lease_seconds: float = 600.0  # longer than a run can last (the function's timeout)
    # How long the state Tesla listed at request time stands in for GET /vehicles/{vin}.
    state_fresh_seconds: float = 120.0
    # Renders with the check mark, signs and stores the verification record (services/sealing.py).
    seal: Callable[[str, VehicleSnapshot], bytes] | None = None
    prices: billing.PriceTable = field(default_factory=billing.PriceTable)  # Tesla's, for the bill in the PDF

    def run(self, task: WorkerTask) -> None:
        """Produce the VIN's PDF, or re-schedule itself while a car wakes up."""
        vin = task.vin or ""
        report = self.reports.get(task.report_id)
        if report is None or vin not in report.vins:
            log.warning(
                "vehicle task for unknown report/VIN", extra=log_fields(report=task.report_id, vin=mask_vin(vin))
            )
            return
        run_id = secrets.token_hex(8)
        started = self.reports.start_run(report.report_id, vin, run_id, self.clock(), self.run_lease_seconds)
        if started == "busy":
            raise RunInFlightError(
                "another run is building this vehicle's report", retry_after=self._lease_left(report, vin)
            )
        if started != "started":
            return  # finished already (a repeated delivery), or no such VIN
        try:
            self._run(task, report, vin, run_id)
        finally:
            self.reports.end_run(report.report_id, vin, run_id, {})

    def _run(self, task: WorkerTask, report: ReportRequest, vin: str, run_id: str) -> None:
        account = self.accounts.get(report.account_id)
        if account is None:
            self.fail(report.report_id, vin, "account_disconnected")
            return
        stored = self.blobs.get(object_names.snapshot_object(account.account_id, report.report_id, vin))
        if stored is not None:
            # An earlier run fetched everything and died before finishing: no Tesla call again.
            self._finish(account, report, vin, VehicleSnapshot.model_validate_json(stored))
            return
        self.reports.update_vin(
            report.report_id, vin, {"status": VinStatus.FETCHING.value, "step": "fetching vehicle data"}
        )
        recorder = RawRecorder(self.blobs, account.account_id, report.report_id, vin, batch=task.wait_round)
        try:
            snapshot = self._fetch(task, account, report, vin, run_id, recorder)
        finally:
            self.reports.add_tesla_requests(report.report_id, vin, recorder.request_count, recorder.billed_calls())
            recorder.flush()
        if snapshot is not None:
            self._finish(account, report, vin, snapshot)

    def _fetch(
        self, task: WorkerTask, account: Account, report: ReportRequest, vin: str, run_id: str, recorder: RawRecorder
    ) -> VehicleSnapshot | None:
        """Every Tesla call of the VIN; None when the VIN failed or the task re-queued itself."""
        fleet = self.fleet_for_account(account, recorder)
        part = self._charging_partition(account, report, vin)
        sessions, charging_note, account_sources = part.sessions, part.note, part.sources
        budget = report.options.budget_usd
        modules = ModuleFetcher(
            fleet=fleet,
            partner_fleet=self._partner(account, recorder),
            blobs=self.blobs,
            account_id=account.account_id,
            clock=self.clock,
            allowance_usd=budget / len(report.vins) if budget is not None else None,  # an equal share each
            prices=self.prices,
        )
        try:
            summary = self._summary(fleet, part, task, vin)
            policy = self._policy(account, report, task)
            # The modules do not depend on the car's live data: both run side by side, unless this
            # round only wakes the car (then everything is fetched in the round that reads it).
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="modules") as pool:
                later: Future[FetchedVehicle] | None = None
                if not wakes_first(summary, policy):
                    later = pool.submit(modules.run, vin, sessions or [], part.fleet_status, part.fleet_status_note)
                live = read_live_data(fleet, vin, summary, policy)
                if isinstance(live, WaitForCar):
                    self._wait(report, task, run_id, live)
                    return None
                if later is None:  # cannot happen (only a wake skips the modules), but never go without
                    later = pool.submit(modules.run, vin, sessions or [], part.fleet_status, part.fleet_status_note)
                fetched = later.result()
        except ReconnectRequiredError:
            self.fail(report.report_id, vin, "reconnect_required")
            return None
        except TeslaNotFoundError:
            self.fail(report.report_id, vin, "vehicle_not_on_account")
            return None
        notes = live.notes + ([charging_note] if charging_note else [])
        snapshot = self._snapshot(
            account, report, vin, summary, live, sessions, notes, fetched, account_sources, recorder
        )
        self.blobs.put(
            object_names.snapshot_object(account.account_id, report.report_id, vin),
            snapshot.model_dump_json(indent=2).encode(),
            "application/json",
        )
        return snapshot

    def _finish(self, account: Account, report: ReportRequest, vin: str, snapshot: VehicleSnapshot) -> None:
        """Render from the stored snapshot, upload, and mark the VIN done with what is missing."""
        self.reports.update_vin(report.report_id, vin, {"status": VinStatus.RENDERING.value, "step": "rendering PDF"})
        names = self._store(account, report, vin, snapshot)
        missing = report_life.missing_from_notes((n.section, n.reason, n.detail) for n in snapshot.notes)
        finished = self.reports.finish_vin(
            report.report_id,
            vin,
            VinStatus.DONE,
            {"step": "done", **names, "missing": [m.model_dump() for m in missing]},
        )
        if finished:
            self.after_finish(report.report_id)
        log.info(
            "vehicle report done",
            extra=log_fields(report=report.report_id, vin=mask_vin(vin), missing=[m.section for m in missing]),
        )

    def fail(self, report_id: str, vin: str, code: str) -> None:
        """Give up on a VIN with a reason code (its message is chosen in the owner's language)."""
        text = report_life.FAILURE_CODES.get(code, code)
        if self.reports.finish_vin(
            report_id, vin, VinStatus.FAILED, {"error": text, "error_code": code, "step": "failed"}
        ):
            log.warning("vehicle report failed", extra=log_fields(report=report_id, vin=mask_vin(vin), code=code))
            self.after_finish(report_id)

    def after_finish(self, report_id: str) -> None:
        """Once no VIN is open any more, queue the finalisation (its task name makes it once)."""
        if self.reports.unfinished_vins(report_id) == 0:
            report = self.reports.get(report_id)
            retry = report.retries if report else 0  # a retried VIN's report is finalised again
            self.queue.enqueue(WorkerTask(kind=TaskKind.FINALISE, report_id=report_id, retry=retry))

    def _lease_left(self, report: ReportRequest, vin: str) -> float:
        current = self.reports.vin(report.report_id, vin)
        if current is None or current.run_lease_until is None:
            return 1.0
        return max(1.0, (current.run_lease_until - self.clock()).total_seconds())

    def _summary(self, fleet: FleetApi, part: VinPartition, task: WorkerTask, vin: str) -> VehicleSummary:
        """The state Tesla listed at request time while it is fresh, else GET /vehicles/{vin}.

        A later round (after a wake or an unreachable car) always asks again: the state changed."""
        seen = part.seen_at
        fresh = seen is not None and (self.clock() - seen).total_seconds() <= self.state_fresh_seconds
        if part.summary is not None and fresh and task.wait_round == 0:
            return part.summary
        return fleet.vehicle(vin)

    def _policy(self, account: Account, report: ReportRequest, task: WorkerTask) -> LivePolicy:
        return LivePolicy(
            allow_wake=report.options.allow_wake,
            wait_round=task.wait_round,
            max_wait_rounds=self.max_wait_rounds,
            wake_wait_seconds=self.wake_wait_seconds,
            offline_wait_seconds=self.offline_wait_seconds,
            # Location only when the owner granted it (firmware 2023.38+ needs the scope).
            with_location="vehicle_location" in account.scopes,
        )

    def _wait(self, report: ReportRequest, task: WorkerTask, run_id: str, wait: WaitForCar) -> None:
        """Let go of the lease, then re-queue the task for later (if that enqueue is lost, the
        sweeper finds the VIN once `wait_until` has passed)."""
        until = self.clock() + timedelta(seconds=wait.seconds)
        self.reports.end_run(
            report.report_id,
            task.vin or "",
            run_id,
            {
                "status": VinStatus.WAITING_FOR_VEHICLE.value,
                "step": wait.step,
                "wait_reason": wait.reason,
                "wait_until": until,
            },
        )
        self.queue.enqueue(task.model_copy(update={"wait_round": task.wait_round + 1}), delay_seconds=wait.seconds)

    def _partner(self, account: Account, recorder: RawRecorder) -> Callable[[], FleetApi] | None:
        if self.partner_fleet_for_account is None:
            return None
        factory = self.partner_fleet_for_account
        return lambda: factory(account, recorder)

    def _snapshot(
        self,
        account: Account,
        report: ReportRequest,
        vin: str,
        summary: VehicleSummary,
        live: LiveData,
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
        vehicle = fetched.model_copy(
            update={
                "summary": summary,
                "data": live.data,
                "sessions": sessions,
                "notes": notes + fetched.notes,
                "sources": sources,
            }
        )
        snapshot = build_snapshot(
            vehicle,
            report_id=report.report_id,
            vin=vin,
            region=account.region,
            generated_at=self.clock(),
            language=report.options.language,
        )
        # Every call of this vehicle is made by now: its bill so far (earlier runs and this one).
        earlier = self.reports.vin(report.report_id, vin)
        calls = billing.add_calls(earlier.tesla_calls if earlier else {}, recorder.billed_calls())
        bill = TeslaBill(calls=calls, cost_usd=billing.cost_usd(calls, self.prices), prices_as_of=self.prices.as_of)
        return with_battery_health(snapshot).model_copy(update={"tesla_bill": bill})

    def _store(self, account: Account, report: ReportRequest, vin: str, snapshot: VehicleSnapshot) -> dict[str, str]:
        """JSON view and PDF from the (already stored) snapshot; returns the object names."""
        names = {
            "snapshot_object": object_names.snapshot_object(account.account_id, report.report_id, vin),
            "pdf_object": object_names.pdf_object(account.account_id, report.report_id, vin),
        }
        if self.render_json is not None:
            view = json.dumps(self.render_json(snapshot), ensure_ascii=False, indent=2).encode()
            names["json_object"] = object_names.json_view_object(account.account_id, report.report_id, vin)
            self.blobs.put(names["json_object"], view, "application/json")
        pdf = self.seal(account.account_id, snapshot) if self.seal else self.render_pdf(snapshot)
        self.blobs.put(names["pdf_object"], pdf, "application/pdf")
        return names

    def _charging_partition(self, account: Account, report: ReportRequest, vin: str) -> VinPartition:
        raw = self.blobs.get(object_names.charging_partition(account.account_id, report.report_id, vin))
        if raw is None:
            note = SectionNote(section="charging_history", state=SectionState.FAILED, reason="reason.not_prepared")
            return VinPartition(note=note)
        return VinPartition.model_validate_json(raw)
