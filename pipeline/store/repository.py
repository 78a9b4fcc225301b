"""Queries and updates the rest of casewatch needs, so nothing outside store/ writes SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Update, and_, case, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased, selectinload

from pipeline.store.models import (
    Change,
    ChangeCase,
    CrawlRun,
    Digest,
    DigestItem,
    Document,
    Mark,
    Source,
    Story,
    Subscriber,
    Version,
)
from pipeline.store.subscribers import not_unsubscribed
from pipeline.store.timeline import MilestoneRow, TimelineEntry, merge

# ------------------------------------------------------------------------------ config mirrors


# ------------------------------------------------------------------------------ documents


# ------------------------------------------------------------------------------ crawl runs


# ------------------------------------------------------------------------------ fetch validators


# ------------------------------------------------------------------------------ changes


# ------------------------------------------------------------------------------ digests / outbox


def pending_changes_for(session: Session, subscriber: Subscriber) -> Sequence[Change]:
    """Relevant changes for the subscriber's cases, detected since they subscribed, not yet in a digest."""
    already = select(DigestItem.change_id).where(DigestItem.subscriber_id == subscriber.id)
    q = (
        select(Change)
        .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id.in_(list(subscriber.cases)))))
        .where(Change.relevant.is_(True), Change.withdrawn_at.is_(None))
        .where(Change.detected_at >= subscriber.created_at - timedelta(days=30))
        .where(Change.id.not_in(already))
        .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document))
        .order_by(Change.detected_at, Change.id)
    )
    return session.scalars(q).all()


def digests_since(session: Session, subscriber_id: int, since: datetime) -> int:
    """Emails (of any kind) the subscriber was sent or has pending since ``since``."""
    return session.scalar(select(func.count()).select_from(Digest).where(
        Digest.subscriber_id == subscriber_id, Digest.created_at >= since)) or 0


def immediate_changes_since_last_digest(session: Session, subscriber_id: int,
                                        ) -> list[tuple[Change, datetime | None]]:
    """(change, sent_at) of immediate alerts to the subscriber after their last periodic digest."""
    last = session.scalar(select(func.max(Digest.created_at)).where(
        Digest.subscriber_id == subscriber_id, Digest.kind == "digest"))
    q = (select(Change, Digest.sent_at).join(DigestItem, DigestItem.change_id == Change.id)
         .join(Digest, Digest.id == DigestItem.digest_id)
         .where(Digest.subscriber_id == subscriber_id, Digest.kind == "immediate")
         .options(selectinload(Change.document)).order_by(Digest.created_at, Change.id))
    if last is not None:
        q = q.where(Digest.created_at > last)
    return [(c, sent_at) for c, sent_at in session.execute(q).all()]


BASELINE_DONE_STATUSES = ("ok", "partial")  # a run of these stored the source's baseline


def held_from_alerts(session: Session, change_ids: Iterable[int], subscriber_id: int) -> set[int]:
    """Of ``change_ids``, the changes that must never be an immediate alert to the subscriber (milestone
    guide): found by a source's baseline crawl (no earlier run of that source finished ok or partial:
    old documents fill the timeline, they are not news), or an edit of a document already alerted to them."""
    ids = sorted(set(change_ids))
    held: set[int] = set()
    earlier_run = aliased(CrawlRun)
    alerted = aliased(Change)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        baseline = (select(Change.id).where(Change.id.in_(chunk), Change.run_id.is_not(None))
                    .where(~select(earlier_run.id).where(
                        earlier_run.source_id == Change.source_id, earlier_run.id < Change.run_id,
                        earlier_run.status.in_(BASELINE_DONE_STATUSES)).exists()))
        reedited = (select(Change.id).where(Change.id.in_(chunk), Change.kind.in_(("updated", "restored")))
                    .where(select(alerted.id).join(DigestItem, DigestItem.change_id == alerted.id)
                           .join(Digest, Digest.id == DigestItem.digest_id)
                           .where(alerted.document_id == Change.document_id, alerted.id != Change.id,
                                  Digest.kind == "immediate", Digest.subscriber_id == subscriber_id).exists()))
        held.update(session.scalars(baseline))
        held.update(session.scalars(reedited))
    return held


