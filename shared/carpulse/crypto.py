"""Token encryption at rest under a keyring, random tokens and hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carpulse.errors import ConfigError
from carpulse.keyring import TokenKeyring, parse_keyring

_LEGACY = "v1"  # "v1:<base64>": sealed before keyrings, under no key id
_KEYED = "v2"  # "v2:<key id>:<base64 of nonce + ciphertext>"
_RELOAD_AT_MOST_EVERY = 5.0  # seconds between re-reads for a key id the ring still lacks


class TokenCipher:
    """AES-256-GCM under a keyring (carpulse.keyring): new tokens are sealed with the current key
    and carry its id; a token opens with the key it names. The account id is bound as associated
    data, so a ciphertext copied to another account does not decrypt.

    Given a loader instead of the secret's value, the keyring is re-read every `refresh_seconds`
    (so every instance seals with a rotated key soon after `make keys`) and at once when a token
    names a key this instance does not hold yet (one sealed by an instance that already rotated).
    """

    def __init__(
        self,
        keyring: str | Callable[[], str],
        *,
        refresh_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = keyring if callable(keyring) else (lambda: keyring)
        self._reloads = callable(keyring)
        self._refresh_seconds, self._clock = refresh_seconds, clock
        self._lock = threading.Lock()
        self._ring: TokenKeyring | None = None
        self._aeads: dict[str, AESGCM] = {}
        self._loaded_at = float("-inf")
        self._missing: dict[str, float] = {}  # key ids not in the ring when last re-read, and when
        self._ring_now()  # a broken secret fails at once, not at the first token

    def _ring_now(self, *, missing: str | None = None) -> TokenKeyring:
        with self._lock:
            now = self._clock()
            stale = self._ring is None or (self._reloads and now - self._loaded_at >= self._refresh_seconds)
            lacking = missing is not None and missing not in self._aeads
            # A key id seen for the first time re-reads at once; one still missing after that, every 5 s.
            retry = (
                lacking
                and self._reloads
                and now - self._missing.get(missing or "", float("-inf")) >= _RELOAD_AT_MOST_EVERY
            )
            if stale or retry:
                ring = parse_keyring(self._load())
                self._aeads = {key_id: AESGCM(ring.key(key_id) or b"") for key_id in ring.keys}
                self._ring, self._loaded_at = ring, now
                if missing is not None and missing not in self._aeads:
                    self._missing[missing] = now
            assert self._ring is not None
            return self._ring

    @property
    def current_key_id(self) -> str:
        """The id new tokens are sealed under."""
        return self._ring_now().current

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt a token for storage under the current key; returns printable text."""
        key_id = self._ring_now().current
        nonce = os.urandom(12)
        sealed = self._aeads[key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_KEYED}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """Decrypt a stored token with the key it names; ConfigError if the keyring lacks that key
        or the key or context does not match."""
        key_id, raw = _parse(ciphertext)
        if key_id is None:  # sealed before keyrings: whichever key of the ring opens it
            candidates = list(self._ring_now().keys)
        else:
            self._ring_now(missing=key_id)
            if key_id not in self._aeads:
                raise ConfigError(f"stored token is sealed under key {key_id!r}, which the keyring does not hold")
            candidates = [key_id]
        for candidate in candidates:
            try:
                return self._aeads[candidate].decrypt(raw[:12], raw[12:], context.encode()).decode()
            except InvalidTag:
                continue
        raise ConfigError("stored token does not decrypt with the configured key")

    def key_id_of(self, ciphertext: str) -> str | None:
        """The key id a stored token names (None: sealed before keyrings)."""
        return _parse(ciphertext)[0]

    def needs_rekey(self, ciphertext: str) -> bool:
        """Whether a stored token is sealed under anything but the current key."""
        return self.key_id_of(ciphertext) != self.current_key_id


def _parse(ciphertext: str) -> tuple[str | None, bytes]:
    version, _, rest = ciphertext.partition(":")
    if version == _LEGACY:
        key_id, body = None, rest
    elif version == _KEYED:
        key_id, _, body = rest.partition(":")
    else:
        raise ConfigError("unknown token ciphertext version")
    try:
        return key_id, base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("stored token is not a ciphertext") from exc


def new_encryption_key() -> str:
    """A fresh base64 AES-256 key (a keyring of one: carpulse.keyring.first_keyring)."""
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
