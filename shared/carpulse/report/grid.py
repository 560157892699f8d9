"""A lean table engine: word-wrap with the font's glyph widths, draw lines with FPDF.text().

fpdf2's table() lays out every cell through multi_cell (about 1 ms per cell), which made a
500-session report take seconds. Report tables need much less: left/right aligned text that wraps
at spaces (or at zero-width spaces placed after "_" in long codes), a heading row repeated on each
page, zebra rows and horizontal rules. Wrapping measures with the parsed font's width table, the
same numbers fpdf2 itself uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carpulse.report.fonts import FAMILY

if TYPE_CHECKING:
    from fpdf import FPDF

Colour = tuple[int, int, int]
_BREAK = re.compile(r"([ \u200b])")
_MAX_LINES = 60  # a pathological cell is cut rather than made taller than a page


@dataclass(frozen=True, slots=True)
class Style:
    """How a cell's text looks."""

    bold: bool = False
    colour: Colour = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class Layout:
    """Geometry and colours of one table."""

    widths: tuple[float, ...]
    aligns: tuple[str, ...]  # "L" or "R" per column
    font_size: float = 8.5
    line_height: float = 4.0
    pad_x: float = 1.3
    pad_y: float = 1.0
    zebra: Colour | None = None
    rule: Colour = (200, 205, 212)
    heading_fill: Colour | None = None
    heading_colour: Colour = (255, 255, 255)


class _Measure:
    """String widths in mm for one font and size, from the font's glyph width table."""

    def __init__(self, pdf: FPDF, bold: bool, size: float) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        font = pdf.current_font
        self._cw = font.cw  # glyph widths in 1/1000 em
        self._scale = size / 1000 / pdf.k

    def __call__(self, text: str) -> float:
        cw = self._cw
        return sum(cw[ord(ch)] for ch in text) * self._scale


def wrap(text: str, width: float, measure: _Measure) -> list[str]:
    """Lines of text no wider than width; a word wider than the column is split."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        line, used, separator = "", 0.0, ""
        for index, part in enumerate(_BREAK.split(paragraph)):
            if index % 2:  # a separator: " " takes room, a zero-width space does not
                separator = part
                continue
            joiner = " " if separator == " " and line else ""
            size = measure(part)
            if line and used + measure(joiner) + size > width:
                lines.append(line)
                line, used, joiner = "", 0.0, ""
            while size > width and len(part) > 1:
                cut = _fit_chars(part, width, measure)
                lines.append(part[:cut])
                part = part[cut:]
                size = measure(part)
            line, used, separator = line + joiner + part, used + (space if joiner else 0.0) + size, ""
        lines.append(line)
    if len(lines) > _MAX_LINES:
        lines = [*lines[: _MAX_LINES - 1], lines[_MAX_LINES - 1] + " …"]
    return lines


def _fit_chars(word: str, width: float, measure: _Measure) -> int:
    total = 0.0
    for index, char in enumerate(word):
        total += measure(char)
        if total > width:
            return max(index, 1)
    return len(word)


def draw_table(
    pdf: FPDF,
    layout: Layout,
    rows: Sequence[Sequence[tuple[str, Style]]],
    heading: Sequence[str] | None = None,
) -> None:
    """Draw rows at the current position; the heading row repeats after each page break."""
    measures = {bold: _Measure(pdf, bold, layout.font_size) for bold in (False, True)}
    inner = [w - 2 * layout.pad_x for w in layout.widths]
    heading_lines = [wrap(text, w, measures[True]) for text, w in zip(heading or (), inner, strict=False)]

    def draw_heading() -> None:
        if heading:
            styles = [Style(True, layout.heading_colour)] * len(heading_lines)
            _draw_row(pdf, layout, heading_lines, styles, layout.heading_fill, measures)

    draw_heading()
    for index, cells in enumerate(rows):
        lines = [wrap(text, w, measures[style.bold]) for (text, style), w in zip(cells, inner, strict=False)]
        height = max(len(c) for c in lines) * layout.line_height + 2 * layout.pad_y
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            draw_heading()
        fill = layout.zebra if layout.zebra and index % 2 == 0 else None
        _draw_row(pdf, layout, lines, [style for _, style in cells], fill, measures)
    pdf.set_text_color(0, 0, 0)


def _draw_row(
    pdf: FPDF,
    layout: Layout,
    lines: list[list[str]],
    styles: list[Style],
    fill: Colour | None,
    measures: dict[bool, _Measure],
) -> None:
    top, x0 = pdf.get_y(), pdf.l_margin
    height = max(len(c) for c in lines) * layout.line_height + 2 * layout.pad_y
    width = sum(layout.widths)
    if fill:
        with pdf.local_context(fill_color=fill):
            pdf.rect(x0, top, width, height, style="F")
    font_mm = layout.font_size / pdf.k
    x = x0
    for column, (cell, style) in enumerate(zip(lines, styles, strict=False)):
        pdf.set_font(FAMILY, "B" if style.bold else "", layout.font_size)
        pdf.set_text_color(*style.colour)
        right = layout.aligns[column] == "R"
        for number, line in enumerate(cell):
            if not line:
                continue
            baseline = top + layout.pad_y + number * layout.line_height + layout.line_height / 2 + font_mm * 0.35
            left = x + layout.pad_x
            if right:
                left = x + layout.widths[column] - layout.pad_x - measures[style.bold](line)
            pdf.text(left, baseline, line)
        x += layout.widths[column]
    pdf.set_draw_color(*layout.rule)
    pdf.set_line_width(0.2)
    pdf.line(x0, top + height, x0 + width, top + height)
    pdf.set_y(top + height)


def text_lines(pdf: FPDF, text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """How text wraps into width at the given size (sets that font)."""
    return wrap(text, width, _Measure(pdf, bold, size))


def paragraph(
    pdf: FPDF,
    text: str,
    *,
    size: float,
    line_height: float,
    colour: Colour = (0, 0, 0),
    bold: bool = False,
    indent: float = 0.0,
) -> None:
    """Left-aligned wrapped text from the current position down, breaking pages between lines."""
    x = pdf.l_margin + indent
    lines = text_lines(pdf, text, pdf.epw - indent, size, bold)
    pdf.set_text_color(*colour)
    font_mm = size / pdf.k
    for line in lines:
        if pdf.get_y() + line_height > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_font(FAMILY, "B" if bold else "", size)
            pdf.set_text_color(*colour)
        top = pdf.get_y()
        if line:
            pdf.text(x, top + line_height / 2 + font_mm * 0.35, line)
        pdf.set_y(top + line_height)
    pdf.set_text_color(0, 0, 0)
