"""Value formatting: text hygiene, unit conversion, and Babel's locale-aware numbers, money and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from carpulse.domain.snapshot import (
    DistanceUnit,
    Identity,
    Money,
    PressureUnit,
    TemperatureUnit,
    Units,
    VehicleSnapshot,
)
from carpulse.report.formatting import MISSING, as_utc, format_text, totals_by_currency
from carpulse.report.localfmt import Formatter
from carpulse.report.units import bar_to, celsius_to, display_units, km_to, miles_to, mph_to

METRIC = Units()
US = Units(distance=DistanceUnit.MI, temperature=TemperatureUnit.F, pressure=PressureUnit.PSI, time_24h=False)
BAD_NUMBERS = [None, float("nan"), float("inf"), float("-inf"), True, "12"]


def plain(text: str) -> str:
    """Babel and the renderer use non-breaking spaces; tests compare with ordinary ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def fmt(language: str = "en", units: Units = METRIC, offset: int | None = 7200) -> Formatter:
    return Formatter(language, units, offset, "currency unknown")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Zürich \n Oerlikon\t", "Zürich Oerlikon"),
        ("18’’ wheels", "18’’ wheels"),
        (None, MISSING),
        ("   ", MISSING),
        ("None", MISSING),
        ("null", MISSING),
        ("<invalid>", MISSING),
        (42, MISSING),
    ],
)
def test_format_text(value: object, expected: str) -> None:
    assert format_text(value) == expected


def test_format_text_cuts_runaway_values() -> None:
    assert format_text("x" * 1000) == "x" * 299 + "…"


def test_totals_by_currency_sums_within_a_currency_only() -> None:
    totals = totals_by_currency([("EUR", 1.0), ("NOK", 2.0), ("eur", 2.5), ("NOK", None), ("EUR", float("nan"))])
    assert totals == (Money(currency="EUR", amount=3.5), Money(currency="NOK", amount=2.0))


def test_as_utc_treats_naive_as_utc() -> None:
    assert as_utc(datetime(2024, 1, 1, 12)) == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_unit_conversions() -> None:
    assert miles_to(1, DistanceUnit.KM) == pytest.approx(1.609344)
    assert miles_to(5, DistanceUnit.MI) == 5
    assert km_to(1.609344, DistanceUnit.MI) == pytest.approx(1)
    assert celsius_to(21.5, TemperatureUnit.F) == pytest.approx(70.7)
    assert celsius_to(-40, TemperatureUnit.F) == pytest.approx(-40)
    assert bar_to(2.9, PressureUnit.PSI) == pytest.approx(42.06102)
    assert mph_to(69, DistanceUnit.KM) == pytest.approx(111.04, abs=0.01)


@pytest.mark.parametrize(("language", "expected"), [("en", "16,093 km"), ("de", "16.093 km"), ("fi", "16 093 km")])
def test_distance_in_km_per_locale(language: str, expected: str) -> None:
    text, raw = fmt(language).distance(10000)
    assert plain(text) == expected
    assert raw == pytest.approx(16093.4)


def test_distance_stays_in_miles_for_a_miles_owner() -> None:
    assert plain(fmt("en", US).distance(10000)[0]) == "10,000 mi"
    assert plain(fmt("en", US).distance(16093.44, DistanceUnit.KM)[0]) == "10,000 mi"


@pytest.mark.parametrize(
    ("language", "units", "celsius", "bar", "mph"),
    [
        ("en", METRIC, "21.5°C", "2.90 bar", "111 km/h"),
        ("de", METRIC, "21,5 °C", "2,90 bar", "111 km/h"),
        ("fi", METRIC, "21,5 °C", "2,90 bar", "111 km/h"),
        ("en", US, "70.7°F", "42.1 psi", "69 mph"),
    ],
)
def test_temperature_pressure_speed(language: str, units: Units, celsius: str, bar: str, mph: str) -> None:
    f = fmt(language, units)
    assert plain(f.temperature(21.5)[0]) == celsius
    assert plain(f.pressure(2.9)[0]) == bar
    assert plain(f.speed(69)[0]) == mph


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en", 18.72, "EUR", "€18.72"),
        ("de", 18.72, "EUR", "18,72 €"),
        ("fi", 1212.4, "EUR", "1 212,40 €"),
        ("en", 212.4, "NOK", "NOK 212.40"),
        ("de", 212.4, "nok", "212,40 NOK"),
        ("en", 18.4, "USD", "$18.40"),
        ("en", -0.001, "EUR", "€0.00"),
        ("en", 3, None, "3.00 (currency unknown)"),
        ("en", 3, "<invalid>", "3.00 (currency unknown)"),
    ],
)
def test_money_in_its_own_currency(language: str, amount: float, currency: str | None, expected: str) -> None:
    assert plain(fmt(language).money(amount, currency)) == expected


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_unusable_numbers_are_missing(bad: object) -> None:
    f = fmt()
    assert f.distance(bad) == (MISSING, None)
    assert f.temperature(bad) == (MISSING, None)
    assert f.pressure(bad) == (MISSING, None)
    assert f.percent(bad) == MISSING
    assert f.energy(bad) == MISSING
    assert f.money(bad, "EUR") == MISSING
    assert f.number(bad) == MISSING


