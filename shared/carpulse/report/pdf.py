"""Render one vehicle's snapshot as an A4 PDF report (fpdf2).

Each section is a small function `(pdf, snapshot) -> None` listed in SECTIONS, so the report grows
by adding functions, not by growing one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos

from carpulse.domain.snapshot import ChargingSession, SectionNote, SectionState, VehicleSnapshot
from carpulse.report.formatting import (
    MISSING,
    as_utc,
    format_count,
    format_datetime,
    format_datetime_utc,
    format_distance,
    format_energy,
    format_money_list,
    format_percent,
    format_text,
    totals_by_currency,
)

PRODUCT_TITLE = "Car Pulse Tracker — Vehicle report"
AUTHOR = "Car Pulse Tracker"

# Resolved from this file so the renderer works wherever the package is copied (function bundles).
_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONT = "DejaVu"

_MARGIN = 15.0
_FOOTER_SPACE = 16.0
_BAND_COLOR = (24, 48, 74)
_ACCENT = (196, 214, 232)
_MUTED = (100, 100, 100)
_ZEBRA = (242, 245, 248)
_LINE = (200, 205, 212)

Section = Callable[["ReportPDF", VehicleSnapshot], None]


class ReportPDF(FPDF):
    """A4 page with a slim running header after page 1 and a footer on every page."""

    def __init__(self, snapshot: VehicleSnapshot) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(_FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(_FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_FOOTER_SPACE)
        self.set_font(_FONT, "", 10)
        # Emoji and CJK in owner-chosen names have no glyph in DejaVu; strip them up front so the
        # title neither starts with a stray space nor renders as nothing.
        printable = self.printable(vehicle_title(snapshot))
        self.vehicle_title = printable if printable != MISSING else "Unnamed vehicle"
        self._running_title = f"{self.vehicle_title} · VIN {format_text(snapshot.identity.vin)}"
        self._footer_text = (
            f"Report {format_text(snapshot.report_id)} · generated {format_datetime_utc(snapshot.generated_at)}"
        )

    def normalize_text(self, text: str) -> str:
        """Drop characters the current font has no glyph for, instead of printing blanks and warning."""
        cmap = getattr(self.current_font, "cmap", None)
        if cmap:
            text = "".join(ch for ch in text if ord(ch) in cmap or ch in "\n\r\t")
        return super().normalize_text(text)

    def printable(self, value: str | None) -> str:
        """format_text, after dropping glyphs the font lacks, so "🚗 Blue" shows as "Blue" not " Blue"."""
        return format_text(self.normalize_text(value)) if isinstance(value, str) else MISSING

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
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_MUTED)
        running = self.fit(f"{PRODUCT_TITLE} · {self._running_title}", self.epw)
        self.cell(0, 5, running, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_LINE)
        self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        """Report id, generation time and page count on every page."""
        self.set_y(-12)
        self.set_draw_color(*_LINE)
        self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
        self.set_font(_FONT, "", 7.5)
        self.set_text_color(*_MUTED)
        self.cell(0, 6, self.fit(self._footer_text, self.epw - 30), align="L")
        self.set_x(_MARGIN)
        self.cell(0, 6, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def vehicle_title(snapshot: VehicleSnapshot) -> str:
    """The name a reader knows the car by, falling back to the model, then to a neutral label."""
    for candidate in (snapshot.identity.display_name, snapshot.identity.model):
        text = format_text(candidate)
        if text != MISSING:
            return text
    return "Unnamed vehicle"


def _model_line(snapshot: VehicleSnapshot) -> str:
    parts = [format_text(snapshot.identity.model), format_text(snapshot.identity.trim)]
    parts = [p for p in parts if p != MISSING]
    return " · ".join(parts) if parts else MISSING


def _section_title(pdf: ReportPDF, title: str) -> None:
    # Keep a title with at least a few lines of its content instead of orphaning it at a page bottom.
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(5)
    pdf.set_font(_FONT, "B", 12)
    pdf.set_text_color(*_BAND_COLOR)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.5)
    pdf.line(_MARGIN, pdf.get_y(), pdf.w - _MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(2.5)
    pdf.set_text_color(0, 0, 0)


def _remark(pdf: ReportPDF, text: str) -> None:
    pdf.set_font(_FONT, "", 9)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def header_band(pdf: ReportPDF, snapshot: VehicleSnapshot) -> None:
    """Dark band with product name, vehicle name, model and VIN."""
    model = _model_line(snapshot)
    band_bottom = 36.0 if model != MISSING else 30.5
    # local_context: a fill colour left behind would become the background of every later table cell.
    with pdf.local_context(fill_color=_BAND_COLOR):
        pdf.rect(0, 0, pdf.w, band_bottom, style="F")
    pdf.set_text_color(*_ACCENT)
    pdf.set_font(_FONT, "", 9)
    pdf.set_y(7)
    pdf.cell(0, 5, PRODUCT_TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(_FONT, "B", 17)
    # A long custom name shrinks a little, then is cut, rather than being pushed out of the band.
    title = pdf.vehicle_title
    while pdf.get_string_width(title) > pdf.epw and pdf.font_size_pt > 12:
        pdf.set_font_size(pdf.font_size_pt - 1)
    pdf.cell(0, 9, pdf.fit(title, pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 10)
    if model != MISSING:
        pdf.cell(0, 5.5, pdf.fit(model, pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_ACCENT)
    vin_line = pdf.fit(f"VIN {format_text(snapshot.identity.vin)}", pdf.epw)
    pdf.cell(0, 5.5, vin_line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(band_bottom + 3)


def _fact_grid(pdf: ReportPDF, facts: Sequence[tuple[str, str]]) -> None:
    """Label/value pairs laid out two per row."""
    label_style = FontFace(color=_MUTED)
    value_style = FontFace(emphasis="BOLD")
    # A bold dash shouts; a missing value should read as quiet, not as data.
    missing_style = FontFace(color=_MUTED)
    pdf.set_font(_FONT, "", 9)
    pdf.set_draw_color(*_LINE)
    with pdf.table(
        col_widths=(31, 59, 31, 59),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        text_align="LEFT",
        line_height=5.5,
        padding=(1.2, 1.5),
        width=pdf.epw,
    ) as table:
        for i in range(0, len(facts), 2):
            row = table.row()
            for label, value in facts[i : i + 2]:
                row.cell(label, style=label_style)
                row.cell(value, style=missing_style if value == MISSING else value_style)
            if len(facts[i : i + 2]) == 1:
                row.cell("", colspan=2)


def key_facts(pdf: ReportPDF, snapshot: VehicleSnapshot) -> None:
    """Identity, battery, range and odometer at a glance, distances in the owner's unit."""
    unit = snapshot.distance_unit
    battery = snapshot.battery
    _section_title(pdf, "Key facts")
    facts = [
        ("VIN", format_text(snapshot.identity.vin)),
        ("Name", pdf.printable(snapshot.identity.display_name)),
        ("Model / trim", _model_line(snapshot)),
        ("Software", format_text(snapshot.software_version)),
        ("Battery level", format_percent(battery.level_percent if battery else None)),
        ("Usable level", format_percent(battery.usable_level_percent if battery else None)),
        ("Rated range", format_distance(battery.rated_range_mi if battery else None, unit)),
        ("Estimated range", format_distance(battery.estimated_range_mi if battery else None, unit)),
        ("Charge limit", format_percent(battery.charge_limit_percent if battery else None)),
        ("Charging state", format_text(battery.charging_state if battery else None)),
        ("Odometer", format_distance(snapshot.odometer_mi, unit)),
        ("Vehicle state", format_text(snapshot.identity.state)),
        ("Data as of", format_datetime(snapshot.data_as_of)),
        ("Colour", format_text(snapshot.identity.exterior_color)),
    ]
    _fact_grid(pdf, facts)
    if battery is None:
        pdf.ln(1.5)
        _remark(pdf, "Battery and charge data were not available for this report.")


