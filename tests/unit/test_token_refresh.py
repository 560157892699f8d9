"""Single-flight refresh with single-use refresh tokens."""

import threading
import time
from datetime import timedelta

import pytest

from carpulse.crypto import TokenCipher, new_encryption_key
from carpulse.domain.models import AccountStatus
from carpulse.errors import ReconnectRequiredError
from carpulse.services.refresh_due import RefreshDueService
from carpulse.services.tokens import AccountTokenProvider, TokenRefresher, TokenVault
from carpulse.tesla.auth import AuthDirectory, TokenResponse
from carpulse.tesla.errors import TeslaServerError
from tests.fakes import FakeAccounts, FakeClock, FakeTeslaAuth


def _setup(expires_in=30):
    clock = FakeClock()
    vault = TokenVault(cipher=TokenCipher(new_encryption_key()))
    accounts = FakeAccounts()
    accounts.connect(
        "a1",
        clock(),
        access_token_enc=vault.seal("a1", "access-1"),
        refresh_token_enc=vault.seal("a1", "refresh-1"),
        token_expires_at=clock() + timedelta(seconds=expires_in),
    )
    auth = FakeTeslaAuth(delay_seconds=0.05)
    directory = AuthDirectory(lambda realm: auth)
    refresher = TokenRefresher(
        accounts=accounts, auth=directory, vault=vault, clock=clock, sleep=lambda s: time.sleep(0.01)
    )
    return clock, vault, accounts, auth, refresher


def test_concurrent_refreshes_call_tesla_once():
    clock, vault, accounts, auth, refresher = _setup()
    results = []

    def use():
        provider = AccountTokenProvider(
            account_id="a1", accounts=accounts, refresher=refresher, vault=vault, clock=clock
        )
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
        AccountTokenProvider(
            account_id="a1", accounts=accounts, refresher=refresher, vault=vault, clock=clock
        ).access_token()


def test_scheduler_refreshes_only_due_accounts():
    clock, _vault, accounts, _auth, refresher = _setup(expires_in=7200)
    service = RefreshDueService(accounts=accounts, refresher=refresher, clock=clock, margin_seconds=3600)
    assert service.run().due == 0
    clock.advance(3700)
    summary = service.run()
    assert (summary.due, summary.refreshed) == (1, 1)
    assert accounts.get("a1").token_expires_at > clock() + timedelta(hours=7)


class RotatesThenLosesTheAnswer(FakeTeslaAuth):
    """Tesla rotates, then the answer never arrives (a timeout or a dropped connection)."""

    def refresh(self, refresh_token: str) -> TokenResponse:
        super().refresh(refresh_token)
        raise TeslaServerError("Tesla auth did not answer: ReadTimeout")


def test_an_unknown_refresh_outcome_keeps_the_lease_so_nobody_reuses_the_old_token():
    from carpulse.errors import RetryLaterError

    clock, vault, accounts, _auth, _refresher = _setup()
    lossy = RotatesThenLosesTheAnswer()
    refresher = TokenRefresher(
        accounts=accounts,
        auth=AuthDirectory(lambda realm: lossy),
        vault=vault,
        clock=clock,
        wait_for_other_seconds=0,
        sleep=lambda s: None,
    )
    with pytest.raises(RetryLaterError) as caught:
        refresher.refresh("a1")
    assert caught.value.retry_after is not None
    assert caught.value.retry_after >= 60
    held = accounts.get("a1")
    assert held.refresh_lease_until > clock()  # still held: the call may have rotated at Tesla
    with pytest.raises(RetryLaterError):
        refresher.refresh("a1")  # a second caller waits instead of spending the old token again
    assert lossy.calls == 1
    assert accounts.get("a1").status is AccountStatus.ACTIVE


def test_a_refusal_that_did_not_rotate_frees_the_lease_at_once():
    from carpulse.errors import RetryLaterError
    from carpulse.tesla.auth import TeslaNotSentError

    clock, vault, accounts, _auth, _refresher = _setup()

    class Unreachable(FakeTeslaAuth):
        def refresh(self, refresh_token: str) -> TokenResponse:
            raise TeslaNotSentError("Tesla auth unreachable: ConnectionError")

    refresher = TokenRefresher(
        accounts=accounts,
        auth=AuthDirectory(lambda realm: Unreachable()),
        vault=vault,
        clock=clock,
        sleep=lambda s: None,
    )
    with pytest.raises(RetryLaterError):
        refresher.refresh("a1")
    assert accounts.get("a1").refresh_lease_until is None


def test_rotated_tokens_are_kept_even_after_the_lease_ran_out_but_not_over_a_reconnect():
    clock, _vault, accounts, _auth, _refresher = _setup()
    taken = accounts.acquire_refresh_lease("a1", clock(), 90, "mine")
    assert taken is not None
    accounts.release_refresh_lease("a1", "mine")  # our lease is gone (expired and freed)
    assert accounts.store_rotated_tokens("a1", "mine", 0, {"access_token_enc": "new"}) == "rescued"
    assert accounts.get("a1").access_token_enc == "new"
    assert accounts.store_rotated_tokens("a1", "mine", 0, {"access_token_enc": "stale"}) == "superseded"
    assert accounts.get("a1").access_token_enc == "new"


def test_one_failing_account_does_not_stop_the_scheduler_run():
    clock, _vault, accounts, _auth, refresher = _setup(expires_in=30)
    accounts.items["a2"] = accounts.items["a1"].model_copy(update={"account_id": "a2", "region": "broken"})

    def flaky(realm):
        if realm == "broken":
            raise RuntimeError("store timeout")
        return _auth

    refresher.auth = AuthDirectory(lambda realm: _auth)
    original = refresher.auth.for_region
    refresher.auth.for_region = lambda region: flaky(region) if region == "broken" else original(region)
    summary = RefreshDueService(accounts=accounts, refresher=refresher, clock=clock, margin_seconds=3600).run()
    assert (summary.due, summary.refreshed, summary.errors) == (2, 1, 1)
