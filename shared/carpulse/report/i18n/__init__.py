"""Message catalogs of the report (English, German, Finnish), one JSON file per language.

Every label and sentence of a report comes from here. Keys are dotted ("field.battery.level",
"enum.charging_state.Charging", "reason.vehicle_asleep"); `{name}` placeholders are filled by
`Catalog.text`. A German or Finnish text that is deliberately the same as the English one (a
product name, "VIN", "CCS") is listed under "_identical" in that language's file, so a test can
tell a deliberate match from a forgotten translation.
"""

from __future__ import annotations

import json
import re
import string
from functools import lru_cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("en", "de", "fi")
DEFAULT_LANGUAGE = "en"

_DIR = Path(__file__).resolve().parent
_META_KEYS = frozenset({"_identical", "_comment"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def resolve_language(value: str | None) -> str:
    """A supported language for a request's language tag ("de-DE" → "de"); English when unknown."""
    if not isinstance(value, str):
        return DEFAULT_LANGUAGE
    base = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def messages(language: str) -> dict[str, str]:
    """All messages of one language (read once per process)."""
    data = json.loads((_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key not in _META_KEYS}


@lru_cache(maxsize=len(LANGUAGES))
def identical_keys(language: str) -> frozenset[str]:
    """Keys whose text in this language is meant to equal the English text."""
    data = json.loads((_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return frozenset(data.get("_identical", ()))


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders of a message."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


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

    def template(self, key: str) -> str:
        """The message with its placeholders left in, for a caller that fills them later."""
        return self._own.get(key) or self._en.get(key) or key

    def text(self, key: str, **values: object) -> str:
        """The message for key with placeholders filled."""
        template = self.template(key)
        if not values and "{" not in template:
            return template
        try:
            return template.format_map(_Defaults(self, {k: str(v) for k, v in values.items()}))
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
