"""Every captured Fleet API payload parses; quirks become None instead of failures."""

import json
from pathlib import Path

import pytest

from carpulse.tesla.schemas import ChargingHistoryPage, ChargingSession, VehicleData, VehicleSummary
from carpulse.tesla.schemas_dx import FleetStatus, RecentAlerts

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
    assert data.charge_state is not None
    assert data.vehicle_state is not None
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


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", 1e300, float("nan"), "12abc", [], {}])
def test_numbers_no_field_can_have_become_none(value):
    state = VehicleData.model_validate({"charge_state": {"battery_level": value, "battery_range": value}})
    assert state.charge_state is not None
    assert state.charge_state.battery_level is None
    assert state.charge_state.battery_range is None


def test_impossible_values_become_none_and_big_ids_stay_exact():
    data = VehicleData.model_validate(
        {
            "id": "3745000000000101",
            "charge_state": {"battery_level": 140, "charge_limit_soc": -3, "energy_remaining": -1.5},
            "vehicle_state": {"odometer": -12.0, "tpms_pressure_fl": 2.9},
            "climate_state": {"inside_temp": 999},
        }
    )
    assert data.id == 3745000000000101
    assert data.charge_state is not None
    assert data.vehicle_state is not None
    assert data.climate_state is not None
    assert data.charge_state.battery_level is None
    assert data.charge_state.charge_limit_soc is None
    assert data.charge_state.energy_remaining is None
    assert data.vehicle_state.odometer is None
    assert data.vehicle_state.tpms_pressure_fl == 2.9
    assert data.climate_state.inside_temp is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-25T21:00:00-04:00", "2025-03-25T21:00:00-04:00"),
        ("2025-03-25T21:00:00", "2025-03-25T21:00:00+00:00"),  # no offset: UTC
        (1742950800, "2025-03-26T01:00:00+00:00"),  # seconds
        (1742950800000, "2025-03-26T01:00:00+00:00"),  # milliseconds
        ("1742950800000", "2025-03-26T01:00:00+00:00"),
        (10**30, None),
        ("9999-12-31T23:59:59+14:00", None),
        (-5, None),
    ],
)
def test_times_in_iso_seconds_or_milliseconds(raw, expected):
    session = ChargingSession.model_validate({"chargeStartDateTime": raw})
    value = session.chargeStartDateTime
    assert (value.isoformat() if value else None) == expected


def test_one_bad_element_is_dropped_and_counted_the_rest_kept():
    page = ChargingHistoryPage.model_validate(
        {
            "data": [
                {
                    "sessionId": 1,
                    "vin": "A",
                    "fees": [{"totalDue": 3.5}, "x", 7],
                    "invoices": [None, {"contentId": "c"}],
                },
                42,
                {"sessionId": 2, "vin": "B"},
            ]
        }
    )
    assert [s.sessionId for s in page.data] == [1, None, 2]
    assert page.unreadable == {"data": 1}
    assert page.data[1].unreadable == {"self": 1}  # a placeholder: the account's reports can count it
    first = page.data[0]
    assert [f.totalDue for f in first.fees] == [3.5]
    assert first.unreadable == {"fees": 2, "invoices": 1}
    # The counts survive the JSON hop between the prepare and the vehicle task.
    assert ChargingSession.model_validate(first.model_dump(mode="json")).unreadable == first.unreadable


def test_lists_of_texts_keep_the_texts():
    alerts = RecentAlerts.model_validate({"recent_alerts": [{"name": "A", "audience": ["customer", 7, None]}, "x"]})
    assert alerts.unreadable == {"recent_alerts": 1}
    assert alerts.recent_alerts[0].audience == ["customer"]
    fleet = FleetStatus.model_validate(
        {"key_paired_vins": [5, "VIN1"], "unpaired_vins": None, "vehicle_info": {"VIN1": {}, "VIN2": "x"}}
    )
    assert fleet.key_paired_vins == ["VIN1"]
    assert fleet.unreadable == {"key_paired_vins": 1, "vehicle_info": 1}
