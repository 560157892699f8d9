"""The vehicle PDF report, read back with pypdf: content, units, currencies, attribution, gaps."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from carpulse.domain.snapshot import (
    Battery,
    ChargingSummary,
    DataSource,
    Identity,
    Money,
    Section,
    SectionNote,
    SectionState,
    ServiceStatus,
    Software,
    VehicleSnapshot,
)
from carpulse.report import fonts
from carpulse.report.context import Context
from carpulse.report.i18n import Catalog
from carpulse.report.localfmt import Formatter
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.report.sections.common import make_section
from carpulse.report.units import display_units
from carpulse.report.views import State, TextView, Tone
from tests.report_samples import (
    ENDPOINTS,
    EU_VIN,
    GENERATED,
    OTHER_VIN,
    all_none,
    full_eu,
    many_sessions,
    session,
    us_owner,
    without,
    without_all,
)
from tests.sweeps import each_language, sweep

# Every endpoint but the cheap vehicle call, whose failure stops the task before any rendering.
PARTS = tuple(e for e in ENDPOINTS if e != "vehicle")
# Words that mean a Python value or an API sentinel leaked into the report.
LEAKS = re.compile(r"\bNone\b|\bnull\b|<invalid>|\bnan\b|\binf\b|Money\(|datetime\(|\{[a-z_]+\}|\bTrue\b|\bFalse\b")
RAW_ENUMS = ("DeepBlue", "car_in_repair", "Photon18", "Black2", "NEW_MFG_WARRANTY", "Disconnected", "FanOnly")


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text with non-breaking spaces read as spaces."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return [p.replace("\u00a0", " ").replace("\u202f", " ") for p in pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages_of(pdf))


@cache
def rendered_pdf(name: str, language: str) -> bytes:
    """One sample's PDF, rendered once per module by itself; rendering is deterministic (tested below)."""
    builders = {"eu": full_eu, "us": us_owner, "none": all_none}
    return render_vehicle_pdf(builders[name](language=language))


@cache
def rendered_pages(name: str, language: str) -> tuple[str, ...]:
    return tuple(pages_of(rendered_pdf(name, language)))


def rendered(name: str, language: str) -> str:
    return "\n".join(rendered_pages(name, language))


def assert_clean(text: str) -> None:
    leak = LEAKS.search(text)
    assert leak is None, text[max(0, leak.start() - 80) : leak.end() + 80]


def test_pdf_metadata_and_determinism() -> None:
    pdf = rendered_pdf("eu", "en")
    assert pdf.startswith(b"%PDF-")
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None
    assert meta.author == "Car Pulse Tracker"
    assert EU_VIN in (meta.title or "")
    assert meta.creation_date == GENERATED
    assert render_vehicle_pdf(full_eu()) == pdf


@sweep
def test_the_font_cache_changes_nothing_in_the_output() -> None:
    snapshot = full_eu(language="fi", sessions=(session(1, site="東京駅 八重洲"),))  # a fallback font too
    fast = render_vehicle_pdf(snapshot)
    with fonts.uncached_fonts():
        slow = render_vehicle_pdf(snapshot)
    assert fast == slow


def test_uncached_fonts_parses_each_font_and_only_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts.install_fonts(FPDF(), fallbacks=["DroidFallback"])  # fills the cache
    parsed: list[str] = []
    add_font = FPDF.add_font

    def spy(pdf: FPDF, family: str, *args: Any, **kwargs: Any) -> None:
        parsed.append(family)
        add_font(pdf, family, *args, **kwargs)

    monkeypatch.setattr(FPDF, "add_font", spy)
    with fonts.uncached_fonts():
        fonts.install_fonts(FPDF(), fallbacks=["DroidFallback"])
    assert parsed == [fonts.FAMILY, fonts.FAMILY, "DroidFallback"]
    fonts.install_fonts(FPDF(), fallbacks=["DroidFallback"])
    assert len(parsed) == 3


