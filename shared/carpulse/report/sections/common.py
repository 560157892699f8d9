"""Helpers shared by the section builders."""

from __future__ import annotations

from collections.abc import Sequence

from carpulse.domain.snapshot import Section
from carpulse.report.context import Context
from carpulse.report.field_spec import build_group
from carpulse.report.fields import fields_of
from carpulse.report.views import Block, FieldGroup, SectionView, State, TextView, Tone


def make_section(
    ctx: Context,
    key: Section,
    state: State,
    blocks: Sequence[Block | None] = (),
    notices: Sequence[TextView] | None = None,
    new_page: bool = False,
) -> SectionView:
    """A section view with its title, state, source line and notices (its notes unless given)."""
    shown = _unique(ctx.notices(key) if notices is None else notices)
    # A note on a section that has data means a part of it is missing (e.g. specs without a partner token).
    if state is State.OK and ctx.notes_for(key):
        state = State.PARTIAL
    return SectionView(
        key=key.value,
        title=ctx.cat.text(f"section.{key.value}"),
        state=state,
        state_label=ctx.cat.text(f"state.{state.value}"),
        source=ctx.source_line(key) if key is not Section.SOURCES else "",
        notices=shown,
        blocks=[b for b in blocks if b is not None],
        new_page=new_page,
    )


def _unique(notices: Sequence[TextView]) -> list[TextView]:
    # Two modules failing the same way (service data and warranty: 500) need saying once.
    first: dict[str, TextView] = {}
    for notice in notices:
        first.setdefault(notice.text, notice)
    return list(first.values())


def absent(ctx: Context, key: Section, what: str | None = None) -> SectionView:
    """A section without data: says why (its notes) or that no reason was recorded."""
    return make_section(ctx, key, ctx.absent_state(key), (), ctx.absent_notices(key, what))


def group(ctx: Context, section: Section, name: str, titled: bool = True) -> FieldGroup | None:
    """The schema's field group, titled "group.<section>.<name>" unless untitled."""
    title = ctx.cat.text(f"group.{section.value}.{name}") if titled else None
    return build_group(ctx, fields_of(section, name), f"{section.value}:{name}", title)


def remark(ctx: Context, key: str, tone: Tone = Tone.MUTED, **values: object) -> TextView:
    """A sentence from the catalog as a text block."""
    return TextView(key, ctx.cat.text(key, **values), tone)
