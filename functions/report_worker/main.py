"""Cloud Tasks target: the prepare task and the per-VIN tasks of a report."""

import flask
import functions_framework

from carpulse.bootstrap import container
from carpulse.domain.tasks import WorkerTask
from carpulse.http.api import endpoint, json_response, parse_json, require_internal_caller


@functions_framework.http
@endpoint(methods=("POST",))
def report_worker(request: flask.Request) -> flask.Response:
    """Run one task. A non-2xx answer makes Cloud Tasks retry it with backoff."""
    app = container()
    call = require_internal_caller(request, app.internal_callers)  # before the body and the task headers
    task = parse_json(request, WorkerTask)
    outcome = app.worker.handle(task, call.task_retry_count)
    return json_response({"outcome": outcome})
