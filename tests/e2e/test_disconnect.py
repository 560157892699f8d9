"""DELETE /api/v1/account leaves nothing of the account: an account with a finished report and
2,000 stored objects is deleted well inside the reports function's 60 s timeout, and a reconnect
(the same Tesla account, so the same account id) shows none of it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from carpulse.gcp.firestore_limits import IDEMPOTENCY_KEYS, SLOTS
from carpulse.services import object_names
from infra.functions import spec
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack
OBJECTS = 2000


def _names(app, prefix: str) -> list[str]:
    return app.blobs.names(prefix)


def _of_account(app, collection: str, account_id: str) -> list:
    return list(app.firestore.collection(collection).where(filter=FieldFilter("account_id", "==", account_id)).stream())


def test_disconnect_deletes_two_thousand_objects_and_every_document_and_a_reconnect_shows_none(stack, app):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    account_id = app.session_service.authenticate(api.session_token).account_id
    vins = [v["vin"] for v in api.vehicles()]
    created = api.request_report(vins[:1], allow_wake=False)
    assert created.status_code == 202, created.text
    report_id = created.json()["response"]["report_id"]
    status = api.wait(report_id)
    pdf_url = status["vehicles"][0]["download_url"]
    assert requests.get(pdf_url, timeout=30).status_code == 200
    keyed = requests.post(
        f"{api.base_url}/reports",
        json={"vins": vins[:1]},
        headers={**api.headers(), "Idempotency-Key": "before-disconnect"},
        timeout=60,
    )
    assert keyed.status_code == 202, keyed.text
    api.wait(keyed.json()["response"]["report_id"])

    prefix = object_names.account_prefix(account_id)
    stored = len(_names(app, prefix))
    raw = object_names.report_prefix(account_id, report_id) + "raw/bulk/"
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda n: app.blobs.put(f"{raw}exchanges-{n:04d}.json", b"{}", "application/json"),
                range(OBJECTS - stored),
            )
        )
    assert len(_names(app, prefix)) == OBJECTS

    started = time.monotonic()
    response = requests.delete(f"{api.base_url}/account", headers=api.headers(), timeout=120)
    seconds = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["response"]["deleted_objects"] == OBJECTS
    print(f"disconnect of an account with {OBJECTS} objects and 2 reports: {seconds:.1f} s")
    assert seconds < spec("reports").timeout_seconds / 3  # well inside the function's timeout

    assert _names(app, prefix) == []
    assert app.account_store.get(account_id) is None
    for collection in ("reports", "sessions", SLOTS, IDEMPOTENCY_KEYS):
        assert _of_account(app, collection, account_id) == [], collection
    for rid in (report_id, keyed.json()["response"]["report_id"]):
        assert list(app.firestore.collection("reports").document(rid).collection("vehicles").stream()) == []
    records = [
        r for r in app.firestore.collection("verifications").stream() if r.get("facts")["report_id"] == report_id
    ]
    assert records
    assert all(r.get("revoked_at") is not None for r in records)  # kept for buyers, but revoked

    again = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    assert app.session_service.authenticate(again.session_token).account_id == account_id  # the same account
    gone = requests.get(f"{again.base_url}/reports/{report_id}", headers=again.headers(), timeout=30)
    assert gone.status_code == 404
    assert requests.get(pdf_url, timeout=30).status_code == 404
    assert _names(app, prefix) == []
    fresh = requests.post(
        f"{again.base_url}/reports",
        json={"vins": vins[:1]},
        headers={**again.headers(), "Idempotency-Key": "before-disconnect"},
        timeout=60,
    )
    assert fresh.status_code == 202  # the old key is gone too: a new report
    assert fresh.json()["response"]["report_id"] != keyed.json()["response"]["report_id"]
    again.wait(fresh.json()["response"]["report_id"])
