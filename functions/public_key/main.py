"""Public key hosting for Tesla partner verification."""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.errors import NotFoundError
from carpulse.http.api import endpoint
from carpulse.keys import public_key_pem

WELL_KNOWN_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"


@functions_framework.http
@endpoint(methods=("GET", "HEAD"))
def public_key(request: flask.Request) -> flask.Response:
    """Serve the EC P-256 public key (PEM) at Tesla's well-known path."""
    if request.path != WELL_KNOWN_PATH:
        raise NotFoundError(f"the public key lives at {WELL_KNOWN_PATH}")
    app = container()
    pem = public_key_pem(app.secrets.get(app.settings.tesla_private_key_name))
    response = flask.Response(pem, mimetype="application/x-pem-file")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
