"""How a vehicle looks in responses: the list object and the filtered vehicle_data."""

from __future__ import annotations

from typing import Any

from .scenario import VehicleScenario

# Sub-objects of vehicle_data that the `endpoints` parameter selects by name.
SUB_OBJECTS = (
    "charge_state",
    "climate_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
    "charge_schedule_data",
    "preconditioning_schedule_data",
)
# Since firmware 2023.38 these drive_state keys only come with endpoints=location_data (+ vehicle_location).
LOCATION_KEYS = frozenset(
    {
        "latitude",
        "longitude",
        "heading",
        "gps_as_of",
        "native_latitude",
        "native_longitude",
        "native_location_supported",
        "native_type",
        "corrected_latitude",
        "corrected_longitude",
        "active_route_destination",
        "active_route_latitude",
        "active_route_longitude",
        "active_route_energy_at_arrival",
        "active_route_miles_to_arrival",
        "active_route_minutes_to_arrival",
    }
)
# vehicle_state keys returned for endpoints=closures_state.
CLOSURE_KEYS = frozenset(
    {
        "df",
        "dr",
        "pf",
        "pr",
        "ft",
        "rt",
        "fd_window",
        "fp_window",
        "rd_window",
        "rp_window",
        "locked",
        "sun_roof_state",
        "sun_roof_percent_open",
        "vehicle_state_sun_roof_percent_open",
        "tonneau_state",
        "tonneau_percent_open",
        "is_user_present",
        "timestamp",
    }
)


def vehicle_object(vehicle: VehicleScenario, state: str) -> dict[str, Any]:
    """The vehicle as GET /api/1/vehicles and /vehicles/{vin} show it, with its current state."""
    entry = vehicle.entry
    known = {
        "id": entry.id,
        "vehicle_id": entry.vehicle_id,
        "vin": entry.vin,
        "color": entry.color,
        "access_type": entry.access_type,
        "display_name": entry.display_name,
        "option_codes": entry.option_codes,
        "granular_access": entry.granular_access,
        "state": state,
        "in_service": entry.in_service,
        "id_s": str(entry.id),
        "calendar_enabled": entry.calendar_enabled,
        "api_version": entry.api_version,
        "backseat_token": None,
        "backseat_token_updated_at": None,
        "ble_autopair_enrolled": entry.ble_autopair_enrolled,
    }
    return {**known, **(entry.model_extra or {})}


def parse_endpoints(raw: str | None) -> list[str] | None:
    """Split the `endpoints` query value (Tesla separates with ';', some clients with ',')."""
    if raw is None or not raw.strip():
        return None
    return [part.strip() for part in raw.replace(",", ";").split(";") if part.strip()]


def vehicle_data(
    vehicle: VehicleScenario, state: str, endpoints: list[str] | None, location_allowed: bool
) -> dict[str, Any]:
    """vehicle_data filtered like Tesla: requested sub-objects only; location only when asked and allowed."""
    full = vehicle.files.get("vehicle_data")
    data: dict[str, Any] = vehicle.response("vehicle_data") if full is not None else vehicle_object(vehicle, state)
    data["state"] = state
    wanted = set(SUB_OBJECTS) if endpoints is None else set(endpoints)
    result = {key: value for key, value in data.items() if key not in SUB_OBJECTS or key in wanted}

    drive = data.get("drive_state")
    if isinstance(drive, dict):
        with_location = location_allowed and endpoints is not None and "location_data" in endpoints
        if "drive_state" in result:
            result["drive_state"] = {k: v for k, v in drive.items() if with_location or k not in LOCATION_KEYS}
        elif with_location:
            result["drive_state"] = {k: v for k, v in drive.items() if k in LOCATION_KEYS or k == "timestamp"}

    vehicle_state = data.get("vehicle_state")
    if (
        endpoints
        and "closures_state" in endpoints
        and "vehicle_state" not in result
        and isinstance(vehicle_state, dict)
    ):
        result["vehicle_state"] = {k: v for k, v in vehicle_state.items() if k in CLOSURE_KEYS}
    return result
