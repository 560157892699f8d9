"""Service and warranty: the current service visit and every warranty with what remains of it."""

from __future__ import annotations

from carpulse.domain.snapshot import Section, WarrantyKind
from carpulse.report import columns
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.sections.common import absent, group, make_section, remark
from carpulse.report.views import Block, SectionView, State

_S = Section.SERVICE
_ORDER = {WarrantyKind.ACTIVE: 0, WarrantyKind.UPCOMING: 1, WarrantyKind.EXPIRED: 2}


def _service(ctx: Context) -> Block | None:
    service = ctx.snapshot.service
    if service is None:
        return remark(ctx, "text.service.missing")
    if not service.in_service and not service.status and service.estimated_completion is None:
        return remark(ctx, "text.service.no_visit")
    return group(ctx, _S, "service", titled=False)


def _warranties(ctx: Context) -> list[Block]:
    warranties = ctx.snapshot.warranties
    title = ctx.cat.text("group.service.warranties")
    if warranties is None:
        return [remark(ctx, "text.service.warranty_missing")]
    if not warranties:
        return [remark(ctx, "text.service.warranty_none")]
    rows = sorted(warranties, key=lambda w: _ORDER.get(w.kind, 3))
    table = build_table(ctx, "warranties", columns.WARRANTIES, rows, title=title, font_size=8)
    return [table, remark(ctx, "text.service.warranty_basis")]


def build(ctx: Context) -> SectionView:
    """Service status and warranties, or why they are missing."""
    snapshot = ctx.snapshot
    if snapshot.service is None and snapshot.warranties is None:
        return absent(ctx, _S)
    state = State.OK if snapshot.service is not None and snapshot.warranties is not None else State.PARTIAL
    return make_section(ctx, _S, state, [_service(ctx), *_warranties(ctx)])
