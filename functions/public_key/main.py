"""Public key hosting for Tesla partner verification.

In the cloud the key is configuration (PUBLIC_KEY_PEM, written by `make keys` and deployed by the
provisioning): this function reads no secret and its service account holds none. Locally the
stack keeps only the private key, so the public half is derived from it.
"""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.errors import ConfigError, NotFoundError
from carpulse.http.api import endpoint
from carpulse.partner_key import public_key_pem

WELL_KNOWN_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"


def served_key() -> str:
    """The PEM Tesla fetches: the configured one, or (local stack only) the derived one."""
    app = container()
    if app.settings.public_key_pem:
        return app.settings.public_key_pem
    if app.settings.is_local:
        return public_key_pem(app.secrets.get(app.settings.tesla_private_key_name))
    raise ConfigError("PUBLIC_KEY_PEM is not configured: deploy with the key `make keys` wrote")


@functions_framework.http
@endpoint(methods=("GET", "HEAD"))
def public_key(request: flask.Request) -> flask.Response:
    """Serve the EC P-256 public key (PEM) at Tesla's well-known path."""
    if request.path != WELL_KNOWN_PATH:
        raise NotFoundError(f"the public key lives at {WELL_KNOWN_PATH}")
    response = flask.Response(served_key(), mimetype="application/x-pem-file")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
