"""What prepare hands each VIN task: its sessions, the state Tesla gave at request time, its slice
of the one fleet_status call, and the account-level sources; one object per VIN.

The vehicle list fetched when the report was requested (to check ownership) is kept beside the
report, so the tasks use that state while it is fresh instead of asking Tesla for each VIN again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from carpulse.domain.snapshot import DataSource, SectionNote
from carpulse.gcp.ports import BlobStore
from carpulse.services import object_names
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.schemas import ChargingSession, VehicleSummary


class SeenVehicles(BaseModel):
    """The account's vehicles as Tesla listed them, and when."""

    seen_at: datetime
    vehicles: list[VehicleSummary]


class VinPartition(BaseModel):
    """One VIN's share of the prepare task."""

    sessions: list[ChargingSession] | None = None  # None: the history is missing (see note)
    note: SectionNote | None = None
    sources: list[DataSource] = []
    summary: VehicleSummary | None = None  # the state at request time, if the VIN was listed
    seen_at: datetime | None = None
    fleet_status: dx.FleetStatus | None = None
    fleet_status_note: SectionNote | None = None


def store_seen(blobs: BlobStore, account_id: str, report_id: str, seen: SeenVehicles) -> None:
    """Keep the request-time vehicle list for the report's tasks."""
    name = object_names.request_vehicles_object(account_id, report_id)
    blobs.put(name, seen.model_dump_json().encode(), "application/json")


def load_seen(blobs: BlobStore, account_id: str, report_id: str) -> SeenVehicles | None:
    """The request-time vehicle list, or None (a report from before it was kept)."""
    raw = blobs.get(object_names.request_vehicles_object(account_id, report_id))
    return SeenVehicles.model_validate_json(raw) if raw is not None else None


def fleet_status_of(status: dx.FleetStatus, vin: str) -> dx.FleetStatus:
    """The part of a several-VIN fleet_status answer that is about one VIN."""
    data = status.model_dump(mode="json")
    data["key_paired_vins"] = [v for v in status.key_paired_vins if v == vin]
    data["unpaired_vins"] = [v for v in status.unpaired_vins if v == vin]
    data["vehicle_info"] = {k: v for k, v in data["vehicle_info"].items() if k == vin}
    return dx.FleetStatus.model_validate(data)
