"""The table half of the field schema: the columns of every table in the report.

A column's heading is the catalog's "col.<table>.<key>"; widths are relative weights. Cells that
combine several values (a session's fees, a warranty's remaining time and distance) have their own
small render function; everything else is formatted by kind, exactly like a field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carpulse.domain.snapshot import (
    Alert,
    ChargingSession,
    DataSource,
    Money,
    OptionCode,
    ReleaseNote,
    Tyre,
    Warranty,
    WarrantyKind,
)
from carpulse.report.context import Context
from carpulse.report.field_spec import ColumnSpec, Kind, at, format_value, money_raw
from carpulse.report.formatting import MISSING, finite, format_text, totals_by_currency
from carpulse.report.views import Raw

# --- charging sessions ----------------------------------------------------------------------


def _started(ctx: Context, session: ChargingSession) -> tuple[str, Raw]:
    value = session.started_at
    if not isinstance(value, datetime):
        return MISSING, None
    # Date over time keeps the column narrow; date, time and offset are all the session's own
    # (where it charged), never the date in the car's zone beside the session's clock time.
    return ctx.fmt.fmt_datetime(value, keep_offset=True, stacked=True)


def session_minutes(session: ChargingSession) -> float | None:
    """Whole minutes between start and stop, or None when either is unknown or they are reversed."""
    if not (isinstance(session.started_at, datetime) and isinstance(session.stopped_at, datetime)):
        return None
    try:
        minutes = (session.stopped_at - session.started_at).total_seconds() / 60
    except TypeError:  # one naive, one aware
        return None
    return round(minutes) if minutes >= 0 else None


def _duration(ctx: Context, session: ChargingSession) -> tuple[str, Raw]:
    minutes = session_minutes(session)
    return (ctx.fmt.minutes(minutes), minutes) if minutes is not None else (MISSING, None)


def _fees(ctx: Context, session: ChargingSession) -> tuple[str, Raw]:
    fees = [f for f in session.fees if finite(f.total_due) is not None]
    if not fees:
        return MISSING, None
    # Zero-cost lines (free parking) are noise, unless the whole session was free.
    shown = [f for f in fees if f.total_due != 0] or fees[:1]
    lines = [f"{ctx.cat.enum('fee_type', f.fee_type)}: {ctx.fmt.money(f.total_due, f.currency)}" for f in shown]
    raw = [{"type": f.fee_type, "amount": round(f.total_due, 2), "currency": f.currency} for f in fees]
    return "\n".join(lines), raw


def session_totals(session: ChargingSession) -> tuple[Money, ...]:
    """A session's cost per currency."""
    return totals_by_currency((f.currency, f.total_due) for f in session.fees)


def _total(ctx: Context, session: ChargingSession) -> tuple[str, Raw]:
    totals = session_totals(session)
    if not totals:
        return MISSING, None
    return "\n".join(ctx.fmt.money(m.amount, m.currency) for m in totals), [money_raw(m) for m in totals]


def paid_status(session: ChargingSession) -> str | None:
    """ "paid", "unpaid", "partly" or None when Tesla did not say."""
    flags = [f.is_paid for f in session.fees if f.is_paid is not None]
    if not flags:
        return None
    if all(flags):
        return "paid"
    return "unpaid" if not any(flags) else "partly"


def _paid(ctx: Context, session: ChargingSession) -> tuple[str, Raw]:
    status = paid_status(session)
    return (ctx.cat.enum("paid", status), status) if status else (MISSING, None)


SESSIONS: tuple[ColumnSpec, ...] = (
    ColumnSpec("started", Kind.CUSTOM, at("started_at", ChargingSession), 25, render=_started),
    ColumnSpec("site", Kind.TEXT, at("site", ChargingSession), 35),
    ColumnSpec("country", Kind.TEXT, at("country", ChargingSession), 14),
    ColumnSpec("energy", Kind.ENERGY, at("energy_kwh", ChargingSession), 16, "R"),
    ColumnSpec("duration", Kind.CUSTOM, at("stopped_at", ChargingSession), 15, "R", render=_duration),
    ColumnSpec("fees", Kind.CUSTOM, at("fees", ChargingSession), 37, render=_fees),
    ColumnSpec("total", Kind.CUSTOM, at("fees", ChargingSession), 20, "R", render=_total),
    ColumnSpec("paid", Kind.CUSTOM, at("fees", ChargingSession), 18, render=_paid),
)

