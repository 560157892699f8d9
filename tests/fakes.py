"""In-memory fakes of the ports, for fast unit tests of service logic.

Every adapter these stand in for is also tested against its emulator (tests/integration).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from carpulse.domain import billing, paging, refresh_lease, report_life
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
from carpulse.domain.tasks import WorkerTask
from carpulse.gcp.ports import ReportStore, RunStart


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

    def acquire_refresh_lease(
        self, account_id: str, now: datetime, lease_seconds: float, lease_id: str
    ) -> Account | None:
        with self.lock:
            account = self.items.get(account_id)
            if account is None or not refresh_lease.lease_free(account, now):
                return None
            until = refresh_lease.lease_until(now, lease_seconds)
            account = account.model_copy(update={"refresh_lease_until": until, "refresh_lease_id": lease_id})
            self.items[account_id] = account
            return account

    def release_refresh_lease(self, account_id: str, lease_id: str) -> None:
        with self.lock:
            account = self.items.get(account_id)
            if account is not None and account.refresh_lease_id == lease_id:
                self.items[account_id] = account.model_copy(
                    update={"refresh_lease_until": None, "refresh_lease_id": None}
                )

    def store_rotated_tokens(
        self, account_id: str, lease_id: str, expected_generation: int, changes: dict[str, object]
    ) -> RotationWrite:
        with self.lock:
            account = self.items.get(account_id)
            outcome = refresh_lease.rotation_write(account, lease_id, expected_generation)
            if account is not None and outcome in ("written", "rescued"):
                update = {**_typed(changes), "token_generation": expected_generation + 1}
                update.update({"refresh_lease_until": None, "refresh_lease_id": None})
                self.items[account_id] = account.model_copy(update=update)
            return outcome

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
class FakeReports(ReportStore):
    """The report store in memory; every rule comes from carpulse.domain.report_life."""

    items: dict[str, ReportRequest] = field(default_factory=dict)
    vins: dict[str, dict[str, VinProgress]] = field(default_factory=dict)
    clock: Any = field(default=lambda: datetime.now(UTC))

    def create(self, report: ReportRequest, progress: list[VinProgress]) -> None:
        self.items[report.report_id] = report
        self.vins[report.report_id] = {p.vin: p for p in progress}

    def get(self, report_id: str) -> ReportRequest | None:
        return self.items.get(report_id)

    def progress(self, report_id: str) -> list[VinProgress]:
        return list(self.vins.get(report_id, {}).values())

    def vin(self, report_id: str, vin: str) -> VinProgress | None:
        return self.vins.get(report_id, {}).get(vin)

    def set_status(
        self, report_id: str, status: ReportStatus, error: str | None = None, error_code: str | None = None
    ) -> None:
        report = self.items.get(report_id)
        if report is None or not report.is_open:
            return
        update: dict[str, object] = {"status": status, "updated_at": self.clock()}
        if error is not None:
            update["error"] = error
        if error_code is not None:
            update["error_code"] = error_code
        self.items[report_id] = report.model_copy(update=update)

    def start_run(self, report_id: str, vin: str, run_id: str, now: datetime, lease_seconds: float) -> RunStart:
        item = self.vin(report_id, vin)
        if item is None:
            return "unknown"
        if not report_life.may_finish(item.status):
            return "finished"
        if not report_life.run_lease_free(item, now):
            return "busy"
        self._patch(
            report_id,
            vin,
            {
                "run_id": run_id,
                "run_lease_until": report_life.lease_until(now, lease_seconds),
                "attempts": item.attempts + 1,
                "wait_until": None,
            },
        )
        return "started"

    def end_run(self, report_id: str, vin: str, run_id: str, changes: dict[str, object]) -> None:
        item = self.vin(report_id, vin)
        if item is None or item.status.is_terminal:
            return
        update = dict(changes)
        if item.run_id == run_id:
            update.update({"run_id": None, "run_lease_until": None})
        self._patch(report_id, vin, update)

    def update_vin(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        item = self.vin(report_id, vin)
        if item is not None and not item.status.is_terminal:
            self._patch(report_id, vin, changes)

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

    def finish_vin(self, report_id: str, vin: str, status: VinStatus, changes: dict[str, object]) -> bool:
        item = self.vin(report_id, vin)
        if item is None or not report_life.may_finish(item.status):
            return False
        self._patch(
            report_id, vin, {**changes, "status": status, "run_id": None, "run_lease_until": None, "wait_until": None}
        )
        return True

    def unfinished_vins(self, report_id: str) -> int:
        return sum(1 for p in self.progress(report_id) if not p.status.is_terminal)

    def close(self, report_id: str, outcome: ReportStatus, changes: dict[str, object]) -> ReportRequest | None:
        report = self.items.get(report_id)
        if report is None or not report.is_open:
            return None
        closed = report.model_copy(update={**changes, "status": outcome, "outcome": outcome})
        self.items[report_id] = closed
        return closed

    def open_reports(self) -> list[ReportRequest]:
        return [r for r in self.items.values() if r.is_open]

    def count_sweep(self, report_id: str, vin: str | None = None) -> None:
        if vin is None:
            report = self.items[report_id]
            self.items[report_id] = report.model_copy(update={"sweeps": report.sweeps + 1, "updated_at": self.clock()})
        else:
            self._patch(report_id, vin, {"sweeps": self.vins[report_id][vin].sweeps + 1})

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

    def reopen_for_retry(self, report_id: str, vin: str) -> int | str:
        report = self.items.get(report_id)
        if report is None:
            return "not_found"
        refusal = report_life.retry_refusal(report, self.vin(report_id, vin))
        if refusal is not None:
            return refusal
        self.items[report_id] = ReportRequest.model_validate({**report.model_dump(), **report_life.reopened(report)})
        self._patch(report_id, vin, dict(report_life.RETRIED_VIN))
        return report.retries + 1

    def add_rendition(self, report_id: str, language: str, now: datetime) -> tuple[Rendition, bool] | None:
        report = self.items.get(report_id)
        if report is None:
            return None
        rendition, new = report_life.rendition_to_queue(report, language, now)
        if new:
            self.items[report_id] = report.model_copy(update={"renditions": {**report.renditions, language: rendition}})
        return rendition, new

    def finish_rendition(self, report_id: str, language: str, status: RenditionStatus, error_code: str | None) -> None:
        report = self.items.get(report_id)
        if report is None or language not in report.renditions:
            return
        done = report.renditions[language].model_copy(
            update={"status": status, "completed_at": self.clock(), "error_code": error_code}
        )
        self.items[report_id] = report.model_copy(update={"renditions": {**report.renditions, language: done}})

    def delete(self, report_id: str) -> bool:
        found = self.items.pop(report_id, None)
        return self.vins.pop(report_id, None) is not None or found is not None

    def _patch(self, report_id: str, vin: str, changes: dict[str, object]) -> None:
        update = dict(changes)
        if "status" in update:
            update["status"] = VinStatus(update["status"])
        update["updated_at"] = self.clock()
        item = self.vins[report_id][vin]
        self.vins[report_id][vin] = VinProgress.model_validate({**item.model_dump(), **update})


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

    def names(self, prefix: str) -> list[str]:
        return sorted(k for k in self.items if k.startswith(prefix))

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
