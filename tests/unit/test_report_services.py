"""Report requests, the prepare task and the per-VIN task, on fakes."""

from collections import Counter
from datetime import timedelta

import pytest

from carpulse.config import Settings
from carpulse.crypto import sha256_hex
from carpulse.domain.models import ReportStatus, Session, VinStatus
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import NotFoundError, RetryLaterError
from carpulse.services.finalise import FinaliseService
from carpulse.services.prepare import PrepareService
from carpulse.services.reports import ReportCreate, ReportsService
from carpulse.services.vehicle_report import VehicleReportService
from carpulse.services.worker import Worker
from carpulse.tesla.errors import TeslaServerError
from tests.fakes import (
    FLEET_VIN_A,
    FLEET_VIN_B,
    FLEET_VIN_C,
    FakeAccounts,
    FakeBlobs,
    FakeClock,
    FakeFleet,
    FakeQueue,
    FakeReports,
    FakeSessions,
)

VIN_A, VIN_B, VIN_C = FLEET_VIN_A, FLEET_VIN_B, FLEET_VIN_C


class World:
    def __init__(self):
        self.clock = FakeClock()
        self.accounts, self.sessions = FakeAccounts(), FakeSessions()
        self.reports = FakeReports(clock=self.clock)
        self.blobs, self.queue = FakeBlobs(), FakeQueue()
        self.fleet = FakeFleet()
        now = self.clock()
        self.account = self.accounts.connect("acc1", now)
        self.sessions.put(
            sha256_hex("sess"), Session(account_id="acc1", created_at=now, expires_at=now + timedelta(days=1))
        )
        fleet_for = lambda account, observer=None: self._fleet(observer)  # noqa: E731
        self.api = ReportsService(
            settings=Settings(),
            sessions=self.sessions,
            accounts=self.accounts,
            reports=self.reports,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=fleet_for,
            clock=self.clock,
        )
        self.rendered = []
        self.vehicle = VehicleReportService(
            accounts=self.accounts,
            reports=self.reports,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=fleet_for,
            render_pdf=self._render,
            clock=self.clock,
            render_json=lambda snap: {"vin": snap.identity.vin},
            partner_fleet_for_account=fleet_for,
        )
        self.prepare = PrepareService(
            accounts=self.accounts,
            reports=self.reports,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=fleet_for,
        )
        finalise = FinaliseService(
            reports=self.reports, blobs=self.blobs, sessions_csv=lambda snaps: f"{len(snaps)} vehicles".encode()
        )
        self.worker = Worker(
            prepare=self.prepare, vehicle=self.vehicle, finalise=finalise, queue=self.queue, max_attempts=3
        )

    def _fleet(self, observer):
        self.fleet.observer = observer
        return self.fleet

    def _render(self, snapshot):
        self.rendered.append(snapshot)
        return b"%PDF-fake " + snapshot.identity.vin.encode()

    def run_all_tasks(self):
        while self.queue.tasks:
            task_id = next(iter(self.queue.tasks))
            task, _ = self.queue.tasks.pop(task_id)
            self.worker.handle(task, 0)


@pytest.fixture
def world():
    return World()


def test_foreign_vin_is_refused_and_nothing_is_created(world):
    with pytest.raises(NotFoundError) as caught:
        world.api.request_report(world.account, ReportCreate(vins=[VIN_A, "1HGCM82633A004352"]))
    assert "4352" in str(caught.value.messages)
    assert "1HGCM82633A004352" not in str(caught.value.messages)
    assert not world.reports.items
    assert not world.queue.tasks


@pytest.mark.parametrize("vins", [[], ["short"], [VIN_A, VIN_A], ["5YJ3E7EB0PF00000I"]])
def test_bad_vin_lists_are_validation_errors(vins):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ReportCreate(vins=vins)


def test_queue_failure_leaves_no_live_report(world):
    world.queue.fail = True
    with pytest.raises(RetryLaterError):
        world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    (report,) = world.reports.items.values()
    assert report.status is ReportStatus.FAILED


