"""Verified reports end to end on the local stack: the worker signs every PDF, the verify function
(reached through the API host, like a buyer) checks it; nothing is mocked.

The PDF is validated independently here too: pyHanko against the CA the API host publishes, and
the SHA-256 of the downloaded bytes against the stored record. The QR code is decoded from a
rendered page with zbarimg (Debian's zbar-tools), as a phone would read a printed copy.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from pypdf import PdfReader

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.domain.verification import owner_key
from carpulse.services.battery_health import METHOD_VERSION
from carpulse.signing.pades import check_pdf, verification_id_in
from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def reports(stack):
    """One report for every vehicle of the default scenario: {vin: signed PDF bytes}."""
    api = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    response = api.request_report([v["vin"] for v in api.vehicles()])
    assert response.status_code == 202, response.text
    status = api.wait(response.json()["response"]["report_id"], timeout=180)
    assert all(v["status"] == "done" for v in status["vehicles"]), status
    return {v["vin"]: requests.get(v["download_url"], timeout=30).content for v in status["vehicles"]}


@pytest.fixture(scope="module")
def published_ca(stack) -> list[x509.Certificate]:
    """The report CA as anyone gets it: from the API host's well-known path."""
    answer = requests.get(f"{stack.api_url}/.well-known/carpulse-report-ca.pem", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/x-pem-file")
    return x509.load_pem_x509_certificates(answer.content)


def _record(stack, check_id: str) -> requests.Response:
    return requests.get(f"{stack.api_url}/verify/{check_id}", headers={"Accept": "application/json"}, timeout=10)


def _upload(stack, pdf: bytes) -> dict:
    answer = requests.post(
        f"{stack.api_url}/api/v1/verify", data=pdf, headers={"Content-Type": "application/pdf"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]


def test_every_pdf_validates_against_the_published_ca_and_its_stored_hash(stack, reports, published_ca):
    for vin, pdf in reports.items():
        check = check_pdf(pdf, published_ca)
        assert check.genuine, vin[-4:]
        assert check.verification_id is not None, vin[-4:]
        record = _record(stack, check.verification_id).json()["response"]
        assert record["status"] == "valid"
        assert record["sha256"] == hashlib.sha256(pdf).hexdigest()
        assert record["key_id"] == check.key_id
        assert record["facts"]["vin_last6"] == vin[-6:]
        assert vin not in str(record)  # only the last six characters leave the PDF


def test_the_verify_endpoint_reads_the_genuine_file_valid_and_a_one_byte_change_modified(stack, reports):
    pdf = next(iter(reports.values()))
    valid = _upload(stack, pdf)
    assert valid["status"] == "valid"
    assert valid["signature"]["intact"]
    assert valid["signature"]["trusted"]
    assert valid["report_id"] == valid["facts"]["report_id"]
    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x01
    assert _upload(stack, bytes(changed))["status"] == "modified"


def test_each_page_carries_a_qr_code_that_decodes_to_the_check_url(stack, reports, tmp_path: Path):
    assert shutil.which("zbarimg"), "zbar-tools (installed by .ci/run)"
    assert shutil.which("pdftoppm"), "poppler-utils (installed by .ci/run)"
    pdf = next(iter(reports.values()))
    check_id = verification_id_in(pdf)
    url = f"{stack.api_url}/verify/{check_id}"
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "200", str(tmp_path / "report.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(io.BytesIO(pdf)).pages)
    for page in pages:
        decoded = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True, check=False, timeout=60
        )
        assert decoded.stdout.strip() == url, page.name
    assert _text(pdf).count(url) == len(pages)  # and the same URL in words on every page
    assert requests.get(url, timeout=10).status_code == 200  # the code leads to its check page


def test_revoked_expired_and_unknown_ids(stack, reports, app):
    pdfs = list(reports.values())
    assert len(pdfs) == 3  # the default scenario's three cars, one report
    revoked_id = verification_id_in(pdfs[0])
    assert revoked_id is not None
    record = app.verification_store.get(revoked_id)
    # Past its validity window (a container with a later clock), a report reads expired.
    later = Container(settings_from_env(stack.env), clock=lambda: record.valid_until + timedelta(days=1))
    assert later.verification.lookup(revoked_id, "e2e-clock").status.value == "expired"
    assert later.verification.check_upload(pdfs[0]).status.value == "expired"
    # The record keeps only a one-way key of the account: find the account it belongs to.
    account_id = next(a for a in _account_ids(app) if owner_key(a) == record.owner)
    assert account_id not in record.model_dump_json()
    # The owner withdraws the report, as the reports API calls it.
    assert app.verification.revoke_report(account_id, record.facts.report_id) == len(reports)
    assert _record(stack, revoked_id).json()["response"]["status"] == "revoked"
    assert _upload(stack, pdfs[0])["status"] == "revoked"
    assert "Revoked" in requests.get(f"{stack.api_url}/verify/{revoked_id}", timeout=10).text

    unknown = _record(stack, "AAAAAAAAAAAAAAAAAAAAAA")
    assert (unknown.status_code, unknown.json()["response"]["status"]) == (404, "not_found")
    unsigned = _upload(stack, b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    assert unsigned["status"] == "unsigned"


def _account_ids(app) -> list[str]:
    return [snap.id for snap in app.firestore.collection("accounts").stream()]


def test_each_battery_health_section_shows_its_method_version_and_inputs(reports):
    for vin, pdf in reports.items():
        text = " ".join(_text(pdf).split())
        assert "Battery health" in text, vin[-4:]
        assert f"method {METHOD_VERSION}" in text, vin[-4:]
        assert "Inputs of the estimate" in text, vin[-4:]
        assert "Estimated state of health" in text or "Not enough data for an estimate" in text, vin[-4:]
