"""The message catalogs: complete in all nine languages, translated on purpose, plural per CLDR, used correctly."""

from __future__ import annotations

import re

import pytest

from carpulse.domain.reasons import REASONS
from carpulse.report.build import build_report
from carpulse.report.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Catalog,
    Entry,
    categories,
    humanize,
    identical_keys,
    is_plural,
    message,
    messages,
    placeholders,
    resolve_language,
)
from carpulse.report.views import FieldGroup, TableView
from tests.report_samples import all_none, full_eu, us_owner, without_all

OTHERS = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
# A text that starts like a catalog key means a lookup fell through to the key itself.
KEY_LIKE = re.compile(
    r"^(field|col|group|text|enum|section|state|tile|summary|http|endpoint|note|report|reason|chart|csv|unreadable)\."
)
# "session(s)", "PDF(s)", "kuva(t)": a count written around instead of a plural form.
PARENTHESISED_ENDING = re.compile(r"[^\W\d_]\([^\W\d_]{1,3}\)")


def _forms(entry: Entry) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry.values())


def test_there_are_nine_languages_with_english_first() -> None:
    assert LANGUAGES == ("en", "fi", "sv", "nb", "da", "de", "fr", "es", "it")


@pytest.mark.parametrize("language", OTHERS)
def test_every_language_has_exactly_the_english_keys(language: str) -> None:
    assert set(messages(language)) == set(messages("en"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_key_is_in_every_catalog(language: str) -> None:
    assert set(REASONS) <= set(messages(language))


def test_english_reasons_match_the_reference_wording() -> None:
    english = messages("en")
    assert {key: english[key] for key in REASONS} == REASONS


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_are_the_same_in_every_language_and_every_form(language: str) -> None:
    english = messages("en")
    wrong = {
        k: form
        for k, entry in messages(language).items()
        for form in _forms(entry)
        if placeholders(form) != placeholders(english[k])
    }
    assert not wrong


@pytest.mark.parametrize("language", OTHERS)
def test_a_plural_entry_is_plural_in_every_language(language: str) -> None:
    english = messages("en")
    assert sorted(k for k, v in messages(language).items() if is_plural(v) != is_plural(english[k])) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_entry_has_exactly_the_languages_cldr_categories(language: str) -> None:
    wanted = categories(language)
    wrong = {k: sorted(v) for k, v in messages(language).items() if not isinstance(v, str) and set(v) != wanted}
    assert not wrong, f"{language} needs {sorted(wanted)}"


def test_the_plural_categories_are_cldrs() -> None:
    two = {"one", "other"}
    assert {lang: set(categories(lang)) for lang in LANGUAGES} == {
        **dict.fromkeys(("en", "fi", "sv", "nb", "da", "de"), two),
        **dict.fromkeys(("fr", "es", "it"), two | {"many"}),
    }


def test_every_message_that_carries_a_count_is_a_plural_entry() -> None:
    english = messages("en")
    counted = sorted(k for k, v in english.items() if "count" in placeholders(v))
    assert counted
    assert [k for k in counted if not is_plural(english[k])] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_writes_a_plural_in_parentheses(language: str) -> None:
    found = [f for entry in messages(language).values() for f in _forms(entry) if PARENTHESISED_ENDING.search(f)]
    assert not found


@pytest.mark.parametrize("language", OTHERS)
def test_no_text_is_left_in_english_by_accident(language: str) -> None:
    english, own, allowed = messages("en"), messages(language), identical_keys(language)
    untranslated = sorted(k for k, v in own.items() if v == english[k] and k not in allowed)
    assert not untranslated, f"{language}: translate these or list them under _identical: {untranslated}"
    stale = sorted(k for k in allowed if own.get(k) != english.get(k))
    assert not stale, f"{language}: listed as identical but they differ (or do not exist): {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_empty(language: str) -> None:
    assert all(form.strip() for entry in messages(language).values() for form in _forms(entry))


def _texts_of(snapshot_language: str) -> list[str]:
    texts = []
    for snapshot in (
        full_eu(language=snapshot_language),
        us_owner(language=snapshot_language),
        all_none(language=snapshot_language),
        without_all(full_eu(language=snapshot_language)),
    ):
        view = build_report(snapshot)
        texts += [view.product, view.page_template, view.footer, *view.labels.values()]
        texts += [t.label for t in view.tiles] + [t.caption for t in view.tiles]
        texts += [f.label for f in view.meta] + [m.title for m in view.missing] + [m.reason for m in view.missing]
        for section in view.sections:
            texts += [section.title, section.state_label, section.source, *(n.text for n in section.notices)]
            for block in section.blocks:
                if isinstance(block, FieldGroup):
                    texts += [block.title or ""] + [f.label for f in block.fields] + [f.value for f in block.fields]
                elif isinstance(block, TableView):
                    texts += [block.title or ""] + [c.label for c in block.columns]
                    texts += [cell.value for row in block.rows for cell in row]
                else:
                    texts.append(getattr(block, "text", "") or getattr(block, "title", ""))
    return texts


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_report_uses_exists(language: str) -> None:
    fell_through = sorted({t for t in _texts_of(language) if KEY_LIKE.match(t)})
    assert not fell_through


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("de-DE", "de"),
        ("FI_fi", "fi"),
        ("en", "en"),
        ("sv-SE", "sv"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("da", "da"),
        ("fr-CA", "fr"),
        ("es-MX", "es"),
        ("it", "it"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_resolve_language(tag: str | None, expected: str) -> None:
    assert resolve_language(tag) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("car_in_repair", "Car in repair"),
        ("DeepBlue", "Deep Blue"),
        ("Pinwheel18CapKit", "Pinwheel 18 Cap Kit"),
        ("NEW_MFG_WARRANTY", "New mfg warranty"),
        ("CCS", "CCS"),
        ("PM216MOSFET", "PM216MOSFET"),
        ("Deep Blue Metallic", "Deep Blue Metallic"),
    ],
)
def test_unknown_enum_values_are_prettified(value: str, expected: str) -> None:
    assert humanize(value) == expected


def test_known_enum_values_come_from_the_catalog() -> None:
    assert Catalog("en").enum("service_status", "car_in_repair") == "In repair"
    assert Catalog("de").enum("service_status", "car_in_repair") == "In Reparatur"
    assert Catalog("fi").enum("charging_state", "Charging") == "Latautuu"
    assert Catalog("de").enum("paint", "SomeNewPaint") == "Some New Paint"


def test_reason_keys_are_translated_with_their_details() -> None:
    assert "im Ruhezustand" in Catalog("de").reason("reason.vehicle_asleep", {"state": "asleep"})
    assert "lepotilassa" in Catalog("fi").reason("reason.vehicle_asleep", {"state": "asleep"})
    assert Catalog("en").reason("reason.tesla_status", {"status": "503"}) == "Tesla answered with status 503."


def test_a_reason_without_its_detail_never_shows_a_placeholder() -> None:
    text = Catalog("en").reason("reason.scope_missing", {})
    assert text == "The owner did not grant the required permission."
    assert "{" not in Catalog("de").reason("reason.tesla_status")


def test_an_older_english_sentence_is_shown_as_it_is() -> None:
    sentence = "The location scope was not granted."
    assert Catalog("fi").reason(sentence) == sentence


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_placeholder_has_a_neutral_stand_in(language: str) -> None:
    names = {name for text in REASONS.values() for name in placeholders(text)}
    assert {f"placeholder.{name}" for name in names} <= set(messages(language))


def test_a_message_can_be_taken_outside_the_report_with_its_plural_form() -> None:
    assert message("sv-SE", "reason.invoices_failed", count=1) == "1 faktura-PDF kunde inte hämtas från Tesla."
    assert message("fi", "reason.invoices_failed", count=3) == "Teslalta jäi lataamatta 3 laskun PDF-tiedostoa."
    assert message("xx", "reason.tesla_status", status=503) == "Tesla answered with status 503."
    assert message("de", "no.such.key") == "no.such.key"
