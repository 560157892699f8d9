"""Tesla payloads → the vehicle snapshot. Attribution happens here and nowhere else."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from carpulse.domain.snapshot import (
    Battery,
    ChargingFee,
    ChargingSession,
    ChargingSummary,
    DistanceUnit,
    Identity,
    InvoiceRef,
    Money,
    SectionNote,
    VehicleSnapshot,
)
from carpulse.tesla import schemas

_MODEL_NAMES = {
    "model3": "Model 3",
    "modely": "Model Y",
    "models": "Model S",
    "models2": "Model S",
    "modelx": "Model X",
    "cybertruck": "Cybertruck",
    "lychee": "Model S",
    "tamarind": "Model X",
}
# VIN position 4 is the model line for Tesla VINs.
_MODEL_BY_VIN_CHAR = {"3": "Model 3", "Y": "Model Y", "S": "Model S", "X": "Model X", "C": "Cybertruck"}


def partition_sessions(sessions: Iterable[schemas.ChargingSession]) -> dict[str, list[schemas.ChargingSession]]:
    """Account-level charging history split by the VIN each session carries."""
    by_vin: dict[str, list[schemas.ChargingSession]] = defaultdict(list)
    for session in sessions:
        if session.vin:
            by_vin[session.vin.upper()].append(session)
    return dict(by_vin)


def model_name(car_type: str | None, vin: str) -> str | None:
    """Human model name from vehicle_config.car_type, else from the VIN."""
    if car_type and car_type.lower() in _MODEL_NAMES:
        return _MODEL_NAMES[car_type.lower()]
    if len(vin) == 17 and vin[:3] in ("5YJ", "7SA", "LRW", "XP7", "SFZ", "7G2"):
        return _MODEL_BY_VIN_CHAR.get(vin[3])
    return None


def _session(vin: str, raw: schemas.ChargingSession) -> ChargingSession:
    fees = tuple(
        ChargingFee(
            fee_type=fee.feeType or "OTHER",
            currency=(fee.currencyCode or "").upper() or "—",
            total_due=fee.totalDue or 0.0,
            usage=fee.usageBase,
            unit=(fee.uom or None),
            is_paid=fee.isPaid,
        )
        for fee in raw.fees
    )
    energy = sum(
        fee.usageBase or 0.0
        for fee in raw.fees
        if (fee.feeType or "").upper() == "CHARGING" and (fee.uom or "").lower() == "kwh"
    )
    has_energy = any((fee.uom or "").lower() == "kwh" for fee in raw.fees)
    return ChargingSession(
        session_id=str(raw.sessionId) if raw.sessionId is not None else "—",
        vin=vin,
        site=raw.siteLocationName,
        country=raw.countryCode,
        started_at=raw.chargeStartDateTime,
        stopped_at=raw.chargeStopDateTime,
        energy_kwh=energy if has_energy else None,
        fees=fees,
        invoices=tuple(
            InvoiceRef(file_name=inv.fileName or f"{inv.contentId}.pdf", content_id=inv.contentId)
            for inv in raw.invoices
            if inv.contentId
        ),
    )


def summarise(sessions: Iterable[ChargingSession]) -> ChargingSummary:
    """Session count, energy and cost per currency (never summed across currencies)."""
    items = list(sessions)
    totals: dict[str, float] = defaultdict(float)
    for session in items:
        for fee in session.fees:
            totals[fee.currency] += fee.total_due
    return ChargingSummary(
        session_count=len(items),
        energy_kwh=round(sum(s.energy_kwh or 0.0 for s in items), 3),
        cost_by_currency=tuple(Money(currency=c, amount=round(a, 2)) for c, a in sorted(totals.items())),
    )


def _as_of(data: schemas.VehicleData | None) -> datetime | None:
    if data is None:
        return None
    stamps = [
        part.timestamp
        for part in (data.charge_state, data.vehicle_state, data.gui_settings, data.vehicle_config)
        if part is not None and part.timestamp
    ]
    return datetime.fromtimestamp(max(stamps) / 1000, tz=UTC) if stamps else None


def _distance_unit(data: schemas.VehicleData | None, region: str | None) -> DistanceUnit:
    units = data.gui_settings.gui_distance_units if data and data.gui_settings else None
    if units:
        return DistanceUnit.MI if units.lower().startswith("mi") else DistanceUnit.KM
    return DistanceUnit.MI if region == "na" else DistanceUnit.KM


def build_snapshot(
    *,
    report_id: str,
    generated_at: datetime,
    region: str | None,
    vin: str,
    summary: schemas.VehicleSummary | None,
    data: schemas.VehicleData | None,
    sessions: Iterable[schemas.ChargingSession],
    notes: Iterable[SectionNote] = (),
) -> VehicleSnapshot:
    """One VIN's snapshot. Sessions of other VINs are dropped here, whatever the caller passed."""
    own = [_session(vin, s) for s in sessions if (s.vin or "").upper() == vin]
    config = data.vehicle_config if data else None
    state = data.vehicle_state if data else None
    charge = data.charge_state if data else None
    identity = Identity(
        vin=vin,
        display_name=(state.vehicle_name if state else None)
        or (data.display_name if data else None)
        or (summary.display_name if summary else None),
        model=model_name(config.car_type if config else None, vin),
        trim=config.trim_badging.upper() if config and config.trim_badging else None,
        exterior_color=config.exterior_color if config else None,
        state=(summary.state if summary else None) or (data.state if data else None),
    )
    battery = (
        Battery(
            level_percent=charge.battery_level,
            usable_level_percent=charge.usable_battery_level,
            rated_range_mi=charge.battery_range,
            estimated_range_mi=charge.est_battery_range,
            charge_limit_percent=charge.charge_limit_soc,
            charging_state=charge.charging_state,
        )
        if charge
        else None
    )
    return VehicleSnapshot(
        report_id=report_id,
        generated_at=generated_at,
        data_as_of=_as_of(data),
        region=region,
        distance_unit=_distance_unit(data, region),
        identity=identity,
        software_version=state.car_version.split()[0] if state and state.car_version else None,
        odometer_mi=state.odometer if state else None,
        battery=battery,
        charging=summarise(own),
        sessions=tuple(sorted(own, key=lambda s: s.started_at or datetime.min.replace(tzinfo=UTC))),
        notes=tuple(notes),
    )