def charging_summary(pdf: ReportPDF, snapshot: VehicleSnapshot) -> None:
    """Session count, energy and cost totals; each currency stays on its own."""
    summary = snapshot.charging
    _section_title(pdf, "Charging")
    _fact_grid(
        pdf,
        [
            ("Sessions", format_count(summary.session_count)),
            ("Total energy", format_energy(summary.energy_kwh)),
            ("Total cost", format_money_list(summary.cost_by_currency, separator="\n")),
        ],
    )


def _session_cost(session: ChargingSession) -> str:
    return format_money_list(totals_by_currency((fee.currency, fee.total_due) for fee in session.fees), separator="\n")


def _own_sessions(snapshot: VehicleSnapshot) -> tuple[list[ChargingSession], int]:
    # Attribution is settled upstream; this guard only keeps another car's charging out of this
    # owner's report if that ever breaks, and says so instead of hiding it.
    vin = snapshot.identity.vin.strip().upper()
    own = [s for s in snapshot.sessions if s.vin.strip().upper() == vin]
    return own, len(snapshot.sessions) - len(own)


def sessions_table(pdf: ReportPDF, snapshot: VehicleSnapshot) -> None:
    """This VIN's sessions; the table flows across pages and repeats its heading row."""
    sessions, foreign = _own_sessions(snapshot)
    # Same orphan rule as section titles: the sub-heading goes with at least the table's first rows.
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(_FONT, "B", 10)
    pdf.cell(0, 6, "Sessions", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if foreign:
        _remark(pdf, f"{foreign} session(s) recorded for another vehicle were left out of this report.")
    if not sessions:
        hint = " See “Missing or failed data” below." if _open_notes(snapshot) else ""
        _remark(pdf, f"No charging sessions for this vehicle in this report.{hint}")
        return
    pdf.set_font(_FONT, "", 8.5)
    pdf.set_draw_color(*_LINE)
    with pdf.table(
        # Started fits "2024-05-01 08:15 UTC+02:00" on one line at 8.5 pt; Site takes what is left and wraps.
        col_widths=(49, 66, 18, 21, 26),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_BAND_COLOR),
        cell_fill_color=_ZEBRA,
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=4.6,
        padding=(1.2, 1.5),
        repeat_headings=1,
        width=pdf.epw,
    ) as table:
        table.row(("Started", "Site", "Country", "Energy", "Cost"))
        for session in sessions:
            table.row(
                (
                    format_datetime(session.started_at),
                    pdf.printable(session.site),
                    format_text(session.country),
                    format_energy(session.energy_kwh),
                    _session_cost(session),
                )
            )


