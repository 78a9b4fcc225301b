"""PhraseIndex.positions: the cases of one text share one pass over its words; every index still finds
exactly where each of its phrases starts, whatever other indexes exist or were built in between."""

from __future__ import annotations

import random

from pipeline.classify.relevance import PhraseIndex

VOCABULARY = "la fiscalia de puno amplio investigacion juliaca muertes 9 enero 2023 caso policia".split()


def _reference(phrases: list[str], toks: tuple[str, ...] | list[str]) -> dict[int, list[int]]:
    wanted = [tuple(p.split()) for p in phrases]
    return {i: pos for i, phrase in enumerate(wanted)
            if (pos := [p for p in range(len(toks)) if tuple(toks[p:p + len(phrase)]) == phrase])}


def test_every_index_finds_its_phrases_in_a_shared_text() -> None:
    rng = random.Random(7)
    indexes: list[tuple[list[str], PhraseIndex]] = []
    for round_ in range(300):
        if round_ % 40 == 0:  # a new index between texts and between the cases of one text
            phrases = [" ".join(rng.choices(VOCABULARY, k=rng.randint(1, 3))) for _ in range(rng.randint(1, 8))]
            indexes.append((phrases, PhraseIndex(phrases)))
        toks = tuple(rng.choices(VOCABULARY, k=rng.randint(0, 200)))
        for phrases, index in indexes:
            assert index.positions(toks) == _reference(phrases, toks)
            assert index.found(toks) == set(_reference(phrases, toks))
        late = ["enero 2023", "caso"]
        assert PhraseIndex(late).positions(toks) == _reference(late, toks)  # built after the text was read


def test_a_list_of_words_is_read_anew_each_time() -> None:
    index = PhraseIndex(["de puno", "juliaca"])
    toks = ["fiscalia", "de", "puno"]
    assert index.positions(toks) == {0: [1]}
    toks[2] = "juliaca"  # the same list, changed
    assert index.positions(toks) == {1: [2]}
