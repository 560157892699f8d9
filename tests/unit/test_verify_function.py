"""The verify function in-process (functions-framework's test client): paths, methods, content
negotiation, languages, headers and error statuses, over a container built from fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from carpulse import bootstrap
from carpulse.config import settings_from_env
from carpulse.http.verify_web import CONTENT_SECURITY_POLICY, choose_language, client_address
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.services.battery_health import with_battery_health
from carpulse.services.sealing import ReportSealer
from carpulse.services.verification import VerificationService
from carpulse.signing import certs
from carpulse.signing.keys import LocalSigningKey
from carpulse.signing.pades import PadesSigner, check_pdf, verification_id_in
from tests.fakes import FakeClock, FakeSecrets
from tests.report_samples import full_eu
from tests.verification_fakes import FakeRateLimiter, FakeVerificationStore

SOURCE = Path(__file__).resolve().parents[2] / "functions" / "verify" / "main.py"
ORIGIN = "https://api.example.test"


@pytest.fixture(scope="module")
def material() -> certs.LocalMaterial:
    return certs.local_material("function-test")


@pytest.fixture
def app(material: certs.LocalMaterial) -> Iterator[tuple[FlaskClient, bytes, str]]:
    settings = settings_from_env({"VERIFY_BASE_URL": ORIGIN, "VERIFY_UPLOADS_PER_MINUTE": "3"})
    clock = FakeClock()
    store = FakeVerificationStore()
    roots = [material.authority.certificate]
    container = bootstrap.with_parts(
        bootstrap.Container(settings, clock=clock),
        secrets=FakeSecrets({"report-ca-certs": certs.certificate_pem(material.authority.certificate)}),
        verification=VerificationService(
            store=store,
            limiter=FakeRateLimiter(),
            clock=clock,
            trust_roots=lambda: roots,
            check=check_pdf,
            uploads_per_minute=3,
        ),
    )
    signer = PadesSigner(
        LocalSigningKey(certs.private_key_pem(material.signing_key)), material.signing_certificate, roots
    )
    sealer = ReportSealer(
        store=store, signer=lambda: signer, render=render_vehicle_pdf, clock=clock, verify_base_url=ORIGIN
    )
    pdf = sealer.seal("acc-1", with_battery_health(full_eu()))
    check_id = verification_id_in(pdf)
    assert check_id is not None
    with bootstrap.installed(container):
        yield create_app(target="verify", source=str(SOURCE)).test_client(), pdf, check_id


def test_check_page_is_html_in_the_chosen_language_with_a_strict_policy(app) -> None:
    client, _, check_id = app
    page = client.get(f"/verify/{check_id}", headers={"Accept": "text/html", "Accept-Language": "fi-FI,fi;q=0.9"})
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["Content-Language"] == "fi"
    body = page.get_data(as_text=True)
    assert "Voimassa" in body
    assert check_id in body
    assert f"{ORIGIN}/api/v1/verify" in body
    german = client.get(f"/verify/{check_id}?lang=de").get_data(as_text=True)
    assert "Gültig" in german
    assert "…123456" in german


def test_check_page_as_json(app) -> None:
    client, _, check_id = app
    answer = client.get(f"/verify/{check_id}", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    body = answer.get_json()["response"]
    assert body["status"] == "valid"
    assert body["facts"]["vin_last6"] == "123456"
    assert body["facts"]["battery_health"]["method"] == "bh-1"
    assert len(body["sha256"]) == 64
    assert "owner" not in body
    missing = client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA", headers={"Accept": "application/json"})
    assert (missing.status_code, missing.get_json()["response"]) == (404, {"status": "not_found"})
    assert client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_upload_answers_valid_modified_and_refuses_wrong_types(app) -> None:
    client, pdf, check_id = app
    valid = client.post("/api/v1/verify", data=pdf, content_type="application/pdf")
    assert valid.status_code == 200
    assert valid.get_json()["response"]["status"] == "valid"
    assert valid.get_json()["response"]["verification_id"] == check_id
    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x20
    modified = client.post("/api/v1/verify", data=bytes(changed), content_type="application/pdf")
    assert modified.get_json()["response"]["status"] == "modified"
    wrong = client.post("/api/v1/verify", data=pdf, content_type="application/json")
    assert wrong.status_code == 406


def test_uploads_are_rate_limited_per_client(app) -> None:
    client, _, _ = app
    statuses = [client.post("/api/v1/verify", data=b"%PDF-", content_type="application/pdf") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[0].get_json()["response"]["status"] == "unsigned"  # a damaged file names no report
    assert statuses[-1].get_json()["error"] == "rate_limited"
    assert int(statuses[-1].headers["Retry-After"]) >= 1


def test_ca_certificate_is_published_and_other_paths_and_methods_are_refused(app, material) -> None:
    client, _, _ = app
    ca = client.get("/.well-known/carpulse-report-ca.pem")
    assert ca.status_code == 200
    assert ca.get_data(as_text=True) == certs.certificate_pem(material.authority.certificate)
    assert client.get("/api/v1/verify").status_code == 405
    assert client.post("/verify/abc", data=b"", content_type="application/pdf").status_code == 405
    assert client.get("/verify").status_code == 404
    assert client.delete("/verify/abc").status_code == 405


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [("de", "fi", "de"), (None, "fi-FI,en;q=0.5", "fi"), (None, "xx,de;q=0.3", "de"), ("xx", None, "en")],
)
def test_language_choice(query: str | None, header: str | None, expected: str) -> None:
    assert choose_language(query, header) == expected


def test_client_address_trusts_only_the_configured_proxy_hops() -> None:
    assert client_address("10.0.0.1", "6.6.6.6, 198.51.100.7, 34.1.1.1", 2) == "198.51.100.7"
    assert client_address("10.0.0.1", "6.6.6.6", 0) == "10.0.0.1"  # no trusted proxy: the header is ignored
    assert client_address("10.0.0.1", None, 2) == "10.0.0.1"
