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
    require_internal_caller(request)
    task = parse_json(request, WorkerTask)
    retry_count = int(request.headers.get("X-CloudTasks-TaskRetryCount", "0") or 0)
    outcome = container().worker.handle(task, retry_count)
    return json_response({"outcome": outcome})
