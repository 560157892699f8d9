"""Connecting an owner's Tesla account: OAuth initiate and callback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel

from carpulse.config import Settings
from carpulse.crypto import constant_time_equals, random_token, sha256_hex
from carpulse.domain.models import Account, AccountStatus, OAuthState
from carpulse.errors import ConsentDeniedError, InvalidRequestError, InvalidStateError, UpstreamError
from carpulse.gcp.ports import AccountStore, Clock, OAuthStateStore
from carpulse.logs import log_fields
from carpulse.services.tokens import TokenVault
from carpulse.tesla.auth import AuthDirectory, TokenResponse, jwt_claims
from carpulse.tesla.client import TokenProvider
from carpulse.tesla.errors import TeslaBadRequestError, TeslaError
from carpulse.tesla.ports import RegionApi
from carpulse.tesla.regions import CN_REALM, GLOBAL_REALM

log = logging.getLogger(__name__)


class LoginStart(BaseModel):
    """What the initiate endpoint hands back."""

    authorize_url: str
    state: str
    binding_nonce: str  # goes into an HttpOnly cookie; the callback must present it
    expires_in: int


class Connected(BaseModel):
    """Result of a successful callback: the frontend trades `login_code` for a session."""

    account_id: str
    login_code: str
    region: str


# What an owner may ask for at initiate: China logs in at its own auth server; everyone else at
# the global one, whatever their Fleet region turns out to be.
REALM_FOR_CHOICE = {"global": GLOBAL_REALM, "na": GLOBAL_REALM, "eu": GLOBAL_REALM, "cn": CN_REALM}


class _StaticToken:
    """TokenProvider for the few calls made right after the code exchange."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh_after_expiry(self, stale_token: str) -> str:
        raise UpstreamError("Tesla rejected a token it had just issued")

    def revoked(self) -> None:
        return None  # nothing stored yet


@dataclass(kw_only=True)
class ConnectService:
    """OAuth login: single-use, short-lived, browser-bound state; tokens stored encrypted."""

    settings: Settings
    states: OAuthStateStore
    accounts: AccountStore
    auth: AuthDirectory
    vault: TokenVault
    fleet_for: Callable[[str, TokenProvider], RegionApi]
    issue_login_code: Callable[[str], str]
    clock: Clock

    def start_login(self, region: str | None = None) -> LoginStart:
        """Create a pending login and the Tesla authorize URL (China's own server for `cn`)."""
        realm = REALM_FOR_CHOICE.get((region or "global").lower())
        if realm is None or realm not in self.settings.auth_realms:
            offered = ", ".join(k for k, v in REALM_FOR_CHOICE.items() if v in self.settings.auth_realms)
            raise InvalidRequestError("unknown Tesla region", messages={"region": [f"must be one of {offered}"]})
        state, nonce = random_token(), random_token()
        now = self.clock()
        ttl = self.settings.oauth_state_ttl_seconds
        self.states.put(
            sha256_hex(state),
            OAuthState(
                binding_hash=sha256_hex(nonce),
                auth_realm=realm,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            ),
        )
        return LoginStart(
            authorize_url=self.auth.for_realm(realm).authorize_url(state),
            state=state,
            binding_nonce=nonce,
            expires_in=ttl,
        )

    def complete_login(
        self, *, code: str | None, state: str | None, binding_nonce: str | None, error: str | None = None
    ) -> Connected:
        """Check the state, exchange the code, find the region, store the account, open a session."""
        if not state:
            raise InvalidRequestError("missing state", messages={"state": ["is required"]})
        pending = self.states.consume(sha256_hex(state))  # consumed even if what follows fails
        if pending is None:
            raise InvalidStateError("unknown, expired or already used login state")
        if pending.expires_at <= self.clock():
            raise InvalidStateError("the login took too long; start again")
        if not binding_nonce or not constant_time_equals(sha256_hex(binding_nonce), pending.binding_hash):
            raise InvalidStateError("this login was started in another browser")
        if error:
            raise ConsentDeniedError("the owner did not grant access at Tesla")
        if not code:
            raise InvalidRequestError("missing code", messages={"code": ["is required"]})

        realm = self.settings.auth_realm(pending.auth_realm)
        default_base = self.settings.region_base_url(realm.default_region)
        try:
            tokens = self.auth.for_realm(realm.name).exchange_code(code, audience=default_base)
        except TeslaBadRequestError as exc:
            raise InvalidStateError(f"Tesla refused the authorization code ({exc.tesla_error or exc.status})") from exc
        except TeslaError as exc:
            raise UpstreamError(f"Tesla token exchange failed ({exc.error})") from exc
        region, base_url = self._discover_region(tokens.access_token, default_base, realm.default_region)
        account = self._store_account(tokens, region, base_url)
        login_code = self.issue_login_code(account.account_id)
        log.info("account connected", extra=log_fields(account=account.account_id, region=region))
        return Connected(account_id=account.account_id, login_code=login_code, region=region)

    def _discover_region(self, access_token: str, default_base: str, default_region: str) -> tuple[str, str]:
        fleet = self.fleet_for(default_base, _StaticToken(access_token))
        try:
            found = fleet.user_region()
        except TeslaError as exc:
            raise UpstreamError(f"could not discover the Tesla region ({exc.error})") from exc
        region = (found.region or default_region).lower()
        configured = self.settings.tesla_region_base_urls.get(region)
        # Our own table wins: a base URL from a response is only used for a region we do not know.
        return region, configured or found.fleet_api_base_url or default_base

    def _store_account(self, tokens: TokenResponse, region: str, base_url: str) -> Account:
        if not tokens.refresh_token:
            raise UpstreamError("Tesla issued no refresh token (offline_access scope missing)")
        subject = jwt_claims(tokens.id_token).get("sub") or jwt_claims(tokens.access_token).get("sub")
        # Same Tesla user → same account; without a subject every connect is a new account.
        account_id = "acc_" + (sha256_hex(f"tesla:{subject}")[:24] if subject else random_token(12))
        now = self.clock()
        account = Account(
            account_id=account_id,
            region=region,
            fleet_api_base_url=base_url,
            status=AccountStatus.ACTIVE,
            scopes=tuple((tokens.scope or self.settings.tesla_scopes).split()),
            access_token_enc=self.vault.seal(account_id, tokens.access_token),
            refresh_token_enc=self.vault.seal(account_id, tokens.refresh_token),
            token_expires_at=now + timedelta(seconds=tokens.expires_in),
            created_at=now,
            updated_at=now,
        )
        return self.accounts.save_connected(account)
