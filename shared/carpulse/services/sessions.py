"""Frontend sessions: the one-time login code handed out by the callback, the session it is traded
for, the bearer check of every API call, and logout.

The session token never travels in a URL. The callback redirects the browser to the frontend with
a one-time code in the fragment; the frontend posts that code here and receives the token in a
response body. Codes and tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from carpulse.crypto import random_token, sha256_hex
from carpulse.domain.models import Account, LoginCode, Session
from carpulse.errors import InvalidLoginCodeError, NotAuthenticatedError
from carpulse.gcp.ports import AccountStore, Clock, LoginCodeStore, SessionStore
from carpulse.logs import log_fields

log = logging.getLogger(__name__)


class OpenedSession(BaseModel):
    """What POST /api/v1/session answers."""

    session_token: str
    expires_at: datetime


@dataclass(kw_only=True)
class SessionService:
    """Login codes → sessions → accounts."""

    codes: LoginCodeStore
    sessions: SessionStore
    accounts: AccountStore
    clock: Clock
    code_ttl_seconds: int
    session_ttl_seconds: int

    def issue_login_code(self, account_id: str) -> str:
        """A single-use code for a just-connected account, valid for `code_ttl_seconds`."""
        code = random_token()
        now = self.clock()
        self.codes.put(
            sha256_hex(code),
            LoginCode(account_id=account_id, created_at=now, expires_at=now + timedelta(seconds=self.code_ttl_seconds)),
        )
        return code

    def open(self, code: str) -> OpenedSession:
        """Trade a login code for a session token (the code is spent even if it had expired)."""
        found = self.codes.consume(sha256_hex(code))
        now = self.clock()
        if found is None or found.expires_at <= now:
            raise InvalidLoginCodeError("this login code is unknown, expired or already used; connect again")
        if self.accounts.get(found.account_id) is None:
            raise InvalidLoginCodeError("the account of this login was disconnected; connect again")
        token = random_token()
        expires_at = now + timedelta(seconds=self.session_ttl_seconds)
        self.sessions.put(
            sha256_hex(token), Session(account_id=found.account_id, created_at=now, expires_at=expires_at)
        )
        log.info("session opened", extra=log_fields(account=found.account_id))
        return OpenedSession(session_token=token, expires_at=expires_at)

    def authenticate(self, session_token: str | None) -> Account:
        """The account behind a bearer session token."""
        if not session_token:
            raise NotAuthenticatedError("missing bearer session token")
        session = self.sessions.get(sha256_hex(session_token))
        if session is None or session.expires_at <= self.clock():
            raise NotAuthenticatedError("unknown or expired session")
        account = self.accounts.get(session.account_id)
        if account is None:
            raise NotAuthenticatedError("the account of this session was disconnected")
        return account

    def close(self, session_token: str | None) -> None:
        """Log out this session only (other browsers of the owner stay signed in)."""
        account = self.authenticate(session_token)
        self.sessions.delete(sha256_hex(session_token or ""))
        log.info("session closed", extra=log_fields(account=account.account_id))
