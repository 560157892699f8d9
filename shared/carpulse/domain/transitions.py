"""The shape of a state change that a store applies atomically to one stored record.

A rule of the domain (report_life, refresh_lease) reads the current record (None when there is
none) and returns a `Transition`: its result for the caller, and the field changes to write (None
for no write). The rule never touches storage; each store applies the changes its own way: the
Firestore adapter with a write that holds only if the document is unchanged since the read, the
in-memory fake with `applied`. So the rules exist once, and the fake cannot drift from the adapter.

A key of the changes is a field name or a dotted path into a map field (`renditions.sv.status`),
as in Firestore's update. `NOW` as a value stands for the moment of the write: Firestore's server
timestamp, or the fake's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, TypeVar

from pydantic import BaseModel

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
Changes = dict[str, object]
Transition = tuple[R, Changes | None]


class _Now:
    """The sentinel type of NOW."""

    def __repr__(self) -> str:
        return "NOW"


NOW: Final = _Now()


def stamped(changes: Mapping[str, object], now: object) -> Changes:
    """The changes with every NOW replaced by `now` (a time, or a store's own timestamp marker)."""
    return {key: now if value is NOW else value for key, value in changes.items()}


def applied(record: M, changes: Mapping[str, object], now: datetime) -> M:
    """The record after the changes, validated as its model (what a store would read back)."""
    data = record.model_dump()
    for key, value in stamped(changes, now).items():
        *parents, leaf = key.split(".")
        target = data
        for name in parents:
            target = target[name]
        target[leaf] = value
    return type(record).model_validate(data)
