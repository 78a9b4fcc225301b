"""Stories: the same event reported by several sources, grown one report at a time, read back with
every outlet that reported it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from pipeline.store.models import Change, Document, Source, Story


@dataclass(frozen=True)
class StoryReport:
    """One outlet's report of a story (its first version: the ``new`` change)."""

    story_id: int
    change_id: int
    document_id: int
    source_id: str
    source_name: str
    source_kind: str
    url: str
    title: str
    detected_at: datetime


@dataclass(frozen=True)
class StoryInfo:
    id: int
    title: str
    size: int
    reports: tuple[StoryReport, ...]

    @property
    def source_ids(self) -> list[str]:
        """Each source once, in the order they reported the story."""
        return list(dict.fromkeys(r.source_id for r in self.reports))


def candidate_keys(session: Session, since: datetime, limit: int) -> list[tuple[int, int, int, datetime]]:
    """(change id, document id, story id, detected at) of the signed reports detected since ``since``, newest first,
    at most ``limit``. Keys only: a caller keeps the signatures it parsed (pipeline.stories)."""
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


def add_story(session: Session, title: str, now: datetime) -> Story:
    story = Story(title=title, first_seen_at=now, last_seen_at=now, size=1)
    session.add(story)
    session.flush()
    return story


def grow_story(session: Session, story_id: int, now: datetime) -> None:
    """One more report: counted in SQL, so two writers joining at once both count."""
    session.execute(update(Story).where(Story.id == story_id).values(
        size=Story.size + 1,
        last_seen_at=case((Story.last_seen_at < now, now), else_=Story.last_seen_at)))


def document_story_id(session: Session, document_id: int) -> int | None:
    """The story a document's earlier report joined (its later versions stay in it)."""
    q = (select(Change.story_id).where(Change.document_id == document_id, Change.story_id.is_not(None))
         .order_by(Change.id.desc()).limit(1))
    return session.scalar(q)


def stories_by_id(session: Session, story_ids: Iterable[int]) -> dict[int, StoryInfo]:
    """The stories with their reports (one per document, in detection order); a report found through an
    aggregator is named by its outlet (Infobae, not Google News)."""
    ids = sorted({i for i in story_ids if i is not None})
    out: dict[int, StoryInfo] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.execute(
            select(Change.story_id, Change.id, Change.document_id, Change.source_id,
                   func.coalesce(func.nullif(Document.outlet, ""), Source.name), Source.kind,
                   Document.url, Change.title, Change.detected_at)
            .join(Source, Source.id == Change.source_id).join(Document, Document.id == Change.document_id)
            .where(Change.story_id.in_(chunk))
            .order_by(Change.detected_at, Change.id))
        reports: dict[int, dict[int, StoryReport]] = {i: {} for i in chunk}
        for sid, cid, did, src, name, kind, url, title, detected in rows:
            reports[sid].setdefault(did, StoryReport(sid, cid, did, src, name, kind, url, title, detected))
        for story in session.scalars(select(Story).where(Story.id.in_(chunk))):
            out[story.id] = StoryInfo(story.id, story.title, story.size, tuple(reports[story.id].values()))
    return out
