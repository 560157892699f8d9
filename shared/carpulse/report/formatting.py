"""Pure value formatters for reports: every function returns printable text, never None.

Formats (English report, ASCII digits):
- distance: "16,093 km" / "10,000 mi" (whole units, comma thousands separator)
- percent: "78%"
- energy: "1,234.5 kWh"
- money: "1,234.50 EUR" (ISO code after the amount; one currency per string, never summed across)
- datetime: "2024-05-03 14:22 UTC+02:00" in the value's own offset, "… UTC" when the offset is zero
- anything missing: MISSING ("—")
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from carpulse.domain.snapshot import DistanceUnit, Money

MISSING = "—"

KM_PER_MILE = 1.609344

# Upstream APIs (Tesla among them) send these strings in place of a value; printing them
# verbatim would tell the reader nothing, so they count as missing.
_PLACEHOLDER_STRINGS = frozenset({"", "none", "null", "nil", "undefined", "nan", "<invalid>", "invalid", "n/a"})

# ISO 4217 currencies whose minor unit is 0; showing ".00" on them looks like a bug to locals.
_ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "ISK", "JPY", "KRW", "PYG", "UGX", "VND", "XAF", "XOF"})

_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def _finite(value: object) -> float | None:
    """Return value as a finite float, or None for None, bools, non-numbers, NaN and infinities."""
    # bool is an int subclass; True would otherwise print as "1%".
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _number(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    # Rounding can leave "-0" / "-0.00", which reads like a refund.
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def format_text(value: object, max_chars: int = 300) -> str:
    """Printable single-line text for a free-text field, cut to max_chars with "…", or MISSING."""
    if value is None or not isinstance(value, str):
        return MISSING
    text = _WHITESPACE.sub(" ", value).strip()
    if text.lower() in _PLACEHOLDER_STRINGS:
        return MISSING
    # A runaway value would make one table row taller than a page, which fpdf2 refuses to render.
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def format_count(value: int | None) -> str:
    """Whole count such as "1,204", or MISSING."""
    number = _finite(value)
    return MISSING if number is None else _number(number, 0)


def miles_to_unit(miles: float, unit: DistanceUnit | str) -> float:
    """Convert a distance in miles to the owner's unit."""
    return miles * KM_PER_MILE if DistanceUnit(unit) is DistanceUnit.KM else miles


def format_distance(miles: float | None, unit: DistanceUnit | str) -> str:
    """Distance given in miles, shown in the owner's unit: "16,093 km" or "10,000 mi"."""
    number = _finite(miles)
    if number is None:
        return MISSING
    try:
        target = DistanceUnit(unit)
    except ValueError:
        # An unknown unit must not be guessed into km: the number would be silently wrong.
        target = DistanceUnit.MI
    return f"{_number(miles_to_unit(number, target), 0)} {target.value}"


def format_percent(value: float | None) -> str:
    """Percentage such as "78%", or MISSING."""
    number = _finite(value)
    return MISSING if number is None else f"{_number(number, 0)}%"


def format_energy(kwh: float | None, decimals: int = 1) -> str:
    """Energy such as "1,234.5 kWh", or MISSING."""
    number = _finite(kwh)
    return MISSING if number is None else f"{_number(number, decimals)} kWh"


def format_money(amount: float | None, currency: str | None) -> str:
    """One amount in one currency: "1,234.50 EUR", or MISSING when there is no amount."""
    number = _finite(amount)
    if number is None:
        return MISSING
    code = format_text(currency)
    if code == MISSING:
        return f"{_number(number, 2)} (currency unknown)"
    code = code.upper()
    decimals = 0 if code in _ZERO_DECIMAL_CURRENCIES else 2
    return f"{_number(number, decimals)} {code}"


def totals_by_currency(items: Iterable[tuple[str | None, float | None]]) -> tuple[Money, ...]:
    """Sum (currency, amount) pairs per currency, first-seen order; unusable amounts are skipped."""
    totals: dict[str, float] = {}
    for currency, amount in items:
        number = _finite(amount)
        if number is None:
            continue
        code = format_text(currency)
        key = "" if code == MISSING else code.upper()
        totals[key] = totals.get(key, 0.0) + number
    return tuple(Money(currency=code, amount=total) for code, total in totals.items())


def format_money_list(amounts: Iterable[Money], separator: str = ", ") -> str:
    """Several single-currency amounts side by side ("12.50 EUR, 150.00 NOK"), or MISSING."""
    parts = [format_money(m.amount, m.currency) for m in amounts]
    parts = [p for p in parts if p != MISSING]
    return separator.join(parts) if parts else MISSING


def _offset_label(offset: timedelta | None) -> str:
    if offset is None:
        return ""
    if not offset:
        return " UTC"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f" UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_datetime(value: datetime | None) -> str:
    """Date and time in the value's own offset: "2024-05-03 14:22 UTC+02:00", or MISSING."""
    if not isinstance(value, datetime):
        return MISSING
    # A naive value has no known offset; print it without one rather than invent one.
    return f"{value:%Y-%m-%d %H:%M}{_offset_label(value.utcoffset())}"


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_datetime_utc(value: datetime | None) -> str:
    """The instant converted to UTC: "2024-05-03 12:22 UTC", or MISSING."""
    if not isinstance(value, datetime):
        return MISSING
    return format_datetime(as_utc(value))
