"""The frontend API: vehicles, report requests, report status, disconnect."""

import re

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.errors import MethodNotAllowedError, NotFoundError
from carpulse.http.api import bearer_token, endpoint, json_response, parse_json
from carpulse.services.reports import ReportCreate

_REPORT_PATH = re.compile(r"^/reports/([0-9a-f]{32})$")


@functions_framework.http
@endpoint(methods=("GET", "POST", "DELETE"), cors=True)
def reports(request: flask.Request) -> flask.Response:
    """GET /vehicles, POST /reports, GET /reports/{id}, DELETE /account."""
    service = container().reports_api
    account = service.authenticate(bearer_token(request))
    path = request.path.rstrip("/") or "/"
    if path == "/vehicles":
        _only(request, "GET")
        return json_response([v.model_dump(mode="json") for v in service.list_vehicles(account)])
    if path == "/reports":
        _only(request, "POST")
        view = service.request_report(account, parse_json(request, ReportCreate))
        return json_response(view, status=202, headers={"Location": f"/reports/{view.report_id}"})
    match = _REPORT_PATH.match(path)
    if match:
        _only(request, "GET")
        return json_response(service.report_status(account, match.group(1)))
    if path == "/account":
        _only(request, "DELETE")
        return json_response({"disconnected": True, "deleted_objects": service.disconnect(account)})
    raise NotFoundError("no such endpoint; see docs/openapi.yaml")


def _only(request: flask.Request, method: str) -> None:
    if request.method != method:
        raise MethodNotAllowedError(f"use {method} on {request.path}")
