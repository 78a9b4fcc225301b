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


def _term_pattern(term: str) -> re.Pattern[str]:
    words = fold(term).split()
    body = r"[\s\-–—]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


@dataclass(frozen=True)
class Relevance:
    case_id: str
    score: float
    matched_terms: tuple[str, ...]
    relevant: bool
    excluded_by: str | None = None


class CaseMatcher:
    """Compiled matcher for one case."""

    def __init__(self, case: Case):
        self.case = case
        self._terms = [(t.term, t.weight, _term_pattern(t.term)) for t in case.terms]
        self._exclude = [(e, _term_pattern(e)) for e in case.exclude]

    def match(self, title: str, text: str) -> Relevance:
        haystack = fold(f"{title}\n{text}")
        matched: list[str] = []
        score = 0.0
        for term, weight, pattern in self._terms:
            if pattern.search(haystack):
                matched.append(term)
                score += weight
        excluded = next((e for e, p in self._exclude if p.search(haystack)), None)
        relevant = score >= self.case.threshold and excluded is None
        return Relevance(self.case.id, round(score, 3), tuple(matched), relevant, excluded)


@lru_cache(maxsize=32)
def matcher_for(case: Case) -> CaseMatcher:
    return CaseMatcher(case)


def classify(cases: list[Case] | tuple[Case, ...], title: str, text: str) -> list[Relevance]:
    """Relevance of one document to each case, in case order."""
    return [matcher_for(c).match(title, text) for c in cases]
