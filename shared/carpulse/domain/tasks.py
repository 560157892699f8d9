"""Payloads of the worker's Cloud Tasks, and their deterministic names."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class TaskKind(StrEnum):
    PREPARE = "prepare"
    VEHICLE = "vehicle"
    FINALISE = "finalise"
    RENDITION = "rendition"


class WorkerTask(BaseModel):
    """Body of a task sent to the report worker."""

    model_config = ConfigDict(extra="forbid")

    kind: TaskKind
    report_id: str
    vin: str | None = None
    language: str | None = None  # a rendition's language
    wait_round: int = 0  # bumped each time the task waits for a car (waking, unreachable)
    defer: int = 0  # bumped each time the task is put off (rate limit, another run in flight)
    sweep: int = 0  # bumped each time the sweeper re-queues stalled work
    retry: int = 0  # the report's retry round (a failed VIN tried again after the report finished)

    def task_id(self) -> str:
        """Deterministic Cloud Tasks id, so enqueueing the same work twice is a no-op.

        Each re-queue (a wait, a deferral, a sweep) is new work with a name of its own: Cloud Tasks
        refuses a name for a while after its task ran. The VIN is hashed: task names show up in
        Cloud Console and logs, full VINs must not.
        """
        rounds = "".join(f"-{tag}{n}" for tag, n in (("r", self.retry), ("d", self.defer), ("s", self.sweep)) if n)
        if self.kind is TaskKind.RENDITION:
            return f"rendition-{self.report_id}-{self.language}{rounds}"
        if self.kind is not TaskKind.VEHICLE:
            suffix = f"-w{self.wait_round}" if self.wait_round else ""
            return f"{self.kind.value}-{self.report_id}{suffix}{rounds}"
        digest = hashlib.sha256((self.vin or "").encode()).hexdigest()[:16]
        return f"vehicle-{self.report_id}-{digest}-w{self.wait_round}{rounds}"
