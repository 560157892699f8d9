"""Identity: the VIN decoded, configuration, option codes and (partner-token) specifications."""

from __future__ import annotations

from carpulse.domain.snapshot import Section
from carpulse.report import columns
from carpulse.report.context import Context
from carpulse.report.field_spec import build_table
from carpulse.report.formatting import MISSING, format_text
from carpulse.report.sections.common import group, make_section, remark
from carpulse.report.views import Block, SectionView, State

_S = Section.IDENTITY


def _options(ctx: Context) -> list[Block]:
    options = ctx.snapshot.identity.options
    if options is None:
        return [remark(ctx, "text.identity.options_missing")]
    active = [o for o in options if o.active and format_text(o.code) != MISSING]
    if not active:
        return [remark(ctx, "text.identity.options_none")]
    named = [o for o in active if format_text(o.name) != MISSING]
    unnamed = [format_text(o.code) for o in active if format_text(o.name) == MISSING]
    blocks: list[Block] = []
    title = ctx.cat.text("group.identity.options")
    if named:
        blocks.append(build_table(ctx, "options", columns.OPTIONS, named, title=title))
    if unnamed:
        # Legacy vehicles list dozens of bare codes; a table of them would be all dashes.
        key = "text.identity.options_unnamed" if named else "text.identity.options_codes_only"
        blocks.append(remark(ctx, key, codes=", ".join(unnamed)))
    return blocks


def _specs(ctx: Context) -> list[Block]:
    specs = ctx.snapshot.identity.specs
    if specs is None:
        return [remark(ctx, "text.identity.specs_missing")]
    blocks: list[Block | None] = [group(ctx, _S, "specs")]
    if specs.equipment:
        currency = specs.original_price.currency if specs.original_price else None
        rows = [(item, currency) for item in specs.equipment]
        title = ctx.cat.text("group.identity.equipment")
        blocks.append(build_table(ctx, "equipment", columns.EQUIPMENT, rows, title=title))
    if blocks == [None]:
        return [remark(ctx, "text.identity.specs_empty")]
    return [b for b in blocks if b is not None]


def build(ctx: Context) -> SectionView:
    """The identity section; always present, since a report is always about one VIN."""
    config = group(ctx, _S, "config")
    if config is not None and all(f.missing for f in config.fields):
        # Without live data every configuration line would be a dash; one sentence says it better.
        config = None
        blocks: list[Block | None] = [
            group(ctx, _S, "vehicle", titled=False),
            remark(ctx, "text.identity.config_missing"),
        ]
    else:
        blocks = [group(ctx, _S, "vehicle", titled=False), config]
    blocks += _options(ctx)
    blocks += _specs(ctx)
    # Page 1 is the summary; the sections start on a page of their own.
    return make_section(ctx, _S, State.OK, blocks, new_page=True)
