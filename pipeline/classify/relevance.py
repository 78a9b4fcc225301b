"""Does a document concern a case? Weighted terms, matched accent- and case-insensitively.

Every decision is explainable: the score is the sum of the weights of the distinct terms found, and
the matched terms are kept with the change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from config.schema import Case


def fold(text: str) -> str:
    """Lower-case without accents: 'Cápac' and 'CAPAC' compare equal; ñ becomes n too."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Folded word tokens: phrases match across any punctuation or spacing ("023-2023" = "023 2023")."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Relevance:
    case_id: str
    score: float
    matched_terms: tuple[str, ...]
    relevant: bool
    excluded_by: str | None = None


class PhraseIndex:
    """Finds which of many phrases occur in a text in one pass over its words (no regex per term)."""

    def __init__(self, phrases: list[str]):
        self._by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, phrase in enumerate(phrases):
            toks = tuple(words(phrase))
            if toks:
                self._by_first.setdefault(toks[0], []).append((i, toks))

    def found(self, toks: list[str]) -> set[int]:
        hits: set[int] = set()
        for pos, tok in enumerate(toks):
            for i, phrase in self._by_first.get(tok, ()):
                if i not in hits and tuple(toks[pos:pos + len(phrase)]) == phrase:
                    hits.add(i)
        return hits


class CaseMatcher:
    """Compiled matcher for one case."""

    def __init__(self, case: Case):
        self.case = case
        self._terms = PhraseIndex([t.term for t in case.terms])
        self._weights = [t.weight for t in case.terms]
        self._exclude = PhraseIndex(list(case.exclude))

    def match(self, title: str, text: str) -> Relevance:
        toks = words(f"{title}\n{text}")
        hits = sorted(self._terms.found(toks))
        matched = tuple(self.case.terms[i].term for i in hits)
        score = sum(self._weights[i] for i in hits)
        excluded = min(self._exclude.found(toks), default=None)
        excluded_by = self.case.exclude[excluded] if excluded is not None else None
        relevant = score >= self.case.threshold and excluded_by is None
        return Relevance(self.case.id, round(score, 3), matched, relevant, excluded_by)


@lru_cache(maxsize=32)
def matcher_for(case: Case) -> CaseMatcher:
    return CaseMatcher(case)


def classify(cases: list[Case] | tuple[Case, ...], title: str, text: str) -> list[Relevance]:
    """Relevance of one document to each case, in case order."""
    return [matcher_for(c).match(title, text) for c in cases]
