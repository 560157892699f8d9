"""Account tokens: decrypt, refresh single-flight, persist rotations atomically.

Tesla refresh tokens are single-use: once a refresh call reaches Tesla the old refresh token is
dead. So exactly one refresher may run per account (a Firestore lease), and its result is written
with a compare-and-swap on the token generation before anything else happens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from carpulse.crypto import TokenCipher
from carpulse.domain.models import Account, AccountStatus
from carpulse.errors import NotFoundError, ReconnectRequiredError, RetryLaterError
from carpulse.gcp.ports import AccountStore, Clock
from carpulse.logs import log_fields
from carpulse.tesla.auth import AuthDirectory, TokenResponse
from carpulse.tesla.errors import LoginRequiredError, TeslaError

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0


@dataclass
class TokenVault:
    """Encrypts and decrypts an account's tokens (the account id is the cipher context)."""

    cipher: TokenCipher

    def seal(self, account_id: str, token: str) -> str:
        """Encrypt one token for storage."""
        return self.cipher.encrypt(token, context=account_id)

    def open(self, account_id: str, sealed: str) -> str:
        """Decrypt one stored token."""
        return self.cipher.decrypt(sealed, context=account_id)

    def rotation(self, account_id: str, tokens: TokenResponse, now: datetime) -> dict[str, object]:
        """Fields to store after Tesla issued new tokens."""
        changes: dict[str, object] = {
            "access_token_enc": self.seal(account_id, tokens.access_token),
            "token_expires_at": now + timedelta(seconds=tokens.expires_in),
            "refresh_lease_until": None,
            "updated_at": now,
            "status": AccountStatus.ACTIVE.value,
        }
        if tokens.refresh_token:
            changes["refresh_token_enc"] = self.seal(account_id, tokens.refresh_token)
        return changes


@dataclass
class TokenRefresher:
    """Refreshes one account's tokens, at most one refresher at a time across all instances."""

    accounts: AccountStore
    auth: AuthDirectory
    vault: TokenVault
    clock: Clock
    margin_seconds: int = 3600
    wait_for_other_seconds: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def refresh(self, account_id: str, *, unless_generation_above: int | None = None) -> Account:
        """Rotate the tokens (or wait for the refresher that holds the lease); returns the account."""
        deadline = time.monotonic() + self.wait_for_other_seconds
        while True:
            account = self.accounts.acquire_refresh_lease(account_id, self.clock(), LEASE_SECONDS)
            if account is not None:
                if unless_generation_above is not None and account.token_generation > unless_generation_above:
                    # Someone rotated while we waited: their tokens are fresh, ours not needed.
                    self.accounts.update(account_id, {"refresh_lease_until": None})
                    return account
                return self._rotate(account)
            current = self.accounts.get(account_id)
            if current is None:
                raise NotFoundError("account not found")
            if unless_generation_above is not None and current.token_generation > unless_generation_above:
                return current
            if time.monotonic() > deadline:
                raise RetryLaterError("token refresh in progress elsewhere", retry_after=10)
            self.sleep(0.25)

    def _rotate(self, account: Account) -> Account:
        if account.status is AccountStatus.RECONNECT_REQUIRED:
            self.accounts.update(account.account_id, {"refresh_lease_until": None})
            raise ReconnectRequiredError("the Tesla account must be connected again")
        refresh_token = self.vault.open(account.account_id, account.refresh_token_enc)
        try:
            tokens = self.auth.for_region(account.region).refresh(refresh_token)
        except LoginRequiredError as exc:
            self.accounts.update(
                account.account_id,
                {
                    "status": AccountStatus.RECONNECT_REQUIRED.value,
                    "refresh_lease_until": None,
                    "updated_at": self.clock(),
                },
            )
            log.warning("tesla grant revoked; reconnect needed", extra=log_fields(account=account.account_id))
            raise ReconnectRequiredError("Tesla revoked access: the owner must connect again") from exc
        except TeslaError as exc:
            # Tesla did not rotate: the old refresh token is still valid, so just free the lease.
            self.accounts.update(account.account_id, {"refresh_lease_until": None})
            raise RetryLaterError(f"token refresh failed: {exc.error}", retry_after=exc.retry_after or 30) from exc
        changes = self.vault.rotation(account.account_id, tokens, self.clock())
        if not self._persist(account, changes):
            # Cannot happen while we hold the lease unless the account was deleted meanwhile.
            log.error("rotated tokens could not be stored", extra=log_fields(account=account.account_id))
            raise RetryLaterError("token rotation could not be stored")
        log.info("tokens rotated", extra=log_fields(account=account.account_id))
        updated = self.accounts.get(account.account_id)
        if updated is None:
            raise NotFoundError("account not found")
        return updated

    def _persist(self, account: Account, changes: dict[str, object]) -> bool:
        # The new refresh token exists only in memory now: retry the write before giving up.
        for attempt in range(5):
            try:
                return self.accounts.store_rotated_tokens(account.account_id, account.token_generation, changes)
            except Exception:
                if attempt == 4:
                    raise
                self.sleep(0.2 * (attempt + 1))
        return False


@dataclass
class AccountTokenProvider:
    """TokenProvider of one account for the Fleet client: refreshes ahead of expiry and after 401."""

    account_id: str
    accounts: AccountStore
    refresher: TokenRefresher
    vault: TokenVault
    clock: Clock
    _account: Account | None = field(default=None, init=False)

    def account(self) -> Account:
        """The account as last read or written."""
        if self._account is None:
            self._account = self.accounts.get(self.account_id)
            if self._account is None:
                raise NotFoundError("account not found")
        return self._account

    def access_token(self) -> str:
        """A usable access token, refreshed first if it is about to expire."""
        account = self.account()
        if account.status is AccountStatus.RECONNECT_REQUIRED:
            raise ReconnectRequiredError("the Tesla account must be connected again")
        if account.token_expires_at <= self.clock() + timedelta(seconds=60):
            account = self._account = self.refresher.refresh(
                self.account_id, unless_generation_above=account.token_generation
            )
        return self.vault.open(self.account_id, account.access_token_enc)

    def revoked(self) -> None:
        """Tesla answered login_required on an API call: mark the account for re-consent."""
        self.accounts.update(
            self.account_id,
            {"status": AccountStatus.RECONNECT_REQUIRED.value, "updated_at": self.clock()},
        )
        log.warning("tesla grant revoked; reconnect needed", extra=log_fields(account=self.account_id))

    def refresh_after_expiry(self, stale_token: str) -> str:
        """After a 401: refresh unless another process already did."""
        account = self.account()
        self._account = self.refresher.refresh(self.account_id, unless_generation_above=account.token_generation)
        fresh = self.vault.open(self.account_id, self._account.access_token_enc)
        if fresh == stale_token:
            raise ReconnectRequiredError("Tesla rejected a freshly refreshed token")
        return fresh
