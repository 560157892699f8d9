"""Cloud Tasks adapter of the TaskQueue port."""

from __future__ import annotations

import datetime as dt

from google.api_core.exceptions import Conflict
from google.cloud import tasks_v2

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
        cloud_task = tasks_v2.Task(
            name=f"{self._parent}/tasks/{task.task_id()}",
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST,
                url=self._worker_url,
                headers={"Content-Type": "application/json"},
                body=task.model_dump_json().encode(),
                # Cloud Tasks signs an ID token for this identity and audience; the worker accepts only that.
                oidc_token=tasks_v2.OidcToken(service_account_email=self._service_account, audience=self._worker_url),
            ),
        )
        if delay_seconds > 0:
            # proto-plus stores an aware datetime as the Timestamp field.
            cloud_task.schedule_time = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay_seconds)
        try:
            self._client.create_task(parent=self._parent, task=cloud_task)
        except Conflict:
            return False
        return True
