"""Tesla payloads → snapshot sections other than charging (see normalise.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from carpulse.domain.snapshot import (
    Alert,
    Battery,
    Climate,
    DistanceUnit,
    EquipmentItem,
    Money,
    OptionCode,
    PressureUnit,
    ReleaseNote,
    Security,
    ServiceStatus,
    Software,
    Specs,
    TemperatureUnit,
    Tyre,
    TyrePosition,
    Units,
    Warranty,
    WarrantyKind,
)
from carpulse.tesla import schemas
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.lenient import epoch_datetime

MI_PER_KM = 1 / 1.609344
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
# Door and window fields of vehicle_state, in the order a reader expects them.
_DOORS = ("df", "dr", "pf", "pr", "ft", "rt")
_WINDOWS = ("fd_window", "fp_window", "rd_window", "rp_window")


def first_number(text: str | None) -> float | None:
    """The first number in a string such as "82.3kWh", "100%" or "571 km"."""
    match = _NUMBER.search(text or "")
    return float(match.group().replace(",", ".")) if match else None


def units_of(data: schemas.VehicleData | None, region: str | None) -> Units:
    """Display units from gui_settings, else the region's habit (miles/°F/psi in North America)."""
    gui = data.gui_settings if data else None
    american = region == "na"
    distance = (gui.gui_distance_units or "") if gui else ""
    temperature = (gui.gui_temperature_units or "") if gui else ""
    pressure = (gui.gui_tirepressure_units or "") if gui else ""
    return Units(
        distance=(DistanceUnit.MI if distance.lower().startswith("mi") else DistanceUnit.KM)
        if distance
        else (DistanceUnit.MI if american else DistanceUnit.KM),
        temperature=(TemperatureUnit.F if temperature.upper().startswith("F") else TemperatureUnit.C)
        if temperature
        else (TemperatureUnit.F if american else TemperatureUnit.C),
        pressure=(PressureUnit.PSI if pressure.lower().startswith("psi") else PressureUnit.BAR)
        if pressure
        else (PressureUnit.PSI if american else PressureUnit.BAR),
        time_24h=gui.gui_24_hour_time if gui and gui.gui_24_hour_time is not None else not american,
    )


def battery_of(charge: schemas.ChargeState | None) -> Battery | None:
    """Battery section; range at 100 % is derived from rated range and level."""
    if charge is None:
        return None
    at_100 = None
    if charge.battery_range and charge.battery_level:
        at_100 = round(charge.battery_range / charge.battery_level * 100, 1)
    return Battery(
        level_percent=charge.battery_level,
        usable_level_percent=charge.usable_battery_level,
        rated_range_mi=charge.battery_range,
        ideal_range_mi=charge.ideal_battery_range,
        estimated_range_mi=charge.est_battery_range,
        range_at_100_mi=at_100,
        charge_limit_percent=charge.charge_limit_soc,
        charge_limit_standard_percent=charge.charge_limit_soc_std,
        charging_state=charge.charging_state,
        charge_rate_kw=charge.charger_power,
        energy_remaining_kwh=charge.energy_remaining,
        lifetime_energy_used_kwh=charge.lifetime_energy_used,
        module_temp_min_c=charge.module_temp_min,
        module_temp_max_c=charge.module_temp_max,
        battery_heater_on=charge.battery_heater_on,
    )


def options_of(options: dx.VehicleOptions | None) -> tuple[OptionCode, ...] | None:
    """Option codes with their names; None when the endpoint was not available."""
    if options is None:
        return None
    return tuple(
        OptionCode(code=item.code.lstrip("$"), name=item.displayName, active=item.isActive is not False)
        for item in options.codes
        if item.code
    )


def specs_of(specs: dx.VehicleSpecs | None, currency: str | None) -> Specs | None:
    """Specs from the partner-token endpoint; prices in the market's currency when we know it."""
    if specs is None:
        return None
    price = Money(currency=currency, amount=specs.totalPrice) if specs.totalPrice is not None and currency else None
    range_km = first_number(specs.batteryRangeInKm)
    return Specs(
        battery_capacity_kwh=first_number(specs.batteryCapacityKwh),
        state_of_health_percent=first_number(specs.batterySoH),
        state_of_health_as_of=specs.batterySoHTimestamp,
        production_date=specs.productionDate,
        country_of_origin=specs.countryOfOrigin,
        drive_type=specs.typeOfDrive,
        model_year=specs.modelYear,
        trim=specs.trim,
        max_power=specs.maxPowerInKw,
        range_km=range_km,
        original_price=price,
        equipment=tuple(EquipmentItem(code=e.code, name=e.name, price=e.price) for e in specs.equipmentPrice),
    )


def dropped_items(
    alerts: dx.RecentAlerts | None, options: dx.VehicleOptions | None, notes: dx.ReleaseNotes | None
) -> dict[str, int]:
    """Elements that were objects but carry nothing a report can show (no code, no name, no title)."""
    return {
        "alerts": sum(1 for a in alerts.recent_alerts if not (a.name or a.user_text)) if alerts else 0,
        "options": sum(1 for o in options.codes if not o.code) if options else 0,
        "release_notes": sum(1 for n in notes.release_notes if not n.title) if notes else 0,
    }


def alerts_of(alerts: dx.RecentAlerts | None) -> tuple[Alert, ...] | None:
    """Recent alerts, newest first."""
    if alerts is None:
        return None
    items = [
        Alert(time=a.time, code=a.name or "—", text=a.user_text, audience=tuple(a.audience))
        for a in alerts.recent_alerts
        if a.name or a.user_text
    ]
    return tuple(sorted(items, key=lambda a: a.time or datetime.min.replace(tzinfo=UTC), reverse=True))