@sweep
def test_concurrent_renders_give_the_same_bytes_as_a_lone_render() -> None:
    # A worker instance renders several VINs at once; one shared font object once numbered another
    # document's PDF objects (KeyError in fpdf's output, or silently different bytes).
    snapshots = [full_eu(), us_owner(), full_eu(language="de"), many_sessions(40)]
    alone = [rendered_pdf("eu", "en"), rendered_pdf("us", "en"), rendered_pdf("eu", "de")]
    alone.append(render_vehicle_pdf(snapshots[3]))
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda i: render_vehicle_pdf(snapshots[i % 4]), range(16)))
    assert [i for i, pdf in enumerate(together) if pdf != alone[i % 4]] == []


@pytest.mark.parametrize("language", each_language())
def test_every_section_title_is_there_in_the_report_language(language: str) -> None:
    # Whitespace flattened: a long title may wrap, and French keeps a no-break space before ":".
    text, cat = " ".join(rendered("eu", language).split()), Catalog(language)
    for key in ("identity", "battery", "charging", "alerts", "service", "software", "tyres", "security", "sources"):
        assert " ".join(cat.text(f"section.{key}").split()) in text
    assert cat.text("summary.missing_title") in text
    pages = len(rendered_pages("eu", language))
    assert cat.template("report.page").format(page=pages, pages=pages) in text


@pytest.mark.parametrize(
    ("language", "odometer", "rated", "inside", "tyre", "speed"),
    [
        ("en", "16,093 km", "403 km", "21.5°C", "2.90 bar", "111 km/h"),
        ("de", "16.093 km", "403 km", "21,5 °C", "2,90 bar", "111 km/h"),
        ("fi", "16 093 km", "403 km", "21,5 °C", "2,90 bar", "111 km/h"),
    ],
)
def test_an_eu_owner_reads_km_celsius_and_bar(
    language: str, odometer: str, rated: str, inside: str, tyre: str, speed: str
) -> None:
    text = rendered("eu", language)
    for expected in (odometer, rated, inside, tyre, speed):
        assert expected in text
    assert "10,000 mi" not in text
    assert "psi" not in text.replace("psi)", "")


def test_a_us_owner_reads_miles_fahrenheit_psi_and_12_hour_times() -> None:
    text = rendered("us", "en")
    for expected in ("10,000 mi", "250 mi", "70.7°F", "42.1 psi", "69 mph", "$18.40"):
        assert expected in text
    assert re.search(r"\d{1,2}:\d{2} [AP]M UTC-8", text)
    assert "16,093" not in text
    assert "km/h" not in text


@pytest.mark.parametrize("language", each_language())
def test_costs_are_totalled_per_currency_and_never_across(language: str) -> None:
    snapshot = full_eu(language=language)
    text = rendered("eu", language)
    f = Formatter(language, display_units(snapshot), snapshot.utc_offset_seconds)
    fees = [fee for s in snapshot.sessions for fee in s.fees]
    eur = sum(fee.total_due for fee in fees if fee.currency == "EUR")
    nok = sum(fee.total_due for fee in fees if fee.currency == "NOK")
    assert eur
    assert nok
    for expected in (f.money(eur, "EUR"), f.money(nok, "NOK")):
        assert expected.replace("\u00a0", " ") in text
    for mixed in (f.money(eur + nok, "EUR"), f.money(eur + nok, "NOK")):
        assert mixed.replace("\u00a0", " ") not in text


def test_sessions_of_another_vin_never_appear() -> None:
    mine = session(1, site="Mine – Oulu", kwh=12.3)
    theirs = session(2, vin=OTHER_VIN, site="Theirs – Kalajoki", kwh=77.7, currency="SEK")
    text = text_of(render_vehicle_pdf(full_eu(sessions=(mine, theirs))))
    assert "Mine – Oulu" in text
    assert "Theirs" not in text
    assert "77.7 kWh" not in text
    assert "SEK" not in text
    assert "1 session recorded for another vehicle was left out" in text


def test_a_session_keeps_the_offset_of_where_it_charged() -> None:
    cet = timezone(timedelta(hours=1))
    stop = session(1, site="Hamburg", start=datetime(2026, 1, 5, 8, 15, tzinfo=cet))
    text = text_of(render_vehicle_pdf(full_eu(sessions=(stop,))))
    assert re.search(r"Jan 5, 2026\s+08:15 UTC\+1", text)  # date over time in the table; not converted to UTC+2


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("failed", [False, pytest.param(True, marks=sweep)])  # failed: the same path, another word
def test_each_endpoint_missing_or_failed_in_turn(part: str, failed: bool) -> None:
    snapshot = without(full_eu(), part, failed=failed)
    text = text_of(render_vehicle_pdf(snapshot))
    assert_clean(text)
    note = snapshot.notes[-1]
    assert Catalog("en").reason(note.reason, note.detail) in text
    assert ("Failed" if failed else "Not available") in text or "Partly available" in text


