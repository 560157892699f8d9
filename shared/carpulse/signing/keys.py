"""The report-signing identity from its secret, and the local (in-memory) signing key.

The secret `report-signing` holds one JSON object per version, so a rotation is one new version:

    {"certificate": "<PEM, issued by our report CA>", "kms_key_version": "projects/…/cryptoKeyVersions/N"}

in the cloud (the private key stays in Cloud KMS), or, in the local stack and tests only,

    {"certificate": "<PEM>", "private_key": "<PKCS#8 PEM>"}
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from carpulse.errors import ConfigError

KMS_VERSION_PATTERN = r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+/cryptoKeyVersions/[0-9]+$"


class SigningIdentity(BaseModel):
    """What the `report-signing` secret says: the certificate and where its private key is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate: str
    kms_key_version: str | None = None
    private_key: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> SigningIdentity:
        if (self.kms_key_version is None) == (self.private_key is None):
            raise ValueError("name exactly one of kms_key_version or private_key")
        return self

    @classmethod
    def from_secret(cls, value: str) -> SigningIdentity:
        """Parse the secret's JSON; ConfigError (without the value) when it is malformed."""
        try:
            return cls.model_validate(json.loads(value))
        except (ValueError, ValidationError) as exc:
            raise ConfigError("the report-signing secret is not a valid signing identity") from exc


class LocalSigningKey:
    """An EC P-256 key in memory, behind the same SigningKey port as the KMS key."""

    def __init__(self, private_pem: str) -> None:
        try:
            key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        except ValueError as exc:
            raise ConfigError("the local report-signing key is not a PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ConfigError("the report-signing key must be EC P-256")
        self._key = key

    def public_key_pem(self) -> str:
        """The public half, PEM."""
        public = self._key.public_key()
        return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign_digest(self, digest: bytes) -> bytes:
        """DER ECDSA signature of a SHA-256 digest (what KMS's asymmetricSign returns)."""
        return self._key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
