"""Every deployed function, once: how it is reached and what it may use.

Read by the bundler, the deploy and provisioning scripts and the local stack, so a new function is
one row here (plus its entry point in functions/<name>/main.py and, when public, its paths in
shared/carpulse/http/routes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["public", "internal"]


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """Deploy-time facts of one function."""

    name: str
    access: Access  # public: only through the load balancer; internal: Cloud Tasks / Scheduler only
    memory: str
    timeout_seconds: int


FUNCTION_SPECS: tuple[FunctionSpec, ...] = (
    FunctionSpec(name="oauth_initiate", access="public", memory="256Mi", timeout_seconds=30),
    FunctionSpec(name="oauth_callback", access="public", memory="256Mi", timeout_seconds=60),
    FunctionSpec(name="public_key", access="public", memory="256Mi", timeout_seconds=10),
    FunctionSpec(name="reports", access="public", memory="512Mi", timeout_seconds=60),
    FunctionSpec(name="report_worker", access="internal", memory="1Gi", timeout_seconds=540),
    FunctionSpec(name="token_refresh", access="internal", memory="256Mi", timeout_seconds=300),
)
FUNCTIONS: tuple[str, ...] = tuple(spec.name for spec in FUNCTION_SPECS)


def spec(name: str) -> FunctionSpec:
    """The row of one function."""
    for row in FUNCTION_SPECS:
        if row.name == name:
            return row
    raise KeyError(f"unknown function {name!r}")
