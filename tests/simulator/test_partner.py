"""Partner registration and the optional 412 for unregistered regions."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient

from infra.simulator import SimulatorConfig, create_app
from infra.simulator import partner as partner_module

from .conftest import CLIENT_ID, CLIENT_SECRET, EU, bearer, login, partner_token

PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def fake_fetch(url: str) -> str:
        urls.append(url)
        return PEM

    monkeypatch.setattr(partner_module, "fetch_public_key", fake_fetch)
    return urls


def test_public_key_url() -> None:
    assert partner_module.public_key_url("api.example.com") == (
        "https://api.example.com/.well-known/appspecific/com.tesla.3p.public-key.pem"
    )
    assert partner_module.public_key_url("127.0.0.1:8080").startswith("http://127.0.0.1:8080/.well-known/")
    assert partner_module.public_key_url("localhost:9").startswith("http://localhost:9/")


def test_registration_requires_partner_token_and_valid_key(
    client: FlaskClient, fetched: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = bearer(login(client)["access_token"])
    assert client.post(f"{EU}/partner_accounts", headers=user, json={"domain": "a.example"}).status_code == 403
    partner = bearer(partner_token(client))
    reply = client.post(f"{EU}/partner_accounts", headers=partner, json={"domain": "a.example"})
    assert reply.status_code == 200
    assert reply.get_json()["response"]["domain"] == "a.example"
    assert fetched == ["https://a.example/.well-known/appspecific/com.tesla.3p.public-key.pem"]
    key = client.get(f"{EU}/partner_accounts/public_key?domain=a.example", headers=partner).get_json()
    assert key["response"]["public_key"].startswith("04")
    monkeypatch.setattr(partner_module, "fetch_public_key", lambda url: "not a key")
    bad = client.post(f"{EU}/partner_accounts", headers=partner, json={"domain": "b.example"})
    assert bad.status_code == 422


def test_unregistered_region_is_412_when_required(fetched: list[str]) -> None:
    config = SimulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, require_partner_registration=True)
    client = create_app(config).test_client()
    user = bearer(login(client)["access_token"])
    reply = client.get(f"{EU}/vehicles", headers=user)
    assert reply.status_code == 412
    partner = bearer(partner_token(client))
    client.post(f"{EU}/partner_accounts", headers=partner, json={"domain": "a.example"})
    assert client.get(f"{EU}/vehicles", headers=user).status_code == 200
    assert client.get("/fleet/na/api/1/users/region", headers=user).status_code == 412
