"""Cloud Tasks emulator, driven through the real google-cloud-tasks REST client against a local target app."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import Conflict, NotFound
from google.auth import jwt
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

from infra.local._http_server import ThreadedHttpServer
from infra.local.identity import LocalIdentity
from infra.local.tasks_emulator import TasksEmulator, _Queue

pytestmark = pytest.mark.timeout(20)

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCATION = "projects/test-proj/locations/europe-west1"
IDENTITY = LocalIdentity(issuer="http://identity.local")
TASKS_ACCOUNT = "tasks@test-proj.iam.gserviceaccount.com"


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0, what: str = "condition") -> None:
    """Poll `predicate` until true or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


class Target:
    """Local HTTP target that records every request; behaviour is chosen by path."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate_size = 0  # /gate requests block until this many are in flight (or a short timeout)
        self.gate_open = threading.Event()
        app = Flask("target")
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        app.add_url_rule("/<path:path>", "any", self._handle, methods=methods)
        self.server = ThreadedHttpServer(app)

    def _handle(self, path: str) -> tuple[str, int]:
        with self.lock:
            name = request.headers.get("X-CloudTasks-TaskName", "")
            previous = sum(1 for h in self.hits if h["task"] == name)
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.hits.append(
                {
                    "path": path,
                    "task": name,
                    "method": request.method,
                    "at": time.time(),
                    "headers": headers,
                    "body": request.get_data(),
                }
            )
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight >= self.gate_size:
                self.gate_open.set()
        try:
            if path == "gate":
                self.gate_open.wait(timeout=0.5)
            if path == "fail":
                return "boom", 500
            if path == "flaky":
                return ("not yet", 500) if previous < int(request.args.get("fail", "2")) else ("ok", 200)
            return "ok", 200
        finally:
            with self.lock:
                self.in_flight -= 1

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this target."""
        return f"{self.server.url}/{path}"

    def for_task(self, short_name: str) -> list[dict[str, Any]]:
        """Hits received for one task, in arrival order."""
        with self.lock:
            return [h for h in self.hits if h["task"] == short_name]


@pytest.fixture
def target() -> Iterator[Target]:
    t = Target()
    t.server.start()
    yield t
    t.server.stop()


@pytest.fixture
def emulator() -> Iterator[TasksEmulator]:
    em = TasksEmulator(id_tokens=IDENTITY.mint, min_backoff=0.02, max_backoff=0.1)
    em.start()
    yield em
    em.stop()


def make_client(em: TasksEmulator) -> tasks_v2.CloudTasksClient:
    """Real Cloud Tasks client (REST transport) pointed at the emulator."""
    options = ClientOptions(api_endpoint=em.url)
    creds = AnonymousCredentials()
    return tasks_v2.CloudTasksClient(transport="rest", client_options=options, credentials=creds)


@pytest.fixture
def client(emulator: TasksEmulator) -> tasks_v2.CloudTasksClient:
    return make_client(emulator)


def make_queue(client: tasks_v2.CloudTasksClient, qid: str, concurrency: int = 0, max_attempts: int = 0) -> str:
    """Create a queue with fast backoff; 0 means "emulator default" as in proto3."""
    queue = tasks_v2.Queue(
        name=f"{LOCATION}/queues/{qid}",
        rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=concurrency),
        retry_config=tasks_v2.RetryConfig(
            max_attempts=max_attempts,
            min_backoff=duration_pb2.Duration(nanos=20_000_000),
            max_backoff=duration_pb2.Duration(nanos=100_000_000),
        ),
    )
    return client.create_queue(parent=LOCATION, queue=queue).name


