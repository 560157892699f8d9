"""Cloud Scheduler target: every report reaches a final state (stalled work re-queued or closed)."""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.http.api import endpoint, json_response, require_internal_caller


@functions_framework.http
@endpoint(methods=("POST",))
def sweeper(request: flask.Request) -> flask.Response:
    """One sweep over the open reports; returns what it did."""
    app = container()
    require_internal_caller(request, app.internal_callers)
    return json_response(app.sweeper.run())