def digest_exists(session: Session, subscriber_id: int, period: str) -> bool:
    return session.scalar(
        select(func.count()).select_from(Digest).where(Digest.subscriber_id == subscriber_id, Digest.period == period)
    ) > 0


def add_digest(session: Session, digest: Digest, change_ids: Iterable[int]) -> Digest:
    session.add(digest)
    session.flush()
    for cid in change_ids:
        session.add(DigestItem(digest_id=digest.id, change_id=cid, subscriber_id=digest.subscriber_id))
    session.flush()
    return digest


def pending_digests(session: Session) -> Sequence[Digest]:
    return session.scalars(
        select(Digest).where(Digest.status == "pending").options(selectinload(Digest.subscriber)).order_by(Digest.id)
    ).all()


def all_digests(session: Session, limit: int = 100) -> Sequence[Digest]:
    return session.scalars(
        select(Digest).options(selectinload(Digest.subscriber)).order_by(Digest.id.desc()).limit(limit)
    ).all()


def _claimable(now: datetime, lease: timedelta, ignore_backoff: bool) -> ColumnElement[bool]:
    """Pending and due (or any pending when ``ignore_backoff``), or 'sending' under an expired lease; never
    to an unsubscribed subscriber (a row built while they unsubscribed), except the maintainers' health mail."""
    pending = Digest.status == "pending"
    if not ignore_backoff:
        pending = and_(pending, or_(Digest.next_attempt_at.is_(None), Digest.next_attempt_at <= now))
    wanted = or_(Digest.kind == "health", not_unsubscribed(Digest.subscriber_id))
    return and_(or_(pending, and_(Digest.status == "sending", Digest.claimed_at < now - lease)), wanted)


def due_digests(session: Session, now: datetime, lease: timedelta, *, ignore_backoff: bool = False,
                ) -> Sequence[Digest]:
    """Outbox rows a sender may claim at ``now`` (candidates only: the claim decides)."""
    return session.scalars(
        select(Digest).where(_claimable(now, lease, ignore_backoff))
        .options(selectinload(Digest.subscriber)).order_by(Digest.id)
    ).all()


@dataclass(frozen=True)
class Claim:
    """A sender's hold on one outbox row; only the holder of ``token`` may record the outcome."""

    digest_id: int
    token: str
    attempt: int  # this attempt's number (attempts are counted when claimed, so a crashed one counts)


def claim_digest(session: Session, digest_id: int, now: datetime, lease: timedelta, *,
                 ignore_backoff: bool = False) -> Claim | None:
    """Take the row for sending, atomically; None if another sender holds it or it is not due.

    One conditional UPDATE: on SQLite the write transaction holds the lock (BEGIN IMMEDIATE); on
    PostgreSQL a concurrent UPDATE waits for the row lock and re-checks the condition, so exactly
    one of two claimers sees rowcount 1.
    """
    token = uuid.uuid4().hex
    claimed = _updated(session, update(Digest).where(Digest.id == digest_id, _claimable(now, lease, ignore_backoff))
                       .values(status="sending", claimed_at=now, claim_token=token, attempts=Digest.attempts + 1))
    if claimed != 1:
        return None
    attempt = session.scalar(select(Digest.attempts).where(Digest.id == digest_id)) or 1
    return Claim(digest_id, token, attempt)


