"""The stored story signatures of recent reports, read in two steps so a caller can keep parsed ones.

A report's signature is written once, with the change (``pipeline.stories.assign_story``), and never
changed: a crawl comparing each relevant report with the last ``limit`` ones reads the keys of those
every time (cheap) and the signatures (JSON, the costly part) only of the reports it has not seen yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pipeline.store.models import Change
from pipeline.store.session import Session


def candidate_keys(session: Session, since: datetime, limit: int) -> list[tuple[int, int, int, datetime]]:
    """(change id, document id, story id, detected at) of the signed reports detected since ``since``, newest first,
    at most ``limit``: the reports ``repository.story_candidates`` returns, in its order."""
    q = (select(Change.id, Change.document_id, Change.story_id, Change.detected_at)
         .where(Change.detected_at >= since, Change.story_id.is_not(None), Change.signature.is_not(None))
         .order_by(Change.detected_at.desc(), Change.id.desc()).limit(limit))
    return [(cid, doc, sid, at) for cid, doc, sid, at in session.execute(q) if sid is not None]


def signatures(session: Session, change_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The stored signature of each of ``change_ids`` (those that have one), by change id."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(change_ids), 500):  # bounded IN lists on both databases
        chunk = list(change_ids[start:start + 500])
        out.update({cid: sig for cid, sig in session.execute(
            select(Change.id, Change.signature).where(Change.id.in_(chunk))) if sig})
    return out
