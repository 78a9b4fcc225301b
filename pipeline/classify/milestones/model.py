"""A milestone as every consumer sees it, and the contract of what reaches digests, alerts, the timeline.

A text mentions several steps; only the one it reports (taken, primary first) and the ones an actor
announces may reach readers. Background and requested steps stay in the explanation (`classify`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Milestone:
    """One legal step a text mentions, with its status, role and the sentence that shows it."""

    type: str  # one of config.schema.MILESTONE_TYPES
    label: str  # in the requested language
    identifiers: tuple[dict[str, str], ...]  # {"kind": "carpeta_fiscal", "value": "023-2023"}, near the step
    actors: tuple[str, ...]  # canonical names of the case's people and institutions near the step
    date: date | None  # the day the text gives for the step (not the publication date)
    status: str  # taken | announced | requested | background
    evidence: str  # the matched phrase as written in the text
    primary: bool = False  # the step the headline and lead report (at most one per text, always taken)
    reason: str = ""  # why it got its status ("verb of action 'formalizó'", "pluperfect 'había' ...")
    sentence: str = ""  # the sentence it was read in

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "status": self.status,
            "primary": self.primary,
            "evidence": self.evidence,
            "actors": list(self.actors),
            "identifiers": [dict(i) for i in self.identifiers],
            "date": self.date.isoformat() if self.date else None,
        }

    def explain(self) -> dict[str, Any]:
        """as_dict plus why: the reason for the status and the sentence it was decided on."""
        return {**self.as_dict(), "reason": self.reason, "sentence": self.sentence}


def reported(milestones: Iterable[Milestone]) -> tuple[Milestone, ...]:
    """What may reach digests, immediate alerts and the timeline: taken steps (the primary first) and
    steps announced (of a type not also taken), never background or requested ones."""
    found = list(milestones)
    taken = sorted((m for m in found if m.status == "taken"), key=lambda m: not m.primary)
    taken_types = {m.type for m in taken}
    announced = [m for m in found if m.status == "announced" and m.type not in taken_types]
    return (*taken, *announced)
