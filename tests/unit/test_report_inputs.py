"""Every captured Tesla payload and every simulator scenario renders, through the real normaliser."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from carpulse.report.build import build_report
from carpulse.report.json_view import render_vehicle_json
from carpulse.report.pdf import render_vehicle_pdf
from tests.report_samples import fixture_files, fixture_snapshot, scenario_pdf, scenario_pdf_text, scenario_reports
from tests.sweeps import sweep

SCENARIOS = sorted(
    p.parent for p in (Path(__file__).resolve().parents[2] / "infra/simulator/scenarios").glob("*/scenario.json")
)
LEAKS = re.compile(r"\bNone\b|\bnull\b|<invalid>|\bnan\b|\{[a-z_]+\}|\bTrue\b|\bFalse\b")


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_there_are_inputs_to_render() -> None:
    assert len(fixture_files()) >= 10
    assert SCENARIOS


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_every_captured_vehicle_payload_renders(path: Path) -> None:
    snapshot = fixture_snapshot(path)
    text = text_of(render_vehicle_pdf(snapshot))
    assert LEAKS.search(text) is None
    assert snapshot.identity.vin in text
    assert render_vehicle_json(snapshot)["vin"] == snapshot.identity.vin


# Every language renders the default scenario in test_report_languages.py; here three languages
# (plain, long compounds, other digits) go through every scenario, which nine would take a minute.
SCENARIO_LANGUAGES = ("en", "de", "fi")
CASES = [
    pytest.param(scenario, language, marks=() if (scenario.name, language) == ("default", "en") else sweep)
    for scenario in SCENARIOS
    for language in SCENARIO_LANGUAGES
    # A fleet of 50 cars in every language would add seconds and no new code paths.
    if language == "en" or len(scenario_reports(scenario)) <= 5
]
READ_BACK = 6  # reports per scenario whose PDF text is checked
DRAWN = 12  # reports per scenario drawn as PDF; the rest (a fleet's near-copies) are built as views


@pytest.mark.parametrize(("scenario", "language"), CASES, ids=lambda v: getattr(v, "name", v))
def test_every_simulator_scenario_renders(scenario: Path, language: str) -> None:
    snapshots = scenario_reports(scenario, language)  # the PDFs are shared with test_report_languages.py
    assert snapshots
    for index, (name, snapshot) in enumerate(snapshots.items()):
        view = build_report(snapshot)
        assert view.vin == snapshot.identity.vin
        if index >= DRAWN:
            continue
        pdf = scenario_pdf(scenario, language, name)
        assert pdf.startswith(b"%PDF-")
        if index >= READ_BACK:
            continue
        text = scenario_pdf_text(scenario, language, name)
        assert LEAKS.search(text) is None, name
        assert name in text
        # Sessions are attributed in normalisation; none of another vehicle's sites may appear.
        own_sites = {s.site for s in snapshot.sessions}
        others = {s.site for other in snapshots.values() if other is not snapshot for s in other.sessions}
        for site in {s for s in others - own_sites if s}:
            assert site not in text, (name, site)
