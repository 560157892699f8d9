"""Charging history: totals per currency and fee type, energy per month, sessions and invoices."""

from __future__ import annotations

from carpulse.domain.snapshot import ChargingSession, InvoiceRef, Section
from carpulse.report import columns
from carpulse.report.chart import nice_ticks
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.formatting import finite
from carpulse.report.sections.common import absent, group, make_section, remark
from carpulse.report.views import Bar, Block, ChartView, SectionView, State, Tone

_S = Section.CHARGING
# Two years of months still leave each bar wide enough for its label at 6.5 pt.
MAX_MONTHS = 24


def _continuous(months: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Months in order with the months without charging between them as zero (a time axis has no gaps)."""
    values = dict(months)
    try:
        first, last = (tuple(int(p) for p in key.split("-")) for key in (min(values), max(values)))
    except ValueError:
        return months  # not "YYYY-MM" keys: show them as they came
    out: list[tuple[str, float]] = []
    year, month = first
    while (year, month) <= last and len(out) < 1200:
        key = f"{year:04d}-{month:02d}"
        out.append((key, float(values.get(key, 0.0))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _chart(ctx: Context) -> Block | None:
    summary = ctx.snapshot.charging
    months = [(m, v) for m, v in (summary.energy_by_month if summary else ()) if finite(v) is not None]
    if not months:
        return None
    shown = _continuous(months)[-MAX_MONTHS:]
    bars = []
    previous_year = None
    for key, kwh in shown:
        label, year = ctx.fmt.month(key)
        bars.append(Bar(label, year if year != previous_year else "", max(float(kwh), 0.0), ctx.fmt.number(kwh), key))
        previous_year = year
    caption = None
    if len(shown) < len(months):
        caption = ctx.cat.text("chart.energy.caption_cut", count=len(shown), total=ctx.fmt.number(len(months)))
    ticks = tuple((t, ctx.fmt.number(t, 0 if t.is_integer() else 1)) for t in nice_ticks(max(b.value for b in bars)))
    title = ctx.cat.text("chart.energy.title")
    return ChartView("charging.energy_by_month", title, "kWh", tuple(bars), ticks, caption)


def _fee_totals(ctx: Context) -> Block | None:
    summary = ctx.snapshot.charging
    rows = list(summary.cost_by_fee_type) if summary else []
    if not rows:
        return None
    title = ctx.cat.text("group.charging.fee_totals")
    return build_table(ctx, "fee_totals", columns.FEE_TOTALS, rows, title=title)


def _invoices(ctx: Context, sessions: list[ChargingSession]) -> list[Block]:
    rows: list[tuple[ChargingSession, InvoiceRef]] = [(s, inv) for s in sessions for inv in s.invoices]
    if not rows:
        return []
    title = ctx.cat.text("group.charging.invoices")
    table = build_table(ctx, "invoices", columns.INVOICES, rows, title=title, font_size=8)
    return [table, remark(ctx, "text.charging.invoice_zip", vin=ctx.snapshot.identity.vin)]


def build(ctx: Context) -> SectionView:
    """The charging history, or why it is missing."""
    if ctx.snapshot.charging is None:
        return absent(ctx, _S)
    sessions, foreign = ctx.own_sessions()
    blocks: list[Block | None] = [group(ctx, _S, "totals", titled=False), _fee_totals(ctx), _chart(ctx)]
    notices = ctx.notices(_S)
    if foreign:
        notices.append(remark(ctx, "text.charging.foreign", Tone.WARNING, count=foreign))
    title = ctx.cat.text("group.charging.sessions")
    if sessions:
        blocks.append(build_table(ctx, "sessions", columns.SESSIONS, sessions, title=title, font_size=7))
    else:
        blocks.append(remark(ctx, "text.charging.none"))
    blocks += _invoices(ctx, sessions)
    return make_section(ctx, _S, State.OK if sessions else State.EMPTY, blocks, notices)
