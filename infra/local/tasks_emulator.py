"""Local Cloud Tasks v2 REST emulator that really dispatches HTTP tasks (retries, backoff, concurrency).

A task with an `oidcToken` is dispatched with `Authorization: Bearer <ID token>`, a real signed
token for its service account and audience (the task's URL unless it names one), minted per
attempt by the local identity stand-in (infra/local/identity.py), as Cloud Tasks does.

Usage: python -m infra.local.tasks_emulator --host 127.0.0.1 --port 8123 [--identity-url URL]
"""

from __future__ import annotations

import argparse
import base64
import itertools
import logging
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, request

from infra.local._http_server import (
    ApiError,
    Route,
    ThreadedHttpServer,
    add_api_routes,
    cli_parser,
    dur_json,
    make_app,
    parse_dur,
    parse_ts,
    run_until_signalled,
    ts_json,
)
from infra.local.identity import fetch_id_token

log = logging.getLogger("tasks_emulator")

_METHODS = {1: "POST", 2: "GET", 3: "HEAD", 4: "PUT", 5: "DELETE", 6: "PATCH", 7: "OPTIONS"}
_LOC = r"projects/[^/]+/locations/[^/]+"
_QUEUE = _LOC + r"/queues/[A-Za-z0-9-]{1,100}"
_TASK = _QUEUE + r"/tasks/[A-Za-z0-9_-]{1,500}"
_MAX_WORKERS_PER_QUEUE = 200  # one thread per concurrent slot; cap so a typo can't spawn thousands
_DEFAULT_DEADLINE_S = 600.0


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


@dataclass
class _Queue:
    name: str
    max_concurrent: int
    max_attempts: int
    min_backoff: float
    max_backoff: float
    max_doublings: int
    tasks: dict[str, _Task] = field(default_factory=dict)
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    attempts: int = 0
    dropped: bool = False  # set on delete/reset so its workers exit

    def backoff(self, failures: int) -> float:
        """Delay before the next attempt: doubles max_doublings times, then grows linearly, capped."""
        k = failures - 1
        base = self.min_backoff * 2 ** min(k, self.max_doublings)
        delay = base if k <= self.max_doublings else base * (1 + k - self.max_doublings)
        return min(delay, self.max_backoff)

    def to_json(self) -> dict[str, Any]:
        """Queue resource JSON."""
        return {
            "name": self.name,
            "rateLimits": {
                "maxDispatchesPerSecond": 500.0,
                "maxBurstSize": 100,
                "maxConcurrentDispatches": self.max_concurrent,
            },
            "retryConfig": {
                "maxAttempts": self.max_attempts,
                "minBackoff": dur_json(self.min_backoff),
                "maxBackoff": dur_json(self.max_backoff),
                "maxDoublings": self.max_doublings,
                "maxRetryDuration": "0s",
            },
            "state": "RUNNING",
        }


@dataclass
class _Task:
    name: str
    queue: _Queue
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    auth: dict[str, Any]  # oidcToken / oauthToken as given, echoed back in responses
    schedule_time: float
    create_time: float
    deadline: float
    seq: int
    dispatch_count: int = 0
    response_count: int = 0
    last_status: int | None = None
    running: bool = False
    deleted: bool = False
    first_attempt: dict[str, Any] | None = None
    last_attempt: dict[str, Any] | None = None

    def to_json(self, full: bool) -> dict[str, Any]:
        """Task resource JSON; the body is only part of the FULL view, as in Cloud Tasks."""
        http: dict[str, Any] = {"url": self.url, "httpMethod": self.method, "headers": self.headers}
        if full and self.body:
            http["body"] = base64.b64encode(self.body).decode()
        http.update(self.auth)
        out: dict[str, Any] = {
            "name": self.name,
            "httpRequest": http,
            "scheduleTime": ts_json(self.schedule_time),
            "createTime": ts_json(self.create_time),
            "dispatchDeadline": dur_json(self.deadline),
            "dispatchCount": self.dispatch_count,
            "responseCount": self.response_count,
            "view": "FULL" if full else "BASIC",
        }
        attempts = {"firstAttempt": self.first_attempt, "lastAttempt": self.last_attempt}
        return out | {k: v for k, v in attempts.items() if v}


