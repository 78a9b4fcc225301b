"""A change's summary: the text's spaces collapsed, at most SUMMARY_CHARS, cut at a word.

``_summary`` collapses only a prefix of the text; these tests hold it to collapsing the whole text.
"""

from __future__ import annotations

import random

from pipeline.ingest import SUMMARY_CHARS, _summary


def whole_text_summary(text: str) -> str:
    """The definition: collapse every space of the text, then cut."""
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def test_short_text_is_collapsed_whole() -> None:
    assert _summary("  La fiscalía\n\n abrió\tinvestigación.  ") == "La fiscalía abrió investigación."
    assert _summary("") == ""
    assert _summary(" \n\t ") == ""


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "\n\n".join(["palabra " * 20] * 40)
    out = _summary(text)
    assert out.endswith("palabra…") and len(out) <= SUMMARY_CHARS
    assert out == whole_text_summary(text)


def test_a_long_run_of_spaces_before_the_cut_changes_nothing() -> None:
    # the prefix first collapsed is all spaces: the summary still comes from the words after them
    text = " " * 5000 + "uno dos " * 100
    assert _summary(text) == whole_text_summary(text)
    assert _summary(text).startswith("uno dos")


def test_a_word_longer_than_the_summary() -> None:
    text = "x" * 900 + " fin"
    assert _summary(text) == whole_text_summary(text) == "x" * (SUMMARY_CHARS - 1) + "…"


def test_same_as_collapsing_the_whole_text_on_random_texts() -> None:
    rng = random.Random(17)
    pieces = ["a", "bc", "é", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2003", "palabra", " " * 60, "w" * 450]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 700)))
        assert _summary(text) == whole_text_summary(text), repr(text)
