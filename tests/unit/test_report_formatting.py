"""Unit tests for the report value formatters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from carpulse.domain.snapshot import DistanceUnit, Money
from carpulse.report.formatting import (
    MISSING,
    as_utc,
    format_count,
    format_datetime,
    format_datetime_utc,
    format_distance,
    format_energy,
    format_money,
    format_money_list,
    format_percent,
    format_text,
    miles_to_unit,
    totals_by_currency,
)

BAD_NUMBERS = [None, float("nan"), float("inf"), float("-inf"), True, "12"]


def test_missing_placeholder_is_the_em_dash() -> None:
    assert MISSING == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Blue Thunder", "Blue Thunder"),
        ("  Zürich \n Oerlikon\t", "Zürich Oerlikon"),
        ("Jyväskylä – Seppälä", "Jyväskylä – Seppälä"),
        ("18’’ wheels", "18’’ wheels"),
        (None, MISSING),
        ("", MISSING),
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
    assert format_text("abcdef", max_chars=4) == "abc…"
    assert format_text("abcd", max_chars=4) == "abcd"


def test_format_count() -> None:
    assert format_count(0) == "0"
    assert format_count(1204) == "1,204"
    assert format_count(None) == MISSING


def test_miles_to_unit() -> None:
    assert miles_to_unit(1, DistanceUnit.KM) == pytest.approx(1.609344)
    assert miles_to_unit(1, "mi") == 1


@pytest.mark.parametrize(
    ("miles", "unit", "expected"),
    [
        (10000, DistanceUnit.KM, "16,093 km"),
        (10000, DistanceUnit.MI, "10,000 mi"),
        (250.3, "km", "403 km"),
        (250.3, "mi", "250 mi"),
        (0, DistanceUnit.KM, "0 km"),
        (1_000_000, DistanceUnit.KM, "1,609,344 km"),
    ],
)
def test_format_distance_converts_miles_to_owner_unit(miles: float, unit: str, expected: str) -> None:
    assert format_distance(miles, unit) == expected


def test_format_distance_unknown_unit_is_not_guessed_as_km() -> None:
    assert format_distance(100, "furlong") == "100 mi"


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_numeric_formatters_show_missing_for_unusable_values(bad: object) -> None:
    assert format_distance(bad, DistanceUnit.KM) == MISSING  # type: ignore[arg-type]
    assert format_percent(bad) == MISSING  # type: ignore[arg-type]
    assert format_energy(bad) == MISSING  # type: ignore[arg-type]
    assert format_money(bad, "EUR") == MISSING  # type: ignore[arg-type]
    assert format_count(bad) == MISSING  # type: ignore[arg-type]


def test_format_percent() -> None:
    assert format_percent(78) == "78%"
    assert format_percent(79.6) == "80%"
    assert format_percent(0) == "0%"


def test_format_energy() -> None:
    assert format_energy(45.26) == "45.3 kWh"
    assert format_energy(1234.5) == "1,234.5 kWh"
    assert format_energy(0) == "0.0 kWh"
    assert format_energy(12.346, decimals=2) == "12.35 kWh"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (12.5, "EUR", "12.50 EUR"),
        (1234.5, "eur", "1,234.50 EUR"),
        (212.4, "NOK", "212.40 NOK"),
        (1234.6, "JPY", "1,235 JPY"),
        (-3.2, "EUR", "-3.20 EUR"),
        (-0.001, "EUR", "0.00 EUR"),
        (3, None, "3.00 (currency unknown)"),
        (3, "<invalid>", "3.00 (currency unknown)"),
    ],
)
def test_format_money(amount: float, currency: str | None, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_totals_by_currency_sums_within_a_currency_only() -> None:
    totals = totals_by_currency([("EUR", 1.0), ("NOK", 2.0), ("eur", 2.5), ("NOK", None), ("EUR", float("nan"))])
    assert totals == (Money(currency="EUR", amount=3.5), Money(currency="NOK", amount=2.0))


def test_format_money_list_keeps_currencies_apart() -> None:
    amounts = (Money(currency="EUR", amount=12.5), Money(currency="NOK", amount=150))
    assert format_money_list(amounts) == "12.50 EUR, 150.00 NOK"
    assert format_money_list(amounts, separator="\n") == "12.50 EUR\n150.00 NOK"
    assert format_money_list(()) == MISSING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 5, 3, 14, 22, tzinfo=timezone(timedelta(hours=2))), "2024-05-03 14:22 UTC+02:00"),
        (
            datetime(2024, 5, 3, 14, 22, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "2024-05-03 14:22 UTC-05:30",
        ),
        (
            datetime(2024, 5, 3, 14, 22, tzinfo=timezone(timedelta(hours=5, minutes=45))),
            "2024-05-03 14:22 UTC+05:45",
        ),
        (datetime(2024, 5, 3, 14, 22, tzinfo=UTC), "2024-05-03 14:22 UTC"),
        (datetime(2024, 5, 3, 14, 22), "2024-05-03 14:22"),
        (None, MISSING),
    ],
)
def test_format_datetime_keeps_own_offset(value: datetime | None, expected: str) -> None:
    assert format_datetime(value) == expected


def test_format_datetime_utc_converts() -> None:
    value = datetime(2024, 5, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime_utc(value) == "2024-05-02 23:30 UTC"
    assert format_datetime_utc(datetime(2024, 5, 3, 1, 30)) == "2024-05-03 01:30 UTC"
    assert format_datetime_utc(None) == MISSING


def test_as_utc_treats_naive_as_utc() -> None:
    assert as_utc(datetime(2024, 1, 1, 12)) == datetime(2024, 1, 1, 12, tzinfo=UTC)
