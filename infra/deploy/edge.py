"""The one API host: a global external Application Load Balancer in front of the public functions.

    static IP ─ forwarding rule :443 ─ HTTPS proxy (Google-managed certificate) ─ URL map
    static IP ─ forwarding rule :80  ─ HTTP proxy ─ redirect map (301 to https)
    URL map: the path table of carpulse.http.routes ─ backend service per public function ─
             serverless NEG ─ Cloud Run service of the gen2 function

The URL map is generated from ROUTES and DEFAULT_FUNCTION, never written by hand; the default
service (also for unknown hosts) answers our JSON 404. The address and the certificate belong to
the base phase: DNS must point at the address before Google can issue the certificate.
"""

from __future__ import annotations

import json
from pathlib import Path

from carpulse.http.routes import DEFAULT_FUNCTION, ROUTES
from infra.deploy.access import project_flag
from infra.deploy.environment import Environment
from infra.deploy.gcloud import Apply, Ensure, Step

COMPUTE = "https://www.googleapis.com/compute/v1"
SCHEME = "--load-balancing-scheme=EXTERNAL_MANAGED"  # the global external Application Load Balancer


def _dashed(name: str) -> str:
    return name.replace("_", "-")


def address_name(env: Environment) -> str:
    """The global static IP of the API host."""
    return f"{env.prefix()}-api-ip"


def certificate_name(env: Environment) -> str:
    """The managed certificate, named after its host: a new host gets a new certificate."""
    return f"{env.prefix()}-cert-{env.host.replace('.', '-')}"


def neg_name(env: Environment, function: str) -> str:
    """The serverless NEG of one public function."""
    return f"{env.prefix()}-neg-{_dashed(function)}"


def backend_name(env: Environment, function: str) -> str:
    """The backend service of one public function."""
    return f"{env.prefix()}-be-{_dashed(function)}"


def url_map_name(env: Environment) -> str:
    """The URL map of the API host."""
    return f"{env.prefix()}-api"


def redirect_map_name(env: Environment) -> str:
    """The URL map of port 80: redirect everything to https."""
    return f"{env.prefix()}-api-redirect"


def public_function_names(env: Environment) -> tuple[str, ...]:
    """Every public function of the registry (each gets a NEG and a backend)."""
    return tuple(row.name for row in env.specs if row.access == "public")


def _backend_url(env: Environment, function: str) -> str:
    if env.spec(function).access != "public":
        raise ValueError(f"{function} is not public: it cannot be behind the balancer")
    return f"{COMPUTE}/projects/{env.project}/global/backendServices/{backend_name(env, function)}"


def url_map(env: Environment) -> dict[str, object]:
    """The URL map resource (for `url-maps import`), one path rule per row of the path table."""
    default = _backend_url(env, DEFAULT_FUNCTION)
    return {
        "name": url_map_name(env),
        "defaultService": default,
        "hostRules": [{"hosts": [env.host], "pathMatcher": "api"}],
        "pathMatchers": [
            {
                "name": "api",
                "defaultService": default,
                "pathRules": [
                    {"paths": list(route.paths), "service": _backend_url(env, route.function)} for route in ROUTES
                ],
            }
        ],
    }


def redirect_map(env: Environment) -> dict[str, object]:
    """Port 80's URL map: a permanent redirect to the same URL on https."""
    return {
        "name": redirect_map_name(env),
        "defaultUrlRedirect": {"httpsRedirect": True, "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT"},
    }


def route_summary() -> str:
    """The path table as the URL map routes it, one line per row (for the log)."""
    lines = [f"  {', '.join(route.paths)} → {route.function}" for route in ROUTES]
    return "\n".join([*lines, f"  anything else → {DEFAULT_FUNCTION} (JSON 404)"])


