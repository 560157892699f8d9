"""Every script renders: real site names in many scripts reach the PDF's text, nothing becomes "—"."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from carpulse.domain.snapshot import Identity, SectionNote, SectionState, Warranty, WarrantyKind
from carpulse.report import glyphs
from carpulse.report.grid import _cell_lines, _Measure
from carpulse.report.hyphenate import splitter
from carpulse.report.pdf import ReportPDF, render_vehicle_pdf
from tests.report_samples import EU_VIN, full_eu, session

# Supercharger and place names as owners see them abroad (Tesla sends the local script).
SITES = {
    "ja": ("東京駅 八重洲", timezone(timedelta(hours=9))),
    "zh": ("上海市浦东新区 特斯拉超级充电站", timezone(timedelta(hours=8))),
    "zh-Hant": ("台北市 信義區 超級充電站", timezone(timedelta(hours=8))),
    "ko": ("서울 강남구 슈퍼차저", timezone(timedelta(hours=9))),
    "th": ("กรุงเทพมหานคร สยามพารากอน", timezone(timedelta(hours=7))),
    "he": ("תל אביב עזריאלי", timezone(timedelta(hours=2))),
    "ar": ("دبي مول", timezone(timedelta(hours=4))),
    "el": ("Αθήνα Γλυφάδα", timezone(timedelta(hours=2))),
    "ru": ("Київ Оболонь", timezone(timedelta(hours=2))),
    "hi": ("मुंबई बांद्रा", timezone(timedelta(hours=5, minutes=30))),
    "ka": ("თბილისი", timezone(timedelta(hours=4))),
    "de": ("Ørsta / Zürich – Hbf", timezone(timedelta(hours=1))),
}


def letters(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def scripts_snapshot(language: str = "en"):
    sessions = tuple(
        session(i, site=name, country="JP", tz=tz, start=datetime(2025, 9, 5, 6, 0, tzinfo=tz) + timedelta(days=i))
        for i, (name, tz) in enumerate(SITES.values())
    )
    return full_eu(language=language, sessions=sessions)


def test_every_character_of_every_script_is_in_the_pdf_text() -> None:
    text = pdf_text(render_vehicle_pdf(scripts_snapshot()))
    have = letters(text)
    for key, (name, _) in SITES.items():
        missing = letters(name) - have
        assert not missing, (key, "".join(missing))
    assert "\ufffd" not in text


def test_only_the_fallback_fonts_a_report_needs_are_embedded() -> None:
    _, latin = glyphs.prepare(_view(full_eu()))
    _, tokyo = glyphs.prepare(_view(full_eu(sessions=(session(1, site="東京駅"),))))
    assert latin == ()
    assert tokyo == ("DroidFallback",)
    assert b"DroidSansFallback" not in render_vehicle_pdf(full_eu())


def _view(snapshot):
    from carpulse.report.build import build_report

    return build_report(snapshot)


def test_a_character_no_font_draws_is_replaced_visibly_and_said_so() -> None:
    snapshot = full_eu(
        identity=Identity(vin=EU_VIN, display_name="🚗 Blue Thunder"), sessions=(session(1, site="𓂀 Giza"),)
    )
    text = pdf_text(render_vehicle_pdf(snapshot))
    assert "Blue Thunder" in text
    assert "\ufffd Giza" in text
    assert "🚗" not in text
    assert re.search(r"\d+ characters? that no font of this report can draw (is|are) shown as \ufffd", text)
    assert "— Giza" not in text


def test_invisible_format_characters_are_dropped_silently() -> None:
    cleaned, replaced, _ = glyphs.clean("Blue\u200d\ufe0f Thunder")
    assert (cleaned, replaced) == ("Blue Thunder", 0)


@pytest.mark.parametrize(
    ("language", "word"), [("de", "Bevorstehend"), ("de", "Batteriegarantie"), ("fi", "Voimassaoleva")]
)
def test_a_word_too_wide_for_its_column_is_hyphenated_never_cut(language: str, word: str) -> None:
    pdf = ReportPDF(_view(full_eu(language=language)))
    pdf.set_lang(language)
    measure = _Measure(pdf, True, 8)
    split = splitter(language)
    assert split is not None
    lines, scale = _cell_lines(word, measure(word) * 0.6, measure, split)
    assert scale == 1.0
    assert len(lines) >= 2
    assert lines[0].endswith("-")
    assert "".join(line.removesuffix("-") for line in lines) == word
    assert all(split(word) for _ in lines)


def test_a_code_without_hyphenation_points_shrinks_before_it_is_split() -> None:
    pdf = ReportPDF(_view(full_eu()))
    measure = _Measure(pdf, False, 8)
    code = "LRW3E7EK4RC123456"
    lines, scale = _cell_lines(code, measure(code) * 0.85, measure, splitter("en"))
    assert lines == [code]
    assert scale < 1.0


def test_the_german_warranty_table_keeps_its_words_whole() -> None:
    upcoming = Warranty(kind=WarrantyKind.UPCOMING, name="Erweiterte Garantie", expires_on=date(2030, 1, 1))
    text = pdf_text(render_vehicle_pdf(full_eu(language="de", warranties=(upcoming,))))
    # Either whole, or split at a syllable with a hyphen, never "Bevorstehen" + "d".
    assert "Bevorstehend" in text or re.search(r"Bevor-?\s*stehend|Be-\s*vorstehend|Bevorste-\s*hend", text)
    assert not re.search(r"Bevorstehen\s+d\b", text)


def test_an_offline_cars_note_does_not_say_waking_was_not_allowed() -> None:
    note = SectionNote(
        section="battery", state=SectionState.MISSING, reason="reason.vehicle_asleep", detail={"state": "offline"}
    )
    snapshot = full_eu(battery=None, tyres=None, security=None, climate=None, notes=(note,))
    text = pdf_text(render_vehicle_pdf(snapshot)).replace("\n", " ")
    assert "was not allowed" not in text
    assert "cannot be woken" in text


def test_naive_times_are_said_to_be_utc() -> None:
    text = pdf_text(render_vehicle_pdf(full_eu(generated_at=datetime(2026, 3, 14, 10, 0, tzinfo=UTC))))
    assert "without an offset are taken as UTC" in text.replace("\n", " ")
