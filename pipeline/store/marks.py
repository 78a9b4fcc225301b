"""Named marks kept in the database: when something last happened (the last digest, a reviewer's
logout), and values made once (the unsubscribe links' signing key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pipeline.store.models import Mark


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
