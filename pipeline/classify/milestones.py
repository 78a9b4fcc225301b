"""Which legal step of a case a text reports: a complaint filed, an investigation formalized, a ruling.

Digests lead with legal progress, so every document gets a list of milestones, the main one first,
each with the evidence that decided it (the phrase as written), whether the step was taken or only
announced, the identifiers and actors named near it and the day the text gives for it.

The vocabulary lives in rule tables (``rules/milestones.{es,en}.yaml``, syntax documented there),
compiled once into one index so that a text is read in a single pass over its words whatever the
number of rules: a 5,000-word article takes about 10 ms. Each type keeps its best mention; types
rank by priority (specific steps beat generic ones), with a bonus for the title and the lead, a
small one for repeated mentions, and a penalty for steps only announced or only demanded.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from config.schema import MILESTONE_TYPES, Case
from pipeline.classify.dates import DateMention, find_dates, local_date
from pipeline.classify.relevance import fold, words

RULES_DIR = Path(__file__).with_name("rules")
LANGUAGES = ("es", "en")  # every table is applied to every text; the first is the default for labels

# Ranking: a step named in the headline is what the story is about; the lead paragraph comes next.
TITLE_BONUS = 40
LEAD_BONUS = 10
LEAD_WORDS = 60
REPEAT_BONUS = 2  # per further mention of the same type, up to MAX_REPEATS
MAX_REPEATS = 3
ANNOUNCED_PENALTY = 5  # a step still to come ranks below one taken at a similar priority
DEMAND_PENALTY = 70  # a step only demanded from outside the proceedings ranks below any real one

# Windows, in words, never crossing a sentence end for status cues and dates.
CUE_BEFORE = 5
CUE_AFTER = 6
ACTOR_WINDOW = 30
ID_WINDOW = 60
WINDOW_HITS = 3  # the best mentions of a type whose surroundings give its date, actors, identifiers
CANDIDATE_CACHE = 50_000  # distinct words remembered by the index

# Status from verb forms alone: Spanish futures carry the accent ("pedirá", "será", "formalizaré") or
# end in "-remos", so they need no list; conditionals ("podría") share their ending with nouns, and a
# few other words end like futures: those are listed. Preterites ("formalizó", "presentaron") and
# English "-ed" forms mark a step as reported done.
_FUTURE_ENDINGS = ("rá", "rán", "ré", "rás", "remos")
_CONDITIONAL_ENDINGS = ("aría", "ería", "iría", "dría", "bría", "arían", "erían", "irían", "drían", "brían")
_NOT_VERBS = frozenset(
    "extremos supremos remos atras detras "
    "secretaria tesoreria consejeria galeria bateria loteria cafeteria libreria ingenieria ganaderia panaderia "
    "mineria ferreteria maria artilleria infanteria caballeria mensajeria porteria carniceria pizzeria "
    "cerveceria joyeria peluqueria lavanderia zapateria enfermeria papeleria pasteleria floreria "
    "heladeria jugueria conserjeria griteria hechiceria alfareria".split()
)
# After a step, these open another clause whose verb says nothing about the step.
_CLAUSE_BREAKS = frozenset("que y pero aunque mientras donde cuando quien quienes which that and but while who".split())
# A date right after these is a deadline or the event itself, not the day of the step.
_NOT_STEP_DATE_BEFORE = frozenset(
    "hasta desde until till through since plazo deadline muertes muertos fallecidos fallecidas victimas "
    "asesinados heridos masacre matanza hechos sucesos ocurrido ocurridos ocurridas protestas represion "
    "enfrentamientos tragedia aniversario massacre killings deaths dead killed victims events protests "
    "anniversary".split()
)

# A line break inside a paragraph (wrapped text files, PDFs) is not a sentence end; a blank line is.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”»)\]]*\s+(?=[¿¡\"'“«(\[]*[A-ZÁÉÍÓÚÑ])|\n\s*\n")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Milestone:
    """One legal step a text reports, with what a reader needs to trust it and find it again."""

    type: str  # one of config.schema.MILESTONE_TYPES
    label: str  # in the requested language
    identifiers: tuple[dict[str, str], ...]  # {"kind": "carpeta_fiscal", "value": "023-2023"}, near the step
    actors: tuple[str, ...]  # canonical names of the case's people and institutions near the step
    date: date | None  # the day the text gives for the step (not the publication date)
    status: str  # "taken" | "announced"
    evidence: str  # the matched phrase as written in the text

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "identifiers": [dict(i) for i in self.identifiers],
            "actors": list(self.actors),
            "date": self.date.isoformat() if self.date else None,
            "status": self.status,
            "evidence": self.evidence,
        }


class RuleError(ValueError):
    """A mistake in a rule table, naming the file and the entry."""


# ---------------------------------------------------------------------------------------------
# Phrase patterns


@dataclass(frozen=True, slots=True)
class _Elem:
    """One position of a phrase: a word (exact or stem, with alternatives), a number, or a gap."""

    words: frozenset[str] = frozenset()
    stems: tuple[str, ...] = ()
    number: bool = False
    optional: bool = False
    gap: int = 0

    def accepts(self, tok: str) -> bool:
        return tok in self.words or (self.number and tok.isdigit()) or tok.startswith(self.stems)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str  # step | veto | background | actor | id | a cue kind (CUE_KINDS)
    key: str  # milestone type, actor name, or "kind\tvalue" of an identifier
    priority: int
    phrase: str
    elems: tuple[_Elem, ...]


_GAP = re.compile(r"^(?:\.\.\.|…)(\d?)$")


def _compile(phrase: str, where: str) -> list[tuple[_Elem, ...]]:
    """Phrase syntax of the rule tables -> element sequences (two when the phrase starts optionally)."""
    elems: list[_Elem] = []
    for part in phrase.split():
        if m := _GAP.match(part):
            elems.append(_Elem(gap=int(m.group(1) or 3)))
            continue
        optional = part.endswith("?") and len(part) > 1
        part = part.rstrip("?")
        if part == "#":
            elems.append(_Elem(number=True, optional=optional))
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
                elems.extend(_Elem(words=frozenset([t])) for t in toks)
                continue
            else:
                raise RuleError(f"{where}: {alt!r} is several words; write alternatives word by word in {phrase!r}")
        if exact or stems:
            elems.append(_Elem(frozenset(exact), tuple(stems), optional=optional))
    while elems and elems[-1].gap:
        elems.pop()
    if not any(not e.gap and not e.optional for e in elems):
        raise RuleError(f"{where}: {phrase!r} has no required word")
    return _leading_required(elems)


def _leading_required(elems: list[_Elem]) -> list[tuple[_Elem, ...]]:
    """The index looks phrases up by their first word, which must therefore be required."""
    if elems[0].gap:
        return _leading_required(elems[1:])
    if elems[0].optional:
        first = _Elem(elems[0].words, elems[0].stems, elems[0].number)
        return [(first, *elems[1:]), *_leading_required(elems[1:])]
    return [tuple(elems)]


def _literal(phrase: str) -> list[tuple[_Elem, ...]]:
    """A name from a case definition: its words as written, no pattern syntax."""
    toks = words(phrase)
    return [tuple(_Elem(words=frozenset([t])) for t in toks)] if toks else []


def _match(elems: tuple[_Elem, ...], k: int, toks: list[str], pos: int, limit: int) -> int:
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
class _Hit:
    rule: _Rule
    start: int
    end: int


class _Index:
    """All rules keyed by their first word (exact words in a dict, stems by prefix length)."""

    def __init__(self, rules: Iterable[_Rule]):
        self.exact: dict[str, list[_Rule]] = {}
        self.stems: dict[str, list[_Rule]] = {}
        self.numbers: list[_Rule] = []
        for rule in rules:
            first = rule.elems[0]
            for w in first.words:
                self.exact.setdefault(w, []).append(rule)
            for s in first.stems:
                self.stems.setdefault(s, []).append(rule)
            if first.number:
                self.numbers.append(rule)
        self.stem_lengths = tuple(sorted({len(s) for s in self.stems}))

        self._candidates: dict[str, tuple[_Rule, ...]] = {}  # per distinct word, filled as texts come

    def candidates(self, tok: str) -> tuple[_Rule, ...]:
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

    def scan(self, toks: list[str], sent_end: list[int]) -> list[_Hit]:
        hits: list[_Hit] = []
        for pos, tok in enumerate(toks):
            for rule in self.candidates(tok):
                end = _match(rule.elems, 1, toks, pos + 1, sent_end[pos]) if len(rule.elems) > 1 else pos + 1
                if end >= 0:
                    hits.append(_Hit(rule, pos, end))
        return hits


# ---------------------------------------------------------------------------------------------
# Rule tables


@dataclass(frozen=True)
class _Tables:
    rules: tuple[_Rule, ...]
    labels: dict[str, dict[str, str]]  # language -> type -> label
    policies: dict[str, dict[str, str]]  # type -> {"requested": status, "demanded": status}


def _phrases(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise RuleError(f"{where}: expected a list of phrases")
    return value


def _load_table(path: Path) -> tuple[str, list[_Rule], dict[str, str], dict[str, dict[str, str]]]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{name}: cannot read rules: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("milestones"), dict):
        raise RuleError(f"{name}: expected a mapping with language and milestones")
    unknown_keys = set(data) - {"language", "institutions", "milestones", "background", *CUE_KINDS}
    if unknown_keys:
        raise RuleError(f"{name}: {sorted(unknown_keys)[0]}: unknown field")
    if not isinstance(data.get("institutions") or {}, dict):
        raise RuleError(f"{name}: institutions: expected a mapping of canonical name to phrases")
    language = str(data.get("language") or path.suffixes[0].lstrip("."))
    rules: list[_Rule] = []
    labels: dict[str, str] = {}
    policies: dict[str, dict[str, str]] = {}

    def add(kind: str, key: str, priority: int, phrases: list[str], where: str) -> None:
        for i, phrase in enumerate(phrases):
            for elems in _compile(phrase, f"{name}: {where}[{i}]"):
                rules.append(_Rule(kind, key, priority, phrase, elems))

    for cue in CUE_KINDS:
        add(cue, cue, 0, _phrases(data.get(cue), f"{name}: {cue}"), cue)
    add("background", "background", 0, _phrases(data.get("background"), f"{name}: background"), "background")
    for canonical, phrases in (data.get("institutions") or {}).items():
        add("actor", str(canonical), 0, _phrases(phrases, f"{name}: institutions.{canonical}"),
            f"institutions.{canonical}")
    for mtype, spec in data["milestones"].items():
        where = f"milestones.{mtype}"
        if mtype not in MILESTONE_TYPES:
            raise RuleError(f"{name}: {where}: unknown milestone type (known: {', '.join(MILESTONE_TYPES)})")
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str) or not isinstance(
                spec.get("priority"), int):
            raise RuleError(f"{name}: {where}: needs a label and an integer priority")
        unknown = set(spec) - {"label", "priority", "phrases", "weaker", "unless", "requested", "demanded"}
        if unknown:
            raise RuleError(f"{name}: {where}.{sorted(unknown)[0]}: unknown field")
        for key in ("requested", "demanded"):
            if spec.get(key, "announced") not in ("announced", "taken"):
                raise RuleError(f"{name}: {where}.{key}: must be 'announced' or 'taken'")
            policies.setdefault(mtype, {})[key] = spec.get(key, "announced")
        labels[mtype] = spec["label"]
        add("step", mtype, spec["priority"], _phrases(spec.get("phrases"), f"{name}: {where}.phrases"),
            f"{where}.phrases")
        for prio, phrases in (spec.get("weaker") or {}).items():
            if not isinstance(prio, int) or prio >= spec["priority"]:
                raise RuleError(f"{name}: {where}.weaker.{prio}: must be an integer below {spec['priority']}")
            add("step", mtype, prio, _phrases(phrases, f"{name}: {where}.weaker.{prio}"), f"{where}.weaker.{prio}")
        add("veto", mtype, 0, _phrases(spec.get("unless"), f"{name}: {where}.unless"), f"{where}.unless")
    return language, rules, labels, policies


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    rules: list[_Rule] = []
    labels: dict[str, dict[str, str]] = {}
    policies: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        language, table_rules, table_labels, table_policies = _load_table(RULES_DIR / f"milestones.{lang}.yaml")
        missing = set(MILESTONE_TYPES) - set(table_labels)
        if missing:
            raise RuleError(f"milestones.{lang}.yaml: no rules for {', '.join(sorted(missing))}")
        rules += table_rules
        labels[language] = table_labels
        for mtype, policy in table_policies.items():
            if policies.setdefault(mtype, policy) != policy:
                raise RuleError(f"milestones.{lang}.yaml: milestones.{mtype}: requested/demanded differ from "
                                f"milestones.{LANGUAGES[0]}.yaml")
    return _Tables(tuple(rules), labels, policies)


def labels(language: str = "es") -> dict[str, str]:
    """Milestone type -> label in ``language`` (Spanish for languages without a table)."""
    tables = _tables().labels
    return tables.get(language, tables[LANGUAGES[0]])


@lru_cache(maxsize=32)
def _index(case: Case | None) -> _Index:
    """The tables plus one case's people, institutions and case numbers, compiled together.

    Actor and identifier rules of the case carry priority 1, the tables' generic ones 0: where both
    name the same words, the case's own name wins (see _actors)."""
    rules = list(_tables().rules)
    if case is not None:
        for actor in (*case.people, *case.institutions):
            for name in (actor.name, *actor.aliases):
                rules += [_Rule("actor", actor.name, 1, name, e) for e in _literal(name)]
        for number in case.case_numbers:
            for alias in (number.value, *number.aliases):
                rules += [_Rule("id", f"{number.kind}\t{number.value}", 1, alias, e) for e in _literal(alias)]
    return _Index(rules)


