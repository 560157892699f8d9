"""Firestore adapters of the state ports (works unchanged against the Firestore emulator)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Generic, TypeVar

from google.cloud import firestore
from pydantic import BaseModel

from carpulse.domain import refresh_lease, report_life
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
from carpulse.domain.refresh_lease import RotationWrite
from carpulse.gcp.ports import RunStart

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

    def acquire_refresh_lease(
        self, account_id: str, now: datetime, lease_seconds: float, lease_id: str
    ) -> Account | None:
        """Take the refresh lease unless another refresher holds a live one."""
        ref = self._ref(account_id)

        @firestore.transactional
        def lease(tx: firestore.Transaction) -> Account | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            account = Account.model_validate(snap.to_dict())
            if not refresh_lease.lease_free(account, now):
                return None
            until = refresh_lease.lease_until(now, lease_seconds)
            tx.update(ref, {"refresh_lease_until": until, "refresh_lease_id": lease_id})
            return account.model_copy(update={"refresh_lease_until": until, "refresh_lease_id": lease_id})

        return lease(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def release_refresh_lease(self, account_id: str, lease_id: str) -> None:
        """Let go of the lease, if it is still ours."""
        ref = self._ref(account_id)

        @firestore.transactional
        def release(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if snap.exists and (snap.to_dict() or {}).get("refresh_lease_id") == lease_id:
                tx.update(ref, {"refresh_lease_until": None, "refresh_lease_id": None})

        release(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))

    def store_rotated_tokens(
        self, account_id: str, lease_id: str, expected_generation: int, changes: dict[str, object]
    ) -> RotationWrite:
        """Write rotated tokens fenced to our lease; see domain.refresh_lease.rotation_write."""
        ref = self._ref(account_id)

        @firestore.transactional
        def swap(tx: firestore.Transaction) -> RotationWrite:
            snap = ref.get(transaction=tx)
            account = Account.model_validate(snap.to_dict()) if snap.exists else None
            outcome = refresh_lease.rotation_write(account, lease_id, expected_generation)
            if outcome in ("written", "rescued"):
                update = {**changes, "token_generation": expected_generation + 1}
                update.update({"refresh_lease_until": None, "refresh_lease_id": None})
                tx.update(ref, _plain(update))
            return outcome

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
    """Reports in `reports/{id}`, per-VIN progress in `reports/{id}/vehicles/{vin}`.

    A VIN's transitions are transactions on its own document only, so the VINs of one report never
    contend with each other; the report document changes only at its few report-level transitions.
    Whether every VIN has finished is a count aggregation, not a read of every VIN document.
    """

    def __init__(self, db: firestore.Client) -> None:
        self._db = db
        # Bodies run per transaction, retries included: more runs than calls means contention.
        self.transaction_runs: Counter[str] = Counter()

    def _ref(self, report_id: str) -> firestore.DocumentReference:
        return self._db.collection(REPORTS).document(report_id)

    def _vin_ref(self, report_id: str, vin: str) -> firestore.DocumentReference:
        return self._ref(report_id).collection(VEHICLES).document(vin)

    def _tx(self) -> firestore.Transaction:
        return self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS)

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

    def vin(self, report_id: str, vin: str) -> VinProgress | None:
        """One VIN's progress, or None."""
        snap = self._vin_ref(report_id, vin).get()
        return VinProgress.model_validate(snap.to_dict()) if snap.exists else None

    def set_status(
        self, report_id: str, status: ReportStatus, error: str | None = None, error_code: str | None = None
    ) -> None:
        """Move an open report to a status unless it already closed (late duplicate deliveries)."""
        ref = self._ref(report_id)

        @firestore.transactional
        def move(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or not ReportRequest.model_validate(snap.to_dict()).is_open:
                return
            changes: dict[str, Any] = {"status": status.value, "updated_at": firestore.SERVER_TIMESTAMP}
            if error is not None:
                changes["error"] = error
            if error_code is not None:
                changes["error_code"] = error_code
            if status in _TERMINAL_REPORT:
                changes["completed_at"] = firestore.SERVER_TIMESTAMP
                changes["outcome"] = status.value
            tx.update(ref, changes)

        move(self._tx())

    def start_run(self, report_id: str, vin: str, run_id: str, now: datetime, lease_seconds: float) -> RunStart:
        """Take the VIN's run lease in a transaction on the VIN document alone."""
        ref = self._vin_ref(report_id, vin)

        @firestore.transactional
        def take(tx: firestore.Transaction) -> RunStart:
            self.transaction_runs["start_run"] += 1
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return "unknown"
            current = VinProgress.model_validate(snap.to_dict())
            if not report_life.may_finish(current.status):
                return "finished"
            if not report_life.run_lease_free(current, now):
                return "busy"
            tx.update(
                ref,
                {
                    "run_id": run_id,
                    "run_lease_until": report_life.lease_until(now, lease_seconds),
                    "attempts": current.attempts + 1,
                    "wait_until": None,
                    "updated_at": firestore.SERVER_TIMESTAMP,
                },
            )
            return "started"

        return take(self._tx())

    def end_run(self, report_id: str, vin: str, run_id: str, changes: dict[str, object]) -> None:
        """Release the lease if it is still ours; patch the VIN unless it already finished."""
        ref = self._vin_ref(report_id, vin)

        @firestore.transactional
        def release(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or VinStatus(snap.get("status")).is_terminal:
                return
            update = dict(changes)
            if (snap.to_dict() or {}).get("run_id") == run_id:
                update.update({"run_id": None, "run_lease_until": None})
            tx.update(ref, _plain({**update, "updated_at": firestore.SERVER_TIMESTAMP}))

        release(self._tx())

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        """Patch a VIN's progress unless it is already finished."""
        ref = self._vin_ref(report_id, vin)

        @firestore.transactional
        def patch(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or VinStatus(snap.get("status")).is_terminal:
                return
            tx.update(ref, _plain({**changes, "updated_at": firestore.SERVER_TIMESTAMP}))

        patch(self._tx())

    def add_tesla_requests(self, report_id: str, vin: str, count: int) -> None:
        """An atomic increment: exact whichever run (or retry) made the calls."""
        if count:
            self._vin_ref(report_id, vin).update({"tesla_requests": firestore.Increment(count)})

    def finish_vin(self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]) -> bool:
        """Open → finished, once, in a transaction on the VIN document alone."""
        ref = self._vin_ref(report_id, vin)

        @firestore.transactional
        def finish(tx: firestore.Transaction) -> bool:
            self.transaction_runs["finish_vin"] += 1
            snap = ref.get(transaction=tx)
            if not snap.exists or not report_life.may_finish(VinStatus(snap.get("status"))):
                return False
            update = {
                **changes,
                "status": status.value,
                "run_id": None,
                "run_lease_until": None,
                "wait_until": None,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }
            tx.update(ref, _plain(update))
            return True

        return finish(self._tx())

    def unfinished_vins(self, report_id: str) -> int:
        """A count aggregation over the VIN documents (reads no document)."""
        open_statuses = [s.value for s in VinStatus if not s.is_terminal]
        query = (
            self._ref(report_id)
            .collection(VEHICLES)
            .where(filter=firestore.FieldFilter("status", "in", open_statuses))
            .count()
        )
        return int(query.get()[0][0].value)

    def close(self, report_id: str, outcome: ReportStatus, changes: dict[str, object]) -> ReportRequest | None:
        """Open → outcome, once."""
        ref = self._ref(report_id)

        @firestore.transactional
        def close(tx: firestore.Transaction) -> ReportRequest | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            report = ReportRequest.model_validate(snap.to_dict())
            if not report.is_open:
                return None
            update = {
                **changes,
                "status": outcome.value,
                "outcome": outcome.value,
                "completed_at": firestore.SERVER_TIMESTAMP,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }
            tx.update(ref, _plain(update))
            return report.model_copy(update={"status": outcome, "outcome": outcome})

        return close(self._tx())

    def open_reports(self) -> list[ReportRequest]:
        """Reports in an open status (a single-field index on status serves the query)."""
        statuses = [s.value for s in ReportStatus if s not in _TERMINAL_REPORT]
        query = self._db.collection(REPORTS).where(filter=firestore.FieldFilter("status", "in", statuses))
        return [ReportRequest.model_validate(snap.to_dict()) for snap in query.stream()]

    def count_sweep(self, report_id: str, vin: str | None = None) -> None:
        """One more sweep of the report (or of one VIN)."""
        ref = self._vin_ref(report_id, vin) if vin else self._ref(report_id)
        ref.update({"sweeps": firestore.Increment(1), "updated_at": firestore.SERVER_TIMESTAMP})

    def delete_for_account(self, account_id: str) -> int:
        """Every report of the account with its VIN documents, in batches."""
        query = self._db.collection(REPORTS).where(filter=firestore.FieldFilter("account_id", "==", account_id))
        deleted = 0
        for snap in query.stream():
            vins = list(snap.reference.collection(VEHICLES).list_documents())
            for start in range(0, len(vins), 400):
                batch = self._db.batch()
                for vin_ref in vins[start : start + 400]:
                    batch.delete(vin_ref)
                batch.commit()
            snap.reference.delete()
            deleted += 1
        return deleted
