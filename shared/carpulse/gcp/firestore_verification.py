"""Firestore adapters of the verification ports: records, report+VIN slots, per-client rate windows.

verifications/{check id}        the record (TTL policy on `delete_after`)
verification_slots/{slot}       {verification_id, expires_at}: one check id per report and VIN (TTL)
verify_rate/{hashed window key} {count, expires_at}: fixed one-window counters (TTL on `expires_at`)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists, Conflict
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from carpulse.domain.verification import RevocationReason, VerificationRecord

VERIFICATIONS = "verifications"
SLOTS = "verification_slots"
RATE_WINDOWS = "verify_rate"
_KEPT_ON_SAVE = ("revoked_at", "revocation_reason")
_MAX_ATTEMPTS = 10


def _doc(record: VerificationRecord) -> dict[str, Any]:
    # mode="json" for the nested facts (dates as ISO text), real timestamps where TTL and queries need them.
    data = record.model_dump(mode="json")
    for name in ("signed_at", "valid_until", "delete_after", "revoked_at"):
        data[name] = getattr(record, name)
    return data


class FirestoreVerificationStore:
    """Verification records and their report+VIN slots."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def reserve(self, slot: str, candidate_id: str, expires_at: datetime) -> str:
        """`create` fails when the slot exists, so two deliveries of one task agree on one check id."""
        ref = self._db.collection(SLOTS).document(slot)
        try:
            ref.create({"verification_id": candidate_id, "expires_at": expires_at})
            return candidate_id
        except (AlreadyExists, Conflict):
            existing = (ref.get().to_dict() or {}).get("verification_id")
            return str(existing) if existing else candidate_id

    def save(self, record: VerificationRecord) -> None:
        """Write the record in a transaction that keeps a revocation made meanwhile."""
        ref = self._db.collection(VERIFICATIONS).document(record.verification_id)

        @firestore.transactional
        def write(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            data = _doc(record)
            old = snap.to_dict() if snap.exists else None
            if old and old.get("revoked_at") is not None:
                data.update({name: old.get(name) for name in _KEPT_ON_SAVE})
            tx.set(ref, data)

        write(self._db.transaction(max_attempts=_MAX_ATTEMPTS))

    def get(self, verification_id: str) -> VerificationRecord | None:
        """A record by check id, or None."""
        snap = self._db.collection(VERIFICATIONS).document(verification_id).get()
        return VerificationRecord.model_validate(snap.to_dict()) if snap.exists else None

    def revoke(self, owner: str, report_id: str | None, reason: RevocationReason, at: datetime) -> int:
        """Mark the owner's unrevoked records revoked (equality filters only: no composite index)."""
        query = self._db.collection(VERIFICATIONS).where(filter=FieldFilter("owner", "==", owner))
        if report_id is not None:
            query = query.where(filter=FieldFilter("facts.report_id", "==", report_id))
        batch, pending, revoked = self._db.batch(), 0, 0
        for snap in query.stream():
            if (snap.to_dict() or {}).get("revoked_at") is not None:
                continue  # the first revocation's time and reason stand
            batch.update(snap.reference, {"revoked_at": at, "revocation_reason": reason.value})
            pending, revoked = pending + 1, revoked + 1
            if pending == 400:  # below Firestore's 500 writes per batch
                batch.commit()
                batch, pending = self._db.batch(), 0
        if pending:
            batch.commit()
        return revoked
