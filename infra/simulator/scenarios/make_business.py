"""Generate the `business` scenario: one EU business account, 50 vehicles, 500 Supercharger sessions.

Deterministic (fixed seed, no clock, no hash-order dependence): a run always writes the same bytes, and
tests/simulator/test_scenarios.py checks that the committed directory equals a fresh run. Edit this file,
then regenerate from the repository root:

    python infra/simulator/scenarios/make_business.py            # rewrites infra/simulator/scenarios/business
    python infra/simulator/scenarios/make_business.py --out DIR  # somewhere else

Everything is synthetic: VINs (ISO 3779 check digit valid, serials 9010xx), ids, names and prices.
Vehicle payloads follow the shape of the Model 3 capture of the default scenario (distances in miles,
temperatures in °C and tyre pressures in bar whatever gui_settings say, as Tesla sends them).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20260314
OUT = Path(__file__).resolve().parent / "business"
VEHICLE_COUNT = 50
SESSION_COUNT = 500
STATES = ["online"] * 40 + ["asleep"] * 8 + ["offline"] * 2
MODELS = ["modely"] * 22 + ["model3"] * 16 + ["models"] * 6 + ["modelx"] * 6
FIRST_DAY = date(2025, 3, 16)  # sessions fall on FIRST_DAY .. LAST_DAY (12 months)
LAST_DAY = date(2026, 3, 13)
NOW_MS = 1_773_480_000_000  # 2026-03-14T09:20:00Z, the "now" of every vehicle_data timestamp
NAMESPACE = uuid.UUID("0b7c3f2e-9a51-4d8e-b6f0-3e2d1c4b5a69")
USER_ID = 1208000000019001

_VIN_VALUES = {
    **{str(i): i for i in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class City:
    """A home base of fleet vehicles: coordinates and its nearby Supercharger sites."""

    name: str
    lat: float
    lon: float
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Country:
    """Pricing, VAT, time zone and Supercharger sites of one country."""

    code: str
    name: str
    currency: str
    vat: float
    utc_offset_hours: int  # standard time; EU summer time adds one hour
    kwh_rate: tuple[float, float]
    minute_rate: float  # idle (PARKING) and CONGESTION fee per minute
    cities: tuple[City, ...]
    highway_sites: tuple[str, ...]
    neighbours: tuple[str, ...]


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "SE",
            "Sweden",
            "SEK",
            0.25,
            1,
            (4.29, 6.89),
            5.0,
            (
                City("Stockholm", 59.3293, 18.0686, ("Stockholm - Barkarby", "Stockholm - Kungens Kurva", "Arlanda")),
                City("Göteborg", 57.7089, 11.9746, ("Göteborg - Mölndal", "Göteborg - Bäckebol")),
                City("Malmö", 55.605, 13.0038, ("Malmö - Hyllie", "Lund")),
            ),
            ("Jönköping", "Norrköping", "Linköping", "Örebro"),
            ("NO", "DK", "FI"),
        ),
        Country(
            "NO",
            "Norway",
            "NOK",
            0.25,
            1,
            (3.59, 6.39),
            5.0,
            (
                City("Oslo", 59.9139, 10.7522, ("Oslo - Alnabru", "Oslo - Fornebu", "Gardermoen")),
                City("Bergen", 60.3913, 5.3221, ("Bergen - Åsane", "Bergen - Lagunen")),
                City("Trondheim", 63.4305, 10.3951, ("Trondheim - Leangen",)),
            ),
            ("Lillehammer", "Drammen", "Kristiansand"),
            ("SE",),
        ),
        Country(
            "DK",
            "Denmark",
            "DKK",
            0.25,
            1,
            (3.19, 4.89),
            4.0,
            (
                City("København", 55.6761, 12.5683, ("København - Vallensbæk", "Greve")),
                City("Aarhus", 56.1629, 10.2039, ("Aarhus - Skejby",)),
            ),
            ("Odense", "Kolding", "Roskilde"),
            ("SE", "DE"),
        ),
        Country(
            "FI",
            "Finland",
            "EUR",
            0.255,
            2,
            (0.38, 0.56),
            0.5,
            (
                City("Helsinki", 60.1699, 24.9384, ("Helsinki - Ruoholahti", "Vantaa - Jumbo", "Espoo - Kera")),
                City("Tampere", 61.4978, 23.761, ("Tampere - Lempäälä",)),
            ),
            ("Lahti", "Turku - Skanssi", "Jyväskylä - Seppälä"),
            ("SE",),
        ),
        Country(
            "DE",
            "Germany",
            "EUR",
            0.19,
            1,
            (0.49, 0.69),
            0.5,
            (
                City("Hamburg", 53.5511, 9.9937, ("Hamburg - Billstedt", "Hamburg - Othmarschen")),
                City("Berlin", 52.52, 13.405, ("Berlin - Schönefeld",)),
            ),
            ("Lübeck", "Flensburg", "Neumünster"),
            ("DK",),
        ),
    )
}
# (country, city, number of vehicles based there): 50 in all.
HOMES: tuple[tuple[str, str, int], ...] = (
    ("SE", "Stockholm", 10),
    ("SE", "Göteborg", 5),
    ("SE", "Malmö", 3),
    ("NO", "Oslo", 7),
    ("NO", "Bergen", 3),
    ("NO", "Trondheim", 2),
    ("DK", "København", 6),
    ("DK", "Aarhus", 2),
    ("FI", "Helsinki", 6),
    ("FI", "Tampere", 2),
    ("DE", "Hamburg", 2),
    ("DE", "Berlin", 2),
)


@dataclass(frozen=True)
class ModelSpec:
    """What differs between models in vehicle_data, specs and sessions."""

    car_type: str
    code: str
    name: str
    trim: str
    vin_prefixes: tuple[tuple[str, str], ...]  # (positions 1-8, plant code at position 11)
    years: tuple[tuple[str, int], ...]  # (VIN year code at position 10, model year)
    trim_badging: str
    efficiency_package: str
    wheel_type: str
    driver_assist: str
    air_suspension: bool
    rated_range_mi: float
    capacity_kwh: float
    colors: tuple[str, ...]
    price_eur: int


MODEL_SPECS: dict[str, ModelSpec] = {
    m.car_type: m
    for m in (
        ModelSpec(
            "model3",
            "m3",
            "Model 3",
            "Model 3 Long Range Dual Motor All-Wheel Drive",
            (("LRW3E7EK", "C"),),
            (("R", 2024), ("S", 2025)),
            "74d",
            "M3POPPYSEED2024",
            "Photon18",
            "TeslaAP4",
            False,
            341.0,
            78.1,
            ("DeepBlue", "PearlWhite", "StealthGrey", "UltraRed", "SolidBlack"),
            49990,
        ),
        ModelSpec(
            "modely",
            "my",
            "Model Y",
            "Model Y Long Range Dual Motor All-Wheel Drive",
            (("XP7YGCEL", "B"), ("LRWYGCEK", "C")),
            (("P", 2023), ("R", 2024), ("S", 2025)),
            "74d",
            "MYLR2023",
            "Apollo19",
            "TeslaAP4",
            False,
            331.0,
            78.4,
            ("PearlWhite", "SolidBlack", "MidnightSilver", "DeepBlue", "QuicksilverMetallic"),
            52990,
        ),
        ModelSpec(
            "models",
            "ms",
            "Model S",
            "Model S Dual Motor All-Wheel Drive",
            (("5YJSA1E5", "F"),),
            (("P", 2023), ("R", 2024)),
            "100d",
            "MS2021",
            "Tempest19",
            "TeslaAP3",
            True,
            405.0,
            99.8,
            ("SolidBlack", "PearlWhite", "MidnightSilver"),
            99990,
        ),
        ModelSpec(
            "modelx",
            "mx",
            "Model X",
            "Model X Dual Motor All-Wheel Drive",
            (("7SAXCBE6", "F"),),
            (("P", 2023), ("R", 2024)),
            "100d",
            "MX2021",
            "Cyberstream20",
            "TeslaAP3",
            True,
            335.0,
            99.8,
            ("SolidBlack", "PearlWhite", "DeepBlue"),
            109990,
        ),
    )
}
# (version, api_version); later entries are newer.
SOFTWARE: tuple[tuple[str, int], ...] = (
    ("2025.32.8", 86),
    ("2025.38.9", 88),
    ("2025.44.25.4", 88),
    ("2026.2.3", 90),
    ("2026.2.6", 90),
    ("2026.8.3", 91),
)


@dataclass(frozen=True)
class Vehicle:
    """One generated fleet vehicle (everything else is derived from these values)."""

    index: int
    vin: str
    model: ModelSpec
    model_year: int
    country: Country
    city: City
    display_name: str
    state: str
    software: str
    api_version: int
    update: dict[str, Any]
    battery_level: int
    odometer: float
    charging_state: str
    last_seen_ms: int
    lat: float
    lon: float
    heading: int
    color: str
    delivered: date
    commit: str


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 / FMVSS 115 check digit (position 9) of a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def make_vin(prefix: str, year: str, plant: str, serial: int) -> str:
    """A synthetic VIN with a valid check digit; serial gives positions 12-17."""
    draft = f"{prefix}0{year}{plant}{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def eu_utc_offset(country: Country, instant: datetime) -> timedelta:
    """The country's UTC offset at an instant (EU summer time: last Sunday of March to last Sunday of October)."""

    def last_sunday(year: int, month: int) -> datetime:
        day = datetime(year, month, 31, 1, tzinfo=UTC)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    summer = last_sunday(instant.year, 3) <= instant < last_sunday(instant.year, 10)
    return timedelta(hours=country.utc_offset_hours + (1 if summer else 0))


