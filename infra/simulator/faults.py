"""Fault injection: make matching requests fail with a status, a delay or a dropped connection."""

from __future__ import annotations

import random
import re
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Default error enums for injected statuses, close to what Tesla sends for each.
_DEFAULT_ERRORS: dict[int, str] = {
    400: "invalid_request",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    408: "vehicle unavailable: vehicle is offline or asleep",
    412: "Account must be registered in the current region",
    421: "user_out_of_region",
    422: "invalid_resource",
    429: "rate_limited",
    451: "unavailable_for_legal_reasons",
    500: "internal_error",
    503: "service_unavailable",
    504: "gateway_timeout",
    540: "device_unexpected_response",
}
# Tesla sends these without a body.
_EMPTY_BODY_STATUSES = {401, 423}


class FaultSpec(BaseModel):
    """Body of POST /_sim/faults."""

    model_config = ConfigDict(extra="forbid")

    path_pattern: str = Field(description="regex searched in the request path (no query string)")
    method: str | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    count: int = Field(default=1, ge=1)
    retry_after: int | None = Field(default=None, ge=0)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    drop_connection: bool = False
    # Apply latency / the dropped connection after the request was handled: the token endpoint
    # rotates the tokens, then its answer is slow or never arrives (an outcome the caller cannot know).
    after_handler: bool = False
    probability: float = Field(default=1.0, gt=0, le=1, description="chance a matching request fires the fault")
    seed: int = 0  # probabilistic faults fire the same way in every run
    body: Any = None

    @field_validator("path_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:  # re.error is not a ValueError, so pydantic would not catch it
            raise ValueError(f"invalid regex: {exc}") from exc
        return value

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    def error_body(self) -> Any:
        """The body to send: the given one, none for 401/423, else a Tesla-style error object."""
        if self.body is not None:
            return self.body
        if self.status is None or self.status in _EMPTY_BODY_STATUSES:
            return None
        error = _DEFAULT_ERRORS.get(self.status, "injected_fault")
        return {"response": None, "error": error, "error_description": "injected by the simulator"}


class Fault(BaseModel):
    """A registered fault and how many more times it fires."""

    id: int
    spec: FaultSpec
    remaining: int
    fired: int = 0


class FaultBook:
    """Registered faults; the first (oldest) matching fault with shots left fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._dice: dict[int, random.Random] = {}

    def add(self, spec: FaultSpec) -> Fault:
        """Register a fault."""
        with self._lock:
            fault = Fault(id=self._next_id, spec=spec, remaining=spec.count)
            self._dice[fault.id] = random.Random(spec.seed)
            self._next_id += 1
            self._faults.append(fault)
            return fault.model_copy()

    def take(self, method: str, path: str) -> FaultSpec | None:
        """Consume one shot of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                spec = fault.spec
                if fault.remaining <= 0 or (spec.method and spec.method != method.upper()):
                    continue
                if re.search(spec.path_pattern, path):
                    if spec.probability < 1 and self._dice[fault.id].random() >= spec.probability:
                        continue
                    fault.remaining -= 1
                    fault.fired += 1
                    return spec
        return None

    def list(self) -> list[Fault]:
        """Snapshot of all faults, spent ones included (so tests can read `fired`)."""
        with self._lock:
            return [f.model_copy() for f in self._faults]

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()
            self._dice.clear()
