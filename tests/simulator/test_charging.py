"""Charging history (account-level, paged) and invoices."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from infra.simulator import DEFAULT_SCENARIO, SimulatorConfig, create_app

from .conftest import CLIENT_ID, CLIENT_SECRET, EU, V_MODEL3, V_MODELS, V_MODELY, bearer, login, write_scenario

SCENARIO_SESSIONS: list[dict[str, Any]] = json.loads(
    (DEFAULT_SCENARIO / "charging_history.json").read_text(encoding="utf-8")
)


def _all_pages(client: FlaskClient, headers: dict[str, str], query: str = "") -> tuple[list[dict[str, Any]], int]:
    sessions: list[dict[str, Any]] = []
    page_no, calls = 0, 0
    while True:
        body = client.get(f"{EU}/dx/charging/history?pageNo={page_no}&pageSize=5{query}", headers=headers).get_json()
        calls += 1
        page = body["response"]
        sessions += page["data"]
        if not page["hasMoreData"]:
            return sessions, calls
        page_no += 1


def test_all_pages_equal_the_scenario_sessions(client: FlaskClient, user: dict[str, str]) -> None:
    sessions, calls = _all_pages(client, user)
    assert calls == 4  # 19 sessions, 5 per page
    assert sorted(s["sessionId"] for s in sessions) == sorted(s["sessionId"] for s in SCENARIO_SESSIONS)
    by_id = {s["sessionId"]: s for s in SCENARIO_SESSIONS}
    assert all(s == by_id[s["sessionId"]] for s in sessions)  # served verbatim


def test_page_fields(client: FlaskClient, user: dict[str, str]) -> None:
    page = client.get(f"{EU}/dx/charging/history?pageNo=3&pageSize=5", headers=user).get_json()["response"]
    assert list(page) == ["data", "totalResults", "pageNo", "pageSize", "hasMoreData"]
    assert (len(page["data"]), page["totalResults"], page["pageNo"], page["pageSize"]) == (4, 19, 3, 5)
    assert page["hasMoreData"] is False
    beyond = client.get(f"{EU}/dx/charging/history?pageNo=9&pageSize=5", headers=user).get_json()["response"]
    assert beyond["data"] == []
    assert beyond["totalResults"] == 19


def test_default_is_newest_first_and_sort_order_asc(client: FlaskClient, user: dict[str, str]) -> None:
    newest = client.get(f"{EU}/dx/charging/history", headers=user).get_json()["response"]["data"]
    assert newest[0]["sessionId"] == 412300112
    oldest = client.get(f"{EU}/dx/charging/history?sortOrder=ASC", headers=user).get_json()["response"]["data"]
    assert oldest[0]["sessionId"] == 412300101
    assert client.get(f"{EU}/dx/charging/history?sortBy=nonsense", headers=user).status_code == 400


def test_vin_filter_and_account_level_default(client: FlaskClient, user: dict[str, str]) -> None:
    counts = {}
    for vin in (V_MODEL3, V_MODELY, V_MODELS):
        sessions, _ = _all_pages(client, user, f"&vin={vin}")
        assert {s["vin"] for s in sessions} == {vin}
        counts[vin] = len(sessions)
    assert counts == {V_MODEL3: 12, V_MODELY: 5, V_MODELS: 2}
    assert client.get(f"{EU}/dx/charging/history?vin=5YJ3E1EA8KF000001", headers=user).status_code == 404


def test_time_window_filter(client: FlaskClient, user: dict[str, str]) -> None:
    query = "startTime=2026-02-01T00:00:00Z&endTime=2026-02-28T23:59:59%2B02:00"
    page = client.get(f"{EU}/dx/charging/history?{query}", headers=user).get_json()["response"]
    starts = [s["chargeStartDateTime"] for s in page["data"]]
    assert page["totalResults"] == len(starts) == 11
    assert all(s.startswith("2026-02") for s in starts)
    assert client.get(f"{EU}/dx/charging/history?startTime=yesterday", headers=user).status_code == 400


def test_default_scenario_mixes_currencies_on_the_model_y(client: FlaskClient, user: dict[str, str]) -> None:
    sessions, _ = _all_pages(client, user)
    currencies: dict[str, set[str]] = {}
    for session in sessions:
        currencies.setdefault(session["vin"], set()).update(f["currencyCode"] for f in session["fees"])
    assert currencies[V_MODEL3] == {"EUR"}
    assert currencies[V_MODELY] == {"EUR", "NOK", "SEK"}
    fee_types = {f["feeType"] for s in sessions for f in s["fees"]}
    assert fee_types == {"CHARGING", "PARKING", "CONGESTION"}


def test_generated_invoice_is_a_real_pdf(client: FlaskClient, user: dict[str, str]) -> None:
    session = next(s for s in SCENARIO_SESSIONS if s["sessionId"] == 412300105)
    reply = client.get(f"{EU}/dx/charging/invoice/{session['invoices'][0]['contentId']}", headers=user)
    assert reply.status_code == 200
    assert reply.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(reply.data)).pages[0].extract_text()
    assert "412300105" in text
    assert V_MODEL3 in text
    assert "PARKING" in text


def test_unknown_invoice_is_404_and_needs_charging_scope(client: FlaskClient) -> None:
    headers = bearer(login(client)["access_token"])
    assert client.get(f"{EU}/dx/charging/invoice/not-a-content-id", headers=headers).status_code == 404
    device_only = bearer(login(client, "openid vehicle_device_data")["access_token"])
    content_id = SCENARIO_SESSIONS[0]["invoices"][0]["contentId"]
    assert client.get(f"{EU}/dx/charging/invoice/{content_id}", headers=device_only).status_code == 403


def test_free_sessions_have_no_invoice() -> None:
    free = [s for s in SCENARIO_SESSIONS if all(f["totalDue"] == 0 for f in s["fees"])]
    assert free
    assert all(s["invoices"] == [] for s in free)


@pytest.fixture
def invoice_scenario(tmp_path: Path) -> Path:
    vin = "5YJ3E1EA8KF000001"
    session = {
        "sessionId": 1,
        "vin": vin,
        "siteLocationName": "Somewhere, Finland",
        "chargeStartDateTime": "2026-01-01T10:00:00+02:00",
        "fees": [],
        "invoices": [{"fileName": "x.pdf", "contentId": "abc-1", "invoiceType": "IMMEDIATE"}],
    }
    return write_scenario(tmp_path / "s", {"charging_history.json": [session], "invoices/abc-1.pdf": "%PDF-1.4 own"})


def test_scenario_invoice_file_is_served(invoice_scenario: Path) -> None:
    app = create_app(SimulatorConfig(scenario=invoice_scenario, client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
    client = app.test_client()
    headers = bearer(login(client)["access_token"])
    reply = client.get(f"{EU}/dx/charging/invoice/abc-1", headers=headers)
    assert reply.data == b"%PDF-1.4 own"
