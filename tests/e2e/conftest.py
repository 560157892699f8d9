"""Browser fixtures: one Chromium per test session, a fresh context (cookies, storage) per test,
and a screenshot of every open page when a test fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.browser import CHROMIUM_ARGS, chromium_executable

ROOT = Path(__file__).resolve().parents[2]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's outcome on the item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for one test module. Not for the session: Playwright's sync API keeps an
    event loop running on this thread while it is open, and asyncio.run elsewhere (pyHanko) fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def browser_contexts(chromium, request: pytest.FixtureRequest):
    """New browser contexts (each its own cookie jar); screenshots of their pages on failure."""
    contexts = []

    def new_context():
        context = chromium.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield new_context
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        shots = Path(os.environ.get("CARPULSE_SCREENSHOTS") or ROOT / ".local" / "screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                target = shots / f"{request.node.name}-{i}-{j}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"screenshot: {target}")
    for context in contexts:
        context.close()


@pytest.fixture
def states_kept(stack):
    """The simulated cars' states put back after the test (one that woke a car, or forced a state,
    leaves the shared stack as the scenario has it for the tests after it)."""
    before = requests.get(f"{stack.urls['tesla']}/_sim/vehicles", timeout=10).json()
    yield
    for vin, state in before.items():
        requests.post(f"{stack.urls['tesla']}/_sim/vehicles/{vin}/state", json={"state": state}, timeout=10)