def local_iso(country: Country, instant: datetime) -> str:
    """ISO 8601 local time with the country's offset, as Tesla writes chargeStartDateTime."""
    offset = eu_utc_offset(country, instant)
    return (instant + offset).replace(tzinfo=None).isoformat(timespec="seconds") + _offset_text(offset)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def build_vehicles(rng: random.Random) -> list[Vehicle]:
    """The 50 vehicles: models, states and homes are shuffled, the rest drawn per vehicle."""
    models = list(MODELS)
    states = list(STATES)
    rng.shuffle(models)
    rng.shuffle(states)
    homes = [
        (COUNTRIES[code], city)
        for code, city_name, n in HOMES
        for city in COUNTRIES[code].cities
        if city.name == city_name
        for _ in range(n)
    ]
    per_city: dict[str, int] = {}
    vehicles: list[Vehicle] = []
    for index, (car_type, state, (country, city)) in enumerate(zip(models, states, homes, strict=True)):
        model = MODEL_SPECS[car_type]
        prefix, plant = rng.choice(model.vin_prefixes)
        year_code, model_year = rng.choice(model.years)
        vin = make_vin(prefix, year_code, plant, 901001 + index)
        per_city[city.name] = per_city.get(city.name, 0) + 1
        version_index = rng.choices(range(len(SOFTWARE)), weights=(1, 2, 4, 6, 8, 5))[0]
        software, api_version = SOFTWARE[version_index]
        update = {"download_perc": 0, "expected_duration_sec": 2700, "install_perc": 1, "status": "", "version": " "}
        if version_index < len(SOFTWARE) - 1:
            roll = rng.random()
            if roll < 0.3:
                update.update(download_perc=100, status="available", version=SOFTWARE[-1][0])
            elif roll < 0.4:
                update.update(download_perc=rng.randint(5, 95), status="downloading", version=SOFTWARE[-1][0])
        age_years = 2026.2 - model_year
        odometer = round(rng.uniform(9000, 26000) * max(age_years, 0.3) + rng.random(), 6)
        charging_state = rng.choices(["Disconnected", "Charging", "Complete", "Stopped"], weights=(14, 2, 3, 1))[0]
        if state != "online" and charging_state == "Charging":
            charging_state = "Complete"  # a car that is charging is awake
        if state == "online":
            last_seen = NOW_MS - rng.randint(5, 900) * 1000
        elif state == "asleep":
            last_seen = NOW_MS - rng.randint(2, 14) * 3_600_000
        else:
            last_seen = NOW_MS - rng.randint(20, 60) * 86_400_000
        delivered = date(model_year - 1, 9, 1) + timedelta(days=rng.randint(0, 420))
        vehicles.append(
            Vehicle(
                index=index,
                vin=vin,
                model=model,
                model_year=model_year,
                country=country,
                city=city,
                display_name=f"{city.name} {per_city[city.name]:02d}",
                state=state,
                software=software,
                api_version=api_version,
                update=update,
                battery_level=rng.randint(18, 94),
                odometer=odometer,
                charging_state=charging_state,
                last_seen_ms=last_seen,
                lat=round(city.lat + rng.uniform(-0.04, 0.04), 4),
                lon=round(city.lon + rng.uniform(-0.06, 0.06), 4),
                heading=rng.randint(0, 359),
                color=rng.choice(model.colors),
                delivered=delivered,
                commit=f"{rng.getrandbits(48):012x}",
            )
        )
    return vehicles


