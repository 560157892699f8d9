"""Account-level endpoints: charging history and invoices, warranty, options, users/*."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from .guard import fleet_endpoint, int_arg, not_found, sim_state
from .invoice import render_invoice
from .replies import error, ok
from .scenario import ChargingSession

dx = Blueprint("dx", __name__, url_prefix="/fleet/<any(na,eu,cn):region>")

CHARGING = ("vehicle_charging_cmds",)
DEVICE_DATA = ("vehicle_device_data",)
USER_DATA = ("user_data",)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _sort_key(field: str) -> Callable[[ChargingSession], Any] | None:
    keys: dict[str, Callable[[ChargingSession], Any]] = {
        "chargeStartDateTime": lambda s: s.start(),
        "chargeStopDateTime": lambda s: datetime.fromisoformat(s.charge_stop_date_time or s.charge_start_date_time),
        "sessionId": lambda s: s.session_id,
        "vin": lambda s: (s.vin, s.start()),
        "siteLocationName": lambda s: (s.site_location_name, s.start()),
    }
    # Clients in the wild send these spellings for the start time.
    aliases = {
        "start_datetime": "chargeStartDateTime",
        "startDateTime": "chargeStartDateTime",
        "": "chargeStartDateTime",
    }
    return keys.get(aliases.get(field, field))


def _time_arg(name: str) -> datetime | Response | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return error(400, "invalid_field", f"{name} must be an ISO 8601 date-time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _vin_arg() -> str | Response | None:
    vin = request.args.get("vin") or None
    if vin is None:
        return None
    return vin if vin in sim_state().scenario.vehicles else not_found()


@dx.get("/api/1/dx/charging/history")
@fleet_endpoint(scopes=CHARGING)
def charging_history() -> Response:
    """Account-level sessions (all vehicles unless vin given), filtered, sorted and paged (pageNo is 0-based)."""
    vin, start, end = _vin_arg(), _time_arg("startTime"), _time_arg("endTime")
    page_no, page_size = int_arg("pageNo", 0, minimum=0), int_arg("pageSize", DEFAULT_PAGE_SIZE)
    if isinstance(vin, Response) or isinstance(start, Response) or isinstance(end, Response):
        return next(v for v in (vin, start, end) if isinstance(v, Response))
    if isinstance(page_no, Response):
        return page_no
    if isinstance(page_size, Response):
        return page_size
    page_size = min(page_size, MAX_PAGE_SIZE)
    key = _sort_key(request.args.get("sortBy", ""))
    if key is None:
        return error(400, "invalid_field", "unsupported sortBy")
    order = request.args.get("sortOrder", "DESC").upper()
    if order not in ("ASC", "DESC"):
        return error(400, "invalid_field", "sortOrder must be ASC or DESC")

    scenario = sim_state().scenario
    pairs = [
        (session, raw)
        for session, raw in zip(scenario.sessions, scenario.raw_sessions, strict=True)
        if (vin is None or session.vin == vin)
        and (start is None or session.start() >= start)
        and (end is None or session.start() <= end)
    ]
    pairs.sort(key=lambda pair: key(pair[0]), reverse=order == "DESC")
    total = len(pairs)
    page = [raw for _, raw in pairs[page_no * page_size : (page_no + 1) * page_size]]
    return ok(
        {
            "data": page,
            "totalResults": total,
            "pageNo": page_no,
            "pageSize": page_size,
            "hasMoreData": (page_no + 1) * page_size < total,
        }
    )


@dx.get("/api/1/dx/charging/invoice/<content_id>")
@fleet_endpoint(scopes=CHARGING)
def charging_invoice(content_id: str) -> Response:
    """The invoice PDF of a session of this account (scenario file, else generated with fpdf2)."""
    found = sim_state().scenario.invoice(content_id)
    if found is None:
        return not_found("invoice")
    session, file_name = found[0], found[1].file_name
    pdf = sim_state().invoice_pdf(content_id, lambda: render_invoice(session, file_name))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response


@dx.get("/api/1/dx/warranty/details")
@fleet_endpoint(scopes=DEVICE_DATA)
def warranty() -> Response:
    """Warranty details; like Tesla, a missing vin is a 500."""
    vin = _vin_arg()
    if isinstance(vin, Response):
        return vin
    if vin is None:
        return error(500, "internal_error", "vin is required")
    return ok(sim_state().scenario.vehicles[vin].response("warranty"))


@dx.get("/api/1/dx/vehicles/options")
@fleet_endpoint(scopes=DEVICE_DATA)
def options() -> Response:
    """Option codes of a vehicle (needs ?vin=)."""
    vin = _vin_arg()
    if isinstance(vin, Response):
        return vin
    if vin is None:
        return error(400, "invalid_field", "vin is required")
    return ok(sim_state().scenario.vehicles[vin].response("options"))


@dx.get("/api/1/users/me")
@fleet_endpoint(scopes=USER_DATA)
def users_me() -> Response:
    """The account's profile (Tesla requires the user_data scope)."""
    account = sim_state().scenario.account
    return ok(
        {
            "email": account.email,
            "full_name": account.full_name,
            "profile_image_url": account.profile_image_url,
            "vault_uuid": account.vault_uuid,
        }
    )


@dx.get("/api/1/users/orders")
@fleet_endpoint(scopes=DEVICE_DATA)
def users_orders() -> Response:
    """Vehicle orders of the account (from scenario.json account.orders)."""
    orders = sim_state().scenario.account.orders
    return ok(orders, count=len(orders))


@dx.get("/api/1/users/feature_config")
@fleet_endpoint(scopes=USER_DATA)
def users_feature_config() -> Response:
    """Feature flags of the account (Tesla requires the user_data scope)."""
    return ok(sim_state().scenario.account.feature_config)
