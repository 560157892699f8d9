"""Battery health, method bh-1: the estimate, its gates, distortions, warranty floor, and the section.

Expected figures are computed here from the inputs, the way docs/battery-health.md states them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carpulse.domain.snapshot import Battery, Identity, VehicleSnapshot, VinFacts
from carpulse.report.build import build_report
from carpulse.report.json_view import render_vehicle_json
from carpulse.report.views import ChartView, FieldGroup, SectionView, TableView
from carpulse.services.battery_health import METHOD_VERSION, STANDING_DISTORTIONS, assess, with_battery_health
from carpulse.services.battery_reference import KM_PER_MILE, REFERENCE_RANGES, Standard, capacity_floor
from carpulse.services.fetched import FetchedVehicle
from carpulse.services.normalise import build_snapshot
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.schemas import VehicleData
from tests.report_samples import GENERATED, all_none, full_eu, us_owner

SCENARIOS = Path(__file__).resolve().parents[2] / "infra" / "simulator" / "scenarios"


def _section(snapshot: VehicleSnapshot) -> SectionView:
    view = build_report(snapshot)
    return next(s for s in view.sections if s.key == "battery_health")


def _fields(section: SectionView) -> dict[str, object]:
    return {f.key: f.raw for b in section.blocks if isinstance(b, FieldGroup) for f in b.fields}


def _eu_battery() -> Battery:
    """The battery reading of the full EU sample."""
    battery = full_eu().battery
    assert battery is not None
    return battery


def test_estimate_is_range_at_100_of_usable_level_against_tesla_specs_range() -> None:
    snapshot = full_eu()
    battery, specs = snapshot.battery, snapshot.identity.specs
    assert battery is not None
    assert specs is not None
    assert battery.rated_range_mi is not None
    assert battery.usable_level_percent is not None
    assert specs.range_km is not None
    health = assess(snapshot)
    at_100 = round(battery.rated_range_mi / battery.usable_level_percent * 100, 1)
    reference = round(specs.range_km / KM_PER_MILE, 1)
    assert health.method == METHOD_VERSION
    assert health.range_at_100_mi == at_100
    assert health.reference_range_mi == reference
    assert health.reference_standard == "specs"
    assert health.estimate_percent == round(at_100 / reference * 100, 1)
    assert health.estimate_percent is not None
    assert health.estimate_band_points == round(0.5 / battery.usable_level_percent * health.estimate_percent, 1)
    assert (health.tesla_soh_percent, health.tesla_soh_as_of) == (96.0, specs.state_of_health_as_of)


def test_without_specs_the_shipped_table_gives_the_reference_for_model_trim_year_and_market() -> None:
    base = us_owner()
    snapshot = base.model_copy(
        update={
            "identity": base.identity.model_copy(
                update={"specs": None, "trim": "74D", "vin_facts": VinFacts(model_year=2021)}
            )
        }
    )
    health = assess(snapshot)
    row = next(r for r in REFERENCE_RANGES if r.matches("Model 3", "74D", 2021, Standard.EPA))
    assert health.reference_range_mi == row.range_mi
    assert health.reference_standard == "epa"
    assert "fueleconomy.gov" in (health.reference_source or "")
    assert "battery_health.distortion.table_reference" in health.distortions
    assert health.tesla_soh_percent is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"battery": None}, "no_live_data"),
        ({"battery": Battery(level_percent=50)}, "no_range"),
        ({"battery": Battery(level_percent=15, usable_level_percent=15, rated_range_mi=45.0)}, "level_too_low"),
    ],
)
def test_not_enough_data_has_a_reason_and_no_number(change: dict, reason: str) -> None:
    health = assess(full_eu(**change))
    assert health.estimate_percent is None
    assert health.missing_reason == f"battery_health.reason.{reason}"
    assert health.method == METHOD_VERSION


def test_unknown_model_or_market_gets_a_reason_not_a_guess() -> None:
    bare = full_eu(identity=Identity(vin="LRW3E7EK4RC123456"))
    assert assess(bare).missing_reason == "battery_health.reason.no_model"
    china = full_eu(region="cn", identity=full_eu().identity.model_copy(update={"specs": None, "market_eu": None}))
    assert assess(china).missing_reason == "battery_health.reason.no_market"
    # The shipped table has no WLTP row for a 2019 Model 3: no estimate rather than another market's figure.
    identity = full_eu().identity.model_copy(update={"specs": None, "vin_facts": VinFacts(model_year=2019)})
    old_eu = full_eu(identity=identity)
    assert assess(old_eu).missing_reason == "battery_health.reason.no_reference"


def test_a_reading_far_above_new_is_refused_as_a_reference_mismatch() -> None:
    battery = _eu_battery().model_copy(update={"rated_range_mi": 330.0, "usable_level_percent": 76})
    assert assess(full_eu(battery=battery)).missing_reason == "battery_health.reason.implausible"


@pytest.mark.parametrize(
    ("battery_change", "expected"),
    [
        ({"level_percent": 80, "usable_level_percent": 77}, "cold_pack"),
        ({"module_temp_min_c": 4.0}, "cold_pack"),
        ({"charging_state": "Charging"}, "charging"),
        ({"level_percent": 99, "usable_level_percent": 99, "rated_range_mi": 320.0}, "full_charge"),
        ({"level_percent": 30, "usable_level_percent": 30, "rated_range_mi": 100.0}, "low_level"),
    ],
)
def test_distortions_are_named_when_the_reading_shows_them(battery_change: dict, expected: str) -> None:
    warm = {"module_temp_min_c": 20.0, "level_percent": 76, "usable_level_percent": 76, "charging_state": "Complete"}
    battery = _eu_battery().model_copy(update={**warm, **battery_change})
    health = assess(full_eu(battery=battery))
    assert f"battery_health.distortion.{expected}" in health.distortions
    assert health.distortions[-len(STANDING_DISTORTIONS) :] == STANDING_DISTORTIONS


def test_battery_warranty_time_distance_and_capacity_floor() -> None:
    warranty = assess(full_eu()).warranty
    source = next(w for w in full_eu().warranties or () if "Battery" in (w.name or ""))
    assert warranty is not None
    assert (warranty.remaining_days, warranty.remaining_distance) == (source.remaining_days, source.remaining_distance)
    assert warranty.capacity_floor_percent == 70.0
    assert capacity_floor("Model S", 2015) is None  # older S/X warranties exclude gradual capacity loss
    assert capacity_floor("Model X", 2022) == 70.0
    assert assess(full_eu(warranties=None)).warranty is None


def test_section_shows_method_version_inputs_estimate_and_warranty() -> None:
    section = _section(with_battery_health(full_eu()))
    fields = _fields(section)
    assert fields["battery_health.method"] == METHOD_VERSION
    assert fields["battery_health.estimate"] == assess(full_eu()).estimate_percent
    for key in ("level", "usable_level", "rated_range", "software_version", "measured_at"):
        assert fields[f"battery_health.{key}"] is not None, key
    assert fields["battery_health.capacity_floor"] == 70
    tables = [b for b in section.blocks if isinstance(b, TableView)]
    assert [cell.raw for row in tables[0].rows for cell in row[:1]][-2:] == ["software", "not_capacity"]
    assert section.state.value == "ok"


@pytest.mark.parametrize("language", ["en", "de", "fi"])
def test_not_enough_data_reads_as_a_reason_in_every_language(language: str) -> None:
    section = _section(with_battery_health(full_eu(language=language, battery=None)))
    assert section.state.value in ("partial", "missing")
    assert section.notices
    assert "battery_health." not in section.notices[0].text
    assert "battery_health.estimate" not in _fields(section)
    assert _fields(section)["battery_health.method"] == METHOD_VERSION


def test_an_older_snapshot_says_it_was_not_assessed() -> None:
    section = _section(all_none())
    assert section.state.value == "missing"
    assert "assess" in section.notices[0].text


def test_json_view_carries_the_method_version() -> None:
    view = render_vehicle_json(with_battery_health(full_eu()))
    section = next(s for s in view["sections"] if s["key"] == "battery_health")
    assert {f["key"]: f["raw"] for f in section["fields"]}["battery_health.method"] == METHOD_VERSION


# --- every vehicle of every shipped scenario, through the real normaliser --------------------------


def _scenario_snapshots() -> list[tuple[str, VehicleSnapshot]]:
    found = []
    for root in sorted(p.parent for p in SCENARIOS.glob("*/scenario.json")):
        meta = json.loads((root / "scenario.json").read_text())
        region = meta["account"].get("region", "eu")
        for entry in meta["vehicles"]:
            folder = root / "vehicles" / entry["vin"]

            def load(name: str, folder: Path = folder) -> dict | None:
                path = folder / f"{name}.json"
                return json.loads(path.read_text()) if path.is_file() else None

            online = entry.get("state") == "online"
            raw = load("vehicle_data") if online else None
            fetched = FetchedVehicle(
                data=VehicleData.model_validate(raw) if raw else None,
                sessions=[],
                specs=dx.VehicleSpecs.model_validate(load("specs")) if load("specs") else None,
                warranty=dx.WarrantyDetails.model_validate(load("warranty")) if load("warranty") else None,
            )
            snapshot = build_snapshot(
                fetched, report_id=f"rpt-{root.name}", generated_at=GENERATED, region=region, vin=entry["vin"]
            )
            found.append((f"{root.name}-{entry['vin'][-4:]}", with_battery_health(snapshot)))
    return found


@pytest.mark.parametrize(("name", "snapshot"), _scenario_snapshots(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_scenario_vehicle_shows_method_version_and_inputs(name: str, snapshot: VehicleSnapshot) -> None:
    section = _section(snapshot)
    fields = _fields(section)
    assert fields["battery_health.method"] == METHOD_VERSION
    groups = {b.key for b in section.blocks if isinstance(b, FieldGroup)}
    assert "battery_health:inputs" in groups
    health = snapshot.battery_health
    assert health is not None
    if health.estimate_percent is None:
        assert health.missing_reason, "no number must come with a reason"
        assert section.notices
    else:
        assert health.reference_source
        assert health.reference_range_mi
        assert fields["battery_health.estimate"] == health.estimate_percent


@pytest.mark.parametrize("language", ["en", "de", "fi"])
def test_every_text_of_the_section_comes_from_the_catalog(language: str) -> None:
    cold = _eu_battery().model_copy(update={"charging_state": "Charging", "module_temp_min_c": 2.0})
    for snapshot in (full_eu(battery=cold), us_owner(), full_eu(battery=None), full_eu(warranties=None)):
        section = _section(with_battery_health(snapshot.model_copy(update={"language": language})))
        texts = [section.title, *(n.text for n in section.notices)]
        for block in section.blocks:
            if isinstance(block, FieldGroup):
                texts += [block.title or "", *(f.label for f in block.fields), *(f.value for f in block.fields)]
            elif isinstance(block, TableView):
                texts += [block.title or "", *(c.label for c in block.columns)]
                texts += [cell.value for row in block.rows for cell in row]
            elif isinstance(block, ChartView):
                texts += [block.title, block.caption or ""]
            else:
                texts.append(block.text)
        leaked = [t for t in texts if t.startswith(("battery_health.", "field.", "group.", "col.", "text."))]
        assert not leaked, leaked
