"""Is this report the same event another outlet already reported? A compact signature and a similarity.

Five outlets rewriting one prosecutor decision share its facts (names, numbers, the steps still
pending) but not their wording: headlines and leads differ, phrases are paraphrased. Two different
steps of the same case share the case's background instead (Juliaca, Boluarte, 18 muertos, 9 de
enero). So the signature is the *set of content-word stems* of the headline and the first
``LEAD_WORDS`` words: stop words dropped, accents and case folded, each word cut to
``STEM_CHARS`` characters (a cheap Spanish stemmer: amplía / amplió / ampliación -> ``ampli``).
Word n-gram shingles were measured too and separate worse: rewrites rarely keep word order.

The set is kept as a bottom-k MinHash sketch (the ``SKETCH_SIZE`` smallest 32-bit hashes), so it is
bounded and JSON-friendly; a headline plus 300 words rarely has more stems than that, so for news
reports the sketch is the whole set and the Jaccard estimate is exact.

``similarity`` = ``1 - TITLE_WEIGHT`` x Jaccard(text) + ``TITLE_WEIGHT`` x Jaccard(headline). The text
carries the decision: headlines of the same event often share almost nothing ("Ocho meses más: ..."
vs "Ministerio Público prorroga ..."), and headlines of different events share case words.
``THRESHOLD`` was tuned on the reports in tests/support/story_texts.py (asserted in
tests/pipeline/test_stories.py): five outlets on one prosecutor decision score 0.37-0.55 pairwise, two
outlets on one Congress decision 0.59; different steps of the case score at most 0.28 (two prosecutor
decisions written up by the same outlet). A wrong merge would hide a legal step behind "also reported
by", a missed merge only repeats an item, so the threshold sits above the middle of that gap; and a
report joins a story when it is that close to *one* of its reports, so a story tolerates an outlier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.classify.relevance import fold, words

VERSION = 1
LEAD_WORDS = 300  # the headline and lead carry the event; later paragraphs drift into background
STEM_CHARS = 5
SKETCH_SIZE = 256
TITLE_WEIGHT = 0.1
THRESHOLD = 0.34
MIN_TEXT_FEATURES = 25  # fewer stems (a bare headline, a teaser) cannot tell events of one case apart

# Spanish (and a few English) function words and newsroom fillers: they say nothing about the event.
STOP_WORDS = frozenset(fold(w) for w in """
a al algo algun alguna algunas alguno algunos ante antes aquel aquella aquellas aquello aquellos aqui asi
aún aunque bajo cada casi como con contra cual cuales cualquier cuando cuyo de del desde donde dos durante
e el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta estaba estaban estado estan estar
estas este esto estos fue fueron ha habia han hasta hay la las le les lo los mas me mi mientras misma mismo
muy nada ni no nos nosotros o otra otras otro otros para pero poco por porque pues que quien quienes se sea
según ser si sido siempre sin sino sobre su sus tal tambien tan tanto te tiene tienen todo todos tras tu un
una uno unos y ya ahora luego entonces hoy ayer dia dias año años vez veces además dijo señaló indicó
informó afirmó explicó precisó sostuvo añadió asimismo mediante cerca
the of and to in on for with by at from is was are were be been this that it its as an or
""".split())


@dataclass(frozen=True)
class Signature:
    """What a report is about, compactly: hashed stems of its headline and of headline + lead."""

    title: frozenset[int]
    text: frozenset[int]  # bottom-k sketch: the SKETCH_SIZE smallest hashes
    text_size: int  # how many stems the full set had (the sketch may hold fewer)

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "title": sorted(self.title), "text": sorted(self.text), "n": self.text_size}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Signature | None:
        """None for a missing signature or one made by another algorithm version (not comparable)."""
        if not data or data.get("v") != VERSION:
            return None
        try:
            return cls(frozenset(int(h) for h in data["title"]), frozenset(int(h) for h in data["text"]),
                       int(data.get("n", len(data["text"]))))
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def comparable(self) -> bool:
        """Enough text to tell one event of the case from another."""
        return self.text_size >= MIN_TEXT_FEATURES


def stems(text: str) -> list[str]:
    """Folded content-word stems in order: stop words and one- or two-letter words dropped (numbers kept)."""
    return [w[:STEM_CHARS] for w in words(text) if w not in STOP_WORDS and (len(w) > 2 or w.isdigit())]


def _hash(stem: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=4).digest(), "big")


def _sketch(items: Iterable[str]) -> tuple[frozenset[int], int]:
    hashes = sorted({_hash(s) for s in items})
    return frozenset(hashes[:SKETCH_SIZE]), len(hashes)


def signature(title: str, text: str, lead_words: int = LEAD_WORDS) -> Signature:
    """The signature of a report: its headline, and its headline plus the first ``lead_words`` words."""
    lead = " ".join(text.split()[:lead_words])
    title_hashes, _ = _sketch(stems(title))
    text_hashes, size = _sketch(stems(f"{title}\n{lead}"))
    return Signature(title_hashes, text_hashes, size)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard estimate of two bottom-k sketches (exact while both sets fit in the sketch)."""
    if not a or not b:
        return 0.0
    union = sorted(a | b)[:SKETCH_SIZE]
    both = sum(1 for h in union if h in a and h in b)
    return both / len(union)


def similarity(a: Signature, b: Signature) -> float:
    """0..1: how likely two reports tell the same event (compare with ``THRESHOLD``)."""
    return round((1 - TITLE_WEIGHT) * jaccard(a.text, b.text) + TITLE_WEIGHT * jaccard(a.title, b.title), 4)


def same_story(a: Signature, b: Signature, threshold: float = THRESHOLD) -> bool:
    """Both have enough text and are at least ``threshold`` alike."""
    return a.comparable and b.comparable and similarity(a, b) >= threshold
