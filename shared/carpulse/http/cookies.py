"""The browser-binding cookie of an OAuth login.

In the cloud it is a `__Host-` cookie: Secure, Path=/, no Domain, so only the API host itself can
set or read it. The local stack serves plain http on localhost, where a Secure cookie would not
come back to every client, so there the same cookie goes without the prefix and the Secure flag.
"""

from __future__ import annotations

import flask

from carpulse.config import get_settings

_NAME = "cpt_login"


def login_cookie_name() -> str:
    """The cookie's name in this environment."""
    return _NAME if get_settings().is_local else f"__Host-{_NAME}"


def read_login_cookie(request: flask.Request) -> str | None:
    """The binding nonce this browser presents, if any."""
    return request.cookies.get(login_cookie_name())


def set_login_cookie(response: flask.Response, nonce: str, max_age: int) -> None:
    """Bind a pending login to this browser (HttpOnly, SameSite=Lax, as long-lived as the state)."""
    response.set_cookie(
        login_cookie_name(),
        nonce,
        max_age=max_age,
        httponly=True,
        secure=not get_settings().is_local,
        samesite="Lax",  # sent on Tesla's top-level redirect back to the callback
        path="/",
    )


def clear_login_cookie(response: flask.Response) -> None:
    """The login is over; the cookie has no further use."""
    response.delete_cookie(
        login_cookie_name(), path="/", secure=not get_settings().is_local, httponly=True, samesite="Lax"
    )
