"""PAdES B-T: with REPORT_TSA_URL set, the signature carries an RFC 3161 timestamp from that
authority (here a local TSA over HTTP, pyHanko's test responder behind a real HTTP server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Flask, Response, request
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from carpulse.report.pdf import render_vehicle_pdf
from carpulse.signing import certs
from carpulse.signing.keys import LocalSigningKey
from carpulse.signing.pades import PadesSigner, check_pdf, timestamper_for
from infra.local._http_server import ThreadedHttpServer
from tests.report_samples import full_eu

STAMPED_AT = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)


def _tsa_certificate(authority: certs.Authority, key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(authority.private_key, hashes.SHA256())
    )


@pytest.fixture
def tsa_url() -> Iterator[str]:
    authority = certs.new_authority(common_name="Test TSA root")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA is RSA-only
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    responder = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(_tsa_certificate(authority, key).public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        fixed_dt=STAMPED_AT,
    )
    app = Flask("tsa")

    @app.post("/")
    def stamp() -> Response:
        answer = responder.request_tsa_response(tsp.TimeStampReq.load(request.get_data()))
        return Response(answer.dump(), mimetype="application/timestamp-reply")

    server = ThreadedHttpServer(app)
    server.start()
    yield server.url + "/"
    server.stop()


def test_a_configured_timestamp_authority_makes_b_t_signatures(tsa_url: str) -> None:
    material = certs.local_material("b-t")
    key = LocalSigningKey(certs.private_key_pem(material.signing_key))
    signer = PadesSigner(
        key, material.signing_certificate, [material.authority.certificate], timestamper=timestamper_for(tsa_url)
    )
    assert signer.profile == "B-T"
    check = check_pdf(signer.sign(render_vehicle_pdf(full_eu())), [material.authority.certificate])
    assert check.genuine
    assert check.signed_at == STAMPED_AT  # the authority's time, not the signer's claim


def test_without_a_timestamp_authority_signatures_are_b_b() -> None:
    material = certs.local_material("b-b")
    key = LocalSigningKey(certs.private_key_pem(material.signing_key))
    assert timestamper_for("") is None
    assert PadesSigner(key, material.signing_certificate, [material.authority.certificate]).profile == "B-B"
