"""Scenario loading: an account, its vehicles and every endpoint's canned response, validated on load.

The format is documented in scenarios/README.md. Files are validated with pydantic but served from
the raw JSON as loaded, so key order, int-vs-float and quirks such as "<invalid>" reach clients intact.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .scenario_files import EMPTY_RESPONSES, VEHICLE_FILES, FleetStatusFile, Loose, SpecsFile, VehicleDataFile

Region = Literal["na", "eu", "cn"]
VehicleState = Literal["online", "asleep", "offline"]

VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"
_VIN_VALUES = {
    **{str(i): i for i in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


class ScenarioError(ValueError):
    """A scenario file is missing, unreadable or invalid; the message names the file."""


def vin_check_digit(vin: str) -> str:
    """Return the ISO 3779 / FMVSS 115 check digit (position 9) for a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


class Account(Loose):
    """The one Tesla account a scenario simulates."""

    email: str
    full_name: str
    region: Region
    profile_image_url: str | None = None
    vault_uuid: str = "00000000-0000-4000-8000-000000000000"
    orders: list[dict[str, Any]] = Field(default_factory=list)
    feature_config: dict[str, Any] = Field(
        default_factory=lambda: {
            "signaling": {"enabled": True, "subscribe_connectivity": False, "use_auth_token": False}
        }
    )


class VehicleEntry(Loose):
    """A vehicle as listed by GET /api/1/vehicles; extra keys are added to the vehicle object."""

    vin: str = Field(pattern=VIN_PATTERN)
    display_name: str
    state: VehicleState
    id: int
    vehicle_id: int
    option_codes: str | None = None
    color: str | None = None
    access_type: str = "OWNER"
    in_service: bool = False
    calendar_enabled: bool = True
    api_version: int | None = None
    granular_access: dict[str, Any] = Field(default_factory=lambda: {"hide_private": False})
    ble_autopair_enrolled: bool = False


class ScenarioFile(BaseModel):
    """scenario.json."""

    model_config = ConfigDict(extra="forbid")

    account: Account
    vehicles: list[VehicleEntry]

    @model_validator(mode="after")
    def _unique(self) -> ScenarioFile:
        vins = [v.vin for v in self.vehicles]
        if len(set(vins)) != len(vins):
            raise ValueError("vehicle VINs must be unique")
        ids = [v.id for v in self.vehicles]
        if len(set(ids)) != len(ids):
            raise ValueError("vehicle ids must be unique")
        return self


class Fee(Loose):
    """One fee line of a charging session."""

    session_fee_id: int = Field(alias="sessionFeeId")
    fee_type: str = Field(alias="feeType")
    currency_code: str = Field(alias="currencyCode", pattern=r"^[A-Z]{3}$")
    pricing_type: str = Field(alias="pricingType")
    total_due: float = Field(alias="totalDue")
    uom: str


class InvoiceRef(Loose):
    """An invoice reference inside a charging session."""

    file_name: str = Field(alias="fileName")
    content_id: str = Field(alias="contentId", pattern=r"^[A-Za-z0-9._-]+$")
    invoice_type: str = Field(alias="invoiceType")


class ChargingSession(Loose):
    """One session of GET /api/1/dx/charging/history; each carries its own vin."""

    session_id: int = Field(alias="sessionId")
    vin: str = Field(pattern=VIN_PATTERN)
    site_location_name: str = Field(alias="siteLocationName")
    charge_start_date_time: str = Field(alias="chargeStartDateTime")
    charge_stop_date_time: str | None = Field(default=None, alias="chargeStopDateTime")
    country_code: str | None = Field(default=None, alias="countryCode")
    fees: list[Fee] = Field(default_factory=list)
    invoices: list[InvoiceRef] = Field(default_factory=list)

    @field_validator("charge_start_date_time", "charge_stop_date_time")
    @classmethod
    def _aware_iso(cls, value: str | None) -> str | None:
        if value is not None and datetime.fromisoformat(value).tzinfo is None:
            raise ValueError("must be ISO 8601 with a UTC offset")
        return value

    def start(self) -> datetime:
        """Session start as an aware datetime (used for time filters and sorting)."""
        return datetime.fromisoformat(self.charge_start_date_time)


class ChargingHistoryFile(BaseModel):
    """charging_history.json: a list of sessions."""

    sessions: list[ChargingSession]

    @model_validator(mode="after")
    def _unique(self) -> ChargingHistoryFile:
        ids = [s.session_id for s in self.sessions]
        if len(set(ids)) != len(ids):
            raise ValueError("sessionId values must be unique")
        content_ids = [i.content_id for s in self.sessions for i in s.invoices]
        if len(set(content_ids)) != len(content_ids):
            raise ValueError("invoice contentId values must be unique")
        return self


