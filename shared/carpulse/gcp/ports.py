"""Small ports the services depend on; adapters for Google services (and fakes) implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from carpulse.domain.limits import Claim, Decision, IdempotencyRecord, ReportLimits
from carpulse.domain.models import (
    Account,
    LoginCode,
    OAuthState,
    Rendition,
    RenditionStatus,
    ReportRequest,
    ReportStatus,
    Session,
    VinProgress,
    VinStatus,
)
from carpulse.domain.paging import ReportCursor
from carpulse.domain.refresh_lease import RotationWrite
from carpulse.domain.report_life import RunStart
from carpulse.domain.tasks import WorkerTask
from carpulse.domain.verification import RevocationReason, VerificationRecord


class OAuthStateStore(Protocol):
    """Pending OAuth logins."""

    def put(self, state_hash: str, state: OAuthState) -> None:
        """Store a new pending login."""
        ...

    def consume(self, state_hash: str) -> OAuthState | None:
        """Atomically read and delete a pending login (single use); None if unknown."""
        ...


class LoginCodeStore(Protocol):
    """One-time login codes of finished OAuth logins."""

    def put(self, code_hash: str, code: LoginCode) -> None:
        """Store a new code."""
        ...

    def consume(self, code_hash: str) -> LoginCode | None:
        """Atomically read and delete a code (single use); None if unknown or already used."""
        ...


class AccountStore(Protocol):
    """Connected accounts and their encrypted tokens."""

    def get(self, account_id: str) -> Account | None:
        """One account, or None."""
        ...

    def save_connected(self, account: Account) -> Account:
        """Create or replace an account after a (re)connect, keeping its original created_at."""
        ...

    def acquire_refresh_lease(
        self, account_id: str, now: datetime, lease_seconds: float, lease_id: str
    ) -> Account | None:
        """Take the refresh lease (under `lease_id`) if nobody holds a live one; the account as
        read, or None if held."""
        ...

    def release_refresh_lease(self, account_id: str, lease_id: str) -> None:
        """Let go of the lease, if it is still ours."""
        ...

    def store_rotated_tokens(
        self, account_id: str, lease_id: str, expected_generation: int, changes: dict[str, object]
    ) -> RotationWrite:
        """Write rotated tokens fenced to the lease; never drops them while they are the newest grant."""
        ...

    def update(self, account_id: str, changes: dict[str, object]) -> None:
        """Patch fields of an account."""
        ...

    def expiring_before(self, moment: datetime) -> list[Account]:
        """Active accounts whose access token expires before `moment`."""
        ...

    def delete(self, account_id: str) -> None:
        """Remove the account and its tokens."""
        ...


class SessionStore(Protocol):
    """Frontend sessions."""

    def put(self, token_hash: str, session: Session) -> None:
        """Store a session under its token hash."""
        ...

    def get(self, token_hash: str) -> Session | None:
        """A session by token hash, or None."""
        ...

    def delete(self, token_hash: str) -> None:
        """End one session (logout)."""
        ...

    def delete_for_account(self, account_id: str) -> None:
        """End every session of an account."""
        ...


class ReportStore(Protocol):
    """Report requests and their per-VIN progress. The rules (who may finish, what the outcome is)
    are in carpulse.domain.report_life; a store only applies them atomically (gcp/store_transitions.py)."""

    def create(self, report: ReportRequest, progress: list[VinProgress]) -> None:
        """Create a report and its VIN progress documents in one atomic write."""
        ...

    def get(self, report_id: str) -> ReportRequest | None:
        """A report, or None."""
        ...

    def progress(self, report_id: str) -> list[VinProgress]:
        """Per-VIN progress of a report."""
        ...

    def vin(self, report_id: str, vin: str) -> VinProgress | None:
        """One VIN's progress, or None."""
        ...

    def set_status(
        self, report_id: str, status: ReportStatus, error: str | None = None, error_code: str | None = None
    ) -> None:
        """Move an open report to a status (a closed report stays closed)."""
        ...

    def start_run(self, report_id: str, vin: str, run_id: str, now: datetime, lease_seconds: float) -> RunStart:
        """Take the VIN's run lease: "started", or why not ("busy": another run holds it,
        "finished": the VIN is done, "unknown": no such VIN)."""
        ...

    def end_run(self, report_id: str, vin: str, run_id: str, changes: dict[str, object]) -> None:
        """Release our run lease (if we still hold it) with a last patch of an open VIN."""
        ...

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        """Patch a VIN's progress unless it is already finished."""
        ...

    def add_tesla_requests(self, report_id: str, vin: str, count: int, calls: dict[str, int] | None = None) -> None:
        """Count Tesla calls made for a VIN, and the billed ones by category (atomic increments,
        whatever the run's outcome)."""
        ...

    def add_report_tesla_calls(self, report_id: str, calls: dict[str, int]) -> None:
        """Count the billed account-level calls of a report by category (atomic increments)."""
        ...

    def finish_vin(self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]) -> bool:
        """Mark a VIN finished exactly once; False if it already was (a repeated delivery)."""
        ...

    def unfinished_vins(self, report_id: str) -> int:
        """How many VINs of a report are still open (a count, not a read of every VIN)."""
        ...

    def close(self, report_id: str, outcome: ReportStatus, changes: dict[str, object]) -> bool:
        """Close an open report with its outcome, once; False if it was already closed."""
        ...

    def open_reports(self) -> list[ReportRequest]:
        """Reports that are not closed yet (for the sweeper)."""
        ...

    def count_sweep(self, report_id: str, vin: str | None = None) -> None:
        """Record that the sweeper re-queued a report's (or one VIN's) work."""
        ...

    def delete_for_account(self, account_id: str) -> int:
        """Delete every report document of an account, VIN documents included; returns reports."""
        ...

    def list_for_account(self, account_id: str, limit: int, after: ReportCursor | None = None) -> list[ReportRequest]:
        """At most `limit` of the account's reports, newest first (carpulse.domain.paging), after a cursor."""
        ...

    def delete(self, report_id: str) -> bool:
        """Delete one report document with its VIN documents; False if there was none."""
        ...

    def reopen_for_retry(self, report_id: str, vin: str) -> int | str:
        """Open a finished report again and queue its failed VIN (report_life.retry_refusal's rule):
        the report's new retry round, or the refusal's code."""
        ...

    def add_rendition(self, report_id: str, language: str, now: datetime) -> tuple[Rendition, bool] | None:
        """The report's rendition in a language, added by report_life.rendition_to_queue's rule;
        (rendition, is it new work), or None without the report."""
        ...

    def finish_rendition(self, report_id: str, language: str, status: RenditionStatus, error_code: str | None) -> None:
        """Record a rendition's outcome (done, or failed with a code)."""
        ...


