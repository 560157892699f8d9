"""Cloud Tasks emulator, driven through the real google-cloud-tasks REST client against a local target app.

The emulator answers the two calls made through the client (create_queue by the local stack,
create_task by the product) and dispatches the tasks as Cloud Tasks would; the /_emulator/ routes
are what the stack, the benches and the e2e tests read."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import Conflict, MethodNotImplemented, NotFound
from google.auth import jwt
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2

from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.gcp.cloud_tasks import CloudTasksQueue
from infra.local._http_server import ThreadedHttpServer
from infra.local.identity import LocalIdentity
from infra.local.tasks_dispatch import Queue
from infra.local.tasks_emulator import TasksEmulator
from tests.integration.emulator_cli import emulator_process

pytestmark = pytest.mark.timeout(20)

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
    em = TasksEmulator(id_tokens=IDENTITY.mint)
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


def control(em: TasksEmulator, what: str) -> Any:
    """GET /_emulator/<what>: the emulator-control routes the stack and the benches read."""
    response = requests.get(f"{em.url}/_emulator/{what}", timeout=5)
    response.raise_for_status()
    return response.json()


def make_queue(client: tasks_v2.CloudTasksClient, qid: str, concurrency: int = 0, max_attempts: int = 0) -> str:
    """Create a queue with fast backoff, as the local stack creates its own; 0 means "emulator default" as in proto3."""
    queue = tasks_v2.Queue(
        name=f"{LOCATION}/queues/{qid}",
        rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=concurrency),
        retry_config=tasks_v2.RetryConfig(
            max_attempts=max_attempts,
            min_backoff=dt.timedelta(milliseconds=20),
            max_backoff=dt.timedelta(milliseconds=100),
        ),
    )
    return client.create_queue(parent=LOCATION, queue=queue).name


def http_task(url: str, name: str, oidc: bool = False, schedule: float | None = None) -> tasks_v2.Task:
    """Build a named POST task, optionally OIDC-authenticated and/or scheduled at epoch `schedule`."""
    req = tasks_v2.HttpRequest(url=url, http_method=tasks_v2.HttpMethod.POST)
    if oidc:
        req.oidc_token = tasks_v2.OidcToken(service_account_email=TASKS_ACCOUNT)
    task = tasks_v2.Task(name=name, http_request=req)
    if schedule is not None:
        task.schedule_time = dt.datetime.fromtimestamp(schedule, tz=dt.UTC)  # proto-plus makes it a Timestamp
    return task


def submit(client: tasks_v2.CloudTasksClient, queue: str, url: str, task_id: str, **kwargs: Any) -> tasks_v2.Task:
    """Create an HTTP task named `task_id` in `queue`."""
    return client.create_task(parent=queue, task=http_task(url, f"{queue}/tasks/{task_id}", **kwargs))


def test_create_queue_answers_its_config_and_refuses_a_duplicate(client: tasks_v2.CloudTasksClient) -> None:
    queue = tasks_v2.Queue(
        name=f"{LOCATION}/queues/reports",
        rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=4),
        retry_config=tasks_v2.RetryConfig(max_attempts=7, min_backoff=dt.timedelta(milliseconds=500)),
    )
    created = client.create_queue(parent=LOCATION, queue=queue)
    assert created.name == queue.name
    assert created.rate_limits.max_concurrent_dispatches == 4
    assert created.retry_config.max_attempts == 7
    assert created.retry_config.min_backoff == dt.timedelta(milliseconds=500)
    assert created.retry_config.max_doublings == 16  # the emulator's default when not given
    with pytest.raises(Conflict):
        client.create_queue(parent=LOCATION, queue=queue)


def test_the_products_enqueue_names_its_tasks_and_a_repeat_is_a_no_op(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    """CloudTasksQueue as the functions use it: deterministic name, OIDC token for the worker's URL, a delay."""
    make_queue(client, "report-work")
    worker_url = target.url("worker/")
    queue = CloudTasksQueue(
        client,
        project="test-proj",
        location="europe-west1",
        queue="report-work",
        worker_url=worker_url,
        service_account=TASKS_ACCOUNT,
    )
    task = WorkerTask(kind=TaskKind.PREPARE, report_id="r1")
    before = time.time()
    assert queue.enqueue(task, delay_seconds=0.3) is True
    assert queue.enqueue(task) is False  # ALREADY_EXISTS: the work is queued already
    assert emulator.wait_idle(3)
    (hit,) = target.for_task(task.task_id())
    h = hit["headers"]
    assert (hit["method"], WorkerTask.model_validate_json(hit["body"])) == ("POST", task)
    assert (h["content-type"], h["user-agent"]) == ("application/json", "Google-Cloud-Tasks")
    assert (h["x-cloudtasks-queuename"], h["x-cloudtasks-taskretrycount"], h["x-cloudtasks-taskexecutioncount"]) == (
        "report-work",
        "0",
        "0",
    )
    assert hit["at"] >= float(h["x-cloudtasks-tasketa"]) >= before + 0.3
    scheme, _, token = h["authorization"].partition(" ")
    claims = jwt.decode(token, certs=IDENTITY.certs(), audience=worker_url)
    assert (scheme, claims["email"]) == ("Bearer", TASKS_ACCOUNT)


