"""The browser-binding cookie of an OAuth login."""

from __future__ import annotations

import flask

from carpulse.config import get_settings

LOGIN_COOKIE = "cpt_login"


def set_login_cookie(response: flask.Response, nonce: str, max_age: int) -> None:
    """Bind a pending login to this browser (HttpOnly; Secure outside the local stack)."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=max_age,
        httponly=True,
        secure=not get_settings().is_local,
        samesite="Lax",  # sent on Tesla's top-level redirect back to the callback
        path="/",
    )


def clear_login_cookie(response: flask.Response) -> None:
    """The login is over; the cookie has no further use."""
    response.delete_cookie(LOGIN_COOKIE, path="/")
