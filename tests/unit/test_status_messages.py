"""The status texts an owner reads next to a vehicle of a report: a failure code and a stage, in all nine languages."""

from __future__ import annotations

import pytest

from carpulse.domain.report_life import FAILURE_CODES
from carpulse.report.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalog, messages

STAGES = ("queued", "fetching", "waiting_for_vehicle", "rendering", "done", "failed")
WAIT_REASONS = ("waking", "unreachable")
FAILURE_KEYS = tuple(f"failure.{code}" for code in FAILURE_CODES)
STAGE_KEYS = (
    *(f"stage.{stage}" for stage in STAGES),
    *(f"stage.waiting_for_vehicle.{reason}" for reason in WAIT_REASONS),
)
STATUS_KEYS = FAILURE_KEYS + STAGE_KEYS
OTHERS = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
# A short word may read the same in a language ("OK"); anything beyond this many means a forgotten translation.
ALLOWED_IDENTICAL = 2


def test_the_failure_codes_include_the_ones_an_owner_can_meet() -> None:
    # The texts below are parametrised over FAILURE_CODES; this keeps that list from quietly shrinking.
    assert set(FAILURE_CODES) >= {
        "account_disconnected",
        "reconnect_required",
        "vehicle_not_on_account",
        "tesla_unavailable",
        "rate_limited",
        "partner_not_registered",
        "timed_out",
        "internal_error",
        "files_incomplete",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", STATUS_KEYS)
def test_every_status_text_is_in_every_catalog(language: str, key: str) -> None:
    # In the language's own file, not taken from English by the fallback.
    assert key in messages(language)
    assert Catalog(language).has(key)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", STATUS_KEYS)
def test_a_status_text_is_a_clean_sentence_without_placeholders(language: str, key: str) -> None:
    entry = messages(language)[key]
    assert isinstance(entry, str), "a status text is a plain text, not a plural entry"
    assert entry, key
    assert entry == entry.strip(), repr(entry)
    assert "{" not in entry
    assert "}" not in entry
    assert Catalog(language).text(key) == entry


def test_the_english_failure_texts_are_the_reference_wording() -> None:
    english = Catalog(DEFAULT_LANGUAGE)
    assert {code: english.text(f"failure.{code}") for code in FAILURE_CODES} == FAILURE_CODES


def test_the_english_stage_labels() -> None:
    english = Catalog(DEFAULT_LANGUAGE)
    assert {key: english.text(key) for key in STAGE_KEYS} == {
        "stage.queued": "Queued",
        "stage.fetching": "Fetching data from Tesla",
        "stage.waiting_for_vehicle": "Waiting for the vehicle",
        "stage.rendering": "Building the PDF",
        "stage.done": "Done",
        "stage.failed": "Failed",
        "stage.waiting_for_vehicle.waking": "Waking the vehicle",
        "stage.waiting_for_vehicle.unreachable": "The vehicle is not reachable; trying again",
    }


@pytest.mark.parametrize("language", OTHERS)
def test_the_status_texts_are_translated(language: str) -> None:
    english, own = Catalog(DEFAULT_LANGUAGE), Catalog(language)
    same = sorted(key for key in STATUS_KEYS if own.text(key) == english.text(key))
    assert len(same) <= ALLOWED_IDENTICAL, f"{language}: still in English: {same}"
    # The sentences (everything but the one-word labels) are never left in English.
    assert [key for key in same if len(english.text(key).split()) > 1] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_stages_read_differently_from_each_other(language: str) -> None:
    catalog = Catalog(language)
    texts = [catalog.text(key) for key in STAGE_KEYS]
    assert len(set(texts)) == len(texts)
    failures = [catalog.text(key) for key in FAILURE_KEYS]
    assert len(set(failures)) == len(failures)
