"""Cost limits on fakes: reports in flight and per hour per account, Idempotency-Keys, login starts
per client; the statuses and headers they answer with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carpulse.config import Settings
from carpulse.crypto import sha256_hex
from carpulse.domain import limits as rules
from carpulse.domain.limits import IdempotencyRecord, ReportLimits
from carpulse.domain.models import ReportStatus, Session
from carpulse.errors import (
    IdempotencyKeyReusedError,
    InvalidRequestError,
    LimitExceededError,
    NotFoundError,
    RequestInProgressError,
)
from carpulse.http.errors import error_body, extra_headers_of, status_for
from carpulse.services.limits import ClientLimiter, ReportGate
from carpulse.services.reports import ReportCreate, ReportsService
from tests.fakes import FakeAccounts, FakeBlobs, FakeClock, FakeFleet, FakeQueue, FakeReports, FakeSessions
from tests.limits_fakes import FakeLimitStore
from tests.verification_fakes import FakeRateLimiter

VIN_A, VIN_B = "5YJ3E7EB0PF000001", "7SAYGDEE0PF000002"
LIMITS = ReportLimits(in_flight=3, per_hour=10)


class World:
    """The reports API on fakes, with the gate."""

    def __init__(self, limits: ReportLimits = LIMITS) -> None:
        self.clock = FakeClock()
        self.reports, self.sessions, self.accounts = FakeReports(), FakeSessions(), FakeAccounts()
        self.blobs, self.queue, self.fleet = (
            FakeBlobs(),
            FakeQueue(),
            FakeFleet(states={VIN_A: "online", VIN_B: "online"}),
        )
        self.store = FakeLimitStore(self.reports)
        self.gate = ReportGate(store=self.store, clock=self.clock, limits=limits)
        now = self.clock()
        self.account = self.accounts.connect("acc1", now)
        self.sessions.put(sha256_hex("s"), Session(account_id="acc1", created_at=now, expires_at=now))
        self.api = ReportsService(
            settings=Settings(),
            sessions=self.sessions,
            accounts=self.accounts,
            reports=self.reports,
            blobs=self.blobs,
            queue=self.queue,
            fleet_for_account=lambda account: self.fleet,
            clock=self.clock,
            gate=self.gate,
        )

    def request(self, vins=(VIN_A,), key: str | None = None, **options):
        return self.api.request_report(self.account, ReportCreate(vins=list(vins), **options), idempotency_key=key)

    def close(self, report_id: str) -> None:
        self.reports.close(report_id, ReportStatus.COMPLETE, {})


def test_at_most_k_reports_in_flight_then_429_until_one_closes():
    world = World()
    admitted = [world.request() for _ in range(3)]
    with pytest.raises(LimitExceededError) as refused:
        world.request()
    assert refused.value.retry_after == LIMITS.busy_retry_seconds
    assert world.fleet.calls.count("vehicles") == 3  # a refused request costs no Tesla call
    world.close(admitted[0].report_id)
    assert world.request().report_id not in {v.report_id for v in admitted}


def test_at_most_r_requests_per_sliding_hour_with_the_wait_until_the_oldest_leaves():
    world = World()
    for _ in range(10):
        world.close(world.request().report_id)
        world.clock.advance(60)
    with pytest.raises(LimitExceededError, match="per hour") as refused:
        world.request()
    # The first request was made 10 minutes ago: the hour has 50 minutes left for it.
    assert refused.value.retry_after == pytest.approx(50 * 60)
    world.clock.advance(50 * 60)
    assert world.request().status is ReportStatus.QUEUED


def test_a_refused_request_is_not_counted_and_a_failed_one_frees_its_slot():
    world = World(ReportLimits(in_flight=1, per_hour=3))
    with pytest.raises(NotFoundError):
        world.request(vins=("5YJSA7E20PF000003",))  # not on the account: nothing created
    assert world.store.held("acc1", "run") == []  # it no longer counts as in flight …
    assert len(world.store.held("acc1", "hour")) == 1  # … but it did cost a Tesla call
    first = world.request()
    for _ in range(3):
        with pytest.raises(LimitExceededError, match="in progress"):
            world.request()
    world.close(first.report_id)
    world.close(world.request().report_id)  # the hour's third request
    with pytest.raises(LimitExceededError, match="per hour"):
        world.request()


def test_same_key_same_body_answers_the_same_report_without_calling_tesla():
    world = World()
    first = world.request(key="k-1")
    again = world.request(key="k-1")
    assert again.report_id == first.report_id
    assert world.fleet.calls.count("vehicles") == 1
    assert len(world.reports.items) == 1
    assert len(world.store.held("acc1", "hour")) == 1  # a replay is not a new request


def test_same_key_other_body_is_422_and_another_account_has_its_own_keys():
    world = World()
    world.request(key="k-1")
    with pytest.raises(IdempotencyKeyReusedError) as reused:
        world.request(vins=(VIN_B,), key="k-1")
    assert status_for(reused.value) == 422
    assert error_body(reused.value)["error"] == "idempotency_key_reused"
    with pytest.raises(IdempotencyKeyReusedError):
        world.request(key="k-1", language="de")
    world.request(key="k-2")  # another key: a new report
    assert len(world.reports.items) == 2


def test_a_key_whose_request_is_still_running_is_409_with_retry_after_and_abandoned_keys_are_retaken():
    world = World()
    record = IdempotencyRecord(
        account_id="acc1",
        fingerprint=rules_fingerprint(VIN_A),
        created_at=world.clock(),
        expires_at=world.clock() + timedelta(days=1),
    )
    from carpulse.services.limits import key_hash

    world.store.keys[key_hash("acc1", "k-1")] = record
    with pytest.raises(RequestInProgressError) as busy:
        world.request(key="k-1")
    assert status_for(busy.value) == 409
    assert extra_headers_of(busy.value)["Retry-After"] == "2"
    world.clock.advance(61)  # the instance that claimed it died: the key is taken over
    assert world.request(key="k-1").report_id in world.reports.items


def test_a_failed_request_gives_its_key_back():
    world = World()
    with pytest.raises(NotFoundError):
        world.request(vins=("5YJSA7E20PF000003",), key="k-1")
    assert world.store.keys == {}
    assert world.request(key="k-1", vins=(VIN_B,)).report_id


@pytest.mark.parametrize("key", ["", "a" * 256, "space in it", "ünïcode"])
def test_malformed_keys_are_422(key):
    with pytest.raises(InvalidRequestError) as bad:
        World().request(key=key)
    assert "Idempotency-Key" in bad.value.messages


def test_disconnect_forgets_limits_and_keys():
    world = World()
    world.request(key="k-1")
    world.api.disconnect(world.account)
    assert world.store.slots == {}
    assert world.store.keys == {}


def test_a_slot_whose_report_has_no_document_is_held_only_for_the_grace_period():
    now = FakeClock()()
    slot = rules.holding("r1", "acc1", now)
    assert slot.expires_at == now + timedelta(days=1)  # the TTL field
    assert not rules.run_slot_free(slot, None, now + timedelta(seconds=5), LIMITS)  # ownership check running
    assert rules.run_slot_free(slot, None, now + timedelta(seconds=LIMITS.creating_grace_seconds), LIMITS)
    assert not rules.run_slot_free(slot, True, now + timedelta(days=2), LIMITS)  # open: held however long
    assert rules.run_slot_free(slot, False, now, LIMITS)
    assert not rules.hour_slot_free(slot, now + timedelta(minutes=59))
    assert rules.hour_slot_free(slot, now + timedelta(hours=1))


def test_a_request_refused_in_flight_gives_its_hour_slot_back():
    world = World(ReportLimits(in_flight=1, per_hour=5))
    world.request()
    for _ in range(4):
        with pytest.raises(LimitExceededError, match="in progress"):
            world.request()
    assert len(world.store.held("acc1", "hour")) == 1


@pytest.mark.parametrize(
    ("stored", "presented", "age", "outcome"),
    [
        (None, "f", 0, "claimed"),
        (("f", None), "f", 5, "in_progress"),
        (("f", None), "f", 60, "claimed"),  # abandoned
        (("f", "r1"), "f", 5, "replay"),
        (("f", "r1"), "g", 5, "mismatch"),
        (("f", None), "g", 5, "mismatch"),
    ],
)
def test_claim_table(stored, presented, age, outcome):
    now = FakeClock()()
    existing = (
        IdempotencyRecord(
            account_id="a",
            fingerprint=stored[0],
            report_id=stored[1],
            created_at=now - timedelta(seconds=age),
            expires_at=now + timedelta(hours=1),
        )
        if stored
        else None
    )
    assert rules.claim(existing, presented, now, 60) == outcome


def test_limit_errors_answer_429_with_retry_after():
    refused = LimitExceededError("too many", retry_after=1799.2)
    assert status_for(refused) == 429
    assert extra_headers_of(refused)["Retry-After"] == "1800"
    assert error_body(refused)["error"] == "rate_limited"


def test_login_starts_are_limited_per_client():
    clock = FakeClock()
    limiter = ClientLimiter(limiter=FakeRateLimiter(), clock=clock, per_minute=2)
    limiter.admit("initiate", "198.51.100.7")
    limiter.admit("initiate", "198.51.100.7")
    limiter.admit("initiate", "203.0.113.9")  # another client has its own window
    with pytest.raises(LimitExceededError) as refused:
        limiter.admit("initiate", "198.51.100.7")
    assert refused.value.retry_after is not None
    assert 0 < refused.value.retry_after <= 60


def rules_fingerprint(vin: str) -> str:
    from carpulse.services.limits import fingerprint

    return fingerprint(ReportCreate(vins=[vin]))


def test_a_report_and_its_vin_documents_carry_the_expiry_the_ttl_policies_read():
    world = World()
    view = world.request(vins=(VIN_A, VIN_B))
    report = world.reports.get(view.report_id)
    assert report is not None
    assert report.expires_at == report.created_at + timedelta(days=Settings().report_retention_days)
    assert {p.expires_at for p in world.reports.progress(view.report_id)} == {report.expires_at}
