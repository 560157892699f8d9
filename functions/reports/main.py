"""The frontend API on the API host: session, vehicles, reports, account."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel, ConfigDict, Field

from carpulse.bootstrap import container
from carpulse.http.api import bearer_token, endpoint, json_response, parse_json, parse_query
from carpulse.http.router import Endpoint, Router
from carpulse.http.routes import API_PREFIX


class SessionCreate(BaseModel):
    """Body of POST /api/v1/session: the one-time code from the callback's redirect."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200)


def open_session(request: flask.Request) -> flask.Response:
    """Trade the callback's one-time code for a session token."""
    opened = container().session_service.open(parse_json(request, SessionCreate).code)
    return json_response(opened, status=201)


def close_session(request: flask.Request) -> flask.Response:
    """Log out this session only."""
    container().session_service.close(bearer_token(request))
    return json_response({"logged_out": True})


def list_vehicles(request: flask.Request) -> flask.Response:
    """The account's vehicles (Tesla's cheap list call: never wakes a car)."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response([v.model_dump(mode="json") for v in app.reports_service.list_vehicles(account)])


def create_report(request: flask.Request) -> flask.Response:
    """Request a report for some of the account's VINs (within its limits; Idempotency-Key honoured)."""
    from carpulse.services.reports import ReportCreate  # the report use cases load on first use

    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    body, key = parse_json(request, ReportCreate), request.headers.get("Idempotency-Key")
    view = app.reports_service.request_report(account, body, idempotency_key=key)
    return json_response(view, status=202, headers={"Location": f"{API_PREFIX}/reports/{view.report_id}"})


def list_reports(request: flask.Request) -> flask.Response:
    """The account's reports, newest first, a page at a time (page_size, page_token)."""
    from carpulse.services.reports import ReportListQuery

    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response(app.reports_service.list_reports(account, parse_query(request, ReportListQuery)))


def delete_report(request: flask.Request, report_id: str) -> flask.Response:
    """Delete a finished report: PDFs withdrawn at the verify page, files and documents gone."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response(app.reports_service.delete_report(account, report_id))


def request_rendition(request: flask.Request, report_id: str) -> flask.Response:
    """Render a finished report again in another language (no Tesla call): 202, poll its status."""
    from carpulse.services.reports import RenditionCreate

    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    body = parse_json(request, RenditionCreate)
    view = app.reports_service.request_rendition(account, report_id, body)
    return json_response(view, status=202, headers={"Location": f"{API_PREFIX}/reports/{report_id}"})


def retry_vehicle(request: flask.Request, report_id: str, vin: str) -> flask.Response:
    """Try a failed vehicle of a finished report again: 202 with the report's status, poll it."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    view = app.reports_service.retry_vehicle(account, report_id, vin)
    return json_response(view, status=202, headers={"Location": f"{API_PREFIX}/reports/{report_id}"})


def report_status(request: flask.Request, report_id: str) -> flask.Response:
    """Status of one report with per-VIN progress and download links."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response(app.reports_service.report_status(account, report_id))


def account_usage(request: flask.Request) -> flask.Response:
    """Tesla's bill for this month's reports so far (an estimate at the configured prices)."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response(app.reports_service.usage(account))


def disconnect(request: flask.Request) -> flask.Response:
    """Forget the account: tokens, sessions and stored data."""
    app = container()
    account = app.session_service.authenticate(bearer_token(request))
    return json_response({"disconnected": True, "deleted_objects": app.reports_service.disconnect(account)})


ROUTER = Router(
    [
        Endpoint(method="POST", pattern=f"{API_PREFIX}/session", handler=open_session),
        Endpoint(method="DELETE", pattern=f"{API_PREFIX}/session", handler=close_session),
        Endpoint(method="GET", pattern=f"{API_PREFIX}/vehicles", handler=list_vehicles),
        Endpoint(method="GET", pattern=f"{API_PREFIX}/reports", handler=list_reports),
        Endpoint(method="POST", pattern=f"{API_PREFIX}/reports", handler=create_report),
        Endpoint(method="GET", pattern=f"{API_PREFIX}/reports/{{report_id}}", handler=report_status),
        Endpoint(method="DELETE", pattern=f"{API_PREFIX}/reports/{{report_id}}", handler=delete_report),
        Endpoint(method="POST", pattern=f"{API_PREFIX}/reports/{{report_id}}/renditions", handler=request_rendition),
        Endpoint(
            method="POST", pattern=f"{API_PREFIX}/reports/{{report_id}}/vehicles/{{vin}}/retry", handler=retry_vehicle
        ),
        Endpoint(method="GET", pattern=f"{API_PREFIX}/account/usage", handler=account_usage),
        Endpoint(method="DELETE", pattern=f"{API_PREFIX}/account", handler=disconnect),
    ]
)


@functions_framework.http
@endpoint(methods=ROUTER.methods, cors=True)
def reports(request: flask.Request) -> flask.Response:
    """Dispatch by path and method (404 / 405 with Allow otherwise)."""
    return ROUTER.dispatch(request)
