"""OAuth: consent page, codes, the three grants, rotation and revocation."""

from __future__ import annotations

import base64
import hashlib

from flask.testing import FlaskClient

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    EU,
    REDIRECT,
    USER_SCOPES,
    FakeClock,
    authorize,
    bearer,
    exchange,
    login,
    partner_token,
    query_of,
)


def _refresh(client: FlaskClient, token: str, **extra: str) -> tuple[int, dict[str, str]]:
    body = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": token, **extra}
    reply = client.post("/oauth2/v3/token", data=body)  # form-encoded on purpose
    return reply.status_code, reply.get_json()


def test_consent_page_shows_account_scopes_and_form(client: FlaskClient) -> None:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": USER_SCOPES,
        "state": "abc",
    }
    reply = client.get("/oauth2/v3/authorize", query_string=params)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    assert "aino.esimerkki@example.com" in page
    assert "vehicle_charging_cmds" in page
    assert 'method="post" action="/oauth2/v3/authorize"' in page
    assert 'name="decision" value="allow"' in page
    assert 'name="decision" value="deny"' in page
    assert 'type="hidden" name="state" value="abc"' in page


def test_unknown_client_gets_400_page(client: FlaskClient) -> None:
    params = {"response_type": "code", "client_id": "nope", "redirect_uri": REDIRECT, "scope": "openid"}
    assert client.get("/oauth2/v3/authorize", query_string=params).status_code == 400
    assert client.post("/oauth2/v3/authorize", data={**params, "decision": "allow"}).status_code == 400


def test_allow_redirects_with_code_and_state(client: FlaskClient) -> None:
    params = query_of(authorize(client, state="s-1"))
    assert params["state"] == "s-1"
    assert params["code"]


def test_deny_redirects_with_access_denied(client: FlaskClient) -> None:
    location = authorize(client, decision="deny", state="s-2")
    assert location.startswith(REDIRECT)
    assert query_of(location) == {"error": "access_denied", "state": "s-2"}


def test_code_exchange_returns_tesla_token_shape(client: FlaskClient) -> None:
    tokens = login(client)
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert all(tokens[k].startswith("ey") for k in ("access_token", "refresh_token", "id_token"))


def test_code_is_single_use(client: FlaskClient) -> None:
    code = query_of(authorize(client))["code"]
    assert exchange(client, code).status_code == 200
    again = exchange(client, code)
    assert again.status_code == 400
    assert again.get_json()["error"] == "invalid_auth_code"


def test_code_expires_after_ten_minutes(client: FlaskClient, clock: FakeClock) -> None:
    code = query_of(authorize(client))["code"]
    clock.advance(601)
    assert exchange(client, code).get_json()["error"] == "invalid_auth_code"


def test_redirect_uri_must_match(client: FlaskClient) -> None:
    code = query_of(authorize(client))["code"]
    reply = exchange(client, code, redirect_uri="https://evil.example.test/cb")
    assert reply.status_code == 400
    assert reply.get_json()["error"] == "invalid_redirect_url"


def test_bad_secret_and_grant_type(client: FlaskClient) -> None:
    code = query_of(authorize(client))["code"]
    reply = exchange(client, code, client_secret="wrong")
    assert (reply.status_code, reply.get_json()["error"]) == (401, "unauthorized_client")
    reply = client.post("/oauth2/v3/token", json={"grant_type": "password", "client_id": CLIENT_ID})
    assert (reply.status_code, reply.get_json()["error"]) == (400, "unsupported_grant_type")


def test_refresh_rotates_and_old_access_token_keeps_working(client: FlaskClient) -> None:
    first = login(client)
    status, second = _refresh(client, first["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    for token in (first["access_token"], second["access_token"]):
        assert client.get(f"{EU}/vehicles", headers=bearer(token)).status_code == 200


def test_refresh_reuse_is_login_required_and_revokes_the_grant(client: FlaskClient) -> None:
    first = login(client)
    _, second = _refresh(client, first["refresh_token"])
    status, body = _refresh(client, first["refresh_token"])
    assert status == 401
    assert body["error"] == "login_required"
    # Every token of the grant is dead now, including the freshly rotated pair.
    reply = client.get(f"{EU}/vehicles", headers=bearer(second["access_token"]))
    assert reply.status_code == 401
    assert reply.get_json()["error"] == "login_required"
    assert _refresh(client, second["refresh_token"])[1]["error"] == "login_required"
    # Another consent (another grant) is unaffected.
    other = login(client)
    assert client.get(f"{EU}/vehicles", headers=bearer(other["access_token"])).status_code == 200


def test_refresh_accepts_secret_but_checks_it(client: FlaskClient) -> None:
    tokens = login(client)
    assert _refresh(client, tokens["refresh_token"], client_secret="bad")[0] == 401
    assert _refresh(client, tokens["refresh_token"], client_secret=CLIENT_SECRET)[0] == 200


def test_no_refresh_token_without_offline_access(client: FlaskClient) -> None:
    assert "refresh_token" not in login(client, scope="openid vehicle_device_data")


def test_client_credentials_gives_partner_token_without_refresh(client: FlaskClient) -> None:
    body = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "openid vehicle_specs",
        "audience": "http://localhost/fleet/eu",
    }
    tokens = client.post("/oauth2/v3/token", json=body).get_json()
    assert "refresh_token" not in tokens
    assert tokens["access_token"].startswith("ey")
    wrong = client.post("/oauth2/v3/token", json={**body, "client_secret": "x"})
    assert wrong.status_code == 401


def test_partner_token_rejected_on_user_endpoints(client: FlaskClient) -> None:
    reply = client.get(f"{EU}/vehicles", headers=bearer(partner_token(client)))
    assert reply.status_code == 403


def test_pkce_s256_is_enforced_when_a_challenge_was_sent(client: FlaskClient) -> None:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    form = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": USER_SCOPES,
        "state": "p",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get("/oauth2/v3/authorize", query_string=form).get_data(as_text=True)
    assert f'name="code_challenge" value="{challenge}"' in page
    code = query_of(client.post("/oauth2/v3/authorize", data={**form, "decision": "allow"}).headers["Location"])["code"]
    assert exchange(client, code, code_verifier="wrong").get_json()["error"] == "invalid_auth_code"
    code = query_of(client.post("/oauth2/v3/authorize", data={**form, "decision": "allow"}).headers["Location"])["code"]
    assert exchange(client, code, code_verifier=verifier).status_code == 200
