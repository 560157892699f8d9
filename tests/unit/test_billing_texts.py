"""Tesla's bill texts (`billing.*`, `text.sources.tesla_cost`): in every catalog, translated, same placeholders."""

from __future__ import annotations

import re

import pytest

from carpulse.report.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Catalog,
    Entry,
    categories,
    identical_keys,
    is_plural,
    messages,
    placeholders,
)

OTHERS = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
EXPECTED = {
    "text.sources.tesla_cost",
    "billing.data",
    "billing.wake",
    "billing.command",
    "billing.specs",
    "billing.none",
    "billing.account_share",
}
# Every billing text English has, so a key added later is checked too.
KEYS = sorted({k for k in messages(DEFAULT_LANGUAGE) if k.startswith("billing.")} | {"text.sources.tesla_cost"})
# French puts a no-break space before ; : ? ! (the catalog's own rule).
FRENCH_PLAIN_SPACE = re.compile(r" [;:?!]")


def _forms(entry: Entry) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry.values())


def test_english_has_every_billing_text() -> None:
    assert set(KEYS) >= EXPECTED
    assert set(KEYS) <= set(messages(DEFAULT_LANGUAGE))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", KEYS)
def test_the_key_exists_and_is_not_empty(language: str, key: str) -> None:
    own = messages(language)
    assert key in own, f"{language} lacks {key}"
    assert all(form.strip() for form in _forms(own[key])), f"{language}: {key} has an empty form"


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("key", KEYS)
def test_placeholders_are_the_english_ones_in_every_form(language: str, key: str) -> None:
    wanted = placeholders(messages(DEFAULT_LANGUAGE)[key])
    wrong = [form for form in _forms(messages(language)[key]) if placeholders(form) != wanted]
    assert not wrong, f"{language}: {key} should have {sorted(wanted)}"


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("key", KEYS)
def test_a_plural_entry_has_the_languages_categories(language: str, key: str) -> None:
    english, own = messages(DEFAULT_LANGUAGE)[key], messages(language)[key]
    assert is_plural(own) == is_plural(english)
    if isinstance(own, dict):
        assert set(own) == set(categories(language))


@pytest.mark.parametrize("key", KEYS)
def test_most_languages_translate_the_text(key: str) -> None:
    english = messages(DEFAULT_LANGUAGE)[key]
    same = [lang for lang in OTHERS if messages(lang)[key] == english]
    assert len(same) <= len(OTHERS) // 4, f"{key} reads as English in {same}"
    assert [lang for lang in same if key not in identical_keys(lang)] == [], "list deliberate matches in _identical"


@pytest.mark.parametrize("key", KEYS)
def test_french_keeps_the_no_break_space_before_punctuation(key: str) -> None:
    assert [form for form in _forms(messages("fr")[key]) if FRENCH_PLAIN_SPACE.search(form)] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cost_sentence_is_filled_in(language: str) -> None:
    catalog = Catalog(language)
    calls = ", ".join(catalog.text(f"billing.{c}", count=n) for c, n in (("data", 12), ("wake", 1), ("specs", 1)))
    text = catalog.text("text.sources.tesla_cost", calls=calls, cost="US$0.14", as_of="2025-01")
    assert "{" not in text
    assert "}" not in text
    assert "US$0.14" in text
    assert "2025-01" in text
    assert "12" in text
    assert catalog.text("billing.none") != "billing.none"
