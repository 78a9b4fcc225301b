"""Scoring of the v2 set: what issue 13 asks `make eval` to report, from labelled items and predictions.

Pure arithmetic on `Outcome`s (no classifier import), so the unit tests check it on hand-made items.
A step counts once per (text, type): type-level precision/recall compare the *set* of taken types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.evalset import Item, Step

NONE = "none"  # a step one side has and the other has not, in the status confusion
TARGETS: dict[str, float] = {
    "relevance_precision": 0.95,
    "relevance_recall": 0.95,
    "taken_precision": 0.90,
    "taken_recall": 0.85,
    "primary_accuracy": 0.90,
    "background_only_clean": 0.95,
}


@dataclass(frozen=True)
class Found:
    """One step the classifier reported, in the shape the labels have."""

    type: str
    status: str
    primary: bool
    evidence: str


def normalise(milestones: Sequence[Any]) -> tuple[Found, ...]:
    """Today's milestones (status taken|announced, main first, no primary flag) and tomorrow's alike.

    A missing status is taken; an explicit boolean ``primary`` on any milestone is used as given,
    otherwise the first taken milestone is the primary one.
    """
    statuses = [getattr(m, "status", None) or "taken" for m in milestones]
    flags = [getattr(m, "primary", None) for m in milestones]
    if any(isinstance(f, bool) for f in flags):
        primary = [f is True for f in flags]
    else:
        first = next((k for k, s in enumerate(statuses) if s == "taken"), None)
        primary = [k == first for k in range(len(milestones))]
    return tuple(Found(str(m.type), s, p, str(getattr(m, "evidence", "") or ""))
                 for m, s, p in zip(milestones, statuses, primary, strict=True))


@dataclass(frozen=True)
class Outcome:
    """What the classifier decided for one item: relevance per configured case and the steps found."""

    item: Item
    relevant: dict[str, bool]
    found: tuple[Found, ...]
    why: dict[str, str] = field(default_factory=dict)  # case id -> one-line relevance explanation

    @property
    def taken_types(self) -> frozenset[str]:
        return frozenset(f.type for f in self.found if f.status == "taken")

    @property
    def primary(self) -> Found | None:
        return next((f for f in self.found if f.primary), None)


@dataclass
class PR:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def __iadd__(self, other: PR) -> PR:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": _round(self.precision), "recall": _round(self.recall)}


@dataclass
class Ratio:
    right: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.right / self.total if self.total else None

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def as_dict(self) -> dict[str, Any]:
        return {"right": self.right, "total": self.total, "value": _round(self.value)}


@dataclass
class Mistakes:
    id: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Scores:
    texts: int = 0
    relevance: PR = field(default_factory=PR)
    per_type: dict[str, PR] = field(default_factory=dict)
    exact_taken: Ratio = field(default_factory=Ratio)  # texts with a taken step: taken types exactly right
    primary: Ratio = field(default_factory=Ratio)  # texts with a labelled primary step: same type found first
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (labelled, found) status
    background_only: Ratio = field(default_factory=Ratio)  # steps but none taken: right = no taken step found
    no_steps: Ratio = field(default_factory=Ratio)  # no step at all: right = no taken step found
    mistakes: list[Mistakes] = field(default_factory=list)

    @property
    def taken(self) -> PR:
        """Micro-average over types."""
        total = PR()
        for pr in self.per_type.values():
            total += pr
        return total

    @property
    def status_accuracy(self) -> Ratio:
        """On steps both sides have (paired by type and place): the same status."""
        pairs = {k: n for k, n in self.confusion.items() if NONE not in k}
        return Ratio(sum(n for (a, b), n in pairs.items() if a == b), sum(pairs.values()))

    def figures(self) -> dict[str, float | None]:
        """The figures that have a target, by TARGETS key."""
        bg = self.background_only.value
        return {
            "relevance_precision": self.relevance.precision, "relevance_recall": self.relevance.recall,
            "taken_precision": self.taken.precision, "taken_recall": self.taken.recall,
            "primary_accuracy": self.primary.value, "background_only_clean": bg,
        }

    def as_dict(self) -> dict[str, Any]:
        figures = self.figures()
        clean = figures["background_only_clean"]
        return {
            "texts": self.texts,
            "relevance": self.relevance.as_dict(),
            "taken_types": {"micro": self.taken.as_dict(), "exact_texts": self.exact_taken.as_dict(),
                            "per_type": {t: pr.as_dict() for t, pr in sorted(self.per_type.items())}},
            "primary_accuracy": self.primary.as_dict(),
            "status_accuracy": self.status_accuracy.as_dict(),
            "status_confusion": {f"{a}->{b}": n for (a, b), n in sorted(self.confusion.items())},
            "background_only": {**self.background_only.as_dict(),
                                "with_taken_step": self.background_only.total - self.background_only.right,
                                "rate_with_taken_step": None if clean is None else _round(1 - clean)},
            "no_steps": {**self.no_steps.as_dict(), "with_taken_step": self.no_steps.total - self.no_steps.right},
            "targets": {k: {"target": t, "value": _round(figures[k]), "met": met(figures[k], t)}
                        for k, t in TARGETS.items()},
        }


def met(value: float | None, target: float) -> bool | None:
    """None when there is nothing to measure (no item of that kind in the split)."""
    return None if value is None else value >= target


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _span(doc: str, evidence: str) -> tuple[int, int] | None:
    if not evidence:
        return None
    at = doc.find(evidence)
    if at < 0:
        at = doc.casefold().find(evidence.casefold())
    return (at, at + len(evidence)) if at >= 0 else None


def pair_steps(item: Item, found: Sequence[Found]) -> list[tuple[Step | None, Found | None]]:
    """Labelled and found steps of the same type, matched first where their evidence overlaps in the
    text, then in reading order; what is left on either side is paired with None."""
    doc = f"{item.title}\n{item.text}"
    end = len(doc)  # steps whose evidence is not found in the text come last
    pairs: list[tuple[Step | None, Found | None]] = []
    for mtype in dict.fromkeys([s.type for s in item.steps] + [f.type for f in found]):
        gold = [(s, _span(doc, s.evidence)) for s in item.steps if s.type == mtype]
        got = [(f, _span(doc, f.evidence)) for f in found if f.type == mtype]
        for g in list(gold):
            hit = next((x for x in got if g[1] and x[1] and g[1][0] < x[1][1] and x[1][0] < g[1][1]), None)
            if hit is not None:
                pairs.append((g[0], hit[0]))
                gold.remove(g)
                got.remove(hit)
        gold.sort(key=lambda x: x[1][0] if x[1] else end)
        got.sort(key=lambda x: x[1][0] if x[1] else end)
        for k in range(max(len(gold), len(got))):
            pairs.append((gold[k][0] if k < len(gold) else None, got[k][0] if k < len(got) else None))
    return pairs


def _show(f: Found) -> str:
    return f"{f.type} ({f.status}) <- {f.evidence!r}" if f.evidence else f"{f.type} ({f.status})"


def score(outcomes: Iterable[Outcome], case_ids: Sequence[str]) -> Scores:
    """Every figure of issue 13 over the given outcomes; relevance over the configured case ids."""
    s = Scores()
    for out in outcomes:
        item, found = out.item, out.found
        s.texts += 1
        wrong = Mistakes(item.id, item.title)
        for case_id in case_ids:
            truth, said = case_id in item.cases, out.relevant.get(case_id, False)
            s.relevance.tp += truth and said
            s.relevance.fp += said and not truth
            s.relevance.fn += truth and not said
            if truth != said:
                kind = "FALSE" if said else "MISSED"
                wrong.lines.append(f"relevance {kind} {out.why.get(case_id, case_id)}")
        want, got = item.taken_types, out.taken_types
        for mtype in want | got:
            pr = s.per_type.setdefault(mtype, PR())
            pr.tp += mtype in want and mtype in got
            pr.fp += mtype in got and mtype not in want
            pr.fn += mtype in want and mtype not in got
        if want:
            s.exact_taken.add(want == got)
        for f in found:
            if f.status == "taken" and f.type not in want:
                wrong.lines.append(f"taken extra: {_show(f)}")
        for step in item.steps:
            if step.status == "taken" and step.type not in got:
                wrong.lines.append(f"taken missed: {step.type} ({step.evidence!r})")
        primary = out.primary
        if item.primary_type is not None:
            s.primary.add(primary is not None and primary.type == item.primary_type)
            if primary is None or primary.type != item.primary_type:
                wrong.lines.append(f"primary: found {_show(primary) if primary else 'none'}, "
                                   f"labelled {item.primary_type}")
        for step, f in pair_steps(item, found):
            s.confusion[(step.status if step else NONE, f.status if f else NONE)] += 1
            if step and f and step.status != f.status:
                wrong.lines.append(f"status: {step.type} found {f.status}, labelled {step.status} "
                                   f"({step.evidence!r})")
        if item.background_only:
            s.background_only.add(not got)
        elif not item.steps:
            s.no_steps.add(not got)
        if (item.background_only or not item.steps) and got:
            wrong.lines.append(f"no step is taken here, found taken {', '.join(sorted(got))}")
        if wrong.lines:
            s.mistakes.append(wrong)
    return s

