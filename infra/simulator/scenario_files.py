"""Models of the per-vehicle endpoint files; each file holds the `response` value of one endpoint."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Loose(BaseModel):
    """Base for scenario models: Tesla adds fields without notice, so extra keys are kept and served."""

    model_config = ConfigDict(extra="allow")


class VehicleDataFile(Loose):
    """vehicle_data.json."""

    vin: str | None = None


class ServiceDataFile(Loose):
    """service_data.json ({} when there is no visit)."""

    service_status: str | None = None
    service_etc: str | None = None
    service_visit_number: str | None = None
    status_id: int | None = None


class Alert(Loose):
    """One recent alert."""

    name: str
    time: str
    audience: list[str] = Field(default_factory=list)
    user_text: str = ""


class RecentAlertsFile(Loose):
    """recent_alerts.json."""

    recent_alerts: list[Alert]


class ReleaseNotesInner(Loose):
    """The object that holds release_notes[] (flat shape, or the inner object of the nested shape)."""

    release_notes: list[dict[str, Any]]


class ReleaseNotesFile(Loose):
    """release_notes.json: nested {"response": {"release_notes": []}} or flat {"release_notes": []}."""

    response: ReleaseNotesInner | None = None
    release_notes: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> ReleaseNotesFile:
        if (self.response is None) == (self.release_notes is None):
            raise ValueError('use exactly one of "response" (nested shape) or "release_notes" (flat shape)')
        return self


class WarrantyFile(Loose):
    """warranty.json."""

    active_warranty: list[dict[str, Any]] = Field(alias="activeWarranty", default_factory=list)
    upcoming_warranty: list[dict[str, Any]] = Field(alias="upcomingWarranty", default_factory=list)
    expired_warranty: list[dict[str, Any]] = Field(alias="expiredWarranty", default_factory=list)


class OptionCode(Loose):
    """One option code."""

    code: str
    display_name: str = Field(alias="displayName")
    is_active: bool = Field(alias="isActive")


class OptionsFile(Loose):
    """options.json."""

    codes: list[OptionCode]


class SpecsFile(Loose):
    """specs.json."""

    vin: str | None = None


class FleetStatusFile(Loose):
    """fleet_status.json: the response for a request naming only this vehicle."""

    key_paired_vins: list[str] = Field(default_factory=list)
    unpaired_vins: list[str] = Field(default_factory=list)
    vehicle_info: dict[str, dict[str, Any]] = Field(default_factory=dict)


VEHICLE_FILES: dict[str, type[BaseModel]] = {
    "vehicle_data": VehicleDataFile,
    "service_data": ServiceDataFile,
    "recent_alerts": RecentAlertsFile,
    "release_notes": ReleaseNotesFile,
    "warranty": WarrantyFile,
    "options": OptionsFile,
    "specs": SpecsFile,
    "fleet_status": FleetStatusFile,
}

# What an endpoint answers when its file is missing (Tesla's documented empty shapes).
EMPTY_RESPONSES: dict[str, Any] = {
    "service_data": {},
    "recent_alerts": {"recent_alerts": []},
    "release_notes": {"response": {"release_notes": []}},
    "warranty": {"activeWarranty": [], "upcomingWarranty": [], "expiredWarranty": []},
    "options": {"codes": []},
    "specs": {},
    "fleet_status": {"key_paired_vins": [], "unpaired_vins": [], "vehicle_info": {}},
}
