"""Reference ranges and warranty capacity floors for the battery-health estimate (method bh-1).

A row is the range a new car of that model, trim badging and model year was rated at, in the
standard the car's own "rated range" follows in its market (EPA in North America, WLTP in Europe).
Only figures with a named public source are listed; a car that matches no row gets "not enough
data", never a guessed reference. Partner specs for the VIN (`batteryRangeInKm`) take precedence.

Trim keys are `vehicle_config.trim_badging` upper-cased, as the snapshot stores them.
Changing a figure changes estimates: bump the method version in battery_health.py and
docs/battery-health.md when you do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

KM_PER_MILE = 1.609344


class Standard(StrEnum):
    """Which homologation cycle a reference range follows."""

    SPECS = "specs"  # Tesla's own figure for this VIN (partner specs endpoint)
    EPA = "epa"
    WLTP = "wltp"


EPA_SOURCE = "U.S. EPA range, fueleconomy.gov (Find a Car: Tesla, model year {year})"
WLTP_SOURCE = "Tesla's published WLTP range for the model year (EU configurator and certificate of conformity)"


@dataclass(frozen=True, kw_only=True)
class ReferenceRange:
    """The rated range of one model, trim badging and run of model years, new."""

    model: str
    trims: tuple[str, ...]
    years: tuple[int, int]  # first and last model year, inclusive
    standard: Standard
    range_mi: float
    label: str

    def matches(self, model: str, trim: str, year: int, standard: Standard) -> bool:
        """True when this row describes that car in that market."""
        first, last = self.years
        return self.model == model and trim in self.trims and first <= year <= last and self.standard is standard

    def source(self, year: int) -> str:
        """Where the figure is published."""
        return EPA_SOURCE.format(year=year) if self.standard is Standard.EPA else WLTP_SOURCE


def _epa(model: str, trims: tuple[str, ...], years: tuple[int, int], miles: float, label: str) -> ReferenceRange:
    return ReferenceRange(model=model, trims=trims, years=years, standard=Standard.EPA, range_mi=miles, label=label)


def _wltp(model: str, trims: tuple[str, ...], years: tuple[int, int], km: float, label: str) -> ReferenceRange:
    miles = round(km / KM_PER_MILE, 1)
    return ReferenceRange(model=model, trims=trims, years=years, standard=Standard.WLTP, range_mi=miles, label=label)


_M3, _MY, _MS, _MX = "Model 3", "Model Y", "Model S", "Model X"
_M3_LR, _M3_SR, _M3_P = "Model 3 Long Range AWD", "Model 3 Standard Range / RWD", "Model 3 Performance"
_MY_LR, _MY_P, _MY_RWD = "Model Y Long Range AWD", "Model Y Performance", "Model Y RWD"

# EPA combined range of the base wheel option; WLTP of the base wheel option.
REFERENCE_RANGES: tuple[ReferenceRange, ...] = (
    _epa(_M3, ("50",), (2019, 2019), 240, _M3_SR),
    _epa(_M3, ("50",), (2020, 2020), 250, _M3_SR),
    _epa(_M3, ("50",), (2021, 2021), 263, _M3_SR),
    _epa(_M3, ("50",), (2022, 2024), 272, _M3_SR),
    _epa(_M3, ("74D",), (2018, 2019), 310, _M3_LR),
    _epa(_M3, ("74D",), (2020, 2020), 322, _M3_LR),
    _epa(_M3, ("74D",), (2021, 2021), 353, _M3_LR),
    _epa(_M3, ("74D",), (2022, 2022), 358, _M3_LR),
    _epa(_M3, ("74D",), (2023, 2023), 333, _M3_LR),
    _epa(_M3, ("74D",), (2024, 2024), 341, _M3_LR),
    _epa(_M3, ("P74D",), (2018, 2019), 310, _M3_P),
    _epa(_M3, ("P74D",), (2020, 2020), 299, _M3_P),
    _epa(_M3, ("P74D",), (2021, 2023), 315, _M3_P),
    _epa(_MY, ("74D",), (2020, 2020), 316, _MY_LR),
    _epa(_MY, ("74D",), (2021, 2021), 326, _MY_LR),
    _epa(_MY, ("74D",), (2022, 2023), 330, _MY_LR),
    _epa(_MY, ("74D",), (2024, 2024), 310, _MY_LR),
    _epa(_MY, ("P74D",), (2020, 2020), 291, _MY_P),
    _epa(_MY, ("P74D",), (2021, 2022), 303, _MY_P),
    _epa(_MS, ("85",), (2013, 2015), 265, "Model S 85"),
    _epa(_MS, ("85D",), (2015, 2015), 270, "Model S 85D"),
    _epa(_MS, ("P85D",), (2015, 2015), 253, "Model S P85D"),
    _epa(_MS, ("70D",), (2015, 2015), 240, "Model S 70D"),
    _epa(_MS, ("90D",), (2016, 2016), 294, "Model S 90D"),
    _epa(_MS, ("100D",), (2017, 2018), 335, "Model S 100D"),
    _epa(_MS, ("P100D",), (2017, 2018), 315, "Model S P100D"),
    _epa(_MX, ("90D",), (2016, 2016), 257, "Model X 90D"),
    _epa(_MX, ("100D",), (2017, 2019), 295, "Model X 100D"),
    _epa(_MX, ("P100D",), (2017, 2019), 289, "Model X P100D"),
    _wltp(_M3, ("74D",), (2024, 2024), 629, _M3_LR),
    _wltp(_M3, ("50",), (2024, 2024), 513, _M3_SR),
    _wltp(_MY, ("74D",), (2022, 2024), 533, _MY_LR),
    _wltp(_MY, ("P74D",), (2022, 2024), 514, _MY_P),
    _wltp(_MY, ("50",), (2022, 2024), 455, _MY_RWD),
)


def reference_for(
    model: str | None, trim: str | None, year: int | None, standard: Standard | None
) -> ReferenceRange | None:
    """The table row for a car in a market, or None when the table has none."""
    if not (model and trim and year and standard):
        return None
    return next((r for r in REFERENCE_RANGES if r.matches(model, trim.upper(), year, standard)), None)


@dataclass(frozen=True, kw_only=True)
class CapacityFloor:
    """The battery capacity Tesla's battery warranty promises to keep, for some models and years."""

    models: tuple[str, ...]
    years: tuple[int, int]
    percent: float


# Tesla's Battery and Drive Unit Limited Warranty states "minimum 70 % retention of battery
# capacity over the warranty period" for Model 3 and Model Y, and for Model S and X since the 2021
# model year. Earlier Model S/X warranties exclude gradual capacity loss: no floor is shown for them.
CAPACITY_FLOORS: tuple[CapacityFloor, ...] = (
    CapacityFloor(models=(_M3, _MY), years=(2017, 9999), percent=70.0),
    CapacityFloor(models=(_MS, _MX), years=(2021, 9999), percent=70.0),
)


def capacity_floor(model: str | None, year: int | None) -> float | None:
    """The warranty's capacity floor in percent, or None when its terms state none we know of."""
    if not (model and year):
        return None
    return next((f.percent for f in CAPACITY_FLOORS if model in f.models and f.years[0] <= year <= f.years[1]), None)
