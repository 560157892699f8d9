"""Secret Manager stand-in, driven through the real google-cloud-secret-manager REST client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import google_crc32c
import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import BadRequest, Conflict, NotFound
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from infra.local.secrets_emulator import SecretsEmulator

pytestmark = pytest.mark.timeout(20)

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "projects/test-proj"


def make_client(url: str) -> secretmanager.SecretManagerServiceClient:
    """Real Secret Manager client (REST transport) pointed at `url`."""
    options = ClientOptions(api_endpoint=url)
    return secretmanager.SecretManagerServiceClient(
        transport="rest", client_options=options, credentials=AnonymousCredentials()
    )


@pytest.fixture
def emulator() -> Iterator[SecretsEmulator]:
    em = SecretsEmulator(seed={"tesla-client-secret": "seeded-value"})
    em.start()
    yield em
    em.stop()


@pytest.fixture
def client(emulator: SecretsEmulator) -> secretmanager.SecretManagerServiceClient:
    return make_client(emulator.url)


def access(client: secretmanager.SecretManagerServiceClient, name: str) -> bytes:
    """Access a version and check the CRC32C the stand-in returns."""
    response = client.access_secret_version(name=name)
    assert response.payload.data_crc32c == google_crc32c.value(response.payload.data)
    return response.payload.data


def test_create_add_and_access_versions(client: secretmanager.SecretManagerServiceClient) -> None:
    secret = client.create_secret(
        request={"parent": PROJECT, "secret_id": "token-key", "secret": {"replication": {"automatic": {}}}}
    )
    assert secret.name == f"{PROJECT}/secrets/token-key"
    v1 = client.add_secret_version(
        request={
            "parent": secret.name,
            "payload": {"data": b"one", "data_crc32c": google_crc32c.value(b"one")},
        }
    )
    v2 = client.add_secret_version(request={"parent": secret.name, "payload": {"data": b"two"}})
    assert (v1.name, v2.name) == (f"{secret.name}/versions/1", f"{secret.name}/versions/2")
    latest = client.access_secret_version(name=f"{secret.name}/versions/latest")
    assert latest.name == f"{secret.name}/versions/2"
    assert access(client, f"{secret.name}/versions/latest") == b"two"
    assert access(client, f"{secret.name}/versions/1") == b"one"
    assert client.get_secret(name=secret.name).name == secret.name
    assert [v.name for v in client.list_secret_versions(parent=secret.name)] == [v2.name, v1.name]


def test_unknown_secret_or_version_is_not_found(client: secretmanager.SecretManagerServiceClient) -> None:
    with pytest.raises(NotFound):
        client.access_secret_version(name=f"{PROJECT}/secrets/nope/versions/latest")
    with pytest.raises(NotFound):
        client.get_secret(name=f"{PROJECT}/secrets/nope")
    with pytest.raises(NotFound):
        client.access_secret_version(name=f"{PROJECT}/secrets/tesla-client-secret/versions/9")
    with pytest.raises(NotFound):
        client.add_secret_version(request={"parent": f"{PROJECT}/secrets/nope", "payload": {"data": b"x"}})


def test_duplicate_secret_and_bad_checksum_are_rejected(
    client: secretmanager.SecretManagerServiceClient,
) -> None:
    with pytest.raises(Conflict):
        client.create_secret(request={"parent": PROJECT, "secret_id": "tesla-client-secret", "secret": {}})
    with pytest.raises(BadRequest):
        client.add_secret_version(
            request={
                "parent": f"{PROJECT}/secrets/tesla-client-secret",
                "payload": {"data": b"x", "data_crc32c": 1},
            }
        )


def test_seed_is_visible_from_any_project_and_restored_on_reset(
    emulator: SecretsEmulator, client: secretmanager.SecretManagerServiceClient
) -> None:
    other_project = "projects/other-proj/secrets/tesla-client-secret/versions/latest"
    assert access(client, other_project) == b"seeded-value"
    client.add_secret_version(
        request={
            "parent": f"{PROJECT}/secrets/tesla-client-secret",
            "payload": {"data": b"rotated"},
        }
    )
    assert access(client, f"{PROJECT}/secrets/tesla-client-secret/versions/latest") == b"rotated"
    assert requests.post(f"{emulator.url}/_emulator/reset").status_code == 200
    assert access(client, f"{PROJECT}/secrets/tesla-client-secret/versions/latest") == b"seeded-value"
    assert requests.get(f"{emulator.url}/_emulator/health").text == "ok"
    assert requests.get(f"{emulator.url}/_emulator/secrets").json() == {"secrets": ["tesla-client-secret"]}


def test_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "secrets.json"
    seed.write_text(json.dumps({"fleet-api-key": "k-123", "pdf-signing-key": "p-456"}))
    em = SecretsEmulator(seed_file=seed)
    em.start()
    try:
        client = make_client(em.url)
        assert access(client, f"{PROJECT}/secrets/fleet-api-key/versions/latest") == b"k-123"
        assert access(client, f"{PROJECT}/secrets/pdf-signing-key/versions/1") == b"p-456"
    finally:
        em.stop()


def test_cli_with_seed_file_exits_on_sigterm(tmp_path: Path) -> None:
    seed = tmp_path / "secrets.json"
    seed.write_text(json.dumps({"cli-secret": "from-cli"}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.secrets_emulator", "--port", "0", "--seed-file", str(seed)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("secrets emulator ready on http://127.0.0.1:")
        client = make_client(line.split()[-1])
        assert access(client, f"{PROJECT}/secrets/cli-secret/versions/latest") == b"from-cli"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=5)
        assert proc.returncode == 0
        assert "from-cli" not in stderr  # secret values never reach the log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
