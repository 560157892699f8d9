"""Reports run in this process against a running local stack (its emulators, its simulator with
added latency), task by task, so each task's Tesla calls, storage operations and round trips are
its own: billed calls against the minimum plan, storage per VIN task, round trips per phase."""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.domain.tasks import TaskKind, WorkerTask
from infra.bench_common import between, billed, clear_log, round_trips, tesla_log
from infra.local.owner import SimulatedOwner
from infra.local.stack import LocalStack

PAGE = 100  # Tesla's largest charging-history page


class CountingBlobs:
    """A BlobStore that counts every operation (put, get, sign, list, delete) it passes on."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.count = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.count += 1
            return attribute(*args, **kwargs)

        return counted


@dataclass
class ListQueue:
    """A TaskQueue that keeps the tasks for this process to run, in order."""

    tasks: list[WorkerTask] = field(default_factory=list)

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        """Keep the task (no delay: the bench runs it next)."""
        self.tasks.append(task)
        return True


@dataclass(frozen=True)
class TaskRun:
    """One task as it ran."""

    kind: TaskKind
    vin: str | None
    start: float
    end: float
    storage_ops: int


@dataclass(frozen=True)
class ReportRun:
    """One whole report, run here."""

    report_id: str
    tasks: list[TaskRun]
    log: list[dict[str, Any]]

    def billed(self) -> int:
        """Billed Tesla calls of the whole report, its request included."""
        return billed(self.log)

    def round_trips(self, kind: TaskKind) -> int:
        """The most round trips one task of this kind spent waiting for Tesla."""
        runs = [t for t in self.tasks if t.kind is kind]
        return max((round_trips(between(self.log, t.start, t.end)) for t in runs), default=0)

    def storage_per_vin(self) -> float:
        """Storage operations per VIN task (mean)."""
        runs = [t.storage_ops for t in self.tasks if t.kind is TaskKind.VEHICLE]
        return sum(runs) / max(1, len(runs))


class InProcessReports:
    """The app wired like the functions (same settings), with counting storage and a local queue."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        # The Google clients read these from the process environment: point them at this stack.
        for name in ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST"):
            os.environ[name] = stack.env[name]
        self.app = Container(settings_from_env(stack.env))
        self.blobs = CountingBlobs(self.app.blobs)
        self.queue = ListQueue()
        self.app.__dict__.update(blobs=self.blobs, queue=self.queue)  # before any service is built
        token = SimulatedOwner(stack.api_url).connect()
        self.account = self.app.session_service.authenticate(token)

    def run(
        self, vins: list[str], *, stop_before: Callable[[WorkerTask], bool] | None = None, close: bool = True
    ) -> ReportRun:
        """Request a report and run its tasks one by one (until `stop_before` says so; then the
        report is closed unless `close` is False: the caller runs what is left)."""
        from carpulse.services.reports import ReportCreate

        sim = self.stack.urls["tesla"]
        clear_log(sim)
        start = time.time()
        self.blobs.count = 0
        view = self.app.reports_service.request_report(self.account, ReportCreate(vins=vins))
        runs = [TaskRun(TaskKind.PREPARE, "request", start, time.time(), self.blobs.count)]
        while self.queue.tasks and not (stop_before and stop_before(self.queue.tasks[0])):
            task = self.queue.tasks.pop(0)
            self.blobs.count = 0
            began = time.time()
            self.app.worker.handle(task, 0)
            runs.append(TaskRun(task.kind, task.vin, began, time.time(), self.blobs.count))
        if self.queue.tasks and close:
            # Tasks left unrun: close the report, or the sweeper re-queues them into the stack.
            self.app.worker.prepare.fail_report(view.report_id, "internal_error")
            self.queue.tasks.clear()
        return ReportRun(report_id=view.report_id, tasks=runs[1:], log=tesla_log(sim))


@dataclass(frozen=True)
class Scenario:
    """What a simulator scenario holds, for the minimum plan."""

    vehicles: dict[str, str]  # VIN → state
    sessions: dict[str, int]  # VIN → sessions
    invoices: dict[str, int]  # VIN → invoices

    @classmethod
    def read(cls, folder: Path) -> Scenario:
        """The scenario's account, sessions and invoices."""
        meta = json.loads((folder / "scenario.json").read_text())
        history = json.loads((folder / "charging_history.json").read_text())
        sessions: dict[str, int] = {}
        invoices: dict[str, int] = {}
        for s in history:
            sessions[s["vin"]] = sessions.get(s["vin"], 0) + 1
            ids = {i.get("contentId") for i in s.get("invoices") or [] if i.get("contentId")}
            invoices[s["vin"]] = invoices.get(s["vin"], 0) + len(ids)
        return cls({v["vin"]: v["state"] for v in meta["vehicles"]}, sessions, invoices)


def minimum_plan(scenario: Scenario, vins: list[str], *, cached: bool, specs: bool = True) -> int:
    """The fewest billed calls that give a report the same content (README: "The minimum plan")."""
    calls = math.ceil(len(scenario.vehicles) / PAGE)  # the vehicle list: ownership and state
    if set(vins) == set(scenario.vehicles):
        calls += max(1, math.ceil(sum(scenario.sessions.values()) / PAGE))
    else:
        calls += sum(max(1, math.ceil(scenario.sessions.get(v, 0) / PAGE)) for v in vins)
    calls += 1  # fleet_status for every VIN at once (keys, firmware version)
    for vin in vins:
        calls += scenario.vehicles[vin] == "online"  # vehicle_data: only an online car answers
        calls += 3  # service_data, recent_alerts, warranty: they change at any time
        if not cached:
            calls += 2 + specs + scenario.invoices.get(vin, 0)  # release notes, options, specs, invoices
    return calls