def test_whole_flow_on_fakes(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B, VIN_C]))
    assert view.status is ReportStatus.QUEUED
    assert [t.kind for t, _ in world.queue.tasks.values()] == [TaskKind.PREPARE]
    world.run_all_tasks()
    status = world.api.report_status(world.account, view.report_id)
    # The asleep car's live data is missing: the report says so instead of "complete".
    assert status.status is ReportStatus.PARTIAL
    assert all(v.download_url for v in status.vehicles)
    assert all(v.status is VinStatus.DONE for v in status.vehicles)
    asleep = next(v for v in status.vehicles if v.vin == VIN_C)
    assert [(m.section, m.reason_code) for m in asleep.missing] == [("vehicle_data", "vehicle_asleep")]
    assert "asleep" in asleep.missing[0].message
    assert not next(v for v in status.vehicles if v.vin == VIN_A).missing
    # charging history fetched once for the whole request, attributed per VIN
    assert world.fleet.calls.count(("charging_history", None)) == 1
    # one fleet_status for every VIN; the state Tesla listed at request time stands in for /vehicles/{vin}
    assert [c for c in world.fleet.calls if c[0] == "fleet_status"] == [("fleet_status", (VIN_A, VIN_B, VIN_C))]
    assert not [c for c in world.fleet.calls if c[0] == "vehicle"]
    assert world.fleet.calls.count("vehicles") == 1
    by_vin = {s.identity.vin: s for s in world.rendered}
    assert by_vin[VIN_A].charging.session_count == 2
    assert by_vin[VIN_B].charging.session_count == 1
    # the asleep car was not woken and not asked for vehicle_data; the PDF says why
    assert ("vehicle_data", VIN_C) not in world.fleet.calls
    assert ("wake_up", VIN_C) not in world.fleet.calls
    assert "asleep" in by_vin[VIN_C].notes[0].reason


def test_repeated_delivery_changes_nothing(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    before = (dict(world.reports.items), {k: dict(v) for k, v in world.reports.vins.items()}, len(world.rendered))
    world.worker.handle(WorkerTask(kind=TaskKind.VEHICLE, report_id=view.report_id, vin=VIN_A), 1)
    world.worker.handle(WorkerTask(kind=TaskKind.PREPARE, report_id=view.report_id), 1)
    after = (dict(world.reports.items), {k: dict(v) for k, v in world.reports.vins.items()}, len(world.rendered))
    assert before == after
    assert not world.queue.tasks


def test_allow_wake_wakes_and_reschedules(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_C], allow_wake=True))
    task, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(task, 0)
    (vehicle_task, delay) = next(iter(world.queue.tasks.values()))
    world.queue.tasks.clear()
    world.worker.handle(vehicle_task, 0)
    assert ("wake_up", VIN_C) in world.fleet.calls
    (rescheduled, delay) = next(iter(world.queue.tasks.values()))
    assert rescheduled.wait_round == 1
    assert delay > 0
    assert world.reports.vins[view.report_id][VIN_C].status is VinStatus.WAITING_FOR_VEHICLE


def test_transient_failure_is_retried_then_recorded_on_last_attempt(world):
    world.fleet.vehicle_data_errors[None] = TeslaServerError("down", status=503)
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    task, _ = world.queue.tasks.popitem()[1]
    with pytest.raises(TeslaServerError):
        world.worker.handle(task, 0)
    assert world.worker.handle(task, 2) == "failed"
    world.run_all_tasks()  # the finalise task
    status = world.api.report_status(world.account, view.report_id)
    assert status.status is ReportStatus.FAILED
    assert status.vehicles[0].error_code == "tesla_unavailable"
    assert "503" not in status.vehicles[0].error  # Tesla's own text goes to logs, not to owners


def test_status_of_someone_elses_report_is_not_found(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    other = world.account.model_copy(update={"account_id": "acc2"})
    with pytest.raises(NotFoundError):
        world.api.report_status(other, view.report_id)


def test_disconnect_forgets_everything(world):
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    assert world.blobs.items
    world.api.disconnect(world.account)
    assert not world.accounts.items
    assert not world.sessions.items
    assert not world.blobs.items
    assert not world.reports.items


def test_report_create_rejects_unknown_fields():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="wake"):
        ReportCreate.model_validate({"vins": [VIN_A], "wake": True})


def test_vehicle_that_left_the_account_fails_with_a_reason(world):
    from carpulse.tesla.errors import TeslaNotFoundError

    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B]))

    # A car no longer on the account: Tesla answers 404 for its VIN.
    world.fleet.vehicle_data_errors[VIN_B] = TeslaNotFoundError("gone", status=404)
    world.run_all_tasks()
    status = world.api.report_status(world.account, view.report_id)
    assert status.status is ReportStatus.PARTIAL
    failed = next(v for v in status.vehicles if v.vin == VIN_B)
    assert failed.status is VinStatus.FAILED
    assert failed.error_code == "vehicle_not_on_account"
    assert "no longer" in failed.error


