"""In-memory fakes of the ports, for fast unit tests of service logic.

Every adapter these stand in for is also tested against its emulator (tests/integration).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
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
from carpulse.gcp.ports import BlobStore, LoginCodeStore, OAuthStateStore, SecretSource, SessionStore, TaskQueue
from carpulse.gcp.store_transitions import AccountTransitions, ReportTransitions
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.auth import TokenResponse
from carpulse.tesla.errors import LoginRequiredError, TeslaBadRequestError
from carpulse.tesla.ports import FleetApi, TeslaAuth
from carpulse.tesla.schemas import ChargingSession, VehicleData, VehicleSummary
from carpulse.tesla.transport import RawExchange

R = TypeVar("R")
# The cars of FakeFleet's account.
FLEET_VIN_A, FLEET_VIN_B, FLEET_VIN_C = "5YJ3E7EB0PF000001", "7SAYGDEE0PF000002", "5YJSA7E20PF000003"


class FakeFleet(FleetApi):
    """The Fleet API of one account in memory: three cars (online, online, asleep), four charging
    sessions (two of VIN_A, one of VIN_B, one of a car not on the account); every call is logged."""

    def __init__(
        self,
        observer: Callable[[RawExchange], None] | None = None,
        states: dict[str, str] | None = None,
    ) -> None:
        self.observer = observer
        self.states = states or {FLEET_VIN_A: "online", FLEET_VIN_B: "online", FLEET_VIN_C: "asleep"}
        self.calls: list[str | tuple[str, object]] = []
        # What Tesla answers vehicle_data instead of the data: by VIN, or for every VIN under None.
        self.vehicle_data_errors: dict[str | None, Exception] = {}

    def vehicles(self) -> list[VehicleSummary]:
        self.calls.append("vehicles")
        return [VehicleSummary(vin=v, display_name=f"car {v[-1]}", state=s) for v, s in self.states.items()]

    def vehicle(self, vin: str) -> VehicleSummary:
        self.calls.append(("vehicle", vin))
        return VehicleSummary(vin=vin, state=self.states[vin], display_name=f"car {vin[-1]}")

    def vehicle_data(self, vin: str, *, with_location: bool = False) -> VehicleData:
        self.calls.append(("vehicle_data", vin))
        error = self.vehicle_data_errors.get(vin) or self.vehicle_data_errors.get(None)
        if error is not None:
            raise error
        return VehicleData.model_validate(
            {"vin": vin, "charge_state": {"battery_level": 80}, "vehicle_state": {"odometer": 1000.0}}
        )

    def service_data(self, vin: str) -> dx.ServiceData:
        self.calls.append(("service_data", vin))
        return dx.ServiceData()

    def warranty(self, vin: str) -> dx.WarrantyDetails:
        self.calls.append(("warranty", vin))
        return dx.WarrantyDetails.model_validate(
            {"activeWarranty": [{"warrantyDisplayName": "Basic", "expirationDate": "2030-01-01T00:00:00Z"}]}
        )

    def recent_alerts(self, vin: str) -> dx.RecentAlerts:
        self.calls.append(("recent_alerts", vin))
        return dx.RecentAlerts.model_validate({"recent_alerts": [{"name": "UI_a1", "user_text": "hello"}]})

    def release_notes(self, vin: str, *, staged: bool = False, language: str | None = None) -> dx.ReleaseNotes:
        self.calls.append(("release_notes", vin))
        return dx.ReleaseNotes.model_validate({"response": {"release_notes": [{"title": "Nested"}]}})

    def fleet_status(self, vins: Sequence[str]) -> dx.FleetStatus:
        self.calls.append(("fleet_status", tuple(vins)))
        return dx.FleetStatus.model_validate(
            {
                "key_paired_vins": list(vins),
                "vehicle_info": {v: {"total_number_of_keys": 3, "firmware_version": "2026.2.3"} for v in vins},
            }
        )

    def options(self, vin: str) -> dx.VehicleOptions:
        self.calls.append(("options", vin))
        return dx.VehicleOptions.model_validate(
            {"codes": [{"code": "$APBS", "displayName": "Autopilot", "isActive": True}]}
        )

    def specs(self, vin: str) -> dx.VehicleSpecs:
        self.calls.append(("specs", vin))
        return dx.VehicleSpecs.model_validate({"batterySoH": "97%", "batteryCapacityKwh": "78.1kWh"})

    def invoice(self, content_id: str) -> bytes:
        self.calls.append(("invoice", content_id))
        return b"%PDF-1.4 invoice " + content_id.encode()

    def wake_up(self, vin: str) -> VehicleSummary:
        self.calls.append(("wake_up", vin))
        return VehicleSummary(vin=vin, state="asleep")

    def charging_history(
        self,
        *,
        vin: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        sort_order: str = "DESC",
        page_size: int = 100,
    ) -> list[ChargingSession]:
        self.calls.append(("charging_history", vin))
        listing = [
            ChargingSession.model_validate(
                {
                    "sessionId": i,
                    "vin": owner,
                    "fees": [],
                    "invoices": [{"fileName": f"inv{i}.pdf", "contentId": f"c{i}"}],
                }
            )
            for i, owner in enumerate([FLEET_VIN_A, FLEET_VIN_A, FLEET_VIN_B, "OTHERVIN000000000"])
        ]
        return [s for s in listing if vin is None or s.vin == vin]


class FakeTeslaAuth(TeslaAuth):
    """A Tesla auth server in memory. Like Tesla, each refresh token works once, and reusing one
    revokes the grant; `exchanged` lists the codes traded for tokens."""

    def __init__(self, host: str = "auth.example", first_refresh: str = "refresh-1", delay_seconds: float = 0) -> None:
        self.host = host
        self.exchanged: list[tuple[str, str]] = []
        self.valid = {first_refresh}
        self.calls = 0  # refreshes asked for
        self.delay_seconds = delay_seconds  # a slow answer widens the window of a race
        self.lock = threading.Lock()

    def authorize_url(self, state: str) -> str:
        return f"https://{self.host}/authorize?state={state}"

    def exchange_code(self, code: str, *, audience: str) -> TokenResponse:
        if code == "bad":
            raise TeslaBadRequestError("bad code", status=400, tesla_error="invalid_auth_code")
        self.exchanged.append((code, audience))
        return TokenResponse(access_token="access-1", refresh_token="refresh-1", expires_in=28800)

    def refresh(self, refresh_token: str) -> TokenResponse:
        with self.lock:
            self.calls += 1
            if refresh_token not in self.valid:
                self.valid.clear()
                raise LoginRequiredError("reused", status=401, tesla_error="login_required")
            self.valid.remove(refresh_token)
            new = f"refresh-{self.calls + 1}"
            self.valid.add(new)
        time.sleep(self.delay_seconds)
        return TokenResponse(access_token=f"access-{self.calls + 1}", refresh_token=new, expires_in=28800)

    def partner_token(self, *, audience: str) -> str:
        return f"partner-token-for-{audience}"

    def forget_partner_token(self, audience: str) -> None:
        return None


class FakeSecrets(SecretSource):
    """Secret values by name (a rotation: assign a new value; reread sees it at once)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str:
        return self.values[name]

    def reread(self, name: str) -> str:
        return self.values[name]


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

    def connect(self, account_id: str, now: datetime, **fields: object) -> Account:
        """Store and return an active account connected at `now` (placeholder sealed tokens, valid
        8 h; `fields` override any of it)."""
        base: dict[str, object] = {
            "account_id": account_id,
            "region": "eu",
            "fleet_api_base_url": "https://fleet.invalid",
            "access_token_enc": "sealed-access",
            "refresh_token_enc": "sealed-refresh",
            "token_expires_at": now + timedelta(hours=8),
            "created_at": now,
            "updated_at": now,
        }
        account = Account.model_validate({**base, **fields})
        self.items[account_id] = account
        return account

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
