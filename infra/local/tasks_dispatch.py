"""The Tasks emulator's queues and their dispatch loop, as Cloud Tasks runs them for HTTP targets.

Each queue runs up to `max_concurrent` attempts at a time (one worker thread per slot), earliest
scheduled first. An attempt that answers 2xx finishes the task; anything else (another status, no
answer) is retried after a backoff until `max_attempts`. Every attempt carries the X-CloudTasks-*
headers and, for a task with an OIDC token, `Authorization: Bearer <ID token>` minted for that
attempt. A task name stays taken after its task finished, so a duplicate is refused.
The REST side is in tasks_emulator.py.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger("tasks_emulator")

IdTokens = Callable[[str, str], str]  # (audience, service account email) -> a signed ID token
_MAX_WORKERS_PER_QUEUE = 200  # one thread per concurrent slot; cap so a typo can't spawn thousands
DISPATCH_DEADLINE_S = 600.0  # Cloud Tasks' default for HTTP targets; the product sets none


def short_name(name: str) -> str:
    """The last segment of a resource name (queue or task id)."""
    return name.rsplit("/", 1)[-1]


class TaskNameUsedError(Exception):
    """The task name was used before (Cloud Tasks answers ALREADY_EXISTS)."""


@dataclass
class Queue:
    """A queue as created (rate limit and retry config), its unfinished tasks and its counters."""

    name: str
    max_concurrent: int
    max_attempts: int
    min_backoff: float
    max_backoff: float
    max_doublings: int
    tasks: dict[str, Task] = field(default_factory=dict)  # pending and running; finished ones are dropped
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    attempts: int = 0

    def backoff(self, failures: int) -> float:
        """Delay before the next attempt: doubles max_doublings times, then grows linearly, capped."""
        k = failures - 1
        base = self.min_backoff * 2 ** min(k, self.max_doublings)
        delay = base if k <= self.max_doublings else base * (1 + k - self.max_doublings)
        return min(delay, self.max_backoff)


@dataclass
class Task:
    """An HTTP task and where its attempts stand."""

    name: str
    queue: Queue
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    oidc: dict[str, str] | None  # {"serviceAccountEmail", "audience"} as the task gave it
    schedule_time: float
    create_time: float
    seq: int
    dispatch_count: int = 0
    response_count: int = 0
    last_status: int | None = None
    running: bool = False


class Dispatcher:
    """All queues of one emulator, their worker threads and the attempt log."""

    def __init__(self, id_tokens: IdTokens | None) -> None:
        self._id_tokens = id_tokens
        self.lock = threading.Condition()  # guards everything below; notified whenever tasks change
        self.queues: dict[str, Queue] = {}
        self._used_names: set[str] = set()
        self._attempt_log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._seq = itertools.count()
        self._stopping = False
        self._workers: list[threading.Thread] = []

    # ----- called with the lock held -----
    def add_queue(self, queue: Queue) -> None:
        """Register the queue and start one worker per concurrent slot."""
        queue.max_concurrent = min(queue.max_concurrent, _MAX_WORKERS_PER_QUEUE)
        self.queues[queue.name] = queue
        for i in range(queue.max_concurrent):
            w = threading.Thread(target=self._worker, args=(queue,), daemon=True, name=f"{short_name(queue.name)}-{i}")
            self._workers.append(w)
            w.start()
        log.info(
            "queue created: %s (concurrency %d, maxAttempts %d)",
            short_name(queue.name),
            queue.max_concurrent,
            queue.max_attempts,
        )

    def add_task(
        self,
        queue: Queue,
        name: str,
        *,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        oidc: dict[str, str] | None,
        schedule_time: float,
    ) -> Task:
        """Queue a task; raises TaskNameUsedError for a name used before, even by a task that has finished."""
        if name in self._used_names:
            raise TaskNameUsedError(name)
        task = Task(name, queue, method, url, headers, body, oidc, schedule_time, time.time(), next(self._seq))
        self._used_names.add(name)
        queue.tasks[name] = task
        self.lock.notify_all()
        log.info("task created: %s/%s %s", short_name(queue.name), short_name(name), task.method)
        return task

    def _idle(self) -> bool:
        return not any(q.tasks for q in self.queues.values())

    # ----- observation and lifecycle (take the lock themselves) -----
    def is_idle(self) -> bool:
        """True when no task is pending (including scheduled for later) or running anywhere."""
        with self.lock:
            return self._idle()

    def wait_idle(self, timeout: float) -> bool:
        """Block until idle or timeout; returns whether it became idle."""
        with self.lock:
            return self.lock.wait_for(self._idle, timeout)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per-queue counters keyed by queue id."""
        with self.lock:
            return {
                short_name(n): {
                    "pending": len(q.tasks) - q.running,
                    "running": q.running,
                    "succeeded": q.succeeded,
                    "failed": q.failed,
                    "attempts": q.attempts,
                }
                for n, q in self.queues.items()
            }

    def attempts(self) -> list[dict[str, Any]]:
        """Log of dispatch attempts, oldest first."""
        with self.lock:
            return list(self._attempt_log)

    def stop(self) -> None:
        """Stop the workers for good (in-flight attempts are abandoned after 2s)."""
        with self.lock:
            self._stopping = True
            workers, self._workers = self._workers, []
            self.lock.notify_all()
        deadline = time.monotonic() + 2.0
        for w in workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))

    # ----- the dispatch loop -----
    def _worker(self, queue: Queue) -> None:
        while True:
            with self.lock:
                task = self._next_due(queue)
                if task is None:
                    return
            self._attempt(task)

    def _next_due(self, queue: Queue) -> Task | None:
        while not self._stopping:
            waiting = [t for t in queue.tasks.values() if not t.running]
            if not waiting:
                self.lock.wait()
                continue
            task = min(waiting, key=lambda t: (t.schedule_time, t.seq))
            delay = task.schedule_time - time.time()
            if delay <= 0:
                task.running = True
                queue.running += 1
                return task
            self.lock.wait(timeout=delay)  # woken early by notify_all when tasks change
        return None

    def _attempt(self, task: Task) -> None:
        q = task.queue
        with self.lock:
            retry_count, previous = task.dispatch_count, task.last_status
            headers = task.headers | {
                "User-Agent": "Google-Cloud-Tasks",
                "X-CloudTasks-QueueName": short_name(q.name),
                "X-CloudTasks-TaskName": short_name(task.name),
                "X-CloudTasks-TaskRetryCount": str(retry_count),
                "X-CloudTasks-TaskExecutionCount": str(task.response_count),
                "X-CloudTasks-TaskETA": f"{task.schedule_time:.6f}",
            }
            if previous is not None:
                headers["X-CloudTasks-TaskPreviousResponse"] = str(previous)
            task.dispatch_count += 1
            q.attempts += 1
        if task.oidc is not None and self._id_tokens is not None:
            audience = task.oidc.get("audience") or task.url
            try:
                headers["Authorization"] = (
                    f"Bearer {self._id_tokens(audience, task.oidc.get('serviceAccountEmail', ''))}"
                )
            except Exception as exc:  # no token: the target refuses the attempt and it is retried
                log.warning("no ID token for %s: %s", short_name(task.name), type(exc).__name__)
        started = time.time()
        status: int | None = None
        error: str | None = None
        try:
            with requests.request(
                task.method,
                task.url,
                headers=headers,
                data=task.body or None,
                timeout=DISPATCH_DEADLINE_S,
                allow_redirects=False,
            ) as resp:
                status = resp.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        duration_ms = round((time.time() - started) * 1000, 1)
        outcome = status if status is not None else (error or "?").split(":", 1)[0]
        log.info(
            "dispatch %s/%s attempt %d -> %s (%.0f ms)",
            short_name(q.name),
            short_name(task.name),
            retry_count + 1,
            outcome,
            duration_ms,
        )
        with self.lock:
            self._attempt_log.append(
                {
                    "queue": short_name(q.name),
                    "task": short_name(task.name),
                    "attempt": retry_count + 1,
                    "status": status,
                    "error": error,
                    "started_at": started,
                    "duration_ms": duration_ms,
                }
            )
            self._settle(task, status)
            self.lock.notify_all()

    def _settle(self, task: Task, status: int | None) -> None:
        """After an attempt: done on 2xx, failed after max_attempts, else scheduled again after a backoff."""
        q = task.queue
        task.running = False
        q.running -= 1
        if status is not None:
            task.response_count += 1
            task.last_status = status
        if status is not None and 200 <= status < 300:
            del q.tasks[task.name]
            q.succeeded += 1
        elif q.max_attempts != -1 and task.dispatch_count >= q.max_attempts:
            del q.tasks[task.name]
            q.failed += 1
            log.warning(
                "task %s/%s failed after %d attempts", short_name(q.name), short_name(task.name), task.dispatch_count
            )
        else:
            task.schedule_time = time.time() + q.backoff(task.dispatch_count)
