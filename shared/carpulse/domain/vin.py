"""What a Tesla VIN says by itself (ISO 3779 / 49 CFR 565)."""

from __future__ import annotations

from datetime import UTC, datetime

from carpulse.domain.snapshot import VinFacts

_MANUFACTURERS = {
    "5YJ": "Tesla, Inc. (USA)",
    "7SA": "Tesla, Inc. (USA)",
    "7G2": "Tesla, Inc. (USA, Semi)",
    "LRW": "Tesla (Shanghai), China",
    "XP7": "Tesla Manufacturing Brandenburg, Germany",
    "SFZ": "Tesla (Roadster, UK-built)",
}
_PLANTS = {
    "F": "Fremont, California, USA",
    "P": "Palo Alto, California, USA",
    "A": "Austin, Texas, USA",
    "B": "Grünheide (Berlin-Brandenburg), Germany",
    "C": "Shanghai, China",
    "N": "Reno, Nevada, USA",
}
# Position 10 cycles every 30 years (A = 2010 … Y = 2030, 1 = 2031 … 9 = 2039, or 2001 … 2009):
# Tesla builds from 2008 on, so a year past next year is the earlier cycle (a 2008 Roadster is "8").
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
FIRST_MODEL_YEAR = 2008  # the first Roadsters
# Position 4 is the line, for Tesla's own WMIs (the Semi's WMI says it alone).
_MODELS = {"3": "Model 3", "Y": "Model Y", "S": "Model S", "X": "Model X", "C": "Cybertruck", "R": "Roadster"}
_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit_valid(vin: str) -> bool | None:
    """The North American check digit (position 9); None when the VIN is not 17 valid characters."""
    if len(vin) != 17 or any(c not in _TRANSLIT for c in vin):
        return None
    total = sum(_TRANSLIT[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    expected = "X" if total % 11 == 10 else str(total % 11)
    return vin[8] == expected


def model_year(vin: str, today: datetime | None = None) -> int | None:
    """The model year of position 10 (None when it is not a year code)."""
    if len(vin) != 17 or (index := _YEAR_CODES.find(vin[9].upper())) < 0:
        return None
    year = 2010 + index
    if year <= (today or datetime.now(UTC)).year + 1:
        return year
    return year - 30 if year - 30 >= FIRST_MODEL_YEAR else None  # neither cycle is a Tesla year


def model_from_vin(vin: str) -> str | None:
    """The model line ("Model 3", "Roadster", …) of a Tesla VIN; None for other makers."""
    if len(vin) != 17 or vin[:3].upper() not in _MANUFACTURERS:
        return None
    return "Semi" if vin[:3].upper() == "7G2" else _MODELS.get(vin[3].upper())


def decode_vin(vin: str) -> VinFacts:
    """Manufacturer, model year, plant and check digit; unknown parts stay None."""
    if len(vin) != 17:
        return VinFacts()
    return VinFacts(
        manufacturer=_MANUFACTURERS.get(vin[:3]),
        model_year=model_year(vin),
        plant=_PLANTS.get(vin[10]) if vin[:3] in _MANUFACTURERS else None,
        check_digit_valid=check_digit_valid(vin),
    )
