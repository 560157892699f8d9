"""The report's Unicode font (DejaVu Sans), parsed once per process instead of once per PDF.

fpdf2's add_font parses the whole TTF (cmap and glyph widths of ~6,000 glyphs), which is about
half of a small report's render time. The parsed metrics never change, so each render gets a
shallow copy of one parsed font with its own per-document parts (the glyph subset, the list of
missing glyphs and a fresh lazily-opened font file, since fpdf2 subsets that file in place when it
writes the PDF). If fpdf2's internals ever differ from what this expects, add_font is used instead:
slower, never wrong. A test checks both paths produce the same bytes.
"""

from __future__ import annotations

import copy
import io
import logging
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

FAMILY = "DejaVu"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FILES: dict[str, Path] = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}

_log = logging.getLogger(__name__)
_state = {"fast": True}


# Tables fpdf2's subsetter drops from the embedded font anyway; removing them once up front saves
# decompiling them (GSUB/GPOS are large) in every render.
_UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern")


@lru_cache(maxsize=len(FILES))
def _stripped(style: str) -> bytes:
    from fontTools import ttLib

    font = ttLib.TTFont(FILES[style], recalcTimestamp=False)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=len(FILES))
def _parsed(style: str) -> object:
    scratch = FPDF()
    scratch.add_font(FAMILY, style, str(FILES[style]))
    return scratch.fonts[f"{FAMILY.lower()}{style}"]


def _fast_copy(pdf: FPDF, style: str) -> None:
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap

    font = copy.copy(_parsed(style))
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(_stripped(style)), recalcTimestamp=False, lazy=True)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[font.fontkey] = font


def install_fonts(pdf: FPDF, fast: bool | None = None) -> None:
    """Make the report font (regular and bold) available to pdf."""
    use_fast = _state["fast"] if fast is None else fast
    for style, path in FILES.items():
        if use_fast:
            try:
                _fast_copy(pdf, style)
                continue
            except Exception:  # any fpdf2 internals mismatch: fall back for good
                _log.warning("font cache unavailable; parsing fonts per report", exc_info=True)
                _state["fast"] = False
                pdf.fonts.pop(f"{FAMILY.lower()}{style}", None)
        pdf.add_font(FAMILY, style, str(path))
