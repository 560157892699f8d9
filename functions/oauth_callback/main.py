"""OAuth callback: Tesla redirects the owner's browser here with code and state.

Whatever happens, the owner's browser ends on the frontend: `FRONTEND_URL#code=<one-time code>`
on success, `FRONTEND_URL#error=<enum>&error_description=<words>` on every failure. The one-time
code, not the session token, travels in the fragment (never sent to servers or their logs).
"""

from __future__ import annotations

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.errors import NotFoundError
from carpulse.http.api import endpoint, fragment_redirect, redirect_errors
from carpulse.http.cookies import clear_login_cookie, read_login_cookie
from carpulse.http.routes import OAUTH_CALLBACK_PATH


@functions_framework.http
@endpoint(methods=("GET",))
def oauth_callback(request: flask.Request) -> flask.Response:
    """Check state, exchange the code, store the account; 302 to the frontend with a login code."""
    if request.path != OAUTH_CALLBACK_PATH:  # only Tesla's redirect spends a login state
        raise NotFoundError(f"Tesla redirects to {OAUTH_CALLBACK_PATH}")
    app = container()
    with redirect_errors(app.settings.frontend_url) as outcome:
        connected = app.connect.complete_login(
            code=request.args.get("code"),
            state=request.args.get("state"),
            binding_nonce=read_login_cookie(request),
            error=request.args.get("error"),
        )
        outcome.response = fragment_redirect(
            app.settings.frontend_url, {"code": connected.login_code, "region": connected.region}
        )
    clear_login_cookie(outcome.response)
    return outcome.response
