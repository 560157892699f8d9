"""The EC P-256 key pair Tesla uses to verify our partner domain."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from carpulse.errors import ConfigError


def new_private_key_pem() -> str:
    """A fresh prime256v1 private key in PEM (what `openssl ecparam -name prime256v1` makes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(private_pem: str) -> str:
    """The public half of our private key, as Tesla fetches it from the well-known URL."""
    try:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    except ValueError as exc:
        raise ConfigError("the Tesla private key secret is not a PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError("the Tesla private key must be EC P-256 (prime256v1)")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
