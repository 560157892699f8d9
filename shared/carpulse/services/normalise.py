"""Tesla payloads → the vehicle snapshot. Attribution happens here and nowhere else."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel

from carpulse.domain.snapshot import (
    ChargingFee,
    ChargingSession,
    ChargingSummary,
    Identity,
    InvoiceRef,
    Money,
    VehicleSnapshot,
)
from carpulse.domain.vin import decode_vin, model_from_vin
from carpulse.services import normalise_sections as sections
from carpulse.services.fetched import FetchedVehicle
from carpulse.tesla import schemas
from carpulse.tesla.lenient import epoch_datetime

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
_REGION_CURRENCY = {"na": "USD", "eu": "EUR", "cn": "CNY"}
# VIN position 4 is the model line for Tesla VINs.


def partition_sessions(
    sessions: Iterable[schemas.ChargingSession], vins: Iterable[str] = ()
) -> dict[str, list[schemas.ChargingSession]]:
    """Account-level charging history split by the VIN each session carries.

    A session without a VIN (unreadable, or Tesla left it out) belongs to no vehicle we can name;
    every vehicle's part gets it (the given VINs and every VIN seen), so each report can say that
    one of the account's sessions could not be read. build_snapshot counts it and never shows it.
    """
    by_vin: dict[str, list[schemas.ChargingSession]] = defaultdict(list)
    orphans = []
    for session in sessions:
        if session.vin:
            by_vin[session.vin.upper()].append(session)
        else:
            orphans.append(session)
    for vin in vins:
        by_vin.setdefault(vin.upper(), [])
    if orphans:
        for part in by_vin.values():
            part.extend(orphans)
    return dict(by_vin)


def model_name(car_type: str | None, vin: str) -> str | None:
    """Human model name from vehicle_config.car_type, else from the VIN."""
    if car_type and car_type.lower() in _MODEL_NAMES:
        return _MODEL_NAMES[car_type.lower()]
    return model_from_vin(vin)


def _readable_fee(fee: schemas.ChargingFee) -> bool:
    # An amount that could not be read would silently lower the totals; the fee is left out and counted.
    return fee.totalDue is not None or (fee.pricingType or "").upper() == "NO_CHARGE"


def _session(vin: str, raw: schemas.ChargingSession, stored_invoices: frozenset[str]) -> ChargingSession:
    readable = [fee for fee in raw.fees if _readable_fee(fee)]
    fees = tuple(
        ChargingFee(
            fee_type=(fee.feeType or "OTHER").upper(),
            currency=(fee.currencyCode or "").upper() or "—",
            total_due=fee.totalDue or 0.0,
            net_due=fee.netDue,
            rate=fee.rateBase,
            usage=fee.usageBase,
            unit=(fee.uom or None),
            pricing_type=fee.pricingType,
            is_paid=fee.isPaid,
        )
        for fee in readable
    )
    energy = sum(
        fee.usageBase or 0.0
        for fee in readable
        if (fee.feeType or "").upper() == "CHARGING" and (fee.uom or "").lower() == "kwh"
    )
    has_energy = any((fee.uom or "").lower() == "kwh" for fee in readable)
    return ChargingSession(
        session_id=str(raw.sessionId) if raw.sessionId is not None else "—",
        vin=vin,
        site=raw.siteLocationName,
        country=raw.countryCode,
        started_at=raw.chargeStartDateTime,
        stopped_at=raw.chargeStopDateTime,
        energy_kwh=energy if has_energy else None,
        billing_type=raw.billingType,
        fees=fees,
        invoices=tuple(
            InvoiceRef(
                file_name=inv.fileName or f"{inv.contentId}.pdf",
                content_id=inv.contentId,
                invoice_type=inv.invoiceType,
                stored=inv.contentId in stored_invoices,
            )
            for inv in raw.invoices
            if inv.contentId
        ),
    )


def _unread_charging(vin: str, sessions: list[schemas.ChargingSession]) -> Counter[str]:
    """Sessions of the account that name no vehicle, and this VIN's fees and invoices left out."""
    counts: Counter[str] = Counter()
    for raw in sessions:
        if not raw.vin:
            counts["sessions"] += 1
        elif raw.vin.upper() == vin:
            counts["fees"] += raw.unreadable.get("fees", 0) + sum(1 for f in raw.fees if not _readable_fee(f))
            counts["invoices"] += raw.unreadable.get("invoices", 0) + sum(1 for i in raw.invoices if not i.contentId)
    return counts


def _unread(model: BaseModel | None, *fields: str) -> int:
    counts = getattr(model, "unreadable", None) or {}
    return sum(counts.get(name, 0) for name in fields)


def unreadable_counts(
    vin: str,
    sessions: list[schemas.ChargingSession] | None,
    modules: dict[str, BaseModel | None],
    dropped: dict[str, int],
) -> dict[str, int]:
    """How many elements of each list Tesla sent could not be read and were left out (zeros omitted)."""
    counts = _unread_charging(vin, sessions or [])
    counts["alerts"] += _unread(modules.get("alerts"), "recent_alerts")
    counts["options"] += _unread(modules.get("options"), "codes")
    counts["release_notes"] += _unread(modules.get("release_notes"), "release_notes")
    counts["warranties"] += _unread(modules.get("warranty"), "activeWarranty", "upcomingWarranty", "expiredWarranty")
    counts["fleet_status"] += _unread(modules.get("fleet_status"), "key_paired_vins", "unpaired_vins", "vehicle_info")
    counts["equipment"] += _unread(modules.get("specs"), "equipmentPrice")
    counts.update(dropped)
    return {key: count for key, count in sorted(counts.items()) if count > 0}


