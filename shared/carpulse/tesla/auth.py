"""Tesla OAuth: authorize URL, code exchange, refresh (single-use refresh tokens), partner token."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import requests
import urllib3
from pydantic import BaseModel, ConfigDict, ValidationError

from carpulse.tesla.errors import TeslaServerError, UnexpectedResponseError, error_for
from carpulse.tesla.regions import realm_of

if TYPE_CHECKING:
    from carpulse.tesla.ports import TeslaAuth


class TokenResponse(BaseModel):
    """What Tesla's token endpoint returns."""

    model_config = ConfigDict(extra="ignore")

    access_token: str
    refresh_token: str | None = None
    id_token: str | None = None
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int = 28800
    scope: str | None = None


def jwt_claims(token: str | None) -> dict[str, object]:
    """Claims of a JWT without verifying it: used only for tokens received directly from Tesla's
    token endpoint over TLS (OIDC core 3.1.3.7 allows that), never for tokens from a caller."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


class TeslaAuthClient:
    """Talks to Tesla's auth server; holds no user state."""

    def __init__(
        self,
        *,
        auth_base_url: str,
        client_id: str,
        client_secret: Callable[[], str],
        redirect_uri: str,
        scopes: str,
        http: requests.Session,
        timeout: float = 20.0,
    ) -> None:
        self._base = auth_base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._scopes = scopes
        self._http = http
        self._timeout = timeout
        self._partner_cache: dict[str, tuple[str, float]] = {}
        self._partner_lock = threading.Lock()

    def authorize_url(self, state: str) -> str:
        """The URL the owner's browser is sent to for login and consent."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": self._redirect_uri,
                "scope": self._scopes,
                "state": state,
            }
        )
        return f"{self._base}/oauth2/v3/authorize?{query}"

    def exchange_code(self, code: str, *, audience: str) -> TokenResponse:
        """Trade an authorization code for tokens valid at `audience` (a region base URL)."""
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "client_id": self._client_id,
                "client_secret": self._client_secret(),
                "code": code,
                "redirect_uri": self._redirect_uri,
                "audience": audience,
            }
        )

    def refresh(self, refresh_token: str) -> TokenResponse:
        """Rotate tokens. The old refresh token is dead after this call, whatever happens next."""
        return self._token_request(
            {"grant_type": "refresh_token", "client_id": self._client_id, "refresh_token": refresh_token}
        )

    def partner_token(self, *, audience: str) -> str:
        """A client_credentials token for `audience`, cached until shortly before it expires."""
        with self._partner_lock:
            cached = self._partner_cache.get(audience)
            if cached and cached[1] > time.monotonic():
                return cached[0]
            token = self._token_request(
                {
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret(),
                    "scope": self._scopes.replace("offline_access", "").strip(),
                    "audience": audience,
                }
            )
            # Keep a margin so a token never expires between the cache hit and its use.
            self._partner_cache[audience] = (token.access_token, time.monotonic() + token.expires_in - 300)
            return token.access_token

    def forget_partner_token(self, audience: str) -> None:
        """Drop a cached partner token Tesla no longer accepts."""
        with self._partner_lock:
            self._partner_cache.pop(audience, None)

    def _token_request(self, body: dict[str, str]) -> TokenResponse:
        try:
            # Generous: a slow answer that rotated the tokens must arrive, not be abandoned.
            response = self._http.post(
                f"{self._base}/oauth2/v3/token", json=body, timeout=(CONNECT_TIMEOUT_SECONDS, self._timeout)
            )
        except requests.RequestException as exc:
            if _never_sent(exc):
                raise TeslaNotSentError(f"Tesla auth unreachable: {type(exc).__name__}") from exc
            raise TeslaServerError(f"Tesla auth did not answer: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise error_for(response.status_code, response.content, response.headers)
        try:
            return TokenResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise UnexpectedResponseError("Tesla token endpoint returned an unreadable body") from exc


CONNECT_TIMEOUT_SECONDS = 10.0


class TeslaNotSentError(TeslaServerError):
    """The request never left us (no connection): Tesla cannot have acted on it."""


def _never_sent(exc: requests.RequestException) -> bool:
    """A refused or timed-out connection, as opposed to a request whose answer was lost."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return True
        # requests wraps urllib3's MaxRetryError, which carries the connection error as `reason`.
        cause = getattr(cause, "reason", None) or cause.__cause__ or cause.__context__
        cause = cause if isinstance(cause, BaseException) else None
    return False


class AuthDirectory:
    """Tesla's auth clients by realm (auth.tesla.com, auth.tesla.cn), each built on first use."""

    def __init__(self, build: Callable[[str], TeslaAuth]) -> None:
        self._build = build
        self._clients: dict[str, TeslaAuth] = {}
        self._lock = threading.Lock()

    def for_realm(self, realm: str) -> TeslaAuth:
        """The client of one realm."""
        with self._lock:
            if realm not in self._clients:
                self._clients[realm] = self._build(realm)
            return self._clients[realm]

    def for_region(self, region: str) -> TeslaAuth:
        """The client whose tokens a Fleet API region accepts."""
        return self.for_realm(realm_of(region))


class PartnerTokenProvider:
    """TokenProvider with a partner (client_credentials) token for one region's audience."""

    def __init__(self, auth: TeslaAuth, audience: str) -> None:
        self._auth = auth
        self._audience = audience

    def access_token(self) -> str:
        """The cached partner token (fetched on first use)."""
        return self._auth.partner_token(audience=self._audience)

    def refresh_after_expiry(self, stale_token: str) -> str:
        """Fetch a new partner token after a 401."""
        self._auth.forget_partner_token(self._audience)
        return self._auth.partner_token(audience=self._audience)

    def revoked(self) -> None:
        """Partner tokens belong to no owner: nothing to mark."""
        return None
