"""Security and settings: locks, modes, climate summary and the display units this report uses."""

from __future__ import annotations

from carpulse.domain.snapshot import Section
from carpulse.report.context import Context
from carpulse.report.sections.common import absent, group, make_section, remark
from carpulse.report.views import SectionView, State

_S = Section.SECURITY


def build(ctx: Context) -> SectionView:
    """The security section; display settings are always known (the vehicle's or the region's)."""
    snapshot = ctx.snapshot
    if snapshot.security is None and snapshot.climate is None:
        section = absent(ctx, _S)
        display = group(ctx, _S, "display")
        if display is not None:
            section.blocks.append(display)
        return section
    blocks = [
        group(ctx, _S, "security", titled=False) if snapshot.security else remark(ctx, "text.security.missing"),
        group(ctx, _S, "climate") if snapshot.climate else remark(ctx, "text.security.climate_missing"),
        group(ctx, _S, "display"),
    ]
    if snapshot.security is not None and snapshot.climate is not None:
        return make_section(ctx, _S, State.OK, blocks)
    return make_section(ctx, _S, State.PARTIAL, blocks, ctx.absent_notices(_S, "note.partial"))
