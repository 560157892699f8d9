"""Message catalogs in nine languages, one JSON file each: reports, the JSON view, the CSV header, the verify page.

Languages: en (the reference), fi, sv, nb (Norwegian Bokmål), da, de, fr, es, it. Keys are dotted
("field.battery.level", "enum.charging_state.Charging", "reason.vehicle_asleep"); `{name}`
placeholders are filled by `Catalog.text`, and a placeholder with no value reads as its
"placeholder.<name>" message (or "…"), never as "{name}".

An entry is a text, or a plural entry for a message that carries a number (see plural.py): one
text per CLDR plural category of the language, chosen by the `count` value with Babel's rules, and
`{count}` printed with the language's digit grouping:

    "text.charging.foreign": {"one": "{count} session … was left out …", "other": "{count} sessions … were …"}

So no text says "session(s)". A text that is deliberately the same as the English one (a product
name, "VIN", "CCS") is listed under "_identical" in that language's file, so a test can tell a
deliberate match from a forgotten translation. Tests check that every catalog has every key, of the
same kind, with the same placeholders in every form and exactly its language's plural categories.

Outside the report (API status messages, the verify page), take one message in a language with
`message(language, key, **values)`: the language may be a tag ("sv-SE", unknown tags read as
English), a key missing in a language falls back to English, then to the key itself:

    message("fi", "reason.invoices_failed", count=3)  # "3 latauskuitin PDF-tiedostoa …"
"""

from __future__ import annotations

import json
import re
import string
from functools import lru_cache
from pathlib import Path

from carpulse.report.i18n.plural import PLURAL_ARGUMENT, Entry, categories, choose, count_text, is_plural

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Catalog",
    "Entry",
    "categories",
    "humanize",
    "identical_keys",
    "is_plural",
    "message",
    "messages",
    "placeholders",
    "resolve_language",
]

LANGUAGES: tuple[str, ...] = ("en", "fi", "sv", "nb", "da", "de", "fr", "es", "it")
DEFAULT_LANGUAGE = "en"

_DIR = Path(__file__).resolve().parent
_META_KEYS = frozenset({"_identical", "_comment"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Tags that mean one of our languages under another name: Norwegian without a written standard
# ("no") and Nynorsk readers get Bokmål rather than English.
_ALIASES = {"no": "nb", "nn": "nb"}


def resolve_language(value: str | None) -> str:
    """A supported language for a request's language tag ("de-DE" → "de", "no" → "nb"); English when unknown."""
    if not isinstance(value, str):
        return DEFAULT_LANGUAGE
    base = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def _read(language: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=len(LANGUAGES))
def messages(language: str) -> dict[str, Entry]:
    """All entries of one language (read once per process): texts and plural entries."""
    return {k: v for k, v in _read(language).items() if k not in _META_KEYS and isinstance(v, str | dict)}


@lru_cache(maxsize=len(LANGUAGES))
def identical_keys(language: str) -> frozenset[str]:
    """Keys whose text in this language is meant to equal the English text."""
    listed = _read(language).get("_identical", ())
    return frozenset(listed if isinstance(listed, list) else ())


def placeholders(entry: Entry) -> set[str]:
    """The `{name}` placeholders of a text, or of every form of a plural entry together."""
    texts = [entry] if isinstance(entry, str) else list(entry.values())
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


def humanize(value: str) -> str:
    """A readable form of an enum value the catalog does not know: "car_in_repair" → "Car in repair"."""
    text = value.strip()
    if not text or " " in text:
        return text
    if "_" in text or "-" in text or text.isupper():
        words = re.split(r"[_\-]+", text)
        # Codes such as "PM216MOSFET" or "CCS" read better untouched than lower-cased.
        if len(words) == 1:
            return text
        sentence = " ".join(w.lower() for w in words if w)
        return sentence[:1].upper() + sentence[1:]
    spaced = _CAMEL.sub(" ", text)
    return spaced[:1].upper() + spaced[1:]


class _Defaults(dict[str, str]):
    """Placeholder values: the given ones, else a neutral word from the catalog, never "{name}"."""

    def __init__(self, catalog: Catalog, values: dict[str, str]) -> None:
        super().__init__(values)
        self._catalog = catalog

    def __missing__(self, key: str) -> str:
        return self._catalog.text(f"placeholder.{key}") if self._catalog.has(f"placeholder.{key}") else "…"


class Catalog:
    """Messages of one language, falling back to English, then to the key itself."""

    def __init__(self, language: str | None) -> None:
        self.language = resolve_language(language)
        self._own = messages(self.language)
        self._en = messages(DEFAULT_LANGUAGE)

    def has(self, key: str) -> bool:
        """True when the key exists (in this language or in English)."""
        return key in self._own or key in self._en

    def _entry(self, key: str) -> tuple[Entry, str]:
        # The language goes with the entry: an English fallback takes English plural rules.
        if self._own.get(key):
            return self._own[key], self.language
        if self._en.get(key):
            return self._en[key], DEFAULT_LANGUAGE
        return key, DEFAULT_LANGUAGE

    def template(self, key: str, count: object = None) -> str:
        """The message with its placeholders left in, for a caller that fills them later (plural: for count)."""
        entry, language = self._entry(key)
        return entry if isinstance(entry, str) else choose(entry, language, count)

    def text(self, key: str, **values: object) -> str:
        """The message for key with placeholders filled; a plural entry's form is chosen by `count`."""
        entry, language = self._entry(key)
        count = values.get(PLURAL_ARGUMENT)
        template = entry if isinstance(entry, str) else choose(entry, language, count)
        if not values and "{" not in template:
            return template
        filled = {k: str(v) for k, v in values.items() if v is not None}
        if PLURAL_ARGUMENT in filled:
            filled[PLURAL_ARGUMENT] = count_text(self.language, count) or filled[PLURAL_ARGUMENT]
        try:
            return template.format_map(_Defaults(self, filled))
        except (ValueError, IndexError, AttributeError):
            return template

    def enum(self, namespace: str, value: str) -> str:
        """A Tesla enum value in words ("DeepBlue" → "Deep Blue"), via the catalog when it knows it."""
        key = f"enum.{namespace}.{value}"
        if key in self._own or key in self._en:
            return self.text(key)
        lowered = f"enum.{namespace}.{value.lower()}"
        if lowered in self._own or lowered in self._en:
            return self.text(lowered)
        return humanize(value)

    def reason(self, reason: str, detail: dict[str, str] | None = None) -> str:
        """A SectionNote reason in words: a catalog key is translated, an older English sentence kept."""
        if not self.has(reason):
            return reason
        values: dict[str, str] = {}
        for name, raw in (detail or {}).items():
            # Detail values such as a vehicle state read as words in the sentence's language.
            key = f"detail.{name}.{raw}"
            values[name] = self.text(key) if self.has(key) else str(raw)
        return self.text(reason, **values)


def message(language: str | None, key: str, **values: object) -> str:
    """One message in a language (a tag such as "sv-SE" will do), plural form chosen by `count`."""
    return _catalog(resolve_language(language)).text(key, **values)


@lru_cache(maxsize=len(LANGUAGES))
def _catalog(language: str) -> Catalog:
    return Catalog(language)
