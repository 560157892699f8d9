"""Typed, tolerant models of Fleet API responses.

Tesla's payloads mix types (`sun_roof_installed: 1`), use sentinels (`"<invalid>"`), omit keys and
add new ones at will. Every field here is optional and coerced leniently (lenient.py): a value that
cannot be read becomes None rather than failing the whole response, and one element of a list that
cannot be read is dropped and counted in `unreadable` rather than failing the list.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from carpulse.tesla.lenient import (
    Bool,
    Celsius,
    DateTime,
    Elements,
    EpochTime,
    Float,
    Int,
    NonNegative,
    Objects,
    Percent,
    Str,
    lenient_list,
    readable_elements,
)

__all__ = ["Bool", "DateTime", "Elements", "Float", "Int", "Str", "TeslaModel", "_lenient_list"]

_lenient_list = lenient_list  # the name schemas_dx and older callers import


@cache
def _element_fields(model: type[BaseModel]) -> dict[str, Elements]:
    """The list fields of a model whose elements are checked one by one (marked with Elements)."""
    return {
        name: kind for name, info in model.model_fields.items() for kind in info.metadata if isinstance(kind, Elements)
    }


class TeslaModel(BaseModel):
    """Base for Tesla payloads: unknown fields kept, nothing required, unreadable list elements counted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    # Per list field, how many elements could not be read and were dropped ({"fees": 1}).
    unreadable: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _read_elements(cls, data: Any) -> Any:
        fields = _element_fields(cls)
        if not isinstance(data, dict) or (not fields and "unreadable" not in data):
            return data
        previous = data.get("unreadable")
        counts = {
            k: v
            for k, v in (previous.items() if isinstance(previous, dict) else ())
            if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
        }
        out = dict(data)
        for name, kind in fields.items():
            raw = data.get(name)
            if isinstance(raw, list):
                out[name], dropped = readable_elements(kind, raw)
                if dropped:
                    counts[name] = counts.get(name, 0) + dropped
        out["unreadable"] = counts
        return out


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
    battery_level: Percent = None
    usable_battery_level: Percent = None
    battery_range: NonNegative = None
    ideal_battery_range: NonNegative = None
    est_battery_range: NonNegative = None
    charge_limit_soc: Percent = None
    charge_limit_soc_std: Percent = None
    charging_state: Str = None
    charger_power: NonNegative = None
    charge_energy_added: NonNegative = None
    energy_remaining: NonNegative = None
    lifetime_energy_used: NonNegative = None
    module_temp_min: Celsius = None
    module_temp_max: Celsius = None
    battery_heater_on: Bool = None
    timestamp: EpochTime = None


class SoftwareUpdate(TeslaModel):
    status: Str = None
    version: Str = None
    download_perc: Percent = None
    install_perc: Percent = None
    expected_duration_sec: Int = None


class SpeedLimitMode(TeslaModel):
    active: Bool = None
    current_limit_mph: NonNegative = None
    pin_code_set: Bool = None


class VehicleState(TeslaModel):
    odometer: NonNegative = None
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
    tpms_pressure_fl: NonNegative = None
    tpms_pressure_fr: NonNegative = None
    tpms_pressure_rl: NonNegative = None
    tpms_pressure_rr: NonNegative = None
    tpms_rcp_front_value: NonNegative = None
    tpms_rcp_rear_value: NonNegative = None
    tpms_soft_warning_fl: Bool = None
    tpms_soft_warning_fr: Bool = None
    tpms_soft_warning_rl: Bool = None
    tpms_soft_warning_rr: Bool = None
    tpms_hard_warning_fl: Bool = None
    tpms_hard_warning_fr: Bool = None
    tpms_hard_warning_rl: Bool = None
    tpms_hard_warning_rr: Bool = None
    tpms_last_seen_pressure_time_fl: EpochTime = None
    tpms_last_seen_pressure_time_fr: EpochTime = None
    tpms_last_seen_pressure_time_rl: EpochTime = None
    tpms_last_seen_pressure_time_rr: EpochTime = None
    software_update: Annotated[SoftwareUpdate | None, BeforeValidator(lambda v: v if isinstance(v, dict) else None)] = (
        None
    )
    speed_limit_mode: Annotated[
        SpeedLimitMode | None, BeforeValidator(lambda v: v if isinstance(v, dict) else None)
    ] = None
    timestamp: EpochTime = None


class GuiSettings(TeslaModel):
    gui_distance_units: Str = None
    gui_temperature_units: Str = None
    gui_tirepressure_units: Str = None
    gui_range_display: Str = None
    gui_24_hour_time: Bool = None
    timestamp: EpochTime = None


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
    timestamp: EpochTime = None


class ClimateState(TeslaModel):
    inside_temp: Celsius = None
    outside_temp: Celsius = None
    driver_temp_setting: Celsius = None
    passenger_temp_setting: Celsius = None
    is_climate_on: Bool = None
    cabin_overheat_protection: Str = None
    timestamp: EpochTime = None


class DriveState(TeslaModel):
    latitude: Float = None
    longitude: Float = None
    heading: Int = None
    shift_state: Str = None
    speed: Float = None
    timestamp: EpochTime = None


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
    usageBase: NonNegative = None  # noqa: N815
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
    fees: Objects[ChargingFee] = Field(default_factory=list)
    invoices: Objects[ChargingInvoice] = Field(default_factory=list)


class ChargingHistoryPage(TeslaModel):
    """One page of dx/charging/history."""

    # A session that is not an object stays as an empty one marked unreadable: the history is
    # account-level, so the reports of the account's vehicles can say that one could not be read.
    data: Annotated[list[ChargingSession], BeforeValidator(lenient_list), Elements.PLACEHOLDERS] = Field(
        default_factory=list
    )
    totalResults: Int = None  # noqa: N815
    hasMoreData: Bool = None  # noqa: N815
    pageNo: Int = None  # noqa: N815
    pageSize: Int = None  # noqa: N815
