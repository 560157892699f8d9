"""Local Cloud Tasks v2 REST emulator: the calls made through the real client, with real HTTP dispatch.

Cloud Tasks API (google-cloud-tasks, transport="rest"):
  POST /v2/{location}/queues   create_queue: the local stack's queue, with its rate limits and retries
  POST /v2/{queue}/tasks       create_task: the product's one call (CloudTasksQueue.enqueue); a task
                               name used before answers 409 ALREADY_EXISTS, as Cloud Tasks does
Dispatch (retries, backoff, concurrency, X-CloudTasks-* headers, ID tokens per attempt from the
local identity stand-in, infra/local/identity.py) is in tasks_dispatch.py.

Emulator control, not Cloud Tasks API (the local stack, the benches and the tests):
  GET /_emulator/health    answers "ok" once serving
  GET /_emulator/idle      {"idle": bool}: nothing pending, scheduled or running
  GET /_emulator/attempts  every dispatch attempt: queue, task, attempt, status, error, started_at, duration_ms
  GET /_emulator/stats     per queue id: pending, running, succeeded, failed, attempts

Usage: python -m infra.local.tasks_emulator --host 127.0.0.1 --port 8123 [--identity-url URL]
"""

from __future__ import annotations

import base64
import logging
import os
import re
import time
from typing import Any

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
from infra.local.tasks_dispatch import DISPATCH_DEADLINE_S, Dispatcher, IdTokens, Queue, Task, TaskNameUsedError

log = logging.getLogger("tasks_emulator")

_METHODS = {1: "POST", 2: "GET", 3: "HEAD", 4: "PUT", 5: "DELETE", 6: "PATCH", 7: "OPTIONS"}
_LOC = r"projects/[^/]+/locations/[^/]+"
_QUEUE = _LOC + r"/queues/[A-Za-z0-9-]{1,100}"
_TASK = _QUEUE + r"/tasks/[A-Za-z0-9_-]{1,500}"
# For a queue created without them (proto3 JSON omits zeros, so 0 means "not given" too).
DEFAULT_MAX_CONCURRENT = 10
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_MIN_BACKOFF_S = 0.1
DEFAULT_MAX_BACKOFF_S = 3.0
DEFAULT_MAX_DOUBLINGS = 16


