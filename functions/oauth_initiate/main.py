"""OAuth initiate: a single-use login state and Tesla's authorize URL for the frontend."""

from __future__ import annotations

from typing import Literal

import flask
import functions_framework
from pydantic import BaseModel, ConfigDict

from carpulse.bootstrap import container
from carpulse.errors import NotFoundError
from carpulse.http.api import endpoint, json_response, parse_json, redirect
from carpulse.http.clients import client_address
from carpulse.http.cookies import set_login_cookie
from carpulse.http.routes import OAUTH_INITIATE_PATH


class InitiateBody(BaseModel):
    """Optional body of POST initiate: the owner's Tesla region when it is China."""

    model_config = ConfigDict(extra="forbid")

    region: Literal["global", "na", "eu", "cn"] | None = None


@functions_framework.http
@endpoint(methods=("GET", "POST"), cors=True)
def oauth_initiate(request: flask.Request) -> flask.Response:
    """GET → 302 to Tesla (top-level navigation); POST → {"response": {"authorize_url", "state",
    "expires_in"}} for a `fetch` with credentials. Both set the browser-binding cookie."""
    if request.path != OAUTH_INITIATE_PATH:  # a probe or a stray path starts no login
        raise NotFoundError(f"a login starts at {OAUTH_INITIATE_PATH}")
    app = container()
    # Nobody is signed in yet: each start writes a state document, so it is limited per client.
    client = client_address(
        request.remote_addr, request.headers.get("X-Forwarded-For"), app.settings.verify_client_ip_hops
    )
    app.login_limits.admit("initiate", client)
    region = request.args.get("region")
    if request.method == "POST" and (request.content_length or request.mimetype):
        region = parse_json(request, InitiateBody).region or region
    start = app.connect.start_login(region)
    if request.method == "GET":
        response = redirect(start.authorize_url)
    else:
        response = json_response(
            {"authorize_url": start.authorize_url, "state": start.state, "expires_in": start.expires_in}
        )
    set_login_cookie(response, start.binding_nonce, start.expires_in)
    return response
