"""Typed, tolerant models of Fleet API responses.

Tesla's payloads mix types (`sun_roof_installed: 1`), use sentinels (`"<invalid>"`), omit keys and
add new ones at will. Every field here is optional and coerced leniently: a value that cannot be
read becomes None rather than failing the whole response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_SENTINELS = {"<invalid>", "", " ", "null", "None"}


def _lenient_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return None if value in _SENTINELS or not stripped else stripped
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _lenient_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _lenient_int(value: Any) -> int | None:
    number = _lenient_float(value)
    return int(number) if number is not None else None


def _lenient_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
    return None


def _lenient_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _lenient_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


Str = Annotated[str | None, BeforeValidator(_lenient_str)]
Float = Annotated[float | None, BeforeValidator(_lenient_float)]
Int = Annotated[int | None, BeforeValidator(_lenient_int)]
Bool = Annotated[bool | None, BeforeValidator(_lenient_bool)]
DateTime = Annotated[datetime | None, BeforeValidator(_lenient_datetime)]


class TeslaModel(BaseModel):
    """Base for Tesla payloads: unknown fields kept, nothing required."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- users -------------------------------------------------------------------------------------


class UserRegion(TeslaModel):
    region: Str = None
    fleet_api_base_url: Str = None


# --- vehicles ----------------------------------------------------------------------------------


class VehicleSummary(TeslaModel):
    """An entry of /api/1/vehicles, and the body of /api/1/vehicles/{vin}."""

    id: Int = None
    vehicle_id: Int = None
    vin: Str = None
    display_name: Str = None
    state: Str = None
    access_type: Str = None
    in_service: Bool = None
    option_codes: Str = None
    api_version: Int = None


class Pagination(TeslaModel):
    previous: Int = None
    next: Int = None
    current: Int = None
    per_page: Int = None
    count: Int = None
    pages: Int = None


class ChargeState(TeslaModel):
    battery_level: Int = None
    usable_battery_level: Int = None
    battery_range: Float = None
    ideal_battery_range: Float = None
    est_battery_range: Float = None
    charge_limit_soc: Int = None
    charge_limit_soc_std: Int = None
    charging_state: Str = None
    charger_power: Float = None
    charge_energy_added: Float = None
    energy_remaining: Float = None
    lifetime_energy_used: Float = None
    module_temp_min: Float = None
    module_temp_max: Float = None
    battery_heater_on: Bool = None
    timestamp: Int = None


class SoftwareUpdate(TeslaModel):
    status: Str = None
    version: Str = None
    download_perc: Int = None
    install_perc: Int = None
    expected_duration_sec: Int = None


class SpeedLimitMode(TeslaModel):
    active: Bool = None
    current_limit_mph: Float = None
    pin_code_set: Bool = None


class VehicleState(TeslaModel):
    odometer: Float = None
    car_version: Str = None
    vehicle_name: Str = None
    locked: Bool = None
    sentry_mode: Bool = None
    valet_mode: Bool = None
    df: Int = None
    dr: Int = None
    pf: Int = None
    pr: Int = None
    ft: Int = None
    rt: Int = None
    fd_window: Int = None
    fp_window: Int = None
    rd_window: Int = None
    rp_window: Int = None
    tpms_pressure_fl: Float = None
    tpms_pressure_fr: Float = None
    tpms_pressure_rl: Float = None
    tpms_pressure_rr: Float = None
    tpms_rcp_front_value: Float = None
    tpms_rcp_rear_value: Float = None
    tpms_soft_warning_fl: Bool = None
    tpms_soft_warning_fr: Bool = None
    tpms_soft_warning_rl: Bool = None
    tpms_soft_warning_rr: Bool = None
    tpms_hard_warning_fl: Bool = None
    tpms_hard_warning_fr: Bool = None
    tpms_hard_warning_rl: Bool = None
    tpms_hard_warning_rr: Bool = None
    tpms_last_seen_pressure_time_fl: Int = None
    tpms_last_seen_pressure_time_fr: Int = None
    tpms_last_seen_pressure_time_rl: Int = None
    tpms_last_seen_pressure_time_rr: Int = None
    software_update: Annotated[SoftwareUpdate | None, BeforeValidator(lambda v: v if isinstance(v, dict) else None)] = (
        None
    )
    speed_limit_mode: Annotated[
        SpeedLimitMode | None, BeforeValidator(lambda v: v if isinstance(v, dict) else None)
    ] = None
    timestamp: Int = None


