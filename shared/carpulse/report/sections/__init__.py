"""Section builders, in report order: each turns the snapshot into one SectionView."""

from __future__ import annotations

from collections.abc import Callable

from carpulse.report.context import Context
from carpulse.report.sections import (
    alerts,
    battery,
    battery_health,
    charging,
    identity,
    security,
    service,
    software,
    sources,
    tyres,
)
from carpulse.report.views import SectionView

BUILDERS: tuple[Callable[[Context], SectionView], ...] = (
    identity.build,
    battery.build,
    battery_health.build,
    charging.build,
    alerts.build,
    service.build,
    software.build,
    tyres.build,
    security.build,
)
# The appendix comes last and is built from the others (what they left out): see build.py.
build_appendix = sources.build
