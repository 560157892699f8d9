"""Dispatch of worker tasks, and what happens when a task has used its last attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import CarPulseError
from carpulse.logs import log_fields
from carpulse.services.prepare import PrepareService
from carpulse.services.vehicle_report import VehicleReportService

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """Runs prepare and vehicle tasks; on the final attempt a failure is recorded, not retried."""

    prepare: PrepareService
    vehicle: VehicleReportService
    max_attempts: int = 5

    def handle(self, task: WorkerTask, retry_count: int) -> str:
        """Run one task; re-raises for Cloud Tasks to retry unless this was the last attempt."""
        try:
            if task.kind is TaskKind.PREPARE:
                self.prepare.run(task.report_id)
            else:
                self.vehicle.run(task)
        except Exception as exc:
            if retry_count + 1 < self.max_attempts:
                raise
            reason = exc.description if isinstance(exc, CarPulseError) else "internal error while building the report"
            log.exception(
                "task failed on its last attempt", extra=log_fields(report=task.report_id, kind=task.kind.value)
            )
            if task.kind is TaskKind.PREPARE:
                self.prepare.fail_report(task.report_id, reason)
            else:
                self.vehicle.fail(task.report_id, task.vin or "", reason)
            return "failed"
        return "done"
