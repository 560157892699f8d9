"""Token encryption at rest, random tokens and hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carpulse.errors import ConfigError

_VERSION = b"v1"


class TokenCipher:
    """AES-256-GCM with a key from Secret Manager; the account id is bound as associated data
    so a ciphertext copied to another account does not decrypt."""

    def __init__(self, key_b64: str) -> None:
        try:
            key = base64.b64decode(key_b64, validate=True)
        except ValueError as exc:
            raise ConfigError("token encryption key is not base64") from exc
        if len(key) != 32:
            raise ConfigError("token encryption key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt a token for storage; returns printable text."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return (_VERSION + b":" + base64.urlsafe_b64encode(nonce + sealed)).decode()

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """Decrypt a stored token; raises ConfigError if the key or context does not match."""
        version, _, body = ciphertext.encode().partition(b":")
        if version != _VERSION:
            raise ConfigError("unknown token ciphertext version")
        raw = base64.urlsafe_b64decode(body)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise ConfigError("stored token does not decrypt with the configured key") from exc


def new_encryption_key() -> str:
    """A fresh base64 AES-256 key (for `make keys` and the local stack)."""
    return base64.b64encode(os.urandom(32)).decode()


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random token (OAuth state, session token, cookie nonce)."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """Hash used to store session tokens and OAuth states (never stored in clear)."""
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare secrets without leaking timing."""
    return hmac.compare_digest(a.encode(), b.encode())
