"""What goes into a subscriber's digest: their relevant changes not yet sent, the ones never to be an
immediate alert, and the digest rows added to the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from pipeline.store.models import Change, ChangeCase, CrawlRun, Digest, DigestItem, Subscriber


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


def digest_change_ids(session: Session, digest_id: int) -> list[int]:
    return list(session.scalars(select(DigestItem.change_id).where(DigestItem.digest_id == digest_id)))


def digest_periods(session: Session, subscriber_id: int, kind: str) -> list[str]:
    """The periods of the subscriber's outbox rows of ``kind`` (a maintainer's health message: ``health:<id>``)."""
    return list(session.scalars(select(Digest.period).where(Digest.subscriber_id == subscriber_id,
                                                            Digest.kind == kind)))
