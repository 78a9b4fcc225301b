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
reports the sketch is the whole set and the Jaccard estimate is exact. In memory a sketch is packed
(``Sketch``: four bytes a hash), since a crawl keeps the sketches of its recent reports to compare with.

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
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from textkit import fold, words

VERSION = 1
LEAD_WORDS = 300  # the headline and lead carry the event; later paragraphs drift into background
STEM_CHARS = 5
SKETCH_SIZE = 256
TITLE_WEIGHT = 0.1
THRESHOLD = 0.34
MIN_TEXT_FEATURES = 25  # fewer stems (a bare headline, a teaser) cannot tell events of one case apart
DATE_TOLERANCE = 2  # days: "ayer" in a late-night story, or a release the morning after the step
SUPPORTED = 0.2  # the text score that, with the same step, date and shared case number or actors, merges
# The classifier's primary step of one event varies between outlets: one reads the prosecutor's
# extension as the investigation itself, another leads with a family's statement. So only steps that
# cannot be one event veto a merge: soft steps (what someone said, testified or reported) never do,
# and the stages of one investigation are one family (the text tells an extension from a formalization).
SOFT_STEPS = frozenset({"statement", "testimony", "report", "forensic", "institutional"})
STEP_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"preliminary_investigation", "investigation_extended", "formal_investigation"}),
)
SHARED_ACTORS = 2  # one shared actor is often an institution every step names (Ministerio Público)

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


_UINT32 = next(code for code in "ILQ" if array(code).itemsize >= 4)  # 'I' wherever C's int has 32 bits


class Sketch:
    """A set of distinct 32-bit hashes, sorted and packed (four bytes each). As a frozenset each hash was
    a Python int and a set slot, ~60 bytes: ~9 KB per report, 17 MB for the 2000 candidates a crawl keeps."""

    __slots__ = ("_hashes",)

    def __init__(self, hashes: Iterable[int] = ()) -> None:
        self._hashes = array(_UINT32, sorted(set(hashes)))  # OverflowError for a value outside 0..2**32-1

    def __len__(self) -> int:
        return len(self._hashes)

    def __iter__(self) -> Iterator[int]:
        return iter(self._hashes)

    def __contains__(self, value: object) -> bool:
        i = bisect_left(self._hashes, value) if isinstance(value, int) else len(self._hashes)
        return i < len(self._hashes) and self._hashes[i] == value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sketch) and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash(self._hashes.tobytes())

    def __repr__(self) -> str:
        return f"Sketch({list(self._hashes)!r})"


@dataclass(frozen=True)
class Signature:
    """What a report is about, compactly: hashed stems of its headline and of headline + lead."""

    title: Sketch
    text: Sketch  # bottom-k sketch: the SKETCH_SIZE smallest hashes
    text_size: int  # how many stems the full set had (the sketch may hold fewer)
    # What happened, from the classifier's milestones: the primary taken step's type and event date,
    # the case numbers (all steps' identifiers) and the actors named. Empty when unknown.
    step: str = ""
    step_date: date | None = None
    identifiers: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    # Who wrote it: the outlet (folded, no spaces) and the folded headline.
    outlet: str = ""
    headline: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"v": VERSION, "title": sorted(self.title), "text": sorted(self.text),
                                "n": self.text_size}
        if self.step:
            data["step"] = [self.step, self.step_date.isoformat() if self.step_date else None]
        if self.identifiers:
            data["ids"] = sorted(self.identifiers)
        if self.actors:
            data["actors"] = sorted(self.actors)
        if self.outlet or self.headline:
            data["outlet"], data["headline"] = self.outlet, self.headline
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Signature | None:
        """None for a missing signature or one made by another algorithm version (not comparable)."""
        if not data or data.get("v") != VERSION:
            return None
        try:
            step = data.get("step") or ["", None]
            return cls(Sketch(int(h) for h in data["title"]), Sketch(int(h) for h in data["text"]),
                       int(data.get("n", len(data["text"]))), step=str(step[0] or ""),
                       step_date=date.fromisoformat(step[1]) if step[1] else None,
                       identifiers=frozenset(str(i) for i in data.get("ids") or ()),
                       actors=frozenset(str(a) for a in data.get("actors") or ()),
                       outlet=str(data.get("outlet") or ""), headline=str(data.get("headline") or ""))
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
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


def _sketch(items: Iterable[str]) -> tuple[Sketch, int]:
    hashes = sorted({_hash(s) for s in items})
    return Sketch(hashes[:SKETCH_SIZE]), len(hashes)


def plain(text: str) -> str:
    """Folded words only: "¿Juliaca: Fiscalía…?" -> "juliaca fiscalia"."""
    return " ".join(words(text))


