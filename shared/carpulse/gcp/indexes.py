"""The Firestore composite indexes our queries need (provisioning creates them; the emulator needs
none). Standard library only: the deploy tooling reads this on the Cloud SDK image."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositeIndex:
    """One composite index: its collection group, its fields in order, and the query it serves."""

    collection_group: str
    fields: tuple[tuple[str, str], ...]  # (field path, ascending|descending)
    serves: str

    def describe(self) -> list[str]:
        """The fields as `name` or `name desc`."""
        return [path if order == "ascending" else f"{path} desc" for path, order in self.fields]


REPORTS_BY_ACCOUNT = CompositeIndex(
    "reports",
    (("account_id", "ascending"), ("created_at", "descending"), ("report_id", "descending")),
    "GET /reports (an account's reports, newest first)",
)
COMPOSITE_INDEXES = (REPORTS_BY_ACCOUNT,)
