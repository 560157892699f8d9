"""The report status a UI can draw, through the API host: per vehicle its stage (with an ETA while
the car is woken), the words for it in the report's language, a percent, the owner's name for the
car, and signed links (PDF and JSON view) with the time they stop working."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from carpulse.report.i18n import Catalog
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def _sleep(stack, vin: str) -> None:
    answer = requests.post(f"{stack.urls['tesla']}/_sim/vehicles/{vin}/state", json={"state": "asleep"}, timeout=10)
    answer.raise_for_status()


def _watch(api: ApiClient, report_id: str, timeout: float = 180) -> list[dict]:
    """Every status seen, polling quickly, until the report is finished."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.status(report_id)
        seen.append(status)
        if status["status"] in ("complete", "partial", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"report {report_id} did not finish")


def test_a_woken_car_shows_each_stage_with_its_words_and_an_eta(stack, states_kept):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vehicles = api.vehicles()
    car = vehicles[-1]
    _sleep(stack, car["vin"])
    asked = datetime.now(UTC)
    response = api.request_report([car["vin"]], allow_wake=True, language="de")
    assert response.status_code == 202, response.text
    first = response.json()["response"]
    assert first["percent"] == 0
    assert first["language"] == "de"
    seen = _watch(api, first["report_id"])
    german = Catalog("de")
    stages = [s["vehicles"][0] for s in seen]
    waiting = [v for v in stages if v["stage"] == "waiting_for_vehicle"]
    assert waiting, [v["stage"] for v in stages]
    assert waiting[0]["stage_text"] == german.text("stage.waiting_for_vehicle.waking")
    eta = datetime.fromisoformat(waiting[0]["eta"])
    assert asked < eta < asked + timedelta(minutes=5)
    percents = [v["percent"] for v in stages]
    assert percents == sorted(percents)  # never goes back
    final = stages[-1]
    assert final["stage"] == final["status"] == "done"
    assert final["percent"] == 100
    assert final["stage_text"] == german.text("stage.done")
    assert final["eta"] is None
    assert final["display_name"] == car["display_name"]
    assert seen[-1]["percent"] == 100


def test_links_say_when_they_expire_and_the_json_view_is_the_same_report(stack):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    car = api.vehicles()[0]
    response = api.request_report([car["vin"]])
    status = api.wait(response.json()["response"]["report_id"], timeout=180)
    polled = datetime.now(UTC)
    expires = datetime.fromisoformat(status["links_expire_at"])
    assert abs((expires - polled).total_seconds() - status["links_expire_in"]) < 30
    vehicle = status["vehicles"][0]
    assert vehicle["display_name"] == car["display_name"]
    view = requests.get(vehicle["json_url"], timeout=30)
    assert view.status_code == 200
    assert car["vin"] in view.text  # the full VIN: the owner's own data
    assert requests.get(vehicle["download_url"], timeout=30).content.startswith(b"%PDF")


def test_the_vehicle_list_says_model_year_and_trim_without_another_tesla_call(stack):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    car = api.vehicles()[0]
    api.wait(api.request_report([car["vin"]]).json()["response"]["report_id"], timeout=180)  # caches specs
    stack.wait_idle(60)
    before = requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()
    listed = {v["vin"]: v for v in api.vehicles()}
    after = requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()
    new_calls = [entry["path"] for entry in after[len(before) :]]
    assert len(new_calls) == 1, new_calls  # the account's vehicle list, and nothing per vehicle
    assert new_calls[0].endswith("/api/1/vehicles"), new_calls
    for vehicle in listed.values():
        assert vehicle["model"] in ("Model S", "Model 3", "Model X", "Model Y")
        assert 2012 <= vehicle["model_year"] <= 2027
    assert listed[car["vin"]]["trim"]  # read from the specs the report cached