def test_modules_are_fetched_and_what_never_changes_is_cached(world):
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    snap = world.rendered[-1]
    assert snap.alerts[0].code == "UI_a1"
    assert snap.software.release_notes[0].title == "Nested"
    assert snap.identity.options[0].code == "APBS"
    assert snap.identity.specs.state_of_health_percent == 97.0
    assert snap.security.keys_paired is True
    assert snap.warranties[0].remaining_days > 0
    assert all(inv.stored for s in snap.sessions for inv in s.invoices)
    first = Counter(c[0] for c in world.fleet.calls if isinstance(c, tuple))
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    second = Counter(c[0] for c in world.fleet.calls if isinstance(c, tuple)) - first
    assert second["vehicle_data"] == 1
    assert second["recent_alerts"] == 1
    for cached in ("specs", "options", "invoice"):
        assert second[cached] == 0, cached


def test_finalise_builds_csv_and_invoice_zip_with_a_folder_per_vin(world):
    import io
    import zipfile

    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B]))
    world.run_all_tasks()
    report = world.reports.get(view.report_id)
    assert report.status is ReportStatus.COMPLETE
    assert world.blobs.get(report.csv_object) == b"2 vehicles"
    names = zipfile.ZipFile(io.BytesIO(world.blobs.get(report.zip_object))).namelist()
    assert sorted(names) == [f"{VIN_A}/inv0.pdf", f"{VIN_A}/inv1.pdf", f"{VIN_B}/inv2.pdf"]


def test_rate_limit_defers_the_task_after_retry_after(world):
    from carpulse.tesla.errors import RateLimitedError

    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    task, _ = world.queue.tasks.popitem()[1]

    world.fleet.vehicle_data_errors[None] = RateLimitedError("slow down", status=429, retry_after=120)
    assert world.worker.handle(task, 0) == "deferred"
    (again, delay) = next(iter(world.queue.tasks.values()))
    assert again.defer == 1
    assert again.task_id() != task.task_id()
    assert delay == 120
    assert world.reports.vins[view.report_id][VIN_A].status is not VinStatus.FAILED


def test_unreachable_online_car_is_asked_again_later_then_explained(world):
    from carpulse.tesla.errors import VehicleOfflineError

    world.vehicle.max_wait_rounds = 1
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))

    world.fleet.vehicle_data_errors[None] = VehicleOfflineError("408", status=408)
    world.run_all_tasks()
    status = world.api.report_status(world.account, view.report_id)
    assert status.status is ReportStatus.PARTIAL
    assert status.vehicles[0].missing[0].reason_code == "vehicle_unavailable"
    assert world.rendered[-1].notes[0].reason == "reason.vehicle_unavailable"
    assert world.rendered[-1].battery is None


def test_finalise_failing_on_its_last_attempt_still_closes_the_report(world):
    def broken(snapshots):
        raise RuntimeError("csv writer broke")

    world.worker.finalise.sessions_csv = broken
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    while world.queue.tasks:
        task, _ = world.queue.tasks.pop(next(iter(world.queue.tasks)))
        if task.kind is TaskKind.FINALISE:
            with pytest.raises(RuntimeError):
                world.worker.handle(task, 0)
            assert world.worker.handle(task, 2) == "failed"
        else:
            world.worker.handle(task, 0)
    status = world.api.report_status(world.account, view.report_id)
    assert status.status is ReportStatus.PARTIAL  # the PDF exists; only the request's files are missing
    assert "CSV" in status.error
    assert status.vehicles[0].download_url


def test_a_retried_vehicle_task_reuses_the_stored_snapshot_without_calling_tesla(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    task, _ = world.queue.tasks.popitem()[1]
    original_finish = world.reports.finish_vin

    def crash(*args, **kwargs):
        raise RuntimeError("transaction aborted")

    world.reports.finish_vin = crash
    with pytest.raises(RuntimeError):
        world.worker.handle(task, 0)
    calls_before = len(world.fleet.calls)
    world.reports.finish_vin = original_finish
    world.worker.handle(task, 1)
    assert len(world.fleet.calls) == calls_before  # the retry rendered from the stored snapshot
    assert world.reports.vins[view.report_id][VIN_A].status is VinStatus.DONE


def test_a_delivery_while_another_run_holds_the_vin_is_put_off_without_calling_tesla(world):
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    task, _ = world.queue.tasks.popitem()[1]
    assert world.reports.start_run(view.report_id, VIN_A, "other-run", world.clock(), 300) == "started"
    calls = len(world.fleet.calls)
    assert world.worker.handle(task, 0) == "deferred"
    assert len(world.fleet.calls) == calls
    (later, delay) = next(iter(world.queue.tasks.values()))
    assert later.defer == 1
    assert 290 <= delay <= 300
    world.reports.end_run(view.report_id, VIN_A, "other-run", {})  # the other run died and let go
    world.run_all_tasks()
    assert world.reports.vins[view.report_id][VIN_A].status is VinStatus.DONE


def test_stalled_work_is_requeued_then_closed_by_the_sweeper(world):
    from carpulse.services.sweeper import Sweeper

    sweeper = Sweeper(reports=world.reports, queue=world.queue, clock=world.clock, stall_seconds=60)
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B]))
    world.queue.tasks.clear()  # the prepare task is lost: Cloud Tasks gave up on it
    assert sweeper.run().requeued == 0  # not stalled yet
    world.clock.advance(61)
    assert sweeper.run().requeued == 1
    (prepare, _) = next(iter(world.queue.tasks.values()))
    assert prepare.kind is TaskKind.PREPARE
    assert prepare.sweep == 1
    world.queue.tasks.clear()
    world.clock.advance(61)
    sweeper.run()
    world.queue.tasks.clear()
    world.clock.advance(61)
    summary = sweeper.run()  # swept twice: closed
    assert summary.closed_reports == 1
    status = world.api.report_status(world.account, view.report_id)
    assert status.status is ReportStatus.FAILED
    assert {v.error_code for v in status.vehicles} == {"timed_out"}


