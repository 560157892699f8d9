"""Charging sessions as CSV: machine-readable (ISO times with offsets, dot decimals, no localisation).

Written for spreadsheets too: UTF-8 with a byte-order mark (without it Excel reads "Zürich" as
Latin-1), and a text cell that begins like a formula (=, +, -, @, tab, CR) gets a leading apostrophe,
so a site name such as "=HYPERLINK(...)" stays text. Amounts carry their currency's minor units
(ISO 4217 via CLDR: JPY 0, EUR 2, BHD 3 decimals).

One row per session. Fees get one column per fee type and currency (fee_charging_eur, …) and
totals one per currency (total_eur, total_nok), so amounts in different currencies never share a
column and are never added up.

The header row holds those column keys, a stable contract for scripts; given a language, it holds
the column names in that language instead ("Maksu: Lataus (EUR)"), for a person with a spreadsheet.
Only the header changes: the values stay machine-readable in every language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from babel.numbers import get_currency_precision

from carpulse.domain.snapshot import ChargingSession, VehicleSnapshot
from carpulse.report.columns import paid_status, session_minutes, session_totals
from carpulse.report.formatting import MISSING, finite, format_text
from carpulse.report.i18n import Catalog

FIXED_COLUMNS = (
    "vin",
    "session_id",
    "started_at",
    "stopped_at",
    "site",
    "country",
    "billing_type",
    "energy_kwh",
    "duration_minutes",
)
TAIL_COLUMNS = ("paid", "invoices")
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: object, decimals: int) -> str:
    number = finite(value)
    if number is None:
        return ""
    text = f"{number:.{decimals}f}"
    return "0" if float(text) == 0 else text.rstrip("0").rstrip(".") if "." in text else text


def minor_units(currency: str) -> int:
    """Decimals of a currency's amounts (ISO 4217 minor units); 2 for a code CLDR does not know."""
    try:
        return get_currency_precision(currency.strip().upper())
    except (KeyError, ValueError, AttributeError):
        return 2


def _money(value: float, currency: str) -> str:
    number = finite(value)
    if number is None:
        return ""
    decimals = minor_units(currency)
    return f"{0.0 if round(number, decimals) == 0 else number:.{decimals}f}"


def _text(value: object) -> str:
    text = format_text(value, max_chars=500)
    if text == MISSING:
        return ""
    # A spreadsheet would run "=cmd|..." as a formula: a leading apostrophe keeps it text.
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _key(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower()) or "other"


def _when(value: datetime | None) -> str:
    return value.isoformat() if isinstance(value, datetime) else ""


def _own(snapshot: VehicleSnapshot) -> list[ChargingSession]:
    # Same guard as the PDF: a session carrying another VIN never lands in this VIN's rows.
    vin = snapshot.identity.vin.strip().upper()
    return [s for s in snapshot.sessions if s.vin.strip().upper() == vin]


def header_labels(columns: Sequence[str], language: str, fees: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Column names in a language: fixed columns from the catalog, fee and total columns by fee type and currency."""
    cat = Catalog(language)
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for column in columns:
        if column in fees:
            fee_type, currency = fees[column]
            label = cat.text("csv.fee", fee_type=cat.enum("fee_type", fee_type), currency=currency.strip().upper())
        elif column.startswith("total_"):
            label = cat.text("csv.total", currency=column.removeprefix("total_").upper())
        else:
            label = cat.text(f"csv.{column}")
        # Two fee types may read alike ("IDLE" and "IDLE_FEE"): a spreadsheet needs distinct names.
        labels[column] = _text(f"{label} [{column}]" if label in seen else label)
        seen.add(label)
    return labels


def sessions_csv(snapshots: Sequence[VehicleSnapshot], language: str | None = None) -> bytes:
    """UTF-8 CSV (with BOM) of all sessions of the given snapshots, each under its own VIN; header named in language."""
    sessions = [s for snapshot in snapshots for s in _own(snapshot)]
    kinds = {f"fee_{_key(f.fee_type)}_{_key(f.currency)}": (f.fee_type, f.currency) for s in sessions for f in s.fees}
    total_columns = sorted({f"total_{_key(m.currency)}" for s in sessions for m in session_totals(s)})
    header = [*FIXED_COLUMNS, *sorted(kinds), *total_columns, *TAIL_COLUMNS]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    if language is None:
        writer.writeheader()
    else:
        writer.writerow(header_labels(header, language, kinds))
    for session in sessions:
        row = {
            "vin": _text(session.vin.strip().upper()),
            "session_id": _text(session.session_id),
            "started_at": _when(session.started_at),
            "stopped_at": _when(session.stopped_at),
            "site": _text(session.site),
            "country": _text(session.country).upper(),
            "billing_type": _text(session.billing_type),
            "energy_kwh": _number(session.energy_kwh, 3),
            "duration_minutes": _number(session_minutes(session), 0),
            "paid": {"paid": "true", "unpaid": "false", "partly": "partly"}.get(paid_status(session) or "", ""),
            "invoices": ";".join(_text(i.file_name) for i in session.invoices),
        }
        fees: dict[str, tuple[float, str]] = {}
        for fee in session.fees:
            if finite(fee.total_due) is not None:
                column = f"fee_{_key(fee.fee_type)}_{_key(fee.currency)}"
                fees[column] = (fees.get(column, (0.0, ""))[0] + fee.total_due, fee.currency)
        row.update({column: _money(amount, currency) for column, (amount, currency) in fees.items()})
        row.update({f"total_{_key(m.currency)}": _money(m.amount, m.currency) for m in session_totals(session)})
        writer.writerow(row)
    return (BOM + buffer.getvalue()).encode("utf-8")