def soft_warning_corner(v: Vehicle) -> int | None:
    """The tyre (0-3: fl, fr, rl, rr) with a soft TPMS warning, for the few vehicles that have one."""
    return v.index % 4 if v.index % 17 == 5 else None


def vehicle_data(v: Vehicle, rng: random.Random) -> dict[str, Any]:
    """vehicle_data for one vehicle, shaped like the Model 3 capture of the default scenario."""
    m, ts = v.model, v.last_seen_ms
    ts_s = ts // 1000
    level = v.battery_level
    rated = round(m.rated_range_mi * level / 100, 2)
    plugged = v.charging_state != "Disconnected"
    charging = v.charging_state == "Charging"
    limit = rng.choice((80, 80, 85, 90))
    offset_s = int(eu_utc_offset(v.country, datetime.fromtimestamp(ts_s, UTC)).total_seconds())
    pressures = [rng.choice((2.85, 2.875, 2.9, 2.925, 2.95)) for _ in range(4)]
    soft = [False] * 4
    corner = soft_warning_corner(v)
    if corner is not None:
        pressures[corner], soft[corner] = 2.35, True
    corners = ("fl", "fr", "rl", "rr")
    tpms: dict[str, Any] = {}
    tpms.update({f"tpms_hard_warning_{c}": False for c in corners})
    tpms.update({f"tpms_last_seen_pressure_time_{c}": ts_s - 300 + i for i, c in enumerate(corners)})
    tpms.update({f"tpms_pressure_{c}": p for c, p in zip(corners, pressures, strict=True)})
    tpms.update({"tpms_rcp_front_value": 2.9, "tpms_rcp_rear_value": 2.9})
    tpms.update({f"tpms_soft_warning_{c}": s for c, s in zip(corners, soft, strict=True)})
    outside = round(rng.uniform(-6.0, 7.0) * 2) / 2
    setting = rng.choice((20.0, 20.5, 21.0, 21.5, 22.0))
    return {
        "id": 3745000000100001 + v.index,
        "user_id": USER_ID,
        "vehicle_id": 1492000000100001 + v.index,
        "vin": v.vin,
        "color": None,
        "access_type": "OWNER",
        "granular_access": {"hide_private": False},
        "tokens": [f"{2 * v.index + 1:016x}", f"{2 * v.index + 2:016x}"],
        "state": v.state,
        "in_service": False,
        "id_s": str(3745000000100001 + v.index),
        "calendar_enabled": True,
        "api_version": v.api_version,
        "backseat_token": None,
        "backseat_token_updated_at": None,
        "ble_autopair_enrolled": False,
        "charge_state": {
            "battery_heater_on": False,
            "battery_level": level,
            "battery_range": rated,
            "charge_amps": 16,
            "charge_current_request": 16,
            "charge_current_request_max": 16,
            "charge_enable_request": True,
            "charge_energy_added": round(rng.uniform(2, 30), 2) if plugged else 0.0,
            "charge_limit_soc": limit,
            "charge_limit_soc_max": 100,
            "charge_limit_soc_min": 50,
            "charge_limit_soc_std": 80,
            "charge_miles_added_ideal": 0.0,
            "charge_miles_added_rated": 0.0,
            "charge_port_cold_weather_mode": False,
            "charge_port_color": "Green" if charging else "<invalid>",
            "charge_port_door_open": plugged,
            "charge_port_latch": "Engaged",
            "charge_rate": 29.7 if charging else 0.0,
            "charger_actual_current": 16 if charging else 0,
            "charger_phases": 3 if plugged else None,
            "charger_pilot_current": 16,
            "charger_power": 11 if charging else 0,
            "charger_voltage": 231 if charging else 2,
            "charging_state": v.charging_state,
            "conn_charge_cable": "IEC" if plugged else "<invalid>",
            "est_battery_range": round(rated * 0.93, 2),
            "fast_charger_brand": "<invalid>",
            "fast_charger_present": False,
            "fast_charger_type": "ACSingleWireCAN" if plugged else "<invalid>",
            "ideal_battery_range": rated,
            "max_range_charge_counter": 0,
            "minutes_to_full_charge": max(0, (limit - level) * 6) if charging else 0,
            "not_enough_power_to_heat": None,
            "off_peak_charging_enabled": False,
            "off_peak_charging_times": "all_week",
            "off_peak_hours_end_time": 360,
            "preconditioning_enabled": False,
            "preconditioning_times": "all_week",
            "scheduled_charging_mode": "Off",
            "scheduled_charging_pending": False,
            "scheduled_charging_start_time": None,
            "scheduled_charging_start_time_app": 0,
            "scheduled_departure_time": 1773640800,
            "scheduled_departure_time_minutes": 480,
            "supercharger_session_trip_planner": False,
            "time_to_full_charge": round(max(0, (limit - level) * 6) / 60, 2) if charging else 0.0,
            "timestamp": ts,
            "trip_charging": False,
            "usable_battery_level": max(0, level - 1),
            "user_charge_enable_request": None,
        },
        "climate_state": {
            "battery_heater": False,
            "battery_heater_no_power": None,
            "cabin_overheat_protection": "On",
            "climate_keeper_mode": "off",
            "defrost_mode": 0,
            "driver_temp_setting": setting,
            "fan_status": 0,
            "inside_temp": round(outside + rng.uniform(3, 9), 1),
            "is_auto_conditioning_on": False,
            "is_climate_on": False,
            "is_front_defroster_on": False,
            "is_preconditioning": False,
            "is_rear_defroster_on": False,
            "max_avail_temp": 28.0,
            "min_avail_temp": 15.0,
            "outside_temp": outside,
            "passenger_temp_setting": setting,
            "remote_heater_control_enabled": False,
            "seat_heater_left": 0,
            "seat_heater_right": 0,
            "side_mirror_heaters": False,
            "steering_wheel_heater": False,
            "timestamp": ts,
            "wiper_blade_heater": False,
        },
        "drive_state": {
            "gps_as_of": ts_s - 2,
            "heading": v.heading,
            "latitude": v.lat,
            "longitude": v.lon,
            "native_latitude": v.lat,
            "native_location_supported": 1,
            "native_longitude": v.lon,
            "native_type": "wgs",
            "power": -11 if charging else 0,
            "shift_state": None,
            "speed": None,
            "timestamp": ts,
        },
        "gui_settings": {
            "gui_24_hour_time": True,
            "gui_charge_rate_units": "kW",
            "gui_distance_units": "km/hr",
            "gui_range_display": "Rated",
            "gui_temperature_units": "C",
            "gui_tirepressure_units": "Bar",
            "show_range_units": False,
            "timestamp": ts,
        },
        "vehicle_config": {
            "can_accept_navigation_requests": True,
            "can_actuate_trunks": True,
            "car_special_type": "base",
            "car_type": m.car_type,
            "charge_port_type": "CCS",
            "driver_assist": m.driver_assist,
            "ece_restrictions": True,
            "efficiency_package": m.efficiency_package,
            "eu_vehicle": True,
            "exterior_color": v.color,
            "has_air_suspension": m.air_suspension,
            "has_ludicrous_mode": False,
            "motorized_charge_port": True,
            "plg": True,
            "rhd": False,
            "roof_color": "RoofColorGlass",
            "sun_roof_installed": None,
            "third_row_seats": "None",
            "timestamp": ts,
            "trim_badging": m.trim_badging,
            "use_range_badging": True,
            "utc_offset": offset_s,
            "wheel_type": m.wheel_type,
        },
        "vehicle_state": {
            "api_version": v.api_version,
            "car_version": f"{v.software} {v.commit}",
            "center_display_state": 0,
            "dashcam_state": "Recording" if v.state == "online" else "Unavailable",
            "df": 0,
            "dr": 0,
            "fd_window": 0,
            "fp_window": 0,
            "ft": 0,
            "is_user_present": False,
            "locked": True,
            "odometer": v.odometer,
            "pf": 0,
            "pr": 0,
            "rd_window": 0,
            "rp_window": 0,
            "rt": 0,
            "sentry_mode": v.state == "online" and v.index % 5 == 0,
            "sentry_mode_available": True,
            "software_update": dict(v.update),
            "timestamp": ts,
            **tpms,
            "valet_mode": False,
            "vehicle_name": v.display_name,
        },
    }


