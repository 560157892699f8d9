"""Every shipped scenario loads and pages; the US, no-location and business scenarios say what they promise."""

from __future__ import annotations

import runpy
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from infra.simulator import DEFAULT_SCENARIO, SimulatorConfig, create_app, load_scenario
from infra.simulator.scenario import ChargingSession, Scenario, vin_check_digit

from .conftest import CLIENT_ID, CLIENT_SECRET, USER_SCOPES, FakeClock, bearer, login

SCENARIOS = DEFAULT_SCENARIO.parent
SHIPPED = sorted(p for p in SCENARIOS.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
US_OWNER, NO_LOCATION, BUSINESS = SCENARIOS / "us-owner", SCENARIOS / "no-location", SCENARIOS / "business"
US_MODEL_Y, US_MODEL_3 = "7SAYGDEE8RF900401", "5YJ3E1EB0SF900402"
IE_MODEL_3, IE_MODEL_S = "LRW3E7EK2MC900501", "5YJSA7H41FF900602"
LOCATION_SCOPES = f"{USER_SCOPES} vehicle_location"


class Sim:
    """A test client on one scenario, logged in, with the account's regional API base."""

    def __init__(self, root: Path, scope: str = LOCATION_SCOPES) -> None:
        config = SimulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, scenario=root, wake_seconds=0)
        self.scenario: Scenario = load_scenario(root)
        self.client: FlaskClient = create_app(config, clock=FakeClock()).test_client()
        self.headers = bearer(login(self.client, scope)["access_token"])
        self.api = f"/fleet/{self.scenario.account.region}/api/1"

    def get(self, path: str) -> Any:
        """GET an API path, assert 200 and return `response`."""
        reply = self.client.get(f"{self.api}{path}", headers=self.headers)
        assert reply.status_code == 200, (path, reply.status_code, reply.data[:300])
        return reply.get_json()["response"]

    def set_state(self, vin: str, state: str) -> None:
        """Force a vehicle's sleep state through the control API."""
        assert self.client.post(f"/_sim/vehicles/{vin}/state", json={"state": state}).status_code == 200


def test_the_promised_scenarios_are_shipped() -> None:
    assert {"default", "us-owner", "no-location", "business"} <= {p.name for p in SHIPPED}


@pytest.mark.parametrize("root", SHIPPED, ids=lambda p: p.name)
def test_scenario_loads_and_vins_pass_the_check_digit(root: Path) -> None:
    scenario = load_scenario(root)
    assert scenario.vehicles
    vins = {*scenario.vehicles, *(s.vin for s in scenario.sessions)}
    assert all(vin[8] == vin_check_digit(vin) for vin in vins), sorted(vins)
    for vehicle in scenario.vehicles.values():
        if "vehicle_data" in vehicle.files:
            assert vehicle.files["vehicle_data"]["id"] == vehicle.entry.id


