"""In-memory fake of the LimitStore port (the Firestore adapter is tested on the emulator).

It subclasses the port, so a port method it lacks fails the type check at once, and applies the
rules of carpulse.domain.limits as the adapter does: it keeps the slots and keys, atomically.
"""

from __future__ import annotations

import threading
from datetime import datetime

from carpulse.domain import limits as rules
from carpulse.domain.limits import Claim, Decision, IdempotencyRecord, ReportLimits, Slot, SlotKind
from carpulse.gcp.ports import LimitStore, ReportStore


class FakeLimitStore(LimitStore):
    def __init__(self, reports: ReportStore) -> None:
        self.reports = reports  # where a slot's report (and its status) is looked up
        self.slots: dict[tuple[str, SlotKind, int], Slot] = {}
        self.keys: dict[str, IdempotencyRecord] = {}
        self._lock = threading.Lock()

    def _report_open(self, report_id: str) -> bool | None:
        report = self.reports.get(report_id)
        return None if report is None else report.is_open

    def _take(self, account_id: str, kind: SlotKind, limits: ReportLimits, holder: Slot) -> int | Decision:
        pool = [self.slots.get((account_id, kind, n)) for n in range(limits.size(kind))]
        for n, slot in enumerate(pool):
            free = (
                rules.hour_slot_free(slot, holder.at)
                if kind == "hour"
                else rules.run_slot_free(slot, self._report_open(slot.report_id) if slot else None, holder.at, limits)
            )
            if free:
                self.slots[(account_id, kind, n)] = holder
                return n
        return rules.refusal(kind, pool, holder.at, limits)

    def admit_report(self, account_id: str, report_id: str, now: datetime, limits: ReportLimits) -> Decision:
        with self._lock:
            holder = rules.holding(report_id, account_id, now)
            run = self._take(account_id, "run", limits, holder)
            if isinstance(run, Decision):
                return run
            hour = self._take(account_id, "hour", limits, holder)
            if isinstance(hour, Decision):
                del self.slots[(account_id, "run", run)]
                return hour
            return Decision()

    def release_report(self, account_id: str, report_id: str) -> None:
        with self._lock:
            for key, slot in list(self.slots.items()):
                if key[:2] == (account_id, "run") and slot.report_id == report_id:
                    del self.slots[key]

    def claim_key(self, key_hash: str, record: IdempotencyRecord, pending_seconds: float) -> tuple[Claim, str | None]:
        with self._lock:
            existing = self.keys.get(key_hash)
            outcome = rules.claim(existing, record.fingerprint, record.created_at, pending_seconds)
            if outcome == "claimed":
                self.keys[key_hash] = record
            return outcome, existing.report_id if existing and outcome == "replay" else None

    def complete_key(self, key_hash: str, report_id: str) -> None:
        with self._lock:
            self.keys[key_hash] = self.keys[key_hash].model_copy(update={"report_id": report_id})

    def drop_key(self, key_hash: str) -> None:
        with self._lock:
            self.keys.pop(key_hash, None)

    def delete_for_account(self, account_id: str) -> int:
        with self._lock:
            keys = [h for h, record in self.keys.items() if record.account_id == account_id]
            slots = [k for k in self.slots if k[0] == account_id]
            for key in keys:
                del self.keys[key]
            for slot in slots:
                del self.slots[slot]
            return len(keys) + len(slots)

    def held(self, account_id: str, kind: SlotKind) -> list[Slot]:
        """The slots of one pool that are taken (for tests)."""
        return [slot for (acc, k, _), slot in self.slots.items() if (acc, k) == (account_id, kind)]
