"""Per-vehicle and user endpoints: scenario responses and documented empty shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from infra.simulator import SimulatorConfig, create_app

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    EU,
    V_MODEL3,
    V_MODELS,
    V_MODELY,
    bearer,
    login,
    partner_token,
    write_scenario,
)

BARE_VIN = "5YJ3E1EA8KF000001"


@pytest.fixture
def bare(tmp_path: Path) -> FlaskClient:
    """A scenario whose only vehicle has no endpoint files at all."""
    root = write_scenario(tmp_path / "bare")
    return create_app(SimulatorConfig(scenario=root, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)).test_client()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/vehicles/{BARE_VIN}/service_data", {}),
        (f"/vehicles/{BARE_VIN}/recent_alerts", {"recent_alerts": []}),
        (f"/vehicles/{BARE_VIN}/release_notes", {"response": {"release_notes": []}}),
        (
            f"/dx/warranty/details?vin={BARE_VIN}",
            {"activeWarranty": [], "upcomingWarranty": [], "expiredWarranty": []},
        ),
        (f"/dx/vehicles/options?vin={BARE_VIN}", {"codes": []}),
        ("/dx/charging/history", {"data": [], "totalResults": 0, "pageNo": 0, "pageSize": 50, "hasMoreData": False}),
        ("/users/orders", []),
    ],
)
def test_empty_shapes_when_files_are_missing(bare: FlaskClient, path: str, expected: object) -> None:
    headers = bearer(login(bare)["access_token"])
    reply = bare.get(f"{EU}{path}", headers=headers)
    assert reply.status_code == 200
    assert reply.get_json()["response"] == expected


def test_empty_specs_fleet_status_and_minimal_vehicle_data(bare: FlaskClient) -> None:
    assert bare.get(f"{EU}/vehicles/{BARE_VIN}/specs", headers=bearer(partner_token(bare))).get_json() == {
        "response": {}
    }
    headers = bearer(login(bare)["access_token"])
    status = bare.post(f"{EU}/vehicles/fleet_status", headers=headers, json={"vins": [BARE_VIN]}).get_json()
    assert status["response"] == {"key_paired_vins": [], "unpaired_vins": [], "vehicle_info": {}}
    data = bare.get(f"{EU}/vehicles/{BARE_VIN}/vehicle_data", headers=headers).get_json()["response"]
    assert data["vin"] == BARE_VIN
    assert data["state"] == "online"
    assert "charge_state" not in data


def test_service_data_only_for_the_vehicle_with_a_visit(client: FlaskClient, user: dict[str, str]) -> None:
    assert client.get(f"{EU}/vehicles/{V_MODEL3}/service_data", headers=user).get_json() == {"response": {}}
    visit = client.get(f"{EU}/vehicles/{V_MODELY}/service_data", headers=user).get_json()["response"]
    assert visit["service_status"] == "car_in_repair"


def test_release_notes_nested_flat_and_empty(client: FlaskClient, user: dict[str, str]) -> None:
    nested = client.get(f"{EU}/vehicles/{V_MODEL3}/release_notes", headers=user).get_json()["response"]
    assert nested["response"]["release_notes"][0]["customer_version"] == "2026.2.3"
    flat = client.get(f"{EU}/vehicles/{V_MODELY}/release_notes", headers=user).get_json()["response"]
    assert flat["release_notes"][0]["customer_version"] == "2025.44.25.4"
    empty = client.get(f"{EU}/vehicles/{V_MODELS}/release_notes", headers=user).get_json()["response"]
    assert empty == {"response": {"release_notes": []}}


def test_recent_alerts_do_not_need_the_car_awake(client: FlaskClient, user: dict[str, str]) -> None:
    alerts = client.get(f"{EU}/vehicles/{V_MODEL3}/recent_alerts", headers=user).get_json()["response"]
    assert len(alerts["recent_alerts"]) == 5
    asleep = client.get(f"{EU}/vehicles/{V_MODELS}/recent_alerts", headers=user)
    assert asleep.get_json() == {"response": {"recent_alerts": []}}


def test_warranty_needs_vin_else_500(client: FlaskClient, user: dict[str, str]) -> None:
    reply = client.get(f"{EU}/dx/warranty/details", headers=user)
    assert reply.status_code == 500
    body = client.get(f"{EU}/dx/warranty/details?vin={V_MODELS}", headers=user).get_json()["response"]
    assert body["activeWarranty"] == []
    assert len(body["expiredWarranty"]) == 2


def test_options_by_vin(client: FlaskClient, user: dict[str, str]) -> None:
    codes = client.get(f"{EU}/dx/vehicles/options?vin={V_MODEL3}", headers=user).get_json()["response"]["codes"]
    assert {"code": "$PPSB", "colorCode": "PPSB", "displayName": "Deep Blue Metallic", "isActive": True} in codes
    assert client.get(f"{EU}/dx/vehicles/options", headers=user).status_code == 400
    assert client.get(f"{EU}/dx/vehicles/options?vin=5YJ3E1EA8KF000001", headers=user).status_code == 404


def test_users_endpoints(client: FlaskClient, user: dict[str, str]) -> None:
    # Tesla requires user_data for /users/me and feature_config; the product's scopes lack it.
    assert client.get(f"{EU}/users/me", headers=user).status_code == 403
    headers = bearer(login(client, "openid user_data vehicle_device_data")["access_token"])
    me = client.get(f"{EU}/users/me", headers=headers).get_json()["response"]
    assert me["email"] == "aino.esimerkki@example.com"
    assert me["full_name"] == "Aino Esimerkki"
    config = client.get(f"{EU}/users/feature_config", headers=headers).get_json()["response"]
    assert config["signaling"]["enabled"] is True
    orders = client.get(f"{EU}/users/orders", headers=user).get_json()
    assert orders["count"] == 1
    assert orders["response"][0]["vin"] == V_MODEL3


def test_status_endpoint_is_plain_ok(client: FlaskClient) -> None:
    reply = client.get("/fleet/eu/status")
    assert (reply.status_code, reply.get_data(as_text=True)) == (200, "ok")
