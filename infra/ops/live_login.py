"""The full Tesla login for `make live-check` without TOKEN, as the integration guide's live script
does with --client-id/--client-secret.

The first run prints Tesla's authorize URL for the registered redirect URI; the operator logs in
in a browser, and pastes back the URL Tesla redirected to (our callback refuses it: its state is
not one of ours, which is fine — only the code in it matters here). The code is exchanged, and
the tokens are kept in a git-ignored file only the operator can read. A later run uses them and,
once the access token is due, refreshes them: the refresh token is single use, so the rotated
pair is written (atomically) before anything else happens.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from pydantic import BaseModel

from carpulse.tesla.auth import TeslaAuthClient, TokenResponse


class LoginError(RuntimeError):
    """The login could not be completed; the message says why (never a token)."""


class SavedTokens(BaseModel):
    """What the token file holds."""

    region: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime


@dataclass(kw_only=True)
class LiveLogin:
    """Gets a usable user access token for one region: saved, refreshed, or by a new login."""

    auth: TeslaAuthClient
    region: str
    audience: str  # the region's Fleet API base URL
    token_file: Path
    ask: Callable[[str], str]  # shows the authorize URL, returns the pasted redirect URL
    say: Callable[[str], None] = print
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def access_token(self) -> str:
        """A token that is valid for at least a few minutes."""
        saved = self._load()
        if saved is not None and saved.expires_at > self.now() + timedelta(minutes=5):
            self.say(f"using the saved token ({self.token_file}), valid until {saved.expires_at:%Y-%m-%d %H:%M} UTC")
            return saved.access_token
        if saved is not None and saved.refresh_token:
            self.say("the saved token is due: refreshing it (the refresh token rotates)")
            return self._store(self.auth.refresh(saved.refresh_token)).access_token
        return self._store(self._login()).access_token

    def _login(self) -> TokenResponse:
        state = secrets.token_urlsafe(24)
        pasted = self.ask(self.auth.authorize_url(state)).strip()
        query = parse_qs(urlparse(pasted).query)
        if query.get("error"):
            raise LoginError(f"Tesla answered {query['error'][0]}: the login was not granted")
        if query.get("state", [""])[0] != state:
            raise LoginError("the pasted URL belongs to another login (its state differs); run again")
        code = query.get("code", [""])[0]
        if not code:
            raise LoginError("the pasted URL carries no code; paste the whole address Tesla redirected to")
        return self.auth.exchange_code(code, audience=self.audience)

    def _load(self) -> SavedTokens | None:
        if not self.token_file.is_file():
            return None
        saved = SavedTokens.model_validate_json(self.token_file.read_text())
        return saved if saved.region == self.region else None

    def _store(self, tokens: TokenResponse) -> SavedTokens:
        saved = SavedTokens(
            region=self.region,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=self.now() + timedelta(seconds=tokens.expires_in),
        )
        self.token_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.token_file.with_suffix(".tmp")
        # Owner-only from the first byte, then an atomic rename: never a half-written token file.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(json.dumps(saved.model_dump(mode="json")))
        os.replace(temporary, self.token_file)
        self.say(f"token saved to {self.token_file} (owner-only; git-ignored)")
        return saved