def _milestone_facts(milestones: Sequence[Mapping[str, Any]]) -> tuple[str, date | None, frozenset[str],
                                                                         frozenset[str]]:
    """(primary taken step type, its event date, case numbers, actors) of a report's milestones."""
    step, when = "", None
    ids: set[str] = set()
    actors: set[str] = set()
    for m in milestones:
        if not isinstance(m, Mapping):
            continue
        status = m.get("status") or "taken"
        if m.get("primary") is True and status == "taken" and not step and m.get("type"):
            step = str(m["type"])
            try:
                when = date.fromisoformat(str(m.get("date"))[:10]) if m.get("date") else None
            except ValueError:
                when = None
        if status == "background":
            continue  # the case's history (an earlier complaint) is no fact of this event
        for ident in m.get("identifiers") or ():
            if isinstance(ident, Mapping) and ident.get("value"):
                ids.add(plain(str(ident["value"])).replace(" ", "-"))
        for actor in m.get("actors") or ():
            name = actor.get("name") if isinstance(actor, Mapping) else actor
            if name:
                actors.add(plain(str(name)))
    return step, when, frozenset(ids), frozenset(actors)


def signature(title: str, text: str, lead_words: int = LEAD_WORDS, *,
              milestones: Sequence[Mapping[str, Any]] = (), outlet: str = "") -> Signature:
    """The signature of a report: its headline, and its headline plus the first ``lead_words`` words;
    with ``milestones`` (as the classifier stores them) and ``outlet``, the facts ``decide`` weighs."""
    lead = " ".join(text.split()[:lead_words])
    title_hashes, _ = _sketch(stems(title))
    text_hashes, size = _sketch(stems(f"{title}\n{lead}"))
    step, when, ids, actors = _milestone_facts(milestones)
    return Signature(title_hashes, text_hashes, size, step=step, step_date=when, identifiers=ids, actors=actors,
                     outlet=plain(outlet).replace(" ", ""), headline=plain(title))


def jaccard(a: Sketch, b: Sketch) -> float:
    """Jaccard estimate of two bottom-k sketches (exact while both sets fit in the sketch): of the
    ``SKETCH_SIZE`` smallest hashes of their union, the share that both hold."""
    if not a or not b:
        return 0.0
    first = set(a)
    both = first.intersection(b)
    size = len(a) + len(b) - len(both)
    if size <= SKETCH_SIZE:  # the union is all in the sketch
        return len(both) / size
    cut = sorted(first.union(b))[SKETCH_SIZE - 1]  # the largest hash of the union's sketch
    return sum(1 for h in both if h <= cut) / SKETCH_SIZE


def similarity(a: Signature, b: Signature) -> float:
    """0..1: how likely two reports tell the same event (compare with ``THRESHOLD``)."""
    return round((1 - TITLE_WEIGHT) * jaccard(a.text, b.text) + TITLE_WEIGHT * jaccard(a.title, b.title), 4)


def steps_conflict(a: str, b: str) -> bool:
    """Two primary steps that cannot be one event (an archiving and a formalization)."""
    if not a or not b or a == b or a in SOFT_STEPS or b in SOFT_STEPS:
        return False
    return not any(a in family and b in family for family in STEP_FAMILIES)


def conflict(a: Signature, b: Signature) -> str | None:
    """Why two reports cannot tell the same event (their facts disagree), or None."""
    if steps_conflict(a.step, b.step):
        return "different steps"
    if a.step_date and b.step_date and abs((a.step_date - b.step_date).days) > DATE_TOLERANCE:
        return "steps on different days"
    if a.identifiers and b.identifiers and not a.identifiers & b.identifiers:
        return "different case numbers"
    return None


def same_facts(a: Signature, b: Signature) -> bool:
    """The same primary step on the same day (within tolerance), with a case number or ``SHARED_ACTORS``
    actors in common."""
    return (bool(a.step) and a.step == b.step and a.step_date is not None and b.step_date is not None
            and abs((a.step_date - b.step_date).days) <= DATE_TOLERANCE
            and (bool(a.identifiers & b.identifiers) or len(a.actors & b.actors) >= SHARED_ACTORS))


def decide(a: Signature, b: Signature) -> float:
    """0..1, compared with ``THRESHOLD``: the text score, overruled by the facts (see the module doc)."""
    if a.outlet and a.outlet == b.outlet and a.headline and a.headline == b.headline:
        return 1.0  # one outlet's report reached twice (its feed and an aggregator)
    if not (a.comparable and b.comparable) or conflict(a, b) is not None:
        return 0.0
    score = similarity(a, b)
    if score < THRESHOLD and score >= SUPPORTED and same_facts(a, b):
        return THRESHOLD
    return score


def same_story(a: Signature, b: Signature, threshold: float = THRESHOLD) -> bool:
    """The two reports tell one event: ``decide`` reaches ``threshold``."""
    return decide(a, b) >= threshold
