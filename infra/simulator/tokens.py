"""OAuth state: authorization codes, grants, access and refresh tokens (thread-safe, hashed at rest).

Tesla semantics reproduced here: codes are single-use and bound to client_id + redirect_uri; refresh
tokens are single-use and rotate; presenting a used refresh token revokes the whole grant, so every
token of that grant then answers login_required.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

Clock = Callable[[], float]


class OAuthError(Exception):
    """A token-endpoint failure with Tesla's status code and error enum."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class TokenStatus(Enum):
    """Outcome of checking a bearer token."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass
class Grant:
    """One consent (user) or one client_credentials issue (partner); tokens hang off it."""

    id: str
    client_id: str
    scopes: frozenset[str]
    kind: str  # "user" or "partner"
    audience: str | None = None
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    challenge: str | None = None  # PKCE code_challenge, already in S256 form or plain
    challenge_method: str = "plain"
    used: bool = False

    def verifier_matches(self, verifier: str | None) -> bool:
        """PKCE check (RFC 7636); codes issued without a challenge need no verifier."""
        if self.challenge is None:
            return True
        if not verifier:
            return False
        if self.challenge_method == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return secrets.compare_digest(verifier, self.challenge)


@dataclass
class _Token:
    grant_id: str
    expires_at: float
    used: bool = False  # refresh tokens only


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint returns."""

    access_token: str
    id_token: str
    expires_in: int
    refresh_token: str | None = None


@dataclass(frozen=True)
class AuthResult:
    """Result of authenticating a bearer token; grant is set only when status is OK."""

    status: TokenStatus
    grant: Grant | None = None


def _hash(token: str) -> str:
    # Only hashes are kept, so a state dump or debugger never shows a usable token.
    return hashlib.sha256(token.encode()).hexdigest()


def _opaque(prefix: str = "eyJ") -> str:
    # Tesla's tokens are JWTs starting with "ey"; ours are opaque but look alike for length/prefix checks.
    return prefix + secrets.token_urlsafe(48)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


@dataclass
class TokenStore:
    """All OAuth state of the simulator, guarded by one lock."""

    clock: Clock
    access_ttl: int
    refresh_ttl: int
    code_ttl: int
    # Tesla's `sub` names the user, the same across logins; the scenario has one user.
    user_subject: str = "simulated-user"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _grants: dict[str, Grant] = field(default_factory=dict)
    _access: dict[str, _Token] = field(default_factory=dict)
    _refresh: dict[str, _Token] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget every code, grant and token."""
        with self._lock:
            self._codes.clear()
            self._grants.clear()
            self._access.clear()
            self._refresh.clear()

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: frozenset[str],
        challenge: str | None = None,
        challenge_method: str = "plain",
    ) -> str:
        """Create a single-use authorization code after consent (optionally PKCE-bound)."""
        code = secrets.token_urlsafe(32)
        expires_at = self.clock() + self.code_ttl
        with self._lock:
            self._codes[_hash(code)] = _Code(client_id, redirect_uri, scopes, expires_at, challenge, challenge_method)
        return code

    def exchange_code(
        self, client_id: str, code: str, redirect_uri: str, audience: str | None, verifier: str | None = None
    ) -> TokenSet:
        """authorization_code grant: check the code (and PKCE verifier), then open a user grant."""
        with self._lock:
            entry = self._codes.get(_hash(code))
            if entry is None or entry.used or entry.client_id != client_id or entry.expires_at <= self.clock():
                raise OAuthError(400, "invalid_auth_code", "The code is invalid, used or expired.")
            if entry.redirect_uri != redirect_uri:
                raise OAuthError(400, "invalid_redirect_url", "redirect_uri does not match the authorize call.")
            if not entry.verifier_matches(verifier):
                raise OAuthError(400, "invalid_auth_code", "code_verifier does not match the code_challenge.")
            entry.used = True
            grant = self._new_grant(client_id, entry.scopes, "user", audience)
            return self._issue(grant)

    def refresh(self, client_id: str, refresh_token: str) -> TokenSet:
        """refresh_token grant: rotate; a reused token revokes its grant (Tesla's login_required)."""
        with self._lock:
            entry = self._refresh.get(_hash(refresh_token))
            grant = self._grants.get(entry.grant_id) if entry else None
            if entry is None or grant is None or grant.client_id != client_id:
                raise OAuthError(401, "login_required", "Unknown refresh token.")
            if grant.revoked:
                raise OAuthError(401, "login_required", "The grant was revoked; the user must consent again.")
            if entry.used:
                grant.revoked = True
                raise OAuthError(401, "login_required", "The refresh_token has already been used.")
            if entry.expires_at <= self.clock():
                raise OAuthError(401, "login_required", "The refresh_token has expired.")
            entry.used = True
            return self._issue(grant)

    def client_credentials(self, client_id: str, scopes: frozenset[str], audience: str | None) -> TokenSet:
        """client_credentials grant: a partner token without a refresh token."""
        with self._lock:
            grant = self._new_grant(client_id, scopes, "partner", audience)
            return self._issue(grant)

    def authenticate(self, access_token: str) -> AuthResult:
        """Classify a bearer token: unknown, expired, revoked (login_required) or OK with its grant."""
        with self._lock:
            entry = self._access.get(_hash(access_token))
            if entry is None:
                return AuthResult(TokenStatus.UNKNOWN)
            grant = self._grants[entry.grant_id]
            if grant.revoked:
                return AuthResult(TokenStatus.REVOKED)
            if entry.expires_at <= self.clock():
                return AuthResult(TokenStatus.EXPIRED)
            return AuthResult(TokenStatus.OK, grant)

    def expire_access_tokens(self) -> int:
        """Expire every live access token now (tests drive the 401-refresh path); returns how many."""
        with self._lock:
            now = self.clock()
            live = [t for t in self._access.values() if t.expires_at > now]
            for token in live:
                token.expires_at = now
            return len(live)

    def revoke_grants(self) -> int:
        """Revoke every grant, as if the owner removed the app's access; returns how many."""
        with self._lock:
            live = [g for g in self._grants.values() if not g.revoked]
            for grant in live:
                grant.revoked = True
            return len(live)

    def counts(self) -> dict[str, int]:
        """Numbers only (never tokens) for the control API."""
        with self._lock:
            now = self.clock()
            return {
                "grants": len(self._grants),
                "revoked_grants": sum(g.revoked for g in self._grants.values()),
                "live_access_tokens": sum(
                    t.expires_at > now and not self._grants[t.grant_id].revoked for t in self._access.values()
                ),
            }

    def _new_grant(self, client_id: str, scopes: frozenset[str], kind: str, audience: str | None) -> Grant:
        grant = Grant(secrets.token_hex(8), client_id, scopes, kind, audience)
        self._grants[grant.id] = grant
        return grant

    def _issue(self, grant: Grant) -> TokenSet:
        now = self.clock()
        access = _opaque()
        self._access[_hash(access)] = _Token(grant.id, now + self.access_ttl)
        refresh = None
        # Tesla only hands out refresh tokens to user grants that asked for offline_access.
        if grant.kind == "user" and "offline_access" in grant.scopes:
            refresh = _opaque("eyR")
            self._refresh[_hash(refresh)] = _Token(grant.id, now + self.refresh_ttl)
        claims = {
            "iss": "tesla-fleet-simulator",
            "aud": grant.client_id,
            "sub": self.user_subject if grant.kind == "user" else grant.client_id,
            "iat": int(now),
            "exp": int(now + self.access_ttl),
        }
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.{secrets.token_urlsafe(16)}"
        return TokenSet(access, id_token, self.access_ttl, refresh)
