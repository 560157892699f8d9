"""Data sources appendix: every endpoint called, every part left out and why, and the conventions."""

from __future__ import annotations

from carpulse.domain.snapshot import Section, SectionNote, SectionState
from carpulse.report import columns
from carpulse.report.context import Context, note_section
from carpulse.report.i18n import humanize
from carpulse.report.model import Block, Raw, SectionView, State
from carpulse.report.schema import ColumnSpec, Kind, at, build_table
from carpulse.report.sections.common import make_section, remark

_S = Section.SOURCES


def section_title(ctx: Context, key: str) -> str:
    """A section's title, or the note's own words for a part that is not a section."""
    catalog_key = f"section.{key}"
    return ctx.cat.text(catalog_key) if ctx.cat.has(catalog_key) else humanize(key) or "—"


def _note_section(ctx: Context, note: SectionNote) -> tuple[str, Raw]:
    key = note_section(note)
    return section_title(ctx, key), key


def _note_state(ctx: Context, note: SectionNote) -> tuple[str, Raw]:
    state = State.FAILED if note.state is SectionState.FAILED else State.MISSING
    return ctx.cat.text(f"state.{state.value}"), state.value


def _note_reason(ctx: Context, note: SectionNote) -> tuple[str, Raw]:
    return ctx.note_text(note), note.reason


NOTES: tuple[ColumnSpec, ...] = (
    ColumnSpec("section", Kind.CUSTOM, at("section"), 30, render=_note_section),
    ColumnSpec("state", Kind.CUSTOM, at("state"), 18, render=_note_state),
    ColumnSpec("reason", Kind.CUSTOM, at("reason"), 72, render=_note_reason),
)


def _conventions(ctx: Context) -> list[Block]:
    units, fmt = ctx.units, ctx.fmt
    offset = fmt.offset_label(fmt.localise(ctx.snapshot.generated_at))
    return [
        remark(
            ctx,
            "text.sources.units",
            distance=ctx.cat.enum("unit", units.distance),
            temperature=ctx.cat.enum("unit", units.temperature),
            pressure=ctx.cat.enum("unit", units.pressure),
        ),
        remark(ctx, "text.sources.times", offset=offset if fmt.vehicle_tz else "UTC"),
        remark(ctx, "text.sources.missing_value"),
    ]


def build(ctx: Context) -> SectionView:
    """The appendix; it always renders, since it explains everything else."""
    snapshot = ctx.snapshot
    blocks: list[Block] = []
    calls_title = ctx.cat.text("group.sources.calls")
    if snapshot.sources:
        rows = sorted(snapshot.sources, key=lambda s: s.fetched_at.timestamp() if s.fetched_at.tzinfo else 0)
        blocks.append(build_table(ctx, "sources", columns.SOURCES, rows, title=calls_title))
    else:
        blocks.append(remark(ctx, "text.sources.no_calls"))
    notes = [n for n in snapshot.notes if n.state is not SectionState.OK]
    left_out_title = ctx.cat.text("group.sources.left_out")
    if notes:
        blocks.append(build_table(ctx, "notes", NOTES, notes, title=left_out_title))
    else:
        blocks.append(remark(ctx, "text.sources.nothing_left_out"))
    blocks += _conventions(ctx)
    return make_section(ctx, _S, State.OK, blocks, notices=[], new_page=True)
