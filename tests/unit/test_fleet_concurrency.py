"""Concurrent Fleet calls: one account's gate, one refresh for many 401s, history pages side by side."""

import threading
from functools import partial

import pytest
import requests

from carpulse.tesla.client import FleetClient
from carpulse.tesla.errors import RateLimitedError
from carpulse.tesla.fanout import run_all
from carpulse.tesla.transport import AccountGate, AccountGates, SingleFlightTokens
from tests.unit.test_fleet_client import Tokens, _response


class RoutedHttp:
    """Answers by URL and query (thread-safe), and records what it was asked."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0

    def request(self, method, url, **kwargs):
        with self.lock:
            self.calls.append((method, url, kwargs))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return self.answer(method, url, kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_history_pages_after_the_first_are_fetched_side_by_side():
    started = threading.Barrier(4, timeout=5)  # pages 1-4 must all be in flight at once to pass

    def answer(method, url, kwargs):
        page = kwargs["params"]["pageNo"]
        if page:
            started.wait()
        data = [{"sessionId": page * 100 + i} for i in range(100 if page < 4 else 50)]
        return _response(200, {"response": {"data": data, "totalResults": 450, "hasMoreData": page < 4}})

    http = RoutedHttp(answer)
    sessions = FleetClient("https://f", Tokens(), http).charging_history(vin="V")
    assert len(sessions) == 450
    assert sorted(c[2]["params"]["pageNo"] for c in http.calls) == [0, 1, 2, 3, 4]
    assert {c[2]["params"]["pageSize"] for c in http.calls} == {100}
    assert {c[2]["params"]["vin"] for c in http.calls} == {"V"}


def test_an_account_never_has_more_calls_in_flight_than_its_gate_allows():
    release = threading.Event()

    def answer(method, url, kwargs):
        release.wait(0.05)
        return _response(200, {"response": {"vin": "V"}})

    http = RoutedHttp(answer)
    gate = AccountGate(limit=3)
    clients = [FleetClient("https://f", Tokens(), http, gate=gate) for _ in range(2)]
    run_all([partial(c.vehicle, "V") for c in clients for _ in range(6)], workers=12)
    assert len(http.calls) == 12
    assert http.most_in_flight == 3


def test_a_429_holds_back_every_call_of_the_account():
    slept: list[float] = []
    gate = AccountGates().of("acc1")
    limited = FleetClient(
        "https://f", Tokens(), RoutedHttp(lambda *a: _response(429, headers={"Retry-After": "600"})), gate=gate
    )
    with pytest.raises(RateLimitedError):
        limited.vehicle("V")
    quiet = RoutedHttp(lambda *a: _response(200, {"response": {"vin": "V"}}))
    other = FleetClient("https://f", Tokens(), quiet, gate=gate, sleep=slept.append)
    with pytest.raises(RateLimitedError) as caught:
        other.vehicle("W")  # same account: it does not even ask Tesla while the account is limited
    assert not quiet.calls
    assert caught.value.retry_after is not None
    assert caught.value.retry_after >= 599
    assert FleetClient("https://f", Tokens(), quiet, gate=AccountGates().of("acc2")).vehicle("W").vin == "V"


def test_a_short_retry_after_pauses_the_account_then_goes_on():
    slept: list[float] = []
    answers = iter([_response(429, headers={"Retry-After": "2"}), _response(200, {"response": {"vin": "V"}})])
    client = FleetClient("https://f", Tokens(), RoutedHttp(lambda *a: next(answers)), sleep=slept.append)
    assert client.vehicle("V").vin == "V"
    assert slept == [pytest.approx(2.0, abs=0.1)]


def test_many_calls_seeing_an_expired_token_refresh_it_once():
    tokens = Tokens()
    barrier = threading.Barrier(6, timeout=5)

    def answer(method, url, kwargs):
        if kwargs["headers"]["Authorization"] == "Bearer tok-1":
            barrier.wait()  # every call got its 401 before anyone refreshed
            return _response(401)
        return _response(200, {"response": {"vin": "V"}})

    client = FleetClient("https://f", tokens, RoutedHttp(answer))
    assert [v.vin for v in run_all([lambda: client.vehicle("V")] * 6)] == ["V"] * 6
    assert tokens.refreshes == 1


def test_single_flight_tokens_pass_on_revocation():
    tokens = Tokens()
    SingleFlightTokens(tokens).revoked()
    assert tokens.was_revoked


def test_run_all_keeps_order_and_raises_only_after_every_call_ended():
    ended = []

    def slow(n):
        threading.Event().wait(0.02)
        ended.append(n)
        return n

    def fail():
        raise requests.ConnectionError("boom")

    assert run_all([partial(slow, n) for n in range(5)]) == [0, 1, 2, 3, 4]
    with pytest.raises(requests.ConnectionError):
        run_all([fail, lambda: slow(9)])
    assert 9 in ended