@pytest.mark.parametrize("language", each_language())
@pytest.mark.parametrize("failed", [False, True])
def test_every_endpoint_missing_at_once(language: str, failed: bool) -> None:
    text = " ".join(text_of(render_vehicle_pdf(without_all(full_eu(language=language), failed=failed))).split())
    assert_clean(text)
    cat = Catalog(language)
    assert cat.text("state.failed" if failed else "state.missing") in text
    assert " ".join(cat.text("text.identity.specs_missing").split()) in text
    assert EU_VIN in text


@pytest.mark.parametrize("language", each_language())
def test_a_snapshot_with_nothing_but_a_vin_renders_and_explains(language: str) -> None:
    text, cat = rendered("none", language), Catalog(language)
    assert_clean(text)
    assert EU_VIN in text
    assert cat.text("report.unnamed_vehicle") in text
    assert cat.text("note.no_reason") in text
    assert cat.text("text.sources.times_utc").split(";")[0].strip() in " ".join(text.split())


@pytest.mark.parametrize("name", ["eu", "us", "none"])
@pytest.mark.parametrize("language", each_language())
def test_no_python_values_or_raw_enums_are_printed(name: str, language: str) -> None:
    text = rendered(name, language)
    assert_clean(text)
    for raw in RAW_ENUMS:
        assert raw not in text


def test_empty_and_missing_read_differently() -> None:
    empty = text_of(render_vehicle_pdf(full_eu(alerts=(), tyres=(), sessions=(), charging=ChargingSummary())))
    assert "The vehicle reported no recent alerts." in empty
    assert "No Supercharger sessions were recorded for this vehicle." in empty
    assert "The vehicle reported no tyre pressure readings." in empty
    missing = text_of(render_vehicle_pdf(full_eu(alerts=None, tyres=None, charging=None, sessions=())))
    assert "The vehicle reported no recent alerts." not in missing
    assert missing.count("No data arrived for this section and no reason was recorded.") >= 3


def test_notes_in_older_english_and_for_unknown_parts_are_shown() -> None:
    notes = (
        SectionNote(section="Location", state=SectionState.MISSING, reason="The location scope was not granted."),
        SectionNote(
            section="charging", state=SectionState.FAILED, reason="reason.tesla_status", detail={"status": "503"}
        ),
    )
    text = text_of(render_vehicle_pdf(full_eu(language="de", notes=notes)))
    assert "The location scope was not granted." in text
    assert "Location" in text
    assert "Tesla antwortete mit Status 503." in text


def test_garbage_values_never_print_as_python_values() -> None:
    snapshot = VehicleSnapshot(
        report_id="rpt-garbage",
        generated_at=datetime(2024, 1, 1, 12, 0),  # naive
        language="pt",  # not supported: English
        utc_offset_seconds=10**9,  # not a place on Earth
        identity=Identity(vin=EU_VIN, display_name="🚗 Blue Thunder", model="<invalid>", trim="null", state="None"),
        software_version="  ",
        odometer_mi=float("nan"),
        battery=Battery(rated_range_mi=float("inf"), charging_state="<invalid>", level_percent=None),
        charging=ChargingSummary(cost_by_currency=(Money(currency="", amount=3),), energy_by_month=(("oops", 1.0),)),
        sessions=(session(1, currency="", kwh=float("nan")),),
        service=ServiceStatus(status="awaiting_parts", in_service=True),
        software=Software(update_status="", release_notes=()),
        notes=(SectionNote(section="", state=SectionState.FAILED, reason="null"),),
    )
    text = text_of(render_vehicle_pdf(snapshot))
    assert_clean(text)
    assert "Blue Thunder" in text
    assert "🚗" not in text
    assert "Awaiting parts" in text
    assert "currency unknown" in text


