"""The four statuses of a step and a verdict on one mention: status, reason, and the verb that decided."""

from __future__ import annotations

from dataclasses import dataclass

TAKEN, ANNOUNCED, REQUESTED, BACKGROUND = "taken", "announced", "requested", "background"
STATUSES = (TAKEN, ANNOUNCED, REQUESTED, BACKGROUND)


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str
    verb: int | None = None  # the word of the verb of action that decided it, when one did
