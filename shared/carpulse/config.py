"""One Settings object, read from the environment once. Nothing else reads os.environ."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from carpulse.domain.billing import PriceTable
from carpulse.errors import ConfigError
from carpulse.logs import LEVELS
from carpulse.tesla.regions import (
    CN_REALM,
    DEFAULT_AUTH_BASE_URLS,
    DEFAULT_FLEET_BASE_URLS,
    GLOBAL_REALM,
    AuthRealm,
    FleetRegion,
    realm_of,
)

TESLA_REGION_BASE_URLS = DEFAULT_FLEET_BASE_URLS
DEFAULT_SCOPES = "openid offline_access vehicle_device_data vehicle_charging_cmds vehicle_specs"


MAX_VINS_PER_REPORT_CAP = 50  # the most a report can hold, whatever MAX_VINS_PER_REPORT says


class Settings(BaseModel):
    """Runtime configuration of every function; field names map to upper-case env vars."""

    model_config = ConfigDict(frozen=True)

    env: str = "local"  # local, dev, tst, prd
    # Root log level of every function. At DEBUG the HTTP and Google client libraries stay at
    # WARNING, and every line is redacted at any level (carpulse/logs.py).
    log_level: str = "INFO"
    gcp_project: str = "carpulse-local"
    gcp_location: str = "europe-west1"

    # Tesla
    tesla_client_id: str = "carpulse-local-client"
    tesla_auth_base_url: str = DEFAULT_AUTH_BASE_URLS[GLOBAL_REALM]
    tesla_region_base_urls: dict[str, str] = Field(default_factory=lambda: dict(TESLA_REGION_BASE_URLS))
    tesla_default_region: str = "eu"
    # China: its own auth server and developer application (developer.tesla.cn); no client id, no China.
    tesla_cn_client_id: str = ""
    tesla_cn_auth_base_url: str = DEFAULT_AUTH_BASE_URLS[CN_REALM]
    tesla_scopes: str = DEFAULT_SCOPES
    tesla_http_timeout_seconds: float = 20.0
    # Tesla's token endpoint: generous, and shorter than the refresh lease (services/tokens.py, 90 s).
    tesla_token_timeout_seconds: float = 60.0

    # Public URLs of our own functions (Tesla and the browser reach these).
    oauth_redirect_uri: str = "http://127.0.0.1:8082/"
    partner_domain: str = ""  # registered with Tesla; serves our public key (default: redirect URI host)
    public_key_pem: str = ""  # our partner public key as configuration (empty locally: derived from the private key)
    frontend_url: str = "http://127.0.0.1:3000/connected"
    frontend_origins: tuple[str, ...] = ("http://127.0.0.1:3000",)
    worker_url: str = "http://127.0.0.1:8085/"

    # Google services
    reports_bucket: str = "carpulse-local-reports"
    tasks_queue: str = "report-work"
    tasks_service_account: str = ""  # OIDC identity Cloud Tasks presents to the worker
    signed_url_ttl_seconds: int = 3600
    signing_service_account: str = ""  # cloud: SA whose IAM signBlob signs URLs

    # Secrets: names in Secret Manager; locally they may come straight from the environment.
    secret_source: str = "secret-manager"  # or "env"  # noqa: S105
    tesla_client_secret_name: str = "tesla-client-secret"  # noqa: S105
    tesla_cn_client_secret_name: str = "tesla-cn-client-secret"  # noqa: S105
    token_encryption_key_name: str = "token-encryption-key"  # noqa: S105
    # The keyring is re-read this often, so every instance seals with a rotated key soon after
    # `make keys` (and `make reencrypt` waits this long after a rotation before it moves anyone).
    token_keyring_refresh_seconds: float = 300.0
    tesla_private_key_name: str = "tesla-private-key"

    # Emulators (local stack only)
    firestore_emulator_host: str = ""
    storage_emulator_host: str = ""
    tasks_emulator_host: str = ""
    secrets_emulator_host: str = ""

    # Internal functions (report_worker, token_refresh, sweeper) verify their caller's Google-signed
    # ID token (gcp/id_tokens.py); without audience and caller they refuse every call. The
    # provisioning derives both per function; the local stack points them at its identity stand-in.
    internal_audience: str = ""  # this function's URL, the `aud` its caller's token must carry
    internal_caller: str = ""  # the service account allowed to call it (Cloud Tasks' / Scheduler's)
    oidc_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"  # {key id: PEM} of the signer
    oidc_issuers: tuple[str, ...] = ("https://accounts.google.com", "accounts.google.com")

    oauth_state_ttl_seconds: int = 600
    login_code_ttl_seconds: int = 60  # the frontend trades the callback's code for a session at once
    session_ttl_seconds: int = 7 * 24 * 3600
    refresh_margin_seconds: int = 3600  # refresh access tokens that expire within this window
    wake_wait_seconds: float = 20.0  # a woken car is asked again after this delay
    offline_wait_seconds: float = 60.0  # a car that answered 408 is asked again after this delay
    task_max_attempts: int = 5  # must match the queue's retry config (infra/)
    report_stall_seconds: float = 900.0  # no progress for this long: the sweeper re-queues or closes
    sweep_interval_seconds: float = 300.0  # how often the sweeper runs (Cloud Scheduler; the local stand-in)
    vin_run_lease_seconds: float = 600.0  # one run per VIN; longer than the worker's timeout
    # The API's schema says the default (docs/openapi.yaml maxItems); a deployment may go up to the cap.
    # What Tesla charges per billed answer (US dollars by category, with their date): the estimate
    # of each report's and each month's bill. JSON, e.g. {"usd": {"data": 0.002, …}, "as_of": "2025-01"}.
    tesla_prices: PriceTable = Field(default_factory=PriceTable)
    max_vins_per_report: int = Field(default=20, ge=1, le=MAX_VINS_PER_REPORT_CAP)
    # Cost limits (services/limits.py), shared by every instance through Firestore.
    max_reports_in_flight: int = 3  # open reports per account
    max_report_requests_per_hour: int = 10  # report requests admitted per account in any sliding hour
    idempotency_key_ttl_seconds: int = 24 * 3600  # an Idempotency-Key answers with its report this long
    initiate_per_minute: int = 20  # unauthenticated login starts per client address and minute
    report_retention_days: int = 30  # reports/{id} and their VIN documents (Firestore TTL on expires_at)
    fetch_specs: bool = True  # specs are billed per result ($0.10); cached per VIN for 180 days

    # Verified reports: signed PDFs and their public check (issue 13; see docs/report-ca.md).
    verify_base_url: str = ""  # origin of /verify/{id} on the API host (default: the partner domain)
    # The signing secret is JSON: certificate + KMS key version (or, locally, a key). The CA secret is
    # a PEM bundle of every report CA (first: the current one).
    report_signing_secret_name: str = "report-signing"  # noqa: S105 - a secret's name
    report_ca_secret_name: str = "report-ca-certs"  # noqa: S105 - a secret's name
    report_tsa_url: str = ""  # RFC 3161 timestamp authority: PAdES B-T when set, else B-B
    report_valid_days: int = 90  # a report is a snapshot: its check reads "expired" after this
    verification_retention_days: int = 6 * 365  # records outlive the PDFs (Firestore TTL on delete_after)
    verify_page_per_minute: int = 60  # check-page lookups per client and minute
    verify_uploads_per_minute: int = 12  # uploaded PDFs checked per client and minute
    verify_client_ip_hops: int = 0  # X-Forwarded-For entries added by trusted proxies (2 behind the LB)
    kms_emulator_host: str = ""  # local KMS stand-in (infra/local/kms_emulator.py)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.strip().upper() not in LEVELS:
            raise ValueError(f"must be one of {', '.join(LEVELS)}")
        return value.strip().upper()

    @field_validator("tesla_default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in ("na", "eu", "cn"):
            raise ValueError("must be one of na, eu, cn")
        return value

    def region_base_url(self, region: str) -> str:
        """Fleet API base URL of a region."""
        try:
            return self.tesla_region_base_urls[region]
        except KeyError as exc:
            raise ConfigError(f"no Fleet API base URL configured for region {region!r}") from exc

    def fleet_region(self, region: str) -> FleetRegion:
        """A Fleet API region with its base URL and auth realm."""
        return FleetRegion(code=region, fleet_api_base_url=self.region_base_url(region), auth_realm=realm_of(region))

    def auth_realm(self, name: str) -> AuthRealm:
        """One of Tesla's auth servers with our application there; China only when configured."""
        if name == CN_REALM:
            if not self.tesla_cn_client_id:
                raise ConfigError("China needs its own developer.tesla.cn application: set TESLA_CN_CLIENT_ID")
            return AuthRealm(
                name=CN_REALM,
                auth_base_url=self.tesla_cn_auth_base_url,
                client_id=self.tesla_cn_client_id,
                client_secret_name=self.tesla_cn_client_secret_name,
                default_region="cn",
            )
        return AuthRealm(
            name=GLOBAL_REALM,
            auth_base_url=self.tesla_auth_base_url,
            client_id=self.tesla_client_id,
            client_secret_name=self.tesla_client_secret_name,
            default_region=self.tesla_default_region if self.tesla_default_region != "cn" else "eu",
        )

    @property
    def auth_realms(self) -> tuple[str, ...]:
        """The realms owners can log in through here."""
        return (GLOBAL_REALM, CN_REALM) if self.tesla_cn_client_id else (GLOBAL_REALM,)

    @property
    def registered_domain(self) -> str:
        """The partner domain Tesla knows us by."""
        return self.partner_domain or self.oauth_redirect_uri.split("//", 1)[-1].split("/", 1)[0]

    @property
    def verify_origin(self) -> str:
        """Where report QR codes point: VERIFY_BASE_URL, else the partner domain (the API host)."""
        scheme = "http" if self.is_local else "https"
        return (self.verify_base_url or f"{scheme}://{self.registered_domain}").rstrip("/")

    @property
    def is_local(self) -> bool:
        """True when running against the local stack."""
        return self.env == "local"


_JSON_FIELDS = {"tesla_prices", "tesla_region_base_urls"}
_LIST_FIELDS = {"frontend_origins", "oidc_issuers"}


def settings_from_env(environ: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping (CARPULSE_-less upper-case names)."""
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        raw = environ.get(name.upper())
        if raw is None or raw == "":
            continue
        if name in _JSON_FIELDS:
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{name.upper()} is not valid JSON") from exc
        elif name in _LIST_FIELDS:
            values[name] = tuple(part.strip() for part in raw.split(",") if part.strip())
        else:
            values[name] = raw
    try:
        # Still environment text: pydantic converts and checks it as one mapping, field by field.
        return Settings.model_validate(values)
    except ValidationError as exc:
        # Each problem by variable and rule; the value is left out (it may be something secret).
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()} {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide Settings (read once)."""
    return settings_from_env(os.environ)
