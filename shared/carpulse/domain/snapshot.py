"""The normalised vehicle snapshot: the only input a report renderer ever sees.

Attribution (which vehicle a datum belongs to) and unit facts are settled here, during
normalisation; renderers only format what they are given.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SectionState(StrEnum):
    """How a report section came out."""

    OK = "ok"
    MISSING = "missing"  # nothing to show, for a known reason (asleep, scope, empty)
    FAILED = "failed"  # Tesla or we failed to deliver it


class SectionNote(_Model):
    """Why a section is missing or failed, in words a reader understands."""

    section: str
    state: SectionState
    reason: str


class DistanceUnit(StrEnum):
    KM = "km"
    MI = "mi"


class Identity(_Model):
    """Who the vehicle is."""

    vin: str
    display_name: str | None = None
    model: str | None = None  # human name, e.g. "Model 3"
    trim: str | None = None
    exterior_color: str | None = None
    state: str | None = None  # online / asleep / offline, as seen at fetch time


class Battery(_Model):
    """Battery and charge state. Ranges are in miles, as Tesla reports them."""

    level_percent: int | None = None
    usable_level_percent: int | None = None
    rated_range_mi: float | None = None
    estimated_range_mi: float | None = None
    charge_limit_percent: int | None = None
    charging_state: str | None = None


class Money(_Model):
    """An amount in one currency. Amounts in different currencies are never added."""

    currency: str
    amount: float


class ChargingFee(_Model):
    fee_type: str  # CHARGING, PARKING, CONGESTION, ...
    currency: str
    total_due: float
    usage: float | None = None
    unit: str | None = None  # kwh / min
    is_paid: bool | None = None


class InvoiceRef(_Model):
    file_name: str
    content_id: str


class ChargingSession(_Model):
    """One charging session, already attributed to this snapshot's VIN."""

    session_id: str
    vin: str
    site: str | None = None
    country: str | None = None
    started_at: datetime | None = None  # keeps the session's own UTC offset
    stopped_at: datetime | None = None
    energy_kwh: float | None = None
    fees: tuple[ChargingFee, ...] = ()
    invoices: tuple[InvoiceRef, ...] = ()


class ChargingSummary(_Model):
    """Totals over this VIN's sessions; costs per currency."""

    session_count: int = 0
    energy_kwh: float = 0.0
    cost_by_currency: tuple[Money, ...] = ()


class VehicleSnapshot(_Model):
    """Everything a report knows about one vehicle, fetched once and normalised."""

    report_id: str
    generated_at: datetime
    data_as_of: datetime | None = None
    region: str | None = None
    distance_unit: DistanceUnit = DistanceUnit.KM
    identity: Identity
    software_version: str | None = None
    odometer_mi: float | None = None
    battery: Battery | None = None
    charging: ChargingSummary = Field(default_factory=ChargingSummary)
    sessions: tuple[ChargingSession, ...] = ()
    notes: tuple[SectionNote, ...] = ()  # sections that are missing or failed, with reasons