def test_percent_and_energy() -> None:
    assert fmt("en").percent(78) == "78%"
    assert plain(fmt("de").percent(96.5, 1)) == "96,5 %"
    assert plain(fmt("en").energy(1234.56)) == "1,234.6 kWh"
    assert plain(fmt("fi").days(932)) == "932 päivää"


SESSION_TIME = datetime(2026, 1, 4, 16, 12, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("language", "units", "expected"),
    [
        ("en", METRIC, "Jan 4, 2026, 16:12 UTC+1"),
        ("en", US, "Jan 4, 2026, 4:12 PM UTC+1"),
        ("de", METRIC, "04.01.2026, 16:12 UTC+1"),
        ("fi", METRIC, "4.1.2026 16.12 UTC+1"),
    ],
)
def test_a_datetime_can_keep_its_own_offset(language: str, units: Units, expected: str) -> None:
    text, iso = fmt(language, units).fmt_datetime(SESSION_TIME, keep_offset=True)
    assert plain(text) == expected
    assert iso == "2026-01-04T16:12:00+01:00"


def test_instants_are_shown_in_the_vehicle_offset() -> None:
    text, iso = fmt("en", offset=7200).fmt_datetime(datetime(2026, 3, 12, 7, 12, tzinfo=UTC))
    assert plain(text) == "Mar 12, 2026, 09:12 UTC+2"
    assert iso == "2026-03-12T09:12:00+02:00"


def test_a_naive_time_is_taken_as_utc() -> None:
    # Tesla's servers send UTC; a time without an offset is read that way (the appendix says so).
    assert plain(fmt("en", offset=-19800).fmt_datetime(datetime(2026, 3, 12, 9, 12))[0]).endswith("03:42 UTC-5:30")
    assert plain(fmt("en", offset=None).fmt_datetime(datetime(2026, 3, 12, 9, 12))[0]).endswith("09:12 UTC")


@pytest.mark.parametrize(
    ("value", "vehicle", "expected"),
    [
        # The car is in Finland (UTC+2); the sessions happened abroad, around midnight there.
        ("2025-03-25T21:00:00-04:00", 7200, "Mar 25, 2025 21:00 UTC-4"),
        ("2025-09-05T06:00:00+09:00", 7200, "Sep 5, 2025 06:00 UTC+9"),
        ("2025-09-05T06:00:00+09:00", -25200, "Sep 5, 2025 06:00 UTC+9"),
    ],
)
def test_a_sessions_date_time_and_offset_are_all_its_own(value: str, vehicle: int, expected: str) -> None:
    moment = datetime.fromisoformat(value)
    text, iso = fmt("en", offset=vehicle).fmt_datetime(moment, keep_offset=True, stacked=True)
    assert plain(text).replace("\n", " ") == expected
    assert iso == moment.isoformat()
    assert fmt("en", offset=vehicle).fmt_date(moment, keep_offset=True) == expected.rsplit(" ", 2)[0]


@pytest.mark.parametrize("value", [1e28, -1e30, 10**400, 1e15 + 1])
def test_formatting_never_raises_on_absurd_numbers(value: float) -> None:
    f = fmt("de")
    texts = [f.number(value), f.percent(value), f.money(value, "EUR"), f.energy(value), f.distance(value)[0]]
    texts += [f.days(value), f.years(value), f.temperature(value)[0], f.pressure(value)[0], f.money(value, None)]
    assert set(texts) == {MISSING}


@pytest.mark.parametrize(("currency", "expected"), [("JPY", "¥1,235"), ("BHD", "BHD 1,234.568"), ("EUR", "€1,234.57")])
def test_money_has_its_currencys_minor_units(currency: str, expected: str) -> None:
    assert plain(fmt("en").money(1234.5678, currency)) == expected


def test_an_impossible_vehicle_offset_is_ignored() -> None:
    assert fmt(offset=10**9).vehicle_tz is None


def test_months_countries() -> None:
    assert fmt("en").month("2026-05") == ("May", "2026")
    assert fmt("de").month("2026-05") == ("Mai", "2026")
    assert fmt("en").month("garbage") == ("garbage", "")
    assert fmt("de").country("DE") == "Deutschland"
    assert fmt("fi").country("cn") == "Kiina"
    assert fmt("en").country("XX") == "XX"


def test_units_of_an_older_snapshot_follow_its_distance_unit_and_region() -> None:
    older = VehicleSnapshot(
        report_id="r",
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        identity=Identity(vin="V"),
        distance_unit="mi",
        region="na",
    )
    assert display_units(older) == US
    explicit = older.model_copy(update={"units": METRIC})
    assert display_units(explicit) == METRIC
