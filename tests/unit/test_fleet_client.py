"""Transport policy of the Fleet client, against a scripted HTTP session."""

import json

import pytest
import requests

from carpulse.errors import ReconnectRequiredError
from carpulse.tesla.client import FleetClient, RetryPolicy
from carpulse.tesla.errors import (
    PartnerNotRegisteredError,
    RateLimitedError,
    TeslaServerError,
    TokenExpiredError,
    VehicleOfflineError,
    WrongRegionError,
)
from carpulse.tesla.transport import RawExchange


def _response(status: int, body=None, headers=None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


class ScriptedHttp:
    """Answers requests from a list, and records them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Tokens:
    def __init__(self):
        self.current = "tok-1"
        self.refreshes = 0
        self.was_revoked = False

    def access_token(self):
        return self.current

    def refresh_after_expiry(self, stale_token):
        self.refreshes += 1
        self.current = f"tok-{self.refreshes + 1}"
        return self.current

    def revoked(self):
        self.was_revoked = True


def _client(http, tokens=None, **kw):
    return FleetClient("https://fleet.example", tokens or Tokens(), http, retry=RetryPolicy(**kw), sleep=lambda s: None)


def test_expired_token_refreshes_once_and_retries():
    http = ScriptedHttp(_response(401), _response(200, {"response": {"vin": "V", "state": "online"}}))
    tokens = Tokens()
    vehicle = _client(http, tokens).vehicle("V")
    assert vehicle.state == "online"
    assert tokens.refreshes == 1
    assert http.calls[1][2]["headers"]["Authorization"] == "Bearer tok-2"


def test_second_401_after_refresh_is_raised():
    http = ScriptedHttp(_response(401), _response(401))
    with pytest.raises(TokenExpiredError) as caught:
        _client(http).vehicle("V")
    assert caught.value.status == 401


def test_login_required_marks_the_grant_revoked_and_is_not_retried():
    http = ScriptedHttp(_response(401, {"error": "login_required"}))
    tokens = Tokens()
    with pytest.raises(ReconnectRequiredError):
        _client(http, tokens).vehicle("V")
    assert len(http.calls) == 1
    assert tokens.was_revoked


def test_wrong_region_rediscovers_once_and_retries_at_the_new_base():
    http = ScriptedHttp(
        _response(421, {"error": "user out of region", "fleet_api_base_url": "https://eu.example"}),
        _response(200, {"response": {"vin": "V"}}),
    )
    seen = []

    def rediscover(error):
        seen.append(error.suggested_base_url)
        return "https://eu.example"

    client = _client(http)
    client.on_wrong_region = rediscover
    assert client.vehicle("V").vin == "V"
    assert seen == ["https://eu.example"]
    assert http.calls[1][1] == "https://eu.example/api/1/vehicles/V"
    http = ScriptedHttp(_response(421, {}), _response(421, {}))
    client = _client(http)
    client.on_wrong_region = lambda e: "https://cn.example"
    with pytest.raises(WrongRegionError):
        client.vehicle("V")
    assert len(http.calls) == 2


def test_unregistered_region_names_the_region_for_ops():
    http = ScriptedHttp(_response(412, {"error": "Account must be registered in the current region"}))
    client = _client(http)
    client.region = "na"
    with pytest.raises(PartnerNotRegisteredError, match=r"region 'na'.*register-partner REGION=na"):
        client.vehicle("V")


def test_server_errors_and_timeouts_are_retried_with_a_bound():
    http = ScriptedHttp(_response(503), requests.ConnectionError("boom"), _response(200, {"response": {"vin": "V"}}))
    assert _client(http, attempts=3).vehicle("V").vin == "V"
    http = ScriptedHttp(_response(503), _response(503), _response(503))
    with pytest.raises(TeslaServerError):
        _client(http, attempts=3).vehicle("V")
    assert len(http.calls) == 3


def test_short_retry_after_is_waited_long_one_is_raised():
    slept: list[float] = []
    http = ScriptedHttp(_response(429, headers={"Retry-After": "2"}), _response(200, {"response": {"vin": "V"}}))
    client = FleetClient("https://f", Tokens(), http, sleep=slept.append)
    assert client.vehicle("V").vin == "V"
    assert slept == [pytest.approx(2.0, abs=0.1)]
    http = ScriptedHttp(_response(429, headers={"Retry-After": "600"}))
    with pytest.raises(RateLimitedError) as caught:
        _client(http).vehicle("V")
    assert caught.value.retry_after == 600


def test_offline_vehicle_is_raised_for_the_caller_to_decide():
    http = ScriptedHttp(_response(408, {"error": "vehicle unavailable"}))
    with pytest.raises(VehicleOfflineError):
        _client(http).vehicle_data("V")


def test_vehicles_and_charging_history_follow_pages():
    http = ScriptedHttp(
        _response(200, {"response": [{"vin": "A"}], "pagination": {"current": 1, "next": 2}}),
        _response(200, {"response": [{"vin": "B"}], "pagination": {"current": 2, "next": None}}),
    )
    assert [v.vin for v in _client(http).vehicles()] == ["A", "B"]
    http = ScriptedHttp(
        _response(200, {"response": {"data": [{"sessionId": 1}, {"sessionId": 2}], "totalResults": 3}}),
        _response(200, {"response": {"data": [{"sessionId": 3}], "totalResults": 3}}),
    )
    sessions = _client(http).charging_history(page_size=2)
    assert [s.sessionId for s in sessions] == [1, 2, 3]
    assert [call[2]["params"]["pageNo"] for call in http.calls] == [0, 1]


def test_charging_history_survives_a_one_based_server():
    page1 = {"response": {"data": [{"sessionId": 1}, {"sessionId": 2}], "hasMoreData": True}}
    page2 = {"response": {"data": [{"sessionId": 3}], "hasMoreData": False}}
    http = ScriptedHttp(_response(200, page1), _response(200, page1), _response(200, page2))
    assert [s.sessionId for s in _client(http).charging_history(page_size=2)] == [1, 2, 3]


def test_charging_history_stops_on_a_server_that_repeats_itself():
    page = {"response": {"data": [{"sessionId": 1}], "hasMoreData": True}}
    http = ScriptedHttp(*[_response(200, page) for _ in range(5)])
    assert [s.sessionId for s in _client(http).charging_history(page_size=1)] == [1]
    assert len(http.calls) == 3


def test_every_response_is_observed_raw():
    seen: list[RawExchange] = []
    http = ScriptedHttp(_response(503), _response(200, {"response": {"vin": "V"}}))
    client = FleetClient("https://f", Tokens(), http, sleep=lambda s: None, observer=seen.append)
    client.vehicle("V")
    assert [x.status for x in seen] == [503, 200]
    assert seen[0].endpoint == "vehicle"


def test_location_is_asked_for_only_when_granted():
    http = ScriptedHttp(_response(200, {"response": {}}), _response(200, {"response": {}}))
    client = _client(http)
    client.vehicle_data("V")
    client.vehicle_data("V", with_location=True)
    first, second = (call[2]["params"]["endpoints"].split(";") for call in http.calls)
    assert "location_data" not in first
    assert "location_data" in second
    assert "charge_state" in first