FEE_TOTALS: tuple[ColumnSpec, ...] = (
    ColumnSpec("fee_type", Kind.ENUM, lambda row: row[0], 60, enum="fee_type"),
    ColumnSpec("amount", Kind.MONEY, lambda row: row[1], 40, "R"),
)


def _invoice_date(ctx: Context, row: tuple[ChargingSession, Any]) -> tuple[str, Raw]:
    started = row[0].started_at
    if not isinstance(started, datetime):
        return MISSING, None
    local = ctx.fmt.localise(started, keep_offset=True)
    return ctx.fmt.fmt_date(local.date()), local.date().isoformat()


INVOICES: tuple[ColumnSpec, ...] = (
    ColumnSpec("date", Kind.CUSTOM, lambda row: row[0], 22, render=_invoice_date),
    ColumnSpec("site", Kind.TEXT, lambda row: row[0].site, 46),
    ColumnSpec("file", Kind.TEXT, lambda row: row[1].file_name, 46),
    ColumnSpec("type", Kind.ENUM, lambda row: row[1].invoice_type, 26, enum="invoice_type"),
    ColumnSpec("stored", Kind.BOOL, lambda row: row[1].stored, 26, enum="stored"),
)

# --- identity -------------------------------------------------------------------------------


def _code(ctx: Context, value: Any) -> tuple[str, Raw]:
    # Tesla writes option codes with and without "$" depending on the endpoint; show them one way.
    code = format_text(getattr(value, "code", None))
    return (code.lstrip("$") or MISSING, code) if code != MISSING else (MISSING, None)


OPTIONS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", Kind.CUSTOM, at("code", OptionCode), 18, render=_code),
    ColumnSpec("name", Kind.TEXT, at("name", OptionCode), 82),
)


def _price(ctx: Context, row: tuple[Any, str | None]) -> tuple[str, Raw]:
    item, currency = row
    if finite(item.price) is None:
        return MISSING, None
    if currency:
        return format_value(ctx, Kind.MONEY, Money(currency=currency, amount=item.price))[:2]
    return ctx.fmt.number(item.price, 2), item.price


EQUIPMENT: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", Kind.CUSTOM, lambda row: row[0].code, 18, render=lambda ctx, row: _code(ctx, row[0])),
    ColumnSpec("name", Kind.TEXT, lambda row: row[0].name, 60),
    ColumnSpec("price", Kind.CUSTOM, lambda row: row, 22, "R", render=_price),
)

# --- alerts ---------------------------------------------------------------------------------

ALERTS: tuple[ColumnSpec, ...] = (
    ColumnSpec("time", Kind.DATETIME_STACKED, at("time", Alert), 24),
    ColumnSpec("code", Kind.TEXT, at("code", Alert), 38),
    ColumnSpec("text", Kind.TEXT, at("text", Alert), 56),
    ColumnSpec("audience", Kind.ENUM_LIST, at("audience", Alert), 22, enum="audience"),
)

# --- warranties -----------------------------------------------------------------------------


def _warranty_name(ctx: Context, warranty: Warranty) -> tuple[str, Raw]:
    name = format_text(warranty.name)
    if name != MISSING:
        return name, name
    kind = format_text(warranty.type)
    return (ctx.cat.enum("warranty_type", kind), kind) if kind != MISSING else (MISSING, None)


def _warranty_distance(ctx: Context, value: float | None, warranty: Warranty) -> tuple[str, float | None]:
    if warranty.distance_unit is None:
        return MISSING, None
    return ctx.fmt.distance(value, warranty.distance_unit)


def _expiry_distance(ctx: Context, warranty: Warranty) -> tuple[str, Raw]:
    return _warranty_distance(ctx, warranty.expires_at_distance, warranty)


def _remaining(ctx: Context, warranty: Warranty) -> tuple[str, Raw]:
    days = finite(warranty.remaining_days)
    if warranty.kind is WarrantyKind.EXPIRED or (days is not None and days < 0):
        # The end date is in its own column; repeat a date only when it ended early.
        early = warranty.expired_on and warranty.expires_on and warranty.expired_on != warranty.expires_on
        text = ctx.cat.text("warranty.expired_on", date=ctx.fmt.fmt_date(warranty.expired_on)) if early else None
        return text or ctx.cat.text("warranty.expired"), {"expired": True}
    distance_text, distance = _warranty_distance(ctx, warranty.remaining_distance, warranty)
    parts = [p for p in (ctx.fmt.days(days), distance_text) if p != MISSING]
    if not parts:
        return MISSING, None
    raw = {"days": int(days) if days is not None else None, "distance": distance, "unit": ctx.units.distance.value}
    return "\n".join(parts), raw


