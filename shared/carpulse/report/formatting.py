"""Language-independent value hygiene for reports: clean text, the missing-value mark, UTC, totals.

Locale-aware numbers, units, money and dates live in localfmt.py; everything here is the same in
every language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from carpulse.domain.snapshot import Money

MISSING = "—"
# Beyond this no figure of a report is real (see tesla/lenient.py); Babel's decimal formatting
# also fails from 1e28 on. Such a value reads as not reported.
MAX_MAGNITUDE = 1e15

# Upstream APIs (Tesla among them) send these strings in place of a value; printing them
# verbatim would tell the reader nothing, so they count as missing.
_PLACEHOLDER_STRINGS = frozenset(
    {"", "none", "null", "nil", "undefined", "nan", "<invalid>", "invalid", "n/a"}
    | {"inf", "-inf", "+inf", "infinity", "-infinity", "+infinity", "-nan"}
)

_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def finite(value: object) -> float | None:
    """Value as a finite float, or None for None, bools, non-numbers, NaN, infinities and absurd magnitudes."""
    # bool is an int subclass; True would otherwise count as 1.
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_MAGNITUDE else None


def format_text(value: object, max_chars: int = 300) -> str:
    """Printable single-line text for a free-text field, cut to max_chars with "…", or MISSING."""
    if value is None or not isinstance(value, str):
        return MISSING
    text = _WHITESPACE.sub(" ", value).strip()
    if text.lower() in _PLACEHOLDER_STRINGS:
        return MISSING
    # A runaway value would make one table row taller than a page.
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def totals_by_currency(items: Iterable[tuple[str | None, float | None]]) -> tuple[Money, ...]:
    """Sum (currency, amount) pairs per currency, first-seen order; unusable amounts are skipped."""
    totals: dict[str, float] = {}
    for currency, amount in items:
        number = finite(amount)
        if number is None:
            continue
        code = format_text(currency)
        key = "" if code == MISSING else code.upper()
        totals[key] = totals.get(key, 0.0) + number
    return tuple(Money(currency=code, amount=total) for code, total in totals.items())


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or 9999
        return value.replace(tzinfo=UTC)
