"""OAuth login: state is single-use, short-lived and browser-bound; a refused login stores nothing."""

import pytest

from carpulse.config import Settings
from carpulse.crypto import TokenCipher, new_encryption_key
from carpulse.errors import ConsentDeniedError, InvalidLoginCodeError, InvalidRequestError, InvalidStateError
from carpulse.services.connect import ConnectService
from carpulse.services.sessions import SessionService
from carpulse.services.tokens import TokenVault
from carpulse.tesla.auth import AuthDirectory
from carpulse.tesla.ports import RegionApi
from carpulse.tesla.schemas import UserRegion
from tests.fakes import FakeAccounts, FakeClock, FakeLoginCodes, FakeSessions, FakeStates, FakeTeslaAuth


class FakeRegion(RegionApi):
    def user_region(self) -> UserRegion:
        return UserRegion(region="eu", fleet_api_base_url="https://fleet-eu.example")


class ObservedConnect(ConnectService):
    """The service under test, with the fakes the tests look into."""

    clock_: FakeClock
    sessions: FakeSessions
    session_service: SessionService
    realms: dict[str, FakeTeslaAuth]


def _service(settings):
    clock = FakeClock()
    accounts = FakeAccounts()
    sessions = FakeSessions()
    session_service = SessionService(
        codes=FakeLoginCodes(),
        sessions=sessions,
        accounts=accounts,
        clock=clock,
        code_ttl_seconds=60,
        session_ttl_seconds=3600,
    )
    realms = {"global": FakeTeslaAuth("auth.example"), "cn": FakeTeslaAuth("auth.example.cn")}
    # The fakes have just the methods of the Tesla ports that the service calls.
    svc = ObservedConnect(
        settings=settings,
        states=FakeStates(),
        accounts=accounts,
        auth=AuthDirectory(lambda realm: realms[realm]),
        vault=TokenVault(cipher=TokenCipher(new_encryption_key())),
        fleet_for=lambda base, tokens: FakeRegion(),
        issue_login_code=session_service.issue_login_code,
        clock=clock,
    )
    svc.clock_ = clock
    svc.sessions = sessions
    svc.session_service = session_service
    svc.realms = realms
    return svc


@pytest.fixture
def service():
    regions = {"eu": "https://fleet-eu.example", "na": "https://fleet-na.example", "cn": "https://fleet-cn.example"}
    return _service(Settings(tesla_region_base_urls=regions))


def test_successful_login_stores_encrypted_tokens_and_hands_out_a_one_time_code(service):
    start = service.start_login()
    done = service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    account = service.accounts.get(done.account_id)
    assert account.region == "eu"
    assert "access-1" not in account.access_token_enc
    assert service.vault.open(account.account_id, account.refresh_token_enc) == "refresh-1"
    assert service.realms["global"].exchanged == [("good", "https://fleet-eu.example")]
    assert not service.sessions.items  # no session until the frontend trades the code
    opened = service.session_service.open(done.login_code)
    assert opened.session_token not in service.sessions.items  # stored only as a hash
    assert len(service.sessions.items) == 1
    assert service.session_service.authenticate(opened.session_token).account_id == done.account_id
    with pytest.raises(InvalidLoginCodeError):
        service.session_service.open(done.login_code)  # single use


def test_login_code_expires_after_its_ttl(service):
    start = service.start_login()
    done = service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    service.clock_.advance(61)
    with pytest.raises(InvalidLoginCodeError):
        service.session_service.open(done.login_code)
    assert not service.sessions.items


def test_china_logs_in_at_its_own_auth_server_only_when_configured(service):
    with pytest.raises(InvalidRequestError) as caught:
        service.start_login("cn")
    assert "region" in caught.value.messages
    regions = {"eu": "https://fleet-eu.example", "cn": "https://fleet-cn.example"}
    china = _service(Settings(tesla_region_base_urls=regions, tesla_cn_client_id="cn-app"))
    start = china.start_login("cn")
    assert start.authorize_url.startswith("https://auth.example.cn/")
    china.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    assert china.realms["cn"].exchanged == [("good", "https://fleet-cn.example")]
    assert not china.realms["global"].exchanged


def test_replayed_state_is_refused_and_stores_nothing_more(service):
    start = service.start_login()
    service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    with pytest.raises(InvalidStateError):
        service.complete_login(code="good", state=start.state, binding_nonce=start.binding_nonce)
    assert len(service.session_service.codes.items) == 1  # only the first login handed out a code
    assert len(service.realms["global"].exchanged) == 1


@pytest.mark.parametrize(
    ("state", "nonce"),
    [("unknown", "whatever"), (None, None)],
)
def test_unknown_state_is_refused(service, state, nonce):
    with pytest.raises((InvalidStateError, InvalidRequestError)) as caught:
        service.complete_login(code="good", state=state, binding_nonce=nonce)
    assert caught.value.error in ("invalid_state", "invalid_request")
    assert not service.accounts.items
    assert not service.sessions.items
    assert not service.realms["global"].exchanged


def test_state_from_another_browser_is_refused(service):
    start = service.start_login()
    with pytest.raises(InvalidStateError):
        service.complete_login(code="good", state=start.state, binding_nonce="someone-elses-cookie")
    assert not service.accounts.items
    assert not service.realms["global"].exchanged


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
