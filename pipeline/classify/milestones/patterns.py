"""Phrase patterns of the milestone rule tables and the index that finds them all in one pass.

A phrase is a sequence of word elements (exact words, stems, alternatives, optional words, gaps,
numbers); the index keys every rule by its first word so a text is read once whatever the number
of rules. Syntax: rules/milestones.es.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from textkit import words

CANDIDATE_CACHE = 10_000  # distinct words remembered by the index (the tuning set has ~10,000)
PAIR_CACHE = 10_000  # (word that starts a rule, next word) pairs remembered


class RuleError(ValueError):
    """A mistake in a rule table, naming the file and the entry."""

@dataclass(frozen=True, slots=True)
class Elem:
    """One position of a phrase: a word (exact or stem, with alternatives), a number, or a gap."""

    words: frozenset[str] = frozenset()
    stems: tuple[str, ...] = ()
    number: bool = False
    optional: bool = False
    gap: int = 0

    def accepts(self, tok: str) -> bool:
        return tok in self.words or (self.number and tok.isdigit()) or tok.startswith(self.stems)


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # step | veto | background | actor | id | a cue kind (CUE_KINDS)
    key: str  # milestone type, actor name, or "kind\tvalue" of an identifier
    priority: int
    phrase: str
    elems: tuple[Elem, ...]


_GAP = re.compile(r"^(?:\.\.\.|…)(\d?)$")


def compile_phrase(phrase: str, where: str) -> list[tuple[Elem, ...]]:
    """Phrase syntax of the rule tables -> element sequences (two when the phrase starts optionally)."""
    elems: list[Elem] = []
    for part in phrase.split():
        if m := _GAP.match(part):
            elems.append(Elem(gap=int(m.group(1) or 3)))
            continue
        optional = part.endswith("?") and len(part) > 1
        part = part.rstrip("?")
        if part == "#":
            elems.append(Elem(number=True, optional=optional))
            continue
        exact: set[str] = set()
        stems: list[str] = []
        alts = part.split("|")
        for alt in alts:
            toks = words(alt.rstrip("*"))
            if not toks:
                raise RuleError(f"{where}: empty alternative in {phrase!r}")
            if alt.endswith("*"):
                if len(toks) != 1 or len(toks[0]) < 3:
                    raise RuleError(f"{where}: a stem needs 3 letters of one word: {alt!r} in {phrase!r}")
                stems.append(toks[0])
            elif len(toks) == 1:
                exact.add(toks[0])
            elif len(alts) == 1 and not optional:  # "023-2023", "won't": the words the text would have
                elems.extend(Elem(words=frozenset([t])) for t in toks)
                continue
            else:
                raise RuleError(f"{where}: {alt!r} is several words; write alternatives word by word in {phrase!r}")
        if exact or stems:
            elems.append(Elem(frozenset(exact), tuple(stems), optional=optional))
    while elems and elems[-1].gap:
        elems.pop()
    if not any(not e.gap and not e.optional for e in elems):
        raise RuleError(f"{where}: {phrase!r} has no required word")
    return _leading_required(elems)


def _leading_required(elems: list[Elem]) -> list[tuple[Elem, ...]]:
    """The index looks phrases up by their first word, which must therefore be required."""
    if elems[0].gap:
        return _leading_required(elems[1:])
    if elems[0].optional:
        first = Elem(elems[0].words, elems[0].stems, elems[0].number)
        return [(first, *elems[1:]), *_leading_required(elems[1:])]
    return [tuple(elems)]


def literal(phrase: str) -> list[tuple[Elem, ...]]:
    """A name from a case definition: its words as written, no pattern syntax."""
    toks = words(phrase)
    return [tuple(Elem(words=frozenset([t])) for t in toks)] if toks else []


def _match(elems: tuple[Elem, ...], k: int, toks: list[str], pos: int, limit: int) -> int:
    """End (exclusive) of the shortest match of ``elems[k:]`` at ``pos``, or -1; never past ``limit``."""
    if k == len(elems):
        return pos
    e = elems[k]
    if e.gap:
        for skip in range(min(e.gap, limit - pos) + 1):
            if (end := _match(elems, k + 1, toks, pos + skip, limit)) >= 0:
                return end
        return -1
    if pos < limit and e.accepts(toks[pos]) and (end := _match(elems, k + 1, toks, pos + 1, limit)) >= 0:
        return end
    return _match(elems, k + 1, toks, pos, limit) if e.optional else -1


@dataclass(frozen=True, slots=True)
class Hit:
    rule: Rule
    start: int
    end: int


class Index:
    """All rules keyed by their first word (exact words in a dict, stems by prefix length)."""

    def __init__(self, rules: Iterable[Rule]):
        self.exact: dict[str, list[Rule]] = {}
        self.stems: dict[str, list[Rule]] = {}
        self.numbers: list[Rule] = []
        for rule in rules:
            first = rule.elems[0]
            for w in first.words:
                self.exact.setdefault(w, []).append(rule)
            for s in first.stems:
                self.stems.setdefault(s, []).append(rule)
            if first.number:
                self.numbers.append(rule)
        self.stem_lengths = tuple(sorted({len(s) for s in self.stems}))

        self._candidates: dict[str, tuple[Rule, ...]] = {}  # per distinct word, filled as texts come
        self._pairs: dict[tuple[str, str | None], tuple[Rule, ...]] = {}  # per pair of words that starts a rule

    def candidates(self, tok: str) -> tuple[Rule, ...]:
        """Rules that may start at this word (cached: a text repeats its words, a corpus too)."""
        found = self._candidates.get(tok)
        if found is None:
            rules = list(self.exact.get(tok, ()))
            for n in self.stem_lengths:
                if n > len(tok):
                    break
                rules += self.stems.get(tok[:n], ())
            if tok.isdigit():
                rules += self.numbers
            found = tuple(dict.fromkeys(rules))
            if len(self._candidates) > CANDIDATE_CACHE:
                self._candidates.clear()
            self._candidates[tok] = found
        return found

    def _tried(self, tok: str, nxt: str | None) -> tuple[Rule, ...]:
        """The rules that may match at a word followed by ``nxt`` (None: the sentence ends): those of one
        word, and those whose second element is optional, a gap, or accepts ``nxt``. Cached per pair:
        most words that start a rule are followed by a word that ends it ("de la", "la policía")."""
        key = (tok, nxt)
        found = self._pairs.get(key)
        if found is None:
            found = tuple(rule for rule in self.candidates(tok) if len(rule.elems) == 1 or rule.elems[1].optional
                          or rule.elems[1].gap or (nxt is not None and rule.elems[1].accepts(nxt)))
            if len(self._pairs) > PAIR_CACHE:
                self._pairs.clear()
            self._pairs[key] = found
        return found

    def scan(self, toks: list[str], sent_end: list[int]) -> list[Hit]:
        """Every rule's matches, in text order (rules in index order at one word)."""
        hits: list[Hit] = []
        known = self._candidates
        for pos, tok in enumerate(toks):
            rules = known.get(tok)
            if rules is None:
                rules = self.candidates(tok)
            if not rules:
                continue
            limit = sent_end[pos]
            for rule in self._tried(tok, toks[pos + 1] if pos + 1 < limit else None):
                elems = rule.elems
                end = _match(elems, 1, toks, pos + 1, limit) if len(elems) > 1 else pos + 1
                if end >= 0:
                    hits.append(Hit(rule, pos, end))
        return hits