@pytest.mark.parametrize("root", SHIPPED, ids=lambda p: p.name)
def test_charging_history_paging_returns_every_session(root: Path) -> None:
    sim = Sim(root)
    seen: list[int] = []
    page_no = 0
    while True:
        page = sim.get(f"/dx/charging/history?pageNo={page_no}&pageSize=40&sortOrder=ASC")
        assert page["totalResults"] == len(sim.scenario.sessions)
        seen += [s["sessionId"] for s in page["data"]]
        if not page["hasMoreData"]:
            break
        page_no += 1
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(s.session_id for s in sim.scenario.sessions)
    assert page_no == max(0, (len(seen) - 1) // 40)


def test_business_has_50_vehicles_and_500_sessions_on_the_account() -> None:
    scenario = load_scenario(BUSINESS)
    assert len(scenario.vehicles) == 50
    assert len(scenario.sessions) == 500
    assert {s.vin for s in scenario.sessions} <= set(scenario.vehicles)
    assert Counter(v.entry.state for v in scenario.vehicles.values()) == {"online": 40, "asleep": 8, "offline": 2}
    car_types = Counter(v.files["vehicle_data"]["vehicle_config"]["car_type"] for v in scenario.vehicles.values())
    assert set(car_types) == {"model3", "modely", "models", "modelx"}
    assert {f.currency_code for s in scenario.sessions for f in s.fees} == {"EUR", "SEK", "NOK", "DKK"}
    for session in scenario.sessions:
        paid = any(f.total_due > 0 for f in session.fees)
        assert bool(session.invoices) == paid, session.session_id
    starts = sorted(s.start() for s in scenario.sessions)
    assert (starts[-1] - starts[0]).days >= 330


def test_business_generator_reproduces_the_committed_directory(tmp_path: Path) -> None:
    generator = runpy.run_path(str(SCENARIOS / "make_business.py"), run_name="make_business")
    counts = generator["generate"](tmp_path / "business")
    assert counts == {"vehicles": 50, "sessions": 500}

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    fresh, committed = tree(tmp_path / "business"), tree(BUSINESS)
    assert sorted(fresh) == sorted(committed)
    assert [name for name in fresh if fresh[name] != committed[name]] == []


def test_business_vehicle_list_pages() -> None:
    sim = Sim(BUSINESS)
    reply = sim.client.get(f"{sim.api}/vehicles?page=3&per_page=20", headers=sim.headers).get_json()
    assert len(reply["response"]) == 10
    assert reply["pagination"]["pages"] == 3
    assert reply["count"] == 50


def test_us_owner_vehicle_data_is_in_us_units() -> None:
    sim = Sim(US_OWNER)
    assert sim.scenario.account.region == "na"
    sim.set_state(US_MODEL_3, "online")
    for vin in (US_MODEL_Y, US_MODEL_3):
        gui = sim.get(f"/vehicles/{vin}/vehicle_data")["gui_settings"]
        assert (gui["gui_distance_units"], gui["gui_temperature_units"], gui["gui_tirepressure_units"]) == (
            "mi/hr",
            "F",
            "Psi",
        )
        assert gui["gui_24_hour_time"] is False
        warranty = sim.get(f"/dx/warranty/details?vin={vin}")
        assert {w["odometerUnit"] for w in warranty["activeWarranty"]} == {"MI"}
    model_y = sim.get(f"/vehicles/{US_MODEL_Y}/vehicle_data?endpoints=vehicle_state")["vehicle_state"]
    assert model_y["tpms_soft_warning_fr"] is True
    assert model_y["tpms_pressure_fr"] < 2.5  # Tesla sends bar whatever gui_tirepressure_units says
    update = sim.get(f"/vehicles/{US_MODEL_3}/vehicle_data?endpoints=vehicle_state")["vehicle_state"]["software_update"]
    assert (update["status"], update["version"]) == ("available", "2026.8.3")


def _stop_time(session: ChargingSession) -> str:
    """When the session stopped (every session of the shipped scenarios says)."""
    assert session.charge_stop_date_time is not None, session.session_id
    return session.charge_stop_date_time


def test_us_owner_sessions_are_usd_with_us_offsets_and_a_dst_change() -> None:
    scenario = load_scenario(US_OWNER)
    assert {f.currency_code for s in scenario.sessions for f in s.fees} == {"USD"}
    offsets = {s.charge_start_date_time[-6:] for s in scenario.sessions}
    assert {"-08:00", "-07:00", "-05:00"} <= offsets
    across = [s for s in scenario.sessions if _stop_time(s)[-6:] != s.charge_start_date_time[-6:]]
    assert across, "a session across a DST change"
    for session in scenario.sessions:
        stop = datetime.fromisoformat(_stop_time(session))
        assert 0 < (stop - session.start()).total_seconds() < 3 * 3600
    # The fall-back session stops at an earlier wall-clock time than it started.
    assert any(_stop_time(s)[11:19] < s.charge_start_date_time[11:19] for s in across)


def test_us_owner_is_on_the_na_region() -> None:
    sim = Sim(US_OWNER)
    reply = sim.client.get("/fleet/eu/api/1/vehicles", headers=sim.headers)
    assert reply.status_code == 421
    assert reply.get_json()["fleet_api_base_url"].endswith("/fleet/na")


@pytest.mark.parametrize("scope", [LOCATION_SCOPES, USER_SCOPES], ids=["with-vehicle_location", "without"])
def test_no_location_vehicle_never_has_coordinates(scope: str) -> None:
    sim = Sim(NO_LOCATION, scope)
    for query in ("", "?endpoints=drive_state;location_data", "?endpoints=location_data"):
        data = sim.get(f"/vehicles/{IE_MODEL_3}/vehicle_data{query}")
        drive = data.get("drive_state", {})
        assert not {"latitude", "longitude", "heading", "native_latitude"} & set(drive), (query, drive)
    assert "drive_state" in sim.get(f"/vehicles/{IE_MODEL_3}/vehicle_data")


def test_no_location_older_model_s_keeps_legacy_quirks() -> None:
    sim = Sim(NO_LOCATION)
    sim.set_state(IE_MODEL_S, "online")
    data = sim.get(f"/vehicles/{IE_MODEL_S}/vehicle_data?endpoints=drive_state;location_data;vehicle_config")
    assert "latitude" in data["drive_state"]  # the older car does report a position when asked and allowed
    assert data["vehicle_config"]["sun_roof_installed"] == 1
    full = sim.get(f"/vehicles/{IE_MODEL_S}/vehicle_data")
    assert full["vehicle_state"]["tpms_pressure_fl"] is None
    assert "charge_to_max_range" in full["charge_state"]
    assert sim.get(f"/vehicles/{IE_MODEL_S}/service_data") == {}
    notes = sim.get(f"/vehicles/{IE_MODEL_S}/release_notes")
    assert "release_notes" in notes
    assert "response" not in notes  # flat shape


def test_no_location_sessions_have_eur_and_free_supercharging() -> None:
    scenario = load_scenario(NO_LOCATION)
    assert sum(1 for s in scenario.sessions if s.fees[0].currency_code == "EUR") >= 3
    free = [s for s in scenario.sessions if any(f.pricing_type == "NO_CHARGE" for f in s.fees)]
    assert free
    assert any(not s.invoices for s in free)


@pytest.mark.parametrize("root", SHIPPED, ids=lambda p: p.name)
def test_invoices_of_every_scenario_render(root: Path) -> None:
    sim = Sim(root)
    content_ids = [i.content_id for s in sim.scenario.sessions for i in s.invoices]
    for content_id in content_ids[:3] + content_ids[-3:]:
        reply = sim.client.get(f"{sim.api}/dx/charging/invoice/{content_id}", headers=sim.headers)
        assert reply.status_code == 200
        assert reply.data.startswith(b"%PDF")
