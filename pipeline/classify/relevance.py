"""Does a document concern a case? Weighted terms, matched accent- and case-insensitively.

Every decision is explainable: the score is the sum of the weights of the distinct terms found
(plus ``near`` rules: words that only count close together), and the matched terms are kept with
the change. Each case is decided on its own, from its own configuration: another configured case
matching the same text never changes it (a text about two cases is relevant to both). Only the
case's own look-alikes (``related``: the 2011 Juliaca airport deaths, other regions' cases) demote
a text, and only one about the look-alike rather than the case (``CaseMatcher._about_look_alike``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from config.schema import Case
from textkit import words


@dataclass(frozen=True)
class Relevance:
    case_id: str
    score: float
    matched_terms: tuple[str, ...]
    relevant: bool
    excluded_by: str | None = None
    related: tuple[str, ...] = ()  # look-alike cases (``Case.related``) the text names
    threshold: float = 0.0
    decisive: bool = False  # a single matched term reaches the threshold (the event's name, a victim)
    look_alike: str | None = None  # why the text is about a look-alike rather than this case

    def explain(self) -> str:
        """One line: why the text is (not) about the case."""
        verdict = "relevant" if self.relevant else "not relevant"
        why = f"score {self.score:g} of {self.threshold:g}"
        if self.matched_terms:
            why += ": " + ", ".join(self.matched_terms)
        if self.excluded_by:
            why += f"; excluded by {self.excluded_by!r}"
        if self.look_alike:
            why += f"; {self.look_alike}"
        elif self.related:
            why += f"; also names the related case {', '.join(self.related)}"
        return f"{self.case_id}: {verdict} ({why})"


class PhraseIndex:
    """Finds which of many phrases occur in a text in one pass over its words (no regex per term)."""

    # The first words of every index built in this process, and where they occur in the last text asked
    # (its word tuple, the count of first words then, their positions): the cases of one text share one pass
    # over its thousands of words instead of one each.
    _every_first: ClassVar[set[str]] = set()
    _last: ClassVar[tuple[tuple[str, ...] | None, int, dict[str, list[int]]]] = (None, 0, {})

    def __init__(self, phrases: list[str]):
        self._by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, phrase in enumerate(phrases):
            toks = tuple(words(phrase))
            if toks:
                self._by_first.setdefault(toks[0], []).append((i, toks))
        PhraseIndex._every_first.update(self._by_first)

    def found(self, toks: Sequence[str]) -> set[int]:
        return set(self.positions(toks))

    def positions(self, toks: Sequence[str]) -> dict[int, list[int]]:
        """Phrase index -> word positions where it starts (ascending).

        The positions whose word starts some phrase are picked out first (a set test per word, in a
        comprehension, ``_starts``): most of an article's thousands of words start none, and the per-word
        loop with its look-up was most of matching a case."""
        hits: dict[int, list[int]] = {}
        starts = _starts(toks)
        for word, phrases in self._by_first.items():
            for pos in starts.get(word, ()):
                for i, phrase in phrases:
                    if tuple(toks[pos:pos + len(phrase)]) == phrase:
                        hits.setdefault(i, []).append(pos)
        return hits


def _starts(toks: Sequence[str]) -> dict[str, list[int]]:
    """Where each word that starts a phrase of any index occurs in ``toks``; remembered for the last word tuple
    (a tuple cannot change; ``tokens`` hands every case of a text the same one)."""
    every = PhraseIndex._every_first
    last, known, starts = PhraseIndex._last
    if last is toks and known == len(every):  # the set only grows: the same size is the same words
        return starts
    starts = {}
    for pos in [pos for pos, tok in enumerate(toks) if tok in every]:
        starts.setdefault(toks[pos], []).append(pos)
    if type(toks) is tuple:
        PhraseIndex._last = (toks, len(every), starts)
    return starts


def _close(occurrences: list[list[int]], within: int) -> bool:
    """True if one occurrence of every term fits in a window of ``within`` words."""
    first, *others = occurrences
    for start in first:
        if all(any(abs(p - start) <= within for p in positions) for positions in others):
            return True
    return False


class CaseMatcher:
    """Compiled matcher for one case: terms, near rules, exclusions and related cases in one index."""

    def __init__(self, case: Case):
        self.case = case
        self._weights = [t.weight for t in case.terms]
        near_words = sorted({w for rule in case.near for w in rule.terms})
        related = [(r.id, p) for r in case.related for p in r.phrases]
        phrases = [t.term for t in case.terms] + list(case.exclude) + near_words + [p for _, p in related]
        self._index = PhraseIndex(phrases)
        n_terms, n_excl, n_near = len(case.terms), len(case.exclude), len(near_words)
        self._excl_base, self._near_base, self._rel_base = n_terms, n_terms + n_excl, n_terms + n_excl + n_near
        self._near_pos = {w: self._near_base + i for i, w in enumerate(near_words)}
        self._related = related
        self._needs = {r.id: r.needs if r.needs is not None else case.threshold for r in case.related}

    def match(self, title: str, text: str) -> Relevance:
        return self.match_words(*tokens(title, text))

    def match_words(self, toks: Sequence[str], title_len: int = 0) -> Relevance:
        """Relevance for already tokenised text (several cases share one tokenisation); the first
        ``title_len`` words are the headline."""
        case = self.case
        found = self._index.positions(toks)
        hits = sorted(i for i in found if i < self._excl_base)
        matched = [case.terms[i].term for i in hits]
        weights = [self._weights[i] for i in hits]
        for rule in case.near:
            occurrences = [found.get(self._near_pos[w], []) for w in rule.terms]
            if all(occurrences) and _close(occurrences, rule.within):
                matched.append(" ~ ".join(rule.terms))
                weights.append(rule.weight)
        score = round(sum(weights), 3)
        decisive = any(w >= case.threshold for w in weights)
        excluded = min((i for i in found if self._excl_base <= i < self._near_base), default=None)
        # Exclusions veto everyday look-alikes (traffic, crime, weather), never a text that names
        # the case decisively.
        excluded_by = case.exclude[excluded - self._excl_base] if excluded is not None and not decisive else None
        related = tuple(dict.fromkeys(self._related[i - self._rel_base][0] for i in sorted(found)
                                      if i >= self._rel_base))
        relevant = score >= case.threshold and excluded_by is None
        look_alike = next((why for r in related if (why := self._about_look_alike(r, found, hits, title_len))),
                          None) if relevant else None
        return Relevance(case.id, score, tuple(matched), relevant and look_alike is None, excluded_by, related,
                         case.threshold, decisive, look_alike)

    def _about_look_alike(self, related_id: str, found: dict[int, list[int]], hits: list[int],
                          title_len: int) -> str | None:
        """Why a text naming this look-alike is about it rather than this case, or None when it is this
        case's too. It is the look-alike's when no term of this case is specific enough (``needs``; by
        default a decisive one: the event's name, a victim, the case number), or when its headline
        names the look-alike and nothing that specific of this case: "Prosecutors exhume bodies of
        protesters killed in Macusani" is Macusani's news even if its body recalls "the killings in
        Juliaca". Nothing but this case's own configuration and the text decides."""
        needs = self._needs[related_id]
        if not any(self._weights[i] >= needs for i in hits):
            return f"about the related case {related_id}: no term of this case weighs {needs:g}"
        in_title = any(p < title_len for i, (rid, _) in enumerate(self._related) if rid == related_id
                       for p in found.get(self._rel_base + i, ()))
        if in_title and not any(self._weights[i] >= needs and found[i][0] < title_len for i in hits):
            return (f"about the related case {related_id}: the headline names it and no term of this "
                    f"case weighing {needs:g}")
        return None


@lru_cache(maxsize=1)
def tokens(title: str, text: str) -> tuple[tuple[str, ...], int]:
    """The words of a headline and its text, and how many are the headline's: every case reads the same
    text (decision.decide_case asks once per case), so it is folded and split once, not once per case.
    Only the last text's are kept: an article's words are ~1 MB of string objects."""
    return tuple(words(f"{title}\n{text}")), len(words(title))


@lru_cache(maxsize=32)
def matcher_for(case: Case) -> CaseMatcher:
    return CaseMatcher(case)


def classify(cases: list[Case] | tuple[Case, ...], title: str, text: str) -> list[Relevance]:
    """Relevance of one document to each case, in case order (the text is tokenised once). Each
    case's answer is ``matcher_for(case).match_words`` alone: the same whatever else is configured."""
    toks, title_len = tokens(title, text)
    return [matcher_for(c).match_words(toks, title_len) for c in cases]
