"""Tesla's regions and auth servers, as Tesla documents them (developer.tesla.com, "Base URLs by
Region"): North America and Asia-Pacific, and Europe, Middle East and Africa share auth.tesla.com
and one developer application; China has its own Fleet API host (`.cn`), its own auth server and a
separate application registered at developer.tesla.cn.
"""

from __future__ import annotations

from dataclasses import dataclass

GLOBAL_REALM = "global"
CN_REALM = "cn"


@dataclass(frozen=True, kw_only=True)
class FleetRegion:
    """One Fleet API region: its base URL and the auth realm its tokens come from."""

    code: str
    fleet_api_base_url: str
    auth_realm: str


@dataclass(frozen=True, kw_only=True)
class AuthRealm:
    """One Tesla auth server with the developer application we registered there."""

    name: str
    auth_base_url: str
    client_id: str
    client_secret_name: str  # in Secret Manager
    default_region: str  # audience of the code exchange, before users/region has answered


DEFAULT_FLEET_BASE_URLS: dict[str, str] = {
    "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
    "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
}
REALM_OF_REGION: dict[str, str] = {"na": GLOBAL_REALM, "eu": GLOBAL_REALM, "cn": CN_REALM}
DEFAULT_AUTH_BASE_URLS: dict[str, str] = {GLOBAL_REALM: "https://auth.tesla.com", CN_REALM: "https://auth.tesla.cn"}


def realm_of(region: str) -> str:
    """The auth realm of a Fleet API region (unknown regions belong to the global realm)."""
    return REALM_OF_REGION.get(region, GLOBAL_REALM)