# ---------------------------------------------------------------------------------------------
# Identifiers written in the usual ways (the case's own numbers come from its definition)

_NUM = r"\s*(?:(?:n\.?\s?[°º]|nro\.?|no\.|n\.|n[uú]m(?:ero)?\.?|#)\s*)?:?\s*"
_NUM_REQUIRED = r"\s*(?:n\.?\s?[°º]|nro\.?|no\.|n[uú]m(?:ero)?\.?|#)\s*:?\s*"
_ABBREVIATION = r"(?:\s*\([A-Z]{2,4}\))?"  # "denuncia constitucional (DC) N° 509"


@dataclass(frozen=True)
class IdentifierPattern:
    """A regex tried only where one of its trigger words occurs, starting ``back`` words earlier."""

    kind: str
    triggers: frozenset[str]
    regex: re.Pattern[str]
    back: int = 0


def _id(kind: str, triggers: str, pattern: str, back: int = 0) -> IdentifierPattern:
    return IdentifierPattern(kind, frozenset(triggers.split()), re.compile(pattern, re.IGNORECASE), back)


IDENTIFIER_PATTERNS: tuple[IdentifierPattern, ...] = (
    _id("carpeta_fiscal", "carpeta carpetas caso case prosecution",
        r"(?:carpetas?(?:\s+fiscal(?:es)?)?|caso\s+fiscal|(?:case|prosecution)\s+file)" + _NUM
        + r"(?P<v>\d{1,10}(?:-\d{1,4}){1,4})(?![\w-])"),
    _id("denuncia_constitucional", "denuncia denuncias constitutional dc",
        r"(?:denuncias?\s+constitucional(?:es)?" + _ABBREVIATION + r"|constitutional\s+complaints?|(?-i:DC))"
        + _NUM + r"(?P<v>\d{1,5}(?:\s*(?:,|y|e|and)\s*\d{1,5})*)(?![\w/-])"),
    _id("expediente", "expediente expedientes exp",
        r"(?:expedientes?(?:\s+judicial)?|exp\.)" + _NUM + r"(?P<v>\d{1,6}-\d{4}(?:-[0-9a-z]{1,6})*)(?![\w-])"),
    _id("resolucion", "resolucion resoluciones res resolution",
        r"(?:resoluci[oó]n(?:es)?(?:\s+(?:de\s+la\s+fiscal[ií]a\s+de\s+la\s+naci[oó]n|fiscal|administrativa|"
        r"legislativa|suprema|directoral|ministerial|judicial|jefatural))?|res\.|resolution)"
        + _NUM + r"(?P<v>\d{1,5}[-/]\d{2,4}(?:-[a-z][a-z0-9]*)*)(?![\w/-])"),
    _id("resolucion", "mp", r"(?<![\w/-])(?P<v>\d{1,5}-\d{4}-MP-FN(?:-[a-z]+)*)(?![\w-])", back=3),
    _id("proyecto_de_ley", "proyecto proyectos bill pl",
        r"(?:proyectos?\s+de\s+ley" + _ABBREVIATION + r"|bill|(?-i:PL))" + _NUM
        + r"(?P<v>\d{3,5}(?:/\d{4}-CR)?)(?![\w-])"),
    _id("proyecto_de_ley", "cr", r"(?<![\w/-])(?P<v>\d{3,5}/\d{4}-CR)(?![\w-])", back=3),
    _id("informe", "informe informes report",
        r"(?:informes?(?:\s+(?:defensorial|final|de\s+fondo|t[eé]cnico|policial|pericial))?|report)"
        + _NUM_REQUIRED + r"(?P<v>\d{1,5}(?:[-/]\d{2,4})?(?:-[a-z][\w]*)*)(?![\w/-])"),
    _id("informe", "doc", r"Doc\.\s*(?P<v>\d{1,4}/\d{2,4})(?![\w/])"),
    _id("medida_cautelar", "medida medidas precautionary mc",
        r"(?:medidas?\s+cautelar(?:es)?|precautionary\s+measures?|(?-i:MC))" + _NUM
        + r"(?P<v>\d{1,4}-\d{2}(?:\d{2})?)(?![\w-])"),
)
_ID_TRIGGERS: dict[str, tuple[IdentifierPattern, ...]] = {}
for _p in IDENTIFIER_PATTERNS:
    for _t in _p.triggers:
        _ID_TRIGGERS[_t] = (*_ID_TRIGGERS.get(_t, ()), _p)
