"""The normalised vehicle snapshot: the only input a report renderer ever sees.

Attribution (which vehicle a datum belongs to), VIN decoding and derived figures are settled here,
during normalisation; renderers only format and translate what they are given.

Units are Tesla's: distances in miles, temperatures in °C, tyre pressures in bar, energy in kWh.
The owner's display preferences are in `units`; converting is the renderer's job.

A section that could not be fetched is None (and `notes` says why); a section that was fetched and
is empty is an empty tuple. The two must read differently in a report.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SectionState(StrEnum):
    """How a report section came out."""

    OK = "ok"
    MISSING = "missing"  # nothing to show, for a known reason (asleep, scope, empty)
    FAILED = "failed"  # Tesla or we failed to deliver it


class Section(StrEnum):
    """Report sections, in report order (also the keys of notes and sources)."""

    SUMMARY = "summary"
    IDENTITY = "identity"
    BATTERY = "battery"
    BATTERY_HEALTH = "battery_health"
    CHARGING = "charging"
    ALERTS = "alerts"
    SERVICE = "service"
    SOFTWARE = "software"
    TYRES = "tyres"
    SECURITY = "security"
    SOURCES = "sources"


class SectionNote(_Model):
    """Why a section (or part of one) is missing or failed, in words a reader understands.

    `reason` is a message key of the report catalog (e.g. "reason.vehicle_asleep"); `detail` holds
    values for it (e.g. {"status": "540"}). Older snapshots carry an English sentence instead.
    """

    section: str
    state: SectionState
    reason: str
    detail: dict[str, str] = Field(default_factory=dict)


class DistanceUnit(StrEnum):
    KM = "km"
    MI = "mi"


class TemperatureUnit(StrEnum):
    C = "C"
    F = "F"


class PressureUnit(StrEnum):
    BAR = "bar"
    PSI = "psi"


class Units(_Model):
    """The owner's display units (from gui_settings, else the region's default)."""

    distance: DistanceUnit = DistanceUnit.KM
    temperature: TemperatureUnit = TemperatureUnit.C
    pressure: PressureUnit = PressureUnit.BAR
    time_24h: bool = True


class Money(_Model):
    """An amount in one currency. Amounts in different currencies are never added."""

    currency: str
    amount: float


# --- identity ----------------------------------------------------------------------------------


class VinFacts(_Model):
    """What the VIN itself says (ISO 3779 positions)."""

    manufacturer: str | None = None  # from the WMI, positions 1-3
    model_year: int | None = None  # position 10
    plant: str | None = None  # position 11, e.g. "Berlin-Brandenburg, Germany"
    check_digit_valid: bool | None = None  # position 9 (North American rule)


class OptionCode(_Model):
    code: str
    name: str | None = None
    active: bool = True


class EquipmentItem(_Model):
    code: str | None = None
    name: str | None = None
    price: float | None = None


class Specs(_Model):
    """From /vehicles/{vin}/specs (partner token)."""

    battery_capacity_kwh: float | None = None
    state_of_health_percent: float | None = None
    state_of_health_as_of: datetime | None = None
    production_date: datetime | None = None
    country_of_origin: str | None = None  # ISO code as Tesla gives it
    drive_type: str | None = None
    model_year: int | None = None
    trim: str | None = None
    max_power: str | None = None  # free text, e.g. "158 kW (front); 303 kW (rear)"
    range_km: float | None = None
    original_price: Money | None = None
    equipment: tuple[EquipmentItem, ...] = ()


class Identity(_Model):
    """Who the vehicle is."""

    vin: str
    display_name: str | None = None
    model: str | None = None  # human name, e.g. "Model 3"
    trim: str | None = None
    exterior_color: str | None = None
    interior: str | None = None
    wheels: str | None = None
    drive_unit: str | None = None
    driver_assist: str | None = None
    charge_port: str | None = None
    market_eu: bool | None = None
    ece_restrictions: bool | None = None
    right_hand_drive: bool | None = None
    state: str | None = None  # online / asleep / offline, as seen at fetch time
    vin_facts: VinFacts = Field(default_factory=VinFacts)
    options: tuple[OptionCode, ...] | None = None  # None: options not fetched
    specs: Specs | None = None  # None: no partner token / not available


# --- battery -----------------------------------------------------------------------------------


class Battery(_Model):
    """Battery and charge state. Ranges in miles, temperatures in °C, as Tesla reports them."""

    level_percent: int | None = None
    usable_level_percent: int | None = None
    rated_range_mi: float | None = None
    ideal_range_mi: float | None = None
    estimated_range_mi: float | None = None
    range_at_100_mi: float | None = None  # rated range / level, when both are known
    charge_limit_percent: int | None = None
    charge_limit_standard_percent: int | None = None
    charging_state: str | None = None
    charge_rate_kw: float | None = None
    energy_remaining_kwh: float | None = None
    lifetime_energy_used_kwh: float | None = None
    module_temp_min_c: float | None = None
    module_temp_max_c: float | None = None
    battery_heater_on: bool | None = None


# --- charging ----------------------------------------------------------------------------------


class ChargingFee(_Model):
    fee_type: str  # CHARGING, PARKING, CONGESTION, ...
    currency: str
    total_due: float
    net_due: float | None = None
    rate: float | None = None
    usage: float | None = None
    unit: str | None = None  # kwh / min
    pricing_type: str | None = None  # PAYMENT / NO_CHARGE
    is_paid: bool | None = None


class InvoiceRef(_Model):
    file_name: str
    content_id: str
    invoice_type: str | None = None
    stored: bool = False  # the PDF was downloaded into the report's invoice ZIP


class ChargingSession(_Model):
    """One charging session, already attributed to this snapshot's VIN."""

    session_id: str
    vin: str
    site: str | None = None
    country: str | None = None
    started_at: datetime | None = None  # keeps the session's own UTC offset
    stopped_at: datetime | None = None
    energy_kwh: float | None = None
    billing_type: str | None = None
    fees: tuple[ChargingFee, ...] = ()
    invoices: tuple[InvoiceRef, ...] = ()


