"""The outbox: digests waiting for the mail server, claimed by one sender at a time (a lease), then
marked sent or failed (retried later); and what the review page and status show of it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Update, and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, selectinload

from pipeline.store.models import Digest
from pipeline.store.subscribers import not_unsubscribed


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


def outbox_counts(session: Session, sent_since: datetime) -> dict[str, int]:
    """Outbox rows by delivery state: all pending and sending, and those sent since ``sent_since``."""
    counts: dict[str, int] = {status: n for status, n in session.execute(
        select(Digest.status, func.count()).where(Digest.status.in_(("pending", "sending"))).group_by(Digest.status)
    )}
    sent = session.scalar(select(func.count()).select_from(Digest).where(
        Digest.status == "sent", Digest.sent_at >= sent_since)) or 0
    return {"pending": counts.get("pending", 0), "sending": counts.get("sending", 0), "sent": sent}


def outbox_page(session: Session, page: int = 1, per_page: int = 50) -> tuple[list[Digest], int]:
    """Outbox rows, newest first, and their total."""
    total = session.scalar(select(func.count()).select_from(Digest)) or 0
    rows = session.scalars(select(Digest).options(selectinload(Digest.subscriber))
                           .order_by(Digest.id.desc()).limit(per_page).offset((max(1, page) - 1) * per_page))
    return list(rows), total


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.scalars(select(Digest).where(Digest.id == digest_id)
                           .options(selectinload(Digest.subscriber))).one_or_none()
