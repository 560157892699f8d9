"""`make verify-env ENV=…`: check a deployed environment from outside and print a table.

Over HTTP (the API host; --base-url points it elsewhere, e.g. a local server in tests): the key at
the well-known URL is ours byte for byte, the OAuth callback answers a bogus state with a 302 to the
frontend carrying `#error=invalid_state`, an unknown path gets our JSON 404, port 80 redirects to
https, and internal functions refuse an anonymous call (IAM: 401/403; ingress from outside: 404).
Through gcloud (read-only describes): each function's state, ingress, account and limits; nobody
but the caller may invoke an internal one; the queue's retries; the scheduler jobs; the bucket is
private with our lifecycle and CORS; TTL policies and the certificate are ACTIVE, the composite
indexes READY. Exit 1 on any FAIL; "wait" (a certificate, TTL policy or index still being set up)
is not a failure. Stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from carpulse.gcp.indexes import COMPOSITE_INDEXES
from carpulse.http.routes import OAUTH_CALLBACK_PATH, PUBLIC_KEY_PATH
from infra.deploy import edge
from infra.deploy.environment import ENV_NAMES, ENVS_DIR, Environment, load
from infra.deploy.gcloud import CommandFailedError, Gcloud
from infra.deploy.phases import max_dispatches
from infra.deploy.provision import cors_document
from infra.deploy.retention import TTL_POLICIES, lifecycle_document

Result = Literal["ok", "FAIL", "wait"]
INGRESS = {"public": "ALLOW_INTERNAL_AND_GCLB", "internal": "ALLOW_INTERNAL_ONLY"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One row of the table."""

    name: str
    result: Result
    detail: str