class ChargingSummary(_Model):
    """Totals over this VIN's sessions; costs per currency, and per fee type and currency."""

    session_count: int = 0
    energy_kwh: float = 0.0
    cost_by_currency: tuple[Money, ...] = ()
    cost_by_fee_type: tuple[tuple[str, Money], ...] = ()  # (fee type, amount in one currency)
    energy_by_month: tuple[tuple[str, float], ...] = ()  # ("2026-01", kWh), months in the sessions' offsets
    unpaid: tuple[Money, ...] = ()


# --- other sections ----------------------------------------------------------------------------


class Alert(_Model):
    time: datetime | None = None
    code: str
    text: str | None = None
    audience: tuple[str, ...] = ()


class ServiceStatus(_Model):
    status: str | None = None  # e.g. "car_in_repair"; None with in_service False = no visit
    in_service: bool | None = None
    estimated_completion: datetime | None = None
    visit_number: str | None = None


class WarrantyKind(StrEnum):
    ACTIVE = "active"
    UPCOMING = "upcoming"
    EXPIRED = "expired"


class Warranty(_Model):
    kind: WarrantyKind
    type: str | None = None
    name: str | None = None
    expires_on: date | None = None
    expires_at_distance: float | None = None  # in `distance_unit`
    distance_unit: DistanceUnit | None = None  # Tesla says KM or MI per warranty
    coverage_years: float | None = None
    expired_on: date | None = None
    remaining_days: int | None = None  # from the report date; negative when past
    remaining_distance: float | None = None  # in `distance_unit`, from the odometer


class BatteryWarranty(_Model):
    """The battery warranty as Tesla reports it, with the capacity floor its terms state."""

    name: str | None = None
    kind: WarrantyKind | None = None
    expires_on: date | None = None
    remaining_days: int | None = None  # from the report date; negative when past
    remaining_distance: float | None = None  # in `distance_unit`, from the odometer
    distance_unit: DistanceUnit | None = None
    capacity_floor_percent: float | None = None  # None: no floor stated for this model and year


class BatteryHealth(_Model):
    """State of health: Tesla's own figure, and our estimate with the method (docs/battery-health.md).

    Set during the vehicle task from the other parts of the snapshot; None in older snapshots.
    Ranges in miles, like Battery. `missing_reason` (a catalog key) says why there is no estimate.
    """

    method: str  # the published method's version, e.g. "bh-1"
    tesla_soh_percent: float | None = None
    tesla_soh_as_of: datetime | None = None
    estimate_percent: float | None = None
    estimate_band_points: float | None = None  # ± from the integer battery level alone
    missing_reason: str | None = None
    range_at_100_mi: float | None = None
    reference_range_mi: float | None = None
    reference_standard: str | None = None  # "specs", "epa" or "wltp"
    reference_label: str | None = None  # e.g. "Model 3 Long Range AWD, 2024"
    reference_source: str | None = None  # where the reference figure comes from
    level_percent: int | None = None
    usable_level_percent: int | None = None
    rated_range_mi: float | None = None
    module_temp_min_c: float | None = None
    charging_state: str | None = None
    software_version: str | None = None
    measured_at: datetime | None = None
    distortions: tuple[str, ...] = ()  # catalog keys of what may bend this reading
    warranty: BatteryWarranty | None = None


