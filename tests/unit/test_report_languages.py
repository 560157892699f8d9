"""Every language renders the default scenario: PDFs, JSON view and CSV header, with no key or placeholder left."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.report.csv_export import FIXED_COLUMNS, TAIL_COLUMNS, sessions_csv
from carpulse.report.hyphenate import splitter
from carpulse.report.i18n import Catalog
from carpulse.report.json_view import render_vehicle_json
from infra.local.stack import DEFAULT_SCENARIO
from tests.report_samples import full_eu, scenario_pdf_text, scenario_reports, session
from tests.sweeps import each_language

# A catalog key that fell through to the page, anywhere in a text ("field.battery.level").
KEY = re.compile(
    r"\b(?:field|col|group|text|enum|section|state|tile|summary|http|endpoint|note|report|reason|chart|csv"
    r"|unreadable|battery_health|verify|placeholder|detail|bool|value|warranty|source)\.[a-z_]+\.?[A-Za-z_]*"
)
LEFTOVER = re.compile(r"\{[a-z_]*\}|\bNone\b|\bnull\b|<invalid>|\bnan\b|\bTrue\b|\bFalse\b")
SECTIONS = ("identity", "battery", "charging", "alerts", "service", "software", "tyres", "security")


def snapshots(language: str) -> dict[str, VehicleSnapshot]:
    """The default scenario's reports, built (and rendered) once per session: test_report_inputs.py
    reads the same PDFs in en, de and fi."""
    return scenario_reports(DEFAULT_SCENARIO, language)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            # `raw` is the machine twin, `detail` the note's own data; neither is a text the reader sees.
            if key not in {"raw", "detail", "key", "section", "endpoint", "reason"}:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("language", each_language())
def test_the_default_scenarios_pdfs_read_in_the_language(language: str) -> None:
    cat = Catalog(language)
    for name in snapshots(language):
        text = scenario_pdf_text(DEFAULT_SCENARIO, language, name)
        flat = " ".join(text.split())
        assert KEY.search(text) is None, (name, KEY.search(text))
        assert LEFTOVER.search(text) is None, (name, LEFTOVER.search(text))
        assert name in text
        for section in SECTIONS:
            assert cat.text(f"section.{section}") in flat, (name, section)
        assert cat.text("report.product") in flat


@pytest.mark.parametrize("language", each_language())
def test_the_default_scenarios_json_views_have_every_label(language: str) -> None:
    for name, snapshot in snapshots(language).items():
        view = render_vehicle_json(snapshot)
        assert view["language"] == language
        texts = list(_strings(view))
        assert [t for t in texts if KEY.fullmatch(t)] == [], name
        assert [t for t in texts if LEFTOVER.search(t)] == [], name
        labels = [f["label"] for s in view["sections"] for f in s["fields"]]
        assert labels
        assert all(label.strip() for label in labels)


@pytest.mark.parametrize("language", each_language())
def test_the_csv_header_is_named_in_the_language(language: str) -> None:
    data = sessions_csv(list(snapshots(language).values()), language)
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    keys = next(csv.reader(io.StringIO(sessions_csv(list(snapshots(language).values())).decode("utf-8-sig"))))
    cat = Catalog(language)
    assert len(header) == len(keys) == len(set(header))
    assert keys[: len(FIXED_COLUMNS)] == list(FIXED_COLUMNS)
    assert keys[-len(TAIL_COLUMNS) :] == list(TAIL_COLUMNS)
    assert header[1:] != keys[1:]
    assert [h for h in header if KEY.fullmatch(h) or "{" in h or not h.strip()] == []
    assert header[0] == cat.text("csv.vin")
    assert any(cat.enum("fee_type", "CHARGING") in h and "EUR" in h for h in header)
    assert cat.text("csv.total", currency="EUR") in header


def test_csv_column_names_stay_distinct_and_values_stay_machine_readable() -> None:
    # "IDLE" reads "Idle fee" from the catalog and an unknown "IDLE_FEE" humanises to the same words.
    odd = session(1, extras=("IDLE", "IDLE_FEE"))
    snapshot = full_eu(sessions=(odd,))
    rows = list(csv.reader(io.StringIO(sessions_csv([snapshot], "en").decode("utf-8-sig"))))
    keyed = list(csv.reader(io.StringIO(sessions_csv([snapshot]).decode("utf-8-sig"))))
    assert "Fee: Idle fee (EUR)" in rows[0]
    assert "Fee: Idle fee (EUR) [fee_idle_fee_eur]" in rows[0]
    assert len(set(rows[0])) == len(rows[0])
    assert rows[1:] == keyed[1:]


@pytest.mark.parametrize("language", each_language())
def test_every_language_has_hyphenation_for_its_table_words(language: str) -> None:
    hyphens = splitter(language)
    assert hyphens is not None
    word = Catalog(language).text("section.charging").split()[-1]
    assert len(word) < 8 or hyphens(word), word
