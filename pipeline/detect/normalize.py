"""Text normalisation before fingerprinting: what must never count as a change is removed here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\xa0\u2000-\u200a\u202f\u205f\u3000]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_ODD_SPACES = re.compile(r"[\t\xa0\u2000-\u200a\u202f\u205f\u3000]")  # _SPACES but a single space


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.MULTILINE) for p in patterns)


# Any character the steps of clean_text replace or remove: a surrogate, a control character, a carriage return,
# a space other than " ". Most texts (an extracted page) hold none, nor two spaces in a row: one scan, not three.
_WORK = re.compile("[" + "".join(p.pattern[1:-1] for p in (_SURROGATES, _CONTROL, _ODD_SPACES)) + "\r]")


def clean_text(text: str) -> str:
    """Deterministic text: NFC, no control characters or lone surrogates, one space, no blank runs."""
    composed = unicodedata.normalize("NFC", text)  # NFC neither makes nor removes any character _WORK finds
    if "  " not in composed and _WORK.search(composed) is None:
        return _without_blank_runs([line.strip() for line in composed.split("\n")])
    text = _SURROGATES.sub("\ufffd", composed)  # a lone surrogate and U+FFFD compose with nothing: NFC'd once
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if "  " in text or _ODD_SPACES.search(text):
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    else:  # every space already single: _SPACES would change nothing (and costs most of the time)
        lines = [line.strip() for line in text.split("\n")]
    return _without_blank_runs(lines)


def _without_blank_runs(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def is_clean(text: str) -> bool:
    """Whether ``clean_text(text) == text`` is known without cleaning it again: ``text`` came out of
    clean_text and is NFC (removing a control character can leave two characters to compose)."""
    return unicodedata.is_normalized("NFC", text)


def normalize(text: str, ignore_patterns: Sequence[str] = ()) -> str:
    """Clean the text and drop whatever the source's ignore patterns match (counters, 'hace 2 horas')."""
    for pattern in _compiled(tuple(ignore_patterns)):
        text = pattern.sub("", text)
    return clean_text(text)