class ReleaseNote(_Model):
    title: str
    subtitle: str | None = None
    description: str | None = None
    version: str | None = None


class Software(_Model):
    version: str | None = None
    update_status: str | None = None  # "", "available", "scheduled", "downloading", "installing"
    pending_version: str | None = None
    download_percent: int | None = None
    install_percent: int | None = None
    release_notes: tuple[ReleaseNote, ...] | None = None  # None: not fetched


class TyrePosition(StrEnum):
    FRONT_LEFT = "fl"
    FRONT_RIGHT = "fr"
    REAR_LEFT = "rl"
    REAR_RIGHT = "rr"


class Tyre(_Model):
    position: TyrePosition
    pressure_bar: float | None = None
    recommended_bar: float | None = None
    soft_warning: bool | None = None
    hard_warning: bool | None = None
    last_seen: datetime | None = None


class Security(_Model):
    locked: bool | None = None
    sentry_mode: bool | None = None
    valet_mode: bool | None = None
    speed_limit_active: bool | None = None
    speed_limit_mph: float | None = None
    open_doors: tuple[str, ...] | None = None  # df, dr, pf, pr, ft (frunk), rt (trunk); None: not read
    open_windows: tuple[str, ...] | None = None
    keys_paired: bool | None = None  # from fleet_status
    command_protocol_required: bool | None = None
    total_keys: int | None = None


class Climate(_Model):
    inside_c: float | None = None
    outside_c: float | None = None
    driver_setting_c: float | None = None
    passenger_setting_c: float | None = None
    climate_on: bool | None = None
    cabin_overheat_protection: str | None = None


class DataSource(_Model):
    """One Tesla endpoint as called for this report."""

    endpoint: str  # e.g. "vehicle_data", "warranty"
    status: int | None  # HTTP status; None when no answer
    fetched_at: datetime
    region: str | None = None


class TeslaBill(_Model):
    """What Tesla bills for this vehicle's part of the report (domain/billing.py), at render time."""

    calls: dict[str, int] = Field(default_factory=dict)  # billed answers by category
    cost_usd: float = 0.0
    prices_as_of: str = ""


class VehicleSnapshot(_Model):
    """Everything a report knows about one vehicle, fetched once and normalised."""

    report_id: str
    generated_at: datetime
    language: str = "en"
    data_as_of: datetime | None = None
    region: str | None = None
    utc_offset_seconds: int | None = None  # the vehicle's local offset (vehicle_config.utc_offset)
    distance_unit: DistanceUnit = DistanceUnit.KM  # = units.distance, kept for older renderers
    units: Units = Field(default_factory=Units)
    identity: Identity
    software_version: str | None = None  # = software.version, kept for older renderers
    odometer_mi: float | None = None
    battery: Battery | None = None
    charging: ChargingSummary | None = Field(default_factory=ChargingSummary)  # None: history unavailable
    sessions: tuple[ChargingSession, ...] = ()
    alerts: tuple[Alert, ...] | None = None
    service: ServiceStatus | None = None
    warranties: tuple[Warranty, ...] | None = None
    software: Software | None = None
    tyres: tuple[Tyre, ...] | None = None
    security: Security | None = None
    climate: Climate | None = None
    notes: tuple[SectionNote, ...] = ()  # sections that are missing or failed, with reasons
    sources: tuple[DataSource, ...] = ()
    # Elements of Tesla's lists that could not be read and were left out, per kind ("sessions",
    # "fees", "invoices", "alerts", "options", "release_notes", "warranties", "fleet_status", "equipment").
    unreadable: dict[str, int] = Field(default_factory=dict)
    battery_health: BatteryHealth | None = None  # None: not assessed (a snapshot older than the method)
    tesla_bill: TeslaBill | None = None  # None: not counted (a snapshot older than the count)
