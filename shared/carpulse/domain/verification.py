"""Verification records: what a buyer can check about one rendered report PDF, without an account.

A record holds only what the PDF itself shows (facts), the SHA-256 of the exact PDF bytes, the
signing key's id, a valid-until date (a report is a snapshot) and its revocation. It never holds
tokens or a location; `owner` is a one-way hash of the account id, used only to revoke every
report of an account on disconnect, and never shown. Records are kept independently of the
PDF's own retention (`delete_after` drives a Firestore TTL policy).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from carpulse.errors import CarPulseError, InvalidRequestError, RetryLaterError

ID_BYTES = 16  # 128 random bits; token_urlsafe gives 22 URL-safe characters
ID_PATTERN = r"^[A-Za-z0-9_-]{22,64}$"
_OWNER_CONTEXT = "carpulse.verification.owner:"


def new_verification_id() -> str:
    """A random, unguessable check id (128 bits)."""
    return secrets.token_urlsafe(ID_BYTES)


def owner_key(account_id: str) -> str:
    """The one-way key a record names its account by (for revocation on disconnect only)."""
    return hashlib.sha256((_OWNER_CONTEXT + account_id).encode()).hexdigest()


def slot_key(report_id: str, vin: str, rendition: str | None = None) -> str:
    """One check id per report and VIN (and per rendition in another language), whatever the number
    of renders (a retried task reuses it)."""
    suffix = f":{rendition}" if rendition else ""
    return hashlib.sha256(f"{report_id}:{vin.upper()}{suffix}".encode()).hexdigest()[:40]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Odometer(_Model):
    """The odometer as the PDF prints it: whole units in the owner's distance unit."""

    value: int
    unit: str  # "km" or "mi"


class HealthFacts(_Model):
    """The battery-health figures the PDF prints, with the method that made the estimate."""

    method: str
    tesla_soh_percent: float | None = None
    tesla_soh_as_of: date | None = None
    estimate_percent: float | None = None


class ReportFacts(_Model):
    """The facts a buyer compares with the car and the PDF; all of them are printed in the PDF."""

    report_id: str
    model: str | None = None
    model_year: int | None = None
    vin_last6: str
    odometer: Odometer | None = None
    battery_health: HealthFacts | None = None
    data_as_of: datetime | None = None
    generated_at: datetime
    language: str


class RecordStatus(StrEnum):
    """What the check page says about a check id."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"


class CheckStatus(StrEnum):
    """What an uploaded PDF is."""

    VALID = "valid"
    MODIFIED = "modified"  # not the bytes we signed (or not our intact signature over all of them)
    UNSIGNED = "unsigned"  # no signature at all
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no record for the check id it names (or it names none)


class RevocationReason(StrEnum):
    """Why a report was withdrawn."""

    OWNER = "owner"
    DISCONNECTED = "disconnected"


class VerificationRecord(_Model):
    """One rendered PDF, as a buyer can check it."""

    verification_id: str
    facts: ReportFacts
    sha256: str
    key_id: str
    signed_at: datetime
    valid_until: datetime
    owner: str
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    delete_after: datetime

    def status_at(self, now: datetime) -> RecordStatus:
        """Revoked beats expired: a withdrawn report must never read as merely old."""
        if self.revoked_at is not None:
            return RecordStatus.REVOKED
        return RecordStatus.EXPIRED if now >= self.valid_until else RecordStatus.VALID


class PublicRecord(_Model):
    """The check page's answer (GET /verify/{id}): no owner, nothing the PDF does not show."""

    status: RecordStatus
    verification_id: str | None = None
    facts: ReportFacts | None = None
    sha256: str | None = None
    key_id: str | None = None
    valid_until: datetime | None = None
    revoked_at: datetime | None = None


class SignatureView(_Model):
    """What the uploaded PDF's signature says."""

    signed_by: str | None = None
    signed_at: datetime | None = None
    intact: bool
    trusted: bool
    covers_whole_file: bool
    key_id: str | None = None


class CheckResult(_Model):
    """The answer to an uploaded PDF (POST /api/v1/verify)."""

    status: CheckStatus
    report_id: str | None = None
    verification_id: str | None = None
    sha256: str
    signature: SignatureView | None = None
    facts: ReportFacts | None = None
    valid_until: datetime | None = None


class RateLimitedError(RetryLaterError):
    """Too many checks from one client; retry after `retry_after` seconds."""

    error = "rate_limited"


class NotAPdfError(InvalidRequestError):
    """The uploaded body is not a PDF file."""


class UploadTooLargeError(CarPulseError):
    """The uploaded PDF is larger than a report can be."""

    error = "payload_too_large"
