"""`make dev` as a developer runs it: URLs printed, .local/stack.env written, settings from the
environment passed on, FRONTEND_URL pointing the callback at a frontend served elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from infra.local.owner import SimulatedOwner

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]


def _read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_make_dev_prints_urls_writes_the_env_file_and_passes_settings_on(tmp_path):
    env_file = tmp_path / "stack.env"
    env = {
        **os.environ,
        "FRONTEND_URL": "http://localhost:5173/connected",
        "FETCH_SPECS": "false",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'shared'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.stack", "--log-dir", str(tmp_path / "logs"), "--env-file", str(env_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            printed.append(line)
            if line.startswith("ready"):
                break
        output = "".join(printed)
        assert "ready" in output, output
        values = _read_env(env_file)
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"
        for key in ("GATEWAY_URL", "FRONTEND_URL", "TESLA_SIM_URL", "REPORT_WORKER_URL", "TOKEN_REFRESH_URL"):
            assert values.get(key), key
        assert values["GATEWAY_URL"] in output
        assert values["FRONTEND_URL"] == "http://localhost:5173/connected"
        assert values["FETCH_SPECS"] == "false"
        assert "http://localhost:5173" in values["FRONTEND_ORIGINS"].split(",")
        assert values["OAUTH_REDIRECT_URI"] == values["GATEWAY_URL"] + "/api/v1/tesla/oauth/callback"
        owner = SimulatedOwner(values["GATEWAY_URL"])
        response = owner.finish_login(owner.consent(owner.start_login()))
        assert response.headers["Location"].startswith("http://localhost:5173/connected#code=")
        preflight = requests.options(
            values["GATEWAY_URL"] + "/api/v1/reports",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
