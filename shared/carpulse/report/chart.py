"""A vector bar chart drawn with fpdf2 primitives (rectangles, lines, text): no images involved."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from carpulse.report.fonts import FAMILY
from carpulse.report.views import ChartView

if TYPE_CHECKING:
    from fpdf import FPDF

_BAR = (58, 110, 165)
_GRID = (222, 226, 232)
_AXIS = (150, 155, 162)
_TEXT = (90, 90, 90)


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Round axis values from 0 to at least `maximum` (steps of 1, 2, 2.5 or 5 × 10ⁿ)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw_step = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return [float(i * step) for i in range(math.ceil(maximum / step - 1e-9) + 1)]


def draw_bar_chart(pdf: FPDF, view: ChartView, x: float, y: float, w: float, h: float) -> None:
    """Bars with value labels, a light grid with tick labels, and month/year labels underneath."""
    ticks = [t[0] for t in view.ticks] or nice_ticks(max((b.value for b in view.bars), default=0))
    top = ticks[-1] or 1.0
    axis_w, bottom_h, top_pad = 13.0, 8.5, 4.0
    plot_x, plot_y = x + axis_w, y + top_pad
    plot_w, plot_h = w - axis_w, h - bottom_h - top_pad
    base = plot_y + plot_h

    pdf.set_line_width(0.15)
    pdf.set_font(FAMILY, "", 6.5)
    pdf.set_text_color(*_TEXT)
    labels = [t[1] for t in view.ticks] or [f"{t:g}" for t in ticks]
    for value, label in zip(ticks, labels, strict=False):
        gy = base - plot_h * value / top
        pdf.set_draw_color(*(_AXIS if value == 0 else _GRID))
        pdf.line(plot_x, gy, plot_x + plot_w, gy)
        pdf.set_xy(x, gy - 1.6)
        pdf.cell(axis_w - 1.5, 3.2, label, align="R")

    slot = plot_w / max(len(view.bars), 1)
    bar_w = min(slot * 0.62, 14.0)
    for i, bar in enumerate(view.bars):
        centre = plot_x + slot * (i + 0.5)
        bar_h = plot_h * min(bar.value, top) / top
        if bar_h > 0:
            with pdf.local_context(fill_color=_BAR):
                pdf.rect(centre - bar_w / 2, base - bar_h, bar_w, bar_h, style="F")
        pdf.set_text_color(*_TEXT)
        pdf.set_font(FAMILY, "", 6)
        pdf.set_xy(centre - slot / 2, base - bar_h - 3.4)
        pdf.cell(slot, 3, bar.value_text, align="C")
        pdf.set_font(FAMILY, "", 6.5)
        pdf.set_xy(centre - slot / 2, base + 0.8)
        pdf.cell(slot, 3.2, bar.label, align="C")
        if bar.sublabel:
            pdf.set_xy(centre - slot / 2, base + 3.9)
            pdf.cell(slot, 3.2, bar.sublabel, align="C")
    pdf.set_text_color(0, 0, 0)
