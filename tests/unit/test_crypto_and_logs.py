"""Tokens at rest and what logs may contain."""

import logging

import pytest

from carpulse.crypto import TokenCipher, new_encryption_key, sha256_hex
from carpulse.errors import ConfigError
from carpulse.logs import mask_vin, redact
from carpulse.partner_key import new_private_key_pem, public_key_pem


def test_token_roundtrip_and_context_binding():
    cipher = TokenCipher(new_encryption_key())
    sealed = cipher.encrypt("secret-refresh-token", context="acc_1")
    assert "secret-refresh-token" not in sealed
    assert cipher.decrypt(sealed, context="acc_1") == "secret-refresh-token"
    with pytest.raises(ConfigError):
        cipher.decrypt(sealed, context="acc_2")


def test_wrong_key_is_a_config_error():
    sealed = TokenCipher(new_encryption_key()).encrypt("t", context="a")
    with pytest.raises(ConfigError):
        TokenCipher(new_encryption_key()).decrypt(sealed, context="a")
    with pytest.raises(ConfigError):
        TokenCipher("c2hvcnQ=")  # 5 bytes


def test_hash_is_the_sha256_hex_digest():
    # FIPS 180-2's test vector for "abc".
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_public_key_is_p256_pem():
    pem = public_key_pem(new_private_key_pem())
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(ConfigError):
        public_key_pem("not a key")


def test_redaction_of_tokens_and_vins():
    line = 'GET /api/1/vehicles/5YJ3E1EA7KF000001 Authorization: Bearer eyABC.def refresh_token="eyXYZ"'
    out = redact(line)
    assert "5YJ3E1EA7KF000001" not in out
    assert "…0001" in out
    assert "eyABC" not in out
    assert "eyXYZ" not in out
    assert mask_vin("5YJ3E1EA7KF000001") == "…0001"
    assert mask_vin(None) == "-"


def test_json_log_lines_are_redacted(capsys):
    from carpulse import logs

    root = logging.getLogger()
    saved = root.handlers[:]
    logs.reset_logging()
    try:
        logs.configure_logging()
        logging.getLogger("t").info(
            "vin 5YJ3E1EA7KF000001 token Bearer abc.def.ghi", extra=logs.log_fields(vin="LRW3F7EK4NC700000")
        )
    finally:
        root.handlers[:] = saved
        logs.reset_logging()
    captured = capsys.readouterr().out
    assert '"severity": "INFO"' in captured
    assert "5YJ3E1EA7KF000001" not in captured
    assert "LRW3F7EK4NC700000" not in captured
    assert "abc.def.ghi" not in captured
