"""Firestore adapters of the LimitStore and RateLimiter ports (the rules: carpulse.domain.limits).

report_slots/{account}-{run|hour}-{n}     Slot: one slot of an account's pools (TTL on `expires_at`)
idempotency_keys/{sha256(account, key)}   IdempotencyRecord (TTL on `expires_at`)
request_rate/{sha256(window, key)}        {count, expires_at}: per-client windows of unauthenticated calls (TTL)

Nothing here is a transaction on a shared document: a slot is taken with `create`, or with an
update preconditioned on the document being unchanged since it was read, so concurrent requests
of one account never wait for each other's locks and two of them never hold one slot. A window
counter is a blind increment whose commit returns the count after it: each request learns its own
place in the window, so exactly the limit are let through, and a burst from one address never
contends.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeAlias

from google.api_core.exceptions import AlreadyExists, Conflict, FailedPrecondition, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_document import DocumentSnapshot

from carpulse.domain import limits as rules
from carpulse.domain.limits import Claim, Decision, IdempotencyRecord, ReportLimits, Slot, SlotKind
from carpulse.domain.models import ReportRequest
from carpulse.gcp.firestore_store import REPORTS

SLOTS = "report_slots"
IDEMPOTENCY_KEYS = "idempotency_keys"
REQUEST_RATE = "request_rate"
_BATCH = 400  # below Firestore's 500 writes per batch
_LOST_RACE = (AlreadyExists, Conflict, FailedPrecondition, NotFound)
_ROUNDS = 3  # reads of a pool before a request that kept losing races for free slots gives up
_CHUNK = 10  # slots read at once
_Snapshot: TypeAlias = DocumentSnapshot[firestore.DocumentReference]


class FirestoreLimitStore:
    """Per-account report slots and Idempotency-Keys."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def _slot_refs(self, account_id: str, kind: SlotKind, size: int) -> list[firestore.DocumentReference]:
        return [self._db.collection(SLOTS).document(f"{account_id}-{kind}-{n}") for n in range(size)]

    def _key_ref(self, key_hash: str) -> firestore.DocumentReference:
        return self._db.collection(IDEMPOTENCY_KEYS).document(key_hash)

    def admit_report(self, account_id: str, report_id: str, now: datetime, limits: ReportLimits) -> Decision:
        """A free run slot, then a free hour slot; a request refused for the second frees the first.

        The small pool first: a burst past the in-flight limit is refused before it touches the
        hour's pool, so refused requests never hold (even for a moment) a slot of the hour."""
        holder = rules.holding(report_id, account_id, now)
        run = self._take(account_id, "run", limits, holder, lambda slots: self._run_slots_free(slots, now, limits))
        if isinstance(run, Decision):
            return run
        hour = self._take(
            account_id, "hour", limits, holder, lambda slots: [rules.hour_slot_free(s, now) for s in slots]
        )
        if isinstance(hour, Decision):
            self._free(run, holder)
            return hour
        return Decision()

    def release_report(self, account_id: str, report_id: str) -> None:
        """Free the run slot a report whose creation failed holds."""
        query = self._db.collection(SLOTS).where(filter=firestore.FieldFilter("report_id", "==", report_id))
        for snap in query.stream():
            if snap.id.startswith(f"{account_id}-run-"):
                self._free(snap.reference, _slot(snap))

    def claim_key(self, key_hash: str, record: IdempotencyRecord, pending_seconds: float) -> tuple[Claim, str | None]:
        """`create` wins a new key for exactly one request; an existing one is judged by the rule
        (taking over an abandoned or expired key is preconditioned on it being unchanged)."""
        ref = self._key_ref(key_hash)
        for _ in range(_ROUNDS):
            try:
                ref.create(record.model_dump())
                return "claimed", None
            except _LOST_RACE:
                snap = ref.get()
            if not snap.exists:
                continue
            existing = IdempotencyRecord.model_validate(snap.to_dict())
            outcome = rules.claim(existing, record.fingerprint, record.created_at, pending_seconds)
            if outcome != "claimed":
                return outcome, existing.report_id if outcome == "replay" else None
            try:
                ref.update(record.model_dump(), option=self._db.write_option(last_update_time=snap.update_time))
                return "claimed", None
            except _LOST_RACE:
                continue
        return "in_progress", None

    def complete_key(self, key_hash: str, report_id: str) -> None:
        """Record the key's report."""
        self._key_ref(key_hash).update({"report_id": report_id})

    def drop_key(self, key_hash: str) -> None:
        """Delete a claimed key."""
        self._key_ref(key_hash).delete()

    def delete_for_account(self, account_id: str) -> int:
        """Every slot and key of the account, in batches."""
        refs = [
            snap.reference
            for collection in (SLOTS, IDEMPOTENCY_KEYS)
            for snap in self._db.collection(collection)
            .where(filter=firestore.FieldFilter("account_id", "==", account_id))
            .stream()
        ]
        for start in range(0, len(refs), _BATCH):
            batch = self._db.batch()
            for ref in refs[start : start + _BATCH]:
                batch.delete(ref)
            batch.commit()
        return len(refs)

    # --- slots -------------------------------------------------------------------------------------

    def _take(
        self,
        account_id: str,
        kind: SlotKind,
        limits: ReportLimits,
        holder: Slot,
        free: Callable[[list[Slot | None]], list[bool]],
    ) -> firestore.DocumentReference | Decision:
        """Take a free slot of the pool (the one taken), or the refusal when none is free. The pool
        is read a chunk at a time: slots fill from the front, so a large pool costs few reads."""
        refs = self._slot_refs(account_id, kind, limits.size(kind))
        slots: list[Slot | None] = []
        for _ in range(_ROUNDS):
            slots, lost = [], False
            for start in range(0, len(refs), _CHUNK):
                chunk = refs[start : start + _CHUNK]
                snaps = {snap.id: snap for snap in self._db.get_all(chunk)}
                found = [snaps.get(ref.id) for ref in chunk]
                read = [_slot(snap) if snap is not None and snap.exists else None for snap in found]
                slots.extend(read)
                candidates = [n for n, is_free in enumerate(free(read)) if is_free]
                random.shuffle(candidates)  # concurrent requests of one account try different slots first
                for n in candidates:
                    if self._claim_slot(chunk[n], found[n], holder):
                        return chunk[n]
                lost = lost or bool(candidates)
            if not lost:
                break  # every slot is held: no race to retry
        return rules.refusal(kind, slots, holder.at, limits)

    def _claim_slot(self, ref: firestore.DocumentReference, snap: _Snapshot | None, holder: Slot) -> bool:
        try:
            if snap is None or not snap.exists:
                ref.create(holder.model_dump())
            else:
                ref.update(holder.model_dump(), option=self._db.write_option(last_update_time=snap.update_time))
        except _LOST_RACE:
            return False
        return True

    def _run_slots_free(self, slots: list[Slot | None], now: datetime, limits: ReportLimits) -> list[bool]:
        refs = [self._db.collection(REPORTS).document(slot.report_id) for slot in slots if slot is not None]
        reports = {snap.id: snap for snap in self._db.get_all(refs)} if refs else {}

        def report_open(report_id: str) -> bool | None:
            snap = reports.get(report_id)
            return ReportRequest.model_validate(snap.to_dict()).is_open if snap is not None and snap.exists else None

        return [rules.run_slot_free(s, report_open(s.report_id) if s else None, now, limits) for s in slots]

    def _free(self, ref: firestore.DocumentReference, holder: Slot) -> None:
        """Give a slot back, unless someone else took it meanwhile."""
        snap = ref.get()
        if snap.exists and snap.get("report_id") == holder.report_id:
            with contextlib.suppress(*_LOST_RACE):  # taken over meanwhile: it is theirs now
                ref.delete(option=self._db.write_option(last_update_time=snap.update_time))


def _slot(snap: _Snapshot) -> Slot:
    return Slot.model_validate(snap.to_dict())


class FirestoreWindowCounter:
    """The RateLimiter port as fixed windows of atomic increments (no transaction, no contention)."""

    def __init__(self, db: firestore.Client, collection: str = REQUEST_RATE) -> None:
        self._db = db
        self._collection = collection

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> float | None:
        """Count one request; the seconds left in its window when it is past the limit."""
        start = math.floor(now.timestamp() / window_seconds) * window_seconds
        ends = datetime.fromtimestamp(start + window_seconds, tz=now.tzinfo)
        # The key holds a client address: it is stored only as a hash with its window.
        doc_id = hashlib.sha256(f"{start}:{key}".encode()).hexdigest()[:40]
        ref = self._db.collection(self._collection).document(doc_id)
        written = ref.set({"count": firestore.Increment(1), "expires_at": ends + timedelta(minutes=5)}, merge=True)
        # The commit returns the count after our own increment: exactly our place in the window.
        results = list(getattr(written, "transform_results", None) or [])
        seen = int(results[0].integer_value) if results else int((ref.get().to_dict() or {}).get("count", 0))
        return None if seen <= limit else max(1.0, (ends - now).total_seconds())
