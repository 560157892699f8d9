"""Unit conversion from Tesla's units (miles, °C, bar, mph) to the owner's display units."""

from __future__ import annotations

from carpulse.domain.snapshot import (
    DistanceUnit,
    PressureUnit,
    TemperatureUnit,
    Units,
    VehicleSnapshot,
)

KM_PER_MILE = 1.609344  # exact, by international agreement (1959)
PSI_PER_BAR = 14.5038


def miles_to(miles: float, unit: DistanceUnit) -> float:
    """A distance in miles, in the given unit."""
    return miles * KM_PER_MILE if unit is DistanceUnit.KM else miles


def km_to(km: float, unit: DistanceUnit) -> float:
    """A distance in kilometres, in the given unit."""
    return km if unit is DistanceUnit.KM else km / KM_PER_MILE


def distance_to(value: float, source: DistanceUnit, target: DistanceUnit) -> float:
    """A distance in `source` units, in `target` units."""
    return miles_to(value, target) if source is DistanceUnit.MI else km_to(value, target)


def celsius_to(celsius: float, unit: TemperatureUnit) -> float:
    """A temperature in °C, in the given unit."""
    return celsius * 9 / 5 + 32 if unit is TemperatureUnit.F else celsius


def bar_to(bar: float, unit: PressureUnit) -> float:
    """A tyre pressure in bar, in the given unit."""
    return bar * PSI_PER_BAR if unit is PressureUnit.PSI else bar


def mph_to(mph: float, unit: DistanceUnit) -> float:
    """A speed in mph, in km/h when the owner reads kilometres."""
    return mph * KM_PER_MILE if unit is DistanceUnit.KM else mph


def display_units(snapshot: VehicleSnapshot) -> Units:
    """The owner's units; for snapshots written before `units` existed, derive them from what they carry."""
    if "units" in snapshot.model_fields_set:
        return snapshot.units
    # Older snapshots only knew the distance unit; North American owners read °F and psi.
    north_america = (snapshot.region or "").lower() == "na"
    region_distance = DistanceUnit.MI if north_america else DistanceUnit.KM
    return Units(
        distance=snapshot.distance_unit if "distance_unit" in snapshot.model_fields_set else region_distance,
        temperature=TemperatureUnit.F if north_america else TemperatureUnit.C,
        pressure=PressureUnit.PSI if north_america else PressureUnit.BAR,
        time_24h=not north_america,
    )
