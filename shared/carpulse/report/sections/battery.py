"""Battery and charging state: levels, ranges in the owner's unit, pack figures when reported."""

from __future__ import annotations

from carpulse.domain.snapshot import Section
from carpulse.report.context import Context
from carpulse.report.sections.common import absent, group, make_section
from carpulse.report.views import SectionView, State

_S = Section.BATTERY


def build(ctx: Context) -> SectionView:
    """The battery section, or why it is missing."""
    if ctx.snapshot.battery is None:
        return absent(ctx, _S)
    blocks = [group(ctx, _S, "level", titled=False), group(ctx, _S, "range"), group(ctx, _S, "pack")]
    return make_section(ctx, _S, State.OK, blocks)
