"""Attribution and totals happen once, in normalisation."""

from datetime import UTC, datetime, timedelta

from carpulse.domain.snapshot import DistanceUnit
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.normalise import build_snapshot, model_name, partition_sessions
from carpulse.tesla.schemas import ChargingHistoryPage, ChargingSession, VehicleData

VIN_A = "5YJ3E7EB0PF000001"
VIN_B = "7SAYGDEE0PF000002"


def _session(sid, vin, currency="EUR", total=10.0, kwh=30.0, start="2026-03-01T10:00:00+02:00"):
    return ChargingSession.model_validate(
        {
            "sessionId": sid,
            "vin": vin,
            "siteLocationName": "Jyväskylä – Seppälä",
            "chargeStartDateTime": start,
            "fees": [
                {"feeType": "CHARGING", "currencyCode": currency, "totalDue": total, "usageBase": kwh, "uom": "kwh"},
                {"feeType": "PARKING", "currencyCode": currency, "totalDue": 1.5, "usageBase": 3, "uom": "min"},
            ],
            "invoices": [{"fileName": f"{sid}.pdf", "contentId": f"c-{sid}"}],
        }
    )


def test_partition_by_vin():
    parts = partition_sessions([_session(1, VIN_A), _session(2, VIN_B), _session(3, VIN_A.lower())])
    assert sorted(parts) == [VIN_A, VIN_B]
    assert [s.sessionId for s in parts[VIN_A]] == [1, 3]


def test_snapshot_keeps_only_its_vin_and_totals_per_currency():
    sessions = [_session(1, VIN_A), _session(2, VIN_A, "NOK", 200.0, 40.0), _session(3, VIN_B, total=99.0)]
    snap = build_snapshot(
        FetchedVehicle(sessions=sessions),
        report_id="r1",
        generated_at=datetime(2026, 11, 21, tzinfo=UTC),
        region="eu",
        vin=VIN_A,
    )
    assert {s.vin for s in snap.sessions} == {VIN_A}
    assert snap.charging is not None
    assert snap.sessions[0].started_at is not None
    assert snap.charging.session_count == 2
    assert snap.charging.energy_kwh == 70.0
    totals = {m.currency: m.amount for m in snap.charging.cost_by_currency}
    assert totals == {"EUR": 11.5, "NOK": 201.5}
    assert snap.sessions[0].started_at.utcoffset() == timedelta(hours=2)


def test_units_and_identity_from_vehicle_data():
    data = VehicleData.model_validate(
        {
            "vin": VIN_A,
            "display_name": "Sparky",
            "charge_state": {"battery_level": 78, "battery_range": 200.0, "timestamp": 1763726400000},
            "vehicle_state": {"odometer": 10000.0, "car_version": "2025.44.25.4 abcdef", "vehicle_name": "Sparky"},
            "vehicle_config": {"car_type": "model3", "trim_badging": "74d"},
            "gui_settings": {"gui_distance_units": "mi/hr"},
        }
    )
    snap = build_snapshot(
        FetchedVehicle(data=data, sessions=[]), report_id="r", generated_at=datetime.now(UTC), region="eu", vin=VIN_A
    )
    assert snap.identity.model == "Model 3"
    assert snap.identity.trim == "74D"
    assert snap.software_version == "2025.44.25.4"
    assert snap.distance_unit is DistanceUnit.MI
    assert snap.battery is not None
    assert snap.battery.level_percent == 78
    assert snap.data_as_of is not None


def test_region_default_unit_without_gui_settings():
    snap = build_snapshot(
        FetchedVehicle(sessions=[]), report_id="r", generated_at=datetime.now(UTC), region="na", vin=VIN_A
    )
    assert snap.distance_unit is DistanceUnit.MI
    assert snap.battery is None


def test_model_names():
    assert model_name("modely", VIN_B) == "Model Y"
    assert model_name(None, VIN_B) == "Model Y"
    assert model_name(None, "XXX") is None


def _snap(sessions, **kw):
    return build_snapshot(
        FetchedVehicle(sessions=sessions, **kw),
        report_id="r1",
        generated_at=datetime(2026, 3, 14, tzinfo=UTC),
        region="eu",
        vin=VIN_A,
    )


def test_a_fee_that_cannot_be_read_is_left_out_and_counted_the_rest_totalled():
    bad = _session(1, VIN_A, "USD", total=12.0)
    bad = ChargingSession.model_validate(
        {**bad.model_dump(mode="json"), "fees": [*bad.model_dump(mode="json")["fees"], {"totalDue": "NaN"}, "oops"]}
    )
    snap = _snap([bad, _session(2, VIN_A, "USD", total=8.0)])
    assert [(m.currency, m.amount) for m in snap.charging.cost_by_currency] == [("USD", 23.0)]
    assert snap.unreadable == {"fees": 2}
    # The snapshot survives the JSON round trip the finalise task makes (a NaN once did not).
    assert type(snap).model_validate_json(snap.model_dump_json()) == snap


def test_sessions_naming_no_vehicle_reach_every_part_and_are_counted_not_shown():
    page = ChargingHistoryPage.model_validate(
        {"data": [_session(1, VIN_A).model_dump(mode="json"), 7, {"sessionId": 9}]}
    )
    parts = partition_sessions(page.data, vins=[VIN_A, VIN_B])
    assert len(parts[VIN_A]) == 3
    assert len(parts[VIN_B]) == 2
    snap = _snap(parts[VIN_A])
    assert [s.session_id for s in snap.sessions] == ["1"]
    assert snap.unreadable == {"sessions": 2}


def test_mixed_offsets_naive_times_and_timestamps_in_seconds_or_ms():
    naive = _session(1, VIN_A, start="2026-03-01T08:00:00")
    aware = _session(2, VIN_A, start="2026-03-01T09:00:00+02:00")  # 07:00 UTC: first
    snap = _snap(
        [naive, aware],
        data=VehicleData.model_validate(
            {
                "charge_state": {"timestamp": 1773480000},  # seconds
                "vehicle_state": {
                    "timestamp": 1773480060000,
                    "tpms_pressure_fl": 2.9,
                    "tpms_last_seen_pressure_time_fl": 1773480000000,
                },
            }
        ),
    )
    assert [s.session_id for s in snap.sessions] == ["2", "1"]
    assert snap.sessions[1].started_at.utcoffset().total_seconds() == 0
    assert snap.data_as_of == datetime(2026, 3, 14, 9, 21, tzinfo=UTC)
    assert snap.tyres[0].last_seen == datetime(2026, 3, 14, 9, 20, tzinfo=UTC)
