"""The load balancer: the dry-run URL map routes exactly the path table (carpulse.http.routes),
unknown paths and hosts go to the JSON-404 default, and a new scheduled row (like the sweeper) gets
its account, internal ingress, invoker binding and scheduler job without any other change."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from carpulse.http import routes
from infra.deploy import phases
from infra.deploy.edge import backend_name
from infra.deploy.environment import load
from infra.deploy.gcloud import Apply, Ensure
from infra.deploy.provision import write_files
from infra.functions import FUNCTION_SPECS, FunctionSpec

ENV = load("dev")
UNKNOWN = ("/", "/reports", "/api/v1", "/api/v1/reportsx", "/api/v1/tesla/oauth/callbackx", "/.well-known/x")


def _service_for(url_map: dict, host: str, path: str) -> str:
    """URL-map semantics: host rule → path matcher; the longest matching path rule wins."""
    matcher = next((r["pathMatcher"] for r in url_map["hostRules"] if host in r["hosts"]), None)
    if matcher is None:
        return url_map["defaultService"]
    (paths,) = [m for m in url_map["pathMatchers"] if m["name"] == matcher]
    best, service = -1, paths["defaultService"]
    for rule in paths["pathRules"]:
        for pattern in rule["paths"]:
            if routes.path_matches(pattern, path) and len(pattern) > best:
                best, service = len(pattern), rule["service"]
    return service


def _function_of(service_url: str) -> str:
    by_backend = {backend_name(ENV, row.name): row.name for row in FUNCTION_SPECS if row.access == "public"}
    return by_backend[service_url.rsplit("/", 1)[-1]]


def test_dry_run_url_map_is_the_path_table(fake_gcloud):
    run = fake_gcloud.provision("wire", dry=True)
    assert run.returncode == 0, run.stderr
    (line,) = [c for c in run.commands() if c.startswith("gcloud compute url-maps import carpulse-dev-api ")]
    source = line.split("--source=")[1].split()[0]
    url_map = json.loads(Path(source).read_text())
    rules = url_map["pathMatchers"][0]["pathRules"]
    assert [(rule["paths"], _function_of(rule["service"])) for rule in rules] == [
        (list(route.paths), route.function) for route in routes.ROUTES
    ]
    every_pattern = [pattern for route in routes.ROUTES for pattern in route.paths]
    assert len(every_pattern) == len(set(every_pattern))
    samples = [p.replace("*", "0123abcd") for p in every_pattern] + list(UNKNOWN)
    for path in samples:
        assert _function_of(_service_for(url_map, ENV.host, path)) == routes.function_for(path), path
    # Another host (the bare IP, a stale DNS name) gets the JSON 404 too.
    assert _function_of(_service_for(url_map, "203.0.113.7", routes.OAUTH_CALLBACK_PATH)) == routes.DEFAULT_FUNCTION


def test_port_80_redirects_to_https(tmp_path):
    files = write_files(ENV, tmp_path, tmp_path / "bundles")
    redirect = json.loads(files.redirect_map.read_text())
    assert redirect["defaultUrlRedirect"] == {
        "httpsRedirect": True,
        "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
    }


# A synthetic row, so the test holds whatever rows the registry has (the sweeper's is one like it).
NEW_ROW = FunctionSpec(
    name="housekeeping",
    access="internal",
    memory="256Mi",
    cpu="0.5",
    timeout_seconds=300,
    concurrency=1,
    max_instances=1,
    grants=("firestore", "enqueue"),
    caller="scheduler",
    schedule="17 3 * * *",
)


@pytest.fixture
def with_new_row(tmp_path):
    env = dataclasses.replace(ENV, specs=(*FUNCTION_SPECS, NEW_ROW))
    return env, write_files(env, tmp_path, tmp_path / "bundles")


def _commands(steps) -> list[tuple[str, ...]]:
    out = []
    for step in steps:
        if isinstance(step, Apply):
            out.append(step.command)
        elif isinstance(step, Ensure):
            out += [*step.create, *step.update]
    return out


def test_a_new_scheduled_row_is_provisioned_scheduled_and_kept_internal(with_new_row):
    env, files = with_new_row
    base = _commands(phases.base_plan(env, files))
    assert ("iam", "service-accounts", "create", "carpulse-housekeeping") in [c[:4] for c in base]
    assert any("--role=roles/datastore.user" in c and "carpulse-housekeeping@" in " ".join(c) for c in base)
    assert not any("--role=roles/storage.objectUser" in c and "carpulse-housekeeping@" in " ".join(c) for c in base)
    (deploy,) = [c for c in _commands(phases.functions_plan(env, files)) if "carpulse-dev-housekeeping" in c]
    assert "--ingress-settings=internal-only" in deploy
    assert "--no-allow-unauthenticated" in deploy
    wire = _commands(phases.wire_plan(env, files))
    invoker = [
        c for c in wire if c[:2] == ("functions", "add-invoker-policy-binding") and "carpulse-dev-housekeeping" in c
    ]
    assert invoker == [tuple(invoker[0])]
    assert f"--member=serviceAccount:{env.caller_account('scheduler')}" in invoker[0]
    jobs = [c for c in wire if c[:2] == ("scheduler", "jobs") and "carpulse-dev-housekeeping" in c]
    assert [c[2] for c in jobs] == ["create", "update"]
    assert all(f"--schedule={NEW_ROW.schedule}" in c for c in jobs)
    assert not any("carpulse-dev-neg-housekeeping" in " ".join(c) for c in wire), "internal: never behind the balancer"
