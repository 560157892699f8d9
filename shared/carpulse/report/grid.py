"""A lean table engine: word-wrap with the font's glyph widths, draw lines with FPDF.text().

fpdf2's table() lays out every cell through multi_cell (about 1 ms per cell), which made a
500-session report take seconds. Report tables need much less: left/right aligned text that wraps
at spaces (or at zero-width spaces placed after "_" in long codes), a heading row repeated on each
page, zebra rows and horizontal rules. Wrapping measures with the parsed fonts' width tables (the
report font's, or a fallback's for a character it lacks: glyphs.py), the same numbers fpdf2 uses.

A word wider than its column is never cut just anywhere: it is hyphenated at a point of the
report language (hyphenate.py), or, when it has none that fits, the cell's font shrinks (to 70 %);
only what still does not fit then (a 40-character code) is split, and text in scripts written
without spaces breaks between characters as it does in print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carpulse.report import fonts, glyphs
from carpulse.report.fonts import FAMILY
from carpulse.report.hyphenate import Splitter, breaks_anywhere, splitter

if TYPE_CHECKING:
    from fpdf import FPDF

Colour = tuple[int, int, int]
_BREAK = re.compile(r"([ \u200b])")
_MAX_LINES = 60  # a pathological cell is cut rather than made taller than a page
_SHRINK_STEPS = (0.9, 0.8, 0.7)  # font scales tried for a cell whose longest word does not fit


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
    """String widths in mm for one font and size, glyph by glyph from the width tables of the fonts that draw them."""

    def __init__(self, pdf: FPDF, bold: bool, size: float) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        font = fonts.truetype(pdf.current_font)
        self._cw = font.cw  # glyph widths in 1/1000 em
        self._cmap = font.cmap
        installed: tuple[str, ...] = getattr(pdf, "fallbacks", ())  # a ReportPDF's; a plain FPDF has none
        self._fallbacks = {f: fonts.truetype(pdf.fonts[f.lower()]).cw for f in installed if f.lower() in pdf.fonts}
        self._scale = size / 1000 / pdf.k

    def __call__(self, text: str) -> float:
        cw = self._cw
        if not self._fallbacks:
            return sum(cw[ord(ch)] for ch in text) * self._scale
        total = 0.0
        for ch in text:
            code = ord(ch)
            other = None if code in self._cmap else self._fallbacks.get(fonts.fallback_for(code) or "")
            total += (other or cw)[code]
        return total * self._scale


def _split_word(word: str, width: float, measure: _Measure, hyphens: Splitter | None, force: bool) -> int | None:
    """Where to split a word wider than width: a hyphenation point (a negative index: add "-"),
    any character for scripts without spaces, any character when forced, or None (shrink first)."""
    if hyphens is not None and word.isalpha():
        for head, _ in hyphens(word):
            if measure(head + "-") <= width:
                return -len(head)
    if force or breaks_anywhere(word):
        return _fit_chars(word, width, measure)
    return None


class _TooWideError(Exception):
    """A word does not fit and may not be split (yet): the caller shrinks the font."""


def wrap(
    text: str, width: float, measure: _Measure, hyphens: Splitter | None = None, *, force: bool = True
) -> list[str]:
    """Lines of text no wider than width; a wider word is hyphenated, or split when force (see module doc)."""
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
                cut = _split_word(part, width, measure, hyphens, force)
                if cut is None:
                    raise _TooWideError
                head, part = (part[:-cut] + "-", part[-cut:]) if cut < 0 else (part[:cut], part[cut:])
                lines.append(head)
                size = measure(part)
            line, used, separator = line + joiner + part, used + (space if joiner else 0.0) + size, ""
        lines.append(line)
    if len(lines) > _MAX_LINES:
        lines = [*lines[: _MAX_LINES - 1], lines[_MAX_LINES - 1] + " …"]
    return lines


def _cell_lines(text: str, width: float, measure: _Measure, hyphens: Splitter | None) -> tuple[list[str], float]:
    """A cell's lines and font scale: hyphenated at full size if it can be, else shrunk, else split."""
    for scale in (1.0, *_SHRINK_STEPS):
        try:
            return wrap(text, width / scale, measure, hyphens, force=False), scale
        except _TooWideError:
            continue
    return wrap(text, width / _SHRINK_STEPS[-1], measure, hyphens), _SHRINK_STEPS[-1]


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
    hyphens = splitter(getattr(pdf, "lang", None))
    inner = [w - 2 * layout.pad_x for w in layout.widths]
    heading_cells = [
        _cell_lines(text, w, measures[True], hyphens) for text, w in zip(heading or (), inner, strict=False)
    ]

    def draw_heading() -> None:
        if heading:
            styles = [Style(True, layout.heading_colour)] * len(heading_cells)
            _draw_row(pdf, layout, heading_cells, styles, layout.heading_fill, measures)

    draw_heading()
    for index, cells in enumerate(rows):
        laid = [
            _cell_lines(text, w, measures[style.bold], hyphens) for (text, style), w in zip(cells, inner, strict=False)
        ]
        height = max(len(c) for c, _ in laid) * layout.line_height + 2 * layout.pad_y
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            draw_heading()
        fill = layout.zebra if layout.zebra and index % 2 == 0 else None
        _draw_row(pdf, layout, laid, [style for _, style in cells], fill, measures)
    pdf.set_text_color(0, 0, 0)


def _draw_row(
    pdf: FPDF,
    layout: Layout,
    cells: list[tuple[list[str], float]],
    styles: list[Style],
    fill: Colour | None,
    measures: dict[bool, _Measure],
) -> None:
    top, x0 = pdf.get_y(), pdf.l_margin
    height = max(len(lines) for lines, _ in cells) * layout.line_height + 2 * layout.pad_y
    width = sum(layout.widths)
    if fill:
        with pdf.local_context(fill_color=fill):
            pdf.rect(x0, top, width, height, style="F")
    x = x0
    for column, ((lines, scale), style) in enumerate(zip(cells, styles, strict=False)):
        size = layout.font_size * scale
        font_mm = size / pdf.k
        pdf.set_font(FAMILY, "B" if style.bold else "", size)
        pdf.set_text_color(*style.colour)
        right = layout.aligns[column] == "R"
        for number, line in enumerate(lines):
            if not line:
                continue
            baseline = top + layout.pad_y + number * layout.line_height + layout.line_height / 2 + font_mm * 0.35
            left = x + layout.pad_x
            if right:
                left = x + layout.widths[column] - layout.pad_x - measures[style.bold](line) * scale
            glyphs.draw_line(pdf, left, baseline, line, style.bold, size)
        x += layout.widths[column]
    pdf.set_draw_color(*layout.rule)
    pdf.set_line_width(0.2)
    pdf.line(x0, top + height, x0 + width, top + height)
    pdf.set_y(top + height)


def text_lines(pdf: FPDF, text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """How text wraps into width at the given size (sets that font)."""
    return wrap(text, width, _Measure(pdf, bold, size), splitter(getattr(pdf, "lang", None)))


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
            glyphs.draw_line(pdf, x, top + line_height / 2 + font_mm * 0.35, line, bold, size)
        pdf.set_y(top + line_height)
    pdf.set_text_color(0, 0, 0)
