"""Every field path of the report schema names a real field: a typo fails at import, never as a
quiet "—" in every report."""

from __future__ import annotations

import pytest

from carpulse.domain.snapshot import ChargingSession, VehicleSnapshot
from carpulse.report import columns, fields
from carpulse.report.field_spec import ColumnSpec, FieldPath, FieldSpec, at, path_resolves
from carpulse.report.sections import sources


def _specs() -> list[FieldSpec | ColumnSpec]:
    tables = [value for module in (columns, sources) for value in vars(module).values() if isinstance(value, tuple)]
    found: list[FieldSpec | ColumnSpec] = list(fields.FIELDS)
    found += [spec for table in tables for spec in table if isinstance(spec, ColumnSpec)]
    return found


SPECS = _specs()
PATHS = [spec.get for spec in SPECS if isinstance(spec.get, FieldPath)]


def test_the_schema_reads_its_values_through_checked_paths() -> None:
    assert len(PATHS) > 100  # most values are plain paths; the rest are small functions with tests of their own
    assert {p.root for p in PATHS} >= {VehicleSnapshot, ChargingSession}


@pytest.mark.parametrize("path", PATHS, ids=repr)
def test_every_field_path_resolves(path: FieldPath) -> None:
    assert path_resolves(path.root, path.path)


@pytest.mark.parametrize(
    "typo", ["identity.vni", "battery.level_percnt", "charging.session_count.x", "sessions.site", ""]
)
def test_a_path_that_names_no_field_is_refused_when_it_is_made(typo: str) -> None:
    with pytest.raises(ValueError, match="has no field path"):
        at(typo)


def test_a_path_reads_through_missing_parts_as_none() -> None:
    snapshot = VehicleSnapshot.model_validate(
        {"report_id": "r", "generated_at": "2026-12-01T00:00:00Z", "identity": {"vin": "5YJ3E1EA7KF000001"}}
    )
    assert at("identity.vin")(snapshot) == "5YJ3E1EA7KF000001"
    assert at("battery.level_percent")(snapshot) is None  # no battery section arrived
    assert at("identity.vin_facts.model_year")(snapshot) is None
