"""The report as JSON for a browser view: the same ReportView the PDF is drawn from.

Every value comes as {key, label, value, raw}: `value` is the text the PDF prints (localised,
converted to the owner's units), `raw` the machine value (numbers in the displayed unit, ISO dates,
{"amount", "currency"} for money) or null when nothing was reported.
"""

from __future__ import annotations

from typing import Any

from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.report.build import build_report
from carpulse.report.context import Context
from carpulse.report.sections.sources import bill_calls_text
from carpulse.report.units import display_units
from carpulse.report.views import Block, ChartView, FieldGroup, FieldView, SectionView, TableView, TextView

SCHEMA = "carpulse.report.v1"


def _field(field: FieldView, group: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"key": field.key, "label": field.label, "value": field.value, "raw": field.raw}
    if field.unit:
        data["unit"] = field.unit
    if group:
        data["group"] = group
    return data


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, FieldGroup):
        return {"type": "fields", "key": block.key, "title": block.title, "fields": [_field(f) for f in block.fields]}
    if isinstance(block, TableView):
        return {
            "type": "table",
            "key": block.key,
            "title": block.title,
            "columns": [{"key": c.key, "label": c.label, "align": c.align} for c in block.columns],
            "rows": [
                {c.key: {"value": cell.value, "raw": cell.raw} for c, cell in zip(block.columns, row, strict=False)}
                for row in block.rows
            ],
            "empty_text": block.empty_text,
        }
    if isinstance(block, ChartView):
        return {
            "type": "chart",
            "key": block.key,
            "title": block.title,
            "unit": block.unit,
            "bars": [
                {"key": b.key, "label": b.label, "value": b.value, "value_text": b.value_text} for b in block.bars
            ],
            "caption": block.caption,
        }
    return _text(block)


def _text(view: TextView) -> dict[str, Any]:
    return {"type": "text", "key": view.key, "text": view.text, "tone": view.tone.value}


def _section(view: SectionView) -> dict[str, Any]:
    return {
        "key": view.key,
        "title": view.title,
        "state": view.state.value,
        "state_label": view.state_label,
        "source": view.source or None,
        "notices": [_text(n) for n in view.notices],
        "fields": [_field(f, b.key) for b in view.blocks if isinstance(b, FieldGroup) for f in b.fields],
        "blocks": [_block(b) for b in view.blocks],
    }


def render_vehicle_json(snapshot: VehicleSnapshot) -> dict[str, Any]:
    """The report's content as a JSON-serialisable dict, in the snapshot's language."""
    view = build_report(snapshot)
    ctx = Context.create(snapshot)
    units = display_units(snapshot)
    return {
        "schema": SCHEMA,
        "report_id": view.report_id,
        "vin": view.vin,
        "language": view.language,
        "title": view.title,
        "model_line": view.model_line or None,
        "product": view.product,
        "units": {
            "distance": units.distance.value,
            "temperature": units.temperature.value,
            "pressure": units.pressure.value,
            "time_24h": units.time_24h,
        },
        "summary": {
            "meta": [_field(f) for f in view.meta],
            "tiles": [
                {"key": t.key, "label": t.label, "value": t.value, "caption": t.caption or None, "raw": t.raw}
                for t in view.tiles
            ],
            "glance": [_field(f) for f in view.glance.fields] if view.glance else [],
            "missing": [
                {
                    "section": m.section,
                    "title": m.title,
                    "state": m.state.value,
                    "state_label": m.state_label,
                    "reason": m.reason,
                }
                for m in view.missing
            ],
        },
        "sections": [_section(s) for s in view.sections],
        "notes": [
            {
                "section": n.section,
                "state": n.state.value,
                "reason": n.reason,
                "detail": dict(n.detail),
                "text": ctx.note_text(n),
            }
            for n in snapshot.notes
        ],
        "tesla_bill": (
            {
                "calls": dict(snapshot.tesla_bill.calls),
                "cost_usd": snapshot.tesla_bill.cost_usd,
                "currency": "USD",
                "prices_as_of": snapshot.tesla_bill.prices_as_of,
                "text": ctx.cat.text(
                    "text.sources.tesla_cost",
                    calls=bill_calls_text(ctx, snapshot.tesla_bill),
                    cost=ctx.fmt.money(snapshot.tesla_bill.cost_usd, "USD"),
                    as_of=snapshot.tesla_bill.prices_as_of,
                ),
            }
            if snapshot.tesla_bill
            else None
        ),
        "sources": [
            {
                "endpoint": s.endpoint,
                "label": ctx.endpoint_label(s.endpoint),
                "status": s.status,
                "status_text": ctx.status_text(s.status),
                "fetched_at": ctx.fmt.fmt_datetime(s.fetched_at)[1],
                "region": s.region,
            }
            for s in snapshot.sources
        ],
    }