ID_SPAN_WORDS = 30  # an identifier starts within a few words of its trigger and is never longer than this
_DIGITS = re.compile(r"\d+")
_LIST_SEPARATOR = re.compile(r"\s*(?:,|\by\b|\be\b|\band\b)\s*", re.IGNORECASE)


def _id_key(kind: str, value: str) -> tuple[str, tuple[int, ...]]:
    """Numbers compare by their digit groups: "023-2023" = "23-2023"; "13048" is "13048/2025-CR"."""
    return kind, tuple(int(d) for d in _DIGITS.findall(value))


def _same_id(a: tuple[str, tuple[int, ...]], b: tuple[str, tuple[int, ...]]) -> bool:
    n = min(len(a[1]), len(b[1]))
    return a[0] == b[0] and n > 0 and a[1][:n] == b[1][:n]


# ---------------------------------------------------------------------------------------------
# Reading one text

_FOLDED: dict[str, str] = {}


def _fold_word(word: str) -> str:
    folded = _FOLDED.get(word)
    if folded is None:
        if len(_FOLDED) > CANDIDATE_CACHE:
            _FOLDED.clear()
        folded = _FOLDED[word] = fold(word)
    return folded


@dataclass
class _Doc:
    text: str
    raw: list[str]  # tokens as written
    toks: list[str]  # folded
    starts: list[int]
    ends: list[int]
    sent_start: list[int]  # per token: first token of its sentence
    sent_end: list[int]  # per token: first token after its sentence
    title_tokens: int

    @classmethod
    def read(cls, title: str, text: str) -> _Doc:
        full = f"{title}\n\n{text}" if title else text
        raw, starts, ends = [], [], []
        for m in _TOKEN.finditer(full):
            raw.append(m.group())
            starts.append(m.start())
            ends.append(m.end())
        toks = [_fold_word(w) for w in raw]
        n = len(raw)
        sent_start, sent_end = [0] * n, [n] * n
        first = 0
        i = 0
        for brk in _SENTENCE_END.finditer(full):
            while i < n and starts[i] < brk.start():
                sent_start[i] = first
                i += 1
            if i > first:
                sent_end[first:i] = [i] * (i - first)
                first = i
        sent_start[i:] = [first] * (n - i)
        title_tokens = bisect_right(starts, len(title) - 1) if title else 0
        return cls(full, raw, toks, starts, ends, sent_start, sent_end, title_tokens)

    def token_at(self, char: int) -> int:
        return max(bisect_right(self.starts, char) - 1, 0)

    def span(self, start: int, end: int) -> str:
        return self.text[self.starts[start]:self.ends[end - 1]]

    def sentence(self, pos: int) -> tuple[int, int]:
        return self.sent_start[pos], self.sent_end[pos]


