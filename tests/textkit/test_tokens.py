"""Word tokens: ``split_words`` is ``re.findall(r"\\w+")`` by another road (translate, then split), so every
matcher that reads words (relevance, milestones, stories) sees the same tokens it always did."""

from __future__ import annotations

import random
import re
import sys

from textkit import fold, words
from textkit.tokens import _fold, split_words

_FINDALL = re.compile(r"\w+").findall
_EVERY_CHAR = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_no_word_character_is_a_space_to_str_split() -> None:
    """The reason the two roads agree: ``str.split`` cuts only at spaces, and no space is a word character."""
    assert [c for c in _EVERY_CHAR if _FINDALL(c) and c.isspace()] == []


def test_every_character_between_words_splits_them_and_every_word_character_joins() -> None:
    for char in _EVERY_CHAR:
        assert split_words(f"ab{char}cd") == _FINDALL(f"ab{char}cd"), hex(ord(char))


def test_random_texts_of_every_kind_of_character_split_as_findall() -> None:
    rng = random.Random(17)
    pools = [
        "abc XYZ 019_ñáé-–—.,;:¿?¡!\"'“”«»()[]\n\t\u00a0\u2009\u200b",  # a news text's characters
        "".join(rng.choice(_EVERY_CHAR) for _ in range(3000)),  # anything at all
    ]
    for pool in pools:
        for _ in range(300):
            text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 80)))
            assert split_words(text) == _FINDALL(text), repr(text)


def test_words_are_folded_tokens() -> None:
    text = "La Fiscalía amplió — “por 8 meses” — la investigación (023-2023) en Juliaca…"
    assert words(text) == _FINDALL(fold(text))
    assert words(text) == ["la", "fiscalia", "amplio", "por", "8", "meses", "la", "investigacion", "023", "2023",
                           "en", "juliaca"]
    assert words("") == [] and words(" ¿?¡! ") == []


def test_fold_of_latin1_and_ascii_texts_is_the_spelled_out_fold() -> None:
    """The byte table holds for every Latin-1 character alone and for any text of them (none combines with
    its neighbour); texts with other characters take the spelled-out fold itself."""
    latin1 = [chr(c) for c in range(256)]
    for char in latin1:
        assert fold(char) == _fold(char), hex(ord(char))
    rng = random.Random(3)
    pools = [latin1, [chr(c) for c in range(128)], [*latin1, "\u0301", "\u0303", "“", "—", "ﬁ", "İ", "Ω"]]
    for pool in pools:
        for _ in range(3000):
            text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 60)))
            assert fold(text) == _fold(text), repr(text)
    assert fold("Fiscalía de Cápac: ÑAÑO, Straße, ½") == "fiscalia de capac: nano, strasse, 1⁄2"
