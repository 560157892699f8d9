"""The real HTTP server: in-process start/stop, dropped connections, and the CLI process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from infra.simulator import SimulatorConfig, SimulatorServer

ROOT = Path(__file__).resolve().parents[2]


def test_in_process_server_serves_and_stops() -> None:
    with SimulatorServer(SimulatorConfig()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{server.url}/_sim/health", timeout=5).text == "ok"
        region = requests.get(f"{server.url}/fleet/eu/api/1/users/region", timeout=5)
        assert (region.status_code, region.content) == (401, b"")
        url = server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sim/health", timeout=2)


def test_drop_connection_fault_closes_the_socket() -> None:
    with SimulatorServer(SimulatorConfig()) as server:
        fault = {"path_pattern": "/api/1/vehicles$", "drop_connection": True}
        assert requests.post(f"{server.url}/_sim/faults", json=fault, timeout=5).status_code == 201
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/fleet/eu/api/1/vehicles", timeout=5)
        log = requests.get(f"{server.url}/_sim/requests", timeout=5).json()
        assert log[-1]["status"] is None
        assert log[-1]["billable"] is False
        # The next request is served normally.
        assert requests.get(f"{server.url}/fleet/eu/api/1/vehicles", timeout=5).status_code == 401


def _spawn(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "infra.simulator", "--port", "0", "--client-id", "c", "--client-secret", "s"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [*command, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_cli_prints_url_and_stops_on_sigterm() -> None:
    process = _spawn("--wake-seconds", "0.1")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/_sim/health", timeout=5).text == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_rejects_an_invalid_scenario(tmp_path: Path) -> None:
    process = _spawn("--scenario", str(tmp_path))
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "scenario.json" in stderr


def test_concurrent_refreshes_of_one_token_let_exactly_one_win() -> None:
    config = SimulatorConfig(client_id="c", client_secret="s")
    with SimulatorServer(config) as server:
        form = {
            "response_type": "code",
            "client_id": "c",
            "redirect_uri": "http://127.0.0.1:9/cb",
            "scope": "openid offline_access vehicle_device_data",
            "state": "x",
            "decision": "allow",
        }
        location = requests.post(
            f"{server.url}/oauth2/v3/authorize", data=form, allow_redirects=False, timeout=5
        ).headers["Location"]
        code = location.split("code=", 1)[1].split("&", 1)[0]
        exchange = {
            "grant_type": "authorization_code",
            "client_id": "c",
            "client_secret": "s",
            "code": code,
            "redirect_uri": form["redirect_uri"],
        }
        refresh_token = requests.post(f"{server.url}/oauth2/v3/token", json=exchange, timeout=5).json()["refresh_token"]
        body = {"grant_type": "refresh_token", "client_id": "c", "refresh_token": refresh_token}
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(
                pool.map(lambda _: requests.post(f"{server.url}/oauth2/v3/token", json=body, timeout=5), range(8))
            )
        statuses = sorted(r.status_code for r in replies)
        assert statuses == [200] + [401] * 7
        assert all(r.json()["error"] == "login_required" for r in replies if r.status_code == 401)
