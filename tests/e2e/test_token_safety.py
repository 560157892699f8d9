"""The owner's grant survives a slow or lossy Tesla token endpoint (single-use refresh tokens).

Through the real token_refresh function and the simulator's token endpoint: a refresh that takes
longer than a Fleet API call may (25 s) still lands; a refresh whose answer is lost after Tesla
rotated is never followed by a second call with the spent refresh token while the lease lasts.
"""

from __future__ import annotations

import pytest
import requests

from carpulse.domain.models import AccountStatus

pytestmark = pytest.mark.stack
TOKEN_PATH = r"^/oauth2/v3/token$"


def _token_calls(stack) -> int:
    log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=5).json()
    return sum(1 for e in log if e["path"] == "/oauth2/v3/token")


def _make_due(app, account_id: str) -> int:
    account = app.account_store.get(account_id)
    app.account_store.update(account_id, {"token_expires_at": account.created_at})
    return account.token_generation


def _run_refresh(stack) -> dict:
    response = requests.post(
        stack.urls["token_refresh"], headers={"Authorization": f"Bearer {stack.id_token('token_refresh')}"}, timeout=120
    )
    assert response.status_code == 200, response.text
    return response.json()["response"]


def _fault(stack, **spec) -> None:
    requests.post(stack.urls["tesla"] + "/_sim/faults", json=spec, timeout=5).raise_for_status()


def _clear_faults(stack) -> None:
    requests.delete(stack.urls["tesla"] + "/_sim/faults", timeout=5)


def test_a_token_endpoint_slower_than_an_api_call_still_rotates_and_the_grant_lives(stack, app, api):
    account = app.session_service.authenticate(api.session_token)
    generation = _make_due(app, account.account_id)
    _fault(stack, path_pattern=TOKEN_PATH, method="POST", latency_ms=25_000, after_handler=True)
    try:
        summary = _run_refresh(stack)
    finally:
        _clear_faults(stack)
    assert summary["refreshed"] >= 1, summary
    after = app.account_store.get(account.account_id)
    assert after.token_generation == generation + 1
    assert after.status is AccountStatus.ACTIVE
    assert after.refresh_lease_id is None
    assert api.vehicles()  # the rotated tokens work


def test_a_lost_answer_after_rotation_is_never_followed_by_reusing_the_spent_token(stack, app, owner):
    from infra.local.owner import ApiClient

    api = ApiClient(stack.api_url, owner.connect())
    account = app.session_service.authenticate(api.session_token)
    _make_due(app, account.account_id)
    before = _token_calls(stack)
    _fault(stack, path_pattern=TOKEN_PATH, method="POST", drop_connection=True, after_handler=True)
    try:
        first = _run_refresh(stack)
        second = _run_refresh(stack)  # the next scheduler run, while the first outcome is unknown
    finally:
        _clear_faults(stack)
    assert first["retry_later"] >= 1
    assert second["retry_later"] >= 1
    assert _token_calls(stack) - before == 1  # the spent refresh token was not sent again
    held = app.account_store.get(account.account_id)
    assert held.status is AccountStatus.ACTIVE  # not declared lost by us
    assert held.refresh_lease_until is not None
