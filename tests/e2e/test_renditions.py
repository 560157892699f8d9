"""POST /reports/{id}/renditions renders a finished report again in another language from its
stored snapshots: zero Tesla calls (the simulator's request log says so), PDFs in that language
with check ids of their own, and the original PDFs still check as valid."""

from __future__ import annotations

import io
import time

import pytest
import requests
from pypdf import PdfReader

from carpulse.report.i18n import Catalog
from carpulse.signing.pades import verification_id_in
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def _rendition(api: ApiClient, report_id: str, body: dict) -> requests.Response:
    url = f"{api.base_url}/reports/{report_id}/renditions"
    return api.http.post(url, json=body, headers=api.headers(), timeout=30)


def _tesla_log(stack) -> list[dict]:
    return requests.get(f"{stack.urls['tesla']}/_sim/requests", timeout=10).json()


def _checked(stack, pdf: bytes) -> dict:
    answer = requests.post(
        f"{stack.api_url}/api/v1/verify", data=pdf, headers={"Content-Type": "application/pdf"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def finished(stack) -> tuple[ApiClient, dict]:
    """A finished English report of two vehicles."""
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    vins = [v["vin"] for v in api.vehicles()[:2]]
    response = api.request_report(vins)
    assert response.status_code == 202, response.text
    return api, api.wait(response.json()["response"]["report_id"], timeout=180)


def test_a_swedish_rendition_makes_no_tesla_call_and_its_pdfs_check_as_their_own(stack, finished):
    api, report = finished
    stack.wait_idle(60)
    before = len(_tesla_log(stack))
    asked = _rendition(api, report["report_id"], {"language": "sv"})
    assert asked.status_code == 202, asked.text
    assert asked.json()["response"]["status"] == "queued"
    assert asked.headers["Location"].endswith(f"/reports/{report['report_id']}")
    deadline, rendition = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        rendition = next(r for r in api.status(report["report_id"])["renditions"] if r["language"] == "sv")
        if rendition["status"] != "queued":
            break
        time.sleep(0.3)
    assert rendition is not None
    assert rendition["status"] == "done", rendition
    stack.wait_idle(60)
    assert len(_tesla_log(stack)) == before  # rendered from the stored snapshots alone
    swedish = Catalog("sv")
    originals = {v["vin"]: requests.get(v["download_url"], timeout=30).content for v in report["vehicles"]}
    assert {v["vin"] for v in rendition["vehicles"]} == set(originals)
    for vehicle in rendition["vehicles"]:
        pdf = requests.get(vehicle["download_url"], timeout=30).content
        assert swedish.text("verify.footer", url="").rstrip(": ") in _text(pdf)  # the footer in Swedish
        assert verification_id_in(pdf) != verification_id_in(originals[vehicle["vin"]])
        assert _checked(stack, pdf)["status"] == "valid"
        assert _checked(stack, originals[vehicle["vin"]])["status"] == "valid"  # not overwritten
        assert vehicle["vin"] in requests.get(vehicle["json_url"], timeout=30).text
    if report["files"].get("sessions_csv"):
        csv = requests.get(rendition["files"]["sessions_csv"], timeout=30).content.decode()
        english = requests.get(report["files"]["sessions_csv"], timeout=30).content.decode()
        assert csv.splitlines()[0] != english.splitlines()[0]  # headers named in Swedish
        assert csv.splitlines()[1:] == english.splitlines()[1:]  # the same rows, machine-readable


def test_asking_again_renders_once(stack, finished):
    api, report = finished
    first = _rendition(api, report["report_id"], {"language": "fi"})
    again = _rendition(api, report["report_id"], {"language": "fi"})
    assert first.status_code == again.status_code == 202
    assert again.json()["response"]["requested_at"] == first.json()["response"]["requested_at"]
    languages = [r["language"] for r in api.status(report["report_id"])["renditions"]]
    assert languages.count("fi") == 1


def test_a_running_report_and_an_unknown_one(stack, finished):
    api, _ = finished
    running = api.request_report([api.vehicles()[0]["vin"]]).json()["response"]["report_id"]
    early = _rendition(api, running, {"language": "de"})
    assert early.status_code == 409
    assert early.json()["error"] == "report_in_progress"
    api.wait(running, timeout=180)
    assert _rendition(api, "0" * 32, {"language": "de"}).status_code == 404
