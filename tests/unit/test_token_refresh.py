"""Single-flight refresh with single-use refresh tokens."""

import threading
import time
from datetime import timedelta

import pytest

from carpulse.crypto import TokenCipher, new_encryption_key
from carpulse.domain.models import Account, AccountStatus
from carpulse.errors import ReconnectRequiredError
from carpulse.services.refresh_due import RefreshDueService
from carpulse.services.tokens import AccountTokenProvider, TokenRefresher, TokenVault
from carpulse.tesla.auth import AuthDirectory, TokenResponse
from carpulse.tesla.errors import LoginRequiredError
from tests.fakes import FakeAccounts, FakeClock


class SingleUseAuth:
    """Like Tesla: each refresh token works once; reuse revokes everything."""

    def __init__(self, first_refresh: str):
        self.valid = {first_refresh}
        self.calls = 0
        self.lock = threading.Lock()

    def refresh(self, refresh_token):
        with self.lock:
            self.calls += 1
            if refresh_token not in self.valid:
                self.valid.clear()
                raise LoginRequiredError("reused", status=401, tesla_error="login_required")
            self.valid.remove(refresh_token)
            new = f"refresh-{self.calls + 1}"
            self.valid.add(new)
        time.sleep(0.05)  # widen the race window
        return TokenResponse(access_token=f"access-{self.calls + 1}", refresh_token=new, expires_in=28800)


def _setup(expires_in=30):
    clock = FakeClock()
    vault = TokenVault(TokenCipher(new_encryption_key()))
    accounts = FakeAccounts()
    accounts.items["a1"] = Account(
        account_id="a1",
        region="eu",
        fleet_api_base_url="https://f",
        access_token_enc=vault.seal("a1", "access-1"),
        refresh_token_enc=vault.seal("a1", "refresh-1"),
        token_expires_at=clock() + timedelta(seconds=expires_in),
        created_at=clock(),
        updated_at=clock(),
    )
    auth = SingleUseAuth("refresh-1")
    directory = AuthDirectory(lambda realm: auth)
    refresher = TokenRefresher(accounts, directory, vault, clock, sleep=lambda s: time.sleep(0.01))
    return clock, vault, accounts, auth, refresher


def test_concurrent_refreshes_call_tesla_once():
    clock, vault, accounts, auth, refresher = _setup()
    results = []

    def use():
        provider = AccountTokenProvider("a1", accounts, refresher, vault, clock)
        results.append(provider.access_token())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert auth.calls == 1
    assert set(results) == {"access-2"}
    account = accounts.get("a1")
    assert vault.open("a1", account.refresh_token_enc) == "refresh-2"
    assert account.token_generation == 1
    assert account.refresh_lease_until is None


def test_login_required_marks_account_for_reconnect():
    clock, vault, accounts, auth, refresher = _setup()
    auth.valid.clear()
    with pytest.raises(ReconnectRequiredError):
        refresher.refresh("a1")
    assert accounts.get("a1").status is AccountStatus.RECONNECT_REQUIRED
    with pytest.raises(ReconnectRequiredError):
        AccountTokenProvider("a1", accounts, refresher, vault, clock).access_token()


def test_scheduler_refreshes_only_due_accounts():
    clock, _vault, accounts, _auth, refresher = _setup(expires_in=7200)
    service = RefreshDueService(accounts, refresher, clock, margin_seconds=3600)
    assert service.run().due == 0
    clock.advance(3700)
    summary = service.run()
    assert (summary.due, summary.refreshed) == (1, 1)
    assert accounts.get("a1").token_expires_at > clock() + timedelta(hours=7)
