"""Layout rules a reader would notice: words fit their columns, text wraps, charts have round axes."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from carpulse.report.build import build_report
from carpulse.report.chart import nice_ticks
from carpulse.report.draw import _GRID
from carpulse.report.fonts import FAMILY, install_fonts
from carpulse.report.grid import _Measure, wrap
from carpulse.report.i18n import LANGUAGES
from carpulse.report.views import FieldGroup, TableView
from tests.report_samples import full_eu, us_owner, without_all

PAGE_WIDTH = 180.0  # A4 minus 15 mm margins
PAD = 1.3


@pytest.fixture(scope="module")
def pdf() -> FPDF:
    document = FPDF()
    install_fonts(document)
    return document


def _width(pdf: FPDF, text: str, bold: bool, size: float) -> float:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    return pdf.get_string_width(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_word_is_wider_than_its_column(pdf: FPDF, language: str) -> None:
    """A word wider than its column gets split mid-word ("Countr-y"): German and Finnish make long ones."""
    too_wide: list[tuple[str, ...]] = []
    for snapshot in (full_eu(language=language), us_owner(language=language), without_all(full_eu(language=language))):
        view = build_report(snapshot)
        tables = [b for s in view.sections for b in s.blocks if isinstance(b, TableView)]
        for table in tables:
            total = sum(c.width for c in table.columns)
            for index, column in enumerate(table.columns):
                room = PAGE_WIDTH * column.width / total - 2 * PAD
                words = [(w, True) for w in column.label.split()]
                words += [(w, False) for row in table.rows for w in row[index].value.replace("\n", " ").split(" ")]
                too_wide += [
                    (table.key, column.key, w)
                    for w, bold in words
                    if "_" not in w and _width(pdf, w, bold, table.font_size) > room
                ]
        groups = [view.glance] + [b for s in view.sections for b in s.blocks if isinstance(b, FieldGroup)]
        label_room, value_room = _GRID.widths[0] - 2 * PAD, _GRID.widths[1] - 2 * PAD
        for group in groups:
            for field in group.fields if group else ():
                too_wide += [(field.key, w) for w in field.label.split() if _width(pdf, w, False, 8.5) > label_room]
                too_wide += [
                    (field.key, w)
                    for line in field.value.split("\n")
                    for w in line.split(" ")
                    if _width(pdf, w, True, 8.5) > value_room
                ]
    assert not too_wide


def test_wrap_breaks_at_spaces_and_keeps_non_breaking_ones(pdf: FPDF) -> None:
    measure = _Measure(pdf, False, 8)
    lines = wrap("Hello world this is a fairly long sentence that wraps", 25, measure)
    assert len(lines) > 1
    assert all(measure(line) <= 25 for line in lines)
    assert " ".join(lines) == "Hello world this is a fairly long sentence that wraps"
    assert wrap("NOK\u00a0238.36 paid", 20, measure)[0] == "NOK\u00a0238.36"
    assert wrap("a\nb", 25, measure) == ["a", "b"]


def test_wrap_uses_zero_width_spaces_and_splits_what_cannot_fit(pdf: FPDF) -> None:
    measure = _Measure(pdf, False, 8)
    assert wrap("TPMS_\u200ba146_\u200bsoftWarningRearLeft", 25, measure)[0] == "TPMS_a146_"
    chunks = wrap("x" * 80, 25, measure)
    assert "".join(chunks) == "x" * 80
    assert all(measure(c) <= 25 for c in chunks)


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [(140, [0, 50, 100, 150]), (7, [0, 2, 4, 6, 8]), (0, [0, 1]), (1000, [0, 250, 500, 750, 1000])],
)
def test_chart_axes_are_round(maximum: float, expected: list[float]) -> None:
    assert nice_ticks(maximum) == expected
