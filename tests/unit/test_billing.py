"""Tesla's bill: categories, prices, and which extras fit a vehicle's share of a budget."""

from __future__ import annotations

import pytest

from carpulse.domain.billing import (
    BASE_DATA_CALLS,
    PriceTable,
    add_calls,
    category_of,
    cost_usd,
    count_calls,
    extras_within,
)

PRICES = PriceTable()
BASE = BASE_DATA_CALLS * PRICES.usd["data"]


def test_answers_below_500_are_billed_by_category():
    answers = [("vehicle_data", 200), ("wake_up", 200), ("specs", 403), ("vehicle_data", 503), ("users_region", 200)]
    assert count_calls(answers) == {"data": 1, "wake": 1, "specs": 1, "free": 1}
    assert count_calls([("vehicle_data", None)]) == {}  # a dropped connection is no answer
    assert category_of("command_honk") == "command"


def test_prices_and_sums():
    calls = add_calls({"data": 40}, {"wake": 1}, {"specs": 3, "data": 0})
    assert calls == {"data": 40, "wake": 1, "specs": 3}
    assert cost_usd(calls, PRICES) == pytest.approx(0.40)


@pytest.mark.parametrize(
    ("allowance", "specs", "invoices"),
    [
        (None, True, 7),  # no budget: everything
        (BASE + 0.10 + 7 * 0.002, True, 7),  # room for all
        (BASE + 0.10 + 3 * 0.002, True, 3),  # the specs first, then as many invoices as fit
        (BASE + 0.05, False, 7),  # no room for the specs, the invoices still fit
        (BASE / 2, False, 0),  # not even the base: no extra at all
    ],
)
def test_extras_within_a_vehicles_share(allowance, specs, invoices):
    assert extras_within(allowance, PRICES, True, 7) == (specs, invoices)


def test_cached_specs_cost_nothing_and_are_not_skipped():
    assert extras_within(BASE, PRICES, False, 0) == (False, 0)
