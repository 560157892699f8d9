"""Lenient coercion of Tesla's values: whatever arrives, a field gets a usable value or None.

Tesla's payloads mix types (`sun_roof_installed: 1`), use sentinels (`"<invalid>"`), omit keys and
add new ones. Numbers that no field can have become None here, at the edge, so nothing later has to
guard against them: NaN and ±Infinity (JSON has neither, but `"NaN"` and `1e999` parse to them),
magnitudes beyond any real figure, and negatives where the field cannot be negative. Times may come
as ISO strings, with or without an offset (none means UTC, as Tesla's servers send it), or as Unix
timestamps in seconds or milliseconds. A list keeps the elements it can read; elements of the wrong
kind are dropped and counted (see TeslaModel.unreadable), so one bad alert never costs the others.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator

_SENTINELS = {"<invalid>", "", " ", "null", "None"}
# Text that is a non-finite number in words: never a name, code or label worth printing.
_NOT_NUMBERS = {"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
_INTEGER = re.compile(r"[-+]?\d{1,19}")
# Larger than any odometer, energy, price or range Tesla reports, far below where Babel's decimal
# formatting (28 digits) or float rounding would misbehave.
MAX_MAGNITUDE = 1e12
_INT_LIMIT = 2**63  # Tesla's ids are 64-bit
# Plausible instants: Tesla's oldest cars (2008) to well past any warranty; anything else is corrupt.
EARLIEST, LATEST = datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
_MS_THRESHOLD = 1e11  # 1e11 s is the year 5138; as milliseconds it is 1973
_US_THRESHOLD = 1e14


class Elements(Enum):
    """What the elements of a list field must be; anything else is dropped and counted."""

    OBJECTS = "objects"
    TEXTS = "texts"
    PLACEHOLDERS = "placeholders"  # a non-object becomes an empty object that says it was unreadable


def lenient_str(value: Any) -> str | None:
    """Stripped text; numbers as text; sentinels, blanks and other types None."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return None if value in _SENTINELS or not stripped or stripped.lower() in _NOT_NUMBERS else stripped
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value) if math.isfinite(value) else None
    return None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, str):
            number = float(value.strip())
        elif isinstance(value, int | float):
            number = float(value)
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def lenient_float(value: Any) -> float | None:
    """A finite float of plausible magnitude, or None."""
    number = _number(value)
    return number if number is not None and abs(number) <= MAX_MAGNITUDE else None


def lenient_int(value: Any) -> int | None:
    """An integer within 64 bits (digits are read exactly, not through a float), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if abs(value) < _INT_LIMIT else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
        return number if abs(number) < _INT_LIMIT else None
    real = _number(value)
    return int(real) if real is not None and abs(real) < _INT_LIMIT else None


def bounded(low: float, high: float, *, integer: bool = False) -> BeforeValidator:
    """A validator keeping numbers within [low, high] (a battery level is 0-100, a range is not negative)."""

    def check(value: Any) -> float | int | None:
        number = lenient_float(value)
        if number is None or not low <= number <= high:
            return None
        return int(number) if integer else number

    return BeforeValidator(check)


def lenient_bool(value: Any) -> bool | None:
    """True/False from booleans, 0/1 and yes/no words; None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if math.isfinite(value) else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
    return None


def epoch_datetime(value: Any) -> datetime | None:
    """A Unix timestamp in seconds, milliseconds or microseconds as an aware UTC instant, or None."""
    number = _number(value)
    if number is None or number <= 0:
        return None
    if number >= _US_THRESHOLD:
        number /= 1_000_000
    elif number >= _MS_THRESHOLD:
        number /= 1000
    try:
        instant = datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return instant if EARLIEST <= instant < LATEST else None


def _plausible(value: datetime) -> datetime | None:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None or value.utcoffset() is None else value
    try:
        return aware if EARLIEST <= aware < LATEST else None
    except (OverflowError, ValueError):
        return None


def lenient_datetime(value: Any) -> datetime | None:
    """An aware instant from ISO text (no offset: UTC) or a Unix timestamp; None when implausible."""
    if isinstance(value, datetime):
        return _plausible(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_datetime(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return epoch_datetime(text)
        try:
            return _plausible(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def lenient_list(value: Any) -> list[Any]:
    """The value when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def readable_elements(kind: Elements, items: list[Any]) -> tuple[list[Any], int]:
    """The elements a list field can use, and how many it could not."""
    if kind is Elements.TEXTS:
        texts = [x for x in items if isinstance(x, str) and x.strip()]
        return texts, len(items) - len(texts)
    if kind is Elements.PLACEHOLDERS:
        placeholders = [x if isinstance(x, dict) else {"unreadable": {"self": 1}} for x in items]
        return placeholders, sum(1 for x in items if not isinstance(x, dict))
    objects = [x for x in items if isinstance(x, dict)]
    return objects, len(items) - len(objects)


T = TypeVar("T")
Objects = Annotated[list[T], BeforeValidator(lenient_list), Elements.OBJECTS]  # a list of sub-objects
Texts = Annotated[list[str], BeforeValidator(lenient_list), Elements.TEXTS]
Str = Annotated[str | None, BeforeValidator(lenient_str)]
Float = Annotated[float | None, BeforeValidator(lenient_float)]
Int = Annotated[int | None, BeforeValidator(lenient_int)]
Bool = Annotated[bool | None, BeforeValidator(lenient_bool)]
DateTime = Annotated[datetime | None, BeforeValidator(lenient_datetime)]
EpochTime = Annotated[int | None, BeforeValidator(lenient_int)]  # kept as sent; read with epoch_datetime
Percent = Annotated[int | None, bounded(0, 100, integer=True)]
NonNegative = Annotated[float | None, bounded(0, MAX_MAGNITUDE)]
Celsius = Annotated[float | None, bounded(-100, 200)]  # cabin, outside and pack temperatures
