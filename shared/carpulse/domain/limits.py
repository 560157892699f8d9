"""The rules that bound what report requests can cost at Tesla, in one place.

Per account: at most `in_flight` reports open at once and at most `per_hour` report requests
admitted in any sliding hour. Each limit is a pool of that many slots (one small document each):
a request is admitted when it takes a free slot of both pools. An hour slot is free once its
request is an hour old; an in-flight slot once its report is closed, or when the report never
came to be (its document is still missing after a grace period: the request that took the slot
failed its ownership check, or died). A slot is taken with a precondition on the document (create,
or update unchanged since read), so two requests never hold one slot and no document is hot.

An `Idempotency-Key` names one report request: the same key with the same body answers with the
report the first request made (no new Tesla call), the same key with another body is refused, and
while the first request with a key is still being answered a second one is told to retry.

The Firestore store and the in-memory fake both apply these functions; neither re-implements them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

HOUR = timedelta(hours=1)
SlotKind = Literal["run", "hour"]  # a report in flight; a request of the last hour


@dataclass(frozen=True, kw_only=True)
class ReportLimits:
    """The configured limits of one account."""

    in_flight: int
    per_hour: int
    busy_retry_seconds: float = 30.0  # nobody knows when a report finishes: ask again after this
    creating_grace_seconds: float = 120.0  # a slot whose report has no document is held this long

    def size(self, kind: SlotKind) -> int:
        """How many slots a pool has."""
        return self.in_flight if kind == "run" else self.per_hour


class Slot(BaseModel):
    """One slot of an account's pool, held by a report request."""

    account_id: str
    report_id: str
    at: datetime  # when the request took it
    expires_at: datetime  # Firestore TTL field: a slot is worthless a day after it was taken


Refusal = Literal["in_flight", "per_hour"]


@dataclass(frozen=True)
class Decision:
    """The outcome of one admission: admitted (refused None), or why not and for how long."""

    refused: Refusal | None = None
    retry_after: float = 0.0


def holding(report_id: str, account_id: str, now: datetime) -> Slot:
    """The slot a request takes."""
    return Slot(account_id=account_id, report_id=report_id, at=now, expires_at=now + timedelta(days=1))


def hour_slot_free(slot: Slot | None, now: datetime) -> bool:
    """A request older than an hour no longer counts."""
    return slot is None or now - slot.at >= HOUR


def run_slot_free(slot: Slot | None, report_open: bool | None, now: datetime, limits: ReportLimits) -> bool:
    """A closed report no longer counts, nor one whose document never came to be (after the grace)."""
    if slot is None:
        return True
    if report_open is None:
        return now - slot.at >= timedelta(seconds=limits.creating_grace_seconds)
    return not report_open


def refusal(kind: SlotKind, slots: Sequence[Slot | None], now: datetime, limits: ReportLimits) -> Decision:
    """Why a request that found no free slot of `kind` is refused, and when to ask again."""
    if kind == "run":
        return Decision("in_flight", limits.busy_retry_seconds)
    waits = [(slot.at + HOUR - now).total_seconds() for slot in slots if slot is not None]
    return Decision("per_hour", max(1.0, min(waits, default=1.0)))


class IdempotencyRecord(BaseModel):
    """What one Idempotency-Key of an account stands for (stored under a hash of account and key)."""

    account_id: str
    fingerprint: str  # SHA-256 of the request body as validated
    report_id: str | None = None  # None while the first request with the key is being answered
    created_at: datetime
    expires_at: datetime  # Firestore TTL field


Claim = Literal["claimed", "replay", "mismatch", "in_progress"]


def claim(existing: IdempotencyRecord | None, fingerprint: str, now: datetime, pending_seconds: float) -> Claim:
    """What a request presenting a key gets, given the record stored under it (if any).

    claimed: this request answers for the key (new, expired, or abandoned by a crashed instance).
    replay: the key's report exists: answer with it. mismatch: the key was used with another body.
    in_progress: the first request with the key is still being answered.
    """
    if existing is None or existing.expires_at <= now:
        return "claimed"
    if existing.fingerprint != fingerprint:
        return "mismatch"
    if existing.report_id is not None:
        return "replay"
    abandoned = now - existing.created_at >= timedelta(seconds=pending_seconds)
    return "claimed" if abandoned else "in_progress"
