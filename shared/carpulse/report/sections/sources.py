"""Data sources appendix: every endpoint called, every part left out and why, and the conventions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from carpulse.domain.snapshot import DataSource, Section, TeslaBill
from carpulse.report import columns
from carpulse.report.context import Context, endpoint_key
from carpulse.report.field_spec import ColumnSpec, Kind, at, build_table
from carpulse.report.formatting import as_utc
from carpulse.report.i18n import humanize
from carpulse.report.sections.common import make_section, remark
from carpulse.report.views import Block, MissingItem, Raw, SectionView, State, Tone

_S = Section.SOURCES


def section_title(ctx: Context, key: str) -> str:
    """A section's title, or the note's own words for a part that is not a section."""
    catalog_key = f"section.{key}"
    return ctx.cat.text(catalog_key) if ctx.cat.has(catalog_key) else humanize(key) or "—"


def _left_out_section(ctx: Context, item: MissingItem) -> tuple[str, Raw]:
    return item.title, item.section


def _left_out_state(ctx: Context, item: MissingItem) -> tuple[str, Raw]:
    return item.state_label, item.state.value


LEFT_OUT: tuple[ColumnSpec, ...] = (
    ColumnSpec("section", Kind.CUSTOM, at("section", MissingItem), 30, render=_left_out_section),
    ColumnSpec("state", Kind.CUSTOM, at("state", MissingItem), 18, render=_left_out_state),
    ColumnSpec("reason", Kind.TEXT, at("reason", MissingItem), 72),
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
        remark(ctx, "text.sources.times", offset=offset) if fmt.vehicle_tz else remark(ctx, "text.sources.times_utc"),
        remark(ctx, "text.sources.missing_value"),
    ]


def _unreadable_item(ctx: Context, kind: str, count: int) -> str:
    # A kind the catalog knows is counted in words ("1 charging fee"); an unknown one as "Kind: 1".
    key = f"unreadable.{kind}"
    return ctx.cat.text(key, count=count) if ctx.cat.has(key) else f"{humanize(kind)}: {ctx.fmt.number(count)}"


def _unreadable(ctx: Context, counts: dict[str, int]) -> Block:
    """What was left out of Tesla's lists because it could not be read ("2 charging fees")."""
    labels = [
        _unreadable_item(ctx, kind, count)
        for kind, count in sorted(counts.items())
        if isinstance(count, int) and count > 0
    ]
    return remark(ctx, "text.sources.unreadable", Tone.INFO, items="; ".join(labels))


BILLED_CATEGORIES = ("data", "wake", "command", "specs")


def bill_calls_text(ctx: Context, bill: TeslaBill) -> str:
    """ "12 data requests, 1 wake" in the report's language (only what was billed)."""
    parts = [
        ctx.cat.text(f"billing.{category}", count=bill.calls[category])
        for category in BILLED_CATEGORIES
        if bill.calls.get(category)
    ]
    return ", ".join(parts) or ctx.cat.text("billing.none")


def _tesla_bill(ctx: Context, bill: TeslaBill) -> list[Block]:
    """What Tesla bills for this vehicle's data, with the date of the prices, and how the report's
    own requests are billed."""
    return [
        remark(
            ctx,
            "text.sources.tesla_cost",
            Tone.INFO,
            calls=bill_calls_text(ctx, bill),
            cost=ctx.fmt.money(bill.cost_usd, "USD"),
            as_of=bill.prices_as_of,
        ),
        remark(ctx, "billing.account_share", Tone.INFO),
    ]


@dataclass(frozen=True, slots=True)
class SourceRow:
    """Calls of one endpoint with one outcome (an invoice download per session would be a page of rows)."""

    endpoint: str
    status: int | None
    fetched_at: datetime
    region: str | None
    count: int


def grouped_sources(sources: Sequence[DataSource]) -> list[SourceRow]:
    """Calls grouped by endpoint, status and region, in the order first seen, with the latest time."""
    groups: dict[tuple[str, int | None, str | None], list[DataSource]] = {}
    for source in sources:
        groups.setdefault((endpoint_key(source.endpoint), source.status, source.region), []).append(source)
    return [
        SourceRow(calls[0].endpoint, status, max((c.fetched_at for c in calls), key=as_utc), region, len(calls))
        for (_, status, region), calls in groups.items()
    ]


def build(ctx: Context, left_out: Sequence[MissingItem]) -> SectionView:
    """The appendix; it always renders, since it explains everything else."""
    snapshot = ctx.snapshot
    blocks: list[Block] = []
    calls_title = ctx.cat.text("group.sources.calls")
    if snapshot.sources:
        blocks.append(
            build_table(ctx, "sources", columns.SOURCES, grouped_sources(snapshot.sources), title=calls_title)
        )
    else:
        blocks.append(remark(ctx, "text.sources.no_calls"))
    left_out_title = ctx.cat.text("group.sources.left_out")
    if left_out:
        blocks.append(build_table(ctx, "notes", LEFT_OUT, left_out, title=left_out_title))
    else:
        blocks.append(remark(ctx, "text.sources.nothing_left_out"))
    if snapshot.unreadable:
        blocks.append(_unreadable(ctx, snapshot.unreadable))
    if snapshot.tesla_bill is not None:
        blocks += _tesla_bill(ctx, snapshot.tesla_bill)
    blocks += _conventions(ctx)
    return make_section(ctx, _S, State.OK, blocks, notices=[], new_page=True)