def _verb_mark(doc: _Doc, pos: int) -> str | None:
    """"F" for a future or conditional verb, "T" for a past tense, from the word's form alone."""
    word = doc.raw[pos]
    if len(word) < 4:
        return None
    lower = word.lower()
    if lower.endswith(_FUTURE_ENDINGS):
        # a capitalised "-rán" mid-sentence is a name (Durán, Beltrán, Morán, Irán)
        if lower.endswith("rán") and word[0].isupper() and not word.isupper() and doc.sent_start[pos] != pos:
            return None
        return None if doc.toks[pos] in _NOT_VERBS else "F"
    if lower.endswith(_CONDITIONAL_ENDINGS) and doc.toks[pos] not in _NOT_VERBS:
        return "F"
    if lower.endswith("ó") or (len(lower) >= 6 and lower.endswith(("aron", "ieron"))) or (
            len(lower) >= 5 and lower.endswith("ed") and lower.isascii()):
        return "T"
    return None


# Cue kinds of the rule tables and the mark each leaves on its words.
CUE_KINDS: dict[str, str] = {
    "announced": "A", "future": "F", "requests": "R", "demands": "D", "granted": "T", "taken": "S",
}


class _Marks:
    """Per word: what it says about the status of a step nearby (see CUE_KINDS; "T" a past-tense verb).
    Cue phrases override verb forms. Lazy: only the words around the chosen steps are ever looked at."""

    def __init__(self, doc: _Doc, cues: list[_Hit]):
        self.doc = doc
        self.cues: dict[int, str] = {}
        for hit in cues:
            for pos in range(hit.start, hit.end):
                self.cues[pos] = CUE_KINDS[hit.rule.kind]

    def get(self, pos: int) -> str | None:
        return self.cues[pos] if pos in self.cues else _verb_mark(self.doc, pos)


