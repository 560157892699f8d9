"""A report with a Tesla budget: the billed extras that do not fit (specs, invoice PDFs) are left
out, the simulator sees no call for them, and each PDF's status says why in the owner's words."""

from __future__ import annotations

import pytest
import requests

from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def test_a_tight_budget_skips_the_specs_and_says_so(stack):
    first = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    gone = first.http.delete(f"{first.base_url}/account", headers=first.headers(), timeout=60)
    assert gone.status_code == 200  # no cached specs or invoices left from earlier tests
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vins = [v["vin"] for v in api.vehicles()]
    stack.wait_idle(60)
    requests.delete(f"{stack.urls['tesla']}/_sim/requests", timeout=10).raise_for_status()
    response = api.request_report(vins, budget_usd=0.05, language="de")
    assert response.status_code == 202, response.text
    status = api.wait(response.json()["response"]["report_id"], timeout=180)
    stack.wait_idle(60)
    log = requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()
    assert not [e for e in log if e["category"] == "specs"]  # never asked
    assert "specs" not in status["tesla_cost"]["calls"]
    for vehicle in status["vehicles"]:
        skipped = {m["section"]: m for m in vehicle["missing"]}
        assert skipped["specs"]["reason_code"] == "budget_specs", vehicle["missing"]
        assert "Budget" in skipped["specs"]["message"]  # in German, the report's language
    cost = status["tesla_cost"]
    print(f"budget $0.05, {len(vins)} vehicles: billed {cost['calls']} = ${cost['cost_usd']}")
