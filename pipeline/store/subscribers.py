"""Subscribers mirrored from the configuration, the rows maintainers receive mail through, and
opt-outs (an unsubscribe link names a subscriber; the operator may undo it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from config.schema import Subscriber as SubscriberConfig
from pipeline.store.models import Digest, Subscriber, Unsubscribe


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


def active_subscribers(session: Session) -> Sequence[Subscriber]:
    """Configured subscribers who still want mail (not unsubscribed through their link)."""
    return session.scalars(select(Subscriber).where(Subscriber.active.is_(True), not_unsubscribed(Subscriber.id))
                           .order_by(Subscriber.id)).all()


def not_unsubscribed(subscriber_id: Any) -> ColumnElement[bool]:
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


def subscriber_by_email(session: Session, email: str) -> Subscriber | None:
    return session.scalars(select(Subscriber).where(func.lower(Subscriber.email) == email.lower())).one_or_none()


def recipient(session: Session, email: str, now: datetime) -> Subscriber:
    """The row an email address receives outbox messages through (a maintainer gets an inactive one)."""
    row = session.scalars(select(Subscriber).where(func.lower(Subscriber.email) == email.lower())).one_or_none()
    if row is None:
        row = Subscriber(email=email, name="", language="en", cases=[], frequency="maintainer", active=False,
                         created_at=now)
        session.add(row)
        session.flush()
    return row
