"""Entry-point helpers: JSON envelope, body parsing, bearer tokens, CORS, error mapping."""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError

from carpulse.config import get_settings
from carpulse.crypto import constant_time_equals
from carpulse.errors import (
    CarPulseError,
    InvalidRequestError,
    NotAcceptableError,
    NotAuthenticatedError,
)
from carpulse.http.errors import error_body, retry_after_of, status_for
from carpulse.logs import configure_logging, log_fields

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
Handler = Callable[[flask.Request], flask.Response]


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
    """An error response in our envelope with the mapped status."""
    headers = {}
    retry_after = retry_after_of(exc)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return _json(error_body(exc), status_for(exc), headers)


def parse_json(request: flask.Request, model: type[M]) -> M:
    """The JSON body as `model`: 406 without a JSON content type, 422 with field messages."""
    if request.mimetype != "application/json":
        raise NotAcceptableError("Content-Type must be application/json")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidRequestError("the body is not valid JSON", messages={"body": ["is not valid JSON"]}) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError("the request has invalid fields", messages=field_messages(exc)) from exc


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


def require_internal_caller(request: flask.Request) -> None:
    """Only Cloud Tasks / Cloud Scheduler may call internal endpoints.

    In the cloud the platform checks their OIDC identity (the functions do not allow
    unauthenticated calls), so there is nothing left to check here. The local stack has no IAM:
    there the emulators present a shared token instead.
    """
    expected = get_settings().internal_auth_token
    if not expected:
        return
    presented = bearer_token(request) or ""
    if not constant_time_equals(presented, expected):
        raise NotAuthenticatedError("internal endpoint: caller is not Cloud Tasks or Cloud Scheduler")


def _cors_headers(request: flask.Request, methods: Iterable[str]) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if not origin or origin not in get_settings().frontend_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "3600",
        "Vary": "Origin",
    }


def endpoint(*, methods: Iterable[str], cors: bool = False) -> Callable[[Handler], Handler]:
    """Wrap an entry point: CORS, method check, and every error turned into our envelope."""
    allowed = tuple(methods)

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(request: flask.Request) -> flask.Response:
            configure_logging()
            extra = _cors_headers(request, allowed) if cors else {}
            if cors and request.method == "OPTIONS":
                response = flask.Response(status=204)
            elif request.method not in allowed:
                from carpulse.errors import MethodNotAllowedError

                response = error_response(MethodNotAllowedError(f"use {' or '.join(allowed)}"))
                response.headers["Allow"] = ", ".join(allowed)
            else:
                try:
                    response = handler(request)
                except CarPulseError as exc:
                    if status_for(exc) >= 500:
                        log.warning("request failed", extra=log_fields(error=exc.error, detail=exc.description))
                    response = error_response(exc)
                except Exception:
                    log.exception("unhandled error", extra=log_fields(path=request.path))
                    response = _json(
                        {"error": "internal_error", "error_description": "something went wrong on our side"}, 500
                    )
            for key, value in extra.items():
                response.headers[key] = value
            return response

        return run

    return wrap
