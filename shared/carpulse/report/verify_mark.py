"""The check mark on every page of a signed report: a vector QR code of the verify URL, the URL in
words beside the report id, and a link, so a printed copy is as checkable as the file.

The QR code is drawn as filled rectangles (one per horizontal run of dark modules): no image, sharp
at any zoom and print size. 13 mm with a one-module quiet zone keeps modules above 0.35 mm for a
version-4 code (a 22-character id on our API host), which phone cameras read from paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno

from carpulse.report.draw import LINE, MARGIN, MUTED
from carpulse.report.fonts import FAMILY

if TYPE_CHECKING:
    from carpulse.report.pdf import ReportPDF

QR_SIZE = 13.0  # mm, with its quiet zone
QUIET_MODULES = 1
EXTRA_FOOTER_SPACE = 4.0  # mm of page height the mark needs beyond the plain footer
_GAP = 2.0


@dataclass(frozen=True, slots=True)
class VerifyMark:
    """What a signed report prints on each page."""

    url: str  # https://<API host>/verify/<check id>
    caption: str  # the URL in words, in the report's language


def _runs(row: bytes | bytearray) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a QR row."""
    runs, start = [], None
    for i, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def draw_qr(pdf: ReportPDF, url: str, x: float, y: float, size: float) -> None:
    """A vector QR code of `url` in a `size` mm square (quiet zone included), linked to the URL."""
    qr = segno.make(url, error="m", micro=False)
    modules = len(qr.matrix) + 2 * QUIET_MODULES
    step = size / modules
    with pdf.local_context(fill_color=(255, 255, 255)):
        pdf.rect(x, y, size, size, style="F")
    with pdf.local_context(fill_color=(0, 0, 0)):
        for r, row in enumerate(qr.matrix):
            top = y + (r + QUIET_MODULES) * step
            for start, length in _runs(row):
                # A hair of overlap closes the seams some viewers show between adjacent rectangles.
                pdf.rect(x + (start + QUIET_MODULES) * step, top, length * step + 0.01, step + 0.01, style="F")
    pdf.link(x, y, size, size, url)


def draw_footer(pdf: ReportPDF, mark: VerifyMark, footer: str, page: str) -> None:
    """The footer of a signed report: QR at the right, report line and the check URL beside it."""
    qr_x, qr_y = pdf.w - MARGIN - QR_SIZE, pdf.h - 5.0 - QR_SIZE
    draw_qr(pdf, mark.url, qr_x, qr_y, QR_SIZE)
    width = qr_x - _GAP - MARGIN
    top = qr_y + 2.0
    pdf.set_draw_color(*LINE)
    pdf.line(MARGIN, top, MARGIN + width, top)
    pdf.set_font(FAMILY, "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(MARGIN, top + 0.5)
    pdf.cell(width, 5, pdf.fit(footer, width - 24), align="L")
    pdf.set_xy(MARGIN, top + 0.5)
    pdf.cell(width, 5, page, align="R")
    pdf.set_xy(MARGIN, top + 5.5)
    pdf.cell(width, 4, pdf.fit(mark.caption, width), align="L", link=mark.url)
    pdf.set_text_color(0, 0, 0)
