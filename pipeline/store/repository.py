"""Queries and updates the rest of casewatch needs, so nothing outside store/ writes SQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Update, and_, case, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased, defer, selectinload

from config.schema import Source as SourceConfig
from config.schema import Subscriber as SubscriberConfig
from pipeline.store.bodies import forget_unused
from pipeline.store.models import (
    Change,
    ChangeCase,
    CrawlRun,
    Digest,
    DigestItem,
    Document,
    FetchState,
    HealthEvent,
    Mark,
    Review,
    Source,
    Story,
    Subscriber,
    Unsubscribe,
    Version,
)
from pipeline.store.timeline import MilestoneRow, TimelineEntry, merge

# ------------------------------------------------------------------------------ config mirrors


def sync_sources(session: Session, sources: Iterable[SourceConfig], now: datetime) -> None:
    """Mirror configured sources into the database (rows are kept when a source leaves config)."""
    existing = {s.id: s for s in session.scalars(select(Source))}
    for cfg in sources:
        row = existing.get(cfg.id)
        if row is None:
            session.add(
                Source(id=cfg.id, name=cfg.name, kind=cfg.kind, spider=cfg.spider, enabled=cfg.enabled,
                       created_at=now, updated_at=now)
            )
        elif (row.name, row.kind, row.spider, row.enabled) != (cfg.name, cfg.kind, cfg.spider, cfg.enabled):
            row.name, row.kind, row.spider, row.enabled, row.updated_at = (
                cfg.name, cfg.kind, cfg.spider, cfg.enabled, now)


def sync_subscribers(session: Session, subscribers: Iterable[SubscriberConfig], now: datetime) -> None:
    """Mirror configured subscribers; ones removed from config become inactive, never deleted."""
    existing = {s.email.lower(): s for s in session.scalars(select(Subscriber))}
    seen = set()
    for cfg in subscribers:
        key = cfg.email.lower()
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(Subscriber(email=cfg.email, name=cfg.name, language=cfg.language, cases=list(cfg.cases),
                                   frequency=cfg.frequency, active=True, created_at=now))
        else:
            row.name, row.language, row.cases, row.frequency, row.active = (
                cfg.name, cfg.language, list(cfg.cases), cfg.frequency, True)
    for key, row in existing.items():
        if key not in seen:
            row.active = False


# ------------------------------------------------------------------------------ documents


def get_document(session: Session, url: str) -> Document | None:
    return session.scalars(select(Document).where(Document.url == url)).one_or_none()


IN_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit
OUTLET_MATCH_DOCUMENTS = 5000  # the newest documents an unresolved aggregator headline is compared with


def _plain(text: str) -> str:
    """Accent-, case- and punctuation-free words: "¿Juliaca: Fiscalía…?" = "juliaca fiscalia"."""
    from textkit import fold

    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


def outlet_headline_document(session: Session, outlet: str, title: str, *,
                             exclude_source: str | None = None) -> Document | None:
    """A stored article of ``outlet`` (its source's name or the document's outlet, one naming the other:
    "El Comercio Perú" is "El Comercio") with the same normalised headline: what an aggregator's
    unresolved result points at."""
    want_outlet, want_title = _plain(outlet), _plain(title)
    if not want_outlet or not want_title:
        return None
    # Three columns of the recent documents, not whole rows: one aggregator result is compared with
    # thousands of them, and only the match is loaded.
    q = (select(Document.id, Document.title, Document.outlet, Source.name)
         .join(Source, Source.id == Document.source_id)
         .order_by(Document.id.desc()).limit(OUTLET_MATCH_DOCUMENTS))
    if exclude_source is not None:
        q = q.where(Document.source_id != exclude_source)
    for doc_id, doc_title, doc_outlet, source_name in session.execute(q):
        if _plain(doc_title or "") == want_title and any(
                _same_outlet(want_outlet, _plain(name)) for name in (doc_outlet or "", source_name)):
            return session.get(Document, doc_id)
    return None


def _same_outlet(a: str, b: str) -> bool:
    """"el comercio peru" (Google's name) is "el comercio" (the source's): one names the other, word-wise."""
    return bool(a and b) and (a == b or a.startswith(b + " ") or b.startswith(a + " "))


def latest_version(session: Session, document_id: int) -> Version | None:
    return session.scalars(
        select(Version).where(Version.document_id == document_id).order_by(Version.id.desc()).limit(1)
    ).one_or_none()


def current_version(session: Session, document_id: int) -> Version | None:
    """The version the site showed at its last stored or matched fetch: the newest change's
    ``to_version`` (a ``reverted`` change points back at an older version), else the newest version."""
    shown = session.scalar(select(Change.to_version_id).where(
        Change.document_id == document_id, Change.to_version_id.is_not(None)).order_by(Change.id.desc()).limit(1))
    return session.get(Version, shown) if shown is not None else latest_version(session, document_id)


def version_with_sha(session: Session, document_id: int, sha256: str) -> Version | None:
    """The newest stored version of the document with this text fingerprint, if any."""
    return session.scalars(select(Version).where(Version.document_id == document_id, Version.sha256 == sha256)
                           .order_by(Version.id.desc()).limit(1)).one_or_none()


# ------------------------------------------------------------------------------ crawl runs


def start_run(session: Session, source_id: str, now: datetime) -> CrawlRun:
    run = CrawlRun(source_id=source_id, started_at=now, status="running", pid=os.getpid())
    session.add(run)
    session.flush()
    return run


def record_failed_run(session: Session, source_id: str, started: datetime, now: datetime, error: str) -> CrawlRun:
    """A run that failed before it could crawl: refused by its spider, or killed while starting up."""
    run = CrawlRun(source_id=source_id, started_at=started, finished_at=now, status="failed", error=error, errors=1,
                   pid=os.getpid())
    session.add(run)
    session.flush()
    return run


def close_stale_runs(session: Session, source_id: str, now: datetime, reason: str | None = None) -> int:
    """Runs left 'running' by a killed process are closed as failed, so health stays truthful.

    ``reason`` says why when the caller knows (the scheduler killed it at its time limit)."""
    stale = session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
    ).all()
    for run in stale:
        if run.pid and run.pid != os.getpid() and _alive(run.pid):
            continue
        run.status, run.finished_at = "failed", now
        run.error = reason or run.error or "interrupted: the crawl process ended before finishing"
    return len(stale)


def child_runs(session: Session, source_id: str, pid: int, since: datetime) -> list[CrawlRun]:
    """The runs one crawl process (``pid``, started at ``since``) opened for ``source_id``, oldest first."""
    return list(session.scalars(select(CrawlRun).where(
        CrawlRun.source_id == source_id, CrawlRun.pid == pid, CrawlRun.started_at >= since - timedelta(seconds=1),
    ).order_by(CrawlRun.id)))


def close_run(session: Session, run: CrawlRun, status: str, error: str, now: datetime) -> None:
    """Close a run its process left open (killed, or stopped with the scheduler)."""
    run.status, run.finished_at, run.error = status, now, error
    if status != "cancelled":
        run.errors = max(run.errors or 0, 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_runs(session: Session) -> dict[str, CrawlRun]:
    """The latest finished-or-running run of every source."""
    latest = select(CrawlRun.source_id, func.max(CrawlRun.id).label("id")).group_by(CrawlRun.source_id).subquery()
    rows = session.scalars(select(CrawlRun).join(latest, CrawlRun.id == latest.c.id))
    return {r.source_id: r for r in rows}


def recent_finished_runs(session: Session, source_id: str, limit: int) -> list[CrawlRun]:
    """The latest finished runs of a source, newest first."""
    q = (select(CrawlRun)
         .where(CrawlRun.source_id == source_id, CrawlRun.status.in_(("ok", "partial", "failed", "empty")))
         .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit))
    return list(session.scalars(q))


def get_source(session: Session, source_id: str) -> Source | None:
    return session.get(Source, source_id)


def all_sources(session: Session) -> dict[str, Source]:
    return {s.id: s for s in session.scalars(select(Source))}


def unhealthy_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).where(Source.health == "unhealthy").order_by(Source.id)))


def health_events(session: Session) -> list[HealthEvent]:
    return list(session.scalars(select(HealthEvent).order_by(HealthEvent.id)))


# ------------------------------------------------------------------------------ fetch validators

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


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


# ------------------------------------------------------------------------------ changes


@dataclass(frozen=True)
class ChangeFilter:
    since: datetime | None = None
    source_id: str | None = None
    case_id: str | None = None
    kind: str | None = None
    milestone: str | None = None
    relevant_only: bool = False
    limit: int | None = None
    # Changes withdrawn by re-extraction are records, not news: left out unless asked for.
    include_withdrawn: bool = False


def list_changes(session: Session, flt: ChangeFilter) -> Sequence[Change]:
    """The CLI's change log: the review page's filters (``_change_conditions``), newest first."""
    query = ChangeQuery(case_id=flt.case_id, source_id=flt.source_id, kind=flt.kind, milestone=flt.milestone,
                        since=flt.since, relevant_only=flt.relevant_only, include_withdrawn=flt.include_withdrawn)
    statement = _change_log(_change_conditions(session, query))
    return session.scalars(statement.limit(flt.limit) if flt.limit else statement).all()


def get_change(session: Session, change_id: int) -> Change | None:
    return session.scalars(
        select(Change)
        .where(Change.id == change_id)
        .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
                 selectinload(Change.to_version), selectinload(Change.from_version))
    ).one_or_none()


def count_versions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Version)) or 0


def count_changes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Change)) or 0


# ------------------------------------------------------------------------------ digests / outbox


def active_subscribers(session: Session) -> Sequence[Subscriber]:
    """Configured subscribers who still want mail (not unsubscribed through their link)."""
    return session.scalars(select(Subscriber).where(Subscriber.active.is_(True), _not_unsubscribed(Subscriber.id))
                           .order_by(Subscriber.id)).all()


def _not_unsubscribed(subscriber_id: Any) -> ColumnElement[bool]:
    return subscriber_id.not_in(select(Unsubscribe.subscriber_id))


def all_subscribers(session: Session) -> Sequence[Subscriber]:
    """Every subscriber row, configured or not (an unsubscribe link names any of them)."""
    return session.scalars(select(Subscriber).order_by(Subscriber.id)).all()


def is_unsubscribed(session: Session, subscriber_id: int) -> bool:
    return session.get(Unsubscribe, subscriber_id) is not None


def unsubscribe(session: Session, subscriber_id: int, now: datetime) -> bool:
    """Record the subscriber's opt-out (False: already recorded) and drop their unsent mail.

    Their pending outbox rows (not a row a sender holds right now) are deleted: they were never sent,
    and the changes in them go to the subscriber again only if the operator resubscribes them.
    """
    if is_unsubscribed(session, subscriber_id):
        return False
    session.add(Unsubscribe(subscriber_id=subscriber_id, created_at=now))
    for digest in session.scalars(select(Digest).where(Digest.subscriber_id == subscriber_id,
                                                       Digest.status == "pending", Digest.kind != "health")):
        session.delete(digest)
    session.flush()
    return True


def resubscribe(session: Session, email: str) -> bool:
    """The operator's undo of an opt-out; False when the address had not unsubscribed."""
    sub = subscriber_by_email(session, email)
    row = session.get(Unsubscribe, sub.id) if sub is not None else None
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def unsubscribed(session: Session) -> dict[str, datetime]:
    """Address -> when it unsubscribed, for `casewatch status`."""
    rows = session.execute(select(Subscriber.email, Unsubscribe.created_at)
                           .join(Unsubscribe, Unsubscribe.subscriber_id == Subscriber.id).order_by(Subscriber.email))
    return {email: at for email, at in rows.all()}


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


