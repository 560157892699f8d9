"""The public_key function serves the configured key byte for byte and reads no secret in the
cloud; only the local stack derives it from the private key."""

from __future__ import annotations

from pathlib import Path

import pytest
from functions_framework import create_app

from carpulse import bootstrap, config
from carpulse.partner_key import new_private_key_pem, public_key_pem

SOURCE = Path(__file__).resolve().parents[2] / "functions" / "public_key" / "main.py"
PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"


@pytest.fixture
def served(monkeypatch):
    """GET the well-known path with the given environment; returns (status, body bytes)."""

    def get(**environ: str) -> tuple[int, bytes]:
        for key in ("ENV", "PUBLIC_KEY_PEM", "SECRET_SOURCE", "TESLA_PRIVATE_KEY"):
            monkeypatch.delenv(key, raising=False)
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        config.get_settings.cache_clear()
        bootstrap.container.cache_clear()
        response = create_app(target="public_key", source=str(SOURCE)).test_client().get(PATH)
        return response.status_code, response.get_data()

    yield get
    config.get_settings.cache_clear()
    bootstrap.container.cache_clear()


def test_configured_key_is_served_byte_for_byte_without_reading_a_secret(served):
    ours = public_key_pem(new_private_key_pem())
    other_private = new_private_key_pem()  # a secret the function must not consult
    status, body = served(ENV="dev", PUBLIC_KEY_PEM=ours, SECRET_SOURCE="env", TESLA_PRIVATE_KEY=other_private)
    assert status == 200
    assert body == ours.encode()


def test_cloud_without_configured_key_fails_closed(served):
    status, body = served(ENV="dev", SECRET_SOURCE="env", TESLA_PRIVATE_KEY=new_private_key_pem())
    assert status >= 500
    assert b"BEGIN PUBLIC KEY" not in body


def test_local_stack_derives_the_key_from_the_private_key(served):
    private = new_private_key_pem()
    status, body = served(ENV="local", SECRET_SOURCE="env", TESLA_PRIVATE_KEY=private)
    assert status == 200
    assert body == public_key_pem(private).encode()