def summarise(sessions: Iterable[ChargingSession]) -> ChargingSummary:
    """Counts, energy, and money per currency and per fee type (never summed across currencies)."""
    items = list(sessions)
    totals: dict[str, float] = defaultdict(float)
    by_type: dict[tuple[str, str], float] = defaultdict(float)
    unpaid: dict[str, float] = defaultdict(float)
    months: dict[str, float] = defaultdict(float)
    for session in items:
        for fee in session.fees:
            totals[fee.currency] += fee.total_due
            by_type[(fee.fee_type, fee.currency)] += fee.total_due
            if fee.is_paid is False and fee.total_due:
                unpaid[fee.currency] += fee.total_due
        if session.started_at and session.energy_kwh:
            months[session.started_at.strftime("%Y-%m")] += session.energy_kwh
    return ChargingSummary(
        session_count=len(items),
        energy_kwh=round(sum(s.energy_kwh or 0.0 for s in items), 3),
        cost_by_currency=tuple(Money(currency=c, amount=round(a, 2)) for c, a in sorted(totals.items())),
        cost_by_fee_type=tuple(
            (fee_type, Money(currency=c, amount=round(a, 2))) for (fee_type, c), a in sorted(by_type.items())
        ),
        energy_by_month=tuple((m, round(kwh, 3)) for m, kwh in sorted(months.items())),
        unpaid=tuple(Money(currency=c, amount=round(a, 2)) for c, a in sorted(unpaid.items())),
    )


def _as_of(data: schemas.VehicleData | None) -> datetime | None:
    if data is None:
        return None
    # Tesla stamps these in milliseconds; seconds are read too, and an implausible stamp is ignored.
    stamps = [
        instant
        for part in (data.charge_state, data.vehicle_state, data.gui_settings, data.vehicle_config)
        if part is not None and (instant := epoch_datetime(part.timestamp)) is not None
    ]
    return max(stamps) if stamps else None


def _start_key(session: ChargingSession) -> datetime:
    started = session.started_at
    if started is None:
        return datetime.min.replace(tzinfo=UTC)
    return started.replace(tzinfo=UTC) if started.tzinfo is None else started


def build_snapshot(
    fetched: FetchedVehicle,
    *,
    report_id: str,
    vin: str,
    region: str | None,
    generated_at: datetime,
    language: str = "en",
) -> VehicleSnapshot:
    """One VIN's snapshot from what was fetched for it. Sessions of other VINs are dropped here,
    whatever was fetched."""
    summary, data, sessions, stored_invoices = fetched.summary, fetched.data, fetched.sessions, fetched.stored_invoices
    alerts, options, release_notes, specs = fetched.alerts, fetched.options, fetched.release_notes, fetched.specs
    warranty, fleet_status = fetched.warranty, fetched.fleet_status
    given = None if sessions is None else list(sessions)
    own = None if given is None else [_session(vin, s, stored_invoices) for s in given if (s.vin or "").upper() == vin]
    config = data.vehicle_config if data else None
    state = data.vehicle_state if data else None
    units = sections.units_of(data, region)
    odometer = state.odometer if state else None
    currencies = Counter(f.currency for s in own or [] for f in s.fees if f.currency != "—")
    identity = Identity(
        vin=vin,
        display_name=(state.vehicle_name if state else None)
        or (data.display_name if data else None)
        or (summary.display_name if summary else None),
        model=model_name(config.car_type if config else None, vin),
        trim=config.trim_badging.upper() if config and config.trim_badging else None,
        exterior_color=config.exterior_color if config else None,
        interior=config.interior_trim_type if config else None,
        wheels=config.wheel_type if config else None,
        drive_unit=config.rear_drive_unit if config else None,
        driver_assist=config.driver_assist if config else None,
        charge_port=config.charge_port_type if config else None,
        market_eu=config.eu_vehicle if config else None,
        ece_restrictions=config.ece_restrictions if config else None,
        right_hand_drive=config.rhd if config else None,
        state=(summary.state if summary else None) or (data.state if data else None),
        vin_facts=decode_vin(vin),
        options=sections.options_of(options),
        # Specs prices come without a currency: take the one the owner charges in most, else the region's.
        specs=sections.specs_of(
            specs, currencies.most_common(1)[0][0] if currencies else _REGION_CURRENCY.get(region or "")
        ),
    )
    software = sections.software_of(state, release_notes, fleet_status, vin)
    modules: dict[str, BaseModel | None] = {
        "alerts": alerts,
        "options": options,
        "release_notes": release_notes,
        "warranty": warranty,
        "fleet_status": fleet_status,
        "specs": specs,
    }
    return VehicleSnapshot(
        report_id=report_id,
        generated_at=generated_at,
        language=language,
        data_as_of=_as_of(data),
        region=region,
        utc_offset_seconds=config.utc_offset if config else None,
        distance_unit=units.distance,
        units=units,
        identity=identity,
        software_version=software.version if software else None,
        odometer_mi=odometer,
        battery=sections.battery_of(data.charge_state if data else None),
        charging=summarise(own) if own is not None else None,
        sessions=tuple(sorted(own or [], key=_start_key)),
        alerts=sections.alerts_of(alerts),
        service=sections.service_of(fetched.service, summary),
        warranties=sections.warranties_of(warranty, generated_at, odometer),
        software=software,
        tyres=sections.tyres_of(state),
        security=sections.security_of(state, fleet_status, vin),
        climate=sections.climate_of(data.climate_state if data else None),
        notes=tuple(fetched.notes),
        sources=tuple(fetched.sources),
        unreadable=unreadable_counts(vin, given, modules, sections.dropped_items(alerts, options, release_notes)),
    )
