"""The KMS signing key through the real google-cloud-kms client (REST) against the local KMS
stand-in: a report signed with a KMS key validates with pyHanko against our CA, rotation keeps
older reports valid, checksums are checked, and the stand-in's command line makes the keys it is given."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import BadRequest
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.errors import ConfigError
from carpulse.gcp.kms_signing import KmsSigningKey
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.signing import certs
from carpulse.signing.pades import PadesSigner, check_pdf
from infra.local.kms_emulator import KmsEmulator
from infra.local.secrets_emulator import SecretsEmulator
from tests.integration.emulator_cli import emulator_process
from tests.report_samples import full_eu

pytestmark = pytest.mark.timeout(60)
KEY = "projects/carpulse-test/locations/europe-west1/keyRings/carpulse/cryptoKeys/report-signing"


@pytest.fixture(scope="module")
def emulator() -> Iterator[KmsEmulator]:
    running = KmsEmulator()
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(emulator: KmsEmulator) -> kms.KeyManagementServiceClient:
    return kms.KeyManagementServiceClient(
        transport="rest", client_options=ClientOptions(api_endpoint=emulator.url), credentials=AnonymousCredentials()
    )


@pytest.fixture(scope="module")
def authority() -> certs.Authority:
    return certs.new_authority()


@pytest.fixture(scope="module")
def new_version(emulator: KmsEmulator) -> Callable[[], str]:
    """A new version of the report-signing key, made in the stand-in as gcloud makes it in the cloud."""
    return lambda: emulator.add_version(KEY)


def _signer(client, authority, version: str) -> PadesSigner:
    key = KmsSigningKey(client, version)
    certificate = certs.issue_signing_certificate(authority, key.public_key_pem(), version.rsplit("/", 1)[-1])
    return PadesSigner(key, certificate, [authority.certificate])


def test_a_report_signed_in_kms_validates_against_our_ca(client, authority, emulator, new_version) -> None:
    before = emulator.sign_calls
    signed = _signer(client, authority, new_version()).sign(render_vehicle_pdf(full_eu()))
    check = check_pdf(signed, [authority.certificate])
    assert check.genuine
    assert "report signing" in (check.signed_by or "")
    assert emulator.sign_calls == before + 1


def test_rotating_the_key_keeps_older_reports_valid(client, authority, new_version) -> None:
    old = _signer(client, authority, new_version()).sign(render_vehicle_pdf(full_eu()))
    new_signer = _signer(client, authority, new_version())
    new = new_signer.sign(render_vehicle_pdf(full_eu()))
    old_check, new_check = check_pdf(old, [authority.certificate]), check_pdf(new, [authority.certificate])
    assert old_check.genuine
    assert new_check.genuine
    assert old_check.key_id != new_check.key_id == new_signer.key_id


def test_a_digest_with_a_wrong_checksum_is_refused_by_kms(client, new_version) -> None:
    with pytest.raises(BadRequest):
        client.asymmetric_sign(request={"name": new_version(), "digest": {"sha256": b"\0" * 32}, "digest_crc32c": 1})


def test_an_unknown_key_version_is_a_config_error(client) -> None:
    with pytest.raises(ConfigError, match="not usable"):
        KmsSigningKey(client, f"{KEY}/cryptoKeyVersions/99").public_key_pem()
    with pytest.raises(ConfigError, match="not usable for signing"):
        KmsSigningKey(client, f"{KEY}/cryptoKeyVersions/99").sign_digest(b"\0" * 32)


def test_the_container_signs_through_kms_when_the_secret_names_a_key_version(
    client, authority, emulator, new_version
) -> None:
    version = new_version()
    certificate = certs.issue_signing_certificate(authority, KmsSigningKey(client, version).public_key_pem(), "c")
    secrets = SecretsEmulator(
        seed={
            "report-signing": json.dumps(
                {"certificate": certs.certificate_pem(certificate), "kms_key_version": version}
            ),
            "report-ca-certs": certs.certificate_pem(authority.certificate),
        }
    )
    secrets.start()
    try:
        settings = settings_from_env(
            {"ENV": "local", "SECRETS_EMULATOR_HOST": secrets.url, "KMS_EMULATOR_HOST": emulator.url}
        )
        signer = Container(settings).report_signer
        assert signer.key_id == certs.key_id(certificate)
        assert check_pdf(signer.sign(render_vehicle_pdf(full_eu())), [authority.certificate]).genuine
    finally:
        secrets.stop()


def test_cli_makes_the_keys_it_is_given_and_exits_on_sigterm() -> None:
    with emulator_process("infra.local.kms_emulator", "--key", KEY, ready="kms emulator ready on") as (proc, url):
        cli_client = kms.KeyManagementServiceClient(
            transport="rest",
            client_options=ClientOptions(api_endpoint=url),
            credentials=AnonymousCredentials(),
        )
        key = KmsSigningKey(cli_client, f"{KEY}/cryptoKeyVersions/1")
        assert key.public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")
        assert key.sign_digest(b"\1" * 32)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