@dataclass(frozen=True)
class VehicleScenario:
    """One vehicle: its list entry and the raw responses of the endpoint files present."""

    entry: VehicleEntry
    files: dict[str, Any] = field(default_factory=dict)

    def response(self, endpoint: str) -> Any:
        """A deep copy of the endpoint's response, or its documented empty shape when the file is missing."""
        if endpoint in self.files:
            return copy.deepcopy(self.files[endpoint])
        return copy.deepcopy(EMPTY_RESPONSES[endpoint])


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario directory."""

    root: Path
    account: Account
    vehicles: dict[str, VehicleScenario]
    sessions: list[ChargingSession]
    raw_sessions: list[dict[str, Any]]
    invoice_files: dict[str, Path]

    def invoice(self, content_id: str) -> tuple[ChargingSession, InvoiceRef] | None:
        """The session and invoice reference that carry a contentId, if any."""
        for session in self.sessions:
            for invoice in session.invoices:
                if invoice.content_id == content_id:
                    return session, invoice
        return None

    def vehicle_by_tag(self, tag: str) -> VehicleScenario | None:
        """Find a vehicle by VIN or by its numeric id (Tesla accepts both as the path's vehicle tag)."""
        if tag in self.vehicles:
            return self.vehicles[tag]
        return next((v for v in self.vehicles.values() if str(v.entry.id) == tag), None)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read JSON: {exc}") from exc


def _validate(path: Path, model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def _load_vehicle_files(path: Path, vin: str) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for file in sorted(path.iterdir()):
        if file.name.startswith("."):
            continue
        endpoint = file.name.removesuffix(".json")
        if not file.name.endswith(".json") or endpoint not in VEHICLE_FILES:
            allowed = ", ".join(f"{name}.json" for name in VEHICLE_FILES)
            raise ScenarioError(f"{file}: unknown file; allowed: {allowed}")
        raw = _read_json(file)
        parsed = _validate(file, VEHICLE_FILES[endpoint], raw)
        if isinstance(parsed, VehicleDataFile | SpecsFile) and parsed.vin not in (None, vin):
            raise ScenarioError(f"{file}: vin {parsed.vin!r} does not match the folder's VIN {vin}")
        if isinstance(parsed, FleetStatusFile):
            named = {*parsed.key_paired_vins, *parsed.unpaired_vins, *parsed.vehicle_info}
            if named - {vin}:
                raise ScenarioError(f"{file}: names other VINs {sorted(named - {vin})}; only {vin} allowed")
        files[endpoint] = raw
    return files


def load_scenario(root: Path | str) -> Scenario:
    """Load and validate a scenario directory; raise ScenarioError naming the offending file."""
    root = Path(root)
    main = root / "scenario.json"
    if not main.is_file():
        raise ScenarioError(f"{main}: missing (a scenario directory needs scenario.json)")
    spec: ScenarioFile = _validate(main, ScenarioFile, _read_json(main))

    vehicles = {entry.vin: VehicleScenario(entry=entry) for entry in spec.vehicles}
    vehicles_dir = root / "vehicles"
    if vehicles_dir.is_dir():
        for folder in sorted(vehicles_dir.iterdir()):
            if folder.name.startswith("."):
                continue
            if not folder.is_dir() or folder.name not in vehicles:
                raise ScenarioError(f"{folder}: not a folder named after a VIN listed in {main}")
            entry = vehicles[folder.name].entry
            vehicles[folder.name] = VehicleScenario(entry=entry, files=_load_vehicle_files(folder, entry.vin))

    history_path = root / "charging_history.json"
    raw_sessions: list[dict[str, Any]] = []
    sessions: list[ChargingSession] = []
    if history_path.is_file():
        raw = _read_json(history_path)
        if not isinstance(raw, list):
            raise ScenarioError(f"{history_path}: must be a JSON list of sessions")
        sessions = _validate(history_path, ChargingHistoryFile, {"sessions": raw}).sessions
        raw_sessions = raw

    invoice_files: dict[str, Path] = {}
    invoices_dir = root / "invoices"
    if invoices_dir.is_dir():
        for file in sorted(invoices_dir.iterdir()):
            if file.name.startswith("."):
                continue
            if file.suffix != ".pdf" or not file.read_bytes().startswith(b"%PDF"):
                raise ScenarioError(f"{file}: invoices/ may only hold PDF files named <contentId>.pdf")
            invoice_files[file.stem] = file

    return Scenario(
        root=root,
        account=spec.account,
        vehicles=vehicles,
        sessions=sessions,
        raw_sessions=raw_sessions,
        invoice_files=invoice_files,
    )
