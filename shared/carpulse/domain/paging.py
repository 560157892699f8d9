"""Pages of an account's reports: newest first, and an opaque page token that survives deletions."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from carpulse.domain.models import ReportRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50


class ReportCursor(BaseModel):
    """Where a page ended: the last report's creation time and id (not the document itself, so a
    report deleted between two pages does not break the next one)."""

    model_config = ConfigDict(frozen=True)

    created_at: datetime
    report_id: str

    @classmethod
    def after(cls, report: ReportRequest) -> ReportCursor:
        """The cursor just past a report."""
        return cls(created_at=report.created_at, report_id=report.report_id)

    def to_token(self) -> str:
        """The page token a client sends back (URL-safe, no padding)."""
        raw = json.dumps({"c": self.created_at.isoformat(), "r": self.report_id}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> ReportCursor | None:
        """The cursor of a page token, or None when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            cursor = cls(created_at=data["c"], report_id=data["r"])
        except (binascii.Error, ValueError, KeyError, TypeError, ValidationError):
            return None
        return cursor if cursor.created_at.tzinfo is not None else None


def order_key(report: ReportRequest) -> tuple[datetime, str]:
    """Newest first means descending by this key (ties by report id)."""
    return (report.created_at, report.report_id)


def comes_after(report: ReportRequest, cursor: ReportCursor) -> bool:
    """Whether a report belongs to a page that starts after the cursor."""
    return order_key(report) < (cursor.created_at, cursor.report_id)