def write_maps(env: Environment, out_dir: Path) -> tuple[Path, Path]:
    """Write both URL maps (JSON, which gcloud reads as YAML); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    api, redirect = out_dir / "url-map.json", out_dir / "url-map-redirect.json"
    api.write_text(json.dumps(url_map(env), indent=2) + "\n")
    redirect.write_text(json.dumps(redirect_map(env), indent=2) + "\n")
    return api, redirect


def describe(kind: str, name: str, env: Environment, *location: str) -> tuple[str, ...]:
    return ("compute", kind, "describe", name, *location, project_flag(env))


def front_steps(env: Environment) -> list[Step]:
    """Base phase: the static IP and the certificate (point DNS at the IP, then wait for ACTIVE)."""
    p, ip, cert = project_flag(env), address_name(env), certificate_name(env)
    return [
        Ensure(
            what=f"global static IP {ip} (DNS: {env.host} A → this address)",
            probe=describe("addresses", ip, env, "--global"),
            create=(
                ("compute", "addresses", "create", ip, "--global", "--ip-version=IPV4", "--network-tier=PREMIUM", p),
            ),
        ),
        Ensure(
            what=f"Google-managed certificate for {env.host}",
            probe=describe("ssl-certificates", cert, env, "--global"),
            create=(("compute", "ssl-certificates", "create", cert, f"--domains={env.host}", "--global", p),),
        ),
    ]


def backend_steps(env: Environment) -> list[Step]:
    """Wire phase: NEG → backend service → attachment, per public function (after its deploy)."""
    p, region = project_flag(env), f"--region={env.region}"
    steps: list[Step] = []
    for function in public_function_names(env):
        neg, backend = neg_name(env, function), backend_name(env, function)
        steps += [
            Ensure(
                what=f"serverless NEG {neg} → {env.function_name(env.spec(function))}",
                probe=describe("network-endpoint-groups", neg, env, region),
                create=(
                    (
                        "compute",
                        "network-endpoint-groups",
                        "create",
                        neg,
                        region,
                        "--network-endpoint-type=serverless",
                        f"--cloud-run-service={env.function_name(env.spec(function))}",
                        p,
                    ),
                ),
            ),
            # No request logging: paths carry VINs (/api/v1/vehicles/…), and logs never hold a full VIN.
            Ensure(
                what=f"backend service {backend}",
                probe=describe("backend-services", backend, env, "--global"),
                create=(("compute", "backend-services", "create", backend, "--global", SCHEME, p),),
            ),
            Ensure(
                what=f"backend service {backend} serves NEG {neg}",
                probe=(*describe("backend-services", backend, env, "--global"), "--format=value(backends[].group)"),
                wanted=neg,
                create=(
                    (
                        "compute",
                        "backend-services",
                        "add-backend",
                        backend,
                        "--global",
                        f"--network-endpoint-group={neg}",
                        f"--network-endpoint-group-region={env.region}",
                        p,
                    ),
                ),
            ),
        ]
    return steps


def routing_steps(env: Environment, api_map: Path, redirect: Path) -> list[Step]:
    """Wire phase: URL maps (import = create or replace), proxies, forwarding rules on the IP."""
    p, ip, cert = project_flag(env), address_name(env), certificate_name(env)
    https_proxy, http_proxy = f"{env.prefix()}-api-https", f"{env.prefix()}-api-http"
    https_rule, http_rule = f"{env.prefix()}-api-https-rule", f"{env.prefix()}-api-http-rule"
    rule_flags = ("--global", SCHEME, "--network-tier=PREMIUM", f"--address={ip}")
    return [
        Apply(
            what=f"URL map {url_map_name(env)} from the path table ({api_map}):\n" + route_summary(),
            command=("compute", "url-maps", "import", url_map_name(env), f"--source={api_map}", "--global", p),
        ),
        Ensure(
            what=f"target HTTPS proxy {https_proxy} (certificate {cert})",
            probe=describe("target-https-proxies", https_proxy, env, "--global"),
            create=(
                (
                    "compute",
                    "target-https-proxies",
                    "create",
                    https_proxy,
                    f"--url-map={url_map_name(env)}",
                    f"--ssl-certificates={cert}",
                    "--global",
                    p,
                ),
            ),
            update=(
                (
                    "compute",
                    "target-https-proxies",
                    "update",
                    https_proxy,
                    f"--url-map={url_map_name(env)}",
                    f"--ssl-certificates={cert}",
                    "--global",
                    p,
                ),
            ),
        ),
        Ensure(
            what=f"forwarding rule {https_rule}: {ip}:443 → {https_proxy}",
            probe=describe("forwarding-rules", https_rule, env, "--global"),
            create=(
                (
                    "compute",
                    "forwarding-rules",
                    "create",
                    https_rule,
                    *rule_flags,
                    f"--target-https-proxy={https_proxy}",
                    "--ports=443",
                    p,
                ),
            ),
        ),
        Apply(
            what=f"URL map {redirect_map_name(env)}: http → https",
            command=("compute", "url-maps", "import", redirect_map_name(env), f"--source={redirect}", "--global", p),
        ),
        Ensure(
            what=f"target HTTP proxy {http_proxy}",
            probe=describe("target-http-proxies", http_proxy, env, "--global"),
            create=(
                (
                    "compute",
                    "target-http-proxies",
                    "create",
                    http_proxy,
                    f"--url-map={redirect_map_name(env)}",
                    "--global",
                    p,
                ),
            ),
        ),
        Ensure(
            what=f"forwarding rule {http_rule}: {ip}:80 → redirect",
            probe=describe("forwarding-rules", http_rule, env, "--global"),
            create=(
                (
                    "compute",
                    "forwarding-rules",
                    "create",
                    http_rule,
                    *rule_flags,
                    f"--target-http-proxy={http_proxy}",
                    "--ports=80",
                    p,
                ),
            ),
        ),
    ]
