"""Public verification: look up a check id, check an uploaded PDF, and revoke an owner's reports.

Nobody needs an account for the checks; each client is rate limited. The verdict on an upload
takes the first row of a table that holds: a file is `valid` only when our intact signature
covers all of its bytes and those bytes hash to the record its check id names.

Revocation is for the reports API (the owner withdraws a report; disconnect withdraws them all).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carpulse.domain.verification import (
    ID_PATTERN,
    CheckResult,
    CheckStatus,
    NotAPdfError,
    PublicRecord,
    RateLimitedError,
    RecordStatus,
    RevocationReason,
    SignatureView,
    UploadTooLargeError,
    VerificationRecord,
    owner_key,
)
from carpulse.gcp.ports import Clock, RateLimiter, VerificationStore

if TYPE_CHECKING:
    from cryptography import x509

    from carpulse.signing.pades import SignatureCheck

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
WINDOW_SECONDS = 60
_ID = re.compile(ID_PATTERN)

Verdict = Callable[["SignatureCheck", VerificationRecord | None, str], bool]
# First row that holds decides; when none does, the record's own status does (valid/expired/revoked).
VERDICTS: tuple[tuple[CheckStatus, Verdict], ...] = (
    (CheckStatus.UNSIGNED, lambda check, record, digest: not check.signed and check.verification_id is None),
    (CheckStatus.UNKNOWN, lambda check, record, digest: record is None),
    (CheckStatus.UNSIGNED, lambda check, record, digest: check.readable and not check.signed),
    (CheckStatus.MODIFIED, lambda check, record, digest: not check.genuine),
    (CheckStatus.MODIFIED, lambda check, record, digest: record is not None and record.sha256 != digest),
)
_BY_RECORD = {
    RecordStatus.VALID: CheckStatus.VALID,
    RecordStatus.EXPIRED: CheckStatus.EXPIRED,
    RecordStatus.REVOKED: CheckStatus.REVOKED,
}


@dataclass(kw_only=True)
class VerificationService:
    """The verify function's use cases, and revocation for the reports API."""

    store: VerificationStore
    limiter: RateLimiter
    clock: Clock
    trust_roots: Callable[[], list[x509.Certificate]]  # our report CA(s), read on first use
    check: Callable[[bytes, list[x509.Certificate]], SignatureCheck]  # signing.pades.check_pdf
    page_per_minute: int = 60
    uploads_per_minute: int = 12

    def _limit(self, kind: str, client: str, limit: int) -> None:
        wait = self.limiter.hit(f"{kind}:{client}", limit, WINDOW_SECONDS, self.clock())
        if wait is not None:
            raise RateLimitedError("too many checks from this address; try again shortly", retry_after=wait)

    def lookup(self, verification_id: str, client: str) -> PublicRecord:
        """What the check page says about a check id (not_found for any id we never issued)."""
        self._limit("page", client, self.page_per_minute)
        record = self.store.get(verification_id) if _ID.fullmatch(verification_id) else None
        if record is None:
            return PublicRecord(status=RecordStatus.NOT_FOUND)
        return PublicRecord(
            status=record.status_at(self.clock()),
            verification_id=record.verification_id,
            facts=record.facts,
            sha256=record.sha256,
            key_id=record.key_id,
            valid_until=record.valid_until,
            revoked_at=record.revoked_at,
        )

    def admit_upload(self, client: str) -> None:
        """Count an upload against the client's limit (before its body is read)."""
        self._limit("upload", client, self.uploads_per_minute)

    def check_upload(self, data: bytes) -> CheckResult:
        """The verdict on an uploaded PDF: signature against our CA, bytes against the record."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadTooLargeError(f"a report PDF is at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        if not data.lstrip()[:5] == b"%PDF-":
            raise NotAPdfError("the body is not a PDF file", messages={"body": ["is not a PDF file"]})
        digest = hashlib.sha256(data).hexdigest()
        check = self.check(data, self.trust_roots())
        record = self.store.get(check.verification_id) if check.verification_id else None
        status = next((s for s, holds in VERDICTS if holds(check, record, digest)), None)
        if status is None and record is not None:
            status = _BY_RECORD[record.status_at(self.clock())]
        signature = (
            SignatureView(
                signed_by=check.signed_by,
                signed_at=check.signed_at,
                intact=check.intact,
                trusted=check.trusted,
                covers_whole_file=check.whole_file,
                key_id=check.key_id,
            )
            if check.signed
            else None
        )
        return CheckResult(
            status=status or CheckStatus.UNKNOWN,
            report_id=record.facts.report_id if record else None,
            verification_id=record.verification_id if record else None,
            sha256=digest,
            signature=signature,
            facts=record.facts if record else None,
            valid_until=record.valid_until if record else None,
        )

    def revoke_report(self, account_id: str, report_id: str) -> int:
        """Withdraw every PDF of one of the owner's reports; how many were newly withdrawn."""
        return self.store.revoke(owner_key(account_id), report_id, RevocationReason.OWNER, self.clock())

    def revoke_account(self, account_id: str) -> int:
        """Withdraw every report of an account (call on disconnect, before deleting the account)."""
        return self.store.revoke(owner_key(account_id), None, RevocationReason.DISCONNECTED, self.clock())