def _updated(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed (no ORM objects to synchronise: these rows are never loaded)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def _held(claim: Claim) -> ColumnElement[bool]:
    """The row is still ours: 'sending' under our token (a reclaim after lease expiry replaces it)."""
    return and_(Digest.id == claim.digest_id, Digest.status == "sending", Digest.claim_token == claim.token)


def mark_digest_sent(session: Session, claim: Claim, now: datetime, delivered_to: str) -> bool:
    """Record the server's acceptance; False if the claim was lost (lease expired and re-claimed)."""
    return _updated(session, update(Digest).where(_held(claim)).values(
        status="sent", sent_at=now, delivered_to=delivered_to, last_error=None, next_attempt_at=None,
        claimed_at=None, claim_token=None)) == 1


def mark_digest_failed(session: Session, claim: Claim, error: str, next_attempt_at: datetime) -> bool:
    """Back to pending with the error, not before ``next_attempt_at``; False if the claim was lost."""
    return _updated(session, update(Digest).where(_held(claim)).values(
        status="pending", last_error=error[:2000], next_attempt_at=next_attempt_at, claimed_at=None,
        claim_token=None)) == 1


def digest_change_ids(session: Session, digest_id: int) -> list[int]:
    return list(session.scalars(select(DigestItem.change_id).where(DigestItem.digest_id == digest_id)))


# ------------------------------------------------------------------------------ stories


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


def story_candidates(session: Session, since: datetime, limit: int = 2000) -> list[tuple[int, dict[str, Any]]]:
    """(story id, signature) of the signed reports detected since ``since``, newest first, at most ``limit``."""
    q = (select(Change.story_id, Change.signature)
         .where(Change.detected_at >= since, Change.story_id.is_not(None), Change.signature.is_not(None))
         .order_by(Change.detected_at.desc(), Change.id.desc()).limit(limit))
    return [(sid, sig) for sid, sig in session.execute(q) if sid is not None and sig]


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


def stories(session: Session, story_ids: Iterable[int]) -> dict[int, StoryInfo]:
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


# ------------------------------------------------------------------------------ case timeline


def timeline_rows(session: Session, case_id: str) -> list[MilestoneRow]:
    """Every milestone that relevant changes of the case reported (a removal reports nothing new); a
    report found through an aggregator is named by its outlet; ``removed``: its document is gone now."""
    q = (select(Change.id, Change.document_id, Change.detected_at, Document.published_at, Change.source_id,
                func.coalesce(func.nullif(Document.outlet, ""), Source.name), Document.url, Change.title,
                Document.title, Change.story_id, Change.milestones, Document.state)
         .join(Source, Source.id == Change.source_id).join(Document, Document.id == Change.document_id)
         .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
                Change.relevant.is_(True), Change.kind != "removed", Change.withdrawn_at.is_(None))
         .order_by(Change.detected_at, Change.id))
    rows: list[MilestoneRow] = []
    for cid, did, detected, published, src, name, url, title, doc_title, story, milestones, state in \
            session.execute(q):
        for m in milestones or ():  # a JSON list: filtered here, the same way on both databases
            if isinstance(m, dict) and m.get("type"):
                rows.append(MilestoneRow(cid, did, detected, published, src, name, url, title or doc_title,
                                         story, m, removed=state == "removed"))
    return rows


def case_timeline(session: Session, case_id: str) -> list[TimelineEntry]:
    """The case's legal steps by event date, each once with all its sources (pipeline.store.timeline)."""
    return merge(timeline_rows(session, case_id))


# ------------------------------------------------------------------------------ operator status


def outbox_counts(session: Session, sent_since: datetime) -> dict[str, int]:
    """Outbox rows by delivery state: all pending and sending, and those sent since ``sent_since``."""
    counts = dict(session.execute(
        select(Digest.status, func.count()).where(Digest.status.in_(("pending", "sending"))).group_by(Digest.status)
    ).tuples().all())
    sent = session.scalar(select(func.count()).select_from(Digest).where(
        Digest.status == "sent", Digest.sent_at >= sent_since)) or 0
    return {"pending": counts.get("pending", 0), "sending": counts.get("sending", 0), "sent": sent}


def last_digest_created_at(session: Session, kind: str = "digest") -> datetime | None:
    return session.scalar(select(func.max(Digest.created_at)).where(Digest.kind == kind))


# ------------------------------------------------------------------------------ revisits, housekeeping


# ------------------------------------------------------------------------------ evidence: export, re-extraction


@dataclass(frozen=True)
class EvidenceFilter:
    """Which stored versions (by fetch time) or changes (by detection time) an export holds."""

    document_id: int | None = None
    source_id: str | None = None
    case_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _case_document_ids(case_id: str) -> Any:
    """Documents with a (not withdrawn) change relevant to the case."""
    return select(Change.document_id).where(
        Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
        Change.withdrawn_at.is_(None))