def service_of(service: dx.ServiceData | None, summary: schemas.VehicleSummary | None) -> ServiceStatus | None:
    """Service status; `{}` from Tesla means no visit."""
    if service is None and summary is None:
        return None
    return ServiceStatus(
        status=service.service_status if service else None,
        in_service=summary.in_service if summary else None,
        estimated_completion=service.service_etc if service else None,
        visit_number=service.service_visit_number if service else None,
    )


def warranties_of(
    details: dx.WarrantyDetails | None, today: datetime, odometer_mi: float | None
) -> tuple[Warranty, ...] | None:
    """Warranties with what remains from today's date and the current odometer."""
    if details is None:
        return None
    found: list[Warranty] = []
    for kind, items in (
        (WarrantyKind.ACTIVE, details.activeWarranty),
        (WarrantyKind.UPCOMING, details.upcomingWarranty),
        (WarrantyKind.EXPIRED, details.expiredWarranty),
    ):
        for item in items:
            unit = _distance_unit(item.odometerUnit)
            remaining_distance = None
            if item.expirationOdometer is not None and odometer_mi is not None and unit is not None:
                odometer = odometer_mi if unit is DistanceUnit.MI else odometer_mi / MI_PER_KM
                remaining_distance = round(item.expirationOdometer - odometer, 1)
            expires = item.expirationDate.date() if item.expirationDate else None
            found.append(
                Warranty(
                    kind=kind,
                    type=item.warrantyType,
                    name=item.warrantyDisplayName,
                    expires_on=expires,
                    expires_at_distance=item.expirationOdometer,
                    distance_unit=unit,
                    coverage_years=item.coverageAgeInYears,
                    expired_on=item.warrantyExpiredOn.date() if item.warrantyExpiredOn else None,
                    remaining_days=(expires - today.date()).days if expires else None,
                    remaining_distance=remaining_distance,
                )
            )
    return tuple(found)


def _distance_unit(value: str | None) -> DistanceUnit | None:
    if not value:
        return None
    return DistanceUnit.MI if value.upper().startswith("MI") else DistanceUnit.KM


def software_of(
    state: schemas.VehicleState | None, notes: dx.ReleaseNotes | None, fleet: dx.FleetStatus | None, vin: str
) -> Software | None:
    """Installed version (vehicle, else fleet_status, else release notes), pending update, notes."""
    update = state.software_update if state else None
    info = fleet.vehicle_info.get(vin) if fleet else None
    version = (state.car_version.split()[0] if state and state.car_version else None) or (
        info.firmware_version if info else None
    )
    if version is None and notes is not None:
        version = notes.deployed_version
    if state is None and notes is None and info is None:
        return None
    release_notes = None
    if notes is not None:
        release_notes = tuple(
            ReleaseNote(title=n.title, subtitle=n.subtitle, description=n.description, version=n.customer_version)
            for n in notes.release_notes
            if n.title
        )
    return Software(
        version=version,
        # Tesla's "" means nothing pending: a fact worth saying, unlike a missing software_update.
        update_status=(update.status or "") if update else None,
        pending_version=(update.version if update else None) or (notes.staged_version if notes else None),
        download_percent=update.download_perc if update else None,
        install_percent=update.install_perc if update else None,
        release_notes=release_notes,
    )


def tyres_of(state: schemas.VehicleState | None) -> tuple[Tyre, ...] | None:
    """Tyre pressures (bar) against the recommended front/rear values."""
    if state is None:
        return None
    tyres = []
    for position in TyrePosition:
        p = position.value
        seen = getattr(state, f"tpms_last_seen_pressure_time_{p}")
        tyres.append(
            Tyre(
                position=position,
                pressure_bar=getattr(state, f"tpms_pressure_{p}"),
                recommended_bar=state.tpms_rcp_front_value if p.startswith("f") else state.tpms_rcp_rear_value,
                soft_warning=getattr(state, f"tpms_soft_warning_{p}"),
                hard_warning=getattr(state, f"tpms_hard_warning_{p}"),
                # Tesla sends seconds here; milliseconds (as in the part timestamps) are read too.
                last_seen=epoch_datetime(seen),
            )
        )
    if all(t.pressure_bar is None and t.recommended_bar is None for t in tyres):
        return ()
    return tuple(tyres)


def security_of(state: schemas.VehicleState | None, fleet: dx.FleetStatus | None, vin: str) -> Security | None:
    """Locks, sentry, valet, speed limit, open doors/windows, paired keys."""
    info = fleet.vehicle_info.get(vin) if fleet else None
    if state is None and info is None:
        return None
    limit = state.speed_limit_mode if state else None
    return Security(
        locked=state.locked if state else None,
        sentry_mode=state.sentry_mode if state else None,
        valet_mode=state.valet_mode if state else None,
        speed_limit_active=limit.active if limit else None,
        speed_limit_mph=limit.current_limit_mph if limit else None,
        open_doors=tuple(d for d in _DOORS if getattr(state, d)) if state else None,
        open_windows=tuple(w.removesuffix("_window") for w in _WINDOWS if getattr(state, w)) if state else None,
        keys_paired=(vin in fleet.key_paired_vins)
        if fleet and (fleet.key_paired_vins or fleet.unpaired_vins)
        else None,
        command_protocol_required=info.vehicle_command_protocol_required if info else None,
        total_keys=info.total_number_of_keys if info else None,
    )


def climate_of(climate: schemas.ClimateState | None) -> Climate | None:
    """Climate summary (°C)."""
    if climate is None:
        return None
    return Climate(
        inside_c=climate.inside_temp,
        outside_c=climate.outside_temp,
        driver_setting_c=climate.driver_temp_setting,
        passenger_setting_c=climate.passenger_temp_setting,
        climate_on=climate.is_climate_on,
        cabin_overheat_protection=climate.cabin_overheat_protection,
    )
