"""Cold starts: from starting a function's process (functions-framework, as deployed) to its first
answer, against a hello-world function under the same framework.

The first answer is the one the platform's readiness check and the local stack wait for (any path,
no backend involved): what imports cost before a function can answer at all. The first answer to a
request that uses the backends (Firestore, Secret Manager, …) is measured too, for information:
it adds the Google client libraries' own import and connection time, which no layout of ours
removes."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from infra.functions import FUNCTIONS, spec
from infra.local.stack import ROOT, LocalStack, free_port

HELLO = """import functions_framework


@functions_framework.http
def hello(request):
    return "hello"
"""


@dataclass(frozen=True, kw_only=True)
class FirstRequest:
    """The request a function's first answer is timed for."""

    method: str
    path: str
    body: str | None = None
    internal: bool = False  # presents its caller's ID token (Cloud Tasks', Cloud Scheduler's)
    session: bool = False  # an owner's session token


READY = FirstRequest(method="GET", path="/_ready")
REAL_REQUESTS: dict[str, FirstRequest] = {
    "public_key": FirstRequest(method="GET", path="/.well-known/appspecific/com.tesla.3p.public-key.pem"),
    "oauth_initiate": FirstRequest(method="GET", path="/api/v1/tesla/oauth/initiate"),
    "oauth_callback": FirstRequest(method="GET", path="/api/v1/tesla/oauth/callback?error=access_denied&state=x"),
    "reports": FirstRequest(method="GET", path="/api/v1/reports/" + "0" * 32, session=True),
    "report_worker": FirstRequest(
        method="POST", path="/", body='{"kind": "prepare", "report_id": "' + "0" * 32 + '"}', internal=True
    ),
    "token_refresh": FirstRequest(method="POST", path="/", body="{}", internal=True),
    "sweeper": FirstRequest(method="POST", path="/", body="{}", internal=True),
    "verify": FirstRequest(method="GET", path="/verify/unknown-check-id"),
}


def first_answer(
    stack: LocalStack, target: str, source: Path, first: FirstRequest, session: str, extra_env: dict[str, str]
) -> float:
    """Seconds from starting the process to the first answer of `first`."""
    port = free_port()
    env = {**os.environ, **stack.env, **extra_env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "shared")])}
    caller = spec(target).caller if target in FUNCTIONS else None
    if caller is not None:  # checks its caller's token as it does in the stack
        env |= {"INTERNAL_AUDIENCE": stack.internal_url(target), "INTERNAL_CALLER": stack.caller_account(caller)}
    headers = {"Content-Type": "application/json"}
    if first.internal:
        headers["Authorization"] = f"Bearer {stack.id_token(target)}"
    if first.session:
        headers["Authorization"] = f"Bearer {session}"
    argv = [sys.executable, "-m", "functions_framework", "--target", target, "--source", str(source)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            try:
                requests.request(
                    first.method,
                    f"http://127.0.0.1:{port}{first.path}",
                    data=first.body,
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,
                )
                return time.perf_counter() - started
            except requests.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{target} exited with {proc.returncode}") from None
                time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def cold_start_ratios(
    stack: LocalStack, session: str, extra_env: dict[str, str], runs: int = 5
) -> tuple[dict[str, float], dict[str, float], float]:
    """Each function's first answer, and its first backed answer, over hello-world's first answer
    (medians of runs taken in turns); and hello-world's seconds."""
    with tempfile.TemporaryDirectory() as folder:
        hello = Path(folder) / "main.py"
        hello.write_text(HELLO)
        ready: dict[str, list[float]] = {}
        real: dict[str, list[float]] = {}
        hellos = []
        for _ in range(runs):
            hellos.append(first_answer(stack, "hello", hello, READY, session, extra_env))
            for name, first in REAL_REQUESTS.items():
                source = ROOT / "functions" / name / "main.py"
                ready.setdefault(name, []).append(first_answer(stack, name, source, READY, session, extra_env))
                real.setdefault(name, []).append(first_answer(stack, name, source, first, session, extra_env))
    base = statistics.median(hellos)
    return (
        {name: statistics.median(v) / base for name, v in ready.items()},
        {name: statistics.median(v) / base for name, v in real.items()},
        base,
    )
