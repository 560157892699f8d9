"""OAuth initiate: a single-use login state and Tesla's authorize URL for the frontend."""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.http.api import endpoint, json_response
from carpulse.http.cookies import set_login_cookie


@functions_framework.http
@endpoint(methods=("GET", "POST"), cors=True)
def oauth_initiate(request: flask.Request) -> flask.Response:
    """POST → {"response": {"authorize_url", "state", "expires_in"}}; GET → 302 to Tesla."""
    start = container().connect.start_login()
    if request.method == "GET":
        response = flask.redirect(start.authorize_url, code=302)
    else:
        response = json_response(
            {"authorize_url": start.authorize_url, "state": start.state, "expires_in": start.expires_in}
        )
    set_login_cookie(response, start.binding_nonce, start.expires_in)
    return response
