"""The field schema's vocabulary: what a field is (kind), where it lives and how it is formatted.

`FieldSpec` describes one labelled value of the snapshot (fields.py lists them all); `ColumnSpec`
one column of a table of rows (columns.py). Both go through `format_value`, so a distance is
converted and a date localised the same way wherever it appears, in the PDF and in the JSON view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from carpulse.domain.snapshot import DistanceUnit, Money, Section, VehicleSnapshot
from carpulse.report.formatting import MISSING, finite, format_text
from carpulse.report.views import CellView, ColumnView, FieldGroup, FieldView, Raw, TableView

if TYPE_CHECKING:
    from carpulse.report.context import Context


class Kind(StrEnum):
    """How a value is formatted."""

    TEXT = "text"
    ENUM = "enum"  # a Tesla enum value, named through the catalog namespace `enum`
    ENUM_LIST = "enum_list"
    INT = "int"
    YEAR = "year"  # a calendar year: no thousands separator
    PERCENT = "percent"
    DISTANCE = "distance"  # miles, shown in the owner's unit
    DISTANCE_KM = "distance_km"  # kilometres, shown in the owner's unit
    TEMPERATURE = "temperature"  # °C, shown in the owner's unit
    PRESSURE = "pressure"  # bar, shown in the owner's unit
    SPEED = "speed"  # mph, shown as km/h or mph
    ENERGY = "energy"  # kWh
    POWER = "power"  # kW
    MINUTES = "minutes"
    DAYS = "days"
    YEARS = "years"
    MONEY = "money"  # one Money
    MONEY_LIST = "money_list"  # several Money, one per currency, never summed
    DATE = "date"
    DATETIME = "datetime"  # shown in the vehicle's offset
    DATETIME_OWN = "datetime_own"  # shown in the value's own offset (charging sessions)
    DATETIME_STACKED = "datetime_stacked"  # as DATETIME, date above time (narrow table columns)
    BOOL = "bool"  # yes/no, or the words of `enum` ("Locked"/"Unlocked")
    COUNTRY = "country"  # ISO code → the country's name in the report's language
    CUSTOM = "custom"  # the spec's own `render`


Getter = Callable[[Any], object]
Renderer = Callable[["Context", Any], tuple[str, Raw]]


class FieldPath:
    """A getter for a dotted attribute path of a model that yields None as soon as a step is None.

    The path is checked against the model's fields when it is made (at import), so a typo fails
    loudly instead of showing "—" in every report.
    """

    __slots__ = ("parts", "path", "root")

    def __init__(self, path: str, root: type) -> None:
        if not path_resolves(root, path):
            raise ValueError(f"{root.__name__} has no field path {path!r}")
        self.path, self.root, self.parts = path, root, tuple(path.split("."))

    def __call__(self, obj: object) -> object:
        for part in self.parts:
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj

    def __repr__(self) -> str:
        return f"at({self.path!r}, {self.root.__name__})"


def at(path: str, root: type = VehicleSnapshot) -> FieldPath:
    """A checked getter for a dotted path of `root` (a field of the vehicle snapshot by default)."""
    return FieldPath(path, root)


def path_resolves(root: type, path: str) -> bool:
    """Whether every step of a dotted path names a field (or property) of the record it reaches."""
    current: object = root
    for part in path.split("."):
        record = _record_in(current)
        if record is None:
            return False
        fields = _field_types(record)
        if part in fields:
            current = fields[part]
        elif isinstance(prop := getattr(record, part, None), property) and prop.fget is not None:
            current = get_type_hints(prop.fget).get("return")
        else:
            return False
    return True


def _field_types(record: type) -> dict[str, object]:
    if issubclass(record, BaseModel):
        return {name: info.annotation for name, info in record.model_fields.items()}
    return dict(get_type_hints(record))


def _record_in(annotation: object) -> type | None:
    """The model or dataclass a field's type names, itself or inside an Optional / Union."""
    if isinstance(annotation, type) and (issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)):
        return annotation
    if get_origin(annotation) not in (Union, UnionType):
        return None  # a path never steps into a list or a tuple
    records = [r for arg in get_args(annotation) if (r := _record_in(arg)) is not None]
    return records[0] if len(records) == 1 else None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One labelled value of a section; its label is the catalog's "field.<key>"."""

    key: str
    section: Section
    group: str
    kind: Kind
    get: Getter
    enum: str | None = None  # catalog namespace for ENUM, ENUM_LIST and BOOL words
    optional: bool = False  # omitted when missing: the vehicle reports it only sometimes
    decimals: int = 0
    empty: str | None = None  # catalog key for an empty list ("All closed")


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One table column; its heading is the catalog's "col.<table>.<key>"."""

    key: str
    kind: Kind
    get: Getter
    width: float
    align: str = "L"
    enum: str | None = None
    decimals: int = 0
    render: Renderer | None = None


_UNIT_OF_KIND = {Kind.ENERGY: "kWh", Kind.POWER: "kW", Kind.PERCENT: "%", Kind.MINUTES: "min", Kind.DAYS: "d"}


def _bool_text(ctx: Context, value: bool, enum: str | None) -> str:
    word = "true" if value else "false"
    if enum and ctx.cat.has(f"enum.{enum}.{word}"):
        return ctx.cat.text(f"enum.{enum}.{word}")
    return ctx.cat.text(f"bool.{word}")


def money_raw(money: Money) -> dict[str, object]:
    """A Money as JSON: {"amount": 12.5, "currency": "EUR"}."""
    return {"amount": round(money.amount, 2), "currency": money.currency}


