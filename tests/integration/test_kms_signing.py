"""The KMS signing key through the real google-cloud-kms client (REST) against the local KMS
stand-in: a report signed with a KMS key validates with pyHanko against our CA, rotation keeps
older reports valid, and checksums are checked."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.gcp.kms_signing import KmsSigningKey
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.signing import certs
from carpulse.signing.pades import PadesSigner, check_pdf
from infra.local.kms_emulator import KmsEmulator
from infra.local.secrets_emulator import SecretsEmulator
from tests.report_samples import full_eu

pytestmark = pytest.mark.timeout(60)
RING = "projects/carpulse-test/locations/europe-west1/keyRings/carpulse"
KEY = f"{RING}/cryptoKeys/report-signing"


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


def _version(client: kms.KeyManagementServiceClient) -> str:
    return client.create_crypto_key_version(request={"parent": KEY, "crypto_key_version": {}}).name


@pytest.fixture(scope="module", autouse=True)
def key(client: kms.KeyManagementServiceClient) -> None:
    client.create_key_ring(
        request={"parent": RING.rsplit("/keyRings", 1)[0], "key_ring_id": "carpulse", "key_ring": {}}
    )
    client.create_crypto_key(
        request={
            "parent": RING,
            "crypto_key_id": "report-signing",
            "crypto_key": {"purpose": "ASYMMETRIC_SIGN", "version_template": {"algorithm": "EC_SIGN_P256_SHA256"}},
            "skip_initial_version_creation": True,
        }
    )


def _signer(client, authority, version: str) -> PadesSigner:
    key = KmsSigningKey(client, version)
    certificate = certs.issue_signing_certificate(authority, key.public_key_pem(), version.rsplit("/", 1)[-1])
    return PadesSigner(key, certificate, [authority.certificate])


def test_a_report_signed_in_kms_validates_against_our_ca(client, authority, emulator) -> None:
    before = requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()["sign_calls"]
    signed = _signer(client, authority, _version(client)).sign(render_vehicle_pdf(full_eu()))
    check = check_pdf(signed, [authority.certificate])
    assert check.genuine
    assert "report signing" in check.signed_by
    assert requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()["sign_calls"] == before + 1


def test_rotating_the_key_keeps_older_reports_valid(client, authority) -> None:
    old = _signer(client, authority, _version(client)).sign(render_vehicle_pdf(full_eu()))
    new_signer = _signer(client, authority, _version(client))
    new = new_signer.sign(render_vehicle_pdf(full_eu()))
    old_check, new_check = check_pdf(old, [authority.certificate]), check_pdf(new, [authority.certificate])
    assert old_check.genuine
    assert new_check.genuine
    assert old_check.key_id != new_check.key_id == new_signer.key_id


def test_a_digest_with_a_wrong_checksum_is_refused_by_kms(client) -> None:
    from google.api_core.exceptions import BadRequest

    with pytest.raises(BadRequest):
        client.asymmetric_sign(request={"name": _version(client), "digest": {"sha256": b"\0" * 32}, "digest_crc32c": 1})


def test_the_container_signs_through_kms_when_the_secret_names_a_key_version(client, authority, emulator) -> None:
    version = _version(client)
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