def subscriber_by_email(session: Session, email: str) -> Subscriber | None:
    return session.scalars(select(Subscriber).where(func.lower(Subscriber.email) == email.lower())).one_or_none()


def digests_since(session: Session, subscriber_id: int, since: datetime) -> int:
    """Emails (of any kind) the subscriber was sent or has pending since ``since``."""
    return session.scalar(select(func.count()).select_from(Digest).where(
        Digest.subscriber_id == subscriber_id, Digest.created_at >= since)) or 0


def last_finished_run_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(CrawlRun.finished_at)))


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


def recipient(session: Session, email: str, now: datetime) -> Subscriber:
    """The row an email address receives outbox messages through (a maintainer gets an inactive one)."""
    row = session.scalars(select(Subscriber).where(func.lower(Subscriber.email) == email.lower())).one_or_none()
    if row is None:
        row = Subscriber(email=email, name="", language="en", cases=[], frequency="maintainer", active=False,
                         created_at=now)
        session.add(row)
        session.flush()
    return row


def health_events_since(session: Session, since: datetime) -> list[HealthEvent]:
    q = select(HealthEvent).where(HealthEvent.created_at >= since).order_by(HealthEvent.id)
    return list(session.scalars(q))


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
    wanted = or_(Digest.kind == "health", _not_unsubscribed(Digest.subscriber_id))
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


