"""CORS at the HTTP edge, in-process (fixtures: test_http_edge.py): the configured frontend origins
exactly, with credentials (the login cookie rides on the initiate fetch), `Vary: Origin` on every
answer, `Location` and `Retry-After` exposed; any other origin gets no grant at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.test import TestResponse

from tests.unit.test_http_edge import API, CLOUD, FOREIGN, FRONTEND, KEY_PATH, Edge, error_of, open_edge


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Edge]:
    with open_edge(monkeypatch, CLOUD) as opened:
        yield opened


CORS_PATHS = [
    ("reports", f"{API}/reports"),
    ("reports", f"{API}/session"),
    ("oauth_initiate", f"{API}/tesla/oauth/initiate"),
]


def _preflight(edge: Edge, function: str, path: str, origin: str) -> TestResponse:
    return edge.client(function).options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )


@pytest.mark.parametrize(("function", "path"), CORS_PATHS)
@pytest.mark.parametrize("origin", [FRONTEND, "http://localhost:5173"])
def test_a_preflight_from_a_frontend_origin_is_granted_with_credentials(
    edge: Edge, function: str, path: str, origin: str
) -> None:
    answer = _preflight(edge, function, path, origin)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == origin  # exactly that origin, never "*"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    allowed_headers = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers
    exposed = {h.strip() for h in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Location", "Retry-After"} <= exposed
    assert "Origin" in answer.headers["Vary"]


@pytest.mark.parametrize(("function", "path"), CORS_PATHS)
@pytest.mark.parametrize("origin", [FOREIGN, f"{FRONTEND}.evil.example", "null", FRONTEND.replace("https", "http")])
def test_a_preflight_from_any_other_origin_gets_no_grant(edge: Edge, function: str, path: str, origin: str) -> None:
    answer = _preflight(edge, function, path, origin)
    assert not [name for name, _ in answer.headers.items() if name.lower().startswith("access-control-")]
    assert "Origin" in answer.headers["Vary"]


def test_answers_carry_cors_so_the_frontend_can_read_errors_and_vary_on_origin(edge: Edge) -> None:
    browser = edge.client("reports")
    refused = browser.get(f"{API}/reports", headers={"Origin": FRONTEND})
    error_of(refused, 401, "unauthorized")
    assert refused.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert refused.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in refused.headers["Vary"]
    same_site = browser.get(f"{API}/reports")  # no Origin: no grant, and still Vary for caches
    assert "Access-Control-Allow-Origin" not in same_site.headers
    assert "Origin" in same_site.headers["Vary"]
    foreign = browser.get(f"{API}/reports", headers={"Origin": FOREIGN})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_the_callback_and_the_public_key_grant_no_origin(edge: Edge) -> None:
    for function, path in (("oauth_callback", f"{API}/tesla/oauth/callback"), ("public_key", KEY_PATH)):
        answer = edge.client(function).get(path, headers={"Origin": FRONTEND})
        assert "Access-Control-Allow-Origin" not in answer.headers, function
