"""Snapshot → ReportView: the one place that decides what a report says, for the PDF and the JSON."""

from __future__ import annotations

from carpulse.domain.snapshot import Section, VehicleSnapshot
from carpulse.report.context import Context
from carpulse.report.formatting import MISSING, format_text
from carpulse.report.sections import BUILDERS, build_appendix, summary
from carpulse.report.sections.common import group
from carpulse.report.views import ReportView

_SUMMARY_LABELS = (
    "summary.missing_title",
    "summary.nothing_missing",
    "summary.glance_title",
    "summary.figures_title",
    "section.summary",
)


def vehicle_title(ctx: Context) -> str:
    """The name a reader knows the car by, falling back to the model, then to a neutral label."""
    identity = ctx.snapshot.identity
    for candidate in (identity.display_name, identity.model):
        text = format_text(candidate, max_chars=120)
        if text != MISSING:
            return text
    return ctx.cat.text("report.unnamed_vehicle")


def model_line(ctx: Context) -> str:
    """ "Model 3 · Long Range" from model and trim; "" when neither is known."""
    identity = ctx.snapshot.identity
    parts = [format_text(identity.model, 80)]
    if identity.trim:
        parts.append(ctx.cat.enum("trim", format_text(identity.trim, 80)))
    return " · ".join(p for p in parts if p != MISSING)


def build_report(snapshot: VehicleSnapshot) -> ReportView:
    """Everything the report says, formatted in its language and the owner's units."""
    ctx = Context.create(snapshot)
    sections = [build(ctx) for build in BUILDERS]
    missing = summary.missing(ctx, sections)
    sections.append(build_appendix(ctx, missing))
    vin = format_text(snapshot.identity.vin, max_chars=40)
    report_id = format_text(snapshot.report_id, max_chars=80)
    generated, _ = ctx.fmt.fmt_datetime(snapshot.generated_at)
    meta = group(ctx, Section.SUMMARY, "meta", titled=False)
    glance = group(ctx, Section.SUMMARY, "glance")
    return ReportView(
        language=ctx.cat.language,
        report_id=report_id,
        vin=vin,
        title=vehicle_title(ctx),
        model_line=model_line(ctx),
        product=ctx.cat.text("report.product"),
        page_template=ctx.cat.template("report.page"),
        footer=ctx.cat.text("report.footer", report_id=report_id, generated=generated),
        meta=meta.fields if meta else (),
        glance=glance,
        tiles=summary.tiles(ctx),
        missing=missing,
        sections=sections,
        labels={
            **{key: ctx.cat.text(key) for key in _SUMMARY_LABELS},
            "vin_line": ctx.cat.text("report.vin", vin=vin),
            "doc_title": ctx.cat.text("report.doc_title", vin=vin, name=vehicle_title(ctx)),
            "subject": ctx.cat.text("report.subject", report_id=report_id, vin=vin),
        },
    )
