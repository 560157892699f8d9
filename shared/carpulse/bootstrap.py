"""The composition root: builds adapters and services lazily, once per process.

Nothing here runs at import time, and nothing is imported before it is used: a cold start only
pays for what its function uses (the public key never loads the Google clients or the PDF stack).
The report worker starts loading the PDF stack on a thread when its first task arrives, so those
imports overlap that task's waits for Tesla.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from carpulse.config import Settings, get_settings

if TYPE_CHECKING:
    import requests
    from cryptography import x509
    from google.auth.credentials import Credentials
    from google.cloud import firestore

    from carpulse.domain.models import Account
    from carpulse.domain.tasks import WorkerTask
    from carpulse.gcp.id_tokens import IdTokenVerifier
    from carpulse.gcp.ports import (
        AccountStore,
        BlobStore,
        LoginCodeStore,
        OAuthStateStore,
        RateLimiter,
        ReportStore,
        SecretSource,
        SessionStore,
        SigningKey,
        TaskQueue,
        VerificationStore,
    )
    from carpulse.services.connect import ConnectService
    from carpulse.services.limits import ClientLimiter, ReportGate
    from carpulse.services.refresh_due import RefreshDueService
    from carpulse.services.reports import ReportsService
    from carpulse.services.sealing import ReportSealer
    from carpulse.services.sessions import SessionService
    from carpulse.services.sweeper import Sweeper
    from carpulse.services.tokens import TokenRefresher, TokenVault
    from carpulse.services.verification import VerificationService
    from carpulse.services.worker import Worker
    from carpulse.signing.pades import PadesSigner, SignatureCheck
    from carpulse.tesla.auth import AuthDirectory
    from carpulse.tesla.client import FleetClient, RawExchange, TokenProvider
    from carpulse.tesla.errors import WrongRegionError
    from carpulse.tesla.transport import AccountGates

# Imported on a thread by the worker's first task (see warm_up_report_stack).
REPORT_STACK = (
    "carpulse.report.pdf",
    "carpulse.report.json_view",
    "carpulse.report.csv_export",
    "carpulse.services.sealing",
    "carpulse.signing.pades",
    "carpulse.gcp.cloud_tasks",  # for the last VIN's enqueue of the finalisation
)


def utc_now() -> datetime:
    """The clock of the application."""
    return datetime.now(UTC)


_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _emulator_env(name: str, host: str) -> Iterator[None]:
    """The client libraries read the emulator's address from the environment when a client is
    built (and keep it): point it at this container's emulator for that moment only, so two
    containers of one process (a test's second stack) each talk to their own."""
    if not host:
        yield
        return
    with _ENV_LOCK:
        previous = os.environ.get(name)
        os.environ[name] = host
        try:
            yield
        finally:
            if previous is None:
                del os.environ[name]
            else:
                os.environ[name] = previous


class Container:
    """Every adapter and service of the app, each built on first use."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    # --- Google adapters -------------------------------------------------------------------------

    def _credentials(self) -> Credentials | None:
        # Emulators take no credentials; in the cloud the default service account is used.
        if not self.settings.is_local:
            return None
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()  # type: ignore[no-untyped-call]  # google-auth leaves it unannotated

    @cached_property
    def firestore(self) -> firestore.Client:
        """Firestore client (the emulator when FIRESTORE_EMULATOR_HOST is set)."""
        from google.cloud import firestore

        with _emulator_env("FIRESTORE_EMULATOR_HOST", self.settings.firestore_emulator_host):
            return firestore.Client(project=self.settings.gcp_project, credentials=self._credentials())

    @cached_property
    def blobs(self) -> BlobStore:
        """BlobStore over Cloud Storage."""
        from google.cloud.storage import Client as StorageClient

        from carpulse.gcp.storage_blobs import GcsBlobStore

        with _emulator_env("STORAGE_EMULATOR_HOST", self.settings.storage_emulator_host):
            client = StorageClient(project=self.settings.gcp_project, credentials=self._credentials())
        return GcsBlobStore(
            client,
            self.settings.reports_bucket,
            signing_service_account=self.settings.signing_service_account,
            emulator_host=self.settings.storage_emulator_host,
        )

    @cached_property
    def queue(self) -> TaskQueue:
        """TaskQueue over Cloud Tasks (REST transport, so the local emulator speaks the same API).

        Its client is built on the first enqueue: the library takes a third of a second to import
        and most requests queue nothing (a VIN task only when it is the last one)."""
        return _LazyQueue(self._cloud_tasks_queue)

    def _cloud_tasks_queue(self) -> TaskQueue:
        from google.api_core.client_options import ClientOptions
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
        from google.api_core.client_options import ClientOptions
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
    def oauth_state_store(self) -> OAuthStateStore:
        """OAuth state store."""
        from carpulse.gcp.firestore_store import FirestoreOAuthStateStore

        return FirestoreOAuthStateStore(self.firestore)

    @cached_property
    def account_store(self) -> AccountStore:
        """Account store."""
        from carpulse.gcp.firestore_store import FirestoreAccountStore

        return FirestoreAccountStore(self.firestore)

    @cached_property
    def session_store(self) -> SessionStore:
        """Session store."""
        from carpulse.gcp.firestore_store import FirestoreSessionStore

        return FirestoreSessionStore(self.firestore)

    @cached_property
    def login_code_store(self) -> LoginCodeStore:
        """One-time login code store."""
        from carpulse.gcp.firestore_store import FirestoreLoginCodeStore

        return FirestoreLoginCodeStore(self.firestore)

    @cached_property
    def report_store(self) -> ReportStore:
        """Report store."""
        from carpulse.gcp.firestore_store import FirestoreReportStore

        return FirestoreReportStore(self.firestore)

    # --- verified reports (signing key, records, public check) -----------------------------------

    @cached_property
    def verification_store(self) -> VerificationStore:
        """Verification record store."""
        from carpulse.gcp.firestore_verification import FirestoreVerificationStore

        return FirestoreVerificationStore(self.firestore)

    @cached_property
    def rate_limits(self) -> RateLimiter:
        """Per-client request windows of the verify function (blind increments: no contention)."""
        from carpulse.gcp.firestore_limits import FirestoreWindowCounter
        from carpulse.gcp.firestore_verification import RATE_WINDOWS

        return FirestoreWindowCounter(self.firestore, collection=RATE_WINDOWS)

    @cached_property
    def internal_callers(self) -> IdTokenVerifier:
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
    def report_gate(self) -> ReportGate:
        """Per-account report limits and Idempotency-Keys (services/limits.py)."""
        from carpulse.domain.limits import ReportLimits
        from carpulse.gcp.firestore_limits import FirestoreLimitStore
        from carpulse.services.limits import ReportGate

        limits = ReportLimits(
            in_flight=self.settings.max_reports_in_flight, per_hour=self.settings.max_report_requests_per_hour
        )
        store = FirestoreLimitStore(self.firestore)
        return ReportGate(
            store=store, clock=self.clock, limits=limits, key_ttl_seconds=self.settings.idempotency_key_ttl_seconds
        )

    @cached_property
    def login_limits(self) -> ClientLimiter:
        """Unauthenticated login starts per client address and minute."""
        from carpulse.gcp.firestore_limits import FirestoreWindowCounter
        from carpulse.services.limits import ClientLimiter

        return ClientLimiter(
            limiter=FirestoreWindowCounter(self.firestore),
            clock=self.clock,
            per_minute=self.settings.initiate_per_minute,
        )

    def report_ca_certificates(self) -> list[x509.Certificate]:
        """Every report CA certificate we trust and publish (first: the current one)."""
        from carpulse.signing.certs import load_certificates

        return load_certificates(self.secrets.get(self.settings.report_ca_secret_name))

    @cached_property
    def report_signer(self) -> PadesSigner:
        """PAdES signer over the report-signing key: Cloud KMS, or a key from the local secret stand-in."""
        from carpulse.signing.certs import load_certificates
        from carpulse.signing.keys import LocalSigningKey, SigningIdentity
        from carpulse.signing.pades import PadesSigner, timestamper_for

        identity = SigningIdentity.from_secret(self.secrets.get(self.settings.report_signing_secret_name))
        key: SigningKey
        if identity.kms_key_version:
            from google.api_core.client_options import ClientOptions
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
    def sealer(self) -> ReportSealer:
        """Renders a report with its check mark, signs it and records it."""
        from carpulse.report.pdf import render_vehicle_pdf
        from carpulse.services.sealing import ReportSealer

        return ReportSealer(
            store=self.verification_store,
            signer=lambda: self.report_signer,
            render=render_vehicle_pdf,
            clock=self.clock,
            verify_base_url=self.settings.verify_origin,
            valid_days=self.settings.report_valid_days,
            retention_days=self.settings.verification_retention_days,
        )

    @cached_property
    def verification(self) -> VerificationService:
        """Public checks (verify function) and revocation (reports API: revoke_report, revoke_account)."""
        from carpulse.services.verification import VerificationService

        def check(data: bytes, roots: list[x509.Certificate]) -> SignatureCheck:
            from carpulse.signing.pades import check_pdf  # pyHanko only where a PDF is checked

            return check_pdf(data, roots)

        return VerificationService(
            store=self.verification_store,
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
        """One HTTP session (connection pool) for every Tesla call of this instance, with room for
        every call an account may have in flight (so concurrent calls reuse their connections)."""
        import requests
        from requests.adapters import HTTPAdapter

        from carpulse.tesla.transport import CALLS_IN_FLIGHT_PER_ACCOUNT

        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=2 * CALLS_IN_FLIGHT_PER_ACCOUNT)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @cached_property
    def tesla_gates(self) -> AccountGates:
        """Each account's bound on concurrent Tesla calls and its shared back-off after a 429."""
        from carpulse.tesla.transport import AccountGates

        return AccountGates()

    @cached_property
    def tesla_auth(self) -> AuthDirectory:
        """Tesla's OAuth servers (global and China), each with our application there."""
        from carpulse.tesla.auth import AuthDirectory, TeslaAuthClient

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
        from carpulse.crypto import TokenCipher
        from carpulse.services.tokens import TokenVault

        name = self.settings.token_encryption_key_name
        refresh = self.settings.token_keyring_refresh_seconds
        return TokenVault(cipher=TokenCipher(lambda: self.secrets.reread(name), refresh_seconds=refresh))

    @cached_property
    def refresher(self) -> TokenRefresher:
        """Single-flight token refresher."""
        from carpulse.services.tokens import TokenRefresher

        return TokenRefresher(
            accounts=self.account_store,
            auth=self.tesla_auth,
            vault=self.vault,
            clock=self.clock,
            margin_seconds=self.settings.refresh_margin_seconds,
        )

    def fleet(
        self,
        base_url: str,
        tokens: TokenProvider,
        observer: Callable[[RawExchange], None] | None = None,
        *,
        region: str | None = None,
        on_wrong_region: Callable[[WrongRegionError], str] | None = None,
        gate_key: str | None = None,
    ) -> FleetClient:
        """A Fleet client for a base URL and token provider (sharing the gate of `gate_key`)."""
        from carpulse.tesla.client import FleetClient
        from carpulse.tesla.transport import AccountGate

        return FleetClient(
            base_url=base_url,
            tokens=tokens,
            http=self.http,
            timeout=self.settings.tesla_http_timeout_seconds,
            observer=observer,
            region=region,
            on_wrong_region=on_wrong_region,
            gate=self.tesla_gates.of(gate_key) if gate_key else AccountGate(),
        )

    def fleet_for_account(self, account: Account, observer: Callable[[RawExchange], None] | None = None) -> FleetClient:
        """A Fleet client acting for a connected account (re-discovers its region on 421)."""
        from carpulse.services.regions import RegionRediscovery
        from carpulse.services.tokens import AccountTokenProvider

        provider = AccountTokenProvider(
            account_id=account.account_id,
            accounts=self.account_store,
            refresher=self.refresher,
            vault=self.vault,
            clock=self.clock,
        )
        rediscover = RegionRediscovery(
            account_id=account.account_id,
            tokens=provider,
            settings=self.settings,
            accounts=self.account_store,
            fleet=lambda base_url, tokens: self.fleet(base_url, tokens),
            clock=self.clock,
        )
        return self.fleet(
            account.fleet_api_base_url,
            provider,
            observer,
            region=account.region,
            on_wrong_region=rediscover,
            gate_key=account.account_id,
        )

    def partner_fleet_for_account(
        self, account: Account, observer: Callable[[RawExchange], None] | None = None
    ) -> FleetClient:
        """A Fleet client with our partner token in the account's region (for specs), sharing the
        account's gate: its calls are about the owner's cars."""
        from carpulse.tesla.auth import PartnerTokenProvider

        provider = PartnerTokenProvider(self.tesla_auth.for_region(account.region), audience=account.fleet_api_base_url)
        return self.fleet(
            account.fleet_api_base_url, provider, observer, region=account.region, gate_key=account.account_id
        )

    # --- services --------------------------------------------------------------------------------

    @cached_property
    def connect(self) -> ConnectService:
        """OAuth initiate/callback."""
        from carpulse.services.connect import ConnectService

        return ConnectService(
            settings=self.settings,
            states=self.oauth_state_store,
            accounts=self.account_store,
            auth=self.tesla_auth,
            vault=self.vault,
            fleet_for=self.fleet,
            issue_login_code=self.session_service.issue_login_code,
            clock=self.clock,
        )

    @cached_property
    def session_service(self) -> SessionService:
        """Login codes, sessions and the bearer check."""
        from carpulse.services.sessions import SessionService

        return SessionService(
            codes=self.login_code_store,
            sessions=self.session_store,
            accounts=self.account_store,
            clock=self.clock,
            code_ttl_seconds=self.settings.login_code_ttl_seconds,
            session_ttl_seconds=self.settings.session_ttl_seconds,
        )

    @cached_property
    def reports_service(self) -> ReportsService:
        """Frontend report use cases."""
        from carpulse.services.reports import ReportsService

        return ReportsService(
            settings=self.settings,
            sessions=self.session_store,
            accounts=self.account_store,
            reports=self.report_store,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=self.fleet_for_account,
            clock=self.clock,
            revoke_account=lambda account_id: self.verification.revoke_account(account_id),
            revoke_report=lambda account_id, report_id: self.verification.revoke_report(account_id, report_id),
            gate=self.report_gate,
        )

    @cached_property
    def worker(self) -> Worker:
        """Cloud Tasks worker (its first task starts loading the PDF stack on a thread)."""
        from carpulse.services.finalise import FinaliseService
        from carpulse.services.prepare import PrepareService
        from carpulse.services.renditions import RenditionService
        from carpulse.services.vehicle_report import VehicleReportService
        from carpulse.services.worker import Worker

        warm_up_report_stack()
        prepare = PrepareService(
            accounts=self.account_store,
            reports=self.report_store,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=self.fleet_for_account,
        )
        vehicle = VehicleReportService(
            accounts=self.account_store,
            reports=self.report_store,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=self.fleet_for_account,
            render_pdf=_lazy("carpulse.report.pdf", "render_vehicle_pdf"),
            clock=self.clock,
            render_json=_lazy("carpulse.report.json_view", "render_vehicle_json"),
            partner_fleet_for_account=self.partner_fleet_for_account if self.settings.fetch_specs else None,
            wake_wait_seconds=self.settings.wake_wait_seconds,
            offline_wait_seconds=self.settings.offline_wait_seconds,
            run_lease_seconds=self.settings.vin_run_lease_seconds,
            seal=lambda account_id, snapshot: self.sealer.seal(account_id, snapshot),
            prices=self.settings.tesla_prices,
        )
        csv = _lazy("carpulse.report.csv_export", "sessions_csv")
        finalise = FinaliseService(reports=self.report_store, blobs=self.blobs, sessions_csv=csv)
        renditions = RenditionService(
            reports=self.report_store,
            blobs=self.blobs,
            seal=lambda account_id, snapshot, language: self.sealer.seal(account_id, snapshot, rendition=language),
            render_json=_lazy("carpulse.report.json_view", "render_vehicle_json"),
            sessions_csv=csv,
        )
        return Worker(
            prepare=prepare,
            vehicle=vehicle,
            finalise=finalise,
            queue=self.queue,
            max_attempts=self.settings.task_max_attempts,
            renditions=renditions,
        )

    @cached_property
    def sweeper(self) -> Sweeper:
        """Scheduler sweep of stalled reports."""
        from carpulse.services.sweeper import Sweeper

        return Sweeper(
            reports=self.report_store,
            queue=self.queue,
            clock=self.clock,
            stall_seconds=self.settings.report_stall_seconds,
        )

    @cached_property
    def refresh_due(self) -> RefreshDueService:
        """Scheduler token refresh."""
        from carpulse.services.refresh_due import RefreshDueService

        return RefreshDueService(
            accounts=self.account_store,
            refresher=self.refresher,
            clock=self.clock,
            margin_seconds=self.settings.refresh_margin_seconds,
        )


class _LazyQueue:
    """A TaskQueue whose adapter is built on the first enqueue (once, whichever thread is first)."""

    def __init__(self, build: Callable[[], TaskQueue]) -> None:
        self._build = build
        self._queue: TaskQueue | None = None
        self._lock = threading.Lock()

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        """Create the task under its deterministic name; False if that name already exists."""
        with self._lock:
            if self._queue is None:
                self._queue = self._build()
        return self._queue.enqueue(task, delay_seconds)


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """A function of a module that is imported on the first call (the worker's PDF stack)."""

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    return call


def warm_up_report_stack() -> None:
    """Import the PDF stack and parse its fonts on a daemon thread (once): that overlaps the waits
    for Tesla, and a render that comes first simply waits for the module the thread is importing."""
    global _warming
    with _warm_lock:
        if _warming is not None:
            return
        _warming = threading.Thread(target=_import_report_stack, name="warm-up", daemon=True)
    _warming.start()


def _import_report_stack() -> None:
    for name in REPORT_STACK:
        importlib.import_module(name)
    # The first render would parse the report fonts (fpdf2 keeps them per process): parse them now.
    from fpdf import FPDF

    from carpulse.report.fonts import install_fonts

    install_fonts(FPDF())


_warm_lock = threading.Lock()
_warming: threading.Thread | None = None


# --- the process-wide container, and the seam for tests and tools ---------------------------------

_installed: Container | None = None  # set by `installed`: what container() answers instead


@lru_cache(maxsize=1)
def _process_container() -> Container:
    return Container(get_settings())


class _ContainerOfTheProcess:
    """`container()`: the Container an `installed` block put in place, else the process-wide one
    (built from the environment on the first call, then cached). It is called on every request:
    one global read and a cache hit. Entry points import it by name (`from carpulse.bootstrap import
    container`), so the override lives here, behind the one function they hold."""

    __slots__ = ()

    def __call__(self) -> Container:
        override = _installed
        return override if override is not None else _process_container()

    def cache_clear(self) -> None:
        """Forget the process-wide Container: the next call builds one from the settings again
        (with `config.get_settings.cache_clear()` first, from the environment as it is now)."""
        _process_container.cache_clear()


container = _ContainerOfTheProcess()


@contextlib.contextmanager
def installed(replacement: Container) -> Iterator[Container]:
    """For tests and tools: `container()` answers `replacement` until the block ends, then what
    it answered before (blocks nest). Process-wide, not per thread, so a function served on other
    threads sees it too; one `installed` block at a time per process.

        app = with_parts(Container(settings, clock=clock), session_store=FakeSessions(), ...)
        with installed(app):
            client = create_app(target="reports", source="functions/reports/main.py").test_client()
            ...

    Only `container()` is replaced: the request wrapper (carpulse/http/api.py: CORS origins, log
    level) and the login cookie (carpulse/http/cookies.py) read `config.get_settings()`, the
    environment, so a test of those sets the environment its container's settings came from."""
    global _installed
    previous, _installed = _installed, replacement
    try:
        yield replacement
    finally:
        _installed = previous


def with_parts(target: Container, **parts: object) -> Container:
    """Give `target` prebuilt parts in place of the ones it would build (in-memory stores, a
    refusing HTTP session, ...), by the name of Container's cached property: `account_store=…`.
    Returns `target`. A name that is not such a property is a TypeError; a part it has already
    built is a ValueError (services built from it would keep the old one): give parts first."""
    known = {
        name
        for klass in type(target).__mro__
        for name, value in vars(klass).items()
        if isinstance(value, cached_property)
    }
    unknown = sorted(set(parts) - known)
    if unknown:
        raise TypeError(f"not parts of a Container: {', '.join(unknown)} (parts: {', '.join(sorted(known))})")
    built = sorted(name for name in parts if name in vars(target))
    if built:
        raise ValueError(f"already built in this container: {', '.join(built)}; give parts before their first use")
    vars(target).update(parts)  # where cached_property keeps a built value
    return target