def document_primary_step(session: Session, document_id: int) -> dict[str, Any] | None:
    """The taken primary step the document's latest earlier change stored (what an edit re-publishes)."""
    q = (select(Change.milestones).where(Change.document_id == document_id, Change.withdrawn_at.is_(None))
         .order_by(Change.id.desc()))
    for milestones in session.scalars(q):
        for m in milestones or ():
            if isinstance(m, dict) and m.get("primary") is True and m.get("status", "taken") == "taken":
                return {k: v for k, v in m.items() if k != "republished"}
    return None


def case_timeline(session: Session, case_id: str) -> list[TimelineEntry]:
    """The case's legal steps by event date, each once with all its sources (pipeline.store.timeline)."""
    return merge(timeline_rows(session, case_id))


# ------------------------------------------------------------------------------ operator status


FINISHED_RUN_STATUSES = ("ok", "partial", "failed", "empty")


def last_finished_runs(session: Session) -> dict[str, CrawlRun]:
    """The latest finished run of every source: the last *result*, even while a new run is going."""
    latest = (select(CrawlRun.source_id, func.max(CrawlRun.id).label("id"))
              .where(CrawlRun.status.in_(FINISHED_RUN_STATUSES)).group_by(CrawlRun.source_id).subquery())
    rows = session.scalars(select(CrawlRun).join(latest, CrawlRun.id == latest.c.id))
    return {r.source_id: r for r in rows}


