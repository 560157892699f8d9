"""Battery health: Tesla's own figure, our estimate with its method, inputs and distortions, warranty.

Everything shown comes from the snapshot's `battery_health` (set by services/battery_health.py);
an estimate is never shown without the method version that made it.
"""

from __future__ import annotations

from collections.abc import Sequence

from carpulse.domain.snapshot import BatteryHealth, BatteryWarranty, DistanceUnit, Section
from carpulse.report.context import Context, endpoint_key
from carpulse.report.field_spec import Kind, format_value
from carpulse.report.formatting import as_utc
from carpulse.report.sections.common import make_section, remark
from carpulse.report.views import (
    Block,
    CellView,
    ColumnView,
    FieldGroup,
    FieldView,
    SectionView,
    State,
    TableView,
    TextView,
    Tone,
)

_S = Section.BATTERY_HEALTH
_P = "battery_health"
# The endpoints an assessment reads: live battery state, partner specs, warranty.
_ENDPOINTS = ("vehicle_data", "specs", "warranty")
# (field, kind, attribute of BatteryHealth, decimals) for the inputs block, in reading order.
_INPUTS: tuple[tuple[str, Kind, str, int], ...] = (
    ("level", Kind.PERCENT, "level_percent", 0),
    ("usable_level", Kind.PERCENT, "usable_level_percent", 0),
    ("rated_range", Kind.DISTANCE, "rated_range_mi", 0),
    ("module_temp_min", Kind.TEMPERATURE, "module_temp_min_c", 0),
    ("charging_state", Kind.ENUM, "charging_state", 0),
    ("software_version", Kind.TEXT, "software_version", 0),
    ("measured_at", Kind.DATETIME, "measured_at", 0),
)


def _field(ctx: Context, key: str, kind: Kind, value: object, decimals: int = 0, enum: str | None = None) -> FieldView:
    text, raw, unit = format_value(ctx, kind, value, enum=enum, decimals=decimals)
    return FieldView(f"{_P}.{key}", ctx.cat.text(f"field.{_P}.{key}"), text, raw, unit)


def _group(ctx: Context, name: str, fields: Sequence[FieldView], **values: object) -> FieldGroup:
    return FieldGroup(f"{_P}:{name}", ctx.cat.text(f"group.{_P}.{name}", **values), tuple(fields))


def _tesla(ctx: Context, health: BatteryHealth) -> Block:
    if health.tesla_soh_percent is None:
        return remark(ctx, f"text.{_P}.tesla_missing")
    return _group(
        ctx,
        "tesla",
        [
            _field(ctx, "tesla_soh", Kind.PERCENT, health.tesla_soh_percent, decimals=1),
            _field(ctx, "tesla_soh_as_of", Kind.DATE, health.tesla_soh_as_of),
        ],
    )


def _estimate_field(ctx: Context, health: BatteryHealth) -> FieldView:
    value = ctx.fmt.percent(health.estimate_percent, 1)
    if health.estimate_band_points is not None:
        band = ctx.cat.text(f"{_P}.band", points=ctx.fmt.number(health.estimate_band_points, 1))
        value = f"{value} {band}"
    return FieldView(f"{_P}.estimate", ctx.cat.text(f"field.{_P}.estimate"), value, health.estimate_percent, "%")


def _reference_text(ctx: Context, health: BatteryHealth) -> str:
    standard = ctx.cat.text(f"{_P}.standard.{health.reference_standard}")
    return f"{health.reference_label} · {standard}" if health.reference_label else standard


def _estimate(ctx: Context, health: BatteryHealth) -> list[Block]:
    method = _field(ctx, "method", Kind.TEXT, health.method)
    range_100 = _field(ctx, "range_at_100", Kind.DISTANCE, health.range_at_100_mi, decimals=0)
    if health.estimate_percent is None:
        fields = [method, range_100] if health.range_at_100_mi is not None else [method]
        return [_group(ctx, "estimate", fields, method=health.method)]
    fields = [
        _estimate_field(ctx, health),
        method,
        range_100,
        _field(ctx, "reference_range", Kind.DISTANCE, health.reference_range_mi),
        FieldView(
            f"{_P}.reference",
            ctx.cat.text(f"field.{_P}.reference"),
            _reference_text(ctx, health),
            health.reference_label,
        ),
        _field(ctx, "reference_source", Kind.TEXT, health.reference_source),
    ]
    return [_group(ctx, "estimate", fields, method=health.method), remark(ctx, f"text.{_P}.formula")]


