"""Who may call an internal function: the Google-signed OIDC ID token that Cloud Tasks and Cloud
Scheduler present, verified in code (google-auth), besides IAM and internal ingress.

A call is let in only with a token that is RS256-signed by a key in the certificates document
(Google's, or the local identity stand-in's), unexpired, for exactly this function's URL (the
audience), from an accepted issuer, for the one service account allowed to call the function,
with a verified e-mail. Anything else is 401; the reason goes to the log, never to the caller.
Without an audience or caller configured every call is refused: the function fails closed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from google.auth import exceptions as auth_errors
from google.auth import jwt
from google.auth.transport import Response

from carpulse.errors import ConfigError, NotAuthenticatedError, RetryLaterError
from carpulse.logs import log_fields

log = logging.getLogger(__name__)
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
ALGORITHMS = ("RS256",)  # what Google signs ID tokens with; "none", HS256 and the rest are refused
MAX_TOKEN_CHARS = 8192
_MAX_AGE = re.compile(r"max-age=(\d+)")

Claims = Mapping[str, Any]


class HttpGet(Protocol):
    """What fetching the certificates needs of an HTTP transport (a google.auth.transport.Request)."""

    def __call__(self, url: str, *, method: str, timeout: float) -> Response: ...


class _JwtDecode(Protocol):
    def __call__(
        self, token: str, *, certs: Mapping[str, str], audience: str, clock_skew_in_seconds: int
    ) -> Claims: ...


# google-auth leaves jwt's functions unannotated; these are their documented signatures.
_decode_header: Callable[[str], Mapping[str, object]] = jwt.decode_header
_decode: _JwtDecode = jwt.decode

# Checked after the signature, expiry and audience (google.auth.jwt.decode): first failing row wins.
CLAIM_CHECKS: tuple[tuple[str, Callable[[Claims, IdTokenVerifier], bool]], ...] = (
    ("issuer not accepted", lambda claims, v: claims.get("iss") in v.issuers),
    ("not the allowed caller", lambda claims, v: claims.get("email") == v.caller),
    ("e-mail not verified", lambda claims, v: claims.get("email_verified") is True),
)


class CallerRefusedError(NotAuthenticatedError):
    """No valid ID token of the allowed caller (401; the reason is logged, not answered)."""


@dataclass(frozen=True)
class VerifiedCaller:
    """The identity a valid token proved."""

    email: str
    subject: str


class CertsCache:
    """The signing certificates ({key id: PEM}), fetched when stale or when a token names a key id
    not in them (Google rotates keys), but not more than once per `refetch_seconds` for unknown ids."""

    def __init__(
        self,
        url: str,
        http: HttpGet,
        *,
        default_ttl: float = 300.0,
        refetch_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url, self._http, self._clock = url, http, clock
        self._default_ttl, self._refetch_seconds = default_ttl, refetch_seconds
        self._certs: dict[str, str] = {}
        self._fresh_until = self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, key_id: str | None) -> dict[str, str]:
        """The certificates, refreshed first when stale or missing `key_id`."""
        with self._lock:
            now = self._clock()
            unknown = key_id is not None and key_id not in self._certs
            if now >= self._fresh_until or (unknown and now - self._fetched_at >= self._refetch_seconds):
                self._fetch(now)
            return dict(self._certs)

    def _fetch(self, now: float) -> None:
        try:
            response = self._http(self._url, method="GET", timeout=10)
        except auth_errors.TransportError as exc:
            raise RetryLaterError("the signing certificates could not be fetched", retry_after=10) from exc
        if response.status != 200:
            raise RetryLaterError(f"the signing certificates answered {response.status}", retry_after=10)
        certs = json.loads(response.data.decode())
        if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
            raise RetryLaterError("the signing certificates are not {key id: PEM}", retry_after=10)
        max_age = _MAX_AGE.search(response.headers.get("cache-control", ""))
        self._certs = certs
        self._fetched_at = now
        self._fresh_until = now + (float(max_age.group(1)) if max_age else self._default_ttl)


@dataclass
class IdTokenVerifier:
    """Verifies the bearer token of one internal function."""

    audience: str  # the function's own URL, as its caller puts it in the token
    caller: str  # the one service account allowed to call it
    issuers: tuple[str, ...]
    certs: CertsCache
    skew_seconds: int = 30

    def verify(self, token: str | None) -> VerifiedCaller:
        """The caller a valid token proves; 401 otherwise, and every call refused unconfigured."""
        if not self.audience or not self.caller or not self.issuers:
            log.error("internal endpoint without INTERNAL_AUDIENCE / INTERNAL_CALLER / OIDC_ISSUERS: refusing")
            raise ConfigError("internal endpoint is not configured (INTERNAL_AUDIENCE, INTERNAL_CALLER)")
        claims = self._claims(token)
        failed = next((reason for reason, holds in CLAIM_CHECKS if not holds(claims, self)), None)
        if failed is not None:
            raise self._refused(failed)
        return VerifiedCaller(email=str(claims["email"]), subject=str(claims.get("sub", "")))

    def _claims(self, token: str | None) -> Claims:
        if not token:
            raise self._refused("no ID token")
        if len(token) > MAX_TOKEN_CHARS:
            raise self._refused("token too long")
        try:
            header = _decode_header(token)
        except (ValueError, auth_errors.GoogleAuthError) as exc:
            raise self._refused("not a JWT") from exc
        if header.get("alg") not in ALGORITHMS:
            raise self._refused(f"algorithm {str(header.get('alg'))[:16]!r} not accepted")
        key_id = header.get("kid")
        if not isinstance(key_id, str):
            raise self._refused("no key id")
        try:
            return _decode(
                token, certs=self.certs.get(key_id), audience=self.audience, clock_skew_in_seconds=self.skew_seconds
            )
        except (ValueError, auth_errors.GoogleAuthError) as exc:
            # google-auth's message names the failed check (signature, expiry, audience), no token.
            raise self._refused(str(exc).split(",")[0][:120]) from exc

    @staticmethod
    def _refused(reason: str) -> CallerRefusedError:
        log.warning("internal call refused", extra=log_fields(reason=reason))
        return CallerRefusedError("internal endpoint: only its Cloud Tasks / Cloud Scheduler identity may call it")
