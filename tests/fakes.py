"""In-memory fakes of the ports, for fast unit tests of service logic.

Every adapter these stand in for is also tested against its emulator (tests/integration).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from carpulse.domain import billing, paging, refresh_lease
from carpulse.domain.models import (
    Account,
    AccountStatus,
    LoginCode,
    OAuthState,
    ReportRequest,
    Session,
    VinProgress,
)
from carpulse.domain.paging import ReportCursor
from carpulse.domain.tasks import WorkerTask
from carpulse.domain.transitions import Transition, applied
from carpulse.gcp.ports import BlobStore, LoginCodeStore, OAuthStateStore, SessionStore, TaskQueue
from carpulse.gcp.store_transitions import AccountTransitions, ReportTransitions

R = TypeVar("R")


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeStates(OAuthStateStore):
    items: dict[str, OAuthState] = field(default_factory=dict)

    def put(self, state_hash: str, state: OAuthState) -> None:
        self.items[state_hash] = state

    def consume(self, state_hash: str) -> OAuthState | None:
        return self.items.pop(state_hash, None)


@dataclass
class FakeLoginCodes(LoginCodeStore):
    items: dict[str, LoginCode] = field(default_factory=dict)

    def put(self, code_hash: str, code: LoginCode) -> None:
        self.items[code_hash] = code

    def consume(self, code_hash: str) -> LoginCode | None:
        return self.items.pop(code_hash, None)


@dataclass
class FakeAccounts(AccountTransitions):
    items: dict[str, Account] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, account_id: str) -> Account | None:
        return self.items.get(account_id)

    def save_connected(self, account: Account) -> Account:
        stored = refresh_lease.reconnected(self.items.get(account.account_id), account)
        self.items[account.account_id] = stored
        return stored

    def _change_account(self, name: str, account_id: str, rule: Callable[[Account | None], Transition[R]]) -> R:
        with self.lock:
            account = self.items.get(account_id)
            result, changes = rule(account)
            if account is not None and changes is not None:
                self.items[account_id] = applied(account, changes, datetime.now(UTC))
            return result

    def update(self, account_id: str, changes: dict[str, object]) -> None:
        with self.lock:
            self.items[account_id] = applied(self.items[account_id], changes, datetime.now(UTC))

    def expiring_before(self, moment: datetime) -> list[Account]:
        return [a for a in self.items.values() if a.status is AccountStatus.ACTIVE and a.token_expires_at < moment]

    def delete(self, account_id: str) -> None:
        self.items.pop(account_id, None)


@dataclass
class FakeSessions(SessionStore):
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
class FakeReports(ReportTransitions):
    """The report store in memory: its transitions are ReportTransitions', as the Firestore store's."""

    items: dict[str, ReportRequest] = field(default_factory=dict)
    vins: dict[str, dict[str, VinProgress]] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _change_vin(
        self, name: str, report_id: str, vin: str, rule: Callable[[VinProgress | None], Transition[R]]
    ) -> R:
        item = self.vin(report_id, vin)
        result, changes = rule(item)
        if item is not None and changes is not None:
            self.vins[report_id][vin] = applied(item, changes, self.clock())
        return result

    def _change_report(self, name: str, report_id: str, rule: Callable[[ReportRequest | None], Transition[R]]) -> R:
        report = self.items.get(report_id)
        result, changes = rule(report)
        if report is not None and changes is not None:
            self.items[report_id] = applied(report, changes, self.clock())
        return result

    def create(self, report: ReportRequest, progress: list[VinProgress]) -> None:
        self.items[report.report_id] = report
        self.vins[report.report_id] = {p.vin: p for p in progress}

    def get(self, report_id: str) -> ReportRequest | None:
        return self.items.get(report_id)

    def progress(self, report_id: str) -> list[VinProgress]:
        return list(self.vins.get(report_id, {}).values())

    def vin(self, report_id: str, vin: str) -> VinProgress | None:
        return self.vins.get(report_id, {}).get(vin)

    def add_tesla_requests(self, report_id: str, vin: str, count: int, calls: dict[str, int] | None = None) -> None:
        item = self.vins[report_id][vin]
        update = {
            "tesla_requests": item.tesla_requests + count,
            "tesla_calls": billing.add_calls(item.tesla_calls, calls or {}),
        }
        self.vins[report_id][vin] = item.model_copy(update=update)

    def add_report_tesla_calls(self, report_id: str, calls: dict[str, int]) -> None:
        report = self.items[report_id]
        self.items[report_id] = report.model_copy(update={"tesla_calls": billing.add_calls(report.tesla_calls, calls)})

    def unfinished_vins(self, report_id: str) -> int:
        return sum(1 for p in self.progress(report_id) if not p.status.is_terminal)

    def open_reports(self) -> list[ReportRequest]:
        return [r for r in self.items.values() if r.is_open]

    def count_sweep(self, report_id: str, vin: str | None = None) -> None:
        now = self.clock()
        if vin is None:
            report = self.items[report_id]
            self.items[report_id] = applied(report, {"sweeps": report.sweeps + 1, "updated_at": now}, now)
        else:
            item = self.vins[report_id][vin]
            self.vins[report_id][vin] = applied(item, {"sweeps": item.sweeps + 1, "updated_at": now}, now)

    def delete_for_account(self, account_id: str) -> int:
        ids = [k for k, r in self.items.items() if r.account_id == account_id]
        for report_id in ids:
            del self.items[report_id]
            self.vins.pop(report_id, None)
        return len(ids)

    def list_for_account(self, account_id: str, limit: int, after: ReportCursor | None = None) -> list[ReportRequest]:
        mine = [r for r in self.items.values() if r.account_id == account_id]
        if after is not None:
            mine = [r for r in mine if paging.comes_after(r, after)]
        return sorted(mine, key=paging.order_key, reverse=True)[:limit]

    def delete(self, report_id: str) -> bool:
        found = self.items.pop(report_id, None)
        return self.vins.pop(report_id, None) is not None or found is not None


@dataclass
class FakeBlobs(BlobStore):
    items: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.items[name] = (data, content_type)

    def get(self, name: str) -> bytes | None:
        found = self.items.get(name)
        return found[0] if found else None

    def signed_url(self, name: str, ttl_seconds: int, download_name: str | None = None) -> str:
        return f"https://signed.invalid/{name}?ttl={ttl_seconds}"

    def names(self, prefix: str) -> list[str]:
        return sorted(k for k in self.items if k.startswith(prefix))

    def delete_prefix(self, prefix: str) -> int:
        doomed = [k for k in self.items if k.startswith(prefix)]
        for key in doomed:
            del self.items[key]
        return len(doomed)


@dataclass
class FakeQueue(TaskQueue):
    tasks: dict[str, tuple[WorkerTask, float]] = field(default_factory=dict)
    fail: bool = False

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        if self.fail:
            raise RuntimeError("queue unavailable")
        if task.task_id() in self.tasks:
            return False
        self.tasks[task.task_id()] = (task, delay_seconds)
        return True
