"""Tests for the vehicle PDF report: content read back with pypdf, never by eye."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from carpulse.domain.snapshot import (
    Battery,
    ChargingFee,
    ChargingSession,
    ChargingSummary,
    DistanceUnit,
    Identity,
    Money,
    SectionNote,
    SectionState,
    VehicleSnapshot,
)
from carpulse.report.pdf import render_vehicle_pdf

VIN = "5YJ3E7EB2NF000001"
CEST = timezone(timedelta(hours=2))
GENERATED = datetime(2024, 5, 31, 6, 0, tzinfo=UTC)
UNICODE_SITES = ("Jyväskylä – Seppälä", "Zürich", "Kraków", "Gdańsk – Łódź", "København Ø")


def _session(i: int, *, site: str = "München – Freiham", currency: str = "EUR", vin: str = VIN) -> ChargingSession:
    start = datetime(2024, 5, 1, 8, 15, tzinfo=CEST) + timedelta(days=i % 28, minutes=i)
    return ChargingSession(
        session_id=f"s{i}",
        vin=vin,
        site=site,
        country="DE",
        started_at=start,
        stopped_at=start + timedelta(minutes=30),
        energy_kwh=20 + i,
        fees=(ChargingFee(fee_type="CHARGING", currency=currency, total_due=10 + i, usage=20 + i, unit="kwh"),),
    )


def _snapshot(**changes: object) -> VehicleSnapshot:
    base = VehicleSnapshot(
        report_id="rpt-test-0001",
        generated_at=GENERATED,
        data_as_of=datetime(2024, 5, 31, 7, 58, tzinfo=CEST),
        region="eu",
        distance_unit=DistanceUnit.KM,
        identity=Identity(
            vin=VIN,
            display_name="Blue Thunder",
            model="Model 3",
            trim="Long Range AWD 18’’ wheels",
            state="online",
        ),
        software_version="2024.14.9",
        odometer_mi=10000,
        battery=Battery(
            level_percent=78,
            usable_level_percent=76,
            rated_range_mi=250.3,
            estimated_range_mi=221.9,
            charge_limit_percent=80,
            charging_state="Disconnected",
        ),
        charging=ChargingSummary(
            session_count=2,
            energy_kwh=61.5,
            cost_by_currency=(Money(currency="EUR", amount=123.45), Money(currency="NOK", amount=212.4)),
        ),
        sessions=(_session(1), _session(2, site="Bergen – Danmarksplass", currency="NOK")),
    )
    return base.model_copy(update=changes)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return "\n".join(_pages(pdf))


def test_renders_a_pdf_with_identity() -> None:
    pdf = render_vehicle_pdf(_snapshot())
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "Car Pulse Tracker — Vehicle report" in text
    assert VIN in text
    assert "Blue Thunder" in text
    assert "Model 3" in text
    assert "2024.14.9" in text
    assert "78%" in text
    assert "76%" in text
    assert "Disconnected" in text


def test_metadata() -> None:
    meta = PdfReader(io.BytesIO(render_vehicle_pdf(_snapshot()))).metadata
    assert meta is not None
    assert meta.author == "Car Pulse Tracker"
    assert VIN in (meta.title or "")
    assert meta.creation_date == GENERATED


def test_output_is_deterministic() -> None:
    assert render_vehicle_pdf(_snapshot()) == render_vehicle_pdf(_snapshot())


def test_distances_converted_to_km_for_km_owner() -> None:
    text = _text(render_vehicle_pdf(_snapshot(distance_unit=DistanceUnit.KM)))
    assert "16,093 km" in text  # odometer 10,000 mi
    assert "403 km" in text  # rated range 250.3 mi
    assert "357 km" in text  # estimated range 221.9 mi
    assert "10,000 mi" not in text


def test_distances_left_in_miles_for_mi_owner() -> None:
    text = _text(render_vehicle_pdf(_snapshot(distance_unit=DistanceUnit.MI)))
    assert "10,000 mi" in text
    assert "250 mi" in text
    assert "222 mi" in text
    assert "16,093" not in text


def test_cost_totals_are_per_currency_never_summed() -> None:
    text = _text(render_vehicle_pdf(_snapshot()))
    assert "123.45 EUR" in text
    assert "212.40 NOK" in text
    assert "335.85" not in text  # 123.45 + 212.40 would be a meaningless number


def test_all_sessions_of_this_vin_are_listed() -> None:
    sites = [f"Site number {i:02d}" for i in range(12)]
    snapshot = _snapshot(sessions=tuple(_session(i, site=site) for i, site in enumerate(sites)))
    text = _text(render_vehicle_pdf(snapshot))
    for site in sites:
        assert site in text
    assert "2024-05-01 08:15 UTC+02:00" in text  # the session's own offset, not converted


def test_sessions_of_another_vin_are_left_out_and_said_so() -> None:
    snapshot = _snapshot(sessions=(_session(1, site="Mine"), _session(2, site="Theirs", vin="OTHERVIN0000000")))
    text = _text(render_vehicle_pdf(snapshot))
    assert "Mine" in text
    assert "Theirs" not in text
    assert "another vehicle" in text


def test_unicode_site_names_survive_extraction() -> None:
    snapshot = _snapshot(sessions=tuple(_session(i, site=site) for i, site in enumerate(UNICODE_SITES)))
    text = _text(render_vehicle_pdf(snapshot))
    for site in UNICODE_SITES:
        assert site in text
    assert "18’’ wheels" in text


def test_long_site_name_wraps_inside_the_table() -> None:
    long_site = "Berlin Schönefeld Supercharger at Flughafen BER Terminal 5 long parking garage level 2 " * 2
    pdf = render_vehicle_pdf(_snapshot(sessions=(_session(1, site=long_site), _session(2, site="X" * 160))))
    words = set(re.findall(r"\w+", _text(pdf)))
    assert {"Schönefeld", "Flughafen", "garage"} <= words


def test_many_sessions_flow_onto_pages_with_footer_and_repeated_heading() -> None:
    snapshot = _snapshot(sessions=tuple(_session(i, site=f"Station {i:03d}") for i in range(120)))
    pages = _pages(render_vehicle_pdf(snapshot))
    total = len(pages)
    assert total >= 3
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {total}" in page
        assert "rpt-test-0001" in page
        assert "2024-05-31 06:00 UTC" in page
    for page in pages[1:-1]:
        assert re.search(r"Started\s*Site\s*Country\s*Energy\s*Cost", page)  # heading row repeated
    text = "\n".join(pages)
    for i in range(120):
        assert f"Station {i:03d}" in text


def test_notes_are_listed() -> None:
    notes = (
        SectionNote(section="Location", state=SectionState.MISSING, reason="The location scope was not granted."),
        SectionNote(section="Charging history", state=SectionState.FAILED, reason="Tesla returned HTTP 500."),
    )
    text = _text(render_vehicle_pdf(_snapshot(notes=notes)))
    assert "Missing or failed data" in text
    assert "The location scope was not granted." in text
    assert "Tesla returned HTTP 500." in text
    assert "Failed" in text


def test_no_notes_block_without_notes() -> None:
    assert "Missing or failed data" not in _text(render_vehicle_pdf(_snapshot()))


FORBIDDEN = ("None", "null", "<invalid>", "nan", "inf", "Money(", "datetime")


def _assert_clean(text: str) -> None:
    for word in FORBIDDEN:
        assert word not in text, word


def test_everything_missing_still_renders() -> None:
    snapshot = VehicleSnapshot(report_id="rpt-empty", generated_at=GENERATED, identity=Identity(vin=VIN))
    pdf = render_vehicle_pdf(snapshot)
    pages = _pages(pdf)
    text = "\n".join(pages)
    _assert_clean(text)
    assert VIN in text
    assert "—" in text
    assert "No charging sessions" in text
    assert "Battery and charge data were not available" in text
    assert "page 1 of 1" in text


def test_garbage_values_never_print_as_python_values() -> None:
    snapshot = VehicleSnapshot(
        report_id="rpt-garbage",
        generated_at=datetime(2024, 1, 1, 12, 0),  # naive: taken as UTC
        distance_unit=DistanceUnit.MI,
        identity=Identity(vin=VIN, display_name="🚗 Blue Thunder", model="<invalid>", trim="null", state="None"),
        software_version="  ",
        odometer_mi=float("nan"),
        battery=Battery(rated_range_mi=float("inf"), charging_state="<invalid>"),
        charging=ChargingSummary(cost_by_currency=(Money(currency="", amount=3),)),
        sessions=(
            ChargingSession(session_id="a", vin=VIN),
            ChargingSession(session_id="b", vin=VIN, started_at=datetime(2024, 3, 1), fees=()),
        ),
        notes=(SectionNote(section="", state=SectionState.FAILED, reason="null"),),
    )
    text = _text(render_vehicle_pdf(snapshot))
    _assert_clean(text)
    assert "Blue Thunder" in text
    assert "2024-01-01 12:00 UTC" in text


@pytest.mark.parametrize("battery", [None, Battery()])
def test_empty_battery_variants(battery: Battery | None) -> None:
    text = _text(render_vehicle_pdf(_snapshot(battery=battery, odometer_mi=None, sessions=())))
    _assert_clean(text)
    assert "Rated range" in text


def test_runaway_text_does_not_break_the_layout() -> None:
    snapshot = _snapshot(
        report_id="r" * 5000,
        identity=Identity(vin="V" * 3000, display_name="name " * 20000),
        sessions=(_session(1, site="s" * 10000),),
        notes=(SectionNote(section="x" * 500, state=SectionState.FAILED, reason="word " * 5000),),
    )
    assert _text(render_vehicle_pdf(snapshot))
