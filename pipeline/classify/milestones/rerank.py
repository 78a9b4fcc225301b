"""A small learned second opinion on the rules' statuses: taken <-> background when a logistic model is sure.

The rules decide every step's status with a reason; on text by new writers they over-take some steps (a
trial named but not held, a reaction told late) and miss others. A logistic regression over what the rules
said (type, status, the first words of the reason, the verb in it) and where the step stands (headline, lead,
later; the primary's type, other taken steps, language, a dateline, quotes) gives p(taken). Only a confident
disagreement flips: p < 1 - t_demote turns a taken step background, p > t_promote turns a background step
of a type not taken into a taken one. The flipped step's reason keeps the rules' reason and names the
features that weighed most, so `classify` still explains it.

Weights and thresholds: rules/rerank.json, written by eval/rerank_experiment.py (trained on v12-v22 as the
classifier first read them, thresholds by leave-one-set-out; eval/rerank.md has the figures).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

from pipeline.classify.milestones.verdict import BACKGROUND, STATUSES, TAKEN
from textkit.tokens import fold

WEIGHTS = Path(__file__).resolve().parents[1] / "rules" / "rerank.json"
SHOWN = 3  # features named in a flipped step's reason


class Step(Protocol):
    """What the layer reads of a milestone (the Milestone record, or the experiment's cached copy)."""

    @property
    def type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def primary(self) -> bool: ...
    @property
    def evidence(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def sentence(self) -> str: ...


S = TypeVar("S", bound=Step)

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’")
_SENT_END = re.compile(r"[.!?…]\s+(?=[\"“«¿¡(]?[A-ZÁÉÍÓÚÑ])")
_DATELINE = re.compile(r"^\s*\(?[A-ZÁÉÍÓÚÑ][\w.,' ]{1,30}\)?\s*(?:\(\w+\)\s*)?[–—-]\s")  # "Washington, D.C. – "
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")  # "dated 12/2023, long": the rule, not the date
_QUOTE_MARKS = "\"“”«»"


# Background the text itself marks as past or as no step: a date long before publication, a negation, a recall, a
# pluperfect, a recap word ("tras", "two years after"). The layer may doubt a rule that read a noun phrase or a
# reaction, never one of these.
_HARD = re.compile(r"\bdated\b|\bnegated\b|\brecalled\b|\bpluperfect\b|an earlier step|times before|(^|; )recap: ")


def promotable(reason: str) -> bool:
    """Whether the layer may make a step the rules left in the background taken."""
    return not _HARD.search(reason)


def reason_cat(reason: str) -> tuple[str, str]:
    """The rule that decided, in its first words, and the first words of the last part of a chained reason."""
    parts = [p for p in re.split(r"[;:(]", _DIGITS.sub("#", _QUOTED.sub("", reason))) if p.strip()]
    if not parts:
        return "none", "none"
    return " ".join(fold(w) for w in parts[0].split()[:3]), " ".join(fold(w) for w in parts[-1].split()[:3])


def reason_verb(reason: str) -> str | None:
    """The first quoted word group of the reason ("verb of action 'formalizó'"), its last word's first letters."""
    m = _QUOTED.search(reason)
    words = m.group(0).strip("'\"‘’").split() if m else []
    return fold(words[-1])[:6] if words else None


def position(title: str, text: str, sentence: str) -> str:
    """title; body1-2 (the body's first two sentences: the boundary just before the step's sentence is not
    counted, its capital lies past the cut), body3, body4+; unknown when the sentence is not found."""
    if sentence and sentence in title:
        return "title"
    at = text.find(sentence) if sentence else -1
    if at < 0:
        return "unknown"
    n = len(_SENT_END.findall(text[:at]))
    return "body1-2" if n == 0 else "body3" if n == 1 else "body4+"


def sentence_words(sentence: str) -> list[str]:
    """The first five letters of each longer word of the step's sentence ("w=acusa", "w=suspe"): what the
    reason's first words do not say ("fue suspendida", "pidieron que")."""
    return sorted({f"w={fold(w)[:5]}" for w in _WORD.findall(sentence) if len(w) > 3})


def features(title: str, text: str, language: str, steps: Sequence[Step], k: int, words: bool = False) -> list[str]:
    """Named binary features of step k: their weights are the explanation."""
    c = steps[k]
    pos = position(title, text, c.sentence)
    first, last = reason_cat(c.reason)
    prim = next((o for o in steps if o.primary), None)
    others = sum(1 for j, o in enumerate(steps) if j != k and o.status == TAKEN)
    f = ["bias", f"type={c.type}", f"status={c.status}", f"type|status={c.type}|{c.status}",
         f"reason={first}", f"reason_last={last}", f"status|reason={c.status}|{first}",
         f"pos={pos}", f"status|pos={c.status}|{pos}", f"type|pos={c.type}|{pos}",
         f"primary={c.primary}", f"lang={language}", f"lang|status={language}|{c.status}",
         f"other_taken={min(others, 2)}", f"steps={min(len(steps), 4)}"]
    if prim is not None and not c.primary:
        f += [f"primary_type={prim.type}", f"type|primary_type={c.type}|{prim.type}"]
    elif prim is None:
        f.append("no_primary")
    verb = reason_verb(c.reason)
    if verb:
        f.append(f"verb={verb}")
    if ev := c.evidence.split():
        f.append(f"evidence0={fold(ev[0])[:6]}")
    if any(q in c.sentence for q in _QUOTE_MARKS):
        f.append("sentence_quoted")
    if _DATELINE.match(text):
        f.append("dateline")
    if "?" in title:
        f.append("question_title")
    if _YEAR.search(c.sentence):
        f.append("sentence_has_year")
    same_type = sorted({o.status for o in steps if o.type == c.type and o is not c})
    if same_type:
        f.append("type_also_" + "_".join(same_type))
    return f + sentence_words(c.sentence) if words else f


@dataclass(frozen=True)
class Layer:
    weights: dict[str, float]
    t_demote: float  # a taken step with p(taken) below 1 - t_demote becomes background
    t_promote: float  # a background step of a type not taken with p(taken) above t_promote becomes taken
    words: bool = False  # the step's sentence's words are features too (sentence_words)

    def prob(self, feats: Sequence[str]) -> float:
        z = sum(self.weights.get(n, 0.0) for n in feats)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def why(self, feats: Sequence[str], sign: int) -> str:
        """The features that pushed hardest the way the decision went (sign -1: towards background)."""
        named = sorted((n for n in feats if n != "bias" and sign * self.weights.get(n, 0.0) > 0),
                       key=lambda n: -sign * self.weights[n])[:SHOWN]
        return ", ".join(f"{n} {self.weights[n]:+.1f}" for n in named)


@lru_cache(maxsize=1)
def layer() -> Layer:
    """rules/rerank.json, read once."""
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return Layer({str(k): float(v) for k, v in data["weights"].items()}, float(data["t_demote"]),
                 float(data["t_promote"]), bool(data.get("sentence_words", False)))


def rerank(title: str, text: str, language: str, steps: Sequence[S], model: Layer | None = None) -> list[S]:
    """The steps with the layer's confident flips applied, one step per (type, status), the primary first.

    A demoted primary hands the role to the next taken step in the rules' order (a promoted one when none
    is left, the most probable)."""
    model = model or layer()
    feats = [features(title, text, language, steps, k, model.words) for k in range(len(steps))]
    probs = [model.prob(f) for f in feats]
    out = list(steps)
    demoted: set[int] = set()
    for k, (s, p) in enumerate(zip(steps, probs, strict=True)):
        if s.status == TAKEN and p < 1 - model.t_demote:
            out[k] = replace(s, status=BACKGROUND, primary=False,  # type: ignore[type-var]
                             reason=f"learned layer: p(taken) {p:.2f} ({model.why(feats[k], -1)}); "
                                    f"the rules said taken: {s.reason}")
            demoted.add(k)
    taken_types = {s.type for s in out if s.status == TAKEN}
    promoted: dict[str, int] = {}
    for k, (s, p) in enumerate(zip(out, probs, strict=True)):
        if s.status == BACKGROUND and k not in demoted and s.type not in taken_types and p > model.t_promote \
                and promotable(s.reason) \
                and (s.type not in promoted or p > probs[promoted[s.type]]):
            promoted[s.type] = k
    for k in promoted.values():
        s = out[k]
        out[k] = replace(s, status=TAKEN,  # type: ignore[type-var]
                         reason=f"learned layer: p(taken) {probs[k]:.2f} ({model.why(feats[k], 1)}); "
                                f"the rules said background: {s.reason}")
    if not any(s.primary for s in out):
        taken = [k for k, s in enumerate(out) if s.status == TAKEN]
        pick = next((k for k in taken if k not in promoted.values()), None)
        if pick is None and taken:
            pick = max(taken, key=lambda k: probs[k])
        if pick is not None:
            out[pick] = replace(out[pick], primary=True)  # type: ignore[type-var]
    # a demoted step stands for its type's background mention (it carries the explanation)
    drop = {k for k, s in enumerate(out) if k not in demoted and s.status == BACKGROUND
            and any(out[d].type == s.type for d in demoted)}
    kept = [k for k in range(len(out)) if k not in drop]
    kept.sort(key=lambda k: (not out[k].primary, STATUSES.index(out[k].status), k))
    return [out[k] for k in kept]
