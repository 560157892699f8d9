"""Re-encryption after a token-key rotation: every account's tokens moved to the current key.

Run (`make reencrypt ENV=…`) once every instance seals with the new key: the keyring says when it
was rotated and instances re-read it every TOKEN_KEYRING_REFRESH_SECONDS, so a run before that is
refused (an instance still on the old ring could seal a rotated token under the old key after we
moved it). A swap only replaces ciphertexts that are unchanged since they were read; an account
whose tokens were rotated meanwhile is looked at again, up to `passes` times. The report's `left`
is what still is not under the current key: 0 means the previous key can be retired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel

from carpulse.errors import ConfigError, RetryLaterError
from carpulse.gcp.ports import Clock, SealedTokens, TokenRekeyStore
from carpulse.keyring import TokenKeyring
from carpulse.logs import log_fields
from carpulse.services.tokens import TokenVault

log = logging.getLogger(__name__)


class RekeyReport(BaseModel):
    """What one re-encryption did."""

    current_key: str
    accounts: int
    moved: int
    already_current: int
    unreadable: list[str] = []  # account ids whose tokens no key of the ring opens
    left: int  # accounts still not under the current key


@dataclass
class TokenRekeyer:
    """Moves every account's token ciphertexts to the current key."""

    store: TokenRekeyStore
    vault: TokenVault
    keyring: TokenKeyring  # as read for this run (when it was rotated)
    clock: Clock
    refresh_seconds: float = 300.0
    passes: int = 3
    _unreadable: set[str] = field(default_factory=set, init=False)

    def run(self, *, force: bool = False) -> RekeyReport:
        """One re-encryption of every account; refused until every instance re-read the keyring."""
        rotated = self.keyring.rotated_at
        ready_at = rotated + timedelta(seconds=self.refresh_seconds) if rotated else None
        if not force and ready_at is not None and self.clock() < ready_at:
            wait = (ready_at - self.clock()).total_seconds()
            raise RetryLaterError(
                f"the keyring was rotated less than {self.refresh_seconds:.0f} s ago: instances may still seal "
                f"with the previous key; run again in {wait:.0f} s (or after a deploy, with --force)",
                retry_after=wait,
            )
        moved = already = 0
        pending = list(self.store.sealed_tokens())
        total = len(pending)
        for _ in range(self.passes):
            raced: list[str] = []
            for sealed in pending:
                outcome = self._move(sealed)
                moved += outcome == "moved"
                already += outcome == "current"
                if outcome == "raced":
                    raced.append(sealed.account_id)
            if not raced:
                break
            pending = [s for s in self.store.sealed_tokens() if s.account_id in raced]
        left = sum(1 for s in self.store.sealed_tokens() if self._stale(s))
        report = RekeyReport(
            current_key=self.vault.cipher.current_key_id,
            accounts=total,
            moved=moved,
            already_current=already,
            unreadable=sorted(self._unreadable),
            left=left,
        )
        log.info("tokens re-encrypted", extra=log_fields(**report.model_dump(exclude={"unreadable"})))
        return report

    def _stale(self, sealed: SealedTokens) -> bool:
        return self.vault.needs_rekey(sealed.access_token_enc) or self.vault.needs_rekey(sealed.refresh_token_enc)

    def _move(self, sealed: SealedTokens) -> str:
        if not self._stale(sealed):
            return "current"
        try:
            replacement = sealed.model_copy(
                update={
                    "access_token_enc": self.vault.reseal(sealed.account_id, sealed.access_token_enc),
                    "refresh_token_enc": self.vault.reseal(sealed.account_id, sealed.refresh_token_enc),
                }
            )
        except ConfigError:
            # No key of the ring opens it: the owner will have to connect again; say which account.
            log.error("stored tokens do not decrypt with any key", extra=log_fields(account=sealed.account_id))
            self._unreadable.add(sealed.account_id)
            return "unreadable"
        return "moved" if self.store.swap_sealed(sealed, replacement) else "raced"
