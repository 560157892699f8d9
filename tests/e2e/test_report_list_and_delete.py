"""GET /reports pages the account's reports newest first; DELETE /reports/{id} withdraws the PDFs
at the verify page and removes the report's files and documents. Through the API host, on the
shared stack, with the real Firestore and Storage emulators behind."""

from __future__ import annotations

import pytest
import requests

from carpulse.bootstrap import Container
from carpulse.services import object_names
from carpulse.signing.pades import verification_id_in
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def _list(api: ApiClient, **params) -> requests.Response:
    return api.http.get(f"{api.base_url}/reports", params=params, headers=api.headers(), timeout=30)


def _delete(api: ApiClient, report_id: str) -> requests.Response:
    return api.http.delete(f"{api.base_url}/reports/{report_id}", headers=api.headers(), timeout=60)


def _finished_report(api: ApiClient, vin: str) -> dict:
    response = api.request_report([vin])
    assert response.status_code == 202, response.text
    return api.wait(response.json()["response"]["report_id"], timeout=180)


@pytest.fixture(scope="module")
def three(stack) -> tuple[ApiClient, list[dict]]:
    """Three finished one-VIN reports of the scenario's owner, in the order they were made."""
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vin = api.vehicles()[0]["vin"]
    return api, [_finished_report(api, vin) for _ in range(3)]


def test_pages_are_newest_first_and_the_token_continues(three):
    api, made = three
    ids = [r["report_id"] for r in made]
    first = _list(api, page_size=2)
    assert first.status_code == 200, first.text
    page = first.json()["response"]
    assert [r["report_id"] for r in page["reports"]] == ids[::-1][:2]
    assert page["next_page_token"]
    summary = page["reports"][0]
    assert summary["status"] in ("complete", "partial")
    assert summary["language"] == "en"
    assert len(summary["vins"]) == 1
    assert summary["created_at"] == made[-1]["created_at"]
    second = _list(api, page_size=2, page_token=page["next_page_token"]).json()["response"]
    assert second["reports"][0]["report_id"] == ids[0]
    seen = [r["report_id"] for r in page["reports"] + second["reports"]]
    assert len(seen) == len(set(seen))  # no report on two pages


def test_walking_every_page_lists_each_report_once(three):
    api, made = three
    token, seen = None, []
    while True:
        page = _list(api, page_size=1, **({"page_token": token} if token else {})).json()["response"]
        seen += [r["report_id"] for r in page["reports"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen))
    assert {r["report_id"] for r in made} <= set(seen)
    assert len(seen) >= 3


def test_a_running_report_cannot_be_deleted_yet(stack, three):
    api, _ = three
    response = api.request_report([api.vehicles()[0]["vin"]])
    report_id = response.json()["response"]["report_id"]
    early = _delete(api, report_id)
    assert early.status_code == 409, early.text
    assert early.json()["error"] == "report_in_progress"
    api.wait(report_id, timeout=180)
    assert _delete(api, report_id).status_code == 200


def test_delete_withdraws_the_pdf_removes_every_file_and_survives_paging(stack, app: Container):
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vin = api.vehicles()[1]["vin"]
    older = _finished_report(api, vin)
    doomed = _finished_report(api, vin)
    pdf = requests.get(doomed["vehicles"][0]["download_url"], timeout=30).content
    check_id = verification_id_in(pdf)
    first = _list(api, page_size=1).json()["response"]
    assert first["reports"][0]["report_id"] == doomed["report_id"]

    gone = _delete(api, doomed["report_id"])
    assert gone.status_code == 200, gone.text
    result = gone.json()["response"]
    assert result["deleted"] is True
    assert result["deleted_objects"] >= 2  # the PDF and its snapshot at least
    assert result["revoked_pdfs"] == 1
    record = requests.get(f"{stack.api_url}/verify/{check_id}", headers={"Accept": "application/json"}, timeout=10)
    assert record.json()["response"]["status"] == "revoked"
    assert app.report_store.get(doomed["report_id"]) is None
    owner = app.report_store.get(older["report_id"])
    assert owner is not None
    assert app.blobs.names(object_names.report_prefix(owner.account_id, doomed["report_id"])) == []
    assert app.blobs.names(object_names.report_prefix(owner.account_id, older["report_id"]))  # the other one stays
    # The page token made before the delete still leads on.
    after = _list(api, page_size=1, page_token=first["next_page_token"]).json()["response"]
    assert after["reports"][0]["report_id"] == older["report_id"]
    assert (
        api.http.get(f"{api.base_url}/reports/{doomed['report_id']}", headers=api.headers(), timeout=30).status_code
        == 404
    )
    assert _delete(api, doomed["report_id"]).status_code == 404
