"""Control API: faults, request log and billing categories, reset, clock, token controls."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import EU, V_MODEL3, V_MODELS, FakeClock, bearer, login, partner_token


def test_health(client: FlaskClient) -> None:
    assert client.get("/_sim/health").get_data(as_text=True) == "ok"


def test_fault_fires_count_times_with_status_and_retry_after(client: FlaskClient, user: dict[str, str]) -> None:
    fault = {"path_pattern": r"/vehicles/[^/]+/vehicle_data$", "status": 429, "count": 2, "retry_after": 7}
    created = client.post("/_sim/faults", json=fault)
    assert created.status_code == 201
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data"
    for _ in range(2):
        reply = client.get(url, headers=user)
        assert reply.status_code == 429
        assert reply.headers["Retry-After"] == "7"
        assert reply.get_json()["error"] == "rate_limited"
    assert client.get(url, headers=user).status_code == 200
    listed = client.get("/_sim/faults").get_json()
    assert (listed[0]["fired"], listed[0]["remaining"]) == (2, 0)


def test_fault_method_filter_custom_body_and_clear(client: FlaskClient, user: dict[str, str]) -> None:
    fault = {"path_pattern": "wake_up", "method": "post", "status": 503, "count": 5, "body": {"error": "x"}}
    client.post("/_sim/faults", json=fault)
    assert client.get(f"{EU}/vehicles/{V_MODELS}", headers=user).status_code == 200
    reply = client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={})
    assert (reply.status_code, reply.get_json()) == (503, {"error": "x"})
    assert client.delete("/_sim/faults").status_code == 200
    assert client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={}).status_code == 200


def test_fault_401_has_an_empty_body_and_fires_before_auth(client: FlaskClient) -> None:
    client.post("/_sim/faults", json={"path_pattern": "/api/1/vehicles$", "status": 401})
    reply = client.get(f"{EU}/vehicles")
    assert (reply.status_code, reply.data) == (401, b"")


def test_latency_only_fault_lets_the_request_through(client: FlaskClient, user: dict[str, str]) -> None:
    client.post("/_sim/faults", json={"path_pattern": "/api/1/vehicles$", "latency_ms": 1})
    assert client.get(f"{EU}/vehicles", headers=user).status_code == 200


def test_invalid_fault_is_400(client: FlaskClient) -> None:
    assert client.post("/_sim/faults", json={"path_pattern": "("}).status_code == 400
    assert client.post("/_sim/faults", json={"path_pattern": "x", "bogus": 1}).status_code == 400


def test_request_log_categories_and_billable(client: FlaskClient, user: dict[str, str]) -> None:
    client.delete("/_sim/requests")
    client.get(f"{EU}/users/region", headers=user)
    client.get(f"{EU}/vehicles/{V_MODELS}/vehicle_data", headers=user)  # 408: billable data
    client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={})
    client.get(f"{EU}/vehicles/{V_MODEL3}/specs", headers=bearer(partner_token(client)))
    client.post("/_sim/faults", json={"path_pattern": "recent_alerts", "status": 500})
    client.get(f"{EU}/vehicles/{V_MODEL3}/recent_alerts", headers=user)
    client.get(f"{EU}/dx/warranty/details?vin={V_MODEL3}", headers=user)
    rows = [
        (r["path"].rsplit("/", 1)[-1], r["category"], r["billable"], r["status"])
        for r in client.get("/_sim/requests").get_json()
    ]
    assert rows == [
        ("region", "free", False, 200),
        ("vehicle_data", "data", True, 408),
        ("wake_up", "wake", True, 200),
        ("token", "free", False, 200),
        ("specs", "specs", True, 200),
        ("recent_alerts", "data", False, 500),
        ("details", "data", True, 200),
    ]
    entry = client.get("/_sim/requests?category=wake").get_json()[0]
    assert set(entry) == {"time", "method", "path", "region", "vin", "status", "category", "billable", "fault"}
    assert (entry["method"], entry["region"], entry["vin"]) == ("POST", "eu", V_MODELS)
    assert {r["vin"] for r in client.get(f"/_sim/requests?vin={V_MODEL3}").get_json()} == {V_MODEL3}
    billing = client.get("/_sim/billing").get_json()
    assert billing["billable"] == {"data": 2, "wake": 1, "command": 0, "specs": 1, "free": 0}


def test_log_never_contains_tokens_or_query_strings(client: FlaskClient) -> None:
    tokens = login(client)
    client.get(f"{EU}/dx/charging/history?pageNo=0", headers=bearer(tokens["access_token"]))
    text = client.get("/_sim/requests").get_data(as_text=True)
    assert tokens["access_token"] not in text
    assert "pageNo" not in text


def test_vehicle_state_control(client: FlaskClient, user: dict[str, str]) -> None:
    assert client.post(f"/_sim/vehicles/{V_MODEL3}/state", json={"state": "asleep"}).status_code == 200
    assert client.get(f"{EU}/vehicles/{V_MODEL3}/vehicle_data", headers=user).status_code == 408
    assert client.get("/_sim/vehicles").get_json()[V_MODEL3] == "asleep"
    assert client.post(f"/_sim/vehicles/{V_MODEL3}/state", json={"state": "dreaming"}).status_code == 400
    assert client.post("/_sim/vehicles/NOPE/state", json={"state": "online"}).status_code == 404
    client.post(f"/_sim/vehicles/{V_MODEL3}/state", json={"state": "offline"})
    client.post(f"{EU}/vehicles/{V_MODEL3}/wake_up", headers=user, json={})
    assert client.get("/_sim/vehicles").get_json()[V_MODEL3] == "offline"  # offline cars do not wake


def test_reset_restores_the_start(client: FlaskClient, user: dict[str, str], clock: FakeClock) -> None:
    client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={})
    clock.advance(10)
    client.post("/_sim/faults", json={"path_pattern": "x", "status": 500})
    assert client.post("/_sim/reset").status_code == 200
    assert client.get("/_sim/vehicles").get_json()[V_MODELS] == "asleep"
    assert client.get("/_sim/faults").get_json() == []
    assert client.get("/_sim/requests").get_json() == []
    assert client.get(f"{EU}/vehicles", headers=user).status_code == 401  # tokens forgotten


def test_expire_and_revoke_controls(client: FlaskClient) -> None:
    tokens = login(client)
    headers = bearer(tokens["access_token"])
    assert client.post("/_sim/tokens/expire").get_json() == {"expired": 1}
    assert client.get(f"{EU}/vehicles", headers=headers).data == b""
    refreshed = client.post(
        "/oauth2/v3/token",
        json={"grant_type": "refresh_token", "client_id": "test-client", "refresh_token": tokens["refresh_token"]},
    ).get_json()
    assert client.get(f"{EU}/vehicles", headers=bearer(refreshed["access_token"])).status_code == 200
    assert client.post("/_sim/grants/revoke").get_json() == {"revoked": 1}
    reply = client.get(f"{EU}/vehicles", headers=bearer(refreshed["access_token"]))
    assert reply.get_json()["error"] == "login_required"
    assert client.get("/_sim/tokens").get_json()["revoked_grants"] == 1


def test_clock_advance_expires_tokens(client: FlaskClient, user: dict[str, str]) -> None:
    assert client.post("/_sim/clock", json={"advance_seconds": 3601}).status_code == 200
    assert client.get(f"{EU}/vehicles", headers=user).status_code == 401


def test_scenario_summary(client: FlaskClient) -> None:
    summary = client.get("/_sim/scenario").get_json()
    assert summary["account"]["region"] == "eu"
    assert [v["initial_state"] for v in summary["vehicles"]] == ["online", "online", "asleep"]
    assert sum(summary["sessions_per_vin"].values()) == 19


def test_drop_connection_in_the_test_client_raises(client: FlaskClient) -> None:
    client.post("/_sim/faults", json={"path_pattern": "/api/1/vehicles$", "drop_connection": True})
    with pytest.raises(ConnectionAbortedError):
        client.get(f"{EU}/vehicles")


def test_invoice_requests_are_attributed_to_the_session_vin(client: FlaskClient, user: dict[str, str]) -> None:
    history = client.get(f"{EU}/dx/charging/history?vin={V_MODELS}", headers=user).get_json()["response"]["data"]
    content_id = next(i["contentId"] for s in history for i in s["invoices"])
    client.get(f"{EU}/dx/charging/invoice/{content_id}", headers=user)
    assert client.get("/_sim/requests").get_json()[-1]["vin"] == V_MODELS


def test_a_probabilistic_fault_fires_the_same_requests_in_every_run(client: FlaskClient, user: dict[str, str]) -> None:
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data"

    def run() -> list[int]:
        client.delete("/_sim/faults")
        fault = {"path_pattern": "vehicle_data$", "status": 503, "count": 100, "probability": 0.3, "seed": 7}
        client.post("/_sim/faults", json=fault)
        return [client.get(url, headers=user).status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 4 <= first.count(503) <= 20  # about 30 % of 40


def test_an_after_handler_drop_does_the_work_then_loses_the_answer(client: FlaskClient) -> None:
    from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT, authorize, query_of

    code = query_of(authorize(client))["code"]
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT,
    }
    first = client.post("/oauth2/v3/token", json=body).get_json()
    refresh = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": first["refresh_token"]}
    fault = {"path_pattern": "/oauth2/v3/token$", "drop_connection": True, "after_handler": True}
    client.post("/_sim/faults", json=fault)
    with pytest.raises(ConnectionAbortedError):
        client.post("/oauth2/v3/token", json=refresh)  # rotated at "Tesla", answer lost
    again = client.post("/oauth2/v3/token", json=refresh)
    assert again.status_code == 401  # the refresh token was spent by the lost call
    assert again.get_json()["error"] == "login_required"
