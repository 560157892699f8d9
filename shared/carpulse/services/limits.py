"""Cost limits of the public API: what one account's report requests and one client's login starts
may cost us at Tesla and in Firestore.

- `ReportGate` answers a report request within the account's limits (reports in flight, requests
  per hour; 429 with Retry-After past them) and honours `Idempotency-Key`: the same key with the
  same body answers with the first request's report and calls Tesla no more; the same key with
  another body is 422 `idempotency_key_reused`; while the first request with the key is still
  being answered, 409 `request_in_progress` with Retry-After. A key lives `key_ttl_seconds`.
- `ClientLimiter` counts unauthenticated requests per client address and minute (429 past it).

The rules are carpulse.domain.limits; the state lives in Firestore, shared by every instance.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel

from carpulse.domain.limits import Claim, IdempotencyRecord, Refusal, ReportLimits
from carpulse.errors import (
    CarPulseError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    LimitExceededError,
    RequestInProgressError,
)
from carpulse.gcp.ports import Clock, LimitStore, RateLimiter

V = TypeVar("V")
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII: UUIDs, ULIDs, random tokens
IN_PROGRESS_RETRY_SECONDS = 2.0
_REFUSED: dict[Refusal, str] = {
    "in_flight": "at most {limit} reports may be in progress at once; try again when one has finished",
    "per_hour": "at most {limit} report requests per hour; try again later",
}
_KEY_REFUSED: dict[Claim, Callable[[], CarPulseError]] = {
    "mismatch": lambda: IdempotencyKeyReusedError(
        "this Idempotency-Key was used for a different request; use a new key",
        messages={IDEMPOTENCY_HEADER: ["was used with another body"]},
    ),
    "in_progress": lambda: RequestInProgressError(
        "the first request with this Idempotency-Key is still being answered", retry_after=IN_PROGRESS_RETRY_SECONDS
    ),
}


def fingerprint(body: BaseModel) -> str:
    """SHA-256 of a request body as validated (so spacing or VIN case make no difference)."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def key_hash(account_id: str, key: str) -> str:
    """Where an account's key is stored: keys of different accounts never meet."""
    if not _KEY.match(key):
        raise InvalidRequestError(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            messages={IDEMPOTENCY_HEADER: ["must be 1 to 255 visible ASCII characters"]},
        )
    return hashlib.sha256(f"{account_id}\n{key}".encode()).hexdigest()


@dataclass(kw_only=True)
class ReportGate:
    """Report requests of one account within its limits, with Idempotency-Keys."""

    store: LimitStore
    clock: Clock
    limits: ReportLimits
    key_ttl_seconds: int = 24 * 3600
    pending_seconds: float = 60.0  # a key claimed this long ago without a report was abandoned

    def run(
        self,
        account_id: str,
        body: BaseModel,
        key: str | None,
        create: Callable[[str], V],
        replay: Callable[[str], V],
    ) -> V:
        """`replay(report id)` for a repeated key, else `create(new report id)` once admitted."""
        held = None
        if key is not None:
            held = key_hash(account_id, key)
            now = self.clock()
            record = IdempotencyRecord(
                account_id=account_id,
                fingerprint=fingerprint(body),
                created_at=now,
                expires_at=now + timedelta(seconds=self.key_ttl_seconds),
            )
            outcome, existing = self.store.claim_key(held, record, self.pending_seconds)
            if outcome == "replay" and existing:
                return replay(existing)
            if outcome in _KEY_REFUSED:
                raise _KEY_REFUSED[outcome]()
        try:
            report_id, result = self._admitted(account_id, create)
        except BaseException:
            if held:
                self.store.drop_key(held)  # the request failed: a retry with the same key may try again
            raise
        if held:
            self.store.complete_key(held, report_id)
        return result

    def forget(self, account_id: str) -> int:
        """Delete the account's limit state and keys (disconnect)."""
        return self.store.delete_for_account(account_id)

    def _admitted(self, account_id: str, create: Callable[[str], V]) -> tuple[str, V]:
        report_id = uuid.uuid4().hex
        decision = self.store.admit_report(account_id, report_id, self.clock(), self.limits)
        if decision.refused is not None:
            limit = self.limits.in_flight if decision.refused == "in_flight" else self.limits.per_hour
            raise LimitExceededError(_REFUSED[decision.refused].format(limit=limit), retry_after=decision.retry_after)
        try:
            return report_id, create(report_id)
        except BaseException:
            self.store.release_report(account_id, report_id)
            raise


@dataclass(kw_only=True)
class ClientLimiter:
    """Unauthenticated requests per client address and minute, shared by every instance."""

    limiter: RateLimiter
    clock: Clock
    per_minute: int

    def admit(self, kind: str, client: str) -> None:
        """Count one request of `kind` from `client`; 429 past the limit."""
        wait = self.limiter.hit(f"{kind}:{client}", self.per_minute, 60, self.clock())
        if wait is not None:
            raise LimitExceededError("too many requests from this address; try again shortly", retry_after=wait)
