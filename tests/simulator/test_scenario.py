"""Scenario loading: the default scenario's facts and validation errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.simulator import DEFAULT_SCENARIO, ScenarioError, SimulatorConfig, create_app, load_scenario
from infra.simulator.scenario import vin_check_digit

from .conftest import V_MODEL3, V_MODELS, V_MODELY, write_scenario

VIN = "5YJ3E1EA8KF000001"


def test_default_scenario_vins_pass_the_check_digit() -> None:
    scenario = load_scenario(DEFAULT_SCENARIO)
    assert list(scenario.vehicles) == [V_MODEL3, V_MODELY, V_MODELS]
    for vin in scenario.vehicles:
        assert vin[8] == vin_check_digit(vin)
    assert [v.entry.state for v in scenario.vehicles.values()] == ["online", "online", "asleep"]
    assert scenario.account.region == "eu"


def test_default_scenario_keeps_fixture_quirks() -> None:
    scenario = load_scenario(DEFAULT_SCENARIO)
    model_s = scenario.vehicles[V_MODELS].files["vehicle_data"]
    assert model_s["vehicle_config"]["sun_roof_installed"] == 1  # int, not bool, as captured
    assert model_s["charge_state"]["conn_charge_cable"] == "<invalid>"
    assert model_s["vehicle_state"]["tpms_pressure_fl"] is None


def test_known_check_digits() -> None:
    assert vin_check_digit("5YJSA7H40FF000001") == "0"
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"


def _expect_error(root: Path, fragment: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(root)
    message = str(info.value)
    assert fragment in message
    return message


def test_missing_scenario_json(tmp_path: Path) -> None:
    _expect_error(tmp_path, "scenario.json")


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "s", {f"vehicles/{VIN}/warranty.json": "{not json"})
    _expect_error(root, f"{VIN}/warranty.json")


def test_schema_error_names_the_file(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "s", {f"vehicles/{VIN}/options.json": {"codes": [{"code": "$X"}]}})
    message = _expect_error(root, f"{VIN}/options.json")
    assert "displayName" in message


def test_bad_scenario_json_names_the_file(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    (root / "scenario.json").write_text(json.dumps({"account": {"email": "x"}, "vehicles": []}))
    _expect_error(root, "scenario.json")


def test_unknown_file_and_unknown_vin_folder(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "a", {f"vehicles/{VIN}/vehicle_dta.json": {}})
    _expect_error(root, "vehicle_dta.json")
    root = write_scenario(tmp_path / "b", {"vehicles/5YJ3E1EA0KF000002/warranty.json": {}})
    _expect_error(root, "5YJ3E1EA0KF000002")


def test_vin_mismatch_in_vehicle_data(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "s", {f"vehicles/{VIN}/vehicle_data.json": {"vin": V_MODEL3}})
    _expect_error(root, "vehicle_data.json")


def test_release_notes_must_pick_one_shape(tmp_path: Path) -> None:
    both = {"response": {"release_notes": []}, "release_notes": []}
    root = write_scenario(tmp_path / "s", {f"vehicles/{VIN}/release_notes.json": both})
    _expect_error(root, "release_notes.json")


def test_charging_history_errors_name_the_file(tmp_path: Path) -> None:
    session = {"sessionId": 1, "vin": VIN, "siteLocationName": "x", "chargeStartDateTime": "2026-01-01T10:00:00"}
    root = write_scenario(tmp_path / "a", {"charging_history.json": [session]})
    _expect_error(root, "charging_history.json")  # naive time: no UTC offset
    session["chargeStartDateTime"] = "2026-01-01T10:00:00+02:00"
    root = write_scenario(tmp_path / "b", {"charging_history.json": [session, session]})
    message = _expect_error(root, "charging_history.json")
    assert "unique" in message


def test_non_pdf_invoice_is_rejected(tmp_path: Path) -> None:
    root = write_scenario(tmp_path / "s", {"invoices/abc.pdf": "not a pdf"})
    _expect_error(root, "abc.pdf")


def test_create_app_raises_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError):
        create_app(SimulatorConfig(scenario=tmp_path))