def warranty(v: Vehicle) -> dict[str, Any]:
    """Basic (4 years / 80,000 km) and battery warranties counted from delivery."""
    battery_km = 240000 if v.model.car_type in ("models", "modelx") else 192000
    items = []
    for kind, label, years, km in (
        ("NEW_MFG_WARRANTY", "Basic Vehicle Limited Warranty", 4, 80000),
        ("BATTERY_WARRANTY", "Battery and Drive Unit Limited Warranty", 8, battery_km),
    ):
        leap_day = (v.delivered.month, v.delivered.day) == (2, 29)
        end = v.delivered.replace(year=v.delivered.year + years, day=28 if leap_day else v.delivered.day)
        items.append(
            {
                "warrantyType": kind,
                "warrantyDisplayName": label,
                "expirationDate": f"{end.isoformat()}T00:00:00Z",
                "expirationOdometer": km,
                "odometerUnit": "KM",
                "warrantyExpiredOn": None,
                "coverageAgeInYears": years,
            }
        )
    return {"activeWarranty": items, "upcomingWarranty": [], "expiredWarranty": []}


def fleet_status(v: Vehicle) -> dict[str, Any]:
    """Key pairing and signed-command requirement (every vehicle of this fleet needs signed commands)."""
    paired = v.index % 7 != 3
    return {
        "key_paired_vins": [v.vin] if paired else [],
        "unpaired_vins": [] if paired else [v.vin],
        "vehicle_info": {
            v.vin: {
                "firmware_version": v.software,
                "vehicle_command_protocol_required": True,
                "discounted_device_data": False,
                "fleet_telemetry_version": "1.2.0" if v.api_version >= 90 else "1.1.2",
                "total_number_of_keys": 2 + v.index % 5,
            }
        },
    }


