"""The rules of a report's life, in one place.

A VIN of a report is worked on by one run at a time (a run lease), finishes exactly once, and
finishes as `done` (with the sections it could not fill listed in `missing`) or `failed` (with a
reason code). A report is `complete` when every VIN is done with nothing missing, `partial` when
some VIN is failed or missing something, and `failed` when no VIN is done. Work that shows no
progress for the stall time is stalled: the sweeper re-queues it a few times, then closes it.

Each transition below is a rule over one stored record (domain/transitions.py): the Firestore store
and the in-memory fake both apply the same functions, through gcp/report_store.py; neither
re-implements them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from carpulse.domain.models import (
    MissingSection,
    Rendition,
    RenditionStatus,
    ReportRequest,
    ReportStatus,
    VinProgress,
    VinStatus,
)
from carpulse.domain.transitions import NOW, Changes, Transition

# What asking for a VIN's run lease gives: started (ours), busy (another run holds a live lease),
# finished (the VIN is over: a late duplicate delivery), unknown (no such VIN document).
RunStart = Literal["started", "busy", "finished", "unknown"]

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
TERMINAL_REPORT_STATUSES = frozenset({ReportStatus.COMPLETE, ReportStatus.PARTIAL, ReportStatus.FAILED})
MAX_SWEEPS = 2  # a stalled VIN or report is re-queued this many times before it is closed


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

    current = report.renditions.get(language)
    if current is not None and current.status is not RenditionStatus.FAILED:
        return current, False
    return Rendition(language=language, requested_at=now), True


def retry_refusal(report: ReportRequest, item: VinProgress | None) -> str | None:
    """Why a VIN cannot be tried again now (an error code), or None: only a failed VIN of a
    finished report is (one at a time: the report runs again until that VIN is over)."""

    if item is None:
        return "not_found"
    if report.is_open:
        return "report_in_progress"
    if item.status is not VinStatus.FAILED:
        return "vehicle_not_failed"
    return None


def reopened(report: ReportRequest) -> dict[str, object]:
    """The changes that open a finished report again for one more try of a VIN."""

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


# --- transitions of one VIN document ---------------------------------------------------------------


def start_run(item: VinProgress | None, run_id: str, now: datetime, lease_seconds: float) -> Transition[RunStart]:
    """Take the VIN's run lease, unless it is over or another run holds a live lease."""
    if item is None:
        return "unknown", None
    if not may_finish(item.status):
        return "finished", None
    if not run_lease_free(item, now):
        return "busy", None
    taken: Changes = {
        "run_id": run_id,
        "run_lease_until": lease_until(now, lease_seconds),
        "attempts": item.attempts + 1,
        "wait_until": None,
        "updated_at": NOW,
    }
    return "started", taken


def end_run(item: VinProgress | None, run_id: str, changes: Changes) -> Transition[None]:
    """A run ends without finishing the VIN: its lease goes if it is still ours, changes are kept."""
    if item is None or item.status.is_terminal:
        return None, None
    update: Changes = {**changes, "updated_at": NOW}
    if item.run_id == run_id:
        update.update({"run_id": None, "run_lease_until": None})
    return None, update


def patch_vin(item: VinProgress | None, changes: Changes) -> Transition[None]:
    """Progress of a VIN that is still open (a finished VIN never changes again)."""
    if item is None or item.status.is_terminal:
        return None, None
    return None, {**changes, "updated_at": NOW}


def finish_vin(item: VinProgress | None, status: VinStatus, changes: Changes) -> Transition[bool]:
    """Open → done or failed, exactly once (True for the call that finished it)."""
    if item is None or not may_finish(item.status):
        return False, None
    finished: Changes = {
        **changes,
        "status": status.value,
        "run_id": None,
        "run_lease_until": None,
        "wait_until": None,
        "updated_at": NOW,
    }
    return True, finished


def retry_vin(item: VinProgress | None) -> Transition[None]:
    """A failed VIN queued again (after reopen_report let it)."""
    if item is None:
        return None, None
    return None, {**RETRIED_VIN, "updated_at": NOW}


# --- transitions of the report document ------------------------------------------------------------


def move_report(
    report: ReportRequest | None, status: ReportStatus, error: str | None = None, error_code: str | None = None
) -> Transition[None]:
    """An open report to its next status (late duplicate deliveries leave a closed one alone)."""
    if report is None or not report.is_open:
        return None, None
    changes: Changes = {"status": status.value, "updated_at": NOW}
    if error is not None:
        changes["error"] = error
    if error_code is not None:
        changes["error_code"] = error_code
    if status in TERMINAL_REPORT_STATUSES:
        changes.update({"outcome": status.value, "completed_at": NOW})
    return None, changes


def close_report(report: ReportRequest | None, outcome: ReportStatus, changes: Changes) -> Transition[bool]:
    """Open → its outcome, exactly once (True for the call that closed it)."""
    if report is None or not report.is_open:
        return False, None
    closed: Changes = {
        **changes,
        "status": outcome.value,
        "outcome": outcome.value,
        "completed_at": NOW,
        "updated_at": NOW,
    }
    return True, closed


def reopen_report(report: ReportRequest | None, item: VinProgress | None) -> Transition[int | str]:
    """A finished report open again for one more try of a failed VIN: the try's number, or why not."""
    if report is None:
        return "not_found", None
    refusal = retry_refusal(report, item)
    if refusal is not None:
        return refusal, None
    return report.retries + 1, {**reopened(report), "updated_at": NOW}


def queue_rendition(
    report: ReportRequest | None, language: str, now: datetime
) -> Transition[tuple[Rendition, bool] | None]:
    """The rendition in `language` and whether it is new work (see rendition_to_queue)."""
    if report is None:
        return None, None
    rendition, new = rendition_to_queue(report, language, now)
    return (rendition, new), ({f"renditions.{language}": rendition.model_dump()} if new else None)


def finish_rendition(
    report: ReportRequest | None, language: str, status: RenditionStatus, error_code: str | None
) -> Transition[None]:
    """A rendition is over (done or failed); only that rendition changes."""
    if report is None or language not in report.renditions:
        return None, None
    prefix = f"renditions.{language}"
    return None, {f"{prefix}.status": status.value, f"{prefix}.completed_at": NOW, f"{prefix}.error_code": error_code}