def _inputs(ctx: Context, health: BatteryHealth) -> FieldGroup:
    fields = [
        _field(ctx, key, kind, getattr(health, attribute), decimals, enum="charging_state")
        for key, kind, attribute, decimals in _INPUTS
    ]
    return _group(ctx, "inputs", fields)


def _distortions(ctx: Context, health: BatteryHealth) -> Block | None:
    if not health.distortions:
        return None
    columns = (
        ColumnView("distortion", ctx.cat.text(f"col.{_P}.distortion"), 30),
        ColumnView("effect", ctx.cat.text(f"col.{_P}.effect"), 90),
    )
    rows = tuple(
        (CellView(ctx.cat.text(key), key.rsplit(".", 1)[-1]), CellView(ctx.cat.text(f"{key}.text")))
        for key in health.distortions
    )
    return TableView(f"{_P}.distortions", ctx.cat.text(f"group.{_P}.distortions"), columns, rows, font_size=8)


def _warranty(ctx: Context, warranty: BatteryWarranty | None) -> list[Block]:
    if warranty is None:
        return [remark(ctx, f"text.{_P}.warranty_missing")]
    distance_kind = Kind.DISTANCE if warranty.distance_unit is DistanceUnit.MI else Kind.DISTANCE_KM
    floor = (
        _field(ctx, "capacity_floor", Kind.PERCENT, warranty.capacity_floor_percent)
        if warranty.capacity_floor_percent is not None
        else FieldView(
            f"{_P}.capacity_floor",
            ctx.cat.text(f"field.{_P}.capacity_floor"),
            ctx.cat.text(f"{_P}.floor_not_stated"),
            None,
        )
    )
    fields = [
        _field(ctx, "warranty_name", Kind.TEXT, warranty.name),
        _field(ctx, "warranty_kind", Kind.ENUM, warranty.kind.value if warranty.kind else None, enum="warranty_kind"),
        _field(ctx, "warranty_expires", Kind.DATE, warranty.expires_on),
        _field(ctx, "warranty_days", Kind.DAYS, warranty.remaining_days),
        _field(ctx, "warranty_distance", distance_kind, warranty.remaining_distance),
        floor,
    ]
    return [_group(ctx, "warranty", fields), remark(ctx, f"text.{_P}.warranty_basis")]


def _not_enough_data(ctx: Context, health: BatteryHealth) -> TextView:
    reason = ctx.cat.text(health.missing_reason or f"{_P}.reason.no_range")
    return TextView(f"note.{_P}", ctx.cat.text(f"text.{_P}.not_enough_data", reason=reason), Tone.INFO)


def _source_line(ctx: Context) -> str:
    sources = [s for s in ctx.snapshot.sources if endpoint_key(s.endpoint) in _ENDPOINTS]
    if not sources:
        return ctx.cat.text("source.none")
    parts = {ctx.endpoint_label(s.endpoint): ctx.status_text(s.status) for s in sources}
    latest = max(sources, key=lambda s: as_utc(s.fetched_at))
    when, _ = ctx.fmt.fmt_datetime(latest.fetched_at)
    return ctx.cat.text("source.line", endpoints=", ".join(f"{k}: {v}" for k, v in parts.items()), time=when)


def build(ctx: Context) -> SectionView:
    """The battery-health section, or why there is none."""
    health = ctx.snapshot.battery_health
    if health is None:
        notice = TextView(f"note.{_P}", ctx.cat.text(f"text.{_P}.not_assessed"), Tone.INFO)
        view = make_section(ctx, _S, State.MISSING, [], [notice])
    else:
        blocks: list[Block | None] = [
            _tesla(ctx, health),
            *_estimate(ctx, health),
            _inputs(ctx, health),
            _distortions(ctx, health),
            *_warranty(ctx, health.warranty),
        ]
        has_any = health.estimate_percent is not None or health.tesla_soh_percent is not None
        complete = health.estimate_percent is not None
        state = State.OK if complete else (State.PARTIAL if has_any or health.warranty else State.MISSING)
        notices = [] if complete else [_not_enough_data(ctx, health)]
        view = make_section(ctx, _S, state, blocks, notices=notices)
    view.source = _source_line(ctx)
    return view
