"""Identifiers (case files, constitutional complaints, resolutions, bills, reports, IACHR measures)
and actors named in a text, so each step carries the numbers and names that let a reader find it.

The case's own numbers and names come from its definition (config/cases/*.yaml) and win over the
generic patterns written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import Doc

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



def identifiers(doc: Doc, id_hits: list[Hit]) -> list[tuple[int, str, str]]:
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


def actors(actor_hits: list[Hit]) -> list[tuple[int, str]]:
    """(word, canonical name). Names never overlap: the case's own names first, then the longest, so
    "Fiscalía" inside a case's "Fiscalía de la Nación" or "court" inside "Constitutional Court" give way."""
    taken: list[Hit] = []
    for hit in sorted(actor_hits, key=lambda h: (-h.rule.priority, h.start - h.end, h.start)):
        if not any(t.start < hit.end and hit.start < t.end for t in taken):
            taken.append(hit)
    return sorted((h.start, h.rule.key) for h in taken)