def specs(v: Vehicle) -> dict[str, Any]:
    """Partner-token specs for the few vehicles that have them."""
    return {
        "vin": v.vin,
        "batterySoH": f"{97 - (2026 - v.model_year)}%",
        "batteryCapacityKwh": f"{v.model.capacity_kwh}kWh",
        "batterySoHTimestamp": "2026-03-01T00:00:00Z",
        "make": "Tesla",
        "model": v.model.code,
        "modelYear": v.model_year,
        "trim": v.model.trim,
        "typeOfDrive": "AWD",
        "totalPrice": v.model.price_eur,
        "fuelType": "Electric",
        "countryOfOrigin": {"C": "CN", "B": "DE", "F": "US"}[v.vin[10]],
    }


def options(v: Vehicle) -> dict[str, Any]:
    """A short option code list."""
    model_code = {"model3": "$MT352", "modely": "$MTY52", "models": "$MTS14", "modelx": "$MTX14"}[v.model.car_type]
    return {
        "codes": [
            {"code": model_code, "displayName": v.model.trim, "isActive": True},
            {"code": "$APBS", "displayName": "Basic Autopilot", "isActive": True},
            {"code": "$SC04", "displayName": "Supercharger Network Access + Pay-as-you-go", "isActive": True},
        ]
    }


