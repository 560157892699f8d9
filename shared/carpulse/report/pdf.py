"""Render one vehicle's snapshot as an A4 PDF report (fpdf2).

The content comes from build_report (the same ReportView the JSON view serialises); this module
only lays it out: a summary page, then one section after another, then the sources appendix.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.report import draw, glyphs
from carpulse.report.build import build_report
from carpulse.report.draw import ACCENT, BAND, LINE, MARGIN, MUTED
from carpulse.report.fonts import FAMILY, install_fonts
from carpulse.report.formatting import as_utc
from carpulse.report.grid import Layout, Style, draw_table, paragraph
from carpulse.report.verify_mark import EXTRA_FOOTER_SPACE, VerifyMark, draw_footer
from carpulse.report.views import ReportView, TextView, Tile

AUTHOR = "Car Pulse Tracker"
_FOOTER_SPACE = 16.0
_TILE_FILL = (244, 247, 250)
_BOLD = Style(bold=True)


class ReportPDF(FPDF):
    """A4 page with a slim running header after page 1 and a footer on every page."""

    mark: VerifyMark | None = None  # a signed report: its check mark in every footer

    def __init__(self, view: ReportView, fallbacks: tuple[str, ...] = ()) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fallbacks = fallbacks  # the fallback fonts this report's text needs (glyphs.prepare)
        install_fonts(self, fallbacks=fallbacks)
        self.view = view
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=_FOOTER_SPACE)
        self.set_font(FAMILY, "", 10)
        self._running = f"{view.product} · {view.title} · {view.labels['vin_line']}"

    def normalize_text(self, text: str) -> str:
        """Replace what no installed font can draw (the view is already clean: glyphs.prepare) visibly."""
        return super().normalize_text(glyphs.restrict(text, frozenset(self.fallbacks)))

    def fit(self, text: str, width: float) -> str:
        """Shorten text with an ellipsis until it fits width in the current font."""
        full = self.get_string_width(text)
        if full <= width:
            return text
        # Cut close to the target in one step so a pathological 10k-character name stays cheap.
        text = text[: int(len(text) * width / full) + 1]
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def header(self) -> None:
        """Page 1 opens with the full header band; later pages only need to say whose report it is."""
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.fit(self._running, self.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*LINE)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(3)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        """Report id, generation time and page count on every page."""
        if self.mark is not None:
            page = self.view.page_template.format(page=self.page_no(), pages="{nb}")
            draw_footer(self, self.mark, self.view.footer, page)
            return
        self.set_y(-12)
        self.set_draw_color(*LINE)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 6, self.fit(self.view.footer, self.epw - 32), align="L")
        self.set_x(MARGIN)
        page = self.view.page_template.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 6, page, align="R")
        self.set_text_color(0, 0, 0)


def _header_band(pdf: ReportPDF, view: ReportView) -> None:
    band_bottom = 36.0 if view.model_line else 30.5
    # local_context: a fill colour left behind would become the background of every later table cell.
    with pdf.local_context(fill_color=BAND):
        pdf.rect(0, 0, pdf.w, band_bottom, style="F")
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_y(7)
    pdf.cell(0, 5, view.product, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "B", 17)
    # A long custom name shrinks a little, then is cut, rather than being pushed out of the band.
    while pdf.get_string_width(view.title) > pdf.epw and pdf.font_size_pt > 12:
        pdf.set_font_size(pdf.font_size_pt - 1)
    pdf.cell(0, 9, pdf.fit(view.title, pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    if view.model_line:
        pdf.cell(0, 5.5, pdf.fit(view.model_line, pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 5.5, pdf.fit(view.labels["vin_line"], pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(band_bottom + 4)


def _meta_line(pdf: ReportPDF, view: ReportView) -> None:
    # Non-breaking spaces inside each item: a line may break between items, never within one.
    parts = [f"{f.label}: {f.value}".replace(" ", "\u00a0") for f in view.meta if not f.missing]
    paragraph(pdf, "   ·   ".join(parts), size=8, line_height=4.2, colour=MUTED)
    pdf.ln(2)


def _wrapped(pdf: ReportPDF, width: float, height: float, text: str) -> list[str]:
    """The lines multi_cell would draw text in, without drawing it."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output=MethodReturnValue.LINES)
    # fpdf2 types the result as whatever any `output` could ask for; LINES alone gives a list.
    if not isinstance(lines, list):
        raise TypeError(f"fpdf2's multi_cell gave {type(lines).__name__} for output=LINES")
    return lines


