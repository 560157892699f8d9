"""The summary page: report facts, headline figures and what is missing and why."""

from __future__ import annotations

from collections.abc import Sequence

from carpulse.domain.snapshot import Section, WarrantyKind
from carpulse.report.context import Context, note_section
from carpulse.report.field_spec import Kind, format_value
from carpulse.report.formatting import MISSING
from carpulse.report.sections.sources import section_title
from carpulse.report.views import MissingItem, SectionView, State, Tile


def _tile(ctx: Context, key: str, kind: Kind, value: object, caption: str = "", decimals: int = 0) -> Tile:
    text, raw, _ = format_value(ctx, kind, value, decimals=decimals)
    return Tile(key, ctx.cat.text(f"tile.{key}"), text, caption if raw is not None else "", raw)


def _warranty_tile(ctx: Context) -> Tile:
    warranties = ctx.snapshot.warranties
    label = ctx.cat.text("tile.warranty")
    if warranties is None:
        return Tile("warranty", label, MISSING, ctx.cat.text("tile.not_fetched"), None)
    active = [w for w in warranties if w.kind is WarrantyKind.ACTIVE]
    if active:
        # The warranty that ends first is the one a buyer asks about; later ones are in the section.
        ends = sorted(w.expires_on for w in active if w.expires_on)
        caption = ctx.cat.text("tile.warranty_until", date=ctx.fmt.fmt_date(ends[0])) if ends else ""
        return Tile("warranty", label, ctx.cat.text("enum.warranty_kind.active"), caption, "active")
    if any(w.kind is WarrantyKind.UPCOMING for w in warranties):
        return Tile("warranty", label, ctx.cat.text("enum.warranty_kind.upcoming"), "", "upcoming")
    if warranties:
        return Tile("warranty", label, ctx.cat.text("enum.warranty_kind.expired"), "", "expired")
    return Tile("warranty", label, ctx.cat.text("tile.warranty_none"), "", "none")


def tiles(ctx: Context) -> tuple[Tile, ...]:
    """Battery, range, odometer, warranty and (when known) state of health."""
    snapshot = ctx.snapshot
    battery = snapshot.battery
    level_text = format_value(ctx, Kind.PERCENT, battery.level_percent if battery else None)[0]
    state = battery.charging_state if battery else None
    result = [
        _tile(
            ctx,
            "battery",
            Kind.PERCENT,
            battery.level_percent if battery else None,
            ctx.cat.enum("charging_state", state) if state else "",
        ),
        _tile(
            ctx,
            "range",
            Kind.DISTANCE,
            battery.rated_range_mi if battery else None,
            ctx.cat.text("tile.range_caption", level=level_text) if level_text != MISSING else "",
        ),
        _tile(ctx, "odometer", Kind.DISTANCE, snapshot.odometer_mi),
        _warranty_tile(ctx),
    ]
    specs = snapshot.identity.specs
    if specs is not None and specs.state_of_health_percent is not None:
        as_of = ctx.fmt.fmt_date(specs.state_of_health_as_of)
        caption = ctx.cat.text("tile.soh_caption", date=as_of) if as_of != MISSING else ""
        result.append(_tile(ctx, "soh", Kind.PERCENT, specs.state_of_health_percent, caption, decimals=1))
    return tuple(result)


def missing(ctx: Context, sections: Sequence[SectionView]) -> tuple[MissingItem, ...]:
    """One line per section that is missing, failed or partial, with the reasons."""
    items = []
    for view in sections:
        if view.state not in (State.MISSING, State.FAILED, State.PARTIAL):
            continue
        reasons = [n.text for n in view.notices] or [ctx.cat.text("note.partial")]
        items.append(MissingItem(view.key, view.title, view.state, view.state_label, " ".join(reasons)))
    known = {s.value for s in Section}
    for note in ctx.stray_notes():
        key = note_section(note)
        if key in known:
            continue
        state = State.FAILED if note.state.value == "failed" else State.MISSING
        label = ctx.cat.text(f"state.{state.value}")
        items.append(MissingItem(key, section_title(ctx, key), state, label, ctx.note_text(note)))
    return tuple(items)
