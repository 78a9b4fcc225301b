"""One text in, one explainable decision per case: relevant or not, why, and which legal steps it reports.

The same function serves ingest (every fetched document), `casewatch classify` and the evaluation,
so what a reviewer sees explained is exactly what decided the digest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from config.schema import Case
from pipeline.classify.milestones import Milestone, find_milestones, reported
from pipeline.classify.relevance import Relevance, matcher_for


@dataclass(frozen=True)
class Decision:
    """``steps``: every step the text mentions, with its status (the explanation). ``milestones``: what
    reaches digests, immediate alerts, the timeline and the stored change (milestones.reported: taken
    steps, the primary first, then announced ones; never background or requested)."""

    relevance: Relevance
    steps: tuple[Milestone, ...]

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        return reported(self.steps)

    @property
    def case_id(self) -> str:
        return self.relevance.case_id

    @property
    def relevant(self) -> bool:
        return self.relevance.relevant

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `casewatch classify --json` (docs/architecture.md: case, relevant, score, matched_terms,
        milestones: every step found, {type, label, status, primary, evidence, actors, identifiers, date}
        plus the reason for its status and its sentence; ``reported``: the types that reach readers)."""
        r = self.relevance
        return {
            "case": r.case_id,
            "relevant": r.relevant,
            "score": r.score,
            "threshold": r.threshold,
            "matched_terms": list(r.matched_terms),
            "excluded_by": r.excluded_by,
            "related": list(r.related),
            "explanation": r.explain(),
            "milestones": [m.explain() for m in self.steps],
            "reported": [m.type for m in self.milestones],
        }


StepReader = Callable[[str, str, Case | None, str, datetime | None], tuple[Milestone, ...]]


def read_steps(title: str, text: str, case: Case | None, language: str,
               published: datetime | None) -> tuple[Milestone, ...]:
    """Every step the text mentions, read with a case's actors (or none)."""
    return tuple(find_milestones(title, text, case=case, language=language, published=published))


def decide_case(case: Case, title: str, text: str, *, published: datetime | None = None, language: str = "es",
                steps_in: str | None = None, reader: StepReader = read_steps) -> Decision:
    """The decision for one case, from this case's configuration and the text alone: `classify --case`,
    `classify` over every case, ingest and the evaluation all get a case's answer from here.

    A text not relevant to the case still gets its milestones found against no case, so `classify`
    can show what legal step a text reports even when it is about something else. ``steps_in``: look
    for milestones only there (an edit's added lines), while relevance reads the whole text.
    ``reader``: ``read_steps``, or a memo of it shared by the cases of one text.
    """
    rel = matcher_for(case).match(title, text)
    if steps_in is not None:
        title, text = "", steps_in
    return Decision(rel, reader(title, text, case if rel.relevant else None, language, published))


def decide(cases: Sequence[Case], title: str, text: str, *, published: datetime | None = None,
           language: str = "es", steps_in: str | None = None) -> list[Decision]:
    """``decide_case`` for each case, in case order; the cases the text is not about share one reading."""
    reader = lru_cache(maxsize=None)(read_steps)
    return [decide_case(c, title, text, published=published, language=language, steps_in=steps_in, reader=reader)
            for c in cases]