def test_duplicate_task_name_conflicts(client: tasks_v2.CloudTasksClient, target: Target) -> None:
    queue = make_queue(client, "dups")
    task = http_task(target.url("ok"), name=f"{queue}/tasks/fetch-car-1", schedule=time.time() + 60)
    created = client.create_task(parent=queue, task=task)
    assert created.name == f"{queue}/tasks/fetch-car-1"
    assert created.http_request.url == target.url("ok")
    with pytest.raises(Conflict):
        client.create_task(parent=queue, task=task)


def test_a_name_stays_taken_after_its_task_ran(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "remember")
    task = http_task(target.url("ok"), name=f"{queue}/tasks/once")
    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(3)
    with pytest.raises(Conflict):
        client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(3)
    assert len(target.for_task("once")) == 1


def test_an_unknown_queue_or_an_unnamed_task_is_refused(client: tasks_v2.CloudTasksClient, target: Target) -> None:
    with pytest.raises(NotFound):
        submit(client, f"{LOCATION}/queues/missing", target.url("ok"), "t1")
    queue = make_queue(client, "anon")
    with pytest.raises(MethodNotImplemented):  # the product names every task; the emulator needs it
        client.create_task(parent=queue, task=http_task(target.url("ok"), name=""))


def test_tasks_dispatch_concurrently(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    target.gate_size = 6
    queue = make_queue(client, "wide")
    for i in range(6):
        submit(client, queue, target.url("gate"), f"g{i}")
    assert emulator.wait_idle(5)
    assert target.max_in_flight >= 4
    assert control(emulator, "stats")["wide"]["succeeded"] == 6


def test_max_concurrent_dispatches_is_a_ceiling(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    target.gate_size = 4  # never reached with 2 slots, so each /gate call holds its slot for the full timeout
    queue = make_queue(client, "narrow", concurrency=2)
    for i in range(4):
        submit(client, queue, target.url("gate"), f"g{i}")
    assert emulator.wait_idle(5)
    assert target.max_in_flight == 2


def test_retries_until_success(emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target) -> None:
    queue = make_queue(client, "retry")
    submit(client, queue, target.url("flaky?fail=2"), "f1")
    assert emulator.wait_idle(3)
    hits = target.for_task("f1")
    assert [h["headers"]["x-cloudtasks-taskretrycount"] for h in hits] == ["0", "1", "2"]
    assert [h["headers"]["x-cloudtasks-taskexecutioncount"] for h in hits] == ["0", "1", "2"]
    assert [h["headers"].get("x-cloudtasks-taskpreviousresponse") for h in hits] == [None, "500", "500"]
    assert [a["status"] for a in emulator.attempts()] == [500, 500, 200]
    stats = control(emulator, "stats")["retry"]
    assert stats == {"pending": 0, "running": 0, "succeeded": 1, "failed": 0, "attempts": 3}


def test_gives_up_after_max_attempts(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    queue = make_queue(client, "doomed", max_attempts=3)
    submit(client, queue, target.url("fail"), "never")
    assert emulator.wait_idle(3)
    assert len(target.for_task("never")) == 3
    stats = control(emulator, "stats")["doomed"]
    assert (stats["pending"], stats["failed"], stats["succeeded"], stats["attempts"]) == (0, 1, 0, 3)
    log = control(emulator, "attempts")
    assert [(a["task"], a["attempt"], a["status"]) for a in log] == [("never", i, 500) for i in (1, 2, 3)]
    assert all(a["duration_ms"] >= 0 and a["started_at"] > 0 for a in log)


def test_connection_errors_are_retried(emulator: TasksEmulator, client: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(client, "unreachable", max_attempts=2)
    submit(client, queue, "http://127.0.0.1:9/nothing-listens-here", "lost")
    assert emulator.wait_idle(3)
    attempts = emulator.attempts()
    assert [a["status"] for a in attempts] == [None, None]
    assert all(a["error"] for a in attempts)


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
        client = make_client(em)
        submit(client, make_queue(client, "nobearer"), target.url("ok"), "t1", oidc=True)
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
    assert control(emulator, "idle") == {"idle": False}
    assert emulator.wait_idle(3)
    assert control(emulator, "idle") == {"idle": True}
    with target.lock:
        assert [h["task"] for h in target.hits] == ["now", "late"]
    late = target.for_task("late")[0]
    assert float(late["headers"]["x-cloudtasks-tasketa"]) == pytest.approx(eta, abs=0.001)
    assert late["at"] >= eta


def test_control_routes_before_any_dispatch(
    emulator: TasksEmulator, client: tasks_v2.CloudTasksClient, target: Target
) -> None:
    assert requests.get(f"{emulator.url}/_emulator/health", timeout=5).text == "ok"
    assert control(emulator, "idle") == {"idle": True}
    queue = make_queue(client, "parked")
    submit(client, queue, target.url("ok"), "p1", schedule=time.time() + 60)
    assert control(emulator, "stats") == {
        "parked": {"pending": 1, "running": 0, "succeeded": 0, "failed": 0, "attempts": 0}
    }
    assert control(emulator, "idle") == {"idle": False}
    assert control(emulator, "attempts") == []


def test_backoff_doubles_then_grows_linearly_then_caps() -> None:
    q = Queue(name="q", max_concurrent=1, max_attempts=10, min_backoff=10, max_backoff=300, max_doublings=3)
    assert [q.backoff(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_cli_prints_ready_line_and_exits_on_sigterm() -> None:
    args = ("--identity-url", "http://127.0.0.1:9")
    with emulator_process("infra.local.tasks_emulator", *args, ready="tasks emulator ready on") as (proc, url):
        assert requests.get(f"{url}/_emulator/health", timeout=2).text == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
