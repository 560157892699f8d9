"""Per-request checks of the Fleet API: bearer token, token kind, partner registration, region, scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from flask import Response, current_app, g, request

from .replies import empty, error
from .scenario import VehicleScenario
from .state import SimState
from .tokens import Grant, TokenStatus

REGIONS = ("na", "eu", "cn")
TokenKind = Literal["user", "partner"]


def sim_state() -> SimState:
    """The SimState of the running app."""
    state: SimState = current_app.extensions["fleet_simulator"]
    return state


def base_url() -> str:
    """The simulator's base URL as the client reached it (works for real servers and test clients)."""
    return request.host_url.rstrip("/")


def region_base(region: str) -> str:
    """Fleet API base URL of a region, e.g. http://127.0.0.1:N/fleet/eu."""
    return f"{base_url()}/fleet/{region}"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the grant behind the bearer token and the region base used."""

    grant: Grant
    region: str

    def has(self, scope: str) -> bool:
        """Whether the grant carries a scope."""
        return scope in self.grant.scopes


def caller() -> Caller:
    """The authenticated caller of the current request (set by @fleet_endpoint)."""
    return g.fleet_caller


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_request(
    region: str, kind: TokenKind, scopes: tuple[str, ...], regional: bool, registered: bool = True
) -> Response | Caller:
    """Run Tesla's checks in order; return an error response or the authenticated caller."""
    state = sim_state()
    token = _bearer()
    result = state.tokens.authenticate(token) if token else None
    if result is None or result.status in (TokenStatus.UNKNOWN, TokenStatus.EXPIRED):
        # Tesla answers an expired or unknown token with a bare 401: clients refresh once and retry.
        return empty(401)
    if result.status is TokenStatus.REVOKED or result.grant is None:
        return error(401, "login_required", "The grant was revoked; the user must authorize again.")
    grant = result.grant
    if grant.kind != kind:
        wanted = "a partner token (client_credentials)" if kind == "partner" else "a user (third-party) token"
        return error(403, "invalid_token_type", f"This endpoint requires {wanted}.")
    if registered and state.config.require_partner_registration and state.partner(region) is None:
        return error(
            412,
            "Account must be registered in the current region",
            f"Register with POST {region_base(region)}/api/1/partner_accounts first.",
        )
    account_region = state.scenario.account.region
    if regional and kind == "user" and region != account_region:
        right = region_base(account_region)
        return error(
            421,
            "user_out_of_region",
            f"user out of region, use {right}",
            fleet_api_base_url=right,
            region=account_region,
        )
    missing = [scope for scope in scopes if scope not in grant.scopes]
    if missing:
        return error(403, "missing_scopes", f"Unauthorized missing scopes: {' '.join(missing)}")
    return Caller(grant, region)


def fleet_endpoint(
    *, kind: TokenKind = "user", scopes: tuple[str, ...] = (), regional: bool = True, registered: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view under /fleet/<region>/ so it only runs for an authorized caller.

    kind: which token kind may call; scopes: all required; regional: 421 outside the account's region;
    registered: 412 when partner registration is required and missing in this region.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(region: str, **kwargs: Any) -> Any:
            outcome = check_request(region, kind, scopes, regional, registered)
            if isinstance(outcome, Response):
                return outcome
            g.fleet_caller = outcome
            return view(**kwargs)

        return wrapper

    return decorate


def find_vehicle(tag: str) -> VehicleScenario | None:
    """A vehicle of the account by VIN or numeric id; None when it is not on the account."""
    return sim_state().scenario.vehicle_by_tag(tag)


def not_found(what: str = "vehicle") -> Response:
    """Tesla's 404."""
    return error(404, "not_found", f"{what} not found for this account")


def int_arg(name: str, default: int, minimum: int = 1) -> int | Response:
    """An integer query parameter, or Tesla's 400 invalid_field response."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return error(400, "invalid_field", f"{name} must be an integer")
    if value < minimum:
        return error(400, "invalid_field", f"{name} must be >= {minimum}")
    return value
