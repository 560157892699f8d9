"""In-memory fakes of the ports, for fast unit tests of service logic.

Every adapter these stand in for is also tested against its emulator (tests/integration).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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
from carpulse.domain.tasks import WorkerTask
from carpulse.gcp.firestore_store import outcome_of

_TERMINAL = {ReportStatus.COMPLETE, ReportStatus.PARTIAL, ReportStatus.FAILED}


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeStates:
    items: dict[str, OAuthState] = field(default_factory=dict)

    def put(self, state_hash: str, state: OAuthState) -> None:
        self.items[state_hash] = state

    def consume(self, state_hash: str) -> OAuthState | None:
        return self.items.pop(state_hash, None)


@dataclass
class FakeLoginCodes:
    items: dict[str, LoginCode] = field(default_factory=dict)

    def put(self, code_hash: str, code: LoginCode) -> None:
        self.items[code_hash] = code

    def consume(self, code_hash: str) -> LoginCode | None:
        return self.items.pop(code_hash, None)


@dataclass
class FakeAccounts:
    items: dict[str, Account] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, account_id: str) -> Account | None:
        return self.items.get(account_id)

    def save_connected(self, account: Account) -> Account:
        old = self.items.get(account.account_id)
        if old:
            account = account.model_copy(
                update={"created_at": old.created_at, "token_generation": old.token_generation + 1}
            )
        self.items[account.account_id] = account
        return account

    def acquire_refresh_lease(self, account_id: str, now: datetime, lease_seconds: float) -> Account | None:
        with self.lock:
            account = self.items.get(account_id)
            if account is None or (account.refresh_lease_until and account.refresh_lease_until > now):
                return None
            account = account.model_copy(update={"refresh_lease_until": now + timedelta(seconds=lease_seconds)})
            self.items[account_id] = account
            return account

    def store_rotated_tokens(self, account_id: str, expected_generation: int, changes: dict[str, object]) -> bool:
        with self.lock:
            account = self.items.get(account_id)
            if account is None or account.token_generation != expected_generation:
                return False
            self.items[account_id] = account.model_copy(
                update={**_typed(changes), "token_generation": expected_generation + 1}
            )
            return True

    def update(self, account_id: str, changes: dict[str, object]) -> None:
        with self.lock:
            self.items[account_id] = self.items[account_id].model_copy(update=_typed(changes))

    def expiring_before(self, moment: datetime) -> list[Account]:
        return [a for a in self.items.values() if a.status is AccountStatus.ACTIVE and a.token_expires_at < moment]

    def delete(self, account_id: str) -> None:
        self.items.pop(account_id, None)


def _typed(changes: dict[str, object]) -> dict[str, Any]:
    out = dict(changes)
    if isinstance(out.get("status"), str):
        out["status"] = AccountStatus(out["status"])
    return out


@dataclass
class FakeSessions:
    items: dict[str, Session] = field(default_factory=dict)

    def put(self, token_hash: str, session: Session) -> None:
        self.items[token_hash] = session

    def get(self, token_hash: str) -> Session | None:
        return self.items.get(token_hash)

    def delete(self, token_hash: str) -> None:
        self.items.pop(token_hash, None)

    def delete_for_account(self, account_id: str) -> None:
        for key in [k for k, s in self.items.items() if s.account_id == account_id]:
            del self.items[key]


@dataclass
class FakeReports:
    items: dict[str, ReportRequest] = field(default_factory=dict)
    vins: dict[str, dict[str, VinProgress]] = field(default_factory=dict)

    def create(self, report: ReportRequest, progress: list[VinProgress]) -> None:
        self.items[report.report_id] = report
        self.vins[report.report_id] = {p.vin: p for p in progress}

    def get(self, report_id: str) -> ReportRequest | None:
        return self.items.get(report_id)

    def progress(self, report_id: str) -> list[VinProgress]:
        return list(self.vins.get(report_id, {}).values())

    def set_status(self, report_id: str, status: ReportStatus, error: str | None = None) -> None:
        report = self.items.get(report_id)
        if report is None or report.status in _TERMINAL:
            return
        self.items[report_id] = report.model_copy(update={"status": status, "error": error or report.error})

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        item = self.vins[report_id][vin]
        if item.status.is_terminal:
            return
        update = dict(changes)
        if "status" in update:
            update["status"] = VinStatus(update["status"])
        self.vins[report_id][vin] = item.model_copy(update=update)

    def complete(self, report_id: str, artifacts: dict[str, object]) -> ReportRequest | None:
        report = self.items.get(report_id)
        if report is None or report.status is not ReportStatus.FINALISING:
            return None
        report = report.model_copy(update={**artifacts, "status": report.outcome or ReportStatus.COMPLETE})
        self.items[report_id] = report
        return report

    def finish_vin(
        self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]
    ) -> ReportRequest | None:
        item = self.vins[report_id][vin]
        if item.status.is_terminal:
            return None
        self.vins[report_id][vin] = item.model_copy(update={**changes, "status": status})
        report = self.items[report_id]
        remaining = report.remaining - 1
        failed = report.failed_vins + (status is VinStatus.FAILED)
        new_status, outcome = report.status, report.outcome
        if remaining == 0:
            outcome = outcome_of(failed, len(report.vins))
            if report.status not in _TERMINAL:
                new_status = ReportStatus.FINALISING
        elif report.status not in _TERMINAL:
            new_status = ReportStatus.RUNNING
        report = report.model_copy(
            update={"remaining": remaining, "failed_vins": failed, "status": new_status, "outcome": outcome}
        )
        self.items[report_id] = report
        return report


@dataclass
class FakeBlobs:
    items: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.items[name] = (data, content_type)

    def get(self, name: str) -> bytes | None:
        found = self.items.get(name)
        return found[0] if found else None

    def signed_url(self, name: str, ttl_seconds: int, download_name: str | None = None) -> str:
        return f"https://signed.invalid/{name}?ttl={ttl_seconds}"

    def delete_prefix(self, prefix: str) -> int:
        doomed = [k for k in self.items if k.startswith(prefix)]
        for key in doomed:
            del self.items[key]
        return len(doomed)


@dataclass
class FakeQueue:
    tasks: dict[str, tuple[WorkerTask, float]] = field(default_factory=dict)
    fail: bool = False

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        if self.fail:
            raise RuntimeError("queue unavailable")
        if task.task_id() in self.tasks:
            return False
        self.tasks[task.task_id()] = (task, delay_seconds)
        return True
