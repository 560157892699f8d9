"""Firestore adapters of the state ports (works unchanged against the Firestore emulator)."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from google.api_core.exceptions import Aborted, Conflict, FailedPrecondition, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_document import DocumentSnapshot
from pydantic import BaseModel

from carpulse.domain import refresh_lease, report_life
from carpulse.domain.models import (
    Account,
    AccountStatus,
    LoginCode,
    OAuthState,
    Rendition,
    RenditionStatus,
    ReportRequest,
    ReportStatus,
    Session,
    VinProgress,
    VinStatus,
)
from carpulse.domain.paging import ReportCursor
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
# A guarded write retries only when another write changed the document between our read and our
# commit; with one run per VIN that is an increment or a late duplicate, so a few rounds suffice.
_GUARDED_ROUNDS = 40
_LOST_RACE = (FailedPrecondition, Conflict, Aborted, NotFound)
R = TypeVar("R")


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


DELETE = "delete"  # what a decision returns to delete the document it read


def guarded_write(
    db: firestore.Client,
    ref: firestore.DocumentReference,
    decide: Callable[[DocumentSnapshot], tuple[R, dict[str, Any] | str | None]],
    on_read: Callable[[], object] | None = None,
) -> R:
    """Read one document, decide (result, changes | DELETE | None for no write), and write only if
    the document is unchanged since the read (`last_update_time`), else read again.

    No lock is held, so concurrent callers never wait on or abort each other the way read-write
    transactions do under contention (which runs them out of attempts, on the emulator above all).
    """
    for round_ in range(_GUARDED_ROUNDS):
        if on_read is not None:
            on_read()
        snap = ref.get()
        result, write = decide(snap)
        if write is None:
            return result
        option = db.write_option(last_update_time=snap.update_time)
        try:
            if write == DELETE:
                ref.delete(option=option)
            else:
                ref.update(_plain(write), option=option)
        except _LOST_RACE:
            time.sleep(random.uniform(0, 0.02 * (round_ + 1)))  # let the other writer's commit settle
            continue
        return result
    raise RuntimeError(f"{ref.path}: the document kept changing for {_GUARDED_ROUNDS} rounds")


T = TypeVar("T", bound=BaseModel)


class _SingleUseStore(Generic[T]):
    """Documents under the hash of a secret, read and deleted only if unchanged since the read, so
    two callers presenting the same secret cannot both win."""

    collection: str
    model: type[T]

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def put(self, key_hash: str, item: T) -> None:
        """Store a new item (a hash collision fails instead of overwriting)."""
        self._db.collection(self.collection).document(key_hash).create(_doc(item))

    def consume(self, key_hash: str) -> T | None:
        """Read and delete; None if unknown or already consumed."""

        def take(snap: DocumentSnapshot) -> tuple[T | None, str | None]:
            if not snap.exists:
                return None, None
            return self.model.model_validate(snap.to_dict()), DELETE

        return guarded_write(self._db, self._db.collection(self.collection).document(key_hash), take)


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

        def lease(snap: DocumentSnapshot) -> tuple[Account | None, dict[str, Any] | None]:
            if not snap.exists:
                return None, None
            account = Account.model_validate(snap.to_dict())
            if not refresh_lease.lease_free(account, now):
                return None, None
            until = refresh_lease.lease_until(now, lease_seconds)
            taken = {"refresh_lease_until": until, "refresh_lease_id": lease_id}
            return account.model_copy(update=taken), taken

        return guarded_write(self._db, self._ref(account_id), lease)

    def release_refresh_lease(self, account_id: str, lease_id: str) -> None:
        """Let go of the lease, if it is still ours."""

        def release(snap: DocumentSnapshot) -> tuple[None, dict[str, Any] | None]:
            if snap.exists and (snap.to_dict() or {}).get("refresh_lease_id") == lease_id:
                return None, {"refresh_lease_until": None, "refresh_lease_id": None}
            return None, None

        guarded_write(self._db, self._ref(account_id), release)

    def store_rotated_tokens(
        self, account_id: str, lease_id: str, expected_generation: int, changes: dict[str, object]
    ) -> RotationWrite:
        """Write rotated tokens fenced to our lease; see domain.refresh_lease.rotation_write."""

        def swap(snap: DocumentSnapshot) -> tuple[RotationWrite, dict[str, Any] | None]:
            account = Account.model_validate(snap.to_dict()) if snap.exists else None
            outcome = refresh_lease.rotation_write(account, lease_id, expected_generation)
            if outcome not in ("written", "rescued"):
                return outcome, None
            update = {**changes, "token_generation": expected_generation + 1}
            update.update({"refresh_lease_until": None, "refresh_lease_id": None})
            return outcome, update

        return guarded_write(self._db, self._ref(account_id), swap)

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

    A transition reads one document, decides with the domain's rules and writes it back on the
    condition that it is unchanged since the read (`last_update_time`), re-reading when it was not.
    Nobody holds a lock, so concurrent deliveries of one VIN never wait on or abort each other (a
    read-write transaction's lock, under contention, runs out of attempts), and the VINs of one report
    never touch a shared document: the report document changes only at its few report-level
    transitions. Whether every VIN has finished is a count aggregation, not a read of every VIN.
    """

    def __init__(self, db: firestore.Client) -> None:
        self._db = db
        # Reads per guarded write, re-reads included: more runs than calls means contention.
        self.transaction_runs: Counter[str] = Counter()

    def _guarded(
        self,
        name: str,
        ref: firestore.DocumentReference,
        decide: Callable[[DocumentSnapshot], tuple[R, dict[str, Any] | None]],
    ) -> R:
        """Read, decide (result, changes or None for no write), write only if still unchanged."""
        return guarded_write(self._db, ref, decide, lambda: self.transaction_runs.update([name]))

    def _ref(self, report_id: str) -> firestore.DocumentReference:
        return self._db.collection(REPORTS).document(report_id)

    def _vin_ref(self, report_id: str, vin: str) -> firestore.DocumentReference:
        return self._ref(report_id).collection(VEHICLES).document(vin)

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

        def move(snap: DocumentSnapshot) -> tuple[None, dict[str, Any] | None]:
            if not snap.exists or not ReportRequest.model_validate(snap.to_dict()).is_open:
                return None, None
            changes: dict[str, Any] = {"status": status.value, "updated_at": firestore.SERVER_TIMESTAMP}
            if error is not None:
                changes["error"] = error
            if error_code is not None:
                changes["error_code"] = error_code
            if status in _TERMINAL_REPORT:
                changes["completed_at"] = firestore.SERVER_TIMESTAMP
                changes["outcome"] = status.value
            return None, changes

        self._guarded("set_status", self._ref(report_id), move)

    def start_run(self, report_id: str, vin: str, run_id: str, now: datetime, lease_seconds: float) -> RunStart:
        """Take the VIN's run lease with a guarded write on the VIN document alone."""

        def take(snap: DocumentSnapshot) -> tuple[RunStart, dict[str, Any] | None]:
            if not snap.exists:
                return "unknown", None
            current = VinProgress.model_validate(snap.to_dict())
            if not report_life.may_finish(current.status):
                return "finished", None
            if not report_life.run_lease_free(current, now):
                return "busy", None
            return "started", {
                "run_id": run_id,
                "run_lease_until": report_life.lease_until(now, lease_seconds),
                "attempts": current.attempts + 1,
                "wait_until": None,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }

        return self._guarded("start_run", self._vin_ref(report_id, vin), take)

    def end_run(self, report_id: str, vin: str, run_id: str, changes: dict[str, object]) -> None:
        """Release the lease if it is still ours; patch the VIN unless it already finished."""

        def release(snap: DocumentSnapshot) -> tuple[None, dict[str, Any] | None]:
            if not snap.exists or VinStatus(snap.get("status")).is_terminal:
                return None, None
            update: dict[str, Any] = {**changes, "updated_at": firestore.SERVER_TIMESTAMP}
            if (snap.to_dict() or {}).get("run_id") == run_id:
                update.update({"run_id": None, "run_lease_until": None})
            return None, update

        self._guarded("end_run", self._vin_ref(report_id, vin), release)

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        """Patch a VIN's progress unless it is already finished."""

        def patch(snap: DocumentSnapshot) -> tuple[None, dict[str, Any] | None]:
            if not snap.exists or VinStatus(snap.get("status")).is_terminal:
                return None, None
            return None, {**changes, "updated_at": firestore.SERVER_TIMESTAMP}

        self._guarded("update_vin", self._vin_ref(report_id, vin), patch)

    def add_tesla_requests(self, report_id: str, vin: str, count: int, calls: dict[str, int] | None = None) -> None:
        """Atomic increments: exact whichever run (or retry) made the calls."""
        changes: dict[str, Any] = {f"tesla_calls.{k}": firestore.Increment(v) for k, v in (calls or {}).items() if v}
        if count:
            changes["tesla_requests"] = firestore.Increment(count)
        if changes:
            self._vin_ref(report_id, vin).update(changes)

    def add_report_tesla_calls(self, report_id: str, calls: dict[str, int]) -> None:
        """Atomic increments on the report document (written at its own transitions only)."""
        changes = {f"tesla_calls.{k}": firestore.Increment(v) for k, v in calls.items() if v}
        if changes:
            self._ref(report_id).update(changes)

    def finish_vin(self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]) -> bool:
        """Open → finished, once, with a guarded write on the VIN document alone."""

        def finish(snap: DocumentSnapshot) -> tuple[bool, dict[str, Any] | None]:
            if not snap.exists or not report_life.may_finish(VinStatus(snap.get("status"))):
                return False, None
            return True, {
                **changes,
                "status": status.value,
                "run_id": None,
                "run_lease_until": None,
                "wait_until": None,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }

        return self._guarded("finish_vin", self._vin_ref(report_id, vin), finish)

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

        def close(snap: DocumentSnapshot) -> tuple[ReportRequest | None, dict[str, Any] | None]:
            if not snap.exists:
                return None, None
            report = ReportRequest.model_validate(snap.to_dict())
            if not report.is_open:
                return None, None
            update = {
                **changes,
                "status": outcome.value,
                "outcome": outcome.value,
                "completed_at": firestore.SERVER_TIMESTAMP,
                "updated_at": firestore.SERVER_TIMESTAMP,
            }
            return report.model_copy(update={"status": outcome, "outcome": outcome}), update

        return self._guarded("close", self._ref(report_id), close)

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
            self._delete_vins(snap.reference)
            snap.reference.delete()
            deleted += 1
        return deleted

    def list_for_account(self, account_id: str, limit: int, after: ReportCursor | None = None) -> list[ReportRequest]:
        """Newest first by (created_at, report_id): the composite index indexes.REPORTS_BY_ACCOUNT serves it."""
        query = (
            self._db.collection(REPORTS)
            .where(filter=firestore.FieldFilter("account_id", "==", account_id))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .order_by("report_id", direction=firestore.Query.DESCENDING)
        )
        if after is not None:
            query = query.start_after({"created_at": after.created_at, "report_id": after.report_id})
        return [ReportRequest.model_validate(snap.to_dict()) for snap in query.limit(limit).stream()]

    def reopen_for_retry(self, report_id: str, vin: str) -> int | str:
        """The report document first (a concurrent second retry then finds it open and is refused),
        then the VIN's, each written only if unchanged since read."""
        item = self.vin(report_id, vin)

        def reopen(snap: DocumentSnapshot) -> tuple[int | str, dict[str, Any] | None]:
            if not snap.exists:
                return "not_found", None
            report = ReportRequest.model_validate(snap.to_dict())
            refusal = report_life.retry_refusal(report, item)
            if refusal is not None:
                return refusal, None
            changes = report_life.reopened(report)
            return report.retries + 1, {**changes, "updated_at": firestore.SERVER_TIMESTAMP}

        outcome = self._guarded("reopen", self._ref(report_id), reopen)
        if isinstance(outcome, int):
            self._vin_ref(report_id, vin).update({**report_life.RETRIED_VIN, "updated_at": firestore.SERVER_TIMESTAMP})
        return outcome

    def add_rendition(self, report_id: str, language: str, now: datetime) -> tuple[Rendition, bool] | None:
        """Added as one field of the report document, if unchanged since the read."""

        def add(snap: DocumentSnapshot) -> tuple[tuple[Rendition, bool] | None, dict[str, Any] | None]:
            if not snap.exists:
                return None, None
            rendition, new = report_life.rendition_to_queue(ReportRequest.model_validate(snap.to_dict()), language, now)
            return (rendition, new), ({f"renditions.{language}": _doc(rendition)} if new else None)

        return self._guarded("add_rendition", self._ref(report_id), add)

    def finish_rendition(self, report_id: str, language: str, status: RenditionStatus, error_code: str | None) -> None:
        """One field update: only this rendition changes."""
        changes = {"status": status.value, "completed_at": firestore.SERVER_TIMESTAMP, "error_code": error_code}
        try:
            self._ref(report_id).update({f"renditions.{language}.{k}": v for k, v in changes.items()})
        except NotFound:
            return  # the report was deleted meanwhile

    def delete(self, report_id: str) -> bool:
        """The report's VIN documents, then the report document (so a repeat finishes the job)."""
        ref = self._ref(report_id)
        vins = self._delete_vins(ref)
        existed = ref.get(field_paths=["report_id"]).exists
        ref.delete()
        return existed or vins > 0

    def _delete_vins(self, ref: firestore.DocumentReference) -> int:
        vins = list(ref.collection(VEHICLES).list_documents())
        for start in range(0, len(vins), 400):
            batch = self._db.batch()
            for vin_ref in vins[start : start + 400]:
                batch.delete(vin_ref)
            batch.commit()
        return len(vins)