def http_task(
    url: str,
    name: str = "",
    oidc: bool = False,
    schedule: float | None = None,
    method: tasks_v2.HttpMethod = tasks_v2.HttpMethod.POST,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tasks_v2.Task:
    """Build an HTTP task, optionally OIDC-authenticated and/or scheduled at epoch `schedule`."""
    req = tasks_v2.HttpRequest(url=url, http_method=method, body=body, headers=headers or {})
    if oidc:
        req.oidc_token = tasks_v2.OidcToken(service_account_email=TASKS_ACCOUNT)
    task = tasks_v2.Task(name=name, http_request=req)
    if schedule is not None:
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(dt.datetime.fromtimestamp(schedule, tz=dt.UTC))
        task.schedule_time = ts
    return task


def submit(client: tasks_v2.CloudTasksClient, queue: str, url: str, task_id: str = "", **kwargs: Any) -> tasks_v2.Task:
    """Create an HTTP task in `queue`, named `task_id` if given."""
    name = f"{queue}/tasks/{task_id}" if task_id else ""
    return client.create_task(parent=queue, task=http_task(url, name, **kwargs))


def test_create_get_list_queue(client: tasks_v2.CloudTasksClient) -> None:
    name = make_queue(client, "reports", concurrency=4, max_attempts=7)
    got = client.get_queue(name=name)
    assert got.rate_limits.max_concurrent_dispatches == 4
    assert got.retry_config.max_attempts == 7
    assert got.retry_config.min_backoff == dt.timedelta(milliseconds=20)
    assert [q.name for q in client.list_queues(parent=LOCATION)] == [name]
    with pytest.raises(Conflict):
        make_queue(client, "reports")
    client.delete_queue(name=name)
    with pytest.raises(NotFound):
        client.get_queue(name=name)


def test_duplicate_task_name_conflicts(client: tasks_v2.CloudTasksClient, target: Target) -> None:
    queue = make_queue(client, "dups")
    task = http_task(target.url("ok"), name=f"{queue}/tasks/fetch-car-1", schedule=time.time() + 60)
    created = client.create_task(parent=queue, task=task)
    assert created.name == f"{queue}/tasks/fetch-car-1"
    with pytest.raises(Conflict):
        client.create_task(parent=queue, task=task)


def test_name_remembered_after_completion_until_reset(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "remember")
    task = http_task(target.url("ok"), name=f"{queue}/tasks/once")
    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(3)
    assert len(target.for_task("once")) == 1
    with pytest.raises(NotFound):
        client.get_task(name=task.name)  # finished tasks are gone...
    with pytest.raises(Conflict):
        client.create_task(parent=queue, task=task)  # ...but their names stay taken
    assert requests.post(f"{emulator.url}/_emulator/reset").status_code == 200
    client.create_task(parent=queue, task=task)  # auto-creates the queue again
    assert emulator.wait_idle(3)
    assert len(target.for_task("once")) == 2


def test_task_without_name_gets_generated_id(client: tasks_v2.CloudTasksClient, target: Target) -> None:
    queue = make_queue(client, "anon")
    a = submit(client, queue, target.url("ok"), schedule=time.time() + 60)
    b = submit(client, queue, target.url("ok"), schedule=time.time() + 60)
    assert a.name.startswith(f"{queue}/tasks/")
    assert b.name.startswith(f"{queue}/tasks/")
    assert a.name != b.name
    assert {t.name for t in client.list_tasks(parent=queue)} == {a.name, b.name}
    client.delete_task(name=a.name)
    assert [t.name for t in client.list_tasks(parent=queue)] == [b.name]
    client.purge_queue(name=queue)
    assert list(client.list_tasks(parent=queue)) == []


def test_tasks_dispatch_concurrently(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    target.gate_size = 6
    queue = make_queue(client, "wide")
    for _ in range(6):
        client.create_task(parent=queue, task=http_task(target.url("gate")))
    assert emulator.wait_idle(5)
    assert target.max_in_flight >= 4
    assert requests.get(f"{emulator.url}/_emulator/stats").json()["wide"]["succeeded"] == 6


def test_max_concurrent_dispatches_is_a_ceiling(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    target.gate_size = 4  # never reached with 2 slots, so each /gate call holds its slot for the full timeout
    queue = make_queue(client, "narrow", concurrency=2)
    for _ in range(4):
        client.create_task(parent=queue, task=http_task(target.url("gate")))
    assert emulator.wait_idle(5)
    assert target.max_in_flight == 2


def test_retries_until_success(emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target) -> None:
    queue = make_queue(client, "retry")
    submit(client, queue, target.url("flaky?fail=2"), "f1")
    assert emulator.wait_idle(3)
    hits = target.for_task("f1")
    assert [h["headers"]["x-cloudtasks-taskretrycount"] for h in hits] == ["0", "1", "2"]
    assert [h["headers"]["x-cloudtasks-taskexecutioncount"] for h in hits] == ["0", "1", "2"]
    assert [a["status"] for a in emulator.attempts()] == [500, 500, 200]
    stats = requests.get(f"{emulator.url}/_emulator/stats").json()["retry"]
    assert stats == {"pending": 0, "running": 0, "succeeded": 1, "failed": 0, "attempts": 3}


def test_gives_up_after_max_attempts(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "doomed", max_attempts=3)
    task = http_task(target.url("fail"), name=f"{queue}/tasks/never")
    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(3)
    assert len(target.for_task("never")) == 3
    stats = requests.get(f"{emulator.url}/_emulator/stats").json()["doomed"]
    assert (stats["failed"], stats["succeeded"], stats["attempts"]) == (1, 0, 3)
    log = requests.get(f"{emulator.url}/_emulator/attempts").json()
    assert [(a["task"], a["attempt"], a["status"]) for a in log] == [("never", i, 500) for i in (1, 2, 3)]
    with pytest.raises(NotFound):
        client.get_task(name=task.name)


def test_connection_errors_are_retried(emulator: TasksEmulator, client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(client, "unreachable", max_attempts=2)
    client.create_task(parent=queue, task=http_task("http://127.0.0.1:9/nothing-listens-here"))
    assert emulator.wait_idle(3)
    attempts = emulator.attempts()
    assert [a["status"] for a in attempts] == [None, None]
    assert all(a["error"] for a in attempts)


def test_dispatch_sends_request_and_cloud_tasks_headers(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "headers")
    task = http_task(
        target.url("ok"),
        name=f"{queue}/tasks/h1",
        method=tasks_v2.HttpMethod.PUT,
        body=b'{"vin": "5YJ3"}',
        headers={"Content-Type": "application/json", "X-Trace": "abc"},
    )
    before = time.time()
    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(3)
    (hit,) = target.for_task("h1")
    h = hit["headers"]
    assert (hit["method"], hit["body"]) == ("PUT", b'{"vin": "5YJ3"}')
    assert h["x-trace"] == "abc"
    assert h["x-cloudtasks-queuename"] == "headers"
    assert h["x-cloudtasks-taskretrycount"] == "0"
    assert h["x-cloudtasks-taskexecutioncount"] == "0"
    assert before - 1 <= float(h["x-cloudtasks-tasketa"]) <= hit["at"]
    assert h["user-agent"] == "Google-Cloud-Tasks"
    assert "authorization" not in h  # no oidcToken on the task


def test_an_oidc_token_task_carries_a_signed_id_token_for_its_account_and_url(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "auth")
    submit(client, queue, target.url("ok"), "signed", oidc=True)
    submit(client, queue, target.url("ok"), "plain")
    assert emulator.wait_idle(3)
    scheme, _, token = target.for_task("signed")[0]["headers"]["authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(token, certs=IDENTITY.certs(), audience=target.url("ok"))  # the task's URL by default
    assert (claims["email"], claims["iss"], claims["email_verified"]) == (TASKS_ACCOUNT, "http://identity.local", True)
    assert "authorization" not in target.for_task("plain")[0]["headers"]


def test_oidc_token_without_an_identity_sends_no_auth(target: Target) -> None:
    em = TasksEmulator()
    em.start()
    try:
        queue = f"{LOCATION}/queues/nobearer"
        make_client(em).create_task(parent=queue, task=http_task(target.url("ok"), oidc=True))
        assert em.wait_idle(3)
        with target.lock:
            assert len(target.hits) == 1
            assert "authorization" not in target.hits[0]["headers"]
    finally:
        em.stop()


def test_schedule_time_delays_dispatch(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "later")
    eta = time.time() + 0.7
    submit(client, queue, target.url("ok"), "late", schedule=eta)
    submit(client, queue, target.url("ok"), "now")
    wait_until(lambda: len(target.for_task("now")) == 1, what="immediate task")
    assert target.for_task("late") == []
    assert requests.get(f"{emulator.url}/_emulator/idle").json() == {"idle": False}
    assert emulator.wait_idle(3)
    with target.lock:
        assert [h["task"] for h in target.hits] == ["now", "late"]
    late = target.for_task("late")[0]
    assert float(late["headers"]["x-cloudtasks-tasketa"]) == pytest.approx(eta, abs=0.001)
    assert late["at"] >= eta


def test_reset_and_admin_endpoints(emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target) -> None:
    assert requests.get(f"{emulator.url}/_emulator/health").text == "ok"
    queue = make_queue(client, "parked")
    client.create_task(parent=queue, task=http_task(target.url("ok"), schedule=time.time() + 60))
    assert requests.get(f"{emulator.url}/_emulator/stats").json()["parked"]["pending"] == 1
    assert requests.get(f"{emulator.url}/_emulator/idle").json() == {"idle": False}
    assert requests.post(f"{emulator.url}/_emulator/reset").json() == {}
    assert requests.get(f"{emulator.url}/_emulator/stats").json() == {}
    assert requests.get(f"{emulator.url}/_emulator/attempts").json() == []
    assert requests.get(f"{emulator.url}/_emulator/idle").json() == {"idle": True}
    assert list(client.list_queues(parent=LOCATION)) == []


def test_unknown_queue_without_auto_create_is_not_found(target: Target) -> None:
    em = TasksEmulator(auto_create_queues=False)
    em.start()
    try:
        with pytest.raises(NotFound):
            make_client(em).create_task(parent=f"{LOCATION}/queues/missing", task=http_task(target.url("ok")))
    finally:
        em.stop()


def test_backoff_doubles_then_grows_linearly_then_caps() -> None:
    q = _Queue(name="q", max_concurrent=1, max_attempts=10, min_backoff=10, max_backoff=300, max_doublings=3)
    assert [q.backoff(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_cli_prints_ready_line_and_exits_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.tasks_emulator", "--port", "0", "--identity-url", "http://127.0.0.1:9"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("tasks emulator ready on http://127.0.0.1:")
        url = line.split()[-1]
        assert requests.get(f"{url}/_emulator/health", timeout=2).text == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
