"""The state changes of the report and account stores, written once for every store.

Each method is one rule of the domain (report_life, refresh_lease) applied to one stored record. A
store supplies only how it reads one record and writes the rule's changes atomically: Firestore
with a write that holds only if the document is unchanged since the read, the in-memory fake of
the unit tests under a lock. So the fake cannot drift from the adapter: neither decides anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from carpulse.domain import refresh_lease, report_life
from carpulse.domain.models import (
    Account,
    Rendition,
    RenditionStatus,
    ReportRequest,
    ReportStatus,
    VinProgress,
    VinStatus,
)
from carpulse.domain.refresh_lease import RotationWrite
from carpulse.domain.report_life import RunStart
from carpulse.domain.transitions import Changes, Transition
from carpulse.gcp.ports import AccountStore, ReportStore

R = TypeVar("R")


class ReportTransitions(ReportStore, ABC):
    """ReportStore's transitions over `_change_vin` and `_change_report`."""

    @abstractmethod
    def _change_vin(
        self, name: str, report_id: str, vin: str, rule: Callable[[VinProgress | None], Transition[R]]
    ) -> R:
        """Read one VIN document, apply the rule's changes atomically, return the rule's result."""

    @abstractmethod
    def _change_report(self, name: str, report_id: str, rule: Callable[[ReportRequest | None], Transition[R]]) -> R:
        """Read the report document, apply the rule's changes atomically, return the rule's result."""

    def set_status(
        self, report_id: str, status: ReportStatus, error: str | None = None, error_code: str | None = None
    ) -> None:
        """Move an open report to a status unless it already closed (late duplicate deliveries)."""
        self._change_report("set_status", report_id, lambda r: report_life.move_report(r, status, error, error_code))

    def start_run(self, report_id: str, vin: str, run_id: str, now: datetime, lease_seconds: float) -> RunStart:
        """Take the VIN's run lease (see report_life.start_run)."""
        return self._change_vin(
            "start_run", report_id, vin, lambda item: report_life.start_run(item, run_id, now, lease_seconds)
        )

    def end_run(self, report_id: str, vin: str, run_id: str, changes: Changes) -> None:
        """Release the lease if it is still ours; patch the VIN unless it already finished."""
        self._change_vin("end_run", report_id, vin, lambda item: report_life.end_run(item, run_id, changes))

    def update_vin(self, report_id: str, vin: str, changes: Changes) -> None:
        """Patch a VIN's progress unless it is already finished."""
        self._change_vin("update_vin", report_id, vin, lambda item: report_life.patch_vin(item, changes))

    def finish_vin(self, report_id: str, vin: str, status: VinStatus, changes: Changes) -> bool:
        """Open → finished, once (True for the call that finished it)."""
        return self._change_vin(
            "finish_vin", report_id, vin, lambda item: report_life.finish_vin(item, status, changes)
        )

    def close(self, report_id: str, outcome: ReportStatus, changes: Changes) -> bool:
        """Open → outcome, once (True for the call that closed it)."""
        return self._change_report("close", report_id, lambda r: report_life.close_report(r, outcome, changes))

    def reopen_for_retry(self, report_id: str, vin: str) -> int | str:
        """The report document first (a concurrent second retry then finds it open and is
        refused), then the VIN's: the try's number, or an error code."""
        item = self.vin(report_id, vin)
        outcome = self._change_report("reopen", report_id, lambda r: report_life.reopen_report(r, item))
        if isinstance(outcome, int):
            self._change_vin("retry_vin", report_id, vin, report_life.retry_vin)
        return outcome

    def add_rendition(self, report_id: str, language: str, now: datetime) -> tuple[Rendition, bool] | None:
        """The rendition in `language` and whether it is new work (None: no such report)."""
        return self._change_report("add_rendition", report_id, lambda r: report_life.queue_rendition(r, language, now))

    def finish_rendition(self, report_id: str, language: str, status: RenditionStatus, error_code: str | None) -> None:
        """A rendition is over; only that rendition changes."""
        self._change_report(
            "finish_rendition", report_id, lambda r: report_life.finish_rendition(r, language, status, error_code)
        )


class AccountTransitions(AccountStore, ABC):
    """AccountStore's refresh-lease transitions over `_change_account`."""

    @abstractmethod
    def _change_account(self, name: str, account_id: str, rule: Callable[[Account | None], Transition[R]]) -> R:
        """Read the account, apply the rule's changes atomically, return the rule's result."""

    def acquire_refresh_lease(
        self, account_id: str, now: datetime, lease_seconds: float, lease_id: str
    ) -> Account | None:
        """Take the refresh lease unless another refresher holds a live one."""
        return self._change_account(
            "take_lease", account_id, lambda a: refresh_lease.take_lease(a, now, lease_seconds, lease_id)
        )

    def release_refresh_lease(self, account_id: str, lease_id: str) -> None:
        """Let go of the lease, if it is still ours."""
        self._change_account("release_lease", account_id, lambda a: refresh_lease.release_lease(a, lease_id))

    def store_rotated_tokens(
        self, account_id: str, lease_id: str, expected_generation: int, changes: Changes
    ) -> RotationWrite:
        """Write rotated tokens fenced to our lease; see domain.refresh_lease.rotation_write."""
        return self._change_account(
            "store_rotated",
            account_id,
            lambda a: refresh_lease.store_rotated(a, lease_id, expected_generation, changes),
        )
