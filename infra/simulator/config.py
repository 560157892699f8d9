"""Simulator configuration: one pydantic model shared by the CLI, the server and the tests."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SCENARIO = Path(__file__).resolve().parent / "scenarios" / "default"


class SimulatorConfig(BaseModel):
    """Everything the simulator needs to start; the CLI flags map onto these fields one to one."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    scenario: Path = DEFAULT_SCENARIO
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    cn_client_id: str = Field(default="", description="application at the China auth server (/cn); empty: none")
    cn_client_secret: str = ""
    access_token_ttl: int = Field(default=28800, ge=1, description="seconds, Tesla's is ~8 h")
    refresh_token_ttl: int = Field(default=90 * 24 * 3600, ge=1, description="seconds, Tesla's is ~3 months")
    auth_code_ttl: int = Field(default=600, ge=1, description="seconds an authorization code stays valid")
    wake_seconds: float = Field(default=2.0, ge=0, description="asleep -> online delay after wake_up")
    redirect_uris: tuple[str, ...] = Field(
        default=(), description="allowed redirect URIs; empty allows any (local stacks use random ports)"
    )
    require_partner_registration: bool = Field(
        default=False, description="answer 412 in a region until POST /api/1/partner_accounts succeeded there"
    )
    log_capacity: int = Field(default=50_000, ge=1, description="request log entries kept (oldest dropped)")