def _status(doc: _Doc, hit: _Hit, marks: _Marks, policy: dict[str, str]) -> tuple[str, bool, bool]:
    """(status, decided inside the matched phrase, only demanded by others) of one step.

    Inside the phrase: a strong taken cue, then plans and futures, then requests and demands (whose
    status depends on the type: the request *is* an indictment, a demand *is* a statement), then a
    past tense. Around it (same sentence): a strong taken cue before it ("tras la formalización"), else
    the nearest mark; after the phrase only verb forms and requests count ("el proyecto busca..."
    describes the bill, it does not announce it).
    """
    def verdict(mark: str) -> tuple[str, bool]:
        if mark == "R":
            return policy["requested"], False
        if mark == "D":
            return policy["demanded"], policy["demanded"] == "announced"
        return ("announced" if mark in "AF" else "taken"), False

    inside = {marks.get(p) for p in range(hit.start, hit.end)}
    for mark in ("S", "A", "F", "R", "D", "T"):
        if mark in inside:
            status, demanded = verdict(mark)
            return status, True, demanded
    lo, hi = doc.sentence(hit.start)
    lo, hi = max(hit.start - CUE_BEFORE, lo), min(hit.end + CUE_AFTER, hi)
    if any(marks.cues.get(p) == "S" for p in range(lo, hit.start)):
        return "taken", False, False
    for distance in range(1, max(hit.start - lo, hi - hit.end) + 1):
        before, after = hit.start - distance, hit.end - 1 + distance
        if after < hi and doc.toks[after] in _CLAUSE_BREAKS:
            hi = after  # "la denuncia fue remitida al Congreso, que deberá decidir": another verb's clause
        mark = marks.get(before) if before >= lo else None
        if mark is None and after < hi and marks.get(after) in ("F", "T", "R"):
            mark = marks.get(after)
        if mark is not None:
            status, demanded = verdict(mark)
            return status, False, demanded
    return "taken", False, False