def live_runs(session: Session) -> dict[str, CrawlRun]:
    """Per source, the newest run marked 'running' whose process is still alive on this host.

    A 'running' row whose process died is not a crawl in progress (close_stale_runs closes it later).
    """
    q = select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)
    return {r.source_id: r for r in session.scalars(q) if r.pid and _alive(r.pid)}


def current_runs(session: Session) -> dict[str, CrawlRun]:
    """Per source, what to show as its run: the latest one, unless it says 'running' while its process
    is gone (killed with its scheduler): then the last finished one, so nothing shows as running
    that is not."""
    live, finished = live_runs(session), last_finished_runs(session)
    shown = {}
    for source_id, run in last_runs(session).items():
        if run.status != "running" or source_id in live:
            shown[source_id] = run
        elif source_id in finished:
            shown[source_id] = finished[source_id]
    return shown


def latest_run(session: Session, source_id: str) -> CrawlRun | None:
    """The source's newest run, so the scheduler's log lines can name it and its result."""
    return session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)
                           .order_by(CrawlRun.id.desc()).limit(1)).one_or_none()


def outbox_counts(session: Session, sent_since: datetime) -> dict[str, int]:
    """Outbox rows by delivery state: all pending and sending, and those sent since ``sent_since``."""
    counts = dict(session.execute(
        select(Digest.status, func.count()).where(Digest.status.in_(("pending", "sending"))).group_by(Digest.status)
    ).tuples().all())
    sent = session.scalar(select(func.count()).select_from(Digest).where(
        Digest.status == "sent", Digest.sent_at >= sent_since)) or 0
    return {"pending": counts.get("pending", 0), "sending": counts.get("sending", 0), "sent": sent}


def first_run_started_at(session: Session) -> datetime | None:
    return session.scalar(select(func.min(CrawlRun.started_at)))


def last_digest_created_at(session: Session, kind: str = "digest") -> datetime | None:
    return session.scalar(select(func.max(Digest.created_at)).where(Digest.kind == kind))


# ------------------------------------------------------------------------------ revisits, housekeeping


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


