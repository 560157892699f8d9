"""Flask application factory: wires the auth server, the regional Fleet API, faults, 406 and the log."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from .auth import CN_BLUEPRINT, CN_PREFIX, auth
from .billing import path_vin
from .config import SimulatorConfig
from .control import control
from .dx import dx
from .faults import FaultSpec
from .fleet import fleet
from .guard import sim_state
from .partner import partner
from .replies import empty, error, json_body
from .scenario import Scenario, load_scenario
from .state import SimState
from .tokens import Clock

EXTENSION = "fleet_simulator"
DROPPED = "infra.simulator.dropped"


class _DropMiddleware:
    """Turn a dropped-connection fault into ConnectionAbortedError where there is no socket to close."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = self.wsgi_app(environ, start_response)
        if environ.get(DROPPED):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise ConnectionAbortedError("connection dropped by a simulator fault")
        return result


def create_app(
    config: SimulatorConfig | None = None, *, scenario: Scenario | None = None, clock: Clock = time.time
) -> Flask:
    """Build the simulator app; raises ScenarioError when the scenario directory is invalid."""
    config = config or SimulatorConfig()
    app = Flask(__name__)
    # Serve scenario JSON exactly as written: keep key order and non-ASCII text.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = SimState(config, scenario or load_scenario(config.scenario), clock)

    app.before_request(_apply_fault)
    app.before_request(_require_json_post)
    app.after_request(_log_request)
    app.register_error_handler(HTTPException, _http_error)
    for blueprint in (auth, fleet, dx, partner, control):
        app.register_blueprint(blueprint)
    app.register_blueprint(auth, url_prefix=CN_PREFIX, name=CN_BLUEPRINT)
    app.wsgi_app = _DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _is_control() -> bool:
    return request.path.startswith("/_sim/")


def _log_vin() -> str | None:
    scenario = sim_state().scenario
    _, _, content_id = request.path.partition("/api/1/dx/charging/invoice/")
    if content_id:
        # Invoices are per session; attributing them to the session's VIN keeps per-vehicle cost exact.
        found = scenario.invoice(content_id)
        return found[0].vin if found else None
    tag = path_vin(request.path) or request.args.get("vin")
    if tag is None:
        return None
    vehicle = scenario.vehicle_by_tag(tag)
    return vehicle.entry.vin if vehicle else tag


def _drop_connection() -> Response:
    sock: socket.socket | None = request.environ.get("werkzeug.socket")
    if sock is None:
        # No real socket (test client): _DropMiddleware raises outside Flask's 500 handling.
        request.environ[DROPPED] = True
        return Response(b"", status=500)
    with contextlib.suppress(OSError):  # the peer may already be gone
        sock.shutdown(socket.SHUT_RDWR)
    # Werkzeug swallows the broken pipe when it tries to write this.
    return Response(b"", status=500)


def _fault_response(spec: FaultSpec) -> Response:
    body: Any = spec.error_body()
    if body is None:
        response = empty(spec.status or 500)
    elif isinstance(body, str):
        response = Response(body, status=spec.status or 500, mimetype="text/plain")
    else:
        response = json_body(body, spec.status or 500)
    if spec.retry_after is not None:
        response.headers["Retry-After"] = str(spec.retry_after)
        if spec.status == 429:
            response.headers["RateLimit-Reset"] = str(spec.retry_after)
    return response


def _apply_fault() -> Response | None:
    if _is_control():
        return None
    spec = sim_state().faults.take(request.method, request.path)
    if spec is None:
        return None
    if spec.after_handler:
        g.sim_after = spec  # applied by _log_request once the handler has done its work
        return None
    if spec.latency_ms:
        time.sleep(spec.latency_ms / 1000)
    if spec.drop_connection:
        sim_state().log.record(request.method, request.path, None, _log_vin(), fault=True)
        g.sim_logged = True
        return _drop_connection()
    if spec.status is None:
        return None  # latency-only fault: handle the request normally
    g.sim_fault = True
    return _fault_response(spec)


def _require_json_post() -> Response | None:
    # Tesla answers 406 to a POST without a JSON Content-Type; the auth server takes forms too.
    if request.method == "POST" and request.path.startswith("/fleet/") and request.mimetype != "application/json":
        return error(406, "not_acceptable", "Content-Type must be application/json")
    return None


def _log_request(response: Response) -> Response:
    after: FaultSpec | None = g.get("sim_after")
    if after is not None:
        if after.latency_ms:
            time.sleep(after.latency_ms / 1000)
        if after.drop_connection:
            sim_state().log.record(request.method, request.path, None, _log_vin(), fault=True)
            return _drop_connection()
    if not _is_control() and not g.get("sim_logged"):
        fault = bool(g.get("sim_fault"))
        sim_state().log.record(request.method, request.path, response.status_code, _log_vin(), fault=fault)
    return response


def _http_error(exc: HTTPException) -> WerkzeugResponse:
    if request.path.startswith("/fleet/"):
        code = {404: "not_found", 405: "not_allowed"}.get(exc.code or 500, "invalid_request")
        return error(exc.code or 500, code, exc.description or "")
    return exc.get_response()
