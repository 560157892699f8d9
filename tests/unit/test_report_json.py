"""The JSON view: serialisable, the same content as the PDF, machine values beside the texts."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from pypdf import PdfReader

from carpulse.report.formatting import MISSING
from carpulse.report.i18n import LANGUAGES
from carpulse.report.json_view import SCHEMA, render_vehicle_json
from carpulse.report.pdf import render_vehicle_pdf
from tests.report_samples import EU_VIN, OTHER_VIN, all_none, full_eu, session, us_owner, without_all

SECTIONS = [
    "identity",
    "battery",
    "battery_health",
    "charging",
    "alerts",
    "service",
    "software",
    "tyres",
    "security",
    "sources",
]


def _squash(text: str) -> str:
    # Wrapping in the PDF puts line breaks anywhere a space was; compare without any whitespace.
    return re.sub(r"[\s\u00a0\u202f\u200b]+", "", text)


def _values(view: dict[str, Any]) -> list[str]:
    values = [f["value"] for f in view["summary"]["meta"] + view["summary"]["glance"]]
    for section in view["sections"]:
        values += [f["value"] for f in section["fields"]]
        for block in section["blocks"]:
            if block["type"] == "table":
                values += [cell["value"] for row in block["rows"] for cell in row.values()]
    return [v for v in values if v != MISSING]


@pytest.mark.parametrize("builder", [full_eu, us_owner, all_none])
@pytest.mark.parametrize("language", LANGUAGES)
def test_json_is_serialisable_and_complete(builder: Any, language: str) -> None:
    view = render_vehicle_json(builder(language=language))
    assert json.loads(json.dumps(view, allow_nan=False)) == view
    assert view["schema"] == SCHEMA
    assert view["language"] == language
    assert [s["key"] for s in view["sections"]] == SECTIONS
    for section in view["sections"]:
        assert {"title", "state", "state_label", "notices", "fields", "blocks"} <= set(section)
        for field in section["fields"]:
            assert {"key", "label", "value", "raw"} <= set(field)
            assert (field["raw"] is None) == (field["value"] == MISSING)


@pytest.mark.parametrize("builder", [full_eu, us_owner, without_all])
def test_every_value_of_the_json_is_printed_in_the_pdf(builder: Any) -> None:
    snapshot = builder(language="de") if builder is not without_all else without_all(full_eu(language="de"))
    pdf_text = _squash("".join(p.extract_text() for p in PdfReader(io.BytesIO(render_vehicle_pdf(snapshot))).pages))
    missing = [v for v in _values(render_vehicle_json(snapshot)) if _squash(v) not in pdf_text]
    assert not missing


def test_raw_values_are_machine_readable_in_the_owners_units() -> None:
    view = render_vehicle_json(full_eu(language="fi"))
    fields = {f["key"]: f for s in view["sections"] for f in s["fields"]}
    assert fields["identity.odometer"]["raw"] == pytest.approx(16093.4)
    assert fields["identity.odometer"]["unit"] == "km"
    assert fields["identity.odometer"]["value"].replace("\u00a0", " ") == "16 093 km"
    assert fields["battery.level"]["raw"] == 78
    assert fields["climate.inside"]["raw"] == 21.5
    assert fields["identity.exterior_color"] == {
        "key": "identity.exterior_color",
        "label": "Väri",
        "value": "Deep Blue Metallic",
        "raw": "DeepBlue",
        "group": "identity:config",
    }
    costs = fields["charging.cost"]["raw"]
    assert {c["currency"] for c in costs} == {"EUR", "NOK"}
    assert view["units"] == {"distance": "km", "temperature": "C", "pressure": "bar", "time_24h": True}
    sessions = next(b for s in view["sections"] for b in s["blocks"] if b.get("key") == "sessions")
    assert sessions["rows"][0]["started"]["raw"] == "2025-10-03T08:15:00+02:00"


def test_us_raw_values_follow_the_us_units() -> None:
    fields = {f["key"]: f for s in render_vehicle_json(us_owner())["sections"] for f in s["fields"]}
    assert fields["identity.odometer"]["raw"] == 10000
    assert fields["climate.inside"] == {**fields["climate.inside"], "raw": 70.7, "unit": "°F"}


def test_notes_and_sources_are_listed() -> None:
    view = render_vehicle_json(without_all(full_eu(language="de"), failed=True))
    assert view["notes"]
    assert all(n["text"] and n["reason"].startswith("reason.") for n in view["notes"])
    statuses = {s["endpoint"]: s["status"] for s in view["sources"]}
    assert statuses["vehicle_data"] == 540
    assert view["summary"]["missing"]


def test_sessions_of_another_vin_stay_out_of_the_json() -> None:
    snapshot = full_eu(sessions=(session(1, site="Mine"), session(2, vin=OTHER_VIN, site="Theirs")))
    assert "Theirs" not in json.dumps(render_vehicle_json(snapshot), ensure_ascii=False)
    assert EU_VIN in json.dumps(render_vehicle_json(snapshot))