def current_versions(session: Session, urls: Iterable[str]) -> dict[str, tuple[Document, Version]]:
    """URL -> (document, the version its site showed last) for the known ones among ``urls``."""
    # ``current_version`` for many documents in a few queries (it was two or three per URL).
    out: dict[str, tuple[Document, Version]] = {}
    wanted = list(dict.fromkeys(urls))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        docs = {d.id: d for d in session.scalars(select(Document).where(Document.url.in_(chunk)))}
        if not docs:
            continue
        shown = dict(session.execute(
            select(Change.document_id, func.max(Change.id))
            .where(Change.document_id.in_(list(docs)), Change.to_version_id.is_not(None))
            .group_by(Change.document_id)).all())
        version_of: dict[int, int] = dict(session.execute(
            select(Change.document_id, Change.to_version_id).where(Change.id.in_(list(shown.values())))).all())
        rest = [i for i in docs if i not in version_of]
        if rest:
            version_of.update(session.execute(
                select(Version.document_id, func.max(Version.id)).where(Version.document_id.in_(rest))
                .group_by(Version.document_id)).all())
        versions = {v.id: v for v in session.scalars(select(Version).where(Version.id.in_(list(version_of.values()))))}
        for doc_id, doc in docs.items():
            if (version := versions.get(version_of.get(doc_id, -1))) is not None:
                out[doc.url] = (doc, version)
    return {url: out[url] for url in wanted if url in out}


def set_pinned(session: Session, url: str, pinned: bool) -> Document | None:
    doc = get_document(session, url)
    if doc is not None:
        doc.pinned = pinned
    return doc


def prune_raw_bodies(session: Session, older_than: datetime, now: datetime, batch: int = 500) -> int:
    """Drop raw bodies (keeping hashes and texts) of versions fetched before ``older_than`` whose document
    never had a relevant change; returns how many were pruned. Evidence of anything relevant stays."""
    relevant_docs = select(Change.document_id).where(Change.relevant)
    ids = session.execute(
        select(Version.id).where(Version.fetched_at < older_than, Version.raw_pruned_at.is_(None),
                                 Version.document_id.not_in(relevant_docs)).limit(batch)
    ).scalars().all()
    if ids:
        session.execute(update(Version).where(Version.id.in_(ids)).values(raw_body=b"", raw_pruned_at=now))
        forget_unused(session, session.execute(select(Version.raw_sha256).where(Version.id.in_(ids))).scalars())
    return len(ids)


# ------------------------------------------------------------------------------ evidence: export, re-extraction