def _money_list(ctx: Context, value: object) -> tuple[str, Raw]:
    if not isinstance(value, Sequence):
        return MISSING, None
    usable = [m for m in value if isinstance(m, Money) and finite(m.amount) is not None]
    if not usable:
        return MISSING, None
    return "\n".join(ctx.fmt.money(m.amount, m.currency) for m in usable), [money_raw(m) for m in usable]


def _measure(ctx: Context, kind: Kind, value: object) -> tuple[str, Raw, str | None]:
    fmt, units = ctx.fmt, ctx.units
    if kind is Kind.DISTANCE:
        return (*fmt.distance(value), units.distance.value)
    if kind is Kind.DISTANCE_KM:
        return (*fmt.distance(value, DistanceUnit.KM), units.distance.value)
    if kind is Kind.TEMPERATURE:
        return (*fmt.temperature(value), f"°{units.temperature.value}")
    if kind is Kind.PRESSURE:
        return (*fmt.pressure(value), units.pressure.value)
    text, raw = fmt.speed(value)
    return text, raw, "km/h" if units.distance is DistanceUnit.KM else "mph"


_MEASURES = frozenset({Kind.DISTANCE, Kind.DISTANCE_KM, Kind.TEMPERATURE, Kind.PRESSURE, Kind.SPEED})


def format_value(
    ctx: Context, kind: Kind, value: object, enum: str | None = None, decimals: int = 0, empty: str | None = None
) -> tuple[str, Raw, str | None]:
    """(text, raw, unit) of a value of the given kind; text is MISSING and raw None when nothing usable."""
    fmt = ctx.fmt
    if kind in _MEASURES:
        return _measure(ctx, kind, value)
    number = finite(value)
    if kind is Kind.YEAR:
        return (
            (str(int(number)), int(number), None)
            if number is not None and 0 < number < 10000
            else (MISSING, None, None)
        )
    if kind in (Kind.INT, Kind.PERCENT, Kind.ENERGY, Kind.POWER, Kind.MINUTES, Kind.DAYS, Kind.YEARS):
        if number is None:
            return MISSING, None, None
        text = {
            Kind.INT: lambda: fmt.number(number, decimals),
            Kind.PERCENT: lambda: fmt.percent(number, decimals),
            Kind.ENERGY: lambda: fmt.energy(number, decimals or 1),
            Kind.POWER: lambda: fmt.power(number),
            Kind.MINUTES: lambda: fmt.minutes(number),
            Kind.DAYS: lambda: fmt.days(number),
            Kind.YEARS: lambda: fmt.years(number),
        }[kind]()
        integral = kind in (Kind.INT, Kind.PERCENT, Kind.DAYS) and float(number).is_integer()
        raw = int(number) if integral else round(number, max(decimals, 3))
        return text, raw, _UNIT_OF_KIND.get(kind)
    if kind is Kind.MONEY:
        if not isinstance(value, Money) or finite(value.amount) is None:
            return MISSING, None, None
        return fmt.money(value.amount, value.currency), money_raw(value), None
    if kind is Kind.MONEY_LIST:
        return (*_money_list(ctx, value), None)
    if kind is Kind.DATE:
        if isinstance(value, datetime):
            value = fmt.localise(value).date()
        return (fmt.fmt_date(value), value.isoformat(), None) if isinstance(value, date) else (MISSING, None, None)
    if kind in (Kind.DATETIME, Kind.DATETIME_OWN, Kind.DATETIME_STACKED):
        keep, stacked = kind is Kind.DATETIME_OWN, kind is Kind.DATETIME_STACKED
        return (*fmt.fmt_datetime(value, keep_offset=keep, stacked=stacked), None)
    if kind is Kind.BOOL:
        return (_bool_text(ctx, value, enum), value, None) if isinstance(value, bool) else (MISSING, None, None)
    if kind is Kind.ENUM_LIST:
        if not isinstance(value, Sequence) or isinstance(value, str):
            return MISSING, None, None
        items = [v for v in (format_text(x) for x in value) if v != MISSING]
        if not items:
            return (ctx.cat.text(empty) if empty else MISSING), [], None
        return ", ".join(ctx.cat.enum(enum or "misc", v) for v in items), items, None
    text = format_text(value)
    if text == MISSING:
        return MISSING, None, None
    if kind is Kind.ENUM:
        return ctx.cat.enum(enum or "misc", text), text, None
    if kind is Kind.COUNTRY:
        return fmt.country(text), text.upper(), None
    return text, text, None


def build_group(ctx: Context, specs: Sequence[FieldSpec], key: str, title: str | None) -> FieldGroup | None:
    """A group of fields, optional ones left out when missing; None when nothing is left."""
    views = []
    for spec in specs:
        text, raw, unit = format_value(ctx, spec.kind, spec.get(ctx.snapshot), spec.enum, spec.decimals, spec.empty)
        if raw is None and spec.optional:
            continue
        views.append(FieldView(spec.key, ctx.cat.text(f"field.{spec.key}"), text, raw, unit))
    return FieldGroup(key, title, tuple(views)) if views else None


def build_table(
    ctx: Context,
    key: str,
    columns: Sequence[ColumnSpec],
    rows: Sequence[object],
    *,
    title: str | None = None,
    empty_text: str | None = None,
    font_size: float = 8.5,
) -> TableView:
    """A table: one formatted cell per column and row."""
    heads = tuple(ColumnView(c.key, ctx.cat.text(f"col.{key}.{c.key}"), c.width, c.align) for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            if column.render is not None:
                text, raw = column.render(ctx, row)
            else:
                text, raw, _ = format_value(ctx, column.kind, column.get(row), column.enum, column.decimals)
            cells.append(CellView(text, raw))
        body.append(tuple(cells))
    return TableView(key, title, heads, tuple(body), empty_text, font_size)
