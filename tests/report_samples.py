"""Realistic vehicle snapshots for report tests, and helpers to drop or fail each part in turn.

Totals (cost per currency and fee type, energy per month, unpaid) are computed here the way the
normaliser is meant to, so the report's figures can be checked against independent sums.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from carpulse.domain.snapshot import (
    Alert,
    Battery,
    ChargingFee,
    ChargingSession,
    Climate,
    DataSource,
    DistanceUnit,
    EquipmentItem,
    Identity,
    InvoiceRef,
    Money,
    OptionCode,
    PressureUnit,
    ReleaseNote,
    SectionNote,
    SectionState,
    Security,
    ServiceStatus,
    Software,
    Specs,
    TemperatureUnit,
    Tyre,
    TyrePosition,
    Units,
    VehicleSnapshot,
    VinFacts,
    Warranty,
    WarrantyKind,
)
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.normalise import summarise  # the totals exactly as the worker computes them

EU_VIN = "LRW3E7EK4RC123456"
US_VIN = "5YJ3E1EA7KF000001"
OTHER_VIN = "XP7YGCEL0RB000002"
GENERATED = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
FETCHED = GENERATED - timedelta(minutes=3)
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "tesla"
CET, EET, NOR = timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(hours=1))
PST = timezone(timedelta(hours=-8))

# (site, country, offset, kWh, extra fees) of the EU owner's sessions; all in EUR.
EU_SITES = (
    ("Jyväskylä – Seppälä, Finland", "FI", EET, 38.2, ("CONGESTION",)),
    ("Tallinn – Ülemiste, Estonia", "EE", EET, 41.0, ()),
    ("Rīga – Mūkusala, Latvia", "LV", EET, 35.5, ("PARKING",)),
    ("Hamburg – Billstedt, Germany", "DE", CET, 52.3, ()),
    ("Berlin – Schönefeld, Germany", "DE", CET, 47.9, ("PARKING",)),
    ("Travemünde, Germany", "DE", CET, 22.4, ()),
    ("Vantaa – Jumbo, Finland", "FI", EET, 30.1, ("CONGESTION",)),
    ("Oulu, Finland", "FI", EET, 44.7, ()),
    ("Kempele, Finland", "FI", EET, 18.6, ("PARKING",)),
    ("Rovaniemi, Finland", "FI", EET, 55.0, ()),
    ("Turku – Skanssi, Finland", "FI", EET, 29.3, ()),
    ("Lahti, Finland", "FI", EET, 33.8, ()),
)
NOK_SITES = (("Tromsø, Norway", "NO", NOR, 40.4), ("Bergen – Danmarksplass, Norway", "NO", NOR, 36.0))
ENDPOINTS = (
    "vehicle",
    "vehicle_data",
    "charging_history",
    "recent_alerts",
    "service_data",
    "warranty",
    "release_notes",
    "options",
    "specs",
    "fleet_status",
)


def session(
    i: int,
    *,
    vin: str = EU_VIN,
    site: str = "Oulu, Finland",
    country: str = "FI",
    tz: timezone = EET,
    kwh: float = 30.0,
    currency: str = "EUR",
    rate: float = 0.49,
    extras: Iterable[str] = (),
    paid: bool = True,
    start: datetime | None = None,
) -> ChargingSession:
    """One Supercharger session with a charging fee, optional parking/congestion fees and an invoice."""
    started = start or datetime(2025, 10, 3, 8, 15, tzinfo=tz) + timedelta(days=13 * i, minutes=37 * i)
    fees = [ChargingFee(fee_type="CHARGING", currency=currency, total_due=round(kwh * rate, 2), usage=kwh, unit="kwh")]
    for extra in extras:
        fees.append(ChargingFee(fee_type=extra, currency=currency, total_due=3.0 if extra == "CONGESTION" else 2.5))
    fees = [f.model_copy(update={"is_paid": paid}) for f in fees]
    invoice = InvoiceRef(
        file_name=f"{400000 + i}_{country}.pdf", content_id=f"c-{i}", invoice_type="IMMEDIATE", stored=True
    )
    return ChargingSession(
        session_id=f"{400000 + i}",
        vin=vin,
        site=site,
        country=country,
        started_at=started,
        stopped_at=started + timedelta(minutes=20 + i % 17),
        energy_kwh=kwh,
        billing_type="IMMEDIATE",
        fees=tuple(fees),
        invoices=(invoice,),
    )


EU_OPTIONS = (
    ("$MT352", "Premium Long Range All-Wheel Drive"),
    ("$PPSB", "Deep Blue Metallic"),
    ("$W38A", "18’’ Photon Wheels"),
    ("$IPB3", "Black Premium Interior"),
    ("$APBS", "Autopilot"),
    ("$SC04", "Supercharger Network Access + Pay-as-you-go"),
)
EU_ALERTS = (
    (
        datetime(2026, 3, 12, 7, 12, tzinfo=UTC),
        "TPMS_a146_softWarningRearLeft",
        "Tire pressure low – rear left",
        ("customer",),
    ),
    (datetime(2026, 2, 2, 18, 1, tzinfo=UTC), "UI_a212_AEBSFaulted", "AEB is unavailable", ("service-fix", "customer")),
    (datetime(2026, 1, 20, 6, 30, tzinfo=UTC), "CHG_a010_chargePortLatch", None, ("service",)),
)
EU_NOTES = (
    ("Supercharger Queue Estimates", None, "See estimated wait times at busy Superchargers.", "2026.2.3"),
    ("Winter Range Improvements", "Climate › Advanced", "Cabin heating at −20 °C – Climate › Heat pump.", "2026.2.3"),
    ("Tesla Photobooth", None, "Turn your car into a photo booth. Tap Toybox > Photobooth.", "2025.44.25.4"),
)


def _warranty(kind: WarrantyKind, name: str, ends: date, km: float | None, years: int, days: int) -> Warranty:
    left = km - 16093 if km and days > 0 else None
    expired = ends if kind is WarrantyKind.EXPIRED else None
    unit = DistanceUnit.KM if km else None
    return Warranty(kind=kind, type=name.upper().replace(" ", "_"), name=name, expires_on=ends, expired_on=expired,
                    expires_at_distance=km, distance_unit=unit, coverage_years=years, remaining_days=days,
                    remaining_distance=left)  # fmt: skip


EU_WARRANTIES = (
    _warranty(WarrantyKind.ACTIVE, "Basic Vehicle Limited Warranty", date(2028, 3, 27), 80000, 4, 744),
    _warranty(WarrantyKind.ACTIVE, "Battery and Drive Unit Limited Warranty", date(2032, 3, 27), 192000, 8, 2205),
    _warranty(WarrantyKind.EXPIRED, "Roadside Assistance", date(2025, 3, 27), None, 1, -352),
)


def _sources(region: str) -> tuple[DataSource, ...]:
    return tuple(
        DataSource(endpoint=name, status=200, fetched_at=FETCHED + timedelta(seconds=i), region=region)
        for i, name in enumerate(ENDPOINTS)
    )


def _tyres(recommended: float, pressures: dict[TyrePosition, float], soft: TyrePosition | None) -> tuple[Tyre, ...]:
    seen = GENERATED - timedelta(hours=2)
    return tuple(
        Tyre(
            position=p,
            pressure_bar=v,
            recommended_bar=recommended,
            soft_warning=p is soft,
            hard_warning=False,
            last_seen=seen,
        )
        for p, v in pressures.items()
    )


def eu_sessions() -> tuple[ChargingSession, ...]:
    """Twelve EUR sessions (some with parking/congestion fees) and two NOK sessions, oldest first."""
    eur = [
        session(i, site=site, country=cc, tz=tz, kwh=kwh, extras=extras, paid=i != 11)
        for i, (site, cc, tz, kwh, extras) in enumerate(EU_SITES)
    ]
    nok = [
        session(
            20 + i,
            site=site,
            country=cc,
            tz=tz,
            kwh=kwh,
            currency="NOK",
            rate=5.9,
            start=datetime(2026, 2, 9 + i, 13, 5, tzinfo=tz),
        )
        for i, (site, cc, tz, kwh) in enumerate(NOK_SITES)
    ]
    return tuple(sorted(eur + nok, key=lambda s: s.started_at or GENERATED))


def full_eu(**changes: Any) -> VehicleSnapshot:
    """A complete EU Model 3 report: km/°C/bar, EUR and NOK charging, every section present."""
    sessions = eu_sessions()
    snapshot = VehicleSnapshot(
        report_id="rpt-eu-0001",
        generated_at=GENERATED,
        language="en",
        data_as_of=GENERATED - timedelta(minutes=4),
        region="eu",
        utc_offset_seconds=7200,
        distance_unit=DistanceUnit.KM,
        units=Units(distance=DistanceUnit.KM, temperature=TemperatureUnit.C, pressure=PressureUnit.BAR, time_24h=True),
        identity=Identity(
            vin=EU_VIN,
            display_name="Revontuli",
            model="Model 3",
            trim="74D",
            exterior_color="DeepBlue",
            interior="Black2",
            wheels="Photon18",
            drive_unit="PM216MOSFET",
            driver_assist="TeslaAP4",
            charge_port="CCS",
            market_eu=True,
            ece_restrictions=False,
            right_hand_drive=False,
            state="online",
            vin_facts=VinFacts(
                manufacturer="Tesla (Shanghai)", model_year=2024, plant="Shanghai, China", check_digit_valid=True
            ),
            options=(*(OptionCode(code=c, name=n) for c, n in EU_OPTIONS), OptionCode(code="$OLD1", active=False)),
            specs=Specs(
                battery_capacity_kwh=78.1,
                state_of_health_percent=96.0,
                state_of_health_as_of=datetime(2026, 3, 1, tzinfo=UTC),
                production_date=datetime(2024, 3, 28, 6, 12, tzinfo=UTC),
                country_of_origin="CN",
                drive_type="AWD",
                model_year=2024,
                trim="Model 3 Long Range Dual Motor All-Wheel Drive",
                max_power="158 kW (front); 208 kW (rear)",
                range_km=629,
                original_price=Money(currency="EUR", amount=49990),
                equipment=(
                    EquipmentItem(code="$APBS", name="Autopilot", price=0),
                    EquipmentItem(code="$PPSB", name="Deep Blue Metallic", price=1300),
                ),
            ),
        ),
        software_version="2026.2.3",
        odometer_mi=10000,
        battery=Battery(
            level_percent=78,
            usable_level_percent=76,
            rated_range_mi=250.3,
            ideal_range_mi=250.3,
            estimated_range_mi=221.9,
            range_at_100_mi=320.9,
            charge_limit_percent=90,
            charge_limit_standard_percent=80,
            charging_state="Disconnected",
            energy_remaining_kwh=58.4,
            lifetime_energy_used_kwh=20505.6,
            module_temp_min_c=16.5,
            module_temp_max_c=18.0,
            battery_heater_on=False,
        ),
        charging=summarise(sessions),
        sessions=sessions,
        alerts=tuple(Alert(time=t, code=c, text=x, audience=a) for t, c, x, a in EU_ALERTS),
        service=ServiceStatus(status=None, in_service=False),
        warranties=EU_WARRANTIES,
        software=Software(
            version="2026.2.3",
            update_status="available",
            pending_version="2026.8.3",
            download_percent=100,
            install_percent=0,
            release_notes=tuple(ReleaseNote(title=t, subtitle=s, description=d, version=v) for t, s, d, v in EU_NOTES),
        ),
        tyres=_tyres(
            2.9,
            {
                TyrePosition.FRONT_LEFT: 2.9,
                TyrePosition.FRONT_RIGHT: 2.875,
                TyrePosition.REAR_LEFT: 2.5,
                TyrePosition.REAR_RIGHT: 2.9,
            },
            soft=TyrePosition.REAR_LEFT,
        ),
        security=Security(
            locked=True,
            sentry_mode=True,
            valet_mode=False,
            speed_limit_active=False,
            speed_limit_mph=69,
            keys_paired=True,
            command_protocol_required=True,
            total_keys=4,
        ),
        climate=Climate(
            inside_c=21.5,
            outside_c=-3.0,
            driver_setting_c=21.0,
            passenger_setting_c=21.0,
            climate_on=False,
            cabin_overheat_protection="FanOnly",
        ),
        sources=_sources("eu"),
    )
    return snapshot.model_copy(update=changes)


def us_owner(**changes: Any) -> VehicleSnapshot:
    """A US owner: miles, °F, psi, 12-hour clock, USD sessions in Pacific time."""
    pacific = [
        session(
            i,
            vin=US_VIN,
            site=site,
            country="US",
            tz=PST,
            kwh=kwh,
            currency="USD",
            rate=0.46,
            extras=("PARKING",) if i == 1 else (),
        )
        for i, (site, kwh) in enumerate(
            (("Truckee, CA – Soaring Way", 40.0), ("Gilroy, CA", 31.5), ("Kettleman City, CA", 55.2))
        )
    ]
    base = full_eu()
    specs = base.identity.specs
    assert specs is not None  # full_eu carries Tesla's specs
    snapshot = base.model_copy(
        update={
            "report_id": "rpt-us-0001",
            "region": "na",
            "utc_offset_seconds": -28800,
            "distance_unit": DistanceUnit.MI,
            "units": Units(
                distance=DistanceUnit.MI, temperature=TemperatureUnit.F, pressure=PressureUnit.PSI, time_24h=False
            ),
            "identity": base.identity.model_copy(
                update={
                    "vin": US_VIN,
                    "display_name": "Blue Thunder",
                    "market_eu": False,
                    "charge_port": "US",
                    "vin_facts": VinFacts(
                        manufacturer="Tesla, Inc.",
                        model_year=2019,
                        plant="Fremont, California, USA",
                        check_digit_valid=True,
                    ),
                    "specs": specs.model_copy(
                        update={"original_price": Money(currency="USD", amount=47990), "country_of_origin": "US"}
                    ),
                }
            ),
            "sessions": tuple(pacific),
            "charging": summarise(pacific),
            "warranties": tuple(
                w.model_copy(
                    update={"distance_unit": DistanceUnit.MI, "expires_at_distance": 50000, "remaining_distance": 40000}
                )
                if w.distance_unit
                else w
                for w in base.warranties or ()
            ),
            "sources": _sources("na"),
        }
    )
    return snapshot.model_copy(update=changes)


def all_none(**changes: Any) -> VehicleSnapshot:
    """Only what every report has: VIN, report id, generation time (charging history unavailable too)."""
    snapshot = VehicleSnapshot(
        report_id="rpt-none-0001", generated_at=GENERATED, identity=Identity(vin=EU_VIN), charging=None
    )
    return snapshot.model_copy(update=changes)


def many_sessions(count: int = 500, **changes: Any) -> VehicleSnapshot:
    """The EU report with `count` EUR sessions over about three years."""
    start = datetime(2023, 1, 2, 7, 0, tzinfo=EET)
    items = tuple(
        session(
            i,
            site=EU_SITES[i % len(EU_SITES)][0],
            kwh=20 + i % 37,
            extras=("PARKING",) if i % 9 == 0 else (),
            start=start + timedelta(hours=52 * i),
        )
        for i in range(count)
    )
    return full_eu(report_id="rpt-many-0001", sessions=items, charging=summarise(items), **changes)


# --- dropping and failing parts ---------------------------------------------------------------

_PART_SECTION = {
    "vehicle_data": "battery",
    "charging_history": "charging",
    "recent_alerts": "alerts",
    "service_data": "service",
    "warranty": "service",
    "release_notes": "software",
    "options": "identity",
    "specs": "identity",
    "fleet_status": "security",
}
_MISSING_REASON = {
    "vehicle_data": ("reason.vehicle_asleep", {"state": "asleep"}),
    "charging_history": ("reason.scope_missing", {"scope": "vehicle_charging_cmds"}),
    "specs": ("reason.partner_token_required", {}),
}
_FAILED_STATUS = {"vehicle_data": 540, "charging_history": 500, "specs": 403}


_LIVE = ("battery", "tyres", "security", "climate", "odometer_mi", "data_as_of", "software", "software_version")


def _dropped(snapshot: VehicleSnapshot, part: str) -> dict[str, Any]:
    s = snapshot
    changes: dict[str, Callable[[], dict[str, Any]]] = {
        "vehicle_data": lambda: dict.fromkeys(_LIVE, None),
        "charging_history": lambda: {"charging": None, "sessions": ()},
        "recent_alerts": lambda: {"alerts": None},
        "service_data": lambda: {"service": None},
        "warranty": lambda: {"warranties": None},
        "release_notes": lambda: {
            "software": s.software.model_copy(update={"release_notes": None}) if s.software else None
        },
        "options": lambda: {"identity": s.identity.model_copy(update={"options": None})},
        "specs": lambda: {"identity": s.identity.model_copy(update={"specs": None})},
        "fleet_status": lambda: {
            "security": s.security.model_copy(
                update={"keys_paired": None, "command_protocol_required": None, "total_keys": None}
            )
            if s.security
            else None
        },
    }
    return changes[part]()


def without(snapshot: VehicleSnapshot, part: str, *, failed: bool = False) -> VehicleSnapshot:
    """The snapshot as if one endpoint had not been fetched (or had failed), with its note and source."""
    reason, detail = _MISSING_REASON.get(part, ("reason.not_supported", {}))
    status = _FAILED_STATUS.get(part, 500) if failed else (403 if part == "specs" else None)
    if failed:
        reason, detail = "reason.tesla_status", {"status": str(status)}
    note = SectionNote(
        section=_PART_SECTION[part],
        state=SectionState.FAILED if failed else SectionState.MISSING,
        reason=reason,
        detail=detail,
    )
    sources = tuple(
        src.model_copy(update={"status": status}) if src.endpoint == part else src
        for src in snapshot.sources
        if src.endpoint != part or status is not None
    )
    return snapshot.model_copy(
        update={**_dropped(snapshot, part), "notes": (*snapshot.notes, note), "sources": sources}
    )


def without_all(snapshot: VehicleSnapshot, *, failed: bool = False) -> VehicleSnapshot:
    """The snapshot with every endpoint missing (or failed) at once."""
    for part in _PART_SECTION:
        snapshot = without(snapshot, part, failed=failed)
    return snapshot


# --- captured Tesla payloads ------------------------------------------------------------------


def fixture_files() -> list[Path]:
    """Every captured vehicle_data payload under shared/fixtures/tesla."""
    return sorted(FIXTURES.glob("*vehicle_data*.json"))


def fixture_snapshot(path: Path, language: str = "en") -> VehicleSnapshot:
    """A snapshot built by the real normaliser from one captured payload (no other endpoints)."""
    from carpulse.services.normalise import build_snapshot
    from carpulse.tesla.schemas import VehicleData

    raw = json.loads(path.read_text(encoding="utf-8"))
    raw = raw.get("response", raw)
    snapshot = build_snapshot(
        FetchedVehicle(data=VehicleData.model_validate(raw), sessions=[]),
        report_id=f"rpt-{path.stem[:40]}",
        generated_at=GENERATED,
        region="eu",
        vin=str(raw.get("vin") or "UNKNOWN"),
        language=language,
    )
    return snapshot


# --- simulator scenarios, each report rendered once per test session ----------------------------
# test_report_inputs.py and test_report_languages.py both read the default scenario's PDFs in en, de
# and fi: the same snapshots give the same bytes (rendering is deterministic), so they are drawn once.


@cache
def scenario_reports(scenario: Path, language: str = "en") -> dict[str, VehicleSnapshot]:
    """One snapshot per vehicle of a simulator scenario, as infra.bench builds them; shared, never changed."""
    from infra.bench import scenario_snapshots

    return scenario_snapshots(scenario, language)


@cache
def scenario_pdf(scenario: Path, language: str, name: str) -> bytes:
    """The PDF of the scenario's vehicle `name` (a key of scenario_reports) in the language."""
    return render_vehicle_pdf(scenario_reports(scenario, language)[name])


@cache
def scenario_pdf_text(scenario: Path, language: str, name: str) -> str:
    """The text of scenario_pdf, page by page."""
    return "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(scenario_pdf(scenario, language, name))).pages
    )


Builder = Callable[..., VehicleSnapshot]
SAMPLES: dict[str, Builder] = {"full_eu": full_eu, "us_owner": us_owner, "all_none": all_none}
