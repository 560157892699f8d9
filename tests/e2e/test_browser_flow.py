"""The documented login and report flow in a real Chromium, from the reference page on the
frontend's own origin (same-site, cross-origin to the API host), through the gateway and the
simulator's consent page. Nothing here bypasses a browser rule: CORS, cookies and SameSite apply.
"""

from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.stack


def _frontend(stack) -> str:
    return stack.urls["frontend"] + "/"


def _consent(page, decision: str = "Allow") -> None:
    page.wait_for_url(re.compile(r".*/oauth2/v3/authorize.*"))
    page.get_by_role("button", name=decision).click()


def _signed_in(page) -> None:
    page.wait_for_selector("#vehicles .vehicle")


def test_connect_with_fetch_request_a_report_and_download_it(stack, browser_contexts, tmp_path):
    page = browser_contexts().new_page()
    page.goto(_frontend(stack))
    page.wait_for_selector("body[data-ready=true]")
    page.click("#connect")  # fetch POST with credentials: "include", then navigation to Tesla
    page.wait_for_url(re.compile(r".*/oauth2/v3/authorize.*"))
    page.screenshot(path=str(tmp_path / "consent.png"), full_page=True)
    _consent(page)
    page.wait_for_url(_frontend(stack) + "**")
    _signed_in(page)
    assert "#code" not in page.url  # the one-time code is dropped from the address bar
    assert page.locator("#error").is_hidden()
    names = page.locator("#vehicles .vehicle .name").all_inner_texts()
    assert len(names) == 3
    page.click("#request")
    # One of the three cars is asleep: every PDF is there, and the report is honestly partial.
    page.wait_for_selector("#report[data-status=partial]", timeout=120_000)
    assert page.locator("#progress li[data-status=done]").count() == 3
    assert page.locator("#progress .bar.done").count() == 3
    pdf_links = page.locator("a.download.pdf")
    assert pdf_links.count() == 3
    assert page.locator("a.download.csv").count() == 1
    with page.expect_download() as download_info:
        pdf_links.first.click()
    saved = tmp_path / "report.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(tmp_path / "after-report.png"), full_page=True)


def test_connect_with_a_plain_link(stack, browser_contexts):
    page = browser_contexts().new_page()
    page.goto(_frontend(stack))
    page.wait_for_selector("body[data-ready=true]")
    page.click("#connect-link")  # top-level GET initiate → 302 to Tesla
    _consent(page)
    _signed_in(page)
    page.click("#logout")
    page.wait_for_selector("#connect-panel:not([hidden])")


def test_denied_consent_is_shown_on_the_frontend(stack, browser_contexts):
    page = browser_contexts().new_page()
    page.goto(_frontend(stack))
    page.wait_for_selector("body[data-ready=true]")
    page.click("#connect")
    _consent(page, "Deny")
    page.wait_for_selector("#error:not([hidden])")
    assert page.get_attribute("#error", "data-code") == "access_denied"
    assert "declined" in page.inner_text("#error").lower()
    assert page.locator("#connect-panel").is_visible()


def test_login_finished_in_another_browser_is_refused(stack, browser_contexts):
    started = browser_contexts().new_page()
    started.goto(_frontend(stack))
    started.wait_for_selector("body[data-ready=true]")
    started.click("#connect")
    started.wait_for_url(re.compile(r".*/oauth2/v3/authorize.*"))
    authorize_url = started.url
    other = browser_contexts().new_page()  # another browser: no login cookie
    other.goto(authorize_url)
    _consent(other)
    other.wait_for_selector("#error:not([hidden])")
    assert other.get_attribute("#error", "data-code") == "invalid_state"
    assert "another browser" in other.inner_text("#error")
    assert other.locator("#connect-panel").is_visible()


def test_the_login_cookie_is_refused_to_a_foreign_origin(stack):
    # A page on another origin cannot read the authorize URL: no CORS grant for it.
    response = requests.post(
        stack.api_url + "/api/v1/tesla/oauth/initiate", headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in response.headers
