"""The path table: URL-map matching semantics and the functions it names."""

from __future__ import annotations

import pytest

from carpulse.http import routes
from infra.functions import FUNCTION_SPECS, spec


@pytest.mark.parametrize(
    ("path", "function"),
    [
        ("/.well-known/appspecific/com.tesla.3p.public-key.pem", "public_key"),
        ("/api/v1/tesla/oauth/initiate", "oauth_initiate"),
        ("/api/v1/tesla/oauth/callback", "oauth_callback"),
        ("/api/v1/session", "reports"),
        ("/api/v1/vehicles", "reports"),
        ("/api/v1/reports", "reports"),
        ("/api/v1/reports/0123456789abcdef0123456789abcdef", "reports"),
        ("/api/v1/account", "reports"),
        ("/api/v1/tesla/oauth/callbackx", routes.DEFAULT_FUNCTION),
        ("/api/v1/reportsx", routes.DEFAULT_FUNCTION),
        ("/", routes.DEFAULT_FUNCTION),
        ("/reports", routes.DEFAULT_FUNCTION),  # the pre-gateway paths are gone
    ],
)
def test_function_for_path(path, function):
    assert routes.function_for(path) == function


def test_prefix_pattern_does_not_match_the_bare_prefix():
    assert routes.path_matches("/api/v1/reports/*", "/api/v1/reports/abc")
    assert not routes.path_matches("/api/v1/reports/*", "/api/v1/reports")
    assert not routes.path_matches("/api/v1/reports/*", "/api/v1/reportsabc")


def test_every_routed_function_is_a_public_function():
    for name in routes.public_functions():
        assert spec(name).access == "public"
    internal = {row.name for row in FUNCTION_SPECS if row.access == "internal"}
    assert internal.isdisjoint(routes.public_functions())


def test_patterns_are_valid_url_map_paths():
    for route in routes.ROUTES:
        for pattern in route.paths:
            assert pattern.startswith("/")
            assert "*" not in pattern[:-1], "a URL map allows * only as the last character after /"
            assert not pattern.endswith("*") or pattern.endswith("/*")
