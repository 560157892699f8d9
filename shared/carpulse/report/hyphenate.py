"""Where a word too long for its table column may be split: locale-aware hyphenation points.

English, German, Swedish, Norwegian Bokmål, Danish, French, Spanish and Italian use pyphen's
(LibreOffice's) dictionaries. pyphen has none for Finnish, whose rule is regular enough to write
down: a syllable starts at a consonant followed by a vowel (ta-lo, kat-to, Be-vor-ste-hend would be
split the German way by pyphen). Text in scripts written without
spaces (Han, kana, Hangul, Thai) may break between any two characters, as it does in print.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Splitter = Callable[[str], list[tuple[str, str]]]

_PYPHEN_LANG = {
    "en": "en_US",
    "de": "de_DE",
    "sv": "sv",
    "nb": "nb_NO",
    "da": "da_DK",
    "fr": "fr",
    "es": "es",
    "it": "it_IT",
}
_FI_VOWELS = "aeiouyäöå"
_FI_BREAK = re.compile(rf"(?<=[^\W\d_])(?=[^{_FI_VOWELS}\W\d][{_FI_VOWELS}])", re.IGNORECASE)
_NO_SPACE_SCRIPTS = re.compile("[\u0e00-\u0e7f\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_MIN_PART = 2


def _finnish(word: str) -> list[tuple[str, str]]:
    points = [m.start() for m in _FI_BREAK.finditer(word) if _MIN_PART <= m.start() <= len(word) - _MIN_PART]
    return [(word[:i], word[i:]) for i in reversed(points)]


@lru_cache(maxsize=16)
def splitter(language: str | None) -> Splitter | None:
    """Hyphenation points of a word, longest first part first; None for a language without rules."""
    base = (language or "").split("-")[0].split("_")[0].lower()
    if base == "fi":
        return _finnish
    if base not in _PYPHEN_LANG:
        return None
    import pyphen

    dictionary = pyphen.Pyphen(lang=_PYPHEN_LANG[base], left=_MIN_PART, right=_MIN_PART)
    return lambda word: list(dictionary.iterate(word))


def breaks_anywhere(word: str) -> bool:
    """True for text of a script written without spaces, which may break between characters."""
    return bool(_NO_SPACE_SCRIPTS.search(word))
