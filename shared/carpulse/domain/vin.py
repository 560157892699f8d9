"""What a Tesla VIN says by itself (ISO 3779 / 49 CFR 565)."""

from __future__ import annotations

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
# Position 10 letters cycle every 30 years; Tesla builds from 2008 on, so take the 2010 cycle.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
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


def decode_vin(vin: str) -> VinFacts:
    """Manufacturer, model year, plant and check digit; unknown parts stay None."""
    if len(vin) != 17:
        return VinFacts()
    year_index = _YEAR_CODES.find(vin[9])
    return VinFacts(
        manufacturer=_MANUFACTURERS.get(vin[:3]),
        model_year=2010 + year_index if year_index >= 0 else None,
        plant=_PLANTS.get(vin[10]) if vin[:3] in _MANUFACTURERS else None,
        check_digit_valid=check_digit_valid(vin),
    )
