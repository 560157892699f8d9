"""Every deployed function, once: how it is reached, what it may use, how far it may scale.

Read by the bundler, the provisioning (infra/deploy: service accounts, IAM, secrets, deploy flags,
invoker bindings, scheduler jobs, balancer backends) and the local stack, so a new function is one
row here (plus its entry point in functions/<name>/main.py and, when public, its paths in
shared/carpulse/http/routes.py). A scheduled internal function, e.g. the sweeper, is a row like

    FunctionSpec(name="sweeper", access="internal", memory="256Mi", cpu="0.5", timeout_seconds=540,
                 concurrency=1, max_instances=1, grants=("firestore", "bucket"),
                 caller="scheduler", schedule="17 3 * * *")

and gets its service account, internal ingress, invoker binding and Cloud Scheduler job from it.
Stdlib only: Cloud Build's deploy step runs on the bare Cloud SDK image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["public", "internal"]
# What a function's own service account is granted (infra/deploy/access.py maps each to IAM roles).
Grant = Literal["firestore", "bucket", "enqueue", "sign-urls", "kms-sign"]
# The only identity allowed to invoke an internal function.
Caller = Literal["tasks", "scheduler"]

# Secret Manager names (the defaults of carpulse.config.Settings; a test keeps them equal).
CLIENT_SECRET = "tesla-client-secret"
CN_CLIENT_SECRET = "tesla-cn-client-secret"
TOKEN_KEY = "token-encryption-key"
PRIVATE_KEY = "tesla-private-key"  # read by ops (register-partner) only: no function is granted it
REPORT_SIGNING = "report-signing"  # the signing certificate and the KMS key version (JSON)
REPORT_CA = "report-ca-certs"  # every report CA certificate (PEM bundle)
# Acting for an owner at Tesla: open the stored tokens, refresh them (client secret per auth realm).
OWNER_TOKENS: tuple[str, ...] = (CLIENT_SECRET, CN_CLIENT_SECRET, TOKEN_KEY)


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """Deploy-time facts of one function."""

    name: str
    access: Access  # public: only through the load balancer; internal: its caller only
    memory: str
    cpu: str  # vCPUs; a concurrency above 1 needs at least 1
    timeout_seconds: int
    concurrency: int  # requests per instance (THREADS of the Python runtime follows it)
    max_instances: int  # the cost ceiling: past it, requests queue or get 429
    grants: tuple[Grant, ...] = ()
    secrets: tuple[str, ...] = ()  # each granted on that secret only (roles/secretmanager.secretAccessor)
    caller: Caller | None = None  # internal functions only
    schedule: str | None = None  # cron of the Cloud Scheduler job (caller "scheduler")


FUNCTION_SPECS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="oauth_initiate",
        access="public",
        memory="256Mi",
        cpu="1",
        timeout_seconds=30,
        concurrency=20,
        max_instances=5,
        grants=("firestore",),
    ),
    FunctionSpec(
        name="oauth_callback",
        access="public",
        memory="256Mi",
        cpu="1",
        timeout_seconds=60,
        concurrency=10,
        max_instances=5,
        grants=("firestore",),
        secrets=OWNER_TOKENS,
    ),
    # Also the balancer's default service (our JSON 404 for every unknown path): no grant, no secret.
    FunctionSpec(
        name="public_key",
        access="public",
        memory="256Mi",
        cpu="1",
        timeout_seconds=10,
        concurrency=50,
        max_instances=3,
    ),
    # Lists vehicles with the owner's token (refreshing it when Tesla says it expired), signs URLs.
    FunctionSpec(
        name="reports",
        access="public",
        memory="512Mi",
        cpu="1",
        timeout_seconds=60,
        concurrency=10,
        max_instances=10,
        grants=("firestore", "bucket", "enqueue", "sign-urls"),
        secrets=OWNER_TOKENS,
    ),
    # One task at a time per instance, from a measurement (python -m infra.bench_concurrency): the
    # same 8 renders in 2 and 4 threads of one process gave 0.96x and 0.93x the throughput of one at a
    # time, at 1.57x and 2.12x the peak memory. Rendering holds the GIL; a task's Tesla waits overlap
    # inside the task (fetch concurrency), not across tasks. It signs every PDF.
    FunctionSpec(
        name="report_worker",
        access="internal",
        memory="1Gi",
        cpu="1",
        timeout_seconds=540,
        concurrency=1,
        max_instances=10,
        grants=("firestore", "bucket", "enqueue", "kms-sign"),
        secrets=(*OWNER_TOKENS, REPORT_SIGNING, REPORT_CA),
        caller="tasks",
    ),
    # Refreshes are single-flight anyway; one instance is enough for one run every 30 minutes.
    FunctionSpec(
        name="token_refresh",
        access="internal",
        memory="256Mi",
        cpu="0.5",
        timeout_seconds=300,
        concurrency=1,
        max_instances=1,
        grants=("firestore",),
        secrets=OWNER_TOKENS,
        caller="scheduler",
        schedule="*/30 * * * *",
    ),
    # Every report reaches a final state: stalled work is re-queued or closed (services/sweeper.py).
    FunctionSpec(
        name="sweeper",
        access="internal",
        memory="256Mi",
        cpu="0.5",
        timeout_seconds=300,
        concurrency=1,
        max_instances=1,
        grants=("firestore", "enqueue"),
        caller="scheduler",
        schedule="*/5 * * * *",
    ),
    # Public check of a report: no session, rate limited per client; pyHanko validation is CPU bound.
    FunctionSpec(
        name="verify",
        access="public",
        memory="512Mi",
        cpu="1",
        timeout_seconds=30,
        concurrency=4,
        max_instances=5,
        grants=("firestore",),
        secrets=(REPORT_CA,),
    ),
)
FUNCTIONS: tuple[str, ...] = tuple(spec.name for spec in FUNCTION_SPECS)


def spec(name: str) -> FunctionSpec:
    """The row of one function."""
    for row in FUNCTION_SPECS:
        if row.name == name:
            return row
    raise KeyError(f"unknown function {name!r}")
