"""The report as language-resolved, formatted content: what both the PDF and the JSON view draw.

Building this once per snapshot (see build.py) is what keeps the PDF and the JSON view in step:
they are two renderings of the same ReportView, never two readings of the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A value that json.dumps accepts: the machine-readable twin of a formatted text.
Raw = Any


class State(StrEnum):
    """How a section came out, as the reader is told."""

    OK = "ok"
    EMPTY = "empty"  # fetched, nothing to show
    PARTIAL = "partial"  # some parts missing or failed
    MISSING = "missing"  # not fetched, for a known or unknown reason
    FAILED = "failed"  # fetching failed


class Tone(StrEnum):
    """How a text block reads: a quiet remark, or a notice that something is missing or wrong."""

    MUTED = "muted"
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FieldView:
    """One labelled value: text for people, raw for machines (None when missing)."""

    key: str
    label: str
    value: str
    raw: Raw = None
    unit: str | None = None

    @property
    def missing(self) -> bool:
        """True when nothing was reported for this field."""
        return self.raw is None


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """Label/value pairs under an optional sub-heading."""

    key: str
    title: str | None
    fields: tuple[FieldView, ...]


@dataclass(frozen=True, slots=True)
class ColumnView:
    key: str
    label: str
    width: float  # relative weight; the renderer scales the weights to the page width
    align: str = "L"  # L or R


@dataclass(frozen=True, slots=True)
class CellView:
    value: str
    raw: Raw = None


@dataclass(frozen=True, slots=True)
class TableView:
    """Rows under headings; empty_text says what an empty table means."""

    key: str
    title: str | None
    columns: tuple[ColumnView, ...]
    rows: tuple[tuple[CellView, ...], ...]
    empty_text: str | None = None
    font_size: float = 8.5


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # e.g. "Jan"
    sublabel: str  # e.g. "2026" under the first month of each year, else ""
    value: float
    value_text: str
    key: str  # machine key, e.g. "2026-01"


@dataclass(frozen=True, slots=True)
class ChartView:
    """A vertical bar chart (energy per month)."""

    key: str
    title: str
    unit: str
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...] = ()  # axis values and their labels
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class TextView:
    key: str
    text: str
    tone: Tone = Tone.MUTED


Block = FieldGroup | TableView | ChartView | TextView


@dataclass(frozen=True, slots=True)
class Tile:
    """A headline figure on the summary page."""

    key: str
    label: str
    value: str
    caption: str
    raw: Raw = None


@dataclass(slots=True)
class SectionView:
    """One report section: title, how it came out, where the data came from, and its blocks."""

    key: str
    title: str
    state: State
    state_label: str
    source: str
    notices: list[TextView] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    new_page: bool = False


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One line of the summary's "what is missing and why" list."""

    section: str
    title: str
    state: State
    state_label: str
    reason: str


@dataclass(slots=True)
class ReportView:
    """The whole report, ready to draw or to serialise."""

    language: str
    report_id: str
    vin: str
    title: str  # the vehicle's name, model or a neutral label
    model_line: str  # "Model 3 · 74D", or "" when unknown
    product: str
    page_template: str  # "Page {page} of {pages}" in the report's language
    footer: str
    meta: tuple[FieldView, ...]  # report id, generation time, data as of, ...
    glance: FieldGroup | None  # the vehicle at a glance, on the summary page
    tiles: tuple[Tile, ...]
    missing: tuple[MissingItem, ...]
    sections: list[SectionView]
    labels: dict[str, str] = field(default_factory=dict)  # headings used by the summary page
