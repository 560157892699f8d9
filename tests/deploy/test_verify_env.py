"""verify-env against a local stand-in of the API host and the fake gcloud: a healthy environment
passes every check; each kind of drift (another key served, a callback that shows JSON, an open
internal function, queue retries, a public bucket) fails its row and the exit code."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from carpulse.gcp.indexes import COMPOSITE_INDEXES
from carpulse.http.routes import OAUTH_CALLBACK_PATH, PUBLIC_KEY_PATH
from carpulse.partner_key import new_private_key_pem, public_key_pem
from infra.deploy import edge
from infra.deploy.environment import load
from infra.deploy.phases import max_dispatches
from infra.deploy.provision import cors_document
from infra.deploy.retention import TTL_POLICIES, lifecycle_document

ENV = load("dev")


class Host(BaseHTTPRequestHandler):
    """The API host and the functions' own URLs, as verify-env should find them."""

    key = b""
    drift: set[str] = set()  # noqa: RUF012 - set per test

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == PUBLIC_KEY_PATH:
            body = public_key_pem(new_private_key_pem()).encode() if "key" in self.drift else self.key
            self._send(200, body, Content_Type="application/x-pem-file")
        elif path == OAUTH_CALLBACK_PATH and "callback" in self.drift:
            self._send(400, b'{"error": "invalid_state"}', Content_Type="application/json")
        elif path == OAUTH_CALLBACK_PATH:
            location = f"{ENV.frontend_url}#error=invalid_state&error_description=this+login+expired"
            self._send(302, Location=location)
        else:
            self._send(404, b'{"error": "not_found", "error_description": "no such path"}')

    def do_POST(self) -> None:
        open_function = "open" in self.drift and self.path.endswith("report-worker")
        self._send(200 if open_function else 403, b"{}")


