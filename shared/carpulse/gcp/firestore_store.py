"""Firestore adapters of the state ports (works unchanged against the Firestore emulator)."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
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
    ReportRequest,
    ReportStatus,
    Session,
    VinProgress,
    VinStatus,
)
from carpulse.domain.paging import ReportCursor
from carpulse.domain.transitions import Transition, stamped
from carpulse.gcp.store_transitions import AccountTransitions, ReportTransitions

OAUTH_STATES = "oauth_states"
LOGIN_CODES = "login_codes"
ACCOUNTS = "accounts"
SESSIONS = "sessions"
REPORTS = "reports"
VEHICLES = "vehicles"
# Every VIN task of a report updates the report document: under a 50-VIN fan-out the default of 5
# attempts can run out, and a failed finish would redo the VIN's Tesla calls on the task's retry.
MAX_TRANSACTION_ATTEMPTS = 25
# A guarded write retries only when another write changed the document between our read and our
# commit; with one run per VIN that is an increment or a late duplicate, so a few rounds suffice.
_GUARDED_ROUNDS = 40
_LOST_RACE = (FailedPrecondition, Conflict, Aborted, NotFound)
R = TypeVar("R")
Snapshot = DocumentSnapshot[firestore.DocumentReference]


def _doc(model: BaseModel) -> dict[str, Any]:
    """Model → Firestore fields (tuples become arrays, enums their values)."""
    return _fields(model.model_dump(mode="python"))


def _fields(values: Mapping[str, object]) -> dict[str, Any]:
    """Field values as Firestore takes them."""
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


DELETE = "delete"  # what a decision returns to delete the document it read


def guarded_write(
    db: firestore.Client,
    ref: firestore.DocumentReference,
    decide: Callable[[Snapshot], tuple[R, dict[str, Any] | str | None]],
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
            if isinstance(write, str):  # DELETE
                ref.delete(option=option)
            else:
                ref.update(_fields(stamped(write, firestore.SERVER_TIMESTAMP)), option=option)
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

        def take(snap: Snapshot) -> tuple[T | None, str | None]:
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


class FirestoreAccountStore(AccountTransitions):
    """Accounts in `accounts/{account_id}`; the refresh lease's transitions are AccountTransitions'."""

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
            stored = refresh_lease.reconnected(Account.model_validate(snap.to_dict()) if snap.exists else None, account)
            tx.set(ref, _doc(stored))
            return stored

        saved: Account = save(self._db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
        return saved

    def _change_account(self, name: str, account_id: str, rule: Callable[[Account | None], Transition[R]]) -> R:
        """A rule over the account document, written only if unchanged since the read."""

        def decide(snap: Snapshot) -> Transition[R]:
            return rule(Account.model_validate(snap.to_dict()) if snap.exists else None)

        return guarded_write(self._db, self._ref(account_id), decide)

    def update(self, account_id: str, changes: dict[str, object]) -> None:
        """Patch fields of an account."""
        self._ref(account_id).update(_fields(changes))

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


class FirestoreReportStore(ReportTransitions):
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
        decide: Callable[[Snapshot], tuple[R, dict[str, Any] | None]],
    ) -> R:
        """Read, decide (result, changes or None for no write), write only if still unchanged."""
        return guarded_write(self._db, ref, decide, lambda: self.transaction_runs.update([name]))

    def _change_vin(
        self, name: str, report_id: str, vin: str, rule: Callable[[VinProgress | None], Transition[R]]
    ) -> R:
        def decide(snap: Snapshot) -> Transition[R]:
            return rule(VinProgress.model_validate(snap.to_dict()) if snap.exists else None)

        return self._guarded(name, self._vin_ref(report_id, vin), decide)

    def _change_report(self, name: str, report_id: str, rule: Callable[[ReportRequest | None], Transition[R]]) -> R:
        def decide(snap: Snapshot) -> Transition[R]:
            return rule(ReportRequest.model_validate(snap.to_dict()) if snap.exists else None)

        return self._guarded(name, self._ref(report_id), decide)

    def _ref(self, report_id: str) -> firestore.DocumentReference:
        return self._db.collection(REPORTS).document(report_id)

    def _vin_ref(self, report_id: str, vin: str) -> firestore.DocumentReference:
        ref: firestore.DocumentReference = self._ref(report_id).collection(VEHICLES).document(vin)
        return ref

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

    def open_reports(self) -> list[ReportRequest]:
        """Reports in an open status (a single-field index on status serves the query)."""
        statuses = [s.value for s in ReportStatus if s not in report_life.TERMINAL_REPORT_STATUSES]
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
