"""China's auth server (auth.tesla.cn stand-in under /cn): its own application, its own tokens."""

from __future__ import annotations

from flask.testing import FlaskClient

from infra.simulator import SimulatorConfig, create_app

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT, USER_SCOPES, query_of

CN_ID, CN_SECRET = "cn-client", "cn-secret"


def _client() -> FlaskClient:
    config = SimulatorConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, cn_client_id=CN_ID, cn_client_secret=CN_SECRET
    )
    return create_app(config).test_client()


def _consent(client: FlaskClient, prefix: str, client_id: str) -> tuple[int, str]:
    form = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": USER_SCOPES,
        "state": "s",
        "decision": "allow",
    }
    reply = client.post(f"{prefix}/authorize", data=form)
    return reply.status_code, reply.headers.get("Location", "")


def test_china_login_takes_only_the_china_application():
    client = _client()
    status, location = _consent(client, "/cn/oauth2/v3", CN_ID)
    assert status == 302
    code = query_of(location)["code"]
    assert query_of(location)["issuer"].endswith("/cn/oauth2/v3")
    token = client.post(
        "/cn/oauth2/v3/token",
        json={
            "grant_type": "authorization_code",
            "client_id": CN_ID,
            "client_secret": CN_SECRET,
            "code": code,
            "redirect_uri": REDIRECT,
        },
    )
    assert token.status_code == 200
    assert token.get_json()["refresh_token"]
    # The global application is unknown at the China server, and the other way round.
    assert _consent(client, "/cn/oauth2/v3", CLIENT_ID)[0] == 400
    assert _consent(client, "/oauth2/v3", CN_ID)[0] == 400


def test_consent_page_posts_back_to_its_own_server():
    client = _client()
    page = client.get(
        "/cn/oauth2/v3/authorize",
        query_string={
            "response_type": "code",
            "client_id": CN_ID,
            "redirect_uri": REDIRECT,
            "scope": USER_SCOPES,
            "state": "s",
        },
    )
    assert page.status_code == 200
    assert 'action="/cn/oauth2/v3/authorize"' in page.get_data(as_text=True)