@pytest.fixture
def host(fake_gcloud):
    Host.key = (fake_gcloud.work / "keys" / "dev.public-key.pem").read_bytes()
    Host.drift = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def healthy_outputs() -> dict[str, str]:
    """What gcloud describes in an environment provisioned as the code says."""
    outputs: dict[str, str] = {}
    for row in ENV.specs:
        name = ENV.function_name(row)
        ingress = "ALLOW_INTERNAL_AND_GCLB" if row.access == "public" else "ALLOW_INTERNAL_ONLY"
        config = {
            "ingressSettings": ingress,
            "serviceAccountEmail": ENV.function_account(row),
            "maxInstanceCount": row.max_instances,
            "maxInstanceRequestConcurrency": row.concurrency,
        }
        outputs[f"functions|describe|{name}"] = json.dumps({"state": "ACTIVE", "serviceConfig": config})
        if row.caller:
            members = [f"serviceAccount:{ENV.caller_account(row.caller)}"]
            outputs[f"run services|get-iam-policy|{name}"] = json.dumps(
                {"bindings": [{"role": "roles/run.invoker", "members": members}]}
            )
        if row.schedule:
            target = {
                "uri": ENV.function_url(row),
                "oidcToken": {"serviceAccountEmail": ENV.caller_account("scheduler")},
            }
            outputs[f"scheduler jobs|describe|{name}"] = json.dumps(
                {"state": "ENABLED", "schedule": row.schedule, "httpTarget": target}
            )
    outputs[f"tasks queues|describe|{ENV.queue}"] = json.dumps(
        {
            "state": "RUNNING",
            "retryConfig": {"maxAttempts": ENV.task_max_attempts},
            "rateLimits": {"maxConcurrentDispatches": max_dispatches(ENV)},
        }
    )
    bucket = f"gs://{ENV.bucket}"
    outputs[f"storage buckets|describe|{bucket}"] = json.dumps(
        {
            "iamConfiguration": {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": {"enabled": True}},
            "lifecycle": lifecycle_document(),
            "cors": cors_document(ENV),
        }
    )
    outputs[f"storage buckets|get-iam-policy|{bucket}"] = json.dumps({"bindings": []})
    ttl_fields = [
        {
            "name": f"projects/p/databases/(default)/collectionGroups/{t.collection_group}/fields/{t.field}",
            "ttlConfig": {"state": "ACTIVE"},
        }
        for t in TTL_POLICIES
    ]
    outputs["firestore fields ttls|list|"] = json.dumps(ttl_fields)
    outputs["firestore indexes composite|list|"] = json.dumps(
        [
            {
                "name": f"projects/p/databases/(default)/collectionGroups/{i.collection_group}/indexes/CICAgOi3kJAK",
                "fields": [
                    *({"fieldPath": path, "order": order.upper()} for path, order in i.fields),
                    {"fieldPath": "__name__", "order": "DESCENDING"},  # Firestore adds it
                ],
                "state": "READY",
            }
            for i in COMPOSITE_INDEXES
        ]
    )
    outputs[f"compute ssl-certificates|describe|{edge.certificate_name(ENV)}"] = json.dumps(
        {"managed": {"status": "ACTIVE"}}
    )
    return outputs


def _verify(fake, host):
    argv = ["-m", "infra.deploy.verify_env", "--env", "dev", "--base-url", host, "--functions-url", host]
    return fake.run([*argv, "--keys-dir", str(fake.work / "keys")])


def _rows(run) -> dict[str, str]:
    rows = {}
    for line in run.stdout.splitlines()[1:]:
        parts = line.split("  ")
        cells = [part.strip() for part in parts if part.strip()]
        if len(cells) >= 2 and cells[1] in ("ok", "FAIL", "wait"):
            rows[cells[0]] = cells[1]
    return rows


def test_a_healthy_environment_passes_every_check(fake_gcloud, host):
    fake_gcloud.project.outputs.update(healthy_outputs())
    run = _verify(fake_gcloud, host)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = _rows(run)
    assert set(rows.values()) == {"ok"}
    internal = [row for row in ENV.specs if row.access == "internal"]
    expected = (
        3
        + len(internal)
        + len(ENV.specs)
        + 1
        + sum(1 for r in ENV.specs if r.schedule)
        + 1
        + len(TTL_POLICIES)
        + len(COMPOSITE_INDEXES)
        + 1
    )
    assert len(rows) == expected
    assert "public key at the well-known URL is ours" in rows
    # Read-only: verify-env never changes anything.
    assert all(call[-1] == "--format=json" for call in fake_gcloud.calls())


@pytest.mark.parametrize(
    ("drift", "row"),
    [
        ("key", "public key at the well-known URL is ours"),
        ("callback", "callback with a bogus state → frontend #error=invalid_state"),
        ("open", "report_worker refuses an anonymous call"),
    ],
)
def test_http_drift_fails_its_row(fake_gcloud, host, drift, row):
    fake_gcloud.project.outputs.update(healthy_outputs())
    Host.drift = {drift}
    run = _verify(fake_gcloud, host)
    assert run.returncode == 1
    assert [name for name, result in _rows(run).items() if result == "FAIL"] == [row]


def test_describe_drift_fails_its_row_and_a_pending_certificate_only_waits(fake_gcloud, host):
    outputs = healthy_outputs()
    queue = json.loads(outputs[f"tasks queues|describe|{ENV.queue}"])
    queue["retryConfig"]["maxAttempts"] = 3
    outputs[f"tasks queues|describe|{ENV.queue}"] = json.dumps(queue)
    outputs[f"storage buckets|get-iam-policy|gs://{ENV.bucket}"] = json.dumps(
        {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}
    )
    outputs[f"compute ssl-certificates|describe|{edge.certificate_name(ENV)}"] = json.dumps(
        {"managed": {"status": "PROVISIONING"}}
    )
    fake_gcloud.project.outputs.update(outputs)
    run = _verify(fake_gcloud, host)
    assert run.returncode == 1
    rows = _rows(run)
    assert sorted(name for name, result in rows.items() if result == "FAIL") == [
        f"bucket gs://{ENV.bucket}",
        f"queue {ENV.queue}",
    ]
    assert rows[f"certificate for {ENV.host}"] == "wait"
    assert "max attempts 3 ≠ 5" in run.stdout


@pytest.mark.parametrize(("state", "result"), [("CREATING", "wait"), ("NEEDS_REPAIR", "FAIL"), (None, "FAIL")])
def test_a_composite_index_not_ready_shows_in_its_row(fake_gcloud, host, state, result):
    outputs = healthy_outputs()
    listed = json.loads(outputs["firestore indexes composite|list|"])
    outputs["firestore indexes composite|list|"] = json.dumps(
        [] if state is None else [{**index, "state": state} for index in listed]
    )
    fake_gcloud.project.outputs.update(outputs)
    rows = _rows(_verify(fake_gcloud, host))
    index_rows = {name: value for name, value in rows.items() if name.startswith("Firestore index")}
    assert list(index_rows.values()) == [result] * len(COMPOSITE_INDEXES)
    assert [name for name, value in rows.items() if value != "ok"] == list(index_rows)
