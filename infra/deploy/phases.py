"""The three phases of an environment, in their one order; each refuses to start too early.

1. base      APIs, service accounts, IAM grants, Firestore + TTL policies + indexes, bucket + lifecycle +
             CORS, queue (retries follow TASK_MAX_ATTEMPTS), secrets + accessors, static IP and
             certificate                                              (`make provision ENV=…`)
2. functions every function deployed with its own account, ingress, limits and env file; refuses
             unless the base resources exist and the required secrets have values
3. wire      invoker bindings of the internal functions, scheduler jobs, balancer backends, URL
             map, proxies, forwarding rules; refuses unless every function is ACTIVE
                                                    (`make deploy ENV=…` runs phases 2 and 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carpulse.gcp.indexes import COMPOSITE_INDEXES
from infra.deploy import access, edge
from infra.deploy.access import project_flag
from infra.deploy.environment import RUNTIME, Environment, function_account_id
from infra.deploy.gcloud import Apply, Ensure, Require, Step
from infra.deploy.retention import TTL_POLICIES
from infra.functions import FunctionSpec

PHASES = ("base", "functions", "wire")
APIS = (
    "cloudfunctions",
    "run",
    "cloudbuild",
    "artifactregistry",
    "cloudtasks",
    "cloudscheduler",
    "firestore",
    "secretmanager",
    "storage",
    "iam",
    "iamcredentials",  # signBlob for signed URLs
    "compute",  # the load balancer
    "cloudkms",  # the report-signing key
)
QUEUE_BACKOFF = ("--min-backoff=5s", "--max-backoff=300s", "--max-doublings=4")


@dataclass(frozen=True, kw_only=True)
class Files:
    """The generated files the commands refer to (written for dry runs too)."""

    lifecycle: Path
    cors: Path
    url_map: Path
    redirect_map: Path
    secret_policies: dict[str, Path]
    env_files: dict[str, Path]
    bundles: Path


def max_dispatches(env: Environment) -> int:
    """Tasks in flight at once: what the worker can take (more come back as 429s that use up attempts)."""
    worker = env.worker()
    return worker.max_instances * worker.concurrency


def _queue_flags(env: Environment) -> tuple[str, ...]:
    return (
        f"--location={env.region}",
        project_flag(env),
        f"--max-attempts={env.task_max_attempts}",
        *QUEUE_BACKOFF,
        f"--max-concurrent-dispatches={max_dispatches(env)}",
    )


def base_plan(env: Environment, files: Files) -> list[Step]:
    """Phase 1: everything the functions need before they can be deployed."""
    p, bucket = project_flag(env), f"gs://{env.bucket}"
    steps: list[Step] = [
        Apply(what="APIs", command=("services", "enable", *(f"{api}.googleapis.com" for api in APIS), p)),
        *access.account_steps(env),
        *access.grant_steps(env, ("project", "tasks-account", "own-account")),
        Ensure(
            what="Firestore database (default), native mode",
            probe=("firestore", "databases", "describe", "--database=(default)", p),
            create=(
                (
                    "firestore",
                    "databases",
                    "create",
                    "--database=(default)",
                    f"--location={env.region}",
                    "--type=firestore-native",
                    p,
                ),
            ),
        ),
        *(
            Ensure(
                what=f"TTL policy {ttl.collection_group}.{ttl.field} ({ttl.what}, {ttl.lifetime})",
                probe=(
                    "firestore",
                    "fields",
                    "ttls",
                    "list",
                    f"--collection-group={ttl.collection_group}",
                    p,
                    "--format=value(name)",
                ),
                wanted=ttl.field,
                # --async: a TTL policy takes minutes to become ACTIVE; verify-env shows its state.
                create=(
                    (
                        "firestore",
                        "fields",
                        "ttls",
                        "update",
                        ttl.field,
                        f"--collection-group={ttl.collection_group}",
                        "--enable-ttl",
                        "--async",
                        p,
                    ),
                ),
            )
            for ttl in TTL_POLICIES
        ),
        *(
            Ensure(
                what=f"Firestore index {index.collection_group}({', '.join(index.describe())}) for {index.serves}",
                # An index has no name of ours: it is found by its fields (name.segment(-3) is its group).
                probe=(
                    "firestore",
                    "indexes",
                    "composite",
                    "list",
                    p,
                    "--filter=" + " AND ".join(f"fields.fieldPath:{path}" for path, _ in index.fields),
                    "--format=value(name.segment(-3))",
                ),
                wanted=index.collection_group,
                create=(
                    (
                        "firestore",
                        "indexes",
                        "composite",
                        "create",
                        f"--collection-group={index.collection_group}",
                        "--query-scope=COLLECTION",
                        *(f"--field-config=field-path={path},order={order}" for path, order in index.fields),
                        "--async",  # an index builds for minutes; verify-env is where its state shows
                        p,
                    ),
                ),
            )
            for index in COMPOSITE_INDEXES
        ),
        Ensure(
            what=f"bucket {bucket}: private, uniform access",
            probe=("storage", "buckets", "describe", bucket, p, "--format=value(name)"),
            create=(
                (
                    "storage",
                    "buckets",
                    "create",
                    bucket,
                    p,
                    f"--location={env.region}",
                    "--uniform-bucket-level-access",
                    "--public-access-prevention",
                ),
            ),
        ),
        # Disconnect must really delete: soft delete would keep the owner's objects for 7 more days.
        Apply(
            what=f"bucket {bucket}: lifecycle, CORS for the frontend, no public access, no soft delete",
            command=(
                "storage",
                "buckets",
                "update",
                bucket,
                p,
                f"--lifecycle-file={files.lifecycle}",
                f"--cors-file={files.cors}",
                "--public-access-prevention",
                "--uniform-bucket-level-access",
                "--clear-soft-delete",
            ),
        ),
        *access.signing_key_steps(env),
        *access.grant_steps(env, ("bucket", "signing-key")),
        Ensure(
            what=f"queue {env.queue} (max attempts {env.task_max_attempts} = TASK_MAX_ATTEMPTS)",
            probe=("tasks", "queues", "describe", env.queue, f"--location={env.region}", p),
            create=(("tasks", "queues", "create", env.queue, *_queue_flags(env)),),
            update=(("tasks", "queues", "update", env.queue, *_queue_flags(env)),),
        ),
        *access.secret_steps(env, files.secret_policies),
        *edge.front_steps(env),
    ]
    return steps


def base_checks(env: Environment) -> list[Step]:
    """Phase 2's preconditions: phase 1 completed (its resources describe), secrets have values."""
    p = project_flag(env)
    hint = f"run `make provision ENV={env.name}` first"
    return [
        *(
            Require(
                what=f"service account {function_account_id(row)}",
                probe=("iam", "service-accounts", "describe", env.function_account(row), p, "--format=value(email)"),
                hint=hint,
            )
            for row in env.specs
        ),
        Require(
            what=f"bucket gs://{env.bucket}",
            probe=("storage", "buckets", "describe", f"gs://{env.bucket}", p, "--format=value(name)"),
            hint=hint,
        ),
        Require(
            what=f"queue {env.queue} retries {env.task_max_attempts} times (TASK_MAX_ATTEMPTS)",
            probe=(
                "tasks",
                "queues",
                "describe",
                env.queue,
                f"--location={env.region}",
                p,
                "--format=value(retryConfig.maxAttempts)",
            ),
            wanted=str(env.task_max_attempts),
            hint=hint,
        ),
        *access.secret_value_checks(env),
    ]


