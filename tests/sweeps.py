"""Exhaustive sweeps: `make test` runs every case, `make unit` a representative few.

A case marked `sweep` is the same test with more inputs (every language, every scenario, every
failure point, mutated payloads): it finds nothing the representative cases cannot reach by code
path, so the fast loop leaves it to `make test` (README, "Tests").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from carpulse.report.i18n import LANGUAGES

# Plain Latin, long compounds, other digits and plural rules: the languages every `make unit` renders.
CORE_LANGUAGES = ("en", "de", "fi")
sweep = pytest.mark.sweep


def each_language() -> list[Any]:
    """Every report language as a parameter; all but the core ones marked `sweep`."""
    return [pytest.param(language, marks=() if language in CORE_LANGUAGES else sweep) for language in LANGUAGES]


def first_then_sweep(values: Iterable[Any]) -> list[Any]:
    """The first value as a plain parameter, the rest marked `sweep`."""
    return [pytest.param(value, marks=sweep if index else ()) for index, value in enumerate(values)]