def evidence_version_ids(session: Session, flt: EvidenceFilter) -> list[int]:
    """Ids of the versions an evidence export holds, document by document, oldest first.

    Only ids: the bodies are loaded a few at a time (``versions_by_ids``) so a large export streams.
    """
    q = select(Version.id).join(Document, Document.id == Version.document_id)
    if flt.document_id is not None:
        q = q.where(Version.document_id == flt.document_id)
    if flt.source_id:
        q = q.where(Document.source_id == flt.source_id)
    if flt.case_id:
        q = q.where(Version.document_id.in_(_case_document_ids(flt.case_id)))
    if flt.since is not None:
        q = q.where(Version.fetched_at >= flt.since)
    if flt.until is not None:
        q = q.where(Version.fetched_at < flt.until)
    return list(session.scalars(q.order_by(Version.document_id, Version.id)))


def versions_by_ids(session: Session, ids: Sequence[int]) -> list[Version]:
    """The versions (raw bodies included) with their documents, in the order of ``ids``."""
    rows = {v.id: v for v in session.scalars(
        select(Version).where(Version.id.in_(list(ids))).options(selectinload(Version.document)))}
    return [rows[i] for i in ids if i in rows]


def change_ids_by_version(session: Session, version_ids: Sequence[int]) -> dict[int, list[int]]:
    """Version id -> ids of the (not withdrawn) changes that start or end at it."""
    ids = list(version_ids)
    out: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (select(Change.id, Change.from_version_id, Change.to_version_id)
         .where(or_(Change.from_version_id.in_(ids), Change.to_version_id.in_(ids)), Change.withdrawn_at.is_(None))
         .order_by(Change.id))
    for cid, from_id, to_id in session.execute(q):
        for vid in {from_id, to_id}:
            if vid in out:
                out[vid].append(cid)
    return out


def evidence_changes(session: Session, flt: EvidenceFilter) -> list[Change]:
    """The (not withdrawn) changes a report export holds, oldest first, with their versions loaded."""
    q = (select(Change).where(Change.withdrawn_at.is_(None))
         .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
                  selectinload(Change.to_version), selectinload(Change.from_version))
         .order_by(Change.detected_at, Change.id))
    if flt.document_id is not None:
        q = q.where(Change.document_id == flt.document_id)
    if flt.source_id:
        q = q.where(Change.source_id == flt.source_id)
    if flt.case_id:
        q = q.where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == flt.case_id)))
    if flt.since is not None:
        q = q.where(Change.detected_at >= flt.since)
    if flt.until is not None:
        q = q.where(Change.detected_at < flt.until)
    return list(session.scalars(q))


# ------------------------------------------------------------------------------ review page (casewatch.web)
#
# The queries of the review page: a filtered, paginated change log with its total, a document's
# whole history (get_document_by_id, document_versions, document_changes above), the outbox, and
# reviewer verdicts. Withdrawn changes (re-extraction) stay out of the log and the feeds; a document's
# history still lists them, marked.


def outbox_page(session: Session, page: int = 1, per_page: int = 50) -> tuple[list[Digest], int]:
    """Outbox rows, newest first, and their total."""
    total = session.scalar(select(func.count()).select_from(Digest)) or 0
    rows = session.scalars(select(Digest).options(selectinload(Digest.subscriber))
                           .order_by(Digest.id.desc()).limit(per_page).offset((max(1, page) - 1) * per_page))
    return list(rows), total


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.scalars(select(Digest).where(Digest.id == digest_id)
                           .options(selectinload(Digest.subscriber))).one_or_none()


def get_mark(session: Session, name: str) -> datetime | None:
    mark = session.get(Mark, name)
    return mark.at if mark is not None else None


def set_mark(session: Session, name: str, at: datetime) -> None:
    mark = session.get(Mark, name)
    if mark is None:
        session.add(Mark(name=name, at=at))
    else:
        mark.at = at


def stored_value(session: Session, name: str) -> str | None:
    """A value kept in ``marks`` (made once, e.g. a generated key); None when not made yet."""
    mark = session.get(Mark, name)
    return mark.value if mark is not None else None


def store_value(session: Session, name: str, value: str, now: datetime) -> None:
    """Keep ``value`` under ``name``; a concurrent first store raises IntegrityError at flush (re-read then)."""
    session.add(Mark(name=name, at=now, value=value))
    session.flush()