@dataclass(frozen=True)
class EvidenceFilter:
    """Which stored versions (by fetch time) or changes (by detection time) an export holds."""

    document_id: int | None = None
    source_id: str | None = None
    case_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def get_document_by_id(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


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


def source_document_ids(session: Session, source_id: str) -> list[int]:
    return list(session.scalars(select(Document.id).where(Document.source_id == source_id).order_by(Document.id)))


def document_versions(session: Session, document_id: int, *, bodies: bool = True) -> list[Version]:
    """Every version of a document, oldest first; ``bodies=False`` leaves the raw bodies unloaded."""
    q = select(Version).where(Version.document_id == document_id).order_by(Version.id)
    if not bodies:
        q = q.options(defer(Version.raw_body))
    return list(session.scalars(q))


def document_changes(session: Session, document_id: int) -> list[Change]:
    """Every change of a document, withdrawn ones included, oldest first."""
    return list(session.scalars(select(Change).where(Change.document_id == document_id).order_by(Change.id)))


# ------------------------------------------------------------------------------ review page (casewatch.web)
#
# The queries of the review page: a filtered, paginated change log with its total, a document's
# whole history (get_document_by_id, document_versions, document_changes above), the outbox, and
# reviewer verdicts. Withdrawn changes (re-extraction) stay out of the log and the feeds; a document's
# history still lists them, marked.

REVIEW_ACTIONS = ("reviewed", "irrelevant", "reopened")
REVIEW_STATES = ("pending", "reviewed", "irrelevant")  # "pending": no verdict yet
# PostgreSQL's side of accent-insensitive search (SQLite gets pipeline.classify.relevance.fold itself).
_ACCENTED, _PLAIN = "áàâäãåéèêëíìîïóòôöõúùûüñçý", "aaaaaaeeeeiiiiooooouuuuncy"


@dataclass(frozen=True)
class ChangeQuery:
    """The change log's filters; ``until`` is exclusive, ``text`` matches title or summary."""

    case_id: str | None = None
    source_id: str | None = None
    source_kind: str | None = None
    kind: str | None = None
    milestone: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    relevant_only: bool = False
    review_state: str | None = None
    include_withdrawn: bool = False  # withdrawn changes are records, not news (the CLI may ask for them)
    fold_alternating: bool = False  # a document going back and forth between versions: one row (review page)
    page: int = 1
    per_page: int = 50


def _folded(session: Session, column: Any) -> ColumnElement[str]:
    """``column`` lower-cased without accents, the same way on SQLite (a Python function) and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        from textkit import fold

        raw = session.connection().connection.driver_connection
        raw.create_function("casewatch_fold", 1, lambda v: fold(v) if isinstance(v, str) else v,  # type: ignore[union-attr]
                            deterministic=True)
        return cast(ColumnElement[str], func.casewatch_fold(column))
    return cast(ColumnElement[str], func.translate(func.lower(column), _ACCENTED, _PLAIN))


def _has_milestone(session: Session, milestone: str) -> ColumnElement[bool]:
    """Milestones are a JSON list of objects: look inside it in SQL, so pages and totals stay exact."""
    from sqlalchemy import text as sql

    if session.get_bind().dialect.name == "sqlite":
        clause = sql("EXISTS (SELECT 1 FROM json_each(changes.milestones) AS m "
                     "WHERE json_extract(m.value, '$.type') = :cw_milestone)")
    else:
        clause = sql("EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(changes.milestones) = 'array' "
                     "THEN changes.milestones ELSE CAST('[]' AS json) END) AS m WHERE m->>'type' = :cw_milestone)")
    return cast(ColumnElement[bool], clause.bindparams(cw_milestone=milestone))


def _change_conditions(session: Session, q: ChangeQuery) -> list[ColumnElement[bool]]:
    from textkit import fold

    conds: list[ColumnElement[bool]] = [] if q.include_withdrawn else [Change.withdrawn_at.is_(None)]
    if q.case_id:
        conds.append(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == q.case_id)))
    if q.source_id:
        conds.append(Change.source_id == q.source_id)
    if q.source_kind:
        conds.append(Change.source_id.in_(select(Source.id).where(Source.kind == q.source_kind)))
    if q.kind:
        conds.append(Change.kind == q.kind)
    if q.milestone:
        conds.append(_has_milestone(session, q.milestone))
    if q.since is not None:
        conds.append(Change.detected_at >= q.since)
    if q.until is not None:
        conds.append(Change.detected_at < q.until)
    if q.relevant_only:
        conds.append(Change.relevant.is_(True))
    if q.review_state == "pending":
        conds.append(Change.review_state.is_(None))
    elif q.review_state:
        conds.append(Change.review_state == q.review_state)
    if q.text and (needle := fold(q.text.strip())):
        conds.append(or_(_folded(session, Change.title).contains(needle, autoescape=True),
                         _folded(session, Change.summary).contains(needle, autoescape=True)))
    return conds


ALTERNATING_KINDS = ("new", "updated", "reverted")  # what one "alternating" row of the change log stands for


def _alternation_fold(conds: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Of a document whose matching changes include a ``reverted`` one, only its newest new/updated/reverted
    change stays: the log lists a flapping page once, and its pages and total stay exact. The subqueries
    have their own ``changes`` (no correlation), filtered like the log."""
    flapping = select(Change.document_id).where(*conds, Change.kind == "reverted").correlate(None)
    newest = (select(func.max(Change.id)).where(*conds, Change.kind.in_(ALTERNATING_KINDS))
              .group_by(Change.document_id).correlate(None))
    return or_(Change.kind.not_in(ALTERNATING_KINDS), Change.document_id.not_in(flapping), Change.id.in_(newest))


def alternations(session: Session, q: ChangeQuery, document_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Document id -> (changes, distinct versions) of each flapping document's new/updated/reverted changes
    matching the log's filters: what its one row stands for. Documents that do not flap are left out."""
    ids = list(document_ids)
    if not ids:
        return {}
    rows = session.execute(select(Change.document_id, Change.kind, Change.from_version_id, Change.to_version_id)
                           .where(*_change_conditions(session, q), Change.kind.in_(ALTERNATING_KINDS),
                                  Change.document_id.in_(ids)))
    found: dict[int, tuple[int, set[int], bool]] = {}
    for doc_id, kind, from_id, to_id in rows:
        n, versions, flaps = found.get(doc_id, (0, set(), False))
        found[doc_id] = (n + 1, versions | {v for v in (from_id, to_id) if v is not None}, flaps or kind == "reverted")
    return {doc_id: (n, len(versions)) for doc_id, (n, versions, flaps) in found.items() if flaps}


def search_changes(session: Session, q: ChangeQuery) -> tuple[list[Change], int]:
    """One page of the change log, newest first, and how many changes match in all."""
    conds = _change_conditions(session, q)
    if q.fold_alternating:
        conds = [*conds, _alternation_fold(conds)]
    total = session.scalar(select(func.count()).select_from(Change).where(*conds)) or 0
    per_page = max(1, q.per_page)
    rows = session.scalars(_change_log(conds).limit(per_page).offset((max(1, q.page) - 1) * per_page))
    return list(rows), total


def _change_log(conds: Sequence[ColumnElement[bool]]) -> Select[tuple[Change]]:
    """Changes matching ``conds``, newest first, with what a listing shows loaded up front."""
    return (select(Change).where(*conds)
            .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
                     selectinload(Change.to_version), selectinload(Change.from_version))
            .order_by(Change.detected_at.desc(), Change.id.desc()))


def get_version(session: Session, version_id: int) -> Version | None:
    return session.scalars(select(Version).where(Version.id == version_id)
                           .options(selectinload(Version.document))).one_or_none()


def outbox_page(session: Session, page: int = 1, per_page: int = 50) -> tuple[list[Digest], int]:
    """Outbox rows, newest first, and their total."""
    total = session.scalar(select(func.count()).select_from(Digest)) or 0
    rows = session.scalars(select(Digest).options(selectinload(Digest.subscriber))
                           .order_by(Digest.id.desc()).limit(per_page).offset((max(1, page) - 1) * per_page))
    return list(rows), total


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.scalars(select(Digest).where(Digest.id == digest_id)
                           .options(selectinload(Digest.subscriber))).one_or_none()


def change_reviews(session: Session, change_id: int) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.change_id == change_id).order_by(Review.id)))