class BlobStore(Protocol):
    """Private object storage (Cloud Storage)."""

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Write an object (overwrite is fine: names are deterministic)."""
        ...

    def get(self, name: str) -> bytes | None:
        """Read an object, or None."""
        ...

    def signed_url(self, name: str, ttl_seconds: int, download_name: str | None = None) -> str:
        """A short-lived GET URL for an object."""
        ...

    def names(self, prefix: str) -> list[str]:
        """The names of the objects under a prefix."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a prefix; returns how many."""
        ...


class TaskQueue(Protocol):
    """Cloud Tasks queue of the report worker."""

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        """Create the task under its deterministic name; False if that name already exists."""
        ...


class SecretSource(Protocol):
    """Secret Manager (or the environment, locally)."""

    def get(self, name: str) -> str:
        """The latest value of a secret."""
        ...

    def reread(self, name: str) -> str:
        """The latest value read again (after a rotation), replacing any cached one."""
        ...


# --- verified reports ------------------------------------------------------------------------------


class SigningKey(Protocol):
    """The report-signing key (EC P-256): Cloud KMS in the cloud, so its private half never leaves it."""

    def public_key_pem(self) -> str:
        """The public half, PEM (compared with the signing certificate's)."""
        ...

    def sign_digest(self, digest: bytes) -> bytes:
        """The DER ECDSA signature of a SHA-256 digest."""
        ...


class VerificationStore(Protocol):
    """Verification records of rendered PDFs, kept independently of the PDFs' retention."""

    def reserve(self, slot: str, candidate_id: str, expires_at: datetime) -> str:
        """The check id of a report+VIN slot: `candidate_id` if the slot is new, else the one it has
        (the slot itself may be forgotten after `expires_at`: no task renders that report again)."""
        ...

    def save(self, record: VerificationRecord) -> None:
        """Write a record (a re-render overwrites its hash), keeping a revocation it already has."""
        ...

    def get(self, verification_id: str) -> VerificationRecord | None:
        """A record by check id, or None."""
        ...

    def revoke(self, owner: str, report_id: str | None, reason: RevocationReason, at: datetime) -> int:
        """Revoke the owner's records (of one report, or all); returns how many were newly revoked."""
        ...


class RateLimiter(Protocol):
    """Requests per client and time window, shared by every instance."""

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> float | None:
        """Count one request; None when allowed, else the seconds until its window ends."""
        ...


class LimitStore(Protocol):
    """Per-account report limits and Idempotency-Keys, applied atomically (rules: domain.limits)."""

    def admit_report(self, account_id: str, report_id: str, now: datetime, limits: ReportLimits) -> Decision:
        """Admit one report request of the account, or say why not (nothing counted then)."""
        ...

    def release_report(self, account_id: str, report_id: str) -> None:
        """Forget an admitted report whose creation failed (it no longer counts as in flight)."""
        ...

    def claim_key(self, key_hash: str, record: IdempotencyRecord, pending_seconds: float) -> tuple[Claim, str | None]:
        """Claim an Idempotency-Key for a request: the outcome, with the key's report id on replay."""
        ...

    def complete_key(self, key_hash: str, report_id: str) -> None:
        """The claimed key now stands for this report."""
        ...

    def drop_key(self, key_hash: str) -> None:
        """Give a claimed key up (its request failed: a retry with the key may try again)."""
        ...

    def delete_for_account(self, account_id: str) -> int:
        """Delete the account's limit state and keys; returns how many documents."""
        ...


class SealedTokens(BaseModel):
    """An account's stored token ciphertexts (what re-encryption reads and replaces)."""

    account_id: str
    access_token_enc: str
    refresh_token_enc: str


class TokenRekeyStore(Protocol):
    """The accounts' token ciphertexts, for moving them to the current key."""

    def sealed_tokens(self) -> Iterator[SealedTokens]:
        """Every account's ciphertexts."""
        ...

    def swap_sealed(self, expected: SealedTokens, replacement: SealedTokens) -> bool:
        """Replace an account's ciphertexts if they are still `expected` (nobody rotated the tokens
        meanwhile); False otherwise. Nothing else of the account changes."""
        ...


Clock = Callable[[], datetime]
