"""The public check of a report, on the API host, for anyone and without a session:

GET  /verify/{id}                          the check page (HTML; JSON with Accept: application/json)
POST /api/v1/verify                        a PDF (Content-Type: application/pdf, at most 10 MB)
GET  /.well-known/carpulse-report-ca.pem   our report CA certificate(s), to validate signatures
"""

import re

import flask
import functions_framework

from carpulse import bootstrap
from carpulse.domain.verification import RecordStatus, UploadTooLargeError
from carpulse.errors import MethodNotAllowedError, NotAcceptableError, NotFoundError
from carpulse.http import verify_web
from carpulse.http.api import endpoint, json_response
from carpulse.http.routes import REPORT_CA_PATH, VERIFY_API_PATH, VERIFY_PAGE_PREFIX
from carpulse.services.verification import MAX_UPLOAD_BYTES

_PAGE = re.compile(rf"^{VERIFY_PAGE_PREFIX}/([^/]{{1,128}})/?$")
_READ = ("GET", "HEAD")


@functions_framework.http
@endpoint(methods=("GET", "HEAD", "POST"))
def verify(request: flask.Request) -> flask.Response:
    """Dispatch the three public paths of the verify function."""
    app = bootstrap.container()
    client = verify_web.client_address(
        request.remote_addr, request.headers.get("X-Forwarded-For"), app.settings.verify_client_ip_hops
    )
    if request.path == VERIFY_API_PATH:
        _only(request, ("POST",))
        app.verification.admit_upload(client)  # before reading a body of up to 10 MB
        return json_response(app.verification.check_upload(_pdf_body(request)))
    if request.path == REPORT_CA_PATH:
        _only(request, _READ)
        pem = app.secrets.get(app.settings.report_ca_secret_name).strip() + "\n"
        response = flask.Response(pem, mimetype="application/x-pem-file")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
    match = _PAGE.match(request.path)
    if match is None:
        raise NotFoundError("no such endpoint; see docs/openapi.yaml")
    _only(request, _READ)
    return _page(request, app, match.group(1), client)


def _page(request: flask.Request, app: bootstrap.Container, verification_id: str, client: str) -> flask.Response:
    record = app.verification.lookup(verification_id, client)
    status = 404 if record.status is RecordStatus.NOT_FOUND else 200
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = json_response(record.model_dump(mode="json", exclude_none=True), status=status)
        response.headers["Vary"] = "Accept, Accept-Language"
        return response
    language = verify_web.choose_language(request.args.get("lang"), request.headers.get("Accept-Language"))
    origin = app.settings.verify_origin
    body = verify_web.render_page(
        record,
        language,
        page_url=f"{origin}{VERIFY_PAGE_PREFIX}/{verification_id}",
        api_url=f"{origin}{VERIFY_API_PATH}",
        ca_url=f"{origin}{REPORT_CA_PATH}",
    )
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers.update(verify_web.PAGE_HEADERS)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


def _pdf_body(request: flask.Request) -> bytes:
    """The uploaded file: application/pdf only, never more than the limit read into memory."""
    if request.mimetype != "application/pdf":
        raise NotAcceptableError("Content-Type must be application/pdf")
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError("a report PDF is at most 10 MB")
    data = request.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError("a report PDF is at most 10 MB")
    return data


def _only(request: flask.Request, methods: tuple[str, ...]) -> None:
    if request.method not in methods:
        raise MethodNotAllowedError(f"use {' or '.join(methods)} on {request.path}")
