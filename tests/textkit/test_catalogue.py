"""The one catalogue of words (textkit/catalogue.json) that digests and the review page read: every language
has every table with the same keys, no empty phrase, and the same placeholders, so a reader switching
language never meets a missing word or a ``{name}`` left unfilled."""

from __future__ import annotations

import json
import string

from textkit import catalogue


def _placeholders(phrase: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}


def test_spanish_is_first_and_the_default() -> None:
    assert catalogue.LANGUAGES == ("es", "en")
    assert catalogue.DEFAULT_LANGUAGE == "es"
    assert catalogue.language("fr") == catalogue.language(None) == "es"
    assert catalogue.language("en") == "en"


def test_every_language_has_the_same_tables_keys_and_placeholders() -> None:
    data = json.loads(catalogue.CATALOGUE_FILE.read_text(encoding="utf-8"))
    tables = {name for words in data.values() for name in words}
    assert tables == {"kinds", "sections", "institutions", "count_words", "milestones", "months", "digest", "page"}
    for name in tables - {"months", "count_words"}:
        table = catalogue.phrases(name)
        assert sorted(table["es"]) == sorted(table["en"]), name
        for key, es in table["es"].items():
            en = table["en"][key]
            assert es.strip() and en.strip(), (name, key)
            assert _placeholders(es) == _placeholders(en), (name, key)
    counts = catalogue.pairs("count_words")
    assert sorted(counts["es"]) == sorted(counts["en"])
    assert all(len(pair) == 2 and all(pair) for words in counts.values() for pair in words.values())
    assert all(len(months) == 12 for months in catalogue.sequence("months").values())


def test_a_table_is_one_set_of_dictionaries() -> None:
    """Every reader of a table sees the same words (the review page's test removes one to see it fail)."""
    assert catalogue.phrases("page")["es"] is catalogue.phrases("page")["es"]
