"""The sweeper: every report reaches a final state.

Cloud Tasks gives up on a task after its last attempt, and a last attempt that never reached our
code (the worker unreachable, or killed mid-task) records nothing. So a scheduled sweep looks at
every open report: work that shows no progress for REPORT_STALL_SECONDS is queued again (under a
new task name, so repeats stay idempotent) a couple of times, then closed as failed with a reason.
A VIN that waits for its car (`wait_until`) or is held by a live run lease is not stalled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel

from carpulse.domain import report_life
from carpulse.domain.models import ReportRequest, ReportStatus, VinProgress, VinStatus
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.gcp.ports import Clock, ReportStore, TaskQueue
from carpulse.logs import log_fields, mask_vin

log = logging.getLogger(__name__)


class SweepSummary(BaseModel):
    """What one sweep did."""

    open_reports: int = 0
    requeued: int = 0
    closed_vins: int = 0
    closed_reports: int = 0
    errors: int = 0


@dataclass(kw_only=True)
class Sweeper:
    """Re-queues or closes stalled work; one report's trouble never stops the sweep."""

    reports: ReportStore
    queue: TaskQueue
    clock: Clock
    stall_seconds: float

    def run(self) -> SweepSummary:
        """One pass over every open report."""
        summary = SweepSummary()
        for report in self.reports.open_reports():
            summary.open_reports += 1
            try:
                self._sweep(report, summary)
            except Exception:
                summary.errors += 1
                log.exception("sweep of a report failed", extra=log_fields(report=report.report_id))
        if summary.requeued or summary.closed_vins or summary.closed_reports or summary.errors:
            log.info("sweep", extra=log_fields(**summary.model_dump()))
        return summary

    def _sweep(self, report: ReportRequest, summary: SweepSummary) -> None:
        now = self.clock()
        if report.status in (ReportStatus.QUEUED, ReportStatus.PREPARING):
            if report_life.is_stalled(report.updated_at, now, self.stall_seconds):
                self._report_task(report, TaskKind.PREPARE, summary)
            return
        progress = self.reports.progress(report.report_id)
        if report_life.all_finished(progress):
            # Every VIN finished but the report is still open: its finalisation was lost.
            last = max((p.updated_at for p in progress), default=report.updated_at)
            if report_life.is_stalled(max(last, report.updated_at), now, self.stall_seconds):
                self._report_task(report, TaskKind.FINALISE, summary)
            return
        for item in progress:
            if self._stalled(item):
                self._vin_task(report, item, summary)

    def _stalled(self, item: VinProgress) -> bool:
        now = self.clock()
        if item.status.is_terminal or not report_life.run_lease_free(item, now):
            return False
        if item.wait_until is not None and item.wait_until > now:
            return False
        return report_life.is_stalled(item.updated_at, now, self.stall_seconds)

    def _vin_task(self, report: ReportRequest, item: VinProgress, summary: SweepSummary) -> None:
        if report_life.sweep_gives_up(item.sweeps):
            text = report_life.FAILURE_CODES["timed_out"]
            if self.reports.finish_vin(
                report.report_id,
                item.vin,
                VinStatus.FAILED,
                {"error": text, "error_code": "timed_out", "step": "failed"},
            ):
                summary.closed_vins += 1
                log.warning("stalled vehicle closed", extra=log_fields(report=report.report_id, vin=mask_vin(item.vin)))
                if self.reports.unfinished_vins(report.report_id) == 0:
                    self.queue.enqueue(
                        WorkerTask(kind=TaskKind.FINALISE, report_id=report.report_id, retry=report.retries)
                    )
            return
        self.reports.count_sweep(report.report_id, item.vin)
        task = WorkerTask(
            kind=TaskKind.VEHICLE, report_id=report.report_id, vin=item.vin, sweep=item.sweeps + 1, retry=report.retries
        )
        self.queue.enqueue(task)
        summary.requeued += 1

    def _report_task(self, report: ReportRequest, kind: TaskKind, summary: SweepSummary) -> None:
        if report_life.sweep_gives_up(report.sweeps):
            self._close(report, summary)
            return
        self.reports.count_sweep(report.report_id)
        self.queue.enqueue(
            WorkerTask(kind=kind, report_id=report.report_id, sweep=report.sweeps + 1, retry=report.retries)
        )
        summary.requeued += 1

    def _close(self, report: ReportRequest, summary: SweepSummary) -> None:
        """Close a report whose own tasks (prepare or finalise) never got through."""
        text = report_life.FAILURE_CODES["timed_out"]
        for item in self.reports.progress(report.report_id):
            if not item.status.is_terminal:
                self.reports.finish_vin(
                    report.report_id,
                    item.vin,
                    VinStatus.FAILED,
                    {"error": text, "error_code": "timed_out", "step": "failed"},
                )
                summary.closed_vins += 1
        outcome = report_life.report_outcome(self.reports.progress(report.report_id))
        if self.reports.close(report.report_id, outcome, {"error": text, "error_code": "timed_out"}):
            summary.closed_reports += 1
            log.warning("stalled report closed", extra=log_fields(report=report.report_id, outcome=outcome))
