"""Whether to read a car's live data, wake it, wait for it, or explain why it is missing.

Cost-aware: Tesla bills a wake, so a car that is not online is never woken unless the request
allows it, and an offline car (no connectivity) cannot be woken at all. A car that stops answering
(408) is asked again later by re-queueing the task, never by sleeping in the function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from carpulse.domain.snapshot import SectionNote, SectionState
from carpulse.services.fetch import note_for
from carpulse.tesla.errors import TeslaError, TeslaNotFoundError, VehicleOfflineError
from carpulse.tesla.ports import FleetApi
from carpulse.tesla.schemas import VehicleData, VehicleSummary


@dataclass(frozen=True, kw_only=True)
class LiveData:
    """What was read (None: nothing) and the notes that explain what was not."""

    data: VehicleData | None
    notes: list[SectionNote] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class WaitForCar:
    """Ask again after `seconds`: the car is waking up, or briefly unreachable."""

    seconds: float
    step: str
    reason: Literal["waking", "unreachable"]  # what the owner reads (stage.waiting_for_vehicle.<reason>)


@dataclass(frozen=True, kw_only=True)
class LivePolicy:
    """The knobs of the decision."""

    allow_wake: bool
    wait_round: int
    max_wait_rounds: int
    wake_wait_seconds: float
    offline_wait_seconds: float
    with_location: bool


def _missing(reason: str, **detail: str) -> LiveData:
    return LiveData(
        data=None, notes=[SectionNote(section="vehicle_data", state=SectionState.MISSING, reason=reason, detail=detail)]
    )


def wakes_first(summary: VehicleSummary, policy: LivePolicy) -> bool:
    """Whether this round only wakes the car (its modules are fetched in the round that reads it)."""
    sleeping = summary.state not in ("online", "offline")
    return sleeping and policy.allow_wake and policy.wait_round < policy.max_wait_rounds


def read_live_data(fleet: FleetApi, vin: str, summary: VehicleSummary, policy: LivePolicy) -> LiveData | WaitForCar:
    """vehicle_data when the car is online; otherwise wake (if allowed), wait, or explain."""
    rounds_left = policy.wait_round < policy.max_wait_rounds
    if summary.state == "online":
        try:
            return LiveData(data=fleet.vehicle_data(vin, with_location=policy.with_location))
        except VehicleOfflineError:
            # Fell asleep or lost connectivity since the cheap check: ask again a bit later.
            if rounds_left and not policy.allow_wake:
                return WaitForCar(
                    seconds=policy.offline_wait_seconds, step="vehicle not reachable, retrying", reason="unreachable"
                )
            if not policy.allow_wake:
                return _missing("reason.vehicle_unavailable")
        except TeslaError as exc:
            if exc.retryable or isinstance(exc, TeslaNotFoundError):  # 404: the car left the account
                raise
            return LiveData(data=None, notes=[note_for("vehicle_data", exc)])
    if summary.state == "offline":
        return _missing("reason.vehicle_offline")  # no connection: a wake cannot reach it
    if policy.allow_wake and rounds_left:
        fleet.wake_up(vin)
        return WaitForCar(seconds=policy.wake_wait_seconds, step="waking the vehicle", reason="waking")
    if policy.allow_wake:
        return _missing("reason.vehicle_not_woken")
    return _missing("reason.vehicle_asleep", state=summary.state or "unavailable")
