"""The report's fonts: DejaVu Sans, plus fallback fonts for scripts DejaVu cannot draw.

DejaVu Sans (regular and bold) draws Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and
Arabic letters. A character it lacks is drawn, glyph by glyph, with the first fallback that has it
(see glyphs.py): Thai, Devanagari, Han and kana (Droid Sans Fallback, 4 MB: the smallest TrueType
font covering the CJK ideographs; Noto Sans CJK is 19 MB of CFF per weight) and Hangul (Nanum
Square). All come unmodified from Debian packages, under licences that allow embedding (Apache-2.0,
OFL-1.1; the LICENSE files beside them), and fpdf2 embeds only the glyphs a report uses. A
fallback is added to a PDF only when its text needs it, so a Latin-only report stays as it was.

fpdf2's add_font parses the whole font (cmap and glyph widths), which is about half of a small
report's render time, and far more for a CJK font. The parsed metrics never change, so each render
gets a shallow copy of one parsed font with its own per-document parts: the glyph subset, the list
of missing glyphs, the width table (a defaultdict grows on lookup), the font descriptor (a PDF
object that receives its object id while a document is written: shared, two threads writing PDFs
at once would number each other's objects) and a fresh lazily-opened font file, since fpdf2 subsets
that file in place. If fpdf2's internals ever differ from what this expects, add_font is used
instead: slower, never wrong. Tests check both paths produce the same bytes, also under threads.
"""

from __future__ import annotations

import copy
import io
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

FAMILY = "DejaVu"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FILES: dict[str, Path] = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Fallback:
    """A font used for the characters the report font lacks (regular only: bold text uses it too)."""

    family: str
    file: str
    scripts: str


# Tried in this order for a character DejaVu lacks: Han goes to Droid (Chinese and Japanese forms)
# before Nanum, whose few hanja are Korean forms.
FALLBACKS: tuple[Fallback, ...] = (
    Fallback(family="NotoThai", file="NotoSansThai-Regular.ttf", scripts="Thai"),
    Fallback(family="NotoDevanagari", file="NotoSansDevanagari-Regular.ttf", scripts="Devanagari"),
    Fallback(family="DroidFallback", file="DroidSansFallbackFull.ttf", scripts="Han, kana, CJK punctuation"),
    Fallback(family="Nanum", file="NanumSquareR.ttf", scripts="Hangul"),
)
_BY_FAMILY = {f.family: f for f in FALLBACKS}

_log = logging.getLogger(__name__)
_state = {"fast": True}

# Tables fpdf2's subsetter drops from the embedded font anyway; removing them once up front saves
# decompiling them (GSUB/GPOS are large) in every render.
_UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern")


def _path(family: str, style: str) -> Path:
    return FILES[style] if family == FAMILY else FONT_DIR / _BY_FAMILY[family].file


@lru_cache(maxsize=16)
def coverage(family: str, style: str = "") -> frozenset[int]:
    """The code points a font has a glyph for."""
    from fontTools import ttLib

    return frozenset(ttLib.TTFont(_path(family, style), lazy=True).getBestCmap())


def fallback_for(code: int) -> str | None:
    """The first fallback family that can draw a code point DejaVu lacks, or None."""
    return next((f.family for f in FALLBACKS if code in coverage(f.family)), None)


@lru_cache(maxsize=16)
def _stripped(family: str, style: str) -> bytes:
    from fontTools import ttLib

    font = ttLib.TTFont(_path(family, style), recalcTimestamp=False)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=16)
def _parsed(family: str, style: str) -> object:
    scratch = FPDF()
    scratch.add_font(family, style, str(_path(family, style)))
    return scratch.fonts[f"{family.lower()}{style}"]


def _fast_copy(pdf: FPDF, family: str, style: str) -> None:
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap

    parsed = _parsed(family, style)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(_stripped(family, style)), recalcTimestamp=False, lazy=True)
    font.desc = copy.copy(parsed.desc)
    font.cw = defaultdict(parsed.cw.default_factory, parsed.cw)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[font.fontkey] = font


def _install(pdf: FPDF, family: str, style: str, fast: bool) -> None:
    if fast:
        try:
            _fast_copy(pdf, family, style)
            return
        except Exception:  # any fpdf2 internals mismatch: fall back for good
            _log.warning("font cache unavailable; parsing fonts per report", exc_info=True)
            _state["fast"] = False
            pdf.fonts.pop(f"{family.lower()}{style}", None)
    pdf.add_font(family, style, str(_path(family, style)))


def install_fonts(pdf: FPDF, fast: bool | None = None, fallbacks: Sequence[str] = ()) -> None:
    """Make the report font (regular and bold) and the named fallback families available to pdf."""
    use_fast = _state["fast"] if fast is None else fast
    for style in FILES:
        _install(pdf, FAMILY, style, use_fast)
    for family in fallbacks:
        _install(pdf, family, "", use_fast and _state["fast"])
    if fallbacks:
        # For cell() and multi_cell(); table text is split into runs per font by glyphs.py.
        pdf.set_fallback_fonts(list(fallbacks), exact_match=False)
