"""The local stack: every Google stand-in, the Tesla simulator and each function, on free
loopback ports, in production's shape. Used by `make dev`, `make demo` and the pytest session.

Production has one API host in front of the functions (a load balancer routing the path table in
carpulse.http.routes) and a frontend on its own origin of the same site. Locally the gateway is
that API host (`http://localhost:<port>`) and the reference frontend page is served on another
port of `localhost`: same-site, cross-origin, as dev.carpulsetracker.com is to
dev.api.carpulsetracker.com. The Tesla redirect URI and the partner domain go through the gateway.

Every process is started in its own process group and killed as a group on stop, on Ctrl-C, on
SIGTERM and at interpreter exit, so nothing outlives the launcher. A function process that dies is
started again on the same port, as the platform starts a new instance.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from carpulse.config import Settings
from carpulse.http.routes import OAUTH_CALLBACK_PATH, public_functions
from infra.deploy.environment import CALLER_ACCOUNTS
from infra.functions import FUNCTIONS, Caller, spec
from infra.local.identity import CERTS_PATH

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = ROOT / "infra" / "simulator" / "scenarios" / "default"
FIRESTORE_JAR_CANDIDATES = (
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "/usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
    "/opt/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
)
PROJECT = "carpulse-local"
LOCATION = "europe-west1"
QUEUE = "report-work"
BUCKET = "carpulse-local-reports"
CLIENT_ID = "carpulse-local-client"
CN_CLIENT_ID = "carpulse-local-client-cn"
TASK_MAX_ATTEMPTS = 5


class StackError(RuntimeError):
    """The stack could not start; the message says which part and where its log is."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_firestore_jar() -> Path:
    """The Firestore emulator jar of the Google Cloud CLI."""
    override = os.environ.get("FIRESTORE_EMULATOR_JAR")
    candidates = [override] if override else []
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk = Path(os.path.realpath(gcloud)).parents[1]
        candidates.append(str(sdk / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"))
    candidates.extend(FIRESTORE_JAR_CANDIDATES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise StackError(
        "Firestore emulator not found: install the Google Cloud CLI component "
        "(apt-get install google-cloud-cli-firestore-emulator, or gcloud components install cloud-firestore-emulator)"
    )


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    argv: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    restarts: int = 0


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The Settings variables present in an environment (what `make dev` passes on)."""
    names = {name.upper() for name in Settings.model_fields}
    return {key: value for key, value in environ.items() if key in names and value != ""}


@dataclass
class LocalStack:
    """Starts and stops the whole local system."""

    scenario: Path = DEFAULT_SCENARIO
    log_dir: Path | None = None
    wake_seconds: float = 2.0
    access_token_ttl: int = 28800
    extra_env: dict[str, str] = field(default_factory=dict)  # overrides for the functions' settings
    frontend_url: str | None = None  # where the callback sends the owner (default: the reference page)
    restart_functions: bool = True  # start a function process again when it dies
    procs: list[_Proc] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    # Secrets of this run stay out of reprs (pytest prints a failing test's fixtures).
    env: dict[str, str] = field(default_factory=dict, repr=False)
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    cn_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    secret_values: dict[str, str] = field(default_factory=dict, repr=False)  # what Secret Manager holds
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _procs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _held: dict[str, float] = field(default_factory=dict, repr=False)  # function → no restart before
    _supervisor: threading.Thread | None = field(default=None, repr=False)

    @property
    def api_url(self) -> str:
        """The API host (the gateway): every public path of the product is under it."""
        return self.urls["gateway"]

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start everything and wait until each part answers."""
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix="carpulse-stack-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if not self.secret_values:
            self.secret_values = self._new_secret_values()
        atexit.register(self.stop)
        try:
            self._start_backends()
            self._seed()
            self._start_functions()
            self._start_edge()
        except BaseException:
            self.stop()
            raise
        if self.restart_functions:
            self._supervisor = threading.Thread(target=self._supervise, name="stack-supervisor", daemon=True)
            self._supervisor.start()

    def stop(self) -> None:
        """Terminate every process group we started (then kill what is left)."""
        with self._procs_lock:
            self._stopping.set()
            procs, self.procs = self.procs, []
        for proc in procs:
            _signal_group(proc.popen, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.popen, signal.SIGKILL)
                proc.popen.wait(timeout=5)

    # --- parts -----------------------------------------------------------------------------------

    def _start_backends(self) -> None:
        py = sys.executable
        ports = {name: free_port() for name in ("firestore", "storage", "tasks", "secrets", "tesla", "identity")}
        self.urls.update({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
        jar = find_firestore_jar()
        java = shutil.which("java")
        if java is None:
            raise StackError("Java 11+ is required for the Firestore emulator")
        self._spawn(
            "firestore",
            [
                java,
                "-Duser.language=en",
                "-cp",
                str(jar),
                "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                "start",
                "--host=127.0.0.1",
                f"--port={ports['firestore']}",
            ],
        )
        self._spawn(
            "storage",
            [
                py,
                "-m",
                "infra.local.storage_emulator",
                "start",
                "--host=127.0.0.1",
                f"--port={ports['storage']}",
                "--in-memory",
            ],
        )
        # Google's ID-token signing: its key lives in that process's memory only.
        self._spawn(
            "identity", [py, "-m", "infra.local.identity", "--host", "127.0.0.1", "--port", str(ports["identity"])]
        )
        self._spawn(
            "tasks",
            [py, "-m", "infra.local.tasks_emulator", "--host", "127.0.0.1", "--port", str(ports["tasks"])],
            extra_env={"TASKS_EMULATOR_IDENTITY_URL": self.urls["identity"]},
        )
        self._spawn(
            "secrets",
            [
                py,
                "-m",
                "infra.local.secrets_emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports["secrets"]),
                "--seed-env",
                "SECRETS_EMULATOR_SEED",
            ],
            # The environment, not a file: secret values never land in the log folder.
            extra_env={"SECRETS_EMULATOR_SEED": json.dumps(self.secret_values)},
        )
        self._spawn(
            "tesla",
            [
                py,
                "-m",
                "infra.simulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports["tesla"]),
                "--scenario",
                str(self.scenario),
                "--client-id",
                CLIENT_ID,
                f"--client-secret={self.client_secret}",  # "=": a token may start with "-"
                "--cn-client-id",
                CN_CLIENT_ID,
                f"--cn-client-secret={self.cn_client_secret}",
                "--wake-seconds",
                str(self.wake_seconds),
                "--access-token-ttl",
                str(self.access_token_ttl),
            ],
        )
        self._wait_http("firestore", self.urls["firestore"] + "/")
        self._wait_http("storage", self.urls["storage"] + "/storage/v1/b")
        self._wait_http("tasks", self.urls["tasks"] + "/_emulator/health")
        self._wait_http("identity", self.urls["identity"] + "/_emulator/health")
        self._wait_http("secrets", self.urls["secrets"] + "/_emulator/health")
        self._wait_http("tesla", self.urls["tesla"] + "/_sim/health")

    def secret_texts(self) -> list[str]:
        """Every secret value of this run (for checks that none of them leaks into logs)."""
        values = [self.client_secret, self.cn_client_secret, *self.secret_values.values()]
        return [v for v in values if v]

    def _new_secret_values(self) -> dict[str, str]:
        from carpulse.keyring import first_keyring
        from carpulse.partner_key import new_private_key_pem
        from carpulse.signing.certs import local_signing_secrets

        return {
            "tesla-client-secret": self.client_secret,
            "tesla-cn-client-secret": self.cn_client_secret,
            "token-encryption-key": first_keyring().to_secret(),  # a keyring of one key
            "tesla-private-key": new_private_key_pem(),
            **local_signing_secrets(),  # report CA + signing key (the cloud's is in KMS)
        }

    def _seed(self) -> None:
        """Create the bucket and the queue through the real client libraries."""
        from google.api_core.client_options import ClientOptions
        from google.api_core.exceptions import Conflict
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage, tasks_v2
        from google.protobuf import duration_pb2

        # The client reads its endpoint from the environment: set it for this client only, so a
        # second stack in the same process (a test module's own) leaves the first one's in place.
        previous = os.environ.get("STORAGE_EMULATOR_HOST")
        os.environ["STORAGE_EMULATOR_HOST"] = self.urls["storage"]
        try:
            client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
        finally:
            if previous is None:
                os.environ.pop("STORAGE_EMULATOR_HOST", None)
            else:
                os.environ["STORAGE_EMULATOR_HOST"] = previous
        with contextlib.suppress(Conflict):
            client.create_bucket(BUCKET)
        tasks = tasks_v2.CloudTasksClient(
            transport="rest",
            client_options=ClientOptions(api_endpoint=self.urls["tasks"]),
            credentials=AnonymousCredentials(),
        )
        tasks.create_queue(
            parent=f"projects/{PROJECT}/locations/{LOCATION}",
            queue=tasks_v2.Queue(
                name=f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}",
                rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=8),
                retry_config=tasks_v2.RetryConfig(
                    max_attempts=TASK_MAX_ATTEMPTS,
                    min_backoff=duration_pb2.Duration(nanos=500_000_000),
                    max_backoff=duration_pb2.Duration(seconds=5),
                ),
            ),
        )

    def _start_functions(self) -> None:
        ports = {name: free_port() for name in (*FUNCTIONS, "gateway", "frontend")}
        for name in FUNCTIONS:
            self.urls[name] = f"http://127.0.0.1:{ports[name]}"
        # The API host and the frontend are both on "localhost": one site, two origins.
        self.urls["gateway"] = f"http://localhost:{ports['gateway']}"
        self.urls["frontend"] = f"http://localhost:{ports['frontend']}"
        self._edge_ports = (ports["gateway"], ports["frontend"])
        tesla = self.urls["tesla"]
        frontend_url = self.frontend_url or self.urls["frontend"] + "/"
        origins = dict.fromkeys([origin_of(frontend_url), self.urls["frontend"]])
        self.env = {
            "ENV": "local",
            "GCP_PROJECT": PROJECT,
            "GCP_LOCATION": LOCATION,
            "TESLA_CLIENT_ID": CLIENT_ID,
            "TESLA_CN_CLIENT_ID": CN_CLIENT_ID,
            "TESLA_AUTH_BASE_URL": tesla,
            "TESLA_CN_AUTH_BASE_URL": f"{tesla}/cn",
            "TESLA_REGION_BASE_URLS": json.dumps({r: f"{tesla}/fleet/{r}" for r in ("na", "eu", "cn")}),
            "OAUTH_REDIRECT_URI": self.api_url + OAUTH_CALLBACK_PATH,
            "PARTNER_DOMAIN": self.api_url.removeprefix("http://"),
            "FRONTEND_URL": frontend_url,
            "FRONTEND_ORIGINS": ",".join(origins),
            "WORKER_URL": self.urls["report_worker"] + "/",
            "REPORTS_BUCKET": BUCKET,
            "TASKS_QUEUE": QUEUE,
            "TASK_MAX_ATTEMPTS": str(TASK_MAX_ATTEMPTS),
            "FIRESTORE_EMULATOR_HOST": self.urls["firestore"].removeprefix("http://"),
            "STORAGE_EMULATOR_HOST": self.urls["storage"],
            "TASKS_EMULATOR_HOST": self.urls["tasks"],
            "SECRETS_EMULATOR_HOST": self.urls["secrets"],
            # Internal functions verify real ID tokens, signed by the identity stand-in.
            "OIDC_CERTS_URL": self.urls["identity"] + CERTS_PATH,
            "OIDC_ISSUERS": self.urls["identity"],
            "TASKS_SERVICE_ACCOUNT": self.caller_account("tasks"),
            "WAKE_WAIT_SECONDS": str(self.wake_seconds + 0.5),
            "OFFLINE_WAIT_SECONDS": "1",
            # Locally runs are short and nothing may hang for long: sweep often, give up sooner.
            "REPORT_STALL_SECONDS": "60",
            "SWEEP_INTERVAL_SECONDS": "10",
            "VIN_RUN_LEASE_SECONDS": "120",
            "TOKEN_KEYRING_REFRESH_SECONDS": "5",  # a rotated token key reaches every process at once
            # The gateway appends the client's address to X-Forwarded-For, as the balancer does (2 there).
            "VERIFY_CLIENT_IP_HOPS": "1",
            **self.extra_env,
        }
        for name in FUNCTIONS:
            self._spawn(
                name,
                [
                    sys.executable,
                    "-m",
                    "functions_framework",
                    "--target",
                    name,
                    "--source",
                    str(ROOT / "functions" / name / "main.py"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports[name]),
                ],
                extra_env={**self.env, **self._caller_env(name)},
            )
        for name in FUNCTIONS:
            self._wait_http(name, self.urls[name] + "/_ready")

    def _start_edge(self) -> None:
        """The gateway (routing the path table to the public functions) and the frontend page."""
        gateway_port, frontend_port = self._edge_ports
        routed = {name: self.urls[name] for name in public_functions() if name in self.urls}
        self._spawn(
            "gateway",
            [sys.executable, "-m", "infra.local.gateway", "--host", "127.0.0.1", "--port", str(gateway_port)],
            extra_env={"GATEWAY_FUNCTIONS": json.dumps(routed)},
        )
        self._spawn(
            "frontend",
            [
                sys.executable,
                "-m",
                "infra.local.frontend_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(frontend_port),
                "--api",
                self.api_url,
            ],
        )
        self._wait_http("gateway", f"http://127.0.0.1:{gateway_port}/")
        self._wait_http("frontend", f"http://127.0.0.1:{frontend_port}/config.js")
        jobs = [
            {
                "name": name,
                "url": self.internal_url(name),
                "audience": self.internal_url(name),
                "service_account": self.caller_account("scheduler"),
                "interval": interval,
            }
            for name, interval in (("sweeper", float(self.env["SWEEP_INTERVAL_SECONDS"])), ("token_refresh", 1800.0))
        ]
        self._spawn(
            "scheduler",
            [sys.executable, "-m", "infra.local.scheduler"],
            extra_env={"SCHEDULER_JOBS": json.dumps(jobs), "SCHEDULER_IDENTITY_URL": self.urls["identity"]},
        )

    def _supervise(self) -> None:
        """Start a function process again when it exits, on the same port (a new instance)."""
        while not self._stopping.wait(0.5):
            with self._procs_lock:
                for proc in list(self.procs):
                    held = self._held.get(proc.name, 0.0) > time.monotonic()
                    dead = proc.name in FUNCTIONS and proc.popen.poll() is not None
                    if dead and not held and not self._stopping.is_set():
                        self._respawn(proc)

    def kill_function(self, name: str, down_seconds: float = 0.0) -> None:
        """Kill a function process (an instance dying mid-task); it comes back after `down_seconds`."""
        with self._procs_lock:
            self._held[name] = time.monotonic() + down_seconds
            for proc in self.procs:
                if proc.name == name:
                    _signal_group(proc.popen, signal.SIGKILL)
                    proc.popen.wait(timeout=10)

    def wait_function(self, name: str, timeout: float = 60.0) -> None:
        """Wait until a function answers again (after kill_function)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.urls[name] + "/_ready", timeout=1, allow_redirects=False)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise StackError(f"{name} did not come back within {timeout:.0f}s")

    def _respawn(self, proc: _Proc) -> None:
        with proc.log_path.open("ab") as log:
            log.write(f"\n--- exited with {proc.popen.returncode}; starting again ---\n".encode())
        replacement = self._spawn(proc.name, proc.argv, proc.extra_env, append=True)
        replacement.restarts = proc.restarts + 1
        self.procs.remove(proc)

    # --- internal callers ---------------------------------------------------------------------------

    @staticmethod
    def caller_account(caller: Caller) -> str:
        """The local e-mail of the identity Cloud Tasks or Cloud Scheduler presents."""
        return f"{CALLER_ACCOUNTS[caller]}@{PROJECT}.iam.gserviceaccount.com"

    def internal_url(self, name: str) -> str:
        """The URL an internal function is called at: also the audience of its callers' tokens."""
        return self.urls[name] + "/"

    def _caller_env(self, name: str) -> dict[str, str]:
        caller = spec(name).caller
        if caller is None:
            return {}
        return {"INTERNAL_AUDIENCE": self.internal_url(name), "INTERNAL_CALLER": self.caller_account(caller)}

    def id_token(self, name: str, *, audience: str | None = None, email: str | None = None, age: float = 0) -> str:
        """A signed ID token as the function's own caller presents it (tests vary audience, e-mail, age)."""
        from infra.local.identity import fetch_id_token

        caller = spec(name).caller
        assert caller is not None, f"{name} is not an internal function"
        return fetch_id_token(
            self.urls["identity"],
            audience or self.internal_url(name),
            email or self.caller_account(caller),
            age_seconds=age,
        )

    def env_file_values(self) -> dict[str, str]:
        """What `.local/stack.env` holds: the functions' settings and every URL of the stack."""
        urls = {
            "GATEWAY_URL": self.api_url,
            "FRONTEND_URL": self.env.get("FRONTEND_URL", self.urls["frontend"] + "/"),
            "FRONTEND_PAGE_URL": self.urls["frontend"] + "/",
            "TESLA_SIM_URL": self.urls["tesla"],
            **{f"{name.upper()}_URL": self.urls[name] for name in FUNCTIONS},
        }
        return {**self.env, **urls}

    # --- helpers ---------------------------------------------------------------------------------

    def _spawn(
        self, name: str, argv: list[str], extra_env: dict[str, str] | None = None, *, append: bool = False
    ) -> _Proc:
        log_path = self.log_dir / f"{name}.log"  # type: ignore[operator]
        settings_names = {n.upper() for n in Settings.model_fields}
        # Only what the stack sets reaches a process: no stray setting of the caller's shell.
        env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST") and k not in settings_names}
        env.update(extra_env or {})
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "shared")])
        env["PYTHONUNBUFFERED"] = "1"
        with log_path.open("ab" if append else "wb") as log:
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: we can kill it and its children
            )
        proc = _Proc(name, popen, log_path, argv=list(argv), extra_env=dict(extra_env or {}))
        self.procs.append(proc)
        return proc

    def _wait_http(self, name: str, url: str, timeout: float = 60.0) -> None:
        proc = next(p for p in self.procs if p.name == name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise StackError(
                    f"{name} exited with {proc.popen.returncode}; see {proc.log_path}:\n{_tail(proc.log_path)}"
                )
            try:
                requests.get(url, timeout=1, allow_redirects=False)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise StackError(f"{name} did not answer within {timeout:.0f}s; see {proc.log_path}")

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Wait until the Tasks emulator has nothing pending or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if requests.get(self.urls["tasks"] + "/_emulator/idle", timeout=5).json().get("idle"):
                return
            time.sleep(0.2)
        raise StackError("tasks still running after timeout")

    def reset(self) -> None:
        """Wipe Firestore documents and the simulator's state between tests."""
        requests.delete(
            f"{self.urls['firestore']}/emulator/v1/projects/{PROJECT}/databases/(default)/documents", timeout=10
        ).raise_for_status()
        requests.post(self.urls["tesla"] + "/_sim/reset", timeout=10).raise_for_status()


def _signal_group(popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main() -> int:
    """`python -m infra.local.stack [--scenario DIR]`: run the stack until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Run the Car Pulse Tracker local stack")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--log-dir", type=Path, default=ROOT / ".local" / "logs")
    parser.add_argument("--env-file", type=Path, default=ROOT / ".local" / "stack.env")
    args = parser.parse_args()
    # Settings given in the environment of `make dev` reach the functions (FRONTEND_URL included).
    passed = settings_from_environment(os.environ)
    frontend_url = passed.pop("FRONTEND_URL", None)
    stack = LocalStack(scenario=args.scenario, log_dir=args.log_dir, extra_env=passed, frontend_url=frontend_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("starting the local stack …", flush=True)
    with stack:
        env_file: Path = args.env_file
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(stack.env_file_values().items())))
        env_file.chmod(0o600)
        print(f"  API host (gateway)  {stack.api_url}", flush=True)
        print(f"  frontend page       {stack.urls['frontend']}/", flush=True)
        if frontend_url:
            print(f"  callback redirects  {frontend_url}", flush=True)
        width = max(len(n) for n in stack.urls)
        for name, url in stack.urls.items():
            if name not in ("gateway", "frontend"):
                print(f"    {name:<{width}}  {url}", flush=True)
        if passed:
            print(f"settings passed on: {', '.join(sorted(passed))}", flush=True)
        print(f"logs: {args.log_dir}   environment: {env_file}", flush=True)
        print("ready; Ctrl-C stops everything", flush=True)
        try:
            while True:
                dead = [p.name for p in stack.procs if p.popen.poll() is not None and p.name not in FUNCTIONS]
                if dead:
                    print(f"stopped because {', '.join(dead)} exited; see {args.log_dir}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping …", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