class TasksEmulator:
    """In-process Cloud Tasks emulator: REST API for the real client plus an HTTP dispatcher."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        id_tokens: Callable[[str, str], str] | None = None,
        *,
        auto_create_queues: bool = True,
        max_attempts: int = 5,
        min_backoff: float = 0.1,
        max_backoff: float = 3.0,
        max_doublings: int = 16,
        max_concurrent: int = 10,
    ) -> None:
        self._id_tokens = id_tokens  # (audience, service account) → a signed ID token
        self._auto_create = auto_create_queues
        self._defaults = {
            "max_attempts": max_attempts,
            "min_backoff": min_backoff,
            "max_backoff": max_backoff,
            "max_doublings": max_doublings,
            "max_concurrent": max_concurrent,
        }
        self._cond = threading.Condition()
        self._queues: dict[str, _Queue] = {}
        self._used_names: set[str] = set()  # Cloud Tasks refuses re-use of a task name, even after it ran
        self._attempt_log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._seq = itertools.count()
        self._inflight = 0  # global, survives reset, so idle stays honest while an old attempt finishes
        self._stopping = False
        self._workers: list[threading.Thread] = []
        self.app = self._build_app()
        self._http = ThreadedHttpServer(self.app, host, port)

    # ----- lifecycle -----
    @property
    def url(self) -> str:
        """Base URL to pass as the client's api_endpoint."""
        return self._http.url

    def start(self) -> None:
        """Start serving the API; dispatch workers are started per queue as queues appear."""
        self._http.start()
        log.info("tasks emulator listening on %s", self.url)

    def stop(self) -> None:
        """Stop the API server and dispatch workers for good (in-flight attempts are abandoned after 2s)."""
        self._http.stop()
        with self._cond:
            self._stopping = True
            workers, self._workers = self._workers, []
            self._cond.notify_all()
        deadline = time.monotonic() + 2.0
        for w in workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))

    def reset(self) -> None:
        """Drop all queues, tasks, remembered task names and logs."""
        with self._cond:
            for q in self._queues.values():
                q.dropped = True
            self._queues.clear()
            self._used_names.clear()
            self._attempt_log.clear()
            self._workers = [w for w in self._workers if w.is_alive()]
            self._cond.notify_all()

    def _idle_locked(self) -> bool:
        return self._inflight == 0 and not any(q.tasks for q in self._queues.values())

    def is_idle(self) -> bool:
        """True when no task is pending (including scheduled for later) or running anywhere."""
        with self._cond:
            return self._idle_locked()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until idle or timeout; returns whether the emulator became idle."""
        with self._cond:
            return self._cond.wait_for(self._idle_locked, timeout)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per-queue counters keyed by full queue name."""
        with self._cond:
            return {
                n: {
                    "pending": len(q.tasks) - sum(t.running for t in q.tasks.values()),
                    "running": q.running,
                    "succeeded": q.succeeded,
                    "failed": q.failed,
                    "attempts": q.attempts,
                }
                for n, q in self._queues.items()
            }

    def attempts(self) -> list[dict[str, Any]]:
        """Log of dispatch attempts, oldest first."""
        with self._cond:
            return list(self._attempt_log)

    # ----- queue/task model (all called with the lock held) -----
    def _create_queue(self, name: str, body: dict[str, Any]) -> _Queue:
        rl, rc, d = body.get("rateLimits") or {}, body.get("retryConfig") or {}, self._defaults
        q = _Queue(
            name=name,
            max_concurrent=min(int(rl.get("maxConcurrentDispatches") or d["max_concurrent"]), _MAX_WORKERS_PER_QUEUE),
            # proto3 JSON omits zero values, so 0/absent both mean "emulator default".
            max_attempts=int(rc.get("maxAttempts") or d["max_attempts"]),
            min_backoff=parse_dur(rc.get("minBackoff"), d["min_backoff"]),
            max_backoff=parse_dur(rc.get("maxBackoff"), d["max_backoff"]),
            max_doublings=int(rc.get("maxDoublings") or d["max_doublings"]),
        )
        self._queues[name] = q
        for i in range(q.max_concurrent):
            w = threading.Thread(target=self._worker, args=(q,), daemon=True, name=f"{_short(name)}-{i}")
            self._workers.append(w)
            w.start()
        log.info("queue created: %s (concurrency %d, maxAttempts %d)", _short(name), q.max_concurrent, q.max_attempts)
        return q

    def _get_queue(self, name: str) -> _Queue:
        q = self._queues.get(name)
        if q is None:
            raise ApiError(404, f"Queue does not exist: {name}")
        return q

    def _new_task(self, parent: str, body: dict[str, Any]) -> _Task:
        t = body.get("task") or {}
        hr = t.get("httpRequest")
        if not hr:
            raise ApiError(400, "The emulator only supports tasks with an httpRequest target.")
        url = hr.get("url") or ""
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, f"Invalid task url: {url!r}")
        raw_method = hr.get("httpMethod") or "POST"
        method = _METHODS.get(raw_method, "") if isinstance(raw_method, int) else str(raw_method).upper()
        if method not in _METHODS.values():
            raise ApiError(400, f"Invalid httpMethod: {raw_method!r}")
        name = t.get("name") or ""
        if name:
            if not re.fullmatch(_TASK, name) or not name.startswith(parent + "/tasks/"):
                raise ApiError(400, f"Invalid task name {name!r} for queue {parent}")
        else:
            name = f"{parent}/tasks/{random.getrandbits(63)}"
        if name in self._used_names:
            raise ApiError(409, f"Task name already used: {name}", "ALREADY_EXISTS")
        queue = self._queues.get(parent)
        if queue is None:
            if not self._auto_create:
                raise ApiError(404, f"Queue does not exist: {parent}")
            queue = self._create_queue(parent, {})
        headers = {str(k): str(v) for k, v in (hr.get("headers") or {}).items()}
        payload = base64.b64decode(hr.get("body") or "")
        if payload and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"  # Cloud Tasks' documented default for HTTP targets
        now = time.time()
        task = _Task(
            name=name,
            queue=queue,
            method=method,
            url=url,
            headers=headers,
            body=payload,
            auth={k: hr[k] for k in ("oidcToken", "oauthToken") if k in hr},
            schedule_time=parse_ts(t.get("scheduleTime"), now),
            create_time=now,
            deadline=parse_dur(t.get("dispatchDeadline"), _DEFAULT_DEADLINE_S),
            seq=next(self._seq),
        )
        self._used_names.add(name)
        queue.tasks[name] = task
        self._cond.notify_all()
        log.info("task created: %s/%s %s", _short(parent), _short(name), method)
        return task

    def _find_task(self, name: str) -> _Task:
        q = self._queues.get(name.rsplit("/tasks/", 1)[0])
        task = q.tasks.get(name) if q else None
        if task is None:
            raise ApiError(404, f"Task does not exist: {name}")
        return task

    # ----- dispatch -----
    def _worker(self, queue: _Queue) -> None:
        while True:
            with self._cond:
                task = self._next_due(queue)
                if task is None:
                    return
            self._attempt(task)

    def _next_due(self, queue: _Queue) -> _Task | None:
        while not self._stopping and not queue.dropped:
            waiting = [t for t in queue.tasks.values() if not t.running]
            if not waiting:
                self._cond.wait()
                continue
            task = min(waiting, key=lambda t: (t.schedule_time, t.seq))
            delay = task.schedule_time - time.time()
            if delay <= 0:
                task.running = True
                queue.running += 1
                self._inflight += 1
                return task
            self._cond.wait(timeout=delay)  # woken early by notify_all when tasks change
        return None

    def _attempt(self, task: _Task) -> None:
        q = task.queue
        with self._cond:
            retry_count, eta, prev = task.dispatch_count, task.schedule_time, task.last_status
            headers = dict(task.headers)
            headers.update(
                {
                    "User-Agent": "Google-Cloud-Tasks",
                    "X-CloudTasks-QueueName": _short(q.name),
                    "X-CloudTasks-TaskName": _short(task.name),
                    "X-CloudTasks-TaskRetryCount": str(retry_count),
                    "X-CloudTasks-TaskExecutionCount": str(task.response_count),
                    "X-CloudTasks-TaskETA": f"{eta:.6f}",
                }
            )
            if prev is not None:
                headers["X-CloudTasks-TaskPreviousResponse"] = str(prev)
            task.dispatch_count += 1
            q.attempts += 1
        oidc = task.auth.get("oidcToken")
        if isinstance(oidc, dict) and self._id_tokens is not None:
            audience = oidc.get("audience") or task.url
            try:
                headers["Authorization"] = f"Bearer {self._id_tokens(audience, oidc.get('serviceAccountEmail', ''))}"
            except Exception as exc:  # no token: the target refuses the attempt and it is retried
                log.warning("no ID token for %s: %s", _short(task.name), type(exc).__name__)
        started = time.time()
        status: int | None = None
        error: str | None = None
        try:
            with requests.request(
                task.method,
                task.url,
                headers=headers,
                data=task.body or None,
                timeout=task.deadline,
                allow_redirects=False,
            ) as resp:
                status = resp.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        duration_ms = round((time.time() - started) * 1000, 1)
        outcome = status if status is not None else error.split(":", 1)[0] if error else "?"
        log.info(
            "dispatch %s/%s attempt %d -> %s (%.0f ms)",
            _short(q.name),
            _short(task.name),
            retry_count + 1,
            outcome,
            duration_ms,
        )
        with self._cond:
            self._finish_attempt(task, retry_count, status, error, started, duration_ms)
            self._cond.notify_all()

    def _finish_attempt(
        self, task: _Task, retry_count: int, status: int | None, error: str | None, started: float, duration_ms: float
    ) -> None:
        q = task.queue
        task.running = False
        q.running -= 1
        self._inflight -= 1
        if q.dropped:
            return  # queue deleted or emulator reset mid-attempt: nothing left to account to
        self._attempt_log.append(
            {
                "queue": _short(q.name),
                "task": _short(task.name),
                "attempt": retry_count + 1,
                "status": status,
                "error": error,
                "started_at": started,
                "duration_ms": duration_ms,
            }
        )
        attempt = {"scheduleTime": ts_json(task.schedule_time), "dispatchTime": ts_json(started)}
        if status is not None:
            task.response_count += 1
            task.last_status = status
            attempt.update(responseTime=ts_json(time.time()), responseStatus={"code": status})
        task.first_attempt = task.first_attempt or attempt
        task.last_attempt = attempt
        if task.deleted:
            return
        if status is not None and 200 <= status < 300:
            q.tasks.pop(task.name, None)
            q.succeeded += 1
        elif q.max_attempts != -1 and task.dispatch_count >= q.max_attempts:
            q.tasks.pop(task.name, None)
            q.failed += 1
            log.warning("task %s/%s failed after %d attempts", _short(q.name), _short(task.name), task.dispatch_count)
        else:
            task.schedule_time = time.time() + q.backoff(task.dispatch_count)

    # ----- HTTP API -----
    def _build_app(self) -> Flask:
        app = make_app(
            "tasks_emulator",
            reset=self.reset,
            admin={
                "stats": lambda: {_short(n): st for n, st in self.stats().items()},
                "attempts": self.attempts,
                "idle": lambda: {"idle": self.is_idle()},
            },
        )
        routes: list[Route] = [
            ("POST", rf"({_LOC})/queues", self._api_create_queue),
            ("GET", rf"({_LOC})/queues", self._api_list_queues),
            ("GET", rf"({_QUEUE})", lambda n: self._get_queue(n).to_json()),
            ("DELETE", rf"({_QUEUE})", self._api_delete_queue),
            ("POST", rf"({_QUEUE}):purge", self._api_purge_queue),
            ("POST", rf"({_QUEUE})/tasks", lambda p: self._new_task(p, _body()).to_json(_full_view(_body()))),
            ("GET", rf"({_QUEUE})/tasks", self._api_list_tasks),
            ("GET", rf"({_TASK})", lambda n: self._find_task(n).to_json(_full_view(request.args))),
            ("DELETE", rf"({_TASK})", self._api_delete_task),
        ]
        add_api_routes(app, "v2", routes, self._cond)
        return app

    def _api_create_queue(self, parent: str) -> dict[str, Any]:
        body = _body()
        name = body.get("name") or ""
        if not re.fullmatch(_QUEUE, name) or not name.startswith(parent + "/queues/"):
            raise ApiError(400, f"Invalid queue name {name!r} for parent {parent}")
        if name in self._queues:
            raise ApiError(409, f"Queue already exists: {name}", "ALREADY_EXISTS")
        return self._create_queue(name, body).to_json()

    def _api_list_queues(self, parent: str) -> dict[str, Any]:
        queues = sorted(self._queues.items())
        return {"queues": [q.to_json() for n, q in queues if n.startswith(parent + "/")]}

    def _api_delete_queue(self, name: str) -> dict[str, Any]:
        q = self._get_queue(name)
        q.dropped = True
        del self._queues[name]
        self._cond.notify_all()
        return {}

    def _api_purge_queue(self, name: str) -> dict[str, Any]:
        q = self._get_queue(name)
        for task in q.tasks.values():
            task.deleted = True
        q.tasks.clear()
        self._cond.notify_all()
        return q.to_json()

    def _api_list_tasks(self, parent: str) -> dict[str, Any]:
        q = self._get_queue(parent)
        full = _full_view(request.args)
        return {"tasks": [t.to_json(full) for t in sorted(q.tasks.values(), key=lambda t: t.seq)]}

    def _api_delete_task(self, name: str) -> dict[str, Any]:
        task = self._find_task(name)
        task.deleted = True
        task.queue.tasks.pop(name, None)
        self._cond.notify_all()
        return {}


