"""The token-encryption keyring: one Secret Manager secret (`token-encryption-key`) holding every
key a stored token may be sealed with, so the key rotates without disconnecting anyone.

    {"current": "t20261202-3fa9c1", "rotated_at": "2026-12-02T10:00:00+00:00",
     "keys": {"t20261202-3fa9c1": "<base64 of 32 bytes>", "t20260601-77d0e2": "<…>"}}

New tokens are sealed under `current`; a stored token names the key it was sealed with. A rotation
adds a new current key and keeps the one before it (never more: current + previous); once
`make reencrypt` has moved every account to the current key, the previous one is retired. A secret
that is one bare base64 key (before keyrings) reads as a keyring of that key, id `legacy`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from carpulse.errors import ConfigError

LEGACY_KEY_ID = "legacy"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _key_bytes(value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a token key is base64") from exc
    if len(key) != 32:
        raise ValueError("a token key is 32 bytes (base64 of 32 random bytes)")
    return key


class TokenKeyring(BaseModel):
    """Every token key by id, and which one seals new tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    current: str
    keys: dict[str, str]
    rotated_at: datetime | None = None  # when `current` became current (instances re-read the ring)

    @field_validator("keys")
    @classmethod
    def _valid_keys(cls, keys: dict[str, str]) -> dict[str, str]:
        for key_id, value in keys.items():
            if not KEY_ID.match(key_id):
                raise ValueError("a key id is 1 to 40 letters, digits, '-' or '_'")
            _key_bytes(value)
        return keys

    @model_validator(mode="after")
    def _current_is_held(self) -> TokenKeyring:
        if self.current not in self.keys:
            raise ValueError("the current key id is not among the keys")
        return self

    def key(self, key_id: str) -> bytes | None:
        """The raw key of an id, or None."""
        value = self.keys.get(key_id)
        return _key_bytes(value) if value is not None else None

    @property
    def previous(self) -> tuple[str, ...]:
        """Ids of the keys kept only to open tokens sealed before the rotation."""
        return tuple(key_id for key_id in self.keys if key_id != self.current)

    def rotated(self, now: datetime | None = None) -> TokenKeyring:
        """A new current key; the old current one kept as the previous (refused while a previous
        key is still kept: re-encrypt and retire it first, so no key in use is ever dropped)."""
        if self.previous:
            raise ConfigError(
                f"the keyring still holds the previous key {', '.join(self.previous)}: run `make reencrypt`, "
                "then retire it (make keys KEY=token-encryption-key RETIRE=1) before rotating again"
            )
        new_id = new_key_id(now)
        return TokenKeyring(
            current=new_id,
            keys={new_id: new_key(), self.current: self.keys[self.current]},
            rotated_at=now or datetime.now(UTC),
        )

    def retired(self) -> TokenKeyring:
        """The keyring without its previous keys (after every token was re-encrypted)."""
        return TokenKeyring(
            current=self.current, keys={self.current: self.keys[self.current]}, rotated_at=self.rotated_at
        )

    def to_secret(self) -> str:
        """The secret's value (JSON)."""
        return self.model_dump_json(exclude_none=True)


def parse_keyring(secret: str) -> TokenKeyring:
    """A keyring from the secret's value: its JSON, or one bare base64 key (the format before keyrings)."""
    text = secret.strip()
    try:
        if text.startswith("{"):
            return TokenKeyring.model_validate(json.loads(text))
        return TokenKeyring(current=LEGACY_KEY_ID, keys={LEGACY_KEY_ID: text})
    except (ValueError, ValidationError) as exc:
        # Pydantic's text could quote the value: say only what is wrong.
        raise ConfigError("the token encryption key secret is not a valid keyring") from exc


def first_keyring(now: datetime | None = None) -> TokenKeyring:
    """A keyring of one fresh key (a new environment, the local stack)."""
    key_id = new_key_id(now)
    return TokenKeyring(current=key_id, keys={key_id: new_key()}, rotated_at=now or datetime.now(UTC))


def new_key() -> str:
    """A fresh base64 AES-256 key."""
    return base64.b64encode(os.urandom(32)).decode()


def new_key_id(now: datetime | None = None) -> str:
    """An id that says when the key was made: t<yyyymmdd>-<6 hex>."""
    return f"t{(now or datetime.now(UTC)):%Y%m%d}-{secrets.token_hex(3)}"