class TasksEmulator:
    """In-process Cloud Tasks emulator: REST API for the real client plus an HTTP dispatcher."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, id_tokens: IdTokens | None = None) -> None:
        self._dispatch = Dispatcher(id_tokens)
        self.app = self._build_app()
        self._http = ThreadedHttpServer(self.app, host, port)

    @property
    def url(self) -> str:
        """Base URL to pass as the client's api_endpoint."""
        return self._http.url

    def start(self) -> None:
        """Start serving the API; each queue starts its dispatch workers when it is created."""
        self._http.start()
        log.info("tasks emulator listening on %s", self.url)

    def stop(self) -> None:
        """Stop the API server and the dispatch workers for good."""
        self._http.stop()
        self._dispatch.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is pending or running, or timeout; returns whether that happened."""
        return self._dispatch.wait_idle(timeout)

    def attempts(self) -> list[dict[str, Any]]:
        """Log of dispatch attempts, oldest first."""
        return self._dispatch.attempts()

    # ----- HTTP API -----
    def _build_app(self) -> Flask:
        app = make_app(
            "tasks_emulator",
            admin={
                "idle": lambda: {"idle": self._dispatch.is_idle()},
                "attempts": self._dispatch.attempts,
                "stats": self._dispatch.stats,
            },
        )
        routes: list[Route] = [
            ("POST", rf"({_LOC})/queues", self._create_queue),
            ("POST", rf"({_QUEUE})/tasks", self._create_task),
        ]
        add_api_routes(app, "v2", routes, self._dispatch.lock)
        return app

    def _create_queue(self, parent: str) -> dict[str, Any]:
        body = _body()
        name = body.get("name") or ""
        if not re.fullmatch(_QUEUE, name) or not name.startswith(parent + "/queues/"):
            raise ApiError(400, f"Invalid queue name {name!r} for parent {parent}")
        if name in self._dispatch.queues:
            raise ApiError(409, f"Queue already exists: {name}", "ALREADY_EXISTS")
        limits, retry = body.get("rateLimits") or {}, body.get("retryConfig") or {}
        queue = Queue(
            name=name,
            max_concurrent=int(limits.get("maxConcurrentDispatches") or DEFAULT_MAX_CONCURRENT),
            max_attempts=int(retry.get("maxAttempts") or DEFAULT_MAX_ATTEMPTS),
            min_backoff=parse_dur(retry.get("minBackoff"), DEFAULT_MIN_BACKOFF_S),
            max_backoff=parse_dur(retry.get("maxBackoff"), DEFAULT_MAX_BACKOFF_S),
            max_doublings=int(retry.get("maxDoublings") or DEFAULT_MAX_DOUBLINGS),
        )
        self._dispatch.add_queue(queue)
        return _queue_json(queue)

    def _create_task(self, parent: str) -> dict[str, Any]:
        t = _body().get("task") or {}
        hr = t.get("httpRequest")
        if not hr:
            raise ApiError(501, "The emulator only runs tasks with an httpRequest target.")
        name = t.get("name") or ""
        if not name:
            raise ApiError(501, "The emulator only takes named tasks (the product names every task).")
        if not re.fullmatch(_TASK, name) or not name.startswith(parent + "/tasks/"):
            raise ApiError(400, f"Invalid task name {name!r} for queue {parent}")
        url = hr.get("url") or ""
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, f"Invalid task url: {url!r}")
        raw_method = hr.get("httpMethod") or "POST"
        method = _METHODS.get(raw_method, "") if isinstance(raw_method, int) else str(raw_method).upper()
        if method not in _METHODS.values():
            raise ApiError(400, f"Invalid httpMethod: {raw_method!r}")
        queue = self._dispatch.queues.get(parent)
        if queue is None:
            raise ApiError(404, f"Queue does not exist: {parent}")
        try:
            task = self._dispatch.add_task(
                queue,
                name,
                method=method,
                url=url,
                headers={str(k): str(v) for k, v in (hr.get("headers") or {}).items()},
                body=base64.b64decode(hr.get("body") or ""),
                oidc=hr.get("oidcToken"),
                schedule_time=parse_ts(t.get("scheduleTime"), time.time()),
            )
        except TaskNameUsedError:
            raise ApiError(409, f"Task name already used: {name}", "ALREADY_EXISTS") from None
        return _task_json(task)


def _body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def _queue_json(q: Queue) -> dict[str, Any]:
    return {
        "name": q.name,
        "rateLimits": {"maxConcurrentDispatches": q.max_concurrent},
        "retryConfig": {
            "maxAttempts": q.max_attempts,
            "minBackoff": dur_json(q.min_backoff),
            "maxBackoff": dur_json(q.max_backoff),
            "maxDoublings": q.max_doublings,
        },
        "state": "RUNNING",
    }


def _task_json(t: Task) -> dict[str, Any]:
    """The created task in the BASIC view (no body), as create_task answers by default."""
    http: dict[str, Any] = {"url": t.url, "httpMethod": t.method, "headers": t.headers}
    if t.oidc is not None:
        http["oidcToken"] = t.oidc
    return {
        "name": t.name,
        "httpRequest": http,
        "scheduleTime": ts_json(t.schedule_time),
        "createTime": ts_json(t.create_time),
        "dispatchDeadline": dur_json(DISPATCH_DEADLINE_S),
        "view": "BASIC",
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run the emulator until SIGTERM/SIGINT."""
    p = cli_parser(__doc__, default_port=8123)
    p.add_argument(
        "--identity-url",
        default=os.environ.get("TASKS_EMULATOR_IDENTITY_URL"),
        help="the local identity stand-in that mints ID tokens for tasks with an oidcToken",
    )
    a = p.parse_args(argv)
    identity_url = a.identity_url
    emulator = TasksEmulator(
        a.host,
        a.port,
        (lambda audience, email: fetch_id_token(identity_url, audience, email)) if identity_url else None,
    )
    return run_until_signalled(emulator, "tasks emulator", a.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
