"""Stored domain records (Firestore documents) and the API models built from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MissingSection(BaseModel):
    """A section a finished VIN's report could not fill, and why (a reason code)."""

    section: str
    reason_code: str
    detail: dict[str, str] = {}


class AccountStatus(StrEnum):
    ACTIVE = "active"
    RECONNECT_REQUIRED = "reconnect_required"


class Account(_Record):
    """A connected Tesla account. Tokens are stored encrypted; never in clear."""

    account_id: str
    region: str
    fleet_api_base_url: str
    status: AccountStatus = AccountStatus.ACTIVE
    scopes: tuple[str, ...] = ()
    access_token_enc: str
    refresh_token_enc: str
    token_expires_at: datetime
    token_generation: int = 0  # bumped on every rotation: the compare-and-swap guard of refreshes
    refresh_lease_until: datetime | None = None
    refresh_lease_id: str | None = None  # the holder of the refresh lease (the token write is fenced to it)
    created_at: datetime
    updated_at: datetime


class OAuthState(_Record):
    """A pending OAuth login. Stored under the hash of the state; deleted when consumed."""

    binding_hash: str  # hash of the browser-bound nonce (cookie) that started the login
    auth_realm: str = "global"  # which Tesla auth server the login went to (global or cn)
    created_at: datetime
    expires_at: datetime  # Firestore TTL field


class LoginCode(_Record):
    """A one-time code the callback hands the frontend (in the URL fragment) instead of a session
    token; the frontend trades it for a session. Stored under its hash; deleted when used."""

    account_id: str
    created_at: datetime
    expires_at: datetime  # Firestore TTL field


class Session(_Record):
    """A frontend session, stored under the hash of its bearer token."""

    account_id: str
    created_at: datetime
    expires_at: datetime  # Firestore TTL field


class ReportStatus(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    FINALISING = "finalising"  # every VIN is done; building the CSV and invoice ZIP
    COMPLETE = "complete"  # every VIN has a PDF
    PARTIAL = "partial"  # some VINs failed
    FAILED = "failed"  # nothing could be produced


class VinStatus(StrEnum):
    QUEUED = "queued"
    FETCHING = "fetching"
    WAITING_FOR_VEHICLE = "waiting_for_vehicle"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether this VIN's work is over."""
        return self in (VinStatus.DONE, VinStatus.FAILED)


class ReportOptions(_Record):
    allow_wake: bool = False
    language: str = "en"
    budget_usd: float | None = None  # Tesla's bill the owner will pay for at most; billed extras give way


class RenditionStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


class Rendition(_Record):
    """A finished report rendered again in another language, from its stored snapshots."""

    language: str
    status: RenditionStatus = RenditionStatus.QUEUED
    requested_at: datetime
    completed_at: datetime | None = None
    error_code: str | None = None


class ReportRequest(_Record):
    """A report request for some of an account's VINs.

    The report document is written only at its few transitions (created, preparing, running,
    finalising, closed); per-VIN progress lives in the VIN documents, so VINs never contend on it.
    """

    report_id: str
    account_id: str
    vins: tuple[str, ...]
    options: ReportOptions = Field(default_factory=ReportOptions)
    status: ReportStatus = ReportStatus.QUEUED
    outcome: ReportStatus | None = None  # what the report is once finalised
    csv_object: str | None = None
    zip_object: str | None = None
    error: str | None = None  # English, for logs and old clients; error_code is the contract
    error_code: str | None = None
    sweeps: int = 0  # how often the sweeper re-queued this report's own tasks
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime | None = None  # Firestore TTL field: the report's documents go after this
    renditions: dict[str, Rendition] = Field(default_factory=dict)  # by language
    retries: int = 0  # how often a failed VIN was tried again after the report had finished
    tesla_calls: dict[str, int] = Field(default_factory=dict)  # the account-level calls, billed, by category

    @property
    def is_open(self) -> bool:
        """Whether work on the report can still happen."""
        return self.status not in (ReportStatus.COMPLETE, ReportStatus.PARTIAL, ReportStatus.FAILED)


class VinProgress(_Record):
    """Progress of one VIN of a report (a sub-document of the report)."""

    vin: str
    display_name: str | None = None  # the owner's name for the car when the report was requested
    status: VinStatus = VinStatus.QUEUED
    step: str = "queued"  # English detail for logs; the API shows `stage` words in the report's language
    error: str | None = None  # English, for logs; error_code is the contract
    error_code: str | None = None  # a report_life.FAILURE_CODES key, when failed
    missing: tuple[MissingSection, ...] = ()  # sections a done VIN could not fill, with reasons
    attempts: int = 0
    pdf_object: str | None = None
    snapshot_object: str | None = None
    json_object: str | None = None  # the JSON view of the same snapshot
    tesla_requests: int = 0  # every Tesla call made for this VIN, whichever run made it
    tesla_calls: dict[str, int] = Field(default_factory=dict)  # billed answers by category (domain/billing.py)
    run_id: str | None = None  # the run that holds the lease
    run_lease_until: datetime | None = None
    sweeps: int = 0
    wait_until: datetime | None = None  # a car is waking / unreachable: not stalled before this
    wait_reason: str | None = None  # "waking" or "unreachable", while waiting_for_vehicle
    updated_at: datetime
    expires_at: datetime | None = None  # Firestore TTL field: the report's expiry (no cascade to subcollections)
