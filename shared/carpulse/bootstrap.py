"""The composition root: builds adapters and services lazily, once per process.

Nothing here runs at import time, so a cold start only pays for what its function uses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property, lru_cache

import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials

from carpulse.config import Settings, get_settings
from carpulse.crypto import TokenCipher
from carpulse.domain.models import Account
from carpulse.gcp.ports import SecretSource
from carpulse.services.connect import ConnectService
from carpulse.services.finalise import FinaliseService
from carpulse.services.prepare import PrepareService
from carpulse.services.refresh_due import RefreshDueService
from carpulse.services.regions import RegionRediscovery
from carpulse.services.reports import ReportsService
from carpulse.services.sessions import SessionService
from carpulse.services.tokens import AccountTokenProvider, TokenRefresher, TokenVault
from carpulse.services.vehicle_report import VehicleReportService
from carpulse.services.worker import Worker
from carpulse.tesla.auth import AuthDirectory, PartnerTokenProvider, TeslaAuthClient
from carpulse.tesla.client import FleetClient, RawExchange, TokenProvider
from carpulse.tesla.errors import WrongRegionError


def utc_now() -> datetime:
    """The clock of the application."""
    return datetime.now(UTC)


class Container:
    """Every adapter and service of the app, each built on first use."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    # --- Google adapters -------------------------------------------------------------------------

    def _credentials(self) -> Credentials | None:
        # Emulators take no credentials; in the cloud the default service account is used.
        return AnonymousCredentials() if self.settings.is_local else None

    @cached_property
    def firestore(self):
        """Firestore client (the emulator when FIRESTORE_EMULATOR_HOST is set)."""
        from google.cloud import firestore

        if self.settings.firestore_emulator_host:
            os.environ.setdefault("FIRESTORE_EMULATOR_HOST", self.settings.firestore_emulator_host)
        return firestore.Client(project=self.settings.gcp_project, credentials=self._credentials())

    @cached_property
    def blobs(self):
        """BlobStore over Cloud Storage."""
        from google.cloud import storage

        from carpulse.gcp.storage_blobs import GcsBlobStore

        if self.settings.storage_emulator_host:
            os.environ.setdefault("STORAGE_EMULATOR_HOST", self.settings.storage_emulator_host)
        client = storage.Client(project=self.settings.gcp_project, credentials=self._credentials())
        return GcsBlobStore(
            client,
            self.settings.reports_bucket,
            signing_service_account=self.settings.signing_service_account,
            emulator_host=self.settings.storage_emulator_host,
        )

    @cached_property
    def queue(self):
        """TaskQueue over Cloud Tasks (REST transport, so the local emulator speaks the same API)."""
        from google.cloud import tasks_v2

        from carpulse.gcp.cloud_tasks import CloudTasksQueue

        options = (
            ClientOptions(api_endpoint=self.settings.tasks_emulator_host) if self.settings.tasks_emulator_host else None
        )
        client = tasks_v2.CloudTasksClient(transport="rest", client_options=options, credentials=self._credentials())
        return CloudTasksQueue(
            client,
            project=self.settings.gcp_project,
            location=self.settings.gcp_location,
            queue=self.settings.tasks_queue,
            worker_url=self.settings.worker_url,
            service_account=self.settings.tasks_service_account,
        )

    @cached_property
    def secrets(self) -> SecretSource:
        """Secret Manager (or its local stand-in), or the environment when SECRET_SOURCE=env."""
        from carpulse.gcp.secrets import EnvSecretSource, SecretManagerSource

        if self.settings.secret_source == "env":  # noqa: S105 - a source name, not a secret
            return EnvSecretSource(os.environ)
        from google.cloud import secretmanager

        options = (
            ClientOptions(api_endpoint=self.settings.secrets_emulator_host)
            if self.settings.secrets_emulator_host
            else None
        )
        client = secretmanager.SecretManagerServiceClient(
            transport="rest", client_options=options, credentials=self._credentials()
        )
        return SecretManagerSource(client, self.settings.gcp_project)

    @cached_property
    def states(self):
        """OAuth state store."""
        from carpulse.gcp.firestore_store import FirestoreOAuthStateStore

        return FirestoreOAuthStateStore(self.firestore)

    @cached_property
    def accounts(self):
        """Account store."""
        from carpulse.gcp.firestore_store import FirestoreAccountStore

        return FirestoreAccountStore(self.firestore)

    @cached_property
    def sessions(self):
        """Session store."""
        from carpulse.gcp.firestore_store import FirestoreSessionStore

        return FirestoreSessionStore(self.firestore)

    @cached_property
    def login_codes(self):
        """One-time login code store."""
        from carpulse.gcp.firestore_store import FirestoreLoginCodeStore

        return FirestoreLoginCodeStore(self.firestore)

    @cached_property
    def reports(self):
        """Report store."""
        from carpulse.gcp.firestore_store import FirestoreReportStore

        return FirestoreReportStore(self.firestore)

    # --- verified reports (signing key, records, public check) -----------------------------------

    @cached_property
    def verifications(self):
        """Verification record store."""
        from carpulse.gcp.firestore_verification import FirestoreVerificationStore

        return FirestoreVerificationStore(self.firestore)

    @cached_property
    def rate_limits(self):
        """Per-client request windows of the verify function."""
        from carpulse.gcp.firestore_verification import FirestoreRateLimiter

        return FirestoreRateLimiter(self.firestore)

    @cached_property
    def internal_callers(self):
        """The ID-token check of an internal function (its audience and allowed caller)."""
        import google.auth.transport.requests
        import requests

        from carpulse.gcp.id_tokens import CertsCache, IdTokenVerifier

        http = google.auth.transport.requests.Request(requests.Session())
        return IdTokenVerifier(
            audience=self.settings.internal_audience,
            caller=self.settings.internal_caller,
            issuers=self.settings.oidc_issuers,
            certs=CertsCache(self.settings.oidc_certs_url, http),
        )

    @cached_property
    def report_gate(self):
        """Per-account report limits and Idempotency-Keys (services/limits.py)."""
        from carpulse.domain.limits import ReportLimits
        from carpulse.gcp.firestore_limits import FirestoreLimitStore
        from carpulse.services.limits import ReportGate

        limits = ReportLimits(
            in_flight=self.settings.max_reports_in_flight, per_hour=self.settings.max_report_requests_per_hour
        )
        store = FirestoreLimitStore(self.firestore)
        return ReportGate(store, self.clock, limits, key_ttl_seconds=self.settings.idempotency_key_ttl_seconds)

    @cached_property
    def login_limits(self):
        """Unauthenticated login starts per client address and minute."""
        from carpulse.gcp.firestore_limits import FirestoreWindowCounter
        from carpulse.services.limits import ClientLimiter

        return ClientLimiter(FirestoreWindowCounter(self.firestore), self.clock, self.settings.initiate_per_minute)

    def report_ca_certificates(self) -> list:
        """Every report CA certificate we trust and publish (first: the current one)."""
        from carpulse.signing.certs import load_certificates

        return load_certificates(self.secrets.get(self.settings.report_ca_secret_name))

    @cached_property
    def report_signer(self):
        """PAdES signer over the report-signing key: Cloud KMS, or a key from the local secret stand-in."""
        from carpulse.signing.certs import load_certificates
        from carpulse.signing.keys import LocalSigningKey, SigningIdentity
        from carpulse.signing.pades import PadesSigner, timestamper_for

        identity = SigningIdentity.from_secret(self.secrets.get(self.settings.report_signing_secret_name))
        if identity.kms_key_version:
            from google.cloud import kms

            from carpulse.gcp.kms_signing import KmsSigningKey

            host = self.settings.kms_emulator_host
            client = kms.KeyManagementServiceClient(
                transport="rest",
                client_options=ClientOptions(api_endpoint=host) if host else None,
                credentials=self._credentials(),
            )
            key = KmsSigningKey(client, identity.kms_key_version)
        else:
            key = LocalSigningKey(identity.private_key or "")
        return PadesSigner(
            key,
            load_certificates(identity.certificate)[0],
            self.report_ca_certificates(),
            timestamper=timestamper_for(self.settings.report_tsa_url),
        )

    @cached_property
    def sealer(self):
        """Renders a report with its check mark, signs it and records it."""
        from carpulse.report.pdf import render_vehicle_pdf
        from carpulse.services.sealing import ReportSealer

        return ReportSealer(
            store=self.verifications,
            signer=lambda: self.report_signer,
            render=render_vehicle_pdf,
            clock=self.clock,
            verify_base_url=self.settings.verify_origin,
            valid_days=self.settings.report_valid_days,
            retention_days=self.settings.verification_retention_days,
        )

    @cached_property
    def verification(self):
        """Public checks (verify function) and revocation (reports API: revoke_report, revoke_account)."""
        from carpulse.services.verification import VerificationService

        def check(data: bytes, roots: list) -> object:
            from carpulse.signing.pades import check_pdf  # pyHanko only where a PDF is checked

            return check_pdf(data, roots)

        return VerificationService(
            store=self.verifications,
            limiter=self.rate_limits,
            clock=self.clock,
            trust_roots=self.report_ca_certificates,
            check=check,
            page_per_minute=self.settings.verify_page_per_minute,
            uploads_per_minute=self.settings.verify_uploads_per_minute,
        )

    # --- Tesla -----------------------------------------------------------------------------------

    @cached_property
    def http(self) -> requests.Session:
        """One HTTP session (connection pool) for every Tesla call of this instance."""
        return requests.Session()

    @cached_property
    def tesla_auth(self) -> AuthDirectory:
        """Tesla's OAuth servers (global and China), each with our application there."""

        def build(name: str) -> TeslaAuthClient:
            realm = self.settings.auth_realm(name)
            return TeslaAuthClient(
                auth_base_url=realm.auth_base_url,
                client_id=realm.client_id,
                client_secret=lambda: self.secrets.get(realm.client_secret_name),
                redirect_uri=self.settings.oauth_redirect_uri,
                scopes=self.settings.tesla_scopes,
                http=self.http,
                timeout=self.settings.tesla_token_timeout_seconds,
            )

        return AuthDirectory(build)

    @cached_property
    def vault(self) -> TokenVault:
        """Token encryption under the keyring in Secret Manager (re-read every
        TOKEN_KEYRING_REFRESH_SECONDS, and at once for a key id this instance lacks)."""
        name = self.settings.token_encryption_key_name
        refresh = self.settings.token_keyring_refresh_seconds
        return TokenVault(TokenCipher(lambda: self.secrets.reread(name), refresh_seconds=refresh))

    @cached_property
    def refresher(self) -> TokenRefresher:
        """Single-flight token refresher."""
        return TokenRefresher(
            self.accounts, self.tesla_auth, self.vault, self.clock, self.settings.refresh_margin_seconds
        )

    def fleet(
        self,
        base_url: str,
        tokens: TokenProvider,
        observer: Callable[[RawExchange], None] | None = None,
        *,
        region: str | None = None,
        on_wrong_region: Callable[[WrongRegionError], str] | None = None,
    ) -> FleetClient:
        """A Fleet client for a base URL and token provider."""
        return FleetClient(
            base_url=base_url,
            tokens=tokens,
            http=self.http,
            timeout=self.settings.tesla_http_timeout_seconds,
            observer=observer,
            region=region,
            on_wrong_region=on_wrong_region,
        )

    def fleet_for_account(self, account: Account, observer: Callable[[RawExchange], None] | None = None) -> FleetClient:
        """A Fleet client acting for a connected account (re-discovers its region on 421)."""
        provider = AccountTokenProvider(account.account_id, self.accounts, self.refresher, self.vault, self.clock)
        rediscover = RegionRediscovery(
            account.account_id, provider, self.settings, self.accounts, lambda b, t: self.fleet(b, t), self.clock
        )
        return self.fleet(
            account.fleet_api_base_url, provider, observer, region=account.region, on_wrong_region=rediscover
        )

    def partner_fleet_for_account(
        self, account: Account, observer: Callable[[RawExchange], None] | None = None
    ) -> FleetClient:
        """A Fleet client with our partner token in the account's region (for specs)."""
        provider = PartnerTokenProvider(self.tesla_auth.for_region(account.region), audience=account.fleet_api_base_url)
        return self.fleet(account.fleet_api_base_url, provider, observer, region=account.region)

    # --- services --------------------------------------------------------------------------------

    @cached_property
    def connect(self) -> ConnectService:
        """OAuth initiate/callback."""
        return ConnectService(
            settings=self.settings,
            states=self.states,
            accounts=self.accounts,
            auth=self.tesla_auth,
            vault=self.vault,
            fleet_for=self.fleet,
            issue_login_code=self.session_service.issue_login_code,
            clock=self.clock,
        )

    @cached_property
    def session_service(self) -> SessionService:
        """Login codes, sessions and the bearer check."""
        return SessionService(
            codes=self.login_codes,
            sessions=self.sessions,
            accounts=self.accounts,
            clock=self.clock,
            code_ttl_seconds=self.settings.login_code_ttl_seconds,
            session_ttl_seconds=self.settings.session_ttl_seconds,
        )

    @cached_property
    def reports_api(self) -> ReportsService:
        """Frontend report use cases."""
        return ReportsService(
            self.settings,
            self.sessions,
            self.accounts,
            self.reports,
            self.blobs,
            self.queue,
            self.fleet_for_account,
            self.clock,
            revoke_account=lambda account_id: self.verification.revoke_account(account_id),
            gate=self.report_gate,
        )

    @cached_property
    def worker(self) -> Worker:
        """Cloud Tasks worker."""
        from carpulse.report.csv_export import sessions_csv
        from carpulse.report.json_view import render_vehicle_json
        from carpulse.report.pdf import render_vehicle_pdf

        prepare = PrepareService(self.accounts, self.reports, self.blobs, self.queue, self.fleet_for_account)
        vehicle = VehicleReportService(
            accounts=self.accounts,
            reports=self.reports,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=self.fleet_for_account,
            render_pdf=render_vehicle_pdf,
            clock=self.clock,
            render_json=render_vehicle_json,
            partner_fleet_for_account=self.partner_fleet_for_account if self.settings.fetch_specs else None,
            wake_wait_seconds=self.settings.wake_wait_seconds,
            offline_wait_seconds=self.settings.offline_wait_seconds,
            run_lease_seconds=self.settings.vin_run_lease_seconds,
            seal=self.sealer.seal,
        )
        finalise = FinaliseService(self.reports, self.blobs, sessions_csv)
        return Worker(prepare, vehicle, finalise, self.queue, max_attempts=self.settings.task_max_attempts)

    @cached_property
    def sweeper(self):
        """Scheduler sweep of stalled reports."""
        from carpulse.services.sweeper import Sweeper

        return Sweeper(
            reports=self.reports, queue=self.queue, clock=self.clock, stall_seconds=self.settings.report_stall_seconds
        )

    @cached_property
    def refresh_due(self) -> RefreshDueService:
        """Scheduler token refresh."""
        return RefreshDueService(self.accounts, self.refresher, self.clock, self.settings.refresh_margin_seconds)


@lru_cache(maxsize=1)
def container() -> Container:
    """The process-wide container."""
    return Container(get_settings())
