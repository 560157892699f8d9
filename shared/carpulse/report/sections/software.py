"""Software: installed version, pending update and recent release notes."""

from __future__ import annotations

from carpulse.domain.snapshot import Section
from carpulse.report import columns
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.sections.common import absent, group, make_section, remark
from carpulse.report.views import Block, SectionView, State

_S = Section.SOFTWARE


def _release_notes(ctx: Context) -> Block:
    software = ctx.snapshot.software
    notes = software.release_notes if software else None
    if notes is None:
        return remark(ctx, "text.software.notes_missing")
    if not notes:
        return remark(ctx, "text.software.notes_none")
    title = ctx.cat.text("group.software.release_notes")
    return build_table(ctx, "release_notes", columns.RELEASE_NOTES, notes, title=title, font_size=8)


def build(ctx: Context) -> SectionView:
    """The software section, or why it is missing."""
    snapshot = ctx.snapshot
    if snapshot.software is None and not snapshot.software_version:
        return absent(ctx, _S)
    state = State.OK if snapshot.software is not None else State.PARTIAL
    return make_section(ctx, _S, state, [group(ctx, _S, "software", titled=False), _release_notes(ctx)])
