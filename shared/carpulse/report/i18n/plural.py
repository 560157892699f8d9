"""Plural entries of the catalogs: one text per CLDR plural category, chosen with Babel's rules.

A plural entry is a JSON object whose keys are exactly the plural categories of its language
(English, German, the Nordic languages: "one", "other"; French, Spanish, Italian also "many", the
category of a million and more): {"one": "{count} session was …", "other": "{count} sessions were …"}.
The operand is the `count` value (an int, a Decimal or a numeric string such as a SectionNote
detail's "3"); the category comes from `babel.Locale.plural_form`, so French reads 0 as "one" and
English reads it as "other". Without a usable count the "other" form is taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal

Forms = Mapping[str, str]
Entry = str | Forms

PLURAL_ARGUMENT = "count"
OTHER = "other"


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=16)
def categories(language: str) -> frozenset[str]:
    """The CLDR plural categories of a language ("other" always among them)."""
    return frozenset(_locale(language).plural_form.tags) | {OTHER}


def operand(value: object) -> Decimal | None:
    """The number a count stands for (3, "3", Decimal("2.5")), None when it is not one."""
    if not isinstance(value, int | float | Decimal | str) or isinstance(value, bool):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def category(language: str, count: object) -> str:
    """The plural category of count in a language ("one", "many", "other", …)."""
    number = operand(count)
    return OTHER if number is None else str(_locale(language).plural_form(abs(number)))


def choose(forms: Forms, language: str, count: object) -> str:
    """The form of a plural entry for count; "other" when the category has no form."""
    return forms.get(category(language, count)) or forms.get(OTHER) or next(iter(forms.values()), "")


def count_text(language: str, count: object) -> str | None:
    """The count in the language's digits ("1 234" in Finnish), None when it is not a number."""
    number = operand(count)
    if number is None:
        return None
    try:
        return format_decimal(number, locale=_locale(language))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def is_plural(entry: object) -> bool:
    """True for a plural entry (an object of forms) rather than a plain text."""
    return isinstance(entry, Mapping)
