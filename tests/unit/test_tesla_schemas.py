"""Every captured Fleet API payload parses; quirks become None instead of failures."""

import json
from pathlib import Path

import pytest

from carpulse.tesla.schemas import ChargingHistoryPage, VehicleData, VehicleSummary

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "tesla"
VEHICLE_DATA = sorted(FIXTURES.glob("*vehicle_data*.json"))
PRODUCTS = sorted(FIXTURES.glob("*products*.json"))


def test_fixtures_are_there():
    assert len(VEHICLE_DATA) >= 9
    assert len(PRODUCTS) >= 2


@pytest.mark.parametrize("path", VEHICLE_DATA, ids=lambda p: p.name)
def test_vehicle_data_fixture_parses(path):
    body = json.loads(path.read_text())
    data = VehicleData.model_validate(body["response"])
    assert data.vin
    assert data.vehicle_state is not None
    assert data.charge_state is not None
    # "<invalid>" never survives parsing into a declared field
    assert "<invalid>" not in _declared_values(data)


def _declared_values(model) -> list:
    values = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        values.extend(_declared_values(value) if hasattr(type(value), "model_fields") else [value])
    return values


@pytest.mark.parametrize("path", PRODUCTS, ids=lambda p: p.name)
def test_products_fixture_vehicle_entries_parse(path):
    body = json.loads(path.read_text())
    vehicles = [VehicleSummary.model_validate(item) for item in body["response"] if "vin" in item]
    assert vehicles
    assert all(v.vin for v in vehicles)


def test_quirky_values_become_none():
    data = VehicleData.model_validate(
        {
            "charge_state": {"battery_level": "bad value", "charging_state": "<invalid>", "battery_range": "243.5"},
            "vehicle_config": {"car_type": "model3", "sun_roof_installed": 1},
            "vehicle_state": {"odometer": None, "car_version": " "},
            "drive_state": "not an object",
        }
    )
    assert data.charge_state.battery_level is None
    assert data.charge_state.charging_state is None
    assert data.charge_state.battery_range == 243.5
    assert data.vehicle_state.car_version is None
    assert data.drive_state is None


def test_charging_history_tolerates_missing_lists_and_dates():
    page = ChargingHistoryPage.model_validate(
        {"data": [{"sessionId": 1, "vin": "X", "fees": None, "chargeStartDateTime": "not a date"}], "totalResults": 1}
    )
    assert page.data[0].fees == []
    assert page.data[0].chargeStartDateTime is None
