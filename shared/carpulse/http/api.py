"""Entry-point helpers: JSON envelope, body parsing, bearer tokens, CORS, error mapping."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import flask
import werkzeug.utils
from pydantic import BaseModel, ValidationError

from carpulse.config import Settings, get_settings
from carpulse.errors import (
    CarPulseError,
    ConfigError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotAcceptableError,
    PayloadTooLargeError,
)
from carpulse.http.errors import error_body, extra_headers_of, status_for
from carpulse.logs import bound_request, configure_logging, log_fields, request_context

if TYPE_CHECKING:
    from carpulse.gcp.id_tokens import IdTokenVerifier

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
Handler = Callable[[flask.Request], flask.Response]
MAX_JSON_BODY_BYTES = 64 * 1024  # the largest valid body (50 VINs and options) is under 2 KiB
# Headers a cross-origin frontend may send, and the response headers its scripts may read.
CORS_REQUEST_HEADERS = "Authorization, Content-Type, Idempotency-Key"
CORS_EXPOSED_HEADERS = "Location, Retry-After"


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    """A success response in our envelope: {"response": ...}."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    return _json({"response": payload}, status, headers)


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> flask.Response:
    response = flask.Response(
        json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype="application/json"
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(exc: CarPulseError) -> flask.Response:
    """An error response in our envelope with the mapped status and the headers it requires."""
    return _json(error_body(exc), status_for(exc), extra_headers_of(exc))


def redirect(location: str) -> flask.Response:
    """302 to `location`, as Flask's response class."""
    # Werkzeug's redirect with Flask's class: flask.redirect gives Werkzeug's own outside an app
    # context, and either way is typed as the base class.
    response = werkzeug.utils.redirect(location, code=302, Response=flask.Response)
    assert isinstance(response, flask.Response)
    return response


def fragment_redirect(base_url: str, params: dict[str, str]) -> flask.Response:
    """302 to `base_url#k=v&…`: a fragment never reaches a server, its logs or a Referer."""
    response = redirect(f"{base_url.split('#', 1)[0]}#{urlencode(params)}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@dataclass
class RedirectOutcome:
    """The response a `redirect_errors` block produced (its error redirect, if it failed)."""

    response: flask.Response | None = None


@contextlib.contextmanager
def redirect_errors(base_url: str) -> Iterator[RedirectOutcome]:
    """For endpoints a browser lands on (the OAuth callback): every failure becomes a redirect to
    `base_url#error=<enum>&error_description=<words>` instead of a JSON page, using the same
    error enums and descriptions as our JSON envelope."""
    outcome = RedirectOutcome()
    try:
        yield outcome
    except CarPulseError as exc:
        body = error_body(exc)
        if status_for(exc) >= 500:
            log.warning("browser flow failed", extra=log_fields(error=exc.error, detail=exc.description))
        outcome.response = fragment_redirect(
            base_url, {"error": str(body["error"]), "error_description": str(body["error_description"])}
        )
    except Exception:
        log.exception("unhandled error in a browser flow")
        outcome.response = fragment_redirect(
            base_url, {"error": "server_error", "error_description": "something went wrong on our side; try again"}
        )
    if outcome.response is None:
        raise RuntimeError("redirect_errors block produced no response")


def parse_json(request: flask.Request, model: type[M]) -> M:
    """The JSON body as `model`: 406 without a JSON content type, 413 when too large, 422 with
    field messages."""
    if request.mimetype != "application/json":
        raise NotAcceptableError("Content-Type must be application/json")
    raw = read_body(request, MAX_JSON_BODY_BYTES)
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidRequestError("the body is not valid JSON", messages={"body": ["is not valid JSON"]}) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError("the request has invalid fields", messages=field_messages(exc)) from exc


def parse_query(request: flask.Request, model: type[M]) -> M:
    """The query string as `model` (each name once); 422 with field messages."""
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise InvalidRequestError(
            "a query parameter is given twice", messages={name: ["is given more than once"] for name in repeated}
        )
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidRequestError("the request has invalid query parameters", messages=field_messages(exc)) from exc


def read_body(request: flask.Request, limit: int) -> bytes:
    """At most `limit` bytes of the body; 413 beyond, without reading a large body to its end."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body may be at most {limit:,} bytes")
    raw = request.stream.read(limit + 1)  # a chunked body has no length: read one byte past the limit
    if len(raw) > limit:
        raise PayloadTooLargeError(f"the body may be at most {limit:,} bytes")
    return raw


def field_messages(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic errors as Tesla-style `messages`: {field: [problem, ...]} (no input echoed)."""
    messages: dict[str, list[str]] = {}
    for err in exc.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "body"
        text = err["msg"].removeprefix("Value error, ")
        messages.setdefault(field, []).append(text)
    return messages


def bearer_token(request: flask.Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class InternalCall:
    """A verified call of an internal function: who made it, and the Cloud Tasks headers."""

    caller: str
    task_retry_count: int  # X-CloudTasks-TaskRetryCount, read only once the token is valid


def require_internal_caller(request: flask.Request, verifier: IdTokenVerifier) -> InternalCall:
    """Only the function's Cloud Tasks / Cloud Scheduler identity may call it: its Google-signed ID
    token is verified first (401 otherwise, every call refused when unconfigured), and only then
    are the platform's headers believed."""
    caller = verifier.verify(bearer_token(request))
    retries = request.headers.get("X-CloudTasks-TaskRetryCount", "")
    return InternalCall(caller=caller.email, task_retry_count=int(retries) if retries.isdigit() else 0)


def cors_headers(origin: str | None, methods: Iterable[str], allowed_origins: Iterable[str]) -> dict[str, str]:
    """CORS for a configured frontend origin: that exact origin, with credentials (the login
    cookie rides on the initiate call). Other origins get no grant, only `Vary: Origin`."""
    headers = {"Vary": "Origin"}  # the answer depends on Origin: caches must not mix them up
    if not origin or origin not in allowed_origins:
        return headers
    headers.update(
        {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
            "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
            "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS,
            "Access-Control-Max-Age": "3600",
        }
    )
    return headers


def endpoint(*, methods: Iterable[str], cors: bool = False) -> Callable[[Handler], Handler]:
    """Wrap an entry point: logging at LOG_LEVEL with the request's trace, CORS, method check, and
    every error turned into our envelope."""
    allowed = tuple(methods)

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(request: flask.Request) -> flask.Response:
            try:
                settings = get_settings()
            except ConfigError as exc:
                # No settings, no LOG_LEVEL: log at the default level why every call fails.
                configure_logging()
                log.error("invalid configuration", extra=log_fields(detail=exc.description))
                return error_response(exc)
            configure_logging(settings.log_level)
            with bound_request(request_context(request.headers, settings.gcp_project)):
                return _respond(request, handler, settings, allowed, cors)

        return run

    return wrap


def _respond(
    request: flask.Request, handler: Handler, settings: Settings, allowed: tuple[str, ...], cors: bool
) -> flask.Response:
    extra = cors_headers(request.headers.get("Origin"), allowed, settings.frontend_origins) if cors else {}
    if cors and request.method == "OPTIONS":
        response = flask.Response(status=204)
    elif request.method not in allowed:
        response = error_response(MethodNotAllowedError(allowed=allowed))
    else:
        try:
            response = handler(request)
        except CarPulseError as exc:
            if status_for(exc) >= 500:
                log.warning("request failed", extra=log_fields(error=exc.error, detail=exc.description))
            response = error_response(exc)
        except Exception:
            log.exception("unhandled error", extra=log_fields(path=request.path))
            response = _json({"error": "internal_error", "error_description": "something went wrong on our side"}, 500)
    for key, value in extra.items():
        response.headers[key] = value
    return response
