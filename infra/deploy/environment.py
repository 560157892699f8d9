"""One environment (dev, tst, prd): its configuration file and the names of everything in it.

The names are derived here once, so provisioning, deploy and verify-env cannot disagree. Values
that follow from the registry (the worker's URL, the identities, THREADS) are not written in
infra/envs/*.yaml: each function gets them in its generated env-vars file. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from infra.functions import FUNCTION_SPECS, Caller, FunctionSpec

ROOT = Path(__file__).resolve().parents[2]
ENVS_DIR = ROOT / "infra" / "envs"
ENV_NAMES = ("dev", "tst", "prd")
RUNTIME = "python312"
# Identities the platform presents to internal functions (OIDC tokens), one per caller kind.
CALLER_ACCOUNTS: dict[Caller, str] = {"tasks": "carpulse-tasks", "scheduler": "carpulse-scheduler"}
# The shared identity every function ran as before it had its own: disabled once nothing uses it.
LEGACY_ACCOUNT = "carpulse-functions"
# Keys the provisioning derives: an environment file that sets them would be a second copy.
DERIVED_KEYS = (
    "WORKER_URL",
    "TASKS_SERVICE_ACCOUNT",
    "SIGNING_SERVICE_ACCOUNT",
    "THREADS",
    "PUBLIC_KEY_PEM",
    "INTERNAL_AUDIENCE",
    "INTERNAL_CALLER",
)


class EnvFileError(Exception):
    """The environment file is missing, incomplete or sets a derived value."""


def read_env_file(path: Path) -> dict[str, str]:
    """The flat `KEY: value` lines of an infra/envs file (quotes stripped, comments skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise EnvFileError(f"{path.name}: not a `KEY: value` line: {line!r}")
        values[key.strip()] = value.strip().strip('"')
    return values


@dataclass(frozen=True, kw_only=True)
class Environment:
    """An environment's settings and the resource names derived from them."""

    name: str
    values: dict[str, str]
    keys_dir: Path = ENVS_DIR  # where the committed public key lives (tests point elsewhere)
    specs: tuple[FunctionSpec, ...] = FUNCTION_SPECS  # the registry (tests add rows, e.g. a sweeper)

    def spec(self, name: str) -> FunctionSpec:
        """The registry row of one function."""
        for row in self.specs:
            if row.name == name:
                return row
        raise KeyError(f"unknown function {name!r}")

    @property
    def project(self) -> str:
        """The Google Cloud project."""
        return self.values["GCP_PROJECT"]

    @property
    def region(self) -> str:
        """Region of the functions, queue, bucket, scheduler jobs and NEGs."""
        return self.values["GCP_LOCATION"]

    @property
    def host(self) -> str:
        """The one API host: Tesla's redirect URI host and partner domain."""
        return self.values.get("PARTNER_DOMAIN") or urlsplit(self.values["OAUTH_REDIRECT_URI"]).netloc

    @property
    def bucket(self) -> str:
        """The private reports bucket."""
        return self.values["REPORTS_BUCKET"]

    @property
    def queue(self) -> str:
        """The Cloud Tasks queue of the report worker."""
        return self.values["TASKS_QUEUE"]

    @property
    def task_max_attempts(self) -> int:
        """What the functions are told (TASK_MAX_ATTEMPTS), so also what the queue retries."""
        return int(self.values["TASK_MAX_ATTEMPTS"])

    @property
    def frontend_url(self) -> str:
        """Where the OAuth callback sends the owner."""
        return self.values["FRONTEND_URL"]

    @property
    def frontend_origins(self) -> tuple[str, ...]:
        """CORS origins of the frontend (API and bucket)."""
        return tuple(part.strip() for part in self.values["FRONTEND_ORIGINS"].split(",") if part.strip())

    @property
    def public_key_file(self) -> Path:
        """The partner public key (public: committed), written by `make keys KEY=tesla-private-key`."""
        return self.keys_dir / f"{self.name}.public-key.pem"

    def prefix(self) -> str:
        """Prefix of this environment's resource names."""
        return f"carpulse-{self.name}"

    def function_name(self, spec: FunctionSpec) -> str:
        """The Cloud Functions (and Cloud Run service) name."""
        return f"{self.prefix()}-{spec.name.replace('_', '-')}"

    def function_url(self, spec: FunctionSpec) -> str:
        """The function's own URL: what Tasks and Scheduler call and put in the OIDC audience."""
        return f"https://{self.region}-{self.project}.cloudfunctions.net/{self.function_name(spec)}"

    def account_email(self, account_id: str) -> str:
        """Email of a service account of this project."""
        return f"{account_id}@{self.project}.iam.gserviceaccount.com"

    def function_account(self, spec: FunctionSpec) -> str:
        """Email of the function's own service account."""
        return self.account_email(function_account_id(spec))

    def caller_account(self, caller: Caller) -> str:
        """Email of the identity that invokes internal functions of a caller kind."""
        return self.account_email(CALLER_ACCOUNTS[caller])

    def worker(self) -> FunctionSpec:
        """The Cloud Tasks target (the one function whose caller is "tasks")."""
        (worker,) = (row for row in self.specs if row.caller == "tasks")
        return worker

    def derived_values(self, spec: FunctionSpec) -> dict[str, str]:
        """What one function is told beyond the environment file."""
        values = {
            "WORKER_URL": self.function_url(self.worker()),
            "TASKS_SERVICE_ACCOUNT": self.caller_account("tasks"),
            "SIGNING_SERVICE_ACCOUNT": self.function_account(spec),  # signBlob as itself
            "THREADS": str(spec.concurrency),  # the Python runtime serves this many requests at once
        }
        if spec.caller is not None:
            # What the function checks in its caller's ID token (carpulse.gcp.id_tokens): the
            # audience Tasks and Scheduler are given (its URL) and the one identity they sign for.
            values["INTERNAL_AUDIENCE"] = self.function_url(spec)
            values["INTERNAL_CALLER"] = self.caller_account(spec.caller)
        if spec.name == "public_key" and self.public_key_file.is_file():
            values["PUBLIC_KEY_PEM"] = self.public_key_file.read_text()
        return values


def function_account_id(spec: FunctionSpec) -> str:
    """Account id of the function's own service account (6 to 30 characters)."""
    return f"carpulse-{spec.name.replace('_', '-')}"


REQUIRED_KEYS = (
    "ENV",
    "GCP_PROJECT",
    "GCP_LOCATION",
    "OAUTH_REDIRECT_URI",
    "FRONTEND_URL",
    "FRONTEND_ORIGINS",
    "REPORTS_BUCKET",
    "TASKS_QUEUE",
    "TASK_MAX_ATTEMPTS",
)


def load(name: str, keys_dir: Path = ENVS_DIR) -> Environment:
    """The environment `name`, checked: known name, required keys, no derived keys."""
    if name not in ENV_NAMES:
        raise EnvFileError(f"unknown environment {name!r}: expected one of {', '.join(ENV_NAMES)}")
    values = read_env_file(ENVS_DIR / f"{name}.yaml")
    missing = [key for key in REQUIRED_KEYS if not values.get(key)]
    if missing:
        raise EnvFileError(f"infra/envs/{name}.yaml lacks {', '.join(missing)}")
    derived = [key for key in DERIVED_KEYS if key in values]
    if derived:
        raise EnvFileError(f"infra/envs/{name}.yaml sets {', '.join(derived)}: the provisioning derives them")
    if values["ENV"] != name:
        raise EnvFileError(f"infra/envs/{name}.yaml says ENV: {values['ENV']}")
    return Environment(name=name, values=values, keys_dir=keys_dir)
