"""The rules of a report's life, in one place.

A VIN of a report is worked on by one run at a time (a run lease), finishes exactly once, and
finishes as `done` (with the sections it could not fill listed in `missing`) or `failed` (with a
reason code). A report is `complete` when every VIN is done with nothing missing, `partial` when
some VIN is failed or missing something, and `failed` when no VIN is done. Work that shows no
progress for the stall time is stalled: the sweeper re-queues it a few times, then closes it.

The Firestore store and the in-memory fake both call these functions; neither re-implements them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from carpulse.domain.models import Rendition, ReportRequest, ReportStatus, VinProgress, VinStatus

# Reason codes of a VIN that failed as a whole (section-level reasons are the catalog's reason.* keys).
FAILURE_CODES: dict[str, str] = {
    "account_disconnected": "The Tesla account was disconnected.",
    "reconnect_required": "Tesla access was revoked; connect your Tesla account again.",
    "vehicle_not_on_account": "The vehicle is no longer on this Tesla account.",
    "tesla_unavailable": "Tesla did not answer in time; try again later.",
    "rate_limited": "Tesla asked us to slow down; try again later.",
    "partner_not_registered": "Car Pulse Tracker is not yet registered with Tesla in your region.",
    "timed_out": "The report stopped making progress and was closed; try again.",
    "internal_error": "Something went wrong on our side while building this report.",
    "files_incomplete": "The report's sessions CSV and invoice ZIP could not be built; the PDFs are there.",
}
MAX_SWEEPS = 2  # a stalled VIN or report is re-queued this many times before it is closed


class MissingSection(BaseModel):
    """A section a finished VIN's report could not fill, and why (a reason code)."""

    section: str
    reason_code: str
    detail: dict[str, str] = {}


def missing_from_notes(notes: Iterable[tuple[str, str, dict[str, str]]]) -> list[MissingSection]:
    """(section, catalog reason key, detail) notes as missing sections, one per section."""
    seen: dict[str, MissingSection] = {}
    for section, reason, detail in notes:
        code = reason.removeprefix("reason.")
        seen.setdefault(section, MissingSection(section=section, reason_code=code, detail=dict(detail)))
    return list(seen.values())


def may_finish(current: VinStatus) -> bool:
    """A VIN finishes exactly once: a repeated delivery of finished work changes nothing."""
    return not current.is_terminal


def run_lease_free(progress: VinProgress, now: datetime) -> bool:
    """Whether a new run may start on this VIN (no other run holds a live lease)."""
    return progress.run_lease_until is None or progress.run_lease_until <= now


def lease_until(now: datetime, seconds: float) -> datetime:
    """The end of a lease taken now."""
    return now + timedelta(seconds=seconds)


def report_outcome(progress: Iterable[VinProgress]) -> ReportStatus:
    """What a report is once every VIN has finished."""
    from carpulse.domain.models import ReportStatus, VinStatus

    items = list(progress)
    done = [p for p in items if p.status is VinStatus.DONE]
    if not done:
        return ReportStatus.FAILED
    if len(done) == len(items) and not any(p.missing for p in done):
        return ReportStatus.COMPLETE
    return ReportStatus.PARTIAL


def all_finished(progress: Iterable[VinProgress]) -> bool:
    """Whether every VIN of a report has finished."""
    return all(p.status.is_terminal for p in progress)


def is_stalled(updated_at: datetime, now: datetime, stall_seconds: float) -> bool:
    """No progress for longer than the stall time."""
    return now - updated_at > timedelta(seconds=stall_seconds)


def sweep_gives_up(sweeps: int) -> bool:
    """A stalled piece of work that was re-queued often enough is closed instead."""
    return sweeps >= MAX_SWEEPS


# How far a VIN's work is at each stage: a bar a UI can draw (waiting for a car comes before the
# fetch of its live data, so it is where fetching starts; rendering is after every Tesla call).
STAGE_PERCENT = {
    "queued": 0,
    "fetching": 30,
    "waiting_for_vehicle": 30,
    "rendering": 80,
    "done": 100,
    "failed": 100,
}


def vin_percent(status: VinStatus) -> int:
    """0-100 for one VIN's stage."""
    return STAGE_PERCENT[status.value]


def report_percent(statuses: Iterable[VinStatus]) -> int:
    """0-100 for a report: the mean of its VINs' stages (rounded down: 100 only when all are over)."""
    values = [vin_percent(s) for s in statuses]
    return sum(values) // len(values) if values else 0


def rendition_to_queue(report: ReportRequest, language: str, now: datetime) -> tuple[Rendition, bool]:
    """The report's rendition in `language`, and whether it is new work: a queued or done one is
    left as it is (asking twice renders once), a failed one is queued again."""
    from carpulse.domain.models import Rendition, RenditionStatus

    current = report.renditions.get(language)
    if current is not None and current.status is not RenditionStatus.FAILED:
        return current, False
    return Rendition(language=language, requested_at=now), True


def retry_refusal(report: ReportRequest, item: VinProgress | None) -> str | None:
    """Why a VIN cannot be tried again now (an error code), or None: only a failed VIN of a
    finished report is (one at a time: the report runs again until that VIN is over)."""
    from carpulse.domain.models import VinStatus

    if item is None:
        return "not_found"
    if report.is_open:
        return "report_in_progress"
    if item.status is not VinStatus.FAILED:
        return "vehicle_not_failed"
    return None


def reopened(report: ReportRequest) -> dict[str, object]:
    """The changes that open a finished report again for one more try of a VIN."""
    from carpulse.domain.models import ReportStatus

    return {
        "status": ReportStatus.RUNNING.value,
        "outcome": None,
        "completed_at": None,
        "error": None,
        "error_code": None,
        "retries": report.retries + 1,
    }


RETRIED_VIN: dict[str, object] = {
    "status": "queued",
    "step": "queued",
    "error": None,
    "error_code": None,
    "missing": [],
    "attempts": 0,
    "sweeps": 0,
    "wait_until": None,
    "wait_reason": None,
    "run_id": None,
    "run_lease_until": None,
}
