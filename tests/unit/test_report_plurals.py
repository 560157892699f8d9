"""Plural forms: every counted message reads right for 0, 1, 2, 5 and 21 in every language."""

from __future__ import annotations

import pytest

from carpulse.report.i18n import LANGUAGES, Catalog, is_plural, messages
from carpulse.report.i18n.plural import category, choose, count_text

COUNTS = (0, 1, 2, 5, 21)
# CLDR's categories for these counts, written out rather than asked of Babel: French counts 0 as
# "one"; none of the nine languages treats 21 like 1 (Russian or Polish would).
EXPECTED = {
    **{lang: ("other", "one", "other", "other", "other") for lang in LANGUAGES if lang != "fr"},
    "fr": ("one", "one", "other", "other", "other"),
}
PLURAL_KEYS = sorted(k for k, v in messages("en").items() if is_plural(v))


def test_the_plural_keys_are_the_counted_messages() -> None:
    assert {"text.charging.foreign", "reason.invoices_failed", "text.sources.unprintable"} <= set(PLURAL_KEYS)
    assert {k for k in PLURAL_KEYS if k.startswith("unreadable.")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_chooses_the_cldr_category(language: str) -> None:
    assert tuple(category(language, n) for n in COUNTS) == EXPECTED[language]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", COUNTS)
def test_every_plural_message_takes_the_form_of_its_count(language: str, count: int) -> None:
    cat, wanted = Catalog(language), EXPECTED[language][COUNTS.index(count)]
    for key in PLURAL_KEYS:
        forms = messages(language)[key]
        assert not isinstance(forms, str)
        text = cat.text(key, count=count, total=24, mark="�")
        assert text == forms[wanted].format(count=count, total=24, mark="�"), (key, count)
        assert str(count) in text
        assert "{" not in text


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 session recorded for another vehicle was left out of this report."),
        ("en", 0, "0 sessions recorded for another vehicle were left out of this report."),
        ("en", 21, "21 sessions recorded for another vehicle were left out of this report."),
        ("fi", 1, "1 toiselle ajoneuvolle kirjattu latauskerta jätettiin pois tästä raportista."),
        ("fi", 5, "5 toiselle ajoneuvolle kirjattua latauskertaa jätettiin pois tästä raportista."),
        ("sv", 2, "2 laddningar som registrerats för ett annat fordon har utelämnats ur rapporten."),
        ("nb", 1, "1 ladeøkt registrert for et annet kjøretøy er utelatt fra rapporten."),
        ("da", 21, "21 opladninger, der er registreret for et andet køretøj, er udeladt af rapporten."),
        ("de", 1, "1 Ladevorgang eines anderen Fahrzeugs wurde in diesem Bericht ausgelassen."),
        ("fr", 0, "0 session enregistrée pour un autre véhicule a été écartée de ce rapport."),
        ("fr", 2, "2 sessions enregistrées pour un autre véhicule ont été écartées de ce rapport."),
        ("es", 1, "Se ha excluido de este informe 1 sesión registrada para otro vehículo."),
        ("it", 5, "5 sessioni registrate per un altro veicolo sono state escluse da questo report."),
    ],
)
def test_a_counted_sentence_reads_naturally(language: str, count: int, expected: str) -> None:
    assert Catalog(language).text("text.charging.foreign", count=count) == expected


def test_a_count_from_a_notes_detail_string_chooses_the_form_too() -> None:
    assert Catalog("en").reason("reason.invoices_failed", {"count": "1"}) == (
        "1 invoice PDF could not be downloaded from Tesla."
    )
    assert Catalog("de").reason("reason.invoices_failed", {"count": "3"}) == (
        "Von Tesla konnten 3 Rechnungs-PDFs nicht heruntergeladen werden."
    )


def test_without_a_count_the_other_form_reads_with_the_neutral_word() -> None:
    assert Catalog("en").reason("reason.invoices_failed", {}) == "Some invoice PDFs could not be downloaded from Tesla."
    assert Catalog("it").text("reason.invoices_failed", count=None) == (
        "Non è stato possibile scaricare da Tesla alcuni PDF di fatture."
    )


def test_a_large_count_is_grouped_the_languages_way_and_french_says_many_for_a_million() -> None:
    assert count_text("fi", 1234) == "1\u00a0234"
    assert Catalog("de").text("unreadable.alerts", count=1234) == "1.234 Meldungen"
    assert category("fr", 1_000_000) == "many"
    assert Catalog("fr").text("unreadable.alerts", count=1_000_000) == "1\u202f000\u202f000 alertes"


def test_a_form_missing_from_an_entry_falls_back_to_other() -> None:
    assert choose({"other": "{count} things"}, "en", 1) == "{count} things"
    assert category("en", "not a number") == "other"