def _body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}  # Flask caches the parsed body, so repeat calls are cheap


def _full_view(params: Any) -> bool:
    """Whether the request asked for the FULL view (enum as int or name)."""
    return str(params.get("responseView", "")) in ("2", "FULL")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run the emulator until SIGTERM/SIGINT."""
    p = cli_parser(__doc__, default_port=8123)
    p.add_argument(
        "--identity-url",
        default=os.environ.get("TASKS_EMULATOR_IDENTITY_URL"),
        help="the local identity stand-in that mints ID tokens for tasks with an oidcToken",
    )
    p.add_argument("--auto-create-queues", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--max-attempts", type=int, default=5, help="default for queues without retryConfig")
    p.add_argument("--min-backoff", type=float, default=0.1, help="seconds")
    p.add_argument("--max-backoff", type=float, default=3.0, help="seconds")
    p.add_argument("--max-concurrent", type=int, default=10, help="default maxConcurrentDispatches")
    a = p.parse_args(argv)
    identity_url = a.identity_url
    emulator = TasksEmulator(
        a.host,
        a.port,
        (lambda audience, email: fetch_id_token(identity_url, audience, email)) if identity_url else None,
        auto_create_queues=a.auto_create_queues,
        max_attempts=a.max_attempts,
        min_backoff=a.min_backoff,
        max_backoff=a.max_backoff,
        max_concurrent=a.max_concurrent,
    )
    return run_until_signalled(emulator, "tasks emulator", a.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