def _open_notes(snapshot: VehicleSnapshot) -> list[SectionNote]:
    return [n for n in snapshot.notes if n.state is not SectionState.OK]


def notes_block(pdf: ReportPDF, snapshot: VehicleSnapshot) -> None:
    """Sections that are missing or failed, with the reason, so gaps are never silent."""
    notes = _open_notes(snapshot)
    if not notes:
        return
    _section_title(pdf, "Missing or failed data")
    pdf.set_font(_FONT, "", 9)
    pdf.set_draw_color(*_LINE)
    with pdf.table(
        col_widths=(40, 22, 118),
        text_align="LEFT",
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", color=_BAND_COLOR),
        line_height=5,
        padding=(1.2, 1.5),
        width=pdf.epw,
    ) as table:
        table.row(("Section", "Status", "Reason"))
        for note in notes:
            status = "Failed" if note.state is SectionState.FAILED else "Missing"
            table.row((format_text(note.section), status, format_text(note.reason)))


SECTIONS: tuple[Section, ...] = (header_band, key_facts, charging_summary, sessions_table, notes_block)


def render_vehicle_pdf(snapshot: VehicleSnapshot) -> bytes:
    """Render the snapshot as a complete PDF; same snapshot, same bytes."""
    pdf = ReportPDF(snapshot)
    vin = format_text(snapshot.identity.vin)
    pdf.set_title(f"Vehicle report {vin} — {pdf.vehicle_title}")
    pdf.set_author(AUTHOR)
    pdf.set_creator(AUTHOR)
    pdf.set_subject(f"Car Pulse Tracker report {format_text(snapshot.report_id)} for VIN {vin}")
    pdf.set_lang("en")
    # A fixed creation date (instead of "now") makes output reproducible and dates the data, not the run.
    pdf.set_creation_date(as_utc(snapshot.generated_at))
    pdf.add_page()
    for section in SECTIONS:
        section(pdf, snapshot)
    return bytes(pdf.output())
