"""Our report CA and its signing certificates (X.509, with `cryptography`).

The CA signs one certificate per signing key (one per KMS key version): rotating the key adds a
certificate under the same CA, so every report ever signed still chains to the one published CA
certificate. The CA's private key is for ops only (infra/deploy/keys.py keeps it offline); the
functions only ever see certificates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from carpulse.errors import ConfigError

ORGANISATION = "Car Pulse Tracker"
CA_COMMON_NAME = "Car Pulse Tracker Report CA"
CA_YEARS = 25
SIGNING_YEARS = 12  # B-B signatures are checked against the certificate's validity at check time
# id-kp-documentSigning (RFC 9336): the certificate signs documents, not TLS or code.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, signing: bool) -> x509.KeyUsage:
    # Signing certificates: digitalSignature + nonRepudiation (content commitment); the CA: certificates only.
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True, slots=True)
class Authority:
    """The report CA: its certificate, and (for ops and the local stack only) its private key."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def new_authority(now: datetime | None = None, common_name: str = CA_COMMON_NAME) -> Authority:
    """A fresh self-signed report CA (EC P-384), valid for CA_YEARS."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP384R1())
    name = _name(common_name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    return Authority(certificate=certificate, private_key=key)


def issue_signing_certificate(
    authority: Authority, public_key_pem: str, label: str, now: datetime | None = None
) -> x509.Certificate:
    """A signing certificate for a public key (e.g. a KMS key version's), issued by the CA."""
    now = now or datetime.now(UTC)
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise ConfigError("the report-signing key must be EC P-256 (KMS algorithm EC_SIGN_P256_SHA256)")
    ca_public = authority.certificate.public_key()
    assert isinstance(ca_public, ec.EllipticCurvePublicKey)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"{ORGANISATION} report signing {label}"))
        .issuer_name(authority.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * SIGNING_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(authority.private_key, hashes.SHA384())
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    """A certificate as PEM text."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """An unencrypted PKCS#8 PEM (the local stand-in's key and the tests'; never a KMS key)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_certificates(pem: str) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, in order; ConfigError when there is none."""
    try:
        found = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise ConfigError("a report certificate secret is not PEM") from exc
    if not found:
        raise ConfigError("a report certificate secret holds no certificate")
    return found


def key_id(certificate: x509.Certificate) -> str:
    """The id a verification record names its signing key by: SHA-256 of the certificate, 16 hex."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()[:16]


def public_key_pem_of(certificate: x509.Certificate) -> str:
    """The certificate's public key as PEM (compared with the signing key's own)."""
    return (
        certificate.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True, slots=True)
class LocalMaterial:
    """A whole local signing setup: CA, signing key and certificate (local stack and tests)."""

    authority: Authority
    signing_key: ec.EllipticCurvePrivateKey
    signing_certificate: x509.Certificate


def local_material(label: str = "local") -> LocalMaterial:
    """A fresh CA with one signing key and certificate, for the local stack and tests."""
    authority = new_authority(common_name=f"{CA_COMMON_NAME} ({label})")
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    certificate = issue_signing_certificate(authority, public.decode(), label)
    return LocalMaterial(authority=authority, signing_key=key, signing_certificate=certificate)


def local_signing_secrets(label: str = "local") -> dict[str, str]:
    """The two report-signing secrets of a local stack: a fresh CA and a signing key in the secret."""
    material = local_material(label)
    identity = {
        "certificate": certificate_pem(material.signing_certificate),
        "private_key": private_key_pem(material.signing_key),
    }
    return {"report-signing": json.dumps(identity), "report-ca-certs": certificate_pem(material.authority.certificate)}
