"""The local Cloud Scheduler stand-in: calls each job's URL on its interval, as the cloud's
scheduler jobs call the token refresh and the sweeper: POST with an ID token of the job's service
account for its audience, minted per call by the local identity stand-in (infra/local/identity.py).

    SCHEDULER_JOBS='[{"name": "sweeper", "url": "http://…", "interval": 10, "audience": "http://…",
                      "service_account": "carpulse-scheduler@…"}]' \
    SCHEDULER_IDENTITY_URL=http://… python -m infra.local.scheduler
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time

import requests
from pydantic import BaseModel, TypeAdapter

from infra.local.identity import fetch_id_token

log = logging.getLogger("scheduler")


class Job(BaseModel):
    """One scheduler job."""

    name: str
    url: str
    interval: float
    audience: str  # --oidc-token-audience of the cloud's job: the function's URL
    service_account: str  # --oidc-service-account-email


def run_job(job: Job, identity_url: str) -> None:
    """One call; the outcome is logged, a failure waits for the next interval (as in the cloud)."""
    try:
        token = fetch_id_token(identity_url, job.audience, job.service_account)
        response = requests.post(job.url, headers={"Authorization": f"Bearer {token}"}, json={}, timeout=300)
        log.info("%s: HTTP %s %s", job.name, response.status_code, response.text[:300])
    except requests.RequestException as exc:
        log.warning("%s: %s", job.name, type(exc).__name__)


def main() -> int:
    """Run every job on its interval until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = TypeAdapter(list[Job]).validate_python(json.loads(os.environ.get("SCHEDULER_JOBS", "[]")))
    identity_url = os.environ.get("SCHEDULER_IDENTITY_URL", "")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    due = {job.name: time.monotonic() + job.interval for job in jobs}
    print(f"scheduler ready with {len(jobs)} job(s)", flush=True)
    while not stop.wait(0.2):
        now = time.monotonic()
        for job in jobs:
            if now >= due[job.name]:
                run_job(job, identity_url)
                due[job.name] = time.monotonic() + job.interval
    return 0


if __name__ == "__main__":
    sys.exit(main())
