"""OAuth callback: Tesla redirects the owner's browser here with code and state."""

from urllib.parse import urlencode

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.http.api import endpoint
from carpulse.http.cookies import LOGIN_COOKIE, clear_login_cookie


@functions_framework.http
@endpoint(methods=("GET",))
def oauth_callback(request: flask.Request) -> flask.Response:
    """Check state, exchange the code, store the account; 302 to the frontend with a session."""
    app = container()
    connected = app.connect.complete_login(
        code=request.args.get("code"),
        state=request.args.get("state"),
        binding_nonce=request.cookies.get(LOGIN_COOKIE),
        error=request.args.get("error"),
    )
    # The session token travels in the fragment: browsers never send it to servers or logs.
    fragment = urlencode({"session": connected.session_token, "region": connected.region})
    response = flask.redirect(f"{app.settings.frontend_url}#{fragment}", code=302)
    clear_login_cookie(response)
    return response