def _fee(
    fee_id: int, fee_type: str, country: Country, pricing: str, rate: float, usage: float, uom: str
) -> dict[str, Any]:
    total = round(rate * usage, 2)
    return {
        "sessionFeeId": fee_id,
        "feeType": fee_type,
        "currencyCode": country.currency,
        "pricingType": pricing,
        "rateBase": rate,
        "rateTier1": 0,
        "rateTier2": 0,
        "rateTier3": None,
        "rateTier4": None,
        "usageBase": usage,
        "usageTier1": 0,
        "usageTier2": 0,
        "usageTier3": None,
        "usageTier4": None,
        "totalBase": total,
        "totalTier1": 0,
        "totalTier2": 0,
        "totalTier3": 0,
        "totalTier4": 0,
        "totalDue": total,
        "netDue": round(total / (1 + country.vat), 2),
        "uom": uom,
        "isPaid": True,
        "status": "PAID",
    }


def build_sessions(vehicles: list[Vehicle], rng: random.Random) -> list[dict[str, Any]]:
    """500 sessions: 2 per vehicle plus 400 spread by per-vehicle weights; at most one per vehicle per day."""
    counts = [2] * len(vehicles)
    weights = [rng.uniform(0.3, 3.0) * (0.2 if v.state == "offline" else 1.0) for v in vehicles]
    for i in rng.choices(range(len(vehicles)), weights=weights, k=SESSION_COUNT - sum(counts)):
        counts[i] += 1
    drafts: list[tuple[datetime, Vehicle, Country, str, float, int]] = []
    for v, count in zip(vehicles, counts, strict=True):
        first_day = max(FIRST_DAY, v.delivered + timedelta(days=1))
        last_day = LAST_DAY
        if v.state == "offline":
            last_day = datetime.fromtimestamp(v.last_seen_ms / 1000, UTC).date() - timedelta(days=1)
        days = (last_day - first_day).days + 1
        for day_index in sorted(rng.sample(range(days), count)):
            roll = rng.random()
            if roll < 0.72:
                country, site = v.country, rng.choice(v.city.sites)
            elif roll < 0.93:
                country, site = v.country, rng.choice(v.country.highway_sites)
            else:
                country = COUNTRIES[rng.choice(v.country.neighbours)]
                site = rng.choice(country.highway_sites + tuple(s for c in country.cities for s in c.sites))
            start = datetime.combine(first_day + timedelta(days=day_index), datetime.min.time(), UTC) + timedelta(
                seconds=rng.randint(5 * 3600, 20 * 3600)
            )
            kwh = round(rng.uniform(12.0, v.model.capacity_kwh * 0.72), 1)
            minutes = round(kwh / rng.uniform(55, 140) * 60) + 2
            drafts.append((start, v, country, site, kwh, minutes))
    drafts.sort(key=lambda d: (d[0], d[1].vin))

    sessions: list[dict[str, Any]] = []
    fee_id = 264600001
    for n, (start, v, country, site, kwh, minutes) in enumerate(drafts):
        session_id = 412600001 + n
        stop = start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        unlatch = stop + timedelta(seconds=rng.randint(20, 400))
        free = rng.random() < 0.03
        rate = 0 if free else round(rng.uniform(*country.kwh_rate), 2)
        charging = _fee(fee_id, "CHARGING", country, "NO_CHARGE" if free else "PAYMENT", rate, kwh, "kwh")
        if free:
            charging.update(totalBase=0.0, totalDue=0.0, netDue=0.0)
        fees = [charging]
        for fee_type, chance, low, high in (("CONGESTION", 0.05, 3, 12), ("PARKING", 0.07, 2, 15)):
            if rng.random() < chance:
                fee_id += 7
                fees.append(
                    _fee(fee_id, fee_type, country, "PAYMENT", country.minute_rate, rng.randint(low, high), "min")
                )
        fee_id += 7
        paid = any(fee["totalDue"] > 0 for fee in fees)
        invoices = []
        if paid:
            content_id = str(uuid.uuid5(NAMESPACE, f"business-{session_id}"))
            file_name = f"{session_id}_{country.code}-{country.code}.pdf"
            invoices.append({"fileName": file_name, "contentId": content_id, "invoiceType": "IMMEDIATE"})
        sessions.append(
            {
                "sessionId": session_id,
                "vin": v.vin,
                "siteLocationName": f"{site}, {country.name}",
                "chargeStartDateTime": local_iso(country, start),
                "chargeStopDateTime": local_iso(country, stop),
                "unlatchDateTime": local_iso(country, unlatch),
                "countryCode": country.code,
                "fees": fees,
                "billingType": "IMMEDIATE",
                "invoices": invoices,
                "vehicleMakeType": "TSLA",
            }
        )
    return sessions


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(out: Path = OUT) -> dict[str, int]:
    """Write the scenario directory (replacing a previous run) and return vehicle and session counts."""
    if out.exists():
        if any(out.iterdir()) and not (out / "scenario.json").is_file():
            raise SystemExit(f"{out} exists and is not a scenario directory; refusing to replace it")
        shutil.rmtree(out)
    rng = random.Random(SEED)
    vehicles = build_vehicles(rng)
    assert len({v.vin for v in vehicles}) == VEHICLE_COUNT, "VINs must be distinct"
    scenario = {
        "account": {
            "email": "fleet-admin@example.com",
            "full_name": "Exempel Flotta AB",
            "region": "eu",
            "profile_image_url": None,
            "vault_uuid": "a4c1e7d2-6b3f-4f9a-8e5d-0c2b7a1f9e34",
        },
        "vehicles": [
            {
                "vin": v.vin,
                "display_name": v.display_name,
                "state": v.state,
                "id": 3745000000100001 + v.index,
                "vehicle_id": 1492000000100001 + v.index,
                "option_codes": None,
                "in_service": v.index == 7,
                "api_version": v.api_version,
            }
            for v in vehicles
        ],
    }
    _write(out / "scenario.json", _json(scenario))
    for v in vehicles:
        folder = out / "vehicles" / v.vin
        data = vehicle_data(v, rng)
        data["in_service"] = v.index == 7
        _write(folder / "vehicle_data.json", _json(data))
        _write(folder / "warranty.json", _json(warranty(v)))
        _write(folder / "fleet_status.json", _json(fleet_status(v)))
        if v.index < 4:
            _write(folder / "specs.json", _json(specs(v)))
            _write(folder / "options.json", _json(options(v)))
    in_service = vehicles[7]
    _write(
        out / "vehicles" / in_service.vin / "service_data.json",
        _json(
            {
                "service_status": "car_in_repair",
                "service_etc": local_iso(in_service.country, datetime(2026, 3, 17, 15, 0, tzinfo=UTC)),
                "service_visit_number": "SV26030917",
                "status_id": 8,
            }
        ),
    )
    for v in vehicles:
        corner = soft_warning_corner(v)
        if corner is not None:
            where = ("front left", "front right", "rear left", "rear right")[corner]
            alert = {
                "name": f"TPMS_a146_softWarning{where.title().replace(' ', '')}",
                "time": datetime.fromtimestamp(v.last_seen_ms / 1000 - 5400, UTC).isoformat(timespec="milliseconds"),
                "audience": ["customer"],
                "user_text": f"Tire pressure low - {where}",
            }
            _write(out / "vehicles" / v.vin / "recent_alerts.json", _json({"recent_alerts": [alert]}))
    sessions = build_sessions(vehicles, rng)
    body = ",\n".join("  " + json.dumps(s, ensure_ascii=False) for s in sessions)
    _write(out / "charging_history.json", f"[\n{body}\n]\n")
    return {"vehicles": len(vehicles), "sessions": len(sessions)}


def main() -> None:
    """CLI: regenerate the scenario directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"target directory (default {OUT})")
    counts = generate(parser.parse_args().out)
    print(f"wrote {counts['vehicles']} vehicles and {counts['sessions']} sessions")


if __name__ == "__main__":
    main()
