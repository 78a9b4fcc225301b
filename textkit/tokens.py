"""Folding and word tokens: how every matcher (relevance, milestones, dates, institutions) compares text."""

from __future__ import annotations

import re
import unicodedata

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> str:
    """Lower-case without accents: 'Cápac' and 'CAPAC' compare equal; ñ becomes n too.

    The combining marks are found among the text's distinct non-ASCII characters (a handful) and each is
    dropped with one ``str.replace``: the same result as testing every character, at a fraction of
    the cost on a whole article (this runs on every text every matcher reads)."""
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():  # every combining mark is outside ASCII: only those characters are collected
        for mark in [c for c in set(_NON_ASCII.findall(decomposed)) if unicodedata.combining(c)]:
            decomposed = decomposed.replace(mark, "")
    return decomposed.casefold()


_WORD = re.compile(r"\w+")
# Every ASCII character that is not a word character, to a space (``words`` splits on spaces).
_ASCII_GAPS = str.maketrans({chr(i): " " for i in range(128) if not _WORD.match(chr(i))})


def words(text: str) -> list[str]:
    """Folded word tokens: phrases match across any punctuation or spacing ("023-2023" = "023 2023")."""
    return split_words(fold(text))


def split_words(text: str) -> list[str]:
    """``re.findall(r"\\w+", text)``, at about half its cost on an article (relevance splits every page a
    crawl fetches): every character that is not a word character becomes a space, then ``str.split``.
    The text's few distinct non-ASCII gaps (dashes, quotes) go first with one ``str.replace`` each, so
    ``translate`` runs its ASCII path. The same tokens: no word character is a space to ``str.split``
    (tests/textkit/test_tokens.py checks every code point)."""
    if not text.isascii():
        for char in set(_NON_ASCII.findall(text)):
            if not _WORD.match(char):
                text = text.replace(char, " ")
    return text.translate(_ASCII_GAPS).split()
