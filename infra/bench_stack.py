"""Whole reports through the running local stack (API host, Cloud Tasks emulator, one worker
process), timed against their critical-path bound; the worker's first VIN task against a warm
one; each function's peak memory against its deployed limit."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from carpulse.domain.tasks import TaskKind, WorkerTask
from infra.bench_report import InProcessReports
from infra.functions import FUNCTIONS, spec
from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import LocalStack

DISPATCHES = 8  # the queue's max concurrent dispatches (stack.py _seed, infra/deploy)


@dataclass(frozen=True)
class Timed:
    """A report through the stack: its wall time and the bound its own tasks' durations give."""

    wall: float
    bound: float
    detail: str


def timed_report(stack: LocalStack, api: ApiClient, vins: list[str]) -> Timed:
    """Request a report, wait for it; bound = request + prepare + VIN tasks + finalise, where the
    VIN tasks take at least their slowest one and their sum spread over the dispatch slots."""
    started = time.time()
    response = api.request_report(vins)
    requested = time.time() - started
    response.raise_for_status()
    report_id = response.json()["response"]["report_id"]
    api.wait(report_id, timeout=600)
    attempts = _attempts(stack, report_id, until=time.time() + 30)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for a in attempts:
        by_kind.setdefault(a["task"].split("-")[0], []).append(a)
    seconds = {k: [a["duration_ms"] / 1000 for a in v] for k, v in by_kind.items()}
    vin_tasks = seconds.get("vehicle", [0.0])
    vins_bound = max(max(vin_tasks), sum(vin_tasks) / DISPATCHES)
    bound = requested + sum(seconds.get("prepare", [])) + vins_bound + sum(seconds.get("finalise", []))
    final = by_kind["finalise"][-1]
    wall = final["started_at"] + final["duration_ms"] / 1000 - started
    detail = f"{wall:.1f}s against {bound:.1f}s (slowest VIN {max(vin_tasks):.1f}s)"
    return Timed(wall=wall, bound=bound, detail=detail)


def _attempts(stack: LocalStack, report_id: str, until: float) -> list[dict[str, Any]]:
    """The report's task attempts, once its finalise attempt is logged."""
    while True:
        log = requests.get(f"{stack.urls['tasks']}/_emulator/attempts", timeout=10).json()
        mine = [a for a in log if report_id in a["task"]]
        if any(a["task"].startswith("finalise") for a in mine) or time.time() > until:
            return mine
        time.sleep(0.1)


def first_and_warm_vin_task(stack: LocalStack, reports: InProcessReports, vin: str) -> tuple[float, float]:
    """Seconds of the worker's first VIN task in a new process, then of the same task warm.

    Prepare runs here, so the VIN task is the first request the new worker process serves; one
    report before fills the VIN's cache, so both tasks make the same calls."""
    _vin_task(stack, reports, vin)
    stack.wait_idle()  # its finalisation done: nothing else reaches the new process first
    stack.kill_function("report_worker")
    stack.wait_function("report_worker")
    return _vin_task(stack, reports, vin), _vin_task(stack, reports, vin)


def _vin_task(stack: LocalStack, reports: InProcessReports, vin: str) -> float:
    reports.queue.tasks.clear()
    reports.run([vin], stop_before=lambda task: task.kind is TaskKind.VEHICLE, close=False)
    task: WorkerTask = reports.queue.tasks.pop(0)
    started = time.perf_counter()
    response = requests.post(
        stack.urls["report_worker"],
        data=task.model_dump_json(),
        headers={"Authorization": f"Bearer {stack.id_token('report_worker')}", "Content-Type": "application/json"},
        timeout=120,
    )
    response.raise_for_status()
    return time.perf_counter() - started


def peak_memory(stack: LocalStack) -> dict[str, tuple[float, float]]:
    """Each function's peak resident memory (MiB, its processes together) and its limit (MiB)."""
    out = {}
    for proc in stack.procs:
        if proc.name in FUNCTIONS and proc.popen.poll() is None:
            pids = [proc.popen.pid, *_children(proc.popen.pid)]
            peak = sum(_status_kib(pid, "VmHWM") for pid in pids) / 1024
            out[proc.name] = (peak, _mebibytes(spec(proc.name).memory))
    return out


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _mebibytes(size: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(size[:-2]) * units[size[-2:]]


def api_for(stack: LocalStack) -> ApiClient:
    """The frontend API, signed in as the scenario's owner."""
    return ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
