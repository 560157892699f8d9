"""Drawing the report's blocks with fpdf2: section titles, notices, field grids, tables, text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fpdf.enums import XPos, YPos

from carpulse.report.chart import draw_bar_chart
from carpulse.report.fonts import FAMILY
from carpulse.report.formatting import MISSING
from carpulse.report.grid import Layout, Style, draw_table, paragraph, text_lines
from carpulse.report.views import Block, ChartView, FieldGroup, SectionView, State, TableView, TextView, Tone

if TYPE_CHECKING:
    from carpulse.report.pdf import ReportPDF

MARGIN = 15.0
BAND = (24, 48, 74)
ACCENT = (196, 214, 232)
MUTED = (100, 100, 100)
ZEBRA = (242, 245, 248)
LINE = (200, 205, 212)
_TONES = {
    Tone.INFO: ((236, 242, 248), (120, 150, 185)),
    Tone.WARNING: ((253, 243, 224), (214, 140, 30)),
}
_STATE_COLOURS = {State.MISSING: (150, 95, 10), State.FAILED: (170, 40, 40), State.PARTIAL: (150, 95, 10)}

_LABEL = Style(colour=MUTED)
_VALUE = Style(bold=True)
_QUIET = Style(colour=MUTED)
_PLAIN = Style()
_GRID = Layout(widths=(38, 50, 4, 38, 50), aligns=("L",) * 5, font_size=8.5, line_height=4.2, pad_y=1.3, rule=LINE)
_LONG_TOKEN = re.compile(r"\S{16,}")


def keep_space(pdf: ReportPDF, height: float) -> None:
    """Start a new page unless `height` mm fit below, so a heading never ends a page alone."""
    if pdf.will_page_break(height):
        pdf.add_page()


def section_title(pdf: ReportPDF, view: SectionView) -> None:
    """Title with an accent rule, the state when not complete, and the source line."""
    if view.new_page:
        pdf.add_page()
    else:
        keep_space(pdf, 40)
        pdf.ln(5)
    pdf.start_section(view.title)
    top = pdf.get_y()
    pdf.set_font(FAMILY, "B", 12.5)
    pdf.set_text_color(*BAND)
    pdf.cell(0, 7, view.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    colour = _STATE_COLOURS.get(view.state)
    if colour:
        pdf.set_font(FAMILY, "B", 8)
        pdf.set_text_color(*colour)
        pdf.set_xy(MARGIN, top + 0.5)
        pdf.cell(0, 7, view.state_label, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.5)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(1.2)
    if view.source:
        paragraph(pdf, view.source, size=7.5, line_height=3.6, colour=MUTED)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def subheading(pdf: ReportPDF, title: str, keep: float = 24) -> None:
    """A block heading kept together with the start of its block."""
    keep_space(pdf, keep)
    pdf.ln(2.5)
    pdf.set_font(FAMILY, "B", 10)
    pdf.set_text_color(*BAND)
    pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(0.5)


def notice(pdf: ReportPDF, view: TextView) -> None:
    """A tinted box with a coloured bar: something is missing, failed or needs attention."""
    fill, bar = _TONES.get(view.tone, _TONES[Tone.INFO])
    height = _notice_height(pdf, view)
    keep_space(pdf, height + 2)
    top = pdf.get_y()
    with pdf.local_context(fill_color=fill):
        pdf.rect(MARGIN, top, pdf.epw, height, style="F")
    with pdf.local_context(fill_color=bar):
        pdf.rect(MARGIN, top, 1.2, height, style="F")
    pdf.set_y(top + 1.5)
    paragraph(pdf, view.text, size=8.5, line_height=4.2, indent=4, colour=(30, 30, 30))
    pdf.set_y(top + height + 1.5)


def _notice_height(pdf: ReportPDF, view: TextView) -> float:
    return len(text_lines(pdf, view.text, pdf.epw - 6, 8.5)) * 4.2 + 3


def text(pdf: ReportPDF, view: TextView) -> None:
    """A quiet sentence, or a notice box for info and warnings."""
    if view.tone is not Tone.MUTED:
        notice(pdf, view)
        return
    pdf.ln(1)
    paragraph(pdf, view.text, size=8.5, line_height=4.2, colour=MUTED)
    pdf.ln(0.5)


def field_group(pdf: ReportPDF, group: FieldGroup) -> None:
    """Label/value pairs, two per row; a missing value reads quiet, not bold."""
    if group.title:
        subheading(pdf, group.title)
    fields = group.fields
    rows = []
    for i in range(0, len(fields), 2):
        cells: list[tuple[str, Style]] = []
        for field in fields[i : i + 2]:
            # An empty gutter column keeps a long left value visibly apart from the right label.
            cells += [("", _QUIET)] if cells else []
            cells += [(field.label, _LABEL), (field.value, _QUIET if field.value == MISSING else _VALUE)]
        rows.append(cells + [("", _QUIET)] * (5 - len(cells)))
    draw_table(pdf, _GRID, rows)


def _breakable(value: str) -> str:
    # Tesla codes such as "TPMS_a146_softWarningRearLeft" have no space to wrap at; a zero-width
    # space after each underscore lets a narrow column wrap them there instead of mid-word.
    return _LONG_TOKEN.sub(lambda m: m.group(0).replace("_", "_\u200b"), value) if "_" in value else value


def _estimated_height(view: TableView) -> float:
    line = view.font_size * 0.47
    heading = max(c.label.count("\n") + 1 for c in view.columns) if view.columns else 0
    rows = [heading, *(max(cell.value.count("\n") + 1 for cell in cells) for cells in view.rows)]
    return sum(n * line + 2.2 for n in rows if n)


def table(pdf: ReportPDF, view: TableView) -> None:
    """A table that flows across pages and repeats its heading row; a short one stays on one page."""
    if not view.rows:
        if view.title:
            subheading(pdf, view.title)
        if view.empty_text:
            text(pdf, TextView(view.key, view.empty_text))
        return
    # A short table is kept whole; a long one at least keeps its heading with a few rows.
    height = _estimated_height(view)
    keep = height + 10 if height < 90 else 40
    if view.title:
        subheading(pdf, view.title, keep=keep)
    else:
        keep_space(pdf, keep)
    total = sum(c.width for c in view.columns)
    layout = Layout(
        widths=tuple(pdf.epw * c.width / total for c in view.columns),
        aligns=tuple(c.align for c in view.columns),
        font_size=view.font_size,
        line_height=view.font_size * 0.45,
        zebra=ZEBRA,
        rule=LINE,
        heading_fill=BAND,
    )
    rows = [
        [(_breakable(cell.value), _QUIET if cell.value == MISSING else _PLAIN) for cell in cells] for cells in view.rows
    ]
    draw_table(pdf, layout, rows, heading=[c.label for c in view.columns])
    pdf.ln(1)


def chart(pdf: ReportPDF, view: ChartView) -> None:
    """A titled bar chart, kept on one page."""
    height = 52.0
    keep_space(pdf, height + 14)
    subheading(pdf, view.title, keep=height + 10)
    top = pdf.get_y() + 1
    draw_bar_chart(pdf, view, MARGIN, top, pdf.epw, height)
    pdf.set_y(top + height + 3)
    if view.caption:
        text(pdf, TextView(view.key, view.caption))


def block(pdf: ReportPDF, item: Block) -> None:
    """Draw any block."""
    if isinstance(item, FieldGroup):
        field_group(pdf, item)
    elif isinstance(item, TableView):
        table(pdf, item)
    elif isinstance(item, ChartView):
        chart(pdf, item)
    else:
        text(pdf, item)


def _lead_height(pdf: ReportPDF, view: SectionView) -> float:
    # Title, source line, notices and the start of the first block belong on one page.
    height = 22.0 + sum(_notice_height(pdf, n) + 2 for n in view.notices)
    first = view.blocks[0] if view.blocks else None
    if isinstance(first, TableView) and first.rows:
        height += min(_estimated_height(first) + (10 if first.title else 0), 40)
    elif first is not None:
        height += 20
    return height


def section(pdf: ReportPDF, view: SectionView) -> None:
    """A whole section: title, notices, blocks."""
    if not view.new_page:
        keep_space(pdf, _lead_height(pdf, view) + 5)
    section_title(pdf, view)
    for note in view.notices:
        notice(pdf, note)
    for item in view.blocks:
        block(pdf, item)