@dataclass(frozen=True, kw_only=True)
class Answer:
    """An HTTP answer, redirects not followed."""

    status: int
    headers: dict[str, str]
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, method: str = "GET") -> Answer:
    """One request, no redirects followed, errors as answers."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)  # noqa: S310
    if method == "POST":
        request.add_header("Content-Type", "application/json")
    try:
        with opener.open(request, timeout=20) as response:
            return Answer(status=response.status, headers=dict(response.headers), body=response.read())
    except urllib.error.HTTPError as exc:
        return Answer(status=exc.code, headers=dict(exc.headers), body=exc.read())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def http_checks(env: Environment, base: str, functions_base: str) -> Iterator[Check]:
    """What a browser, Tesla and an attacker see."""
    expected = env.public_key_file.read_bytes() if env.public_key_file.is_file() else b""
    key = fetch(base + PUBLIC_KEY_PATH)
    same = key.status == 200 and bool(expected) and key.body == expected
    yield Check(
        name="public key at the well-known URL is ours",
        result="ok" if same else "FAIL",
        detail=f"{key.status}, sha256 {_sha(key.body)} vs {env.public_key_file.name} {_sha(expected) or 'missing'}",
    )
    callback = fetch(base + OAUTH_CALLBACK_PATH + "?state=bogus")
    location = callback.headers.get("Location", "")
    fragment = parse_qs(urlsplit(location).fragment)
    redirected = callback.status == 302 and location.startswith(env.frontend_url)
    yield Check(
        name="callback with a bogus state → frontend #error=invalid_state",
        result="ok" if redirected and fragment.get("error") == ["invalid_state"] else "FAIL",
        detail=f"{callback.status} {location[:90] or '(no Location)'}",
    )
    unknown = fetch(base + "/no-such-path")
    try:
        envelope = json.loads(unknown.body).get("error")
    except (ValueError, AttributeError):
        envelope = None
    yield Check(
        name="unknown path → JSON 404 in our envelope",
        result="ok" if unknown.status == 404 and envelope else "FAIL",
        detail=f"{unknown.status} error={envelope}",
    )
    if base.startswith("https://"):
        plain = fetch("http://" + base.removeprefix("https://") + "/")
        upgrade = plain.headers.get("Location", "")
        yield Check(
            name="http → https redirect",
            result="ok" if plain.status in (301, 308) and upgrade.startswith("https://") else "FAIL",
            detail=f"{plain.status} {upgrade[:60]}",
        )
    for row in env.specs:
        if row.access != "internal":
            continue
        answer = fetch(f"{functions_base}/{env.function_name(row)}", method="POST")
        how = {401: "IAM", 403: "IAM", 404: "ingress"}.get(answer.status)
        yield Check(
            name=f"{row.name} refuses an anonymous call",
            result="ok" if how else "FAIL",
            detail=f"{answer.status}" + (f" (refused by {how})" if how else " (accepted!)"),
        )


def _describe(gcloud: Gcloud, *command: str) -> Any:
    return json.loads(gcloud.read((*command, "--format=json")) or "null")


def _row(name: str, problems: list[str], ok_detail: str) -> Check:
    return Check(name=name, result="FAIL" if problems else "ok", detail="; ".join(problems) or ok_detail)


def _function_check(env: Environment, gcloud: Gcloud, row: Any) -> Check:
    p, region = f"--project={env.project}", f"--region={env.region}"
    described = _describe(gcloud, "functions", "describe", env.function_name(row), region, p)
    config = described.get("serviceConfig", {})
    wanted = {
        "state": (described.get("state"), "ACTIVE"),
        "ingress": (config.get("ingressSettings"), INGRESS[row.access]),
        "account": (config.get("serviceAccountEmail"), env.function_account(row)),
        "max instances": (config.get("maxInstanceCount"), row.max_instances),
        "concurrency": (config.get("maxInstanceRequestConcurrency"), row.concurrency),
    }
    problems = [f"{what} {got} ≠ {want}" for what, (got, want) in wanted.items() if got != want]
    if row.access == "internal" and row.caller:
        policy = _describe(gcloud, "run", "services", "get-iam-policy", env.function_name(row), region, p)
        invokers = {m for b in policy.get("bindings", []) if b.get("role") == "roles/run.invoker" for m in b["members"]}
        if invokers & PUBLIC_MEMBERS:
            problems.append(f"public invokers {sorted(invokers & PUBLIC_MEMBERS)}")
        if f"serviceAccount:{env.caller_account(row.caller)}" not in invokers:
            problems.append(f"the {row.caller} identity may not invoke it")
    return _row(f"function {row.name}", problems, f"ACTIVE, {INGRESS[row.access]}, max {row.max_instances}")


def _queue_check(env: Environment, gcloud: Gcloud) -> Check:
    queue = _describe(
        gcloud, "tasks", "queues", "describe", env.queue, f"--location={env.region}", f"--project={env.project}"
    )
    dispatches = max_dispatches(env)
    wanted = {
        "state": (queue.get("state"), "RUNNING"),
        "max attempts": (queue.get("retryConfig", {}).get("maxAttempts"), env.task_max_attempts),
        "concurrent dispatches": (queue.get("rateLimits", {}).get("maxConcurrentDispatches"), dispatches),
    }
    problems = [f"{what} {got} ≠ {want}" for what, (got, want) in wanted.items() if got != want]
    return _row(f"queue {env.queue}", problems, f"RUNNING, {env.task_max_attempts} attempts (TASK_MAX_ATTEMPTS)")


def _job_check(env: Environment, gcloud: Gcloud, row: Any) -> Check:
    job = env.function_name(row)
    described = _describe(
        gcloud, "scheduler", "jobs", "describe", job, f"--location={env.region}", f"--project={env.project}"
    )
    target = described.get("httpTarget", {})
    wanted = {
        "state": (described.get("state"), "ENABLED"),
        "schedule": (described.get("schedule"), row.schedule),
        "uri": (target.get("uri"), env.function_url(row)),
        "identity": (target.get("oidcToken", {}).get("serviceAccountEmail"), env.caller_account("scheduler")),
    }
    problems = [f"{what} {got} ≠ {want}" for what, (got, want) in wanted.items() if got != want]
    return _row(f"scheduler job {job}", problems, f"ENABLED, {row.schedule}")


def _canonical(items: Any) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items or [])


def _bucket_check(env: Environment, gcloud: Gcloud) -> Check:
    bucket, p = f"gs://{env.bucket}", f"--project={env.project}"
    described = _describe(gcloud, "storage", "buckets", "describe", bucket, p, "--raw")
    iam = described.get("iamConfiguration", {})
    problems = []
    if iam.get("publicAccessPrevention") != "enforced":
        problems.append(f"public access prevention {iam.get('publicAccessPrevention')}")
    if not iam.get("uniformBucketLevelAccess", {}).get("enabled"):
        problems.append("no uniform bucket-level access")
    if _canonical(described.get("lifecycle", {}).get("rule")) != _canonical(lifecycle_document()["rule"]):
        problems.append("lifecycle rules differ from infra/deploy/retention.py")
    if _canonical(described.get("cors")) != _canonical(cors_document(env)):
        problems.append("CORS differs from the frontend origins")
    policy = _describe(gcloud, "storage", "buckets", "get-iam-policy", bucket, p)
    public = {m for b in policy.get("bindings", []) for m in b.get("members", [])} & PUBLIC_MEMBERS
    if public:
        problems.append(f"readable by {sorted(public)}")
    return _row(f"bucket {bucket}", problems, "private, uniform access, lifecycle and CORS as provisioned")


def _ttl_checks(env: Environment, gcloud: Gcloud) -> Iterator[Check]:
    fields = _describe(gcloud, "firestore", "fields", "ttls", "list", f"--project={env.project}") or []
    states = {f["name"].split("/collectionGroups/")[-1]: f.get("ttlConfig", {}).get("state") for f in fields}
    for policy in TTL_POLICIES:
        state = states.get(f"{policy.collection_group}/fields/{policy.field}")
        result: Result = "ok" if state == "ACTIVE" else "wait" if state == "CREATING" else "FAIL"
        yield Check(name=f"TTL policy {policy.collection_group}.{policy.field}", result=result, detail=str(state))


def _index_checks(env: Environment, gcloud: Gcloud) -> Iterator[Check]:
    listed = _describe(gcloud, "firestore", "indexes", "composite", "list", f"--project={env.project}") or []
    for index in COMPOSITE_INDEXES:
        wanted = [{"fieldPath": path, "order": order.upper()} for path, order in index.fields]
        states = [
            found.get("state")
            for found in listed
            if f"/collectionGroups/{index.collection_group}/" in found.get("name", "")
            and [{"fieldPath": f.get("fieldPath"), "order": f.get("order")} for f in found.get("fields", [])][
                : len(wanted)
            ]
            == wanted
        ]
        state = "READY" if "READY" in states else states[0] if states else "missing"
        result: Result = "ok" if state == "READY" else "wait" if state == "CREATING" else "FAIL"
        yield Check(
            name=f"Firestore index {index.collection_group}({', '.join(index.describe())})",
            result=result,
            detail=str(state),
        )


def _certificate_check(env: Environment, gcloud: Gcloud) -> Check:
    name = edge.certificate_name(env)
    described = _describe(
        gcloud, "compute", "ssl-certificates", "describe", name, "--global", f"--project={env.project}"
    )
    status = described.get("managed", {}).get("status")
    result: Result = "ok" if status == "ACTIVE" else "wait" if status == "PROVISIONING" else "FAIL"
    return Check(name=f"certificate for {env.host}", result=result, detail=str(status))


def gcloud_checks(env: Environment, gcloud: Gcloud) -> Iterator[Check]:
    """What the project holds, by read-only describes."""
    checks: list[Callable[[], Check | Iterator[Check]]] = [
        *(lambda row=row: _function_check(env, gcloud, row) for row in env.specs),
        lambda: _queue_check(env, gcloud),
        *(lambda row=row: _job_check(env, gcloud, row) for row in env.specs if row.schedule),
        lambda: _bucket_check(env, gcloud),
        lambda: _ttl_checks(env, gcloud),
        lambda: _index_checks(env, gcloud),
        lambda: _certificate_check(env, gcloud),
    ]
    for check in checks:
        try:
            outcome = check()
        except CommandFailedError as exc:
            yield Check(name="gcloud describe", result="FAIL", detail=str(exc)[:110])
            continue
        yield from [outcome] if isinstance(outcome, Check) else outcome


def table(checks: list[Check]) -> str:
    """The checks as an aligned text table."""
    width = max(len(check.name) for check in checks)
    lines = [f"{'check':<{width}}  result  detail"]
    lines += [f"{check.name:<{width}}  {check.result:<6}  {check.detail}" for check in checks]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: 0 unless a check failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, choices=ENV_NAMES)
    parser.add_argument("--base-url", help="instead of https://<API host> (e.g. a local server)")
    parser.add_argument("--functions-url", help="instead of https://<region>-<project>.cloudfunctions.net")
    parser.add_argument("--keys-dir", type=Path, default=ENVS_DIR, help="where <env>.public-key.pem is")
    args = parser.parse_args(argv)
    env = load(args.env, args.keys_dir)
    base = (args.base_url or f"https://{env.host}").rstrip("/")
    functions_base = (args.functions_url or f"https://{env.region}-{env.project}.cloudfunctions.net").rstrip("/")
    checks = [*http_checks(env, base, functions_base), *gcloud_checks(env, Gcloud(dry_run=False, out=sys.stderr))]
    print(table(checks))
    failed = [check for check in checks if check.result == "FAIL"]
    print(
        f"\n{len(checks) - len(failed)} of {len(checks)} checks passed" + (f", {len(failed)} failed" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