class _Dates:
    """Date mentions of one sentence at a time: only the sentences of the chosen steps are read."""

    def __init__(self, doc: _Doc):
        self.doc = doc
        self._by_sentence: dict[int, list[tuple[int, DateMention]]] = {}

    def in_sentence(self, pos: int) -> list[tuple[int, DateMention]]:
        lo, hi = self.doc.sentence(pos)
        if lo not in self._by_sentence:
            begin = self.doc.starts[lo]
            text = self.doc.text[begin:self.doc.ends[hi - 1]]
            self._by_sentence[lo] = [(self.doc.token_at(begin + m.start), m) for m in find_dates(text)]
        return self._by_sentence[lo]


def _step_date(doc: _Doc, hits: list[_Hit], dates: _Dates, event_date: date | None,
               published: datetime | None, announced: Callable[[_Hit], bool]) -> date | None:
    """The day given in the sentence of the step (nearest mention first), skipping deadlines and the event.

    A day without a year lies after publication when its own sentence announces the step ("la
    audiencia será el 20 de octubre"), before it otherwise."""
    for hit in hits:
        lo = doc.sent_start[hit.start]
        for _distance, pos, mention in sorted((abs(p - hit.start), p, m) for p, m in dates.in_sentence(hit.start)):
            if any(doc.toks[p] in _NOT_STEP_DATE_BEFORE for p in range(max(pos - 3, lo), pos)):
                continue
            day = mention.resolve(published, forward=announced(hit))
            if day is not None and day != event_date:
                return day
    return None


