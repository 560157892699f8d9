"""In-memory fakes of the verification ports (the Firestore adapters are tested on the emulator).

They subclass the ports, so a port method they lack fails the type check at once, and keep only
what each port promises: one id per slot, a revocation that survives a re-save, counted windows.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from carpulse.domain.verification import RevocationReason, VerificationRecord
from carpulse.gcp.ports import RateLimiter, VerificationStore


class FakeVerificationStore(VerificationStore):
    def __init__(self) -> None:
        self.records: dict[str, VerificationRecord] = {}
        self.slots: dict[str, str] = {}
        self.reads = 0

    def reserve(self, slot: str, candidate_id: str, expires_at: datetime) -> str:
        return self.slots.setdefault(slot, candidate_id)

    def save(self, record: VerificationRecord) -> None:
        old = self.records.get(record.verification_id)
        if old is not None and old.revoked_at is not None:
            record = record.model_copy(
                update={"revoked_at": old.revoked_at, "revocation_reason": old.revocation_reason}
            )
        self.records[record.verification_id] = record

    def get(self, verification_id: str) -> VerificationRecord | None:
        self.reads += 1
        return self.records.get(verification_id)

    def revoke(self, owner: str, report_id: str | None, reason: RevocationReason, at: datetime) -> int:
        hits = [
            r
            for r in self.records.values()
            if r.owner == owner and r.revoked_at is None and report_id in (None, r.facts.report_id)
        ]
        for record in hits:
            self.records[record.verification_id] = record.model_copy(
                update={"revoked_at": at, "revocation_reason": reason}
            )
        return len(hits)


class FakeRateLimiter(RateLimiter):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> float | None:
        start = math.floor(now.timestamp() / window_seconds) * window_seconds
        if self.counts[(key, start)] >= limit:
            return max(1.0, start + window_seconds - now.timestamp())
        self.counts[(key, start)] += 1
        return None