WARRANTIES: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", Kind.CUSTOM, at("name", Warranty), 44, render=_warranty_name),
    ColumnSpec("status", Kind.ENUM, at("kind", Warranty), 16, enum="warranty_kind"),
    ColumnSpec("expires", Kind.DATE, lambda w: w.expires_on or w.expired_on, 18),
    ColumnSpec("distance", Kind.CUSTOM, at("expires_at_distance", Warranty), 18, "R", render=_expiry_distance),
    ColumnSpec("coverage", Kind.YEARS, at("coverage_years", Warranty), 14, "R"),
    ColumnSpec("remaining", Kind.CUSTOM, at("remaining_days", Warranty), 24, "R", render=_remaining),
)

# --- software -------------------------------------------------------------------------------


def _note_title(ctx: Context, note: Any) -> tuple[str, Raw]:
    title, subtitle = format_text(note.title), format_text(note.subtitle)
    if subtitle != MISSING and title != MISSING:
        return f"{title}\n{subtitle}", title
    return (title, title) if title != MISSING else (MISSING, None)


RELEASE_NOTES: tuple[ColumnSpec, ...] = (
    ColumnSpec("version", Kind.TEXT, at("version", ReleaseNote), 18),
    ColumnSpec("title", Kind.CUSTOM, at("title", ReleaseNote), 30, render=_note_title),
    ColumnSpec("description", Kind.TEXT, at("description", ReleaseNote), 52),
)

# --- tyres ----------------------------------------------------------------------------------


def _deviation(ctx: Context, tyre: Tyre) -> tuple[str, Raw]:
    pressure, recommended = finite(tyre.pressure_bar), finite(tyre.recommended_bar)
    if pressure is None or recommended is None:
        return MISSING, None
    text, value = ctx.fmt.pressure(abs(pressure - recommended))
    if not value:
        return text, 0.0
    sign = "+" if pressure > recommended else "−"
    return f"{sign}{text}", value if sign == "+" else -value


def tyre_warning(tyre: Tyre) -> str | None:
    """ "hard", "soft", "none", or None when the vehicle did not say."""
    if tyre.hard_warning:
        return "hard"
    if tyre.soft_warning:
        return "soft"
    if tyre.hard_warning is None and tyre.soft_warning is None:
        return None
    return "none"


def _warning(ctx: Context, tyre: Tyre) -> tuple[str, Raw]:
    warning = tyre_warning(tyre)
    return (ctx.cat.enum("tyre_warning", warning), warning) if warning else (MISSING, None)


TYRES: tuple[ColumnSpec, ...] = (
    ColumnSpec("position", Kind.ENUM, at("position", Tyre), 20, enum="tyre_position"),
    ColumnSpec("pressure", Kind.PRESSURE, at("pressure_bar", Tyre), 16, "R"),
    ColumnSpec("recommended", Kind.PRESSURE, at("recommended_bar", Tyre), 22, "R"),
    ColumnSpec("deviation", Kind.CUSTOM, at("pressure_bar", Tyre), 18, "R", render=_deviation),
    ColumnSpec("warning", Kind.CUSTOM, at("soft_warning", Tyre), 22, render=_warning),
    ColumnSpec("last_seen", Kind.DATETIME_STACKED, at("last_seen", Tyre), 22),
)

# --- appendix -------------------------------------------------------------------------------


def _endpoint(ctx: Context, source: Any) -> tuple[str, Raw]:
    name = format_text(source.endpoint)
    if name == MISSING:
        return MISSING, None
    label = ctx.endpoint_label(name)
    count = getattr(source, "count", 1)
    return (f"{label} ×{count}" if count > 1 else label), name


def _status(ctx: Context, source: Any) -> tuple[str, Raw]:
    return ctx.status_text(source.status), source.status


def _region(ctx: Context, source: Any) -> tuple[str, Raw]:
    region = format_text(source.region)
    return (region.upper(), region.lower()) if region != MISSING else (MISSING, None)


SOURCES: tuple[ColumnSpec, ...] = (
    ColumnSpec("endpoint", Kind.CUSTOM, at("endpoint", DataSource), 34, render=_endpoint),
    ColumnSpec("status", Kind.CUSTOM, at("status", DataSource), 30, render=_status),
    ColumnSpec("time", Kind.DATETIME, at("fetched_at", DataSource), 30),
    ColumnSpec("region", Kind.CUSTOM, at("region", DataSource), 10, render=_region),
)
