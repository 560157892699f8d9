"""Dispatch of worker tasks: retries, deferrals, and what happens on a task's last attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import ReconnectRequiredError, RetryLaterError
from carpulse.gcp.ports import TaskQueue
from carpulse.logs import log_fields
from carpulse.services.finalise import FinaliseService
from carpulse.services.prepare import PrepareService
from carpulse.services.renditions import RenditionService
from carpulse.services.vehicle_report import VehicleReportService
from carpulse.tesla.errors import LoginRequiredError, PartnerNotRegisteredError, RateLimitedError, TeslaError

log = logging.getLogger(__name__)
MAX_DEFERRALS = 8


@dataclass(kw_only=True)
class Worker:
    """Runs tasks. A rate limit re-schedules the task after Tesla's Retry-After instead of letting
    Cloud Tasks hammer on with its own backoff; other failures are retried by Cloud Tasks, and the
    last attempt records a failure instead of leaving the report hanging."""

    prepare: PrepareService
    vehicle: VehicleReportService
    finalise: FinaliseService
    queue: TaskQueue
    max_attempts: int = 5
    renditions: RenditionService | None = None

    def handle(self, task: WorkerTask, retry_count: int) -> str:
        """Run one task; re-raises for Cloud Tasks to retry unless this was the last attempt."""
        try:
            self._run(task)
        except (RateLimitedError, RetryLaterError) as exc:
            if exc.retry_after and task.defer < MAX_DEFERRALS:
                self.queue.enqueue(task.model_copy(update={"defer": task.defer + 1}), exc.retry_after)
                log.info(
                    "task deferred",
                    extra=log_fields(report=task.report_id, seconds=exc.retry_after, why=type(exc).__name__),
                )
                return "deferred"
            return self._failed_or_raise(task, retry_count, exc)
        except Exception as exc:
            return self._failed_or_raise(task, retry_count, exc)
        return "done"

    def _run(self, task: WorkerTask) -> None:
        if task.kind is TaskKind.PREPARE:
            self.prepare.run(task.report_id)
        elif task.kind is TaskKind.VEHICLE:
            self.vehicle.run(task)
        elif task.kind is TaskKind.RENDITION:
            if self.renditions is not None:
                self.renditions.run(task.report_id, task.language or "")
        else:
            self.finalise.run(task.report_id)

    def _failed_or_raise(self, task: WorkerTask, retry_count: int, exc: Exception) -> str:
        if retry_count + 1 < self.max_attempts:
            raise exc
        code = failure_code(exc)
        log.error(
            "task failed on its last attempt",
            exc_info=exc,
            extra=log_fields(report=task.report_id, kind=task.kind.value, code=code),
        )
        if task.kind is TaskKind.PREPARE:
            self.prepare.fail_report(task.report_id, code)
        elif task.kind is TaskKind.VEHICLE:
            self.vehicle.fail(task.report_id, task.vin or "", code)
        elif task.kind is TaskKind.RENDITION:
            if self.renditions is not None:
                self.renditions.fail(task.report_id, task.language or "", code)
        else:
            self.finalise.close_without_files(task.report_id, code)
        return "failed"


def failure_code(exc: Exception) -> str:
    """The reason code an owner sees for a task that gave up (the exception text goes to logs)."""
    if isinstance(exc, ReconnectRequiredError | LoginRequiredError):
        return "reconnect_required"
    if isinstance(exc, PartnerNotRegisteredError):
        return "partner_not_registered"
    if isinstance(exc, RateLimitedError):
        return "rate_limited"
    if isinstance(exc, TeslaError | RetryLaterError):
        return "tesla_unavailable"
    return "internal_error"
