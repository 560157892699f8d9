"""Cloud Scheduler target: refresh access tokens that expire soon."""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.http.api import endpoint, json_response, require_internal_caller


@functions_framework.http
@endpoint(methods=("POST",))
def token_refresh(request: flask.Request) -> flask.Response:
    """Refresh every account whose token expires within the margin; returns counts."""
    app = container()
    require_internal_caller(request, app.internal_callers)
    return json_response(app.refresh_due.run())
