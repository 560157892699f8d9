"""Tesla's bill on every report: the status counts the billed answers by category, per vehicle and in
total, and prices them; the simulator, which bills like Tesla, agrees call for call. GET
/account/usage sums the month's reports."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from carpulse.domain.billing import PriceTable
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack
PRICES = PriceTable()


def _sim_log(stack) -> list[dict]:
    return requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()


def test_the_report_bill_is_what_tesla_would_bill(stack, states_kept):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vins = [v["vin"] for v in api.vehicles()]
    stack.wait_idle(60)
    requests.delete(f"{stack.urls['tesla']}/_sim/requests", timeout=10).raise_for_status()
    response = api.request_report(vins, allow_wake=True)
    assert response.status_code == 202, response.text
    status = api.wait(response.json()["response"]["report_id"], timeout=180)
    stack.wait_idle(60)
    billed = Counter(e["category"] for e in _sim_log(stack) if e["billable"])
    cost = status["tesla_cost"]
    print(f"tesla bill of the default scenario ({len(vins)} vehicles): {cost['calls']} = ${cost['cost_usd']}")
    assert cost["calls"] == dict(billed)  # call for call, category for category
    assert cost["cost_usd"] == pytest.approx(sum(PRICES.usd[c] * n for c, n in billed.items()))
    assert cost["currency"] == "USD"
    assert cost["prices_as_of"] == PRICES.as_of
    by_vehicle: Counter[str] = Counter()
    for vehicle in cost["vehicles"]:
        by_vehicle.update(vehicle["calls"])
    by_vehicle.update(cost["account"]["calls"])
    assert dict(by_vehicle) == cost["calls"]
    assert cost["account"]["calls"].get("data", 0) >= 2  # the ownership check and the charging history
    for vehicle in status["vehicles"]:
        assert vehicle["tesla_cost"]["calls"].get("data", 0) >= 1
        view = requests.get(vehicle["json_url"], timeout=30).json()
        assert view["tesla_bill"]["calls"] == vehicle["tesla_cost"]["calls"]  # the JSON view and PDF say the same
        assert view["tesla_bill"]["prices_as_of"] == PRICES.as_of
        assert vehicle["tesla_cost"] == next(
            {k: v for k, v in c.items() if k != "vin"} for c in cost["vehicles"] if c["vin"] == vehicle["vin"]
        )


def test_the_month_to_date_sums_the_reports(stack):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    before = api.http.get(f"{api.base_url}/account/usage", headers=api.headers(), timeout=30).json()["response"]
    status = api.wait(api.request_report([api.vehicles()[0]["vin"]]).json()["response"]["report_id"], timeout=180)
    after = api.http.get(f"{api.base_url}/account/usage", headers=api.headers(), timeout=30)
    assert after.status_code == 200, after.text
    usage = after.json()["response"]
    assert usage["reports"] == before["reports"] + 1
    assert usage["cost_usd"] == pytest.approx(before["cost_usd"] + status["tesla_cost"]["cost_usd"], abs=1e-6)
    assert usage["month"] == usage["since"][:7]
