"""Cloud Tasks adapter of the TaskQueue port."""

from __future__ import annotations

import datetime as dt

from google.api_core.exceptions import Conflict
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2

from carpulse.domain.tasks import WorkerTask


class CloudTasksQueue:
    """Creates HTTP tasks for the report worker under deterministic names."""

    def __init__(
        self,
        client: tasks_v2.CloudTasksClient,
        *,
        project: str,
        location: str,
        queue: str,
        worker_url: str,
        service_account: str,
    ) -> None:
        self._client = client
        self._parent = client.queue_path(project, location, queue)
        self._worker_url = worker_url
        self._service_account = service_account

    def enqueue(self, task: WorkerTask, delay_seconds: float = 0) -> bool:
        """Create the task; a name that already exists means the work is already queued."""
        http_request: dict[str, object] = {
            "http_method": tasks_v2.HttpMethod.POST,
            "url": self._worker_url,
            "headers": {"Content-Type": "application/json"},
            "body": task.model_dump_json().encode(),
            # Cloud Tasks signs an ID token for this identity and audience; the worker accepts only that.
            "oidc_token": {"service_account_email": self._service_account, "audience": self._worker_url},
        }
        body: dict[str, object] = {"name": f"{self._parent}/tasks/{task.task_id()}", "http_request": http_request}
        if delay_seconds > 0:
            when = timestamp_pb2.Timestamp()
            when.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay_seconds))
            body["schedule_time"] = when
        try:
            self._client.create_task(parent=self._parent, task=body)
        except Conflict:
            return False
        return True
