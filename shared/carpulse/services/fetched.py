"""What was fetched for one VIN: the one input of normalisation (services/normalise.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from carpulse.domain.snapshot import DataSource, SectionNote
from carpulse.tesla import schemas
from carpulse.tesla import schemas_dx as dx


class FetchedVehicle(BaseModel):
    """Everything fetched for one VIN. None means not available, and a note says why."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    summary: schemas.VehicleSummary | None = None  # the cheap state (GET /vehicles or /vehicles/{vin})
    data: schemas.VehicleData | None = None  # vehicle_data: None when the car was not read
    # The account's charging history as given (other VINs' sessions are dropped in normalisation);
    # None: the history was unavailable, which is not the same as no sessions.
    sessions: list[schemas.ChargingSession] | None = None
    service: dx.ServiceData | None = None
    alerts: dx.RecentAlerts | None = None
    release_notes: dx.ReleaseNotes | None = None
    warranty: dx.WarrantyDetails | None = None
    options: dx.VehicleOptions | None = None
    specs: dx.VehicleSpecs | None = None
    fleet_status: dx.FleetStatus | None = None
    stored_invoices: frozenset[str] = frozenset()  # invoice ids whose PDFs are stored
    notes: list[SectionNote] = []
    sources: list[DataSource] = []  # every Tesla answer behind the snapshot
