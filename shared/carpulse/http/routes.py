"""The production path table: which function answers which path on the one API host.

This is the only copy. The load balancer's URL map is generated from it (infra/deploy), the local
gateway routes with it (infra/local/gateway.py), and the functions answer on these same paths.

Patterns follow URL-map path rules: an exact path, or a prefix ending in `/*` that matches
everything below it (but not the prefix itself, so both are listed where both exist).
Every other path goes to DEFAULT_FUNCTION, which answers a JSON 404 in our envelope.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v1"
PUBLIC_KEY_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
OAUTH_INITIATE_PATH = f"{API_PREFIX}/tesla/oauth/initiate"
OAUTH_CALLBACK_PATH = f"{API_PREFIX}/tesla/oauth/callback"  # the redirect URI registered at Tesla
VERIFY_PAGE_PREFIX = "/verify"  # /verify/{check id}: the page a report's QR code opens
VERIFY_API_PATH = f"{API_PREFIX}/verify"  # POST a PDF: is it one of ours, unchanged?
REPORT_CA_PATH = "/.well-known/carpulse-report-ca.pem"  # our report CA, to validate signatures


@dataclass(frozen=True, kw_only=True)
class Route:
    """One row of the path table: URL-map path patterns served by one public function."""

    function: str
    paths: tuple[str, ...]


ROUTES: tuple[Route, ...] = (
    Route(function="public_key", paths=(PUBLIC_KEY_PATH,)),
    Route(function="oauth_initiate", paths=(OAUTH_INITIATE_PATH,)),
    Route(function="oauth_callback", paths=(OAUTH_CALLBACK_PATH,)),
    Route(function="verify", paths=(f"{VERIFY_PAGE_PREFIX}/*", VERIFY_API_PATH, REPORT_CA_PATH)),
    Route(
        function="reports",
        paths=(
            f"{API_PREFIX}/session",
            f"{API_PREFIX}/vehicles",
            f"{API_PREFIX}/reports",
            f"{API_PREFIX}/reports/*",
            f"{API_PREFIX}/account",
            f"{API_PREFIX}/account/*",
        ),
    ),
)

# The smallest public function: for any path but its own it answers our JSON 404.
DEFAULT_FUNCTION = "public_key"


def path_matches(pattern: str, path: str) -> bool:
    """URL-map semantics: exact match, or `prefix/*` matching anything strictly below prefix/."""
    if pattern.endswith("/*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def function_for(path: str) -> str:
    """The function that answers `path` on the API host (the default for unknown paths)."""
    for route in ROUTES:
        if any(path_matches(pattern, path) for pattern in route.paths):
            return route.function
    return DEFAULT_FUNCTION


def public_functions() -> tuple[str, ...]:
    """Every function reachable through the API host, in table order."""
    names = [route.function for route in ROUTES]
    if DEFAULT_FUNCTION not in names:
        names.append(DEFAULT_FUNCTION)
    return tuple(dict.fromkeys(names))
