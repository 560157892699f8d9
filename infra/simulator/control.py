"""Control API under /_sim/ for tests and the demo: health, request log, faults, vehicle states, reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError

from .faults import FaultSpec
from .guard import sim_state
from .replies import json_body
from .scenario import VehicleState

control = Blueprint("control", __name__, url_prefix="/_sim")


class _StateChange(BaseModel):
    state: VehicleState


class _ClockAdvance(BaseModel):
    advance_seconds: float


def _body() -> Any:
    return request.get_json(silent=True, force=True) or {}


def _invalid(exc: ValidationError) -> Response:
    return json_body({"error": "invalid_request", "error_description": str(exc)}, 400)


@control.get("/health")
def health() -> Response:
    """Liveness: the plain string "ok"."""
    return Response("ok", mimetype="text/plain")


@control.get("/requests")
def requests_log() -> Response:
    """The request log (oldest first); optional filters ?category=&vin=&billable=true|false."""
    entries = sim_state().log.entries()
    category, vin, billable = request.args.get("category"), request.args.get("vin"), request.args.get("billable")
    rows = [
        e.model_dump()
        for e in entries
        if (category is None or e.category == category)
        and (vin is None or e.vin == vin)
        and (billable is None or e.billable == (billable.lower() == "true"))
    ]
    return json_body(rows)


@control.delete("/requests")
def clear_requests() -> Response:
    """Empty the request log only."""
    sim_state().log.clear()
    return json_body({"cleared": True})


@control.get("/billing")
def billing() -> Response:
    """Billable response counts and estimated cost per category."""
    return json_body(sim_state().log.summary())


@control.post("/reset")
def reset() -> Response:
    """Tokens, vehicle states, log, faults, registrations and clock back to the scenario's start."""
    sim_state().reset()
    return json_body({"reset": True})


@control.post("/faults")
def add_fault() -> Response:
    """Register a fault (FaultSpec); it fires `count` times on matching requests."""
    try:
        spec = FaultSpec.model_validate(_body())
    except ValidationError as exc:
        return _invalid(exc)
    return json_body(sim_state().faults.add(spec).model_dump(), 201)


@control.get("/faults")
def list_faults() -> Response:
    """All faults with remaining and fired counts."""
    return json_body([f.model_dump() for f in sim_state().faults.list()])


@control.delete("/faults")
def clear_faults() -> Response:
    """Remove every fault."""
    sim_state().faults.clear()
    return json_body({"cleared": True})


@control.get("/vehicles")
def vehicles() -> Response:
    """Current state of every vehicle."""
    return json_body(sim_state().vehicle_states())


@control.post("/vehicles/<vin>/state")
def set_state(vin: str) -> Response:
    """Force a vehicle asleep, online or offline."""
    state = sim_state()
    if vin not in state.scenario.vehicles:
        return json_body({"error": "not_found", "error_description": f"unknown VIN {vin}"}, 404)
    try:
        change = _StateChange.model_validate(_body())
    except ValidationError as exc:
        return _invalid(exc)
    state.set_vehicle_state(vin, change.state)
    return json_body({"vin": vin, "state": change.state})


@control.post("/tokens/expire")
def expire_tokens() -> Response:
    """Expire every access token now (the next API call gets 401 with an empty body)."""
    return json_body({"expired": sim_state().tokens.expire_access_tokens()})


@control.post("/grants/revoke")
def revoke_grants() -> Response:
    """Revoke every grant (the owner removed the app: API calls and refreshes get login_required)."""
    return json_body({"revoked": sim_state().tokens.revoke_grants()})


@control.get("/tokens")
def token_counts() -> Response:
    """Counts of grants and live tokens (never the tokens themselves)."""
    return json_body(sim_state().tokens.counts())


@control.post("/clock")
def advance_clock() -> Response:
    """Move simulator time forward by advance_seconds (expiries and wake-ups follow)."""
    try:
        change = _ClockAdvance.model_validate(_body())
    except ValidationError as exc:
        return _invalid(exc)
    return json_body({"now": sim_state().advance(change.advance_seconds)})


@control.get("/scenario")
def scenario_summary() -> Response:
    """What the loaded scenario contains: account, vehicles and sessions per VIN."""
    scenario = sim_state().scenario
    per_vin: dict[str, int] = {}
    for session in scenario.sessions:
        per_vin[session.vin] = per_vin.get(session.vin, 0) + 1
    return json_body(
        {
            "root": str(scenario.root),
            "account": scenario.account.model_dump(mode="json"),
            "vehicles": [
                {"vin": v.entry.vin, "display_name": v.entry.display_name, "initial_state": v.entry.state}
                for v in scenario.vehicles.values()
            ],
            "sessions_per_vin": per_vin,
        }
    )
