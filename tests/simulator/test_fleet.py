"""Fleet API basics: bearer auth, regions, vehicles, vehicle_data, wake-up, scopes, specs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import EU, V_MODEL3, V_MODELS, V_MODELY, FakeClock, bearer, login, partner_token


def test_region_discovery_works_from_any_region_base(client: FlaskClient, user: dict[str, str]) -> None:
    for region in ("na", "eu", "cn"):
        body = client.get(f"/fleet/{region}/api/1/users/region", headers=user).get_json()
        assert body == {"response": {"region": "eu", "fleet_api_base_url": "http://localhost/fleet/eu"}}


def test_wrong_region_is_421_naming_the_right_base(client: FlaskClient, user: dict[str, str]) -> None:
    reply = client.get("/fleet/na/api/1/vehicles", headers=user)
    body = reply.get_json()
    assert reply.status_code == 421
    assert body["fleet_api_base_url"] == "http://localhost/fleet/eu"
    assert "http://localhost/fleet/eu" in body["error_description"]


def test_unknown_region_is_404(client: FlaskClient, user: dict[str, str]) -> None:
    assert client.get("/fleet/xx/api/1/vehicles", headers=user).status_code == 404


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer eyNotAToken"}, {"Authorization": "Basic abc"}])
def test_missing_or_unknown_token_is_401_with_empty_body(client: FlaskClient, header: dict[str, str]) -> None:
    reply = client.get(f"{EU}/vehicles", headers=header)
    assert reply.status_code == 401
    assert reply.data == b""


def test_expired_access_token_is_401_with_empty_body(client: FlaskClient, clock: FakeClock) -> None:
    headers = bearer(login(client)["access_token"])
    clock.advance(3601)
    reply = client.get(f"{EU}/vehicles", headers=headers)
    assert (reply.status_code, reply.data) == (401, b"")


def test_vehicles_pagination(client: FlaskClient, user: dict[str, str]) -> None:
    first = client.get(f"{EU}/vehicles?per_page=2", headers=user).get_json()
    assert [v["vin"] for v in first["response"]] == [V_MODEL3, V_MODELY]
    assert first["pagination"] == {"previous": None, "next": 2, "current": 1, "per_page": 2, "count": 3, "pages": 2}
    assert first["count"] == 3
    second = client.get(f"{EU}/vehicles?per_page=2&page=2", headers=user).get_json()
    assert [v["vin"] for v in second["response"]] == [V_MODELS]
    assert second["pagination"]["previous"] == 1
    assert second["pagination"]["next"] is None
    everything = client.get(f"{EU}/vehicles", headers=user).get_json()
    assert [v["state"] for v in everything["response"]] == ["online", "online", "asleep"]
    assert client.get(f"{EU}/vehicles?page=0", headers=user).status_code == 400


def test_vehicle_by_vin_or_id_and_404_for_foreign_vin(client: FlaskClient, user: dict[str, str]) -> None:
    by_vin = client.get(f"{EU}/vehicles/{V_MODELS}", headers=user).get_json()["response"]
    by_id = client.get(f"{EU}/vehicles/{by_vin['id']}", headers=user).get_json()["response"]
    assert by_vin == by_id
    assert by_vin["state"] == "asleep"
    assert by_vin["display_name"] == "Kärppä"
    reply = client.get(f"{EU}/vehicles/5YJ3E1EA8KF000001", headers=user)
    assert (reply.status_code, reply.get_json()["error"]) == (404, "not_found")
    assert client.get(f"{EU}/vehicles/5YJ3E1EA8KF000001/vehicle_data", headers=user).status_code == 404


def test_cheap_vehicle_call_never_wakes(client: FlaskClient, user: dict[str, str], clock: FakeClock) -> None:
    client.get(f"{EU}/vehicles/{V_MODELS}", headers=user)
    clock.advance(60)
    assert client.get(f"{EU}/vehicles/{V_MODELS}", headers=user).get_json()["response"]["state"] == "asleep"


def test_asleep_vehicle_data_is_408_until_woken(client: FlaskClient, user: dict[str, str], clock: FakeClock) -> None:
    reply = client.get(f"{EU}/vehicles/{V_MODELS}/vehicle_data", headers=user)
    assert reply.status_code == 408
    assert reply.get_json()["error"].startswith("vehicle unavailable")
    woke = client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={})
    assert woke.status_code == 200
    assert woke.get_json()["response"]["state"] == "asleep"  # still waking up
    assert client.get(f"{EU}/vehicles/{V_MODELS}/vehicle_data", headers=user).status_code == 408
    clock.advance(5)
    data = client.get(f"{EU}/vehicles/{V_MODELS}/vehicle_data", headers=user).get_json()["response"]
    assert data["state"] == "online"
    assert data["vehicle_state"]["vehicle_name"] == "Kärppä"


def test_wake_up_with_real_tiny_delay(client: FlaskClient, user: dict[str, str], clock: FakeClock) -> None:
    # wake_seconds is 5 in the test config; the fake clock makes "after the delay" exact.
    client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user, json={})
    clock.advance(4.9)
    assert client.get(f"{EU}/vehicles/{V_MODELS}", headers=user).get_json()["response"]["state"] == "asleep"
    clock.advance(0.1)
    assert client.get(f"{EU}/vehicles/{V_MODELS}", headers=user).get_json()["response"]["state"] == "online"


def test_vehicles_differ_in_odometer_battery_and_software(client: FlaskClient, user: dict[str, str]) -> None:
    client.post(f"/_sim/vehicles/{V_MODELS}/state", json={"state": "online"})
    seen = set()
    for vin in (V_MODEL3, V_MODELY, V_MODELS):
        data = client.get(f"{EU}/vehicles/{vin}/vehicle_data", headers=user).get_json()["response"]
        assert data["vin"] == vin
        vs = data["vehicle_state"]
        seen.add((vs["odometer"], data["charge_state"]["battery_level"], vs["car_version"]))
    assert len({s[0] for s in seen}) == len({s[1] for s in seen}) == len({s[2] for s in seen}) == 3


def test_endpoints_filter_selects_sub_objects(client: FlaskClient, user: dict[str, str]) -> None:
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data?endpoints=charge_state;gui_settings"
    data = client.get(url, headers=user).get_json()["response"]
    assert "charge_state" in data
    assert "gui_settings" in data
    for absent in ("climate_state", "drive_state", "vehicle_config", "vehicle_state"):
        assert absent not in data
    assert data["vin"] == V_MODEL3
    assert data["charge_state"]["charge_port_color"] == "<invalid>"  # fixture quirk kept
    assert data["gui_settings"]["gui_distance_units"] == "km/hr"
    assert data["gui_settings"]["gui_temperature_units"] == "C"


def test_no_location_without_location_data(client: FlaskClient, user: dict[str, str]) -> None:
    data = client.get(f"{EU}/vehicles/{V_MODEL3}/vehicle_data", headers=user).get_json()["response"]
    assert "latitude" not in data["drive_state"]
    assert "power" in data["drive_state"]
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data?endpoints=drive_state;location_data"
    # The user granted no vehicle_location scope: still no coordinates.
    assert "latitude" not in client.get(url, headers=user).get_json()["response"]["drive_state"]


def test_location_with_location_data_and_scope(client: FlaskClient) -> None:
    scope = "openid offline_access vehicle_device_data vehicle_location"
    headers = bearer(login(client, scope)["access_token"])
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data?endpoints=drive_state;location_data"
    drive = client.get(url, headers=headers).get_json()["response"]["drive_state"]
    assert drive["latitude"] == 60.1699
    assert "power" in drive
    only_location = f"{EU}/vehicles/{V_MODEL3}/vehicle_data?endpoints=location_data"
    drive = client.get(only_location, headers=headers).get_json()["response"]["drive_state"]
    assert "latitude" in drive
    assert "power" not in drive


def test_closures_state_gives_closure_fields_only(client: FlaskClient, user: dict[str, str]) -> None:
    url = f"{EU}/vehicles/{V_MODEL3}/vehicle_data?endpoints=closures_state"
    vehicle_state = client.get(url, headers=user).get_json()["response"]["vehicle_state"]
    assert vehicle_state["locked"] is True
    assert "odometer" not in vehicle_state


def test_missing_scope_is_403(client: FlaskClient) -> None:
    headers = bearer(login(client, "openid offline_access vehicle_device_data")["access_token"])
    assert client.get(f"{EU}/dx/charging/history", headers=headers).status_code == 403
    no_data = bearer(login(client, "openid offline_access vehicle_charging_cmds")["access_token"])
    assert client.get(f"{EU}/vehicles/{V_MODEL3}/vehicle_data", headers=no_data).status_code == 403
    assert client.get(f"{EU}/dx/charging/history", headers=no_data).status_code == 200


def test_specs_need_a_partner_token(client: FlaskClient, user: dict[str, str]) -> None:
    assert client.get(f"{EU}/vehicles/{V_MODEL3}/specs", headers=user).status_code == 403
    partner = bearer(partner_token(client))
    body = client.get(f"{EU}/vehicles/{V_MODEL3}/specs", headers=partner).get_json()["response"]
    assert body["vin"] == V_MODEL3
    assert body["batterySoH"] == "96%"
    assert client.get(f"{EU}/vehicles/{V_MODELS}/specs", headers=partner).get_json() == {"response": {}}


def test_fleet_status_merges_requested_vins(client: FlaskClient, user: dict[str, str]) -> None:
    reply = client.post(f"{EU}/vehicles/fleet_status", headers=user, json={"vins": [V_MODEL3, V_MODELS]})
    body = reply.get_json()["response"]
    assert body["key_paired_vins"] == [V_MODEL3]
    assert body["unpaired_vins"] == [V_MODELS]
    assert set(body["vehicle_info"]) == {V_MODEL3, V_MODELS}
    bad = client.post(f"{EU}/vehicles/fleet_status", headers=user, json={"vin": V_MODEL3})
    assert bad.status_code == 400


def test_post_without_json_content_type_is_406(client: FlaskClient, user: dict[str, str]) -> None:
    reply = client.post(f"{EU}/vehicles/{V_MODELS}/wake_up", headers=user)
    assert reply.status_code == 406
    reply = client.post(f"{EU}/vehicles/fleet_status", headers=user, data="vins=x")
    assert reply.status_code == 406


def test_commands_need_scope_online_and_no_signing(client: FlaskClient) -> None:
    scope = "openid vehicle_device_data vehicle_charging_cmds vehicle_cmds"
    headers = bearer(login(client, scope)["access_token"])
    # The Model 3 requires the Vehicle Command Protocol (signed commands) per its fleet_status.
    reply = client.post(f"{EU}/vehicles/{V_MODEL3}/command/charge_start", headers=headers, json={})
    assert reply.status_code == 403
    assert client.post(f"{EU}/vehicles/{V_MODELS}/command/flash_lights", headers=headers, json={}).status_code == 408
    client.post(f"/_sim/vehicles/{V_MODELS}/state", json={"state": "online"})
    reply = client.post(f"{EU}/vehicles/{V_MODELS}/command/flash_lights", headers=headers, json={})
    assert reply.get_json() == {"response": {"result": True, "reason": ""}}
