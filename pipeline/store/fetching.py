"""What the next crawl of a source fetches: the validators (ETag, Last-Modified, raw hash) that let a
server answer "not modified", and the known documents due for a re-check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from pipeline.store.models import Document, FetchState

Validators = tuple[str | None, str | None, str]  # etag, last_modified, raw_sha256


def known_validators(session: Session, source_id: str, config_sha: str) -> dict[str, Validators]:
    """URL -> (etag, last_modified, raw_sha256) of the source's documents and listing pages."""
    out: dict[str, Validators] = {}
    for state in session.scalars(select(FetchState).where(FetchState.source_id == source_id,
                                                          FetchState.config_sha == config_sha)):
        out[state.url] = (state.etag, state.last_modified, state.raw_sha256)
    q = select(Document.url, Document.etag, Document.last_modified, Document.raw_sha256).where(
        Document.source_id == source_id, Document.raw_sha256.is_not(None), Document.state == "active")
    for url, etag, last_modified, raw in session.execute(q):
        out[url] = (etag, last_modified, raw)
    return out


def save_fetch_states(session: Session, source_id: str, config_sha: str,
                      states: dict[str, Validators], now: datetime) -> None:
    """Upsert the validators of listing/feed URLs after a clean run."""
    existing = {s.url: s for s in session.scalars(select(FetchState).where(FetchState.source_id == source_id))}
    for url, (etag, last_modified, raw) in states.items():
        row = existing.get(url)
        if row is None:
            row = FetchState(source_id=source_id, url=url)
            session.add(row)
        row.etag, row.last_modified, row.raw_sha256 = etag, last_modified, raw
        row.config_sha, row.checked_at = config_sha, now


def touch_documents(session: Session, urls: Iterable[str], now: datetime) -> None:
    """Record a check of documents that answered "not modified" (no version, no change)."""
    keys = list(urls)
    for start in range(0, len(keys), 500):
        session.execute(update(Document).where(Document.url.in_(keys[start:start + 500]))
                        .values(last_checked_at=now, missing_count=0))


@dataclass(frozen=True)
class RevisitTier:
    """Documents first seen in (``seen_after``, ``seen_until``] (None: unbounded) are due when last
    checked before ``checked_before``."""

    seen_after: datetime | None
    seen_until: datetime | None
    checked_before: datetime


def revisit_due(session: Session, source_ids: Iterable[str], tiers: Sequence[RevisitTier],
                limit: int) -> dict[str, list[str]]:
    """Per source, the URLs of known documents due for a re-check, at most ``limit`` per source: pinned
    ones and those that just answered 404/410 once (removal needs a second answer) at every crawl,
    then the rest by age tier, the longest unchecked first."""
    due_by_age = [and_(Document.last_checked_at < t.checked_before,
                       Document.first_seen_at > t.seen_after if t.seen_after is not None else True,
                       Document.first_seen_at <= t.seen_until if t.seen_until is not None else True)
                  for t in tiers]
    out: dict[str, list[str]] = {}
    for source_id in source_ids:
        rows = session.execute(
            select(Document.url)
            .where(Document.source_id == source_id, or_(Document.pinned, Document.missing_count > 0, *due_by_age))
            .order_by(Document.pinned.desc(), (Document.missing_count > 0).desc(), Document.last_checked_at,
                      Document.id).limit(limit)
        ).scalars().all()
        if rows:
            out[source_id] = list(rows)
    return out
