"""Battery health, method bh-1 (published in docs/battery-health.md; its version is in every report).

Two figures, never mixed: Tesla's own state of health from the partner specs (with its date), and
our independent estimate, the rated range at 100 % against the range the car was rated at new:

    range at 100 % = battery_range / usable_battery_level × 100
    estimate       = range at 100 % / reference range × 100

The reference is Tesla's range for this VIN from the specs when present, else a row of the shipped
table (battery_reference.py). A reading that the method cannot judge gets a reason instead of a
number; what may bend a reading that it can judge is named with it (`distortions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from carpulse.domain.snapshot import (
    BatteryHealth,
    BatteryWarranty,
    VehicleSnapshot,
    Warranty,
    WarrantyKind,
)
from carpulse.services.battery_reference import (
    KM_PER_MILE,
    Standard,
    capacity_floor,
    reference_for,
)

METHOD_VERSION = "bh-1"
MIN_USABLE_LEVEL = 20  # below this, the integer level's rounding alone moves the estimate by > ±2.5 %
COLD_GAP_POINTS = 2  # usable this far below level: part of the charge is locked by a cold pack
COLD_MODULE_C = 10.0
FULL_CHARGE_LEVEL = 95  # the pack's estimate reads high right after a charge to (nearly) 100 %
LOW_LEVEL = 40  # below this the rounding band exceeds ±1.25 points: said next to the figure
IMPLAUSIBLE_ABOVE = 110.0  # far above new: the reference does not describe this car
SPECS_SOURCE = "Tesla vehicle specs for this VIN (partner specs endpoint, batteryRangeInKm)"
# Said of every estimate, whatever the reading.
STANDING_DISTORTIONS = ("battery_health.distortion.software", "battery_health.distortion.not_capacity")
_WARRANTY_ORDER = {WarrantyKind.ACTIVE: 0, WarrantyKind.UPCOMING: 1, WarrantyKind.EXPIRED: 2}


@dataclass(frozen=True, slots=True)
class _Reading:
    """What the method reads from a snapshot."""

    level: int | None
    usable: int | None
    rated_range_mi: float | None
    module_temp_min_c: float | None
    charging_state: str | None
    model: str | None
    trim: str | None
    year: int | None
    standard: Standard | None

    @property
    def range_at_100_mi(self) -> float | None:
        if not self.rated_range_mi or not self.usable:
            return None
        return round(self.rated_range_mi / self.usable * 100, 1)


@dataclass(frozen=True, slots=True)
class _Reference:
    range_mi: float
    standard: Standard
    label: str
    source: str


def _market(snapshot: VehicleSnapshot) -> Standard | None:
    # The car's rated range follows its market's cycle; the account's region stands in for the market.
    if snapshot.identity.market_eu is True or (snapshot.identity.market_eu is None and snapshot.region == "eu"):
        return Standard.WLTP
    return Standard.EPA if snapshot.region == "na" else None


def _reading(snapshot: VehicleSnapshot) -> _Reading:
    battery, identity = snapshot.battery, snapshot.identity
    specs = identity.specs
    return _Reading(
        level=battery.level_percent if battery else None,
        usable=battery.usable_level_percent if battery else None,
        rated_range_mi=battery.rated_range_mi if battery else None,
        module_temp_min_c=battery.module_temp_min_c if battery else None,
        charging_state=battery.charging_state if battery else None,
        model=identity.model,
        trim=identity.trim,
        year=identity.vin_facts.model_year or (specs.model_year if specs else None),
        standard=_market(snapshot),
    )


def _reference(snapshot: VehicleSnapshot, reading: _Reading) -> _Reference | None:
    specs = snapshot.identity.specs
    if specs is not None and specs.range_km:
        label = specs.trim or " ".join(str(p) for p in (reading.model, reading.year) if p)
        return _Reference(round(specs.range_km / KM_PER_MILE, 1), Standard.SPECS, label, SPECS_SOURCE)
    row = reference_for(reading.model, reading.trim, reading.year, reading.standard)
    if row is None or reading.year is None:
        return None
    return _Reference(row.range_mi, row.standard, f"{row.label}, {reading.year}", row.source(reading.year))


def _estimate(reading: _Reading, reference: _Reference | None) -> float | None:
    if reading.range_at_100_mi is None or reference is None:
        return None
    return round(reading.range_at_100_mi / reference.range_mi * 100, 1)


# Why there is no estimate: the first gate that holds names the reason (catalog key).
_GATES: tuple[tuple[str, Callable[[VehicleSnapshot, _Reading, _Reference | None], bool]], ...] = (
    ("battery_health.reason.no_live_data", lambda s, r, ref: s.battery is None),
    ("battery_health.reason.no_range", lambda s, r, ref: r.range_at_100_mi is None),
    ("battery_health.reason.level_too_low", lambda s, r, ref: (r.usable or 0) < MIN_USABLE_LEVEL),
    ("battery_health.reason.no_model", lambda s, r, ref: ref is None and not (r.model and r.trim and r.year)),
    ("battery_health.reason.no_market", lambda s, r, ref: ref is None and r.standard is None),
    ("battery_health.reason.no_reference", lambda s, r, ref: ref is None),
    ("battery_health.reason.implausible", lambda s, r, ref: (_estimate(r, ref) or 0) > IMPLAUSIBLE_ABOVE),
)

# What may bend a reading the method judged: (catalog key, condition).
_DISTORTIONS: tuple[tuple[str, Callable[[_Reading, _Reference], bool]], ...] = (
    (
        "battery_health.distortion.cold_pack",
        lambda r, ref: (
            (r.level or 0) - (r.usable or 0) >= COLD_GAP_POINTS
            or (r.module_temp_min_c is not None and r.module_temp_min_c < COLD_MODULE_C)
        ),
    ),
    ("battery_health.distortion.charging", lambda r, ref: r.charging_state in ("Charging", "Starting")),
    ("battery_health.distortion.full_charge", lambda r, ref: (r.level or 0) >= FULL_CHARGE_LEVEL),
    ("battery_health.distortion.low_level", lambda r, ref: (r.usable or 100) < LOW_LEVEL),
    ("battery_health.distortion.table_reference", lambda r, ref: ref.standard is not Standard.SPECS),
    ("battery_health.distortion.above_new", lambda r, ref: (_estimate(r, ref) or 0) > 100.0),
)


def battery_warranty(snapshot: VehicleSnapshot) -> BatteryWarranty | None:
    """Tesla's battery warranty for the car (active first), with its capacity floor."""
    candidates = [w for w in snapshot.warranties or () if _is_battery(w)]
    if not candidates:
        return None
    chosen = min(candidates, key=lambda w: _WARRANTY_ORDER.get(w.kind, 3))
    specs = snapshot.identity.specs
    year = snapshot.identity.vin_facts.model_year or (specs.model_year if specs else None)
    return BatteryWarranty(
        name=chosen.name,
        kind=chosen.kind,
        expires_on=chosen.expires_on or chosen.expired_on,
        remaining_days=chosen.remaining_days,
        remaining_distance=chosen.remaining_distance,
        distance_unit=chosen.distance_unit,
        capacity_floor_percent=capacity_floor(snapshot.identity.model, year),
    )


