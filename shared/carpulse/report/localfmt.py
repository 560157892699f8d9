"""Locale-aware formatting (Babel/CLDR) of numbers, units, money and dates for one report.

A Formatter is bound to the report's language, the owner's units and the vehicle's UTC offset.
Every method takes a value in Tesla's unit and returns printable text, MISSING for nothing usable.
A non-breaking space joins a number to its unit so a table cell never wraps "16 093" from "km".
Formatting never raises: a value Babel cannot format reads as not reported.

Times: a value keeps one zone for its date, clock time and offset label alike. The vehicle's data
is shown in the vehicle's offset; a charging session in its own (keep_offset). A time without an
offset is taken as UTC (Tesla's servers send UTC), and the appendix says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import InvalidOperation

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from babel.units import format_unit

from carpulse.domain.snapshot import DistanceUnit, PressureUnit, TemperatureUnit, Units
from carpulse.report.formatting import MISSING, finite
from carpulse.report.units import bar_to, celsius_to, distance_to, mph_to

NBSP = "\u00a0"

_DISTANCE_UNIT = {DistanceUnit.KM: "length-kilometer", DistanceUnit.MI: "length-mile"}
_SPEED_UNIT = {DistanceUnit.KM: "speed-kilometer-per-hour", DistanceUnit.MI: "speed-mile-per-hour"}
_TEMPERATURE_UNIT = {TemperatureUnit.C: "temperature-celsius", TemperatureUnit.F: "temperature-fahrenheit"}
_PRESSURE_UNIT = {PressureUnit.BAR: "pressure-bar", PressureUnit.PSI: "pressure-pound-force-per-square-inch"}
# Babel writes "NOK1,212.40" in English; CLDR's currency spacing rule wants a space after a letter code.
_CODE_THEN_DIGIT = re.compile(r"([A-Z]{2,3})(?=[\d\-−])")
_SPACES = re.compile(r"[ \u202f]")


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _safe(render: Callable[[], str]) -> str:
    # Babel raises on what CLDR cannot express (decimal overflow, odd patterns): not reported, not a crash.
    try:
        return render()
    except (InvalidOperation, ValueError, OverflowError, KeyError, TypeError):
        return MISSING


def _safe_tidy(number: float, code: str) -> float:
    try:
        return _tidy_zero(number, get_currency_precision(code))
    except (KeyError, ValueError):
        return _tidy_zero(number, 2)


def _tidy_zero(number: float, decimals: int) -> float:
    # Rounding can leave "-0" / "-0.00", which reads like a refund.
    rounded = round(number, decimals)
    return 0.0 if rounded == 0 else number


class Formatter:
    """Formats values for one report: language, owner's units, vehicle offset."""

    def __init__(
        self, language: str, units: Units, utc_offset_seconds: int | None, unknown_currency: str = "?"
    ) -> None:
        self.language = language
        self.unknown_currency = unknown_currency
        self.locale = Locale.parse(language)
        self.units = units
        offset = finite(utc_offset_seconds)
        # Real offsets lie within ±14 h; anything else is a corrupt value, not a place on Earth.
        self.vehicle_tz = (
            timezone(timedelta(seconds=int(offset))) if offset is not None and abs(offset) <= 14 * 3600 else None
        )

    # --- numbers and units ------------------------------------------------------------------

    def number(self, value: object, decimals: int = 0) -> str:
        """A plain number with the locale's separators: "16,093" / "16.093" / "16 093"."""
        number = finite(value)
        if number is None:
            return MISSING
        return _safe(
            lambda: format_decimal(_tidy_zero(number, decimals), format=_pattern(decimals), locale=self.locale)
        )

    def _unit(self, number: float, unit: str, decimals: int) -> str:
        text = _safe(
            lambda: format_unit(
                _tidy_zero(number, decimals), unit, "short", format=_pattern(decimals), locale=self.locale
            )
        )
        return _SPACES.sub(NBSP, text)

    def percent(self, value: object, decimals: int = 0) -> str:
        """A percentage given as 0-100: "78%" / "78 %"."""
        number = finite(value)
        if number is None:
            return MISSING
        pattern = self.locale.percent_formats[None].pattern.replace("#,##0", _pattern(decimals))
        return _safe(lambda: format_percent(_tidy_zero(number, decimals + 2) / 100, format=pattern, locale=self.locale))

    def distance(self, value: object, source: DistanceUnit = DistanceUnit.MI) -> tuple[str, float | None]:
        """A distance in the owner's unit (text, number), from miles unless told otherwise."""
        number = finite(value)
        if number is None:
            return MISSING, None
        target = self.units.distance
        converted = distance_to(number, source, target)
        return self._unit(converted, _DISTANCE_UNIT[target], 0), round(converted, 1)

    def temperature(self, celsius: object) -> tuple[str, float | None]:
        """A temperature in the owner's unit, from °C."""
        number = finite(celsius)
        if number is None:
            return MISSING, None
        converted = celsius_to(number, self.units.temperature)
        return self._unit(converted, _TEMPERATURE_UNIT[self.units.temperature], 1), round(converted, 1)

    def pressure(self, bar: object) -> tuple[str, float | None]:
        """A tyre pressure in the owner's unit, from bar (psi whole, bar with two decimals)."""
        number = finite(bar)
        if number is None:
            return MISSING, None
        unit = self.units.pressure
        converted = bar_to(number, unit)
        decimals = 1 if unit is PressureUnit.PSI else 2
        return self._unit(converted, _PRESSURE_UNIT[unit], decimals), round(converted, decimals)

    def speed(self, mph: object) -> tuple[str, float | None]:
        """A speed in km/h or mph, from mph."""
        number = finite(mph)
        if number is None:
            return MISSING, None
        converted = mph_to(number, self.units.distance)
        return self._unit(converted, _SPEED_UNIT[self.units.distance], 0), round(converted, 1)

    def energy(self, kwh: object, decimals: int = 1) -> str:
        """Energy such as "38.2 kWh"."""
        number = finite(kwh)
        return MISSING if number is None else self._unit(number, "energy-kilowatt-hour", decimals)

    def power(self, kw: object) -> str:
        """Power such as "11 kW"."""
        number = finite(kw)
        return MISSING if number is None else self._unit(number, "power-kilowatt", 1 if number % 1 else 0)

    def minutes(self, value: object) -> str:
        """A duration in whole minutes: "28 min"."""
        number = finite(value)
        return MISSING if number is None else self._unit(number, "duration-minute", 0)

    def days(self, value: object) -> str:
        """A count of days in words: "932 days" / "932 Tage" / "932 päivää"."""
        number = finite(value)
        if number is None:
            return MISSING
        text = _safe(lambda: format_unit(round(number), "duration-day", "long", format="#,##0", locale=self.locale))
        return _SPACES.sub(NBSP, text)

    def years(self, value: object) -> str:
        """A span of years in words: "4 years" / "4 Jahre" / "4 vuotta"."""
        number = finite(value)
        if number is None:
            return MISSING
        decimals = 0 if float(number).is_integer() else 1
        text = _safe(
            lambda: format_unit(number, "duration-year", "long", format=_pattern(decimals), locale=self.locale)
        )
        return _SPACES.sub(NBSP, text)

    def money(self, amount: object, currency: str | None) -> str:
        """One amount in its own currency, the locale's way: "€18.72" / "18,72 €"."""
        number = finite(amount)
        if number is None:
            return MISSING
        code = (currency or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            amount_text = self.number(number, 2)
            return amount_text if amount_text == MISSING else f"{amount_text} ({self.unknown_currency})"
        # The currency's own minor units (JPY 0, BHD 3), as CLDR knows them.
        tidy = _safe_tidy(number, code)
        text = _safe(lambda: format_currency(tidy, code, locale=self.locale))
        return _CODE_THEN_DIGIT.sub(rf"\1{NBSP}", text)

    # --- dates -------------------------------------------------------------------------------

    def localise(self, value: datetime, keep_offset: bool = False) -> datetime:
        """The instant in the vehicle's offset (or its own with keep_offset); naive means UTC."""
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        if keep_offset or self.vehicle_tz is None:
            return value
        try:
            return value.astimezone(self.vehicle_tz)
        except OverflowError:  # within hours of year 1 or 9999
            return value

    @staticmethod
    def offset_label(value: datetime) -> str:
        """ "UTC", "UTC+2", "UTC-5:30" for the value's offset."""
        offset = value.utcoffset() or timedelta(0)
        if not offset:
            return "UTC"
        sign = "+" if offset > timedelta(0) else "-"
        minutes = abs(int(offset.total_seconds())) // 60
        hours, rest = divmod(minutes, 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")

    def fmt_date(self, value: object, keep_offset: bool = False) -> str:
        """A calendar date, medium length: "Jan 4, 2026" / "04.01.2026" / "4.1.2026".

        A datetime's date is taken in the vehicle's offset, or in its own with keep_offset.
        """
        if isinstance(value, datetime):
            value = self.localise(value, keep_offset).date()
        if not isinstance(value, date):
            return MISSING
        return _safe(lambda: format_date(value, "medium", locale=self.locale))

    def time(self, value: datetime) -> str:
        """Clock time in the owner's 12/24-hour preference, the locale's way ("16:12", "16.12", "4:12 PM")."""
        text = _safe(lambda: format_skeleton("Hm" if self.units.time_24h else "hm", value, locale=self.locale))
        return _SPACES.sub(NBSP, text)

    def fmt_datetime(self, value: object, keep_offset: bool = False, stacked: bool = False) -> tuple[str, str | None]:
        """Date, time and offset (text, ISO), in the vehicle's offset unless keep_offset; stacked: two lines."""
        if not isinstance(value, datetime):
            return MISSING, None
        local = self.localise(value, keep_offset)
        # The date of `local` itself: localising it again would give the vehicle's date beside the
        # session's clock time ("Mar 26, 21:00 UTC-4" for a session on Mar 25).
        day = self.fmt_date(local.date())
        if stacked:
            return f"{day}\n{self.time(local)}{NBSP}{self.offset_label(local)}", local.isoformat()
        pattern = self.locale.datetime_formats["medium"]
        text = str(pattern).format(self.time(local), day)
        return f"{text}{NBSP}{self.offset_label(local)}", local.isoformat()

    def month(self, key: str) -> tuple[str, str]:
        """("Jan", "2026") for "2026-01"; the key itself when it is not a month."""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", key.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            return key, ""
        first = date(int(match.group(1)), int(match.group(2)), 1)
        return format_date(first, "LLL", locale=self.locale).rstrip("."), match.group(1)

    def country(self, code: object) -> str:
        """A country name in the report's language from an ISO code ("DE" → "Deutschland")."""
        if not isinstance(code, str) or not code.strip():
            return MISSING
        name = self.locale.territories.get(code.strip().upper())
        return name or code.strip()
