"""Firestore adapters of the state ports (works unchanged against the Firestore emulator)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from google.cloud import firestore
from pydantic import BaseModel

from carpulse.domain.models import (
    Account,
    AccountStatus,
    LoginCode,
    OAuthState,
    ReportRequest,
    ReportStatus,
    Session,
    VinProgress,
    VinStatus,
)

OAUTH_STATES = "oauth_states"
LOGIN_CODES = "login_codes"
ACCOUNTS = "accounts"
SESSIONS = "sessions"
REPORTS = "reports"
VEHICLES = "vehicles"
# Every VIN task of a report updates the report document: under a 50-VIN fan-out the default of 5
# attempts can run out, and a failed finish would redo the VIN's Tesla calls on the task's retry.
MAX_TRANSACTION_ATTEMPTS = 25
_TERMINAL_REPORT = {ReportStatus.COMPLETE, ReportStatus.PARTIAL, ReportStatus.FAILED}


def outcome_of(failed: int, total: int) -> ReportStatus:
    """What a report is once every VIN is done."""
    if failed == 0:
        return ReportStatus.COMPLETE
    return ReportStatus.FAILED if failed == total else ReportStatus.PARTIAL


def _doc(model: BaseModel) -> dict[str, Any]:
    """Model → Firestore fields (tuples become arrays, enums their values)."""
    return _plain(model.model_dump(mode="python"))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value, str):
        return str(value.value)
    return value


T = TypeVar("T", bound=BaseModel)


class _SingleUseStore(Generic[T]):
    """Documents under the hash of a secret, read and deleted in one transaction, so two callers
    presenting the same secret cannot both win."""

    collection: str
    model: type[T]

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def put(self, key_hash: str, item: T) -> None:
        """Store a new item (a hash collision fails instead of overwriting)."""
        self._db.collection(self.collection).document(key_hash).create(_doc(item))

    def consume(self, key_hash: str) -> T | None:
        """Read and delete; None if unknown or already consumed."""
        ref = self._db.collection(self.collection).document(key_hash)

        @firestore.transactional
        def take(tx: firestore.Transaction) -> T | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            tx.delete(ref)
            return self.model.model_validate(snap.to_dict())

        return take(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))


class FirestoreOAuthStateStore(_SingleUseStore[OAuthState]):
    """Pending OAuth logins in `oauth_states/{sha256(state)}`."""

    collection = OAUTH_STATES
    model = OAuthState


class FirestoreLoginCodeStore(_SingleUseStore[LoginCode]):
    """One-time login codes in `login_codes/{sha256(code)}`."""

    collection = LOGIN_CODES
    model = LoginCode


class FirestoreAccountStore:
    """Accounts in `accounts/{account_id}`."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def _ref(self, account_id: str) -> firestore.DocumentReference:
        return self._db.collection(ACCOUNTS).document(account_id)

    def get(self, account_id: str) -> Account | None:
        """One account, or None."""
        snap = self._ref(account_id).get()
        return Account.model_validate(snap.to_dict()) if snap.exists else None

    def save_connected(self, account: Account) -> Account:
        """Create or replace after a (re)connect, keeping created_at and bumping the generation."""
        ref = self._ref(account.account_id)

        @firestore.transactional
        def save(tx: firestore.Transaction) -> Account:
            snap = ref.get(transaction=tx)
            stored = account
            if snap.exists:
                old = snap.to_dict() or {}
                stored = account.model_copy(
                    update={
                        "created_at": old.get("created_at", account.created_at),
                        "token_generation": int(old.get("token_generation", 0)) + 1,
                    }
                )
            tx.set(ref, _doc(stored))
            return stored

        return save(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def acquire_refresh_lease(self, account_id: str, now: datetime, lease_seconds: float) -> Account | None:
        """Take the refresh lease unless another refresher holds a live one."""
        ref = self._ref(account_id)

        @firestore.transactional
        def lease(tx: firestore.Transaction) -> Account | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            account = Account.model_validate(snap.to_dict())
            if account.refresh_lease_until and account.refresh_lease_until > now:
                return None
            until = now + timedelta(seconds=lease_seconds)
            tx.update(ref, {"refresh_lease_until": until})
            return account.model_copy(update={"refresh_lease_until": until})

        return lease(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def store_rotated_tokens(self, account_id: str, expected_generation: int, changes: dict[str, object]) -> bool:
        """Write rotated tokens only if nobody else rotated them since we read the account."""
        ref = self._ref(account_id)

        @firestore.transactional
        def swap(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists or int(snap.get("token_generation")) != expected_generation:
                return False
            tx.update(ref, _plain({**changes, "token_generation": expected_generation + 1}))
            return True

        return swap(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def update(self, account_id: str, changes: dict[str, object]) -> None:
        """Patch fields of an account."""
        self._ref(account_id).update(_plain(changes))

    def expiring_before(self, moment: datetime) -> list[Account]:
        """Active accounts whose access token expires before `moment`."""
        query = (
            self._db.collection(ACCOUNTS)
            .where(filter=firestore.FieldFilter("status", "==", AccountStatus.ACTIVE.value))
            .where(filter=firestore.FieldFilter("token_expires_at", "<", moment))
        )
        return [Account.model_validate(snap.to_dict()) for snap in query.stream()]

    def delete(self, account_id: str) -> None:
        """Remove the account and its tokens."""
        self._ref(account_id).delete()


class FirestoreSessionStore:
    """Sessions in `sessions/{sha256(token)}`."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def put(self, token_hash: str, session: Session) -> None:
        """Store a session under its token hash."""
        self._db.collection(SESSIONS).document(token_hash).set(_doc(session))

    def get(self, token_hash: str) -> Session | None:
        """A session by token hash, or None."""
        snap = self._db.collection(SESSIONS).document(token_hash).get()
        return Session.model_validate(snap.to_dict()) if snap.exists else None

    def delete(self, token_hash: str) -> None:
        """End one session."""
        self._db.collection(SESSIONS).document(token_hash).delete()

    def delete_for_account(self, account_id: str) -> None:
        """End every session of an account."""
        query = self._db.collection(SESSIONS).where(filter=firestore.FieldFilter("account_id", "==", account_id))
        for snap in query.stream():
            snap.reference.delete()


class FirestoreReportStore:
    """Reports in `reports/{id}`, per-VIN progress in `reports/{id}/vehicles/{vin}`."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def _ref(self, report_id: str) -> firestore.DocumentReference:
        return self._db.collection(REPORTS).document(report_id)

    def create(self, report: ReportRequest, progress: list[VinProgress]) -> None:
        """Report and VIN documents in one batch: all or nothing."""
        batch = self._db.batch()
        ref = self._ref(report.report_id)
        batch.create(ref, _doc(report))
        for item in progress:
            batch.create(ref.collection(VEHICLES).document(item.vin), _doc(item))
        batch.commit()

    def get(self, report_id: str) -> ReportRequest | None:
        """A report, or None."""
        snap = self._ref(report_id).get()
        return ReportRequest.model_validate(snap.to_dict()) if snap.exists else None

    def progress(self, report_id: str) -> list[VinProgress]:
        """Per-VIN progress of a report."""
        snaps = self._ref(report_id).collection(VEHICLES).stream()
        return [VinProgress.model_validate(snap.to_dict()) for snap in snaps]

    def set_status(self, report_id: str, status: ReportStatus, error: str | None = None) -> None:
        """Move a report to a status unless it already finished (late duplicate deliveries)."""
        ref = self._ref(report_id)

        @firestore.transactional
        def move(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or snap.get("status") in _TERMINAL_REPORT:
                return
            changes: dict[str, Any] = {"status": status.value, "updated_at": firestore.SERVER_TIMESTAMP}
            if error is not None:
                changes["error"] = error
            if status in _TERMINAL_REPORT:
                changes["completed_at"] = firestore.SERVER_TIMESTAMP
            tx.update(ref, changes)

        move(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        """Patch a VIN's progress unless it is already terminal."""
        ref = self._ref(report_id).collection(VEHICLES).document(vin)

        @firestore.transactional
        def patch(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or VinStatus(snap.get("status")).is_terminal:
                return
            tx.update(ref, _plain({**changes, "updated_at": firestore.SERVER_TIMESTAMP}))

        patch(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def complete(self, report_id: str, artifacts: dict[str, object]) -> ReportRequest | None:
        """Finalising → outcome (complete, partial or failed), once."""
        ref = self._ref(report_id)

        @firestore.transactional
        def close(tx: firestore.Transaction) -> ReportRequest | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            report = ReportRequest.model_validate(snap.to_dict())
            if report.status is not ReportStatus.FINALISING:
                return None
            outcome = report.outcome or ReportStatus.COMPLETE
            tx.update(
                ref,
                _plain(
                    {
                        **artifacts,
                        "status": outcome.value,
                        "completed_at": firestore.SERVER_TIMESTAMP,
                        "updated_at": firestore.SERVER_TIMESTAMP,
                    }
                ),
            )
            return report.model_copy(update={"status": outcome})

        return close(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def finish_vin(
        self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]
    ) -> ReportRequest | None:
        """VIN terminal + report counter in one transaction; the last VIN closes the report."""
        report_ref = self._ref(report_id)
        vin_ref = report_ref.collection(VEHICLES).document(vin)

        @firestore.transactional
        def finish(tx: firestore.Transaction) -> ReportRequest | None:
            vin_snap = vin_ref.get(transaction=tx)
            report_snap = report_ref.get(transaction=tx)
            if not vin_snap.exists or not report_snap.exists:
                return None
            if VinStatus(vin_snap.get("status")).is_terminal:
                return None
            report = ReportRequest.model_validate(report_snap.to_dict())
            remaining = max(0, report.remaining - 1)
            failed_before = report_snap.to_dict().get("failed_vins", 0)
            failed = failed_before + (1 if status is VinStatus.FAILED else 0)
            update: dict[str, Any] = {
                "remaining": remaining,
                "failed_vins": failed,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }
            new_status = report.status
            if remaining == 0:
                update["outcome"] = outcome_of(failed, len(report.vins)).value
                if report.status not in _TERMINAL_REPORT:
                    new_status = ReportStatus.FINALISING
            elif report.status not in _TERMINAL_REPORT:
                new_status = ReportStatus.RUNNING
            update["status"] = new_status.value
            tx.update(vin_ref, _plain({**changes, "status": status.value, "updated_at": firestore.SERVER_TIMESTAMP}))
            tx.update(report_ref, update)
            return report.model_copy(update={"remaining": remaining, "status": new_status})

        return finish(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
