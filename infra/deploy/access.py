"""Least privilege: one service account per function, each grant and each secret given on purpose.

A function's `grants` (infra/functions.py) map to IAM roles on the narrowest resource that works:
the project only where Google offers nothing smaller (Firestore, Cloud Tasks), the bucket for
objects, a single service account for actAs and signBlob. Secrets are granted one by one: each
secret's policy is set to exactly the functions that name it, so a removed grant is revoked on the
next run too (no one else reads a secret through its own policy; owners keep project-level access).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from infra.deploy.environment import CALLER_ACCOUNTS, LEGACY_ACCOUNT, Environment, function_account_id
from infra.deploy.gcloud import Apply, Ensure, Require, Step
from infra.functions import (
    CLIENT_SECRET,
    CN_CLIENT_SECRET,
    PRIVATE_KEY,
    REPORT_CA,
    REPORT_SIGNING,
    TOKEN_KEY,
    FunctionSpec,
    Grant,
)

Scope = Literal["project", "bucket", "tasks-account", "own-account", "signing-key"]
ACCESSOR = "roles/secretmanager.secretAccessor"
# The report-signing key (EC P-256 in Cloud KMS; the `report-signing` secret names its version).
SIGNING_KEYRING, SIGNING_KEY = "carpulse-reports", "report-signing"


@dataclass(frozen=True, kw_only=True)
class Binding:
    """One IAM role on one resource."""

    scope: Scope
    role: str


GRANT_BINDINGS: dict[Grant, tuple[Binding, ...]] = {
    "firestore": (Binding(scope="project", role="roles/datastore.user"),),
    # Read, write and delete objects; no IAM or ACL changes (objectAdmin would allow those).
    "bucket": (Binding(scope="bucket", role="roles/storage.objectUser"),),
    # Create tasks, and act as the tasks identity whose OIDC token the worker checks.
    "enqueue": (
        Binding(scope="project", role="roles/cloudtasks.enqueuer"),
        Binding(scope="tasks-account", role="roles/iam.serviceAccountUser"),
    ),
    # Signed URLs are signed through IAM signBlob by the function's own identity.
    "sign-urls": (Binding(scope="own-account", role="roles/iam.serviceAccountTokenCreator"),),
    # Sign report digests with the KMS key (and read its public half); the key never leaves KMS.
    "kms-sign": (Binding(scope="signing-key", role="roles/cloudkms.signerVerifier"),),
}


@dataclass(frozen=True, kw_only=True)
class SecretSpec:
    """A Secret Manager secret and where its value comes from."""

    name: str
    source: str
    required: bool = True  # deploy refuses until it has a version


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec(name=CLIENT_SECRET, source="the developer.tesla.com application (added by hand, stdin)"),
    SecretSpec(name=TOKEN_KEY, source="make keys ENV=… KEY=token-encryption-key"),
    SecretSpec(name=PRIVATE_KEY, source="make keys ENV=… KEY=tesla-private-key"),
    SecretSpec(
        name=CN_CLIENT_SECRET,
        source="the developer.tesla.cn application (China only)",
        required=False,
    ),
    # Verified reports: every PDF is signed, so the worker cannot work without them.
    SecretSpec(name=REPORT_SIGNING, source="the report CA: certificate + KMS key version of report-signing (JSON)"),
    SecretSpec(name=REPORT_CA, source="the report CA: PEM bundle of every report CA"),
)


def project_flag(env: Environment) -> str:
    """The --project flag every command carries."""
    return f"--project={env.project}"


def account_steps(env: Environment) -> list[Step]:
    """Every service account: one per function, plus the Tasks and Scheduler caller identities."""
    accounts = [(function_account_id(row), f"runs {env.function_name(row)}") for row in env.specs]
    accounts += [(account, f"OIDC identity of Cloud {kind.title()} calls") for kind, account in CALLER_ACCOUNTS.items()]
    return [
        Ensure(
            what=f"service account {account}",
            probe=("iam", "service-accounts", "describe", env.account_email(account), project_flag(env)),
            create=(
                (
                    "iam",
                    "service-accounts",
                    "create",
                    account,
                    project_flag(env),
                    f"--display-name=carpulse {env.name}: {purpose}",
                ),
            ),
        )
        for account, purpose in accounts
    ]


def _binding_command(env: Environment, spec: FunctionSpec, binding: Binding) -> tuple[str, ...]:
    member = f"--member=serviceAccount:{env.function_account(spec)}"
    role = f"--role={binding.role}"
    if binding.scope == "project":
        return ("projects", "add-iam-policy-binding", env.project, member, role, "--condition=None", "--format=none")
    if binding.scope == "bucket":
        return ("storage", "buckets", "add-iam-policy-binding", f"gs://{env.bucket}", member, role, "--format=none")
    if binding.scope == "signing-key":
        return ("kms", "keys", "add-iam-policy-binding", *signing_key_flags(env), member, role, "--format=none")
    target = env.caller_account("tasks") if binding.scope == "tasks-account" else env.function_account(spec)
    return (
        "iam",
        "service-accounts",
        "add-iam-policy-binding",
        target,
        project_flag(env),
        member,
        role,
        "--condition=None",
        "--format=none",
    )


def signing_key_flags(env: Environment) -> tuple[str, ...]:
    """KEY --keyring --location --project of the report-signing key."""
    return (SIGNING_KEY, f"--keyring={SIGNING_KEYRING}", f"--location={env.region}", project_flag(env))


def signing_key_steps(env: Environment) -> list[Step]:
    """The KMS key ring and the report-signing key (its certificate comes from our report CA)."""
    ring = ("--location=" + env.region, project_flag(env))
    return [
        Ensure(
            what=f"KMS key ring {SIGNING_KEYRING}",
            probe=("kms", "keyrings", "describe", SIGNING_KEYRING, *ring),
            create=(("kms", "keyrings", "create", SIGNING_KEYRING, *ring),),
        ),
        Ensure(
            what=f"KMS key {SIGNING_KEY} (EC P-256, asymmetric signing)",
            probe=("kms", "keys", "describe", *signing_key_flags(env)),
            create=(
                (
                    "kms",
                    "keys",
                    "create",
                    *signing_key_flags(env),
                    "--purpose=asymmetric-signing",
                    "--default-algorithm=ec-sign-p256-sha256",
                ),
            ),
        ),
    ]


def grant_steps(env: Environment, scopes: tuple[Scope, ...]) -> list[Step]:
    """The grants of every function whose binding scope is one of `scopes` (bucket ones need it)."""
    steps: list[Step] = []
    for row in env.specs:
        for grant in row.grants:
            for binding in GRANT_BINDINGS[grant]:
                if binding.scope in scopes:
                    steps.append(
                        Apply(
                            what=f"{row.name}: {grant} ({binding.role} on {binding.scope})",
                            command=_binding_command(env, row, binding),
                            settle=True,
                        )
                    )
    return steps


def secret_policy(env: Environment, secret: SecretSpec) -> dict[str, list[dict[str, object]]]:
    """The whole IAM policy of one secret: its accessors are exactly the functions naming it."""
    members = sorted(f"serviceAccount:{env.function_account(row)}" for row in env.specs if secret.name in row.secrets)
    return {"bindings": [{"role": ACCESSOR, "members": members}] if members else []}


def write_secret_policies(env: Environment, out_dir: Path) -> dict[str, Path]:
    """One policy file per secret under out_dir; returns name → path."""
    unknown = {name for row in env.specs for name in row.secrets} - {secret.name for secret in SECRETS}
    if unknown:
        raise ValueError(f"functions name unknown secrets: {', '.join(sorted(unknown))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for secret in SECRETS:
        path = out_dir / f"{secret.name}.policy.json"
        path.write_text(json.dumps(secret_policy(env, secret), indent=2) + "\n")
        paths[secret.name] = path
    return paths


def secret_steps(env: Environment, policies: dict[str, Path]) -> list[Step]:
    """Each secret exists (values are added by `make keys` or by hand), with exactly its accessors."""
    steps: list[Step] = []
    for secret in SECRETS:
        steps.append(
            Ensure(
                what=f"secret {secret.name} (value from {secret.source})",
                probe=("secrets", "describe", secret.name, project_flag(env)),
                create=(("secrets", "create", secret.name, project_flag(env), "--replication-policy=automatic"),),
            )
        )
        steps.append(
            Apply(
                what=f"secret {secret.name}: accessors",
                settle=True,
                command=(
                    "secrets",
                    "set-iam-policy",
                    secret.name,
                    str(policies[secret.name]),
                    project_flag(env),
                    "--format=none",
                ),
            )
        )
    return steps


def secret_value_checks(env: Environment) -> list[Step]:
    """Deploy preconditions: every required secret has an enabled version (metadata only)."""
    return [
        Require(
            what=f"secret {secret.name} has a value",
            probe=(
                "secrets",
                "versions",
                "describe",
                "latest",
                f"--secret={secret.name}",
                project_flag(env),
                "--format=value(state)",
            ),
            wanted="ENABLED",
            hint=f"add it: {secret.source}",
        )
        for secret in SECRETS
        if secret.required
    ]


def invoker_steps(env: Environment) -> list[Step]:
    """Internal functions: only their caller's identity may invoke them (after they exist)."""
    return [
        Apply(
            what=f"{row.name}: invoker is the Cloud {row.caller.title()} identity",
            settle=True,
            command=(
                "functions",
                "add-invoker-policy-binding",
                env.function_name(row),
                f"--region={env.region}",
                project_flag(env),
                f"--member=serviceAccount:{env.caller_account(row.caller)}",
            ),
        )
        for row in env.specs
        if row.access == "internal" and row.caller is not None
    ]


def retire_legacy_account(env: Environment) -> Step:
    """The shared identity all functions once ran as (it may read every secret): disabled."""
    email = env.account_email(LEGACY_ACCOUNT)
    return Ensure(
        what=f"legacy shared account {LEGACY_ACCOUNT}: disabled once no function runs as it",
        probe=("iam", "service-accounts", "describe", email, project_flag(env)),
        create=(),
        update=(("iam", "service-accounts", "disable", email, project_flag(env)),),
    )