def _identifiers(doc: _Doc, id_hits: list[_Hit]) -> list[tuple[int, str, str]]:
    """(word, kind, value) for every identifier; a case's own spelling wins over the generic one."""
    found: list[tuple[int, str, str]] = []
    for hit in id_hits:
        kind, value = hit.rule.key.split("\t", 1)
        found.append((hit.start, kind, value))
    known = [_id_key(k, v) for _, k, v in found]
    last = len(doc.toks) - 1
    for i, tok in enumerate(doc.toks):
        for spec in _ID_TRIGGERS.get(tok, ()):
            begin = doc.starts[max(i - spec.back, 0)]
            m = spec.regex.search(doc.text, begin, doc.ends[min(i + ID_SPAN_WORDS, last)])
            if m is None or (spec.back == 0 and m.start() != begin):
                continue
            for value in _LIST_SEPARATOR.split(m.group("v")):
                value = value.strip().upper()
                key = _id_key(spec.kind, value)
                if value and not any(_same_id(key, k) for k in known):
                    found.append((doc.token_at(m.start("v")), spec.kind, value))
                    known.append(key)
    return sorted(found)


def _actors(actor_hits: list[_Hit]) -> list[tuple[int, str]]:
    """(word, canonical name). Names never overlap: the case's own names first, then the longest, so
    "Fiscalía" inside a case's "Fiscalía de la Nación" or "court" inside "Constitutional Court" give way."""
    taken: list[_Hit] = []
    for hit in sorted(actor_hits, key=lambda h: (-h.rule.priority, h.start - h.end, h.start)):
        if not any(t.start < hit.end and hit.start < t.end for t in taken):
            taken.append(hit)
    return sorted((h.start, h.rule.key) for h in taken)


