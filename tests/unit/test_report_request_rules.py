"""What POST /reports accepts: VINs in either case (answered upper-case), JSON booleans only, and
the per-report VIN limit as a 422 with a field message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from carpulse.services.reports import ReportCreate

VIN = "5YJ3E1EA7KF000001"


def test_a_vin_in_either_case_is_answered_upper_case():
    assert ReportCreate.model_validate({"vins": [VIN.lower()]}).vins == [VIN]


@pytest.mark.parametrize("wake", ["yes", "true", 1, 0, "false", None, [], {}])
def test_allow_wake_must_be_a_json_boolean(wake):
    with pytest.raises(ValidationError) as caught:
        ReportCreate.model_validate({"vins": [VIN], "allow_wake": wake})
    assert caught.value.errors()[0]["loc"] == ("allow_wake",)


@pytest.mark.parametrize(
    "vins",
    [
        [f" {VIN}"],  # whitespace is not part of a VIN
        [f"{VIN}\n"],
        [VIN[:16]],
        [VIN.replace("0", "O")],  # O is never in a VIN
        [VIN, VIN.lower()],  # the same VIN twice
        [17],
        [],
    ],
)
def test_malformed_or_duplicate_vins_are_refused(vins):
    with pytest.raises(ValidationError):
        ReportCreate.model_validate({"vins": vins})


def test_the_cap_is_fifty():
    many = [f"5YJ3E1EA7KF{n:06d}" for n in range(51)]
    with pytest.raises(ValidationError):
        ReportCreate.model_validate({"vins": many})
    assert len(ReportCreate.model_validate({"vins": many[:50]}).vins) == 50