class GuiSettings(TeslaModel):
    gui_distance_units: Str = None
    gui_temperature_units: Str = None
    gui_tirepressure_units: Str = None
    gui_range_display: Str = None
    gui_24_hour_time: Bool = None
    timestamp: Int = None


class VehicleConfig(TeslaModel):
    car_type: Str = None
    trim_badging: Str = None
    exterior_color: Str = None
    interior_trim_type: Str = None
    wheel_type: Str = None
    rear_drive_unit: Str = None
    driver_assist: Str = None
    charge_port_type: Str = None
    eu_vehicle: Bool = None
    ece_restrictions: Bool = None
    rhd: Bool = None
    utc_offset: Int = None
    timestamp: Int = None


class ClimateState(TeslaModel):
    inside_temp: Float = None
    outside_temp: Float = None
    driver_temp_setting: Float = None
    passenger_temp_setting: Float = None
    is_climate_on: Bool = None
    cabin_overheat_protection: Str = None
    timestamp: Int = None


class DriveState(TeslaModel):
    latitude: Float = None
    longitude: Float = None
    heading: Int = None
    shift_state: Str = None
    speed: Float = None
    timestamp: Int = None


def _object_or_none(value: Any) -> Any:
    return value if isinstance(value, dict) else None


class VehicleData(TeslaModel):
    """Body of /api/1/vehicles/{vin}/vehicle_data (sub-objects present only when requested)."""

    id: Int = None
    vin: Str = None
    display_name: Str = None
    state: Str = None
    charge_state: Annotated[ChargeState | None, BeforeValidator(_object_or_none)] = None
    climate_state: Annotated[ClimateState | None, BeforeValidator(_object_or_none)] = None
    drive_state: Annotated[DriveState | None, BeforeValidator(_object_or_none)] = None
    gui_settings: Annotated[GuiSettings | None, BeforeValidator(_object_or_none)] = None
    vehicle_config: Annotated[VehicleConfig | None, BeforeValidator(_object_or_none)] = None
    vehicle_state: Annotated[VehicleState | None, BeforeValidator(_object_or_none)] = None


# --- charging ----------------------------------------------------------------------------------


class ChargingFee(TeslaModel):
    sessionFeeId: Int = None  # noqa: N815 - Tesla's field names
    feeType: Str = None  # noqa: N815
    currencyCode: Str = None  # noqa: N815
    pricingType: Str = None  # noqa: N815
    rateBase: Float = None  # noqa: N815
    usageBase: Float = None  # noqa: N815
    totalDue: Float = None  # noqa: N815
    netDue: Float = None  # noqa: N815
    uom: Str = None
    isPaid: Bool = None  # noqa: N815
    status: Str = None


class ChargingInvoice(TeslaModel):
    fileName: Str = None  # noqa: N815
    contentId: Str = None  # noqa: N815
    invoiceType: Str = None  # noqa: N815


class ChargingSession(TeslaModel):
    """An entry of dx/charging/history response.data[] (account-level; carries its own vin)."""

    sessionId: Int = None  # noqa: N815
    vin: Str = None
    siteLocationName: Str = None  # noqa: N815
    chargeStartDateTime: DateTime = None  # noqa: N815
    chargeStopDateTime: DateTime = None  # noqa: N815
    unlatchDateTime: DateTime = None  # noqa: N815
    countryCode: Str = None  # noqa: N815
    billingType: Str = None  # noqa: N815
    vehicleMakeType: Str = None  # noqa: N815
    fees: Annotated[list[ChargingFee], BeforeValidator(_lenient_list)] = Field(default_factory=list)
    invoices: Annotated[list[ChargingInvoice], BeforeValidator(_lenient_list)] = Field(default_factory=list)


class ChargingHistoryPage(TeslaModel):
    """One page of dx/charging/history."""

    data: Annotated[list[ChargingSession], BeforeValidator(_lenient_list)] = Field(default_factory=list)
    totalResults: Int = None  # noqa: N815
    hasMoreData: Bool = None  # noqa: N815
    pageNo: Int = None  # noqa: N815
    pageSize: Int = None  # noqa: N815
