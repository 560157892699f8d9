"""Fleet API vehicle endpoints under /fleet/<region>/api/1/ (vehicles, vehicle_data, wake_up, ...)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from .guard import caller, find_vehicle, fleet_endpoint, int_arg, not_found, region_base, sim_state
from .replies import error, ok
from .vehicle_view import parse_endpoints, vehicle_data, vehicle_object

fleet = Blueprint("fleet", __name__, url_prefix="/fleet/<any(na,eu,cn):region>")

DEVICE_DATA = ("vehicle_device_data",)
MAX_PER_PAGE = 100
# Commands that Tesla authorises with vehicle_charging_cmds instead of vehicle_cmds.
CHARGING_COMMANDS = frozenset(
    {
        "charge_start",
        "charge_stop",
        "charge_max_range",
        "charge_standard",
        "set_charge_limit",
        "set_charging_amps",
        "charge_port_door_open",
        "charge_port_door_close",
        "set_scheduled_charging",
        "set_scheduled_departure",
    }
)


def vehicle_unavailable() -> Response:
    """Tesla's 408 for a vehicle that is asleep or offline."""
    return error(408, "vehicle unavailable: vehicle is offline or asleep", "")


@fleet.get("/status")
def api_status(region: str) -> Response:
    """GET /status: the plain string "ok", no auth (as Tesla's)."""
    return Response("ok", mimetype="text/plain")


@fleet.get("/api/1/users/region")
@fleet_endpoint(regional=False)
def users_region() -> Response:
    """The account's region and its Fleet API base URL; works from any region base."""
    region = sim_state().scenario.account.region
    return ok({"region": region, "fleet_api_base_url": region_base(region)})


@fleet.get("/api/1/vehicles")
@fleet_endpoint(scopes=DEVICE_DATA)
def list_vehicles() -> Response:
    """Paginated vehicle list with Tesla's pagination object."""
    page = int_arg("page", 1)
    per_page = int_arg("per_page", MAX_PER_PAGE)
    if isinstance(page, Response):
        return page
    if isinstance(per_page, Response):
        return per_page
    per_page = min(per_page, MAX_PER_PAGE)
    state = sim_state()
    vehicles = list(state.scenario.vehicles.values())
    total = len(vehicles)
    pages = max(1, -(-total // per_page))
    chunk = vehicles[(page - 1) * per_page : page * per_page]
    items = [vehicle_object(v, state.vehicle_state(v.entry.vin)) for v in chunk]
    pagination = {
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
        "current": page,
        "per_page": per_page,
        "count": total,
        "pages": pages,
    }
    return ok(items, pagination=pagination, count=total)


@fleet.get("/api/1/vehicles/<tag>")
@fleet_endpoint(scopes=DEVICE_DATA)
def get_vehicle(tag: str) -> Response:
    """The cheap vehicle object with its current state; never wakes the vehicle."""
    vehicle = find_vehicle(tag)
    if vehicle is None:
        return not_found()
    return ok(vehicle_object(vehicle, sim_state().vehicle_state(vehicle.entry.vin)))


@fleet.get("/api/1/vehicles/<tag>/vehicle_data")
@fleet_endpoint(scopes=DEVICE_DATA)
def get_vehicle_data(tag: str) -> Response:
    """Live data; 408 unless online; `endpoints` selects sub-objects; location needs location_data + scope."""
    vehicle = find_vehicle(tag)
    if vehicle is None:
        return not_found()
    current = sim_state().vehicle_state(vehicle.entry.vin)
    if current != "online":
        return vehicle_unavailable()
    endpoints = parse_endpoints(request.args.get("endpoints"))
    return ok(vehicle_data(vehicle, current, endpoints, caller().has("vehicle_location")))


@fleet.post("/api/1/vehicles/<tag>/wake_up")
@fleet_endpoint(scopes=DEVICE_DATA)
def wake_up(tag: str) -> Response:
    """Start waking the vehicle; the answer shows its state right now (still asleep until the delay passes)."""
    vehicle = find_vehicle(tag)
    if vehicle is None:
        return not_found()
    current = sim_state().wake(vehicle.entry.vin)
    return ok(vehicle_object(vehicle, current))


def _vehicle_file(tag: str, endpoint: str) -> Response:
    vehicle = find_vehicle(tag)
    if vehicle is None:
        return not_found()
    return ok(vehicle.response(endpoint))


@fleet.get("/api/1/vehicles/<tag>/service_data")
@fleet_endpoint(scopes=DEVICE_DATA)
def service_data(tag: str) -> Response:
    """Service visit data; {} when the vehicle has none."""
    return _vehicle_file(tag, "service_data")


@fleet.get("/api/1/vehicles/<tag>/recent_alerts")
@fleet_endpoint(scopes=DEVICE_DATA)
def recent_alerts(tag: str) -> Response:
    """Recent alerts."""
    return _vehicle_file(tag, "recent_alerts")


@fleet.get("/api/1/vehicles/<tag>/release_notes")
@fleet_endpoint(scopes=DEVICE_DATA)
def release_notes(tag: str) -> Response:
    """Release notes, nested (response.response.release_notes) or flat, as the scenario file has them."""
    return _vehicle_file(tag, "release_notes")


@fleet.get("/api/1/vehicles/<tag>/specs")
@fleet_endpoint(kind="partner", regional=False)
def specs(tag: str) -> Response:
    """Vehicle specs; partner tokens only (they work for any VIN the simulator knows)."""
    return _vehicle_file(tag, "specs")


@fleet.post("/api/1/vehicles/fleet_status")
@fleet_endpoint(scopes=DEVICE_DATA)
def fleet_status() -> Response:
    """Merge the per-vehicle fleet_status files of the requested VINs (VINs not on the account are skipped)."""
    body = request.get_json(silent=True)
    vins = body.get("vins") if isinstance(body, dict) else None
    if not isinstance(vins, list) or not vins or not all(isinstance(v, str) for v in vins):
        return error(400, "invalid_request", 'body must be {"vins": ["<VIN>", ...]}')
    merged: dict[str, Any] = {"key_paired_vins": [], "unpaired_vins": [], "vehicle_info": {}}
    for vin in vins:
        vehicle = sim_state().scenario.vehicles.get(vin)
        if vehicle is None:
            continue
        part = vehicle.response("fleet_status")
        merged["key_paired_vins"] += part.get("key_paired_vins", [])
        merged["unpaired_vins"] += part.get("unpaired_vins", [])
        merged["vehicle_info"].update(part.get("vehicle_info", {}))
    return ok(merged)


@fleet.post("/api/1/vehicles/<tag>/command/<name>")
@fleet_endpoint()
def command(tag: str, name: str) -> Response:
    """A REST vehicle command: scope by command family, 408 unless online, 403 when the car needs signed commands."""
    vehicle = find_vehicle(tag)
    if vehicle is None:
        return not_found()
    scope = "vehicle_charging_cmds" if name in CHARGING_COMMANDS else "vehicle_cmds"
    if not (caller().has(scope) or caller().has("vehicle_cmds")):
        return error(403, "missing_scopes", f"Unauthorized missing scopes: {scope}")
    if sim_state().vehicle_state(vehicle.entry.vin) != "online":
        return vehicle_unavailable()
    info = vehicle.response("fleet_status").get("vehicle_info", {}).get(vehicle.entry.vin, {})
    if info.get("vehicle_command_protocol_required"):
        return error(403, "vehicle_command_protocol_required", "Tesla Vehicle Command Protocol required")
    return ok({"result": True, "reason": ""})
