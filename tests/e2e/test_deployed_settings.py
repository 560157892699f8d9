"""A stack of its own with the settings a deployment has (the cost limits at their defaults; the
session's shared stack relaxes them, since every test there is the same owner on 127.0.0.1), at
LOG_LEVEL=DEBUG: past a limit the API answers 429 with Retry-After in our envelope and calls Tesla
no more; an Idempotency-Key answers with its first report."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from carpulse.config import Settings
from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import LocalStack

pytestmark = pytest.mark.stack
DEFAULTS = Settings()
FOREIGN_VIN = "5YJSA7E20PF000003"  # well-formed, on nobody's account in the scenario


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack with the deployed defaults of every limit, logging at DEBUG."""
    log_dir = Path(tmp_path_factory.mktemp("deployed-stack-logs"))
    with LocalStack(log_dir=log_dir, wake_seconds=1.0, extra_env={"LOG_LEVEL": "DEBUG"}) as running:
        yield running


@pytest.fixture
def api(deployed: LocalStack) -> ApiClient:
    """The owner signed in, with no limit state left from earlier tests (a disconnect forgets it)."""
    first = ApiClient(deployed.api_url, SimulatedOwner(deployed.api_url).connect())
    assert first.http.delete(f"{first.base_url}/account", headers=first.headers(), timeout=60).status_code == 200
    return ApiClient(deployed.api_url, SimulatedOwner(deployed.api_url).connect())


def _vehicle_list_calls(stack: LocalStack) -> int:
    log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=10).json()
    return sum(1 for entry in log if entry["path"].endswith("/api/1/vehicles"))


def _post(api: ApiClient, vins: list[str], key: str | None = None, **options) -> requests.Response:
    headers = {**api.headers(), **({"Idempotency-Key": key} if key else {})}
    return requests.post(f"{api.base_url}/reports", json={"vins": vins, **options}, headers=headers, timeout=60)


def _concurrently(count: int, action) -> list[requests.Response]:
    barrier = threading.Barrier(count)
    results: list[requests.Response | None] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = action()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def _refused(response: requests.Response, error: str) -> None:
    assert response.json()["error"] == error, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error_description"]


def test_fifteen_identical_requests_at_once_make_at_most_k_reports(deployed, api):
    vin = api.vehicles()[0]["vin"]
    before = _vehicle_list_calls(deployed)
    answers = _concurrently(15, lambda: _post(api, [vin]))
    statuses = sorted(r.status_code for r in answers)
    admitted = statuses.count(202)
    assert 1 <= admitted <= DEFAULTS.max_reports_in_flight, statuses
    assert statuses.count(429) == 15 - admitted, statuses
    for refused in (r for r in answers if r.status_code == 429):
        _refused(refused, "rate_limited")
    # Only admitted requests reached Tesla (one ownership check each).
    assert _vehicle_list_calls(deployed) - before == admitted
    print(f"15 identical POSTs at once: {admitted} admitted, {15 - admitted} answered 429")


def test_an_idempotency_key_answers_with_its_first_report_and_calls_tesla_once(deployed, api):
    vin, key = api.vehicles()[0]["vin"], str(uuid.uuid4())
    first = _post(api, [vin], key)
    assert first.status_code == 202, first.text
    report_id = first.json()["response"]["report_id"]
    calls = _vehicle_list_calls(deployed)
    again = _concurrently(5, lambda: _post(api, [vin], key))
    assert {r.status_code for r in again} == {202}
    assert {r.json()["response"]["report_id"] for r in again} == {report_id}
    assert again[0].headers["Location"].endswith(report_id)
    assert _vehicle_list_calls(deployed) == calls  # no new Tesla call
    other = _post(api, [vin], key, language="de")  # same key, another body
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["messages"]


def test_report_requests_past_the_hourly_limit_get_429_until_the_hour_is_over(deployed, api):
    # Requests for a foreign VIN cost an ownership check at Tesla, so they count; each is a 404.
    for _ in range(DEFAULTS.max_report_requests_per_hour):
        assert _post(api, [FOREIGN_VIN]).status_code == 404
    vin = api.vehicles()[0]["vin"]
    refused = _post(api, [vin])
    assert refused.status_code == 429
    _refused(refused, "rate_limited")
    assert "per hour" in refused.json()["error_description"]
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600


class _FromAddress(HTTPAdapter):
    """Connects from another loopback address: another client, as far as the gateway can tell."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        return super().init_poolmanager(*args, **kwargs)


def test_login_starts_are_limited_per_client_address(deployed):
    client = requests.Session()
    client.mount("http://", _FromAddress(f"127.0.0.{2 + uuid.uuid4().int % 250}"))
    url = deployed.api_url.replace("localhost", "127.0.0.1") + "/api/v1/tesla/oauth/initiate"
    answers = []
    for _ in range(2 * DEFAULTS.initiate_per_minute + 1):  # a minute boundary may pass once
        answers.append(client.post(url, timeout=30))
        if answers[-1].status_code == 429:
            break
    assert answers[-1].status_code == 429, [r.status_code for r in answers]
    _refused(answers[-1], "rate_limited")
    assert int(answers[-1].headers["Retry-After"]) <= 60
    assert all(r.status_code == 200 for r in answers[:-1])
    # Another client is not affected.
    assert requests.post(url, timeout=30).status_code == 200


def test_one_client_past_the_verify_upload_limit_gets_429_with_retry_after(deployed):
    url = f"{deployed.api_url}/api/v1/verify"
    answers = [
        requests.post(url, data=b"%PDF-1.7 not really", headers={"Content-Type": "application/pdf"}, timeout=30)
        for _ in range(DEFAULTS.verify_uploads_per_minute + 2)
    ]
    statuses = [a.status_code for a in answers]
    allowed = DEFAULTS.verify_uploads_per_minute
    assert statuses[:allowed] == [200] * allowed, statuses  # each a verdict (this file is no signed report)
    assert statuses[-1] == 429, statuses
    _refused(answers[-1], "rate_limited")
