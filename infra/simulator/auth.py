"""The auth server (auth.tesla.com stand-in): consent page and token endpoint for all three grants."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request
from markupsafe import escape
from werkzeug.wrappers import Response as WerkzeugResponse

from .guard import base_url, sim_state
from .replies import json_body
from .tokens import OAuthError, TokenSet

auth = Blueprint("auth", __name__, url_prefix="/oauth2/v3")
# China's auth server (auth.tesla.cn) is the same blueprint under /cn, with its own application.
CN_BLUEPRINT = "auth_cn"
CN_PREFIX = "/cn/oauth2/v3"
PKCE_FIELDS = ("code_challenge", "code_challenge_method")


def _client() -> tuple[str, str]:
    """The (client_id, client_secret) registered at the auth server this request reached."""
    config = sim_state().config
    if request.blueprint == CN_BLUEPRINT:
        return config.cn_client_id, config.cn_client_secret
    return config.client_id, config.client_secret


def _prefix() -> str:
    return CN_PREFIX if request.blueprint == CN_BLUEPRINT else "/oauth2/v3"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(_PAGE.format(title=escape(title), body=body), status=status, mimetype="text/html")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _authorize_problem(params: Mapping[str, str]) -> str | None:
    """Why an authorize request is unacceptable (shown on a 400 page), or None."""
    config = sim_state().config
    client_id, _ = _client()
    if not client_id or params.get("client_id") != client_id:
        return "Unknown client_id."
    if params.get("response_type") != "code":
        return 'response_type must be "code".'
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return "redirect_uri is missing or not an http(s) URL."
    if config.redirect_uris and redirect_uri not in config.redirect_uris:
        return "redirect_uri is not registered for this client."
    if not params.get("scope", "").split():
        return "scope is required."
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") not in ("S256", "plain"):
        return 'code_challenge_method must be "S256" or "plain".'
    return None


@auth.get("/authorize")
def authorize_page() -> Response:
    """The consent page: the account's email, the requested scopes, Allow / Deny."""
    params = request.args
    problem = _authorize_problem(params)
    if problem:
        return _page("Authorization error", f"<p>{escape(problem)}</p>", 400)
    account = sim_state().scenario.account
    scopes = "".join(f"<li>{escape(scope)}</li>" for scope in params["scope"].split())
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params.get(name, ""))}">'
        for name in ("response_type", "client_id", "redirect_uri", "scope", "state", *PKCE_FIELDS)
        if name in params or name not in PKCE_FIELDS
    )
    body = (
        f"<p>Signed in as <strong>{escape(account.email)}</strong> ({escape(account.full_name)}).</p>"
        f"<p>The application <code>{escape(params['client_id'])}</code> asks for:</p><ul>{scopes}</ul>"
        f'<form method="post" action="{_prefix()}/authorize">{hidden}'
        '<button type="submit" name="decision" value="allow">Allow</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return _page("Tesla Fleet API simulator: consent", body)


@auth.post("/authorize")
def authorize_decision() -> WerkzeugResponse:
    """Apply the consent decision and redirect back to the client with a code or access_denied."""
    params = request.form
    problem = _authorize_problem(params)
    if problem:
        return _page("Authorization error", f"<p>{escape(problem)}</p>", 400)
    redirect_uri, state = params["redirect_uri"], params.get("state", "")
    if params.get("decision") != "allow":
        return redirect(_with_query(redirect_uri, {"error": "access_denied", "state": state}), 302)
    scopes = frozenset(params["scope"].split())
    code = sim_state().tokens.issue_code(
        params["client_id"],
        redirect_uri,
        scopes,
        params.get("code_challenge") or None,
        params.get("code_challenge_method", "plain"),
    )
    issuer = f"{base_url()}{_prefix()}"
    return redirect(_with_query(redirect_uri, {"code": code, "state": state, "issuer": issuer}), 302)


def _token_reply(tokens: TokenSet) -> Response:
    body: dict[str, object] = {"access_token": tokens.access_token}
    if tokens.refresh_token:
        body["refresh_token"] = tokens.refresh_token
    body.update({"id_token": tokens.id_token, "token_type": "Bearer", "expires_in": tokens.expires_in})
    response = json_body(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _oauth_error(status: int, code: str, description: str) -> Response:
    return json_body({"error": code, "error_description": description}, status)


@auth.post("/token")
def token() -> Response:
    """Token endpoint (JSON or form body): authorization_code, refresh_token, client_credentials."""
    data = request.get_json(silent=True) if request.is_json else request.form
    form: Mapping[str, str] = data if isinstance(data, Mapping) else {}
    client_id, client_secret = _client()
    grant_type = form.get("grant_type", "")
    if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
        return _oauth_error(
            400, "unsupported_grant_type", "Use one of: client_credentials, refresh_token, authorization_code."
        )
    secret = form.get("client_secret")
    # The secret is optional only when refreshing (public clients refresh without it, as Tesla allows).
    secret_ok = secret == client_secret or (grant_type == "refresh_token" and secret is None)
    if not client_id or form.get("client_id") != client_id or not secret_ok:
        return _oauth_error(401, "unauthorized_client", "We don't recognize this client_id and client_secret.")
    store = sim_state().tokens
    try:
        if grant_type == "authorization_code":
            tokens = store.exchange_code(
                client_id,
                str(form.get("code", "")),
                str(form.get("redirect_uri", "")),
                form.get("audience"),
                form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return _oauth_error(400, "invalid_request", "refresh_token is required.")
            tokens = store.refresh(client_id, str(form["refresh_token"]))
        else:
            scopes = frozenset(str(form.get("scope", "")).split())
            if not scopes:
                return _oauth_error(400, "invalid_request", "scope is required for client_credentials.")
            tokens = store.client_credentials(client_id, scopes, form.get("audience"))
    except OAuthError as exc:
        return _oauth_error(exc.status, exc.error, exc.description)
    return _token_reply(tokens)
