"""Folding and word tokens: how every matcher (relevance, milestones, dates, institutions) compares text."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case without accents: 'Cápac' and 'CAPAC' compare equal; ñ becomes n too."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Folded word tokens: phrases match across any punctuation or spacing ("023-2023" = "023 2023")."""
    return _WORD.findall(fold(text))
