"""The public functions' HTTP edge in-process, as a browser or a frontend sees it: functions-framework's
test client over a container of in-memory fakes (bootstrap.installed / bootstrap.with_parts). Our
envelope, 401 / 404 / 405 and the public key here; CORS in test_http_edge_cors.py; request bodies
(406 / 413 / 422) in test_http_edge_bodies.py; the login (cookie, state, callback redirects) in
test_http_edge_login.py. The fixtures and helpers here are theirs too.

No stack and no network: Firestore and Tesla's HTTP session are parts that refuse any use, and a test
that reaches them fails (what needs Tesla stays in tests/e2e)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask
from flask.testing import FlaskClient
from functions_framework import create_app
from werkzeug.test import Client, TestResponse

from carpulse import bootstrap
from carpulse.config import Settings, get_settings, settings_from_env
from carpulse.domain.limits import ReportLimits
from carpulse.domain.models import Account, ReportOptions, ReportRequest, ReportStatus, VinProgress, VinStatus
from carpulse.http.routes import function_for
from carpulse.partner_key import new_private_key_pem, public_key_pem
from carpulse.services.limits import ClientLimiter, ReportGate
from tests.fakes import (
    FakeAccounts,
    FakeBlobs,
    FakeClock,
    FakeLoginCodes,
    FakeQueue,
    FakeReports,
    FakeSecrets,
    FakeSessions,
    FakeStates,
)
from tests.limits_fakes import FakeLimitStore
from tests.verification_fakes import FakeRateLimiter

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
PUBLIC = ("reports", "oauth_initiate", "oauth_callback", "public_key")  # verify: test_verify_function.py
API = "/api/v1"
KEY_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
FRONTEND = "https://app.example.test"
FOREIGN = "https://evil.example.test"
PRIVATE_KEY = new_private_key_pem()
VIN = "5YJ3E7EB0PF000001"
# A deployed environment (the cookie is __Host- and Secure only outside ENV=local).
CLOUD = {
    "ENV": "dev",
    "LOG_LEVEL": "WARNING",
    "FRONTEND_URL": f"{FRONTEND}/connected",
    "FRONTEND_ORIGINS": f"{FRONTEND},http://localhost:5173",
    "OAUTH_REDIRECT_URI": "https://api.example.test/api/v1/tesla/oauth/callback",
    "PUBLIC_KEY_PEM": public_key_pem(PRIVATE_KEY),
    "INITIATE_PER_MINUTE": "5",
}


class Refused:
    """A part no test here may use (Firestore, Tesla's HTTP session): any use is recorded and fails."""

    def __init__(self, what: str, uses: list[str]) -> None:
        self._what, self._uses = what, uses

    def __getattr__(self, name: str) -> NoReturn:
        self._uses.append(f"{self._what}.{name}")
        raise AssertionError(f"{self._what} was reached ({name}): that path belongs to the stack tests")


@dataclass
class Edge:
    """The installed container, its fakes, and test clients of the functions."""

    settings: Settings
    app: bootstrap.Container
    clock: FakeClock
    accounts: FakeAccounts
    sessions: FakeSessions
    reports: FakeReports
    states: FakeStates
    codes: FakeLoginCodes
    refused: list[str] = field(default_factory=list)

    def client(self, function: str) -> FlaskClient:
        """A fresh client of one function (its own cookie jar)."""
        return create_app(target=function, source=str(FUNCTIONS / function / "main.py")).test_client()

    def browser(self) -> Client:
        """A fresh browser on the API host: one cookie jar, each path answered by the function the
        production path table names (carpulse.http.routes), as the load balancer routes it."""
        apps: dict[str, Flask] = {}

        def host(environ: dict[str, Any], start_response: Any) -> Any:
            function = function_for(environ["PATH_INFO"])
            assert function in PUBLIC, f"{function} is not tested here"
            if function not in apps:
                apps[function] = create_app(target=function, source=str(FUNCTIONS / function / "main.py"))
            return apps[function](environ, start_response)

        return Client(host, TestResponse)

    def account(self, account_id: str = "acc_edge") -> Account:
        return self.accounts.connect(account_id, self.clock())

    def sign_in(self, account_id: str = "acc_edge") -> dict[str, str]:
        """Connect an account and trade its login code for a session, as the frontend does."""
        self.account(account_id)
        code = self.app.session_service.issue_login_code(account_id)
        opened = self.client("reports").post(f"{API}/session", json={"code": code})
        assert opened.status_code == 201, opened.get_data(as_text=True)
        return {"Authorization": f"Bearer {opened.get_json()['response']['session_token']}"}

    def finished_report(self, account_id: str = "acc_edge", report_id: str = "a" * 32) -> ReportRequest:
        now = self.clock()
        report = ReportRequest(
            report_id=report_id,
            account_id=account_id,
            vins=(VIN,),
            options=ReportOptions(language="en"),
            status=ReportStatus.COMPLETE,
            created_at=now,
            updated_at=now,
            completed_at=now,
        )
        self.reports.create(report, [VinProgress(vin=VIN, status=VinStatus.DONE, updated_at=now)])
        return report


@contextlib.contextmanager
def open_edge(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[Edge]:
    """`env` as the process environment (the request wrapper and the cookie read it) and as the
    installed container's settings, over fakes; Firestore and Tesla refused."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = settings_from_env(env)
    assert get_settings() == settings
    clock = FakeClock()
    edge = Edge(
        settings=settings,
        app=bootstrap.Container(settings, clock=clock),
        clock=clock,
        accounts=FakeAccounts(),
        sessions=FakeSessions(),
        reports=FakeReports(clock=clock),
        states=FakeStates(),
        codes=FakeLoginCodes(),
    )
    limits = ReportLimits(in_flight=settings.max_reports_in_flight, per_hour=settings.max_report_requests_per_hour)
    bootstrap.with_parts(
        edge.app,
        firestore=Refused("Firestore", edge.refused),
        http=Refused("Tesla", edge.refused),
        vault=Refused("the token vault", edge.refused),  # seals Tesla's tokens: after the code exchange only
        secrets=FakeSecrets({settings.tesla_private_key_name: PRIVATE_KEY}),
        oauth_state_store=edge.states,
        account_store=edge.accounts,
        session_store=edge.sessions,
        login_code_store=edge.codes,
        report_store=edge.reports,
        blobs=FakeBlobs(),
        queue=FakeQueue(),
        login_limits=ClientLimiter(limiter=FakeRateLimiter(), clock=clock, per_minute=settings.initiate_per_minute),
        report_gate=ReportGate(store=FakeLimitStore(edge.reports), clock=clock, limits=limits),
    )
    try:
        with bootstrap.installed(edge.app):
            yield edge
    finally:
        get_settings.cache_clear()
    assert not edge.refused, f"reached outside the fakes: {edge.refused}"


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Edge]:
    with open_edge(monkeypatch, CLOUD) as opened:
        yield opened


def error_of(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    """Our error envelope with this status and enum: {"error", "error_description", "messages"?}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    assert body["error_description"]
    assert set(body) <= {"error", "error_description", "messages"}
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def response_of(response: TestResponse, status: int = 200) -> Any:
    """The payload of our success envelope {"response": …}, never cached."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"response"}
    assert response.headers["Cache-Control"] == "no-store"
    return body["response"]


# --- the envelope on success ----------------------------------------------------------------------


def test_a_session_is_opened_once_per_login_code_and_closed_by_logout(edge: Edge) -> None:
    edge.account()
    code = edge.app.session_service.issue_login_code("acc_edge")
    browser = edge.client("reports")
    opened = response_of(browser.post(f"{API}/session", json={"code": code}), 201)
    assert set(opened) == {"session_token", "expires_at"}
    error_of(browser.post(f"{API}/session", json={"code": code}), 400, "invalid_grant")
    bearer = {"Authorization": f"Bearer {opened['session_token']}"}
    assert response_of(browser.delete(f"{API}/session", headers=bearer)) == {"logged_out": True}
    error_of(browser.get(f"{API}/reports", headers=bearer), 401, "unauthorized")


def test_a_signed_in_owner_reads_reports_and_usage_in_the_envelope(edge: Edge) -> None:
    bearer = edge.sign_in()
    report = edge.finished_report()
    browser = edge.client("reports")
    page = response_of(browser.get(f"{API}/reports", headers=bearer))
    assert [r["report_id"] for r in page["reports"]] == [report.report_id]
    assert page["next_page_token"] is None
    status = response_of(browser.get(f"{API}/reports/{report.report_id}", headers=bearer))
    assert (status["report_id"], status["status"]) == (report.report_id, "complete")
    assert response_of(browser.get(f"{API}/account/usage", headers=bearer))["reports"] == 1


def test_a_rendition_is_accepted_with_202_and_the_reports_location(edge: Edge) -> None:
    bearer = edge.sign_in()
    report = edge.finished_report()
    answer = edge.client("reports").post(
        f"{API}/reports/{report.report_id}/renditions", json={"language": "sv"}, headers=bearer
    )
    assert response_of(answer, 202)["status"] == "queued"
    assert answer.headers["Location"] == f"{API}/reports/{report.report_id}"


# --- 401: no session, a bad one, an expired one ---------------------------------------------------

PROTECTED = [
    ("DELETE", f"{API}/session"),
    ("GET", f"{API}/vehicles"),
    ("GET", f"{API}/reports"),
    ("POST", f"{API}/reports"),
    ("GET", f"{API}/reports/{'a' * 32}"),
    ("DELETE", f"{API}/reports/{'a' * 32}"),
    ("POST", f"{API}/reports/{'a' * 32}/renditions"),
    ("POST", f"{API}/reports/{'a' * 32}/vehicles/{VIN}/retry"),
    ("GET", f"{API}/account/usage"),
    ("DELETE", f"{API}/account"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-session", "Bearer ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "not-even-a-scheme"],
)
def test_every_owner_endpoint_is_401_with_a_bearer_challenge(
    edge: Edge, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = edge.client("reports").open(path, method=method, headers=headers, json={"vins": [VIN]})
    error_of(answer, 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_session_and_a_disconnected_account_are_401(edge: Edge) -> None:
    browser = edge.client("reports")
    expiring = edge.sign_in("acc_old")
    edge.clock.advance(edge.settings.session_ttl_seconds + 1)
    error_of(browser.get(f"{API}/reports", headers=expiring), 401, "unauthorized")
    gone = edge.sign_in("acc_gone")
    edge.accounts.delete("acc_gone")
    error_of(browser.get(f"{API}/reports", headers=gone), 401, "unauthorized")


# --- 404 and 405 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "path"),
    [
        ("reports", f"{API}/nowhere"),
        ("reports", f"{API}/reports/{'a' * 32}/elsewhere"),
        ("reports", "/"),
        ("public_key", "/nowhere"),  # the API host's default backend: every unknown path
        ("public_key", "/.well-known/other.pem"),
    ],
)
def test_an_unknown_path_is_404_in_our_envelope(edge: Edge, function: str, path: str) -> None:
    error_of(edge.client(function).get(path), 404, "not_found")


@pytest.mark.parametrize("report_id", ["0" * 32, "not-a-report-id", "b" * 32])
@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("DELETE", ""), ("POST", "/renditions"), ("POST", f"/vehicles/{VIN}/retry")]
)
def test_an_unknown_report_and_another_owners_report_answer_alike(
    edge: Edge, report_id: str, method: str, suffix: str
) -> None:
    edge.account("acc_other")
    edge.finished_report("acc_other", "b" * 32)  # not the signed-in owner's
    bearer = edge.sign_in()
    answer = edge.client("reports").open(
        f"{API}/reports/{report_id}{suffix}", method=method, headers=bearer, json={"language": "de"}
    )
    assert error_of(answer, 404, "not_found")["error_description"] == "report not found"
    assert edge.reports.get("b" * 32) is not None


@pytest.mark.parametrize(
    ("function", "method", "path", "allow"),
    [
        ("reports", "DELETE", f"{API}/vehicles", {"GET"}),
        ("reports", "DELETE", f"{API}/reports", {"GET", "POST"}),
        ("reports", "GET", f"{API}/session", {"POST", "DELETE"}),
        ("reports", "POST", f"{API}/reports/{'a' * 32}", {"GET", "DELETE"}),
        ("reports", "GET", f"{API}/reports/{'a' * 32}/renditions", {"POST"}),
        ("reports", "POST", f"{API}/account", {"DELETE"}),
        ("oauth_initiate", "DELETE", f"{API}/tesla/oauth/initiate", {"GET", "POST"}),
        ("oauth_callback", "POST", f"{API}/tesla/oauth/callback", {"GET"}),
        ("oauth_callback", "OPTIONS", f"{API}/tesla/oauth/callback", {"GET"}),  # no CORS: a navigation target
        ("public_key", "POST", KEY_PATH, {"GET", "HEAD"}),
    ],
)
def test_a_wrong_method_is_405_with_allow(edge: Edge, function: str, method: str, path: str, allow: set[str]) -> None:
    answer = edge.client(function).open(path, method=method)
    error_of(answer, 405, "method_not_allowed")
    assert set(answer.headers["Allow"].split(", ")) == allow


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_method_no_endpoint_answers_is_405(edge: Edge, method: str) -> None:
    answer = edge.client("reports").open(f"{API}/session", method=method)
    error_of(answer, 405, "method_not_allowed")
    assert set(answer.headers["Allow"].split(", ")) <= {"GET", "POST", "DELETE"}  # the function's, not the path's


# --- the public key -------------------------------------------------------------------------------


def test_the_public_key_is_the_configured_pem(edge: Edge) -> None:
    browser = edge.client("public_key")
    answer = browser.get(KEY_PATH)
    assert answer.status_code == 200
    assert answer.mimetype == "application/x-pem-file"
    assert answer.get_data(as_text=True) == CLOUD["PUBLIC_KEY_PEM"]
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    key = load_pem_public_key(answer.get_data())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    head = browser.head(KEY_PATH)
    assert (head.status_code, head.mimetype, head.get_data()) == (200, "application/x-pem-file", b"")


def test_the_local_stack_derives_the_public_key_from_its_private_key(monkeypatch: pytest.MonkeyPatch) -> None:
    local = {"ENV": "local", "LOG_LEVEL": "WARNING"}
    with open_edge(monkeypatch, local) as edge:
        answer = edge.client("public_key").get(KEY_PATH)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == public_key_pem(PRIVATE_KEY)


# --- the seam itself --------------------------------------------------------------------------------


def test_parts_are_cached_properties_given_before_their_first_use() -> None:
    app = bootstrap.Container(Settings())
    for wrong in ("firestor", "settings", "fleet"):  # a typo, a plain attribute, a method
        with pytest.raises(TypeError, match=wrong):
            bootstrap.with_parts(app, **{wrong: object()})
    blobs = FakeBlobs()
    assert bootstrap.with_parts(app, blobs=blobs).blobs is blobs
    with pytest.raises(ValueError, match="blobs"):
        bootstrap.with_parts(app, blobs=FakeBlobs())


def test_installed_containers_nest_and_are_put_back() -> None:
    outer, inner = bootstrap.Container(Settings()), bootstrap.Container(Settings())
    with bootstrap.installed(outer):
        with bootstrap.installed(inner):
            assert bootstrap.container() is inner
        assert bootstrap.container() is outer
    try:
        assert bootstrap.container() not in (outer, inner)
    finally:
        bootstrap.container.cache_clear()
