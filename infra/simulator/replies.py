"""Response helpers in Tesla's envelope: {"response": ...} or {"response": null, "error": ..., ...}."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app


def ok(payload: Any, status: int = 200, **extra: Any) -> Response:
    """A success body {"response": payload, **extra}."""
    return json_body({"response": payload, **extra}, status)


def error(status: int, code: str, description: str = "", **extra: Any) -> Response:
    """An error body with Tesla's `error` enum and `error_description`."""
    return json_body({"response": None, "error": code, "error_description": description, **extra}, status)


def empty(status: int) -> Response:
    """A response without a body (Tesla's 401 for an expired or unknown token)."""
    return Response(b"", status=status)


def json_body(body: Any, status: int = 200) -> Response:
    """Serialise any JSON value with the app's JSON settings (key order kept, UTF-8)."""
    # The JSON provider builds `current_app.response_class` (Flask's Response) but its signature
    # names werkzeug's sans-IO base class.
    response = cast(Response, current_app.json.response(body))
    response.status_code = status
    return response
