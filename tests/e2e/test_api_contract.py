"""Refusals over real HTTP through the API host (the gateway, production paths): clear JSON errors
in our envelope, the callback's redirects to the frontend, and nothing stored or queued. What needs
no stack (406 / 413 / 422 / 401 / 405 / 404, CORS, the login cookie) is tested in-process in
tests/unit/test_http_edge*.py; here one smoke check of the envelope through the gateway remains."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from carpulse.partner_key import public_key_pem
from infra.local.owner import SimulatedOwner

pytestmark = pytest.mark.stack
FOREIGN_VIN = "1HGCM82633A004352"  # a valid VIN that is on nobody's Tesla account here


def _count(app, collection: str) -> int:
    return sum(1 for _ in app.firestore.collection(collection).stream())


def _tasks_created(stack) -> int:
    stats = requests.get(stack.urls["tasks"] + "/_emulator/stats", timeout=5).json()
    return sum(q["pending"] + q["running"] + q["succeeded"] + q["failed"] for q in stats.values())


def _assert_envelope(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert "Traceback" not in response.text
    return body


def _callback_error(owner: SimulatedOwner, response: requests.Response, error: str) -> dict[str, str]:
    fragment = owner.callback_fragment(response)
    assert response.headers["Location"].startswith(owner_frontend(response))
    assert fragment["error"] == error, fragment
    assert fragment["error_description"]
    assert "code" not in fragment
    return fragment


def owner_frontend(response: requests.Response) -> str:
    return response.headers["Location"].split("#", 1)[0]


def test_report_for_a_vin_of_another_account_is_refused_and_creates_nothing(stack, app, api):
    reports_before, tasks_before = _count(app, "reports"), _tasks_created(stack)
    own_vin = api.vehicles()[0]["vin"]
    response = api.request_report([own_vin, FOREIGN_VIN])
    body = _assert_envelope(response, 404, "not_found")
    assert FOREIGN_VIN not in response.text  # masked: last 4 only
    assert "4352" in str(body["messages"])
    assert _count(app, "reports") == reports_before
    assert _tasks_created(stack) == tasks_before


def test_replayed_state_is_refused_and_stores_nothing(stack, app, owner):
    callback = owner.consent(owner.start_login())
    first = owner.finish_login(callback)
    assert first.status_code == 302
    accounts, sessions = _count(app, "accounts"), _count(app, "sessions")
    replay = owner.finish_login(callback)
    _callback_error(owner, replay, "invalid_state")
    assert (_count(app, "accounts"), _count(app, "sessions")) == (accounts, sessions)


def test_unknown_state_and_foreign_browser_are_refused(stack, app, owner):
    callback = owner.consent(owner.start_login())
    parts = urlparse(callback)
    query = parse_qs(parts.query)
    forged = urlunparse(parts._replace(query=urlencode({"code": query["code"][0], "state": "forged-state"})))
    codes = _count(app, "login_codes")
    _callback_error(owner, owner.finish_login(forged), "invalid_state")
    other_browser = SimulatedOwner(stack.api_url)  # no login cookie
    _callback_error(other_browser, other_browser.finish_login(callback), "invalid_state")
    assert _count(app, "login_codes") == codes


def test_callback_clears_the_login_cookie_and_sends_only_a_code(stack, owner):
    callback = owner.consent(owner.start_login())
    assert owner.browser.cookies.get("cpt_login")
    response = owner.finish_login(callback)
    fragment = owner.callback_fragment(response)
    assert set(fragment) == {"code", "region"}
    assert response.headers["Location"].startswith(stack.env["FRONTEND_URL"])
    assert "session" not in response.headers["Location"]
    assert owner.browser.cookies.get("cpt_login") is None


def test_login_code_is_single_use_and_opens_one_session(app, owner):
    fragment = owner.callback_fragment(owner.finish_login(owner.consent(owner.start_login())))
    codes = _count(app, "login_codes")
    first = owner.open_session(fragment["code"])
    assert first.status_code == 201, first.text
    opened = first.json()["response"]
    assert opened["session_token"]
    assert opened["expires_at"]
    assert _count(app, "login_codes") == codes - 1  # consumed
    _assert_envelope(owner.open_session(fragment["code"]), 400, "invalid_grant")
    _assert_envelope(owner.open_session("made-up"), 400, "invalid_grant")


def test_logout_ends_only_that_session(stack, owner):
    from infra.local.owner import ApiClient

    one = ApiClient(stack.api_url, owner.connect())
    two = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    response = one.http.delete(f"{one.base_url}/session", headers=one.headers(), timeout=10)
    assert response.status_code == 200
    assert one.http.get(f"{one.base_url}/vehicles", headers=one.headers(), timeout=10).status_code == 401
    assert two.vehicles()


def test_a_lower_case_vin_is_the_same_vehicle(api):
    vin = api.vehicles()[0]["vin"]
    response = api.request_report([vin.lower()])
    assert response.status_code == 202, response.text
    assert [v["vin"] for v in response.json()["response"]["vehicles"]] == [vin]
    api.wait(response.json()["response"]["report_id"], timeout=180)


def test_the_gateway_passes_our_envelope_and_its_headers_through(stack, api):
    """A smoke check over real HTTP through the API host; every status, body and header in detail is
    tested in-process (tests/unit/test_http_edge*.py)."""
    origin = stack.env["FRONTEND_ORIGINS"].split(",")[0]
    missing = requests.get(f"{stack.api_url}/api/v1/vehicles", headers={"Origin": origin}, timeout=10)
    _assert_envelope(missing, 401, "unauthorized")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.headers["Access-Control-Allow-Origin"] == origin
    response = api.http.delete(f"{api.base_url}/vehicles", headers=api.headers(), timeout=10)
    _assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"
    _assert_envelope(api.http.get(f"{api.base_url}/nowhere", headers=api.headers(), timeout=10), 404, "not_found")
    # Paths outside the table reach the default backend: still our envelope.
    _assert_envelope(api.http.get(f"{api.api_url}/nowhere", timeout=10), 404, "not_found")
    preflight = requests.options(
        f"{stack.api_url}/api/v1/reports",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin


def test_public_key_is_served_at_the_well_known_path_of_the_api_host(stack, app):
    url = stack.api_url + "/.well-known/appspecific/com.tesla.3p.public-key.pem"
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.text == public_key_pem(app.secrets.get("tesla-private-key"))
    key = serialization.load_pem_public_key(response.content)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    _assert_envelope(requests.get(stack.api_url + "/other", timeout=10), 404, "not_found")


def test_scheduler_refresh_rotates_due_tokens(stack, app, api):
    account = app.session_service.authenticate(api.session_token)
    generation = app.account_store.get(account.account_id).token_generation
    app.account_store.update(account.account_id, {"token_expires_at": account.created_at})  # due now
    response = requests.post(
        stack.urls["token_refresh"], headers={"Authorization": f"Bearer {stack.id_token('token_refresh')}"}, timeout=30
    )
    assert response.status_code == 200
    assert response.json()["response"]["refreshed"] >= 1
    after = app.account_store.get(account.account_id)
    assert after.token_generation == generation + 1
    assert after.token_expires_at > account.created_at
    assert api.vehicles()  # the rotated tokens work


def test_disconnect_deletes_tokens_sessions_and_data(stack, app, owner):
    from infra.local.owner import ApiClient

    api = ApiClient(stack.api_url, owner.connect())
    account = app.session_service.authenticate(api.session_token)
    response = api.http.delete(f"{api.base_url}/account", headers=api.headers(), timeout=30)
    assert response.status_code == 200
    assert app.account_store.get(account.account_id) is None
    _assert_envelope(requests.get(f"{api.base_url}/vehicles", headers=api.headers(), timeout=10), 401, "unauthorized")


def test_the_api_host_keeps_no_cookies_between_clients(stack):
    first = requests.Session()
    first.post(stack.api_url + "/api/v1/tesla/oauth/initiate", timeout=10)
    assert first.cookies.get("cpt_login")
    second = SimulatedOwner(stack.api_url)  # a client that never started a login
    callback = second.consent(SimulatedOwner(stack.api_url).start_login())
    fragment = second.callback_fragment(second.finish_login(callback))
    assert fragment["error"] == "invalid_state"
