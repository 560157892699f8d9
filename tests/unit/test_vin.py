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
    assert plant_word in facts.plant
    assert facts.manufacturer.startswith("Tesla")


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
