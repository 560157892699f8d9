"""Alerts: the vehicle's recent alerts."""

from __future__ import annotations

from carpulse.domain.snapshot import Section
from carpulse.report import columns
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.sections.common import absent, make_section, remark
from carpulse.report.views import SectionView, State

_S = Section.ALERTS


def build(ctx: Context) -> SectionView:
    """The alerts table, "no alerts", or why alerts are missing."""
    alerts = ctx.snapshot.alerts
    if alerts is None:
        return absent(ctx, _S)
    if not alerts:
        return make_section(ctx, _S, State.EMPTY, [remark(ctx, "text.alerts.none")])
    return make_section(ctx, _S, State.OK, [build_table(ctx, "alerts", columns.ALERTS, alerts, font_size=8)])
