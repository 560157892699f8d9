"""OAuth login: state is single-use, short-lived and browser-bound; a refused login stores nothing."""

from types import SimpleNamespace

import pytest

from carpulse.config import Settings
from carpulse.crypto import TokenCipher, new_encryption_key
from carpulse.errors import ConsentDeniedError, InvalidStateError
from carpulse.services.connect import ConnectService
from carpulse.services.tokens import TokenVault
from carpulse.tesla.auth import TokenResponse
from carpulse.tesla.errors import TeslaBadRequestError
from tests.fakes import FakeAccounts, FakeClock, FakeSessions, FakeStates


class FakeAuth:
    def __init__(self):
        self.exchanged = []

    def authorize_url(self, state):
        return f"https://auth.example/authorize?state={state}"

    def exchange_code(self, code, *, audience):
        if code == "bad":
            raise TeslaBadRequestError("bad code", status=400, tesla_error="invalid_auth_code")
        self.exchanged.append((code, audience))
        return TokenResponse(access_token="access-1", refresh_token="refresh-1", expires_in=28800)


class FakeFleet:
    def user_region(self):
        return SimpleNamespace(region="eu", fleet_api_base_url="https://fleet-eu.example")


@pytest.fixture
def service():
    clock = FakeClock()
    svc = ConnectService(
        settings=Settings(tesla_region_base_urls={"eu": "https://fleet-eu.example", "na": "https://fleet-na.example"}),
        states=FakeStates(),
        accounts=FakeAccounts(),
        sessions=FakeSessions(),
        auth=FakeAuth(),
        vault=TokenVault(TokenCipher(new_encryption_key())),
        fleet_for=lambda base, tokens: FakeFleet(),
        clock=clock,
    )
    svc.clock_ = clock
    return svc


def test_successful_login_stores_encrypted_tokens_and_a_hashed_session(service):
    start = service.start_login()
    done = service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    account = service.accounts.get(done.account_id)
    assert account.region == "eu"
    assert "access-1" not in account.access_token_enc
    assert service.vault.open(account.account_id, account.refresh_token_enc) == "refresh-1"
    assert done.session_token not in service.sessions.items  # stored only as a hash
    assert len(service.sessions.items) == 1
    assert service.auth.exchanged == [("good", "https://fleet-eu.example")]


def test_replayed_state_is_refused_and_stores_nothing_more(service):
    start = service.start_login()
    service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    with pytest.raises(InvalidStateError):
        service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    assert len(service.sessions.items) == 1
    assert len(service.auth.exchanged) == 1


@pytest.mark.parametrize(
    ("state", "nonce"),
    [("unknown", "whatever"), (None, None)],
)
def test_unknown_state_is_refused(service, state, nonce):
    with pytest.raises((InvalidStateError, Exception)) as caught:
        service.complete_login(code="good", state=state, binding_nonce=nonce)
    assert caught.value.error in ("invalid_state", "invalid_request")
    assert not service.accounts.items
    assert not service.sessions.items
    assert not service.auth.exchanged


def test_state_from_another_browser_is_refused(service):
    start = service.start_login()
    with pytest.raises(InvalidStateError):
        service.complete_login(code="good", state=start.state, binding_nonce="someone-elses-cookie")
    assert not service.accounts.items
    assert not service.auth.exchanged


def test_expired_state_is_refused(service):
    start = service.start_login()
    service.clock_.advance(601)
    with pytest.raises(InvalidStateError):
        service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    assert not service.accounts.items


def test_denied_consent_and_bad_code(service):
    start = service.start_login()
    with pytest.raises(ConsentDeniedError):
        service.complete_login(code=None, state=start.state, binding_nonce=start.binding_nonce, error="access_denied")
    start = service.start_login()
    with pytest.raises(InvalidStateError):
        service.complete_login(code="bad", state=start.state, binding_nonce=start.binding_nonce)
    assert not service.accounts.items
