"""Test session: the local stack (emulators, Tesla simulator, every function) is started once,
lazily, by the first test that needs it, and stopped at the end even when tests fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import LocalStack

# Property tests: `make unit` sets CARPULSE_HYPOTHESIS_PROFILE=unit for a quick answer, a few examples
# per test; `make test` sets nothing and runs every test's own count (hypothesis' default of 100, or
# the test's settings, e.g. 70 in tests/property/test_mutated_payloads.py).
UNIT_EXAMPLES = 10
settings.register_profile("unit", max_examples=UNIT_EXAMPLES)
if os.environ.get("CARPULSE_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["CARPULSE_HYPOTHESIS_PROFILE"])

# Every test here signs in the scenario's one owner from 127.0.0.1, and reports of earlier tests may
# still be running: the deployed limits would make tests wait on each other. They are tested as
# deployed on a stack of their own (tests/e2e/test_deployed_settings.py).
SHARED_STACK_LIMITS = {
    "MAX_REPORTS_IN_FLIGHT": "100",
    "MAX_REPORT_REQUESTS_PER_HOUR": "1000",
    "INITIATE_PER_MINUTE": "100000",
    # Schemathesis alone sends the verify endpoints more checks a minute than one client may.
    "VERIFY_UPLOADS_PER_MINUTE": "100000",
    "VERIFY_PAGE_PER_MINUTE": "100000",
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The running local stack (logs kept under pytest's temp dir; printed on failure)."""
    log_dir = Path(os.environ.get("CARPULSE_TEST_LOGS") or tmp_path_factory.mktemp("stack-logs"))
    with LocalStack(log_dir=log_dir, wake_seconds=1.0, extra_env=SHARED_STACK_LIMITS) as running:
        yield running


@pytest.fixture(scope="session")
def app(stack: LocalStack) -> Container:
    """Adapters and services wired exactly like the functions' (same env), in the test process."""
    return Container(settings_from_env(stack.env))


@pytest.fixture
def owner(stack: LocalStack) -> SimulatedOwner:
    """A fresh browser of the simulated owner."""
    return SimulatedOwner(stack.api_url)


@pytest.fixture
def api(stack: LocalStack, owner: SimulatedOwner) -> ApiClient:
    """The frontend API, signed in as the scenario's owner."""
    return ApiClient(stack.api_url, owner.connect())
