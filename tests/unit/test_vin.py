"""VIN decoding: positions 10 and 11, WMI, check digit."""

import json
from pathlib import Path

import pytest

from carpulse.domain.vin import check_digit_valid, decode_vin

SCENARIOS = Path(__file__).resolve().parents[2] / "infra" / "simulator" / "scenarios"


@pytest.mark.parametrize(
    ("vin", "year", "plant_word"),
    [
        ("5YJSA7H42FF900303", 2015, "Fremont"),
        ("LRW3E7EK9RC900101", 2024, "Shanghai"),
        ("XP7YGCEL7RB900202", 2024, "Berlin"),
        ("5YJ3E1EA7KF000001", 2019, "Fremont"),
    ],
)
def test_year_and_plant(vin, year, plant_word):
    facts = decode_vin(vin)
    assert facts.model_year == year
    assert plant_word in (facts.plant or "")
    assert (facts.manufacturer or "").startswith("Tesla")


def test_check_digit():
    assert check_digit_valid("1HGCM82633A004352") is True  # the textbook example
    assert check_digit_valid("1HGCM82634A004352") is False
    assert check_digit_valid("SHORT") is None


def test_every_scenario_vin_passes_the_check_digit():
    vins = []
    for scenario in SCENARIOS.glob("*/scenario.json"):
        vins += [v["vin"] for v in json.loads(scenario.read_text())["vehicles"]]
    assert vins
    assert all(check_digit_valid(v) for v in vins)


def test_garbage_decodes_to_nothing():
    facts = decode_vin("VINVINVIN")
    assert facts.model_year is None
    assert facts.plant is None


def test_model_years_of_the_earlier_cycle_and_the_model_line():
    from datetime import UTC, datetime

    from carpulse.domain.vin import model_from_vin, model_year

    today = datetime(2026, 12, 1, tzinfo=UTC)
    assert model_year("5YJRE1A18A1000001", today) == 2010  # A
    assert model_year("SFZRE11B38A000001", today) == 2008  # "8": a 2008 Roadster, not 2038
    assert model_year("SFZRE11B39A000001", today) == 2009
    assert model_year("LRW3E7EK9RC900101", today) == 2024  # R
    assert model_year("XP7YGCEL7TB900202", today) == 2026  # T
    assert model_year("XP7YGCEL7VB900202", today) == 2027  # V: next year's cars are sold this year
    assert model_year("XP7YGCEL7XB900202", today) is None  # X: 2029 is years ahead, 1999 before Tesla
    assert model_year("5YJ3E1EA7ZF000001", today) is None  # Z is no year code
    assert model_from_vin("5YJRE11B38A000001") == "Roadster"
    assert model_from_vin("LRW3E7EK9RC900101") == "Model 3"
    assert model_from_vin("7G2CEHED1RA000001") == "Semi"
    assert model_from_vin("WBA3E7EK9RC900101") is None  # not Tesla's
