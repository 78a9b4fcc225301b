"""clean_text: a text with nothing to replace or remove takes a short path; it must give what the full
steps give (the fingerprint of every stored version is computed from it)."""

from __future__ import annotations

import random
import re
import unicodedata

from pipeline.detect.normalize import clean_text

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\xa0\u2000-\u200a\u202f\u205f\u3000]+")


def _full_steps(text: str) -> str:
    """clean_text as first written: every step on every text."""
    text = unicodedata.normalize("NFC", re.sub(r"[\ud800-\udfff]", "\ufffd", text))
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for line in (_SPACES.sub(" ", line).strip() for line in text.split("\n")):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def test_nfc_keeps_every_lone_surrogate() -> None:
    """Why the short path may look for surrogates after composing."""
    for code in range(0xD800, 0xE000):
        assert chr(code) in unicodedata.normalize("NFC", f"a\u0301{chr(code)}\u0301")


def test_clean_text_equals_the_full_steps() -> None:
    rng = random.Random(11)
    pool = ["a", "B", "é", "e\u0301", "\u212b", " ", " ", "\n", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\xa0",
            "\u2000", "\u2001", "\u200b", "\u2028", "\u202f", "\u3000", "\ufeff", "\ud800", "\udfff", "\ufffd"]
    texts = ["", " ", "\n\n", "a  b", "a\n\n\n\nb", " a \n b ", "Fiscalía de Puno\n\nAmplió la investigación."]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 30))) for _ in range(5000)]
    texts += ["".join(rng.choice(["palabra", " ", "\n", "\n\n", "á"]) for _ in range(50)) for _ in range(1000)]
    for text in texts:
        assert clean_text(text) == _full_steps(text), repr(text)
