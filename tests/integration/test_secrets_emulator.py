"""Secret Manager stand-in, driven through the real google-cloud-secret-manager REST client: the
product's read (SecretManagerSource), a rotation's add_secret_version, and the stack's seeding."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import google_crc32c
import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import BadRequest, NotFound
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from carpulse.errors import ConfigError
from carpulse.gcp.secrets import SecretManagerSource
from infra.local.secrets_emulator import SecretsEmulator
from tests.integration.emulator_cli import emulator_process

pytestmark = pytest.mark.timeout(20)

PROJECT = "projects/test-proj"
SECRET = f"{PROJECT}/secrets/tesla-client-secret"


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


def test_the_product_reads_the_latest_value_and_rereads_a_rotated_one(
    client: secretmanager.SecretManagerServiceClient,
) -> None:
    source = SecretManagerSource(client, "test-proj")
    assert source.get("tesla-client-secret") == "seeded-value"
    client.add_secret_version(request={"parent": SECRET, "payload": {"data": b"rotated"}})
    assert source.get("tesla-client-secret") == "seeded-value"  # cached for the life of the instance
    assert source.reread("tesla-client-secret") == "rotated"
    with pytest.raises(ConfigError, match="not readable"):
        source.get("no-such-secret")


def test_add_and_access_versions(client: secretmanager.SecretManagerServiceClient) -> None:
    v2 = client.add_secret_version(
        request={"parent": SECRET, "payload": {"data": b"two", "data_crc32c": google_crc32c.value(b"two")}}
    )
    v3 = client.add_secret_version(request={"parent": SECRET, "payload": {"data": b"three"}})
    assert (v2.name, v3.name) == (f"{SECRET}/versions/2", f"{SECRET}/versions/3")
    assert client.access_secret_version(name=f"{SECRET}/versions/latest").name == v3.name
    assert access(client, f"{SECRET}/versions/latest") == b"three"
    assert access(client, f"{SECRET}/versions/2") == b"two"
    assert access(client, f"{SECRET}/versions/1") == b"seeded-value"
    # The seed is one namespace for every project id.
    assert access(client, "projects/other-proj/secrets/tesla-client-secret/versions/latest") == b"three"


def test_unknown_secret_or_version_is_not_found(client: secretmanager.SecretManagerServiceClient) -> None:
    with pytest.raises(NotFound):
        client.access_secret_version(name=f"{PROJECT}/secrets/nope/versions/latest")
    with pytest.raises(NotFound):
        client.access_secret_version(name=f"{SECRET}/versions/9")
    with pytest.raises(NotFound):
        client.add_secret_version(request={"parent": f"{PROJECT}/secrets/nope", "payload": {"data": b"x"}})


def test_a_version_with_a_wrong_checksum_is_refused(client: secretmanager.SecretManagerServiceClient) -> None:
    with pytest.raises(BadRequest):
        client.add_secret_version(request={"parent": SECRET, "payload": {"data": b"x", "data_crc32c": 1}})
    assert access(client, f"{SECRET}/versions/latest") == b"seeded-value"


def test_cli_seeded_from_the_environment_exits_on_sigterm() -> None:
    """As the local stack runs it: the values in an environment variable, never on disk or in the log."""
    seed = {"TEST_SECRETS_SEED": json.dumps({"cli-secret": "from-cli"})}
    with emulator_process(
        "infra.local.secrets_emulator",
        "--seed-env",
        "TEST_SECRETS_SEED",
        ready="secrets emulator ready on",
        env=seed,
        capture_stderr=True,
    ) as (proc, url):
        assert requests.get(f"{url}/_emulator/health", timeout=2).text == "ok"  # what the stack waits for
        client = make_client(url)
        assert access(client, f"{PROJECT}/secrets/cli-secret/versions/latest") == b"from-cli"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=5)
        assert proc.returncode == 0
        assert "from-cli" not in stderr  # secret values never reach the log
