"""The rules of a report's life as pure transitions (domain/report_life.py), and the in-memory store
applying them: what each rule decides for each state a record can be in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carpulse.domain import refresh_lease, report_life
from carpulse.domain.models import (
    Account,
    Rendition,
    RenditionStatus,
    ReportRequest,
    ReportStatus,
    VinProgress,
    VinStatus,
)
from carpulse.domain.transitions import NOW, applied
from tests.fakes import FakeAccounts, FakeClock, FakeReports

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)


def _vin(**fields: object) -> VinProgress:
    return VinProgress.model_validate({"vin": "5YJ3E1EA7KF000001", "updated_at": T0, **fields})


def _report(**fields: object) -> ReportRequest:
    base = {"report_id": "r1", "account_id": "a1", "vins": ["5YJ3E1EA7KF000001"], "created_at": T0, "updated_at": T0}
    return ReportRequest.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (None, "unknown"),
        (_vin(status="done"), "finished"),
        (_vin(status="failed"), "finished"),
        (_vin(run_id="other", run_lease_until=T0 + timedelta(minutes=1)), "busy"),
        (_vin(run_id="other", run_lease_until=T0 - timedelta(seconds=1)), "started"),  # an expired lease
        (_vin(), "started"),
    ],
)
def test_start_run_takes_the_lease_only_of_an_open_vin_nobody_holds(item, expected) -> None:
    result, changes = report_life.start_run(item, "mine", T0, 90)
    assert result == expected
    assert (changes is not None) == (expected == "started")
    if changes is not None:
        assert changes["run_id"] == "mine"
        assert changes["run_lease_until"] == T0 + timedelta(seconds=90)
        assert changes["attempts"] == item.attempts + 1


def test_a_vin_finishes_exactly_once_and_a_finished_vin_never_changes_again() -> None:
    item = _vin(status="rendering", run_id="mine", run_lease_until=LATER)
    finished, changes = report_life.finish_vin(item, VinStatus.DONE, {"pdf_object": "x.pdf"})
    assert finished is True
    assert changes is not None
    done = applied(item, changes, LATER)
    assert (done.status, done.run_id, done.run_lease_until, done.pdf_object) == (VinStatus.DONE, None, None, "x.pdf")
    assert done.updated_at == LATER  # NOW is the time of the write
    assert report_life.finish_vin(done, VinStatus.FAILED, {}) == (False, None)
    assert report_life.patch_vin(done, {"step": "late"}) == (None, None)
    assert report_life.end_run(done, "mine", {"step": "late"}) == (None, None)


def test_end_run_frees_only_its_own_lease() -> None:
    item = _vin(run_id="other", run_lease_until=LATER)
    _, changes = report_life.end_run(item, "mine", {"step": "deferred"})
    assert changes == {"step": "deferred", "updated_at": NOW}  # the other run's lease stays
    _, changes = report_life.end_run(item, "other", {})
    assert changes is not None
    assert changes["run_id"] is None
    assert changes["run_lease_until"] is None


@pytest.mark.parametrize("status", [ReportStatus.COMPLETE, ReportStatus.PARTIAL, ReportStatus.FAILED])
def test_moving_a_report_to_a_final_status_records_its_outcome_and_end(status) -> None:
    _, changes = report_life.move_report(_report(status="running"), status, error="x", error_code="internal_error")
    assert changes is not None
    closed = applied(_report(status="running"), changes, LATER)
    assert (closed.status, closed.outcome, closed.completed_at) == (status, status, LATER)
    assert report_life.move_report(closed, ReportStatus.RUNNING) == (None, None)  # closed stays closed


def test_a_report_closes_once() -> None:
    report = _report(status="finalising")
    closed_now, changes = report_life.close_report(report, ReportStatus.PARTIAL, {"csv_object": "x.csv"})
    assert closed_now is True
    assert changes is not None
    closed = applied(report, changes, LATER)
    assert (closed.status, closed.outcome, closed.csv_object) == (ReportStatus.PARTIAL,) * 2 + ("x.csv",)
    assert report_life.close_report(closed, ReportStatus.COMPLETE, {}) == (False, None)
    assert report_life.close_report(None, ReportStatus.COMPLETE, {}) == (False, None)


@pytest.mark.parametrize(
    ("report", "item", "expected"),
    [
        (None, _vin(status="failed"), "not_found"),
        (_report(status="partial"), None, "not_found"),
        (_report(status="running"), _vin(status="failed"), "report_in_progress"),
        (_report(status="partial"), _vin(status="done"), "vehicle_not_failed"),
        (_report(status="partial", retries=2), _vin(status="failed"), 3),
    ],
)
def test_only_a_failed_vin_of_a_finished_report_is_tried_again(report, item, expected) -> None:
    result, changes = report_life.reopen_report(report, item)
    assert result == expected
    assert (changes is not None) == isinstance(expected, int)


def test_a_rendition_is_queued_once_and_again_only_after_it_failed() -> None:
    report = _report(status="complete")
    queued_now, changes = report_life.queue_rendition(report, "sv", T0)
    assert queued_now is not None
    rendition, new = queued_now
    assert new
    assert changes is not None
    queued = applied(report, changes, T0)
    assert queued.renditions["sv"].status is RenditionStatus.QUEUED
    assert report_life.queue_rendition(queued, "sv", LATER) == ((rendition, False), None)
    _, changes = report_life.finish_rendition(queued, "sv", RenditionStatus.FAILED, "internal_error")
    assert changes is not None
    failed = applied(queued, changes, LATER)
    assert failed.renditions["sv"] == Rendition(
        language="sv", status=RenditionStatus.FAILED, requested_at=T0, completed_at=LATER, error_code="internal_error"
    )
    assert report_life.queue_rendition(failed, "sv", LATER)[0] == (Rendition(language="sv", requested_at=LATER), True)
    assert report_life.finish_rendition(failed, "de", RenditionStatus.DONE, None) == (None, None)


def test_the_fake_store_records_a_final_status_like_any_store() -> None:
    clock = FakeClock(T0)
    store = FakeReports(clock=clock)
    store.create(_report(status="running"), [_vin()])
    clock.advance(60)
    store.set_status("r1", ReportStatus.FAILED, error_code="internal_error")
    report = store.get("r1")
    assert report is not None
    assert (report.outcome, report.completed_at, report.updated_at) == (ReportStatus.FAILED, clock.now, clock.now)
    assert store.close("r1", ReportStatus.COMPLETE, {}) is False


def _account(**fields: object) -> Account:
    base = {
        "account_id": "a1",
        "region": "eu",
        "fleet_api_base_url": "https://fleet.example",
        "access_token_enc": "a",
        "refresh_token_enc": "r",
        "token_expires_at": T0,
        "created_at": T0,
        "updated_at": T0,
    }
    return Account.model_validate({**base, **fields})


def test_reconnecting_keeps_the_first_connection_and_starts_a_new_generation() -> None:
    stored = _account(token_generation=4, created_at=T0 - timedelta(days=30))
    saved = refresh_lease.reconnected(stored, _account(created_at=LATER))
    assert (saved.created_at, saved.token_generation) == (stored.created_at, 5)
    assert refresh_lease.reconnected(None, _account()) == _account()


def test_the_refresh_lease_goes_to_one_refresher_and_the_rotation_is_fenced_to_it() -> None:
    accounts = FakeAccounts()
    accounts.save_connected(_account())
    held = accounts.acquire_refresh_lease("a1", T0, 90, "first")
    assert held is not None
    assert held.refresh_lease_id == "first"
    assert accounts.acquire_refresh_lease("a1", T0, 90, "second") is None
    accounts.release_refresh_lease("a1", "second")  # not theirs to release
    assert accounts.store_rotated_tokens("a1", "first", 0, {"access_token_enc": "a2"}) == "written"
    after = accounts.get("a1")
    assert after is not None
    assert (after.access_token_enc, after.token_generation, after.refresh_lease_id) == ("a2", 1, None)
    assert accounts.store_rotated_tokens("a1", "first", 0, {"access_token_enc": "stale"}) == "superseded"
