"""Every character of a report is drawn by some font, or replaced visibly and said so.

Before a PDF is drawn, every text of its ReportView is checked against the report font and the
fallback fonts (fonts.py): a character one of them can draw is kept and the fallbacks needed are
noted; an invisible format character (a variation selector, a zero-width joiner) is dropped; any
other character becomes U+FFFD "�" (never "—", which means "not reported"), and the appendix
says how many were replaced. Table text is then drawn in runs, one per font, chosen glyph by glyph
(draw_line); right-to-left runs (Hebrew, Arabic) are put in visual order first. Arabic letters are
drawn in their isolated forms: joining them needs a text shaper (HarfBuzz), not in this build.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields, is_dataclass, replace
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carpulse.report import fonts
from carpulse.report.i18n import Catalog
from carpulse.report.views import ReportView, Tone

if TYPE_CHECKING:
    from fpdf import FPDF

REPLACEMENT = "\ufffd"
_PLAIN = re.compile(r"[\x20-\x7e\n]*")  # printable ASCII: DejaVu draws all of it
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_KEEP = frozenset("\n\r\t")


@lru_cache(maxsize=8192)
def font_of(code: int) -> str | None:
    """The family that draws a code point: the report font, a fallback, or None for no font."""
    if code in fonts.coverage(fonts.FAMILY) or code in fonts.coverage(fonts.FAMILY, "B"):
        return fonts.FAMILY
    return fonts.fallback_for(code)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF


def clean(text: str) -> tuple[str, int, frozenset[str]]:
    """(drawable text, characters replaced, fallback families it needs)."""
    if _PLAIN.fullmatch(text):
        return text, 0, frozenset()
    out, replaced, needed = [], 0, set()
    for char in unicodedata.normalize("NFC", text):
        if _invisible(char):  # zero-width by definition, whichever font might have it
            continue
        family = None if char in _KEEP else font_of(ord(char))
        if family is not None or char in _KEEP:
            out.append(char)
            if family is not None and family != fonts.FAMILY:
                needed.add(family)
        else:
            out.append(REPLACEMENT)
            replaced += 1
    return "".join(out), replaced, frozenset(needed)


@dataclass
class _Tally:
    replaced: int = 0
    needed: set[str] = field(default_factory=set)


def _walk(value: Any, tally: _Tally) -> Any:
    if isinstance(value, Enum):  # State and Tone are str enums: keep them whole
        return value
    if isinstance(value, str):
        text, replaced, needed = clean(value)
        tally.replaced += replaced
        tally.needed |= needed
        return text
    if is_dataclass(value) and not isinstance(value, type):
        # `raw` is the machine twin of a text (JSON view only): never drawn, so never cleaned.
        changes = {f.name: _walk(getattr(value, f.name), tally) for f in fields(value) if f.init and f.name != "raw"}
        return replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_walk(v, tally) for v in value)
    if isinstance(value, list):
        return [_walk(v, tally) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, tally) for k, v in value.items()}
    return value


def prepare(view: ReportView) -> tuple[ReportView, tuple[str, ...]]:
    """The view with every text drawable, and the fallback families to install (in fallback order)."""
    tally = _Tally()
    cleaned: ReportView = _walk(view, tally)
    if tally.replaced:
        note = Catalog(view.language).text("text.sources.unprintable", count=tally.replaced, mark=REPLACEMENT)
        appendix = next((s for s in reversed(cleaned.sections) if s.key == "sources"), None)
        if appendix is not None:
            from carpulse.report.views import TextView

            appendix.blocks.append(TextView("text.sources.unprintable", note, Tone.INFO))
    order = tuple(f.family for f in fonts.FALLBACKS if f.family in tally.needed)
    return cleaned, order


def restrict(text: str, installed: frozenset[str]) -> str:
    """Text with every character the given fonts cannot draw replaced (a last guard for fpdf2)."""
    if _PLAIN.fullmatch(text):
        return text
    drawable = installed | {fonts.FAMILY}
    return "".join(
        c if c in _KEEP or font_of(ord(c)) in drawable else ("" if _invisible(c) else REPLACEMENT) for c in text
    )


def visual(line: str) -> str:
    """A line in display order: right-to-left runs reversed as the Unicode bidi algorithm says."""
    if not _RTL.search(line):
        return line
    try:
        from fpdf.bidi import BidiParagraph

        return BidiParagraph(text=line).get_reordered_string()
    except Exception:  # fpdf2's bidi module is internal: logical order beats a crash
        return line


def runs(line: str, primary: frozenset[int]) -> list[tuple[str, str]]:
    """(family, text) runs of a line: the report font where it has the glyph, else a fallback."""
    out: list[tuple[str, str]] = []
    for char in line:
        code = ord(char)
        family = fonts.FAMILY if code in primary else (fonts.fallback_for(code) or fonts.FAMILY)
        if out and out[-1][0] == family:
            out[-1] = (family, out[-1][1] + char)
        else:
            out.append((family, char))
    return out


def draw_line(pdf: FPDF, x: float, baseline: float, line: str, bold: bool, size: float) -> None:
    """Draw one line from x on the baseline, font by font."""
    style = "B" if bold else ""
    line = visual(line)
    installed: tuple[str, ...] = getattr(pdf, "fallbacks", ())  # a ReportPDF's; a plain FPDF has none
    if not installed or _PLAIN.fullmatch(line):
        pdf.text(x, baseline, line)
        return
    for family, text in runs(line, fonts.coverage(fonts.FAMILY, style)):
        usable = family if family in installed else fonts.FAMILY
        pdf.set_font(usable, style if usable == fonts.FAMILY else "", size)
        pdf.text(x, baseline, text)
        font = fonts.truetype(pdf.current_font)
        x += sum(font.cw[ord(c)] for c in text) * size / 1000 / pdf.k
    pdf.set_font(fonts.FAMILY, style, size)