def deploy_command(env: Environment, row: FunctionSpec, files: Files) -> tuple[str, ...]:
    """`gcloud functions deploy` of one function: its account, ingress, limits, env file."""
    public = row.access == "public"
    return (
        "functions",
        "deploy",
        env.function_name(row),
        f"--region={env.region}",
        project_flag(env),
        "--gen2",
        f"--runtime={RUNTIME}",
        f"--source={files.bundles / row.name}",
        f"--entry-point={row.name}",
        "--trigger-http",
        # Public: anyone may call, but only through the balancer. Internal: IAM and ingress both.
        "--allow-unauthenticated" if public else "--no-allow-unauthenticated",
        "--ingress-settings=internal-and-gclb" if public else "--ingress-settings=internal-only",
        f"--service-account={env.function_account(row)}",
        f"--memory={row.memory}",
        f"--cpu={row.cpu}",
        f"--timeout={row.timeout_seconds}s",
        f"--concurrency={row.concurrency}",
        f"--max-instances={row.max_instances}",
        f"--env-vars-file={files.env_files[row.name]}",
    )


def functions_plan(env: Environment, files: Files) -> list[Step]:
    """Phase 2: deploy every function (create or update: `deploy` is idempotent)."""
    return [
        *base_checks(env),
        *(
            Apply(what=f"function {row.name} ({row.access})", command=deploy_command(env, row, files))
            for row in env.specs
        ),
    ]


def scheduler_steps(env: Environment) -> list[Step]:
    """One Cloud Scheduler job per scheduled function, updated on every run (never left stale)."""
    steps: list[Step] = []
    for row in env.specs:
        if row.schedule is None or row.caller != "scheduler":
            continue
        job, url = env.function_name(row), env.function_url(row)
        flags = (
            f"--location={env.region}",
            project_flag(env),
            f"--schedule={row.schedule}",
            "--time-zone=Etc/UTC",
            f"--uri={url}",
            "--http-method=POST",
            f"--attempt-deadline={row.timeout_seconds}s",
            f"--oidc-service-account-email={env.caller_account('scheduler')}",
            f"--oidc-token-audience={url}",
        )
        steps.append(
            Ensure(
                what=f"scheduler job {job} ({row.schedule})",
                probe=("scheduler", "jobs", "describe", job, f"--location={env.region}", project_flag(env)),
                create=(("scheduler", "jobs", "create", "http", job, *flags),),
                update=(("scheduler", "jobs", "update", "http", job, *flags),),
            )
        )
    return steps


def wire_plan(env: Environment, files: Files) -> list[Step]:
    """Phase 3: what needs the deployed functions."""
    hint = f"run `make deploy ENV={env.name}` (phase functions) first"
    return [
        *(
            Require(
                what=f"function {env.function_name(row)} is ACTIVE",
                probe=(
                    "functions",
                    "describe",
                    env.function_name(row),
                    f"--region={env.region}",
                    project_flag(env),
                    "--format=value(state)",
                ),
                wanted="ACTIVE",
                hint=hint,
            )
            for row in env.specs
        ),
        *access.invoker_steps(env),
        *scheduler_steps(env),
        access.retire_legacy_account(env),
        *edge.backend_steps(env),
        *edge.routing_steps(env, files.url_map, files.redirect_map),
    ]


def plan(phase: str, env: Environment, files: Files) -> list[Step]:
    """The steps of one phase."""
    builders = {"base": base_plan, "functions": functions_plan, "wire": wire_plan}
    return builders[phase](env, files)
