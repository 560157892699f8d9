"""The login at the HTTP edge, in-process (fixtures: test_http_edge.py): oauth_initiate binds the
login to the browser with a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax, Path=/), and
oauth_callback always ends on the frontend: every refusal is `FRONTEND_URL#error=…`, never a JSON
page, and clears the cookie. A callback that gets as far as trading the code at Tesla is left to the
stack tests (tests/e2e/test_api_contract.py, test_browser_flow.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.test import Client, TestResponse

from carpulse.crypto import sha256_hex
from tests.unit.test_http_edge import API, CLOUD, FRONTEND, Edge, error_of, open_edge, response_of

INITIATE = f"{API}/tesla/oauth/initiate"
CALLBACK = f"{API}/tesla/oauth/callback"
COOKIE = "__Host-cpt_login"


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Edge]:
    with open_edge(monkeypatch, CLOUD) as opened:
        yield opened


def cookie_of(response: TestResponse) -> tuple[str, str, dict[str, str]]:
    """The one Set-Cookie of a response: name, value and attributes (names lower-case)."""
    (header,) = response.headers.getlist("Set-Cookie")
    pair, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = pair.partition("=")
    return name, value, {k.lower(): v for k, _, v in (a.partition("=") for a in attributes)}


def _start(edge: Edge, browser: Client) -> str:
    """Start a login from this browser as the frontend does (fetch POST); its state."""
    state: str = response_of(browser.post(INITIATE))["state"]
    return state


def _landing(edge: Edge, answer: TestResponse) -> dict[str, str]:
    """Where the callback sent the browser: the frontend, with the outcome in the fragment only."""
    assert answer.status_code == 302, answer.get_data(as_text=True)
    target, _, fragment = answer.headers["Location"].partition("#")
    assert target == edge.settings.frontend_url
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    return dict(parse_qsl(fragment))


# --- initiate: the authorize URL and the browser-binding cookie -----------------------------------


def test_get_initiate_sends_the_browser_to_tesla_with_the_login_cookie(edge: Edge) -> None:
    answer = edge.browser().get(INITIATE)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == edge.settings.tesla_auth_base_url
    assert location.path == "/oauth2/v3/authorize"
    query = parse_qs(location.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [edge.settings.tesla_client_id]
    assert query["redirect_uri"] == [CLOUD["OAUTH_REDIRECT_URI"]]
    assert "offline_access" in query["scope"][0].split()
    name, nonce, attributes = cookie_of(answer)
    assert (name, attributes["path"], attributes["samesite"], attributes["max-age"]) == (COOKIE, "/", "Lax", "600")
    assert {"secure", "httponly"} <= set(attributes)
    assert "domain" not in attributes  # a __Host- cookie names no domain
    assert nonce
    assert nonce != query["state"][0]  # the state travels through Tesla; the cookie never does


def test_post_initiate_answers_json_for_a_fetch_with_credentials(edge: Edge) -> None:
    browser = edge.browser()
    answer = browser.post(INITIATE, headers={"Origin": FRONTEND})
    start = response_of(answer)
    assert set(start) == {"authorize_url", "state", "expires_in"}
    assert start["expires_in"] == 600
    assert parse_qs(urlsplit(start["authorize_url"]).query)["state"] == [start["state"]]
    # The browser keeps the cookie of a credentialed cross-origin fetch only with these two.
    assert answer.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    name, _, attributes = cookie_of(answer)
    assert name == COOKIE
    assert {"secure", "httponly"} <= set(attributes)
    for body in ({}, {"region": "eu"}, {"region": None}):
        assert response_of(browser.post(INITIATE, json=body))["authorize_url"]


def test_the_local_stack_uses_a_plain_cookie_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    with open_edge(monkeypatch, {**CLOUD, "ENV": "local", "PUBLIC_KEY_PEM": ""}) as edge:
        name, _, attributes = cookie_of(edge.browser().post(INITIATE))
    assert name == "cpt_login"
    assert "secure" not in attributes
    assert (attributes["path"], attributes["samesite"]) == ("/", "Lax")
    assert "httponly" in attributes


def test_owners_in_china_log_in_at_the_china_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with open_edge(monkeypatch, {**CLOUD, "TESLA_CN_CLIENT_ID": "cn-app"}) as edge:
        browser = edge.browser()
        by_body = response_of(browser.post(INITIATE, json={"region": "cn"}))["authorize_url"]
        by_query = browser.get(f"{INITIATE}?region=cn").headers["Location"]
    for url in (by_body, by_query):
        assert url.startswith(f"{edge.settings.tesla_cn_auth_base_url}/oauth2/v3/authorize?")
        assert parse_qs(urlsplit(url).query)["client_id"] == ["cn-app"]


def test_login_starts_are_limited_per_client_address(edge: Edge) -> None:
    browser = edge.browser()
    for _ in range(edge.settings.initiate_per_minute):
        assert browser.post(INITIATE).status_code == 200
    refused = browser.post(INITIATE, headers={"Origin": FRONTEND})
    error_of(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["Access-Control-Allow-Origin"] == FRONTEND  # the frontend may read Retry-After
    assert "Set-Cookie" not in refused.headers
    elsewhere = browser.post(INITIATE, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 200
    edge.clock.advance(60)
    assert browser.post(INITIATE).status_code == 200


# --- callback: every refusal lands on the frontend with #error=… -----------------------------------

# Each case: (edge) → (the browser Tesla sends back, the callback's query, the error it must land with)
Case = Callable[[Edge], tuple[Client, dict[str, str], str]]


def _missing_state(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    _start(edge, browser)
    return browser, {"code": "tesla-code"}, "invalid_request"


def _unknown_state(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    _start(edge, browser)
    return browser, {"code": "tesla-code", "state": "forged-state"}, "invalid_state"


def _no_cookie(edge: Edge) -> tuple[Client, dict[str, str], str]:
    state = _start(edge, edge.browser())
    return edge.browser(), {"code": "tesla-code", "state": state}, "invalid_state"


def _another_logins_cookie(edge: Edge) -> tuple[Client, dict[str, str], str]:
    state = _start(edge, edge.browser())
    browser = edge.browser()
    _start(edge, browser)  # this browser holds the cookie of its own login, not of `state`'s
    return browser, {"code": "tesla-code", "state": state}, "invalid_state"


def _forged_cookie(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    state = _start(edge, browser)
    browser.set_cookie(COOKIE, "guessed-nonce")
    return browser, {"code": "tesla-code", "state": state}, "invalid_state"


def _replayed(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    query = {"error": "access_denied", "state": _start(edge, browser)}
    assert _landing(edge, browser.get(f"{CALLBACK}?{urlencode(query)}"))["error"] == "access_denied"
    return browser, query, "invalid_state"


def _expired(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    state = _start(edge, browser)
    edge.clock.advance(edge.settings.oauth_state_ttl_seconds + 1)
    return browser, {"code": "tesla-code", "state": state}, "invalid_state"


def _denied_at_tesla(edge: Edge) -> tuple[Client, dict[str, str], str]:
    browser = edge.browser()
    state = _start(edge, browser)
    return browser, {"error": "access_denied", "error_description": "no", "state": state}, "access_denied"


CASES: dict[str, Case] = {
    "missing state": _missing_state,
    "unknown state": _unknown_state,
    "another browser (no cookie)": _no_cookie,
    "another login's cookie": _another_logins_cookie,
    "forged cookie": _forged_cookie,
    "replayed state": _replayed,
    "expired state": _expired,
    "consent denied at Tesla": _denied_at_tesla,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_refused_callback_lands_on_the_frontend_with_the_reason(edge: Edge, case: str) -> None:
    browser, query, error = CASES[case](edge)
    answer = browser.get(f"{CALLBACK}?{urlencode(query)}")
    fragment = _landing(edge, answer)
    assert fragment["error"] == error, fragment
    assert fragment["error_description"]
    assert "code" not in fragment
    assert answer.mimetype != "application/json"
    name, value, attributes = cookie_of(answer)  # the login is over: its cookie is cleared
    assert (name, value, attributes["max-age"], attributes["path"]) == (COOKIE, "", "0", "/")
    assert browser.get_cookie(COOKIE) is None
    assert not edge.accounts.items  # nothing connected, no login code issued
    assert not edge.codes.items
    # A state is spent by its first callback, whatever the outcome.
    assert sha256_hex(query.get("state", "")) not in edge.states.items


@pytest.mark.parametrize(
    ("function", "path"),
    [("oauth_initiate", "/_ready"), ("oauth_initiate", "/"), ("oauth_callback", "/_ready"), ("oauth_callback", "/")],
)
def test_a_login_function_answers_only_on_its_own_path(edge: Edge, function: str, path: str) -> None:
    answer = edge.client(function).get(f"{path}?code=x&state=y")
    assert error_of(answer, 404, "not_found")
    assert "Set-Cookie" not in answer.headers  # no login state, no cookie
