"""The report-signing key in Cloud KMS (asymmetric EC_SIGN_P256_SHA256): only digests go to it.

Both calls carry CRC32C checksums as Google recommends, so a digest or signature corrupted in
transit fails loudly instead of producing a report whose signature never validates.
"""

from __future__ import annotations

import threading

import google_crc32c
from google.api_core.exceptions import NotFound, PermissionDenied
from google.cloud import kms

from carpulse.errors import ConfigError, UpstreamError


def _crc(data: bytes) -> int:
    return int(google_crc32c.value(data))


class KmsSigningKey:
    """One KMS key version behind the SigningKey port."""

    def __init__(self, client: kms.KeyManagementServiceClient, key_version: str) -> None:
        self._client = client
        self._name = key_version
        self._public_pem: str | None = None
        self._lock = threading.Lock()

    def public_key_pem(self) -> str:
        """The key version's public key (read once per instance)."""
        with self._lock:
            if self._public_pem is None:
                try:
                    answer = self._client.get_public_key(request={"name": self._name})
                except (NotFound, PermissionDenied) as exc:
                    raise ConfigError(f"KMS key version is not usable ({type(exc).__name__})") from exc
                if answer.pem_crc32c and _crc(answer.pem.encode()) != int(answer.pem_crc32c):
                    raise UpstreamError("KMS public key arrived corrupted (CRC32C mismatch)")
                self._public_pem = answer.pem
            return self._public_pem

    def sign_digest(self, digest: bytes) -> bytes:
        """asymmetricSign on the SHA-256 digest; the DER ECDSA signature KMS returns."""
        try:
            answer = self._client.asymmetric_sign(
                request={"name": self._name, "digest": {"sha256": digest}, "digest_crc32c": _crc(digest)}
            )
        except (NotFound, PermissionDenied) as exc:
            raise ConfigError(f"KMS key version is not usable for signing ({type(exc).__name__})") from exc
        if not answer.verified_digest_crc32c or answer.name != self._name:
            raise UpstreamError("KMS did not confirm the digest it signed")
        if _crc(answer.signature) != int(answer.signature_crc32c):
            raise UpstreamError("KMS signature arrived corrupted (CRC32C mismatch)")
        return bytes(answer.signature)