def review_change(session: Session, change_id: int, action: str, note: str, actor: str,
                  now: datetime) -> Review | None:
    """Record a reviewer's verdict on a change (None if there is no such change).

    ``irrelevant``: the change leaves digests, feeds and the timeline (``relevant`` False) and its
    document gets ``relevance_override='irrelevant'``, so ingest stores its later changes as not
    relevant. ``reviewed`` / ``reopened`` of a change marked irrelevant undo that: its relevance comes
    back from its case links (kept for this) and the document's override is cleared.
    """
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"unknown review action {action!r}")
    change = session.scalars(select(Change).where(Change.id == change_id)
                             .options(selectinload(Change.case_links), selectinload(Change.document))
                             ).one_or_none()
    if change is None:
        return None
    was_irrelevant = change.review_state == "irrelevant"
    if action == "irrelevant":
        change.review_state, change.relevant = "irrelevant", False
        change.document.relevance_override = "irrelevant"
    else:
        if was_irrelevant:
            change.relevant = bool(change.case_links)
            change.document.relevance_override = None
        change.review_state = "reviewed" if action == "reviewed" else None
    review = Review(change_id=change.id, action=action, note=note, actor=actor, created_at=now)
    session.add(review)
    session.flush()
    return review


def relevant_case_changes(session: Session, case_id: str, limit: int = 50) -> list[Change]:
    """The newest relevant, not withdrawn changes of a case (its Atom feed); a return to a stored version
    (``reverted``) is a record, not news: a flapping page must not fill the feed."""
    return list(session.scalars(
        select(Change)
        .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
               Change.relevant.is_(True), Change.withdrawn_at.is_(None), Change.kind != "reverted")
        .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
                 selectinload(Change.to_version), selectinload(Change.from_version))
        .order_by(Change.detected_at.desc(), Change.id.desc()).limit(limit)))


def review_counts(session: Session, since: datetime) -> dict[str, int]:
    """For the dashboard: changes since ``since``, relevant ones, and relevant ones without a verdict."""
    live = Change.withdrawn_at.is_(None)
    recent = session.scalar(select(func.count()).select_from(Change).where(live, Change.detected_at >= since)) or 0
    relevant = session.scalar(select(func.count()).select_from(Change).where(
        live, Change.detected_at >= since, Change.relevant.is_(True))) or 0
    pending = session.scalar(select(func.count()).select_from(Change).where(
        live, Change.relevant.is_(True), Change.review_state.is_(None))) or 0
    return {"recent": recent, "recent_relevant": relevant, "pending_review": pending}


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
