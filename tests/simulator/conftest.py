"""Shared fixtures: an app on a fake clock, a test client and helpers that run the OAuth flow."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from infra.simulator import SimulatorConfig, create_app

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
REDIRECT = "https://app.example.test/oauth/callback"
USER_SCOPES = "openid offline_access vehicle_device_data vehicle_charging_cmds vehicle_specs"
V_MODEL3 = "LRW3E7EK9RC900101"
V_MODELY = "XP7YGCEL7RB900202"
V_MODELS = "5YJSA7H42FF900303"
EU = "/fleet/eu/api/1"


class FakeClock:
    """A controllable clock so expiry and wake-up tests never sleep."""

    def __init__(self, start: float = 1_773_480_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> SimulatorConfig:
    return SimulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, wake_seconds=5, access_token_ttl=3600)


@pytest.fixture
def app(config: SimulatorConfig, clock: FakeClock) -> Flask:
    return create_app(config, clock=clock)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


def authorize(client: FlaskClient, scope: str = USER_SCOPES, decision: str = "allow", state: str = "st4te") -> str:
    """Consent through the form and return the redirect Location."""
    form = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        "decision": decision,
    }
    reply = client.post("/oauth2/v3/authorize", data=form)
    assert reply.status_code == 302
    return reply.headers["Location"]


def query_of(location: str) -> dict[str, str]:
    """Single-valued query parameters of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(client: FlaskClient, code: str, redirect_uri: str = REDIRECT, **extra: Any) -> Any:
    """POST the authorization_code grant as JSON."""
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "redirect_uri": redirect_uri,
        "audience": "http://localhost/fleet/eu",
        **extra,
    }
    return client.post("/oauth2/v3/token", json=body)


def login(client: FlaskClient, scope: str = USER_SCOPES) -> dict[str, Any]:
    """Full user flow: consent -> code -> tokens."""
    code = query_of(authorize(client, scope))["code"]
    reply = exchange(client, code)
    assert reply.status_code == 200, reply.data
    tokens: dict[str, Any] = reply.get_json()
    return tokens


def partner_token(client: FlaskClient, scope: str = "openid vehicle_device_data vehicle_specs") -> str:
    """A client_credentials token."""
    body = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": scope,
        "audience": "http://localhost/fleet/eu",
    }
    reply = client.post("/oauth2/v3/token", json=body)
    assert reply.status_code == 200, reply.data
    token: str = reply.get_json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def user(client: FlaskClient) -> dict[str, str]:
    """Headers of a logged-in user with the product's standard scopes."""
    return bearer(login(client)["access_token"])


def write_scenario(
    root: Path, files: Mapping[str, object] | None = None, *, vehicles: list[dict[str, Any]] | None = None
) -> Path:
    """Write a small scenario; `files` maps relative paths to JSON values (a string is written as it is)."""
    vehicles = vehicles or [
        {"vin": "5YJ3E1EA8KF000001", "display_name": "Bare", "state": "online", "id": 11, "vehicle_id": 21}
    ]
    scenario = {
        "account": {"email": "test@example.com", "full_name": "Test Person", "region": "eu"},
        "vehicles": vehicles,
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "scenario.json").write_text(json.dumps(scenario), encoding="utf-8")
    for relative, value in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return root
