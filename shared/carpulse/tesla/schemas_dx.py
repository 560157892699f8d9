"""Typed, tolerant models of the per-vehicle modules and user endpoints (see schemas.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from carpulse.tesla.lenient import NonNegative, Objects, Texts
from carpulse.tesla.schemas import Bool, DateTime, Float, Int, Str, TeslaModel


class ServiceData(TeslaModel):
    """vehicles/{vin}/service_data: often {} (no visit)."""

    service_status: Str = None
    service_etc: DateTime = None
    service_visit_number: Str = None
    status_id: Int = None


class RecentAlert(TeslaModel):
    name: Str = None
    time: DateTime = None
    audience: Texts = Field(default_factory=list)
    user_text: Str = None


class RecentAlerts(TeslaModel):
    recent_alerts: Objects[RecentAlert] = Field(default_factory=list)


class ReleaseNote(TeslaModel):
    title: Str = None
    subtitle: Str = None
    description: Str = None
    customer_version: Str = None
    is_fallback: Bool = None


class ReleaseNotes(TeslaModel):
    """release_notes arrives nested (response.response.release_notes) or flat; both land here."""

    release_notes: Objects[ReleaseNote] = Field(default_factory=list)
    deployed_version: Str = None
    staged_version: Str = None
    release_notes_version: Str = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_nested(cls, data: Any) -> Any:
        if isinstance(data, dict) and "release_notes" not in data and isinstance(data.get("response"), dict):
            return data["response"]
        return data


class WarrantyItem(TeslaModel):
    warrantyType: Str = None  # noqa: N815 - Tesla's field names
    warrantyDisplayName: Str = None  # noqa: N815
    expirationDate: DateTime = None  # noqa: N815
    expirationOdometer: NonNegative = None  # noqa: N815
    odometerUnit: Str = None  # noqa: N815
    warrantyExpiredOn: DateTime = None  # noqa: N815
    coverageAgeInYears: NonNegative = None  # noqa: N815


class WarrantyDetails(TeslaModel):
    activeWarranty: Objects[WarrantyItem] = Field(default_factory=list)  # noqa: N815
    upcomingWarranty: Objects[WarrantyItem] = Field(default_factory=list)  # noqa: N815
    expiredWarranty: Objects[WarrantyItem] = Field(default_factory=list)  # noqa: N815


class OptionItem(TeslaModel):
    code: Str = None
    displayName: Str = None  # noqa: N815
    isActive: Bool = None  # noqa: N815
    colorCode: Str = None  # noqa: N815


class VehicleOptions(TeslaModel):
    codes: Objects[OptionItem] = Field(default_factory=list)


class EquipmentPrice(TeslaModel):
    code: Str = None
    name: Str = None
    price: Float = None


class VehicleSpecs(TeslaModel):
    """vehicles/{vin}/specs (partner token). Many values are strings with units ("82.3kWh")."""

    vin: Str = None
    batterySoH: Str = None  # noqa: N815
    batteryCapacityKwh: Str = None  # noqa: N815
    batterySoHTimestamp: DateTime = None  # noqa: N815
    make: Str = None
    model: Str = None
    modelYear: Int = None  # noqa: N815
    trim: Str = None
    typeOfDrive: Str = None  # noqa: N815
    paintCode: Str = None  # noqa: N815
    interiorCode: Str = None  # noqa: N815
    wheelsCode: Str = None  # noqa: N815
    totalPrice: Float = None  # noqa: N815
    countryOfOrigin: Str = None  # noqa: N815
    productionDate: DateTime = None  # noqa: N815
    maxPowerInKw: Str = None  # noqa: N815
    batteryRangeInKm: Str = None  # noqa: N815
    autopilotSoftwareCode: Str = None  # noqa: N815
    equipmentPrice: Objects[EquipmentPrice] = Field(default_factory=list)  # noqa: N815


class FleetVehicleInfo(TeslaModel):
    firmware_version: Str = None
    vehicle_command_protocol_required: Bool = None
    discounted_device_data: Bool = None
    fleet_telemetry_version: Str = None
    total_number_of_keys: Int = None


class FleetStatus(TeslaModel):
    key_paired_vins: Texts = Field(default_factory=list)
    unpaired_vins: Texts = Field(default_factory=list)
    vehicle_info: dict[str, FleetVehicleInfo] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_bad_info(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        raw = data.get("vehicle_info")
        if not isinstance(raw, dict):
            return {**data, "vehicle_info": {}}
        info = {k: v for k, v in raw.items() if isinstance(v, dict)}
        if len(info) == len(raw):
            return data
        counted = data.get("unreadable")
        previous = counted if isinstance(counted, dict) else {}
        unreadable = {**previous, "vehicle_info": len(raw) - len(info)}
        return {**data, "vehicle_info": info, "unreadable": unreadable}


class UserMe(TeslaModel):
    email: Str = None
    full_name: Str = None
    vault_uuid: Str = None


class Order(TeslaModel):
    vin: Str = None
    orderStatus: Str = None  # noqa: N815
    modelCode: Str = None  # noqa: N815
    countryCode: Str = None  # noqa: N815
    mktOptions: Str = None  # noqa: N815


class FeatureConfig(TeslaModel):
    signaling: dict[str, Any] = Field(default_factory=dict)


class BusinessChargingSession(TeslaModel):
    """dx/charging/sessions (business fleets only)."""

    id: Str = None
    vin: Str = None
    model: Str = None
    start_date_time: DateTime = None
    stop_date_time: DateTime = None
    total_energy: Float = None
    total_time: Float = None
    total_cost: dict[str, Any] = Field(default_factory=dict)
    location: dict[str, Any] = Field(default_factory=dict)
