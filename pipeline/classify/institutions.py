"""Which institution acts in a legal step: the classifier's reading of a step's actors, grouped the way
digests report legal progress (prosecutor, judiciary, congress, ...).

Part of classify, not of the digest: the same actor names the milestone finder produces decide the
group, so alerts only read the answer (``acting_institution``) and never match names themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textkit import words

# Which institution acts in a legal step. Actors are the canonical names of
# pipeline/classify/rules/milestones.*.yaml (`institutions`) and of the case files (EFICAVIP, the
# Subcomisión de Acusaciones Constitucionales, ...), matched on accent-free lowercase words; the first
# rule that matches wins, so "Comisión de Fiscalización" is Congress and "Corte IDH" is not the Judiciary.
# People (Dina Boluarte, ...) match nothing.
_INSTITUTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((key, re.compile(pattern)) for key, pattern in (
    ("constitutional_court", r"\btribunal constitucional\b|\bconstitutional (court|tribunal)\b"),
    ("other", r"\bcorte (idh|interamericana)\b|\binter american court\b|\bjunta nacional de justicia\b|\bjnj\b"
              r"|\bpolicia nacional\b|\bpnp\b|\bnaciones unidas\b|\bonu\b|\boacnudh\b|\bunited nations\b|\bohchr\b"),
    ("iachr", r"\bcidh\b|\bcomision interamericana\b|\biachr\b|\binter american commission\b"),
    ("congress", r"\bcongreso\b|\bcongress\b|\bparlamento\b|\bparliament\b|\bsubcomision de acusaciones\b"
                 r"|\bcomision (permanente|de fiscalizacion|de justicia)\b"),
    ("judiciary", r"\bpoder judicial\b|\bjuzgados?\b|\bjue(z|za|ces)\b|\bsala (penal|suprema|superior)\b"
                  r"|\bcorte (superior|suprema)\b|\bjudiciary\b"),
    ("ombudsman", r"\bdefensoria del pueblo\b|\bombuds(man|person)\b"),
    ("prosecutor", r"\bministerio publico\b|\bfiscal\w*|\beficavip\b|\bprosecutor\w*|\bpublic ministry\b"),
))
# When no actor names an institution, an official source speaks for its own.
SOURCE_KIND_INSTITUTIONS = {"prosecutor": "prosecutor", "court": "judiciary", "congress": "congress",
                            "iachr": "iachr", "ombudsman": "ombudsman", "un": "other", "gazette": "other"}


def _words(value: str) -> str:
    """Accent-free lowercase words, for matching institution names."""
    return " ".join(words(value))


def institution_key(name: str) -> str | None:
    """The legal-progress group of an actor name ('Fiscalía de la Nación' -> 'prosecutor'), None for people."""
    folded = _words(name)
    return next((key for key, pattern in _INSTITUTION_RULES if pattern.search(folded)), None)


def acting_institution(actors: Iterable[str], source_kind: str, source_name: str) -> tuple[str, str] | None:
    """(group, display name) of the institution taking a step: the first actor that is an institution
    (actors in reading order, main step first), else the source itself when it is an institution."""
    for actor in actors:
        if key := institution_key(actor):
            return key, actor
    key = SOURCE_KIND_INSTITUTIONS.get(source_kind)
    return (key, source_name) if key else None