def test_the_sweeper_requeues_a_stalled_vehicle_and_the_report_finishes(world):
    from carpulse.services.sweeper import Sweeper

    sweeper = Sweeper(reports=world.reports, queue=world.queue, clock=world.clock, stall_seconds=60)
    view = world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    lost = [k for k, (t, _) in world.queue.tasks.items() if t.vin == VIN_B]
    for key in lost:
        del world.queue.tasks[key]  # VIN_B's task used up its attempts without reaching our code
    world.run_all_tasks()
    assert world.reports.get(view.report_id).is_open
    world.clock.advance(61)
    assert sweeper.run().requeued == 1
    world.run_all_tasks()
    assert world.api.report_status(world.account, view.report_id).status is ReportStatus.COMPLETE


def test_a_report_for_some_of_the_cars_lists_only_their_history(world):
    world.api.request_report(world.account, ReportCreate(vins=[VIN_B]))
    world.run_all_tasks()
    assert [c for c in world.fleet.calls if c[0] == "charging_history"] == [("charging_history", VIN_B)]
    assert world.rendered[-1].charging.session_count == 1


def test_a_second_report_fetches_only_what_can_change(world):
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    first = Counter(c[0] for c in world.fleet.calls if isinstance(c, tuple))
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    world.run_all_tasks()
    second = Counter(c[0] for c in world.fleet.calls if isinstance(c, tuple)) - first
    # Same firmware (fleet_status says so): the release notes are read from the VIN's cache.
    assert second == Counter(
        charging_history=1, fleet_status=1, vehicle_data=1, service_data=1, warranty=1, recent_alerts=1
    )
    assert world.rendered[-1].software.release_notes[0].title == "Nested"


def test_a_stale_request_time_state_is_asked_again(world):
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    world.clock.advance(world.vehicle.state_fresh_seconds + 1)
    world.run_all_tasks()
    assert ("vehicle", VIN_A) in world.fleet.calls


class CountingBlobs(FakeBlobs):
    def __init__(self):
        super().__init__()
        self.ops: Counter[str] = Counter()

    def put(self, name, data, content_type):
        self.ops[name.split("/")[4] if "/reports/" in name else name.split("/")[2]] += 1
        super().put(name, data, content_type)

    def get(self, name):
        self.ops[name.split("/")[4] if "/reports/" in name else name.split("/")[2]] += 1
        return super().get(name)


def test_a_vehicle_task_keeps_its_storage_traffic_small(world):
    world.blobs = world.vehicle.blobs = world.prepare.blobs = world.api.blobs = CountingBlobs()
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A]))
    prepare, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(prepare, 0)
    world.blobs.ops.clear()
    vehicle, _ = world.queue.tasks.popitem()[1]
    world.worker.handle(vehicle, 0)
    # snapshot (look, write), partition, the VIN's cache (read, write), JSON view, PDF, and each of
    # the VIN's two invoices once (this fake Tesla shows the recorder nothing: no raw batch here)
    assert sum(world.blobs.ops.values()) == 9
    assert world.blobs.ops["cache"] == 4


def test_a_refused_fleet_status_is_a_note_on_every_vin_and_asked_once(world):
    from carpulse.tesla.errors import TeslaBadRequestError

    calls = []

    def refused(vins):
        calls.append(tuple(vins))
        raise TeslaBadRequestError("no", status=400)

    world.fleet.fleet_status = refused
    world.api.request_report(world.account, ReportCreate(vins=[VIN_A, VIN_B]))
    world.run_all_tasks()
    assert calls == [(VIN_A, VIN_B)]  # prepare asked once; the VIN tasks did not ask again
    for snapshot in world.rendered:
        assert [n.reason for n in snapshot.notes if n.section == "fleet_status"] == ["reason.tesla_status"]