def _tile(pdf: ReportPDF, tile: Tile, x: float, y: float, w: float, h: float) -> None:
    with pdf.local_context(fill_color=_TILE_FILL, draw_color=LINE, line_width=0.2):
        pdf.rect(x, y, w, h, style="DF", round_corners=True, corner_radius=1.8)
    with pdf.local_context(fill_color=BAND):
        pdf.rect(x, y + 3, 0.9, h - 6, style="F")
    pdf.set_font(FAMILY, "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x + 3, y + 2.5)
    pdf.cell(w - 5, 4, pdf.fit(tile.label, w - 5))
    size = 15.0
    pdf.set_font(FAMILY, "B", size)
    while pdf.get_string_width(tile.value) > w - 5 and size > 9:
        size -= 1
        pdf.set_font_size(size)
    pdf.set_text_color(*(MUTED if tile.raw is None else BAND))
    pdf.set_xy(x + 3, y + 7.5)
    pdf.cell(w - 5, 8, pdf.fit(tile.value, w - 5))
    if tile.caption:
        pdf.set_font(FAMILY, "", 6.8)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x + 3, y + 16.5)
        lines = _wrapped(pdf, w - 5, 3.2, tile.caption)
        caption = "\n".join([*lines[:1], pdf.fit(" ".join(lines[1:]), w - 5)] if len(lines) > 1 else lines)
        pdf.multi_cell(w - 5, 3.2, caption, align="L")
    pdf.set_text_color(0, 0, 0)


def _tiles(pdf: ReportPDF, view: ReportView) -> None:
    draw.subheading(pdf, view.labels["summary.figures_title"])
    gap, height = 3.5, 25.5
    width = (pdf.epw - gap * (len(view.tiles) - 1)) / max(len(view.tiles), 1)
    top = pdf.get_y() + 1
    for i, tile in enumerate(view.tiles):
        _tile(pdf, tile, MARGIN + i * (width + gap), top, width, height)
    pdf.set_y(top + height + 3)


def _missing(pdf: ReportPDF, view: ReportView) -> None:
    draw.subheading(pdf, view.labels["summary.missing_title"])
    if not view.missing:
        draw.text(pdf, TextView("summary.nothing_missing", "✓ " + view.labels["summary.nothing_missing"]))
        return
    layout = Layout(widths=(52, 128), aligns=("L", "L"), font_size=8.5, line_height=4.2, pad_y=1.4, rule=LINE)
    rows = [[(item.title, _BOLD), (f"{item.state_label}: {item.reason}", Style())] for item in view.missing]
    draw_table(pdf, layout, rows)


def _summary_page(pdf: ReportPDF, view: ReportView) -> None:
    pdf.start_section(view.labels["section.summary"])
    _header_band(pdf, view)
    _meta_line(pdf, view)
    _tiles(pdf, view)
    if view.glance is not None:
        draw.field_group(pdf, view.glance)
    _missing(pdf, view)


def render_vehicle_pdf(snapshot: VehicleSnapshot, mark: VerifyMark | None = None) -> bytes:
    """Render the snapshot as a complete PDF in its language; same snapshot, same bytes."""
    view, fallbacks = glyphs.prepare(build_report(snapshot))
    pdf = ReportPDF(view, fallbacks)
    if mark is not None:
        pdf.mark = mark
        pdf.set_auto_page_break(auto=True, margin=_FOOTER_SPACE + EXTRA_FOOTER_SPACE)
    pdf.set_title(view.labels["doc_title"])
    pdf.set_author(AUTHOR)
    pdf.set_creator(AUTHOR)
    pdf.set_subject(view.labels["subject"])
    pdf.set_lang(view.language)
    # A fixed creation date (instead of "now") makes output reproducible and dates the data, not the run.
    pdf.set_creation_date(as_utc(snapshot.generated_at))
    pdf.add_page()
    _summary_page(pdf, view)
    for section in view.sections:
        draw.section(pdf, section)
    return bytes(pdf.output())
