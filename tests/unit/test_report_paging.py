"""Page tokens of GET /reports: they round-trip, refuse what we did not give, and order newest first."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from carpulse.domain.models import ReportRequest
from carpulse.domain.paging import ReportCursor, comes_after, order_key

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))])
AWARE = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
REPORT_IDS = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


def _report(created_at: datetime, report_id: str) -> ReportRequest:
    return ReportRequest(
        report_id=report_id,
        account_id="acc_1",
        vins=("5YJ3E1EA7KF000001",),
        created_at=created_at,
        updated_at=created_at,
    )


@given(AWARE, REPORT_IDS)
def test_a_token_round_trips_to_the_same_instant_and_id(created_at, report_id):
    cursor = ReportCursor(created_at=created_at, report_id=report_id)
    token = cursor.to_token()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = ReportCursor.from_token(token)
    assert back is not None
    assert back.created_at == created_at
    assert back.report_id == report_id


@given(st.text(max_size=80))
def test_anything_else_is_not_a_token(text):
    decoded = ReportCursor.from_token(text)
    assert decoded is None or decoded.to_token() == text.rstrip("=")


def test_a_token_without_a_time_zone_is_refused():
    naive = ReportCursor(created_at=datetime(2026, 1, 1, tzinfo=UTC), report_id="a" * 32).to_token()
    raw = json.loads(base64.urlsafe_b64decode(naive + "=" * (-len(naive) % 4)))
    raw["c"] = "2026-01-01T00:00:00"
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    assert ReportCursor.from_token(forged) is None


@given(st.lists(st.tuples(AWARE, REPORT_IDS), min_size=2, max_size=12, unique_by=lambda t: t[1]), st.integers(1, 5))
def test_pages_cut_at_any_cursor_cover_every_report_once(items, size):
    reports = sorted((_report(c, r) for c, r in items), key=order_key, reverse=True)
    pages, after = [], None
    while True:
        rest = [r for r in reports if after is None or comes_after(r, after)]
        page = rest[:size]
        if not page:
            break
        pages.append(page)
        after = ReportCursor.after(page[-1])
    flat = [r.report_id for page in pages for r in page]
    assert flat == [r.report_id for r in reports]