def _is_battery(warranty: Warranty) -> bool:
    text = f"{warranty.type or ''} {warranty.name or ''}".lower()
    return "battery" in text


def assess(snapshot: VehicleSnapshot) -> BatteryHealth:
    """The battery-health assessment of a snapshot, by method bh-1."""
    reading = _reading(snapshot)
    reference = _reference(snapshot, reading)
    missing = next((key for key, holds in _GATES if holds(snapshot, reading, reference)), None)
    estimate = None if missing else _estimate(reading, reference)
    distortions: tuple[str, ...] = ()
    if estimate is not None and reference is not None:
        triggered = tuple(key for key, holds in _DISTORTIONS if holds(reading, reference))
        distortions = triggered + STANDING_DISTORTIONS
    specs = snapshot.identity.specs
    return BatteryHealth(
        method=METHOD_VERSION,
        tesla_soh_percent=specs.state_of_health_percent if specs else None,
        tesla_soh_as_of=specs.state_of_health_as_of if specs else None,
        estimate_percent=estimate,
        estimate_band_points=round(0.5 / reading.usable * estimate, 1) if estimate and reading.usable else None,
        missing_reason=missing,
        range_at_100_mi=reading.range_at_100_mi,
        reference_range_mi=reference.range_mi if reference else None,
        reference_standard=reference.standard.value if reference else None,
        reference_label=reference.label if reference else None,
        reference_source=reference.source if reference else None,
        level_percent=reading.level,
        usable_level_percent=reading.usable,
        rated_range_mi=reading.rated_range_mi,
        module_temp_min_c=reading.module_temp_min_c,
        charging_state=reading.charging_state,
        software_version=(snapshot.software.version if snapshot.software else None) or snapshot.software_version,
        measured_at=snapshot.data_as_of,
        distortions=distortions,
        warranty=battery_warranty(snapshot),
    )


def with_battery_health(snapshot: VehicleSnapshot) -> VehicleSnapshot:
    """The snapshot with its battery-health assessment set."""
    return snapshot.model_copy(update={"battery_health": assess(snapshot)})
