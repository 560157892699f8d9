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
instead: slower, never wrong. Tests check both paths produce the same bytes (uncached_fonts), also
under threads.
"""

from __future__ import annotations

import copy
import io
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from fontTools import ttLib  # type: ignore[import-untyped]  # fontTools ships no type information
from fpdf import FPDF
from fpdf.fonts import CoreFont, TTFFont

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


@dataclass(slots=True)
class _Cache:
    usable: bool = True  # False for good once fpdf2's internals differ from what _fast_copy expects


_CACHE = _Cache()
# A context variable, not a flag: a test bypassing the cache must not slow other threads' renders.
_BYPASS: ContextVar[bool] = ContextVar("carpulse_fonts_bypass_cache", default=False)

# Tables fpdf2's subsetter drops from the embedded font anyway; removing them once up front saves
# decompiling them (GSUB/GPOS are large) in every render.
_UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern")


class _FontFile(Protocol):
    """The part of fontTools' TTFont this module uses."""

    def getBestCmap(self) -> dict[int, str]: ...  # noqa: N802 (fontTools' name)

    def __contains__(self, tag: str) -> bool: ...

    def __delitem__(self, tag: str) -> None: ...

    def save(self, file: io.BytesIO) -> None: ...


def _open(source: Path | io.BytesIO, *, lazy: bool | None = None) -> _FontFile:
    # recalcTimestamp=False: a saved copy keeps the file's own date, so output stays reproducible.
    font: _FontFile = ttLib.TTFont(source, recalcTimestamp=False, lazy=lazy)
    return font


def _path(family: str, style: str) -> Path:
    return FILES[style] if family == FAMILY else FONT_DIR / _BY_FAMILY[family].file


@lru_cache(maxsize=16)
def coverage(family: str, style: str = "") -> frozenset[int]:
    """The code points a font has a glyph for."""
    return frozenset(_open(_path(family, style), lazy=True).getBestCmap())


def fallback_for(code: int) -> str | None:
    """The first fallback family that can draw a code point DejaVu lacks, or None."""
    return next((f.family for f in FALLBACKS if code in coverage(f.family)), None)


@lru_cache(maxsize=16)
def _stripped(family: str, style: str) -> bytes:
    font = _open(_path(family, style))
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def truetype(font: CoreFont | TTFFont | None) -> TTFFont:
    """The font as the TrueType font every report font is (fpdf2's types also allow a core font or none)."""
    if not isinstance(font, TTFFont):
        raise TypeError(f"expected one of the report's TrueType fonts, got {font!r}")
    return font


@lru_cache(maxsize=16)
def _parsed(family: str, style: str) -> TTFFont:
    scratch = FPDF()
    scratch.add_font(family, style, str(_path(family, style)))
    return truetype(scratch.fonts[f"{family.lower()}{style}"])


def _own_widths(widths: dict[int, float]) -> dict[int, float]:
    # fpdf2 declares a dict but builds a defaultdict whose lookups of unknown glyphs add keys.
    if not isinstance(widths, defaultdict):
        raise TypeError(f"fpdf2's glyph width table is a {type(widths).__name__}, not a defaultdict")
    return defaultdict(widths.default_factory, widths)


def _fast_copy(pdf: FPDF, family: str, style: str) -> None:
    from fpdf.fonts import SubsetMap  # internal to fpdf2: imported here so its absence means add_font

    parsed = _parsed(family, style)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = _open(io.BytesIO(_stripped(family, style)), lazy=True)
    font.desc = copy.copy(parsed.desc)
    font.cw = _own_widths(parsed.cw)
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
            _CACHE.usable = False
            pdf.fonts.pop(f"{family.lower()}{style}", None)
    pdf.add_font(family, style, str(_path(family, style)))


@contextmanager
def uncached_fonts() -> Iterator[None]:
    """Within the block (this thread or task only), install_fonts parses every font with fpdf2's add_font."""
    token = _BYPASS.set(True)
    try:
        yield
    finally:
        _BYPASS.reset(token)


def _cache_allowed() -> bool:
    return _CACHE.usable and not _BYPASS.get()


def install_fonts(pdf: FPDF, fast: bool | None = None, fallbacks: Sequence[str] = ()) -> None:
    """Make the report font (regular and bold) and the named fallback families available to pdf."""
    use_fast = _cache_allowed() if fast is None else fast
    for style in FILES:
        _install(pdf, FAMILY, style, use_fast)
    for family in fallbacks:
        # Asked again: installing the report font may just have found the cache unusable.
        _install(pdf, family, "", use_fast and _CACHE.usable)
    if fallbacks:
        # For cell() and multi_cell(); table text is split into runs per font by glyphs.py.
        pdf.set_fallback_fonts(list(fallbacks), exact_match=False)
