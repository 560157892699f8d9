"""A small path router for functions that serve several endpoints (the reports API).

Patterns name their parameters (`/api/v1/reports/{report_id}`); a parameter matches one path
segment. A path that exists with another method is a 405 with `Allow`; anything else is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import flask

from carpulse.errors import MethodNotAllowedError, NotFoundError

Handler = Callable[..., flask.Response]
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One method on one path pattern, and the function that answers it."""

    method: str
    pattern: str
    handler: Handler
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        escaped = _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", self.pattern)
        object.__setattr__(self, "regex", re.compile(f"^{escaped}$"))


class Router:
    """Dispatches a request to the endpoint whose pattern and method match."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self._endpoints = tuple(endpoints)

    @property
    def methods(self) -> tuple[str, ...]:
        """Every method some endpoint answers (for CORS preflights)."""
        return tuple(dict.fromkeys(e.method for e in self._endpoints))

    def dispatch(self, request: flask.Request) -> flask.Response:
        """Call the matching handler with the path parameters as keyword arguments."""
        path = request.path.rstrip("/") or "/"
        allowed: list[str] = []
        for endpoint in self._endpoints:
            match = endpoint.regex.match(path)
            if match is None:
                continue
            if endpoint.method == request.method:
                return endpoint.handler(request, **match.groupdict())
            allowed.append(endpoint.method)
        if allowed:
            raise MethodNotAllowedError(f"use {' or '.join(allowed)} on this path", allowed=tuple(allowed))
        raise NotFoundError("no such endpoint; see docs/openapi.yaml")