def find_milestones(title: str, text: str, *, case: Case | None = None, language: str = "es",
                    published: datetime | None = None) -> list[Milestone]:
    """Milestones a text reports, the main one first."""
    doc = _Doc.read(title or "", text or "")
    if not doc.toks:
        return []
    by_kind: dict[str, list[_Hit]] = {}
    for hit in _index(case).scan(doc.toks, doc.sent_end):
        by_kind.setdefault(hit.rule.kind, []).append(hit)
    vetoed: dict[str, set[int]] = {}
    for v in by_kind.get("veto", []):
        vetoed.setdefault(v.rule.key, set()).update(range(v.start, v.end))
    # A title that looks back ("las claves del caso", "cronología") reports no step of its own in the body.
    background = any(h.start < doc.title_tokens for h in by_kind.get("background", []))
    steps: dict[str, list[tuple[float, _Hit]]] = {}
    for hit in by_kind.get("step", []):
        if background and hit.start >= doc.title_tokens:
            continue
        cancel = vetoed.get(hit.rule.key)
        if cancel and not cancel.isdisjoint(range(hit.start, hit.end)):
            continue
        steps.setdefault(hit.rule.key, []).append((_score(doc, hit), hit))
    if not steps:
        return []

    tables = _tables()
    marks = _Marks(doc, [h for kind in CUE_KINDS for h in by_kind.get(kind, [])])
    dates = _Dates(doc)
    event_date = case.event_date if case else None
    published_day = local_date(published)
    names = labels(language)
    ranked: list[tuple[float, int, Milestone, list[_Hit]]] = []
    for mtype, scored in steps.items():
        scored.sort(key=lambda sh: (-sh[0], sh[1].start, sh[1].start - sh[1].end))
        # The best mention in each sentence (several phrases often match one mention): the title's
        # and the lead's mentions both count, so a date or a name given only in the lead is found.
        best_hits: list[_Hit] = []
        sentences: set[int] = set()
        for _, h in scored:
            if len(best_hits) == WINDOW_HITS:
                break
            if doc.sent_start[h.start] not in sentences:
                sentences.add(doc.sent_start[h.start])
                best_hits.append(h)
        best = best_hits[0]
        policy = tables.policies[mtype]
        status, certain, demanded = _status(doc, best, marks, policy)
        day = _step_date(doc, best_hits, dates, event_date, published,
                         lambda h, p=policy: _status(doc, h, marks, p)[0] == "announced")
        if day and published_day and day > published_day and not certain:
            status = "announced"
        distinct = len({h.start for _, h in scored})
        score = scored[0][0] + REPEAT_BONUS * min(distinct - 1, MAX_REPEATS)
        score -= DEMAND_PENALTY if demanded else ANNOUNCED_PENALTY if status == "announced" else 0
        milestone = Milestone(mtype, names.get(mtype, mtype), (), (), day, status, doc.span(best.start, best.end))
        ranked.append((score, best.start, milestone, best_hits))
    ranked.sort(key=lambda r: (-r[0], r[1]))

    actors = _actors(by_kind.get("actor", []))
    identifiers = [(pos, (kind, value)) for pos, kind, value in _identifiers(doc, by_kind.get("id", []))]
    result = []
    for i, (_, _, milestone, best_hits) in enumerate(ranked):
        near_ids = _near(identifiers, best_hits, ID_WINDOW)
        if i == 0 and not near_ids:  # the main step carries the document's numbers
            near_ids = _unique(v for _, v in identifiers)
        result.append(Milestone(
            milestone.type, milestone.label, tuple({"kind": k, "value": v} for k, v in near_ids),
            tuple(_near(actors, best_hits, ACTOR_WINDOW)), milestone.date, milestone.status, milestone.evidence,
        ))
    return result


def _score(doc: _Doc, hit: _Hit) -> float:
    if hit.start < doc.title_tokens:
        return hit.rule.priority + TITLE_BONUS
    if hit.start < doc.title_tokens + LEAD_WORDS:
        return hit.rule.priority + LEAD_BONUS
    return float(hit.rule.priority)


def _near(items: list[tuple[int, Any]], hits: list[_Hit], window: int) -> list[Any]:
    """Values of ``items`` within ``window`` words of any of the hits, in reading order, once each."""
    return _unique(v for pos, v in items if any(h.start - window <= pos < h.end + window for h in hits))


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out