def test_runaway_text_does_not_break_the_layout() -> None:
    snapshot = full_eu(
        report_id="r" * 5000,
        identity=Identity(vin="V" * 3000, display_name="name " * 20000),
        sessions=(session(1, site="s" * 10000),),
        notes=(SectionNote(section="x" * 500, state=SectionState.FAILED, reason="word " * 5000),),
    )
    assert text_of(render_vehicle_pdf(snapshot))


@sweep
def test_500_sessions_flow_over_pages_with_headings_and_footers() -> None:
    snapshot = many_sessions(500)
    pages = pages_of(render_vehicle_pdf(snapshot))
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "rpt-many-0001" in page
    heading = re.compile(r"Started\s*Site\s*Country\s*Energy\s*Duration\s*Fees\s*Total\s*Paid")
    assert sum(1 for page in pages if heading.search(page)) >= 10
    invoices = set(re.findall(r"\b(4\d{5})_FI\.pdf", "\n".join(pages)))
    assert len(invoices) == 500  # every session's invoice is listed, so every session is in the report
    assert "The last 24 of" in "\n".join(pages)  # the month chart keeps to two years


def test_unknown_language_falls_back_to_english() -> None:
    assert "Battery and charging state" in text_of(render_vehicle_pdf(full_eu(language="xx")))


def test_generated_time_is_in_the_vehicle_offset() -> None:
    assert "generated Mar 14, 2026, 12:00 UTC+2" in rendered("eu", "en")
    assert "erstellt 14.03.2026, 12:00 UTC+2" in rendered("eu", "de")
    assert "luotu 14.3.2026 12.00 UTC+2" in rendered("eu", "fi")


def test_generated_at_in_utc_without_vehicle_offset() -> None:
    text = text_of(render_vehicle_pdf(all_none(generated_at=datetime(2026, 3, 14, 10, 0, tzinfo=UTC))))
    assert "generated Mar 14, 2026, 10:00 UTC" in text


def test_sections_are_bookmarked_for_navigation() -> None:
    outline = PdfReader(io.BytesIO(rendered_pdf("eu", "de"))).outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    assert titles[:3] == ["Zusammenfassung", "Fahrzeugidentität", "Akku und Ladezustand"]
    assert titles[-1] == "Anhang: Datenquellen"


def test_repeated_calls_of_one_endpoint_are_grouped_in_the_appendix() -> None:
    base = full_eu()
    invoices = tuple(
        DataSource(endpoint="invoice", status=200, fetched_at=GENERATED - timedelta(seconds=i), region="eu")
        for i in range(14)
    )
    failed = DataSource(endpoint="invoice", status=500, fetched_at=GENERATED, region="eu")
    text = text_of(render_vehicle_pdf(base.model_copy(update={"sources": (*base.sources, *invoices, failed)})))
    assert "Charging invoices ×14 OK" in text
    assert "Charging invoices Tesla error (500)" in text


def test_a_note_on_a_part_names_the_part_and_repeats_are_said_once() -> None:
    notes = (
        SectionNote(section="specs", state=SectionState.MISSING, reason="reason.partner_token_required"),
        SectionNote(section="service", state=SectionState.FAILED, reason="reason.tesla_unavailable"),
        SectionNote(section="service", state=SectionState.FAILED, reason="reason.tesla_unavailable"),
    )
    snapshot = full_eu(language="de", notes=notes, service=None, warranties=None)
    text = text_of(render_vehicle_pdf(snapshot))
    assert "Spezifikationen (Partner): Tesla liefert dies nur mit einem Partner-Token" in text
    assert text.count("Tesla hat nicht rechtzeitig geantwortet.") == 3  # notice, summary line, appendix


def test_a_section_says_each_notice_once_the_first_time_in_order() -> None:
    ctx = Context.create(full_eu())
    late, down, late_again = (
        TextView("service.late", "Tesla did not answer in time."),
        TextView("service.down", "Tesla is down."),
        TextView("warranty.late", "Tesla did not answer in time.", Tone.WARNING),
    )
    shown = make_section(ctx, Section.SERVICE, State.FAILED, notices=[late, down, late_again]).notices
    assert shown == [late, down]
