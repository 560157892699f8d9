"""Tyres: pressures against the recommended values, warnings, last reading."""

from __future__ import annotations

from carpulse.domain.snapshot import Section, TyrePosition
from carpulse.report import columns
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.sections.common import absent, make_section, remark
from carpulse.report.views import Block, SectionView, State, TextView, Tone

_S = Section.TYRES
_ORDER = {p: i for i, p in enumerate(TyrePosition)}


def build(ctx: Context) -> SectionView:
    """The tyre table with a notice per warning, or why tyres are missing."""
    tyres = ctx.snapshot.tyres
    if tyres is None:
        return absent(ctx, _S)
    if not tyres:
        return make_section(ctx, _S, State.EMPTY, [remark(ctx, "text.tyres.none")])
    rows = sorted(tyres, key=lambda t: _ORDER.get(t.position, 9))
    notices = ctx.notices(_S)
    for tyre in rows:
        warning = columns.tyre_warning(tyre)
        if warning in ("soft", "hard"):
            where = ctx.cat.enum("tyre_position", tyre.position)
            notices.append(
                TextView(f"tyres.{warning}", ctx.cat.text(f"text.tyres.{warning}", position=where), Tone.WARNING)
            )
    blocks: list[Block | None] = [build_table(ctx, "tyres", columns.TYRES, rows), remark(ctx, "text.tyres.basis")]
    return make_section(ctx, _S, State.OK, blocks, notices)
