"""A simulated owner and frontend: drives the real OAuth redirects and our HTTP API on the API
host (the gateway), on the production paths.

Used by `make demo` and the end-to-end tests; it talks HTTP only. It does not enforce browser
rules (CORS, SameSite): tests/e2e/test_browser_flow.py runs the same flow in a real Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests


class ConsentFormParser(HTMLParser):
    """Collects the first form of a page: its action and its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track the form and its hidden fields."""
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        """Stop at the end of the first form."""
        if tag == "form":
            self._in_form = False


class FlowError(RuntimeError):
    """A step of the owner's flow did not do what it should."""


API_PREFIX = "/api/v1"
INITIATE_PATH = f"{API_PREFIX}/tesla/oauth/initiate"


@dataclass
class SimulatedOwner:
    """An owner's browser: keeps cookies, follows what Tesla and our callback ask."""

    api_url: str  # the API host, e.g. http://localhost:8080
    browser: requests.Session = field(default_factory=requests.Session)

    def start_login(self) -> str:
        """Ask our initiate function for Tesla's authorize URL (sets the login cookie)."""
        response = self.browser.post(self.api_url + INITIATE_PATH, timeout=10)
        _expect(response, 200, "oauth initiate")
        return str(response.json()["response"]["authorize_url"])

    def consent(self, authorize_url: str, decision: str = "allow") -> str:
        """Open Tesla's consent page and answer it; returns the callback URL Tesla redirects to."""
        page = self.browser.get(authorize_url, timeout=10)
        _expect(page, 200, "Tesla authorize page")
        form = ConsentFormParser()
        form.feed(page.text)
        if form.action is None:
            raise FlowError("the Tesla authorize page has no form")
        answer = self.browser.post(
            urljoin(page.url, form.action),
            data={**form.fields, "decision": decision},
            allow_redirects=False,
            timeout=10,
        )
        _expect(answer, 302, "Tesla consent")
        return answer.headers["Location"]

    def finish_login(self, callback_url: str) -> requests.Response:
        """Follow Tesla's redirect to our callback (with this browser's cookies)."""
        return self.browser.get(callback_url, allow_redirects=False, timeout=30)

    def callback_fragment(self, response: requests.Response) -> dict[str, str]:
        """The fragment of the callback's redirect to the frontend (#code=… or #error=…)."""
        _expect(response, 302, "oauth callback")
        return {k: v[0] for k, v in parse_qs(urlparse(response.headers["Location"]).fragment).items()}

    def open_session(self, code: str) -> requests.Response:
        """The frontend's code exchange: POST /api/v1/session {"code": …}."""
        return self.browser.post(f"{self.api_url}{API_PREFIX}/session", json={"code": code}, timeout=10)

    def connect(self) -> str:
        """The whole login and the code exchange; returns the session token."""
        fragment = self.callback_fragment(self.finish_login(self.consent(self.start_login())))
        if "code" not in fragment:
            raise FlowError(f"the callback redirect carries no login code: {fragment}")
        response = self.open_session(fragment["code"])
        _expect(response, 201, "session exchange")
        return str(response.json()["response"]["session_token"])


@dataclass
class ApiClient:
    """The frontend's view of our reports API (`base_url` is the API host)."""

    api_url: str
    session_token: str = field(repr=False)  # pytest prints a failing test's fixtures
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def base_url(self) -> str:
        """Where the reports API lives on the API host."""
        return self.api_url + API_PREFIX

    def headers(self) -> dict[str, str]:
        """The request headers that carry this client's session token."""
        return {"Authorization": f"Bearer {self.session_token}"}

    def vehicles(self) -> list[dict[str, Any]]:
        """GET /vehicles."""
        response = self.http.get(f"{self.base_url}/vehicles", headers=self.headers(), timeout=30)
        _expect(response, 200, "list vehicles")
        return list(response.json()["response"])

    def request_report(self, vins: list[str], idempotency_key: str | None = None, **options: Any) -> requests.Response:
        """POST /reports (raw response, so callers can check refusals)."""
        headers = self.headers() | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
        return self.http.post(f"{self.base_url}/reports", json={"vins": vins, **options}, headers=headers, timeout=30)

    def status(self, report_id: str) -> dict[str, Any]:
        """GET /reports/{id}."""
        response = self.http.get(f"{self.base_url}/reports/{report_id}", headers=self.headers(), timeout=30)
        _expect(response, 200, "report status")
        return dict(response.json()["response"])

    def wait(
        self, report_id: str, timeout: float = 180.0, on_progress: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Poll the status until the report is finished (complete, partial or failed)."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = self.status(report_id)
            if on_progress and _progress_key(status) != _progress_key(last):
                on_progress(status)
            last = status
            if status["status"] in ("complete", "partial", "failed"):
                return status
            time.sleep(0.3)
        raise FlowError(f"report {report_id} not finished after {timeout:.0f}s (last status {last.get('status')})")


def _progress_key(status: dict[str, Any]) -> tuple[Any, ...]:
    return (status.get("status"), tuple((v["vin"], v["status"], v["step"]) for v in status.get("vehicles", [])))


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise FlowError(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:300]}")


def simulator_user_token(urls: dict[str, str], client_id: str, client_secret: str, redirect_uri: str) -> dict[str, Any]:
    """Tokens straight from the simulator's OAuth (no function of ours involved): for ops tools and
    tests that need a user token, like `make live-check` against the simulator."""
    from urllib.parse import urlencode

    browser = requests.Session()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid offline_access vehicle_device_data vehicle_charging_cmds vehicle_specs user_data",
            "state": "live-check",
        }
    )
    owner = SimulatedOwner(urls.get("gateway", ""), browser)
    callback = owner.consent(f"{urls['tesla']}/oauth2/v3/authorize?{query}")
    code = parse_qs(urlparse(callback).query)["code"][0]
    response = browser.post(
        f"{urls['tesla']}/oauth2/v3/token",
        json={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "audience": f"{urls['tesla']}/fleet/eu",
        },
        timeout=10,
    )
    _expect(response, 200, "simulator token exchange")
    return dict(response.json())
