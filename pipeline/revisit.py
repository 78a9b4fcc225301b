"""Which known documents to fetch again: a decaying revisit schedule, and pinned documents always.

A feed or listing shows only its newest items, so an article edited or deleted a week later would go
unnoticed. Edits and removals cluster in a document's first days, so young documents are re-checked
often and old ones rarely (by default: daily for two weeks, weekly until three months, then
monthly). Removal (two 404/410 answers in a row, pipeline.ingest) and restoration are found on these
revisits. The spider skips revisits of documents its listing produced anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from config.schema import RevisitStep
from pipeline.store import repository as repo
from pipeline.store.session import Database


def tiers(steps: Sequence[RevisitStep], now: datetime) -> list[repo.RevisitTier]:
    """The policy's steps as first-seen/last-checked windows at ``now``."""
    out: list[repo.RevisitTier] = []
    younger: datetime | None = None  # documents seen after this belong to earlier steps
    for step in steps:
        seen_after = now - step.younger_than if step.younger_than is not None else None
        out.append(repo.RevisitTier(seen_after=seen_after, seen_until=younger, checked_before=now - step.every))
        younger = seen_after
    return out


def due(db: Database, source_ids: Iterable[str], steps: Sequence[RevisitStep], now: datetime,
        limit: int) -> dict[str, list[str]]:
    """Per source, the URLs to re-check in this crawl (at most ``limit`` each)."""
    if limit <= 0:
        return {}
    with db.read() as session:
        return repo.revisit_due(session, source_ids, tiers(steps, now), limit)
