"""Account tokens: decrypt, refresh single-flight, persist rotations atomically.

Tesla refresh tokens are single-use: once a refresh call reaches Tesla the old refresh token is
dead. So exactly one refresher may run per account (a Firestore lease), and its result is written
with a compare-and-swap on the token generation before anything else happens.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from carpulse.crypto import TokenCipher
from carpulse.domain import refresh_lease
from carpulse.domain.models import Account, AccountStatus
from carpulse.domain.refresh_lease import RotationWrite
from carpulse.errors import NotFoundError, ReconnectRequiredError, RetryLaterError
from carpulse.gcp.ports import AccountStore, Clock
from carpulse.logs import log_fields
from carpulse.tesla.auth import AuthDirectory, TeslaNotSentError, TokenResponse
from carpulse.tesla.errors import LoginRequiredError, TeslaError

log = logging.getLogger(__name__)

# Longer than the token endpoint's timeout (TESLA_TOKEN_TIMEOUT_SECONDS, 60 s): the lease outlives the call.
LEASE_SECONDS = 90.0


@dataclass(kw_only=True)
class TokenVault:
    """Encrypts and decrypts an account's tokens (the account id is the cipher context)."""

    cipher: TokenCipher

    def seal(self, account_id: str, token: str) -> str:
        """Encrypt one token for storage."""
        return self.cipher.encrypt(token, context=account_id)

    def open(self, account_id: str, sealed: str) -> str:
        """Decrypt one stored token."""
        return self.cipher.decrypt(sealed, context=account_id)

    def needs_rekey(self, sealed: str) -> bool:
        """Whether a stored token is sealed under anything but the current key."""
        return self.cipher.needs_rekey(sealed)

    def reseal(self, account_id: str, sealed: str) -> str:
        """The same token sealed under the current key (re-encryption after a key rotation)."""
        return self.seal(account_id, self.open(account_id, sealed))

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


@dataclass(kw_only=True)
class TokenRefresher:
    """Refreshes one account's tokens, at most one refresher at a time across all instances.

    Tesla's token endpoint gets a generous timeout, shorter than the lease. A refresh whose outcome
    is unknown (no answer, a dropped connection, a 5xx) keeps the lease until it expires, so no other
    caller reuses the old refresh token while the first call may still be rotating it. Waiters
    poll with plain reads and back off; only a free lease is contended for in a transaction.
    """

    accounts: AccountStore
    auth: AuthDirectory
    vault: TokenVault
    clock: Clock
    margin_seconds: int = 3600
    wait_for_other_seconds: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    lease_seconds: float = LEASE_SECONDS

    def refresh(self, account_id: str, *, unless_generation_above: int | None = None) -> Account:
        """Rotate the tokens (or wait for the refresher that holds the lease); returns the account."""
        deadline = time.monotonic() + self.wait_for_other_seconds
        pause = 0.25
        while True:
            current = self.accounts.get(account_id)
            if current is None:
                raise NotFoundError("account not found")
            if unless_generation_above is not None and current.token_generation > unless_generation_above:
                return current  # someone rotated while we waited: their tokens are fresh
            if refresh_lease.lease_free(current, self.clock()):
                lease_id = secrets.token_hex(8)
                taken = self.accounts.acquire_refresh_lease(account_id, self.clock(), self.lease_seconds, lease_id)
                if taken is not None:
                    return self._rotate(taken, lease_id)
            if time.monotonic() > deadline:
                held = current.refresh_lease_until
                wait = (held - self.clock()).total_seconds() if held else 10
                raise RetryLaterError("token refresh in progress elsewhere", retry_after=max(1.0, min(wait, 60.0)))
            self.sleep(pause)
            pause = min(pause * 2, 2.0)

    def _rotate(self, account: Account, lease_id: str) -> Account:
        if account.status is AccountStatus.RECONNECT_REQUIRED:
            self.accounts.release_refresh_lease(account.account_id, lease_id)
            raise ReconnectRequiredError("the Tesla account must be connected again")
        refresh_token = self.vault.open(account.account_id, account.refresh_token_enc)
        try:
            tokens = self.auth.for_region(account.region).refresh(refresh_token)
        except LoginRequiredError as exc:
            self._mark_reconnect(account, lease_id)
            raise ReconnectRequiredError("Tesla revoked access: the owner must connect again") from exc
        except TeslaError as exc:
            if outcome_unknown(exc):
                # Tesla may have rotated: keep the lease to its deadline, so the old token is not
                # reused while this call could still be completing.
                log.warning(
                    "token refresh outcome unknown; lease kept",
                    extra=log_fields(account=account.account_id, error=exc.error),
                )
                raise RetryLaterError("token refresh outcome unknown", retry_after=self.lease_seconds) from exc
            # Tesla answered and refused without rotating: the old refresh token is still valid.
            self.accounts.release_refresh_lease(account.account_id, lease_id)
            raise RetryLaterError(f"token refresh failed: {exc.error}", retry_after=exc.retry_after or 30) from exc
        changes = self.vault.rotation(account.account_id, tokens, self.clock())
        outcome = self._persist(account, lease_id, changes)
        if outcome == "gone":
            raise NotFoundError("account not found")
        if outcome == "superseded":
            log.warning("rotated tokens superseded by a reconnect", extra=log_fields(account=account.account_id))
        elif outcome == "rescued":
            log.warning("rotated tokens stored after the lease ran out", extra=log_fields(account=account.account_id))
        else:
            log.info("tokens rotated", extra=log_fields(account=account.account_id))
        updated = self.accounts.get(account.account_id)
        if updated is None:
            raise NotFoundError("account not found")
        return updated

    def _mark_reconnect(self, account: Account, lease_id: str) -> None:
        self.accounts.update(
            account.account_id,
            {
                "status": AccountStatus.RECONNECT_REQUIRED.value,
                "refresh_lease_until": None,
                "refresh_lease_id": None,
                "updated_at": self.clock(),
            },
        )
        log.error("tesla grant lost; the owner must connect again", extra=log_fields(account=account.account_id))

    def _persist(self, account: Account, lease_id: str, changes: dict[str, object]) -> RotationWrite:
        # The new refresh token exists only in memory now: retry the write before giving up.
        for attempt in range(6):
            try:
                return self.accounts.store_rotated_tokens(
                    account.account_id, lease_id, account.token_generation, changes
                )
            except Exception:
                if attempt == 5:
                    log.error("rotated tokens could not be stored", extra=log_fields(account=account.account_id))
                    raise
                self.sleep(0.2 * 2**attempt)
        return "gone"


def outcome_unknown(exc: TeslaError) -> bool:
    """Whether Tesla may have rotated the tokens even though we saw no answer (or a 5xx)."""
    if isinstance(exc, TeslaNotSentError):
        return False
    return exc.status is None or exc.status >= 500


@dataclass(kw_only=True)
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
